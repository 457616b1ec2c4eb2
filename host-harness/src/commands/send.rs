//! `send` and `replay`: the paths checked, the config checked offline, every
//! output opened, then every record through the component; then the
//! summary (always on stdout), the warnings and the verdict. Every stderr
//! line goes through `tracing`, so `--log-format json` makes each one a JSON
//! object.

use super::{config, load_sandbox, tenant_for};
use crate::args::{Common, Delivery};
use crate::metrics_server;
use crate::paths::{self, Named};
use anyhow::Context as _;
use destination_host::deliver::{self, Report, StopSignal, Summary};
use destination_host::input;
use destination_host::text::one_line;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// `send`: every record of the input.
pub async fn send(
    common: &Common,
    dead_letter: Option<PathBuf>,
    delivery: &Delivery,
) -> anyhow::Result<u8> {
    let o = &delivery.outputs;
    let inputs = inputs("--input", common);
    paths::check(
        &inputs,
        &outputs(dead_letter.as_deref(), "--dead-letter", delivery),
    )?;
    if o.journal.is_some() && common.input.as_os_str() == "-" {
        anyhow::bail!(
            "--journal needs an input it can read again to check it on resume, not standard input"
        );
    }
    let run = Prepared::new(common, delivery).await?;
    let src = common.source(run.cells.clone());
    let again = src.clone();
    let opts = delivery.options(
        &common.limits,
        run.coordination.clone(),
        dead_letter.clone(),
        input::count(&src),
        move || input::open_source(&again),
    )?;
    let items = input::open_source(&src)?;
    run.deliver(items, delivery, opts, dead_letter.as_deref())
        .await
}

/// `replay`: the records of a dead-letter file, each index once.
pub async fn replay(
    common: &Common,
    own_dead_letter: Option<PathBuf>,
    delivery: &Delivery,
) -> anyhow::Result<u8> {
    let inputs = inputs("--dead-letter (the file replayed)", common);
    let second = "the second --dead-letter";
    paths::check(
        &inputs,
        &outputs(own_dead_letter.as_deref(), second, delivery),
    )?;
    let run = Prepared::new(common, delivery).await?;
    let letters = input::open_dead_letters(&common.input)?;
    for (line, index) in &letters.repeated {
        tracing::warn!(
            "warning: {} line {line} repeats record {index}: skipped, so it is not sent twice",
            common.input.display()
        );
    }
    let path = common.input.clone();
    let opts = delivery.options(
        &common.limits,
        run.coordination.clone(),
        own_dead_letter.clone(),
        Some(letters.records),
        move || Ok(input::open_dead_letters(&path)?.items),
    )?;
    run.deliver(letters.items, delivery, opts, own_dead_letter.as_deref())
        .await
}

/// The files a run reads, with their flags (`input_flag` names the input).
fn inputs<'a>(input_flag: &'static str, common: &'a Common) -> Vec<Named<'a>> {
    let mut inputs = vec![
        Named {
            flag: input_flag,
            path: &common.input,
        },
        Named {
            flag: "--config",
            path: &common.config,
        },
    ];
    if let Some(p) = &common.plugin {
        inputs.push(Named {
            flag: "--plugin",
            path: p,
        });
    }
    inputs
}

/// The outputs a run writes, with their flags.
fn outputs<'a>(
    dead_letter: Option<&'a Path>,
    flag: &'static str,
    d: &'a Delivery,
) -> Vec<Named<'a>> {
    let o = &d.outputs;
    [
        (flag, dead_letter),
        ("--summary", o.summary.as_deref()),
        ("--responses", o.responses.as_deref()),
        ("--journal", o.journal.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|path| Named { flag, path }))
    .collect()
}

/// A run whose config was accepted and whose summary file is open.
struct Prepared {
    runtime: destination_host::sandbox::Sandbox,
    config: String,
    cells: input::CellTypes,
    summary_file: Option<(PathBuf, std::fs::File)>,
    /// `--coordination`'s Redis, connected once for the circuit and the rate.
    coordination: Option<destination_host::coordination::Coordination>,
}

impl Prepared {
    /// Loads the component, checks the config offline (before any mock
    /// starts) and creates the summary file.
    async fn new(common: &Common, delivery: &Delivery) -> anyhow::Result<Prepared> {
        let coordination = delivery.install_circuit_store()?;
        let o = &delivery.outputs;
        let runtime = load_sandbox(&common.plugin)?;
        let wants = o.responses.is_some() || o.responses_url.is_some();
        let config = config::read(&common.config, wants)?;
        let builtin = common.plugin.is_none();
        let limits = common.limits.apply(Default::default());
        config::check(&runtime, &limits, &config, builtin).await?;
        if !wants && config::asks_for_responses(&config) {
            tracing::warn!(
                "warning: the config turns response_webhook on, but neither --responses nor \
                 --responses-url says where its records go: they are dropped"
            );
        }
        let summary_file = match &o.summary {
            Some(p) => Some((
                p.clone(),
                std::fs::File::create(p)
                    .with_context(|| format!("cannot write {}", p.display()))?,
            )),
            None => None,
        };
        Ok(Prepared {
            coordination,
            cells: config::cell_types(&config, builtin),
            runtime,
            config,
            summary_file,
        })
    }

    /// Prints the summary on stdout and writes the summary file; returns 2
    /// when the file could not be written, else 0.
    fn summary_out(&self, s: &deliver::Summary) -> anyhow::Result<u8> {
        let text = serde_json::to_string_pretty(s)?;
        crate::out::line(&text)?;
        let Some((p, f)) = &self.summary_file else {
            return Ok(0);
        };
        use std::io::Write as _;
        let mut f = f;
        if let Err(e) = writeln!(f, "{text}").and_then(|_| f.sync_all()) {
            tracing::error!(
                name: "destination.output.failed",
                "error: cannot write the summary to {} ({e}); it is on stdout above",
                p.display()
            );
            return Ok(2);
        }
        Ok(0)
    }

    /// Sends, then prints the summary and the verdict; returns the exit code.
    async fn deliver(
        self,
        items: input::Items,
        delivery: &Delivery,
        opts: deliver::Options,
        dead_letter: Option<&Path>,
    ) -> anyhow::Result<u8> {
        let _metrics = match &delivery.metrics_addr {
            Some(addr) => Some(metrics_server::serve(addr, self.runtime.metrics().clone()).await?),
            None => None,
        };
        let (tenant, _mock) = tenant_for(delivery.base_url.clone())?;
        if delivery.base_url.is_some() && !delivery.no_preflight {
            let failed =
                super::check::preflight(&self.runtime, &tenant, &opts.limits, &self.config).await?;
            if let Some(r) = failed {
                // Every record is reported, as not attempted.
                let n = tokio::task::spawn_blocking(move || items.count() as u64).await?;
                let summary = deliver::Summary {
                    input: n,
                    not_attempted: n,
                    ..deliver::Summary::default()
                };
                // Exit 2 whether or not the summary file could be written.
                self.summary_out(&summary)?;
                tracing::error!(
                    name: "destination.run.preflight_failed",
                    "error: preflight check `auth` failed ({}): {} {} Nothing was sent: {n} \
                     record(s) not attempted (--no-preflight skips this check).",
                    one_line(&r.code),
                    one_line(&r.message),
                    one_line(&r.action)
                );
                return Ok(2);
            }
        }
        let signal = opts.stop.clone().map(on_signals).transpose()?;
        let report = deliver::run(&self.runtime, &tenant, &self.config, items, opts).await?;
        for w in &report.warnings {
            tracing::warn!(name: "destination.config.warning", "warning: {}", one_line(w));
        }
        let s = &report.summary;
        let written = self.summary_out(s)?;
        let mut code = warn_after(&report);
        if report.stopped {
            let (name, sig_code) = signal.map_or(("a signal", 130), |s| s.first());
            tracing::warn!(
                name: "destination.run.stopped",
                signal = name, not_attempted = s.not_attempted,
                "stopped by {name}: {} record(s) were not attempted; the same command with --journal resumes",
                s.not_attempted
            );
            code = sig_code;
        }
        if written != 0 {
            code = written;
        }
        if let Some(e) = &report.output_error {
            tracing::error!(name: "destination.output.failed", "error: {}", one_line(&e.to_string()));
            code = 2;
        }
        log_verdict(&report, &verdict(&report, dead_letter), code);
        Ok(code)
    }
}

/// The warnings after a run; returns the exit code its outcomes call for.
fn warn_after(report: &Report) -> u8 {
    let s = &report.summary;
    if s.input == 0 {
        tracing::warn!(
            name: "destination.input.empty",
            "warning: the input holds no records: nothing was sent"
        );
    }
    if s.rate_limited_partner > 0 {
        tracing::warn!(
            name: "destination.ratelimit.partner",
            "warning: Ashby answered 429 with `X-RateLimit-Scope: integration-partner` {} time(s): \
             the integration partner's combined traffic across all organisations is limited, not \
             only this API key; lowering --rate for this key alone may not help",
            s.rate_limited_partner
        );
    }
    for (field, n) in &s.unknown_fields {
        // The name is the guest's (from the record): made terminal-safe.
        let field = one_line(field);
        eprintln!(
            "warning: {n} record(s) carried the field `{field}`, which no call of the template \
             takes; it was sent, left out or refused as the config's \"unknown_fields\" says"
        );
    }
    if let Some(failed) = s.responses_failed.filter(|n| *n > 0) {
        tracing::warn!(
            name: "destination.webhook.failed",
            "warning: {failed} response-webhook record(s) were not accepted by --responses-url"
        );
    }
    if let Some(h) = report.halt.as_ref().filter(|h| h.code == "outage") {
        tracing::error!(
            name: "destination.run.halted",
            code = "outage", not_attempted = s.not_attempted,
            "error: halted (outage): {}; {} record(s) were not attempted, and the same command with --journal resumes.",
            one_line(h.message.trim_end_matches('.')),
            s.not_attempted
        );
        return 2;
    }
    if let Some(h) = &report.halt {
        let perm = h
            .permission
            .as_deref()
            .map(|p| {
                let p = one_line(p);
                format!(" The endpoint needs the `{p}` permission on the API key.")
            })
            .unwrap_or_default();
        tracing::error!(
            name: "destination.run.halted",
            code = %h.code, not_attempted = s.not_attempted,
            "error: halted ({}): {}.{perm} {} record(s) were not attempted.",
            one_line(&h.code),
            one_line(h.message.trim_end_matches('.')),
            s.not_attempted
        );
        return 2;
    }
    if s.dead_lettered > 0 { 1 } else { 0 }
}

/// Logs the verdict line (event `destination.run.verdict`): `info` when all
/// was delivered, `warn` with dead letters, `error` for a halt or exit 2.
fn log_verdict(report: &Report, line: &str, exit_code: u8) {
    let s = &report.summary;
    macro_rules! verdict_at {
        ($level:ident) => {
            tracing::$level!(
                name: "destination.run.verdict",
                delivered = s.delivered, dead_lettered = s.dead_lettered,
                not_attempted = s.not_attempted, exit_code,
                "{line}"
            )
        };
    }
    match exit_code {
        0 => verdict_at!(info),
        1 => verdict_at!(warn),
        _ => verdict_at!(error),
    }
}

/// The last line on stderr: what became of the records and where the dead
/// letters went.
fn verdict(report: &Report, dead_letter: Option<&Path>) -> String {
    let s: &Summary = &report.summary;
    let word = if report.stopped {
        "stopped"
    } else if report.halt.is_some() {
        "halted"
    } else if s.dead_lettered > 0 {
        "done with dead letters"
    } else {
        "done"
    };
    let dead = match (s.dead_lettered, dead_letter) {
        (0, _) => String::new(),
        (_, Some(p)) => format!(" (written to {})", p.display()),
        (_, None) => " (dropped: --dead-letter was not given)".into(),
    };
    format!(
        "{word}: {} of {} delivered, {} dead-lettered{dead}, {} not attempted, in {:.1} s",
        s.delivered,
        s.input,
        s.dead_lettered,
        s.not_attempted,
        s.elapsed_ms as f64 / 1000.0
    )
}

/// The first signal received, once one is.
struct Received(Arc<AtomicU8>);

impl Received {
    /// The signal's name and the exit code it asks for.
    fn first(&self) -> (&'static str, u8) {
        match self.0.load(Ordering::SeqCst) {
            143 => ("SIGTERM", 143),
            _ => ("SIGINT", 130),
        }
    }
}

/// On the first SIGINT or SIGTERM, stops the run gracefully; on a second,
/// exits at once (the journal, synced per record, keeps that safe).
fn on_signals(stop: StopSignal) -> anyhow::Result<Received> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let first = Arc::new(AtomicU8::new(0));
    let seen = first.clone();
    tokio::spawn(async move {
        let (name, code) = tokio::select! {
            _ = int.recv() => ("SIGINT", 130),
            _ = term.recv() => ("SIGTERM", 143),
        };
        seen.store(code, Ordering::SeqCst);
        tracing::warn!(
            name: "destination.run.stopping",
            signal = name,
            "{name}: stopping: no new records are sent; requests in flight may finish (a second signal stops at once)"
        );
        stop.trigger();
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        tracing::warn!(
            name: "destination.run.stopping",
            signal = name,
            "stopping at once: records not journaled are sent again by the same command with --journal"
        );
        std::process::exit(i32::from(code));
    });
    Ok(Received(first))
}
