//! Reading records: JSON Lines, a JSON array, or CSV with a header row,
//! chosen by file extension. A bad record never stops the run: it becomes a
//! [`InputItem::Bad`] that the caller dead-letters with its position.

use anyhow::Context as _;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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
                "{}: unknown input format; use .jsonl (JSON Lines), .json (an array) or .csv (with a header row), or say which with --format jsonl|json|csv",
                path.display()
            ),
        }
    }

    /// The format a `--format` value names: `jsonl` (or `ndjson`), `json`
    /// or `csv`.
    pub fn parse(name: &str) -> anyhow::Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "json" => Ok(Format::JsonArray),
            "csv" => Ok(Format::Csv),
            _ => anyhow::bail!("unknown input format `{name}`: use jsonl, json or csv"),
        }
    }
}

/// What a CSV cell of one column is converted to (cells are text; the
/// template declares what Ashby takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellType {
    /// `true` or `false` (any case).
    Boolean,
    /// A whole number.
    Integer,
    /// Any finite number.
    Number,
    /// A JSON array or object written as JSON text.
    Json,
}

/// Column name to cell type; a column not in the map stays a string.
pub type CellTypes = std::collections::HashMap<String, CellType>;

/// Where records come from and how to read them.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The input file; `-` reads standard input.
    pub path: PathBuf,
    /// The format, overriding the file's extension (needed for stdin).
    pub format: Option<Format>,
    /// The types of CSV columns.
    pub cells: CellTypes,
}

impl Source {
    /// A file read in the format its extension says, CSV cells as strings.
    pub fn file(path: &Path) -> Source {
        Source {
            path: path.to_path_buf(),
            ..Source::default()
        }
    }

    /// Whether the records come from standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// The format: the flag's, else the extension's.
    pub fn format(&self) -> anyhow::Result<Format> {
        match (self.format, self.is_stdin()) {
            (Some(f), _) => Ok(f),
            (None, true) => {
                anyhow::bail!(
                    "--input - reads standard input: say its format with --format jsonl|json|csv"
                )
            }
            (None, false) => Format::of(&self.path),
        }
    }
}

/// A streaming reader of input items.
pub type Items = Box<dyn Iterator<Item = InputItem> + Send>;

/// Opens an input file. Errors only when the file cannot be read at all.
pub fn open(path: &Path) -> anyhow::Result<Items> {
    open_source(&Source::file(path))
}

/// Opens a file that must be a readable regular file (not a directory).
pub fn open_file(path: &Path, what: &str) -> anyhow::Result<File> {
    let file =
        File::open(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if meta.is_dir() {
        anyhow::bail!("{what} {} is a directory, not a file", path.display());
    }
    Ok(file)
}

/// Opens a source (a file or standard input). Errors only when it cannot be
/// read at all.
pub fn open_source(src: &Source) -> anyhow::Result<Items> {
    let format = src.format()?;
    let reader: Box<dyn Read + Send> = if src.is_stdin() {
        Box::new(std::io::stdin())
    } else {
        Box::new(open_file(&src.path, "input")?)
    };
    let name = if src.is_stdin() {
        "standard input".to_string()
    } else {
        src.path.display().to_string()
    };
    match format {
        Format::JsonLines => Ok(Box::new(JsonLines {
            reader: BufReader::with_capacity(1 << 16, reader),
            index: 0,
            buf: Vec::new(),
        })),
        Format::JsonArray => {
            let mut text = Vec::new();
            BufReader::new(reader)
                .read_to_end(&mut text)
                .with_context(|| format!("cannot read input {name}"))?;
            Ok(Box::new(json_array(&text).with_context(|| {
                format!("{name} is not a JSON array of records")
            })?))
        }
        Format::Csv => Ok(Box::new(
            csv_items(reader, src.cells.clone()).with_context(|| format!("input {name}"))?,
        )),
    }
}

/// Reads records held in memory (pasted or dropped into a UI) exactly as
/// [`open_source`] reads a file of that format, CSV cells typed by `cells`.
pub fn from_bytes(format: Format, bytes: Vec<u8>, cells: CellTypes) -> anyhow::Result<Items> {
    let reader = std::io::Cursor::new(bytes);
    match format {
        Format::JsonLines => Ok(Box::new(JsonLines {
            reader,
            index: 0,
            buf: Vec::new(),
        })),
        Format::JsonArray => Ok(Box::new(
            json_array(reader.get_ref()).context("the text is not a JSON array of records")?,
        )),
        Format::Csv => Ok(Box::new(csv_items(reader, cells)?)),
    }
}

/// Opens a dead-letter file (`{"index", "record", "code", "reason", ...}`
/// per line) as input: each record keeps its original index. The whole file
/// is checked first: a line that is not a dead letter refuses the file,
/// naming the line. A repeated index is read once (the first line); the
/// others are counted in [`DeadLetters::repeated`] and never sent.
pub fn open_dead_letters(path: &Path) -> anyhow::Result<DeadLetters> {
    let file = open_file(path, "dead letters")?;
    let mut seen = std::collections::HashSet::new();
    let mut repeated = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read dead letters {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let index = dead_letter_index(&line).map_err(|why| {
            anyhow::anyhow!(
                "{} is not a dead-letter file: line {} {why}",
                path.display(),
                n + 1
            )
        })?;
        if !seen.insert(index) {
            repeated.push((n as u64 + 1, index));
        }
    }
    let records = seen.len() as u64;
    let file = open_file(path, "dead letters")?;
    let mut taken = std::collections::HashSet::new();
    let lines = BufReader::new(file).lines().map_while(Result::ok);
    let items = lines.filter_map(move |line| {
        let v: Value = serde_json::from_str(&line).ok()?;
        let index = v.get("index").and_then(Value::as_u64)?;
        taken.insert(index).then(|| dead_letter_item(index, &v))
    });
    Ok(DeadLetters {
        items: Box::new(items),
        records,
        repeated,
    })
}

/// A dead-letter file opened for replay.
pub struct DeadLetters {
    /// One item per distinct index, in file order.
    pub items: Items,
    /// Distinct indexes in the file.
    pub records: u64,
    /// `(line, index)` of lines whose index an earlier line already had:
    /// skipped.
    pub repeated: Vec<(u64, u64)>,
}

/// The index of one dead-letter line, or what makes it not one.
fn dead_letter_index(line: &str) -> Result<u64, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("is not JSON: {e}"))?;
    let Value::Object(m) = &v else {
        return Err(format!("is JSON {}, not a dead letter", kind(&v)));
    };
    for key in ["record", "code", "reason"] {
        if !m.contains_key(key) {
            return Err(format!("has no `{key}`, so it is not a dead letter"));
        }
    }
    m.get("index")
        .and_then(Value::as_u64)
        .ok_or_else(|| "has no whole-number `index`, so it is not a dead letter".to_string())
}

/// A checked dead letter as an input item.
fn dead_letter_item(index: u64, v: &Value) -> InputItem {
    match v.get("record") {
        Some(Value::Object(map)) => object_item(index, map.clone()),
        other => InputItem::Bad {
            index,
            record: other.cloned().unwrap_or(Value::Null),
            code: match v.get("code").and_then(Value::as_str) {
                Some("invalid_json") => "invalid_json",
                _ => "not_an_object",
            },
            reason: format!(
                "cannot replay: the record is not a JSON object (originally: {})",
                v.get("reason").and_then(Value::as_str).unwrap_or("-")
            ),
        },
    }
}

/// Counts the records an input holds without keeping them (for progress);
/// `None` for standard input, a JSON array, or a file that cannot be read.
pub fn count(src: &Source) -> Option<u64> {
    if src.is_stdin() {
        return None;
    }
    match src.format().ok()? {
        Format::JsonLines => {
            let f = File::open(&src.path).ok()?;
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
        Format::Csv => {
            let f = File::open(&src.path).ok()?;
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(BufReader::new(f));
            let mut rec = csv::ByteRecord::new();
            let mut n = 0u64;
            while r.read_byte_record(&mut rec).ok()? {
                n += 1;
            }
            Some(n)
        }
        Format::JsonArray => None,
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

fn csv_items(
    reader: impl Read + Send + 'static,
    cells: CellTypes,
) -> anyhow::Result<impl Iterator<Item = InputItem> + Send> {
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
            Ok(rec) => csv_row(i, &headers, &cells, &rec),
        })
    }))
}

/// One CSV row as an item: empty cells are absent fields, typed columns are
/// converted, every other cell is a string.
fn csv_row(i: u64, headers: &[String], types: &CellTypes, rec: &csv::ByteRecord) -> InputItem {
    let cells: Vec<String> = rec
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let bad = |code, reason| InputItem::Bad {
        index: i,
        record: Value::Array(cells.iter().cloned().map(Value::String).collect()),
        code,
        reason,
    };
    if cells.len() != headers.len() {
        let why = format!(
            "row {} has {} cells but the header has {}",
            i + 2,
            cells.len(),
            headers.len()
        );
        return bad("ragged_row", why);
    }
    if rec.iter().any(|c| std::str::from_utf8(c).is_err()) {
        return bad("invalid_utf8", format!("row {} is not valid UTF-8", i + 2));
    }
    let mut map = Map::new();
    for (h, c) in headers.iter().zip(&cells) {
        if c.is_empty() {
            continue;
        }
        let value = match types.get(h) {
            None => Value::String(c.clone()),
            Some(t) => match convert_cell(*t, c) {
                Ok(v) => v,
                Err(want) => {
                    let why = format!("row {} column `{h}`: expected {want}, got {c:?}", i + 2);
                    return bad("invalid_cell", why);
                }
            },
        };
        map.insert(h.clone(), value);
    }
    object_item(i, map)
}

/// Converts one cell to its column's type; on failure, what was expected.
fn convert_cell(t: CellType, cell: &str) -> Result<Value, &'static str> {
    let c = cell.trim();
    match t {
        CellType::Boolean => match c.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err("a boolean (true or false)"),
        },
        CellType::Integer => c
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "a whole number"),
        CellType::Number => c
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(|n| match c.parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => Value::Number(n),
            })
            .ok_or("a number"),
        CellType::Json => match serde_json::from_str::<Value>(c) {
            Ok(v @ (Value::Array(_) | Value::Object(_))) => Ok(v),
            _ => Err("a JSON array or object"),
        },
    }
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
    fn csv_cells_take_the_declared_types() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(
            &p,
            "name,send,n,x,tags\nAda,TRUE,3,1.5,\"[\"\"a\"\"]\"\nBob,yes,3,1,\nCy,false,3.5,2,\n",
        )
        .unwrap();
        let cells: CellTypes = [
            ("send", CellType::Boolean),
            ("n", CellType::Integer),
            ("x", CellType::Number),
            ("tags", CellType::Json),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect();
        let src = Source {
            path: p,
            format: None,
            cells,
        };
        let got: Vec<InputItem> = open_source(&src).unwrap().collect();
        match &got[0] {
            InputItem::Record { json, .. } => assert_eq!(
                json,
                r#"{"name":"Ada","send":true,"n":3,"x":1.5,"tags":["a"]}"#
            ),
            other => panic!("{other:?}"),
        }
        match &got[1] {
            InputItem::Bad { code, reason, .. } => {
                assert_eq!(*code, "invalid_cell");
                assert!(reason.contains("column `send`"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&got[2], InputItem::Bad { reason, .. } if reason.contains("`n`")));
    }

    #[test]
    fn a_directory_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::create_dir(&p).unwrap();
        let e = open(&p).err().unwrap().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn dead_letters_are_checked_and_repeated_indexes_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.jsonl");
        let line = |i: u64| {
            format!(r#"{{"index":{i},"record":{{"a":{i}}},"code":"x","reason":"y","attempts":1}}"#)
        };
        std::fs::write(&p, format!("{}\n{}\n{}\n", line(0), line(1), line(0))).unwrap();
        let d = open_dead_letters(&p).unwrap();
        assert_eq!(d.records, 2);
        assert_eq!(d.repeated, vec![(3, 0)]);
        assert_eq!(d.items.map(|i| i.index()).collect::<Vec<_>>(), vec![0, 1]);
        std::fs::write(&p, format!("{}\n{{\"name\":\"Ada\"}}\n", line(0))).unwrap();
        let e = open_dead_letters(&p).err().unwrap().to_string();
        assert!(e.contains("line 2"), "{e}");
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
            let from_memory = from_bytes(format, text.to_vec(), CellTypes::default())
                .unwrap()
                .collect();
            assert_eq!(show(from_memory), show(items(name, text)), "{name}");
        }
    }
}
