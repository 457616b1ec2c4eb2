//! Who may drive the UI: a request must name this server as its `Host`
//! (so a DNS-rebinding page cannot reach it under another name), carry the
//! random token printed at start (in the `t` query parameter or the
//! `x-ui-token` header, so another local user or a web page cannot drive
//! it), and, when it has an `Origin`, come from this server's own origin.

use anyhow::Context as _;
use hyper::HeaderMap;
use hyper::http::uri::Uri;

/// The header the page sends the token in.
pub const TOKEN_HEADER: &str = "x-ui-token";

/// A fresh random token: 32 bytes from the operating system, as hex.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot draw a random token for the UI")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The names this server answers to and the token it requires.
pub struct Guard {
    token: String,
    /// `127.0.0.1:PORT` and `localhost:PORT`.
    hosts: [String; 2],
}

/// Why a request was refused: an HTTP status and one sentence.
pub struct Refusal {
    /// 403, 421 or 401.
    pub status: u16,
    /// What was wrong.
    pub message: &'static str,
}

impl Guard {
    /// The guard of a server listening on 127.0.0.1:`port`.
    pub fn new(token: String, port: u16) -> Guard {
        Guard {
            token,
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        }
    }

    /// The token (for the page's own links).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Admits a request, or says why not.
    pub fn admit(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if !header("host").is_some_and(|h| self.hosts.iter().any(|ok| ok == h)) {
            return Err(Refusal {
                status: 421,
                message: "this server answers only to 127.0.0.1 and localhost on its own port",
            });
        }
        if let Some(origin) = header("origin") {
            let own = self
                .hosts
                .iter()
                .any(|h| origin.strip_prefix("http://") == Some(h.as_str()));
            if !own {
                return Err(Refusal {
                    status: 403,
                    message: "requests from another origin are refused",
                });
            }
        }
        let given = header(TOKEN_HEADER).or_else(|| query_token(uri));
        if !given.is_some_and(|t| same(t.as_bytes(), self.token.as_bytes())) {
            return Err(Refusal {
                status: 401,
                message: "missing or wrong token: open the address host-harness ui printed",
            });
        }
        Ok(())
    }
}

/// The `t` query parameter.
fn query_token(uri: &Uri) -> Option<&str> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))
}

/// Compares in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
