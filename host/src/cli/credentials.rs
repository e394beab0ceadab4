//! The credentials file `smelt login` writes (mode 0600) and every client command reads:
//! a token per server and the server last logged in to.
//!
//! Where: `SMELT_CREDENTIALS` if set, else `$XDG_CONFIG_HOME/smelt/credentials`, else
//! `~/.config/smelt/credentials`. Format: JSON, `{"default_server": "...", "servers":
//! {"<server URL>": {"token": "..."}}}`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

use super::client::{Client, Connection, DEFAULT_SERVER};

/// Tokens by server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The server of the last `smelt login`, used when no `--server` or `SMELT_SERVER` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_server: Option<String>,
    /// Tokens by server URL (without a trailing '/').
    #[serde(default)]
    pub servers: BTreeMap<String, ServerCredentials>,
}

/// What is stored for one server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerCredentials {
    /// The bearer token.
    pub token: String,
}

fn normalise(server: &str) -> &str {
    server.trim_end_matches('/')
}

impl Credentials {
    /// The credentials file's path.
    pub fn path() -> anyhow::Result<PathBuf> {
        if let Some(path) = std::env::var_os("SMELT_CREDENTIALS") {
            return Ok(PathBuf::from(path));
        }
        let config = match std::env::var_os("XDG_CONFIG_HOME") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(".config"),
                None => bail!(
                    "cannot tell where the credentials file goes: set HOME, XDG_CONFIG_HOME or SMELT_CREDENTIALS"
                ),
            },
        };
        Ok(config.join("smelt").join("credentials"))
    }

    /// The stored credentials; empty when there is no file yet.
    pub fn load() -> anyhow::Result<Credentials> {
        let path = Self::path()?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credentials::default()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading the credentials file {}", path.display()));
            }
        };
        serde_json::from_str(&text).with_context(|| {
            format!(
                "the credentials file {} is damaged: delete it and run `smelt login` again",
                path.display()
            )
        })
    }

    /// The token stored for `server`.
    pub fn token_for(&self, server: &str) -> Option<&str> {
        self.servers
            .get(normalise(server))
            .map(|s| s.token.as_str())
    }

    /// Writes the file with mode 0600 (its directory 0700), replacing it whole.
    pub fn save(&self) -> anyhow::Result<PathBuf> {
        let path = Self::path()?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let created = !dir.exists();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let temp = dir.join(".credentials.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            options.mode(0o600);
            // A directory we made is for its owner only; an existing one is left as it is.
            if created {
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                    .with_context(|| format!("restricting {}", dir.display()))?;
            }
        }
        let mut file = options
            .open(&temp)
            .with_context(|| format!("writing {}", temp.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // `mode` applies only when the file is created; a leftover temp file is tightened.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// Arguments of `smelt login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The smelt server [default: SMELT_SERVER, else http://127.0.0.1:7878].
    #[arg(long, env = "SMELT_SERVER")]
    pub server: Option<String>,
    /// The token your admin gave you; default: SMELT_TOKEN, else read from standard input.
    #[arg(long, env = "SMELT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Runs `smelt login`: checks the token against the server, then stores it.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let server = normalise(args.server.as_deref().unwrap_or(DEFAULT_SERVER)).to_owned();
    let token = match args.token {
        Some(token) => token,
        None => {
            eprintln!("paste the token for {server} and press Enter:");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the token from standard input")?;
            line
        }
    };
    let token = token.trim().to_owned();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("that is not a token: pass the token your admin gave you with --token <token>");
    }
    let client = Client::new(&Connection {
        server: Some(server.clone()),
        token: Some(token.clone()),
    });
    // Any signed-in account may search: a refusal means the token is wrong.
    client.get("/v1/packages?q=").await?;
    let mut credentials = Credentials::load()?;
    credentials
        .servers
        .insert(server.clone(), ServerCredentials { token });
    credentials.default_server = Some(server.clone());
    let path = credentials.save()?;
    println!(
        "logged in to {server}; token saved in {} (mode 0600)",
        path.display()
    );
    Ok(())
}
