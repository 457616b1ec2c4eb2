//! Where finished records go: the dead-letter file, the response records
//! (file, webhook, and the in-memory list a library caller reads) and the
//! journal, committed in the order that makes a kill safe.

use crate::journal::{Entry, Journal};
use crate::sandbox::StepDone;
use crate::webhook::Webhook;
use anyhow::Context as _;
use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::sync::Mutex;

/// An output file, if the run has one.
type Out = Mutex<Option<BufWriter<File>>>;

/// The run's outputs. Every method takes `&self`: workers share it.
pub(super) struct Sinks {
    dead_letter: Out,
    responses_file: Out,
    responses: Mutex<Vec<Value>>,
    webhook: Mutex<Option<Webhook>>,
    journal: Mutex<Option<Journal>>,
    write_error: Mutex<Option<String>>,
}

/// Locks a mutex, recovering the data from a worker that panicked holding it.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sinks {
    /// Opens the output files (appended to when resuming with a journal, so
    /// earlier runs' lines stay; truncated otherwise).
    pub(super) fn open(
        dead_letter: &Option<PathBuf>,
        responses: &Option<PathBuf>,
        journal: Option<Journal>,
        webhook: Option<Webhook>,
    ) -> anyhow::Result<Sinks> {
        let append = journal.is_some();
        Ok(Sinks {
            dead_letter: Mutex::new(open_out(dead_letter, append)?),
            responses_file: Mutex::new(open_out(responses, append)?),
            responses: Mutex::new(Vec::new()),
            webhook: Mutex::new(webhook),
            journal: Mutex::new(journal),
            write_error: Mutex::new(None),
        })
    }

    /// Writes one dead letter: `{index, record, code, reason, attempts}`,
    /// plus `completed` (`[{endpoint, id}]`, the record's calls that
    /// succeeded before the failure) when there are any. Returns whether
    /// the line was written, or `None` without a file.
    pub(super) fn dead_letter(
        &self,
        index: u64,
        record: Value,
        code: &str,
        reason: &str,
        attempts: u32,
        completed: &[StepDone],
    ) -> Option<bool> {
        let mut line = json!({
            "index": index, "record": record, "code": code, "reason": reason, "attempts": attempts,
        });
        if !completed.is_empty() {
            line["completed"] = completed
                .iter()
                .map(|s| json!({"endpoint": s.exchange.request.path, "id": s.id}))
                .collect();
        }
        self.write_line(&self.dead_letter, &line)
    }

    fn write_line(&self, w: &Out, v: &Value) -> Option<bool> {
        let mut g = lock(w);
        let w = g.as_mut()?;
        if let Err(e) = writeln!(w, "{v}") {
            *lock(&self.write_error) = Some(e.to_string());
            return Some(false);
        }
        Some(true)
    }

    /// Publishes one response record: the file, the webhook, the list.
    pub(super) fn publish(&self, v: Value) {
        self.write_line(&self.responses_file, &v);
        if let Some(w) = lock(&self.webhook).as_ref() {
            w.send(v.clone());
        }
        lock(&self.responses).push(v);
    }

    /// Makes final outcomes durable: the dead letters and responses written
    /// so far are synced first, then the journal lines are appended and
    /// synced. Without a journal this does nothing.
    pub(super) fn commit(&self, entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        let mut j = lock(&self.journal);
        let Some(journal) = j.as_mut() else { return };
        let mut result = Ok(());
        for w in [&self.dead_letter, &self.responses_file] {
            if let Some(w) = lock(w).as_mut() {
                result = result
                    .and_then(|_| w.flush())
                    .and_then(|_| w.get_ref().sync_data());
            }
        }
        if let Err(e) = result.and_then(|_| journal.commit(&entries)) {
            *lock(&self.write_error) = Some(format!("the journal: {e}"));
        }
    }

    /// Whether a journal is kept.
    pub(super) fn journaling(&self) -> bool {
        lock(&self.journal).is_some()
    }

    /// Waits for the webhook to post what it was given; returns
    /// `(posted, failed)`, or `None` without a webhook.
    pub(super) async fn finish_webhook(&self) -> Option<(u64, u64)> {
        let webhook = lock(&self.webhook).take()?;
        let st = webhook.finish().await;
        use std::sync::atomic::Ordering::Relaxed;
        Some((st.posted.load(Relaxed), st.failed.load(Relaxed)))
    }

    /// Flushes and syncs the files; fails if any write failed during the run.
    pub(super) fn close(&self) -> anyhow::Result<()> {
        for w in [&self.dead_letter, &self.responses_file] {
            if let Some(w) = lock(w).as_mut() {
                w.flush().context("flushing an output file")?;
                w.get_ref().sync_all().context("syncing an output file")?;
            }
        }
        if let Some(e) = lock(&self.write_error).take() {
            anyhow::bail!("writing an output file failed: {e}");
        }
        Ok(())
    }

    /// The response records published so far.
    pub(super) fn take_responses(&self) -> Vec<Value> {
        std::mem::take(&mut *lock(&self.responses))
    }
}

/// The `(index, code)` of every complete line of an existing dead-letter
/// file (none if it does not exist); a torn or foreign line is skipped.
pub(super) fn dead_lettered(path: &std::path::Path) -> Vec<(u64, String)> {
    use std::io::BufRead as _;
    let Ok(f) = File::open(path) else {
        return Vec::new();
    };
    std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| {
            let v: Value = serde_json::from_str(&l).ok()?;
            let index = v.get("index")?.as_u64()?;
            let code = v.get("code")?.as_str()?.to_string();
            Some((index, code))
        })
        .collect()
}

/// Opens an output file: truncated, or appended to.
fn open_out(p: &Option<PathBuf>, append: bool) -> anyhow::Result<Option<BufWriter<File>>> {
    let Some(p) = p else { return Ok(None) };
    let f = if append {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
    } else {
        File::create(p)
    };
    let f = f.with_context(|| format!("cannot write {}", p.display()))?;
    Ok(Some(BufWriter::new(f)))
}
