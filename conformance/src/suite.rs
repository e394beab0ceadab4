//! The suite: which analyzers run, with what settings, and the loop that runs them.

use std::fmt;
use std::time::Instant;

use smelt_registry::Manifest;
use smelt_registry::manifest::Budget;
use smelt_runtime::{Limits, Runtime, VectorBundle};

use crate::analyzers::{self, Ctx};
use crate::scorecard::{AnalyzerId, AnalyzerResult, Outcome, Scorecard};

/// The limits the server enforces for a call with `rows` input rows under `budget`: fuel
/// `fuel_base + fuel_per_row × rows`, memory `memory_mib` MiB, deadline `wall_ms`; output and
/// log caps as [`Limits::default`].
pub fn budget_limits(budget: &Budget, rows: usize) -> Limits {
    Limits {
        fuel: budget
            .fuel_base
            .saturating_add(budget.fuel_per_row.saturating_mul(rows as u64)),
        memory_bytes: u64::from(budget.memory_mib) << 20,
        timeout_ms: u64::from(budget.wall_ms),
        ..Limits::default()
    }
}

/// Settings of a suite run. The defaults keep the full suite on an example plugin well under
/// five seconds on a small shared machine.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteConfig {
    /// Fresh instances per input for `determinism` (3: two agreeing runs can share a fluke).
    pub determinism_runs: usize,
    /// Row multiplier of the scaled budget measurement (10: enough to tell linear from
    /// quadratic growth, small enough to stay within the 5 s suite).
    pub scale: usize,
    /// Runs per size for the budgets; wall time is their median (3: one noisy run cannot
    /// decide a verdict).
    pub budget_runs: usize,
    /// A size gets no further budget runs once its runs have taken this long (500 ms: a slow
    /// solution's 10× input is measured once rather than pushing the suite past 5 s).
    pub budget_max_ms: u64,
    /// Most calls `perf.latency` makes (30: a p99 over 30 is the worst run, which is what a
    /// reviewer wants to see at this size).
    pub latency_runs: usize,
    /// Fewest calls `perf.latency` makes, however slow the solution (5).
    pub latency_min_runs: usize,
    /// `perf.latency` stops after this much time once it has its fewest calls (400 ms).
    pub latency_max_ms: u64,
    /// `robustness` stops after this many abnormal endings (3: the verdict is already fail and
    /// each one can cost a whole budget).
    pub robustness_stop_after: usize,
    /// `size.small` fails (as a warning) above this many bytes (2 MiB: ten times a typical
    /// Rust solution component).
    pub size_threshold_bytes: u64,
    /// With no vectors at all, `vectors.precise` fails (true) rather than skips: a listed
    /// solution must show it computes what it claims.
    pub require_vectors: bool,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        SuiteConfig {
            determinism_runs: 3,
            scale: 10,
            budget_runs: 3,
            budget_max_ms: 500,
            latency_runs: 30,
            latency_min_runs: 5,
            latency_max_ms: 400,
            robustness_stop_after: 3,
            size_threshold_bytes: 2 << 20,
            require_vectors: true,
        }
    }
}

/// What [`Suite::run`] reports as it goes, for a progress bar or a stream.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Analyzer `index` (from 0) of `total` started.
    Started {
        /// Which analyzer.
        id: AnalyzerId,
        /// Its place in the run, from 0.
        index: usize,
        /// How many analyzers the run has.
        total: usize,
    },
    /// Analyzer `index` of `total` finished with `result`.
    Finished {
        /// Its place in the run, from 0.
        index: usize,
        /// How many analyzers the run has.
        total: usize,
        /// What it found.
        result: &'a AnalyzerResult,
    },
}

impl Progress<'_> {
    /// The event as JSON, for a stream: `{"event": "started", "id", "index", "total"}` or
    /// `{"event": "finished", "index", "total", "result": {...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Progress::Started { id, index, total } => serde_json::json!({
                "event": "started", "id": id, "index": index, "total": total,
            }),
            Progress::Finished {
                index,
                total,
                result,
            } => serde_json::json!({
                "event": "finished", "index": index, "total": total, "result": result,
            }),
        }
    }
}

impl fmt::Display for Progress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Started { id, index, total } => {
                write!(f, "[{}/{total}] {id} …", index + 1)
            }
            Progress::Finished {
                index,
                total,
                result,
            } => write!(
                f,
                "[{}/{total}] {} {} ({:.0} ms): {}",
                index + 1,
                result.id,
                result.outcome.as_str(),
                result.elapsed_ms,
                result.summary
            ),
        }
    }
}

/// A set of analyzers and their settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    analyzers: Vec<AnalyzerId>,
    config: SuiteConfig,
}

impl Suite {
    /// Every analyzer: what a reviewer runs.
    pub fn full() -> Suite {
        Suite::only(&AnalyzerId::ALL)
    }

    /// The static checks and the vectors, no measurements: what the server runs at publish
    /// time (a few calls, tens of milliseconds after compilation).
    pub fn quick() -> Suite {
        Suite::only(&[
            AnalyzerId::ComponentValid,
            AnalyzerId::WitWorld,
            AnalyzerId::ImportsAllowed,
            AnalyzerId::SizeSmall,
            AnalyzerId::DescribeConsistent,
            AnalyzerId::VectorsPrecise,
        ])
    }

    /// The given analyzers, run in the suite's order whatever the order given.
    pub fn only(ids: &[AnalyzerId]) -> Suite {
        let mut analyzers = ids.to_vec();
        analyzers.sort();
        analyzers.dedup();
        Suite {
            analyzers,
            config: SuiteConfig::default(),
        }
    }

    /// The same analyzers with other settings.
    pub fn with_config(mut self, config: SuiteConfig) -> Suite {
        self.config = config;
        self
    }

    /// The analyzers this suite runs, in order.
    pub fn analyzers(&self) -> &[AnalyzerId] {
        &self.analyzers
    }

    /// The settings.
    pub fn config(&self) -> &SuiteConfig {
        &self.config
    }

    /// Runs every analyzer on `component` (its bytes) published with `manifest` and its
    /// `vectors`, plus the `reviewer`'s held vectors if any, calling `progress` before and after
    /// each analyzer. Never fails: every problem is a failed analyzer in the scorecard. Every
    /// call into the component runs under the manifest's budget, so this returns in bounded time
    /// whatever the component does.
    pub fn run(
        &self,
        runtime: &Runtime,
        component: &[u8],
        manifest: &Manifest,
        vectors: &VectorBundle,
        reviewer: Option<&VectorBundle>,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Scorecard {
        let started = Instant::now();
        let ctx = Ctx::new(
            runtime,
            component,
            manifest,
            vectors,
            reviewer,
            &self.config,
        );
        let total = self.analyzers.len();
        let mut results = Vec::with_capacity(total);
        for (index, &id) in self.analyzers.iter().enumerate() {
            progress(&Progress::Started { id, index, total });
            let t = Instant::now();
            let (outcome, summary, evidence) = analyzers::run(id, &ctx);
            let result = AnalyzerResult {
                id,
                severity: id.severity(),
                outcome,
                summary,
                evidence,
                elapsed_ms: t.elapsed().as_secs_f64() * 1e3,
            };
            progress(&Progress::Finished {
                index,
                total,
                result: &result,
            });
            results.push(result);
        }
        let scores = ctx.scores(&results);
        Scorecard {
            suite_version: crate::SUITE_VERSION.to_owned(),
            component_digest: ctx.digest.clone(),
            package: manifest.package.name.to_string(),
            version: manifest.package.version.to_string(),
            wit_version: ctx.wit_version().map(str::to_owned),
            pass: !results.iter().any(AnalyzerResult::is_blocking),
            scores,
            results,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        }
    }
}

/// True when `outcome` came from an analyzer that actually checked something.
pub(crate) fn ran(outcome: Outcome) -> bool {
    outcome != Outcome::Skip
}
