//! A circuit per origin: an outage is the flow's problem, not the records'.
//!
//! Failures that are not a record's own (no connection, timeouts, 5xx, 429)
//! seen on [`Policy::threshold`] different requests in a row, with no
//! success between them, open the origin's circuit. While it is open nothing
//! new is sent: one probe at a time is let through, after a backoff that
//! grows by a quarter per failed probe up to [`Policy::probe_cap`] (never sooner
//! than a `Retry-After`). A probe that gets an answer closes the circuit,
//! and the calls allowed at once ramp back up (1, 2, 4, ... per success).
//! A poison record (500 while others succeed) never opens it: the streak
//! counts distinct requests, and a success between resets it.
//!
//! The state is a plain, serialisable [`CircuitState`] whose transitions are
//! pure functions of the time (Unix milliseconds, so processes can share
//! it). Where it is kept is a [`CircuitStore`]: the default is in this
//! process ([`InProcessStore`]), shared by every flow using the origin; a
//! host can install another (e.g. Redis, with a compare-and-set around
//! [`CircuitStore::update`]) once, before the first flow, with
//! [`install_store`]. The calls in flight for the ramp are counted per
//! process.

use crate::bindings::http::{Error, Response};
use crate::origin::Origin;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the circuit decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Different failing requests in a row (no success between) that open
    /// the circuit.
    pub threshold: usize,
    /// The first wait before a probe.
    pub probe_base: Duration,
    /// The longest wait between probes.
    pub probe_cap: Duration,
    /// How long a probe may be out before another may go (a prober that
    /// died never reports).
    pub probe_lease: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            threshold: 3,
            probe_base: Duration::from_secs(1),
            probe_cap: Duration::from_secs(60),
            probe_lease: Duration::from_secs(90),
        }
    }
}

/// What one request told the circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// The origin answered (any status that is not a failure below).
    Answered,
    /// A failure that may not be the request's own.
    Failed {
        /// Identifies the request (a hash of its path and body), so one
        /// request failing again is not counted twice; `None` when the
        /// failure cannot be the request's (the connection was refused).
        key: Option<u64>,
        /// The remote's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// What happened, for messages (`HTTP 503`, `connection refused`).
        what: String,
    },
}

/// One origin's circuit, as a store keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitState {
    /// Whether the circuit is open (the origin is failing).
    pub open: bool,
    /// The distinct requests failing since the last answer.
    streak: Vec<u64>,
    /// Failures in the streak that no request can cause.
    anonymous: usize,
    /// When it opened (Unix ms), while open.
    pub open_since_ms: u64,
    /// When the next probe may go (Unix ms), while open.
    next_probe_ms: u64,
    /// Until when a probe is out (Unix ms); 0 when none is.
    probe_until_ms: u64,
    /// Probes that failed in this outage.
    probes_failed: u32,
    /// Calls allowed at once while ramping up after an outage; 0 = no limit.
    pub width: u32,
    /// Times the circuit opened.
    pub opened: u64,
    /// The last failure, for messages.
    pub last_failure: String,
}

/// What a caller may do now.
#[derive(Debug)]
pub enum Turn {
    /// Send as usual.
    Go(Permit),
    /// The circuit is open: send one probe (one record), then report.
    Probe(Permit),
    /// Wait this long and ask again.
    Wait(Duration),
}

/// Once the ramp passes this width, it is lifted.
const RAMP_DONE: u32 = 64;

impl CircuitState {
    /// What a caller may do at `now`, with `in_flight` calls of this
    /// process already out.
    pub fn turn(&mut self, now: u64, in_flight: u32, policy: &Policy) -> TurnKind {
        if !self.open {
            if self.width == 0 || in_flight < self.width {
                return TurnKind::Go;
            }
            return TurnKind::Wait(Duration::from_millis(20));
        }
        if self.probe_until_ms > now {
            return TurnKind::Wait(Duration::from_millis(
                (self.probe_until_ms - now).clamp(10, 200),
            ));
        }
        if now < self.next_probe_ms {
            return TurnKind::Wait(Duration::from_millis(self.next_probe_ms - now));
        }
        self.probe_until_ms = now + policy.probe_lease.as_millis() as u64;
        TurnKind::Probe
    }

    /// Applies what one request told.
    pub fn report(&mut self, now: u64, signal: &Signal, policy: &Policy) {
        match signal {
            Signal::Answered => {
                if self.open {
                    self.open = false;
                    self.width = 1;
                    self.probes_failed = 0;
                    self.probe_until_ms = 0;
                } else if self.width != 0 {
                    self.width = self.width.saturating_mul(2);
                    if self.width > RAMP_DONE {
                        self.width = 0;
                    }
                }
                self.streak.clear();
                self.anonymous = 0;
            }
            Signal::Failed {
                key,
                retry_after,
                what,
            } => {
                self.last_failure = what.clone();
                let floor = retry_after.map_or(0, |d| d.as_millis() as u64);
                if self.open {
                    if self.probe_until_ms != 0 {
                        self.probe_until_ms = 0;
                        self.probes_failed += 1;
                    }
                    let wait = probe_wait(policy, self.probes_failed).max(floor);
                    self.next_probe_ms = self.next_probe_ms.max(now + wait);
                    return;
                }
                match key {
                    Some(k) if self.streak.contains(k) => {}
                    Some(k) => self.streak.push(*k),
                    None => self.anonymous += 1,
                }
                if self.streak.len() + self.anonymous >= policy.threshold {
                    self.open = true;
                    self.opened += 1;
                    self.open_since_ms = now;
                    self.probes_failed = 0;
                    self.probe_until_ms = 0;
                    self.next_probe_ms = now + probe_wait(policy, 0).max(floor);
                    self.streak.clear();
                    self.anonymous = 0;
                }
            }
        }
    }
}

/// [`Turn`] without the permit: what [`CircuitState::turn`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnKind {
    /// Send as usual.
    Go,
    /// Send one probe.
    Probe,
    /// Wait and ask again.
    Wait(Duration),
}

/// The wait before the probe after `failed` failed probes, in ms: the base
/// grown by a quarter per failure, capped, with ±20% jitter so that processes
/// sharing a store do not probe in step.
fn probe_wait(policy: &Policy, failed: u32) -> u64 {
    let grown = policy.probe_base.as_secs_f64() * 1.25f64.powi(failed.min(64) as i32);
    let capped = grown.min(policy.probe_cap.as_secs_f64());
    let jittered = capped * (0.8 + 0.4 * fastrand::f64());
    (jittered * 1000.0) as u64
}

/// Where circuit states are kept: one per origin.
pub trait CircuitStore: Send + Sync {
    /// Runs `f` on `origin`'s state (a default state when there is none yet)
    /// atomically with respect to every other user of the store, and keeps
    /// what it left.
    fn update(&self, origin: &str, f: &mut dyn FnMut(&mut CircuitState));
}

/// The default store: a map in this process.
#[derive(Default)]
pub struct InProcessStore {
    states: Mutex<HashMap<String, CircuitState>>,
}

impl CircuitStore for InProcessStore {
    fn update(&self, origin: &str, f: &mut dyn FnMut(&mut CircuitState)) {
        let mut m = self.states.lock().unwrap_or_else(|e| e.into_inner());
        f(m.entry(origin.to_string()).or_default());
    }
}

static STORE: OnceLock<Arc<dyn CircuitStore>> = OnceLock::new();

/// Installs the store every circuit of this process uses. Only before the
/// first circuit is made; returns false (and changes nothing) after.
pub fn install_store(store: Arc<dyn CircuitStore>) -> bool {
    STORE.set(store).is_ok()
}

fn store() -> Arc<dyn CircuitStore> {
    STORE
        .get_or_init(|| Arc::new(InProcessStore::default()))
        .clone()
}

/// A handle on one origin's circuit. Clones share it.
#[derive(Clone)]
pub struct Circuit {
    origin: String,
    store: Arc<dyn CircuitStore>,
    policy: Policy,
    in_flight: Arc<AtomicU32>,
}

impl std::fmt::Debug for Circuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Circuit")
            .field("origin", &self.origin)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A call counted in flight for the ramp until dropped.
#[derive(Debug)]
pub struct Permit(Arc<AtomicU32>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The circuit for `origin` in this process, shared by every flow using it.
pub fn for_origin(origin: &Origin) -> Circuit {
    static IN_FLIGHT: OnceLock<Mutex<HashMap<String, Weak<AtomicU32>>>> = OnceLock::new();
    let key = origin.as_str().to_string();
    let mut reg = IN_FLIGHT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    reg.retain(|_, w| w.strong_count() > 0);
    let in_flight = match reg.get(&key).and_then(Weak::upgrade) {
        Some(c) => c,
        None => {
            let c = Arc::new(AtomicU32::new(0));
            reg.insert(key.clone(), Arc::downgrade(&c));
            c
        }
    };
    Circuit {
        origin: key,
        store: store(),
        policy: Policy::default(),
        in_flight,
    }
}

/// A request's identity for the failure streak: a hash of its path and body.
pub fn request_key(path: &str, body: &[u8]) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    body.hash(&mut h);
    h.finish()
}

/// What an exchange's result tells the circuit: 408, 429 and 5xx, timeouts
/// and transport failures are failures of the request `key`; a refused
/// connection is nobody's; any other answer is an answer.
pub fn signal_of(result: &Result<Response, Error>, key: u64) -> Signal {
    match result {
        Ok(r) if r.status == 408 || r.status == 429 || r.status >= 500 => Signal::Failed {
            key: Some(key),
            retry_after: r
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("retry-after"))
                .and_then(|h| crate::retry::parse_retry_after(&h.value)),
            what: format!("HTTP {}", r.status),
        },
        Ok(_) | Err(Error::TooLarge(_) | Error::Denied(_) | Error::InvalidRequest(_)) => {
            Signal::Answered
        }
        Err(Error::Timeout(_)) => Signal::Failed {
            key: Some(key),
            retry_after: None,
            what: "no answer in time".into(),
        },
        Err(Error::Transport(m)) => Signal::Failed {
            key: Some(key),
            retry_after: None,
            what: format!("the connection failed ({})", short(m)),
        },
        Err(Error::Connect(m)) => Signal::Failed {
            key: None,
            retry_after: None,
            what: format!("no connection ({})", short(m)),
        },
    }
}

/// The last part of an error chain, for a short message.
fn short(m: &str) -> &str {
    m.rsplit(": ").next().unwrap_or(m)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Circuit {
    /// The same circuit with another policy (tests use short probes).
    pub fn with_policy(mut self, policy: Policy) -> Circuit {
        self.policy = policy;
        self
    }

    /// What a caller may do now. `Go` and `Probe` count a call in flight
    /// until their permit is dropped.
    pub fn turn(&self) -> Turn {
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        let mut kind = TurnKind::Wait(Duration::ZERO);
        let now = now_ms();
        self.store.update(&self.origin, &mut |s| {
            kind = s.turn(now, in_flight, &self.policy)
        });
        let permit = || {
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            Permit(self.in_flight.clone())
        };
        match kind {
            TurnKind::Go => Turn::Go(permit()),
            TurnKind::Probe => Turn::Probe(permit()),
            TurnKind::Wait(d) => Turn::Wait(d),
        }
    }

    /// Tells the circuit what a request found.
    pub fn report(&self, signal: &Signal) {
        let now = now_ms();
        self.store
            .update(&self.origin, &mut |s| s.report(now, signal, &self.policy));
    }

    /// Ends this process's probe whatever it found: a probe whose record
    /// needed no request reported nothing, and another may go.
    pub fn end_probe(&self) {
        self.store.update(&self.origin, &mut |s| {
            if s.open {
                s.probe_until_ms = 0;
            }
        });
    }

    /// Whether the circuit is open.
    pub fn is_open(&self) -> bool {
        let mut open = false;
        self.store.update(&self.origin, &mut |s| open = s.open);
        open
    }

    /// A copy of the state.
    pub fn state(&self) -> CircuitState {
        let mut out = CircuitState::default();
        self.store.update(&self.origin, &mut |s| out = s.clone());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(key: u64) -> Signal {
        Signal::Failed {
            key: Some(key),
            retry_after: None,
            what: "HTTP 503".into(),
        }
    }

    #[test]
    fn a_poison_request_never_opens_it() {
        let p = Policy::default();
        let mut s = CircuitState::default();
        for t in 0..20 {
            s.report(t, &failed(7), &p);
        }
        assert!(!s.open);
        s.report(30, &failed(1), &p);
        s.report(31, &Signal::Answered, &p);
        s.report(32, &failed(2), &p);
        s.report(33, &failed(7), &p);
        assert!(!s.open, "a success between resets the streak");
        s.report(34, &failed(3), &p);
        assert!(s.open, "three different requests in a row open it");
    }

    #[test]
    fn opens_probes_one_at_a_time_and_ramps_up() {
        let p = Policy::default();
        let mut s = CircuitState::default();
        for k in 0..3 {
            s.report(1_000, &failed(k), &p);
        }
        assert!(s.open);
        assert!(matches!(s.turn(1_000, 0, &p), TurnKind::Wait(_)));
        assert_eq!(s.turn(3_000, 0, &p), TurnKind::Probe);
        assert!(
            matches!(s.turn(3_001, 0, &p), TurnKind::Wait(_)),
            "one probe at a time"
        );
        s.report(3_010, &failed(9), &p);
        assert!(s.open);
        let next = s.next_probe_ms;
        assert!(next >= 3_010 + 1_000 - 1, "the wait grows: {next}");
        assert!(matches!(s.turn(next - 1, 0, &p), TurnKind::Wait(_)));
        assert_eq!(s.turn(next, 0, &p), TurnKind::Probe);
        s.report(next + 5, &Signal::Answered, &p);
        assert!(!s.open);
        assert_eq!(s.turn(next + 6, 0, &p), TurnKind::Go);
        assert!(
            matches!(s.turn(next + 6, 1, &p), TurnKind::Wait(_)),
            "width 1 first"
        );
        for _ in 0..7 {
            s.report(next + 7, &Signal::Answered, &p);
        }
        assert_eq!(s.width, 0, "the ramp is lifted");
        assert_eq!(s.turn(next + 8, 1000, &p), TurnKind::Go);
    }

    #[test]
    fn retry_after_and_cap() {
        let p = Policy::default();
        let mut s = CircuitState::default();
        let ra = Signal::Failed {
            key: None,
            retry_after: Some(Duration::from_secs(120)),
            what: "HTTP 503".into(),
        };
        for _ in 0..3 {
            s.report(0, &ra, &p);
        }
        assert!(s.open);
        assert!(s.next_probe_ms >= 120_000, "Retry-After respected");
        for failed in 0..100 {
            assert!(probe_wait(&p, failed) <= 72_000);
        }
    }

    #[test]
    fn shared_per_origin() {
        let o = Origin::parse("http://127.0.0.1:9").unwrap();
        let a = for_origin(&o);
        let b = for_origin(&o);
        for k in 0..3 {
            a.report(&failed(k));
        }
        assert!(b.state().open);
        b.report(&Signal::Answered);
        assert!(!a.state().open);
    }
}
