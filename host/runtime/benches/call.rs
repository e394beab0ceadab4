//! Per-call cost of the sandbox: instantiate + run of the colour-QC plugin on a small dye lot
//! (5 batches), p50/p99 over many calls, plus the same computation natively for scale.
//!
//! `cargo bench -p smelt-runtime --bench call` (set SMELT_BENCH_CALLS to change the count).

use std::time::{Duration, Instant};

use smelt_runtime::{Limits, Runtime, input_from_json};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let calls: usize = std::env::var("SMELT_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let runtime = Runtime::new().expect("runtime");
    let bytes = std::fs::read(smelt_artifacts::plugin("dye-lot-color-qc")).expect("component");
    let started = Instant::now();
    let plugin = runtime.load(&bytes).expect("load");
    let compile = started.elapsed();
    let descriptor = plugin.describe().expect("describe");
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/dye-lot.json"))
            .expect("example input");
    let input = input_from_json(&json, &descriptor).expect("input");
    let limits = Limits::default();

    for _ in 0..50 {
        plugin.run(&input, &limits).output.expect("warm-up");
    }
    let mut times = Vec::with_capacity(calls);
    let mut fuel = 0;
    for _ in 0..calls {
        let t = Instant::now();
        let run = plugin.run(&input, &limits);
        times.push(t.elapsed());
        fuel = run.usage.fuel;
        run.output.expect("run");
    }
    times.sort();
    println!(
        "component: {} bytes, compiled in {:.1} ms",
        bytes.len(),
        compile.as_secs_f64() * 1e3
    );
    println!(
        "instantiate + run, {} calls: p50 {:.1} µs, p99 {:.1} µs, fuel {fuel}",
        calls,
        percentile(&times, 0.50).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6
    );
}
