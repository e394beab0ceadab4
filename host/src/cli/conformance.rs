//! `smelt conformance`: the reviewer's suite on one component, with progress and a scorecard.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use smelt_conformance::{Progress, Suite, load_package, reviewer_vectors};
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
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    if args.manifest.file_name().and_then(|n| n.to_str()) != Some("smelt.toml") {
        bail!(
            "--manifest must name a smelt.toml file, got {}",
            args.manifest.display()
        );
    }
    let (manifest, vectors) =
        load_package(&dir).with_context(|| format!("reading the package in {}", dir.display()))?;
    let held = match &args.vectors {
        Some(path) => Some(
            reviewer_vectors(path)
                .with_context(|| format!("reading reviewer vectors in {}", path.display()))?,
        ),
        None => None,
    };
    let component = std::fs::read(&args.component)
        .with_context(|| format!("reading {}", args.component.display()))?;
    let runtime = Runtime::new()?;
    let mut stderr = std::io::stderr();
    let card = Suite::full().run(
        &runtime,
        &component,
        &manifest,
        &vectors,
        held.as_ref(),
        &mut |p: &Progress<'_>| {
            let _ = match p {
                Progress::Started { id, index, total } => {
                    write!(stderr, "[{:>2}/{total}] {:<20} ", index + 1, id.as_str())
                }
                Progress::Finished { result, .. } => {
                    writeln!(stderr, "{}", result.outcome.as_str())
                }
            };
        },
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&card.to_json())?);
    } else {
        println!("{}", card.to_table());
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
