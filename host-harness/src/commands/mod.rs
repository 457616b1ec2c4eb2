//! The commands, one module each; this module holds what several share:
//! loading the component, reading the config, the tenant to send as, and
//! how a planned request is shown.

pub mod bench;
pub mod check;
pub mod component;
pub mod config;
pub mod demo;
pub mod describe;
pub mod mock;
pub mod sample;
pub mod send;
pub mod templates;
pub mod test;

use anyhow::Context as _;
use destination_host::http_import::Origin;
use destination_host::sandbox::{PlannedRequest, Sandbox, Tenant};
use destination_host::secret::{ApiKey, REDACTED_AUTHORIZATION};
use mock_ashby::{MockAshby, MockConfig};
use serde_json::{Value, json};
use std::path::PathBuf;

/// The plugin component, embedded in the binary so an installed copy works
/// anywhere.
static PLUGIN: &[u8] = include_bytes!(env!("PLUGIN_WASM"));

/// The component to run: `--plugin FILE`, or the plugin built into this
/// program.
pub fn load_sandbox(plugin: &Option<PathBuf>) -> anyhow::Result<Sandbox> {
    match plugin {
        Some(path) => Sandbox::from_file(path),
        None => Sandbox::with_options(
            PLUGIN,
            &destination_host::engine::SandboxOptions::from_env(),
        )
        .context("loading the built-in component"),
    }
}

/// A tenant for the dry paths (sample): nothing is sent.
pub fn offline_tenant() -> anyhow::Result<Tenant> {
    Ok(Tenant {
        name: "offline".into(),
        origin: Origin::ashby(),
        key: ApiKey::new("offline-no-key")?,
    })
}

/// Where to send: a real origin with ASHBY_API_KEY, or the embedded mock.
pub fn tenant_for(base_url: Option<String>) -> anyhow::Result<(Tenant, Option<MockAshby>)> {
    match base_url {
        Some(url) => {
            let origin = Origin::parse(&url).context("--base-url")?;
            let key = ApiKey::from_env()?;
            Ok((
                Tenant {
                    name: "default".into(),
                    origin,
                    key,
                },
                None,
            ))
        }
        None => {
            let mock =
                MockAshby::start(MockConfig::default()).context("starting the embedded mock")?;
            tracing::info!(
                "no --base-url given: sending to the embedded mock Ashby at {}",
                mock.base_url()
            );
            let tenant = Tenant {
                name: "default".into(),
                origin: Origin::parse(&mock.base_url())?,
                key: ApiKey::new(mock.api_key())?,
            };
            Ok((tenant, Some(mock)))
        }
    }
}

/// A planned request as `sample` and `test` show it: the URL, and the
/// headers exactly as the host sends them, the credential redacted.
pub fn shown_request(origin: &Origin, r: &PlannedRequest) -> Value {
    let mut headers = serde_json::Map::new();
    headers.insert("Authorization".into(), json!(REDACTED_AUTHORIZATION));
    for (name, value) in destination_host::http_import::HOST_HEADERS {
        headers.insert(name.into(), json!(value));
    }
    for h in &r.headers {
        headers.insert(h.name.clone(), json!(h.value));
    }
    json!({
        "method": r.method.as_str(),
        "url": format!("{}{}", origin.as_str(), r.path),
        "headers": headers,
        "body": serde_json::from_str::<Value>(&r.body).unwrap_or_else(|_| json!(r.body)),
        "records": r.records,
    })
}
