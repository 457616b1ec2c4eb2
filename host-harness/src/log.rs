//! The CLI's log output on stderr. The library logs through `tracing`.
//!
//! - `human` (the default): each event's message on one line, as it always
//!   has been (warnings carry their own `warning:` prefix); fields and spans
//!   are left out.
//! - `json`: one JSON object per line (see [`crate::log_json`]), shaped after
//!   OpenTelemetry's log data model.
//!
//! Every message is printed through `destination_host::text::one_line`: an
//! event is one line, and no control character from a guest or a remote
//! reaches the terminal raw.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Messages only, one per line.
    #[default]
    Human,
    /// One JSON object per line (OpenTelemetry log data model).
    Json,
}

/// `--log-level`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// Also progress notes.
    #[default]
    Info,
    /// Also one event per HTTP attempt (in its span) and per dead-lettered
    /// or retried record.
    Debug,
}

/// The targets `--log-level debug` shows below `info`.
const OWN_TARGETS: [&str; 3] = ["destination_host", "host_harness", "guest"];

static JSON: AtomicBool = AtomicBool::new(false);

/// Whether stderr carries JSON lines (nothing else may be drawn there).
pub fn is_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Installs the stderr subscriber (once; a second call does nothing).
pub fn init(format: LogFormat, level: LogLevel) {
    let level = match level {
        LogLevel::Error => tracing::Level::ERROR,
        LogLevel::Warn => tracing::Level::WARN,
        LogLevel::Info => tracing::Level::INFO,
        LogLevel::Debug => tracing::Level::DEBUG,
    };
    // Below `info`, only this program's own events: the HTTP stack's are noise.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level.min(tracing::Level::INFO))
        .with_targets(OWN_TARGETS.map(|t| (t, level)));
    match format {
        LogFormat::Human => {
            let _ = tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_max_level(level)
                .event_format(MessageOnly)
                .finish()
                .with(filter)
                .try_init();
        }
        LogFormat::Json => {
            JSON.store(true, Ordering::Relaxed);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(crate::log_json::JsonLines)
                .try_init();
        }
    }
}

/// Prints an event's `message` and nothing else.
struct MessageOnly;

impl<S, N> FormatEvent<S, N> for MessageOnly
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut message = Message(String::new());
        event.record(&mut message);
        writeln!(writer, "{}", destination_host::text::one_line(&message.0))
    }
}

struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            use fmt::Write as _;
            let _ = write!(self.0, "{value:?}");
        }
    }
}
