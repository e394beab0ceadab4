//! Hostile solutions for testing the sandbox. Each cargo feature builds a component whose `run`
//! misbehaves in one way; `describe` is always well-formed so the component gets that far.
//! Built only for wasm32-wasip2, by `host/artifacts/build.rs`.

use smelt_sdk::prelude::*;

/// The hostile solution; which misbehaviour depends on the enabled feature.
pub struct Hostile;

impl Solution for Hostile {
    fn describe() -> Descriptor {
        Descriptor::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            "Misbehaves on purpose",
        )
        .input(TableSpec::new("data", "Anything").column(ColumnSpec::float64("x", "", "A number")))
        .output(TableSpec::new("out", "Echo").column(ColumnSpec::float64("x", "", "A number")))
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        misbehave();
        let x = input.table("data")?.float64("x")?.to_vec();
        sleeper(&x);
        Ok(Output::new().with_table(TableBuilder::new("out").float64("x", x).build()))
    }
}

#[cfg(feature = "infinite-loop")]
fn misbehave() {
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

#[cfg(feature = "memory-grow")]
fn misbehave() {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

#[cfg(feature = "recursion")]
fn misbehave() {
    #[allow(unconditional_recursion)]
    fn deeper(n: u64) -> u64 {
        std::hint::black_box(deeper(std::hint::black_box(n + 1))) + 1
    }
    std::hint::black_box(deeper(0));
}

#[cfg(feature = "huge-output")]
fn misbehave() {}

/// The sleeper behaves (so it passes its vectors and the publish checks) until it sees the
/// trigger value 13, then loops forever.
#[cfg(feature = "sleeper")]
fn sleeper(x: &[f64]) {
    if x.first() == Some(&13.0) {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

#[cfg(not(feature = "sleeper"))]
fn sleeper(_x: &[f64]) {}

#[cfg(feature = "log-flood")]
fn misbehave() {
    // Terminal escape sequences: the host must neutralise them before logs and UI.
    loop {
        log::warn("\x1b[2J\x1b[31mflood\x1b[0m \x07 all work and no play");
    }
}

#[cfg(feature = "print-flood")]
fn misbehave() {
    loop {
        println!("\x1b]0;pwned\x07 flood via stdout");
    }
}

#[cfg(feature = "trap")]
fn misbehave() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
}

#[cfg(feature = "panic")]
fn misbehave() {
    let rows: Vec<u32> = std::hint::black_box(Vec::new());
    panic!("hostile panic: index {} of {} rows", 3, rows.len());
}

#[cfg(feature = "forbidden-import")]
fn misbehave() {
    // Pulls wasi:sockets into the component's imports.
    let _ = std::net::TcpStream::connect("127.0.0.1:9");
}

#[cfg(not(any(
    feature = "infinite-loop",
    feature = "memory-grow",
    feature = "recursion",
    feature = "huge-output",
    feature = "log-flood",
    feature = "print-flood",
    feature = "trap",
    feature = "panic",
    feature = "forbidden-import"
)))]
fn misbehave() {}

#[cfg(feature = "huge-output")]
#[allow(dead_code)]
fn huge() -> Output {
    // 3M floats = 24 MB, over the default 16 MiB output cap yet under the 64 MiB memory cap.
    Output::new().with_table(
        TableBuilder::new("out")
            .float64("x", vec![1.5; 3_000_000])
            .build(),
    )
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
