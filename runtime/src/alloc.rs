//! A global allocator for services: mimalloc, called the way its fast
//! paths expect (cargo feature `mimalloc`).
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: resourceful::alloc::MiMalloc = resourceful::alloc::MiMalloc;
//! ```
//!
//! The `mimalloc` crate sends every allocation through `mi_malloc_aligned`.
//! In mimalloc 3 that call leaves its fast path whenever the size class's
//! current page has no free block, and its fallback over-allocates unless
//! the size is a multiple of the alignment, even though every `mi_malloc`
//! block is already aligned to 16 bytes (or to its size below that). Most
//! allocations ask for 8 or 16, so they go to `mi_malloc` here; only larger
//! alignments use the aligned calls.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The alignment every `mi_malloc` block of at least this size has.
const MIN_ALIGN: usize = 16;

fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

pub struct MiMalloc;

/// mimalloc's `arena_eager_commit` option: its index in mimalloc 3's
/// `mi_option_e` (the bindings name no constant for it).
const ARENA_EAGER_COMMIT: mi::mi_option_t = 4;

/// Arena memory committed as it is used, not the whole first chunk at
/// start: mimalloc's default on Linux commits eagerly, transparent huge
/// pages then back what it touches, and the idle example service held
/// 38 MB instead of 22 (24 MB of it huge pages). `MIMALLOC_ARENA_EAGER_COMMIT`
/// still wins. A load-time constructor, so it runs before the program's
/// first allocation reserves an arena.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static COMMIT_ON_DEMAND: extern "C" fn() = commit_on_demand;

#[cfg(target_os = "linux")]
extern "C" fn commit_on_demand() {
    // SAFETY: sets an option value; callable before mimalloc's own
    // initialisation (which keeps a value set here unless the
    // environment names one).
    unsafe { mi::mi_option_set_default(ARENA_EAGER_COMMIT, 0) }
}

unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if plain(layout.align(), new_size) {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn arenas_commit_on_demand_unless_the_environment_says() {
        let wanted = std::env::var("MIMALLOC_ARENA_EAGER_COMMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert_eq!(unsafe { mi::mi_option_get(ARENA_EAGER_COMMIT) }, wanted);
    }

    #[test]
    fn blocks_have_the_alignment_asked_for() {
        let a = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in [1, 7, 8, 16, 24, 100, 308, 1000, 1025, 5000, 70_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xab, size);
                    let grown = a.realloc(p, layout, size * 3);
                    assert_eq!(
                        grown as usize % align,
                        0,
                        "realloc: size {size} align {align}"
                    );
                    assert_eq!(*grown, 0xab, "contents kept");
                    a.dealloc(grown, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
