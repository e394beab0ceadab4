//! Shared by the benches that drive the real `smelt serve` over loopback: starting the server,
//! accounts, publishing, a closed-loop load generator, the server's resident memory, and the
//! in-process axum servers the benches compare it with.

// Each bench uses a different part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A `smelt serve` child process on a loopback port, killed on drop.
pub struct Server {
    pub base: String,
    pub admin: String,
    pub child: Child,
}

impl Server {
    /// Starts the release binary on `127.0.0.1:0` with data in `data` and `extra` flags.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smelt"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .env("SMELT_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting smelt serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("smelt serve exited before listening")
                .expect("reading smelt serve's stdout");
            if let Some(url) = line.strip_prefix("smelt listening on ") {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let admin = std::fs::read_to_string(data.join("admin.token"))
            .expect("admin.token")
            .trim()
            .to_owned();
        Server { base, admin, child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates an account and returns its token.
pub async fn account(http: &reqwest::Client, server: &Server, name: &str, role: &str) -> String {
    let response = http
        .post(format!("{}/v1/accounts", server.base))
        .bearer_auth(&server.admin)
        .json(&json!({"name": name, "role": role}))
        .send()
        .await
        .expect("POST /v1/accounts");
    let body: Value = response.json().await.expect("account JSON");
    body["token"].as_str().expect("token").to_owned()
}

/// Publishes `component` with the manifest and vectors of example plugin `plugin`; returns the
/// HTTP status.
pub async fn publish(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    plugin: &str,
    version: &str,
    component: Vec<u8>,
) -> u16 {
    let dir = smelt_artifacts::plugin_dir(plugin);
    let manifest = std::fs::read_to_string(format!("{dir}/smelt.toml")).expect("smelt.toml");
    publish_manifest(http, server, token, plugin, version, manifest, component).await
}

/// [`publish`] with the example's `manifest` text given (e.g. edited to another version).
pub async fn publish_manifest(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    plugin: &str,
    version: &str,
    manifest: String,
    component: Vec<u8>,
) -> u16 {
    let dir = smelt_artifacts::plugin_dir(plugin);
    let bundle = smelt_runtime::VectorBundle::from_package_dir(Path::new(dir)).expect("vectors");
    let form = reqwest::multipart::Form::new()
        .text("manifest", manifest)
        .text(
            "vectors",
            serde_json::to_string(&bundle).expect("vectors JSON"),
        )
        .part("component", reqwest::multipart::Part::bytes(component));
    http.put(format!("{}/v1/packages/{plugin}/{version}", server.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("PUT /v1/packages")
        .status()
        .as_u16()
}

/// Approves `name@version` as `reviewer`.
pub async fn approve(
    http: &reqwest::Client,
    server: &Server,
    reviewer: &str,
    name: &str,
    version: &str,
) {
    let status = http
        .post(format!(
            "{}/v1/reviews/{name}/{version}/decision",
            server.base
        ))
        .bearer_auth(reviewer)
        .json(&json!({"decision": "approve", "note": "bench"}))
        .send()
        .await
        .expect("POST decision")
        .status();
    assert!(status.is_success(), "approving {name}@{version}: {status}");
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Latencies of the 2xx responses.
    pub ok: Vec<Duration>,
    /// 503 responses (every sandbox slot busy).
    pub busy: u64,
    /// Any other status, or a transport error.
    pub errors: u64,
    pub elapsed: Duration,
}

impl LoadStats {
    pub fn per_second(&self) -> f64 {
        self.ok.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Latency percentile `p` (0–1) of the 2xx responses, in ms.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.ok.clone();
        sorted.sort();
        if sorted.is_empty() {
            return f64::NAN;
        }
        sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
    }
}

/// Refuses anything but a loopback URL: the load generator never leaves this machine.
pub fn check_loopback(url: &str) {
    let host = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split(['/', ':']).next())
        .unwrap_or("");
    assert!(
        host == "127.0.0.1" || host == "localhost",
        "the load generator only talks to http://127.0.0.1 (got {url})"
    );
}

/// A closed loop: `conns` connections each POST `body` to `url` back to back for `duration`
/// (after `warmup`, whose responses are not counted), then stop.
pub fn load(
    url: &str,
    token: &str,
    body: &[u8],
    conns: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadStats {
    check_loopback(url);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let body = bytes::Bytes::copy_from_slice(body);
    rt.block_on(async {
        let counting = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            // One client per connection, so there are exactly `conns` keep-alive connections.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let (url, token, body) = (url.to_owned(), token.to_owned(), body.clone());
            let (counting, stop) = (counting.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut stats = LoadStats::default();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let response = http
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let status = match response {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            match r.bytes().await {
                                Ok(_) => status,
                                Err(_) => 0,
                            }
                        }
                        Err(_) => 0,
                    };
                    if !counting.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    match status {
                        200..=299 => stats.ok.push(t.elapsed()),
                        503 => stats.busy += 1,
                        _ => stats.errors += 1,
                    }
                }
                stats
            }));
        }
        tokio::time::sleep(warmup).await;
        counting.store(true, Ordering::Relaxed);
        let started = Instant::now();
        tokio::time::sleep(duration).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = started.elapsed();
        let mut all = LoadStats {
            elapsed,
            ..LoadStats::default()
        };
        for task in tasks {
            let stats = task.await.expect("load task");
            all.ok.extend(stats.ok);
            all.busy += stats.busy;
            all.errors += stats.errors;
        }
        all
    })
}

/// `VmRSS` of process `pid` in KiB (from /proc/<pid>/status).
pub fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

/// `VmHWM` (peak resident) of process `pid` in KiB.
pub fn hwm_kib(pid: u32) -> u64 {
    status_field(pid, "VmHWM:")
}

fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// An env var parsed, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `component` with a custom section `name` of `len` bytes appended: still the same valid
/// component (custom sections may appear anywhere), with another digest.
pub fn with_custom_section(component: &[u8], name: &str, len: usize) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut payload = Vec::with_capacity(len + name.len() + 8);
    leb(name.len(), &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend((0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let mut out = component.to_vec();
    out.push(0); // custom section id
    leb(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    out
}

/// Serves `app` on a loopback port from its own thread and two-worker runtime (as `smelt serve`
/// has), with `TCP_NODELAY` on each connection when `nodelay` is set; its base URL.
pub fn serve_in_process(app: axum::Router, nodelay: bool) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binding an in-process server");
            tx.send(listener.local_addr().expect("address"))
                .expect("sending the address");
            let listener = axum::serve::ListenerExt::tap_io(listener, move |tcp| {
                if nodelay {
                    tcp.set_nodelay(true).expect("TCP_NODELAY");
                }
            });
            axum::serve(listener, app).await.expect("in-process server");
        });
    });
    format!("http://{}", rx.recv().expect("in-process server address"))
}
