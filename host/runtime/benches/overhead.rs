//! Target 1 of BENCHMARKS.md: what smelt's sandbox adds to a call. The smallest example plugin,
//! instantiated and run on its small sample input, through `smelt_runtime` (pooling allocator,
//! fuel, epoch deadline, memory/table limiter, captured stdio, model ↔ WIT conversion) vs a
//! minimal bare-wasmtime embedding of the same component (default engine, on-demand allocation,
//! a default WASI context, the same WIT input value). Calls alternate between the two so both
//! see the same machine.
//!
//! `cargo bench --workspace --bench overhead` (SMELT_BENCH_CALLS sets the count, default 3,000).

use std::time::{Duration, Instant};

use smelt_runtime::wit::v0_2_0;
use smelt_runtime::{Limits, Runtime, input_from_json};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The bare embedding's store data: WASI and nothing else.
struct Bare {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Bare {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl v0_2_0::types::Host for Bare {}

impl v0_2_0::log::Host for Bare {
    fn log(&mut self, _level: v0_2_0::log::Level, _message: String) -> wasmtime::Result<()> {
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6
}

fn main() {
    let calls: usize = std::env::var("SMELT_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);

    // The smallest example component, and its first published vector as the input.
    let (name, dir, path) = smelt_artifacts::PLUGINS
        .iter()
        .min_by_key(|(_, _, path)| std::fs::metadata(path).map_or(u64::MAX, |m| m.len()))
        .expect("example plugins");
    let bytes = std::fs::read(path).expect("component");
    let bundle =
        smelt_runtime::VectorBundle::from_package_dir(std::path::Path::new(dir)).expect("vectors");
    let vector = bundle.vectors.first().expect("a vector");

    let runtime = Runtime::new().expect("runtime");
    let plugin = runtime.load(&bytes).expect("load");
    let descriptor = plugin.describe().expect("describe");
    let input = input_from_json(&vector.input, &descriptor).expect("input");
    let limits = Limits::default();

    let engine = Engine::new(Config::new().wasm_component_model(true)).expect("engine");
    let mut linker = Linker::<Bare>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
    v0_2_0::Plugin::add_to_linker::<Bare, HasSelf<Bare>>(&mut linker, |s| s).expect("log");
    let component = Component::new(&engine, &bytes).expect("compile");
    let pre = v0_2_0::PluginPre::new(linker.instantiate_pre(&component).expect("pre"))
        .expect("plugin pre");
    let bare_run = |wit_input: v0_2_0::types::Input<'_>| {
        let mut store = Store::new(
            &engine,
            Bare {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        let instance = pre.instantiate(&mut store).expect("instantiate");
        instance
            .smelt_solution_solution()
            .call_run(&mut store, wit_input)
            .expect("call")
            .expect("solution ok")
    };
    let bare_call = || v0_2_0::with_input(&input, bare_run);
    let smelt_call = || plugin.run(&input, &limits).output.expect("run");

    for _ in 0..100 {
        bare_call();
        smelt_call();
    }
    let mut bare = Vec::with_capacity(calls);
    let mut smelt = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        bare_call();
        bare.push(t.elapsed());
        let t = Instant::now();
        smelt_call();
        smelt.push(t.elapsed());
    }
    bare.sort();
    smelt.sort();
    let (b50, b99, s50, s99) = (
        percentile(&bare, 0.5),
        percentile(&bare, 0.99),
        percentile(&smelt, 0.5),
        percentile(&smelt, 0.99),
    );
    println!(
        "{name} ({} bytes), vector `{}`, {calls} calls each, instantiate + run",
        bytes.len(),
        vector.name
    );
    println!("bare wasmtime: p50 {b50:.1} µs, p99 {b99:.1} µs");
    println!("smelt runtime: p50 {s50:.1} µs, p99 {s99:.1} µs");
    println!(
        "ratio smelt / bare: p50 {:.2}×, p99 {:.2}× (target ≤ 1.2×)",
        s50 / b50,
        s99 / b99
    );
}
