//! Credentials: held by the host only, never shown.

use base64::Engine as _;
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
    fn empty_refused() {
        assert!(ApiKey::new("  ").is_err());
    }
}
