//! OEE calculator: availability × performance × quality per machine and shift, per machine and
//! for the plant, with the time lost broken down into the six big losses.
//!
//! The math is in [`oee`], plain Rust; this file is the thin smelt layer over it.

pub mod oee;

use oee::{Oee, Shift, evaluate};
use smelt_sdk::hash::{Name, NameMap};
use smelt_sdk::prelude::*;

/// The smelt solution.
pub struct OeeCalculator;

/// Default target: 85 %, the "world-class" OEE of Nakajima's TPM literature for discrete
/// manufacturing.
const DEFAULT_TARGET: f64 = 0.85;

/// Most shift rows per call: a year of three shifts on ninety machines.
const MAX_ROWS: u32 = 100_000;

/// Longest period one row may record (min): ten weeks. A row may sum several shifts (a week of
/// them, as in Mobley's example), but not more than a season.
const MAX_MINUTES: f64 = 10.0 * 7.0 * 24.0 * 60.0;

/// Largest piece count accepted: far beyond any shift, yet exact in an f64.
const MAX_COUNT: i64 = 1_000_000_000_000;

const TABLE: &str = "shifts";

/// The input columns of the shift table, looked up once rather than per row.
struct ShiftColumns<'a> {
    table: TableRef<'a>,
    shift_length: &'a [f64],
    planned_stops: &'a [f64],
    breakdowns: &'a [f64],
    setups: &'a [f64],
    small_stops: &'a [f64],
    ideal_cycle_time: &'a [f64],
    total_count: &'a [i64],
    startup_rejects: &'a [i64],
    production_rejects: &'a [i64],
}

impl<'a> ShiftColumns<'a> {
    fn of(table: TableRef<'a>) -> Result<Self, SolutionError> {
        Ok(ShiftColumns {
            table,
            shift_length: table.float64("shift_length")?,
            planned_stops: table.float64("planned_stops")?,
            breakdowns: table.float64("breakdowns")?,
            setups: table.float64("setups")?,
            small_stops: table.float64("small_stops")?,
            ideal_cycle_time: table.float64("ideal_cycle_time")?,
            total_count: table.int64("total_count")?,
            startup_rejects: table.int64("startup_rejects")?,
            production_rejects: table.int64("production_rejects")?,
        })
    }

    // Nine checks per row: inline, with the error messages built out of line.
    #[inline]
    fn minutes(&self, column: &str, values: &[f64], row: usize) -> Result<f64, SolutionError> {
        let value = self.table.finite(column, row, values[row])?;
        if !(0.0..=MAX_MINUTES).contains(&value) {
            return Err(self.out_of_range(column, row, value, "min", MAX_MINUTES));
        }
        Ok(value)
    }

    #[inline]
    fn count(&self, column: &str, values: &[i64], row: usize) -> Result<f64, SolutionError> {
        let value = values[row];
        if !(0..=MAX_COUNT).contains(&value) {
            return Err(self.out_of_range(column, row, value, "pieces", MAX_COUNT));
        }
        Ok(value as f64)
    }

    #[cold]
    #[inline(never)]
    fn out_of_range<T: std::fmt::Display>(
        &self,
        column: &str,
        row: usize,
        value: T,
        unit: &str,
        max: T,
    ) -> SolutionError {
        let problem = format!("{value} {unit} must be between 0 and {max}");
        self.table.invalid(column, row, problem)
    }
}

fn read_shift(columns: &ShiftColumns<'_>, row: usize) -> Result<Shift, SolutionError> {
    let c = columns;
    let table = c.table;
    let shift = Shift {
        shift_length: c.minutes("shift_length", c.shift_length, row)?,
        planned_stops: c.minutes("planned_stops", c.planned_stops, row)?,
        breakdowns: c.minutes("breakdowns", c.breakdowns, row)?,
        setups: c.minutes("setups", c.setups, row)?,
        small_stops: c.minutes("small_stops", c.small_stops, row)?,
        ideal_cycle_time: table.finite("ideal_cycle_time", row, c.ideal_cycle_time[row])?,
        total_count: c.count("total_count", c.total_count, row)?,
        startup_rejects: c.count("startup_rejects", c.startup_rejects, row)?,
        production_rejects: c.count("production_rejects", c.production_rejects, row)?,
    };
    if !(shift.ideal_cycle_time > 0.0 && shift.ideal_cycle_time <= MAX_MINUTES * 60.0) {
        return Err(table.invalid(
            "ideal_cycle_time",
            row,
            format!("{} s must be > 0", shift.ideal_cycle_time),
        ));
    }
    let planned = shift.shift_length - shift.planned_stops;
    if planned <= 0.0 {
        return Err(table.invalid(
            "planned_stops",
            row,
            format!(
                "{} min of planned stops leave no planned production time in a {} min shift",
                shift.planned_stops, shift.shift_length
            ),
        ));
    }
    let down = shift.breakdowns + shift.setups;
    if down > planned {
        return Err(table.invalid(
            "breakdowns",
            row,
            format!("breakdowns + setups = {down} min exceed the planned production time of {planned} min"),
        ));
    }
    if shift.small_stops > planned - down {
        return Err(table.invalid(
            "small_stops",
            row,
            format!(
                "{} min exceed the run time of {} min",
                shift.small_stops,
                planned - down
            ),
        ));
    }
    let rejects = shift.startup_rejects + shift.production_rejects;
    if rejects > shift.total_count {
        return Err(table.invalid(
            "production_rejects",
            row,
            format!(
                "{rejects} rejects exceed the total count of {}",
                shift.total_count
            ),
        ));
    }
    if down == planned && shift.total_count > 0.0 {
        return Err(table.invalid(
            "total_count",
            row,
            format!("{} pieces counted but no run time", shift.total_count),
        ));
    }
    Ok(shift)
}

/// Columns of one OEE result table.
struct Columns {
    planned_time: Vec<f64>,
    run_time: Vec<f64>,
    good_count: Vec<i64>,
    availability: Vec<f64>,
    performance: Vec<f64>,
    quality: Vec<f64>,
    oee: Vec<f64>,
}

impl Columns {
    /// Room for `rows` rows: the columns never grow (growing a large vector in a component
    /// copies it, where the host's allocator can often remap it in place).
    fn with_capacity(rows: usize) -> Self {
        Columns {
            planned_time: Vec::with_capacity(rows),
            run_time: Vec::with_capacity(rows),
            good_count: Vec::with_capacity(rows),
            availability: Vec::with_capacity(rows),
            performance: Vec::with_capacity(rows),
            quality: Vec::with_capacity(rows),
            oee: Vec::with_capacity(rows),
        }
    }

    #[inline]
    fn push(&mut self, r: &Oee) {
        self.planned_time.push(r.planned_time);
        self.run_time.push(r.run_time);
        // Good counts are differences of whole piece counts below 2^53, so the float is a
        // whole number and `as` converts it exactly (`round` would be a call to musl's in the
        // sandbox, once per row).
        self.good_count.push(r.good_count as i64);
        self.availability.push(r.availability);
        self.performance.push(r.performance);
        self.quality.push(r.quality);
        self.oee.push(r.oee);
    }

    fn into_table(self, table: TableBuilder) -> TableBuilder {
        table
            .float64("planned_time", self.planned_time)
            .float64("run_time", self.run_time)
            .int64("good_count", self.good_count)
            .float64("availability", self.availability)
            .float64("performance", self.performance)
            .float64("quality", self.quality)
            .float64("oee", self.oee)
    }
}

fn result_columns(spec: TableSpec) -> TableSpec {
    spec.column(ColumnSpec::float64("planned_time", "min", "Shift length − planned stops"))
        .column(ColumnSpec::float64("run_time", "min", "Planned production time − breakdowns − setups"))
        .column(ColumnSpec::int64("good_count", "pieces", "Total count − rejects"))
        .column(ColumnSpec::float64("availability", "", "Run time / planned production time (0-1)"))
        .column(ColumnSpec::float64(
            "performance",
            "",
            "Ideal cycle time × total count / run time (0-1; above 1 means the ideal cycle time is set too slow)",
        ))
        .column(ColumnSpec::float64("quality", "", "Good count / total count (0-1)"))
        .column(ColumnSpec::float64("oee", "", "Availability × performance × quality (0-1)"))
}

impl Solution for OeeCalculator {
    fn describe() -> Descriptor {
        let minutes = |name: &str, what: &str| ColumnSpec::float64(name, "min", what);
        let pieces = |name: &str, what: &str| ColumnSpec::int64(name, "pieces", what);
        Descriptor::new(
            "oee-calculator",
            env!("CARGO_PKG_VERSION"),
            "OEE (availability × performance × quality) per machine and shift, per machine and for the plant, with the six big losses in minutes",
        )
        .input(
            TableSpec::new(TABLE, "One row per machine and shift")
                .rows(1, Some(MAX_ROWS))
                .column(ColumnSpec::text("machine", "", "Machine or line"))
                .column(ColumnSpec::text("shift", "", "Shift, e.g. `2026-11-28 A`"))
                .column(minutes("shift_length", "Scheduled length of the shift"))
                .column(minutes("planned_stops", "Breaks, meals, planned maintenance: not counted against OEE"))
                .column(minutes("breakdowns", "Unplanned stops for equipment failure"))
                .column(minutes("setups", "Setup, changeover and adjustment stops"))
                .column(minutes(
                    "small_stops",
                    "Idling and minor stops counted inside run time (0 if not recorded: all performance loss is then reduced speed)",
                ))
                .column(ColumnSpec::float64("ideal_cycle_time", "s", "Fastest possible time for one piece"))
                .column(pieces("total_count", "Pieces made, good and bad"))
                .column(pieces("startup_rejects", "Pieces rejected while starting up or after a changeover"))
                .column(pieces("production_rejects", "Pieces rejected in steady production")),
        )
        .param(
            ParamSpec::float64("target_oee", "", "OEE below which a machine is flagged (0-1)")
                .default_f64(DEFAULT_TARGET)
                .range(0.0, 1.0),
        )
        .output(result_columns(
            TableSpec::new("oee_by_shift", "One row per input row, in input order")
                .rows(1, Some(MAX_ROWS))
                .column(ColumnSpec::text("machine", "", "Machine"))
                .column(ColumnSpec::text("shift", "", "Shift")),
        ))
        .output(result_columns(
            TableSpec::new("oee_by_machine", "One row per machine, in order of first appearance; times summed over its shifts")
                .rows(1, Some(MAX_ROWS))
                .column(ColumnSpec::text("machine", "", "Machine"))
                .column(ColumnSpec::int64("shifts", "", "Shifts recorded")),
        ))
        .output(
            TableSpec::new("losses", "The six big losses over all rows, in minutes of planned production time")
                .rows(6, Some(6))
                .column(ColumnSpec::text(
                    "loss",
                    "",
                    "breakdowns, setups, small_stops, reduced_speed, startup_rejects, production_rejects",
                ))
                .column(ColumnSpec::text("factor", "", "The OEE factor it lowers: availability, performance or quality"))
                .column(ColumnSpec::float64("minutes", "min", "Time lost (rejects at ideal cycle time)"))
                .column(ColumnSpec::float64("share", "", "Fraction of planned production time")),
        )
        .metric(MetricSpec::new("oee", "", "Plant OEE: fully productive time / planned production time"))
        .metric(MetricSpec::new("availability", "", "Plant availability"))
        .metric(MetricSpec::new("performance", "", "Plant performance"))
        .metric(MetricSpec::new("quality", "", "Plant quality"))
        .metric(MetricSpec::new("planned_time", "min", "Planned production time, all rows"))
        .metric(MetricSpec::new("fully_productive_time", "min", "Ideal cycle time × good count, all rows"))
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        let target = input.float64_param("target_oee")?.unwrap_or(DEFAULT_TARGET);
        if !(0.0..=1.0).contains(&target) {
            return Err(SolutionError::InvalidParam(format!(
                "param `target_oee`: {target} is outside 0-1"
            )));
        }
        let table = input.table(TABLE)?;
        let rows = table.rows_at_least(1)?;
        if rows > MAX_ROWS as usize {
            return Err(SolutionError::InvalidInput(format!(
                "table `{TABLE}`: {rows} rows, at most {MAX_ROWS} per call"
            )));
        }
        let machines = table.text("machine")?;
        let shifts = table.text("shift")?;
        let columns = ShiftColumns::of(table)?;

        let mut output = Output::new();
        let mut by_shift = Columns::with_capacity(rows);
        let mut machine_names = TextColumn::new();
        let mut machine_index = NameMap::default();
        let mut machine_totals: Vec<(i64, Oee)> = Vec::new();
        let mut plant = Oee::default();
        for row in 0..rows {
            if machines[row].trim().is_empty() {
                return Err(table.invalid("machine", row, "empty machine name"));
            }
            let r = evaluate(&read_shift(&columns, row)?);
            if r.performance > 1.0 {
                output.push_finding(
                    Finding::warning(
                        "performance-over-100",
                        format!(
                            "{} {}: performance {:.1} % — the ideal cycle time is longer than the machine really needs",
                            &machines[row],
                            &shifts[row],
                            r.performance * 100.0
                        ),
                    )
                    .at(TABLE, row),
                );
            }
            if r.losses.reduced_speed < 0.0 && r.performance <= 1.0 {
                output.push_finding(
                    Finding::warning(
                        "small-stops-exceed-performance-loss",
                        format!(
                            "{} {}: {:.1} min of small stops exceed the {:.1} min of performance loss",
                            &machines[row],
                            &shifts[row],
                            r.losses.small_stops,
                            r.run_time - r.net_run_time
                        ),
                    )
                    .at(TABLE, row),
                );
            }
            let i = *machine_index
                .entry(Name(&machines[row]))
                .or_insert_with(|| {
                    machine_names.push(&machines[row]);
                    machine_totals.push((0, Oee::default()));
                    machine_totals.len() - 1
                });
            machine_totals[i].0 += 1;
            machine_totals[i].1.accumulate(&r);
            plant.accumulate(&r);
            by_shift.push(&r);
        }

        let mut by_machine = Columns::with_capacity(machine_totals.len());
        let mut shift_counts = Vec::with_capacity(machine_totals.len());
        for (name, (n, r)) in machine_names.iter().zip(&machine_totals) {
            if r.oee < target {
                output.push_finding(Finding::info(
                    "below-target",
                    format!(
                        "{name}: OEE {:.1} % below the target {:.1} %",
                        r.oee * 100.0,
                        target * 100.0
                    ),
                ));
            }
            shift_counts.push(*n);
            by_machine.push(r);
        }

        let named = plant.losses.named();
        let loss_table = TableBuilder::new("losses")
            .text("loss", named.iter().map(|l| l.0))
            .text("factor", named.iter().map(|l| l.1))
            .float64("minutes", named.iter().map(|l| l.2).collect())
            .float64(
                "share",
                named.iter().map(|l| l.2 / plant.planned_time).collect(),
            )
            .build();

        Ok(output
            .with_table(
                by_shift
                    .into_table(
                        TableBuilder::new("oee_by_shift")
                            .text_column("machine", machines.clone())
                            .text_column("shift", shifts.clone()),
                    )
                    .build(),
            )
            .with_table(
                by_machine
                    .into_table(
                        TableBuilder::new("oee_by_machine")
                            .text_column("machine", machine_names)
                            .int64("shifts", shift_counts),
                    )
                    .build(),
            )
            .with_table(loss_table)
            .with_metric("oee", plant.oee, "")
            .with_metric("availability", plant.availability, "")
            .with_metric("performance", plant.performance, "")
            .with_metric("quality", plant.quality, "")
            .with_metric("planned_time", plant.planned_time, "min")
            .with_metric("fully_productive_time", plant.fully_productive_time, "min"))
    }
}

#[cfg(target_arch = "wasm32")]
smelt_sdk::export_solution!(OeeCalculator);
