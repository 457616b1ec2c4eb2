//! The flags commands share: what to run ([`Common`]), where and how to
//! deliver ([`Delivery`]) and the sandbox limits ([`LimitArgs`]). Defaults
//! come from the library, so they are written once.

use anyhow::Context as _;
use destination_host::coordination::Coordination;
use destination_host::deliver::{self, Options};
use destination_host::input;
use destination_host::retry::RetryPolicy;
use destination_host::sandbox::Limits;
use destination_host::shared_circuit::RedisCircuitStore;
use std::path::PathBuf;
use std::time::Duration;

/// `--rate`'s default: Ashby's published budget per key.
pub const DEFAULT_RATE: &str = "1000/min";

/// What to run: the config, the input and the component.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Input")]
pub struct Common {
    /// Destination config (JSON).
    #[arg(long)]
    pub config: PathBuf,
    /// Input records: .jsonl, .json (array) or .csv (header row); `-` reads
    /// standard input (with --format).
    #[arg(long)]
    pub input: PathBuf,
    /// The input's format, overriding the file's extension: jsonl, json or csv.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<input::Format>,
    /// Load another component of the same world instead of the built-in plugin.
    #[arg(long)]
    pub plugin: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

impl Common {
    /// The input source these flags name, CSV columns typed by `cells`.
    pub fn source(&self, cells: input::CellTypes) -> input::Source {
        input::Source {
            path: self.input.clone(),
            format: self.format,
            cells,
        }
    }
}

fn parse_format(s: &str) -> Result<input::Format, String> {
    input::Format::parse(s).map_err(|e| e.to_string())
}

/// Where `send` and `replay` write what they found.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Outputs")]
pub struct Outputs {
    /// Write the run summary (JSON) here too; it is always printed on stdout.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Turn the response webhook on and write its records (JSON Lines) here.
    #[arg(long, value_name = "FILE")]
    pub responses: Option<PathBuf>,
    /// Also POST each response-webhook record (JSON) to this URL, with the
    /// same retry policy as records.
    #[arg(long, value_name = "URL")]
    pub responses_url: Option<String>,
    /// Journal each record's final outcome here; re-running with the same
    /// journal skips what is done, so a killed run resumes.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Progress on stderr: `auto` draws a live line on a terminal and prints
    /// a line every 5 s elsewhere; `always` prints those lines even on a
    /// terminal; `never` prints none (the last line, the verdict, stays).
    #[arg(long, value_enum, default_value_t = crate::progress::Mode::Auto)]
    pub progress: crate::progress::Mode,
}

/// The flags `send` and `replay` share: where to send and how.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Delivery")]
pub struct Delivery {
    /// Ashby origin (e.g. https://api.ashbyhq.com); needs ASHBY_API_KEY.
    /// Default: the embedded mock.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Requests in flight at once: 1 up to the instance pool's size
    /// (1100 unless ASHBY_CONNECTOR_POOL says otherwise).
    #[arg(long, value_name = "N", default_value_t = deliver::DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Requests sent for one record before it is dead-lettered (at least 1);
    /// a request the plugin held back is not one.
    #[arg(long, value_name = "N", default_value_t = RetryPolicy::default().max_attempts, value_parser = parse_attempts)]
    pub max_attempts: u32,
    /// Requests per API key: `N/s` or `N/min` (shared by every flow using the key).
    #[arg(long, default_value = DEFAULT_RATE)]
    pub rate: String,
    /// Against --base-url, do not run the `auth` check (one read) before
    /// the first write.
    #[arg(long)]
    pub no_preflight: bool,
    /// Component restarts after traps a flow may make before it stops.
    #[arg(long, value_name = "N", default_value_t = deliver::DEFAULT_CRASH_BUDGET)]
    pub crash_budget: u32,
    /// Serve Prometheus metrics at http://ADDR/metrics while the run lasts
    /// (e.g. 127.0.0.1:9464; port 0 picks one, logged at start).
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// Share the key's --rate, 429 pause and the origin's outage circuit with
    /// every process pointing at this Redis (redis://HOST:PORT/DB). Default:
    /// kept in this process.
    #[arg(long, value_name = "URL")]
    pub coordination: Option<String>,
    /// Processes sharing the key through --coordination: while Redis is
    /// down, each paces itself at --rate divided by N.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "coordination", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub workers: u32,
    /// How long Ashby may fail (the flow paused, probing it) before the flow
    /// halts with the rest not attempted: e.g. 90s, 15m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub max_outage: Duration,
    /// After SIGINT/SIGTERM, how long requests in flight may take to finish.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub grace: Duration,
    #[command(flatten)]
    pub outputs: Outputs,
}

/// The most instances a flow may run: the pool's slots.
pub fn max_concurrency() -> usize {
    destination_host::engine::SandboxOptions::from_env()
        .pool_instances
        .unwrap_or(destination_host::engine::DEFAULT_POOL_INSTANCES) as usize
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    let max = max_concurrency();
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number from 1 to {max} (the instance pool's size; \
             ASHBY_CONNECTOR_POOL=N changes it)"
        )),
    }
}

fn parse_attempts(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number, at least 1 (the first request is an attempt)".into()),
    }
}

/// Reads a duration: one or more `<number><unit>` parts, the unit `ms`,
/// `s`, `m` or `h` (`90s`, `1m30s`, `1.5h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let mut total = 0.0f64;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("a duration looks like 30s, 15m or 1h".into());
    }
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{text}` needs a unit: ms, s, m or h"))?;
        let (n, tail) = rest.split_at(n_end);
        let u_end = tail
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(u_end);
        let n: f64 = n
            .parse()
            .map_err(|_| format!("`{text}`: `{n}` is not a number"))?;
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            other => return Err(format!("`{text}`: unit `{other}` is not ms, s, m or h")),
        };
        total += secs;
        rest = tail;
    }
    Duration::try_from_secs_f64(total).map_err(|_| format!("`{text}` is out of range"))
}

impl Delivery {
    /// With `--coordination`, makes Redis this process's circuit store. It
    /// must run before the first circuit is made (the offline config check
    /// instantiates the component, which makes one), so `send` and `replay`
    /// call it first. Returns the coordination, which [`Delivery::options`]
    /// takes (one connection and one set of warnings per process).
    pub fn install_circuit_store(&self) -> anyhow::Result<Option<Coordination>> {
        let Some(url) = self.coordination.as_deref() else {
            return Ok(None);
        };
        let c = Coordination::new(url, self.workers).context("--coordination")?;
        install_shared_circuit(&c)?;
        Ok(Some(c))
    }

    /// The rate per key and, with a Redis URL, the coordination that
    /// shares it, its circuit store installed: for `ui`, which has no
    /// delivery flags. Call it before any component is instantiated.
    pub fn shared_limits(
        rate: &str,
        coordination: Option<&str>,
        workers: u32,
    ) -> anyhow::Result<Limits> {
        let coordination = match coordination {
            Some(url) => {
                let c = Coordination::new(url, workers).context("--coordination")?;
                install_shared_circuit(&c)?;
                Some(c)
            }
            None => None,
        };
        Ok(Limits {
            rate: Some(destination_host::rate::Rate::parse(rate).context("--rate")?),
            coordination,
            ..Limits::default()
        })
    }

    /// The delivery options these flags and the limit flags ask for, with
    /// the coordination [`Delivery::install_circuit_store`] made. (The
    /// delivery loop keeps its chunks within `--max-records-per-call`.)
    pub fn options(
        &self,
        limits: &LimitArgs,
        coordination: Option<Coordination>,
        dead_letter: Option<PathBuf>,
        total_hint: Option<u64>,
        reopen: impl Fn() -> anyhow::Result<input::Items> + Send + Sync + 'static,
    ) -> anyhow::Result<Options> {
        let o = &self.outputs;
        if o.journal.is_some() && dead_letter.is_none() {
            tracing::warn!(
                "warning: --journal without --dead-letter: a resumed run skips dead-lettered \
                 records, and their reasons are kept nowhere"
            );
        }
        Ok(Options {
            journal: o.journal.clone().map(|path| deliver::JournalSpec {
                path,
                reopen: std::sync::Arc::new(reopen),
            }),
            responses_url: o.responses_url.clone(),
            crash_budget: self.crash_budget,
            max_outage: self.max_outage,
            grace: self.grace,
            stop: Some(deliver::StopSignal::new()),
            concurrency: self.concurrency,
            retry: RetryPolicy {
                max_attempts: self.max_attempts,
                ..RetryPolicy::default()
            },
            dead_letter,
            responses: o.responses.clone(),
            total_hint,
            progress: crate::progress::on_stderr(o.progress),
            limits: limits.apply(Limits {
                rate: Some(destination_host::rate::Rate::parse(&self.rate).context("--rate")?),
                coordination,
                ..Limits::default()
            }),
            ..Options::default()
        })
    }
}

/// Makes Redis this process's circuit store; an error when a circuit was
/// already made (it would stay in process).
fn install_shared_circuit(c: &Coordination) -> anyhow::Result<()> {
    if !RedisCircuitStore::install(c) {
        anyhow::bail!("--coordination: a circuit was made before the shared store was installed");
    }
    Ok(())
}

/// Per-instance sandbox limits.
#[derive(clap::Args, Clone, Debug)]
#[command(next_help_heading = "Sandbox limits (per instance)")]
pub struct LimitArgs {
    /// Guest linear memory cap in MiB; growing past it traps.
    #[arg(long, value_name = "MIB", default_value_t = (Limits::default().memory_bytes >> 20) as u64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub memory_mb: u64,
    /// Guest CPU time per call in milliseconds (epoch interruption, 10 ms ticks).
    #[arg(long, value_name = "MS", default_value_t = Limits::default().cpu_per_call.as_millis() as u64, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub cpu_ms: u64,
    /// Wall-clock bound on one HTTP exchange, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().http_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_timeout: u64,
    /// Wall-clock bound on one whole call into the component, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().call_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub call_timeout: u64,
    /// Largest response body the host reads, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_response_bytes as u64, value_parser = clap::value_parser!(u64).range(1..=(1 << 30)))]
    pub max_response_bytes: u64,
    /// Records handed to one call into the component at most.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_records_per_call as u64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub max_records_per_call: u64,
}

impl LimitArgs {
    /// `base` with these flags applied.
    pub fn apply(&self, base: Limits) -> Limits {
        Limits {
            memory_bytes: (self.memory_mb << 20) as usize,
            cpu_per_call: Duration::from_millis(self.cpu_ms),
            http_timeout: Duration::from_secs(self.http_timeout),
            call_timeout: Duration::from_secs(self.call_timeout),
            max_response_bytes: self.max_response_bytes as usize,
            max_records_per_call: self.max_records_per_call as usize,
            ..base
        }
    }
}
