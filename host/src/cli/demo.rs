//! `smelt demo`: a populated server in one command.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::client::{Client, Connection};
use super::serve::init_logging;
use crate::server::{self, Config};

/// Arguments of `smelt demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data directory; must not exist yet (default: a new directory under the system temp dir).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "SMELT_ADDR", default_value = "127.0.0.1:7878")]
    pub addr: SocketAddr,
}

/// The demo accounts: (name, role).
pub const DEMO_ACCOUNTS: &[(&str, &str)] = &[
    ("smelt-examples", "provider"),
    ("demo-textile-co", "enterprise"),
    ("demo-reviewer", "reviewer"),
];

fn fresh_dir(requested: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = requested.unwrap_or_else(|| {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        std::env::temp_dir().join(format!("smelt-demo-{stamp}-{}", std::process::id()))
    });
    if dir.exists() {
        anyhow::bail!(
            "{} already exists; the demo starts from a fresh data directory",
            dir.display()
        );
    }
    Ok(dir)
}

/// Publishes every example plugin with the provider's token.
pub async fn publish_examples(provider: &Client) -> anyhow::Result<usize> {
    for (name, dir, wasm) in smelt_artifacts::PLUGINS {
        let (status, _) = provider
            .publish(Path::new(dir), Path::new(wasm), false)
            .await
            .with_context(|| format!("publishing the example {name}"))?;
        println!("  published {name} ({status})");
    }
    Ok(smelt_artifacts::PLUGINS.len())
}

pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    init_logging(false);
    let data = fresh_dir(args.data)?;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(server::serve(
        Config::new(data.clone(), args.addr),
        Some(ready_tx),
        server::shutdown_signal(),
    ));
    let addr = match ready_rx.await {
        Ok(addr) => addr,
        Err(_) => {
            return server
                .await
                .context("server task")?
                .context("starting the server");
        }
    };
    let base = format!("http://{addr}");
    let admin_token = std::fs::read_to_string(data.join("admin.token"))
        .context("reading the admin token")?
        .trim()
        .to_owned();
    let admin = Client::new(&Connection {
        server: Some(base.clone()),
        token: Some(admin_token.clone()),
    });

    let mut tokens = vec![("admin".to_owned(), "admin".to_owned(), admin_token)];
    for (name, role) in DEMO_ACCOUNTS {
        let created = admin
            .post("/v1/accounts", &json!({"name": name, "role": role}))
            .await?;
        tokens.push((
            name.to_string(),
            role.to_string(),
            created["token"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let provider = Client::new(&Connection {
        server: Some(base.clone()),
        token: Some(tokens[1].2.clone()),
    });
    println!("publishing the example solutions:");
    let count = publish_examples(&provider).await?;

    println!(
        "\nsmelt demo is up at {base} with {count} solutions (data in {})",
        data.display()
    );
    println!("tokens (use as `Authorization: Bearer <token>` or SMELT_TOKEN):");
    for (name, role, token) in &tokens {
        println!("  {role:<10} {name:<16} {token}");
    }
    println!(
        "\ntry:  SMELT_SERVER={base} SMELT_TOKEN={} smelt try dye-lot-color-qc@^0.1 --input examples/dye-lot.json",
        tokens[2].2
    );
    println!("Ctrl-C stops the demo.");
    server.await.context("server task")?
}
