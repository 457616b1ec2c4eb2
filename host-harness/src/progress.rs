//! Progress on stderr, wherever the program runs: a live line drawn by
//! indicatif on a terminal, one plain line every few seconds elsewhere (a
//! log file, CI, or JSON log lines, where each is a `tracing` event), or none
//! (`--progress never`).

use destination_host::deliver::{Progress, ProgressFn};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a plain progress line is printed.
pub const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// `--progress`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A live line on a terminal, a line every 5 s elsewhere.
    Auto,
    /// A line every 5 s, even on a terminal.
    Always,
    /// No progress lines.
    Never,
}

/// The progress function for `mode`, or `None` for none.
pub fn on_stderr(mode: Mode) -> Option<ProgressFn> {
    match mode {
        Mode::Never => None,
        Mode::Auto if std::io::stderr().is_terminal() && !crate::log::is_json() => Some(live()),
        Mode::Auto | Mode::Always => Some(plain()),
    }
}

fn live() -> ProgressFn {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    Arc::new(move |p: &Progress| {
        bar.set_message(line(p));
        if p.finished {
            bar.finish_and_clear();
        }
    })
}

fn plain() -> ProgressFn {
    let last = Mutex::new(Instant::now());
    Arc::new(move |p: &Progress| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if !p.finished && last.elapsed() >= PLAIN_EVERY {
            *last = Instant::now();
            tracing::info!(
                name: "destination.run.progress",
                delivered = p.delivered, dead_lettered = p.dead_lettered, retrying = p.retrying,
                "progress: {}", line(p)
            );
        }
    })
}

/// `done/total records (delivered, dead-lettered, retrying, 429s), rate, ETA`.
pub fn line(p: &Progress) -> String {
    let done = p.done();
    let secs = p.elapsed.as_secs_f64().max(0.001);
    let rate = done as f64 / secs;
    let of = match p.total {
        Some(t) => format!("{done}/{t}"),
        None => format!("{done}/{}+", p.read),
    };
    let eta = match p.total {
        Some(t) if rate > 0.0 && t > done => format!("{:.0}s", (t - done) as f64 / rate),
        Some(_) => "0s".into(),
        None => "-".into(),
    };
    format!(
        "{of} records: {} delivered, {} dead-lettered, {} retrying, {} 429s; {rate:.0}/s, ETA {eta}",
        p.delivered, p.dead_lettered, p.retrying, p.rate_limited
    )
}
