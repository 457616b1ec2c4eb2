//! `host-harness`: run, test and demo the Ashby destination component.
//!
//! Exit codes: 0 every record delivered; 1 finished with some records
//! dead-lettered (for `sample --strict` and `test`: a record with an error);
//! 2 could not run or halted (an outage longer than `--max-outage` too);
//! 130/143 `send`/`replay` stopped by SIGINT/SIGTERM; 141 standard output
//! was closed by its reader.
//!
//! This file parses the command line and dispatches; each command is a
//! module of `commands/`, the shared flags are in `args.rs`.

use args::{Common, Delivery, LimitArgs};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod args;
mod commands;
mod log;
mod log_json;
mod metrics_server;
mod out;
mod paths;
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
    /// Log lines on stderr: `human` (messages) or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t)]
    log_format: log::LogFormat,
    /// The least severe log events shown.
    #[arg(long, global = true, value_enum, default_value_t)]
    log_level: log::LogLevel,
}

#[derive(Subcommand)]
enum Command {
    /// List the endpoint templates (from the component's catalog), or show one.
    Templates {
        /// Show this template's steps, fields, types and notes.
        id: Option<String>,
        /// Print the catalog (or the one template) as JSON.
        #[arg(long)]
        json: bool,
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
        #[arg(long, default_value_t = 10, conflicts_with = "all")]
        limit: usize,
        /// Sample every record.
        #[arg(long)]
        all: bool,
        /// Exit 1 when any sampled record has an error problem.
        #[arg(long)]
        strict: bool,
    },
    /// Send every record; without --base-url, to the embedded mock.
    Send {
        #[command(flatten)]
        common: Common,
        /// Write dead-lettered records (JSON Lines) here; without it they are
        /// counted and dropped.
        #[arg(long, value_name = "FILE", help_heading = "Outputs")]
        dead_letter: Option<PathBuf>,
        #[command(flatten)]
        delivery: Delivery,
    },
    /// Send test data: show the request for one record, send only it.
    Test {
        #[command(flatten)]
        common: Common,
        /// 0-based position of the record in the input.
        #[arg(long, help_heading = "Test")]
        record: u64,
        /// Ashby origin; needs ASHBY_API_KEY and --yes.
        #[arg(long, value_name = "URL", help_heading = "Test")]
        base_url: Option<String>,
        /// Confirm a real write to --base-url.
        #[arg(long, help_heading = "Test")]
        yes: bool,
        /// Print the request, problems, response and outcome as one JSON object.
        #[arg(long, help_heading = "Test")]
        json: bool,
    },
    /// Re-send the records of a dead-letter file (after fixing the data or
    /// the config), each index once, keeping their original indexes in every
    /// output.
    Replay {
        /// Destination config (JSON).
        #[arg(long, help_heading = "Input")]
        config: PathBuf,
        /// The dead-letter file to replay; give `--dead-letter` a second time
        /// for where this run's dead letters go.
        #[arg(long = "dead-letter", value_name = "FILE", required = true, num_args = 1, action = clap::ArgAction::Append, help_heading = "Input")]
        dead_letter: Vec<PathBuf>,
        /// Load another component of the same world.
        #[arg(long, help_heading = "Input")]
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
        /// Requests per API key for Send Test Data: `N/s` or `N/min`.
        #[arg(long, default_value = args::DEFAULT_RATE)]
        rate: String,
        /// Share the key's rate, 429 pause and outage circuit with every
        /// process pointing at this Redis (redis://HOST:PORT/DB), as `send` does.
        #[arg(long, value_name = "URL")]
        coordination: Option<String>,
        /// Processes sharing the key through --coordination: while Redis is
        /// down, each paces itself at --rate divided by N.
        #[arg(long, value_name = "N", default_value_t = 1, requires = "coordination", value_parser = clap::value_parser!(u32).range(1..=10_000))]
        workers: u32,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run the mock Ashby standalone.
    Mock(commands::mock::MockArgs),
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
    /// The native baseline of `bench`'s e2e scenario (run by `bench`, not by
    /// users): posts each line of --input as it is to the mock. The key comes
    /// from ASHBY_API_KEY.
    #[command(hide = true)]
    BenchNativeClient {
        /// The mock's base URL.
        #[arg(long)]
        url: String,
        /// JSON Lines, each line one request body.
        #[arg(long)]
        input: PathBuf,
        /// Keep-alive connections, one worker each.
        #[arg(long, default_value_t = 8)]
        connections: usize,
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
        /// Write the demo's inputs and outputs here (default: a temporary
        /// folder, removed at the end unless --keep).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Keep the temporary folder (and say where it is).
        #[arg(long)]
        keep: bool,
        /// Load another component of the same world instead of the built-in plugin.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    log::init(cli.log_format, cli.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(name: "destination.run.failed", "error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.downcast_ref::<out::ClosedStdout>().is_some() => {
            ExitCode::from(out::CLOSED_STDOUT_STATUS)
        }
        Err(e) => {
            let msg = match e.downcast_ref::<destination_host::sandbox::ConfigRefused>() {
                Some(c) => format!("the config was refused: {c}"),
                None => format!("{e:#}"),
            };
            tracing::error!(name: "destination.run.failed", "error: {}", destination_host::text::one_line(&msg));
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Templates { id, json, plugin } => {
            commands::templates::run(id.as_deref(), json, &plugin).await
        }
        Command::Describe { plugin, template } => commands::describe::run(&plugin, template).await,
        Command::Check {
            config,
            base_url,
            plugin,
        } => commands::check::run(&config, base_url, &plugin).await,
        Command::Sample {
            common,
            limit,
            all,
            strict,
        } => {
            let limit = if all { usize::MAX } else { limit };
            commands::sample::run(&common, limit, strict).await
        }
        Command::Send {
            common,
            dead_letter,
            delivery,
        } => commands::send::send(&common, dead_letter, &delivery).await,
        Command::Test {
            common,
            record,
            base_url,
            yes,
            json,
        } => commands::test::run(&common, record, base_url, yes, json).await,
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
            let common = Common {
                config,
                input: dead_letter[0].clone(),
                format: None,
                plugin,
                limits,
            };
            commands::send::replay(&common, dead_letter.get(1).cloned(), &delivery).await
        }
        Command::Component { out } => commands::component::run(&out),
        Command::Ui {
            port,
            config,
            input,
            base_url,
            plugin,
            rate,
            coordination,
            workers,
            limits,
        } => {
            let shared = args::Delivery::shared_limits(&rate, coordination.as_deref(), workers)?;
            let pacing = ui::pacing_flags(&rate, coordination.as_deref(), workers);
            ui::run(ui::UiArgs {
                port,
                config,
                input,
                base_url,
                plugin,
                limits: limits.apply(shared),
                pacing,
            })
            .await
        }
        Command::Mock(args) => commands::mock::run(args).await,
        Command::Demo { out, keep, plugin } => {
            commands::demo::run(out, keep, commands::load_sandbox(&plugin)?).await
        }
        Command::Bench {
            only,
            quick,
            python_client,
        } => commands::bench::run(only, quick, python_client).await,
        Command::BenchNativeClient {
            url,
            input,
            connections,
        } => commands::bench::native_client(&url, &input, connections).await,
    }
}
