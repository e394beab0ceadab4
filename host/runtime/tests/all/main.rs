//! Integration tests of the sandbox with real components built from this repository.

mod cache;
mod contracts;
mod hostile;
mod plugins;

use std::sync::OnceLock;

use smelt_runtime::{Plugin, Runtime};

/// One runtime for the whole test binary, as in the server.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new().expect("runtime"))
}

/// Loads a component file.
pub fn load(path: &str) -> Plugin {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    runtime()
        .load(&bytes)
        .unwrap_or_else(|e| panic!("loading {path}: {e}"))
}

/// Awaits `call` as the server does: inside a multi-threaded Tokio runtime, with its timer.
pub fn on_async_thread<F: Future>(call: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .expect("tokio runtime")
        .block_on(call)
}
