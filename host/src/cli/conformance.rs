//! `smelt conformance`: the reviewer's suite on one component, with progress and a scorecard.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use smelt_conformance::{Outcome, Progress, Suite, load_package, reviewer_vectors};
use smelt_runtime::Runtime;

/// Arguments of `smelt conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// The solution component (.wasm).
    pub component: PathBuf,
    /// The package's smelt.toml (its [[vectors]] are read relative to it).
    #[arg(long)]
    pub manifest: PathBuf,
    /// A directory of reviewer-held vectors the provider never sees.
    #[arg(long)]
    pub vectors: Option<PathBuf>,
    /// Print the scorecard as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the suite; exit code 0 only when the scorecard passes.
pub fn run(args: ConformanceArgs) -> anyhow::Result<()> {
    let dir = args
        .manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    if args.manifest.file_name().and_then(|n| n.to_str()) != Some("smelt.toml") {
        bail!(
            "--manifest must name a smelt.toml file, got {}",
            args.manifest.display()
        );
    }
    score(
        &args.component,
        &dir,
        args.vectors.as_deref(),
        args.json,
        &mut |p: &Progress<'_>| {
            let mut stderr = std::io::stderr();
            let _ = match p {
                Progress::Started { id, index, total } => {
                    write!(stderr, "[{:>2}/{total}] {:<20} ", index + 1, id.as_str())
                }
                Progress::Finished { result, .. } => {
                    writeln!(stderr, "{}", result.outcome.as_str())
                }
            };
        },
    )
}

/// Runs the full suite on `component` of the package in `dir` (with reviewer-held vectors from
/// `held`), prints the scorecard (JSON or a table) and fails unless it passes.
pub fn score(
    component: &Path,
    dir: &Path,
    held: Option<&Path>,
    json: bool,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> anyhow::Result<()> {
    let (manifest, vectors) = load_package(dir).with_context(|| {
        format!(
            "reading the package in {} (it needs smelt.toml and the vectors it names)",
            dir.display()
        )
    })?;
    let held = match held {
        Some(path) => Some(
            reviewer_vectors(path)
                .with_context(|| format!("reading reviewer vectors in {}", path.display()))?,
        ),
        None => None,
    };
    let bytes = std::fs::read(component)
        .with_context(|| format!("cannot read {} (check the path)", component.display()))?;
    let runtime = Runtime::new()?;
    let card = Suite::full().run(
        &runtime,
        &bytes,
        &manifest,
        &vectors,
        held.as_ref(),
        progress,
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&card.to_json())?);
    } else {
        println!("{}", card.to_table());
        for failure in card.results.iter().filter(|r| r.outcome == Outcome::Fail) {
            println!(
                "\n{} ({}): {}\n{}",
                failure.id.as_str(),
                failure.severity.as_str(),
                failure.summary,
                evidence_lines(&failure.evidence)
            );
        }
    }
    if !card.pass {
        bail!(
            "{} failed conformance: {}",
            manifest.package.name,
            card.failures()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// A failure's evidence, indented, one field a line (long lists cut short).
fn evidence_lines(evidence: &serde_json::Value) -> String {
    let Some(fields) = evidence.as_object() else {
        return format!("  {evidence}");
    };
    fields
        .iter()
        .map(|(key, value)| {
            let mut text = value.to_string();
            if text.chars().count() > 300 {
                text = text.chars().take(300).collect::<String>() + "…";
            }
            format!("  {key}: {text}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
