//! Crash safety: a child process publishes in a loop and is killed with SIGKILL at random
//! moments; after every kill the registry reopens with every acknowledged publish intact.
//!
//! The child is this test binary itself, re-executed to run only [`child`]. The number of kills
//! is `SMELT_CRASH_KILLS` (default 100, about 30 s on two cores); a longer run is e.g.
//! `SMELT_CRASH_KILLS=2000 cargo test -p smelt-registry --test all --release -- crash`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use smelt_registry::{Digest, Error, Published, Registry, Role, Version};

use crate::{manifest, request};

const DIR_VAR: &str = "SMELT_CRASH_CHILD_DIR";
const ROUND_VAR: &str = "SMELT_CRASH_CHILD_ROUND";
const PACKAGE: &str = "crash-test";
const PROVIDER: &str = "crash-provider";

/// The component bytes of a version: derived from it, so the parent can check them.
fn component(version: &str) -> Vec<u8> {
    let mut rng =
        rand::rngs::StdRng::seed_from_u64(Digest::of(version.as_bytes()).as_bytes()[0] as u64);
    // 1 B to 16 KiB: small components, so the loop spends its time in fsync and commit paths.
    let len = rng.random_range(1..16 * 1024);
    let mut bytes = format!("{version}:").into_bytes();
    bytes.extend((0..len).map(|_| rng.random::<u8>()));
    bytes
}

/// The child: publishes `0.<round>.<i>` for i = 0, 1, ... and prints `ack <version> <digest>`
/// after each publish returns. Every fifth step re-publishes the previous version (the
/// idempotent path must be crash-safe too).
#[test]
#[ignore = "entry point of the crash test's child process"]
fn child() {
    let (Ok(dir), Ok(round)) = (std::env::var(DIR_VAR), std::env::var(ROUND_VAR)) else {
        return;
    };
    let registry = Registry::open(&dir).expect("child opens the registry");
    let mut out = std::io::stdout().lock();
    // libtest has already printed `test crash::child ... ` without a newline.
    writeln!(out, "\nready").unwrap();
    out.flush().unwrap();
    let mut previous: Option<String> = None;
    for i in 0.. {
        let version = match (&previous, i % 5) {
            (Some(prev), 4) => prev.clone(),
            _ => format!("0.{round}.{i}"),
        };
        let bytes = component(&version);
        let published = registry
            .publish(request(PROVIDER, PACKAGE, &version, &bytes))
            .expect("child publish");
        if previous.as_deref() == Some(version.as_str()) {
            assert!(matches!(published, Published::AlreadyPublished(_)));
        }
        writeln!(out, "ack {version} {}", published.record().component).unwrap();
        out.flush().unwrap();
        previous = Some(version);
    }
}

fn kills() -> usize {
    std::env::var("SMELT_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Checks the invariants after a crash; returns how many versions the registry holds.
fn check(dir: &Path, acked: &BTreeMap<String, Digest>, verify_blobs: bool) -> usize {
    let registry = Registry::open(dir).expect("registry reopens after SIGKILL");
    let name = PACKAGE.parse().unwrap();
    let listed = match registry.package(&name) {
        Ok(p) => p.versions,
        Err(Error::NotFound { .. }) if acked.is_empty() => Vec::new(),
        Err(e) => panic!("package lost: {e}"),
    };
    for (version, digest) in acked {
        let v: Version = version.parse().unwrap();
        let record = registry
            .version(&name, &v)
            .unwrap_or_else(|e| panic!("acknowledged {version} lost: {e}"));
        assert_eq!(record.component, *digest, "{version} changed");
    }
    for entry in &listed {
        let record = registry
            .version(&name, &entry.version)
            .unwrap_or_else(|e| panic!("listed {} has no record: {e}", entry.version));
        if verify_blobs || !acked.contains_key(&entry.version.to_string()) {
            let version = entry.version.to_string();
            let bytes = registry
                .blob(&record.component)
                .unwrap_or_else(|e| panic!("{version} points to a bad blob: {e}"));
            assert_eq!(bytes, component(&version));
            registry
                .blob(&record.manifest_digest)
                .unwrap_or_else(|e| panic!("{version} manifest blob: {e}"));
            assert_eq!(
                registry.blob(&record.manifest_digest).unwrap(),
                manifest(PACKAGE, &version).as_bytes()
            );
        }
    }
    registry.verify().expect("audit chain intact after SIGKILL");
    if verify_blobs {
        let report = registry.check_integrity().unwrap();
        assert!(report.is_sound(), "after SIGKILL: {:?}", report.problems);
    }
    listed.len()
}

#[test]
fn acknowledged_publishes_survive_sigkill() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    {
        let registry = Registry::open(dir.path()).unwrap();
        let (admin, _) = registry.bootstrap_admin("crash-admin").unwrap();
        registry
            .create_account(&admin.name, PROVIDER, Role::Provider)
            .unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut acked: BTreeMap<String, Digest> = BTreeMap::new();
    let mut killed_before_ready = 0;
    let rounds = kills();
    let stderr_path = dir.path().join("child.stderr");
    let child_stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "crash::child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir.path())
            .env(ROUND_VAR, round.to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                if line == "ready" {
                    let _ = ready_tx.send(());
                }
                lines.push(line);
            }
            lines
        });
        // One kill in five lands anywhere from process start (inside sled's recovery or the
        // blob store's clean-up); the rest land while publishes are in flight.
        if rng.random_ratio(1, 5) {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..40)));
        } else {
            if let Err(e) = ready_rx.recv_timeout(Duration::from_secs(20)) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("child never became ready ({e}):\n{}", child_stderr());
            }
            std::thread::sleep(Duration::from_micros(rng.random_range(0..120_000)));
        }
        // SAFETY: kill(2) on a pid we spawned and have not yet waited for.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(rc, 0, "kill failed");
        let status = child.wait().unwrap();
        if status.code().is_some() {
            panic!(
                "child exited by itself ({status}); it should only die by SIGKILL:\n{}",
                child_stderr()
            );
        }
        let lines = reader.join().unwrap();
        if !lines.iter().any(|l| l == "ready") {
            killed_before_ready += 1;
        }
        for line in lines {
            if let Some(rest) = line.strip_prefix("ack ") {
                let (version, digest) = rest.split_once(' ').unwrap();
                acked.insert(version.to_owned(), digest.parse().unwrap());
            }
        }
        let last = round + 1 == rounds;
        let listed = check(dir.path(), &acked, last || round % 25 == 0);
        assert!(listed >= acked.len());
    }
    eprintln!(
        "crash test: {rounds} SIGKILLs ({killed_before_ready} before the registry opened), \
         {} acknowledged publishes, {:.1}s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.len() >= rounds / 2,
        "too few publishes acknowledged to mean anything"
    );
}
