//! `mock`: the mock Ashby, standalone.

use anyhow::Context as _;
use mock_ashby::{MockAshby, MockConfig};

pub async fn run(port: u16, api_key: Option<String>) -> anyhow::Result<u8> {
    let mut cfg = MockConfig {
        port,
        ..MockConfig::default()
    };
    if let Some(k) = api_key {
        cfg.api_keys = vec![k];
    }
    let mock = MockAshby::start(cfg)?;
    println!("mock Ashby listening on {}", mock.base_url());
    println!("API key: {}", mock.api_key());
    println!("(Ctrl-C to stop)");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    mock.shutdown();
    Ok(0)
}
