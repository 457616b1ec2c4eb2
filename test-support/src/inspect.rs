//! Test support: read a guest's linear memory from the host.
//!
//! wasmtime does not expose a component's core memories, so a [`Sandbox`]
//! made by [`inspectable`] gets its linear memories from a host
//! [`MemoryCreator`] that keeps a handle on each, and
//! [`MemoryInspector::count`] searches them. It exists to prove that the API
//! key never enters the guest; production runtimes never use it.
//!
//! The memories are plain heap buffers with explicit bounds checks (no
//! reservation, no guard pages, no copy-on-write image), allocated on demand
//! (a pooling allocator would never call the creator).

#![allow(
    unsafe_code,
    reason = "a host-managed linear memory is an unsafe trait of wasmtime, and reading it is raw memory access; test support only"
)]

use destination_host::engine::{Allocation, CacheOutcome, LoadInfo};
use destination_host::sandbox::Sandbox;
use std::sync::{Arc, Mutex};
use wasmtime::{Config, InstanceAllocationStrategy, LinearMemory, MemoryCreator, MemoryType};

/// One wasm page, the unit memories grow by; its alignment keeps the buffer
/// page-aligned as wasmtime asks.
#[derive(Clone)]
#[repr(C, align(65536))]
struct Page([u8; 65536]);

const PAGE: usize = 65536;

/// Where a live memory is, updated on growth, cleared on drop.
#[derive(Default)]
struct Region {
    ptr: usize,
    len: usize,
    live: bool,
}

struct HostMemory {
    pages: Vec<Page>,
    /// `pages.as_mut_ptr()`, refreshed after every reallocation.
    base: std::ptr::NonNull<u8>,
    size: usize,
    maximum: Option<usize>,
    region: Arc<Mutex<Region>>,
    /// Panic (a host bug on the guest's behalf) on growth past this size.
    panic_past: Option<usize>,
}

// SAFETY: `base` points into `pages`, which this struct owns; wasmtime
// serialises access to a store's memories.
unsafe impl Send for HostMemory {}
// SAFETY: as above; `&HostMemory` only reads `size` and `base`.
unsafe impl Sync for HostMemory {}

impl HostMemory {
    fn publish(&mut self) {
        self.base = std::ptr::NonNull::from(self.pages.as_mut_slice()).cast();
        let mut r = self.region.lock().unwrap_or_else(|e| e.into_inner());
        r.ptr = self.base.as_ptr() as usize;
        r.len = self.size;
        r.live = true;
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        let mut r = self.region.lock().unwrap_or_else(|e| e.into_inner());
        r.live = false;
        r.len = 0;
    }
}

// SAFETY: the buffer is page-aligned (`Page`'s alignment), zero-filled, and
// `as_ptr` always points at `size` valid bytes. The engine is configured with
// no reservation and no guard region, so compiled code bounds-checks every
// access against `byte_size` and reloads the base after growth (memories
// may move).
unsafe impl LinearMemory for HostMemory {
    fn byte_size(&self) -> usize {
        self.size
    }

    fn byte_capacity(&self) -> usize {
        self.pages.len() * PAGE
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if let Some(p) = self.panic_past.filter(|p| new_size > *p) {
            panic!("test support: the host memory panics on growth past {p} bytes");
        }
        if self.maximum.is_some_and(|m| new_size > m) {
            wasmtime::bail!("memory maximum exceeded");
        }
        let pages = new_size.div_ceil(PAGE);
        self.pages.resize(pages, Page([0; PAGE]));
        self.size = new_size;
        self.publish();
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }
}

#[derive(Default)]
struct Creator {
    regions: Mutex<Vec<Arc<Mutex<Region>>>>,
    panic_past: Option<usize>,
}

// SAFETY: every memory is a fresh, zero-filled, page-aligned buffer owned by
// the returned `LinearMemory`.
unsafe impl MemoryCreator for Creator {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        _reserved_size_in_bytes: Option<usize>,
        _guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        let region = Arc::new(Mutex::new(Region::default()));
        let mut m = HostMemory {
            pages: vec![Page([0; PAGE]); minimum.div_ceil(PAGE)],
            base: std::ptr::NonNull::dangling(),
            size: minimum,
            maximum,
            region: region.clone(),
            panic_past: self.panic_past,
        };
        m.publish();
        self.regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(region);
        Ok(Box::new(m))
    }
}

/// Sets `config` up for host memories from `creator`.
pub(crate) fn configure(config: &mut Config, creator: Arc<dyn MemoryCreator>) {
    config
        .with_host_memory(creator)
        .allocation_strategy(InstanceAllocationStrategy::OnDemand)
        .memory_reservation(0)
        .memory_reservation_for_growth(0)
        .memory_guard_size(0)
        .memory_may_move(true)
        .memory_init_cow(false);
}

/// Reads the linear memories of every instance of one inspectable runtime.
#[derive(Clone)]
pub struct MemoryInspector {
    creator: Arc<Creator>,
}

/// Compiles `bytes` into a sandbox whose guest memories the returned
/// inspector can search (on-demand allocation, no disk cache). Test support.
pub fn inspectable(bytes: &[u8]) -> anyhow::Result<(Sandbox, MemoryInspector)> {
    with_creator(bytes, Creator::default())
}

/// Like [`inspectable`], but the host's memory code panics when a guest
/// grows a memory past `bytes_max`: a host bug triggered by a guest, to
/// prove a host panic on a guest's behalf is contained. Test support.
pub fn panicking_past(bytes: &[u8], bytes_max: usize) -> anyhow::Result<Sandbox> {
    let creator = Creator {
        panic_past: Some(bytes_max),
        ..Creator::default()
    };
    Ok(with_creator(bytes, creator)?.0)
}

fn with_creator(bytes: &[u8], creator: Creator) -> anyhow::Result<(Sandbox, MemoryInspector)> {
    let creator = Arc::new(creator);
    let mut config = destination_host::engine::base_config();
    configure(&mut config, creator.clone());
    let engine = wasmtime::Engine::new(&config)?;
    let t = std::time::Instant::now();
    let component = wasmtime::component::Component::new(&engine, bytes)?;
    let info = LoadInfo {
        allocation: Allocation::OnDemand,
        cache: CacheOutcome::Off,
        load_time: t.elapsed(),
    };
    let sandbox = Sandbox::from_engine(engine, &component, info)?;
    Ok((sandbox, MemoryInspector { creator }))
}

impl MemoryInspector {
    /// Bytes of live linear memory, summed over every memory.
    pub fn total_bytes(&self) -> usize {
        self.regions().iter().map(|r| r.1).sum()
    }

    /// Memories ever created by this runtime (live or not).
    pub fn memories(&self) -> usize {
        self.creator
            .regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    fn regions(&self) -> Vec<(usize, usize)> {
        self.creator
            .regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(|r| {
                let r = r.lock().unwrap_or_else(|e| e.into_inner());
                r.live.then_some((r.ptr, r.len))
            })
            .collect()
    }

    /// How many times `needle` occurs in the live linear memories. Call it
    /// only between guest calls (no instance of this runtime running).
    pub fn count(&self, needle: &[u8]) -> usize {
        if needle.is_empty() {
            return 0;
        }
        let regions = self
            .creator
            .regions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        for region in regions.iter() {
            // Holding the region's lock keeps the memory from being dropped
            // or grown while it is read.
            let r = region.lock().unwrap_or_else(|e| e.into_inner());
            if !r.live || r.len == 0 {
                continue;
            }
            // SAFETY: `ptr` points at `len` initialised bytes owned by a live
            // `HostMemory` (marked dead under this lock when dropped); growth
            // happens only inside guest calls, and the caller scans between
            // calls.
            let bytes = unsafe { std::slice::from_raw_parts(r.ptr as *const u8, r.len) };
            n += bytes.windows(needle.len()).filter(|w| *w == needle).count();
        }
        n
    }
}
