//! Wall time of the full conformance suite per example plugin, compilation included (a fresh
//! runtime per run, as a reviewer's one-off `smelt conformance` has), with the three slowest
//! analyzers of the median run.
//!
//! `cargo bench -p smelt-conformance` (set SMELT_BENCH_RUNS to change the runs per plugin).

use std::path::Path;
use std::time::Instant;

use smelt_conformance::{Suite, load_package};
use smelt_runtime::Runtime;

fn main() {
    let runs: usize = std::env::var("SMELT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!(
        "{:<20} {:>9} {:>9} {:>9}  {:<5}  slowest analyzers (median run)",
        "plugin", "min ms", "median ms", "max ms", "pass"
    );
    let mut worst: f64 = 0.0;
    for (name, dir, wasm) in smelt_artifacts::PLUGINS {
        let (manifest, vectors) =
            load_package(Path::new(dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let component = std::fs::read(wasm).expect("component");
        let mut cards = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let runtime = Runtime::new().expect("runtime");
            let started = Instant::now();
            let card =
                Suite::full().run(&runtime, &component, &manifest, &vectors, None, &mut |_| {});
            cards.push((started.elapsed().as_secs_f64() * 1e3, card));
        }
        cards.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (median, card) = &cards[cards.len() / 2];
        let mut slowest: Vec<_> = card.results.iter().collect();
        slowest.sort_by(|a, b| b.elapsed_ms.total_cmp(&a.elapsed_ms));
        let slowest: Vec<String> = slowest
            .iter()
            .take(3)
            .map(|r| format!("{} {:.0}", r.id, r.elapsed_ms))
            .collect();
        println!(
            "{:<20} {:>9.0} {:>9.0} {:>9.0}  {:<5}  {}",
            name,
            cards[0].0,
            median,
            cards[cards.len() - 1].0,
            card.pass,
            slowest.join(", ")
        );
        worst = worst.max(cards[cards.len() - 1].0);
    }
    println!("slowest full suite: {worst:.0} ms (target: under 5000 ms per plugin)");
}
