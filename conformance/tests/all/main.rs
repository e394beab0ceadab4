//! The conformance suite on real components built from this repository: every example plugin
//! passes, every hostile component fails on the analyzer that names its misbehaviour, and
//! reviewer-held vectors catch what a package's own vectors miss.

mod hostile;
mod plugins;

use std::sync::OnceLock;

use smelt_conformance::{AnalyzerId, Outcome, Scorecard};
use smelt_runtime::Runtime;

/// One runtime for the whole test binary, as in the server.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new().expect("runtime"))
}

/// Reads a component file.
pub fn bytes(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The outcome of analyzer `id` in `card`; panics if it did not run.
pub fn outcome(card: &Scorecard, id: AnalyzerId) -> Outcome {
    card.result(id)
        .unwrap_or_else(|| panic!("{id} did not run:\n{card}"))
        .outcome
}
