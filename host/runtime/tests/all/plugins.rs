//! Example plugins through the sandbox, against their published reference data.

use serde_json::json;
use smelt_runtime::{
    ColumnValues, Limits, VectorBundle, compare_expected, input_from_json, input_from_json_slice,
};

use crate::load;

/// Every pair of Sharma, Wu & Dalal (2005), Table 1 ("The CIEDE2000 color-difference formula:
/// implementation notes, supplementary test data, and mathematical observations", Color Res.
/// Appl. 30(1):21–30), each run through the dye-lot plugin as a component, to 4 decimals.
#[test]
fn dye_lot_matches_all_34_ciede2000_reference_pairs_in_wasm() {
    let dir = smelt_artifacts::plugin_dir("dye-lot-color-qc");
    let table = std::fs::read_to_string(format!("{dir}/vectors/sharma-2005-table1.txt")).unwrap();
    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let descriptor = plugin.describe().unwrap();
    let mut checked = 0;
    for (i, line) in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .enumerate()
    {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let input = json!({
            "tables": {
                "standard": {"L": [v[0]], "a": [v[1]], "b": [v[2]]},
                "batches": {"batch": [format!("pair-{}", i + 1)], "L": [v[3]], "a": [v[4]], "b": [v[5]]}
            }
        });
        let input = input_from_json(&input, &descriptor).unwrap();
        let output = plugin.run(&input, &Limits::default()).output.unwrap();
        let ColumnValues::Float64(de) = &output.tables["results"]["delta_e00"] else {
            panic!("delta_e00 type")
        };
        assert!(
            (de[0] - v[6]).abs() < 5e-5,
            "pair {}: got {:.4}, published {:.4}",
            i + 1,
            de[0],
            v[6]
        );
        checked += 1;
    }
    assert_eq!(checked, 34);
}

/// CMC(l:c) of 43 pairs (Sharma's 34 plus nine covering the formula's branches: L1 < 16, hue
/// 164–345°, an achromatic standard) at 2:1 and 1:1, run through the dye-lot plugin as a
/// component. The reference values are from colour-science's `delta_E_CMC`, cross-checked
/// against python-colormath's `delta_e_cmc` (two independent implementations of Clarke,
/// McDonald & Rigg 1984 / ISO 105-J03; see the file's header): no published CMC table was
/// reachable offline.
#[test]
fn dye_lot_cmc_matches_independent_reference_values_in_wasm() {
    let dir = smelt_artifacts::plugin_dir("dye-lot-color-qc");
    let table = std::fs::read_to_string(format!("{dir}/vectors/cmc-reference.txt")).unwrap();
    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let descriptor = plugin.describe().unwrap();
    let mut checked = 0;
    for (i, line) in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .enumerate()
    {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        for (l, expected) in [(2.0, v[6]), (1.0, v[7])] {
            let input = json!({
                "tables": {
                    "standard": {"L": [v[0]], "a": [v[1]], "b": [v[2]]},
                    "batches": {"batch": ["x"], "L": [v[3]], "a": [v[4]], "b": [v[5]]}
                },
                "params": {"formula": "cmc", "cmc_l": l, "cmc_c": 1.0, "tolerance": 1.5}
            });
            let input = input_from_json(&input, &descriptor).unwrap();
            let output = plugin.run(&input, &Limits::default()).output.unwrap();
            let ColumnValues::Float64(de) = &output.tables["results"]["delta_e_cmc"] else {
                panic!("delta_e_cmc type")
            };
            assert!(
                (de[0] - expected).abs() < 1e-5,
                "pair {} CMC({l}:1): got {:.6}, reference {expected:.6}",
                i + 1,
                de[0]
            );
            // pass/fail follows the chosen formula
            let ColumnValues::Boolean(pass) = &output.tables["results"]["pass"] else {
                panic!("pass type")
            };
            assert_eq!(pass[0], expected <= 1.5, "pair {} CMC({l}:1) pass", i + 1);
            checked += 1;
        }
    }
    assert_eq!(checked, 86);
}

/// Every example plugin's published vectors pass through the sandbox.
#[test]
fn every_plugin_passes_its_reference_vectors_in_wasm() {
    let mut ran = 0;
    for (name, dir, wasm) in smelt_artifacts::PLUGINS {
        let plugin = load(wasm);
        let descriptor = plugin.describe().unwrap();
        assert_eq!(descriptor.name, *name);
        let bundle = VectorBundle::from_package_dir(std::path::Path::new(dir)).unwrap();
        assert!(!bundle.vectors.is_empty(), "{name} has no vectors");
        for vector in bundle.vectors {
            let input = input_from_json(&vector.input, &descriptor)
                .unwrap_or_else(|e| panic!("{name}/{}: {e}", vector.name));
            // Request bodies are read in one pass; that reader must take the same input.
            let text = serde_json::to_vec(&vector.input).unwrap();
            let streamed = input_from_json_slice(&text, &descriptor)
                .unwrap_or_else(|e| panic!("{name}/{} read in one pass: {e}", vector.name));
            assert_eq!(streamed, input, "{name}/{}", vector.name);
            let run = plugin.run(&input, &Limits::default());
            let output = run
                .output
                .unwrap_or_else(|e| panic!("{name}/{}: {e}", vector.name));
            let problems = compare_expected(&vector.expected, &output, vector.tolerance);
            assert!(problems.is_empty(), "{name}/{}: {problems:#?}", vector.name);
            // The server's path (a future on an async thread) gives the same bits and fuel.
            let run_async = crate::on_async_thread(plugin.run_async(&input, &Limits::default()));
            assert_eq!(
                run_async.output.as_ref(),
                Ok(&output),
                "{name}/{}: run_async answers otherwise",
                vector.name
            );
            assert_eq!(
                run_async.usage.fuel, run.usage.fuel,
                "{name}/{}",
                vector.name
            );
            ran += 1;
        }
    }
    assert!(ran >= 2);
}

#[test]
fn bad_input_is_a_solution_error_naming_the_row() {
    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let descriptor = plugin.describe().unwrap();
    let input = json!({
        "tables": {
            "standard": {"L": [50.0], "a": [0.0], "b": [0.0]},
            "batches": {"batch": ["A", "B"], "L": [50.0, 150.0], "a": [0.0, 0.0], "b": [0.0, 0.0]}
        }
    });
    let input = input_from_json(&input, &descriptor).unwrap();
    let err = plugin.run(&input, &Limits::default()).output.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(
        err.to_string()
            .contains("table `batches`, column `L`, row 1"),
        "{err}"
    );
}

#[test]
fn host_checks_input_against_the_descriptor() {
    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let d = plugin.describe().unwrap();
    let cases = [
        (json!({"tables": {}}), "missing table `standard`"),
        (
            json!({"tables": {"standard": {"L": [1], "a": [1]}, "batches": {}}}),
            "table `standard`: missing column `b`",
        ),
        (
            json!({"tables": {"standard": {"L": [1], "a": [1], "b": ["x"]}, "batches": {}}}),
            "table `standard`, column `b`, row 0: expected a number, found text",
        ),
        (
            json!({"tables": {"standard": {"L": [1], "a": [1], "b": [1]}, "batches": {"batch": ["A"], "L": [1, 2], "a": [1], "b": [1]}}}),
            "table `batches`: column `L` has 2 values but column `batch` has 1",
        ),
        (
            json!({"tables": {"standard": {"L": [1], "a": [1], "b": [1]}, "batches": {"batch": ["A"], "L": [1], "a": [1], "b": [1]}}, "params": {"tolerance": -1}}),
            "param `tolerance`: -1 is below the minimum 0.01",
        ),
        (
            json!({"tables": {"standard": {"L": [1], "a": [1], "b": [1]}, "batches": {"batch": ["A"], "L": [1], "a": [1], "b": [1]}}, "params": {"speed": 1}}),
            "unknown param `speed` (this solution takes: formula, tolerance, kl, cmc_l, cmc_c)",
        ),
        (
            json!({"tables": {"standard": {"L": [1], "a": [1], "b": [1]}, "batches": {"batch": ["A"], "L": [1], "a": [1], "b": [1]}}, "params": {"formula": "cie94"}}),
            "param `formula`: `cie94` is not one of ciede2000, cmc",
        ),
        (json!([1, 2]), "input: expected an object, found an array"),
    ];
    for (input, expected) in cases {
        let err = input_from_json(&input, &d).unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{input}: got `{err}`, wanted `{expected}`"
        );
        // The one-pass reader of request bodies says the same.
        let text = input.to_string();
        let streamed = input_from_json_slice(text.as_bytes(), &d).unwrap_err();
        assert_eq!(streamed.to_string(), err, "{text}");
    }
}

/// The plugins compute with `smelt_sdk::math` (the `libm` crate on every target), so the
/// component's colour differences are bit for bit what the crate computes natively: a
/// provider's `cargo test` proves the sandbox's numbers. 3,600 batches all around the hue
/// circle, at several lightnesses and chromas, through every trigonometric branch of CIEDE2000
/// and CMC. (With `f64`'s own methods, glibc's and musl's last bits would differ.)
#[test]
fn dye_lot_in_wasm_gives_the_native_crates_bits() {
    let (mut l, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..3_600 {
        let hue = (i as f64 * 0.1 + 0.037).to_radians();
        let chroma = [0.5, 3.0, 12.0, 30.0, 75.0][i % 5];
        l.push([5.0, 35.0, 50.0, 68.5, 97.0][(i + i / 5) % 5]);
        a.push(chroma * hue.cos());
        b.push(chroma * hue.sin());
    }
    let batch: Vec<String> = (0..l.len()).map(|i| format!("L{i}")).collect();
    let standard = (52.3, 17.9, -8.4);

    let plugin = load(smelt_artifacts::plugin("dye-lot-color-qc"));
    let input = json!({"tables": {
        "standard": {"L": [standard.0], "a": [standard.1], "b": [standard.2]},
        "batches": {"batch": batch, "L": l, "a": a, "b": b}
    }, "params": {"tolerance": 1.0}});
    let input = input_from_json(&input, &plugin.describe().unwrap()).unwrap();
    let wasm = plugin.run(&input, &Limits::default()).output.unwrap();

    use smelt_sdk::{Solution, TableBuilder};
    let native = dye_lot_color_qc::DyeLotColorQc::run(
        smelt_sdk::Input::new()
            .with_table(
                TableBuilder::new("standard")
                    .float64("L", vec![standard.0])
                    .float64("a", vec![standard.1])
                    .float64("b", vec![standard.2])
                    .build(),
            )
            .with_table(
                TableBuilder::new("batches")
                    .text("batch", batch)
                    .float64("L", l)
                    .float64("a", a)
                    .float64("b", b)
                    .build(),
            )
            .with_param("tolerance", smelt_sdk::Value::Float64(1.0)),
    )
    .unwrap();
    let results = native.tables.iter().find(|t| t.name == "results").unwrap();
    for column in ["delta_e00", "delta_e_cmc"] {
        let ColumnValues::Float64(in_wasm) = &wasm.tables["results"][column] else {
            panic!("{column} is not float64");
        };
        let Some(smelt_sdk::ColumnValues::Float64(natively)) = results
            .columns
            .iter()
            .find(|c| c.name == column)
            .map(|c| &c.values)
        else {
            panic!("{column} natively is not float64");
        };
        assert_eq!(in_wasm.len(), natively.len());
        for (row, (x, y)) in in_wasm.iter().zip(natively).enumerate() {
            assert_eq!(
                x.to_bits(),
                y.to_bits(),
                "{column}, row {row}: {x:e} in wasm, {y:e} natively"
            );
        }
    }
}

/// The artifacts build passes `smelt_artifacts::WASM_RUSTFLAGS` (as `smelt build` does): every
/// example plugin carries SIMD instructions, so none validates with SIMD switched off.
#[test]
fn example_plugins_are_built_with_simd() {
    use wasmparser::WasmFeatures as F;
    let mut without_simd = F::default() | F::COMPONENT_MODEL;
    without_simd.remove(F::SIMD | F::RELAXED_SIMD);
    for (name, _, path) in smelt_artifacts::PLUGINS {
        let bytes = std::fs::read(path).unwrap();
        wasmparser::Validator::new_with_features(F::default() | F::COMPONENT_MODEL)
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        match wasmparser::Validator::new_with_features(without_simd).validate_all(&bytes) {
            Ok(_) => panic!("{name} validates without SIMD: built without simd128"),
            Err(e) => assert!(e.to_string().contains("SIMD"), "{name}: {e}"),
        }
    }
}
