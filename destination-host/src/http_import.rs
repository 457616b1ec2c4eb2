//! The component's one import, `http.send`, served by the host.
//!
//! This is the only place the network is reached. The guest names a path;
//! the host joins it to the tenant's origin, adds the credential and the
//! content type, refuses reserved headers and path tricks, follows no
//! redirects, and bounds time and size.

use crate::bindings::http::{Error, Header, Method, Request, Response};
use crate::limits::{FlowStats, Limits};
use crate::metrics::HttpMetrics;
pub use crate::origin::Origin;
use crate::secret::{ApiKey, Redactor};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// Most headers one guest request may carry.
pub const MAX_REQUEST_HEADERS: usize = 64;
/// Most bytes all of one request's guest headers may take (names + values).
pub const MAX_HEADER_BYTES: usize = 16 << 10;
/// Longest path a guest may name.
pub const MAX_PATH_BYTES: usize = 8 << 10;

/// Headers the guest may never set: the host owns them (`Authorization`,
/// framing, `Content-Type`, `Proxy-*`), or they steer routing or the method
/// at a gateway in front of the origin (`Forwarded`, `X-Forwarded-*`,
/// `X-Original-*`, `X-Rewrite-*`, `X-HTTP-Method*`, `X-Method-Override`,
/// `Max-Forwards`, `Trailer`, `HTTP2-Settings`), or they have an `_`, which
/// CGI-style front ends turn into `-` (`Content_Length`).
pub fn is_reserved_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let exact = matches!(
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
            | "forwarded"
            | "max-forwards"
            | "trailer"
            | "http2-settings"
            | "x-method-override"
    );
    let family = [
        "proxy-",
        "x-forwarded-",
        "x-original-",
        "x-rewrite-",
        "x-http-method",
    ];
    exact || n.contains('_') || family.iter().any(|f| n.starts_with(f))
}

/// Checks one guest-supplied header: not reserved, a valid name, a value
/// without control characters (tab aside). Returns it ready to send.
pub fn check_header(
    name: &str,
    value: &str,
) -> Result<(reqwest::header::HeaderName, reqwest::header::HeaderValue), Error> {
    let shown = crate::text::one_line(clip(name));
    if is_reserved_header(name) {
        return Err(Error::Denied(format!(
            "header `{shown}` is reserved to the host"
        )));
    }
    let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidRequest(format!("header name `{shown}` is not valid")))?;
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::InvalidRequest(format!(
            "header `{shown}` has a control character in its value"
        )));
    }
    let v = reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidRequest(format!("header `{shown}` has an invalid value")))?;
    Ok((n, v))
}

/// At most the first 80 characters of a guest's text, for a message.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Checks a guest-supplied path: relative to the origin, and unable to change
/// it. Returns the reason it is refused.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.len() > MAX_PATH_BYTES {
        return Err(format!(
            "path of {} bytes is over the limit of {MAX_PATH_BYTES} bytes",
            path.len()
        ));
    }
    let shown = clip(path);
    if !path.starts_with('/') {
        return Err(format!(
            "path {shown:?} must start with `/` (a path, never a URL)"
        ));
    }
    if path.starts_with("//") {
        return Err(format!(
            "path {shown:?} starts with `//`, which names a host"
        ));
    }
    if path.contains("://") {
        return Err(format!("path {shown:?} contains a URL"));
    }
    for c in path.chars() {
        if c.is_control() || c.is_whitespace() {
            return Err(format!(
                "path {shown:?} contains whitespace or a control character"
            ));
        }
        if matches!(c, '\\' | '@' | '#') || !c.is_ascii() {
            return Err(format!(
                "path {shown:?} contains the forbidden character {c:?}"
            ));
        }
    }
    check_escapes(path).map_err(|why| format!("path {shown:?} {why}"))?;
    let only_path = path.split('?').next().unwrap_or("");
    // `/..;/` is a dot segment to servers that strip path parameters.
    let dot = |seg: &str| matches!(seg.split(';').next(), Some("." | ".."));
    if only_path.split('/').any(dot) {
        return Err(format!("path {shown:?} contains a dot segment"));
    }
    Ok(())
}

/// Percent-escapes: `%` and two hex digits, never of a control, a byte of
/// 0x80 or above (overlong and full-width dots), or a character a gateway
/// that decodes and parses again would act on (`? # @ ; \ / . %`).
fn check_escapes(path: &str) -> Result<(), String> {
    let b = path.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'%') {
        i += off;
        let hex = |c: u8| (c as char).to_digit(16);
        let byte = match (
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (Some(h), Some(l)) => (h * 16 + l) as u8,
            _ => return Err("has a `%` not followed by two hex digits".into()),
        };
        if !(0x20..0x7f).contains(&byte) || b"?#@;\\/.%".contains(&byte) {
            return Err(format!(
                "percent-encodes the byte 0x{byte:02x} (a control, a byte of 0x80 or above, or one of ? # @ ; \\ / . %)"
            ));
        }
        i += 3;
    }
    Ok(())
}

/// Bounds a guest request before anything is built from it: header count,
/// header bytes, and the whole request (path + headers + body) under the
/// request cap. Returns the reason it is refused.
pub fn check_size(req: &Request, max_request_bytes: usize) -> Result<(), String> {
    if req.headers.len() > MAX_REQUEST_HEADERS {
        return Err(format!(
            "{} headers are over the limit of {MAX_REQUEST_HEADERS}",
            req.headers.len()
        ));
    }
    let header_bytes: usize = req
        .headers
        .iter()
        .map(|h| h.name.len().saturating_add(h.value.len()).saturating_add(4))
        .fold(0, usize::saturating_add);
    if header_bytes > MAX_HEADER_BYTES {
        return Err(format!(
            "headers of {header_bytes} bytes are over the limit of {MAX_HEADER_BYTES} bytes"
        ));
    }
    let total = req
        .path
        .len()
        .saturating_add(header_bytes)
        .saturating_add(req.body.len());
    if total > max_request_bytes {
        return Err(format!(
            "request of {total} bytes (path, headers and body) is over the limit of {max_request_bytes} bytes"
        ));
    }
    Ok(())
}

/// The method of a request, if it is one the host knows; `None` for a
/// malformed or unsupported one.
fn known_method(m: Method) -> reqwest::Method {
    // The contract's method enum admits nothing else.
    match m {
        Method::Post => reqwest::Method::POST,
        Method::Get => reqwest::Method::GET,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
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
    redactor: Redactor,
    /// The one method the destination declared in `configure`; `None`
    /// before that, when every request is denied.
    pub method: Option<String>,
    circuit: crate::circuit::Circuit,
    /// Set while this instance sends a probe: its requests pass the open
    /// circuit (the delivery loop lets one probe out at a time).
    pub probe: bool,
    /// Set after a halt: every further request is denied.
    pub halted: bool,
    /// Benchmarks only: answer in process instead of over the network.
    pub in_process: Option<InProcess>,
    metrics: HttpMetrics,
    /// Earlier attempts of the records the current call sends (the
    /// `http.request.resend_count` of its requests' spans).
    pub resend_count: u32,
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
        metrics: &crate::metrics::FlowMetrics,
    ) -> HttpCtx {
        let mut authorization = reqwest::header::HeaderValue::from_str(&key.basic_header())
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
        authorization.set_sensitive(true);
        let bucket = limits
            .rate
            .map(|r| crate::coordination::pacer(limits.coordination.as_ref(), key, &origin, r));
        HttpCtx {
            client,
            authorization,
            timeout: limits.http_timeout,
            max_response_bytes: limits.max_response_bytes,
            max_request_bytes: limits.max_request_bytes,
            stats,
            bucket,
            redactor: key.redactor(),
            method: None,
            circuit: crate::circuit::for_origin(&origin),
            probe: false,
            halted: false,
            in_process: None,
            metrics: metrics.http(origin.as_str()),
            origin,
            resend_count: 0,
        }
    }

    /// This flow's metrics.
    pub fn metrics(&self) -> &crate::metrics::FlowMetrics {
        self.metrics.flow()
    }

    /// The tenant's key in every form, to redact what the guest writes.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Applies policy, then performs the exchange.
    pub async fn send(&self, req: Request) -> Result<Response, Error> {
        if self.halted {
            return Err(Error::Denied(
                "this flow was halted; no further requests are made".into(),
            ));
        }
        let method = self.check_method(&req.method)?;
        check_size(&req, self.max_request_bytes).map_err(Error::InvalidRequest)?;
        check_path(&req.path).map_err(Error::InvalidRequest)?;
        let headers = self.headers(&req.headers)?;
        let method_name = method_label(&method);
        if let Some(InProcess(answer)) = &self.in_process {
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            self.metrics
                .in_process(method_name, &req.path, answer.status);
            return Ok(answer.clone());
        }
        if !self.probe && self.circuit.is_open() {
            return Err(Error::Connect(
                "not sent: the origin is failing and the flow is paused (its circuit is open)"
                    .into(),
            ));
        }
        let key = crate::circuit::request_key(&req.path, &req.body);
        let url = self.origin.url_for(&req.path);
        if let Some(b) = &self.bucket {
            let waiting = Instant::now();
            b.acquire().await;
            self.metrics.flow().ratelimit_waited(waiting.elapsed());
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let attempt = self
            .metrics
            .attempt(method_name, &req.path, self.resend_count);
        let fut = async {
            let resp = self
                .client
                .request(method, url)
                .headers(headers)
                .body(req.body)
                .send()
                .await
                .map_err(classify)?;
            let status = resp.status().as_u16();
            if status == 429 {
                self.count_429(resp.headers());
            }
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
                    value: self
                        .redactor
                        .text(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                })
                .collect();
            let declared = resp.content_length().unwrap_or(0) as usize;
            if declared > self.max_response_bytes {
                return Err(Error::TooLarge(format!(
                    "response of {declared} bytes is over the limit of {} bytes",
                    self.max_response_bytes
                )));
            }
            let mut body = Vec::with_capacity(declared);
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
                body: self.redactor.bytes(body),
            })
        };
        let result = match tokio::time::timeout(self.timeout, fut)
            .instrument(attempt.span())
            .await
        {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(format!(
                "no complete response within {:?}",
                self.timeout
            ))),
        };
        let signal = crate::circuit::signal_of(&result, key);
        self.circuit.report(&signal);
        if self.probe || matches!(signal, crate::circuit::Signal::Failed { .. }) {
            // Only a failure opens the circuit and only a probe's answer
            // closes it: then this flow's gauge follows the shared circuit.
            let state = if self.circuit.is_open() {
                crate::metrics::CircuitState::Open
            } else {
                crate::metrics::CircuitState::Closed
            };
            self.metrics.flow().set_circuit_state(state);
        }
        attempt.finish(result)
    }
}

/// The method as a label value (one of the methods the policy allows).
fn method_label(m: &reqwest::Method) -> &'static str {
    match *m {
        reqwest::Method::GET => "GET",
        reqwest::Method::PUT => "PUT",
        reqwest::Method::PATCH => "PATCH",
        reqwest::Method::DELETE => "DELETE",
        _ => "POST",
    }
}

impl HttpCtx {
    /// Counts a 429 answer for the flow's summary, telling Ashby's
    /// integration-partner limit (`X-RateLimit-Scope`) apart.
    fn count_429(&self, headers: &reqwest::header::HeaderMap) {
        self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        let partner = headers
            .get("x-ratelimit-scope")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("integration-partner"));
        if partner {
            self.stats
                .rate_limited_partner
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The request's method: the one the destination declared (else
    /// `denied`).
    fn check_method(&self, m: &Method) -> Result<reqwest::Method, Error> {
        let method = known_method(*m);
        let m = method_label(&method);
        match &self.method {
            Some(declared) if declared == m => Ok(method),
            Some(declared) => Err(Error::Denied(format!(
                "method {m} is not the one this destination declared ({})",
                crate::text::one_line(clip(declared))
            ))),
            None => Err(Error::Denied(format!(
                "method {m}: the destination declared no method (not configured)"
            ))),
        }
    }

    /// The guest's headers (checked one by one, inserted fallibly) and the
    /// host's own.
    fn headers(&self, guest: &[Header]) -> Result<reqwest::header::HeaderMap, Error> {
        use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
        let full = |_| Error::InvalidRequest("too many headers".into());
        let mut headers =
            HeaderMap::try_with_capacity(guest.len() + 1 + HOST_HEADERS.len()).map_err(full)?;
        for Header { name, value } in guest {
            let (n, v) = check_header(name, value)?;
            headers.try_append(n, v).map_err(full)?;
        }
        headers
            .try_insert(AUTHORIZATION, self.authorization.clone())
            .map_err(full)?;
        for (name, value) in HOST_HEADERS {
            headers
                .try_insert(name, HeaderValue::from_static(value))
                .map_err(full)?;
        }
        Ok(headers)
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
    fn a_url_is_the_origin_with_the_path_set_as_a_parse_would() {
        let paths = [
            "/",
            "/candidate.create",
            "/a/b;c/d",
            "/x?y=1&z=%41",
            "/q?",
            "/x?a?b",
            "/sp%20ace/\"quote\"/<a>{b}`c`",
            "/%41%42",
            "/a//b",
        ];
        for base in [
            "https://api.ashbyhq.com",
            "http://127.0.0.1:8080",
            "https://[::1]:9",
        ] {
            let origin = Origin::parse(base).unwrap();
            for path in paths {
                let want = reqwest::Url::parse(&format!("{}{path}", origin.as_str())).unwrap();
                assert_eq!(origin.url_for(path), want, "{base} {path}");
            }
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

    /// Each refused escape, and the escapes that stay allowed.
    #[test]
    fn percent_escapes() {
        for bad in [
            "/a%0d%0ab",
            "/a%3fb",
            "/a%3Fb",
            "/a%23b",
            "/a%40b",
            "/a%3bb",
            "/a%5cb",
            "/a%2fb",
            "/a%2eb",
            "/a%25b",
            "/a%7fb",
            "/a%80b",
            "/%c0%ae%c0%ae/b",
            "/%ef%bc%8e%ef%bc%8e/b",
            "/a%zzb",
            "/a%2",
            "/a%",
            "/a%g1",
            "/a%1fb",
        ] {
            let why = check_path(bad).expect_err(bad);
            assert!(
                why.contains("percent") || why.contains("hex"),
                "{bad}: {why}"
            );
        }
        for good in [
            "/a%20b",
            "/a%41b",
            "/a%7eb",
            "/a%2Cb",
            "/candidate.create?x=%3Dy",
        ] {
            assert!(check_path(good).is_ok(), "{good} refused");
        }
    }

    #[test]
    fn long_paths_are_refused_before_anything_else() {
        let long = format!("/{}", "a".repeat(MAX_PATH_BYTES));
        let why = check_path(&long).unwrap_err();
        assert!(why.contains("over the limit"), "{why}");
        assert!(why.len() < 200, "the message does not repeat the path");
        assert!(check_path(&long[..MAX_PATH_BYTES]).is_ok());
    }

    fn request(headers: Vec<Header>, body: usize) -> Request {
        Request {
            method: Method::Post,
            path: "/candidate.create".into(),
            headers,
            body: vec![b'x'; body],
        }
    }

    fn header(i: usize, value: &str) -> Header {
        Header {
            name: format!("x-h{i}"),
            value: value.into(),
        }
    }

    #[test]
    fn header_count_header_bytes_and_the_whole_request_are_bounded() {
        let many = (0..30_000).map(|i| header(i, "v")).collect();
        let why = check_size(&request(many, 0), 10 << 20).unwrap_err();
        assert!(why.contains("30000 headers"), "{why}");
        let ok = (0..MAX_REQUEST_HEADERS).map(|i| header(i, "v")).collect();
        assert!(check_size(&request(ok, 0), 10 << 20).is_ok());
        let big = vec![header(0, &"v".repeat(MAX_HEADER_BYTES))];
        let why = check_size(&request(big, 0), 10 << 20).unwrap_err();
        assert!(why.contains("headers of"), "{why}");
        // Path + headers + body together, not the body alone.
        let some = vec![header(0, &"v".repeat(1000))];
        let why = check_size(&request(some, 10_000 - 1000), 10_000).unwrap_err();
        assert!(why.contains("path, headers and body"), "{why}");
        assert!(check_size(&request(vec![], 9_000), 10_000).is_ok());
    }

    #[test]
    fn reserved() {
        for h in [
            "Authorization",
            "HOST",
            "cookie",
            "Proxy-Authorization",
            "content-length",
            "Transfer_Encoding",
            "Content_Length",
            "Proxy_Authorization",
            "x_request_tag",
            "X-Forwarded-Host",
            "x-forwarded-for",
            "Forwarded",
            "X-Original-URL",
            "x-rewrite-url",
            "X-HTTP-Method-Override",
            "x-http-method",
            "X-Method-Override",
            "Max-Forwards",
            "Trailer",
            "HTTP2-Settings",
        ] {
            assert!(is_reserved_header(h), "{h}");
            assert!(matches!(check_header(h, "x"), Err(Error::Denied(_))), "{h}");
        }
        assert!(!is_reserved_header("x-request-tag"));
        assert!(!is_reserved_header("x-forwarded"));
        assert!(!is_reserved_header("accept"));
    }
}
