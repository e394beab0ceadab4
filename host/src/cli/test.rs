//! `smelt test`: the reviewer's conformance suite on the project's built component, locally,
//! with a progress bar; the same exit code rules as `smelt conformance`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use smelt_conformance::{Progress, Suite};
use smelt_registry::Manifest;

use super::build::{check_project, find_component};

/// Arguments of `smelt test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The project directory (with smelt.toml and the vectors it names).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The component; default: what `smelt build` made.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// A directory of extra held-back vectors (`<name>.input.json` + `<name>.expected.json`).
    #[arg(long)]
    pub vectors: Option<PathBuf>,
    /// Print the scorecard as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The component of the project in `dir`: `component` if given, else the build output.
pub fn component_of(dir: &std::path::Path, component: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = component {
        return Ok(path);
    }
    let manifest_path = dir.join("smelt.toml");
    let text = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "cannot read {}: give the directory of a solution project (create one with `smelt new <name>`)",
            manifest_path.display()
        )
    })?;
    let manifest =
        Manifest::from_toml(&text).with_context(|| format!("in {}", manifest_path.display()))?;
    find_component(dir, manifest.package.name.as_str()).with_context(|| {
        format!(
            "no built component for {} found: run `smelt build` first, or pass --component <file.wasm>",
            manifest.package.name
        )
    })
}

/// Runs `smelt test`.
pub fn run(args: TestArgs) -> anyhow::Result<()> {
    // With --component, any package directory will do (smelt.toml and its vectors).
    if args.component.is_none() {
        check_project(&args.dir)?;
    }
    let component = component_of(&args.dir, args.component)?;
    let bar = ProgressBar::new(Suite::full().analyzers().len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} {msg}")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = super::conformance::score(
        &component,
        &args.dir,
        args.vectors.as_deref(),
        args.json,
        &mut |p: &Progress<'_>| match p {
            Progress::Started { id, index, total } => {
                bar.set_length(*total as u64);
                bar.set_position(*index as u64);
                bar.set_message(id.as_str());
            }
            Progress::Finished { index, result, .. } => {
                bar.set_position(*index as u64 + 1);
                let line = format!(
                    "{:<20} {:<4} {}",
                    result.id.as_str(),
                    result.outcome.as_str(),
                    result.summary
                );
                // A hidden bar (stderr not a terminal) prints nothing: logs get plain lines.
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
                if index + 1 == bar.length().unwrap_or(0) as usize {
                    bar.finish_and_clear();
                }
            }
        },
    );
    bar.finish_and_clear();
    result
}
