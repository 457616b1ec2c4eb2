//! The UI's HTTP server: a hyper HTTP/1.1 accept loop on 127.0.0.1, the
//! [`Guard`] in front of every request, then the page's files or the JSON
//! API. Every answer forbids caching, framing, sniffing and referrers (the
//! token is in the page's address) and allows only the page's own scripts.

use super::assets;
use super::guard::{Guard, Refusal};
use super::{Ui, api, save};
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;

/// The largest request body read (pasted or dropped records).
const MAX_BODY_BYTES: usize = 16 << 20;

/// The Content-Security-Policy of every answer.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// A running UI server; it stops when dropped.
pub struct Running {
    url: String,
    mock_url: Option<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The page's address, token included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The embedded mock's address, when test data goes there.
    pub fn target(&self) -> Option<&str> {
        self.mock_url.as_deref()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds 127.0.0.1:`port` (0 picks one) and serves `ui`.
pub async fn start(ui: Ui, token: String) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", ui.args.port))
        .await
        .with_context(|| format!("--port: cannot listen on 127.0.0.1:{}", ui.args.port))?;
    let port = listener.local_addr().context("the UI's address")?.port();
    let guard = Guard::new(token, port);
    let url = format!("http://127.0.0.1:{port}/?t={}", guard.token());
    let mock_url = ui.mock.as_ref().map(|m| m.base_url());
    let shared = Arc::new((ui, guard));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(Arc::clone(&shared), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Running {
        url,
        mock_url,
        task,
    })
}

type Answer = Response<Full<Bytes>>;

async fn handle(shared: Arc<(Ui, Guard)>, req: Request<Incoming>) -> Result<Answer, Infallible> {
    let (ui, guard) = (&shared.0, &shared.1);
    if let Err(Refusal { status, message }) = guard.admit(req.uri(), req.headers()) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
        return Ok(answer(status, "text/plain; charset=utf-8", message.into()));
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    Ok(match (method, path.as_str()) {
        (Method::GET, "/") => answer(
            StatusCode::OK,
            "text/html; charset=utf-8",
            assets::index(guard.token()).into(),
        ),
        (Method::GET, "/app.js") => answer(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            assets::APP_JS.into(),
        ),
        (Method::GET, "/style.css") => answer(
            StatusCode::OK,
            "text/css; charset=utf-8",
            assets::STYLE.into(),
        ),
        (Method::GET, "/api/init") => json_answer(StatusCode::OK, &api::init(ui)),
        (Method::POST, p) if p.starts_with("/api/") => post(ui, req).await,
        (_, "/" | "/app.js" | "/style.css" | "/api/init") => {
            json_answer(StatusCode::METHOD_NOT_ALLOWED, &json!({"error": "use GET"}))
        }
        _ => json_answer(StatusCode::NOT_FOUND, &json!({"error": "no such page"})),
    })
}

/// A POST to the API: a JSON body in, a JSON answer out.
async fn post(ui: &Ui, req: Request<Incoming>) -> Answer {
    let is_json = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.split(';').next() == Some("application/json"));
    if !is_json {
        let error = json!({"error": "the body must be application/json"});
        return json_answer(StatusCode::UNSUPPORTED_MEDIA_TYPE, &error);
    }
    let path = req.uri().path().to_owned();
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let error = json!({"error": format!("the body is larger than {MAX_BODY_BYTES} bytes")});
            return json_answer(StatusCode::PAYLOAD_TOO_LARGE, &error);
        }
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let error = json!({"error": format!("the body is not JSON: {e}")});
            return json_answer(StatusCode::BAD_REQUEST, &error);
        }
    };
    let result = match path.as_str() {
        "/api/records" => Ok(api::records(ui, &body)),
        "/api/sample" => api::sample(ui, &body).await,
        "/api/send" => api::send(ui, &body).await,
        "/api/save" => save::run(ui, &body).await,
        _ => return json_answer(StatusCode::NOT_FOUND, &json!({"error": "no such call"})),
    };
    match result {
        Ok(v) => json_answer(StatusCode::OK, &v),
        Err(e) => json_answer(StatusCode::BAD_REQUEST, &json!({"error": format!("{e:#}")})),
    }
}

fn json_answer(status: StatusCode, v: &Value) -> Answer {
    answer(status, "application/json", v.to_string().into())
}

fn answer(status: StatusCode, content_type: &str, body: Bytes) -> Answer {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = value.parse() {
            h.insert(name, v);
        }
    };
    put("content-type", content_type);
    put("cache-control", "no-store");
    put("x-content-type-options", "nosniff");
    put("referrer-policy", "no-referrer");
    put("x-frame-options", "DENY");
    put("content-security-policy", CSP);
    r
}
