//! The component's one import, `http.send`, served by the host.
//!
//! This is the only place the network is reached. The guest names a path;
//! the host joins it to the tenant's origin, adds the credential and the
//! content type, refuses reserved headers and path tricks, follows no
//! redirects, and bounds time and size.

use crate::bindings::http::{Error, Header, Request, Response};
use crate::limits::{FlowStats, Limits};
pub use crate::origin::Origin;
use crate::secret::ApiKey;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Headers the guest may never set: the host owns them.
pub fn is_reserved_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization"
            | "host"
            | "cookie"
            | "content-length"
            | "transfer-encoding"
            | "connection"
            | "content-type"
            | "te"
            | "upgrade"
            | "keep-alive"
            | "expect"
    ) || n.starts_with("proxy-")
}

/// Checks one guest-supplied header: not reserved, a valid name, a value
/// without control characters (tab aside). Returns it ready to send.
pub fn check_header(
    name: &str,
    value: &str,
) -> Result<(reqwest::header::HeaderName, reqwest::header::HeaderValue), Error> {
    if is_reserved_header(name) {
        return Err(Error::Denied(format!(
            "header `{name}` is reserved to the host"
        )));
    }
    let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidRequest(format!("header name {name:?} is not valid")))?;
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::InvalidRequest(format!(
            "header `{name}` has a control character in its value"
        )));
    }
    let v = reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidRequest(format!("header `{name}` has an invalid value")))?;
    Ok((n, v))
}

/// Checks a guest-supplied path: relative to the origin, and unable to change
/// it. Returns the reason it is refused.
pub fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "path {path:?} must start with `/` (a path, never a URL)"
        ));
    }
    if path.starts_with("//") {
        return Err(format!(
            "path {path:?} starts with `//`, which names a host"
        ));
    }
    if path.contains("://") {
        return Err(format!("path {path:?} contains a URL"));
    }
    for c in path.chars() {
        if c.is_control() || c.is_whitespace() {
            return Err(format!(
                "path {path:?} contains whitespace or a control character"
            ));
        }
        if matches!(c, '\\' | '@' | '#') || !c.is_ascii() {
            return Err(format!(
                "path {path:?} contains the forbidden character {c:?}"
            ));
        }
    }
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%00")
        || lower.contains("%25")
    {
        return Err(format!(
            "path {path:?} percent-encodes a dot, slash, backslash, NUL or percent sign"
        ));
    }
    let only_path = path.split('?').next().unwrap_or("");
    // `/..;/` is a dot segment to servers that strip path parameters.
    let dot = |seg: &str| matches!(seg.split(';').next(), Some("." | ".."));
    if only_path.split('/').any(dot) {
        return Err(format!("path {path:?} contains a dot segment"));
    }
    Ok(())
}

/// The headers the host adds to every request besides the credential
/// (`Authorization`), as `sample` shows them too.
pub const HOST_HEADERS: [(&str, &str); 2] = [
    ("content-type", "application/json"),
    ("accept", "application/json"),
];

/// The HTTP client every flow of a sandbox shares: no redirects, no proxy
/// from the environment, keep-alive connections.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_HOST)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
}

/// Idle keep-alive connections kept per origin: enough for the largest
/// concurrency a flow uses without reconnecting.
const IDLE_CONNECTIONS_PER_HOST: usize = 64;

/// The HTTP import's per-Store state.
pub struct HttpCtx {
    client: reqwest::Client,
    origin: Origin,
    authorization: reqwest::header::HeaderValue,
    timeout: Duration,
    max_response_bytes: usize,
    max_request_bytes: usize,
    stats: Arc<FlowStats>,
    bucket: Option<crate::coordination::Pacer>,
    circuit: crate::circuit::Circuit,
    /// Set while this instance sends a probe: its requests pass the open
    /// circuit (the delivery loop lets one probe out at a time).
    pub probe: bool,
    /// Set after a halt: every further request is denied.
    pub halted: bool,
    /// Benchmarks only: answer in process instead of over the network.
    pub in_process: Option<InProcess>,
}

/// A canned answer the host returns for every request, after its policy
/// checks, without a socket: the zero-latency transport of the benchmarks.
/// Reachable from the library API only, never from the CLI.
#[derive(Clone, Debug)]
pub struct InProcess(pub Response);

impl HttpCtx {
    /// State for one tenant flow.
    pub fn new(
        client: reqwest::Client,
        origin: Origin,
        key: &ApiKey,
        limits: &Limits,
        stats: Arc<FlowStats>,
    ) -> HttpCtx {
        let mut authorization = reqwest::header::HeaderValue::from_str(&key.basic_header())
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
        authorization.set_sensitive(true);
        let bucket = limits
            .rate
            .map(|r| crate::coordination::pacer(limits.coordination.as_ref(), key, &origin, r));
        HttpCtx {
            client,
            origin: origin.clone(),
            authorization,
            timeout: limits.http_timeout,
            max_response_bytes: limits.max_response_bytes,
            max_request_bytes: limits.max_request_bytes,
            stats,
            bucket,
            circuit: crate::circuit::for_origin(&origin),
            probe: false,
            halted: false,
            in_process: None,
        }
    }

    /// Applies policy, then performs the exchange.
    pub async fn send(&self, req: Request) -> Result<Response, Error> {
        if self.halted {
            return Err(Error::Denied(
                "this flow was halted; no further requests are made".into(),
            ));
        }
        let method = match req.method.as_str() {
            "POST" => reqwest::Method::POST,
            "GET" => reqwest::Method::GET,
            "PUT" => reqwest::Method::PUT,
            "PATCH" => reqwest::Method::PATCH,
            "DELETE" => reqwest::Method::DELETE,
            other => {
                return Err(Error::InvalidRequest(format!(
                    "method {other:?} is not allowed"
                )));
            }
        };
        check_path(&req.path).map_err(Error::InvalidRequest)?;
        if req.body.len() > self.max_request_bytes {
            return Err(Error::InvalidRequest(format!(
                "request body of {} bytes is over the limit of {} bytes",
                req.body.len(),
                self.max_request_bytes
            )));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for Header { name, value } in &req.headers {
            let (n, v) = check_header(name, value)?;
            headers.append(n, v);
        }
        headers.insert(reqwest::header::AUTHORIZATION, self.authorization.clone());
        for (name, value) in HOST_HEADERS {
            headers.insert(name, reqwest::header::HeaderValue::from_static(value));
        }
        if let Some(InProcess(answer)) = &self.in_process {
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            return Ok(answer.clone());
        }
        if !self.probe && self.circuit.is_open() {
            return Err(Error::Connect(
                "not sent: the origin is failing and the flow is paused (its circuit is open)"
                    .into(),
            ));
        }
        let key = crate::circuit::request_key(&req.path, &req.body);
        let url = format!("{}{}", self.origin.as_str(), req.path);
        if let Some(b) = &self.bucket {
            b.acquire().await;
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let fut = async {
            let resp = self
                .client
                .request(method, &url)
                .headers(headers)
                .body(req.body)
                .send()
                .await
                .map_err(classify)?;
            let status = resp.status().as_u16();
            if status == 429
                && let Some(b) = &self.bucket
            {
                // Slow the key down for every flow that uses it.
                let pause = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(crate::retry::parse_retry_after)
                    .unwrap_or(Duration::from_secs(1));
                b.pause_for(pause).await;
            }
            let headers: Vec<Header> = resp
                .headers()
                .iter()
                .map(|(n, v)| Header {
                    name: n.as_str().to_ascii_lowercase(),
                    value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
                })
                .collect();
            if let Some(len) = resp.content_length()
                && len as usize > self.max_response_bytes
            {
                return Err(Error::TooLarge(format!(
                    "response of {len} bytes is over the limit of {} bytes",
                    self.max_response_bytes
                )));
            }
            let mut body = Vec::new();
            let mut resp = resp;
            while let Some(chunk) = resp.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > self.max_response_bytes {
                    return Err(Error::TooLarge(format!(
                        "response body is over the limit of {} bytes",
                        self.max_response_bytes
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Response {
                status,
                headers,
                body,
            })
        };
        let result = match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(format!(
                "no complete response within {:?}",
                self.timeout
            ))),
        };
        self.circuit
            .report(&crate::circuit::signal_of(&result, key));
        result
    }
}

fn classify(e: reqwest::Error) -> Error {
    // reqwest's Display never includes request headers; strip the URL anyway
    // so nothing but the reason reaches the guest.
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    if e.is_timeout() {
        Error::Timeout(msg)
    } else if e.is_connect() {
        Error::Connect(msg)
    } else {
        Error::Transport(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert!(Origin::parse("https://api.ashbyhq.com").is_ok());
        assert!(Origin::parse("http://127.0.0.1:8080").is_ok());
        assert!(Origin::parse("http://localhost:1/").is_ok());
        assert!(Origin::parse("http://example.com").is_err());
        assert!(Origin::parse("ftp://x").is_err());
        assert!(Origin::parse("https://u:p@host").is_err());
        assert!(Origin::parse("https://host/path").is_err());
        for bad in [
            "http://127.0.0.1.evil.com",
            "http://localhost.evil.com:80",
            "http://[::ffff:127.0.0.1]:80",
            "http://10.0.0.1:80",
            "https://host?x",
            "https://host#x",
            "https://ho st",
            "https://host\\@evil",
            "file:///etc/passwd",
            "//host",
            "https://host:abc",
            "https://host:99999",
            "http://127.0.0.1:}",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn paths() {
        assert!(check_path("/candidate.create").is_ok());
        for bad in [
            "candidate.create",
            "//evil.com/x",
            "/a/../b",
            "/a/%2e%2e/b",
            "/a\\b",
            "/a@b",
            "http://x/y",
            "/a\r\nHost: x",
            "/a b",
            "/./a",
            "/..;/a",
            "/a/.;x/b",
            "/%252e%252e/a",
            "/A/%2E%2E/b",
            "/.%2e/a",
            "/a%2Fb",
            "/a%5Cb",
            "https://evil.com/a",
            "/a?u=http://evil.com",
            "/a\u{0}b",
            "/a\u{7f}",
            "/caf\u{e9}",
            "",
        ] {
            assert!(check_path(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn reserved() {
        for h in [
            "Authorization",
            "HOST",
            "cookie",
            "Proxy-Authorization",
            "content-length",
        ] {
            assert!(is_reserved_header(h), "{h}");
        }
        assert!(!is_reserved_header("x-request-tag"));
    }
}
