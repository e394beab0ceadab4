//! `smelt build`: the project's component, release, for `wasm32-wasip2`; and where to find it.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::Value;
use smelt_conformance::SuiteConfig;
use smelt_registry::Manifest;
use smelt_runtime::Runtime;

/// The target every smelt component is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Arguments of `smelt build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The project directory (with Cargo.toml and smelt.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Checks that `dir` is a solution project: Cargo.toml and smelt.toml.
pub fn check_project(dir: &Path) -> anyhow::Result<()> {
    for file in ["Cargo.toml", "smelt.toml"] {
        if !dir.join(file).is_file() {
            bail!(
                "{} has no {file}: run this in a solution project (create one with `smelt new <name>`)",
                dir.display()
            );
        }
    }
    Ok(())
}

/// `Some(false)` when rustup is there and the target is not installed; `None` without rustup.
fn target_installed(dir: &Path) -> Option<bool> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .any(|l| l.trim() == TARGET),
    )
}

/// Builds the component of the project in `dir` with the solution rustflags
/// ([`smelt_artifacts::WASM_RUSTFLAGS`]: SIMD on); returns its path. Cargo's own messages go to
/// stderr as usual. `RUSTFLAGS` in the environment replaces those flags, as it replaces any
/// configured ones.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    check_project(dir)?;
    if target_installed(dir) == Some(false) {
        bail!("the {TARGET} target is not installed; install it with: rustup target add {TARGET}");
    }
    let mut child = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--release",
            "--lib",
            "--target",
            TARGET,
            "--message-format=json-render-diagnostics",
            "--config",
            smelt_artifacts::wasm_rustflags_config().as_str(),
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting cargo (is Rust installed? see https://rustup.rs)")?;
    let mut wasm = None;
    let stdout = child.stdout.take().context("reading cargo's output")?;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's output")?;
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact" {
            let files = message["filenames"].as_array().cloned().unwrap_or_default();
            if let Some(file) = files
                .iter()
                .filter_map(Value::as_str)
                .find(|f| f.ends_with(".wasm"))
            {
                wasm = Some(PathBuf::from(file));
            }
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        bail!("cargo build failed (its errors are above); fix them and run `smelt build` again");
    }
    wasm.context(
        "cargo built no .wasm: Cargo.toml needs `[lib] crate-type = [\"cdylib\", \"rlib\"]`",
    )
}

/// The target directory cargo uses for the project in `dir` (`CARGO_TARGET_DIR`, cargo's
/// configuration, or the workspace's `target/`), if `dir` is a cargo project.
fn cargo_target_dir(dir: &Path) -> Option<PathBuf> {
    if !dir.join("Cargo.toml").is_file() {
        return None;
    }
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let metadata: Value = serde_json::from_slice(&output.stdout).ok()?;
    metadata["target_directory"].as_str().map(PathBuf::from)
}

/// Where `cargo build --release --target wasm32-wasip2` put the component of the package in
/// `dir` (the project's cargo target directory first, then the target directories of `dir` and
/// its parents), and the build-profile outputs of smelt's own artifacts.
pub fn find_component(dir: &Path, crate_name: &str) -> Option<PathBuf> {
    let file = format!("{}.wasm", crate_name.replace('-', "_"));
    let release = Path::new(TARGET).join("release");
    if let Some(target) = cargo_target_dir(dir) {
        let path = target.join(&release).join(&file);
        if path.is_file() {
            return Some(path);
        }
    }
    dir.ancestors().find_map(|root| {
        [
            PathBuf::from("target/wasm/wasm32-wasip2/plugin"),
            PathBuf::from("target/wasm32-wasip2/plugin"),
            Path::new("target").join(&release),
        ]
        .iter()
        .map(|sub| root.join(sub).join(&file))
        .find(|p| p.is_file())
    })
}

/// `1234567` → `1.18 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.2} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// Loads the component and checks that it describes itself as the package `smelt.toml`
/// names; returns a one-line summary of its descriptor.
fn check_identity(dir: &Path, wasm: &Path) -> anyhow::Result<String> {
    let manifest_path = dir.join("smelt.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest =
        Manifest::from_toml(&text).with_context(|| format!("in {}", manifest_path.display()))?;
    let bytes = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let descriptor = Runtime::new()?
        .load(&bytes)
        .and_then(|plugin| plugin.describe())
        .with_context(|| format!("loading the built component {}", wasm.display()))?;
    let (name, version) = (
        manifest.package.name.as_str(),
        manifest.package.version.to_string(),
    );
    if descriptor.name != name || descriptor.version != version {
        bail!(
            "the component describes itself as {}@{} but smelt.toml says {name}@{version}: make the name in describe() and the versions in Cargo.toml and smelt.toml agree, then build again",
            descriptor.name,
            descriptor.version
        );
    }
    Ok(format!(
        "{name} {version}: {} input table(s), {} param(s), {} output table(s), {} metric(s)",
        descriptor.inputs.len(),
        descriptor.params.len(),
        descriptor.outputs.len(),
        descriptor.metrics.len()
    ))
}

/// Runs `smelt build`.
pub fn run(args: BuildArgs) -> anyhow::Result<()> {
    let wasm = build(&args.dir)?;
    let identity = check_identity(&args.dir, &wasm)?;
    let size = std::fs::metadata(&wasm)
        .with_context(|| format!("reading {}", wasm.display()))?
        .len();
    let threshold = SuiteConfig::default().size_threshold_bytes;
    let verdict = if size <= threshold {
        format!(
            "small: {:.0} % of the {} threshold",
            size as f64 * 100.0 / threshold as f64,
            human_bytes(threshold)
        )
    } else {
        format!(
            "NOT small: over the {} threshold (size.small will warn); look for heavy dependencies",
            human_bytes(threshold)
        )
    };
    println!(
        "built {} ({}, {verdict})",
        wasm.display(),
        human_bytes(size)
    );
    println!("{identity}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(150 * 1024), "150.0 KiB");
        assert_eq!(human_bytes(2 << 20), "2.00 MiB");
    }
}
