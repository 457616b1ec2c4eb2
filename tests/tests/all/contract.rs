//! The WIT contract as the host sees it: configure's typed refusals (each
//! naming the offending key), calls before configure, and the sandbox's
//! reserved-header policy.

use destination_host::sandbox::{CallError, ConfigError, InputRecord, Limits};
use e2e::*;

fn configure(config: &str) -> Result<destination_host::sandbox::ConfigSummary, ConfigError> {
    rt().block_on(async {
        let mock = mock();
        let mut inst = runtime()
            .instantiate(&tenant(&mock), &Limits::default())
            .await
            .unwrap();
        inst.configure(config).await.unwrap()
    })
}

fn refused_key(config: &str) -> (String, String) {
    match configure(config) {
        Ok(s) => panic!("accepted {config}: {s:?}"),
        Err(ConfigError::UnknownKey(k)) => (k, "unknown".into()),
        Err(ConfigError::Missing(p)) | Err(ConfigError::Invalid(p)) => (p.key, p.reason),
        Err(ConfigError::Malformed(m)) => ("<malformed>".into(), m),
        Err(ConfigError::AlreadyConfigured) => ("<again>".into(), String::new()),
    }
}

/// Configs `configure` refuses, each with the key it names (also the
/// corpus `describe`'s schema must refuse).
pub const REFUSED: &[(&str, &str)] = &[
    (
        r#"{"template":"create-candidate","colour":"red"}"#,
        "colour",
    ),
    (r#"{"template":"no-such-template"}"#, "template"),
    (r#"{}"#, "template"),
    (
        r#"{"url":"http://api.ashbyhq.com/candidate.create"}"#,
        "url",
    ),
    (
        r#"{"url":"https://evil.example.com/candidate.create"}"#,
        "url",
    ),
    (
        r#"{"url":"https://user@api.ashbyhq.com/candidate.create"}"#,
        "url",
    ),
    (
        r#"{"url":"https://api.ashbyhq.com:8443/candidate.create"}"#,
        "url",
    ),
    (
        r#"{"url":"https://api.ashbyhq.com/../candidate.create"}"#,
        "url",
    ),
    (
        r#"{"url":"https://api.ashbyhq.com/candidate.create?x=1"}"#,
        "url",
    ),
    (
        r#"{"url":"https://api.ashbyhq.com/candidate.create#frag"}"#,
        "url",
    ),
    (
        r#"{"url":"https://api.ashbyhq.com/candidate.create","method":"GET"}"#,
        "method",
    ),
    (
        r#"{"template":"create-candidate","headers":"Authorization:Basic abc"}"#,
        "headers",
    ),
    (
        r#"{"template":"create-candidate","headers":"x-a:1\r\nHost: evil"}"#,
        "headers",
    ),
    (
        r#"{"template":"create-candidate","headers":"Host:evil.example.com"}"#,
        "headers",
    ),
    (
        r#"{"template":"start-offer-process"}"#,
        "confirm_side_effects",
    ),
    (
        r#"{"template":"start-offer-process","confirm_side_effects":false}"#,
        "confirm_side_effects",
    ),
    (
        r#"{"template":"create-candidate","response_webhook":"yes"}"#,
        "response_webhook",
    ),
    (
        r#"{"template":"create-candidate","exclude":"email"}"#,
        "exclude",
    ),
];

/// Configs `configure` accepts (also the corpus `describe`'s schema must
/// accept).
pub const ACCEPTED: &[&str] = &[
    r#"{"template":"create-job"}"#,
    r#"{"url":"https://api.ashbyhq.com/candidate.addTag","method":"post"}"#,
];

#[test]
fn each_config_refusal_names_its_key() {
    for (config, key) in REFUSED {
        let (got, reason) = refused_key(config);
        assert_eq!(&got, key, "config {config} refused with reason {reason:?}");
        assert!(
            !reason.is_empty() || got == "colour",
            "no reason for {config}"
        );
    }
    let (_, reason) = refused_key(r#"{"template":"start-offer-process"}"#);
    assert!(
        reason.contains("notification") || reason.contains("approval"),
        "{reason}"
    );
}

#[test]
fn a_good_config_is_summarised() {
    let s = configure(ACCEPTED[0]).unwrap();
    assert_eq!(s.endpoint, "/job.create");
    assert_eq!(s.method, "POST");
    assert_eq!(s.permission.as_deref(), Some("jobsWrite"));
    let m = configure(ACCEPTED[1]).unwrap();
    assert_eq!(m.endpoint, "/candidate.addTag");
    assert_eq!(m.template, None);
}

#[test]
fn calls_before_configure_are_refused_and_configure_runs_once() {
    rt().block_on(async {
        let mock = mock();
        let mut inst = runtime()
            .instantiate(&tenant(&mock), &Limits::default())
            .await
            .unwrap();
        let rec = vec![InputRecord {
            index: 0,
            json: "{}".into(),
            maybe_applied: false,
        }];
        assert!(matches!(
            inst.send(rec.clone()).await.unwrap(),
            Err(CallError::NotConfigured)
        ));
        assert!(matches!(
            inst.sample(rec).await.unwrap(),
            Err(CallError::NotConfigured)
        ));
        inst.configure(r#"{"template":"create-candidate"}"#)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            inst.configure(r#"{"template":"create-candidate"}"#)
                .await
                .unwrap(),
            Err(ConfigError::AlreadyConfigured)
        ));
        assert!(mock.requests().is_empty());
    });
}
