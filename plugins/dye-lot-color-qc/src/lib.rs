//! Dye-lot colour QC: the CIEDE2000 colour difference of each production batch against the
//! approved standard, with pass/fail against a tolerance.
//!
//! The math is in [`color`], plain Rust; this file is the thin smelt layer over it.

pub mod color;
mod text;

use color::{Lab, Weights, ciede2000, cmc};
use smelt_sdk::prelude::*;

/// The smelt solution.
pub struct DyeLotColorQc;

/// Default tolerance ΔE00: a common commercial acceptance limit for solid shades.
const DEFAULT_TOLERANCE: f64 = 1.0;

/// The L*, a*, b* columns of a table, looked up once rather than per row.
struct LabColumns<'a> {
    table: TableRef<'a>,
    l: &'a [f64],
    a: &'a [f64],
    b: &'a [f64],
}

impl<'a> LabColumns<'a> {
    fn of(table: TableRef<'a>) -> Result<Self, SolutionError> {
        Ok(LabColumns {
            table,
            l: table.float64("L")?,
            a: table.float64("a")?,
            b: table.float64("b")?,
        })
    }

    fn get(&self, row: usize) -> Result<Lab, SolutionError> {
        let lab = Lab {
            l: self.table.finite("L", row, self.l[row])?,
            a: self.table.finite("a", row, self.a[row])?,
            b: self.table.finite("b", row, self.b[row])?,
        };
        if !(0.0..=100.0).contains(&lab.l) {
            return Err(self
                .table
                .invalid("L", row, format!("L* = {} is outside 0–100", lab.l)));
        }
        Ok(lab)
    }
}

impl Solution for DyeLotColorQc {
    fn describe() -> Descriptor {
        descriptor(env!("CARGO_PKG_VERSION"), 1.0)
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        run(input, 1.0)
    }
}

/// The descriptor of this solution as released at `version` with kL defaulting to
/// `default_kl`: shared with test builds of other releases (see `host/hostile`).
pub fn descriptor(version: &str, default_kl: f64) -> Descriptor {
    let mut standard =
        TableSpec::new("standard", "The approved standard shade (one row)").rows(1, Some(1));
    let mut batches = TableSpec::new("batches", "One row per production batch (dye lot) measured")
        .column(ColumnSpec::text("batch", "", "Batch or lot identifier"));
    for column in lab_columns_spec() {
        standard = standard.column(column.clone());
        batches = batches.column(column);
    }
    Descriptor::new(
        "dye-lot-color-qc",
        version,
        "CIEDE2000 colour difference of each dye lot against the standard, pass/fail by tolerance",
    )
    .input(standard)
    .input(batches)
    .param(
        ParamSpec::text(
            "formula",
            "",
            "Which difference judges pass/fail: `ciede2000` (ΔE00) or `cmc` (ΔE CMC(l:c))",
        )
        .default_text("ciede2000")
        .choices(&["ciede2000", "cmc"]),
    )
    .param(
        ParamSpec::float64(
            "tolerance",
            "ΔE",
            "Largest accepted colour difference, in the chosen formula's units",
        )
        .default_f64(DEFAULT_TOLERANCE)
        .range(0.01, 100.0),
    )
    .param(
        ParamSpec::float64(
            "kl",
            "",
            "CIEDE2000 lightness weight kL (textiles often use 2)",
        )
        .default_f64(default_kl)
        .range(0.1, 10.0),
    )
    .param(
        ParamSpec::float64(
            "cmc_l",
            "",
            "CMC lightness weight l (2 for acceptability, 1 for perceptibility)",
        )
        .default_f64(2.0)
        .range(0.1, 10.0),
    )
    .param(
        ParamSpec::float64("cmc_c", "", "CMC chroma weight c (usually 1)")
            .default_f64(1.0)
            .range(0.1, 10.0),
    )
    .output(
        TableSpec::new("results", "One row per batch, in input order")
            .column(ColumnSpec::text("batch", "", "Batch identifier"))
            .column(ColumnSpec::float64(
                "delta_e00",
                "ΔE00",
                "CIEDE2000 difference from the standard",
            ))
            .column(ColumnSpec::float64(
                "delta_e_cmc",
                "ΔE CMC",
                "CMC(l:c) difference from the standard",
            ))
            .column(ColumnSpec::boolean(
                "pass",
                "",
                "The chosen formula's difference is within the tolerance",
            )),
    )
    .metric(MetricSpec::new(
        "max_delta_e00",
        "ΔE00",
        "Worst batch by CIEDE2000",
    ))
    .metric(MetricSpec::new(
        "fail_count",
        "",
        "Batches outside the tolerance",
    ))
    .metric(MetricSpec::new(
        "max_delta_e_cmc",
        "ΔE CMC",
        "Worst batch by CMC(l:c)",
    ))
}

/// Runs the solution with kL defaulting to `default_kl` when the input gives none.
pub fn run(input: Input, default_kl: f64) -> Result<Output, SolutionError> {
    let tolerance = input
        .float64_param("tolerance")?
        .unwrap_or(DEFAULT_TOLERANCE);
    if tolerance.is_nan() || tolerance <= 0.0 {
        return Err(SolutionError::InvalidParam(format!(
            "param `tolerance`: {tolerance} must be > 0"
        )));
    }
    let kl = input.float64_param("kl")?.unwrap_or(default_kl);
    if kl.is_nan() || kl <= 0.0 {
        return Err(SolutionError::InvalidParam(format!(
            "param `kl`: {kl} must be > 0"
        )));
    }
    let weights = Weights {
        kl,
        ..Weights::default()
    };
    let use_cmc = match input.text_param("formula")?.unwrap_or("ciede2000") {
        "ciede2000" => false,
        "cmc" => true,
        other => {
            return Err(SolutionError::InvalidParam(format!(
                "param `formula`: `{other}` is not one of ciede2000, cmc"
            )));
        }
    };
    let positive = |name: &str, default: f64| -> Result<f64, SolutionError> {
        let value = input.float64_param(name)?.unwrap_or(default);
        if value.is_nan() || value <= 0.0 {
            return Err(SolutionError::InvalidParam(format!(
                "param `{name}`: {value} must be > 0"
            )));
        }
        Ok(value)
    };
    let (cmc_l, cmc_c) = (positive("cmc_l", 2.0)?, positive("cmc_c", 1.0)?);

    let standard_table = input.table("standard")?;
    if standard_table.rows()? != 1 {
        return Err(SolutionError::InvalidInput(format!(
            "table `standard`: needs exactly 1 row, has {}",
            standard_table.rows()?
        )));
    }
    let standard = LabColumns::of(standard_table)?.get(0)?;

    let batches = input.table("batches")?;
    let rows = batches.rows_at_least(1)?;
    let names = batches.text("batch")?;
    let lab = LabColumns::of(batches)?;
    let mut output = Output::new();
    let mut delta = Vec::with_capacity(rows);
    let mut delta_cmc = Vec::with_capacity(rows);
    let mut pass = Vec::with_capacity(rows);
    let label = if use_cmc {
        format!("ΔE CMC({cmc_l}:{cmc_c})")
    } else {
        "ΔE00".to_owned()
    };
    // A failing batch's message is `batch {name}: {label} {de:.2} exceeds tolerance {tolerance}`;
    // the parts around the name and the number are the same for every batch: formatted once.
    let after_name = format!(": {label} ");
    let exceeds = format!(" exceeds tolerance {tolerance}");
    let mut number = String::new();
    for (row, name) in names.iter().enumerate().take(rows) {
        let batch = lab.get(row)?;
        let de00 = ciede2000(standard, batch, weights);
        let de_cmc = cmc(standard, batch, cmc_l, cmc_c);
        let de = if use_cmc { de_cmc } else { de00 };
        let ok = de <= tolerance;
        if !ok {
            number.clear();
            text::push_two_decimals(&mut number, de);
            let message = ["batch ", name, &after_name, &number, &exceeds].concat();
            output.push_finding(Finding::warning("out-of-tolerance", message).at("batches", row));
        }
        delta.push(de00);
        delta_cmc.push(de_cmc);
        pass.push(ok);
    }
    let max = delta.iter().copied().fold(0.0, smelt_sdk::math::max);
    let max_cmc = delta_cmc.iter().copied().fold(0.0, smelt_sdk::math::max);
    let fails = pass.iter().filter(|&&p| !p).count();
    Ok(output
        .with_table(
            TableBuilder::new("results")
                .text_column("batch", names.clone())
                .float64("delta_e00", delta)
                .float64("delta_e_cmc", delta_cmc)
                .boolean("pass", pass)
                .build(),
        )
        .with_metric("max_delta_e00", max, "ΔE00")
        .with_metric("fail_count", fails as f64, "")
        .with_metric("max_delta_e_cmc", max_cmc, "ΔE CMC"))
}

fn lab_columns_spec() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::float64("L", "", "CIELAB lightness L* (0–100)"),
        ColumnSpec::float64("a", "", "CIELAB a* (green − / red +)"),
        ColumnSpec::float64("b", "", "CIELAB b* (blue − / yellow +)"),
    ]
}

// Without the `export` feature the crate is a library only, so another component (a test
// build of a later release) can reuse the descriptor and the math without a symbol clash.
#[cfg(all(target_arch = "wasm32", feature = "export"))]
smelt_sdk::export_solution!(DyeLotColorQc);
