//! The smelt layer, run natively: published examples end to end, and bad input as errors.

use fabric_four_point::FabricFourPoint;
use smelt_sdk::prelude::*;

fn rolls(names: &[&str], length: Vec<f64>, width: Vec<f64>) -> Table {
    TableBuilder::new("rolls")
        .text("roll", names)
        .float64("length", length)
        .float64("width", width)
        .build()
}

fn defects(rows: &[(&str, f64, f64, &str)]) -> Table {
    TableBuilder::new("defects")
        .text("roll", rows.iter().map(|r| r.0))
        .float64("position", rows.iter().map(|r| r.1).collect())
        .float64("size", rows.iter().map(|r| r.2).collect())
        .text("kind", rows.iter().map(|r| r.3))
        .build()
}

/// Defects of the given (count, size, kind) classes, one per yard (metre).
fn classes(
    roll: &'static str,
    classes: &[(usize, f64, &'static str)],
) -> Vec<(&'static str, f64, f64, &'static str)> {
    let mut rows = Vec::new();
    for &(count, size, kind) in classes {
        for _ in 0..count {
            rows.push((roll, rows.len() as f64 + 0.5, size, kind));
        }
    }
    rows
}

fn column_f64(output: &Output, table: &str, column: &str) -> Vec<f64> {
    let t = output.table(table).unwrap();
    match &t.columns.iter().find(|c| c.name == column).unwrap().values {
        ColumnValues::Float64(v) => v.clone(),
        other => panic!("{column}: {other:?}"),
    }
}

fn column_i64(output: &Output, table: &str, column: &str) -> Vec<i64> {
    let t = output.table(table).unwrap();
    match &t.columns.iter().find(|c| c.name == column).unwrap().values {
        ColumnValues::Int64(v) => v.clone(),
        other => panic!("{column}: {other:?}"),
    }
}

fn message(e: SolutionError) -> String {
    match e {
        SolutionError::InvalidInput(m) => format!("input: {m}"),
        SolutionError::InvalidParam(m) => format!("param: {m}"),
        SolutionError::Unsupported(m) => format!("unsupported: {m}"),
    }
}

#[test]
fn two_published_rolls_as_one_shipment() {
    // Roll A: P. Sarkar, Online Clothing Study (2012), "How to use 4 Point System in Fabric
    // Inspection?", Example: 120 yd × 46 in, 24 points, 15.6 points/100 sq yd.
    // Roll B: "4 point chk summary" (scribd 731386482), Example: 130 yd × 45 in, 30 points,
    // 18.4 points/100 sq yd. Both print one decimal, truncated.
    let mut rows = classes(
        "A",
        &[
            (4, 2.0, "defect"),
            (3, 5.0, "defect"),
            (2, 8.0, "defect"),
            (1, 10.0, "defect"),
            (1, 1.5, "hole"),
        ],
    );
    rows.extend(classes(
        "B",
        &[
            (6, 2.0, "defect"),
            (5, 5.0, "defect"),
            (2, 8.0, "defect"),
            (1, 12.0, "defect"),
            (1, 2.0, "hole"),
        ],
    ));
    let input = Input::new()
        .with_table(rolls(&["A", "B"], vec![120.0, 130.0], vec![46.0, 45.0]))
        .with_table(defects(&rows));
    let output = FabricFourPoint::run(input).unwrap();
    assert_eq!(column_i64(&output, "rolls", "points"), [24, 30]);
    let per = column_f64(&output, "rolls", "points_per_100_sq_yd");
    let truncated: Vec<f64> = per.iter().map(|x| (x * 10.0).floor() / 10.0).collect();
    assert_eq!(truncated, [15.6, 18.4], "{per:?}");
    assert_eq!(output.metric("total_points"), Some(54.0));
    assert_eq!(output.metric("second_quality_rolls"), Some(0.0));
    // Every defect sits in its own yard: points as the size classes give them.
    let points = column_i64(&output, "defect_points", "points");
    assert_eq!(points.iter().sum::<i64>(), 54);
    assert!(output.findings.is_empty(), "{:?}", output.findings);
}

#[test]
fn metric_example_and_a_low_threshold_grade_second() {
    // Jozwiak, "Four-Point System" (jozwiak.eu), Example: 100 m × 150 cm, 29 points, 19 points
    // per 100 m² as printed; against a threshold of 18 the roll is second quality.
    let rows = classes(
        "R",
        &[
            (7, 7.0, "defect"),
            (4, 12.0, "defect"),
            (2, 20.0, "defect"),
            (1, 30.0, "defect"),
            (1, 4.0, "hole"),
        ],
    );
    let input = Input::new()
        .with_table(rolls(&["R"], vec![100.0], vec![150.0]))
        .with_table(defects(&rows))
        .with_param("units", Value::Text("metric".into()))
        .with_param("threshold", Value::Float64(18.0));
    let output = FabricFourPoint::run(input).unwrap();
    assert_eq!(column_i64(&output, "rolls", "points"), [29]);
    assert_eq!(
        column_f64(&output, "rolls", "points_per_100_m2")[0].round(),
        19.0
    );
    assert_eq!(output.metric("second_quality_rolls"), Some(1.0));
    assert!(
        output
            .findings
            .iter()
            .any(|f| f.code == "second-quality" && f.row == Some(0))
    );
}

#[test]
fn a_roll_without_defects_scores_zero() {
    let input = Input::new()
        .with_table(rolls(&["clean"], vec![80.0], vec![60.0]))
        .with_table(defects(&[]));
    let output = FabricFourPoint::run(input).unwrap();
    assert_eq!(output.metric("points_per_100_sq_yd"), Some(0.0));
}

#[test]
fn bad_input_is_an_error_naming_the_place() {
    let ok_rolls = || rolls(&["A"], vec![100.0], vec![60.0]);
    let cases: Vec<(Input, &str)> = vec![
        (
            Input::new()
                .with_table(rolls(&[], vec![], vec![]))
                .with_table(defects(&[])),
            "table `rolls`: needs at least 1 row",
        ),
        (
            Input::new()
                .with_table(rolls(&["A"], vec![f64::NAN], vec![60.0]))
                .with_table(defects(&[])),
            "column `length`, row 0: NaN",
        ),
        (
            Input::new()
                .with_table(rolls(&["A"], vec![-5.0], vec![60.0]))
                .with_table(defects(&[])),
            "column `length`, row 0: -5 must be > 0",
        ),
        (
            Input::new()
                .with_table(rolls(&["A", "A"], vec![1.0, 2.0], vec![60.0, 60.0]))
                .with_table(defects(&[])),
            "column `roll`, row 1: roll `A` is already on row 0",
        ),
        (
            Input::new()
                .with_table(ok_rolls())
                .with_table(defects(&[("A", 1.0, -2.0, "defect")])),
            "column `size`, row 0: -2 must be > 0",
        ),
        (
            Input::new().with_table(ok_rolls()).with_table(defects(&[(
                "A",
                1.0,
                f64::INFINITY,
                "hole",
            )])),
            "column `size`, row 0: inf",
        ),
        (
            Input::new()
                .with_table(ok_rolls())
                .with_table(defects(&[("B", 1.0, 2.0, "defect")])),
            "column `roll`, row 0: roll `B` is not in table `rolls`",
        ),
        (
            Input::new()
                .with_table(ok_rolls())
                .with_table(defects(&[("A", 1.0, 2.0, "stain")])),
            "column `kind`, row 0: `stain` is not",
        ),
        (
            Input::new()
                .with_table(ok_rolls())
                .with_table(defects(&[("A", 101.0, 2.0, "defect")])),
            "column `position`, row 0: 101 yd is off roll `A`",
        ),
        (
            Input::new().with_table(ok_rolls()).with_table(defects(&[(
                "A",
                99.0,
                72.0,
                "continuous",
            )])),
            "column `size`, row 0: a running defect",
        ),
        (
            Input::new().with_table(ok_rolls()).with_table(
                TableBuilder::new("defects")
                    .text("roll", ["A"])
                    .float64("position", vec![1.0, 2.0])
                    .float64("size", vec![1.0])
                    .text("kind", ["hole"])
                    .build(),
            ),
            "column `position` has 2 values",
        ),
        (
            Input::new()
                .with_table(ok_rolls())
                .with_table(defects(&[]))
                .with_param("units", Value::Text("furlong".into())),
            "param: param `units`",
        ),
        (
            Input::new()
                .with_table(ok_rolls())
                .with_table(defects(&[]))
                .with_param("threshold", Value::Float64(-1.0)),
            "param: param `threshold`",
        ),
    ];
    for (input, expected) in cases {
        let got = message(FabricFourPoint::run(input).unwrap_err());
        assert!(
            got.contains(expected),
            "{got:?} should contain {expected:?}"
        );
    }
}

#[test]
fn descriptor_declares_every_column_with_a_unit_where_one_applies() {
    let d = FabricFourPoint::describe();
    assert_eq!(d.name, "fabric-four-point");
    let rolls = d.inputs.iter().find(|t| t.name == "rolls").unwrap();
    for (column, unit) in [("length", "yd|m"), ("width", "in|cm")] {
        assert_eq!(
            rolls
                .columns
                .iter()
                .find(|c| c.name == column)
                .unwrap()
                .unit,
            unit
        );
    }
    let units = d.params.iter().find(|p| p.name == "units").unwrap();
    assert_eq!(units.choices, ["imperial", "metric"]);
}
