//! `host-harness`: run, test and demo the Ashby destination component.
//!
//! Exit codes: 0 every record delivered; 1 finished with some records
//! dead-lettered; 2 could not run or halted.
//!
//! This file parses the command line and dispatches; each command is a
//! module of `commands/`, the shared flags are in `args.rs`.

use args::{Common, Delivery, LimitArgs};
use clap::{Parser, Subcommand};
use destination_host::input;
use std::path::PathBuf;
use std::process::ExitCode;

mod args;
mod commands;
mod log;
mod progress;
mod ui;

/// The plugin component built by `build.rs` for `wasm32-wasip2`.
pub const PLUGIN_WASM: &str = env!("PLUGIN_WASM");

#[derive(Parser)]
#[command(
    name = "host-harness",
    version,
    about = "Run the sandboxed Ashby destination component"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the endpoint templates (from the component's catalog).
    Templates {
        /// Load another component of the same world instead of the built-in plugin.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
    /// Print what the component says about itself as JSON: the config's
    /// JSON Schema, the catalog and the checks.
    Describe {
        /// Load another component of the same world instead of the built-in plugin.
        #[arg(long)]
        plugin: Option<PathBuf>,
        /// Only this template's catalog entry.
        #[arg(long)]
        template: Option<String>,
    },
    /// Run every check the component offers (read requests only) and print
    /// a table; exit 2 when one fails.
    Check {
        /// Destination config (JSON).
        #[arg(long)]
        config: PathBuf,
        /// Ashby origin; needs ASHBY_API_KEY. Default: the embedded mock.
        #[arg(long)]
        base_url: Option<String>,
        /// Load another component of the same world instead of the built-in plugin.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
    /// Show the exact requests for the first records. No network.
    Sample {
        #[command(flatten)]
        common: Common,
        /// How many records to sample.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Send every record; without --base-url, to the embedded mock.
    Send {
        #[command(flatten)]
        common: Common,
        /// Write dead-lettered records (JSON Lines) here.
        #[arg(long)]
        dead_letter: Option<PathBuf>,
        #[command(flatten)]
        delivery: Delivery,
    },
    /// Send test data: show the request for one record, send only it.
    Test {
        #[command(flatten)]
        common: Common,
        /// 0-based position of the record in the input.
        #[arg(long)]
        record: u64,
        /// Ashby origin; needs ASHBY_API_KEY and --yes.
        #[arg(long)]
        base_url: Option<String>,
        /// Confirm a real write to --base-url.
        #[arg(long)]
        yes: bool,
    },
    /// Re-send the records of a dead-letter file (after fixing the data or
    /// the config), keeping their original indexes in every output.
    Replay {
        /// Destination config (JSON).
        #[arg(long)]
        config: PathBuf,
        /// The dead-letter file to replay; give `--dead-letter` a second time
        /// for where this run's dead letters go.
        #[arg(long = "dead-letter", required = true, num_args = 1, action = clap::ArgAction::Append)]
        dead_letter: Vec<PathBuf>,
        /// Load another component of the same world.
        #[arg(long)]
        plugin: Option<PathBuf>,
        #[command(flatten)]
        delivery: Delivery,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Serve a one-page browser UI on 127.0.0.1 for configuring the
    /// connector: settings from the component's `describe`, the sample
    /// payload updated on every change, test data edited and sent.
    Ui {
        /// Port on 127.0.0.1 (0 = any).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// A config to start from; Save can write it back.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Records to start with: .jsonl, .json (array) or .csv.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Ashby origin for Send Test Data; needs ASHBY_API_KEY. Default:
        /// the embedded mock.
        #[arg(long)]
        base_url: Option<String>,
        /// Load another component of the same world instead of the built-in plugin.
        #[arg(long)]
        plugin: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run the mock Ashby standalone.
    Mock {
        /// Port on 127.0.0.1 (0 = any).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The API key the mock accepts (default: a random one).
        #[arg(long)]
        api_key: Option<String>,
    },
    /// Measure the performance targets and print them as a table
    /// (see BENCHMARKS.md). Run it in release.
    Bench {
        /// Run only these scenarios: native, instantiate, startup, tenants, e2e.
        #[arg(long)]
        only: Vec<String>,
        /// Tiny sizes: proves the command works; the numbers mean little.
        #[arg(long)]
        quick: bool,
        /// The Python client for the e2e comparison.
        #[arg(long, default_value = "bench/python_client.py")]
        python_client: PathBuf,
    },
    /// Write the component as a shipped artifact, with its name, version,
    /// description, license and source revision embedded.
    Component {
        /// Where to write the `.wasm`.
        #[arg(long)]
        out: PathBuf,
    },
    /// The main job: a chained flow against the embedded mock.
    Demo {
        /// Folder holding the demo's configs and inputs.
        #[arg(long, default_value = "examples/demo")]
        dir: PathBuf,
        /// Load another component of the same world instead of the built-in plugin.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    log::init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let msg = match e.downcast_ref::<destination_host::sandbox::ConfigRefused>() {
                Some(c) => format!("the config was refused: {c}"),
                None => format!("{e:#}"),
            };
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Templates { plugin } => commands::templates::run(&plugin).await,
        Command::Describe { plugin, template } => commands::describe::run(&plugin, template).await,
        Command::Check {
            config,
            base_url,
            plugin,
        } => commands::check::run(&config, base_url, &plugin).await,
        Command::Sample { common, limit } => commands::sample::run(&common, limit).await,
        Command::Send {
            common,
            dead_letter,
            delivery,
        } => {
            let path = common.input.clone();
            let opts = delivery.options(
                &common.limits,
                dead_letter,
                input::count(&common.input),
                move || input::open(&path),
            )?;
            let items = input::open(&common.input)?;
            commands::send::run(&common, items, &delivery, opts).await
        }
        Command::Test {
            common,
            record,
            base_url,
            yes,
        } => commands::test::run(&common, record, base_url, yes).await,
        Command::Replay {
            config,
            dead_letter,
            plugin,
            delivery,
            limits,
        } => {
            if dead_letter.len() > 2 {
                anyhow::bail!(
                    "give --dead-letter at most twice: the file to replay, then where to write"
                );
            }
            let input = dead_letter[0].clone();
            if dead_letter.get(1) == Some(&input) {
                anyhow::bail!(
                    "the replay's own dead letters must go to another file than {}",
                    input.display()
                );
            }
            let path = input.clone();
            let opts = delivery.options(&limits, dead_letter.get(1).cloned(), None, move || {
                input::open_dead_letters(&path)
            })?;
            let items = input::open_dead_letters(&input)?;
            let common = Common {
                config,
                input,
                plugin,
                limits,
            };
            commands::send::run(&common, items, &delivery, opts).await
        }
        Command::Component { out } => commands::component::run(&out),
        Command::Ui {
            port,
            config,
            input,
            base_url,
            plugin,
            limits,
        } => {
            ui::run(ui::UiArgs {
                port,
                config,
                input,
                base_url,
                plugin,
                limits: limits.apply(destination_host::sandbox::Limits::default()),
            })
            .await
        }
        Command::Mock { port, api_key } => commands::mock::run(port, api_key).await,
        Command::Demo { dir, plugin } => {
            commands::demo::run(&dir, commands::load_sandbox(&plugin)?).await
        }
        Command::Bench {
            only,
            quick,
            python_client,
        } => commands::bench::run(only, quick, python_client).await,
    }
}
