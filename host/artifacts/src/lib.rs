//! Paths of the WebAssembly components built from this repository's sources: the example
//! plugins, the hostile test components and the echo components (one per WIT version).
//! `build.rs` builds them for wasm32-wasip2.
//!
//! ```
//! let path = smelt_artifacts::plugin("dye-lot-color-qc");
//! assert!(std::fs::read(path).unwrap().starts_with(b"\0asm"));
//! ```

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
include!("rustflags.rs");

/// The component path of example plugin `name`; panics on an unknown name (a test bug).
pub fn plugin(name: &str) -> &'static str {
    PLUGINS
        .iter()
        .find(|p| p.0 == name)
        .map(|p| p.2)
        .unwrap_or_else(|| panic!("no plugin {name}"))
}

/// The source directory (with `smelt.toml`) of example plugin `name`.
pub fn plugin_dir(name: &str) -> &'static str {
    PLUGINS
        .iter()
        .find(|p| p.0 == name)
        .map(|p| p.1)
        .unwrap_or_else(|| panic!("no plugin {name}"))
}

/// The component path of hostile component `name`; panics on an unknown name.
pub fn hostile(name: &str) -> &'static str {
    HOSTILE
        .iter()
        .find(|p| p.0 == name)
        .map(|p| p.1)
        .unwrap_or_else(|| panic!("no hostile component {name}"))
}

/// The component path of the echo component on WIT `version` (it returns its input; see
/// `host/echo`); panics on a version without one.
pub fn echo(version: &str) -> &'static str {
    ECHO.iter()
        .find(|p| p.0 == version)
        .map(|p| p.1)
        .unwrap_or_else(|| panic!("no echo component for WIT {version}"))
}
