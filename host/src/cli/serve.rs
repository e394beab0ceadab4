//! `smelt serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::server::{self, Config};

/// Arguments of `smelt serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data directory (registry database and blobs).
    #[arg(long, env = "SMELT_DATA", default_value = "./smelt-data")]
    pub data: PathBuf,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SMELT_ADDR", default_value = "127.0.0.1:7878")]
    pub addr: SocketAddr,
    /// Largest request body in bytes.
    #[arg(long, env = "SMELT_BODY_LIMIT", default_value_t = 16 << 20)]
    pub body_limit: usize,
    /// Trials running at once; more are answered 503 with Retry-After.
    #[arg(long, env = "SMELT_MAX_RUNS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_runs: u32,
    /// Publishes per token per minute; more are answered 429 with Retry-After.
    #[arg(long, env = "SMELT_PUBLISH_RATE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub publish_rate: u32,
    /// Memory of a sandbox slot kept resident between calls, in MiB: a large call's next run in
    /// its slot then takes no page faults on it (the pages a call wrote are zeroed either way).
    /// The server can hold up to this much for every slot a call has used; 0 gives every page
    /// back after each call. Needs Linux 6.7+ (PAGEMAP_SCAN); the server logs at start whether
    /// it can.
    #[arg(long, env = "SMELT_KEEP_RESIDENT_MIB", default_value_t = (smelt_runtime::MEMORY_KEEP_RESIDENT >> 20) as u32, value_parser = clap::value_parser!(u32).range(0..=1024))]
    pub keep_resident_mib: u32,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "SMELT_LOG_JSON")]
    pub log_json: bool,
}

impl ServeArgs {
    /// The server configuration these flags describe.
    pub fn config(&self) -> Config {
        let mut config = Config::new(self.data.clone(), self.addr);
        config.body_limit = self.body_limit;
        config.max_concurrent_runs = self.max_runs as usize;
        config.publishes_per_minute = self.publish_rate;
        config.memory_keep_resident = (self.keep_resident_mib as usize) << 20;
        config
    }
}

/// Sets up `tracing` output.
pub fn init_logging(json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("SMELT_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs `smelt serve` until SIGINT or SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    server::serve(args.config(), None, server::shutdown_signal()).await
}
