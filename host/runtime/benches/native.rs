//! Target 2 of BENCHMARKS.md: what the sandbox costs a solution's own computation. Each example
//! plugin on a large input (dye-lot twice: batches that nearly all fail, and batches near the
//! standard), through the runtime as a component (the input borrowed as WIT types,
//! instantiate, copy into and out of linear memory, the wasm code under fuel and epoch checks)
//! vs the very same Rust crate called natively on the same input (the SDK's types, built from the
//! same data). Native and wasm runs alternate; the best of several runs of each is kept, in CPU
//! time of the calling thread (the machine is shared, and wall time measures the other jobs as
//! much as the run; the wall-time ratio is printed last for comparison). A third column runs
//! the same component with fuel metering switched off, to show what metering costs. The line
//! under each plugin counts page faults per call and runs the component once more on a runtime
//! that keeps only 2 MiB of a slot's memory resident between calls (the setting before
//! `MEMORY_KEEP_RESIDENT` grew), so the effect of keeping memory is measured in the same run.
//!
//! `cargo bench --workspace --bench native` (SMELT_BENCH_RUNS sets the runs, default 5;
//! SMELT_BENCH_SCALE multiplies the input sizes, default 1.0; SMELT_BENCH_ONLY=<plugin> runs one
//! plugin, e.g. under `perf record`; SMELT_BENCH_WASM_DIR=<dir> takes the components from `dir`,
//! e.g. a target directory's `wasm32-wasip2/plugin` built with other flags).

use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use smelt_runtime::{ColumnValues, Input, Limits, Runtime, input_from_json};
use smelt_sdk::Solution;

/// The host's input as the SDK's (what a native caller of the crate would hand it).
fn sdk_input(input: &Input) -> smelt_sdk::Input {
    let mut sdk = smelt_sdk::Input::new();
    for (name, columns) in &input.tables {
        let mut table = smelt_sdk::TableBuilder::new(name.clone());
        for (column, values) in columns {
            table = match values {
                ColumnValues::Float64(v) => table.float64(column.clone(), v.clone()),
                ColumnValues::Int64(v) => table.int64(column.clone(), v.clone()),
                // The buffer and the ends copied, as the host lowers a text column into the
                // component.
                ColumnValues::Text(v) => table.text_column(
                    column.clone(),
                    smelt_sdk::TextColumn {
                        data: v.data().to_owned(),
                        ends: v.ends().to_vec(),
                    },
                ),
                ColumnValues::Boolean(v) => table.boolean(column.clone(), v.clone()),
            };
        }
        sdk = sdk.with_table(table.build());
    }
    for (name, value) in &input.params {
        let value = match value {
            smelt_runtime::Value::Float64(x) => smelt_sdk::Value::Float64(*x),
            smelt_runtime::Value::Int64(x) => smelt_sdk::Value::Int64(*x),
            smelt_runtime::Value::Text(x) => smelt_sdk::Value::Text(x.clone()),
            smelt_runtime::Value::Boolean(x) => smelt_sdk::Value::Boolean(*x),
        };
        sdk = sdk.with_param(name.clone(), value);
    }
    sdk
}

/// A deterministic stream in [0, 1) (64-bit LCG, top bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn scaled(n: f64) -> usize {
    let scale: f64 = std::env::var("SMELT_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    ((n * scale) as usize).max(1)
}

fn dye_lot(rows: usize) -> Json {
    let mut r = Lcg(1);
    let batch: Vec<String> = (0..rows).map(|i| format!("L{i}")).collect();
    let l: Vec<f64> = (0..rows).map(|_| 40.0 + 20.0 * r.next()).collect();
    let a: Vec<f64> = (0..rows).map(|_| -20.0 + 40.0 * r.next()).collect();
    let b: Vec<f64> = (0..rows).map(|_| -20.0 + 40.0 * r.next()).collect();
    json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": batch, "L": l, "a": a, "b": b}
    }, "params": {"tolerance": 1.0}})
}

/// Batches close to the standard, as in a dye house where most lots pass: L*, a*, b* within
/// ±0.65 of the standard's, so 4.1 % of them (40,785 of 1,000,000) exceed ΔE00 1.0. `dye_lot`,
/// with batches spread over the colour space, fails all but 122 and so measures the cost of a
/// finding per row.
fn dye_lot_near(rows: usize) -> Json {
    let mut r = Lcg(5);
    let batch: Vec<String> = (0..rows).map(|i| format!("L{i}")).collect();
    let l: Vec<f64> = (0..rows).map(|_| 49.35 + 1.3 * r.next()).collect();
    let a: Vec<f64> = (0..rows).map(|_| 1.85 + 1.3 * r.next()).collect();
    let b: Vec<f64> = (0..rows).map(|_| -0.65 + 1.3 * r.next()).collect();
    json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": batch, "L": l, "a": a, "b": b}
    }, "params": {"tolerance": 1.0}})
}

fn spc(samples: usize) -> Json {
    let mut r = Lcg(2);
    let subgroup: Vec<String> = (0..samples).map(|i| (i / 5 + 1).to_string()).collect();
    // Sum of four uniforms: a bell-shaped process around 74.0 mm.
    let value: Vec<f64> = (0..samples)
        .map(|_| 74.0 + 0.01 * ((0..4).map(|_| r.next()).sum::<f64>() - 2.0))
        .collect();
    json!({"tables": {"measurements": {"subgroup": subgroup, "value": value}},
           "params": {"chart": "xbar-r", "unit": "mm", "lsl": 73.95, "usl": 74.05}})
}

fn fabric(rolls: usize, defects: usize) -> Json {
    let mut r = Lcg(3);
    let names: Vec<String> = (0..rolls).map(|i| format!("R{i}")).collect();
    let roll: Vec<String> = (0..defects).map(|i| names[i % rolls].clone()).collect();
    let position: Vec<f64> = (0..defects).map(|_| 99.0 * r.next()).collect();
    let size: Vec<f64> = (0..defects).map(|_| 1.0 + 20.0 * r.next()).collect();
    let kind: Vec<String> = (0..defects).map(|_| "defect".to_owned()).collect();
    json!({"tables": {
        "rolls": {"roll": names, "length": vec![100.0; rolls], "width": vec![150.0; rolls]},
        "defects": {"roll": roll, "position": position, "size": size, "kind": kind}
    }, "params": {"units": "metric", "threshold": 40.0}})
}

fn oee(rows: usize) -> Json {
    let mut r = Lcg(4);
    let machine: Vec<String> = (0..rows).map(|i| format!("M{}", i % 50)).collect();
    let shift: Vec<String> = (0..rows).map(|i| format!("S{}", i / 50)).collect();
    let breakdowns: Vec<f64> = (0..rows).map(|_| 60.0 * r.next()).collect();
    let total: Vec<i64> = (0..rows)
        .map(|_| 15_000 + (5_000.0 * r.next()) as i64)
        .collect();
    let rejects: Vec<i64> = total.iter().map(|t| t / 50).collect();
    json!({"tables": {"shifts": {
        "machine": machine, "shift": shift,
        "shift_length": vec![480.0; rows], "planned_stops": vec![60.0; rows],
        "breakdowns": breakdowns, "setups": vec![10.0; rows], "small_stops": vec![5.0; rows],
        "ideal_cycle_time": vec![1.0; rows], "total_count": total,
        "startup_rejects": vec![0; rows], "production_rejects": rejects
    }}, "params": {"target_oee": 0.85}})
}

/// Taillard's generator, 50 jobs × 20 machines, time seed 1328042058 (instance ta051).
fn flowshop(budget: i64) -> Json {
    let d = flowshop_scheduler::taillard::times(1_328_042_058, 50, 20);
    let (mut job, mut machine, mut duration) = (Vec::new(), Vec::new(), Vec::new());
    for j in 0..50 {
        for (m, times) in d.iter().enumerate() {
            job.push(format!("J{}", j + 1));
            machine.push(m as i64 + 1);
            duration.push(times[j] as f64);
        }
    }
    json!({"tables": {"operations": {"job": job, "machine": machine, "duration": duration}},
           "params": {"budget": budget, "seed": 1}})
}

fn aql() -> Json {
    json!({"params": {"lot_size": 2000, "inspection_level": "II", "aql": 0.65,
                      "severity": "normal", "defects": 3}})
}

type Native = fn(smelt_sdk::Input) -> Result<smelt_sdk::Output, smelt_sdk::SolutionError>;

fn main() {
    let runs: usize = std::env::var("SMELT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let cases: Vec<(&str, String, Json, Native)> = vec![
        (
            "dye-lot-color-qc",
            format!("{} colour pairs", scaled(1e6)),
            dye_lot(scaled(1e6)),
            dye_lot_color_qc::DyeLotColorQc::run,
        ),
        (
            "dye-lot-color-qc",
            format!("{} pairs near the standard (4 % fail)", scaled(1e6)),
            dye_lot_near(scaled(1e6)),
            dye_lot_color_qc::DyeLotColorQc::run,
        ),
        (
            "spc-capability",
            format!("{} samples", scaled(1e5)),
            spc(scaled(1e5)),
            spc_capability::SpcCapability::run,
        ),
        (
            "fabric-four-point",
            format!("{} rolls, {} defects", scaled(1e3), scaled(1e5)),
            fabric(scaled(1e3), scaled(1e5)),
            fabric_four_point::FabricFourPoint::run,
        ),
        (
            "oee-calculator",
            format!("{} shifts", scaled(1e5)),
            oee(scaled(1e5)),
            oee_calculator::OeeCalculator::run,
        ),
        (
            "flowshop-scheduler",
            "Taillard 50×20 (ta051), 200 iterations".to_owned(),
            flowshop(200),
            flowshop_scheduler::FlowshopScheduler::run,
        ),
        (
            "aql-sampling",
            "one lot (a table lookup)".to_owned(),
            aql(),
            aql_sampling::AqlSampling::run,
        ),
    ];

    let runtime = Runtime::new().expect("runtime");
    let unmetered = Runtime::with_config(&smelt_runtime::RuntimeConfig {
        fuel_metering: false,
        ..smelt_runtime::RuntimeConfig::default()
    })
    .expect("runtime without fuel");
    const COLD_KEEP: usize = 2 << 20;
    let cold = Runtime::with_config(&smelt_runtime::RuntimeConfig {
        memory_keep_resident: COLD_KEEP,
        ..smelt_runtime::RuntimeConfig::default()
    })
    .expect("runtime keeping 2 MiB");
    let limits = Limits {
        memory_bytes: 1 << 30,
        output_bytes: 1 << 30,
        timeout_ms: 600_000,
        fuel: u64::MAX / 2,
        ..Limits::default()
    };
    println!(
        "{:<20} {:<42} {:>10} {:>10} {:>7} {:>14} {:>10} {:>7} {:>7}",
        "plugin", "input", "native ms", "wasm ms", "ratio", "fuel", "no-fuel", "ratio", "wall"
    );
    let only = std::env::var("SMELT_BENCH_ONLY").ok();
    let wasm_dir = std::env::var("SMELT_BENCH_WASM_DIR").ok();
    for (name, what, json, native) in cases {
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let path = match &wasm_dir {
            Some(dir) => std::path::Path::new(dir).join(format!("{}.wasm", name.replace('-', "_"))),
            None => smelt_artifacts::plugin(name).into(),
        };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let plugin = runtime.load(&bytes).expect("load");
        let bare = unmetered.load(&bytes).expect("load without fuel");
        let cold_plugin = cold.load(&bytes).expect("load keeping 2 MiB");
        let descriptor = plugin.describe().expect("describe");
        let input = input_from_json(&json, &descriptor)
            .unwrap_or_else(|e| panic!("{name}: bench input: {e}"));
        let (mut native_best, mut wasm_best, mut bare_best, mut cold_best) = (
            Best::default(),
            Best::default(),
            Best::default(),
            Best::default(),
        );
        let mut fuel = 0;
        for _ in 0..runs {
            let output = native_best.time(|| native(sdk_input(&input)));
            output.unwrap_or_else(|e| panic!("{name} natively: {e:?}"));

            let run = wasm_best.time(|| plugin.run(&input, &limits));
            fuel = run.usage.fuel;
            run.output.unwrap_or_else(|e| panic!("{name} in wasm: {e}"));

            let run = bare_best.time(|| bare.run(&input, &limits));
            run.output
                .unwrap_or_else(|e| panic!("{name} in wasm without fuel: {e}"));

            let run = cold_best.time(|| cold_plugin.run(&input, &limits));
            run.output
                .unwrap_or_else(|e| panic!("{name} in wasm keeping 2 MiB: {e}"));
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "{:<20} {:<42} {:>10.3} {:>10.3} {:>6.2}× {:>14} {:>10.3} {:>6.2}× {:>6.2}×",
            name,
            what,
            ms(native_best.cpu),
            ms(wasm_best.cpu),
            ratio(wasm_best.cpu, native_best.cpu),
            fuel,
            ms(bare_best.cpu),
            ratio(bare_best.cpu, native_best.cpu),
            ratio(wasm_best.wall, native_best.wall),
        );
        println!(
            "{:<20} page faults a call: native {}, wasm {} ({} MiB kept resident{}); with {} MiB kept: {} faults, {:.3} ms, {:.2}×",
            "",
            native_best.faults,
            wasm_best.faults,
            smelt_runtime::MEMORY_KEEP_RESIDENT >> 20,
            match runtime.pool_stats() {
                Some(pool) if pool.keeps_resident => "",
                _ => ", but this kernel cannot: nothing is kept",
            },
            COLD_KEEP >> 20,
            cold_best.faults,
            ms(cold_best.cpu),
            ratio(cold_best.cpu, native_best.cpu),
        );
    }
}

/// The least CPU time, wall time and page faults over the runs of one side.
struct Best {
    cpu: Duration,
    wall: Duration,
    faults: i64,
}

impl Default for Best {
    fn default() -> Self {
        Best {
            cpu: Duration::MAX,
            wall: Duration::MAX,
            faults: i64::MAX,
        }
    }
}

impl Best {
    /// Runs `f` once on this thread, keeping the least CPU time, wall time and faults seen.
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let (cpu, wall, faults) = (thread_cpu(), Instant::now(), thread_faults());
        let result = f();
        self.cpu = self.cpu.min(thread_cpu().saturating_sub(cpu));
        self.faults = self.faults.min(thread_faults() - faults);
        self.wall = self.wall.min(wall.elapsed());
        result
    }
}

/// Page faults (minor) taken by the calling thread so far.
fn thread_faults() -> i64 {
    // SAFETY: `rusage` is plain integers and `timeval`s, for which all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes the struct it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage(RUSAGE_THREAD)");
    usage.ru_minflt
}

/// CPU time (user + system) of the calling thread. Both sides run on it (a wasm call runs on
/// the caller's thread), and unlike wall time it does not grow while the shared machine's other
/// jobs hold the cores.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
