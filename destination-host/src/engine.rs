//! Start-up cost: how the engine allocates instances, and the on-disk cache
//! of the compiled component.
//!
//! - **Pooling.** The engine preallocates slots for `pool_instances`
//!   component instances (memories, tables, fiber stacks) so that making an
//!   instance from the `InstancePre` is a slot reuse plus a copy-on-write
//!   memory image. The pool reserves virtual memory up front (about 4 GiB of
//!   address space per slot, almost none of it resident); when the process
//!   may not reserve that much (`ulimit -v`, a small address space) the engine
//!   falls back to on-demand allocation with small reservations, and says so.
//! - **Disk cache.** Compiling the component with Cranelift takes longer than
//!   everything else a run does before its first request. The compiled
//!   artifact is serialized into the host's own cache directory under a key
//!   made of the engine's compatibility hash and the SHA-256 of the component
//!   bytes, written atomically (temp file, then rename), with a SHA-256 of the
//!   artifact next to it. An entry is loaded only from that directory, only
//!   when its checksum matches; anything else (corrupt, truncated, written by
//!   another wasmtime) is recompiled and replaced, never trusted.

use sha2::{Digest, Sha256};
use std::hash::Hash as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Environment variable: the cache directory (overrides the default).
pub const CACHE_DIR_ENV: &str = "ASHBY_CONNECTOR_CACHE_DIR";
/// Environment variable: `off` turns the disk cache off.
pub const CACHE_ENV: &str = "ASHBY_CONNECTOR_CACHE";
/// Environment variable: pool slots (component instances), or `off` for
/// on-demand allocation.
pub const POOL_ENV: &str = "ASHBY_CONNECTOR_POOL";

/// Pool slots when nothing says otherwise: enough for 1,000 resident tenants
/// plus the instances a fault or a flow start makes on the side.
pub const DEFAULT_POOL_INSTANCES: u32 = 1_100;

/// Cache entries kept; older ones are removed when a new one is written.
const KEEP_ENTRIES: usize = 8;

/// How a [`crate::sandbox::Sandbox`] is built.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Pool slots for component instances; `None` = on-demand allocation.
    pub pool_instances: Option<u32>,
    /// Where compiled components are cached; `None` = always compile.
    pub cache_dir: Option<PathBuf>,
}

impl Default for SandboxOptions {
    /// Pooling with [`DEFAULT_POOL_INSTANCES`] slots, no disk cache.
    fn default() -> SandboxOptions {
        SandboxOptions {
            pool_instances: Some(DEFAULT_POOL_INSTANCES),
            cache_dir: None,
        }
    }
}

impl SandboxOptions {
    /// What the CLI uses: pooling (unless `ASHBY_CONNECTOR_POOL=off`, or a
    /// number of slots), and the disk cache in `ASHBY_CONNECTOR_CACHE_DIR`,
    /// else `$XDG_CACHE_HOME/ashby-connector`, else
    /// `$HOME/.cache/ashby-connector` (off with `ASHBY_CONNECTOR_CACHE=off`).
    pub fn from_env() -> SandboxOptions {
        let pool_instances = match std::env::var(POOL_ENV) {
            Ok(v) if v.eq_ignore_ascii_case("off") || v == "0" => None,
            Ok(v) => Some(v.trim().parse().unwrap_or(DEFAULT_POOL_INSTANCES)),
            Err(_) => Some(DEFAULT_POOL_INSTANCES),
        };
        let off = std::env::var(CACHE_ENV).is_ok_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            )
        });
        let cache_dir = if off { None } else { default_cache_dir() };
        SandboxOptions {
            pool_instances,
            cache_dir,
        }
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = non_empty(CACHE_DIR_ENV) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = non_empty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("ashby-connector"));
    }
    non_empty("HOME").map(|h| PathBuf::from(h).join(".cache").join("ashby-connector"))
}

/// How the engine allocates instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allocation {
    /// The pooling allocator with this many component-instance slots.
    Pooling(u32),
    /// On-demand allocation, because it was asked for.
    OnDemand,
    /// On-demand allocation because the pool could not be reserved; carries
    /// the reason.
    Fallback(String),
}

/// Where the compiled component came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// No disk cache: compiled.
    Off,
    /// Loaded from the cache: nothing compiled.
    Hit,
    /// Not cached yet: compiled and stored (or could not be stored; the
    /// reason is carried).
    Miss(Option<String>),
    /// A cached entry was unusable (corrupt, truncated, incompatible):
    /// compiled and replaced. Carries the reason.
    Replaced(String),
}

/// What building the runtime did, for benchmarks and diagnostics.
#[derive(Clone, Debug)]
pub struct LoadInfo {
    /// How instances are allocated.
    pub allocation: Allocation,
    /// Where the compiled code came from.
    pub cache: CacheOutcome,
    /// Time spent compiling or loading the component.
    pub load_time: Duration,
}

/// Environment variable: `1` writes `/tmp/perf-<pid>.map` so that `perf`
/// names the guest's JIT-compiled functions (profiling only).
pub const PERFMAP_ENV: &str = "ASHBY_CONNECTOR_PERFMAP";

/// The settings every engine of the host shares: epoch interruption, the
/// component model, and the perf map when asked for.
pub fn base_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    if std::env::var(PERFMAP_ENV).is_ok_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// On-demand allocation that reserves only what an instance may use (the
/// default memory limit), with explicit bounds checks.
fn fallback_config() -> Config {
    let mut config = base_config();
    config
        .memory_reservation(64 << 20)
        .memory_guard_size(64 << 10)
        .memory_reservation_for_growth(0);
    config
}

/// Makes the engine: pooling when asked and possible, otherwise on-demand.
pub fn engine(opts: &SandboxOptions) -> wasmtime::Result<(Engine, Allocation)> {
    let Some(slots) = opts.pool_instances else {
        return Ok((Engine::new(&base_config())?, Allocation::OnDemand));
    };
    let slots = slots.max(1);
    let mut pool = PoolingAllocationConfig::new();
    // Our component has a handful of core instances (the program and the
    // shims wit-component adds), one memory and a few tables.
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(8))
        .total_memories(slots)
        .total_tables(slots.saturating_mul(4))
        .total_stacks(slots)
        .max_core_instances_per_component(16)
        .max_memories_per_component(2)
        .max_tables_per_component(8)
        .max_memories_per_module(1)
        .max_tables_per_module(2)
        // Keep a warm slot's first pages resident so reuse need not fault
        // them in again; bounded, so idle slots cost little RSS.
        .linear_memory_keep_resident(64 << 10)
        .table_keep_resident(16 << 10);
    let mut config = base_config();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&config) {
        Ok(e) => Ok((e, Allocation::Pooling(slots))),
        Err(e) => {
            // Most often the address space is capped (ulimit -v): reserve
            // only what an instance needs, with explicit bounds checks.
            let reason = format!("{e:#}");
            Ok((
                Engine::new(&fallback_config())?,
                Allocation::Fallback(reason),
            ))
        }
    }
}

/// A `Hasher` that feeds SHA-256, so the engine's compatibility hash becomes
/// a stable key (std's hashers are not stable across builds).
struct ShaHasher(Sha256);

impl std::hash::Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache key of `component` for `engine`.
pub fn cache_key(engine: &Engine, component: &[u8]) -> String {
    let mut h = ShaHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut h);
    let engine_part = h.0.finalize();
    let component_part = Sha256::digest(component);
    format!("{}-{}", hex(&component_part[..16]), hex(&engine_part[..8]))
}

/// Compiles `bytes`, or loads them from the cache in `cache_dir`.
pub fn load_component(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: Option<&Path>,
) -> wasmtime::Result<(Component, CacheOutcome)> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, bytes)?, CacheOutcome::Off));
    };
    let key = cache_key(engine, bytes);
    let entry = dir.join(format!("{key}.cwasm"));
    let problem = match read_entry(engine, dir, &entry) {
        Ok(Some(c)) => return Ok((c, CacheOutcome::Hit)),
        Ok(None) => None,
        Err(reason) => Some(reason),
    };
    let component = Component::new(engine, bytes)?;
    let stored = store_entry(dir, &entry, &component).err();
    let outcome = match problem {
        Some(reason) => CacheOutcome::Replaced(reason),
        None => CacheOutcome::Miss(stored),
    };
    Ok((component, outcome))
}

/// The cache directory, created private to this user; refused when others
/// may write to it.
fn own_dir(dir: &Path) -> Result<(), String> {
    let existed = dir.exists();
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the cache directory {}: {e}", dir.display()))?;
    #[cfg(unix)]
    if !existed {
        // Ours: private to this user. An existing directory is not changed.
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("cannot read the cache directory {}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode();
        if mode & 0o022 != 0 {
            // A directory others can write to is never trusted.
            return Err(format!(
                "the cache directory {} is writable by other users; not using it",
                dir.display()
            ));
        }
    }
    Ok(())
}

/// `Ok(None)`: no entry. `Err`: an entry that cannot be used.
fn read_entry(engine: &Engine, dir: &Path, entry: &Path) -> Result<Option<Component>, String> {
    let meta = match std::fs::symlink_metadata(entry) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    own_dir(dir)?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", entry.display()));
    }
    let bytes = std::fs::read(entry).map_err(|e| format!("cannot read the entry: {e}"))?;
    let want = std::fs::read_to_string(entry.with_extension("sha256"))
        .map_err(|e| format!("the entry has no checksum: {e}"))?;
    if hex(&Sha256::digest(&bytes)) != want.trim() {
        return Err("the entry does not match its checksum".into());
    }
    if !matches!(
        Engine::detect_precompiled(&bytes),
        Some(wasmtime::Precompiled::Component)
    ) {
        return Err("the entry is not a precompiled component".into());
    }
    // SAFETY: `Component::deserialize` trusts that `bytes` were produced by
    // `Component::serialize` of a compatible engine. They come only from this
    // host's own cache directory (not writable by other users, checked
    // above), were written atomically by `store_entry` below, match the
    // SHA-256 written beside them, and wasmtime itself checks the engine
    // compatibility header before using them.
    #[allow(unsafe_code, reason = "loading our own cached compilation; see SAFETY")]
    let loaded = unsafe { Component::deserialize(engine, &bytes) };
    loaded
        .map(Some)
        .map_err(|e| format!("the entry cannot be loaded: {e:#}"))
}

fn store_entry(dir: &Path, entry: &Path, component: &Component) -> Result<(), String> {
    own_dir(dir)?;
    let bytes = component
        .serialize()
        .map_err(|e| format!("cannot serialize the component: {e:#}"))?;
    let sum = hex(&Sha256::digest(&bytes));
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let write = || -> std::io::Result<()> {
        // The checksum first: a reader that finds the entry finds its sum.
        let sum_tmp = tmp.with_extension("sha256");
        std::fs::write(&sum_tmp, &sum)?;
        std::fs::rename(&sum_tmp, entry.with_extension("sha256"))?;
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, entry)
    };
    let r = write().map_err(|e| format!("cannot write the cache entry: {e}"));
    let _ = std::fs::remove_file(&tmp);
    if r.is_ok() {
        prune(dir, entry);
    }
    r
}

/// Keeps the newest [`KEEP_ENTRIES`] entries.
fn prune(dir: &Path, keep: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm") && p != keep)
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    if entries.len() < KEEP_ENTRIES {
        return;
    }
    entries.sort();
    let excess = entries.len() + 1 - KEEP_ENTRIES;
    for (_, p) in entries.into_iter().take(excess) {
        let _ = std::fs::remove_file(p.with_extension("sha256"));
        let _ = std::fs::remove_file(p);
    }
}

/// Compiles or loads the component and reports how.
pub fn prepare(
    opts: &SandboxOptions,
    bytes: &[u8],
) -> wasmtime::Result<(Engine, Component, LoadInfo)> {
    let (engine, allocation) = engine(opts)?;
    let t = Instant::now();
    let (component, cache) = load_component(&engine, bytes, opts.cache_dir.as_deref())?;
    let info = LoadInfo {
        allocation,
        cache,
        load_time: t.elapsed(),
    };
    Ok((engine, component, info))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::*;

    /// The smallest valid component: the preamble of the component layer.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    fn on_demand() -> Engine {
        engine(&SandboxOptions {
            pool_instances: None,
            cache_dir: None,
        })
        .unwrap()
        .0
    }

    #[test]
    fn cache_hit_after_miss_and_corruption_is_recompiled() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let bytes = EMPTY_COMPONENT.to_vec();
        let engine = on_demand();
        let (_, first) = load_component(&engine, &bytes, Some(&cache)).unwrap();
        assert_eq!(first, CacheOutcome::Miss(None));
        let (_, second) = load_component(&engine, &bytes, Some(&cache)).unwrap();
        assert_eq!(second, CacheOutcome::Hit);

        // Flip a byte in the artifact: detected, recompiled, replaced.
        let entry = cache.join(format!("{}.cwasm", cache_key(&engine, &bytes)));
        let mut art = std::fs::read(&entry).unwrap();
        let mid = art.len() / 2;
        art[mid] ^= 0xff;
        std::fs::write(&entry, &art).unwrap();
        let (_, third) = load_component(&engine, &bytes, Some(&cache)).unwrap();
        assert!(matches!(third, CacheOutcome::Replaced(_)), "{third:?}");
        let (_, fourth) = load_component(&engine, &bytes, Some(&cache)).unwrap();
        assert_eq!(fourth, CacheOutcome::Hit);

        // Truncated, and checksum rewritten to match: wasmtime refuses it.
        std::fs::write(&entry, &art[..64]).unwrap();
        std::fs::write(
            entry.with_extension("sha256"),
            hex(&Sha256::digest(&art[..64])),
        )
        .unwrap();
        let (_, fifth) = load_component(&engine, &bytes, Some(&cache)).unwrap();
        assert!(matches!(fifth, CacheOutcome::Replaced(_)), "{fifth:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_cache_dir_is_private_and_a_shared_one_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let bytes = EMPTY_COMPONENT.to_vec();
        let engine = on_demand();
        let mine = dir.path().join("mine");
        let (_, first) = load_component(&engine, &bytes, Some(&mine)).unwrap();
        assert_eq!(first, CacheOutcome::Miss(None));
        let mode = std::fs::metadata(&mine).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);

        // Others may write to it: neither read nor written, still compiles.
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o777)).unwrap();
        let (_, shared) = load_component(&engine, &bytes, Some(&mine)).unwrap();
        assert!(matches!(shared, CacheOutcome::Replaced(ref r) if r.contains("other users")));
    }

    #[test]
    fn key_depends_on_engine_config_and_bytes() {
        let a = on_demand();
        assert_ne!(cache_key(&a, b"x"), cache_key(&a, b"y"));
        assert_eq!(cache_key(&a, b"x"), cache_key(&on_demand(), b"x"));
        // The fallback compiles explicit bounds checks: another key.
        let fallback = Engine::new(&fallback_config()).unwrap();
        assert_ne!(cache_key(&a, b"x"), cache_key(&fallback, b"x"));
    }
}
