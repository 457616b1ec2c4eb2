//! Credential confinement: the API key never enters the guest's linear
//! memory, and two tenants sending at once through one host each send with
//! their own key.

use base64::Engine as _;
use destination_host::deliver::{self, Options};
use destination_host::input::InputItem;
use destination_host::sandbox::{InputRecord, Limits, Outcome};
use e2e::*;
use mock_ashby::{MockAshby, MockConfig};
use serde_json::json;

const KEY_A: &str = "sk-tenant-a-8d3f1e9c0b7a6d5e4f3a2b1c";
const KEY_B: &str = "sk-tenant-b-1a2b3c4d5e6f7a8b9c0d1e2f";

fn forms(key: &str) -> Vec<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        key.as_bytes().to_vec(),
        b64.encode(format!("{key}:")).into_bytes(),
        b64.encode(key).into_bytes(),
    ]
}

#[test]
fn the_api_key_never_enters_guest_memory() {
    rt().block_on(async {
        let mock = MockAshby::start(MockConfig {
            api_keys: vec![KEY_A.into()],
            ..MockConfig::default()
        })
        .unwrap();
        let bytes = std::fs::read(test_support::PLUGIN_WASM).unwrap();
        let (runtime, inspector) = test_support::inspect::inspectable(&bytes).unwrap();
        let t = tenant_at("scanned", &mock.base_url(), KEY_A);
        let mut inst = runtime.instantiate(&t, &Limits::default()).await.unwrap();
        inst.configure(r#"{"template":"create-candidate","response_webhook":true}"#)
            .await
            .unwrap()
            .unwrap();
        let marker = "Marker-5ec2e7-Lovelace";
        let out = inst
            .send(vec![
                InputRecord {
                    index: 0,
                    json: json!({"name": marker}).to_string(),
                    maybe_applied: false,
                },
                InputRecord {
                    index: 1,
                    json: json!({"name": "Second Record"}).to_string(),
                    maybe_applied: false,
                },
            ])
            .await
            .unwrap()
            .unwrap();
        for o in &out {
            assert!(matches!(o.outcome, Outcome::Delivered(_)), "{o:?}");
        }
        // The requests carried the key (the mock checked it)...
        assert!(
            mock.requests()
                .iter()
                .all(|r| r.api_key.as_deref() == Some(KEY_A))
        );
        assert!(inspector.memories() >= 1);
        assert!(inspector.total_bytes() > 0);
        // ...the scan sees what did pass through the guest...
        assert!(inspector.count(marker.as_bytes()) > 0, "the scan is blind");
        // ...and never the key, in any form.
        for form in forms(KEY_A) {
            assert_eq!(
                inspector.count(&form),
                0,
                "a form of the key is in guest memory"
            );
        }
    });
}

fn items(tenant: &str, n: u64) -> destination_host::input::Items {
    let v: Vec<InputItem> = (0..n)
        .map(|i| InputItem::Record {
            index: i,
            json: json!({"name": format!("{tenant} Candidate {i}")}).to_string(),
        })
        .collect();
    Box::new(v.into_iter())
}

#[test]
fn concurrent_tenants_each_send_with_their_own_key() {
    rt().block_on(async {
        let mock = MockAshby::start(MockConfig {
            api_keys: vec![KEY_A.into(), KEY_B.into()],
            ..MockConfig::default()
        })
        .unwrap();
        let opts = Options {
            concurrency: 4,
            chunk: 3,
            limits: Limits {
                rate: None,
                ..Limits::default()
            },
            ..Options::default()
        };
        let config = r#"{"template":"create-candidate"}"#;
        let a = tenant_at("alpha", &mock.base_url(), KEY_A);
        let b = tenant_at("bravo", &mock.base_url(), KEY_B);
        let run_a = tokio::spawn({
            let opts = opts.clone();
            async move {
                deliver::run(runtime(), &a, config, items("Alpha", 40), opts)
                    .await
                    .unwrap()
            }
        });
        let run_b = tokio::spawn(async move {
            deliver::run(runtime(), &b, config, items("Bravo", 40), opts)
                .await
                .unwrap()
        });
        let (ra, rb) = (run_a.await.unwrap(), run_b.await.unwrap());
        assert_eq!(ra.summary.delivered, 40);
        assert_eq!(rb.summary.delivered, 40);
        let reqs = mock.requests();
        assert_eq!(reqs.len(), 80);
        let (mut seen_a, mut seen_b) = (0, 0);
        for r in &reqs {
            let name = r.body["name"].as_str().unwrap();
            let want = if name.starts_with("Alpha") {
                seen_a += 1;
                KEY_A
            } else {
                seen_b += 1;
                KEY_B
            };
            assert_eq!(r.api_key.as_deref(), Some(want), "{name}");
        }
        assert_eq!((seen_a, seen_b), (40, 40));
    });
}

fn unpaced() -> Limits {
    Limits {
        rate: None,
        ..Limits::default()
    }
}

/// An origin that reflects the request's headers (in its body and in a
/// response header) hands the guest `****`, never the key: the guest's
/// memory holds no form of it after the exchange.
#[test]
fn a_reflecting_origin_hands_the_guest_no_key() {
    rt().block_on(async {
        let origin = ReflectServer::start();
        let bytes = std::fs::read(test_support::HOSTILE_WASM).unwrap();
        let (runtime, inspector) = test_support::inspect::inspectable(&bytes).unwrap();
        let t = tenant_at("reflected", &origin.base_url(), KEY_A);
        let mut inst = runtime.instantiate(&t, &unpaced()).await.unwrap();
        inst.configure("probe").await.unwrap().unwrap();
        let record = InputRecord {
            index: 0,
            json: json!({}).to_string(),
            maybe_applied: false,
        };
        let out = inst.send(vec![record]).await.unwrap().unwrap();
        let Outcome::Rejected(r) = &out[0].outcome else {
            panic!("{:?}", out[0].outcome)
        };
        assert_eq!(r.code, "answered", "{}", r.message);
        assert!(r.message.contains("x-echo: Basic ****"), "{}", r.message);
        assert!(
            r.message.contains("authorization: Basic ****"),
            "{}",
            r.message
        );
        assert!(inspector.count(b"Basic ****") > 0, "the scan is blind");
        for form in forms(KEY_A) {
            assert_eq!(
                inspector.count(&form),
                0,
                "a reflected key is in guest memory"
            );
        }
    });
}

/// What the guest then writes (its outcome message, dead-lettered) holds no
/// form of the key either.
#[test]
fn a_reflecting_origin_leaves_no_key_in_any_file() {
    rt().block_on(async {
        let origin = ReflectServer::start();
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let opts = Options {
            dead_letter: Some(dead.clone()),
            limits: unpaced(),
            ..Options::default()
        };
        let t = tenant_at("reflected", &origin.base_url(), KEY_A);
        let input = e2e::items(&[json!({}), json!({"headers": [["x-tag", "1"]]})]);
        let report = deliver::run(hostile(), &t, "probe", input, opts)
            .await
            .unwrap();
        assert_eq!(report.summary.dead_lettered, 2, "{:?}", report.summary);
        let text = std::fs::read(&dead).unwrap();
        assert!(
            String::from_utf8_lossy(&text).contains("Basic ****"),
            "the reflection reached the file, redacted"
        );
        for form in forms(KEY_A) {
            assert!(
                !text.windows(form.len()).any(|w| w == form.as_slice()),
                "a form of the key is in the dead-letter file"
            );
        }
    });
}
