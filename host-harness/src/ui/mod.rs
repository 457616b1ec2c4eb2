//! `ui`: a one-page browser UI for configuring the connector, served on
//! 127.0.0.1 only. A thin layer over the host library: every answer comes
//! from the component through the same [`Sandbox`], tenant, policy and
//! limits `send` uses (`describe` renders the form; `configure` and
//! `sample-payload` on a fresh instance draw the sample; `send` delivers
//! a test record).
//!
//! Modules: `guard` (token, Host and Origin checks), `server` (the hyper
//! accept loop and routing), `api` (the JSON calls), `save` (Save and the
//! `send` command line), `assets` (the page, embedded in the binary).

mod api;
mod assets;
mod guard;
mod save;
mod server;

use crate::commands::{config, load_sandbox, tenant_for};
use anyhow::Context as _;
use destination_host::input::{self, CellTypes};
use destination_host::sandbox::{Limits, Sandbox, Tenant};
use mock_ashby::MockAshby;
use serde_json::Value;
use std::path::PathBuf;

/// What `ui` was started with.
pub struct UiArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// A config to start from, and where Save writes.
    pub config: Option<PathBuf>,
    /// Records to start with.
    pub input: Option<PathBuf>,
    /// A real origin (needs `ASHBY_API_KEY`); default: the embedded mock.
    pub base_url: Option<String>,
    /// Another component of the same world.
    pub plugin: Option<PathBuf>,
    /// Per-instance sandbox limits.
    pub limits: Limits,
    /// `--rate`, `--coordination` and `--workers` as given (when not the
    /// defaults), for the `send` command line Save shows.
    pub pacing: Vec<String>,
}

/// The pacing flags `ui` was started with, as `send` takes them; a Redis
/// URL that carries a password is shown as `$REDIS_URL`, never spelled out.
pub fn pacing_flags(rate: &str, coordination: Option<&str>, workers: u32) -> Vec<String> {
    let mut words = Vec::new();
    if rate != crate::args::DEFAULT_RATE {
        words.extend(["--rate".to_owned(), rate.to_owned()]);
    }
    if let Some(url) = coordination {
        let shown = if url.contains('@') { "$REDIS_URL" } else { url };
        words.extend(["--coordination".to_owned(), shown.to_owned()]);
        if workers != 1 {
            words.extend(["--workers".to_owned(), workers.to_string()]);
        }
    }
    words
}

/// Everything the handlers share; read-only after start.
pub struct Ui {
    sandbox: Sandbox,
    /// `describe`, parsed: `config_schema`, `catalog`, `checks`.
    description: Value,
    /// The tenant test data goes to (the embedded mock's, or the real one).
    tenant: Tenant,
    /// Kept alive while the UI runs; `None` against `--base-url`.
    mock: Option<MockAshby>,
    args: UiArgs,
    /// The config file's JSON, when `--config` was given and readable.
    initial_config: Option<Value>,
    /// The `--input` records (as `api::items_json` shows them), read by
    /// the library's input reader.
    initial_records: Value,
}

/// How many `--input` records the page is given at most.
const MAX_INITIAL_RECORDS: usize = 1000;

/// Runs the UI until Ctrl-C.
pub async fn run(args: UiArgs) -> anyhow::Result<u8> {
    let sandbox = load_sandbox(&args.plugin)?;
    let description = crate::commands::describe::describe_with(&sandbox).await?;
    let (tenant, mock) = tenant_for(args.base_url.clone())?;
    let initial_config = match &args.config {
        Some(p) if p.exists() => Some(read_json(p)?),
        _ => None,
    };
    let mut ui = Ui {
        sandbox,
        description,
        tenant,
        mock,
        args,
        initial_records: Value::Null,
        initial_config,
    };
    if ui.args.input.is_some() {
        let cells = cell_types(&ui, ui.initial_config.as_ref().unwrap_or(&Value::Null));
        let (format, items) = read_input(&ui, cells)?;
        ui.initial_records = api::items_json(format, items.take(MAX_INITIAL_RECORDS));
    }
    let token = guard::new_token()?;
    let running = server::start(ui, token).await?;
    println!("host-harness ui: open {}", running.url());
    match running.target() {
        Some(mock) => println!("test data goes to the embedded mock Ashby at {mock}"),
        None => println!("test data goes to the real origin (asks before each send)"),
    }
    println!("(Ctrl-C to stop)");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(0)
}

/// The CSV column types `send` would use for `config` (from the built-in
/// catalog; none with `--plugin`).
fn cell_types(ui: &Ui, config: &Value) -> CellTypes {
    config::cell_types(&config.to_string(), ui.args.plugin.is_none())
}

/// The `--input` file, opened as `send` opens it, and its format.
fn read_input(ui: &Ui, cells: CellTypes) -> anyhow::Result<(input::Format, input::Items)> {
    let path = ui.args.input.as_ref().context("no --input was given")?;
    let source = input::Source {
        path: path.clone(),
        format: None,
        cells,
    };
    Ok((source.format()?, input::open_source(&source)?))
}

fn read_json(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}
