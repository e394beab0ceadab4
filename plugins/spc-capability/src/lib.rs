//! SPC capability: Shewhart X̄-R or X̄-S control limits from subgrouped measurements, Western
//! Electric or Nelson run-rule violations, and the capability indices Cp, Cpk (σ within) and
//! Pp, Ppk (overall σ) against the specification limits.
//!
//! The math is in [`chart`] and [`constants`], plain Rust; this file is the thin smelt layer.

pub mod chart;
pub mod constants;

use chart::{
    ChartKind, RuleSet, SubgroupStats, capability, control_limits, overall, run_rules,
    subgroup_stats,
};
use smelt_sdk::hash::{Name, NameMap, same};
use smelt_sdk::prelude::*;

/// The smelt solution.
pub struct SpcCapability;

const TABLE: &str = "measurements";
/// Findings past this many are summarised: the `points` table lists every violation anyway,
/// and a long out-of-control history would otherwise flood the output.
const MAX_RULE_FINDINGS: usize = 200;
/// Fewer subgroups than this give unreliable trial limits (Montgomery recommends 20 to 25).
const FEW_SUBGROUPS: usize = 20;

fn param_error(name: &str, problem: impl std::fmt::Display) -> SolutionError {
    SolutionError::InvalidParam(format!("param `{name}`: {problem}"))
}

impl Solution for SpcCapability {
    fn describe() -> Descriptor {
        let measurements = TableSpec::new(
            TABLE,
            "One row per measured part, in production order; rows with the same subgroup id \
             form a rational subgroup (e.g. 5 consecutive parts)",
        )
        .rows(4, None)
        .column(ColumnSpec::text(
            "subgroup",
            "",
            "Subgroup id (sample number, time or lot); charted in order of first appearance",
        ))
        .column(ColumnSpec::float64(
            "value",
            "mm",
            "Measured value of the quality characteristic (mm, or the `unit` param's unit)",
        ));
        let points = TableSpec::new("points", "One row per subgroup: the plotted points")
            .column(ColumnSpec::text("subgroup", "", "Subgroup id"))
            .column(ColumnSpec::int64(
                "first_row",
                "",
                "Zero-based row of its first value",
            ))
            .column(ColumnSpec::int64("n", "", "Subgroup size"))
            .column(ColumnSpec::float64(
                "mean",
                "mm",
                "Subgroup mean x̄ (X̄ chart point)",
            ))
            .column(ColumnSpec::float64(
                "range",
                "mm",
                "Subgroup range R (R chart point)",
            ))
            .column(ColumnSpec::float64(
                "stdev",
                "mm",
                "Subgroup standard deviation s",
            ))
            .column(ColumnSpec::text(
                "xbar_rules",
                "",
                "Run rules this point completes on the X̄ chart, e.g. `1,5`; empty when none",
            ))
            .column(ColumnSpec::boolean(
                "dispersion_out",
                "",
                "R (or S) beyond its limits",
            ));
        let limits = TableSpec::new("limits", "Control limits: one row per chart")
            .rows(2, Some(2))
            .column(ColumnSpec::text("chart", "", "xbar, r or s"))
            .column(ColumnSpec::float64("lcl", "mm", "Lower control limit"))
            .column(ColumnSpec::float64("cl", "mm", "Centre line"))
            .column(ColumnSpec::float64("ucl", "mm", "Upper control limit"));
        let chart = ParamSpec::text(
            "chart",
            "",
            "xbar-r: X̄ and R charts, σ within = R̄/d2; xbar-s: X̄ and S charts, σ within = \
             s̄/c4 (better for subgroups above 10)",
        )
        .default_text("xbar-r")
        .choices(&["xbar-r", "xbar-s"]);
        let rules = ParamSpec::text(
            "rules",
            "",
            "Run rules on the X̄ chart: western-electric (rules 1–4) or nelson (tests 1–8); \
             rule 1 on the R/S chart",
        )
        .default_text("western-electric")
        .choices(&["western-electric", "nelson"]);
        let limit = |name: &str, what: &str| {
            ParamSpec::float64(name, "mm", what)
                .optional()
                .range(-1e300, 1e300)
        };
        let unit = ParamSpec::text(
            "unit",
            "",
            "Unit of the values, to label outputs (mm, µm, V, Ω …)",
        )
        .default_text("mm");
        let metrics = [
            ("grand_mean", "mm", "Grand mean x̿ (X̄ chart centre line)"),
            ("r_bar", "mm", "Mean subgroup range R̄"),
            ("s_bar", "mm", "Mean subgroup standard deviation s̄"),
            (
                "sigma_within",
                "mm",
                "σ within subgroups: R̄/d2 (X̄-R) or s̄/c4 (X̄-S)",
            ),
            (
                "sigma_overall",
                "mm",
                "Sample standard deviation of all values",
            ),
            ("cp", "", "(USL − LSL) / 6σ within; needs both limits"),
            (
                "cpk",
                "",
                "min(USL − x̿, x̿ − LSL) / 3σ within, or the one given side",
            ),
            ("pp", "", "(USL − LSL) / 6σ overall; needs both limits"),
            (
                "ppk",
                "",
                "min(USL − x̄, x̄ − LSL) / 3σ overall, or the one given side",
            ),
            (
                "out_of_control_subgroups",
                "",
                "Subgroups breaking a rule on either chart",
            ),
        ];
        let descriptor = Descriptor::new(
            "spc-capability",
            env!("CARGO_PKG_VERSION"),
            "X̄-R / X̄-S control limits, Western Electric or Nelson rule violations, Cp, Cpk, Pp, Ppk",
        )
        .input(measurements)
        .param(chart)
        .param(limit("lsl", "Lower specification limit"))
        .param(limit("usl", "Upper specification limit"))
        .param(rules)
        .param(unit)
        .output(points)
        .output(limits);
        metrics
            .into_iter()
            .fold(descriptor, |d, (name, unit, what)| {
                d.metric(MetricSpec::new(name, unit, what))
            })
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        let params = Params::read(&input)?;
        let table = input.table(TABLE)?;
        table.rows_at_least(4)?;
        let ids = table.text("subgroup")?;
        let values = table.float64("value")?;
        for (row, &v) in values.iter().enumerate() {
            table.finite("value", row, v)?;
        }
        let groups = group_rows(ids);
        let constants = check_sizes(table, ids, &groups)?;
        let n = constants.n;

        let mut buffer = Vec::with_capacity(n);
        let stats: Vec<SubgroupStats> = groups
            .iter()
            .map(|g| {
                buffer.clear();
                buffer.extend(g.rows.iter().map(|&r| values[r]));
                subgroup_stats(&buffer)
            })
            .collect();
        let charts = control_limits(params.kind, &constants, &stats);
        let (mean_all, sigma_overall) = overall(values);
        let derived = [
            charts.xbar.lcl,
            charts.xbar.ucl,
            charts.dispersion.ucl,
            sigma_overall,
        ];
        if derived.iter().any(|v| !v.is_finite()) {
            return Err(SolutionError::InvalidInput(format!(
                "table `{TABLE}`, column `value`: magnitudes too large, the sums overflow"
            )));
        }

        let mut findings = Findings::default();
        if groups.len() < FEW_SUBGROUPS {
            findings.output.push_finding(Finding::info(
                "few-subgroups",
                format!(
                    "{} subgroups: limits from fewer than {FEW_SUBGROUPS} subgroups are rough",
                    groups.len()
                ),
            ));
        }
        let name = |i: usize| &ids[groups[i].rows[0]];
        let unit = params.unit.as_str();

        // X̄ chart run rules; σ of x̄ is a third of the distance from centre line to limit.
        let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
        let sigma_xbar = (charts.xbar.ucl - charts.xbar.cl) / 3.0;
        let violations = if sigma_xbar > 0.0 {
            run_rules(&means, charts.xbar.cl, sigma_xbar, params.rules)
        } else {
            Vec::new()
        };
        let mut point_rules: Vec<Vec<u8>> = vec![Vec::new(); groups.len()];
        for v in &violations {
            point_rules[v.end].push(v.rule);
            let span = if v.start == v.end {
                format!("subgroup `{}`", name(v.end))
            } else {
                format!("subgroups `{}` to `{}`", name(v.start), name(v.end))
            };
            let x = charts.xbar;
            findings.push(
                format!("{}-{}", params.rules.name(), v.rule),
                || {
                    format!(
                        "X̄ chart, {span}: {} (x̄ = {:.6} {unit}; LCL {:.6}, CL {:.6}, UCL {:.6})",
                        params.rules.describe(v.rule),
                        means[v.end],
                        x.lcl,
                        x.cl,
                        x.ucl
                    )
                },
                groups[v.end].rows[0],
            );
        }

        // The R or S chart: points beyond its limits.
        let (dispersion_name, dispersion_points): (&str, Vec<f64>) = match params.kind {
            ChartKind::XbarR => ("r", stats.iter().map(|s| s.range).collect()),
            ChartKind::XbarS => ("s", stats.iter().map(|s| s.stdev).collect()),
        };
        let d = charts.dispersion;
        let dispersion_out: Vec<bool> = dispersion_points
            .iter()
            .map(|&p| p > d.ucl || p < d.lcl)
            .collect();
        for (i, _) in dispersion_out.iter().enumerate().filter(|(_, out)| **out) {
            findings.push(
                format!("{dispersion_name}-chart-beyond-limits"),
                || {
                    format!(
                        "{} chart, subgroup `{}`: {:.6} {unit} is outside {:.6} … {:.6}",
                        dispersion_name.to_uppercase(),
                        name(i),
                        dispersion_points[i],
                        d.lcl,
                        d.ucl
                    )
                },
                groups[i].rows[0],
            );
        }
        let out_of_control = point_rules
            .iter()
            .zip(&dispersion_out)
            .filter(|(r, d)| !r.is_empty() || **d)
            .count();
        let mut output = findings.finish();

        let mut xbar_rules = TextColumn::with_capacity(groups.len(), 0);
        for rules in &point_rules {
            // Most subgroups break no rule: no string to build for them.
            if rules.is_empty() {
                xbar_rules.push("");
            } else {
                xbar_rules.push(&rule_list(rules));
            }
        }
        let points = TableBuilder::new("points")
            .text("subgroup", (0..groups.len()).map(name))
            .int64(
                "first_row",
                groups.iter().map(|g| g.rows[0] as i64).collect(),
            )
            .int64("n", vec![n as i64; groups.len()])
            .float64("mean", means)
            .float64("range", stats.iter().map(|s| s.range).collect())
            .float64("stdev", stats.iter().map(|s| s.stdev).collect())
            .text_column("xbar_rules", xbar_rules)
            .boolean("dispersion_out", dispersion_out)
            .build();
        let limits = TableBuilder::new("limits")
            .text("chart", ["xbar", dispersion_name])
            .float64("lcl", vec![charts.xbar.lcl, d.lcl])
            .float64("cl", vec![charts.xbar.cl, d.cl])
            .float64("ucl", vec![charts.xbar.ucl, d.ucl])
            .build();
        output = output
            .with_table(points)
            .with_table(limits)
            .with_metric("grand_mean", charts.xbar.cl, unit)
            .with_metric("r_bar", charts.r_bar, unit)
            .with_metric("s_bar", charts.s_bar, unit)
            .with_metric("sigma_within", charts.sigma_within, unit)
            .with_metric("sigma_overall", sigma_overall, unit);

        let (lsl, usl) = (params.lsl, params.usl);
        if lsl.is_none() && usl.is_none() {
            output.push_finding(Finding::info(
                "no-specification",
                "give lsl and/or usl for Cp, Cpk, Pp, Ppk",
            ));
        } else if charts.sigma_within > 0.0 && sigma_overall > 0.0 {
            if out_of_control > 0 {
                output.push_finding(Finding::warning(
                    "capability-of-unstable-process",
                    format!(
                        "{out_of_control} subgroup(s) out of control: Cp and Cpk assume a stable \
                         process; find and remove the special causes first"
                    ),
                ));
            }
            let within = capability(charts.xbar.cl, charts.sigma_within, lsl, usl);
            let overall = capability(mean_all, sigma_overall, lsl, usl);
            let indices = [
                ("cp", within.cp),
                ("cpk", within.cpk),
                ("pp", overall.cp),
                ("ppk", overall.cpk),
            ];
            for (name, value) in indices {
                if let Some(value) = value.filter(|v| v.is_finite()) {
                    output = output.with_metric(name, value, "");
                }
            }
            if within.cp.is_none() {
                output.push_finding(Finding::info(
                    "one-sided-specification",
                    "Cp and Pp need both lsl and usl; Cpk and Ppk use the given limit",
                ));
            }
        } else {
            output.push_finding(Finding::warning(
                "no-variation",
                "the values do not vary (σ = 0): capability is undefined; check the gauge resolution",
            ));
        }
        Ok(output.with_metric("out_of_control_subgroups", out_of_control as f64, ""))
    }
}

/// The params, checked.
struct Params {
    kind: ChartKind,
    rules: RuleSet,
    unit: String,
    lsl: Option<f64>,
    usl: Option<f64>,
}

impl Params {
    fn read(input: &Input) -> Result<Params, SolutionError> {
        let kind = match input.text_param("chart")?.unwrap_or("xbar-r") {
            "xbar-r" => ChartKind::XbarR,
            "xbar-s" => ChartKind::XbarS,
            other => {
                return Err(param_error(
                    "chart",
                    format!("`{other}` is not xbar-r or xbar-s"),
                ));
            }
        };
        let rules = match input.text_param("rules")?.unwrap_or("western-electric") {
            "western-electric" => RuleSet::WesternElectric,
            "nelson" => RuleSet::Nelson,
            other => {
                let problem = format!("`{other}` is not western-electric or nelson");
                return Err(param_error("rules", problem));
            }
        };
        let unit = input.text_param("unit")?.unwrap_or("mm").to_owned();
        let lsl = input.float64_param("lsl")?;
        let usl = input.float64_param("usl")?;
        if let (Some(l), Some(u)) = (lsl, usl)
            && l >= u
        {
            return Err(param_error("usl", format!("{u} must be above lsl {l}")));
        }
        Ok(Params {
            kind,
            rules,
            unit,
            lsl,
            usl,
        })
    }
}

/// The constants for the subgroups' common size, or `invalid-input` naming the first subgroup
/// that is alone, of another size, or of a size outside the table.
fn check_sizes(
    table: TableRef<'_>,
    ids: &TextColumn,
    groups: &[Group],
) -> Result<constants::Constants, SolutionError> {
    if groups.len() < 2 {
        return Err(SolutionError::InvalidInput(format!(
            "table `{TABLE}`, column `subgroup`: needs at least 2 subgroups, has {}",
            groups.len()
        )));
    }
    let first = groups[0].rows[0];
    let n = groups[0].rows.len();
    let constants = constants::for_size(n).ok_or_else(|| {
        let (min, max) = (constants::MIN_N, constants::MAX_N);
        let problem = format!(
            "subgroup `{}` has {n} value(s); the chart constants cover subgroups of {min} to {max}",
            &ids[first]
        );
        table.invalid("subgroup", first, problem)
    })?;
    if let Some(g) = groups.iter().find(|g| g.rows.len() != n) {
        let row = g.rows[0];
        let problem = format!(
            "subgroup `{}` has {} values but subgroup `{}` has {n}: subgroups must be of equal size",
            &ids[row],
            g.rows.len(),
            &ids[first]
        );
        return Err(table.invalid("subgroup", row, problem));
    }
    Ok(constants)
}

/// Rule findings, capped at [`MAX_RULE_FINDINGS`] with a summary past the cap.
#[derive(Default)]
struct Findings {
    output: Output,
    count: usize,
}

impl Findings {
    /// A warning at the first row of a subgroup; the message is built only under the cap.
    fn push(&mut self, code: String, message: impl FnOnce() -> String, row: usize) {
        self.count += 1;
        if self.count <= MAX_RULE_FINDINGS {
            self.output
                .push_finding(Finding::warning(code, message()).at(TABLE, row));
        }
    }

    fn finish(mut self) -> Output {
        if self.count > MAX_RULE_FINDINGS {
            self.output.push_finding(Finding::info(
                "findings-truncated",
                format!(
                    "{} rule violations, the first {MAX_RULE_FINDINGS} reported; the `points` \
                     table lists all",
                    self.count
                ),
            ));
        }
        self.output
    }
}

/// Rule numbers as `1,5`.
fn rule_list(rules: &[u8]) -> String {
    rules
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A subgroup: the rows that share an id, in input order.
struct Group {
    rows: Vec<usize>,
}

/// Groups rows by subgroup id, subgroups in order of first appearance.
fn group_rows(ids: &TextColumn) -> Vec<Group> {
    let mut index: NameMap<Name<'_>, usize> = NameMap::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut previous: Option<(&str, usize)> = None;
    for (row, id) in ids.iter().enumerate() {
        // Subgroups are nearly always contiguous: look an id up only when it changes.
        let g = match previous {
            Some((last, g)) if same(last, id) => g,
            _ => {
                let next = groups.len();
                let g = *index.entry(Name(id)).or_insert(next);
                if g == next {
                    // Subgroups are nearly always of one size: room for the last one's.
                    let size = groups.last().map_or(1, |last: &Group| last.rows.len());
                    groups.push(Group {
                        rows: Vec::with_capacity(size),
                    });
                }
                previous = Some((id, g));
                g
            }
        };
        groups[g].rows.push(row);
    }
    groups
}

#[cfg(target_arch = "wasm32")]
smelt_sdk::export_solution!(SpcCapability);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::tests::PISTON_RINGS;

    fn piston_input() -> Input {
        let mut ids = Vec::new();
        let mut values = Vec::new();
        for (i, group) in PISTON_RINGS.iter().enumerate() {
            for &v in group {
                ids.push((i + 1).to_string());
                values.push(v);
            }
        }
        Input::new().with_table(
            TableBuilder::new(TABLE)
                .text("subgroup", ids)
                .float64("value", values)
                .build(),
        )
    }

    fn message(result: Result<Output, SolutionError>) -> String {
        match result {
            Err(SolutionError::InvalidInput(m)) | Err(SolutionError::InvalidParam(m)) => m,
            other => panic!("expected an input or param error, got {other:?}"),
        }
    }

    fn limits(output: &Output) -> Vec<f64> {
        let table = output.table("limits").unwrap();
        let mut out = Vec::new();
        for name in ["lcl", "cl", "ucl"] {
            match &table
                .columns
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .values
            {
                ColumnValues::Float64(v) => out.extend(v),
                other => panic!("{other:?}"),
            }
        }
        out // [xbar lcl, dispersion lcl, xbar cl, dispersion cl, xbar ucl, dispersion ucl]
    }

    /// Montgomery, Introduction to Statistical Quality Control (6th ed.), ch. 6, piston rings
    /// (Table 6.3), through the SDK layer: X̄ chart 73.988 … 74.014 around 74.001, R̄ = 0.023,
    /// R chart UCL 0.049; with specifications 74.000 ± 0.05 mm, Cp = 1.68 (book rounding).
    #[test]
    fn piston_rings_xbar_r() {
        let input = piston_input()
            .with_param("lsl", Value::Float64(73.95))
            .with_param("usl", Value::Float64(74.05));
        let output = SpcCapability::run(input).unwrap();
        let l = limits(&output);
        assert!(
            (l[0] - 73.988).abs() < 1e-3 && (l[4] - 74.014).abs() < 1e-3,
            "{l:?}"
        );
        assert!((l[2] - 74.001).abs() < 5e-4 && (l[3] - 0.023).abs() < 5e-4);
        assert!((l[5] - 0.049).abs() < 1e-3 && l[1] == 0.0);
        assert!((output.metric("cp").unwrap() - 1.68).abs() < 0.02);
        assert!(
            output.metric("cpk").is_some()
                && output.metric("pp").is_some()
                && output.metric("ppk").is_some()
        );
        assert_eq!(output.metric("out_of_control_subgroups"), Some(0.0));
        assert!(
            output
                .findings
                .iter()
                .all(|f| f.severity != Severity::Warning),
            "{:?}",
            output.findings
        );
    }

    /// Same data, X̄-S (Montgomery ch. 6): s̄ = 0.0094, S chart UCL 0.0196, X̄ limits unchanged.
    #[test]
    fn piston_rings_xbar_s() {
        let input = piston_input().with_param("chart", Value::Text("xbar-s".into()));
        let output = SpcCapability::run(input).unwrap();
        let l = limits(&output);
        assert!((l[0] - 73.988).abs() < 1e-3 && (l[4] - 74.014).abs() < 1e-3);
        assert!(
            (l[3] - 0.0094).abs() < 5e-5 && (l[5] - 0.0196).abs() < 1e-4,
            "{l:?}"
        );
        assert!(output.findings.iter().any(|f| f.code == "no-specification"));
    }

    #[test]
    fn a_shifted_subgroup_is_flagged_with_its_row() {
        let mut input = piston_input();
        if let ColumnValues::Float64(v) = &mut input.tables[0].columns[1].values {
            // Subgroup 13 (rows 60..65) moved up by 0.05 mm: far beyond the X̄ UCL.
            for x in &mut v[60..65] {
                *x += 0.05;
            }
        }
        let output = SpcCapability::run(input).unwrap();
        let f = output
            .findings
            .iter()
            .find(|f| f.code == "western-electric-1")
            .unwrap();
        assert_eq!((f.table.as_deref(), f.row), (Some(TABLE), Some(60)));
        assert!(f.message.contains("subgroup `13`"), "{}", f.message);
    }

    #[test]
    fn bad_data_is_named() {
        let table = |ids: Vec<&str>, values: Vec<f64>| {
            Input::new().with_table(
                TableBuilder::new(TABLE)
                    .text("subgroup", ids)
                    .float64("value", values)
                    .build(),
            )
        };
        let run = SpcCapability::run;
        assert!(message(run(table(vec![], vec![]))).contains("at least 4 row"));
        let m = message(run(table(
            vec!["1", "1", "2", "2"],
            vec![1.0, f64::NAN, 1.0, 2.0],
        )));
        assert!(m.contains("column `value`, row 1"), "{m}");
        let m = message(run(table(
            vec!["1", "1", "2", "2"],
            vec![1.0, 2.0, f64::INFINITY, 2.0],
        )));
        assert!(m.contains("row 2"), "{m}");
        let m = message(run(table(vec!["1", "1", "2"], vec![1.0, 2.0, 3.0, 4.0])));
        assert!(
            m.contains("has 3 values but column `value` has 4") || m.contains("column"),
            "{m}"
        );
        let m = message(run(table(
            vec!["1", "1", "1", "1"],
            vec![1.0, 2.0, 3.0, 4.0],
        )));
        assert!(m.contains("at least 2 subgroups"), "{m}");
        let m = message(run(table(
            vec!["a", "b", "c", "d"],
            vec![1.0, 2.0, 3.0, 4.0],
        )));
        assert!(m.contains("subgroup `a` has 1 value"), "{m}");
        let m = message(run(table(
            vec!["a", "a", "b", "b", "b"],
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
        )));
        assert!(
            m.contains("row 2") && m.contains("subgroup `b` has 3 values"),
            "{m}"
        );
        let big: Vec<&str> = std::iter::repeat_n("x", 26)
            .chain(std::iter::repeat_n("y", 26))
            .collect();
        let m = message(run(table(big, vec![1.0; 52])));
        assert!(m.contains("subgroups of 2 to 25"), "{m}");
        let m = message(run(Input::new()));
        assert!(m.contains("missing table `measurements`"), "{m}");
        let wrong_type = Input::new().with_table(
            TableBuilder::new(TABLE)
                .int64("subgroup", vec![1, 1, 2, 2])
                .float64("value", vec![1.0; 4])
                .build(),
        );
        assert!(message(run(wrong_type)).contains("column `subgroup`: expected text"));
        let params = |name: &str, value: Value| piston_input().with_param(name, value);
        assert!(message(run(params("chart", Value::Text("p".into())))).contains("`chart`"));
        assert!(message(run(params("rules", Value::Text("x".into())))).contains("`rules`"));
        assert!(message(run(params("lsl", Value::Float64(f64::NAN)))).contains("`lsl`"));
        let crossed = piston_input()
            .with_param("lsl", Value::Float64(74.1))
            .with_param("usl", Value::Float64(74.0));
        assert!(message(run(crossed)).contains("`usl`"));
    }

    #[test]
    fn constant_values_do_not_divide_by_zero() {
        let input = Input::new()
            .with_table(
                TableBuilder::new(TABLE)
                    .text("subgroup", ["1", "1", "2", "2"])
                    .float64("value", vec![5.0; 4])
                    .build(),
            )
            .with_param("usl", Value::Float64(6.0));
        let output = SpcCapability::run(input).unwrap();
        assert!(output.findings.iter().any(|f| f.code == "no-variation"));
        assert_eq!(output.metric("cpk"), None);
        assert!(output.metrics.iter().all(|m| m.value.is_finite()));
    }

    #[test]
    fn huge_values_stay_finite_or_error() {
        // Values near f64::MAX overflow sums: an input error, not NaN metrics or a trap.
        let input = Input::new().with_table(
            TableBuilder::new(TABLE)
                .text("subgroup", ["1", "1", "2", "2"])
                .float64("value", vec![f64::MAX, -f64::MAX, f64::MAX, f64::MAX])
                .build(),
        );
        assert!(message(SpcCapability::run(input)).contains("overflow"));
    }
}
