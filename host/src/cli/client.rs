//! Client commands over the HTTP API (publish, search) and what every client command shares:
//! the connection (server, token from `--token`, `SMELT_TOKEN` or `smelt login`'s credentials
//! file) and one-line errors that say what to do.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use smelt_registry::Manifest;
use smelt_runtime::VectorBundle;

use super::credentials::Credentials;

/// The server used when neither `--server`, `SMELT_SERVER` nor `smelt login` names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:7878";

/// Where the server is and who we are.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The smelt server [default: the one `smelt login` saved, else http://127.0.0.1:7878].
    #[arg(long, env = "SMELT_SERVER")]
    pub server: Option<String>,
    /// Bearer token [default: the one `smelt login` saved for the server].
    #[arg(long, env = "SMELT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

impl Connection {
    /// Fills in the server and token from the credentials file where the flags and the
    /// environment left them out.
    pub fn resolve(&self) -> anyhow::Result<Connection> {
        if self.server.is_some() && self.token.is_some() {
            return Ok(self.clone());
        }
        let credentials = Credentials::load()?;
        let server = self
            .server
            .clone()
            .or_else(|| credentials.default_server.clone())
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        let token = self
            .token
            .clone()
            .or_else(|| credentials.token_for(&server).map(str::to_owned));
        Ok(Connection {
            server: Some(server),
            token,
        })
    }
}

/// An error answer of the server, as one line that says what to do.
#[derive(Debug, Clone)]
pub struct ServerError {
    /// HTTP status.
    pub status: u16,
    /// The API's error code (`conformance_failed`, `not_found`, ...).
    pub code: String,
    /// The API's message.
    pub message: String,
    /// Whether a token was sent.
    pub had_token: bool,
}

impl ServerError {
    fn hint(&self) -> &'static str {
        match (self.status, self.code.as_str()) {
            (401, _) if !self.had_token => {
                "no token was given: run `smelt login`, set SMELT_TOKEN or pass --token"
            }
            (401, _) => {
                "the token was refused: run `smelt login` with a valid token (or fix SMELT_TOKEN / --token)"
            }
            (403, _) => "this account's role may not do this: use a token of the right role",
            (404, _) => {
                "check the name, version or id (`smelt search` lists the solutions you can see)"
            }
            (409, "already_exists") => {
                "that version exists with other bytes: bump the version in Cargo.toml and smelt.toml"
            }
            (409, _) => "nothing was changed",
            (413, _) => {
                "the upload is over the server's body limit: make the component or input smaller"
            }
            (422, "descriptor_mismatch") => {
                "the component is not a build of this manifest: run `smelt build`, then publish again"
            }
            (422, "conformance_failed") => {
                "fix the findings above, `smelt test`, and publish again"
            }
            (422, _) => "fix the input the message names and try again",
            (429, _) | (503, _) => "the server is busy: retry in a few seconds",
            (s, _) if s >= 500 => "the server failed; retry, and tell its operator if it persists",
            _ => "see the message",
        }
    }

    /// The findings of a refused publish, one per line (`analyzer: summary`).
    pub fn findings(&self) -> Vec<String> {
        match self.message.strip_prefix("conformance: ") {
            Some(list) if self.code == "conformance_failed" => {
                list.split("; ").map(str::to_owned).collect()
            }
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server answered {} {}: {}; {}",
            self.status,
            self.code,
            self.message.replace('\n', " "),
            self.hint()
        )
    }
}

impl std::error::Error for ServerError {}

/// An HTTP client bound to one server and token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// A client for exactly `connection` (no credentials file).
    pub fn new(connection: &Connection) -> Self {
        Client {
            base: connection
                .server
                .as_deref()
                .unwrap_or(DEFAULT_SERVER)
                .trim_end_matches('/')
                .to_owned(),
            token: connection.token.clone(),
            http: reqwest::Client::new(),
        }
    }

    /// A client for `connection` with the credentials file filling in what it leaves out.
    pub fn connect(connection: &Connection) -> anyhow::Result<Self> {
        Ok(Self::new(&connection.resolve()?))
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        builder
    }

    /// Sends; any answer, error statuses included, comes back as status and body.
    pub async fn send_raw(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
        let response = builder.send().await.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach the smelt server at {} ({}): start it, or point --server / SMELT_SERVER at the right one",
                self.base,
                error_chain(&e)
            )
        })?;
        let status = response.status().as_u16();
        let cbor = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/cbor"));
        let bytes = response
            .bytes()
            .await
            .context("reading the server's answer")?;
        if cbor {
            let body = cbor4ii::serde::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("reading the server's CBOR answer: {e}"))?;
            return Ok((status, body));
        }
        let text = String::from_utf8_lossy(&bytes);
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()));
        Ok((status, body))
    }

    /// The [`ServerError`] of an error answer.
    pub fn error(&self, status: u16, body: &Value) -> ServerError {
        let text = |pointer: &str, default: &str| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        ServerError {
            status,
            code: text("/error/code", "error"),
            message: text("/error/message", "no message"),
            had_token: self.token.is_some(),
        }
    }

    /// Sends and turns any error answer into a [`ServerError`].
    pub async fn send(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
        let (status, body) = self.send_raw(builder).await?;
        if status >= 400 {
            return Err(self.error(status, &body).into());
        }
        Ok((status, body))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self.send(self.request(reqwest::Method::GET, path)).await?.1)
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        Ok(self
            .send(self.request(reqwest::Method::POST, path).json(body))
            .await?
            .1)
    }

    /// [`Client::post`] with the body and the answer in CBOR: for runs on data files, whose
    /// numbers then cross the wire as machine floats, neither formatted nor parsed.
    pub async fn post_cbor(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let bytes = cbor4ii::serde::to_vec(Vec::new(), body)
            .map_err(|e| anyhow::anyhow!("encoding the request: {e}"))?;
        let request = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/cbor")
            .header(reqwest::header::ACCEPT, "application/cbor")
            .body(bytes);
        Ok(self.send(request).await?.1)
    }

    /// Publishes the package in `dir` with `component`; returns the status (201 or 200) and
    /// body. With `progress`, the upload shows a progress bar.
    pub async fn publish(
        &self,
        dir: &Path,
        component: &Path,
        progress: bool,
    ) -> anyhow::Result<(u16, Value)> {
        let manifest_path = dir.join("smelt.toml");
        let manifest_toml = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let manifest = Manifest::from_toml(&manifest_toml)
            .with_context(|| format!("in {}", manifest_path.display()))?;
        let vectors = VectorBundle::from_package_dir(dir).map_err(anyhow::Error::msg)?;
        let wasm = std::fs::read(component)
            .with_context(|| format!("reading component {}", component.display()))?;
        let size = wasm.len() as u64;
        let bar = if progress {
            ProgressBar::new(size)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "uploading {msg} [{bar:24}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .context("progress bar template")?
            .progress_chars("=> "),
        );
        bar.set_message(format!(
            "{}@{}",
            manifest.package.name, manifest.package.version
        ));
        let body = reqwest::Body::wrap(ProgressBody {
            data: Bytes::from(wasm),
            bar: bar.clone(),
        });
        let mut form = reqwest::multipart::Form::new()
            .text("manifest", manifest_toml)
            .part(
                "component",
                reqwest::multipart::Part::stream_with_length(body, size)
                    .file_name("component.wasm"),
            );
        if !vectors.vectors.is_empty() {
            form = form.text("vectors", serde_json::to_string(&vectors)?);
        }
        let path = format!(
            "/v1/packages/{}/{}",
            manifest.package.name, manifest.package.version
        );
        let answer = self
            .send(self.request(reqwest::Method::PUT, &path).multipart(form))
            .await;
        bar.finish_and_clear();
        answer
    }
}

/// An error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// A request body that moves a progress bar as it is sent, in 64 KiB frames.
struct ProgressBody {
    data: Bytes,
    bar: ProgressBar,
}

/// Frame size of an upload: small enough for a smooth bar, large enough to cost nothing.
const UPLOAD_CHUNK: usize = 64 * 1024;

impl http_body::Body for ProgressBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.data.len().min(UPLOAD_CHUNK);
        let chunk = self.data.split_to(n);
        self.bar.inc(n as u64);
        if self.data.is_empty() {
            self.bar.set_message("sent; the server is checking it");
        }
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.len() as u64)
    }
}

/// Arguments of `smelt publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The package directory (with smelt.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The component; default: what `smelt build` made.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

pub async fn publish(args: PublishArgs) -> anyhow::Result<()> {
    let component = super::test::component_of(&args.dir, args.component)?;
    let client = Client::connect(&args.connection)?;
    let progress = !args.json;
    let (status, body) = match client.publish(&args.dir, &component, progress).await {
        Ok(answer) => answer,
        Err(e) => {
            if let Some(refusal) = e.downcast_ref::<ServerError>() {
                let findings = refusal.findings();
                if !findings.is_empty() {
                    eprintln!("the server refused the component; its findings:");
                    for finding in &findings {
                        eprintln!("  - {finding}");
                    }
                    bail!(
                        "publish refused with {} finding(s) (listed above): fix them, run `smelt test`, and publish again",
                        findings.len()
                    );
                }
            }
            return Err(e);
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
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
    println!("a reviewer approves it before enterprises can try or deploy it");
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
    /// Largest one-off deploy price, CNY.
    #[arg(long)]
    pub max_deploy_cny: Option<String>,
    /// Results per page (1–200; the server's default is 50).
    #[arg(long)]
    pub limit: Option<String>,
    /// Results to skip (the next page: --offset 50).
    #[arg(long)]
    pub offset: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

pub async fn search(args: SearchArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.connection)?;
    let mut request = client.request(reqwest::Method::GET, "/v1/packages");
    let filters: Vec<(&str, &String)> = [
        ("q", &args.query),
        ("industry", &args.industry),
        ("stage", &args.stage),
        ("scene", &args.scene),
        ("max_deploy_cny", &args.max_deploy_cny),
        ("limit", &args.limit),
        ("offset", &args.offset),
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
    let total = body["total"].as_u64().unwrap_or(packages.len() as u64);
    let shown_to = body["offset"].as_u64().unwrap_or(0) + packages.len() as u64;
    if packages.len() as u64 == total {
        println!("{total} solution(s)");
    } else if shown_to < total {
        println!(
            "{} of {total} solution(s) shown; the next ones with --offset {shown_to}",
            packages.len()
        );
    } else {
        println!("{} of {total} solution(s) shown", packages.len());
    }
    Ok(())
}
