//! The live progress line on stderr, drawn by indicatif only when stderr is
//! a terminal (a log file gets none).

use destination_host::deliver::{Progress, ProgressFn};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::Arc;

/// A progress function drawing on stderr, or `None` when stderr is not a
/// terminal.
pub fn on_stderr() -> Option<ProgressFn> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    Some(Arc::new(move |p: &Progress| draw(&bar, p)))
}

fn draw(bar: &ProgressBar, p: &Progress) {
    let total = p.total.unwrap_or(p.read);
    let done = p.done();
    let secs = p.elapsed.as_secs_f64().max(0.001);
    let rate = done as f64 / secs;
    let eta = if rate > 0.0 && total > done {
        format!("{:.0}s", (total - done) as f64 / rate)
    } else {
        "-".into()
    };
    bar.set_message(format!("{done}/{total} records, {rate:.0}/s, ETA {eta}"));
    if p.finished {
        bar.finish();
    }
}
