//! Command-line parsing and dispatch.

mod client;
mod conformance;
mod demo;
mod run;
mod serve;

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
    /// Serve the HTTP API.
    ///
    /// Example: smelt serve --data ./smelt-data --addr 127.0.0.1:7878
    Serve(serve::ServeArgs),
    /// Start a server on a fresh data directory with every example solution published and one
    /// account per role; prints the URL and the tokens.
    ///
    /// Example: smelt demo
    Demo(demo::DemoArgs),
    /// Score a component with the conformance suite (small, fast, light, precise, safe);
    /// exits non-zero unless it passes.
    ///
    /// Example: smelt conformance dye_lot_color_qc.wasm --manifest plugins/dye-lot-color-qc/smelt.toml --vectors held/
    Conformance(conformance::ConformanceArgs),
    /// Publish a solution: the directory holds smelt.toml (and the vectors it names).
    ///
    /// Example: SMELT_TOKEN=... smelt publish plugins/dye-lot-color-qc --component dye_lot_color_qc.wasm
    Publish(client::PublishArgs),
    /// Search the catalog.
    ///
    /// Example: smelt search colour --industry textile-dyeing
    Search(client::SearchArgs),
    /// Try a listed solution on your own data in the server's sandbox.
    ///
    /// Example: SMELT_TOKEN=... smelt try dye-lot-color-qc@^0.1 --input lot.json
    Try(client::TryArgs),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Run(args) => run::run(args),
            Command::Conformance(args) => conformance::run(args),
            Command::Serve(args) => block_on(serve::serve(args)),
            Command::Demo(args) => block_on(demo::demo(args)),
            Command::Publish(args) => block_on(client::publish(args)),
            Command::Search(args) => block_on(client::search(args)),
            Command::Try(args) => block_on(client::try_solution(args)),
        }
    }
}

fn block_on<F: Future<Output = anyhow::Result<()>>>(future: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}
