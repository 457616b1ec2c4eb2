//! The delivery journal: each record's final outcome, written durably, so a
//! run killed at any point resumes without losing a record.
//!
//! The file is JSON Lines. The first line names the format and the config the
//! run used; each further line is one record's final outcome, keyed by its
//! input index and a hash of the record's text:
//!
//! ```text
//! {"journal":1,"config":"9f2c…"}
//! {"i":0,"h":"4be1…","o":"delivered"}
//! {"i":3,"h":"77a0…","o":"dead_lettered","code":"invalid_input"}
//! ```
//!
//! Only final outcomes are journaled (delivered, dead-lettered). Records that
//! were waiting to retry, in flight, or not attempted after a halt are not, so
//! a resumed run sends them again. The host writes a batch's dead letters and
//! responses, syncs them, and only then appends and syncs the batch's journal
//! lines: a record the journal calls done has its outputs on disk.
//!
//! A kill can leave a torn last line; opening the journal drops it (that
//! record is simply sent again).

use anyhow::Context as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Format version written in the header line.
const VERSION: u64 = 1;

/// A record's final outcome as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The remote accepted it.
    Delivered,
    /// It was dead-lettered with this code.
    DeadLettered(String),
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Input index.
    pub index: u64,
    /// [`record_hash`] of the record's text.
    pub hash: String,
    /// What became of it.
    pub done: Done,
}

/// The hash a journal keys a record by: SHA-256 of its text, first 16 bytes
/// in hex.
pub fn record_hash(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    d[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a config, ignoring the host-set `response_webhook` key (so
/// turning `--responses` on for a resumed run is not a different config).
pub fn config_hash(config: &str) -> String {
    let canonical = match serde_json::from_str::<Value>(config) {
        Ok(Value::Object(mut m)) => {
            m.remove("response_webhook");
            Value::Object(m).to_string()
        }
        _ => config.to_string(),
    };
    record_hash(&canonical)
}

/// An open journal: what earlier runs finished, and the file to append to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    done: HashMap<u64, Entry>,
}

message_error!(
    /// Why a journal cannot be used for this run.
    JournalMismatch
);

impl Journal {
    /// Opens (or creates) the journal at `path` for a run with `config`.
    /// Refuses a journal written for another config.
    pub fn open(path: &Path, config: &str) -> anyhow::Result<Journal> {
        let want = config_hash(config);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| format!("cannot open the journal {}", path.display()))?;
        let scan = scan(path, &file)?;
        match &scan.header {
            Some(h) => {
                let had = h.get("config").and_then(Value::as_str).unwrap_or("");
                if had != want {
                    return Err(JournalMismatch(format!(
                        "the journal {} was written for a different config; resume with the config it was \
                         started with, or start a new journal (to re-send dead letters under a fixed \
                         config, use `replay`)",
                        path.display()
                    ))
                    .into());
                }
                let len = file.metadata().map(|m| m.len()).unwrap_or(scan.good_len);
                if len != scan.good_len {
                    file.set_len(scan.good_len)
                        .with_context(|| format!("truncating {}", path.display()))?;
                }
            }
            None => start(path, &mut file, &want)?,
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            done: scan.done,
        })
    }

    /// Takes the finished records out (the resumed run consults them once
    /// per input record).
    pub fn take_done(&mut self) -> HashMap<u64, Entry> {
        std::mem::take(&mut self.done)
    }

    /// Records an earlier run finished.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether no record is finished yet.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// What an earlier run did with record `index`, if it finished it.
    pub fn get(&self, index: u64) -> Option<&Entry> {
        self.done.get(&index)
    }

    /// Checks that `input` is the input this journal was written for: every
    /// journaled index is still there with the same text. Call it before
    /// sending anything, with a fresh reader over the input.
    pub fn verify(
        &self,
        input: impl Iterator<Item = crate::input::InputItem>,
    ) -> anyhow::Result<()> {
        if self.done.is_empty() {
            return Ok(());
        }
        let mut seen = 0usize;
        for item in input {
            let index = item.index();
            let Some(e) = self.done.get(&index) else {
                continue;
            };
            seen += 1;
            let h = record_hash(&item_text(&item));
            if h != e.hash {
                return Err(JournalMismatch(format!(
                    "the input changed under its journal {}: record {index} is not the record the \
                     journal finished (hash {} now, {} then); restore the input, or start a new journal",
                    self.path.display(),
                    h,
                    e.hash
                ))
                .into());
            }
        }
        if seen != self.done.len() {
            return Err(JournalMismatch(format!(
                "the input changed under its journal {}: the journal finished {} records but only {seen} \
                 of their indexes are in the input now; restore the input, or start a new journal",
                self.path.display(),
                self.done.len()
            ))
            .into());
        }
        Ok(())
    }

    /// Appends entries and syncs the file.
    pub fn commit(&mut self, entries: &[Entry]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(entries.len() * 64);
        for e in entries {
            let mut v = json!({"i": e.index, "h": e.hash});
            match &e.done {
                Done::Delivered => v["o"] = json!("delivered"),
                Done::DeadLettered(code) => {
                    v["o"] = json!("dead_lettered");
                    v["code"] = json!(code);
                }
            }
            buf.extend_from_slice(v.to_string().as_bytes());
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }
}

/// What an existing journal file holds.
struct Scan {
    /// Its first line, when it has one.
    header: Option<Value>,
    /// The final outcomes it records, by index.
    done: HashMap<u64, Entry>,
    /// The file's length up to the end of its last complete line.
    good_len: u64,
}

/// Reads a journal's complete lines; a torn last line (a kill during a
/// write) is left out. A damaged line or a foreign file is an error.
fn scan(path: &Path, file: &File) -> anyhow::Result<Scan> {
    let damaged = |lineno: u64, why: String| {
        JournalMismatch(format!(
            "the journal {} is damaged at line {lineno}: {why}",
            path.display()
        ))
    };
    let mut out = Scan {
        header: None,
        done: HashMap::new(),
        good_len: 0,
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut lineno = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading the journal {}", path.display()))?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        lineno += 1;
        let v: Value = serde_json::from_slice(&line).map_err(|e| damaged(lineno, e.to_string()))?;
        if out.header.is_none() {
            if v.get("journal").and_then(Value::as_u64) != Some(VERSION) {
                return Err(JournalMismatch(format!(
                    "{} is not a delivery journal (its first line has no \"journal\":{VERSION})",
                    path.display()
                ))
                .into());
            }
            out.header = Some(v);
        } else {
            let e = parse_entry(&v).ok_or_else(|| damaged(lineno, "not an entry".into()))?;
            out.done.insert(e.index, e);
        }
        out.good_len += n as u64;
    }
    Ok(out)
}

/// Starts a journal in an empty (or headerless) file: its header line,
/// synced.
fn start(path: &Path, file: &mut File, want: &str) -> anyhow::Result<()> {
    file.set_len(0)
        .with_context(|| format!("truncating {}", path.display()))?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", json!({"journal": VERSION, "config": want}))
        .with_context(|| format!("writing the journal {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing the journal {}", path.display()))
}

fn parse_entry(v: &Value) -> Option<Entry> {
    let index = v.get("i")?.as_u64()?;
    let hash = v.get("h")?.as_str()?.to_string();
    let done = match v.get("o")?.as_str()? {
        "delivered" => Done::Delivered,
        "dead_lettered" => Done::DeadLettered(v.get("code")?.as_str()?.to_string()),
        _ => return None,
    };
    Some(Entry { index, hash, done })
}

/// The text a record is hashed by: its JSON for a good record, the dead
/// letter's `record` value for a bad one.
pub fn item_text(item: &crate::input::InputItem) -> std::borrow::Cow<'_, str> {
    match item {
        crate::input::InputItem::Record { json, .. } => json.as_str().into(),
        crate::input::InputItem::Bad { record, .. } => record.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::InputItem;

    fn rec(i: u64, s: &str) -> InputItem {
        InputItem::Record {
            index: i,
            json: s.into(),
        }
    }

    #[test]
    fn resumes_refuses_changes_and_drops_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        let mut j = Journal::open(&p, r#"{"template":"create-candidate"}"#).unwrap();
        assert!(j.is_empty());
        j.commit(&[
            Entry {
                index: 0,
                hash: record_hash("{\"a\":1}"),
                done: Done::Delivered,
            },
            Entry {
                index: 2,
                hash: record_hash("{\"a\":3}"),
                done: Done::DeadLettered("invalid_input".into()),
            },
        ])
        .unwrap();
        drop(j);
        // A torn line, as a kill mid-write leaves.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"i\":1,\"h\":\"ab").unwrap();
        drop(f);

        // The response_webhook key does not change the config's identity.
        let j = Journal::open(
            &p,
            r#"{"template":"create-candidate","response_webhook":true}"#,
        )
        .unwrap();
        assert_eq!(j.len(), 2);
        assert_eq!(j.get(0).unwrap().done, Done::Delivered);
        assert_eq!(
            j.get(2).unwrap().done,
            Done::DeadLettered("invalid_input".into())
        );
        assert!(j.get(1).is_none());
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.ends_with('\n'), "the torn line is gone: {text}");

        let same = vec![
            rec(0, "{\"a\":1}"),
            rec(1, "{\"a\":2}"),
            rec(2, "{\"a\":3}"),
        ];
        j.verify(same.into_iter()).unwrap();
        let changed = vec![
            rec(0, "{\"a\":1}"),
            rec(1, "{\"a\":2}"),
            rec(2, "{\"a\":4}"),
        ];
        let e = j.verify(changed.into_iter()).unwrap_err().to_string();
        assert!(e.contains("record 2") && e.contains("changed"), "{e}");
        let shorter = vec![rec(0, "{\"a\":1}")];
        let e = j.verify(shorter.into_iter()).unwrap_err().to_string();
        assert!(e.contains("only 1"), "{e}");
        drop(j);

        let e = Journal::open(&p, r#"{"template":"create-application"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("different config"), "{e}");

        let other = dir.path().join("not-a-journal");
        std::fs::write(&other, "{\"hello\":1}\n").unwrap();
        let e = Journal::open(&other, "{}").unwrap_err().to_string();
        assert!(e.contains("not a delivery journal"), "{e}");
    }
}
