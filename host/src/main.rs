//! `smelt`: the command line of the smelt marketplace host.

mod cli;
mod server;

use std::process::ExitCode;

/// The server allocates and frees many small objects per request on several threads (request
/// parsing, the guest's input and output, each call's store): glibc malloc took 17–20 % of the
/// server's CPU under the trials load, and mimalloc roughly doubled trials per second
/// (`BENCHMARKS.md` section 3). Built without transparent huge pages (`no_thp`): with them its
/// arenas are backed by 2 MiB pages and the idle server's resident memory is 4× larger.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
