//! Reading records: JSON Lines, a JSON array, or CSV with a header row,
//! chosen by file extension. A bad record never stops the run: it becomes a
//! [`InputItem::Bad`] that the caller dead-letters with its position.

use anyhow::Context as _;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The largest record accepted, in bytes of JSON text.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// One position of the input.
#[derive(Debug, Clone)]
pub enum InputItem {
    /// A JSON object, as compact JSON text.
    Record {
        /// 0-based position in the input.
        index: u64,
        /// The object as JSON text.
        json: String,
    },
    /// Something that is not a usable record.
    Bad {
        /// 0-based position in the input.
        index: u64,
        /// The original content, as close to unchanged as it can be kept.
        record: Value,
        /// A stable code: `invalid_json`, `not_an_object`, `invalid_utf8`,
        /// `record_too_large`, `ragged_row`.
        code: &'static str,
        /// What is wrong, in a sentence.
        reason: String,
    },
}

impl InputItem {
    /// The item's position.
    pub fn index(&self) -> u64 {
        match self {
            InputItem::Record { index, .. } | InputItem::Bad { index, .. } => *index,
        }
    }
}

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON value per line (`.jsonl`, `.ndjson`).
    JsonLines,
    /// One JSON array of objects (`.json`).
    JsonArray,
    /// Comma-separated values with a header row (`.csv`).
    Csv,
}

impl Format {
    /// Picks the format from the file extension.
    pub fn of(path: &Path) -> anyhow::Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "json" => Ok(Format::JsonArray),
            "csv" => Ok(Format::Csv),
            _ => anyhow::bail!(
                "{}: unknown input format; use .jsonl (JSON Lines), .json (an array) or .csv (with a header row)",
                path.display()
            ),
        }
    }
}

/// A streaming reader of input items.
pub type Items = Box<dyn Iterator<Item = InputItem> + Send>;

/// Opens an input file. Errors only when the file cannot be read at all.
pub fn open(path: &Path) -> anyhow::Result<Items> {
    let format = Format::of(path)?;
    let file = File::open(path).with_context(|| format!("cannot read input {}", path.display()))?;
    match format {
        Format::JsonLines => Ok(Box::new(JsonLines {
            reader: BufReader::with_capacity(1 << 16, file),
            index: 0,
            buf: Vec::new(),
        })),
        Format::JsonArray => {
            let mut text = Vec::new();
            BufReader::new(file)
                .read_to_end(&mut text)
                .with_context(|| format!("cannot read input {}", path.display()))?;
            Ok(Box::new(json_array(&text).with_context(|| {
                format!("{} is not a JSON array of records", path.display())
            })?))
        }
        Format::Csv => Ok(Box::new(csv_items(file)?)),
    }
}

/// Reads records held in memory (pasted or dropped into a UI) exactly as
/// [`open`] reads a file of that format.
pub fn from_bytes(format: Format, bytes: Vec<u8>) -> anyhow::Result<Items> {
    match format {
        Format::JsonLines => Ok(Box::new(JsonLines {
            reader: std::io::Cursor::new(bytes),
            index: 0,
            buf: Vec::new(),
        })),
        Format::JsonArray => Ok(Box::new(
            json_array(&bytes).context("the text is not a JSON array of records")?,
        )),
        Format::Csv => Ok(Box::new(csv_items(std::io::Cursor::new(bytes))?)),
    }
}

/// Opens a dead-letter file (`{"index", "record", "code", "reason", ...}`
/// per line) as input: each record keeps its original index. A line that is
/// not a dead letter, or whose record is not an object, is a bad item.
pub fn open_dead_letters(path: &Path) -> anyhow::Result<Items> {
    let file =
        File::open(path).with_context(|| format!("cannot read dead letters {}", path.display()))?;
    let mut position = 0u64;
    let lines = BufReader::new(file).lines();
    Ok(Box::new(lines.filter_map(move |line| {
        let pos = position;
        position += 1;
        let line = match line {
            Ok(l) if l.trim().is_empty() => return None,
            Ok(l) => l,
            Err(e) => {
                return Some(InputItem::Bad {
                    index: pos,
                    record: Value::Null,
                    code: "invalid_dead_letter",
                    reason: format!("line {} cannot be read: {e}", pos + 1),
                });
            }
        };
        let v: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                return Some(InputItem::Bad {
                    index: pos,
                    record: Value::String(line),
                    code: "invalid_dead_letter",
                    reason: format!("line {} is not JSON: {e}", pos + 1),
                });
            }
        };
        let index = v.get("index").and_then(Value::as_u64).unwrap_or(pos);
        Some(match v.get("record") {
            Some(Value::Object(map)) => object_item(index, map.clone()),
            Some(other) => InputItem::Bad {
                index,
                record: other.clone(),
                code: v
                    .get("code")
                    .and_then(Value::as_str)
                    .map(|c| {
                        if c == "invalid_json" {
                            "invalid_json"
                        } else {
                            "not_an_object"
                        }
                    })
                    .unwrap_or("not_an_object"),
                reason: format!(
                    "cannot replay: the record is not a JSON object (originally: {})",
                    v.get("reason").and_then(Value::as_str).unwrap_or("-")
                ),
            },
            None => InputItem::Bad {
                index,
                record: v.clone(),
                code: "invalid_dead_letter",
                reason: format!("line {} has no `record`", pos + 1),
            },
        })
    })))
}

/// Counts the records an input holds without keeping them (for progress).
pub fn count(path: &Path) -> Option<u64> {
    match Format::of(path).ok()? {
        Format::JsonLines => {
            let f = File::open(path).ok()?;
            let mut r = BufReader::with_capacity(1 << 16, f);
            let mut n = 0u64;
            let mut line = Vec::new();
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) => return Some(n),
                    Ok(_) => {
                        if !line.iter().all(|b| b.is_ascii_whitespace()) {
                            n += 1
                        }
                    }
                    Err(_) => return None,
                }
            }
        }
        _ => None,
    }
}

struct JsonLines<R> {
    reader: R,
    index: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        loop {
            self.buf.clear();
            // Read at most MAX_RECORD_BYTES+1 of this line, then skip the rest.
            let n = (&mut self.reader)
                .take(MAX_RECORD_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .ok()?;
            if n == 0 {
                return None;
            }
            let too_long = self.buf.len() > MAX_RECORD_BYTES && !self.buf.ends_with(b"\n");
            if too_long {
                // Discard the remainder of the line.
                let mut sink = Vec::new();
                loop {
                    sink.clear();
                    let m = (&mut self.reader)
                        .take(1 << 20)
                        .read_until(b'\n', &mut sink)
                        .ok()?;
                    if m == 0 || sink.ends_with(b"\n") {
                        break;
                    }
                }
                let index = self.index;
                self.index += 1;
                return Some(InputItem::Bad {
                    index,
                    record: Value::String(format!(
                        "{}…",
                        String::from_utf8_lossy(&self.buf[..200.min(self.buf.len())])
                    )),
                    code: "record_too_large",
                    reason: format!("the record is larger than {MAX_RECORD_BYTES} bytes"),
                });
            }
            if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let index = self.index;
            self.index += 1;
            return Some(parse_one(index, &self.buf));
        }
    }
}

/// Parses one JSON Lines line (the record at `index`): a record, or a bad
/// item saying why not.
pub fn parse_one(index: u64, bytes: &[u8]) -> InputItem {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim(),
        Err(e) => {
            return InputItem::Bad {
                index,
                record: Value::String(String::from_utf8_lossy(bytes).trim().to_string()),
                code: "invalid_utf8",
                reason: format!("the line is not valid UTF-8 ({e})"),
            };
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => object_item(index, map),
        Ok(other) => InputItem::Bad {
            index,
            reason: format!("the line is JSON {}, not an object", kind(&other)),
            record: other,
            code: "not_an_object",
        },
        Err(e) => InputItem::Bad {
            index,
            record: Value::String(text.to_string()),
            code: "invalid_json",
            reason: format!("the line is not valid JSON: {e}"),
        },
    }
}

fn object_item(index: u64, map: Map<String, Value>) -> InputItem {
    let json = Value::Object(map).to_string();
    InputItem::Record { index, json }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_array(text: &[u8]) -> anyhow::Result<impl Iterator<Item = InputItem> + Send + use<>> {
    let value: Value = serde_json::from_slice(text)?;
    let items = match value {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        other => anyhow::bail!("the file holds {}, not an array", kind(&other)),
    };
    Ok(items.into_iter().enumerate().map(|(i, v)| match v {
        Value::Object(map) => object_item(i as u64, map),
        other => InputItem::Bad {
            index: i as u64,
            reason: format!("element {i} is {}, not an object", kind(&other)),
            record: other,
            code: "not_an_object",
        },
    }))
}

fn csv_items<R: Read + Send + 'static>(
    reader: R,
) -> anyhow::Result<impl Iterator<Item = InputItem> + Send + use<R>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(BufReader::new(reader));
    let headers: Vec<String> = reader
        .byte_headers()
        .context("cannot read the CSV header row")?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        anyhow::bail!("the CSV file has no header row");
    }
    let mut index = 0u64;
    let mut rows = reader.into_byte_records();
    Ok(std::iter::from_fn(move || {
        let row = rows.next()?;
        let i = index;
        index += 1;
        Some(match row {
            Err(e) => InputItem::Bad {
                index: i,
                record: Value::Null,
                code: "invalid_csv",
                reason: format!("row {} cannot be read: {e}", i + 2),
            },
            Ok(rec) => {
                let cells: Vec<String> = rec
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                let invalid_utf8 = rec.iter().any(|c| std::str::from_utf8(c).is_err());
                if cells.len() != headers.len() {
                    InputItem::Bad {
                        index: i,
                        record: Value::Array(cells.into_iter().map(Value::String).collect()),
                        code: "ragged_row",
                        reason: format!(
                            "row {} has {} cells but the header has {}",
                            i + 2,
                            rec.len(),
                            headers.len()
                        ),
                    }
                } else if invalid_utf8 {
                    InputItem::Bad {
                        index: i,
                        record: Value::Array(cells.into_iter().map(Value::String).collect()),
                        code: "invalid_utf8",
                        reason: format!("row {} is not valid UTF-8", i + 2),
                    }
                } else {
                    // Empty cells are absent fields; every other cell is a string.
                    let mut map = Map::new();
                    for (h, c) in headers.iter().zip(cells) {
                        if !c.is_empty() {
                            map.insert(h.clone(), Value::String(c));
                        }
                    }
                    object_item(i, map)
                }
            }
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn items(name: &str, content: &[u8]) -> Vec<InputItem> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content)
            .unwrap();
        open(&p).unwrap().collect()
    }

    #[test]
    fn jsonl_with_bad_lines() {
        let got = items(
            "in.jsonl",
            b"{\"a\":1}\n\nnot json\n[1,2]\n{\"b\":\"\xff\"}\n{\"c\":3}",
        );
        assert_eq!(got.len(), 5);
        assert!(matches!(&got[0], InputItem::Record { index: 0, .. }));
        assert!(matches!(
            &got[1],
            InputItem::Bad {
                index: 1,
                code: "invalid_json",
                ..
            }
        ));
        assert!(matches!(
            &got[2],
            InputItem::Bad {
                index: 2,
                code: "not_an_object",
                ..
            }
        ));
        assert!(matches!(
            &got[3],
            InputItem::Bad {
                index: 3,
                code: "invalid_utf8",
                ..
            }
        ));
        assert!(matches!(&got[4], InputItem::Record { index: 4, .. }));
    }

    #[test]
    fn deep_nesting_is_a_bad_record() {
        let mut line = "[".repeat(100_000);
        line.push_str(&"]".repeat(100_000));
        let got = items("in.jsonl", format!("{line}\n{{\"ok\":1}}\n").as_bytes());
        assert!(matches!(
            &got[0],
            InputItem::Bad {
                code: "invalid_json",
                ..
            }
        ));
        assert!(matches!(&got[1], InputItem::Record { .. }));
    }

    #[test]
    fn csv_ragged() {
        let got = items("in.csv", b"name,email\nAda,ada@example.com\nBob\nCy,\n");
        assert!(matches!(&got[0], InputItem::Record { .. }));
        assert!(matches!(
            &got[1],
            InputItem::Bad {
                code: "ragged_row",
                ..
            }
        ));
        match &got[2] {
            InputItem::Record { json, .. } => assert_eq!(json, "{\"name\":\"Cy\"}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn array() {
        let got = items("in.json", b"[{\"a\":1}, 2]");
        assert!(matches!(&got[0], InputItem::Record { .. }));
        assert!(matches!(
            &got[1],
            InputItem::Bad {
                code: "not_an_object",
                ..
            }
        ));
    }

    #[test]
    fn text_in_memory_reads_as_the_same_file_does() {
        let cases: [(&str, Format, &[u8]); 3] = [
            (
                "in.jsonl",
                Format::JsonLines,
                b"{\"a\":1}\n\nnot json\n[1]\n{\"b\":2}",
            ),
            (
                "in.csv",
                Format::Csv,
                b"name,email\nAda,ada@example.com\nBob\nCy,\n",
            ),
            ("in.json", Format::JsonArray, b"[{\"a\":1}, 2]"),
        ];
        for (name, format, text) in cases {
            let show = |v: Vec<InputItem>| format!("{v:?}");
            let from_memory = from_bytes(format, text.to_vec()).unwrap().collect();
            assert_eq!(show(from_memory), show(items(name, text)), "{name}");
        }
    }
}
