//! The component's global allocator (feature `allocator`, on by default; wasm32 only): small
//! blocks from segregated size-class free lists, everything else from the system allocator.
//!
//! Inside the sandbox the standard library's allocator is wasi-libc's `dlmalloc`: general and
//! compact, but every call walks bins, splits and coalesces. A solution's allocations are mostly
//! short strings and small vectors (on WIT 0.1.0 the host also made one allocation per string
//! of every text column it copied in; on 0.2.0 a column is two allocations). Here a block of up
//! to [`MAX_SMALL`] bytes (alignment up to [`ALIGN`]) takes the head of its size class's free
//! list, or else the next bytes of the current chunk; freeing pushes it back on that list, so a
//! loop that allocates and frees reuses the same blocks. Rust passes the layout to `dealloc`
//! and `realloc`, so blocks carry no header: the class is a function of the layout. Chunks of
//! [`CHUNK`] bytes come from a [`Chunks`] source (the system allocator in the component, a
//! counting one in the tests), and blocks above [`MAX_SMALL`] go to the system allocator as
//! before, which reuses and coalesces large regions better than size classes would.
//!
//! Memory in a size class is never handed to another class or back to the system: a call runs
//! in a fresh instance, so what one call frees is gone with the instance anyway.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;

/// The largest block served from size classes: larger ones are rare (vectors that grew), and
/// `dlmalloc` serves them at a cost that is small next to filling them.
pub(crate) const MAX_SMALL: usize = 4096;

/// Alignment of every small block. Rust's allocations of strings, vectors of scalars and of
/// most structs need at most 8; a request for more goes to the system allocator.
pub(crate) const ALIGN: usize = 8;

/// Most bytes asked of the source at a time: one wasm page, so the heap grows by what it uses.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Bytes of the first chunk from the system allocator; each next one doubles up to [`CHUNK`].
/// A call that allocates little takes little: a first chunk of 64 KiB did not fit in the
/// memory a component starts with, so nearly every call grew its memory by a page and paid its
/// page faults (a 6-lot colour-QC call: 29.7 → 34.4 µs, with a third less fuel).
pub(crate) const FIRST_CHUNK: usize = 4 * 1024;

/// Number of size classes: 8 to 128 bytes in steps of 8 (16 classes), then four per doubling up
/// to [`MAX_SMALL`] (20 classes), so a block wastes at most 20 % of itself above 128 bytes.
const CLASSES: usize = 36;

/// Block size of each class.
const SIZES: [usize; CLASSES] = {
    let mut sizes = [0; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        sizes[class] = if class < 16 {
            8 * (class + 1)
        } else {
            let (doubling, step) = ((class - 16) / 4, (class - 16) % 4);
            (128 << doubling) + (step + 1) * (32 << doubling)
        };
        class += 1;
    }
    sizes
};

/// The smallest class whose blocks hold `size` bytes (`size` ≤ [`MAX_SMALL`]).
#[inline]
const fn class_of_size(size: usize) -> usize {
    if size <= 128 {
        size.saturating_sub(1) >> 3
    } else {
        let below = size - 1;
        let log2 = (usize::BITS - 1 - below.leading_zeros()) as usize;
        16 + 4 * (log2 - 7) + ((below >> (log2 - 2)) & 3)
    }
}

/// The class serving `layout`, or `None` for the system allocator.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    (layout.size() <= MAX_SMALL && layout.align() <= ALIGN).then(|| class_of_size(layout.size()))
}

/// Where the heap's chunks come from.
///
/// # Safety
///
/// `chunk` returns a null start or the start of `len` ≥ `at_least` bytes, aligned to
/// [`ALIGN`], that nothing else uses for as long as the heap lives.
pub(crate) unsafe trait Chunks {
    /// A new region of at least `at_least` bytes (≤ [`MAX_SMALL`]): `(start, len)`, or a null
    /// start when memory is exhausted.
    fn chunk(&mut self, at_least: usize) -> (*mut u8, usize);
}

/// Chunks from the system allocator, from [`FIRST_CHUNK`] bytes doubling to [`CHUNK`]: it
/// reuses what large blocks freed, and stays the only user of `memory.grow`.
pub(crate) struct SystemChunks {
    next: usize,
}

impl SystemChunks {
    pub(crate) const fn new() -> Self {
        SystemChunks { next: FIRST_CHUNK }
    }
}

// SAFETY: each chunk is a live allocation of the system allocator that is never freed.
unsafe impl Chunks for SystemChunks {
    fn chunk(&mut self, at_least: usize) -> (*mut u8, usize) {
        let len = at_least.max(self.next);
        self.next = (self.next * 2).min(CHUNK);
        match Layout::from_size_align(len, ALIGN) {
            // SAFETY: `len` ≥ FIRST_CHUNK > 0.
            Ok(layout) => (unsafe { System.alloc(layout) }, len),
            Err(_) => (ptr::null_mut(), 0),
        }
    }
}

/// Size-class free lists over chunks from `C`; blocks above [`MAX_SMALL`] from [`System`].
pub(crate) struct Heap<C> {
    /// Head of each class's free list; a free block's first word points to the next one.
    free: [*mut u8; CLASSES],
    /// The unused rest of the current chunk: `next..end`.
    next: *mut u8,
    end: *mut u8,
    chunks: C,
}

impl<C: Chunks> Heap<C> {
    pub(crate) const fn new(chunks: C) -> Self {
        Heap {
            free: [ptr::null_mut(); CLASSES],
            next: ptr::null_mut(),
            end: ptr::null_mut(),
            chunks,
        }
    }

    /// As [`GlobalAlloc::alloc`].
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::alloc`].
    #[inline]
    pub(crate) unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(class) => self.alloc_small(class),
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.alloc(layout) },
        }
    }

    /// As [`GlobalAlloc::alloc_zeroed`].
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::alloc_zeroed`].
    #[inline]
    pub(crate) unsafe fn alloc_zeroed(&mut self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(class) => {
                let block = self.alloc_small(class);
                if !block.is_null() {
                    // SAFETY: the block holds at least `layout.size()` bytes.
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    /// As [`GlobalAlloc::dealloc`].
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::dealloc`]: `block` came from this heap with `layout`.
    #[inline]
    pub(crate) unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        match class_of(layout) {
            // SAFETY: a block of this class, no longer in use.
            Some(class) => unsafe { self.free_small(block, class) },
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    /// As [`GlobalAlloc::realloc`]: in place while the new size stays in the block's class, or
    /// when the block is the last one carved from the chunk and the chunk has room.
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::realloc`].
    #[inline]
    pub(crate) unsafe fn realloc(
        &mut self,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size` rounded up to `align` does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            (Some(old), Some(new)) => {
                if old == new {
                    return block;
                }
                if block.addr() + SIZES[old] == self.next.addr()
                    && SIZES[new] <= self.end.addr() - block.addr()
                {
                    // SAFETY: `block + SIZES[new]` lies within the current chunk.
                    self.next = unsafe { block.add(SIZES[new]) };
                    return block;
                }
            }
            // SAFETY: the caller's contract, passed on.
            (None, None) => return unsafe { System.realloc(block, layout, new_size) },
            _ => {}
        }
        // SAFETY: `new_layout` has a non-zero size (the caller's contract).
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks hold the bytes copied, and they are distinct blocks.
            unsafe {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
        }
        moved
    }

    #[inline]
    fn alloc_small(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: a free block's first word holds the next free block of its class.
            self.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = SIZES[class];
        if self.end.addr() - self.next.addr() < size && !self.refill(size) {
            return ptr::null_mut();
        }
        let block = self.next;
        // SAFETY: the chunk has `size` bytes left from `next`.
        self.next = unsafe { block.add(size) };
        block
    }

    /// # Safety
    ///
    /// `block` is a block of `class` that nobody uses any more.
    #[inline]
    unsafe fn free_small(&mut self, block: *mut u8, class: usize) {
        if block.addr() + SIZES[class] == self.next.addr() {
            // The last block carved: the chunk takes it back, so a short-lived string made and
            // dropped in a loop keeps using the same bytes.
            self.next = block;
        } else {
            // SAFETY: the block is at least 8 bytes, aligned to 8, and ours again.
            unsafe { block.cast::<*mut u8>().write(self.free[class]) };
            self.free[class] = block;
        }
    }

    /// Starts a new chunk with room for `size` bytes; the old chunk's rest goes to the free
    /// lists. False when the source is exhausted.
    #[cold]
    fn refill(&mut self, size: usize) -> bool {
        let (start, len) = self.chunks.chunk(size);
        if start.is_null() {
            return false;
        }
        if start == self.end {
            // Adjacent to the current chunk (a source that grows one region): one chunk.
            // SAFETY: `start..start + len` is the new chunk.
            self.end = unsafe { start.add(len & !(ALIGN - 1)) };
            return true;
        }
        let mut left = self.end.addr() - self.next.addr();
        while left >= SIZES[0] {
            let fits = class_of_size(left);
            let class = if SIZES[fits] > left { fits - 1 } else { fits };
            let block = self.next;
            // SAFETY: `block..block + SIZES[class]` is unused chunk memory, aligned to 8.
            unsafe {
                self.next = block.add(SIZES[class]);
                block.cast::<*mut u8>().write(self.free[class]);
            }
            self.free[class] = block;
            left -= SIZES[class];
        }
        self.next = start;
        // SAFETY: `start..start + len` is the new chunk.
        self.end = unsafe { start.add(len & !(ALIGN - 1)) };
        true
    }
}

/// The global allocator of a component built with the SDK (wasm32 without threads).
#[cfg(all(
    target_arch = "wasm32",
    not(target_feature = "atomics"),
    feature = "allocator"
))]
mod global {
    use super::{Heap, SystemChunks};
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    struct SmallBlocks(UnsafeCell<Heap<SystemChunks>>);

    // SAFETY: without the `atomics` target feature a wasm32 module runs on one thread, so the
    // heap is never used by two at once.
    unsafe impl Sync for SmallBlocks {}

    // SAFETY: `Heap` upholds the GlobalAlloc contract; calls never overlap (one thread, and the
    // heap calls no allocator that could come back into it).
    unsafe impl GlobalAlloc for SmallBlocks {
        #[inline]
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).alloc(layout) }
        }

        #[inline]
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).alloc_zeroed(layout) }
        }

        #[inline]
        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).dealloc(block, layout) }
        }

        #[inline]
        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*self.0.get()).realloc(block, layout, new_size) }
        }
    }

    #[global_allocator]
    static HEAP: SmallBlocks = SmallBlocks(UnsafeCell::new(Heap::new(SystemChunks::new())));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    /// Chunks from the system allocator, of a chosen size, counted, freed with the source,
    /// optionally running out after `limit` chunks.
    struct Counted {
        size: usize,
        limit: usize,
        given: Vec<(*mut u8, usize)>,
    }

    impl Counted {
        fn new(size: usize) -> Self {
            Counted {
                size,
                limit: usize::MAX,
                given: Vec::new(),
            }
        }
    }

    // SAFETY: every chunk is a fresh system allocation, freed only when the source is dropped.
    unsafe impl Chunks for Counted {
        fn chunk(&mut self, at_least: usize) -> (*mut u8, usize) {
            if self.given.len() == self.limit {
                return (ptr::null_mut(), 0);
            }
            let len = at_least.max(self.size);
            let layout = Layout::from_size_align(len, ALIGN).unwrap();
            // SAFETY: len > 0.
            let start = unsafe { System.alloc(layout) };
            assert!(!start.is_null());
            self.given.push((start, len));
            (start, len)
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            for &(start, len) in &self.given {
                // SAFETY: allocated above with this layout.
                unsafe { System.dealloc(start, Layout::from_size_align(len, ALIGN).unwrap()) };
            }
        }
    }

    /// xorshift64*: enough randomness for operation sequences, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A live block in the model: where it is, its layout, the byte it was filled with.
    #[derive(Clone, Copy)]
    struct Live {
        at: *mut u8,
        layout: Layout,
        fill: u8,
    }

    /// The heap and what the model says must hold about its live blocks.
    struct Checked {
        heap: Heap<Counted>,
        live: HashMap<u64, Live>,
        /// Live blocks by address, to prove that none overlaps another.
        by_address: BTreeMap<usize, (usize, u64)>,
        ids: u64,
    }

    impl Checked {
        fn new(chunk: usize) -> Self {
            Checked {
                heap: Heap::new(Counted::new(chunk)),
                live: HashMap::new(),
                by_address: BTreeMap::new(),
                ids: 0,
            }
        }

        fn track(&mut self, id: u64, live: Live) {
            let (start, end) = (live.at.addr(), live.at.addr() + live.layout.size());
            assert_eq!(
                start % live.layout.align(),
                0,
                "misaligned: {:?}",
                live.layout
            );
            if let Some((_, &(before_end, other))) = self.by_address.range(..=start).next_back() {
                assert!(before_end <= start, "block {id} overlaps block {other}");
            }
            if let Some((&after, &(_, other))) = self.by_address.range(start..).next() {
                assert!(end <= after, "block {id} overlaps block {other}");
            }
            self.by_address.insert(start, (end, id));
            self.live.insert(id, live);
        }

        fn untrack(&mut self, id: u64) -> Live {
            let live = self.live.remove(&id).unwrap();
            self.by_address.remove(&live.at.addr());
            live
        }

        fn check(live: Live, len: usize) {
            // SAFETY: the block is live and holds at least `len` initialised bytes.
            let bytes = unsafe { std::slice::from_raw_parts(live.at, len) };
            assert!(
                bytes.iter().all(|&b| b == live.fill),
                "block contents changed"
            );
        }

        fn alloc(&mut self, layout: Layout) -> u64 {
            // SAFETY: layout has a non-zero size.
            let at = unsafe { self.heap.alloc(layout) };
            assert!(!at.is_null());
            self.ids += 1;
            let fill = self.ids as u8;
            // SAFETY: the block holds layout.size() bytes.
            unsafe { at.write_bytes(fill, layout.size()) };
            self.track(self.ids, Live { at, layout, fill });
            self.ids
        }

        fn free(&mut self, id: u64) {
            let live = self.untrack(id);
            Self::check(live, live.layout.size());
            // SAFETY: a live block of this heap with its layout.
            unsafe { self.heap.dealloc(live.at, live.layout) };
        }

        fn realloc(&mut self, id: u64, new_size: usize) -> *mut u8 {
            let live = self.untrack(id);
            Self::check(live, live.layout.size());
            // SAFETY: a live block of this heap with its layout; new_size > 0.
            let at = unsafe { self.heap.realloc(live.at, live.layout, new_size) };
            assert!(!at.is_null());
            let layout = Layout::from_size_align(new_size, live.layout.align()).unwrap();
            let moved = Live { at, layout, ..live };
            Self::check(moved, live.layout.size().min(new_size));
            // SAFETY: the block holds new_size bytes.
            unsafe { at.write_bytes(live.fill, new_size) };
            self.track(id, moved);
            at
        }

        fn free_all(&mut self) {
            let ids: Vec<u64> = self.live.keys().copied().collect();
            for id in ids {
                self.free(id);
            }
        }
    }

    impl Drop for Checked {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                self.free_all();
            }
        }
    }

    fn random_size(rng: &mut Rng) -> usize {
        match rng.below(10) {
            0..=5 => 1 + rng.below(128) as usize,
            6..=8 => 1 + rng.below(MAX_SMALL as u64) as usize,
            _ => 1 + rng.below(4 * MAX_SMALL as u64) as usize,
        }
    }

    #[test]
    fn each_size_takes_the_smallest_class_that_holds_it() {
        assert_eq!(SIZES[CLASSES - 1], MAX_SMALL);
        assert!(SIZES.windows(2).all(|w| w[0] < w[1]));
        assert!(SIZES.iter().all(|s| s % ALIGN == 0));
        for size in 1..=MAX_SMALL {
            let class = class_of_size(size);
            assert!(SIZES[class] >= size, "size {size}: class {class}");
            assert!(
                class == 0 || SIZES[class - 1] < size,
                "size {size}: class {class}"
            );
        }
        let layout = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class_of(layout(MAX_SMALL + 1, 1)), None);
        assert_eq!(class_of(layout(24, 16)), None);
        assert_eq!(class_of(layout(24, 8)), Some(2));
    }

    #[test]
    fn random_allocations_match_the_model() {
        for (seed, chunk) in [(1, CHUNK), (2, MAX_SMALL), (3, 5000), (4, CHUNK)] {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let mut heap = Checked::new(chunk);
            for _ in 0..10_000 {
                let live = heap.live.len() as u64;
                // Up to about 500 live blocks, then as many frees as allocations.
                let alloc_weight = if live < 500 { 6 } else { 3 };
                let pick = rng.below(10);
                if live == 0 || pick < alloc_weight {
                    let size = random_size(&mut rng);
                    let align = 1 << rng.below(7);
                    heap.alloc(Layout::from_size_align(size, align).unwrap());
                    continue;
                }
                let id = *heap.live.keys().nth(rng.below(live) as usize).unwrap();
                if pick < 7 {
                    heap.free(id);
                } else {
                    let new_size = random_size(&mut rng);
                    heap.realloc(id, new_size);
                }
            }
            heap.free_all();
        }
    }

    #[test]
    fn freed_blocks_are_reused() {
        let mut heap = Checked::new(CHUNK);
        let layout = Layout::from_size_align(40, 8).unwrap();
        let first: Vec<u64> = (0..5_000).map(|_| heap.alloc(layout)).collect();
        let chunks = heap.heap.chunks.given.len();
        assert!(chunks > 1, "5,000 blocks of 40 bytes fill several chunks");
        for id in first {
            heap.free(id);
        }
        for _ in 0..20 {
            let again: Vec<u64> = (0..5_000).map(|_| heap.alloc(layout)).collect();
            for id in again.into_iter().rev() {
                heap.free(id);
            }
        }
        assert_eq!(heap.heap.chunks.given.len(), chunks);
    }

    #[test]
    fn a_class_reuses_its_own_blocks_in_an_allocate_and_free_loop() {
        let mut heap = Checked::new(CHUNK);
        let keep = heap.alloc(Layout::from_size_align(16, 8).unwrap());
        let a = heap.alloc(Layout::from_size_align(100, 8).unwrap());
        let at = heap.live[&a].at;
        let b = heap.alloc(Layout::from_size_align(100, 4).unwrap());
        heap.free(a);
        let c = heap.alloc(Layout::from_size_align(97, 1).unwrap());
        assert_eq!(
            heap.live[&c].at, at,
            "the freed block of the class comes back"
        );
        heap.free(b);
        heap.free(c);
        heap.free(keep);
        assert_eq!(heap.heap.chunks.given.len(), 1);
    }

    #[test]
    fn realloc_stays_in_place_within_a_class_and_at_the_end_of_the_chunk() {
        let mut heap = Checked::new(CHUNK);
        let s = heap.alloc(Layout::from_size_align(33, 1).unwrap());
        let at = heap.live[&s].at;
        assert_eq!(heap.realloc(s, 40), at, "33 and 40 bytes share a class");
        // The last block carved grows into the rest of the chunk.
        assert_eq!(heap.realloc(s, 1000), at);
        assert_eq!(heap.realloc(s, 3000), at);
        assert_eq!(heap.realloc(s, 10), at, "and shrinks back");
        // Not the last block any more: growing past its class moves it.
        let other = heap.alloc(Layout::from_size_align(8, 8).unwrap());
        assert_ne!(heap.realloc(s, 500), at);
        heap.free(other);
        heap.free(s);
    }

    #[test]
    fn blocks_move_between_the_classes_and_the_system_allocator() {
        let mut heap = Checked::new(CHUNK);
        let v = heap.alloc(Layout::from_size_align(64, 8).unwrap());
        heap.alloc(Layout::from_size_align(8, 8).unwrap());
        for size in [
            MAX_SMALL,
            MAX_SMALL + 1,
            1 << 20,
            3 << 20,
            MAX_SMALL,
            7,
            1 << 16,
            24,
        ] {
            heap.realloc(v, size);
        }
        let wide = heap.alloc(Layout::from_size_align(48, 64).unwrap());
        heap.realloc(wide, 20_000);
        heap.realloc(wide, 16);
        heap.free_all();
    }

    #[test]
    fn system_chunks_serve_a_heap() {
        // The component's configuration; its chunks are never freed (as in a component).
        let mut heap = Heap::new(SystemChunks::new());
        let layout = Layout::from_size_align(24, 8).unwrap();
        // SAFETY: non-zero sizes; each block is freed with its layout.
        unsafe {
            let blocks: Vec<*mut u8> = (0..10_000).map(|_| heap.alloc(layout)).collect();
            assert!(blocks.iter().all(|b| !b.is_null() && b.addr() % ALIGN == 0));
            let mut sorted: Vec<usize> = blocks.iter().map(|b| b.addr()).collect();
            sorted.sort_unstable();
            assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 24));
            for block in blocks {
                heap.dealloc(block, layout);
            }
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_reused() {
        let mut heap = Heap::new(Counted::new(CHUNK));
        for size in [24, 24, 3000, 3000, 100_000, 100_000] {
            let layout = Layout::from_size_align(size, 8).unwrap();
            // SAFETY: non-zero sizes; every block is freed with its layout.
            unsafe {
                let keep = heap.alloc(Layout::from_size_align(8, 8).unwrap());
                let block = heap.alloc_zeroed(layout);
                assert!(
                    std::slice::from_raw_parts(block, size)
                        .iter()
                        .all(|&b| b == 0)
                );
                block.write_bytes(0xa5, size);
                heap.dealloc(block, layout);
                heap.dealloc(keep, Layout::from_size_align(8, 8).unwrap());
            }
        }
    }

    #[test]
    fn an_exhausted_source_gives_null_and_the_heap_goes_on() {
        let mut source = Counted::new(MAX_SMALL);
        source.limit = 1;
        let mut heap = Heap::new(source);
        let layout = Layout::from_size_align(MAX_SMALL, 8).unwrap();
        // SAFETY: non-zero sizes; blocks are freed with their layouts.
        unsafe {
            let first = heap.alloc(layout);
            assert!(!first.is_null());
            assert!(heap.alloc(layout).is_null(), "the one chunk is used up");
            heap.dealloc(first, layout);
            let again = heap.alloc(layout);
            assert_eq!(again, first, "a freed block is served without a new chunk");
            heap.dealloc(again, layout);
        }
    }

    #[test]
    fn the_rest_of_a_chunk_is_not_lost() {
        // Chunks of 5,000 bytes: after one 4,096-byte block, 904 bytes are left, too few for
        // the next; they go to the free lists of smaller classes.
        let mut heap = Checked::new(5000);
        let big = Layout::from_size_align(MAX_SMALL, 8).unwrap();
        heap.alloc(big);
        heap.alloc(big);
        assert_eq!(heap.heap.chunks.given.len(), 2);
        let small = Layout::from_size_align(896, 8).unwrap();
        heap.alloc(small);
        heap.alloc(Layout::from_size_align(8, 8).unwrap());
        assert_eq!(heap.heap.chunks.given.len(), 2);
    }
}
