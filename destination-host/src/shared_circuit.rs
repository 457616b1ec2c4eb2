//! The outage circuit ([`crate::circuit`]) kept in Redis, so that every
//! host process pointing at the same Redis sees one circuit per origin: an
//! outage one process finds pauses them all, and one probe goes at a time.
//!
//! Each origin's [`CircuitState`] is a JSON value at
//! `ashby-destination:{NS}:circuit` (NS: HMAC-SHA256 of the origin under a
//! fixed key, 128 bits hex), with a version and an expiry of
//! [`STATE_TTL`] refreshed on each write, so a state nobody updates any more
//! goes away. [`CircuitStore::update`] is a compare-and-set: read the state
//! and its version, apply the change, write it in one Lua script only if
//! the version did not move, else read again.
//!
//! `update` is synchronous (the circuit's API), so it talks to Redis on a
//! blocking connection with [`SYNC_TIMEOUT`] (500 ms); a loopback round trip is about
//! 0.1 ms. When Redis fails, it keeps the state in process (the default
//! store's behaviour) under the [`Coordination`]'s backoff and its warning.

use crate::circuit::{CircuitState, CircuitStore, InProcessStore};
use crate::coordination::Coordination;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a circuit state lives in Redis after its last write.
pub const STATE_TTL: Duration = Duration::from_secs(600);

/// The read and write timeout of the blocking connection.
pub const SYNC_TIMEOUT: Duration = crate::coordination::OP_TIMEOUT;

/// Compare-and-set attempts before an update is applied in process only.
const CAS_ATTEMPTS: usize = 8;

/// KEYS = state key; ARGV = expected version, new JSON, TTL ms. The value
/// is `version|json`. Returns 1 when written, 0 when the version moved.
const CAS: &str = r#"
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(string.match(cur, '^(%d+)|')) or 0 end
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], (v + 1) .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
"#;

/// A [`CircuitStore`] in Redis, with the in-process store as its fallback.
pub struct RedisCircuitStore {
    coord: Coordination,
    client: redis::Client,
    conn: Mutex<Option<redis::Connection>>,
    cas: redis::Script,
    fallback: InProcessStore,
}

impl RedisCircuitStore {
    /// A store in `coord`'s Redis (connects on first use).
    pub fn new(coord: &Coordination) -> RedisCircuitStore {
        RedisCircuitStore {
            coord: coord.clone(),
            client: coord.client(),
            conn: Mutex::new(None),
            cas: redis::Script::new(CAS),
            fallback: InProcessStore::default(),
        }
    }

    /// Installs a store on `coord` as this process's circuit store; false
    /// when a circuit was already made (then circuits stay in process).
    pub fn install(coord: &Coordination) -> bool {
        crate::circuit::install_store(Arc::new(RedisCircuitStore::new(coord)))
    }

    fn key(origin: &str) -> String {
        let ns = crate::coordination::hmac_hex(b"ashby-destination circuit", origin.as_bytes());
        format!("ashby-destination:{{{ns}}}:circuit")
    }

    /// One compare-and-set round: `Ok(true)` when done.
    fn try_once(
        &self,
        conn: &mut redis::Connection,
        key: &str,
        f: &mut dyn FnMut(&mut CircuitState),
    ) -> redis::RedisResult<bool> {
        let raw: Option<String> = redis::cmd("GET").arg(key).query(conn)?;
        let (version, mut state) = match raw.as_deref().and_then(|r| r.split_once('|')) {
            Some((v, json)) => (
                v.parse::<u64>().unwrap_or(0),
                serde_json::from_str(json).unwrap_or_default(),
            ),
            None => (0, CircuitState::default()),
        };
        let before = state.clone();
        f(&mut state);
        if state == before {
            return Ok(true);
        }
        let json = serde_json::to_string(&state).unwrap_or_default();
        let written: u64 = self
            .cas
            .key(key)
            .arg(version)
            .arg(json)
            .arg(STATE_TTL.as_millis() as u64)
            .invoke(conn)?;
        Ok(written == 1)
    }

    /// The update through Redis; `Err` when Redis failed.
    fn update_shared(
        &self,
        origin: &str,
        f: &mut dyn FnMut(&mut CircuitState),
    ) -> Result<bool, String> {
        let mut slot = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let c = self
                .client
                .get_connection_with_timeout(SYNC_TIMEOUT)
                .map_err(|e| e.to_string())?;
            c.set_read_timeout(Some(SYNC_TIMEOUT))
                .map_err(|e| e.to_string())?;
            c.set_write_timeout(Some(SYNC_TIMEOUT))
                .map_err(|e| e.to_string())?;
            *slot = Some(c);
        }
        let Some(conn) = slot.as_mut() else {
            return Err("no connection".into());
        };
        let key = Self::key(origin);
        for _ in 0..CAS_ATTEMPTS {
            match self.try_once(conn, &key, f) {
                Ok(true) => return Ok(true),
                Ok(false) => continue,
                Err(e) => {
                    *slot = None;
                    return Err(e.to_string());
                }
            }
        }
        Ok(false)
    }
}

impl CircuitStore for RedisCircuitStore {
    fn update(&self, origin: &str, f: &mut dyn FnMut(&mut CircuitState)) {
        let Some(probe) = self.coord.begin() else {
            return self.fallback.update(origin, f);
        };
        let result = self.update_shared(origin, f);
        let done = matches!(result, Ok(true));
        self.coord.end(probe, result.map(|_| ()));
        if !done {
            // Redis failed or kept moving: this process decides alone.
            self.fallback.update(origin, f);
        }
    }
}
