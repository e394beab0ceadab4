//! `smelt completions`: a shell completion script on standard output.

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

/// Arguments of `smelt completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash | zsh | fish | elvish | powershell
    pub shell: Shell,
}

/// Prints the completion script for `shell`.
pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = super::Cli::command();
    clap_complete::generate(args.shell, &mut command, "smelt", &mut std::io::stdout());
    Ok(())
}
