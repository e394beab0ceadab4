//! smelt's conformance suite: the analyzers a reviewer (遴选) runs on a solution component, and
//! the scorecard they add up to — small, fast, light, precise, safe.
//!
//! ```no_run
//! use smelt_conformance::{Progress, Suite, load_package, reviewer_vectors};
//! use smelt_runtime::Runtime;
//!
//! let (manifest, vectors) = load_package("plugins/dye-lot-color-qc".as_ref())?;
//! let held = reviewer_vectors("reviewer/dye-lot".as_ref())?;
//! let component = std::fs::read("dye-lot-color-qc.wasm")?;
//! let card = Suite::full().run(
//!     &Runtime::new()?,
//!     &component,
//!     &manifest,
//!     &vectors,
//!     Some(&held),
//!     &mut |p: &Progress<'_>| eprintln!("{p}"),
//! );
//! println!("{card}");
//! assert!(card.pass);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Analyzers
//!
//! | id | severity | checks |
//! | --- | --- | --- |
//! | `component.valid` | error | a component, not a core module; validates with only the features the runtime enables (no threads, shared memory, memory64, GC, exceptions, async); compiles |
//! | `wit.world` | error | exports `smelt:solution/solution` at a supported WIT version; records which |
//! | `imports.allowed` | error | lists every import; any outside [`smelt_runtime::ALLOWED_IMPORTS`] fails |
//! | `size.small` | warning | component bytes ≤ [`SuiteConfig::size_threshold_bytes`] |
//! | `describe.consistent` | error | the descriptor is well-formed (unique names, typed defaults in range, row bounds ordered) and agrees with the manifest: name, version, and every package vector's tables, columns and params are declared inputs, every expected table, column and metric a declared output |
//! | `vectors.precise` | error | every package vector, and every reviewer-held vector, matches within its tolerance |
//! | `determinism` | error | each package vector input on [`SuiteConfig::determinism_runs`] fresh instances gives identical output (floats compared exactly); whether fuel was identical too is recorded |
//! | `robustness` | error | malformed inputs generated from the descriptor end in a `solution-error` or an output, never a trap or a limit |
//! | `budget.fuel`, `budget.memory`, `budget.time` | error | fuel, peak linear memory and wall time on the reference input and at [`SuiteConfig::scale`]× its rows stay within the manifest's budget (`fuel_base + fuel_per_row × rows`, `memory_mib`, `wall_ms`); the growth exponent is estimated from the two sizes |
//! | `perf.latency` | info | p50/p99 wall time of instantiate + run over repeated calls |
//!
//! Every run is made under the limits the manifest declares for that input (what the server
//! enforces, see [`budget_limits`]), so a hostile component stops at its own budget. Robustness
//! stops after [`SuiteConfig::robustness_stop_after`] abnormal endings and determinism at the
//! first, so a component that loops forever costs a handful of budgets, not one per case.
//!
//! Robustness inputs are made by breaking the reference input (the vector with the most rows):
//! each table missing, each column missing, each column of the wrong type, each table emptied,
//! row 0 of each float column NaN, +∞, −∞ and ±10³⁰⁸, of each int column `i64::MAX` and `i64::MIN`, of each
//! text column 64 KiB of text, the last column of each table one value short, each numeric
//! param below its minimum and above its maximum, each text param outside its choices, each
//! param of the wrong type, NaN and ±∞ for float params, each required param missing. Inputs
//! that break the descriptor must be refused with a `solution-error` (an output is counted as
//! `accepted` and lowers the safe score); inputs the descriptor allows (NaN, huge values, an
//! empty table when `min_rows` is 0) may give either. A trap or a limit on any of them fails.
//!
//! The 10× input replicates every table's rows up to its `max_rows`; text values of the copies
//! get a suffix (`~1`, `~2`, ...) so identifiers stay unique. If the solution refuses that, only
//! identifier-like text columns get it (key columns: distinct values, several of them or referred
//! to from another table; and the columns whose values all come from a key column of another
//! table), and then plain copies are tried. A solution that refuses all three is measured on the
//! reference input only, and the budget analyzers say so.
//!
//! # Scores
//!
//! Each sub-score is 0–100, the weighted mean of the parts below whose analyzers ran (a sub-score
//! none of whose analyzers ran is `null`). `lerp_log(x, good, bad)` is 100 at `x ≤ good`, 0 at
//! `x ≥ bad`, and linear in `log x` between.
//!
//! - **small** = `lerp_log(component bytes, 128 KiB, 8 MiB)`.
//! - **fast** = 0.7 × `lerp_log(p50 latency, 1 ms, 10 s)` + 0.3 × growth, where growth is 100
//!   when the fuel growth exponent `k ≤ 1.1`, 0 when `k ≥ 3`, linear between (`k` unknown: the
//!   latency part alone).
//! - **light** = `lerp_log(peak linear memory at the largest measured size, 2 MiB, 1 GiB)`.
//! - **precise** = 0.8 × 100 × passed/total vectors (package and reviewer) + 0.2 × (100 if
//!   `determinism` passed, else 0). No vectors at all: the vector part is 0.
//! - **safe** = 0 if `component.valid`, `wit.world` or `imports.allowed` failed; otherwise
//!   0.5 × 100 × (1 − abnormal/robustness cases) + 0.2 × 100 × refused/descriptor-breaking
//!   cases + 0.1 × 100 for each of `budget.fuel`, `budget.memory`, `budget.time` that passed
//!   (skipped ones are left out of the mean).
//!
//! Overall the scorecard passes when no error-severity analyzer failed; warnings and info
//! never fail it.
//!
//! # Reviewer-held vectors
//!
//! A reviewer may keep vectors the provider never sees, in a directory of the same files as a
//! package's vectors: `<name>.input.json` with `<name>.expected.json` (the formats of
//! `docs/manifest.md`), plus an optional `vectors.toml`:
//!
//! ```toml
//! tolerance = 0.0001        # absolute, for every number compared; 0.0001 when absent
//! [tolerances]              # optional, per vector name
//! pair-17 = 0.001
//! ```
//!
//! The scorecard reports held vectors by name, pass/fail and mismatch count only, never their
//! values or the mismatching numbers: a stored scorecard is shown to the provider.
//!
//! Load it with [`reviewer_vectors`]; a package directory (`smelt.toml` and the files its
//! `[[vectors]]` name) with [`load_package`] or [`package_vectors`].

mod analyzers;
mod generate;
mod scorecard;
mod suite;
mod vectors;

use std::path::PathBuf;

pub use scorecard::{AnalyzerId, AnalyzerResult, Outcome, Scorecard, Scores, Severity};
pub use suite::{Progress, Suite, SuiteConfig, budget_limits};
pub use vectors::{
    DEFAULT_TOLERANCE, REVIEWER_CONFIG, load_package, package_vectors, reviewer_vectors,
};

/// The suite's version, recorded in every scorecard: bump it whenever an analyzer, a threshold
/// or a score formula changes, so scorecards from different suites are not compared blindly.
pub const SUITE_VERSION: &str = "0.1.0";

/// The WIT versions of `smelt:solution` this suite (and the runtime it drives) accepts.
pub const SUPPORTED_WIT: &[&str] = smelt_runtime::WIT_VERSIONS;

/// What can go wrong loading vectors or a package directory. Running the suite itself never
/// fails: every problem with the component is a failed analyzer in the scorecard.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A vector file is not valid JSON.
    #[error("{path}: not valid json: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// `smelt.toml` is invalid.
    #[error("{path}: {source}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// Why.
        source: smelt_registry::Error,
    },
    /// A reviewer directory's `vectors.toml` is invalid.
    #[error("{path}: {message}")]
    VectorsConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An input file without its expected file, or the other way round.
    #[error("vector `{name}`: {missing} is missing")]
    Unpaired {
        /// The vector's name.
        name: String,
        /// The file that should be there.
        missing: PathBuf,
    },
    /// A reviewer directory with no vectors in it.
    #[error("{dir}: no vectors (expected <name>.input.json files, each with <name>.expected.json)")]
    NoVectors {
        /// The directory.
        dir: PathBuf,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
