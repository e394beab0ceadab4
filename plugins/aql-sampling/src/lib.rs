//! AQL sampling: the single sampling plan of ISO 2859-1 / ANSI/ASQ Z1.4 for a lot (code
//! letter, sample size n, acceptance number Ac, rejection number Re) under normal, tightened
//! or reduced inspection, and the accept/reject decision for the nonconforming items found.
//!
//! The tables are data in [`tables`] and the lookup is plain Rust in [`plan`]; this file is
//! the thin smelt layer over them. The solution takes params only, no input tables.

pub mod plan;
pub mod tables;

use plan::{Decision, Level, Severity, aql_column, code_letter, single_plan};
use smelt_sdk::prelude::*;

/// The smelt solution.
pub struct AqlSampling;

/// The standard's general inspection level unless the contract names another.
const DEFAULT_LEVEL: &str = "II";
/// Inspection starts at normal severity under the switching rules.
const DEFAULT_SEVERITY: &str = "normal";

fn param_error(name: &str, problem: impl std::fmt::Display) -> SolutionError {
    SolutionError::InvalidParam(format!("param `{name}`: {problem}"))
}

fn required<T>(value: Option<T>, name: &str) -> Result<T, SolutionError> {
    value.ok_or_else(|| param_error(name, "is required"))
}

impl Solution for AqlSampling {
    fn describe() -> Descriptor {
        let lot_size = ParamSpec::int64("lot_size", "items", "Items in the lot or batch submitted")
            .range(2.0, 1e15);
        let level = ParamSpec::text(
            "inspection_level",
            "",
            "Inspection level of Table I: general I, II (usual), III, or special S-1 to S-4",
        )
        .default_text(DEFAULT_LEVEL)
        .choices(&tables::LEVELS);
        let aql = ParamSpec::float64(
            "aql",
            "%",
            "Acceptance quality limit: percent nonconforming (or nonconformities per 100 \
             items), a value of the preferred series 0.010 … 1000",
        )
        .range(0.010, 1000.0);
        let severity = ParamSpec::text(
            "severity",
            "",
            "Severity under the switching rules: normal (Table II-A), tightened (II-B) or \
             reduced (II-C)",
        )
        .default_text(DEFAULT_SEVERITY)
        .choices(&Severity::NAMES);
        let defects = ParamSpec::int64(
            "defects",
            "items",
            "Nonconforming items (or nonconformities) found in the sample, for the decision",
        )
        .optional()
        .range(0.0, 1e15);
        let plan = TableSpec::new("plan", "The single sampling plan (one row)")
            .rows(1, Some(1))
            .column(ColumnSpec::text(
                "code_letter",
                "",
                "Sample size code letter (Table I)",
            ))
            .column(ColumnSpec::text(
                "plan_letter",
                "",
                "Code letter whose plan is used once the table's arrows are followed",
            ))
            .column(ColumnSpec::int64(
                "sample_size",
                "items",
                "Items to inspect: n, or the whole lot when n ≥ lot size",
            ))
            .column(ColumnSpec::int64("accept", "items", "Acceptance number Ac"))
            .column(ColumnSpec::int64("reject", "items", "Rejection number Re"))
            .column(ColumnSpec::text(
                "decision",
                "",
                "accept or reject (only when `defects` is given)",
            ));
        Descriptor::new(
            "aql-sampling",
            env!("CARGO_PKG_VERSION"),
            "ISO 2859-1 / ANSI/ASQ Z1.4 single sampling plan (code letter, n, Ac, Re) and decision",
        )
        .param(lot_size)
        .param(level)
        .param(aql)
        .param(severity)
        .param(defects)
        .output(plan)
        .metric(MetricSpec::new("sample_size", "items", "Items to inspect"))
        .metric(MetricSpec::new(
            "inspected_fraction",
            "%",
            "Share of the lot inspected",
        ))
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        let lot = required(input.int64_param("lot_size")?, "lot_size")?;
        let lot = u64::try_from(lot)
            .ok()
            .filter(|&l| l >= tables::MIN_LOT)
            .ok_or_else(|| {
                param_error(
                    "lot_size",
                    format!("{lot} is below 2, the smallest lot of Table I"),
                )
            })?;
        let level_name = input
            .text_param("inspection_level")?
            .unwrap_or(DEFAULT_LEVEL);
        let level = Level::parse(level_name).ok_or_else(|| {
            param_error(
                "inspection_level",
                format!("`{level_name}` is not one of {}", tables::LEVELS.join(", ")),
            )
        })?;
        let aql = required(input.float64_param("aql")?, "aql")?;
        let column = aql_column(aql).ok_or_else(|| {
            let series: Vec<String> = tables::AQL_SERIES.iter().map(f64::to_string).collect();
            let problem = format!(
                "{aql} is not in the preferred series ({})",
                series.join(", ")
            );
            param_error("aql", problem)
        })?;
        let severity_name = input.text_param("severity")?.unwrap_or(DEFAULT_SEVERITY);
        let severity = Severity::parse(severity_name).ok_or_else(|| {
            param_error(
                "severity",
                format!("`{severity_name}` is not one of normal, tightened, reduced"),
            )
        })?;
        let defects = match input.int64_param("defects")? {
            None => None,
            Some(d) => Some(
                u64::try_from(d).map_err(|_| param_error("defects", format!("{d} is negative")))?,
            ),
        };

        // Both are total for valid params; the errors only guard against a table mistake.
        let letter = code_letter(lot, level)
            .ok_or_else(|| param_error("lot_size", format!("{lot} is not covered by Table I")))?;
        let plan =
            single_plan(letter, column, severity).map_err(|e| SolutionError::Unsupported(e.0))?;

        let mut output = Output::new();
        let table = severity.table_name();
        let aql_text = tables::AQL_SERIES[column];
        if plan.letter != letter {
            output.push_finding(Finding::info(
                "arrow-followed",
                format!(
                    "{table} has an arrow at code letter {letter}, AQL {aql_text}: the plan of \
                     letter {} is used (n = {}, Ac {}, Re {})",
                    plan.letter, plan.n, plan.ac, plan.re
                ),
            ));
        }
        let sample_size = if u64::from(plan.n) >= lot {
            output.push_finding(Finding::warning(
                "hundred-percent-inspection",
                format!(
                    "sample size {} ≥ lot size {lot}: inspect every item of the lot (100 % \
                     inspection)",
                    plan.n
                ),
            ));
            lot
        } else {
            u64::from(plan.n)
        };

        let mut builder = TableBuilder::new("plan")
            .text("code_letter", vec![letter.to_string()])
            .text("plan_letter", vec![plan.letter.to_string()])
            .int64("sample_size", vec![to_i64(sample_size)])
            .int64("accept", vec![i64::from(plan.ac)])
            .int64("reject", vec![i64::from(plan.re)]);
        if let Some(count) = defects {
            let decision = plan.decide(count);
            let text = match decision {
                Decision::Accept | Decision::AcceptReinstateNormal => "accept",
                Decision::Reject => "reject",
            };
            match decision {
                Decision::Accept => {}
                Decision::AcceptReinstateNormal => output.push_finding(Finding::warning(
                    "reinstate-normal-inspection",
                    format!(
                        "{count} found: above Ac {} but below Re {}: the lot is accepted, but \
                         normal inspection is reinstated",
                        plan.ac, plan.re
                    ),
                )),
                Decision::Reject => output.push_finding(Finding::warning(
                    "lot-rejected",
                    format!("{count} found ≥ Re {}: the lot is not accepted", plan.re),
                )),
            }
            builder = builder.text("decision", [text]);
        }
        Ok(output
            .with_table(builder.build())
            .with_metric("sample_size", sample_size as f64, "items")
            .with_metric(
                "inspected_fraction",
                100.0 * sample_size as f64 / lot as f64,
                "%",
            ))
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(target_arch = "wasm32")]
smelt_sdk::export_solution!(AqlSampling);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(params: &[(&str, Value)]) -> Result<Output, SolutionError> {
        let mut input = Input::new();
        for (name, value) in params {
            input = input.with_param(*name, value.clone());
        }
        AqlSampling::run(input)
    }

    /// The single value of column `name` of the `plan` table, as text.
    fn cell(output: &Output, name: &str) -> String {
        let table = output.table("plan").unwrap();
        match &table
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .values
        {
            ColumnValues::Text(v) if v.len() == 1 => v[0].to_owned(),
            ColumnValues::Int64(v) if v.len() == 1 => v[0].to_string(),
            other => panic!("column {name}: {other:?}"),
        }
    }

    fn invalid_param(result: Result<Output, SolutionError>, name: &str) {
        match result {
            Err(SolutionError::InvalidParam(m)) => assert!(m.contains(&format!("`{name}`")), "{m}"),
            other => panic!("expected invalid-param for {name}, got {other:?}"),
        }
    }

    /// Montgomery, Introduction to Statistical Quality Control (6th ed.), MIL STD 105E worked
    /// example: N = 2000, AQL 0.65 %, level II → K, normal n = 125, Ac 2.
    #[test]
    fn montgomery_example_through_the_sdk_layer() {
        let output = run(&[
            ("lot_size", Value::Int64(2000)),
            ("aql", Value::Float64(0.65)),
            ("defects", Value::Int64(3)),
        ])
        .unwrap();
        assert_eq!(cell(&output, "code_letter"), "K");
        assert_eq!(cell(&output, "sample_size"), "125");
        assert_eq!(cell(&output, "accept"), "2");
        assert_eq!(cell(&output, "reject"), "3");
        assert_eq!(cell(&output, "decision"), "reject");
        assert!(output.findings.iter().any(|f| f.code == "lot-rejected"));
    }

    #[test]
    fn small_lot_is_inspected_in_full() {
        // Lot of 10 at level III is letter C; at AQL 0.010 the arrow leads to Q (n = 1250).
        let output = run(&[
            ("lot_size", Value::Int64(10)),
            ("inspection_level", Value::Text("III".into())),
            ("aql", Value::Float64(0.010)),
        ])
        .unwrap();
        assert_eq!(cell(&output, "sample_size"), "10");
        assert_eq!(cell(&output, "plan_letter"), "Q");
        let codes: Vec<&str> = output.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["arrow-followed", "hundred-percent-inspection"]);
        assert!(
            output
                .table("plan")
                .unwrap()
                .columns
                .iter()
                .all(|c| c.name != "decision")
        );
    }

    #[test]
    fn bad_params_name_the_param() {
        let ok = |extra: (&'static str, Value)| {
            let mut p = vec![
                ("lot_size", Value::Int64(500)),
                ("aql", Value::Float64(1.0)),
            ];
            p.retain(|(n, _)| *n != extra.0);
            p.push(extra);
            p
        };
        invalid_param(run(&ok(("lot_size", Value::Int64(0)))), "lot_size");
        invalid_param(run(&ok(("lot_size", Value::Int64(-5)))), "lot_size");
        invalid_param(run(&ok(("lot_size", Value::Float64(5.0)))), "lot_size");
        invalid_param(run(&[("aql", Value::Float64(1.0))]), "lot_size");
        invalid_param(run(&ok(("aql", Value::Float64(0.6)))), "aql");
        invalid_param(run(&ok(("aql", Value::Float64(f64::NAN)))), "aql");
        invalid_param(run(&ok(("aql", Value::Float64(f64::INFINITY)))), "aql");
        invalid_param(run(&[("lot_size", Value::Int64(500))]), "aql");
        invalid_param(
            run(&ok(("inspection_level", Value::Text("IV".into())))),
            "inspection_level",
        );
        invalid_param(
            run(&ok(("severity", Value::Text("strict".into())))),
            "severity",
        );
        invalid_param(run(&ok(("defects", Value::Int64(-1)))), "defects");
    }

    #[test]
    fn every_valid_param_combination_runs() {
        for lot in [2, 8, 9, 1200, 500_000, 500_001, i64::MAX] {
            for level in tables::LEVELS {
                for aql in tables::AQL_SERIES {
                    for severity in Severity::NAMES {
                        let output = run(&[
                            ("lot_size", Value::Int64(lot)),
                            ("inspection_level", Value::Text(level.into())),
                            ("aql", Value::Float64(aql)),
                            ("severity", Value::Text(severity.into())),
                            ("defects", Value::Int64(1)),
                        ]);
                        assert!(output.is_ok(), "{lot} {level} {aql} {severity}: {output:?}");
                    }
                }
            }
        }
    }
}
