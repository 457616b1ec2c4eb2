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
