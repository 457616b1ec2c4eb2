//! The fuzz targets of `test_support::fuzzing` as bounded proptest runs (a
//! fixed number of cases, a few seconds each in CI), plus a replay of the
//! committed corpus in `fuzz/corpus/<target>/`. cargo-fuzz runs the same
//! functions without a bound (see `fuzz/README.md`).

use proptest::prelude::*;
use std::path::PathBuf;
use test_support::fuzzing;

/// Characters that matter to the parsers, so that random strings hit them.
const TRICKY: &str = r"[/\\@%.:;?#\[\]a-zA-Z0-9_\-\r\n\t\x00 ,{}\x22\u{e9}\u{7f}]{0,48}";

/// Header names either side may treat specially: the plugin's reserved list
/// and others.
fn known_headers() -> Vec<&'static str> {
    let mut v: Vec<&str> = plugin::config::RESERVED_HEADERS
        .into_iter()
        .filter(|h| !h.ends_with('*'))
        .collect();
    v.extend([
        "expect",
        "proxy-authorization",
        "proxy-connection",
        "accept",
        "x-request-tag",
        "user-agent",
        "trailer",
        "set-cookie",
    ]);
    v
}

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn config_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::config(&data);
    }

    #[test]
    fn config_shaped(template in "[a-z\\-]{0,24}", url in TRICKY, headers in TRICKY) {
        let c = serde_json::json!({"template": template});
        fuzzing::config(c.to_string().as_bytes());
        let c = serde_json::json!({"url": format!("https://api.ashbyhq.com{url}")});
        fuzzing::config(c.to_string().as_bytes());
        let c = serde_json::json!({"template": "create-candidate", "headers": headers});
        fuzzing::config(c.to_string().as_bytes());
    }

    #[test]
    fn known_header_names_agree_between_plugin_and_host(
        name in proptest::sample::select(known_headers()),
        upper in proptest::collection::vec(any::<bool>(), 24),
        value in TRICKY,
    ) {
        let name: String = name
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c })
            .collect();
        fuzzing::headers(format!("{name}:{value}").as_bytes());
        fuzzing::headers(format!("{name}\n{value}").as_bytes());
    }

    #[test]
    fn headers(name in TRICKY, value in TRICKY) {
        fuzzing::headers(format!("{name}\n{value}").as_bytes());
        fuzzing::headers(format!("{name}:{value}").as_bytes());
    }

    #[test]
    fn url_path(s in TRICKY) {
        fuzzing::url_path(s.as_bytes());
        fuzzing::url_path(format!("/{s}").as_bytes());
        fuzzing::url_path(format!("http://127.0.0.1:{s}").as_bytes());
        fuzzing::url_path(format!("https://{s}").as_bytes());
    }

    #[test]
    fn record(data in proptest::collection::vec(any::<u8>(), 0..256), s in TRICKY) {
        fuzzing::record(&data);
        fuzzing::record(s.as_bytes());
        fuzzing::record(serde_json::json!({"name": s, "email": s, "phoneNumber": s}).to_string().as_bytes());
    }

    #[test]
    fn response(status in 0u16..600, body in TRICKY, data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::response(&data);
        let mut d = status.to_be_bytes().to_vec();
        d.extend_from_slice(body.as_bytes());
        fuzzing::response(&d);
        let envelope = serde_json::json!({"success": false, "errorInfo": {"code": body, "message": body}, "errors": [body]});
        let mut d = status.to_be_bytes().to_vec();
        d.extend_from_slice(envelope.to_string().as_bytes());
        fuzzing::response(&d);
    }
}

#[test]
fn nesting_100_000_levels_deep_is_refused_without_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    fuzzing::record(deep.as_bytes());
    fuzzing::config(deep.as_bytes());
    let mut d = vec![0, 200];
    d.extend_from_slice(deep.as_bytes());
    fuzzing::response(&d);
}

#[test]
fn the_committed_corpus_replays_cleanly() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, target) in fuzzing::TARGETS {
        let dir = root.join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            target(&std::fs::read(&path).unwrap());
            n += 1;
        }
        assert!(n >= 3, "{name}: only {n} corpus files");
    }
}
