//! `--log-format json`: one JSON object per line on stderr, one per
//! `tracing` event, shaped after OpenTelemetry's log data model:
//!
//! | key | OpenTelemetry |
//! | --- | --- |
//! | `timestamp` (RFC 3339, UTC) | Timestamp |
//! | `level` (`ERROR` … `TRACE`), `severity_number` (17, 13, 9, 5, 1) | SeverityText, SeverityNumber |
//! | `message` | Body |
//! | `event_name` (e.g. `destination.record.rejected`), when the event has one | EventName |
//! | `flow`, `fields` | Attributes |
//! | `spans` (outermost first: name and fields, e.g. `http.request.resend_count`) | the span context |
//! | `target` | InstrumentationScope name |
//! | `resource` (`service.name`, `service.version`) | Resource |
//!
//! The message loses a leading `warning: `, `error: ` or `note: `: the level
//! says it.

use serde_json::{Map, Value, json};
use std::fmt;
use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The layer that writes the lines.
pub struct JsonLines;

/// A span's fields, kept in its extensions.
struct SpanFields(Map<String, Value>);

/// Collects fields as JSON values.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, f: &Field, v: f64) {
        self.0.insert(f.name().into(), json!(v));
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.0.insert(f.name().into(), json!(v));
    }
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.0.insert(f.name().into(), json!(v));
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.0.insert(f.name().into(), json!(v));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.insert(f.name().into(), json!(v));
    }
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        self.0.insert(f.name().into(), json!(format!("{v:?}")));
    }
}

impl<S> Layer<S> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut m = Map::new();
        attrs.record(&mut Fields(&mut m));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(m));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(f) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut Fields(&mut f.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        event.record(&mut Fields(&mut fields));
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                let mut s = Map::new();
                s.insert("name".into(), json!(span.name()));
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    s.extend(f.0.clone());
                }
                spans.push(Value::Object(s));
            }
        }
        let mut line = line(event, fields, spans).to_string();
        line.push('\n');
        // One write per line, so lines from several threads never interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// The JSON object for one event.
fn line(event: &Event<'_>, mut fields: Map<String, Value>, spans: Vec<Value>) -> Value {
    let meta = event.metadata();
    let message = match fields.remove("message") {
        Some(Value::String(s)) => s,
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let message = ["warning: ", "error: ", "note: "]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .map(str::to_string)
        .unwrap_or(message);
    // The flow: the event's own `flow` or `tenant`, else the innermost span's.
    let flow = fields
        .get("flow")
        .or_else(|| fields.get("tenant"))
        .cloned()
        .or_else(|| spans.iter().rev().find_map(|s| s.get("flow").cloned()));
    let mut o = Map::new();
    o.insert("timestamp".into(), json!(timestamp()));
    o.insert("level".into(), json!(meta.level().as_str()));
    o.insert("severity_number".into(), json!(severity(*meta.level())));
    o.insert("message".into(), json!(message));
    // An event without `name:` is called `event file:line`: no EventName.
    if !meta.name().starts_with("event ") {
        o.insert("event_name".into(), json!(meta.name()));
    }
    if let Some(f) = flow {
        o.insert("flow".into(), f);
    }
    o.insert("target".into(), json!(meta.target()));
    o.insert("fields".into(), Value::Object(fields));
    if !spans.is_empty() {
        o.insert("spans".into(), Value::Array(spans));
    }
    o.insert(
        "resource".into(),
        json!({"service.name": env!("CARGO_PKG_NAME"), "service.version": env!("CARGO_PKG_VERSION")}),
    );
    Value::Object(o)
}

/// OpenTelemetry's SeverityNumber for a level.
fn severity(l: Level) -> u8 {
    match l {
        Level::TRACE => 1,
        Level::DEBUG => 5,
        Level::INFO => 9,
        Level::WARN => 13,
        Level::ERROR => 17,
    }
}

/// Now, in RFC 3339 (UTC, microseconds).
fn timestamp() -> String {
    use tracing_subscriber::fmt::time::{FormatTime as _, SystemTime};
    let mut s = String::new();
    let _ = SystemTime.format_time(&mut tracing_subscriber::fmt::format::Writer::new(&mut s));
    s
}
