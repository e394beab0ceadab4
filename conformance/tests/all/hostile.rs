//! Hostile components: each fails the suite on the analyzer that names its misbehaviour, with
//! the runtime's error code as evidence, and the suite returns promptly.

use std::time::{Duration, Instant};

use serde_json::json;
use smelt_conformance::{AnalyzerId, Outcome, Scorecard, Suite};
use smelt_registry::Manifest;
use smelt_runtime::{Vector, VectorBundle};

use crate::{bytes, outcome, runtime};

/// A small budget, as a hostile provider might declare: 20 M fuel is a few tens of
/// milliseconds of wasm, so a runaway call ends quickly; 64 MiB lets `huge-output` build its
/// 24 MB answer and be stopped by the output cap rather than the memory cap.
const MANIFEST: &str = r#"
[package]
name = "hostile"
version = "0.1.0"
provider = "smelt tests"
summary = "Misbehaves on purpose"
license = "Apache-2.0"

[listing]
title = { zh = "恶意组件", en = "Hostile component" }
industries = ["electronics"]
stages = ["production"]
scenes = ["quality"]
target_level = 1
deploy_days = 1

[listing.price]
deploy_cny = 0.0
per_1k_runs_cny = 0.0

[budget]
fuel_base = 20000000
fuel_per_row = 10000
memory_mib = 64
wall_ms = 1000
"#;

/// The hostile solution's declared contract is an echo of `data.x` into `out.x`.
fn echo_vectors() -> VectorBundle {
    VectorBundle {
        vectors: vec![Vector {
            name: "echo".into(),
            input: json!({"tables": {"data": {"x": [1.0, 2.0]}}}),
            expected: json!({"tables": {"out": {"x": [1.0, 2.0]}}}),
            tolerance: 0.0,
        }],
    }
}

fn run_suite(component: &[u8]) -> Scorecard {
    run_suite_with(component, |_| {})
}

fn run_suite_with(component: &[u8], adjust: impl FnOnce(&mut Manifest)) -> Scorecard {
    let mut manifest = Manifest::from_toml(MANIFEST).unwrap();
    adjust(&mut manifest);
    let started = Instant::now();
    let card = Suite::full().run(
        runtime(),
        component,
        &manifest,
        &echo_vectors(),
        None,
        &mut |_| {},
    );
    println!("{card}\n");
    // A hostile component is stopped by its budget: a handful of budgets, never a hang.
    assert!(started.elapsed() < Duration::from_secs(60), "{card}");
    assert!(!card.pass, "{card}");
    card
}

fn hostile(name: &str) -> Scorecard {
    run_suite(&bytes(smelt_artifacts::hostile(name)))
}

/// `id` failed, with `code` somewhere in its evidence.
fn fails_with(card: &Scorecard, id: AnalyzerId, code: &str) {
    let result = card.result(id).unwrap();
    assert_eq!(result.outcome, Outcome::Fail, "{id}:\n{card}");
    let evidence = result.evidence.to_string();
    assert!(
        evidence.contains(&format!("\"{code}\"")),
        "{id} evidence lacks {code}: {evidence}"
    );
}

/// The structural analyzers pass: the component itself is well-formed, only its behaviour is bad.
fn structure_passes(card: &Scorecard) {
    for id in [
        AnalyzerId::ComponentValid,
        AnalyzerId::WitWorld,
        AnalyzerId::ImportsAllowed,
        AnalyzerId::DescribeConsistent,
    ] {
        assert_eq!(outcome(card, id), Outcome::Pass, "{id}:\n{card}");
    }
}

#[test]
fn infinite_loop_fails_determinism_robustness_and_the_fuel_budget() {
    let card = hostile("infinite-loop");
    structure_passes(&card);
    for id in [
        AnalyzerId::VectorsPrecise,
        AnalyzerId::Determinism,
        AnalyzerId::Robustness,
        AnalyzerId::BudgetFuel,
    ] {
        fails_with(&card, id, "out_of_fuel");
    }
    // Robustness stops after a few abnormal endings rather than spending a budget on each case.
    let robust = &card.result(AnalyzerId::Robustness).unwrap().evidence;
    assert_eq!(robust["abnormal"], 3);
    assert_eq!(robust["stopped_early"], true);
    // The run ran out of fuel, not time or memory: those budgets are not judged on it.
    assert_eq!(
        outcome(&card, AnalyzerId::BudgetTime),
        Outcome::Skip,
        "{card}"
    );
    assert_eq!(
        outcome(&card, AnalyzerId::BudgetMemory),
        Outcome::Skip,
        "{card}"
    );
    assert_eq!(
        outcome(&card, AnalyzerId::PerfLatency),
        Outcome::Skip,
        "{card}"
    );
    assert!(card.scores.safe.unwrap() < 50, "{card}");
}

#[test]
fn memory_grow_fails_the_memory_budget() {
    // 8 MiB: reached long before the fuel runs out (growing costs about a fuel unit per byte).
    let card = run_suite_with(&bytes(smelt_artifacts::hostile("memory-grow")), |m| {
        m.budget.memory_mib = 8
    });
    structure_passes(&card);
    for id in [
        AnalyzerId::Determinism,
        AnalyzerId::Robustness,
        AnalyzerId::BudgetMemory,
    ] {
        fails_with(&card, id, "memory_limit");
    }
    assert_eq!(card.scores.light, Some(0));
}

#[test]
fn recursion_fails_robustness_with_a_stack_overflow() {
    let card = hostile("recursion");
    structure_passes(&card);
    for id in [AnalyzerId::Determinism, AnalyzerId::Robustness] {
        fails_with(&card, id, "stack_overflow");
    }
}

#[test]
fn huge_output_fails_robustness_at_the_output_cap() {
    let card = hostile("huge-output");
    for id in [AnalyzerId::Determinism, AnalyzerId::Robustness] {
        fails_with(&card, id, "output_too_large");
    }
}

#[test]
fn a_broken_text_column_fails_robustness_as_malformed_output() {
    let card = hostile("broken-text");
    structure_passes(&card);
    for id in [AnalyzerId::Determinism, AnalyzerId::Robustness] {
        fails_with(&card, id, "malformed_output");
    }
}

#[test]
fn log_and_print_floods_fail_at_the_log_cap() {
    for name in ["log-flood", "print-flood"] {
        let card = hostile(name);
        structure_passes(&card);
        for id in [AnalyzerId::Determinism, AnalyzerId::Robustness] {
            fails_with(&card, id, "log_too_large");
        }
    }
}

#[test]
fn trap_and_panic_fail_robustness_with_their_codes() {
    for (name, code) in [("trap", "trap"), ("panic", "panic")] {
        let card = hostile(name);
        structure_passes(&card);
        for id in [
            AnalyzerId::VectorsPrecise,
            AnalyzerId::Determinism,
            AnalyzerId::Robustness,
        ] {
            fails_with(&card, id, code);
        }
        // Not a budget problem: the budgets are not judged on a crashing run.
        assert_eq!(
            outcome(&card, AnalyzerId::BudgetFuel),
            Outcome::Skip,
            "{card}"
        );
    }
}

#[test]
fn forbidden_import_fails_imports_allowed_naming_it() {
    let card = hostile("forbidden-import");
    let result = card.result(AnalyzerId::ImportsAllowed).unwrap();
    assert_eq!(result.outcome, Outcome::Fail, "{card}");
    assert!(
        result.summary.contains("wasi:sockets/"),
        "{}",
        result.summary
    );
    let forbidden = result.evidence["forbidden"].as_array().unwrap();
    assert!(
        forbidden
            .iter()
            .all(|f| f.as_str().unwrap().starts_with("wasi:sockets/")),
        "{forbidden:?}"
    );
    // The component is valid; it just may not be linked, so nothing runs.
    assert_eq!(
        outcome(&card, AnalyzerId::ComponentValid),
        Outcome::Pass,
        "{card}"
    );
    assert_eq!(
        outcome(&card, AnalyzerId::WitWorld),
        Outcome::Pass,
        "{card}"
    );
    for id in [
        AnalyzerId::DescribeConsistent,
        AnalyzerId::VectorsPrecise,
        AnalyzerId::Robustness,
        AnalyzerId::BudgetFuel,
    ] {
        assert_eq!(outcome(&card, id), Outcome::Skip, "{id}:\n{card}");
    }
    assert_eq!(card.scores.safe, Some(0));
    assert_eq!(card.wit_version, None);
}

#[test]
fn a_core_module_fails_component_valid_and_wit_world() {
    // A minimal core module: magic + version 1.
    let card = run_suite(b"\0asm\x01\0\0\0");
    fails_with(&card, AnalyzerId::ComponentValid, "core_module");
    fails_with(&card, AnalyzerId::WitWorld, "core_module");
    assert_eq!(
        outcome(&card, AnalyzerId::ImportsAllowed),
        Outcome::Skip,
        "{card}"
    );
    assert_eq!(card.failures().count(), 2, "{card}");
}

#[test]
fn not_wasm_fails_component_valid() {
    let card = run_suite(b"#!/bin/sh\necho hi\n");
    fails_with(&card, AnalyzerId::ComponentValid, "not_wasm");
}

#[test]
fn a_component_without_the_solution_export_fails_wit_world() {
    // The smallest valid component: header only, no exports at all.
    let card = run_suite(b"\0asm\x0d\0\x01\0");
    assert_eq!(
        outcome(&card, AnalyzerId::ComponentValid),
        Outcome::Pass,
        "{card}"
    );
    let wit = card.result(AnalyzerId::WitWorld).unwrap();
    assert_eq!(wit.outcome, Outcome::Fail, "{card}");
    assert!(
        wit.summary
            .contains("does not export smelt:solution/solution"),
        "{}",
        wit.summary
    );
}
