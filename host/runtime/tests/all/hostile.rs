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

fn run_hostile(name: &str, limits: &Limits) -> Error {
    let plugin = load(smelt_artifacts::hostile(name));
    let run = plugin.run(&hostile_input(), limits);
    let err = run.output.expect_err(name);
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
        Error::Panic { message } => assert!(
            message.contains("hostile panic: index 3 of 0 rows"),
            "{message}"
        ),
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
