/// The rustflags every solution is built with for `wasm32-wasip2`: this crate's build of the
/// example plugins and hostile components, and `smelt build` (as
/// `--config target.wasm32-wasip2.rustflags=[...]`, so a project's own cargo configuration for
/// other targets is left alone).
///
/// `simd128` lets LLVM vectorise the column loops it vectorises natively: without it a plugin's
/// `f64` loops run one lane at a time in the sandbox. Every wasmtime on x86-64 and aarch64
/// compiles SIMD, and it is deterministic (unlike relaxed SIMD, which stays off).
pub const WASM_RUSTFLAGS: &[&str] = &["-C", "target-feature=+simd128"];

/// `WASM_RUSTFLAGS` as the value of cargo's `--config` option.
pub fn wasm_rustflags_config() -> String {
    let flags: Vec<String> = WASM_RUSTFLAGS.iter().map(|f| format!("{f:?}")).collect();
    format!("target.wasm32-wasip2.rustflags=[{}]", flags.join(", "))
}
