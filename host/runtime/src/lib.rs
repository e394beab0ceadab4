//! smelt's sandbox: compiles solution components once and runs each call in a fresh store under
//! hard limits, with usage metered and every failure typed.
//!
//! ```no_run
//! use smelt_runtime::{Limits, Runtime};
//!
//! let runtime = Runtime::new()?;
//! let plugin = runtime.load(&std::fs::read("dye_lot_color_qc.wasm")?)?;
//! let descriptor = plugin.describe()?;
//! let json = serde_json::json!({
//!     "tables": {
//!         "standard": {"L": [50.0], "a": [2.6772], "b": [-79.7751]},
//!         "batches": {"batch": ["B1"], "L": [50.0], "a": [0.0], "b": [-82.7485]}
//!     }
//! });
//! let input = smelt_runtime::input_from_json(&json, &descriptor)?;
//! let run = plugin.run(&input, &Limits::default());
//! println!("{:?} fuel={}", run.output?.metric("max_delta_e00"), run.usage.fuel);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What a call may do: WASI is served with nothing behind it (no preopened directories, no
//! environment, no arguments, no network; clocks are virtual and random is seeded), and only the
//! imports in [`ALLOWED_IMPORTS`] may be linked at all.

mod cache;
mod csv_input;
mod json;
mod model;
mod sandbox;
mod texts;
mod vectors;
pub mod wit;

pub use cache::CacheStats;
pub use csv_input::{CsvError, table_from_csv, table_from_csv_bytes};
pub use json::{
    InputError, InputReader, InputSeed, check_param, input_from_json, input_from_json_slice,
};
pub use model::*;
pub use sandbox::{
    ALLOWED_IMPORTS, CODE_LIMITS, CodeStats, Limits, LogLine, MEMORY_KEEP_RESIDENT, Plugin,
    PoolStats, Run, Runtime, RuntimeConfig, Usage, WARM_SLOTS, WIT_VERSIONS, code_stats,
    component_imports, import_allowed,
};
pub use vectors::{Vector, VectorBundle, compare_expected};

/// Everything that can go wrong loading or running a component. Each limit has its own variant,
/// so callers can report which one was hit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly binary: {0}")]
    NotWasm(String),
    /// A core module where a component is required.
    #[error("a core WebAssembly module, not a component: build the solution for wasm32-wasip2")]
    CoreModule,
    /// Fails validation or compilation, or lacks the solution export.
    #[error("invalid component: {0}")]
    InvalidComponent(String),
    /// Imports something outside [`ALLOWED_IMPORTS`].
    #[error(
        "forbidden import `{name}`: a solution may import only smelt:solution/log and the WASI interfaces Rust's std needs"
    )]
    ForbiddenImport {
        /// The import's full name.
        name: String,
    },
    /// Has more code than [`CODE_LIMITS`] allows (a compile bomb), refused before compiling.
    #[error("too complex to compile: {actual} {what}; the cap is {limit}")]
    TooComplex {
        /// Which cap: functions, bytes of code, bytes in one function body, locals in one function.
        what: String,
        /// What the component has.
        actual: u64,
        /// The cap.
        limit: u64,
    },
    /// Used up its fuel.
    #[error("out of fuel: the call used all of its {limit} fuel")]
    OutOfFuel {
        /// The fuel the call was given.
        limit: u64,
    },
    /// Ran past the wall-clock deadline.
    #[error("timeout: the call ran past its {limit_ms} ms deadline")]
    Timeout {
        /// The deadline in milliseconds.
        limit_ms: u64,
    },
    /// Tried to grow linear memory past the cap.
    #[error(
        "memory limit: the call asked for {requested} bytes of linear memory; the cap is {limit}"
    )]
    MemoryLimit {
        /// The cap in bytes.
        limit: u64,
        /// What the guest asked for.
        requested: u64,
    },
    /// Tried to grow a table past the cap.
    #[error("table limit: the call asked for {requested} table elements; the cap is {limit}")]
    TableLimit {
        /// The cap in elements.
        limit: u64,
        /// What the guest asked for.
        requested: u64,
    },
    /// Exhausted the wasm stack.
    #[error("stack overflow: the call exhausted its wasm stack")]
    StackOverflow,
    /// The guest panicked.
    #[error("guest panicked: {message}")]
    Panic {
        /// The panic message the guest printed.
        message: String,
    },
    /// Any other trap.
    #[error("trap: {message}")]
    Trap {
        /// What trapped.
        message: String,
    },
    /// Returned more than the output cap.
    #[error("output too large: {size} bytes; the cap is {limit}")]
    OutputTooLarge {
        /// Approximate output size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// Logged (or printed) more than the log cap.
    #[error("log too large: the call logged more than its {limit} byte cap")]
    LogTooLarge {
        /// The cap.
        limit: u64,
    },
    /// Asked `wasi:random` for more bytes at once than the host hands out.
    #[error("random request too large: the call asked for more than {limit} random bytes at once")]
    RandomTooLarge {
        /// The most bytes one request may ask for.
        limit: u64,
    },
    /// Returned an output that breaks its WIT version's encoding (a text column's ends that do
    /// not fit its buffer, for example); the message names the table and column.
    #[error("malformed output: {0}")]
    MalformedOutput(String),
    /// The solution returned its own error value.
    #[error("{0}")]
    Solution(#[from] SolutionError),
    /// The host's side failed (store creation, for example).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A stable snake_case code for APIs: `out_of_fuel`, `timeout`, `memory_limit`, ...
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotWasm(_) => "not_wasm",
            Error::CoreModule => "core_module",
            Error::InvalidComponent(_) => "invalid_component",
            Error::ForbiddenImport { .. } => "forbidden_import",
            Error::TooComplex { .. } => "too_complex",
            Error::OutOfFuel { .. } => "out_of_fuel",
            Error::Timeout { .. } => "timeout",
            Error::MemoryLimit { .. } => "memory_limit",
            Error::TableLimit { .. } => "table_limit",
            Error::StackOverflow => "stack_overflow",
            Error::Panic { .. } => "panic",
            Error::Trap { .. } => "trap",
            Error::OutputTooLarge { .. } => "output_too_large",
            Error::LogTooLarge { .. } => "log_too_large",
            Error::RandomTooLarge { .. } => "random_too_large",
            Error::MalformedOutput(_) => "malformed_output",
            Error::Solution(SolutionError::InvalidInput(_)) => "invalid_input",
            Error::Solution(SolutionError::InvalidParam(_)) => "invalid_param",
            Error::Solution(SolutionError::Unsupported(_)) => "unsupported",
            Error::Internal(_) => "internal",
        }
    }

    /// True for errors that stop a call because of a sandbox limit or a trap (as opposed to a
    /// well-behaved `solution-error`, or a component refused before running).
    pub fn is_abnormal(&self) -> bool {
        !matches!(
            self,
            Error::Solution(_)
                | Error::NotWasm(_)
                | Error::CoreModule
                | Error::InvalidComponent(_)
                | Error::ForbiddenImport { .. }
                | Error::TooComplex { .. }
        )
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
