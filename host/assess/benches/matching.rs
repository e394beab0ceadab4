//! Matching one need against 1,000 listed versions (issue 7: under 200 ms, sandbox runs
//! excluded). Run: `cargo bench -p smelt-assess --bench matching`.
//!
//! The listings are generated from a fixed seed, so every run sees the same ones: all four
//! industries, 1–3 scenes each, levels 1–4, prices from 0 to 10,000 CNY, 1–30 deploy days,
//! 90 % approved, 5 % suspended, most with a scorecard and an input schema, some already tried on
//! the sample data.

use std::hint::black_box;
use std::time::{Duration, Instant};

use smelt_assess::{
    Candidate, ColumnDecl, ColumnType, DataFit, InputSchema, MatchConfig, Need, Scorecard,
    TableDecl, TableShape, rank, to_run,
};
use smelt_registry::manifest::{Industry, Scene};

const LISTINGS: usize = 1_000;
const ITERATIONS: usize = 500;

/// SplitMix64: a fixed, dependency-free sequence.
struct Seq(u64);

impl Seq {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn column(name: &str, kind: ColumnType) -> ColumnDecl {
    ColumnDecl {
        name: name.into(),
        kind,
    }
}

fn listing(i: usize, seq: &mut Seq) -> Candidate {
    let mut industries = vec![Industry::ALL[seq.below(4) as usize]];
    if seq.below(3) == 0 {
        let other = Industry::ALL[seq.below(4) as usize];
        if !industries.contains(&other) {
            industries.push(other);
        }
    }
    let mut scenes = Vec::new();
    for _ in 0..=seq.below(3) {
        let s = Scene::ALL[seq.below(16) as usize];
        if !scenes.contains(&s) {
            scenes.push(s);
        }
    }
    let fit = match seq.below(10) {
        0 => Some(DataFit::Failed {
            reason: "invalid-input: shifts: column total_count is negative in row 4".into(),
        }),
        1 | 2 => Some(DataFit::Ran {
            findings: seq.below(20) as u32,
            cost_cny: 0.001,
        }),
        _ => None,
    };
    Candidate {
        name: format!("solution-{i:04}"),
        version: format!("0.{}.0", seq.below(5)),
        title: None,
        industries,
        scenes,
        target_level: 1 + seq.below(4) as u8,
        deploy_cny: seq.below(10_000) as f64,
        per_1k_runs_cny: seq.below(50) as f64 / 10.0,
        deploy_days: 1 + seq.below(30) as u16,
        approved: seq.below(10) != 0,
        suspended: seq.below(20) == 0,
        scorecard: (seq.below(5) != 0).then(|| Scorecard {
            overall: Some(50.0 + seq.below(50) as f64),
            sub_scores: Vec::new(),
        }),
        adoption: seq.below(60) as u32,
        input_schema: (seq.below(4) != 0).then(|| InputSchema {
            tables: vec![TableDecl {
                name: "shifts".into(),
                columns: vec![
                    column("machine", ColumnType::Text),
                    column("total_count", ColumnType::Int64),
                ],
                min_rows: 1,
            }],
        }),
        fit,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let mut seq = Seq(7);
    let listings: Vec<Candidate> = (0..LISTINGS).map(|i| listing(i, &mut seq)).collect();
    let need = Need {
        industry: Industry::AutoParts,
        scenes: vec![Scene::Equipment, Scene::Quality, Scene::Planning],
        target_level: 3,
        current_level: Some(1),
        budget_cny: 6_000.0,
        deadline_days: 20,
        expected_runs: None,
        sample_tables: vec![TableShape {
            name: "shifts".into(),
            columns: vec![
                column("machine", ColumnType::Text),
                column("total_count", ColumnType::Int64),
            ],
            rows: 500,
        }],
    };
    // The same industry with every scene, a large budget and a long deadline: most listings of
    // the industry pass the hard filters, so most are scored and explained.
    let wide = Need {
        scenes: Scene::ALL.to_vec(),
        budget_cny: 1_000_000.0,
        deadline_days: 365,
        ..need.clone()
    };
    let config = MatchConfig::default();
    for (label, need) in [("narrow need", &need), ("wide need", &wide)] {
        measure(label, need, &listings, &config);
    }
}

fn measure(label: &str, need: &Need, listings: &[Candidate], config: &MatchConfig) {
    let once = rank(need, listings, config).expect("valid need");
    let runnable = to_run(need, listings, config).expect("valid need");
    println!(
        "{label}, {LISTINGS} listings: {} ranked, {} rejected, {} to run on the sample tables",
        once.ranked.len(),
        once.rejected.len(),
        runnable.len()
    );

    let mut times = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let m = rank(black_box(need), black_box(listings), config).expect("valid need");
        let r = to_run(black_box(need), black_box(listings), config).expect("valid need");
        black_box((m, r));
        times.push(start.elapsed());
    }
    times.sort();
    let (p50, p99, max) = (
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        times[times.len() - 1],
    );
    println!(
        "  rank + to_run, {ITERATIONS} iterations: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (target < 200 ms)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    assert!(p99 < Duration::from_millis(200), "p99 {p99:?} over 200 ms");
}
