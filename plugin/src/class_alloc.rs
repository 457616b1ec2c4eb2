//! The guest's allocator: a free list per small size class in front of the
//! system allocator (wasi-libc's dlmalloc).
//!
//! Why: profiling the component (`host-harness bench --only native` under
//! `perf` with `ASHBY_CONNECTOR_PERFMAP=1`) showed about a quarter of the
//! guest's time in `dlmalloc`/`dlfree`, for the many small, short-lived
//! allocations of parsing, shaping and serializing JSON. Reusing freed blocks
//! of the same class takes a few instructions. This cut `send` through the
//! component from about 12.0 to 9.3 µs per record (see BENCHMARKS.md).
//!
//! How: requests of at most [`MAX_SMALL`] bytes with alignment at most 8 are
//! rounded up to a multiple of 16 bytes (one class per multiple). A freed
//! block goes onto its class's list and is handed out again by the next
//! allocation of that class; it is never returned to dlmalloc (a wasm
//! memory never shrinks anyway), so an instance keeps at most the peak of
//! each class. Everything else goes straight to the system allocator.
//!
//! Only for wasm32 without threads: one instance runs one thread, so the
//! lists need no synchronisation. A memory error here would stay inside the
//! sandbox (the guest's own linear memory), but there is none to find: the
//! class of a block is a pure function of its layout, which `dealloc` and
//! `realloc` receive unchanged from `alloc`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Size classes: 16, 32, ..., 16 * CLASSES bytes.
const CLASSES: usize = 32;
/// The largest request served from the lists.
const MAX_SMALL: usize = CLASSES * 16;
/// Alignment of every class block: std's minimum on wasm32, which it serves
/// with plain `malloc`.
const ALIGN: usize = 8;

/// The heads of the free lists; a free block stores the next block's
/// address in its first word.
struct Lists(UnsafeCell<[*mut u8; CLASSES]>);

// SAFETY: this module is compiled only for wasm32 without the `atomics`
// feature, where a program has exactly one thread.
unsafe impl Sync for Lists {}

static LISTS: Lists = Lists(UnsafeCell::new([ptr::null_mut(); CLASSES]));

/// The size-class allocator.
pub struct ClassAlloc;

fn class(layout: Layout) -> Option<usize> {
    if layout.align() <= ALIGN && layout.size() <= MAX_SMALL {
        Some(layout.size().max(1).div_ceil(16) - 1)
    } else {
        None
    }
}

fn class_layout(c: usize) -> Layout {
    // (c + 1) * 16 <= MAX_SMALL and ALIGN is a power of two: always valid.
    Layout::from_size_align((c + 1) * 16, ALIGN).unwrap_or(Layout::new::<u64>())
}

// SAFETY: blocks handed out for a class are at least as large and as
// aligned as any layout of that class; a block is on at most one list, and
// only while it is free (put there by `dealloc`, removed by `alloc`).
unsafe impl GlobalAlloc for ClassAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { System.alloc(layout) };
        };
        // SAFETY: single-threaded (see `Lists`), and no other reference to
        // the lists is live: the allocator never re-enters itself.
        let lists = unsafe { &mut *LISTS.0.get() };
        match lists.get_mut(c) {
            Some(head) if !head.is_null() => {
                let block = *head;
                // SAFETY: `block` is a free block of this class; its first
                // word holds the next free block (or null).
                *head = unsafe { block.cast::<*mut u8>().read() };
                block
            }
            // SAFETY: a valid, non-zero-size layout.
            _ => unsafe { System.alloc(class_layout(c)) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else {
            // SAFETY: `block` came from `System.alloc(layout)` above.
            return unsafe { System.dealloc(block, layout) };
        };
        // SAFETY: as in `alloc`.
        let lists = unsafe { &mut *LISTS.0.get() };
        if let Some(head) = lists.get_mut(c) {
            // SAFETY: the block is at least 16 bytes and 8-aligned, ours
            // again, and holds the old head until it is handed out again.
            unsafe { block.cast::<*mut u8>().write(*head) };
            *head = block;
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is
        // a valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new)) {
            // Large to large: let dlmalloc grow in place when it can.
            // SAFETY: `block` came from `System.alloc(layout)`.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            // The same class: the block is already big enough.
            (Some(a), Some(b)) if a == b => block,
            _ => {
                // SAFETY: a fresh block for `new`, the old one still valid;
                // copy the smaller of the two sizes, then free the old one.
                unsafe {
                    let fresh = self.alloc(new);
                    if !fresh.is_null() {
                        ptr::copy_nonoverlapping(block, fresh, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    fresh
                }
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: ClassAlloc = ClassAlloc;
