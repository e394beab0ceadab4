//! Faults (issue 11, part 3): SIGKILL during publishing, a full disk, flipped bytes in stored
//! blobs, a truncated database. Each test drives the real `smelt serve` binary on a real data
//! directory over HTTP, and checks the registry itself (opened with smelt-registry once the
//! server is dead) as well as the API.
//!
//! A separate test binary from `tests/all`, so its many server starts do not compete with the
//! API tests. Counts are parameters: `SMELT_FAULT_KILLS` (default 200) and `SMELT_FAULT_FLIPS`
//! (default 24); the long run of RELIABILITY.md is
//! `SMELT_FAULT_KILLS=1000 cargo test -p smelt --test faults -- --nocapture sigkill`
//! (`SMELT_FAULT_BIN` pins the server binary to a copy).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use smelt_registry::{Digest, Registry};

/// `name` from the environment, or `default`.
fn param(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// Publishable components: the hostile sleeper (an echo unless x = 13) under many names.

/// The name and version as the sleeper's descriptor holds them, adjacent in its data segment.
const DESCRIBED: &[u8] = b"hostile0.1.0";

/// The sleeper with its descriptor's name `hostile` replaced by `name` (7 characters, same
/// length, so the component stays valid): a distinct component that describes itself as
/// `name@0.1.0` and passes the publish-time checks.
fn component(name: &str) -> Vec<u8> {
    assert_eq!(name.len(), 7, "variant names have 7 characters");
    let mut bytes = std::fs::read(smelt_artifacts::hostile("sleeper")).unwrap();
    let at: Vec<usize> = bytes
        .windows(DESCRIBED.len())
        .enumerate()
        .filter(|(_, w)| *w == DESCRIBED)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "the sleeper component should hold `hostile0.1.0` exactly once (its descriptor)"
    );
    bytes[at[0]..at[0] + 7].copy_from_slice(name.as_bytes());
    bytes
}

/// The `n`th variant name: `c` and six digits.
fn variant(n: usize) -> String {
    format!("c{n:06}")
}

fn manifest(name: &str) -> String {
    format!(
        r#"
[package]
name = "{name}"
version = "0.1.0"
provider = "fault-tests"
summary = "Echoes its input"
license = "Apache-2.0"

[listing]
title = {{ zh = "回声", en = "Echo" }}
industries = ["electronics"]
stages = ["production"]
scenes = ["quality"]
target_level = 1
deploy_days = 1

[listing.price]
deploy_cny = 0.0
per_1k_runs_cny = 0.0

[budget]
fuel_base = 1000000000
fuel_per_row = 1000
memory_mib = 32
wall_ms = 1500
"#
    )
}

fn vectors() -> String {
    let echo = json!({"tables": {"data": {"x": [1.0, 2.0]}}});
    let expected = json!({"tables": {"out": {"x": [1.0, 2.0]}}});
    json!({"vectors": [{"name": "echo", "input": echo, "expected": expected, "tolerance": 0.0}]})
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// The server process.

/// The `smelt` binary: this build's, or `SMELT_FAULT_BIN` (to pin a copy for a long run while
/// the target directory keeps changing).
fn smelt_bin() -> PathBuf {
    std::env::var_os("SMELT_FAULT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_smelt")))
}

struct Server {
    child: Child,
    base: String,
    stderr: PathBuf,
}

impl Server {
    /// Spawns `smelt serve` on `data`; `ready` receives the base URL once it listens.
    fn spawn(data: &Path, stderr: &Path) -> (Child, std::sync::mpsc::Receiver<String>) {
        let mut child = Command::new(smelt_bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--publish-rate", "100000"])
            .arg("--data")
            .arg(data)
            .env("SMELT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).unwrap())
            .spawn()
            .expect("starting smelt serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("smelt listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        (child, rx)
    }

    /// Starts a server and waits until it listens; panics with its stderr if it exits.
    fn start(data: &Path) -> Server {
        let stderr = data.with_extension("stderr");
        let (mut child, ready) = Self::spawn(data, &stderr);
        let started = Instant::now();
        loop {
            if let Ok(base) = ready.recv_timeout(Duration::from_millis(20)) {
                return Server {
                    child,
                    base,
                    stderr,
                };
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "smelt serve exited ({status}) before listening:\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "smelt serve did not listen within 60 s"
            );
        }
    }

    fn admin(data: &Path) -> String {
        std::fs::read_to_string(data.join("admin.token"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// SIGTERM, then waits; the server must exit cleanly.
    fn stop(mut self) {
        // SAFETY: kill(2) on a child we spawned and have not waited for.
        let rc = unsafe { libc_kill(self.child.id() as i32, 15) };
        assert_eq!(rc, 0);
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "smelt serve did not stop cleanly ({status}):\n{}",
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        );
    }

    /// SIGKILL, then waits.
    fn kill(mut self) -> ExitStatus {
        self.child.kill().unwrap();
        self.child.wait().unwrap()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = client()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn account(&self, admin: &str, name: &str, role: &str) -> (StatusCode, Value) {
        let body = json!({"name": name, "role": role});
        self.call(Method::POST, "/v1/accounts", admin, Some(body))
            .await
    }

    async fn token(&self, admin: &str, name: &str, role: &str) -> String {
        let (status, body) = self.account(admin, name, role).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn publish(&self, token: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let response = publish(&self.base, token, name, bytes).await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

async fn publish(
    base: &str,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    let form = reqwest::multipart::Form::new()
        .text("manifest", manifest(name))
        .part("component", reqwest::multipart::Part::bytes(bytes))
        .text("vectors", vectors());
    client()
        .put(format!("{base}/v1/packages/{name}/0.1.0"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
}

fn digest_of(body: &Value) -> Digest {
    body["digest"].as_str().unwrap().parse().unwrap()
}

fn ver() -> smelt_registry::Version {
    "0.1.0".parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// SIGKILL during publishing.

/// What the publishers of one round saw.
#[derive(Default)]
struct Round {
    /// 201s: name and digest.
    acked: Vec<(String, Digest)>,
    /// Publishes whose connection died (sent before the kill, answered never).
    cut: Vec<String>,
    /// Any other answer: a bug.
    unexpected: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_publishes_survive_repeated_sigkill() {
    const PUBLISHERS: usize = 3;
    let kills = param("SMELT_FAULT_KILLS", 200);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let provider = server
        .token(&Server::admin(&data), "fault-provider", "provider")
        .await;
    server.kill();

    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut acked: BTreeMap<String, Digest> = BTreeMap::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (mut early, mut aimed, mut committed_unacked) = (0, 0, 0);
    let stderr = dir.path().join("server.stderr");
    for round in 0..kills {
        let (mut child, ready) = Server::spawn(&data, &stderr);
        let died = |child: &mut Child| -> String {
            format!(
                "round {round}: smelt serve exited ({:?}) instead of starting:\n{}",
                child.try_wait(),
                std::fs::read_to_string(&stderr).unwrap_or_default()
            )
        };
        // One kill in eight lands anywhere in the first 30 ms: inside the registry's open (sled
        // recovery, blob clean-up) or the sandbox's start.
        if rng.random_ratio(1, 8) {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..30))).await;
            child.kill().unwrap();
            let status = child.wait().unwrap();
            assert!(status.code().is_none(), "{}", died(&mut child));
            early += 1;
            continue;
        }
        let base = loop {
            if let Ok(base) = ready.try_recv() {
                break base;
            }
            if child.try_wait().unwrap().is_some() {
                panic!("{}", died(&mut child));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let log = Arc::new(Mutex::new(Round::default()));
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|_| {
                let (base, provider, next, log) =
                    (base.clone(), provider.clone(), next.clone(), log.clone());
                tokio::spawn(async move {
                    loop {
                        let name = variant(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                        let answer = match publish(&base, &provider, &name, component(&name)).await
                        {
                            Ok(r) => {
                                let status = r.status();
                                r.json::<Value>().await.map(|b| (status, b))
                            }
                            Err(e) => Err(e),
                        };
                        let mut log = log.lock().unwrap();
                        match answer {
                            Ok((StatusCode::CREATED, body)) => {
                                log.acked.push((name, digest_of(&body)));
                            }
                            Ok((status, body)) => {
                                log.unexpected.push(format!("{name}: {status} {body}"));
                            }
                            // The kill: this publish was in flight (or just refused).
                            Err(_) => {
                                log.cut.push(name);
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        // Publishing (compile, quick conformance, blob writes, commit) takes a few hundred ms
        // per call here. Half the kills land anywhere in the first 1.2 s; the other half are
        // aimed at the write phase: they wait for a blob's temp file to appear and strike
        // 0-5 ms later (fsync, rename, the sled commit and the answer all fit in that window).
        if rng.random_bool(0.5) {
            let tmp = data.join("blobs/tmp");
            let delay = Duration::from_micros(rng.random_range(0..5000));
            // Strike in the first, second or third write phase seen, so some publishes get
            // their 201 before the kill.
            let skip = rng.random_range(0..3);
            let pid = child.id() as i32;
            let hit = tokio::task::spawn_blocking(move || {
                let since = Instant::now();
                let (mut seen, mut inside) = (0, false);
                while since.elapsed() < Duration::from_secs(10) {
                    let busy = std::fs::read_dir(&tmp).is_ok_and(|mut d| d.next().is_some());
                    if busy && !inside {
                        if seen == skip {
                            std::thread::sleep(delay);
                            // SAFETY: kill(2) on our child, not yet waited for.
                            unsafe { libc_kill(pid, 9) };
                            return true;
                        }
                        seen += 1;
                    }
                    inside = busy;
                    std::thread::sleep(Duration::from_micros(100));
                }
                false
            })
            .await
            .unwrap();
            aimed += usize::from(hit);
        } else {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..1200))).await;
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        assert!(status.code().is_none(), "{}", died(&mut child));
        for publisher in publishers {
            publisher.await.unwrap();
        }
        let log = std::mem::take(&mut *log.lock().unwrap());
        assert!(
            log.unexpected.is_empty(),
            "round {round}: unexpected answers: {:?}",
            log.unexpected
        );

        // The server is dead: the registry opens in this process.
        let registry = Registry::open(&data)
            .unwrap_or_else(|e| panic!("round {round}: registry does not reopen: {e}"));
        for (name, digest) in &log.acked {
            let record = registry
                .version(&name.parse().unwrap(), &ver())
                .unwrap_or_else(|e| panic!("round {round}: acknowledged {name} lost: {e}"));
            assert_eq!(record.component, *digest, "{name} changed");
            assert_eq!(registry.blob(digest).unwrap(), component(name));
            acked.insert(name.clone(), *digest);
        }
        for name in &log.cut {
            if registry.version(&name.parse().unwrap(), &ver()).is_ok() {
                committed_unacked += 1;
            }
        }
        if round % 20 == 0 || round + 1 == kills {
            let report = registry.check_integrity().unwrap();
            assert!(
                report.is_sound(),
                "round {round}: registry inconsistent after SIGKILL: {:?}",
                report.problems
            );
            assert!(report.versions >= acked.len());
        }
    }

    // The API agrees after a last restart: every acknowledged version, its digest and its bytes.
    let server = Server::start(&data);
    let admin = Server::admin(&data);
    for (name, digest) in &acked {
        let (status, body) = server
            .call(
                Method::GET,
                &format!("/v1/packages/{name}/0.1.0"),
                &admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert_eq!(body["digest"], digest.to_string(), "{name}");
    }
    if let Some((name, digest)) = acked.iter().next_back() {
        let bytes = client()
            .get(format!("{}/v1/blobs/{digest}", server.base))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(Digest::of(&bytes), *digest, "{name}");
    }
    server.stop();
    let report = Registry::open(&data).unwrap().check_integrity().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    eprintln!(
        "sigkill: {kills} kills ({early} in the first 30 ms of a start, {aimed} aimed at a \
         publish's write phase, the rest at random with publishes in flight); {} acknowledged publishes, all present with their blobs; \
         {committed_unacked} committed but cut before their 201; {} versions, {} publish audit \
         records, 0 problems; {} unreferenced blobs; {:.1} s",
        acked.len(),
        report.versions,
        report.publish_audits,
        report.unreferenced_blobs.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.len() >= kills / 10,
        "too few publishes acknowledged ({}) for the test to mean anything",
        acked.len()
    );
}

// ---------------------------------------------------------------------------------------------
// A full disk.

/// A tmpfs mounted on a directory for the life of the value.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `16m`) on `dir`; `None` when this process may not mount.
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        out.status.success().then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes `path` until the file system is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5a_u8; 64 * 1024];
    loop {
        if let Err(e) = file.write_all(&chunk).and_then(|()| file.sync_all()) {
            assert_eq!(e.raw_os_error(), Some(28), "filling: {e}");
            break;
        }
    }
    // Whatever is left is smaller than one chunk; take it byte by byte.
    while file
        .write_all(&[0x5a])
        .and_then(|()| file.sync_all())
        .is_ok()
    {}
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_507_and_recovers_when_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // SAFETY: geteuid(2) has no preconditions.
    let root = unsafe { geteuid() } == 0;
    let Some(_mount) = Tmpfs::mount(&data, "16m") else {
        assert!(!root, "root could not mount a tmpfs");
        eprintln!("full-disk test skipped: mounting a tmpfs needs root");
        return;
    };
    let server = Server::start(&data);
    let admin = Server::admin(&data);
    let provider = server.token(&admin, "fault-provider", "provider").await;
    let first = variant(1);
    let (status, body) = server.publish(&provider, &first, component(&first)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let filler = data.join("filler");
    fill(&filler);
    let second = variant(2);
    let (status, body) = server.publish(&provider, &second, component(&second)).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_storage");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("storage is full"), "{message}");
    // Metadata writes are refused the same way, before sled sees the full disk.
    let (status, body) = server.account(&admin, "late-provider", "provider").await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    // Reads go on.
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/packages/{first}/0.1.0"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    std::fs::remove_file(&filler).unwrap();
    let (status, body) = server.publish(&provider, &second, component(&second)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server.account(&admin, "late-provider", "provider").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    server.stop();

    let registry = Registry::open(&data).unwrap();
    let report = registry.check_integrity().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    assert_eq!(report.versions, 2);
    for name in [&first, &second] {
        let record = registry.version(&name.parse().unwrap(), &ver()).unwrap();
        assert_eq!(registry.blob(&record.component).unwrap(), component(name));
    }
}

unsafe extern "C" {
    fn geteuid() -> u32;
}

// ---------------------------------------------------------------------------------------------
// Flipped bytes in stored blobs.

/// Flips one bit of the file at `path`, at a random offset; returns the offset and old byte.
fn flip(path: &Path, rng: &mut impl Rng) -> (usize, u8) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = rng.random_range(0..bytes.len());
    let old = bytes[at];
    bytes[at] ^= 1 << rng.random_range(0..8);
    std::fs::write(path, &bytes).unwrap();
    (at, old)
}

fn restore(path: &Path, (at, old): (usize, u8)) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] = old;
    std::fs::write(path, &bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_blob_is_detected_and_the_component_is_not_run() {
    let flips = param("SMELT_FAULT_FLIPS", 24);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let admin = Server::admin(&data);
    let provider = server.token(&admin, "fault-provider", "provider").await;
    let reviewer = server.token(&admin, "fault-reviewer", "reviewer").await;
    let enterprise = server.token(&admin, "fault-mill", "enterprise").await;
    let names: Vec<String> = (0..3).map(variant).collect();
    for name in &names {
        let (status, body) = server.publish(&provider, name, component(name)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let path = format!("/v1/reviews/{name}/0.1.0/decision");
        let (status, body) = server
            .call(
                Method::POST,
                &path,
                &reviewer,
                Some(json!({"decision": "approve"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let trial = |name: &str| json!({"package": name, "version": "0.1.0", "input": {"tables": {"data": {"x": [4.0]}}}});
    for name in &names {
        let (status, body) = server
            .call(Method::POST, "/v1/trials", &enterprise, Some(trial(name)))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    server.stop();
    let records: Vec<_> = {
        let registry = Registry::open(&data).unwrap();
        names
            .iter()
            .map(|n| registry.version(&n.parse().unwrap(), &ver()).unwrap())
            .collect()
    };

    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut detected = (0, 0, 0);
    for injection in 0..flips {
        // Components, manifests and vectors in turn, of a random version.
        let record = &records[rng.random_range(0..records.len())];
        let name = record.name.to_string();
        let digest = match injection % 3 {
            0 => record.component,
            1 => record.manifest_digest,
            _ => record.vectors.unwrap(),
        };
        let path = data.join("blobs").join(digest.hex());
        let flipped = flip(&path, &mut rng);

        // The registry's own check names the damaged blob.
        let report = Registry::open(&data).unwrap().check_integrity().unwrap();
        // (One blob can be shared: the three versions have the same vectors.)
        let named = |p: &String| p.contains(&digest.to_string()) && p.contains("mismatch");
        if !report.problems.is_empty() && report.problems.iter().all(named) {
            detected.0 += 1;
        }

        // The API refuses to serve it, and a trial of a damaged component does not run.
        let server = Server::start(&data);
        let response = client()
            .get(format!("{}/v1/blobs/{digest}", server.base))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == StatusCode::INTERNAL_SERVER_ERROR
            && body["error"]["code"] == "digest_mismatch"
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&digest.to_string()))
        {
            detected.1 += 1;
        }
        if digest == record.component {
            let (status, body) = server
                .call(Method::POST, "/v1/trials", &enterprise, Some(trial(&name)))
                .await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
            assert_eq!(body["error"]["code"], "digest_mismatch", "{body}");
            assert!(body.get("output").is_none());
            detected.2 += 1;
        }
        // The other versions are untouched and still run.
        let other = names.iter().find(|n| **n != name).unwrap();
        let (status, body) = server
            .call(Method::POST, "/v1/trials", &enterprise, Some(trial(other)))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        server.stop();
        restore(&path, flipped);
    }
    let components = flips.div_ceil(3);
    eprintln!(
        "flips: {flips} injected ({components} in components); detected by check_integrity \
         {}, by GET /v1/blobs {}, trials refused {} of {components}",
        detected.0, detected.1, detected.2
    );
    assert_eq!((detected.0, detected.1), (flips, flips));
    // Restored, everything is sound again.
    let report = Registry::open(&data).unwrap().check_integrity().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
}

// ---------------------------------------------------------------------------------------------
// A truncated database.

/// Starts `smelt serve` on `data` and expects it to exit with an error; returns its stderr.
fn refused_start(data: &Path) -> String {
    let stderr = data.with_extension("stderr");
    let (mut child, ready) = Server::spawn(data, &stderr);
    let since = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            ready.try_recv().is_err(),
            "smelt serve started on a damaged database"
        );
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "smelt serve neither started nor exited"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(1), "{status}");
    std::fs::read_to_string(&stderr).unwrap()
}

#[tokio::test]
async fn a_truncated_database_stops_startup_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let admin = Server::admin(&data);
    let provider = server.token(&admin, "fault-provider", "provider").await;
    for name in [variant(1), variant(2)] {
        let (status, body) = server.publish(&provider, &name, component(&name)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    server.stop();
    let db = data.join("meta/db");
    let intact = std::fs::read(&db).unwrap();

    // Cut to a half, to a few bytes, to nothing; and the database directory removed.
    for keep in [intact.len() / 2, 16, 0] {
        std::fs::write(&db, &intact[..keep]).unwrap();
        // Refused, and refused again: sled's recovery on the first attempt (which rewrites the
        // log's tail) does not turn the damage into an acceptable, shorter registry.
        for attempt in 0..2 {
            let stderr = refused_start(&data);
            assert!(
                stderr.contains("registry database at") && stderr.contains("is unusable"),
                "cut to {keep} bytes, attempt {attempt}: {stderr}"
            );
            if attempt == 0 {
                eprintln!("truncated to {keep} bytes: {}", stderr.trim());
            }
        }
    }
    let moved = data.join("meta.moved");
    std::fs::rename(data.join("meta"), &moved).unwrap();
    let stderr = refused_start(&data);
    assert!(stderr.contains("database files are missing"), "{stderr}");
    eprintln!("database directory gone: {}", stderr.trim());
    assert!(!data.join("meta").exists(), "an empty database was created");

    // Put back intact, it serves everything again.
    std::fs::rename(&moved, data.join("meta")).unwrap();
    std::fs::write(&db, &intact).unwrap();
    let server = Server::start(&data);
    for name in [variant(1), variant(2)] {
        let (status, body) = server
            .call(
                Method::GET,
                &format!("/v1/packages/{name}/0.1.0"),
                &admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// SIGKILL during the very first start.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_during_the_first_start_never_locks_the_operator_out() {
    let rounds = param("SMELT_FAULT_FIRST_STARTS", 30);
    let mut rng = rand::rngs::StdRng::from_os_rng();
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let stderr = dir.path().join("stderr");
        let (mut child, _ready) = Server::spawn(&data, &stderr);
        // Aim at the admin bootstrap: it follows the database's creation within milliseconds.
        let since = Instant::now();
        while !data.join("meta.format").exists() && since.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_micros(50));
        }
        std::thread::sleep(Duration::from_micros(rng.random_range(0..3000)));
        child.kill().unwrap();
        child.wait().unwrap();

        // Whatever the moment, the next start has an admin whose token is in the file.
        let server = Server::start(&data);
        let admin = Server::admin(&data);
        let (status, body) = server
            .call(Method::GET, "/v1/audit/verify", &admin, None)
            .await;
        assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        server.stop();
    }
}
