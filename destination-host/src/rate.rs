//! Pacing: a token bucket per API key, shared by every flow in this process
//! that uses the key (Ashby limits each key, not each flow). A 429 pauses the
//! key for every flow using it.

use crate::secret::ApiKey;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Requests per second, parsed from `N/s` or `N/min`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    per_sec: f64,
}

impl Rate {
    /// Ashby's published per-key figure: 1,000 requests a minute.
    pub const ASHBY_DEFAULT: Rate = Rate {
        per_sec: 1000.0 / 60.0,
    };

    /// Parses `N/s`, `N/sec`, `N/min` or `N/m` (N a positive number).
    pub fn parse(text: &str) -> anyhow::Result<Rate> {
        let (n, unit) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("rate `{text}` must look like 10/s or 1000/min"))?;
        let n: f64 = n
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("rate `{text}`: `{n}` is not a number"))?;
        if !(n.is_finite() && n > 0.0) {
            anyhow::bail!("rate `{text}` must be positive");
        }
        let per_sec = match unit.trim() {
            "s" | "sec" | "second" => n,
            "m" | "min" | "minute" => n / 60.0,
            other => anyhow::bail!("rate `{text}`: unit `{other}` is not s or min"),
        };
        Ok(Rate { per_sec })
    }

    /// Requests per second.
    pub fn per_sec(&self) -> f64 {
        self.per_sec
    }

    /// This rate shared by `n` (at least 1): each one's share.
    pub fn divided(self, n: u32) -> Rate {
        Rate {
            per_sec: self.per_sec / f64::from(n.max(1)),
        }
    }
}

/// A token bucket: capacity one second's worth of requests (at least one).
pub struct Bucket {
    rate: f64,
    capacity: f64,
    state: Mutex<State>,
}

struct State {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(rate: Rate) -> Bucket {
        let capacity = rate.per_sec.max(1.0);
        Bucket {
            rate: rate.per_sec,
            capacity,
            state: Mutex::new(State {
                tokens: capacity,
                last: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let elapsed = now.duration_since(s.last).as_secs_f64();
                s.tokens = (s.tokens + elapsed * self.rate).min(self.capacity);
                s.last = now;
                match s.paused_until {
                    Some(until) if until > now => until - now,
                    _ => {
                        s.paused_until = None;
                        if s.tokens >= 1.0 {
                            s.tokens -= 1.0;
                            return;
                        }
                        Duration::from_secs_f64((1.0 - s.tokens) / self.rate)
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The remote said 429: nobody using this key sends for `d`, and the
    /// bucket is emptied.
    pub fn pause_for(&self, d: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + d;
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        s.tokens = 0.0;
    }
}

/// The bucket for `key` in this process, created with `rate` by the first
/// flow that asks (later flows share it, whatever rate they ask for).
pub fn bucket_for(key: &ApiKey, rate: Rate) -> Arc<Bucket> {
    static REGISTRY: OnceLock<Mutex<HashMap<[u8; 32], Weak<Bucket>>>> = OnceLock::new();
    let id: [u8; 32] = Sha256::digest(key.expose_for_scan()).into();
    let mut reg = REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    reg.retain(|_, w| w.strong_count() > 0);
    if let Some(b) = reg.get(&id).and_then(Weak::upgrade) {
        return b;
    }
    let b = Arc::new(Bucket::new(rate));
    reg.insert(id, Arc::downgrade(&b));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(Rate::parse("10/s").unwrap().per_sec(), 10.0);
        assert_eq!(Rate::parse("600/min").unwrap().per_sec(), 10.0);
        for bad in ["10", "0/s", "-1/s", "x/s", "10/h"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shared_per_key() {
        let a = ApiKey::new("key-a").unwrap();
        let b = ApiKey::new("key-b").unwrap();
        let r = Rate::parse("5/s").unwrap();
        let x = bucket_for(&a, r);
        assert!(Arc::ptr_eq(&x, &bucket_for(&a, r)));
        assert!(!Arc::ptr_eq(&x, &bucket_for(&b, r)));
    }

    #[tokio::test]
    async fn paces_after_the_burst() {
        let b = Bucket::new(Rate::parse("20/s").unwrap());
        let start = Instant::now();
        for _ in 0..30 {
            b.acquire().await;
        }
        // 20 from the full bucket, 10 more at 20/s: at least ~0.5 s.
        assert!(
            start.elapsed() >= Duration::from_millis(450),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_pause_holds_everyone() {
        let b = Bucket::new(Rate::parse("100/s").unwrap());
        b.pause_for(Duration::from_millis(300));
        let start = Instant::now();
        b.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(290));
    }
}
