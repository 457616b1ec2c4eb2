//! `host-harness`: run, test and demo the Ashby destination component.
//!
//! Exit codes: 0 every record delivered; 1 finished with some records
//! dead-lettered; 2 could not run or halted.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use host_harness::deliver::{self, ConfigRefused, Options, Report};
use host_harness::http_host::Origin;
use host_harness::input::{self, InputItem};
use host_harness::mock::{MockAshby, MockConfig};
use host_harness::runtime::{InputRecord, Limits, Outcome, PlannedRequest, Runtime, Tenant};
use host_harness::secret::{ApiKey, REDACTED_AUTHORIZATION};
use serde_json::{Value, json};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod limit_args;
use limit_args::LimitArgs;

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

#[derive(clap::Args, Clone)]
struct Common {
    /// Destination config (JSON).
    #[arg(long)]
    config: PathBuf,
    /// Input records: .jsonl, .json (array) or .csv (header row).
    #[arg(long)]
    input: PathBuf,
    /// Load another component of the same world instead of the built-in plugin.
    #[arg(long)]
    plugin: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The flags `send` and `replay` share: where to send and how.
#[derive(clap::Args, Clone)]
struct Delivery {
    /// Ashby origin (e.g. https://api.ashbyhq.com); needs ASHBY_API_KEY.
    /// Default: the embedded mock.
    #[arg(long)]
    base_url: Option<String>,
    /// Write the run summary (JSON) here.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Turn the response webhook on and write its records (JSON Lines) here.
    #[arg(long)]
    responses: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Attempts per record before it is dead-lettered.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Requests per API key: `N/s` or `N/min` (shared by every flow using the key).
    #[arg(long, default_value = "1000/min")]
    rate: String,
    /// Journal each record's final outcome here (synced per batch); re-running
    /// with the same journal skips what is done, so a killed run resumes.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Also POST each response-webhook record (JSON) to this URL, with the
    /// same retry policy as records.
    #[arg(long)]
    responses_url: Option<String>,
    /// Component restarts after traps a flow may make before it stops.
    #[arg(long, default_value_t = 16)]
    crash_budget: u32,
}

impl Delivery {
    /// The delivery options these flags and the limit flags ask for. (The
    /// delivery loop keeps its chunks within `--max-records-per-call`.)
    fn options(
        &self,
        limits: &LimitArgs,
        dead_letter: Option<PathBuf>,
        total_hint: Option<u64>,
        reopen: impl Fn() -> anyhow::Result<input::Items> + Send + Sync + 'static,
    ) -> anyhow::Result<Options> {
        if self.journal.is_some() && self.journal == dead_letter {
            anyhow::bail!("--journal and --dead-letter must be different files");
        }
        if self.journal.is_some() && dead_letter.is_none() {
            eprintln!(
                "warning: --journal without --dead-letter: a resumed run skips dead-lettered \
                 records, and their reasons are kept nowhere"
            );
        }
        Ok(Options {
            journal: self.journal.clone().map(|path| deliver::JournalSpec {
                path,
                reopen: std::sync::Arc::new(reopen),
            }),
            responses_url: self.responses_url.clone(),
            crash_budget: self.crash_budget,
            concurrency: self.concurrency,
            max_attempts: self.max_attempts,
            dead_letter,
            responses: self.responses.clone(),
            total_hint,
            progress: std::io::stderr().is_terminal(),
            limits: limits.apply(Limits {
                rate: Some(host_harness::rate::Rate::parse(&self.rate).context("--rate")?),
                ..Limits::default()
            }),
            ..Options::default()
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// List the endpoint templates.
    Templates,
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
            let msg = match e.downcast_ref::<ConfigRefused>() {
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
        Command::Templates => templates(),
        Command::Sample { common, limit } => sample(&common, limit).await,
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
            send(&common, items, &delivery, opts).await
        }
        Command::Test {
            common,
            record,
            base_url,
            yes,
        } => test(&common, record, base_url, yes).await,
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
            send(&common, items, &delivery, opts).await
        }
        Command::Mock { port, api_key } => mock(port, api_key).await,
        Command::Demo { dir, plugin } => {
            host_harness::demo::run_with(&dir, load_runtime(&plugin)?).await
        }
        Command::Bench {
            only,
            quick,
            python_client,
        } => bench(only, quick, python_client).await,
    }
}

fn templates() -> anyhow::Result<u8> {
    let all = plugin::templates::all().map_err(|e| anyhow::anyhow!("templates.json: {e}"))?;
    println!(
        "{:<26} {:<24} {:<18} REQUIRED",
        "ID", "ENDPOINT", "PERMISSION"
    );
    for t in all {
        let mut req: Vec<String> = t.required.clone();
        for a in &t.aliases {
            for r in req.iter_mut() {
                if *r == a.to {
                    *r = format!("{} (or {})", a.to, a.from);
                }
            }
        }
        println!(
            "{:<26} {:<24} {:<18} {}",
            t.id,
            t.endpoint,
            t.permission,
            if req.is_empty() {
                "-".to_string()
            } else {
                req.join(", ")
            }
        );
    }
    Ok(0)
}

fn load_runtime(plugin: &Option<PathBuf>) -> anyhow::Result<Runtime> {
    match plugin {
        Some(p) => Runtime::from_file(p),
        None => Runtime::plugin(),
    }
}

fn read_config(path: &Path, response_webhook: bool) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    if !response_webhook {
        return Ok(text);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut m)) => {
            m.insert("response_webhook".into(), Value::Bool(true));
            Ok(Value::Object(m).to_string())
        }
        // Let the component explain what is wrong with it.
        _ => Ok(text),
    }
}

/// A tenant for the dry paths (sample): nothing is sent.
fn offline_tenant() -> anyhow::Result<Tenant> {
    Ok(Tenant {
        name: "offline".into(),
        origin: Origin::ashby(),
        key: ApiKey::new("offline-no-key")?,
    })
}

/// Where to send: a real origin with ASHBY_API_KEY, or the embedded mock.
fn tenant_for(base_url: Option<String>) -> anyhow::Result<(Tenant, Option<MockAshby>)> {
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
            eprintln!(
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

fn shown_request(origin: &Origin, r: &PlannedRequest) -> Value {
    let mut headers = serde_json::Map::new();
    headers.insert("Authorization".into(), json!(REDACTED_AUTHORIZATION));
    headers.insert("Content-Type".into(), json!("application/json"));
    for h in &r.headers {
        headers.insert(h.name.clone(), json!(h.value));
    }
    json!({
        "method": r.method,
        "url": format!("{}{}", origin.as_str(), r.path),
        "headers": headers,
        "body": serde_json::from_str::<Value>(&r.body).unwrap_or_else(|_| json!(r.body)),
        "records": r.records,
    })
}

async fn sample(common: &Common, limit: usize) -> anyhow::Result<u8> {
    let runtime = load_runtime(&common.plugin)?;
    let config = read_config(&common.config, false)?;
    let tenant = offline_tenant()?;
    let limits = common.limits.apply(Limits::default());
    let (mut inst, summary) = deliver::configured(&runtime, &tenant, &limits, &config).await?;
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for item in input::open(&common.input)?.take(limit) {
        match item {
            InputItem::Record { index, json } => records.push(InputRecord { index, json }),
            InputItem::Bad {
                index,
                code,
                reason,
                ..
            } => problems.push(
                json!({"index": index, "severity": "error", "code": code, "message": reason}),
            ),
        }
    }
    let sample = inst
        .sample(records)
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("sample-payload refused: {e:?}"))?;
    for p in sample.problems {
        problems.push(json!({
            "index": p.index,
            "severity": match p.severity { host_harness::runtime::Severity::Error => "error", host_harness::runtime::Severity::Warning => "warning" },
            "code": p.code,
            "field": p.field,
            "message": p.message,
        }));
    }
    problems.sort_by_key(|p| p["index"].as_u64());
    let out = json!({
        "endpoint": summary.endpoint,
        "method": summary.method,
        "template": summary.template,
        "permission": summary.permission,
        "warnings": summary.warnings,
        "requests": sample.requests.iter().map(|r| shown_request(&tenant.origin, r)).collect::<Vec<_>>(),
        "problems": problems,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}

async fn send(
    common: &Common,
    items: input::Items,
    delivery: &Delivery,
    opts: Options,
) -> anyhow::Result<u8> {
    let runtime = load_runtime(&common.plugin)?;
    let config = read_config(
        &common.config,
        delivery.responses.is_some() || delivery.responses_url.is_some(),
    )?;
    let (tenant, _mock) = tenant_for(delivery.base_url.clone())?;
    let report: Report = deliver::run(&runtime, &tenant, &config, items, opts).await?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let s = &report.summary;
    let text = serde_json::to_string_pretty(s)?;
    if let Some(p) = &delivery.summary {
        std::fs::write(p, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    println!("{text}");
    if s.rate_limited_partner > 0 {
        eprintln!(
            "warning: Ashby answered 429 with `X-RateLimit-Scope: integration-partner` {} time(s): \
             the integration partner's combined traffic across all organisations is limited, not \
             only this API key; lowering --rate for this key alone may not help",
            s.rate_limited_partner
        );
    }
    if let Some(failed) = s.responses_failed.filter(|n| *n > 0) {
        eprintln!(
            "warning: {failed} response-webhook record(s) were not accepted by --responses-url"
        );
    }
    if let Some(h) = &report.halt {
        let perm = h
            .permission
            .as_deref()
            .map(|p| format!(" The endpoint needs the `{p}` permission on the API key."))
            .unwrap_or_default();
        eprintln!(
            "error: halted ({}): {}.{perm} {} record(s) were not attempted.",
            h.code,
            h.message.trim_end_matches('.'),
            s.not_attempted
        );
        return Ok(2);
    }
    Ok(if s.dead_lettered > 0 { 1 } else { 0 })
}

async fn test(
    common: &Common,
    record: u64,
    base_url: Option<String>,
    yes: bool,
) -> anyhow::Result<u8> {
    if base_url.is_some() && !yes {
        anyhow::bail!(
            "refusing to send test data to a real Ashby without --yes: the request makes real changes in that account"
        );
    }
    let runtime = load_runtime(&common.plugin)?;
    let config = read_config(&common.config, false)?;
    let item = input::open(&common.input)?
        .find(|i| i.index() == record)
        .ok_or_else(|| anyhow::anyhow!("the input has no record {record}"))?;
    let json = match item {
        InputItem::Record { json, .. } => json,
        InputItem::Bad { code, reason, .. } => {
            anyhow::bail!("record {record} is not usable ({code}): {reason}")
        }
    };
    let (tenant, _mock) = tenant_for(base_url)?;
    let limits = common.limits.apply(Limits::default());
    let (mut inst, _) = deliver::configured(&runtime, &tenant, &limits, &config).await?;
    let rec = InputRecord {
        index: record,
        json,
    };
    let sample = inst
        .sample(vec![rec.clone()])
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("sample-payload refused: {e:?}"))?;
    println!("request:");
    for r in &sample.requests {
        println!(
            "{}",
            serde_json::to_string_pretty(&shown_request(&tenant.origin, r))?
        );
    }
    for p in &sample.problems {
        println!("problem: {:?} {}: {}", p.severity, p.code, p.message);
    }
    let outcomes = inst
        .send(vec![rec])
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?
        .map_err(|e| anyhow::anyhow!("send refused: {e:?}"))?;
    let Some(o) = outcomes.into_iter().next() else {
        anyhow::bail!("the component returned no outcome");
    };
    let (label, exchange, code) = match o.outcome {
        Outcome::Delivered(d) => (
            format!("delivered (id {})", d.id.unwrap_or_else(|| "-".into())),
            Some(d.exchange),
            0,
        ),
        Outcome::Rejected(r) => (
            format!("rejected: {}: {}", r.code, r.message),
            r.exchange,
            1,
        ),
        Outcome::Retry(r) => (
            format!("retry later: {}: {}", r.code, r.message),
            r.exchange,
            1,
        ),
        Outcome::Halt(h) => (format!("halt: {}: {}", h.code, h.message), h.exchange, 2),
    };
    if let Some(ex) = exchange {
        println!("response: HTTP {}", ex.status);
        let body = serde_json::from_str::<Value>(&ex.body).unwrap_or(Value::String(ex.body));
        println!("{}", serde_json::to_string_pretty(&body)?);
    }
    println!("outcome: {label}");
    Ok(code)
}

async fn mock(port: u16, api_key: Option<String>) -> anyhow::Result<u8> {
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
    println!("fixtures: {}", host_harness::mock::fixtures::ids());
    println!("(Ctrl-C to stop)");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    mock.shutdown();
    Ok(0)
}

async fn bench(only: Vec<String>, quick: bool, python_client: PathBuf) -> anyhow::Result<u8> {
    let opts = host_harness::bench::BenchOptions {
        only,
        quick,
        exe: std::env::current_exe().context("finding this program")?,
        python_client,
        work_dir: None,
    };
    let rows = host_harness::bench::run(&opts).await?;
    print!("{}", host_harness::bench::table(&rows));
    Ok(0)
}
