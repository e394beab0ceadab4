//! Command-line parsing and dispatch.

mod build;
mod client;
mod completions;
mod conformance;
mod credentials;
mod demo;
mod enterprise;
mod new;
mod run;
mod serve;
mod test;

use clap::{CommandFactory as _, Parser, Subcommand};

/// smelt — a marketplace host for small, fast, light, precise (小快轻准) industrial solutions.
#[derive(Debug, Parser)]
#[command(
    name = "smelt",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  smelt new gauge-check && cd gauge-check && smelt build && smelt test && smelt publish\n  smelt try dye-lot-color-qc@^0.1 --input batches.csv:batches --input standard.csv:standard\n\nProviders: sdk/README.md walks from `smelt new` to a published version."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Parses the command line. `--help` and `--version` print as usual; a usage error is one
/// line (what is wrong, the usage, where to read more) and exit code 2.
pub fn parse() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let subcommand = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
            eprintln!(
                "{}",
                one_line(&e.render().to_string(), subcommand.as_deref())
            );
            std::process::exit(2);
        }
    }
}

/// clap's multi-line error text as one line; `subcommand` (as typed) says whose help to read.
fn one_line(text: &str, subcommand: Option<&str>) -> String {
    let mut parts = Vec::new();
    let mut usage = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u.to_owned());
        } else if !line.starts_with("For more information") {
            parts.push(line.to_owned());
        }
    }
    let mut out = parts.join(" ");
    if let Some(usage) = &usage {
        out.push_str(&format!("; usage: {usage}"));
    }
    let help = match subcommand {
        Some(command) if Cli::command().find_subcommand(command).is_some() => {
            format!("smelt {command} --help")
        }
        _ => "smelt --help".to_owned(),
    };
    out.push_str(&format!(" (more: {help})"));
    out
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one call of a solution component locally and print its output and usage as JSON.
    #[command(
        after_help = "Example:\n  smelt run dye_lot_color_qc.wasm --input lot.json --timeout-ms 500"
    )]
    Run(run::RunArgs),
    /// Serve the HTTP API.
    #[command(after_help = "Example:\n  smelt serve --data ./smelt-data --addr 127.0.0.1:7878")]
    Serve(serve::ServeArgs),
    /// Start a server on a fresh data directory with every example solution published and one
    /// account per role; prints the URL and the tokens.
    #[command(after_help = "Example:\n  smelt demo")]
    Demo(demo::DemoArgs),
    /// Score a component with the conformance suite (small, fast, light, precise, safe);
    /// exits non-zero unless it passes.
    #[command(
        after_help = "Example:\n  smelt conformance dye_lot_color_qc.wasm --manifest plugins/dye-lot-color-qc/smelt.toml --vectors held/"
    )]
    Conformance(conformance::ConformanceArgs),
    /// Create a solution project from the template: Cargo project, src/lib.rs, smelt.toml,
    /// vectors/ and a README; it builds and passes `smelt test` unchanged.
    #[command(
        after_help = "Example:\n  smelt new gauge-check --industry auto-parts --scene quality && cd gauge-check"
    )]
    New(new::NewArgs),
    /// Build the project's component (release, wasm32-wasip2) and report its size against the
    /// "small" threshold.
    #[command(after_help = "Example:\n  cd gauge-check && smelt build")]
    Build(build::BuildArgs),
    /// Run the conformance suite on the project's built component, as a reviewer will; exits
    /// non-zero unless it passes.
    #[command(after_help = "Example:\n  smelt build && smelt test")]
    Test(test::TestArgs),
    /// Store a token for a server (credentials file, mode 0600) after checking it works.
    #[command(
        after_help = "Example:\n  smelt login --server https://smelt.example.cn --token <token from your admin>"
    )]
    Login(credentials::LoginArgs),
    /// Publish a solution: the directory holds smelt.toml (and the vectors it names).
    #[command(after_help = "Example:\n  smelt build && smelt test && smelt publish")]
    Publish(client::PublishArgs),
    /// Search the catalog.
    #[command(after_help = "Example:\n  smelt search colour --industry textile-dyeing")]
    Search(client::SearchArgs),
    /// Try a listed solution on your own data (CSV files or input JSON) in the server's sandbox.
    #[command(
        after_help = "Example:\n  smelt try dye-lot-color-qc@^0.1 --input standard.csv:standard --input batches.csv:batches --param tolerance=1.5"
    )]
    Try(enterprise::TryArgs),
    /// Deploy: pin the approved version a requirement resolves to.
    #[command(after_help = "Example:\n  smelt deploy dye-lot-color-qc@^0.1 --param tolerance=1.5")]
    Deploy(enterprise::DeployArgs),
    /// List your deployments.
    #[command(after_help = "Example:\n  smelt deployments --json")]
    Deployments(enterprise::DeploymentsArgs),
    /// Run a deployment's pinned version on your data (metered).
    #[command(after_help = "Example:\n  smelt invoke dep-18c2f-0 --input batches.csv:batches")]
    Invoke(enterprise::InvokeArgs),
    /// Move a deployment to another version through the upgrade gate (WIT version, review, a
    /// shadow run of recent inputs on both versions).
    #[command(after_help = "Example:\n  smelt upgrade dep-18c2f-0 ^0.2 --dry-run")]
    Upgrade(enterprise::UpgradeArgs),
    /// Return a deployment to the version it ran before its last upgrade.
    #[command(after_help = "Example:\n  smelt rollback dep-18c2f-0")]
    Rollback(enterprise::RollbackArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  smelt completions bash > ~/.local/share/bash-completion/completions/smelt"
    )]
    Completions(completions::CompletionsArgs),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        // The servers keep Rust's ignored SIGPIPE: a peer closing its socket must not end them.
        if !matches!(self, Command::Serve(_) | Command::Demo(_)) {
            quiet_on_closed_pipe();
        }
        match self {
            Command::Run(args) => run::run(args),
            Command::Conformance(args) => conformance::run(args),
            Command::Serve(args) => block_on(serve::serve(args)),
            Command::Demo(args) => block_on(demo::demo(args)),
            Command::New(args) => new::run(args),
            Command::Build(args) => build::run(args),
            Command::Test(args) => test::run(args),
            Command::Login(args) => block_on(credentials::login(args)),
            Command::Publish(args) => block_on(client::publish(args)),
            Command::Search(args) => block_on(client::search(args)),
            Command::Try(args) => block_on(enterprise::try_solution(args)),
            Command::Deploy(args) => block_on(enterprise::deploy(args)),
            Command::Deployments(args) => block_on(enterprise::deployments(args)),
            Command::Invoke(args) => block_on(enterprise::invoke(args)),
            Command::Upgrade(args) => block_on(enterprise::upgrade(args)),
            Command::Rollback(args) => block_on(enterprise::rollback(args)),
            Command::Completions(args) => completions::run(args),
        }
    }
}

/// `smelt search | head` closes standard output early: end quietly, as other Unix tools do,
/// instead of panicking in `println!`.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    {
        unsafe extern "C" {
            fn signal(signum: i32, handler: usize) -> usize;
        }
        const SIGPIPE: i32 = 13;
        const SIG_DFL: usize = 0;
        // SAFETY: signal(2) with the default disposition; no handler code runs in this process.
        #[allow(unsafe_code)]
        unsafe {
            signal(SIGPIPE, SIG_DFL);
        }
    }
}

fn block_on<F: Future<Output = anyhow::Result<()>>>(future: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_read_as_one_line() {
        let e = Cli::try_parse_from(["smelt", "try", "gauge@^0.1"]).unwrap_err();
        let line = one_line(&e.render().to_string(), Some("try"));
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with(
                "error: the following required arguments were not provided: --input <FILE[:TABLE]>"
            ),
            "{line}"
        );
        assert!(line.ends_with("(more: smelt try --help)"), "{line}");
    }

    #[test]
    fn serve_takes_the_memory_kept_per_slot_in_mib_and_refuses_what_is_out_of_range() {
        let Command::Serve(args) =
            Cli::try_parse_from(["smelt", "serve", "--keep-resident-mib", "0"])
                .unwrap()
                .command
        else {
            panic!("not serve");
        };
        assert_eq!(args.config().memory_keep_resident, 0);
        for bad in ["2048", "-1", "lots"] {
            let flag = format!("--keep-resident-mib={bad}");
            let e = Cli::try_parse_from(["smelt", "serve", flag.as_str()]).unwrap_err();
            let line = one_line(&e.render().to_string(), Some("serve"));
            assert!(
                line.contains("--keep-resident-mib") && line.contains(bad),
                "{bad}: {line}"
            );
        }
    }
}
