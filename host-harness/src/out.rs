//! Standard output for a data tool: a reader that went away (`| head -1`)
//! ends the program quietly with the conventional status (128 + SIGPIPE),
//! never a panic. Everything goes through `destination_host::text`: no
//! control character from a guest or a remote reaches the terminal raw.

use std::io::Write as _;

/// The status a shell reports for a program ended by SIGPIPE.
pub const CLOSED_STDOUT_STATUS: u8 = 141;

/// Standard output was closed by its reader.
#[derive(Debug)]
pub struct ClosedStdout;

impl std::fmt::Display for ClosedStdout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for ClosedStdout {}

/// Writes `text` and a newline to stdout and flushes it, its control
/// characters escaped (newlines and tabs kept).
pub fn line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let text = text.to_string();
    let text = destination_host::text::terminal(&text);
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ClosedStdout.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// Writes `v` as pretty JSON to stdout (DEL and C1 as `\uXXXX`, the same
/// value).
pub fn json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    line(destination_host::text::json_for_terminal(&text))
}
