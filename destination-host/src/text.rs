//! Terminal-safe text: what a guest or a remote says is shown with its
//! control characters escaped, so no byte of it can drive the operator's
//! terminal (`ESC ] 52` writes the clipboard, `ESC [ 2J` clears the screen)
//! or forge a log line. A leaf: every printing and logging site uses it.
//!
//! Escaped: C0 (U+0000..U+001F), DEL (U+007F) and C1 (U+0080..U+009F);
//! the line separators U+2028/U+2029 and bidi controls too, since terminals
//! and log viewers act on them. `\n`, `\r` and `\t` become `\n`, `\r`,
//! `\t`; the others `\x1b` or `\u{9b}`. Backslashes are left as they are,
//! so escaping is idempotent. JSON files keep the exact text: JSON's own
//! escaping is enough there; [`json_for_terminal`] is for JSON printed on a
//! terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never reach a terminal raw (newlines and tabs aside).
fn dangerous(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| dangerous(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !dangerous(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// `s` as one line for a terminal or a log: every control character
/// escaped, newlines and tabs included (one message, one line).
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// `s` as text for a terminal: control characters escaped, newlines and
/// tabs kept (for multi-line output such as a guest's stderr).
pub fn terminal(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n' || c == '\t')
}

/// Serialized JSON made safe for a terminal without changing its value:
/// serde_json already escapes C0 inside strings, but leaves DEL, C1 and the
/// other characters above raw; they can only occur inside strings, so each
/// becomes a `\uXXXX` escape, which decodes to the same text. Newlines and
/// tabs outside strings (pretty-printing) are kept.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    // Raw newlines and tabs are JSON's own whitespace, between tokens.
    let escape = |c: char| dangerous(c) && !matches!(c, '\n' | '\r' | '\t');
    if !json.chars().any(escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if escape(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_is_escaped() {
        let hostile = "a\u{1b}]52;c;ZXZpbA==\u{7}b\u{1b}[2J\u{9b}31m\u{7f}\r\n\tz\u{202e}";
        let line = one_line(hostile);
        assert_eq!(
            line,
            "a\\x1b]52;c;ZXZpbA==\\x07b\\x1b[2J\\u{9b}31m\\x7f\\r\\n\\tz\\u{202e}"
        );
        assert!(!line.chars().any(|c| c.is_control()));
        assert_eq!(one_line(&line), line, "idempotent");
        let text = terminal(hostile);
        assert!(!text.contains('\r') && text.contains('\n') && text.contains('\t'));
        assert!(!text.contains('\u{1b}') && !text.contains('\u{9b}'));
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(one_line("Ünïcödé ok — fine"), Cow::Borrowed(_)));
        assert!(matches!(terminal("two\nlines\tok"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_value() {
        let v = serde_json::json!({"m": "x\u{1b}[2J\u{9b}\u{7f}\u{2028}y"});
        let raw = serde_json::to_string_pretty(&v).unwrap();
        let safe = json_for_terminal(&raw);
        assert!(!safe.chars().any(dangerous_or_escape));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    fn dangerous_or_escape(c: char) -> bool {
        !matches!(c, '\n' | '\r' | '\t') && dangerous(c)
    }
}
