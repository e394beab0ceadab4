//! `smelt`: the command line of the smelt marketplace host.

mod cli;
mod server;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::parse();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
