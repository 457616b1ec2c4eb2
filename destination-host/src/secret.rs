//! Credentials: held by the host only, never shown.

use base64::Engine as _;
use memchr::memmem;
use std::fmt;

/// An Ashby API key. Its `Debug` and `Display` print `****`; the only way to
/// use it is [`ApiKey::basic_header`], which the HTTP layer marks sensitive.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (a trailing newline from a file or
    /// an environment variable) is removed.
    pub fn new(key: impl Into<String>) -> anyhow::Result<ApiKey> {
        let key = key.into().trim().to_string();
        if key.is_empty() {
            anyhow::bail!("the API key is empty");
        }
        if key.chars().any(|c| c.is_control()) {
            anyhow::bail!("the API key contains control characters");
        }
        Ok(ApiKey(key))
    }

    /// Reads the key from `ASHBY_API_KEY`.
    pub fn from_env() -> anyhow::Result<ApiKey> {
        match std::env::var("ASHBY_API_KEY") {
            Ok(v) => ApiKey::new(v).map_err(|e| anyhow::anyhow!("ASHBY_API_KEY: {e}")),
            Err(_) => anyhow::bail!(
                "ASHBY_API_KEY is not set: export your Ashby API key to send to --base-url"
            ),
        }
    }

    /// `Basic base64("<key>:")`: the key is the username, the password empty.
    pub fn basic_header(&self) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.0));
        format!("Basic {encoded}")
    }

    /// The raw key bytes, for tests that prove the key is absent somewhere.
    pub fn expose_for_scan(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl ApiKey {
    /// A [`Redactor`] for this key: the key itself, `base64(key:)` (the
    /// `Basic` form) and `base64(key)`, each also without its `=` padding.
    pub fn redactor(&self) -> Redactor {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let mut needles = vec![self.0.clone().into_bytes()];
        for text in [format!("{}:", self.0), self.0.clone()] {
            for engine in [&STANDARD, &URL_SAFE] {
                let e = engine.encode(&text);
                needles.push(e.trim_end_matches('=').as_bytes().to_vec());
                needles.push(e.into_bytes());
            }
        }
        needles.retain(|n| !n.is_empty());
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        let finders = needles
            .iter()
            .map(|n| memmem::Finder::new(n).into_owned())
            .collect();
        Redactor { finders }
    }
}

/// Replaces a key's known forms by `****` in text that crosses into a guest
/// (a reflecting origin's headers and bodies) or that a guest wrote and the
/// host stores or prints.
#[derive(Clone)]
pub struct Redactor {
    /// One substring searcher per form of the key, longest first.
    finders: Vec<memmem::Finder<'static>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor(****)")
    }
}

/// What stands in for a redacted key.
pub const REDACTED: &str = "****";

impl Redactor {
    /// Whether `hay` holds any form of the key (one vectorised scan per
    /// form; the common case, no key, copies nothing).
    fn found_in(&self, hay: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(hay).is_some())
    }

    /// `bytes` with every occurrence of a needle replaced by `****`.
    pub fn bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        if !self.found_in(&bytes) {
            return bytes;
        }
        let mut out = bytes;
        for f in &self.finders {
            if let Some(replaced) = replace_all(&out, f) {
                out = replaced;
            }
        }
        out
    }

    /// `text` with every occurrence of a needle replaced by `****`.
    pub fn text(&self, text: String) -> String {
        if !self.found_in(text.as_bytes()) {
            return text;
        }
        // Needles are ASCII (the key has no controls and is valid UTF-8;
        // base64 is ASCII), so replacing them keeps the text valid UTF-8.
        String::from_utf8_lossy(&self.bytes(text.into_bytes())).into_owned()
    }

    /// Redacts a string in place.
    pub fn in_place(&self, text: &mut String) {
        *text = self.text(std::mem::take(text));
    }
}

/// `hay` with every match of `needle` (left to right, not overlapping)
/// replaced by `****`, or `None` if it has none.
fn replace_all(hay: &[u8], needle: &memmem::Finder<'_>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut last = 0;
    for at in needle.find_iter(hay) {
        out.extend_from_slice(&hay[last..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        last = at + needle.needle().len();
    }
    if last == 0 && out.is_empty() {
        return None;
    }
    out.extend_from_slice(&hay[last..]);
    Some(out)
}

/// What users see in place of the credential header.
pub const REDACTED_AUTHORIZATION: &str = "Basic ****";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let k = ApiKey::new("secret-key-123\n").unwrap();
        assert_eq!(format!("{k}"), "****");
        assert!(!format!("{k:?}").contains("secret"));
        assert_eq!(k.basic_header(), "Basic c2VjcmV0LWtleS0xMjM6");
    }

    #[test]
    fn redactor_hides_every_form() {
        let k = ApiKey::new("sk-reflect-42").unwrap();
        let r = k.redactor();
        let basic = k.basic_header();
        let b64 = base64::engine::general_purpose::STANDARD.encode("sk-reflect-42");
        let text = format!("a sk-reflect-42 b {basic} c {b64} d");
        let out = r.text(text);
        assert_eq!(out, "a **** b Basic **** c **** d");
        assert_eq!(r.bytes(b"nothing here".to_vec()), b"nothing here");
        // Adjacent forms, at both ends, and the raw key inside a longer word.
        let edges = format!("sk-reflect-42{basic}x sk-reflect-42");
        assert_eq!(r.text(edges), "****Basic ****x ****");
        assert_eq!(
            r.bytes(b"xsk-reflect-42sk-reflect-42".to_vec()),
            b"x********"
        );
    }

    #[test]
    fn empty_refused() {
        assert!(ApiKey::new("  ").is_err());
    }
}
