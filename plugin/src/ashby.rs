//! Facts about Ashby's API that the plugin's logic names: the public API
//! host (only to reduce a manual `url` to a path), the endpoints with
//! special handling (dedupe, batching, side effects) and their permissions.
//!
//! Everything else about endpoints (fields, types, permissions, steps) is
//! data in `templates.json`.

use crate::templates::is_endpoint_path;

/// The host of Ashby's public API. The plugin never connects to it: a
/// manual `url` naming it is reduced to a path, and the host adds the origin.
pub const API_HOST: &str = "api.ashbyhq.com";
/// The path of Ashby's custom-field bulk endpoint, the one endpoint where
/// batching merges records instead of sending an array.
pub const CUSTOM_FIELD_SET_VALUES: &str = "/customField.setValues";
/// The path of candidate creation, the one endpoint that supports dedupe.
pub const CANDIDATE_CREATE: &str = "/candidate.create";
/// The path of the candidate lookup used by dedupe.
pub const CANDIDATE_SEARCH: &str = "/candidate.search";
/// The path of the candidate update used by dedupe with `on_existing: update`.
pub const CANDIDATE_UPDATE: &str = "/candidate.update";
/// Reads one candidate (a lost create's lookup).
pub const CANDIDATE_INFO: &str = "/candidate.info";
/// Reads one application (a lost create's lookup).
pub const APPLICATION_INFO: &str = "/application.info";
/// The permission `candidate.search` needs.
pub const CANDIDATE_SEARCH_PERMISSION: &str = "candidatesRead";
/// The permission `candidate.update` needs.
pub const CANDIDATE_UPDATE_PERMISSION: &str = "candidatesWrite";
/// The path that starts an offer process (notifications, approvals).
pub const OFFER_PROCESS_START: &str = "/offerProcess.start";
/// The read call that describes the API key in use (title, scopes).
pub const API_KEY_INFO: &str = "/apiKey.info";
/// The permission `apiKey.info` needs.
pub const API_KEY_INFO_PERMISSION: &str = "apiKeysRead";

/// Whether a scope `apiKey.info` reports grants `permission`. Ashby names
/// permissions `candidatesWrite` in its endpoint docs and scopes
/// `candidates:write` in `apiKey.info`'s example; both spellings count.
pub fn scope_covers(scope: &str, permission: &str) -> bool {
    if scope == permission {
        return true;
    }
    let spelled = [("Read", "read"), ("Write", "write")]
        .iter()
        .find_map(|(suffix, access)| {
            permission
                .strip_suffix(suffix)
                .map(|subject| format!("{subject}:{access}"))
        });
    spelled.is_some_and(|s| s.eq_ignore_ascii_case(scope))
}

/// The response header carrying Ashby's request id.
pub const REQUEST_ID_HEADER: &str = "x-ashby-request-id";

/// Checks a manual `url` and returns its path. The URL must be exactly
/// `https://api.ashbyhq.com/<category>.<method>` (scheme and host compared
/// case-insensitively); the reason names what is wrong otherwise.
pub fn endpoint_from_url(url: &str) -> Result<String, String> {
    const EXAMPLE: &str = "https://api.ashbyhq.com/candidate.create";
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the URL contains spaces or control characters".into());
    }
    if url.contains('\\') {
        return Err("the URL contains a backslash".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "\"{url}\" is not an absolute URL; write it like {EXAMPLE}"
        ));
    };
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "the scheme \"{scheme}\" is not allowed: Ashby's API is only reached over https, like {EXAMPLE}"
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    check_authority(authority)?;
    path_of(rest.get(end..).unwrap_or_default())
}

/// Checks the authority of a manual URL: no userinfo, no port, Ashby's host.
fn check_authority(authority: &str) -> Result<(), String> {
    if authority.contains('@') {
        return Err(
            "the URL carries userinfo (credentials before '@'); remove it, the host adds the API key".into(),
        );
    }
    if authority.contains(':') {
        return Err(
            "the URL names a port; Ashby's API is reached on the default https port only".into(),
        );
    }
    if !authority.eq_ignore_ascii_case(API_HOST) {
        return Err(format!(
            "the host \"{authority}\" is not allowed: only {API_HOST} is, like https://{API_HOST}/candidate.create"
        ));
    }
    Ok(())
}

/// Checks the part of a manual URL after the authority and returns it as an
/// endpoint path.
fn path_of(tail: &str) -> Result<String, String> {
    if let Some(at) = tail.find(['?', '#']) {
        return Err(if tail.get(at..).is_some_and(|s| s.starts_with('?')) {
            "the URL has a query string; Ashby takes all parameters in the JSON body".into()
        } else {
            "the URL has a fragment (#...); remove it".into()
        });
    }
    if tail.contains('%') {
        return Err(
            "the path uses percent-encoding; write the endpoint plainly, e.g. /candidate.create"
                .into(),
        );
    }
    let Some(path) = tail.strip_prefix('/').filter(|p| !p.is_empty()) else {
        return Err(format!(
            "the URL has no endpoint path; add one, like https://{API_HOST}/candidate.create"
        ));
    };
    let segments: Vec<&str> = path.split('/').collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err("the path contains dot segments (. or ..)".into());
    }
    if segments.len() > 1 {
        return Err(format!(
            "the path \"{tail}\" is nested; an Ashby endpoint is one segment, /<category>.<method>"
        ));
    }
    if !is_endpoint_path(tail) {
        return Err(format!(
            "the path \"{tail}\" is not of the form /<category>.<method> (letters and digits, e.g. /candidate.create)"
        ));
    }
    Ok(tail.to_owned())
}
