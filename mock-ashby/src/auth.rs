//! Authentication and authorisation: the `Authorization` header (HTTP Basic, the API key
//! as username), the accepted keys, the granted permissions and the 401/403 answers.

use std::sync::Mutex;

use base64::Engine as _;
use hyper::StatusCode;
use hyper::header::HeaderValue;

use crate::reply::Reply;
use crate::sync::lock;

/// The `Authorization` header as the mock understood it.
pub(crate) enum Auth {
    /// No `Authorization` header.
    Missing,
    /// A header that is not HTTP Basic with a non-empty username.
    Malformed,
    /// The username of HTTP Basic auth: the API key.
    Key(String),
}

/// Reads an `Authorization` header.
pub(crate) fn parse_authorization(value: Option<&HeaderValue>) -> Auth {
    let Some(value) = value else {
        return Auth::Missing;
    };
    let Ok(text) = value.to_str() else {
        return Auth::Malformed;
    };
    let Some((scheme, credentials)) = text.trim().split_once(' ') else {
        return Auth::Malformed;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Auth::Malformed;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credentials.trim()) else {
        return Auth::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Auth::Malformed;
    };
    // Username = key; Ashby documents an empty password and ignores it.
    match decoded.split_once(':') {
        Some((key, _password)) if !key.is_empty() => Auth::Key(key.to_owned()),
        _ => Auth::Malformed,
    }
}

// The bodies of 401/403 are "human-readable" per Ashby's docs but their exact format is not
// documented; the mock sends its usual envelope with codes of its own choosing.
/// 401: no usable key was sent.
pub(crate) fn unauthorized(request_id: &str) -> Reply {
    Reply::error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "No API key was provided: send HTTP Basic auth with the API key as username \
         and an empty password.",
        request_id,
    )
}

/// 403: the key is not one the mock accepts.
pub(crate) fn forbidden(request_id: &str) -> Reply {
    Reply::error(
        StatusCode::FORBIDDEN,
        "invalid_api_key",
        "The API key is not valid or has been deactivated.",
        request_id,
    )
}

/// 403: the key lacks the permission the endpoint at `path` needs.
pub(crate) fn missing_permission(permission: &str, path: &str, request_id: &str) -> Reply {
    Reply::error(
        StatusCode::FORBIDDEN,
        "missing_endpoint_permission",
        &format!("The API key lacks the {permission} permission required by {path}."),
        request_id,
    )
}

/// Answers a request whose key is missing or not accepted; `Ok` holds the accepted key.
pub(crate) fn authenticate<'a>(
    auth: &'a Auth,
    api_keys: &[String],
    request_id: &str,
) -> Result<&'a str, Reply> {
    match auth {
        Auth::Missing | Auth::Malformed => Err(unauthorized(request_id)),
        Auth::Key(key) if !api_keys.contains(key) => Err(forbidden(request_id)),
        Auth::Key(key) => Ok(key),
    }
}

/// The permissions granted to every key; `None` grants all of them.
#[derive(Debug)]
pub(crate) struct Permissions(Mutex<Option<Vec<String>>>);

impl Permissions {
    /// Grants `granted` (`None`: every permission).
    pub(crate) fn new(granted: Option<Vec<String>>) -> Self {
        Self(Mutex::new(granted))
    }

    /// Replaces the granted permissions.
    pub(crate) fn set(&self, granted: Option<Vec<String>>) {
        *lock(&self.0) = granted;
    }

    /// The key's scopes as `apiKey.info` reports them, spelled as in its OpenAPI example
    /// (`candidates:write`): every granted permission among `known` (all of them when
    /// every permission is granted), implied `…Read`s included.
    pub(crate) fn scopes(&self, known: Vec<&'static str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in known {
            let scope =
                [("Read", "read"), ("Write", "write")]
                    .iter()
                    .find_map(|(suffix, access)| {
                        p.strip_suffix(suffix).map(|m| format!("{m}:{access}"))
                    });
            if let Some(scope) = scope
                && self.granted(p)
                && !out.contains(&scope)
            {
                out.push(scope);
            }
        }
        out
    }

    /// Whether `needed` is granted; a `…Write` permission implies the matching `…Read`.
    pub(crate) fn granted(&self, needed: &str) -> bool {
        match &*lock(&self.0) {
            None => true,
            Some(list) => list.iter().any(|p| {
                p == needed
                    || needed
                        .strip_suffix("Read")
                        .is_some_and(|module| p.strip_suffix("Write") == Some(module))
            }),
        }
    }
}
