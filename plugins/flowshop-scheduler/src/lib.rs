//! Flow-shop scheduler: the job sequence that finishes a permutation flow shop soonest (least
//! makespan), by NEH and then iterated greedy, with the Gantt table of the result.
//!
//! The math is in [`flowshop`] (and [`taillard`], the benchmark generator the tests use), plain
//! Rust; this file is the thin smelt layer over it.

pub mod flowshop;
pub mod taillard;

use std::collections::HashMap;

use flowshop::{Effort, Instance, iterated_greedy};
use smelt_sdk::prelude::*;

/// The smelt solution.
pub struct FlowshopScheduler;

/// Default improvement effort: enough iterations to bring 20-job shops to within about 1 % of
/// the optimum, well inside the work cap for the sizes a plant sequences by hand.
const DEFAULT_BUDGET: i64 = 200;

/// Most iterations a caller may ask for.
const MAX_BUDGET: i64 = 1_000_000;

/// Most insertion cells (positions × machines) the improvement may evaluate in one call: about
/// 0.5 s natively, 2 s and 6×10⁹ fuel as a component. It bounds fuel and wall time whatever the
/// budget and shop size; NEH itself always completes.
const MAX_CELLS: u64 = 100_000_000;

/// Most jobs: NEH is O(n²m), and 1,000 jobs is more than a plant releases at once.
const MAX_JOBS: usize = 1_000;

/// Most machines in the flow.
const MAX_MACHINES: i64 = 100;

/// Most operation rows (jobs × machines) per call.
const MAX_ROWS: u32 = 50_000;

/// Longest single operation; keeps every sum of times far from overflow and exact in an f64.
const MAX_DURATION: f64 = 1e9;

const TABLE: &str = "operations";

/// The checked input: job names in order of first appearance, and the instance.
fn read_shop(input: &Input) -> Result<(Vec<&str>, Instance), SolutionError> {
    let table = input.table(TABLE)?;
    let rows = table.rows_at_least(1)?;
    if rows > MAX_ROWS as usize {
        return Err(SolutionError::InvalidInput(format!(
            "table `{TABLE}`: {rows} rows, at most {MAX_ROWS} per call"
        )));
    }
    let jobs = table.text("job")?;
    let machines = table.int64("machine")?;
    let durations = table.float64("duration")?;

    let mut names: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut job_of = Vec::with_capacity(rows);
    let mut m: i64 = 0;
    for row in 0..rows {
        if jobs[row].trim().is_empty() {
            return Err(table.invalid("job", row, "empty job name"));
        }
        let job = *index.entry(&jobs[row]).or_insert_with(|| {
            names.push(&jobs[row]);
            names.len() - 1
        });
        if names.len() > MAX_JOBS {
            return Err(table.invalid("job", row, format!("more than {MAX_JOBS} jobs")));
        }
        job_of.push(job);
        if !(1..=MAX_MACHINES).contains(&machines[row]) {
            return Err(table.invalid(
                "machine",
                row,
                format!(
                    "{} is not a place in the flow 1-{MAX_MACHINES}",
                    machines[row]
                ),
            ));
        }
        m = m.max(machines[row]);
        let d = table.finite("duration", row, durations[row])?;
        if !(0.0..=MAX_DURATION).contains(&d) {
            return Err(table.invalid(
                "duration",
                row,
                format!("{d} must be between 0 and {MAX_DURATION}"),
            ));
        }
    }

    // `m` is in 1..=100, checked above.
    let m = m as usize;
    let mut given: Vec<Option<usize>> = vec![None; names.len() * m];
    for row in 0..rows {
        let cell = job_of[row] * m + (machines[row] - 1) as usize;
        if let Some(first) = given[cell] {
            return Err(table.invalid(
                "machine",
                row,
                format!(
                    "job `{}` already has a time on machine {} (row {first})",
                    &jobs[row], machines[row]
                ),
            ));
        }
        given[cell] = Some(row);
    }
    let mut p = Vec::with_capacity(given.len());
    for (cell, row) in given.iter().enumerate() {
        match row {
            Some(row) => p.push(durations[*row]),
            None => {
                return Err(SolutionError::InvalidInput(format!(
                    "table `{TABLE}`: job `{}` has no time on machine {} (every job needs a row for each of machines 1-{m}; use duration 0 for a machine it skips)",
                    names[cell / m],
                    cell % m + 1
                )));
            }
        }
    }
    let jobs = names.len();
    Ok((names, Instance::new(jobs, m, p)))
}

impl Solution for FlowshopScheduler {
    fn describe() -> Descriptor {
        Descriptor::new(
            "flowshop-scheduler",
            env!("CARGO_PKG_VERSION"),
            "Permutation flow-shop sequencing for least makespan: NEH, then iterated greedy (Ruiz & Stützle 2007), with the Gantt table",
        )
        .input(
            TableSpec::new(
                TABLE,
                "One row per job and machine: every job visits machines 1..m in order",
            )
            .rows(1, Some(MAX_ROWS))
            .column(ColumnSpec::text("job", "", "Job (order, lot) name"))
            .column(ColumnSpec::int64(
                "machine",
                "",
                "The machine's place in the flow, from 1 (at most 100)",
            ))
            .column(ColumnSpec::float64(
                "duration",
                "min",
                "Processing time of the job on that machine (any one time unit; 0 if it skips the machine)",
            )),
        )
        .param(
            ParamSpec::int64(
                "budget",
                "iterations",
                "Improvement effort: iterated-greedy iterations after NEH (0 = NEH only); the work of a call is also capped at 10⁸ insertion cells",
            )
            .default_i64(DEFAULT_BUDGET)
            .range(0.0, MAX_BUDGET as f64),
        )
        .param(
            ParamSpec::int64("seed", "", "Seed of the random choices: the same seed gives the same schedule")
                .default_i64(1)
                .range(0.0, 9_007_199_254_740_991.0),
        )
        .output(
            TableSpec::new("sequence", "The job sequence, the same on every machine")
                .rows(1, Some(MAX_JOBS as u32))
                .column(ColumnSpec::int64("position", "", "Place in the sequence, from 1"))
                .column(ColumnSpec::text("job", "", "Job name")),
        )
        .output(
            TableSpec::new("schedule", "Gantt table: one row per operation, by position then machine")
                .rows(1, Some(MAX_ROWS))
                .column(ColumnSpec::text("job", "", "Job name"))
                .column(ColumnSpec::int64("machine", "", "Machine, from 1"))
                .column(ColumnSpec::float64("start", "min", "Start, from time 0"))
                .column(ColumnSpec::float64("end", "min", "End")),
        )
        .metric(MetricSpec::new("makespan", "min", "End of the last operation"))
        .metric(MetricSpec::new("neh_makespan", "min", "Makespan of the NEH sequence the search started from"))
        .metric(MetricSpec::new("lower_bound", "min", "Taillard's (1993) lower bound: no sequence can finish sooner"))
        .metric(MetricSpec::new("gap_to_lower_bound", "%", "(makespan − lower bound) / lower bound × 100"))
        .metric(MetricSpec::new("iterations", "", "Iterated-greedy iterations done"))
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        let budget = input.int64_param("budget")?.unwrap_or(DEFAULT_BUDGET);
        if !(0..=MAX_BUDGET).contains(&budget) {
            return Err(SolutionError::InvalidParam(format!(
                "param `budget`: {budget} is outside 0-{MAX_BUDGET}"
            )));
        }
        let seed = input.int64_param("seed")?.unwrap_or(1);
        if seed < 0 {
            return Err(SolutionError::InvalidParam(format!(
                "param `seed`: {seed} must be >= 0"
            )));
        }
        let (names, shop) = read_shop(&input)?;
        let solution = iterated_greedy(
            &shop,
            Effort {
                iterations: budget as u64,
                seed: seed as u64,
                max_cells: MAX_CELLS,
            },
        );

        let mut output = Output::new();
        if solution.iterations < budget as u64 {
            output.push_finding(Finding::info(
                "work-cap-reached",
                format!(
                    "stopped after {} of {budget} iterations: the work cap of {MAX_CELLS} insertion cells was reached",
                    solution.iterations
                ),
            ));
        }
        let lower_bound = shop.lower_bound();
        let operations = shop.schedule(&solution.sequence);
        let makespan = operations.last().map_or(0.0, |op| op.3);
        let gap = if lower_bound > 0.0 {
            (makespan - lower_bound) / lower_bound * 100.0
        } else {
            0.0
        };
        Ok(output
            .with_table(
                TableBuilder::new("sequence")
                    .int64("position", (1..=solution.sequence.len() as i64).collect())
                    .text("job", solution.sequence.iter().map(|&j| names[j]))
                    .build(),
            )
            .with_table(
                TableBuilder::new("schedule")
                    .text("job", operations.iter().map(|op| names[op.0]))
                    .int64(
                        "machine",
                        operations.iter().map(|op| op.1 as i64 + 1).collect(),
                    )
                    .float64("start", operations.iter().map(|op| op.2).collect())
                    .float64("end", operations.iter().map(|op| op.3).collect())
                    .build(),
            )
            .with_metric("makespan", makespan, "min")
            .with_metric("neh_makespan", solution.neh_makespan, "min")
            .with_metric("lower_bound", lower_bound, "min")
            .with_metric("gap_to_lower_bound", gap, "%")
            .with_metric("iterations", solution.iterations as f64, ""))
    }
}

#[cfg(target_arch = "wasm32")]
smelt_sdk::export_solution!(FlowshopScheduler);
