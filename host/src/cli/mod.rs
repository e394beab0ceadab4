//! Command-line parsing and dispatch.

mod run;

use clap::{Parser, Subcommand};

/// smelt — a marketplace host for small, fast, light, precise (小快轻准) industrial solutions.
#[derive(Debug, Parser)]
#[command(name = "smelt", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one call of a solution component locally and print its output and usage as JSON.
    ///
    /// Example: smelt run dye_lot_color_qc.wasm --input lot.json --timeout-ms 500
    Run(run::RunArgs),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Run(args) => run::run(args),
        }
    }
}
