//! Four-point fabric inspection (ASTM D5430, point assignment option A): defect sizes → penalty
//! points per roll (at most 4 per linear yard or metre), points per 100 sq yd and per 100 m²,
//! and first/second quality by a threshold.
//!
//! The math is in [`points`], plain Rust; this file is the thin smelt layer over it.

pub mod points;

use points::{Defect, DefectKind, Units, per_100_m2, per_100_sq_yd, score_roll};
use smelt_sdk::hash::{Name, NameMap};
use smelt_sdk::prelude::*;

/// The smelt solution.
pub struct FabricFourPoint;

/// Default acceptance level: 40 points per 100 square yards is the level most buyers quote for
/// first quality.
const DEFAULT_THRESHOLD: f64 = 40.0;

/// Most rolls per call: a large shipment inspected in one go.
const MAX_ROLLS: u32 = 10_000;

/// Most defect rows per call: 20 per roll for the largest shipment.
const MAX_DEFECTS: u32 = 200_000;

/// Longest roll accepted (yd or m); real rolls are tens to a few hundred long, so a longer one is
/// a typing error.
const MAX_LENGTH: f64 = 100_000.0;

/// Widest fabric accepted (in or cm); the widest looms weave about 5 m.
const MAX_WIDTH: f64 = 1_000.0;

// Checked for every roll and every defect: inline, with the message built out of line (a call
// returning a `Result` goes through wasm's shadow stack in the sandbox).
#[inline]
fn positive(
    table: TableRef<'_>,
    column: &str,
    row: usize,
    value: f64,
    max: f64,
) -> Result<f64, SolutionError> {
    let value = table.finite(column, row, value)?;
    if !(value > 0.0 && value <= max) {
        return Err(not_positive(table, column, row, value, max));
    }
    Ok(value)
}

#[cold]
#[inline(never)]
fn not_positive(
    table: TableRef<'_>,
    column: &str,
    row: usize,
    value: f64,
    max: f64,
) -> SolutionError {
    table.invalid(column, row, format!("{value} must be > 0 and <= {max}"))
}

struct Rolls<'a> {
    names: &'a TextColumn,
    length: Vec<f64>,
    width: Vec<f64>,
}

fn read_rolls(input: &Input) -> Result<Rolls<'_>, SolutionError> {
    let table = input.table("rolls")?;
    let rows = table.rows_at_least(1)?;
    if rows > MAX_ROLLS as usize {
        return Err(SolutionError::InvalidInput(format!(
            "table `rolls`: {rows} rows, at most {MAX_ROLLS} per call"
        )));
    }
    let names = table.text("roll")?;
    let lengths = table.float64("length")?;
    let widths = table.float64("width")?;
    let mut seen = NameMap::with_capacity_and_hasher(rows, Default::default());
    let mut rolls = Rolls {
        names,
        length: Vec::with_capacity(rows),
        width: Vec::with_capacity(rows),
    };
    for row in 0..rows {
        if names[row].trim().is_empty() {
            return Err(table.invalid("roll", row, "empty roll id"));
        }
        if let Some(first) = seen.insert(Name(&names[row]), row) {
            return Err(table.invalid(
                "roll",
                row,
                format!("roll `{}` is already on row {first}", &names[row]),
            ));
        }
        rolls
            .length
            .push(positive(table, "length", row, lengths[row], MAX_LENGTH)?);
        rolls
            .width
            .push(positive(table, "width", row, widths[row], MAX_WIDTH)?);
    }
    Ok(rolls)
}

/// The defects of each roll, with their input rows.
type ByRoll = Vec<Vec<(usize, Defect)>>;

fn read_defects(
    input: &Input,
    rolls: &Rolls<'_>,
    units: Units,
) -> Result<(ByRoll, usize), SolutionError> {
    let table = input.table("defects")?;
    let rows = table.rows()?;
    if rows > MAX_DEFECTS as usize {
        return Err(SolutionError::InvalidInput(format!(
            "table `defects`: {rows} rows, at most {MAX_DEFECTS} per call"
        )));
    }
    let index: NameMap<Name<'_>, usize> = rolls
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| (Name(name), i))
        .collect();
    // Room for each roll's share of the defects up front: growing a vector in a component
    // copies it, and a roll's list would otherwise grow several times.
    let share = rows / rolls.names.len().max(1);
    let mut by_roll: ByRoll = (0..rolls.names.len())
        .map(|_| Vec::with_capacity(share))
        .collect();
    if rows == 0 {
        return Ok((by_roll, 0));
    }
    let names = table.text("roll")?;
    let positions = table.float64("position")?;
    let sizes = table.float64("size")?;
    let kinds = table.text("kind")?;
    for row in 0..rows {
        let Some(&roll) = index.get(&Name(&names[row])) else {
            return Err(table.invalid(
                "roll",
                row,
                format!("roll `{}` is not in table `rolls`", &names[row]),
            ));
        };
        let kind: DefectKind = kinds[row]
            .parse()
            .map_err(|e: String| table.invalid("kind", row, e))?;
        let length = rolls.length[roll];
        let position = table.finite("position", row, positions[row])?;
        if !(0.0..=length).contains(&position) {
            return Err(table.invalid(
                "position",
                row,
                format!(
                    "{position} {} is off roll `{}`, which is {length} {} long",
                    units.length_unit(),
                    &names[row],
                    units.length_unit()
                ),
            ));
        }
        let size = positive(
            table,
            "size",
            row,
            sizes[row],
            MAX_LENGTH * units.sizes_per_length(),
        )?;
        if kind == DefectKind::Continuous {
            let end = position + size / units.sizes_per_length();
            // Allow for rounding of the recorded size.
            if end > length * (1.0 + 1e-9) {
                return Err(table.invalid(
                    "size",
                    row,
                    format!(
                        "a running defect of {size} {} from {position} {} ends past the roll end at {length} {}",
                        units.size_unit(),
                        units.length_unit(),
                        units.length_unit()
                    ),
                ));
            }
        }
        by_roll[roll].push((
            row,
            Defect {
                position,
                size,
                kind,
            },
        ));
    }
    Ok((by_roll, rows))
}

impl Solution for FabricFourPoint {
    fn describe() -> Descriptor {
        Descriptor::new(
            "fabric-four-point",
            env!("CARGO_PKG_VERSION"),
            "Four-point fabric inspection (ASTM D5430 option A): points per roll, per 100 sq yd and per 100 m², first/second quality by a threshold",
        )
        .input(
            TableSpec::new("rolls", "One row per inspected roll (piece)")
                .rows(1, Some(MAX_ROLLS))
                .column(ColumnSpec::text("roll", "", "Roll or piece number, unique"))
                .column(ColumnSpec::float64(
                    "length",
                    "yd|m",
                    "Inspected length: yards (units = imperial) or metres (units = metric)",
                ))
                .column(ColumnSpec::float64(
                    "width",
                    "in|cm",
                    "Cuttable width, selvedge excluded: inches (imperial) or centimetres (metric)",
                )),
        )
        .input(
            TableSpec::new("defects", "One row per defect found; may be empty")
                .rows(0, Some(MAX_DEFECTS))
                .column(ColumnSpec::text("roll", "", "The roll it was found on (as in `rolls`)"))
                .column(ColumnSpec::float64(
                    "position",
                    "yd|m",
                    "Where it starts, from the start of the roll (the inspection machine's length counter)",
                ))
                .column(ColumnSpec::float64(
                    "size",
                    "in|cm",
                    "Defect: its length in either direction; hole: its largest dimension; continuous: how far it runs along the roll",
                ))
                .column(ColumnSpec::text(
                    "kind",
                    "",
                    "`defect` (1-4 points by length), `hole` (2 or 4 points), `continuous` (4 points per linear yard or metre it runs through)",
                )),
        )
        .param(
            ParamSpec::text("units", "", "imperial: yd and in, cap per linear yard; metric: m and cm, cap per linear metre")
                .default_text("imperial")
                .choices(&["imperial", "metric"]),
        )
        .param(
            ParamSpec::float64(
                "threshold",
                "points/100 sq yd|points/100 m²",
                "Most points per 100 sq yd (imperial) or per 100 m² (metric) for first quality",
            )
            .default_f64(DEFAULT_THRESHOLD)
            .range(0.0, 10_000.0),
        )
        .output(
            TableSpec::new("rolls", "One row per roll, in input order")
                .rows(1, Some(MAX_ROLLS))
                .column(ColumnSpec::text("roll", "", "Roll number"))
                .column(ColumnSpec::int64("defects", "", "Defects recorded"))
                .column(ColumnSpec::int64("points", "points", "Penalty points counted, at most 4 per linear yard (metre)"))
                .column(ColumnSpec::int64("removed_by_cap", "points", "Points not counted because of the 4-per-yard (metre) cap"))
                .column(ColumnSpec::float64("points_per_100_sq_yd", "points/100 sq yd", "points × 3600 / (yd × in)"))
                .column(ColumnSpec::float64("points_per_100_m2", "points/100 m²", "points × 100000 / (m × mm)"))
                .column(ColumnSpec::text("grade", "", "`first` when within the threshold, else `second`"))
                .column(ColumnSpec::boolean("pass", "", "Within the threshold")),
        )
        .output(
            TableSpec::new("defect_points", "One row per defect, in input order")
                .rows(0, Some(MAX_DEFECTS))
                .column(ColumnSpec::text("roll", "", "Roll number"))
                .column(ColumnSpec::int64("segment", "", "The linear yard (metre) it starts in, from 1"))
                .column(ColumnSpec::int64("points", "points", "Points assigned before the per-yard cap")),
        )
        .metric(MetricSpec::new("total_points", "points", "Points counted over all rolls"))
        .metric(MetricSpec::new(
            "points_per_100_sq_yd",
            "points/100 sq yd",
            "Shipment: total points per 100 sq yd of all rolls",
        ))
        .metric(MetricSpec::new(
            "points_per_100_m2",
            "points/100 m²",
            "Shipment: total points per 100 m² of all rolls",
        ))
        .metric(MetricSpec::new("second_quality_rolls", "", "Rolls over the threshold"))
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        let units: Units = input
            .text_param("units")?
            .unwrap_or("imperial")
            .parse()
            .map_err(|e: String| SolutionError::InvalidParam(format!("param `units`: {e}")))?;
        let threshold = input
            .float64_param("threshold")?
            .unwrap_or(DEFAULT_THRESHOLD);
        if !(0.0..=10_000.0).contains(&threshold) {
            return Err(SolutionError::InvalidParam(format!(
                "param `threshold`: {threshold} is outside 0-10000"
            )));
        }
        let basis = match units {
            Units::Imperial => "points/100 sq yd",
            Units::Metric => "points/100 m²",
        };

        let rolls = read_rolls(&input)?;
        let (by_roll, defect_rows) = read_defects(&input, &rolls, units)?;

        let n = rolls.names.len();
        let mut output = Output::new();
        let mut counts = Vec::with_capacity(n);
        let mut points = Vec::with_capacity(n);
        let mut removed = Vec::with_capacity(n);
        let mut per_sq_yd = Vec::with_capacity(n);
        let mut per_m2 = Vec::with_capacity(n);
        let mut grade = TextColumn::with_capacity(n, n * "second".len());
        let mut pass = Vec::with_capacity(n);
        let mut segment_of = vec![0i64; defect_rows];
        let mut points_of = vec![0i64; defect_rows];
        let (mut total, mut area_sq_yd, mut area_m2) = (0u64, 0.0, 0.0);
        for (roll, defects) in by_roll.iter().enumerate() {
            let (length, width) = (rolls.length[roll], rolls.width[roll]);
            let list: Vec<Defect> = defects.iter().map(|&(_, d)| d).collect();
            let score = score_roll(length, &list, units);
            for (&(row, _), assigned) in defects.iter().zip(&score.assigned) {
                segment_of[row] = i64::try_from(assigned.segment).unwrap_or(i64::MAX);
                points_of[row] = i64::try_from(assigned.points).unwrap_or(i64::MAX);
            }
            let yd = per_100_sq_yd(score.points, length, width, units);
            let m2 = per_100_m2(score.points, length, width, units);
            let graded = match units {
                Units::Imperial => yd,
                Units::Metric => m2,
            };
            let ok = graded <= threshold;
            if !ok {
                output.push_finding(
                    Finding::warning(
                        "second-quality",
                        format!(
                            "roll {}: {graded:.1} {basis} exceeds {threshold}",
                            &rolls.names[roll]
                        ),
                    )
                    .at("rolls", roll),
                );
            }
            if score.removed_by_cap > 0 {
                output.push_finding(
                    Finding::info(
                        "per-yard-cap",
                        format!(
                            "roll {}: {} point(s) not counted, no linear {} counts more than 4",
                            &rolls.names[roll],
                            score.removed_by_cap,
                            units.length_unit()
                        ),
                    )
                    .at("rolls", roll),
                );
            }
            total = total.saturating_add(score.points);
            area_sq_yd += units.area_sq_yd(length, width);
            area_m2 += units.area_m2(length, width);
            counts.push(defects.len() as i64);
            points.push(i64::try_from(score.points).unwrap_or(i64::MAX));
            removed.push(i64::try_from(score.removed_by_cap).unwrap_or(i64::MAX));
            per_sq_yd.push(yd);
            per_m2.push(m2);
            grade.push(if ok { "first" } else { "second" });
            pass.push(ok);
        }

        let shipment_sq_yd = total as f64 * 100.0 / area_sq_yd;
        let shipment_m2 = total as f64 * 100.0 / area_m2;
        let shipment = match units {
            Units::Imperial => shipment_sq_yd,
            Units::Metric => shipment_m2,
        };
        if shipment > threshold {
            output.push_finding(Finding::warning(
                "shipment-over-threshold",
                format!("shipment: {shipment:.1} {basis} exceeds {threshold}"),
            ));
        }
        let seconds = pass.iter().filter(|&&p| !p).count();
        let defect_names = if defect_rows == 0 {
            TextColumn::new()
        } else {
            input.table("defects")?.text("roll")?.clone()
        };
        Ok(output
            .with_table(
                TableBuilder::new("rolls")
                    .text_column("roll", rolls.names.clone())
                    .int64("defects", counts)
                    .int64("points", points)
                    .int64("removed_by_cap", removed)
                    .float64("points_per_100_sq_yd", per_sq_yd)
                    .float64("points_per_100_m2", per_m2)
                    .text_column("grade", grade)
                    .boolean("pass", pass)
                    .build(),
            )
            .with_table(
                TableBuilder::new("defect_points")
                    .text_column("roll", defect_names)
                    .int64("segment", segment_of)
                    .int64("points", points_of)
                    .build(),
            )
            .with_metric("total_points", total as f64, "points")
            .with_metric("points_per_100_sq_yd", shipment_sq_yd, "points/100 sq yd")
            .with_metric("points_per_100_m2", shipment_m2, "points/100 m²")
            .with_metric("second_quality_rolls", seconds as f64, ""))
    }
}

#[cfg(target_arch = "wasm32")]
smelt_sdk::export_solution!(FabricFourPoint);
