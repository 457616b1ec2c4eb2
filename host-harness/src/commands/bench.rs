//! `bench`: the performance targets, measured (see BENCHMARKS.md).

use anyhow::Context as _;
use std::path::PathBuf;

pub async fn run(only: Vec<String>, quick: bool, python_client: PathBuf) -> anyhow::Result<u8> {
    let opts = connector_bench::BenchOptions {
        only,
        quick,
        exe: std::env::current_exe().context("finding this program")?,
        python_client,
        plugin_wasm: crate::PLUGIN_WASM.into(),
        work_dir: None,
    };
    let rows = connector_bench::run(&opts).await?;
    print!("{}", connector_bench::table(&rows));
    Ok(0)
}

/// The hidden `bench-native-client` command: prints `{"ok":N,"failed":M}`.
pub async fn native_client(
    url: &str,
    input: &std::path::Path,
    connections: usize,
) -> anyhow::Result<u8> {
    let key = std::env::var("ASHBY_API_KEY").context("ASHBY_API_KEY is not set")?;
    let d = connector_bench::native_client::run(url, &key, input, connections).await?;
    println!("{}", serde_json::json!({"ok": d.ok, "failed": d.failed}));
    Ok(0)
}
