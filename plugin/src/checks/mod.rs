//! The named checks `check` runs after `configure`: `auth` (Ashby accepts
//! the key) and `permission` (the key's scopes cover what the config's
//! calls need). Both make one read call, `apiKey.info`, and never write.

use crate::ashby::{API_KEY_INFO, API_KEY_INFO_PERMISSION, scope_covers};
use crate::config::Config;
use crate::envelope::{Verdict, classify, classify_error};
use crate::types::{CheckInfo, CheckReport, CheckStatus, HttpRequest, Method, Transport};
use serde_json::Value;

/// The checks, in the order to run them: name and what it verifies.
pub const CHECKS: [(&str, &str); 2] = [
    (
        "auth",
        "Ashby accepts the API key (one apiKey.info call; nothing is written).",
    ),
    (
        "permission",
        "The key's scopes cover the permissions the configured calls need (from apiKey.info; nothing is written).",
    ),
];

/// [`CHECKS`] as WIT-shaped values.
pub fn infos() -> Vec<CheckInfo> {
    CHECKS
        .iter()
        .map(|(name, description)| CheckInfo {
            name: (*name).to_owned(),
            description: (*description).to_owned(),
        })
        .collect()
}

/// Runs the named check; `None` for a name not in [`CHECKS`].
pub fn run(config: &Config, transport: &mut impl Transport, name: &str) -> Option<CheckReport> {
    match name {
        "auth" => Some(auth(key_info(transport))),
        "permission" => Some(permission(config, key_info(transport))),
        _ => None,
    }
}

/// One `apiKey.info` call, classified as Ashby's envelope says.
fn key_info(transport: &mut impl Transport) -> Verdict {
    let request = HttpRequest {
        method: Method::Post,
        path: API_KEY_INFO.to_owned(),
        headers: Vec::new(),
        body: b"{}".to_vec(),
    };
    match transport.send(request) {
        Ok(r) => classify(
            r.status,
            &r.headers,
            &r.body,
            None,
            Some(API_KEY_INFO_PERMISSION),
        ),
        Err(e) => classify_error(&e),
    }
}

fn report(
    name: &str,
    status: CheckStatus,
    code: &str,
    message: String,
    action: &str,
) -> CheckReport {
    CheckReport {
        name: name.to_owned(),
        status,
        code: code.to_owned(),
        message,
        action: action.to_owned(),
    }
}

/// Failures every check shares: the key refused, Ashby unreachable or
/// answering something else; `None` when the key was accepted.
fn common(name: &str, verdict: &Verdict) -> Option<CheckReport> {
    match verdict {
        Verdict::Delivered { .. } => None,
        Verdict::Halt { code, .. } if code == "missing_endpoint_permission" => None,
        Verdict::Halt { code, message, .. } => Some(report(
            name,
            CheckStatus::Failed,
            "key_rejected",
            format!(
                "Ashby refused the API key ({code}): {}.",
                message.trim_end_matches('.')
            ),
            "Check that the key is copied whole and still active in Ashby (Admin, API keys), then store it again.",
        )),
        Verdict::Retry { code, message, .. } => Some(report(
            name,
            CheckStatus::Unknown,
            "remote_unavailable",
            format!(
                "Ashby could not be asked ({code}): {}.",
                message.trim_end_matches('.')
            ),
            "Try again later; check the host's network and Ashby's status page.",
        )),
        Verdict::Rejected { code, message } => Some(report(
            name,
            CheckStatus::Unknown,
            "unexpected_answer",
            format!(
                "Ashby answered apiKey.info with {code}: {}.",
                message.trim_end_matches('.')
            ),
            "Run the check again; if it persists, report it with the answer.",
        )),
    }
}

fn auth(verdict: Verdict) -> CheckReport {
    if let Some(r) = common("auth", &verdict) {
        return r;
    }
    let message = match &verdict {
        Verdict::Delivered { results, .. } => {
            match results.value().get("title").and_then(Value::as_str) {
                Some(t) => format!("Ashby accepted the API key \"{t}\"."),
                None => "Ashby accepted the API key.".to_owned(),
            }
        }
        _ => format!(
            "Ashby accepted the API key (it lacks {API_KEY_INFO_PERMISSION}, so its details cannot be read)."
        ),
    };
    report("auth", CheckStatus::Ok, "key_accepted", message, "")
}

fn permission(config: &Config, verdict: Verdict) -> CheckReport {
    if let Some(r) = common("permission", &verdict) {
        return r;
    }
    let needed = config.permissions();
    let scopes: Option<Vec<String>> = match &verdict {
        Verdict::Delivered { results, .. } => results
            .value()
            .get("scopes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            }),
        _ => None,
    };
    let Some(scopes) = scopes else {
        return report(
            "permission",
            CheckStatus::Unknown,
            "cannot_verify_without_writing",
            format!(
                "The key may not read its own scopes (it lacks {API_KEY_INFO_PERMISSION}), so whether it has {} cannot be verified without writing.",
                list_or_unknown(&needed)
            ),
            &format!(
                "Give the key {API_KEY_INFO_PERMISSION} to verify it, or check its permissions in Ashby (Admin, API keys)."
            ),
        );
    };
    if needed.is_empty() {
        return report(
            "permission",
            CheckStatus::Unknown,
            "permission_not_known",
            "The configured endpoint is not in the catalog, so the permission it needs is not known.".to_owned(),
            "Check the endpoint's permission in Ashby's API documentation.",
        );
    }
    let missing: Vec<&str> = needed
        .iter()
        .map(String::as_str)
        .filter(|p| !scopes.iter().any(|s| scope_covers(s, p)))
        .collect();
    if missing.is_empty() {
        let message = format!("The key has {}.", needed.join(", "));
        return report(
            "permission",
            CheckStatus::Ok,
            "permissions_present",
            message,
            "",
        );
    }
    report(
        "permission",
        CheckStatus::Failed,
        "missing_permission",
        format!(
            "The key lacks {} (it has: {}).",
            missing.join(", "),
            scopes.join(", ")
        ),
        &format!(
            "Add {} to the key in Ashby (Admin, API keys).",
            missing.join(", ")
        ),
    )
}

fn list_or_unknown(needed: &[String]) -> String {
    if needed.is_empty() {
        "the permission the endpoint needs".to_owned()
    } else {
        needed.join(", ")
    }
}

#[cfg(test)]
mod tests;
