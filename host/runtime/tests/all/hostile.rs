//! Hostile components: each ends in its own typed error, and a good call right after works.

use std::time::Duration;

use serde_json::json;
use smelt_runtime::{Error, Input, Limits, input_from_json};

use crate::{load, runtime};

fn good_call_still_works() {
    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let d = plugin.describe().unwrap();
    let input = json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["pair-22"], "L": [50.0], "a": [3.2972], "b": [0.0]}
    }});
    let out = plugin
        .run(&input_from_json(&input, &d).unwrap(), &Limits::default())
        .output
        .unwrap();
    assert!((out.metric("max_delta_e00").unwrap() - 1.0).abs() < 1e-4);
}

fn hostile_input() -> Input {
    let d = load(smelt_artifacts::hostile("trap")).describe().unwrap();
    input_from_json(&json!({"tables": {"data": {"x": [1.0, 2.0]}}}), &d).unwrap()
}

/// The error `name` ends in, the same whether called blocking or as the server calls it (a
/// future on an async thread).
fn run_hostile(name: &str, limits: &Limits) -> Error {
    let plugin = load(smelt_artifacts::hostile(name));
    let input = hostile_input();
    let err = plugin.run(&input, limits).output.expect_err(name);
    let run_async = crate::on_async_thread(plugin.run_async(&input, limits));
    assert_eq!(
        run_async.output.expect_err(name),
        err,
        "{name}: run_async ends otherwise"
    );
    good_call_still_works();
    err
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    let limits = Limits {
        fuel: 50_000_000,
        timeout_ms: 60_000,
        ..Limits::default()
    };
    assert_eq!(
        run_hostile("infinite-loop", &limits),
        Error::OutOfFuel { limit: 50_000_000 }
    );
}

#[test]
fn infinite_loop_hits_the_epoch_deadline() {
    let limits = Limits {
        fuel: u64::MAX / 2,
        timeout_ms: 100,
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    assert_eq!(
        run_hostile("infinite-loop", &limits),
        Error::Timeout { limit_ms: 100 }
    );
    // A backstop, not a benchmark: the deadline must stop it, not the fuel.
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// On an async thread a call that runs to its deadline does not hold the thread: with one
/// thread for everything, another task still runs while the guest loops.
#[test]
fn a_looping_call_gives_its_async_thread_back_at_every_tick() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let plugin = load(smelt_artifacts::hostile("infinite-loop"));
    let input = hostile_input();
    let limits = Limits {
        fuel: u64::MAX / 2,
        timeout_ms: 200,
        ..Limits::default()
    };
    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (ticks, done) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (seen_ticks, seen_done) = (ticks.clone(), done.clone());
    let run = one_thread.block_on(async move {
        let other = tokio::spawn(async move {
            while !seen_done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(1)).await;
                seen_ticks.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Let the other task start and park on its timer first.
        tokio::task::yield_now().await;
        let before = ticks.load(Ordering::Relaxed);
        let run = plugin.run_async(&input, &limits).await;
        let during = ticks.load(Ordering::Relaxed) - before;
        done.store(true, Ordering::Relaxed);
        other.await.unwrap();
        (run, during)
    });
    assert_eq!(run.0.output, Err(Error::Timeout { limit_ms: 200 }));
    assert!(
        run.1 > 0,
        "the other task never ran during a 200 ms call on the same thread"
    );
}

/// A guest that sleeps two minutes under a one-second deadline is not held up: its sleep moves
/// its own virtual clock, so it answers at once, blocking or as a future, and sees the two
/// minutes pass. (With wasmtime-wasi's real timers the blocking call would wait them out —
/// nothing interrupts a host wait — and the future would stop at its deadline.)
#[test]
fn a_sleeping_guest_answers_at_once_having_seen_the_time_pass() {
    let plugin = load(smelt_artifacts::hostile("sleep"));
    let input = hostile_input();
    let limits = Limits {
        timeout_ms: 1_000,
        ..Limits::default()
    };
    let blocking = plugin.run(&input, &limits);
    let run_async = crate::on_async_thread(plugin.run_async(&input, &limits));
    for (how, run) in [("run", blocking), ("run_async", run_async)] {
        let output = run.output.unwrap_or_else(|e| panic!("{how}: {e}"));
        let slept = output.tables["out"]["x"].clone();
        match slept {
            smelt_runtime::ColumnValues::Float64(x) => assert!(
                x.len() == 1 && (120.0..120.001).contains(&x[0]),
                "{how}: the guest's clock moved {x:?} s over a two-minute sleep"
            ),
            other => panic!("{how}: {other:?}"),
        }
    }
}

#[test]
fn unbounded_memory_growth_hits_the_memory_cap() {
    let limits = Limits {
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    match run_hostile("memory-grow", &limits) {
        Error::MemoryLimit { limit, requested } => {
            assert_eq!(limit, 32 << 20);
            assert!(requested > limit);
        }
        other => panic!("expected a memory limit, got {other:?}"),
    }
}

#[test]
fn unbounded_recursion_overflows_the_stack() {
    assert_eq!(
        run_hostile("recursion", &Limits::default()),
        Error::StackOverflow
    );
}

#[test]
fn huge_output_is_refused() {
    match run_hostile("huge-output", &Limits::default()) {
        Error::OutputTooLarge { size, limit } => assert!(size > limit, "{size} {limit}"),
        other => panic!("expected output too large, got {other:?}"),
    }
}

#[test]
fn a_text_column_whose_ends_run_past_its_buffer_is_malformed_output() {
    assert_eq!(
        run_hostile("broken-text", &Limits::default()),
        Error::MalformedOutput(
            "table `out`, column `x`: text value 2 ends at byte 8, past the end of the \
             column's 4 bytes"
                .into()
        )
    );
}

#[test]
fn log_flood_hits_the_log_cap_and_escapes_are_neutralised() {
    let plugin = load(smelt_artifacts::hostile("log-flood"));
    let run = plugin.run(&hostile_input(), &Limits::default());
    assert_eq!(
        run.output.unwrap_err(),
        Error::LogTooLarge {
            limit: Limits::default().log_bytes
        }
    );
    assert!(!run.logs.is_empty());
    assert!(
        run.logs
            .iter()
            .all(|l| !l.message.contains('\x1b') && !l.message.contains('\x07'))
    );
    good_call_still_works();
}

#[test]
fn print_flood_hits_the_log_cap() {
    assert_eq!(
        run_hostile("print-flood", &Limits::default()),
        Error::LogTooLarge {
            limit: Limits::default().log_bytes
        }
    );
}

#[test]
fn trap_is_reported_with_its_message() {
    match run_hostile("trap", &Limits::default()) {
        Error::Trap { message } => assert!(message.contains("unreachable"), "{message}"),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn panic_is_reported_with_the_guest_message() {
    match run_hostile("panic", &Limits::default()) {
        Error::Panic { message } => {
            assert!(
                message.contains("hostile panic: index 3 of 0 rows"),
                "{message}"
            );
            assert!(
                !message.contains('\x1b') && !message.contains('\x07'),
                "{message}"
            );
        }
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn forbidden_import_is_refused_at_load_naming_it() {
    let bytes = std::fs::read(smelt_artifacts::hostile("forbidden-import")).unwrap();
    match runtime().load(&bytes) {
        Err(Error::ForbiddenImport { name }) => {
            assert!(name.starts_with("wasi:sockets/"), "{name}")
        }
        other => panic!("expected a forbidden import, got {other:?}"),
    }
    good_call_still_works();
}

#[test]
fn not_wasm_and_core_modules_are_refused_distinctly() {
    assert!(matches!(
        runtime().load(b"#!/bin/sh\necho hi\n"),
        Err(Error::NotWasm(_))
    ));
    // A minimal core module: magic + version 1.
    assert_eq!(
        runtime().load(b"\0asm\x01\0\0\0").unwrap_err(),
        Error::CoreModule
    );
    // A component header followed by garbage.
    assert!(matches!(
        runtime().load(b"\0asm\x0d\0\x01\0\xff\xff"),
        Err(Error::InvalidComponent(_))
    ));
}

#[test]
fn a_component_on_a_wit_version_the_host_does_not_run_is_refused_naming_its_import() {
    // Its solution interface uses its own version's types, so the import check names them.
    let bytes = std::fs::read(smelt_artifacts::hostile("wit-0.9.0")).unwrap();
    assert_eq!(
        runtime().load(&bytes).unwrap_err(),
        Error::ForbiddenImport {
            name: "smelt:solution/types@0.9.0".into()
        }
    );
}

#[test]
fn a_component_claiming_0_2_0_with_0_1_0_shapes_is_refused_at_its_first_call() {
    // It loads (wasmtime checks an export's types when it is instantiated, not when loaded);
    // every call, starting with the upload's `describe`, is refused as an invalid component.
    let bytes = std::fs::read(smelt_artifacts::hostile("wit-0.2.0-misshapen")).unwrap();
    let plugin = runtime().load(&bytes).unwrap();
    assert_eq!(plugin.wit_version(), "0.2.0");
    let expected = "does not export smelt:solution/solution as its WIT version defines it: \
                    failed to convert function to given type";
    let Err(Error::InvalidComponent(message)) = plugin.describe() else {
        panic!("describe of a misshapen component");
    };
    assert!(message.starts_with(expected), "{message}");
    assert!(
        message.contains("case text: expected `record` found `list`"),
        "{message}"
    );
    for error in [
        plugin
            .run(&hostile_input(), &Limits::default())
            .output
            .unwrap_err(),
        crate::on_async_thread(plugin.run_async(&hostile_input(), &Limits::default()))
            .output
            .unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::InvalidComponent(m) if m.starts_with(expected)),
            "{error:?}"
        );
    }
}

#[test]
fn usage_is_reported() {
    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let d = plugin.describe().unwrap();
    let input = json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["x"], "L": [50.0], "a": [3.2972], "b": [0.0]}
    }});
    let run = plugin.run(&input_from_json(&input, &d).unwrap(), &Limits::default());
    assert!(run.output.is_ok());
    assert!(run.usage.fuel > 0);
    assert!(run.usage.peak_memory_bytes >= 64 << 10, "{:?}", run.usage);
    assert!(run.usage.wall_ms > 0.0);
}

#[test]
fn table_growth_hits_the_table_cap() {
    match run_hostile("table-grow", &Limits::default()) {
        Error::TableLimit { limit, requested } => {
            assert_eq!(limit, Limits::default().table_elements);
            assert!(requested > limit, "{requested}");
        }
        other => panic!("expected a table limit, got {other:?}"),
    }
}

#[test]
fn oversized_random_request_is_refused() {
    assert_eq!(
        run_hostile("random-flood", &Limits::default()),
        Error::RandomTooLarge { limit: 64 << 10 }
    );
}

#[test]
fn the_filesystem_and_environment_hold_nothing() {
    match run_hostile("filesystem", &Limits::default()) {
        Error::Solution(smelt_runtime::SolutionError::Unsupported(message)) => {
            assert!(message.starts_with("no host access: "), "{message}");
            for attempt in [
                "/etc/passwd",
                "admin.token",
                "create /tmp/smelt-hostile-escape",
            ] {
                assert!(message.contains(attempt), "{attempt} not tried: {message}");
            }
        }
        other => panic!("expected every attempt refused, got {other:?}"),
    }
    assert!(!std::path::Path::new("/tmp/smelt-hostile-escape").exists());
}

#[test]
fn http_and_unknown_imports_are_refused_at_load_naming_them() {
    for (name, prefix) in [
        ("http-import", "wasi:http/outgoing-handler@"),
        ("unknown-import", "mallory:backdoor/exfil@"),
    ] {
        let bytes = std::fs::read(smelt_artifacts::hostile(name)).unwrap();
        match runtime().load(&bytes) {
            Err(Error::ForbiddenImport { name: import }) => {
                assert!(import.starts_with(prefix), "{name}: {import}")
            }
            other => panic!("{name}: expected a forbidden import, got {other:?}"),
        }
    }
    good_call_still_works();
}

#[test]
fn compile_bomb_is_refused_before_compiling() {
    let bytes = std::fs::read(smelt_artifacts::hostile("compile-bomb")).unwrap();
    let stats = smelt_runtime::code_stats(&bytes).unwrap();
    println!("compile bomb: {} bytes, {stats:?}", bytes.len());
    assert_eq!(stats.max_locals, 50_000);
    match runtime().load(&bytes) {
        Err(Error::TooComplex {
            what,
            actual,
            limit,
        }) => {
            assert!(actual > limit, "{what}: {actual} > {limit}");
        }
        other => panic!("expected too complex, got {other:?}"),
    }
    good_call_still_works();
}

#[test]
fn every_example_is_well_inside_the_code_limits() {
    for (name, _, path) in smelt_artifacts::PLUGINS {
        let stats = smelt_runtime::code_stats(&std::fs::read(path).unwrap()).unwrap();
        println!("{name}: {stats:?}");
        let caps = smelt_runtime::CODE_LIMITS;
        // A tenth of each cap: the caps leave room for solutions ten times the examples.
        assert!(stats.functions * 10 <= caps.functions, "{name}: {stats:?}");
        assert!(
            stats.max_body_bytes * 10 <= caps.max_body_bytes,
            "{name}: {stats:?}"
        );
        assert!(
            stats.max_locals * 10 <= caps.max_locals,
            "{name}: {stats:?}"
        );
    }
}

/// Native code that wasmtime itself precompiled (an ELF `.cwasm`), as an attacker might upload
/// to skip validation: the host only ever compiles wasm, so it is not wasm, and behind a
/// component header it is an invalid component.
#[test]
fn precompiled_native_code_is_refused() {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let wasm = std::fs::read(smelt_artifacts::plugin("dye-lot-color-qc")).unwrap();
    let native = engine.precompile_component(&wasm).unwrap();
    assert!(native.starts_with(b"\x7fELF"));
    assert!(matches!(runtime().load(&native), Err(Error::NotWasm(_))));
    let mut posing = b"\0asm\x0d\0\x01\0".to_vec();
    posing.extend_from_slice(&native);
    assert!(matches!(
        runtime().load(&posing),
        Err(Error::InvalidComponent(_))
    ));
    good_call_still_works();
}

/// The `on-cue` component echoes ordinary input and, for each cue value, stops with the same
/// error as the dedicated hostile component: one component carries every misbehaviour past the
/// publish checks for the end-to-end tests.
#[test]
fn on_cue_component_misbehaves_only_on_cue() {
    let plugin = load(smelt_artifacts::hostile("on-cue"));
    let d = plugin.describe().unwrap();
    let limits = Limits {
        fuel: 200_000_000,
        ..Limits::default()
    };
    let echo = input_from_json(&json!({"tables": {"data": {"x": [1.0, 2.0]}}}), &d).unwrap();
    assert!(plugin.run(&echo, &limits).output.is_ok());
    for cue in smelt_hostile::Cue::ALL {
        let input =
            input_from_json(&json!({"tables": {"data": {"x": [cue.value()]}}}), &d).unwrap();
        let run = plugin.run(&input, &limits);
        let code = run.output.as_ref().map_or_else(|e| e.code(), |_| "ok");
        assert_eq!(code, cue.code(), "{cue:?}: {:?}", run.output.err());
        assert!(
            run.logs
                .iter()
                .all(|l| !l.message.contains('\x1b') && !l.message.contains('\x07')),
            "{cue:?}"
        );
    }
    good_call_still_works();
}

/// What the code limits save, and what they still let through: the compile bomb handed
/// straight to wasmtime, bypassing the checks, and the heaviest bomb the limits admit compiled
/// through them. Ignored by default (each holds the CPU for a long time, which is the point);
/// run with `cargo test -p smelt-runtime --test all compile_bomb_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn compile_bomb_cost_without_the_limits() {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let bytes = std::fs::read(smelt_artifacts::hostile("compile-bomb")).unwrap();
    let started = std::time::Instant::now();
    let compiled = wasmtime::component::Component::new(&engine, &bytes);
    println!(
        "compile bomb ({} bytes) compiled without the limits in {:.1} s: {}",
        bytes.len(),
        started.elapsed().as_secs_f64(),
        if compiled.is_ok() { "ok" } else { "error" }
    );
    let started = std::time::Instant::now();
    assert!(matches!(
        runtime().load(&bytes),
        Err(Error::TooComplex { .. })
    ));
    println!(
        "refused by the limits in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let bytes = std::fs::read(smelt_artifacts::hostile("compile-bomb-under-limits")).unwrap();
    let stats = smelt_runtime::code_stats(&bytes).unwrap();
    let started = std::time::Instant::now();
    let loaded = runtime().load(&bytes);
    println!(
        "the heaviest bomb under the limits ({} bytes, {stats:?}) compiled in {:.1} s",
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    // It fails only for lack of a working `describe`, after compiling.
    assert!(
        !matches!(loaded, Err(Error::TooComplex { .. })),
        "{loaded:?}"
    );
}

/// Every call starts from zeroed memory, whichever way its pooled slot was reset: the pages
/// the last call wrote within `MEMORY_KEEP_RESIDENT` are zeroed by hand, the rest given back to
/// the kernel. `snoop` reads and marks more than is kept (both kinds of page) and reports what
/// it found. One pool slot, and the pool's own counters show each call ran in the slot the
/// last one marked (one warm memory slot between calls, never a fresh one) and, where the
/// kernel lets pages be kept, that the kept pages really stayed resident — so the hand-zeroing
/// is what this test checks, not only the kernel's.
#[test]
fn a_call_finds_nothing_an_earlier_call_left_in_its_memory_slot() {
    let bytes = std::fs::read(smelt_artifacts::hostile("snoop")).unwrap();
    let input = hostile_input();
    for keep in [smelt_runtime::MEMORY_KEEP_RESIDENT, 2 << 20, 0] {
        let runtime = smelt_runtime::Runtime::with_config(&smelt_runtime::RuntimeConfig {
            pool_slots: 1,
            memory_keep_resident: keep,
            ..smelt_runtime::RuntimeConfig::default()
        })
        .unwrap();
        let plugin = runtime.load(&bytes).unwrap();
        let mut warm = Vec::new();
        for call in 0..3 {
            let output = if call == 1 {
                crate::on_async_thread(plugin.run_async(&input, &Limits::default()))
            } else {
                plugin.run(&input, &Limits::default())
            }
            .output
            .unwrap_or_else(|e| panic!("keeping {keep} bytes, call {call}: {e}"));
            let smelt_runtime::ColumnValues::Float64(x) = &output.tables["out"]["x"] else {
                panic!("out.x is not float64");
            };
            let [before, after, _start] = x[..] else {
                panic!("out.x has {} values", x.len());
            };
            assert_eq!(
                before, 0.0,
                "keeping {keep} bytes, call {call} found bytes an earlier call left"
            );
            assert_eq!(
                after,
                smelt_hostile::SNOOP_BYTES as f64,
                "the mark was not seen"
            );
            let pool = runtime.pool_stats().expect("a pooled runtime");
            if pool.keeps_resident && keep > 0 {
                assert!(
                    pool.resident_bytes >= keep.min(smelt_hostile::SNOOP_BYTES),
                    "keeping {keep} bytes, call {call}: only {} resident",
                    pool.resident_bytes
                );
            } else if !pool.keeps_resident {
                eprintln!("this kernel has no PAGEMAP_SCAN: nothing is kept resident to check");
            }
            warm.push(pool.warm_memories);
        }
        assert!(
            warm.iter().all(|&w| w == warm[0]) && warm[0] > 0,
            "keeping {keep} bytes, the calls did not reuse their slots: warm slots {warm:?}"
        );
    }
}
