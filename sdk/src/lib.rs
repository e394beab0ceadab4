//! Write smelt solutions in Rust.
//!
//! A smelt solution is a WebAssembly component that implements the `smelt:solution@0.2.0`
//! world: it describes its input tables, params and outputs, and it turns one input into
//! tables, metrics and findings. This crate hides the bindings: implement [`Solution`], call
//! [`export_solution!`], and build for `wasm32-wasip2`.
//!
//! The accessors turn every problem with the caller's data into a [`SolutionError`] whose
//! message names the table, column, row or param, so a solution never needs to panic on input.
//! A text column is a [`TextColumn`], as the contract carries it: one UTF-8 buffer and the end
//! of each value in it.
//!
//! # Example
//!
//! A complete solution that flags measurements above a limit:
//!
//! ```
//! use smelt_sdk::prelude::*;
//!
//! struct Limit;
//!
//! impl Solution for Limit {
//!     fn describe() -> Descriptor {
//!         Descriptor::new("limit-check", "0.1.0", "Flags measurements above a limit")
//!             .input(
//!                 TableSpec::new("measurements", "One row per part")
//!                     .column(ColumnSpec::float64("value", "mm", "Measured diameter")),
//!             )
//!             .param(ParamSpec::float64("limit", "mm", "Upper limit").default_f64(10.0).range(0.0, 1e6))
//!             .output(TableSpec::new("flags", "One row per part").column(ColumnSpec::boolean("over", "", "Above the limit")))
//!             .metric(MetricSpec::new("over_count", "", "Parts above the limit"))
//!     }
//!
//!     fn run(input: Input) -> Result<Output, SolutionError> {
//!         let table = input.table("measurements")?;
//!         let values = table.float64("value")?;
//!         let limit = input.float64_param("limit")?.unwrap_or(10.0);
//!         let mut output = Output::new();
//!         let mut over = Vec::with_capacity(values.len());
//!         for (row, &value) in values.iter().enumerate() {
//!             let value = table.finite("value", row, value)?;
//!             over.push(value > limit);
//!             if value > limit {
//!                 output.push_finding(Finding::warning("over-limit", format!("{value} mm > {limit} mm")).at("measurements", row));
//!             }
//!         }
//!         let count = over.iter().filter(|&&o| o).count();
//!         Ok(output
//!             .with_table(TableBuilder::new("flags").boolean("over", over).build())
//!             .with_metric("over_count", count as f64, ""))
//!     }
//! }
//!
//! // In the plugin crate (built for wasm32-wasip2):
//! // smelt_sdk::export_solution!(Limit);
//!
//! // The same code runs natively, which is how a plugin's math is unit-tested:
//! let input = Input::new()
//!     .with_table(TableBuilder::new("measurements").float64("value", vec![9.0, 11.5]).build())
//!     .with_param("limit", Value::Float64(10.0));
//! let output = Limit::run(input).unwrap();
//! assert_eq!(output.metric("over_count"), Some(1.0));
//! assert_eq!(output.findings[0].row, Some(1));
//! ```
#![deny(missing_docs)]

// The component's allocator; natively only its tests (the host's allocator serves native code).
pub mod hash;
#[cfg(any(
    test,
    all(
        target_arch = "wasm32",
        not(target_feature = "atomics"),
        feature = "allocator"
    )
))]
mod heap;
pub mod math;
mod read;
mod text;
mod write;

#[allow(missing_docs, unsafe_code, clippy::all)]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.2.0",
        world: "smelt:solution/plugin@0.2.0",
        pub_export_macro: true,
        default_bindings_module: "smelt_sdk::bindings",
        export_macro_name: "export",
    });
}

pub use bindings::exports::smelt::solution::solution::Guest;
pub use bindings::smelt::solution::types::{
    Column, ColumnSpec, ColumnValues, Descriptor, Finding, Input, Metric, MetricSpec, Output,
    Param, ParamSpec, Severity, SolutionError, Table, TableSpec, TextColumn, Value, ValueType,
};
pub use read::TableRef;
pub use text::TextIter;
pub use write::TableBuilder;

/// The WIT package version this SDK targets.
///
/// ```
/// assert_eq!(smelt_sdk::WIT_VERSION, "0.2.0");
/// ```
pub const WIT_VERSION: &str = "0.2.0";

/// Everything a solution usually needs, for `use smelt_sdk::prelude::*`.
///
/// ```
/// use smelt_sdk::prelude::*;
///
/// let output: Result<Output, SolutionError> = Ok(Output::new().with_metric("n", 1.0, ""));
/// assert!(output.is_ok());
/// ```
pub mod prelude {
    pub use crate::{
        Column, ColumnSpec, ColumnValues, Descriptor, Finding, Input, Metric, MetricSpec, Output,
        ParamSpec, Severity, Solution, SolutionError, Table, TableBuilder, TableRef, TableSpec,
        TextColumn, Value, ValueType, log,
    };
}

/// A smelt solution: a schema and a pure function from input to output.
///
/// Implement it on a unit struct and export it with [`export_solution!`]. The crate-level
/// example is a complete one; the smallest is:
///
/// ```
/// use smelt_sdk::prelude::*;
///
/// struct Count;
///
/// impl Solution for Count {
///     fn describe() -> Descriptor {
///         Descriptor::new("row-count", "0.1.0", "Counts rows")
///             .input(TableSpec::new("rows", "Any rows").column(ColumnSpec::float64("x", "", "A value")))
///             .metric(MetricSpec::new("rows", "", "Row count"))
///     }
///
///     fn run(input: Input) -> Result<Output, SolutionError> {
///         let rows = input.table("rows")?.rows()?;
///         Ok(Output::new().with_metric("rows", rows as f64, ""))
///     }
/// }
///
/// let input = Input::new().with_table(TableBuilder::new("rows").float64("x", vec![1.0, 2.0]).build());
/// assert_eq!(Count::run(input).unwrap().metric("rows"), Some(2.0));
/// ```
pub trait Solution {
    /// The declared schema. Must agree with the package's `smelt.toml`.
    fn describe() -> Descriptor;

    /// Runs once. Return [`SolutionError`] for bad input; never panic on it.
    fn run(input: Input) -> Result<Output, SolutionError>;
}

impl<T: Solution> Guest for T {
    fn describe() -> Descriptor {
        T::describe()
    }

    fn run(input: Input) -> Result<Output, SolutionError> {
        T::run(input)
    }
}

/// Exports a [`Solution`] implementation as the component's `smelt:solution/solution`.
///
/// Use it once, in the crate built as the component (`crate-type = ["cdylib", "rlib"]`); the
/// `cfg` keeps native builds (tests, other crates reusing the math) free of the exports:
///
/// ```
/// use smelt_sdk::prelude::*;
///
/// pub struct Echo;
///
/// impl Solution for Echo {
///     fn describe() -> Descriptor {
///         Descriptor::new("echo", "0.1.0", "Returns nothing")
///     }
///     fn run(_: Input) -> Result<Output, SolutionError> {
///         Ok(Output::new())
///     }
/// }
///
/// #[cfg(target_arch = "wasm32")]
/// smelt_sdk::export_solution!(Echo);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_solution {
    ($ty:ident) => {
        $crate::bindings::export!($ty with_types_in $crate::bindings);
    };
}

/// Logging to the host. The host keeps a bounded amount of log per call; past it the call
/// fails, so log summaries, not every row.
pub mod log {
    #[cfg(target_arch = "wasm32")]
    use crate::bindings::smelt::solution::log::{Level, log};

    #[cfg(target_arch = "wasm32")]
    fn emit(level: Level, message: &str) {
        log(level, message);
    }

    // Natively (unit tests, benches) there is no host: write to stderr.
    #[cfg(not(target_arch = "wasm32"))]
    fn emit(level: &str, message: &str) {
        eprintln!("[{level}] {message}");
    }

    #[cfg(target_arch = "wasm32")]
    macro_rules! level {
        ($l:ident, $s:literal) => {
            Level::$l
        };
    }
    #[cfg(not(target_arch = "wasm32"))]
    macro_rules! level {
        ($l:ident, $s:literal) => {
            $s
        };
    }

    /// Logs at debug level. (Every level works the same way.)
    ///
    /// ```
    /// smelt_sdk::log::debug("parsed 12 rows");
    /// smelt_sdk::log::info(format!("{} lots checked", 12));
    /// smelt_sdk::log::warn("lot L7 has no standard; skipped");
    /// smelt_sdk::log::error("no usable rows");
    /// ```
    pub fn debug(message: impl AsRef<str>) {
        emit(level!(Debug, "debug"), message.as_ref());
    }

    /// Logs at info level.
    pub fn info(message: impl AsRef<str>) {
        emit(level!(Info, "info"), message.as_ref());
    }

    /// Logs at warn level.
    pub fn warn(message: impl AsRef<str>) {
        emit(level!(Warn, "warn"), message.as_ref());
    }

    /// Logs at error level.
    pub fn error(message: impl AsRef<str>) {
        emit(level!(Error, "error"), message.as_ref());
    }
}
