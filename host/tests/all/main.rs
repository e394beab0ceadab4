//! End-to-end tests: the real `smelt` binary on a free port, driven over HTTP.

mod api;
mod deployments;
mod hostile;
mod program;
mod requests;
mod toolchain;
mod trials;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A `smelt serve` process on a fresh data directory; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub admin: String,
    pub data: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server on a new data directory with extra flags.
    pub fn start(flags: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut server = Self::start_on(&data, flags);
        server._dir = Some(dir);
        server
    }

    /// Starts a server on `data` (which may hold an earlier server's state).
    pub fn start_on(data: &Path, flags: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smelt"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(flags)
            .env("SMELT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting smelt serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("smelt serve exited before listening")
                .unwrap();
            if let Some(url) = line.strip_prefix("smelt listening on ") {
                break url.to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let admin = std::fs::read_to_string(data.join("admin.token"))
            .unwrap()
            .trim()
            .to_owned();
        Server {
            child,
            base,
            admin,
            data: data.to_owned(),
            _dir: None,
        }
    }

    /// Sends SIGTERM and waits; returns whether it exited successfully.
    pub fn terminate(mut self) -> bool {
        // SAFETY: kill(2) with a child's pid has no memory-safety preconditions.
        #[allow(unsafe_code)]
        unsafe {
            libc_kill(self.child.id() as i32, 15);
        }
        self.child.wait().unwrap().success()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with an optional bearer token.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = reqwest::Client::new().request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    /// Creates an account; returns its token.
    pub async fn account(&self, name: &str, role: &str) -> String {
        let response = self
            .request(Method::POST, "/v1/accounts", Some(&self.admin))
            .json(&json!({"name": name, "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example plugin's manifest text and component bytes.
pub fn example(name: &str) -> (String, Vec<u8>) {
    let dir = smelt_artifacts::plugin_dir(name);
    (
        std::fs::read_to_string(format!("{dir}/smelt.toml")).unwrap(),
        std::fs::read(smelt_artifacts::plugin(name)).unwrap(),
    )
}

/// A component with one more custom section holding `payload`: same code, different bytes.
pub fn with_custom_section(mut wasm: Vec<u8>, payload: &[u8]) -> Vec<u8> {
    let name = b"smelt-test";
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(payload);
    wasm.push(0);
    // The section size as unsigned LEB128.
    let mut size = section.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            wasm.push(byte);
            break;
        }
        wasm.push(byte | 0x80);
    }
    wasm.extend_from_slice(&section);
    wasm
}

/// Sends a publish, with the example package's vectors when `name` is one; returns status and
/// body.
pub async fn publish(
    server: &Server,
    token: &str,
    name: &str,
    version: &str,
    manifest: &str,
    component: Vec<u8>,
) -> (StatusCode, Value) {
    let vectors = vectors_for(name);
    publish_with_vectors(server, token, name, version, manifest, component, vectors).await
}

/// Sends a publish with `vectors` (a vector bundle's JSON), if any; returns status and body.
pub async fn publish_with_vectors(
    server: &Server,
    token: &str,
    name: &str,
    version: &str,
    manifest: &str,
    component: Vec<u8>,
    vectors: Option<String>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new()
        .text("manifest", manifest.to_owned())
        .part("component", reqwest::multipart::Part::bytes(component));
    if let Some(vectors) = vectors {
        form = form.text("vectors", vectors);
    }
    let response = server
        .request(
            Method::PUT,
            &format!("/v1/packages/{name}/{version}"),
            Some(token),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Sends a JSON request; returns status and body.
pub async fn call(
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server.request(method, path, token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Publishes every example plugin as `provider` and approves each as `reviewer`.
pub async fn publish_and_approve_examples(server: &Server, provider: &str, reviewer: &str) {
    for (name, _, _) in smelt_artifacts::PLUGINS {
        let (manifest, wasm) = example(name);
        let (status, body) = publish(server, provider, name, "0.1.0", &manifest, wasm).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        decide(server, reviewer, name, "0.1.0", "approve").await;
    }
}

/// A reviewer's decision (`approve`, `reject`, `suspend`) on `name@version`; must succeed.
pub async fn decide(server: &Server, reviewer: &str, name: &str, version: &str, decision: &str) {
    let path = format!("/v1/reviews/{name}/{version}/decision");
    let (status, body) = call(
        server,
        Method::POST,
        &path,
        Some(reviewer),
        Some(json!({"decision": decision})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{name}@{version} {decision}: {body}"
    );
}

/// The vectors a test publishes with package `name`: an example's own, or for the hostile
/// sleeper one innocent echo (which it passes, so it gets past the publish-time checks).
pub fn vectors_for(name: &str) -> Option<String> {
    if name == "hostile" {
        let echo = json!({"tables": {"data": {"x": [1.0, 2.0]}}});
        let expected = json!({"tables": {"out": {"x": [1.0, 2.0]}}});
        return Some(json!({"vectors": [{"name": "echo", "input": echo, "expected": expected, "tolerance": 0.0}]}).to_string());
    }
    let (_, dir, _) = smelt_artifacts::PLUGINS.iter().find(|p| p.0 == name)?;
    let bundle = smelt_runtime::VectorBundle::from_package_dir(Path::new(dir)).unwrap();
    Some(serde_json::to_string(&bundle).unwrap())
}
