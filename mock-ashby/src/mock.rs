//! The handle tests hold: a [`MockAshby`] started from a [`MockConfig`], whose methods
//! steer faults, latency and permissions and to read back requests and state.

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

use crate::config::MockConfig;
use crate::faults::Fault;
use crate::record::RecordedRequest;
use crate::server::{self, Shared};
use crate::state::StateSnapshot;
use crate::sync::lock;
use crate::webhook::WEBHOOK_PATH;

/// A running mock Ashby server. Dropping it (or calling [`MockAshby::shutdown`]) stops it.
pub struct MockAshby {
    addr: SocketAddr,
    api_key: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for MockAshby {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockAshby")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockAshby {
    /// Binds 127.0.0.1:`config.port` and starts serving on a background thread. The
    /// socket is bound when this returns.
    pub fn start(config: MockConfig) -> anyhow::Result<MockAshby> {
        anyhow::ensure!(
            !config.api_keys.is_empty(),
            "MockConfig.api_keys must hold at least one key"
        );
        let listener = StdTcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("binding mock Ashby on 127.0.0.1:{}", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mock-ashby-worker")
            .enable_all()
            .build()
            .context("building the mock Ashby runtime")?;
        let shared = Arc::new(Shared::new(&config));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("mock-ashby".to_owned())
            .spawn(move || {
                runtime.block_on(server::serve(listener, server_shared, stop_rx));
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .context("spawning the mock Ashby thread")?;
        Ok(MockAshby {
            addr,
            api_key: config.api_keys[0].clone(),
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Base URL to use instead of `https://api.ashbyhq.com`, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first accepted API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Queues a fault. Faults are checked in queue order before normal handling; each
    /// matching request consumes one `times` of the first matching fault. A fault with
    /// `times == 0` is ignored.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.push(fault);
    }

    /// Number of fault applications still queued (sum of the remaining `times`).
    pub fn pending_faults(&self) -> u32 {
        self.shared.faults.pending()
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Changes the delay added before every response.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Changes the granted permissions (`None` grants all).
    pub fn set_permissions(&self, permissions: Option<Vec<String>>) {
        self.shared.permissions.set(permissions);
    }

    /// Where the mock receives response-webhook records (`--responses-url`).
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.base_url())
    }

    /// The response-webhook records the mock accepted, in arrival order.
    pub fn webhook_records(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == WEBHOOK_PATH && r.status == 200)
            .map(|r| r.body)
            .collect()
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.all()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Copies of the stored objects.
    pub fn state(&self) -> StateSnapshot {
        lock(&self.shared.org).snapshot()
    }

    /// Stops the server and joins its thread (dropping the handle does the same).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for MockAshby {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
