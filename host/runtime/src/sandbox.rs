//! The engine, the per-call store and the limits.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    Trap, UpdateDeadline,
};
use wasmtime_wasi::p2::pipe::{ClosedInputStream, MemoryOutputPipe};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::cache::{ArtifactCache, CacheStats};
use crate::model::{Descriptor, Input, Output};
use crate::wit::{v0_1_0, v0_2_0};
use crate::{Error, Result};

/// Import names a component may have, as `namespace:package/interface` prefixes (any `@0.2.x`
/// for WASI). Rust's std on wasm32-wasip2 pulls these in; everything behind them is empty or
/// virtual. Sockets, HTTP and anything unknown are refused.
pub const ALLOWED_IMPORTS: &[&str] = &[
    "smelt:solution/log@0.1.0",
    "smelt:solution/types@0.1.0",
    "smelt:solution/log@0.2.0",
    "smelt:solution/types@0.2.0",
    "wasi:cli/environment@0.2",
    "wasi:cli/exit@0.2",
    "wasi:cli/stdin@0.2",
    "wasi:cli/stdout@0.2",
    "wasi:cli/stderr@0.2",
    "wasi:cli/terminal-input@0.2",
    "wasi:cli/terminal-output@0.2",
    "wasi:cli/terminal-stdin@0.2",
    "wasi:cli/terminal-stdout@0.2",
    "wasi:cli/terminal-stderr@0.2",
    "wasi:io/error@0.2",
    "wasi:io/poll@0.2",
    "wasi:io/streams@0.2",
    "wasi:clocks/monotonic-clock@0.2",
    "wasi:clocks/wall-clock@0.2",
    "wasi:random/random@0.2",
    "wasi:random/insecure@0.2",
    "wasi:random/insecure-seed@0.2",
    // Rust's std links the filesystem interfaces even when unused; no directory is preopened,
    // so they can reach nothing.
    "wasi:filesystem/types@0.2",
    "wasi:filesystem/preopens@0.2",
];

/// Whether the runtime links import `name`: an allowed name exactly, or followed by a patch
/// version (`wasi:cli/stdout@0.2` admits `wasi:cli/stdout@0.2.3`).
pub fn import_allowed(name: &str) -> bool {
    ALLOWED_IMPORTS.iter().any(|allowed| {
        name == *allowed || (name.starts_with(allowed) && name[allowed.len()..].starts_with('.'))
    })
}

/// The pool's linear-memory slots not in use by a call ([`Runtime::pool_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PoolStats {
    /// Slots a call has used and none is using now: the next call of the same component takes
    /// one of them, its image already mapped.
    pub warm_memories: u32,
    /// Bytes those slots keep resident ([`RuntimeConfig::memory_keep_resident`]), zeroed.
    pub resident_bytes: usize,
    /// Whether the kernel lets the pool find a call's written pages (`PAGEMAP_SCAN`, Linux
    /// 6.7+). Without it nothing is kept resident, whatever the setting: every page a call
    /// wrote is given back to the kernel.
    pub keeps_resident: bool,
}

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Max wasm stack per call.
    pub max_wasm_stack: usize,
    /// How often the epoch ticker advances: the granularity of wall-clock deadlines.
    pub epoch_tick: Duration,
    /// Instances that may be alive at once in the pooling allocator (each with its linear
    /// memory, tables and metadata preallocated and reused, memory initialised copy-on-write);
    /// `0` allocates on demand instead. Each slot reserves 4 GiB + guard of address space, not
    /// memory.
    pub pool_slots: u32,
    /// Where compiled components are kept across restarts (see [`crate::CacheStats`]); `None`
    /// compiles every component on first load.
    pub cache_dir: Option<PathBuf>,
    /// Meter every call in fuel (the basis of usage, cost and the fuel limit). Only benchmarks
    /// turn it off, to measure what metering costs; calls then report 0 fuel.
    pub fuel_metering: bool,
    /// How much of a pooled slot's linear memory stays resident between calls, where the kernel
    /// has `PAGEMAP_SCAN` (Linux 6.7+): the pages a call wrote, up to this size, are reset by
    /// hand when its instance ends (zeroed, or the component's data restored) instead of given
    /// back to the kernel, so the next call in the slot takes no page faults on them (see
    /// [`MEMORY_KEEP_RESIDENT`]). Only the pages written are reset, so a small call's reset
    /// stays small. The host's resident memory can grow by up to this much for every slot a
    /// call has used (see [`WARM_SLOTS`] for how many that is).
    pub memory_keep_resident: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            // 512 KiB: deep enough for any sane solution's recursion, small enough that a
            // runaway recursion stops in well under a millisecond.
            max_wasm_stack: 512 << 10,
            // 2 ms: timeouts are whole-call backstops in the tens of ms and up; finer ticks
            // only cost the ticker thread wake-ups.
            epoch_tick: Duration::from_millis(2),
            // Trials are bounded by the host's run slots (a few per core); describe, shadow
            // runs and conformance add a handful more.
            pool_slots: 128,
            cache_dir: None,
            fuel_metering: true,
            memory_keep_resident: MEMORY_KEEP_RESIDENT,
        }
    }
}

/// Limits for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions).
    pub fuel: u64,
    /// Linear memory cap in bytes.
    pub memory_bytes: u64,
    /// Wall-clock deadline.
    pub timeout_ms: u64,
    /// Cap on the (approximate) output size in bytes.
    pub output_bytes: u64,
    /// Cap on logs plus stdout/stderr in bytes.
    pub log_bytes: u64,
    /// Cap on table elements.
    pub table_elements: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 5_000_000_000,
            memory_bytes: 64 << 20,
            timeout_ms: 5_000,
            output_bytes: 16 << 20,
            log_bytes: 64 << 10,
            // Rust components need a few thousand funcref slots at most.
            table_elements: 100_000,
        }
    }
}

/// What one call used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Fuel consumed.
    pub fuel: u64,
    /// Largest linear memory the call reached, in bytes.
    pub peak_memory_bytes: u64,
    /// Wall time of instantiate + call, in milliseconds.
    pub wall_ms: f64,
}

/// One log record from a guest (control characters neutralised).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    /// `trace`, `debug`, `info`, `warn`, `error`, or `stdout`/`stderr` for printed text.
    pub level: &'static str,
    /// The message.
    pub message: String,
}

/// The result of one call: the output or a typed error, and always the usage and logs.
#[derive(Debug, Clone)]
pub struct Run {
    /// The output, or why there is none.
    pub output: Result<Output>,
    /// What the call used.
    pub usage: Usage,
    /// What the guest logged.
    pub logs: Vec<LogLine>,
}

/// A limit the host enforced from inside a host call or the limiter; carried through the trap
/// so the call's error names it.
#[derive(Debug, Clone, thiserror::Error)]
enum LimitHit {
    #[error("memory limit")]
    Memory { limit: u64, requested: u64 },
    #[error("table limit")]
    Table { limit: u64, requested: u64 },
    #[error("log limit")]
    Log { limit: u64 },
}

struct Limiter {
    memory_bytes: u64,
    table_elements: u64,
    peak_memory: u64,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired > self.memory_bytes {
            return Err(LimitHit::Memory {
                limit: self.memory_bytes,
                requested: desired,
            }
            .into());
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired > self.table_elements {
            return Err(LimitHit::Table {
                limit: self.table_elements,
                requested: desired,
            }
            .into());
        }
        Ok(true)
    }
}

/// Everything one call's store holds.
pub struct StoreData {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    logs: Vec<LogLine>,
    log_bytes: u64,
    log_cap: u64,
    /// The call's virtual monotonic clock, in nanoseconds.
    clock: Arc<std::sync::atomic::AtomicU64>,
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl v0_1_0::types::Host for StoreData {}
impl v0_2_0::types::Host for StoreData {}

/// A version's log import: its level as a name, then [`StoreData::log`].
macro_rules! log_host {
    ($v:ident) => {
        impl $v::log::Host for StoreData {
            fn log(&mut self, level: $v::log::Level, message: String) -> wasmtime::Result<()> {
                use $v::log::Level;
                let level = match level {
                    Level::Trace => "trace",
                    Level::Debug => "debug",
                    Level::Info => "info",
                    Level::Warn => "warn",
                    Level::Error => "error",
                };
                self.log(level, message)
            }
        }
    };
}
log_host!(v0_1_0);
log_host!(v0_2_0);

impl StoreData {
    /// Keeps a guest's log line, or stops the call past its log cap.
    fn log(&mut self, level: &'static str, message: String) -> wasmtime::Result<()> {
        self.log_bytes += message.len() as u64;
        if self.log_bytes > self.log_cap {
            return Err(LimitHit::Log {
                limit: self.log_cap,
            }
            .into());
        }
        self.logs.push(LogLine {
            level,
            message: crate::model::neutralise(&message),
        });
        Ok(())
    }
}

/// A fixed wall clock: results must not depend on when they ran.
struct FixedWallClock;

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        // 2024-01-01T00:00:00Z
        Duration::from_secs(1_704_067_200)
    }
}

/// A monotonic clock that advances one microsecond per reading, so timing loops terminate
/// yet reveal nothing about the host, and by the whole duration of a sleep (see
/// [`virtual_sleeps`]). Shared between the store's WASI context and the sleeps.
struct VirtualMonotonicClock(Arc<std::sync::atomic::AtomicU64>);

impl HostMonotonicClock for VirtualMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000
    }
    fn now(&self) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        self.0
            .fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_add(1_000)))
            .unwrap_or_else(|t| t)
    }
}

/// The WASI monotonic-clock interface as wasmtime-wasi links it (its newest 0.2 version, which
/// components importing any `wasi:clocks/monotonic-clock@0.2.x` resolve to). A wasmtime-wasi
/// that links a newer 0.2 would leave these shadows unused: the `sleep` hostile component's
/// test then fails (after its real two-minute sleep).
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Replaces wasmtime-wasi's clock subscriptions (real timers: a guest that sleeps would hold
/// its call past any deadline — a blocking call cannot be interrupted while the host waits —
/// or hold a thread forever) with ones that are ready at once and move the call's virtual
/// clock to their deadline: a sleep costs nothing and the guest sees the time pass. With this,
/// nothing in the sandbox waits on the host, so fuel and the epoch deadline bound every call.
fn virtual_sleeps(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    // Each subscription's move of the clock: by a duration, or up to an instant.
    type MoveClock = fn(&AtomicU64, u64);
    let moves: [(&str, MoveClock); 2] = [
        ("subscribe-duration", |now, nanos| {
            // Saturating: a guest sleeping "forever" must not wrap its clock back to zero.
            let _ = now.fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_add(nanos)));
        }),
        ("subscribe-instant", |now, when| {
            now.fetch_max(when, Relaxed);
        }),
    ];
    for (name, move_clock) in moves {
        clock.func_wrap(
            name,
            move |mut store: wasmtime::StoreContextMut<'_, StoreData>, (at,): (u64,)| {
                let data = store.data_mut();
                move_clock(&data.clock, at);
                Ok((data.ready_pollable()?,))
            },
        )?;
    }
    linker.allow_shadowing(false);
    Ok(())
}

/// A linker with WASI through `add_wasi` (its blocking or its async bindings), virtual sleeps
/// and the solution's log import.
fn new_linker(
    engine: &Engine,
    add_wasi: fn(&mut Linker<StoreData>) -> wasmtime::Result<()>,
) -> Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    add_wasi(&mut linker)
        .and_then(|()| virtual_sleeps(&mut linker))
        .and_then(|()| {
            v0_1_0::Plugin::add_to_linker::<StoreData, HasSelf<StoreData>>(&mut linker, |s| s)
        })
        .and_then(|()| {
            v0_2_0::Plugin::add_to_linker::<StoreData, HasSelf<StoreData>>(&mut linker, |s| s)
        })
        .map_err(|e| Error::Internal(format!("linker: {e}")))?;
    Ok(linker)
}

/// A pollable that is always ready.
struct Ready;

impl wasmtime_wasi::p2::Pollable for Ready {
    fn ready<'a, 'b>(&'a mut self) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(std::future::ready(()))
    }
}

impl StoreData {
    fn ready_pollable(
        &mut self,
    ) -> wasmtime::Result<wasmtime::component::Resource<wasmtime_wasi::p2::DynPollable>> {
        let ready = self.table.push(Ready)?;
        wasmtime_wasi::p2::subscribe(&mut self.table, ready)
    }
}

/// Seed of every call's random streams: deterministic output is part of the contract.
/// Largest linear memory a pooled slot can hold; calls are capped lower by their [`Limits`].
const MAX_POOLED_MEMORY: usize = 1 << 30;
/// Largest table a pooled slot can hold: the default [`Limits::table_elements`].
const MAX_POOLED_TABLE: usize = 100_000;

/// The default of [`RuntimeConfig::memory_keep_resident`]: how much of a pooled linear
/// memory's written pages are reset by hand, and kept resident, when its instance ends, where
/// the kernel has `PAGEMAP_SCAN` (Linux 6.7+) to find them.
///
/// - A small call's slot is then ready again without an `madvise`, whose TLB shoot-down
///   interrupts every core running this process, on every call. Without the scan nothing is
///   kept: the first bytes would be memset whether written or not (1 MiB cost 30 µs a call in
///   the overhead bench, p50 1.31× bare wasmtime vs 1.02× with `madvise` resets).
/// - A large call's next run in the slot takes no page fault on what it kept: oee on 100,000
///   shifts writes about 15 MiB and took 3,370 page faults a call with 2 MiB kept, none with
///   this (BENCHMARKS.md §2).
pub const MEMORY_KEEP_RESIDENT: usize = 16 << 20;
/// Unused warm slots (their module's image mapped, their kept memory resident) past which the
/// pool gives a new instance a slot another module used instead of one never used (wasmtime's
/// `max_unused_warm_slots`, default 100, split evenly across the pool's shards). Warm slots
/// are never emptied, so the slots ever used, and the memory they keep, are bounded by the
/// most instances alive at once plus about this many: the server's run slots, describes and
/// shadow runs, plus 16, times [`MEMORY_KEEP_RESIDENT`] at worst.
pub const WARM_SLOTS: u32 = 16;

const RANDOM_SEED: u64 = 0x5eed_5e1f;
/// Largest random-bytes request a guest may make (bytes).
const MAX_RANDOM_BYTES: u64 = 64 << 10;

struct Inner {
    engine: Engine,
    /// WASI's blocking bindings, for [`Plugin::run`] and [`Plugin::describe`].
    linker: Linker<StoreData>,
    /// WASI's async bindings, for [`Plugin::run_async`].
    async_linker: Linker<StoreData>,
    plugins: Mutex<HashMap<String, Plugin>>,
    cache: Option<ArtifactCache>,
    // Dropping the sender stops the epoch ticker thread.
    _ticker: mpsc::Sender<()>,
    epoch_tick: Duration,
    fuel_metering: bool,
}

/// The sandbox: one engine, one linker, one epoch ticker, and a cache of compiled plugins by
/// digest. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

/// A compiled solution, ready to instantiate. Cheap to clone.
#[derive(Clone)]
pub struct Plugin {
    contract: Contract,
    engine: Engine,
    epoch_tick: Duration,
    fuel_metering: bool,
    digest: String,
    imports: Arc<Vec<String>>,
    size: usize,
}

/// A component's instance-pres in the bindings of the WIT version it exports: for blocking
/// calls and for async ones.
#[derive(Clone)]
enum Contract {
    V0_1_0(
        Arc<v0_1_0::PluginPre<StoreData>>,
        Arc<v0_1_0::nonblocking::PluginPre<StoreData>>,
    ),
    V0_2_0(
        Arc<v0_2_0::PluginPre<StoreData>>,
        Arc<v0_2_0::nonblocking::PluginPre<StoreData>>,
    ),
}

/// `$body` once per WIT version, with `$v` naming that version's bindings module and the
/// patterns `$pre`, `$pre_async` bound to the contract's blocking and async instance-pres.
macro_rules! by_contract {
    ($contract:expr, |$v:ident, $pre:pat_param, $pre_async:pat_param| $body:expr) => {
        match $contract {
            Contract::V0_1_0($pre, $pre_async) => {
                use crate::wit::v0_1_0 as $v;
                $body
            }
            Contract::V0_2_0($pre, $pre_async) => {
                use crate::wit::v0_2_0 as $v;
                $body
            }
        }
    };
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("digest", &self.digest)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The WIT versions this host runs, oldest first.
pub const WIT_VERSIONS: &[&str] = &[v0_1_0::VERSION, v0_2_0::VERSION];

/// The version of `smelt:solution/solution` a component exports: one this host runs, or why not.
fn solution_export(engine: &Engine, component: &Component) -> Result<&'static str> {
    const SOLUTION: &str = "smelt:solution/solution@";
    let exported: Vec<String> = component
        .component_type()
        .exports(engine)
        .filter_map(|(name, _)| name.strip_prefix(SOLUTION).map(str::to_owned))
        .collect();
    exported
        .iter()
        .find_map(|version| WIT_VERSIONS.iter().find(|&&v| v == version))
        .copied()
        .ok_or_else(|| {
            Error::InvalidComponent(if exported.is_empty() {
                format!(
                    "does not export smelt:solution/solution (this host runs versions {})",
                    WIT_VERSIONS.join(", ")
                )
            } else {
                format!(
                    "does not export a version of smelt:solution/solution this host runs: it \
                     exports @{}, the host runs {}",
                    exported.join(", @"),
                    WIT_VERSIONS.join(", ")
                )
            })
        })
}

/// Lists a component's top-level import names, after checking that the bytes are a component.
pub fn component_imports(bytes: &[u8]) -> Result<Vec<String>> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        let head: String = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(Error::NotWasm(format!(
            "the file starts with bytes {head}, not the wasm magic 0061736d"
        )));
    }
    if wasmparser::Parser::is_core_wasm(bytes) {
        return Err(Error::CoreModule);
    }
    if !wasmparser::Parser::is_component(bytes) {
        return Err(Error::InvalidComponent(
            "unknown wasm version or layer".into(),
        ));
    }
    let mut imports = Vec::new();
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| Error::InvalidComponent(e.to_string()))?;
        match payload {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let import = import.map_err(|e| Error::InvalidComponent(e.to_string()))?;
                    imports.push(import.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// What a component's core code weighs, as [`code_stats`] measures it before compilation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CodeStats {
    /// Function bodies across every core module.
    pub functions: u64,
    /// Bytes of function bodies across every core module.
    pub code_bytes: u64,
    /// The largest single function body in bytes.
    pub max_body_bytes: u64,
    /// The most locals any one function declares.
    pub max_locals: u64,
    /// The sum over functions of locals × control instructions (blocks, loops, ifs and branch
    /// targets): a local live at a join needs a value at every edge into it, so this is what
    /// SSA construction and register allocation pay for.
    pub complexity: u64,
}

/// Caps on a component's code, checked before Cranelift sees it. Compilation cannot be
/// interrupted or metered, and its cost grows with locals times control flow: the hostile
/// `compile-bomb` (50,000 locals, the parser's limit, live across 150 back edges per function;
/// complexity 31 million) takes one to two minutes of CPU, and a bomb within every other cap
/// but complexity (1,024 locals, 1,560 back edges per function, 32 functions) close to three.
/// The examples (printed by the runtime's hostile tests) have about 300 functions, 120 KB of
/// code, bodies of at most 13 KB, at most 56 locals and a complexity under 100,000; each cap is
/// at least 18 times that, and the heaviest component under all of them compiles in about
/// 12 s on a busy two-core machine (`compile_bomb_cost_without_the_limits`); the server
/// compiles one upload at a time.
pub const CODE_LIMITS: CodeStats = CodeStats {
    functions: 50_000,
    code_bytes: 8 << 20,
    max_body_bytes: 256 << 10,
    max_locals: 1_024,
    complexity: 2_000_000,
};

/// Measures the core code inside a component (every nested module), without validating it.
pub fn code_stats(bytes: &[u8]) -> Result<CodeStats> {
    let mut stats = CodeStats::default();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| Error::InvalidComponent(e.to_string()))?;
        if let wasmparser::Payload::CodeSectionEntry(body) = payload {
            let invalid = |e: wasmparser::BinaryReaderError| Error::InvalidComponent(e.to_string());
            let size = body.range().len() as u64;
            let mut locals = 0u64;
            for entry in body.get_locals_reader().map_err(invalid)? {
                let (count, _) = entry.map_err(invalid)?;
                locals += u64::from(count);
            }
            let mut control = 0u64;
            let mut ops = body.get_operators_reader().map_err(invalid)?;
            while !ops.eof() {
                use wasmparser::Operator as Op;
                control += match ops.read().map_err(invalid)? {
                    Op::Block { .. } | Op::Loop { .. } | Op::If { .. } => 1,
                    Op::Br { .. } | Op::BrIf { .. } => 1,
                    Op::BrTable { targets } => u64::from(targets.len()) + 1,
                    _ => 0,
                };
            }
            stats.complexity = stats
                .complexity
                .saturating_add(locals.saturating_mul(control));
            stats.functions += 1;
            stats.code_bytes += size;
            stats.max_body_bytes = stats.max_body_bytes.max(size);
            stats.max_locals = stats.max_locals.max(locals);
        }
    }
    Ok(stats)
}

/// Refuses code over [`CODE_LIMITS`], naming the first cap exceeded.
fn check_code_limits(bytes: &[u8]) -> Result<CodeStats> {
    let stats = code_stats(bytes)?;
    let caps = [
        ("functions", stats.functions, CODE_LIMITS.functions),
        ("bytes of code", stats.code_bytes, CODE_LIMITS.code_bytes),
        (
            "bytes in one function body",
            stats.max_body_bytes,
            CODE_LIMITS.max_body_bytes,
        ),
        (
            "locals in one function",
            stats.max_locals,
            CODE_LIMITS.max_locals,
        ),
        (
            "locals × control instructions",
            stats.complexity,
            CODE_LIMITS.complexity,
        ),
    ];
    for (what, actual, limit) in caps {
        if actual > limit {
            return Err(Error::TooComplex {
                what: what.into(),
                actual,
                limit,
            });
        }
    }
    Ok(stats)
}

impl Runtime {
    /// A runtime with the default configuration.
    pub fn new() -> Result<Runtime> {
        Self::with_config(&RuntimeConfig::default())
    }

    /// A runtime with `config`.
    pub fn with_config(config: &RuntimeConfig) -> Result<Runtime> {
        let mut wasm = Config::new();
        wasm.strategy(wasmtime::Strategy::Cranelift)
            .wasm_component_model(true)
            .wasm_memory64(false)
            .consume_fuel(config.fuel_metering)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            .parallel_compilation(true)
            .memory_init_cow(true);
        if config.pool_slots > 0 {
            let slots = config.pool_slots;
            let mut pool = PoolingAllocationConfig::new();
            // A Rust component holds a few core instances (the solution, WASI shims), each with
            // at most one memory and one table.
            pool.total_component_instances(slots)
                .total_core_instances(slots * 8)
                .total_memories(slots * 2)
                .total_tables(slots * 8)
                .max_memory_size(MAX_POOLED_MEMORY)
                .table_elements(MAX_POOLED_TABLE)
                .table_keep_resident(64 << 10)
                .max_unused_warm_slots(WARM_SLOTS)
                // `run_async` runs each call on a fiber stack from the pool (not zeroed, so
                // not decommitted between calls).
                .total_stacks(slots);
            if PoolingAllocationConfig::is_pagemap_scan_available() {
                pool.pagemap_scan(wasmtime::Enabled::Yes)
                    .linear_memory_keep_resident(config.memory_keep_resident);
            }
            wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&wasm).map_err(|e| Error::Internal(format!("engine: {e}")))?;
        let cache = match &config.cache_dir {
            Some(dir) => Some(ArtifactCache::open(dir, &engine).map_err(|e| {
                Error::Internal(format!("compiled-code cache {}: {e}", dir.display()))
            })?),
            None => None,
        };
        let linker = new_linker(&engine, wasmtime_wasi::p2::add_to_linker_sync)?;
        let async_linker = new_linker(&engine, wasmtime_wasi::p2::add_to_linker_async)?;

        let (stop, stopped) = mpsc::channel::<()>();
        let ticking = engine.weak();
        let tick = config.epoch_tick;
        thread::Builder::new()
            .name("smelt-epoch".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    match ticking.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| Error::Internal(format!("epoch ticker: {e}")))?;
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                async_linker,
                plugins: Mutex::new(HashMap::new()),
                cache,
                _ticker: stop,
                epoch_tick: tick,
                fuel_metering: config.fuel_metering,
            }),
        })
    }

    /// Validates and compiles a component (or returns the one already compiled from the same
    /// bytes): the wasm magic, component-not-module, the allowed imports, the [`CODE_LIMITS`],
    /// compilation, and the `smelt:solution/solution` export at a version in [`WIT_VERSIONS`]
    /// (its functions' types are checked when it is first instantiated).
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin> {
        let raw: [u8; 32] = Sha256::digest(bytes).into();
        let digest = format!("sha256:{}", hex::encode(raw));
        if let Some(plugin) = self.cached(&digest) {
            return Ok(plugin);
        }
        let imports = component_imports(bytes)?;
        if let Some(name) = imports.iter().find(|name| !import_allowed(name)) {
            return Err(Error::ForbiddenImport { name: name.clone() });
        }
        check_code_limits(bytes)?;
        let engine = &self.inner.engine;
        let component = match self.inner.cache.as_ref().and_then(|c| c.get(engine, &raw)) {
            Some(component) => component,
            None => {
                let component = Component::new(engine, bytes)
                    .map_err(|e| Error::InvalidComponent(format!("{e:#}")))?;
                if let Some(cache) = &self.inner.cache {
                    cache.put(&raw, &component);
                }
                component
            }
        };
        let pres = || {
            let pre = |linker: &Linker<StoreData>| {
                linker
                    .instantiate_pre(&component)
                    .map_err(|e| Error::InvalidComponent(format!("{e:#}")))
            };
            Ok::<_, Error>((pre(&self.inner.linker)?, pre(&self.inner.async_linker)?))
        };
        let version = solution_export(engine, &component)?;
        let no_export = |e: wasmtime::Error| {
            Error::InvalidComponent(format!(
                "does not export smelt:solution/solution@{version} as that version defines it: {e:#}"
            ))
        };
        let contract = match version {
            v0_1_0::VERSION => {
                let (pre, pre_async) = pres()?;
                Contract::V0_1_0(
                    Arc::new(v0_1_0::PluginPre::new(pre).map_err(no_export)?),
                    Arc::new(v0_1_0::nonblocking::PluginPre::new(pre_async).map_err(no_export)?),
                )
            }
            v0_2_0::VERSION => {
                let (pre, pre_async) = pres()?;
                Contract::V0_2_0(
                    Arc::new(v0_2_0::PluginPre::new(pre).map_err(no_export)?),
                    Arc::new(v0_2_0::nonblocking::PluginPre::new(pre_async).map_err(no_export)?),
                )
            }
            other => {
                return Err(Error::Internal(format!(
                    "WIT {other} is listed as run by this host but has no bindings"
                )));
            }
        };
        let plugin = Plugin {
            contract,
            engine: self.inner.engine.clone(),
            epoch_tick: self.inner.epoch_tick,
            fuel_metering: self.inner.fuel_metering,
            digest: digest.clone(),
            imports: Arc::new(imports),
            size: bytes.len(),
        };
        self.inner
            .plugins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(digest, plugin.clone());
        Ok(plugin)
    }

    /// What the compiled-code cache did since this runtime started (all zero without one).
    pub fn cache_stats(&self) -> CacheStats {
        self.inner
            .cache
            .as_ref()
            .map(ArtifactCache::stats)
            .unwrap_or_default()
    }

    /// The pooling allocator's linear-memory slots between calls, or `None` when the runtime
    /// allocates on demand (`pool_slots: 0`).
    pub fn pool_stats(&self) -> Option<PoolStats> {
        let metrics = self.inner.engine.pooling_allocator_metrics()?;
        Some(PoolStats {
            warm_memories: metrics.unused_warm_memories(),
            resident_bytes: metrics.unused_memory_bytes_resident(),
            keeps_resident: PoolingAllocationConfig::is_pagemap_scan_available(),
        })
    }

    /// The compiled plugin for `digest`, if this runtime has loaded it.
    pub fn cached(&self, digest: &str) -> Option<Plugin> {
        self.inner
            .plugins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(digest)
            .cloned()
    }
}

impl Plugin {
    /// `sha256:<hex>` of the component bytes.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The WIT package version the component targets.
    pub fn wit_version(&self) -> &'static str {
        by_contract!(&self.contract, |v, _, _| v::VERSION)
    }

    /// The component's import names.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// Component size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    fn store(
        &self,
        limits: &Limits,
        deadline: Deadline,
    ) -> Result<(Store<StoreData>, MemoryOutputPipe, MemoryOutputPipe)> {
        let stdout = MemoryOutputPipe::new(limits.log_bytes as usize);
        let stderr = MemoryOutputPipe::new(limits.log_bytes as usize);
        let clock = Arc::<std::sync::atomic::AtomicU64>::default();
        let wasi = WasiCtx::builder()
            .stdin(ClosedInputStream)
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FixedWallClock)
            .monotonic_clock(VirtualMonotonicClock(clock.clone()))
            .secure_random(seeded_rng(RANDOM_SEED))
            .insecure_random(seeded_rng(RANDOM_SEED ^ 1))
            .insecure_random_seed(u128::from(RANDOM_SEED))
            .max_random_size(MAX_RANDOM_BYTES)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let data = StoreData {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: limits.memory_bytes,
                table_elements: limits.table_elements,
                peak_memory: 0,
            },
            logs: Vec::new(),
            log_bytes: 0,
            log_cap: limits.log_bytes,
            clock,
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limiter);
        if self.fuel_metering {
            store
                .set_fuel(limits.fuel)
                .map_err(|e| Error::Internal(format!("fuel: {e}")))?;
        }
        // wasmtime caps what one guest → host transfer may allocate (128 MiB by default); the
        // output limit is the cap that matters here, so a call allowed a large output can return
        // it (the output is counted again, exactly, against `output_bytes` after the call).
        store.set_hostcall_fuel(
            usize::try_from(limits.output_bytes.saturating_mul(4))
                .unwrap_or(usize::MAX)
                .max(128 << 20),
        );
        match deadline {
            Deadline::Trap => {
                let ticks = limits
                    .timeout_ms
                    .div_ceil(self.epoch_tick.as_millis().max(1) as u64)
                    .max(1);
                store.set_epoch_deadline(ticks);
                store.epoch_deadline_trap();
            }
            Deadline::Yield => {
                // At every tick: over time → the same interrupt as a blocking call's deadline;
                // otherwise let the async thread's other tasks run, then go on.
                let (started, timeout) = (Instant::now(), limits.timeout());
                store.set_epoch_deadline(1);
                store.epoch_deadline_callback(move |_| {
                    Ok(if started.elapsed() >= timeout {
                        UpdateDeadline::Interrupt
                    } else {
                        UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
                    })
                });
            }
        }
        Ok((store, stdout, stderr))
    }

    /// Calls `describe` under default limits.
    pub fn describe(&self) -> Result<Descriptor> {
        self.call(&Limits::default(), |store| {
            by_contract!(&self.contract, |v, pre, _| pre
                .instantiate(&mut *store)?
                .smelt_solution_solution()
                .call_describe(store)
                .map(|d| Ok(v::descriptor_from(d))))
        })
        .0
    }

    /// Runs the solution once on `input`, in a fresh instance, under `limits`, blocking the
    /// calling thread. The input is passed as given: check it with [`crate::input_from_json`]
    /// first when it comes from outside.
    pub fn run(&self, input: &Input, limits: &Limits) -> Run {
        let (output, usage, logs) = by_contract!(&self.contract, |v, pre, _| {
            v::with_input(input, |wit_input| {
                self.call(limits, |store| {
                    pre.instantiate(&mut *store)?
                        .smelt_solution_solution()
                        .call_run(store, wit_input)
                        .map(v::run_result)
                })
            })
        });
        Run {
            output: output.and_then(|output| within_output_limit(output, limits)),
            usage,
            logs,
        }
    }

    /// [`Plugin::run`] as a future, for a caller on an async thread: the same call, limits,
    /// usage and errors, but the guest runs on a fiber that gives the thread back to its other
    /// tasks at every epoch tick, and printing reaches WASI's async streams (the blocking ones
    /// would block on the thread's own Tokio runtime). Must be awaited inside a Tokio runtime
    /// with its timer.
    pub async fn run_async(&self, input: &Input, limits: &Limits) -> Run {
        let (output, usage, logs) = by_contract!(&self.contract, |v, _, pre_async| {
            let texts = v::text_views(input);
            let columns = v::column_views(input, &texts);
            let tables = v::table_views(input, &columns);
            let params = v::param_views(input);
            // The store (and with it the deadline) after the views, as `run` does.
            match self.store(limits, Deadline::Yield) {
                Err(e) => (Err(e), Usage::default(), Vec::new()),
                Ok((mut store, stdout, stderr)) => {
                    let started = Instant::now();
                    let call = async {
                        let plugin = pre_async.instantiate_async(&mut store).await?;
                        let wit_input = v::types::Input {
                            tables: &tables,
                            params: &params,
                        };
                        plugin
                            .smelt_solution_solution()
                            .call_run(&mut store, wit_input)
                            .await
                            .map(v::run_result)
                    };
                    // Wasm meets its deadline at an epoch tick. Nothing in the sandbox waits in
                    // the host (sleeps are virtual); this backstop stops a call that ever did.
                    let result = tokio::time::timeout(limits.timeout() + 2 * self.epoch_tick, call)
                        .await
                        .unwrap_or_else(|_| Err(Trap::Interrupt.into()));
                    finish(store, &stdout, &stderr, started, limits, result)
                }
            }
        });
        Run {
            output: output.and_then(|output| within_output_limit(output, limits)),
            usage,
            logs,
        }
    }

    /// A blocking call: `f` instantiates and calls in a fresh store under `limits`.
    fn call<T>(
        &self,
        limits: &Limits,
        f: impl FnOnce(&mut Store<StoreData>) -> wasmtime::Result<Result<T>>,
    ) -> (Result<T>, Usage, Vec<LogLine>) {
        let (mut store, stdout, stderr) = match self.store(limits, Deadline::Trap) {
            Ok(s) => s,
            Err(e) => return (Err(e), Usage::default(), Vec::new()),
        };
        let started = Instant::now();
        let result = f(&mut store);
        finish(store, &stdout, &stderr, started, limits, result)
    }
}

/// How a call's store meets its wall-clock deadline.
#[derive(Debug, Clone, Copy)]
enum Deadline {
    /// Trap at the epoch tick that ends it (a blocking call).
    Trap,
    /// Yield to the async executor at every tick; interrupt at the first tick past it.
    Yield,
}

impl Limits {
    /// The wall-clock deadline as a duration.
    fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// `output`, unless its size passes the output limit.
fn within_output_limit(output: Output, limits: &Limits) -> Result<Output> {
    let size = output.approx_bytes() as u64;
    if size > limits.output_bytes {
        Err(Error::OutputTooLarge {
            size,
            limit: limits.output_bytes,
        })
    } else {
        Ok(output)
    }
}

/// What a finished (or stopped) call leaves: its result with any wasmtime error turned into
/// the limit or trap behind it, the usage, and the logs with what it printed.
fn finish<T>(
    store: Store<StoreData>,
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
    started: Instant,
    limits: &Limits,
    result: wasmtime::Result<Result<T>>,
) -> (Result<T>, Usage, Vec<LogLine>) {
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let fuel = match store.get_fuel() {
        Ok(left) => limits.fuel.saturating_sub(left),
        Err(_) => 0,
    };
    let data = store.into_data();
    let usage = Usage {
        fuel,
        peak_memory_bytes: data.limiter.peak_memory,
        wall_ms,
    };
    let mut logs = data.logs;
    let (out, err) = (stdout.contents(), stderr.contents());
    for (level, bytes) in [("stdout", &out), ("stderr", &err)] {
        if !bytes.is_empty() {
            logs.push(LogLine {
                level,
                message: crate::model::neutralise(&String::from_utf8_lossy(bytes)),
            });
        }
    }
    let printed_full = out.len() as u64 >= limits.log_bytes || err.len() as u64 >= limits.log_bytes;
    let result = match result {
        Ok(result) => result,
        Err(e) => Err(classify(
            e,
            limits,
            printed_full,
            &String::from_utf8_lossy(&err),
        )),
    };
    (result, usage, logs)
}

fn seeded_rng(seed: u64) -> rand_wasi::rngs::StdRng {
    use rand_wasi::SeedableRng;
    rand_wasi::rngs::StdRng::seed_from_u64(seed)
}

/// Turns a wasmtime error from instantiate or call into the limit or trap that caused it.
fn classify(error: wasmtime::Error, limits: &Limits, printed_full: bool, stderr: &str) -> Error {
    if let Some(hit) = error.downcast_ref::<LimitHit>() {
        return match *hit {
            LimitHit::Memory { limit, requested } => Error::MemoryLimit { limit, requested },
            LimitHit::Table { limit, requested } => Error::TableLimit { limit, requested },
            LimitHit::Log { limit } => Error::LogTooLarge { limit },
        };
    }
    if printed_full {
        return Error::LogTooLarge {
            limit: limits.log_bytes,
        };
    }
    // wasmtime-wasi refuses an oversized `wasi:random` request with a plain error (not a
    // trap) whose text is fixed by the host, never by the guest.
    let chain = format!("{error:#}");
    if chain.contains("requested len")
        && chain.contains(&format!("exceeds limit {MAX_RANDOM_BYTES}"))
    {
        return Error::RandomTooLarge {
            limit: MAX_RANDOM_BYTES,
        };
    }
    // An export whose types differ from its WIT version's is found at instantiation (wasmtime
    // checks a typed export then, not when the component is loaded), again with host text.
    if error.downcast_ref::<Trap>().is_none()
        && chain.starts_with("failed to convert function to given type")
    {
        return Error::InvalidComponent(format!(
            "does not export smelt:solution/solution as its WIT version defines it: {chain}"
        ));
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Error::OutOfFuel { limit: limits.fuel },
        Some(Trap::Interrupt) => Error::Timeout {
            limit_ms: limits.timeout_ms,
        },
        Some(Trap::StackOverflow) => Error::StackOverflow,
        trap => {
            if let Some(at) = stderr.find("panicked at") {
                let message = crate::model::neutralise(stderr[at..].trim());
                return Error::Panic {
                    message: message.chars().take(2_000).collect(),
                };
            }
            let message = match trap {
                Some(trap) => trap.to_string(),
                None => format!("{error:#}"),
            };
            Error::Trap {
                message: crate::model::neutralise(&message)
                    .chars()
                    .take(2_000)
                    .collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_allow_list_matches_versions_not_prefixes() {
        assert!(import_allowed("wasi:cli/stdout@0.2.3"));
        assert!(import_allowed("smelt:solution/log@0.1.0"));
        assert!(!import_allowed("wasi:cli/stdout@0.20.0"));
        assert!(!import_allowed("wasi:sockets/tcp@0.2.3"));
        assert!(!import_allowed("wasi:http/outgoing-handler@0.2.3"));
        assert!(!import_allowed("smelt:solution/log@0.1.0-evil"));
    }

    #[test]
    fn not_wasm_and_core_modules_are_told_apart() {
        assert!(matches!(
            component_imports(b"\x7fELF\x02\x01\x01\0\0\0"),
            Err(Error::NotWasm(_))
        ));
        assert!(matches!(
            component_imports(b"\0asm\x01\0\0\0"),
            Err(Error::CoreModule)
        ));
        assert!(matches!(component_imports(b"\0asm\x0d\0\x01\0"), Ok(v) if v.is_empty()));
    }
}
