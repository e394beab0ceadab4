//! Native timing on a large synthetic input, and the same input as JSON for timing the
//! component: `cargo run --release -p spc-capability --example timing -- <rows> [input.json]`.

use std::time::Instant;

use smelt_sdk::prelude::*;
use spc_capability::SpcCapability;

/// Subgroup size of the synthetic data, as in the piston-ring reference set.
const N: usize = 5;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rows = rows - rows % N;
    // A fixed linear congruential generator and Box–Muller: the same data on every machine.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut uniform = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let values: Vec<f64> = (0..rows)
        .map(|_| {
            let (u, v) = (uniform(), uniform());
            74.0 + 0.01 * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        })
        .collect();
    let ids: Vec<String> = (0..rows).map(|r| (r / N + 1).to_string()).collect();
    if let Some(path) = args.next() {
        let json = format!(
            "{{\"tables\": {{\"measurements\": {{\"subgroup\": {:?}, \"value\": {:?}}}}}, \"params\": {{\"rules\": \"nelson\", \"lsl\": 73.95, \"usl\": 74.05}}}}\n",
            ids, values
        );
        std::fs::write(&path, json).expect("write the JSON input");
    }
    let input = Input::new()
        .with_table(
            TableBuilder::new("measurements")
                .text("subgroup", ids)
                .float64("value", values)
                .build(),
        )
        .with_param("rules", Value::Text("nelson".into()))
        .with_param("lsl", Value::Float64(73.95))
        .with_param("usl", Value::Float64(74.05));
    let start = Instant::now();
    let output = SpcCapability::run(input).expect("synthetic input is valid");
    let elapsed = start.elapsed();
    println!(
        "{rows} rows: {:.2} ms native, cpk {:.3}, {} findings",
        elapsed.as_secs_f64() * 1e3,
        output.metric("cpk").unwrap_or(f64::NAN),
        output.findings.len()
    );
}
