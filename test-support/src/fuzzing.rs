//! Fuzz entry points: one function per target, each taking arbitrary bytes,
//! calling a parser that meets untrusted input, and panicking only when a
//! property fails. The cargo-fuzz targets in `fuzz/` and the bounded
//! proptest runs in `tests/tests/all/fuzz_props.rs` (which also replay
//! `fuzz/corpus/`) call the same functions.
//!
//! | target | parser | property |
//! | --- | --- | --- |
//! | `config` | the plugin's config parsing | no panic; an accepted config's endpoint passes the host's path policy |
//! | `headers` | host header check, `Retry-After`, the plugin's `headers` option | no panic; an accepted header is not reserved and has no CR, LF or NUL |
//! | `url_path` | origins and guest paths | an accepted path joined to an origin keeps that origin's host and port |
//! | `record` | input lines, then the plugin's shaping | no panic; a record is an object; planned paths pass the path policy |
//! | `response` | Ashby's envelope and classifier | no panic |

use destination_host::http_import::{Origin, check_header, check_path, is_reserved_header};
use destination_host::input::{InputItem, parse_one};
use std::sync::OnceLock;

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Config text, as `configure` receives it.
pub fn config(data: &[u8]) {
    let text = text(data);
    if let Ok((_, summary)) = plugin::Destination::configure(&text) {
        assert!(
            check_path(&summary.endpoint).is_ok(),
            "accepted config {text:?} has endpoint {:?} the host refuses",
            summary.endpoint
        );
    }
}

/// A header as `name\nvalue`, also read as a `Retry-After` value and as the
/// plugin's `headers` option.
pub fn headers(data: &[u8]) {
    let text = text(data);
    let (name, value) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    if check_header(name, value).is_ok() {
        assert!(
            !is_reserved_header(name),
            "reserved header {name:?} accepted"
        );
        assert!(
            !value.contains(['\r', '\n', '\0']),
            "header value {value:?} accepted"
        );
    }
    let _ = destination_host::retry::parse_retry_after(&text);
    // What the plugin's config accepts, the host must not refuse later.
    if let Ok(pairs) = plugin::config::parse_headers(&text) {
        for (n, v) in pairs {
            assert!(
                check_header(&n, &v).is_ok(),
                "the plugin accepts header {n:?}: {v:?}, the host refuses it"
            );
        }
    }
}

/// A string as an origin and as a guest path.
pub fn url_path(data: &[u8]) {
    let text = text(data);
    if let Ok(origin) = Origin::parse(&text) {
        let url = reqwest::Url::parse(origin.as_str())
            .unwrap_or_else(|e| panic!("origin {text:?} accepted but unparsable: {e}"));
        assert!(url.username().is_empty() && url.password().is_none());
        assert!(url.query().is_none() && url.fragment().is_none());
        if url.scheme() == "http" {
            let host = url.host_str().unwrap_or("");
            assert!(
                host == "localhost"
                    || host
                        .trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback()),
                "plain http to {host:?}"
            );
        }
    }
    if check_path(&text).is_ok() {
        for base in ["https://api.ashbyhq.com", "http://127.0.0.1:8080"] {
            let want = reqwest::Url::parse(base).unwrap_or_else(|e| panic!("{base}: {e}"));
            let got = reqwest::Url::parse(&format!("{base}{text}"))
                .unwrap_or_else(|e| panic!("path {text:?} accepted but unparsable: {e}"));
            assert_eq!(
                (got.scheme(), got.host_str(), got.port()),
                (want.scheme(), want.host_str(), want.port()),
                "path {text:?} moved the request off {base}"
            );
            assert!(got.username().is_empty() && got.password().is_none());
            assert!(
                !got.path().split('/').any(|s| s == ".."),
                "path {text:?} escapes"
            );
        }
    }
}

fn candidate_destination() -> Option<&'static plugin::Destination> {
    static D: OnceLock<Option<plugin::Destination>> = OnceLock::new();
    D.get_or_init(|| {
        plugin::Destination::configure(r#"{"template":"create-candidate"}"#)
            .ok()
            .map(|(d, _)| d)
    })
    .as_ref()
}

/// One input line, then (when it is a record) the plugin's shaping.
pub fn record(data: &[u8]) {
    match parse_one(7, data) {
        InputItem::Record { index, json } => {
            assert_eq!(index, 7);
            let v: serde_json::Value =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("record is not JSON: {e}"));
            assert!(v.is_object(), "record {json:?} is not an object");
            if let Some(d) = candidate_destination() {
                let sample = d.sample(&[plugin::InputRecord::new(index, json)]);
                for r in &sample.requests {
                    assert!(check_path(&r.path).is_ok(), "planned path {:?}", r.path);
                }
            }
        }
        InputItem::Bad { index, reason, .. } => {
            assert_eq!(index, 7);
            assert!(!reason.is_empty());
        }
    }
}

/// An Ashby response: two bytes of status, then the body; the body is also
/// offered as a `Retry-After` header.
pub fn response(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    let headers = vec![(
        "retry-after".to_string(),
        String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned(),
    )];
    let _ = plugin::envelope::parse_envelope(body);
    let _ = plugin::envelope::classify(status, &headers, body, Some("id"), Some("candidatesWrite"));
}

/// A fuzz target.
pub type Target = fn(&[u8]);

/// The targets by name, as laid out in `fuzz/corpus/<name>/`.
pub const TARGETS: [(&str, Target); 5] = [
    ("config", config),
    ("headers", headers),
    ("url_path", url_path),
    ("record", record),
    ("response", response),
];
