//! Every WIT version the host runs carries the same data: an echo component per version
//! (`host/echo`) returns its input, text included, through the blocking and the async path.

use indexmap::IndexMap;
use smelt_runtime::{
    ColumnValues, Input, Limits, Output, Severity, Table, Texts, Value, WIT_VERSIONS,
};

use crate::{load, on_async_thread};

/// Text that tests the encodings: empty values first, last and in a row, multi-byte
/// characters of two, three and four bytes, quotes and a backslash.
fn awkward_text() -> Texts {
    ["", "L-1", "", "色差 ΔE00", "🧵 roll \"7\" \\ é", ""]
        .into_iter()
        .collect()
}

fn input() -> Input {
    let mut input = Input::default();
    input.tables.insert(
        "data".into(),
        [
            ("name".to_owned(), ColumnValues::Text(awkward_text())),
            (
                "x".to_owned(),
                ColumnValues::Float64(vec![1.5, -0.0, 1e300, -2.25, 5e-324, 0.1]),
            ),
            (
                "n".to_owned(),
                ColumnValues::Int64(vec![i64::MIN, -1, 0, 1, 42, i64::MAX]),
            ),
            (
                "ok".to_owned(),
                ColumnValues::Boolean(vec![true, false, false, true, true, false]),
            ),
        ]
        .into_iter()
        .collect(),
    );
    // A second table with no rows, and a text column of its own.
    input.tables.insert(
        "empty".into(),
        [
            ("label".to_owned(), ColumnValues::Text(Texts::new())),
            ("y".to_owned(), ColumnValues::Float64(Vec::new())),
        ]
        .into_iter()
        .collect(),
    );
    input
        .params
        .insert("tolerance".into(), Value::Float64(0.75));
    input.params.insert("count".into(), Value::Int64(-3));
    input.params.insert("strict".into(), Value::Boolean(true));
    input
        .params
        .insert("label".into(), Value::Text("批次 7".into()));
    input
}

fn assert_echoed(version: &str, path: &str, output: &Output, input: &Input) {
    assert_eq!(
        output.tables, input.tables,
        "WIT {version} ({path}): tables"
    );
    // In order too: IndexMap's equality ignores it.
    let order = |tables: &IndexMap<String, Table>| -> Vec<(String, Vec<String>)> {
        tables
            .iter()
            .map(|(name, table)| (name.clone(), table.keys().cloned().collect()))
            .collect()
    };
    assert_eq!(
        order(&output.tables),
        order(&input.tables),
        "WIT {version} ({path}): order"
    );
    let metrics: Vec<(&str, f64)> = output
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.value))
        .collect();
    assert_eq!(
        metrics,
        [("tolerance", 0.75), ("count", -3.0), ("strict", 1.0)],
        "WIT {version} ({path}): metrics"
    );
    assert_eq!(output.findings.len(), 1, "WIT {version} ({path})");
    let finding = &output.findings[0];
    assert_eq!(
        (
            finding.severity,
            finding.code.as_str(),
            finding.message.as_str()
        ),
        (Severity::Info, "label", "批次 7"),
        "WIT {version} ({path}): findings"
    );
}

#[test]
fn every_wit_version_returns_the_same_input_unchanged_both_ways() {
    let input = input();
    assert_eq!(WIT_VERSIONS, ["0.1.0", "0.2.0"]);
    for &version in WIT_VERSIONS {
        let plugin = load(smelt_artifacts::echo(version));
        assert_eq!(plugin.wit_version(), version);
        let descriptor = plugin.describe().unwrap();
        assert_eq!(descriptor.name, "echo", "WIT {version}");
        assert_eq!(
            descriptor.inputs[0].columns[0].name, "name",
            "WIT {version}"
        );

        let blocking = plugin.run(&input, &Limits::default()).output.unwrap();
        assert_echoed(version, "blocking", &blocking, &input);
        let run = on_async_thread(plugin.run_async(&input, &Limits::default()));
        assert_echoed(version, "async", &run.output.unwrap(), &input);
    }
}

/// The example plugins are built on the SDK, which targets the newest version.
#[test]
fn the_example_plugins_target_the_newest_wit_version() {
    let newest = WIT_VERSIONS.last().unwrap();
    for (name, _, path) in smelt_artifacts::PLUGINS {
        assert_eq!(load(path).wit_version(), *newest, "{name}");
    }
}
