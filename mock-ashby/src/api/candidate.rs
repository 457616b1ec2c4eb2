//! `candidate.create`, `candidate.update`, `candidate.search` and `candidate.info`.

use serde_json::{Map, Value, json};

use super::endpoint::Endpoint;
use crate::ids::{new_id, now_iso};
use crate::state::{Org, candidate_has_email};
use crate::validate::{
    ApiError, ApiResult, Args, invalid_input, not_found, v_array, v_bool, v_datetime, v_email,
    v_enum, v_nonempty, v_object, v_str, v_url, v_uuid,
};

/// This category's endpoints.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/candidate.create",
        permission: "candidatesWrite",
        fields: &[
            "alternateEmailAddresses",
            "createdAt",
            "creditedToUserId",
            "email",
            "githubUrl",
            "linkedInUrl",
            "location",
            "name",
            "phoneNumber",
            "sourceId",
            "website",
        ],
        handler: candidate_create,
    },
    Endpoint {
        path: "/candidate.update",
        permission: "candidatesWrite",
        fields: &[
            "alternateEmail",
            "candidateId",
            "createdAt",
            "creditedToUserId",
            "email",
            "githubUrl",
            "linkedInUrl",
            "location",
            "name",
            "phoneNumber",
            "sendNotifications",
            "socialLinks",
            "sourceId",
            "websiteUrl",
        ],
        handler: candidate_update,
    },
    Endpoint {
        path: "/candidate.search",
        permission: "candidatesRead",
        fields: &["email", "name"],
        handler: candidate_search,
    },
    Endpoint {
        path: "/candidate.info",
        permission: "candidatesRead",
        fields: &["externalMappingId", "id"],
        handler: candidate_info,
    },
];

/// Most results `candidate.search` returns.
const SEARCH_LIMIT: usize = 100;

const SOCIAL_LINK_TYPES: &[&str] = &[
    "LinkedIn",
    "GitHub",
    "Twitter",
    "Medium",
    "StackOverflow",
    "YouTube",
    "CodePen",
    "Website",
];

/// The fields of `candidate.create` and of `candidate.update`, validated; the single-URL
/// fields as `(link type, url)`.
struct CandidateFields {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    links: [(&'static str, Option<String>); 3],
    alternate_emails: Vec<String>,
    social_links: Option<Vec<Value>>,
    source: Option<Value>,
    credited: Option<Value>,
    location: Option<Value>,
    created_at: Option<String>,
}

impl CandidateFields {
    /// Reads the fields in Ashby's order: those of `candidate.create`, or with
    /// `update_of` (the candidate id, read first by the caller) those of
    /// `candidate.update`, whose `name` is optional and which also takes `socialLinks`
    /// and `sendNotifications`.
    fn read(org: &Org, a: &Args<'_>, update_of: Option<&str>) -> ApiResult<Self> {
        let update = update_of.is_some();
        let name = if update {
            a.opt("name", v_nonempty)?
        } else {
            Some(a.req("name", v_nonempty)?)
        };
        let email = a.opt("email", v_email)?;
        let phone = a.opt("phoneNumber", v_nonempty)?;
        let links = [
            ("LinkedIn", a.opt("linkedInUrl", v_url)?),
            ("GitHub", a.opt("githubUrl", v_url)?),
            (
                "Website",
                a.opt(if update { "websiteUrl" } else { "website" }, v_url)?,
            ),
        ];
        let alternate_emails = if update {
            a.opt("alternateEmail", v_email)?.into_iter().collect()
        } else {
            a.opt("alternateEmailAddresses", email_list)?
                .unwrap_or_default()
        };
        let social_links = if update {
            a.opt("socialLinks", social_link_list)?
        } else {
            None
        };
        let source_id = a.opt("sourceId", v_uuid)?;
        let credited_id = a.opt("creditedToUserId", v_uuid)?;
        let location = a.opt("location", v_object)?;
        let location = location
            .map(|m| build_location(&Args::nested(m, a.name("location"))))
            .transpose()?;
        let created_at = a.opt("createdAt", v_datetime)?;
        if let Some(id) = update_of {
            a.opt("sendNotifications", v_bool)?;
            Org::require(&org.candidates, "candidate", id)?;
        }
        Ok(Self {
            name,
            email,
            phone,
            links,
            alternate_emails,
            social_links,
            source: org.source(source_id.as_deref())?,
            credited: org.user(credited_id.as_deref())?,
            location,
            created_at,
        })
    }
}

fn email_list(value: &Value, field: &str) -> ApiResult<Vec<String>> {
    v_array(value, field)?
        .iter()
        .enumerate()
        .map(|(i, item)| v_email(item, &format!("{field}[{i}]")))
        .collect()
}

fn social_link_list(value: &Value, field: &str) -> ApiResult<Vec<Value>> {
    v_array(value, field)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{field}[{i}]");
            let link = Args::nested(v_object(item, &field)?, field);
            let kind = link.req("type", |v, f| v_enum(v, f, SOCIAL_LINK_TYPES))?;
            let url = link.req("url", v_url)?;
            Ok(json!({ "type": kind, "url": url }))
        })
        .collect()
}

fn candidate_create(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let fields = CandidateFields::read(org, a, None)?;
    let id = new_id();
    let candidate = Value::Object(new_candidate(&id, fields));
    let rendered = org.render_candidate(&candidate);
    org.candidates.insert(id, candidate);
    Ok(rendered)
}

/// A new candidate `id` in Ashby's `Candidate` shape.
fn new_candidate(id: &str, fields: CandidateFields) -> Map<String, Value> {
    let now = now_iso();
    let mut emails = Vec::new();
    if let Some(email) = &fields.email {
        emails.push(contact(email, true));
    }
    for alt in &fields.alternate_emails {
        if !has_contact(&emails, alt) {
            emails.push(contact(alt, false));
        }
    }
    let links: Vec<Value> = fields
        .links
        .iter()
        .filter_map(|(kind, url)| Some(json!({ "type": kind, "url": url.as_ref()? })))
        .collect();
    let mut candidate = Map::new();
    candidate.insert("id".into(), json!(id));
    let created_at = fields.created_at.unwrap_or_else(|| now.clone());
    candidate.insert("createdAt".into(), json!(created_at));
    candidate.insert("updatedAt".into(), json!(now));
    candidate.insert("name".into(), json!(fields.name.unwrap_or_default().trim()));
    if let Some(email) = &fields.email {
        candidate.insert("primaryEmailAddress".into(), contact(email, true));
    }
    candidate.insert("emailAddresses".into(), Value::Array(emails));
    let phones = match &fields.phone {
        Some(phone) => {
            candidate.insert("primaryPhoneNumber".into(), contact(phone, true));
            vec![contact(phone, true)]
        }
        None => Vec::new(),
    };
    candidate.insert("phoneNumbers".into(), Value::Array(phones));
    candidate.insert("socialLinks".into(), Value::Array(links));
    for key in ["tags", "applicationIds", "fileHandles", "customFields"] {
        candidate.insert(key.into(), json!([]));
    }
    let profile =
        format!("https://app.ashbyhq.com/candidate-searches/new/right-side/candidates/{id}");
    candidate.insert("profileUrl".into(), json!(profile));
    candidate.insert("source".into(), fields.source.unwrap_or(Value::Null));
    let credited = fields.credited.unwrap_or(Value::Null);
    candidate.insert("creditedToUser".into(), credited);
    candidate.insert("timezone".into(), Value::Null);
    if let Some(location) = fields.location {
        candidate.insert("location".into(), location);
    }
    candidate
}

fn candidate_update(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.req("candidateId", v_uuid)?;
    let fields = CandidateFields::read(org, a, Some(&id))?;
    let Some(candidate) = org.candidates.get_mut(&id).and_then(Value::as_object_mut) else {
        return Err(not_found("candidate", &id));
    };
    update_candidate(candidate, fields);
    let candidate = Value::Object(candidate.clone());
    Ok(org.render_candidate(&candidate))
}

/// Applies the fields `candidate.update` was given.
fn update_candidate(candidate: &mut Map<String, Value>, fields: CandidateFields) {
    if let Some(name) = fields.name {
        candidate.insert("name".into(), json!(name.trim()));
    }
    if let Some(email) = fields.email {
        set_primary_contact(candidate, "emailAddresses", "primaryEmailAddress", &email);
    }
    if let Some(phone) = fields.phone {
        set_primary_contact(candidate, "phoneNumbers", "primaryPhoneNumber", &phone);
    }
    for alternate in fields.alternate_emails {
        let mut emails = list_of(candidate, "emailAddresses");
        if !has_contact(&emails, &alternate) {
            emails.push(contact(&alternate, false));
        }
        candidate.insert("emailAddresses".into(), Value::Array(emails));
    }
    // A `socialLinks` list replaces every link and makes the single-URL fields ignored.
    let links = match fields.social_links {
        Some(links) => links,
        None => {
            let mut links = list_of(candidate, "socialLinks");
            for (kind, url) in &fields.links {
                if let Some(url) = url {
                    set_social_link(&mut links, kind, url);
                }
            }
            links
        }
    };
    candidate.insert("socialLinks".into(), Value::Array(links));
    let replaced = [
        ("source", fields.source),
        ("creditedToUser", fields.credited),
        ("location", fields.location),
        ("createdAt", fields.created_at.map(Value::String)),
    ];
    for (key, value) in replaced {
        if let Some(value) = value {
            candidate.insert(key.into(), value);
        }
    }
    candidate.insert("updatedAt".into(), json!(now_iso()));
}

fn candidate_search(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let email = a.opt("email", v_str)?.filter(|e| !e.trim().is_empty());
    let name = a.opt("name", v_str)?.filter(|n| !n.trim().is_empty());
    if email.is_none() && name.is_none() {
        return Err(invalid_input(
            "Provide at least one of `email` or `name` to search candidates.".to_owned(),
        ));
    }
    let needle = name.map(|n| n.trim().to_lowercase());
    let results: Vec<Value> = org
        .candidates
        .values()
        .filter(|c| email.as_deref().is_none_or(|e| candidate_has_email(c, e)))
        .filter(|c| {
            needle.as_deref().is_none_or(|n| {
                c["name"]
                    .as_str()
                    .is_some_and(|name| name.to_lowercase().contains(n))
            })
        })
        .take(SEARCH_LIMIT)
        .map(|c| org.render_candidate(c))
        .collect();
    Ok(Value::Array(results))
}

fn candidate_info(org: &mut Org, a: &Args<'_>) -> ApiResult<Value> {
    let id = a.opt("id", v_uuid)?;
    let external = a.opt("externalMappingId", v_nonempty)?;
    match (id, external) {
        (Some(id), _) => {
            let candidate = Org::lookup(&org.candidates, "candidate", &id)?;
            Ok(org.render_candidate(&candidate))
        }
        // The mock keeps no external mappings, so such lookups never match.
        (None, Some(external)) => Err(ApiError {
            code: "candidate_not_found".to_owned(),
            message: format!(
                "Candidate not found: no candidate has external mapping id {external:?}."
            ),
        }),
        (None, None) => Err(invalid_input(
            "Provide `id` (or `externalMappingId`) of the candidate to fetch.".to_owned(),
        )),
    }
}

fn contact(value: &str, primary: bool) -> Value {
    json!({ "value": value, "type": "Personal", "isPrimary": primary })
}

/// Whether a contact list holds `value` (case-insensitive).
fn has_contact(list: &[Value], value: &str) -> bool {
    list.iter().any(|e| {
        e["value"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    })
}

/// A copy of the candidate's list `key` (empty when absent).
fn list_of(candidate: &Map<String, Value>, key: &str) -> Vec<Value> {
    candidate
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn build_location(args: &Args<'_>) -> ApiResult<Value> {
    let mut components = Vec::new();
    let mut summary = Vec::new();
    for (field, kind) in [
        ("city", "City"),
        ("region", "Region"),
        ("country", "Country"),
    ] {
        if let Some(name) = args.opt(field, v_str)? {
            summary.push(name.clone());
            components.push(json!({ "type": kind, "name": name }));
        }
    }
    Ok(json!({
        "id": new_id(),
        "locationSummary": summary.join(", "),
        "locationComponents": components,
    }))
}

/// Sets `value` as the primary entry of a contact list (`emailAddresses`/`phoneNumbers`),
/// keeping earlier entries as non-primary, and mirrors it in `primary_key`.
fn set_primary_contact(
    candidate: &mut Map<String, Value>,
    list_key: &str,
    primary_key: &str,
    value: &str,
) {
    let mut list = list_of(candidate, list_key);
    let mut found = false;
    for entry in &mut list {
        let same = entry["value"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(value));
        entry["isPrimary"] = Value::Bool(same);
        found |= same;
    }
    if !found {
        list.insert(0, contact(value, true));
    }
    let primary = list
        .iter()
        .find(|e| e["isPrimary"] == true)
        .cloned()
        .unwrap_or_else(|| contact(value, true));
    candidate.insert(list_key.to_owned(), Value::Array(list));
    candidate.insert(primary_key.to_owned(), primary);
}

fn set_social_link(links: &mut Vec<Value>, kind: &str, url: &str) {
    match links.iter_mut().find(|l| l["type"] == kind) {
        Some(link) => link["url"] = Value::String(url.to_owned()),
        None => links.push(json!({ "type": kind, "url": url })),
    }
}
