//! Coordination: one budget per API key across host processes.
//!
//! Without it (the default) a key's rate and its 429 pause live in this
//! process ([`crate::rate::Bucket`]). With a [`Coordination`]
//! (`--coordination redis://HOST:PORT/DB`) they are kept in Redis and shared
//! by every process that points at the same server and database:
//! - the rate is GCRA in one Lua script (atomic, so no read-then-write race;
//!   times come from the Redis server's clock, so the hosts' clocks do not
//!   matter), with the local bucket's burst: one second's worth;
//! - the pause after a 429 is a key whose expiry is Ashby's `Retry-After`,
//!   so a process that dies leaves nothing stuck;
//! - keys are `ashby-destination:{NS}:rate` and `…:pause`, where NS is an
//!   HMAC-SHA256 keyed by the API key over the origin (128 bits, hex): the
//!   key itself never reaches Redis, and nothing there can be turned back
//!   into it.
//!
//! When Redis fails (down, unreachable, slower than [`OP_TIMEOUT`]), each
//! process keeps sending under a conservative local budget, the rate divided
//! by the number of processes it was told share the key (`workers`), logs
//! one warning, and tries Redis again with a backoff from 250 ms to 10 s;
//! when Redis answers again it logs that the shared budget is back. No
//! record waits on Redis, so none is lost or dead-lettered because of it.

use crate::origin::Origin;
use crate::rate::{Bucket, Rate};
use crate::secret::ApiKey;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The longest a request waits on Redis before it is paced locally.
pub const OP_TIMEOUT: Duration = Duration::from_millis(500);

/// The first and the longest wait before Redis is tried again after a failure.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(10));

/// The longest sleep between two asks while the shared budget says wait
/// (a pause or the rate): short enough to notice a change.
const MAX_POLL: Duration = Duration::from_secs(1);

/// A budget one API key draws on for every request: in process
/// ([`Pacer::Local`], the default) or shared with other processes.
#[derive(Clone)]
pub enum Pacer {
    /// This process's token bucket for the key.
    Local(Arc<Bucket>),
    /// A budget kept outside the process (e.g. in Redis).
    Shared(Arc<dyn SharedBudget>),
}

impl Pacer {
    /// Waits until the key may send one request.
    pub async fn acquire(&self) {
        match self {
            Pacer::Local(b) => b.acquire().await,
            Pacer::Shared(s) => s.acquire().await,
        }
    }

    /// The remote said 429: nobody using the key sends for `d`.
    pub async fn pause_for(&self, d: Duration) {
        match self {
            Pacer::Local(b) => b.pause_for(d),
            Pacer::Shared(s) => s.pause_for(d).await,
        }
    }
}

/// A future a [`SharedBudget`] returns.
pub type BudgetFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// A key's budget shared by several processes. Neither method fails: a
/// budget that cannot reach its store paces locally instead.
pub trait SharedBudget: Send + Sync {
    /// Waits until the key may send one request.
    fn acquire(&self) -> BudgetFuture<'_>;
    /// Nobody using the key, in any process, sends for `d`.
    fn pause_for(&self, d: Duration) -> BudgetFuture<'_>;
}

/// A connection to the Redis that keeps the shared budgets; cheap to clone.
/// Flows built with the same `Coordination` (in [`crate::limits::Limits`])
/// share one budget object per key in this process.
#[derive(Clone)]
pub struct Coordination {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    conn: ConnectionManager,
    /// `HOST:PORT/DB`, for messages (never a password).
    addr: String,
    workers: u32,
    health: Mutex<Health>,
    budgets: Mutex<HashMap<String, Weak<RedisBudget>>>,
}

impl std::fmt::Debug for Coordination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Coordination(redis {})", self.inner.addr)
    }
}

impl Coordination {
    /// Coordination through the Redis at `url` (`redis://HOST:PORT/DB`),
    /// shared by `workers` processes (at least 1; their share of the rate is
    /// the local budget while Redis is down). Connects lazily: a Redis that
    /// is down now is paced around, not an error. Must be called inside a
    /// tokio runtime.
    pub fn new(url: &str, workers: u32) -> anyhow::Result<Coordination> {
        anyhow::ensure!(workers >= 1, "workers must be at least 1");
        // The URL may hold a password: never repeat it.
        let client = redis::Client::open(url).map_err(|e| {
            anyhow::anyhow!("not a Redis URL (redis://HOST:PORT/DB): {:?}", e.kind())
        })?;
        let info = client.get_connection_info();
        let addr = format!("{}/{}", info.addr(), info.redis_settings().db());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(BACKOFF.1);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| anyhow::anyhow!("cannot set up the Redis client: {:?}", e.kind()))?;
        Ok(Coordination {
            inner: Arc::new(Inner {
                client,
                conn,
                addr,
                workers,
                health: Mutex::new(Health::default()),
                budgets: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The shared budget of `key` at `origin` at `rate` (the same object for
    /// every flow of this process that asks).
    pub fn pacer(&self, key: &ApiKey, origin: &Origin, rate: Rate) -> Pacer {
        let ns = namespace(key, origin);
        let mut reg = self.inner.budgets.lock().unwrap_or_else(|e| e.into_inner());
        reg.retain(|_, w| w.strong_count() > 0);
        if let Some(b) = reg.get(&ns).and_then(Weak::upgrade) {
            return Pacer::Shared(b);
        }
        let b = Arc::new(RedisBudget::new(self.clone(), &ns, rate));
        reg.insert(ns, Arc::downgrade(&b));
        Pacer::Shared(b)
    }

    /// Whether Redis answered the last time it was asked.
    pub fn is_up(&self) -> bool {
        !self.health().down
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.inner.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The Redis client (for a blocking connection of its own).
    pub fn client(&self) -> redis::Client {
        self.inner.client.clone()
    }

    /// Whether a call may go to Redis now (`None`: it is down and in its
    /// backoff; use the local fallback). `Some(true)` marks the one probe
    /// of a Redis that is down. Report the call with [`Coordination::end`].
    pub fn begin(&self) -> Option<bool> {
        self.health().may_try(Instant::now())
    }

    /// Reports a call [`Coordination::begin`] allowed: logs the switch to
    /// the local budget (once) and back, and keeps the backoff.
    pub fn end(&self, probe: bool, result: Result<(), String>) {
        let mut h = self.health();
        match result {
            Ok(()) => {
                if h.down {
                    tracing::warn!(
                        "coordination: Redis at {} answers again; the shared budget applies",
                        self.inner.addr
                    );
                }
                *h = Health::default();
            }
            Err(why) => {
                if !h.down {
                    tracing::warn!(
                        "warning: coordination: Redis at {} failed ({why}); each process now paces \
                         itself locally at the rate divided by {} (workers), keeps its outage \
                         circuit to itself, and tries Redis again with backoff",
                        self.inner.addr,
                        self.inner.workers
                    );
                }
                h.failed(Instant::now(), probe);
            }
        }
    }

    /// Runs one script, or `None` (Redis failed, or is in its backoff).
    async fn run<T: redis::FromRedisValue>(&self, inv: redis::ScriptInvocation<'_>) -> Option<T> {
        let probe = self.begin()?;
        let mut conn = self.inner.conn.clone();
        // A dropped connection fails the first command and starts the
        // reconnect; the second waits for it (within the same timeout).
        let twice = async {
            match inv.invoke_async(&mut conn).await {
                Err(e) if e.is_io_error() || e.is_unrecoverable_error() => {
                    inv.invoke_async(&mut conn).await
                }
                r => r,
            }
        };
        let result = match tokio::time::timeout(OP_TIMEOUT, twice).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {OP_TIMEOUT:?}")),
        };
        match result {
            Ok(v) => {
                self.end(probe, Ok(()));
                Some(v)
            }
            Err(why) => {
                self.end(probe, Err(why));
                None
            }
        }
    }
}

/// Whether Redis is usable, and when to try it again.
#[derive(Default)]
struct Health {
    down: bool,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// One request at a time tries a Redis that is down.
    probing: bool,
}

impl Health {
    /// Whether a request may ask Redis now, and whether it is the probe
    /// of a Redis that is down (`Some(true)`).
    fn may_try(&mut self, now: Instant) -> Option<bool> {
        if !self.down {
            return Some(false);
        }
        if self.probing || self.retry_at.is_some_and(|t| now < t) {
            return None;
        }
        self.probing = true;
        Some(true)
    }

    /// A request failed; `probe` as [`Health::may_try`] said. Failures of
    /// requests already out when Redis went down do not grow the backoff.
    fn failed(&mut self, now: Instant, probe: bool) {
        if !self.down {
            self.backoff = BACKOFF.0;
        } else if probe {
            self.backoff = (self.backoff * 2).min(BACKOFF.1);
        } else {
            return;
        }
        self.down = true;
        self.probing = false;
        self.retry_at = Some(now + self.backoff);
    }
}

/// GCRA: KEYS = rate key (its theoretical arrival time, µs), pause key;
/// ARGV = emission interval µs, burst tolerance µs. Returns 0 (go) or the
/// µs to wait.
const ACQUIRE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused * 1000 end
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tonumber(ARGV[2])
if now < allow_at then return math.ceil(allow_at - now) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
"#;

/// KEYS = rate key, pause key; ARGV = pause ms, interval µs, tolerance µs.
/// Extends the pause (never shortens it) and empties the burst.
const PAUSE: &str = r#"
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[2]) < ms then
  redis.call('SET', KEYS[2], '1', 'PX', ms)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = now + ms * 1000 + tonumber(ARGV[3]) + tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or 0)
if cur < tat then
  redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
end
return 0
"#;

/// One key's budget in Redis, with the local fallback.
struct RedisBudget {
    coord: Coordination,
    rate_key: String,
    pause_key: String,
    interval_us: u64,
    tolerance_us: u64,
    acquire: redis::Script,
    pause: redis::Script,
    /// Used while Redis is down: the rate divided by `workers`.
    fallback: Bucket,
}

impl RedisBudget {
    fn new(coord: Coordination, ns: &str, rate: Rate) -> RedisBudget {
        let interval_us = (1e6 / rate.per_sec()).ceil().max(1.0) as u64;
        let burst = rate.per_sec().max(1.0).floor() as u64;
        let fallback = Bucket::new(rate.divided(coord.inner.workers));
        RedisBudget {
            coord,
            rate_key: format!("ashby-destination:{{{ns}}}:rate"),
            pause_key: format!("ashby-destination:{{{ns}}}:pause"),
            interval_us,
            tolerance_us: (burst - 1) * interval_us,
            acquire: redis::Script::new(ACQUIRE),
            pause: redis::Script::new(PAUSE),
            fallback,
        }
    }

    async fn acquire_now(&self) {
        loop {
            let mut inv = self.acquire.prepare_invoke();
            inv.key(&self.rate_key)
                .key(&self.pause_key)
                .arg(self.interval_us)
                .arg(self.tolerance_us);
            match self.coord.run::<u64>(inv).await {
                Some(0) => return,
                Some(wait_us) => {
                    tokio::time::sleep(Duration::from_micros(wait_us).min(MAX_POLL)).await
                }
                None => return self.fallback.acquire().await,
            }
        }
    }

    async fn pause_now(&self, d: Duration) {
        // Locally too, so the pause holds if Redis goes down meanwhile.
        self.fallback.pause_for(d);
        let mut inv = self.pause.prepare_invoke();
        inv.key(&self.rate_key)
            .key(&self.pause_key)
            .arg(d.as_millis().max(1) as u64)
            .arg(self.interval_us)
            .arg(self.tolerance_us);
        let _: Option<u64> = self.coord.run(inv).await;
    }
}

impl SharedBudget for RedisBudget {
    fn acquire(&self) -> BudgetFuture<'_> {
        Box::pin(self.acquire_now())
    }

    fn pause_for(&self, d: Duration) -> BudgetFuture<'_> {
        Box::pin(self.pause_now(d))
    }
}

/// The pacer of `key` at `origin`: shared through `coordination` when
/// there is one, else this process's bucket for the key.
pub fn pacer(
    coordination: Option<&Coordination>,
    key: &ApiKey,
    origin: &Origin,
    rate: Rate,
) -> Pacer {
    match coordination {
        Some(c) => c.pacer(key, origin, rate),
        None => Pacer::Local(crate::rate::bucket_for(key, rate)),
    }
}

/// The Redis namespace of `key` at `origin`: HMAC-SHA256 keyed by the API
/// key over the origin, first 128 bits in hex.
pub fn namespace(key: &ApiKey, origin: &Origin) -> String {
    hmac_hex(key.expose_for_scan(), origin.as_str().as_bytes())
}

/// HMAC-SHA256 of `msg` under `key`, first 128 bits in hex.
pub fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    hmac_sha256(key, msg)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// HMAC-SHA256 (RFC 2104) over `msg` with `key`.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn namespace_depends_on_key_and_origin_and_shows_neither() {
        let a = ApiKey::new("sk-key-a-123456").unwrap();
        let b = ApiKey::new("sk-key-b-123456").unwrap();
        let o1 = Origin::parse("http://127.0.0.1:1").unwrap();
        let o2 = Origin::parse("https://api.ashbyhq.com").unwrap();
        let n = namespace(&a, &o1);
        assert_eq!(n.len(), 32);
        assert_eq!(n, namespace(&a, &o1));
        assert_ne!(n, namespace(&b, &o1));
        assert_ne!(n, namespace(&a, &o2));
        assert!(!n.contains("key-a") && !n.contains("127.0.0.1"));
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_one_probe_goes_at_a_time() {
        let mut h = Health::default();
        let t0 = Instant::now();
        assert_eq!(h.may_try(t0), Some(false));
        h.failed(t0, false);
        h.failed(t0, false); // another request that was already out
        assert_eq!(h.backoff, BACKOFF.0);
        assert_eq!(h.may_try(t0), None);
        let later = t0 + BACKOFF.0;
        assert_eq!(h.may_try(later), Some(true));
        assert_eq!(h.may_try(later), None, "a second probe while one is out");
        h.failed(later, true);
        assert_eq!(h.backoff, BACKOFF.0 * 2);
        for _ in 0..10 {
            h.failed(later, true);
        }
        assert_eq!(h.backoff, BACKOFF.1);
    }
}
