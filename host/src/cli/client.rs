//! Client commands over the HTTP API: publish, search, try.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::Value;
use smelt_registry::Manifest;
use smelt_runtime::VectorBundle;

/// Where the server is and who we are.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The smelt server.
    #[arg(long, env = "SMELT_SERVER", default_value = "http://127.0.0.1:7878")]
    pub server: String,
    /// Bearer token.
    #[arg(long, env = "SMELT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// An HTTP client bound to one server and token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(connection: &Connection) -> Self {
        Client {
            base: connection.server.trim_end_matches('/').to_owned(),
            token: connection.token.clone(),
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        builder
    }

    /// Sends and turns any error answer into `code: message`.
    pub async fn send(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
        let response = builder
            .send()
            .await
            .with_context(|| format!("cannot reach the smelt server at {}", self.base))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .context("reading the server's answer")?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 400 {
            let code = body
                .pointer("/error/code")
                .and_then(Value::as_str)
                .unwrap_or("error");
            let message = body
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            bail!("the server answered {status} {code}: {message}");
        }
        Ok((status, body))
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        Ok(self
            .send(self.request(reqwest::Method::POST, path).json(body))
            .await?
            .1)
    }

    /// Publishes the package in `dir` with `component`; returns the status (201 or 200) and body.
    pub async fn publish(&self, dir: &Path, component: &Path) -> anyhow::Result<(u16, Value)> {
        let manifest_path = dir.join("smelt.toml");
        let manifest_toml = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let manifest = Manifest::from_toml(&manifest_toml)
            .with_context(|| format!("in {}", manifest_path.display()))?;
        let vectors = VectorBundle::from_package_dir(dir).map_err(anyhow::Error::msg)?;
        let wasm = std::fs::read(component)
            .with_context(|| format!("reading component {}", component.display()))?;
        let mut form = reqwest::multipart::Form::new()
            .text("manifest", manifest_toml)
            .part(
                "component",
                reqwest::multipart::Part::bytes(wasm).file_name("component.wasm"),
            );
        if !vectors.vectors.is_empty() {
            form = form.text("vectors", serde_json::to_string(&vectors)?);
        }
        let path = format!(
            "/v1/packages/{}/{}",
            manifest.package.name, manifest.package.version
        );
        self.send(self.request(reqwest::Method::PUT, &path).multipart(form))
            .await
    }
}

/// Finds the built component of the package in `dir`: its own target directory, then the
/// target directories of the enclosing workspaces.
fn find_component(dir: &Path, crate_name: &str) -> Option<PathBuf> {
    let file = format!("{}.wasm", crate_name.replace('-', "_"));
    dir.ancestors().find_map(|root| {
        [
            "target/wasm/wasm32-wasip2/plugin",
            "target/wasm32-wasip2/plugin",
            "target/wasm32-wasip2/release",
        ]
        .iter()
        .map(|sub| root.join(sub).join(&file))
        .find(|p| p.is_file())
    })
}

/// Arguments of `smelt publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The package directory (with smelt.toml).
    pub dir: PathBuf,
    /// The component; default: the package's build output under a target directory.
    #[arg(long)]
    pub component: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

pub async fn publish(args: PublishArgs) -> anyhow::Result<()> {
    let manifest_path = args.dir.join("smelt.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest =
        Manifest::from_toml(&text).with_context(|| format!("in {}", manifest_path.display()))?;
    let component = match args.component {
        Some(path) => path,
        None => find_component(&args.dir, manifest.package.name.as_str()).with_context(|| {
            format!("no built component for {} found; build it (`cargo build --target wasm32-wasip2 --release`) or pass --component", manifest.package.name)
        })?,
    };
    let (status, body) = Client::new(&args.connection)
        .publish(&args.dir, &component)
        .await?;
    let verb = if status == 201 {
        "published"
    } else {
        "already published (same bytes)"
    };
    println!(
        "{verb} {}@{} {}",
        body["name"].as_str().unwrap_or("?"),
        body["version"].as_str().unwrap_or("?"),
        body["digest"].as_str().unwrap_or("?")
    );
    Ok(())
}

/// Arguments of `smelt search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Text to look for in names, titles and summaries.
    pub query: Option<String>,
    /// knitting | textile-dyeing | electronics | auto-parts
    #[arg(long)]
    pub industry: Option<String>,
    /// design | production | supply | sales
    #[arg(long)]
    pub stage: Option<String>,
    /// A scene slug or its Chinese name, e.g. quality / 质量管理
    #[arg(long)]
    pub scene: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

pub async fn search(args: SearchArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.connection);
    let mut request = client.request(reqwest::Method::GET, "/v1/packages");
    let filters: Vec<(&str, &String)> = [
        ("q", &args.query),
        ("industry", &args.industry),
        ("stage", &args.stage),
        ("scene", &args.scene),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    request = request.query(&filters);
    let (_, body) = client.send(request).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let packages = body["packages"].as_array().cloned().unwrap_or_default();
    println!(
        "{:<24} {:<8} {:<16} {:>10}  title",
        "name", "version", "industries", "CNY/1k"
    );
    for p in &packages {
        println!(
            "{:<24} {:<8} {:<16} {:>10}  {}",
            p["name"].as_str().unwrap_or(""),
            p["version"].as_str().unwrap_or(""),
            p["industries"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default(),
            p["price"]["per_1k_runs_cny"],
            p["title"]["zh"].as_str().unwrap_or(""),
        );
    }
    println!("{} solution(s)", packages.len());
    Ok(())
}

/// Arguments of `smelt try`.
#[derive(Debug, Args)]
pub struct TryArgs {
    /// `<name>@<version requirement>`, e.g. dye-lot-color-qc@^0.1
    pub spec: String,
    /// Input JSON file.
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub connection: Connection,
}

pub async fn try_solution(args: TryArgs) -> anyhow::Result<()> {
    let (name, req) = args
        .spec
        .split_once('@')
        .unwrap_or((args.spec.as_str(), "*"));
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("reading {}", args.input.display()))?;
    let input: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", args.input.display()))?;
    let body = serde_json::json!({"package": name, "version": req, "input": input});
    let answer = Client::new(&args.connection)
        .post("/v1/trials", &body)
        .await?;
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}
