//! Data-driven: one case per template in templates.json, using the
//! template's own `example`. A new template is tested by adding it (with an
//! example) to templates.json; no new test code.

use destination_host::deliver::{self, Options};
use destination_host::sandbox::{InputRecord, Limits};
use e2e::*;
use serde_json::{Value, json};

#[test]
fn every_template_delivers_against_the_mock() {
    let mut failures = Vec::new();
    for (t, example) in templates_with_examples() {
        let r: Result<(), String> = rt().block_on(async {
            let mock = mock();
            let vars = prerequisites(&mock).await;
            mock.clear_requests();
            let record = substitute(&example, &vars);
            let report = deliver::run(
                runtime(),
                &tenant(&mock),
                &config_for(&t),
                items(&[record]),
                Options::default(),
            )
            .await
            .map_err(|e| format!("{e:#}"))?;
            let s = &report.summary;
            if s.delivered != 1 || s.input != 1 || s.requests != 1 {
                return Err(format!("summary {s:?}"));
            }
            let reqs = mock.requests();
            let req = reqs.last().ok_or("the mock saw no request")?;
            if req.path != t.endpoint || req.success != Some(true) {
                return Err(format!("mock saw {} success={:?}", req.path, req.success));
            }
            if req.header("authorization") != Some("Basic ****")
                || req.api_key.as_deref() != Some(mock.api_key())
            {
                return Err("the request did not carry the tenant's key".into());
            }
            let resp = report
                .responses
                .first()
                .ok_or("no response-webhook record")?;
            if resp["success"] != json!(true)
                || resp["index"] != json!(0)
                || resp["request_id"].as_str().is_none()
            {
                return Err(format!("response record {resp}"));
            }
            if t.result_id.is_some() && resp["id"].as_str().is_none() {
                return Err(format!("no id in response record {resp}"));
            }
            Ok(())
        });
        if let Err(e) = r {
            failures.push(format!("{}: {e}", t.id));
        }
    }
    assert!(
        failures.is_empty(),
        "templates that failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_template_rejects_a_missing_required_field_locally() {
    for (t, example) in templates_with_examples() {
        let Some(field) = t.required.first() else {
            continue;
        };
        rt().block_on(async {
            let mock = mock();
            let vars = prerequisites(&mock).await;
            mock.clear_requests();
            let mut record = substitute(&example, &vars);
            let obj = record.as_object_mut().unwrap();
            obj.remove(field);
            for a in t.aliases.iter().filter(|a| &a.to == field) {
                obj.remove(&a.from);
            }
            let dir = tempfile::tempdir().unwrap();
            let dl = dir.path().join("dl.jsonl");
            let report = deliver::run(
                runtime(),
                &tenant(&mock),
                &config_for(&t),
                items(&[record.clone()]),
                Options {
                    dead_letter: Some(dl.clone()),
                    ..Options::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(report.summary.dead_lettered, 1, "{}", t.id);
            assert_eq!(
                report.summary.requests, 0,
                "{}: a local rejection must not be sent",
                t.id
            );
            assert!(mock.requests().is_empty(), "{}", t.id);
            let line: Value =
                serde_json::from_str(std::fs::read_to_string(&dl).unwrap().trim()).unwrap();
            assert_eq!(line["code"], "missing_field", "{}", t.id);
            assert_eq!(line["index"], 0);
            assert_eq!(
                line["record"], record,
                "the dead letter keeps the record unchanged"
            );
            assert!(
                line["reason"].as_str().unwrap().contains(field.as_str()),
                "{}: {line}",
                t.id
            );
        });
    }
}

/// `sample-payload` for each example, compared with `tests/snapshots/<id>.json`.
/// Bless with `BLESS=1 cargo test -p e2e`.
#[test]
fn sample_payload_snapshots() {
    let bless = std::env::var_os("BLESS").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let mut failures = Vec::new();
    for (t, example) in templates_with_examples() {
        let got = rt().block_on(async {
            let mock = mock();
            let mut inst = runtime().instantiate(&tenant(&mock), &Limits::default()).await.unwrap();
            inst.configure(&config_for(&t)).await.unwrap().unwrap();
            // Fixed ids, so the snapshot does not change from run to run.
            let vars: std::collections::HashMap<String, String> = [
                "candidate", "application", "job", "opening", "team", "location", "source", "user",
                "interview_plan", "custom_field",
            ]
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), format!("00000000-0000-4000-8000-{:012}", i + 1)))
            .collect();
            let example = substitute(&example, &vars);
            let mut unknown = example.clone();
            unknown["upstreamNote"] = json!("passed through");
            let s = inst
                .sample(vec![
                    InputRecord { index: 0, json: example.to_string(), maybe_applied: false },
                    InputRecord { index: 1, json: unknown.to_string(), maybe_applied: false },
                ])
                .await
                .unwrap()
                .unwrap();
            assert!(mock.requests().is_empty(), "sample-payload made a request");
            json!({
                "requests": s.requests.iter().map(|r| json!({
                    "method": r.method.as_str(), "path": r.path,
                    "headers": r.headers.iter().map(|h| json!([h.name, h.value])).collect::<Vec<_>>(),
                    "body": serde_json::from_str::<Value>(&r.body).unwrap(),
                    "records": r.records,
                })).collect::<Vec<_>>(),
                "problems": s.problems.iter().map(|p| json!({
                    "index": p.index, "severity": match p.severity {
                        destination_host::sandbox::Severity::Error => "error",
                        destination_host::sandbox::Severity::Warning => "warning",
                    }, "code": p.code,
                    "field": p.field, "message": p.message,
                })).collect::<Vec<_>>(),
            })
        });
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        let path = dir.join(format!("{}.json", t.id));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == text => {}
            Ok(want) => failures.push(format!(
                "{}: snapshot differs\n--- want\n{want}\n--- got\n{text}",
                t.id
            )),
            Err(_) => failures.push(format!(
                "{}: no snapshot at {} (run with BLESS=1)",
                t.id,
                path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
