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
/// same input gives a different ΔE00 wherever L* differs. The colour math is the example's own
/// file; the example crate cannot be a dependency, because its exports would clash with these.
#[cfg(feature = "dye-lot-v0-1-1")]
#[path = "../../../plugins/dye-lot-color-qc/src/color.rs"]
mod color;

#[cfg(feature = "dye-lot-v0-1-1")]
pub struct DyeLotV011;

#[cfg(feature = "dye-lot-v0-1-1")]
impl Solution for DyeLotV011 {
    fn describe() -> Descriptor {
        let lab = |t: TableSpec| {
            t.column(ColumnSpec::float64("L", "", "CIELAB lightness L* (0–100)"))
                .column(ColumnSpec::float64("a", "", "CIELAB a* (green − / red +)"))
                .column(ColumnSpec::float64(
                    "b",
                    "",
                    "CIELAB b* (blue − / yellow +)",
                ))
        };
        Descriptor::new(
            "dye-lot-color-qc",
            "0.1.1",
            "CIEDE2000 colour difference of each dye lot against the standard, pass/fail by tolerance",
        )
        .input(lab(TableSpec::new("standard", "The approved standard shade (one row)").rows(1, Some(1))))
        .input(lab(TableSpec::new("batches", "One row per production batch (dye lot) measured")
            .column(ColumnSpec::text("batch", "", "Batch or lot identifier"))))
        .param(
            ParamSpec::float64("tolerance", "ΔE00", "Largest accepted colour difference")
                .default_f64(1.0)
                .range(0.01, 100.0),
        )
        .param(
            ParamSpec::float64("kl", "", "CIEDE2000 lightness weight kL")
                .default_f64(2.0)
                .range(0.1, 10.0),
        )
        .output(
            TableSpec::new("results", "One row per batch, in input order")
                .column(ColumnSpec::text("batch", "", "Batch identifier"))
                .column(ColumnSpec::float64("delta_e00", "ΔE00", "CIEDE2000 difference from the standard"))
                .column(ColumnSpec::boolean("pass", "", "ΔE00 within the tolerance")),
        )
        .metric(MetricSpec::new("max_delta_e00", "ΔE00", "Worst batch"))
        .metric(MetricSpec::new("fail_count", "", "Batches outside the tolerance"))
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        let tolerance = input.float64_param("tolerance")?.unwrap_or(1.0);
        let kl = input.float64_param("kl")?.unwrap_or(2.0);
        let weights = color::Weights {
            kl,
            ..color::Weights::default()
        };
        let lab = |table: TableRef<'_>, row: usize| -> Result<color::Lab, SolutionError> {
            let get = |c: &str| -> Result<f64, SolutionError> {
                let column = table.float64(c)?;
                let value = column
                    .get(row)
                    .ok_or_else(|| table.invalid(c, row, "missing"))?;
                table.finite(c, row, *value)
            };
            Ok(color::Lab {
                l: get("L")?,
                a: get("a")?,
                b: get("b")?,
            })
        };
        let standard = lab(input.table("standard")?, 0)?;
        let batches = input.table("batches")?;
        let rows = batches.rows_at_least(1)?;
        let names = batches.text("batch")?;
        let mut output = Output::new();
        let (mut delta, mut pass) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        for (row, name) in names.iter().enumerate().take(rows) {
            let de = color::ciede2000(standard, lab(batches, row)?, weights);
            if de > tolerance {
                output.push_finding(
                    Finding::warning(
                        "out-of-tolerance",
                        format!("batch {name}: ΔE00 {de:.2} exceeds tolerance {tolerance}"),
                    )
                    .at("batches", row),
                );
            }
            delta.push(de);
            pass.push(de <= tolerance);
        }
        let max = delta.iter().copied().fold(0.0, f64::max);
        let fails = pass.iter().filter(|&&p| !p).count();
        Ok(output
            .with_table(
                TableBuilder::new("results")
                    .text("batch", names.to_vec())
                    .float64("delta_e00", delta)
                    .boolean("pass", pass)
                    .build(),
            )
            .with_metric("max_delta_e00", max, "ΔE00")
            .with_metric("fail_count", fails as f64, ""))
    }
}

#[cfg(all(target_arch = "wasm32", feature = "dye-lot-v0-1-1"))]
smelt_sdk::export_solution!(DyeLotV011);

#[cfg(all(
    target_arch = "wasm32",
    not(any(feature = "huge-output", feature = "dye-lot-v0-1-1"))
))]
smelt_sdk::export_solution!(Hostile);
