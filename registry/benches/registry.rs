//! Registry bench (not a test): publish throughput for small components, SHA-256 throughput
//! against `sha256sum` on the same file, and resolve/search latency over 10,000 versions.
//!
//! ```text
//! cargo bench -p smelt-registry --bench registry
//! ```
//!
//! Knobs: `SMELT_BENCH_PACKAGES` × `SMELT_BENCH_VERSIONS` versions (default 100 × 100),
//! `SMELT_BENCH_COMPONENT_BYTES` (default 4096), `SMELT_BENCH_HASH_MIB` (default 256).
//! Data goes under Cargo's target tmp dir (on disk, not tmpfs) and is removed afterwards.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use smelt_registry::manifest::Scene;
use smelt_registry::{Digest, PublishRequest, Registry, Role, SearchQuery, VersionReq};

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[path = "../tests/all/fixtures.rs"]
mod fixtures;

fn manifest(name: &str, version: &str, scene: Scene) -> String {
    fixtures::manifest(name, version).replacen(
        r#"scenes = ["quality"]"#,
        &format!("scenes = [\"{scene}\"]"),
        1,
    )
}

/// Median and 99th percentile of `samples`.
fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn time<T>(iterations: usize, mut f: impl FnMut(usize) -> T) -> (Duration, Duration) {
    let samples = (0..iterations)
        .map(|i| {
            let start = Instant::now();
            std::hint::black_box(f(i));
            start.elapsed()
        })
        .collect();
    percentiles(samples)
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let packages = knob("SMELT_BENCH_PACKAGES", 100);
    let versions = knob("SMELT_BENCH_VERSIONS", 100);
    let component_bytes = knob("SMELT_BENCH_COMPONENT_BYTES", 4096);
    let hash_mib = knob("SMELT_BENCH_HASH_MIB", 256);
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).context("bench dir")?;
    println!(
        "smelt-registry bench in {} ({} cpus)",
        root.path().display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // What one fsync costs here: a publish makes several (blob files, their directory, sled's
    // log, the commit counter), so this bounds publish throughput on this disk.
    {
        let path = root.path().join("fsync.probe");
        let mut f = std::fs::File::create(&path)?;
        let block = [7u8; 4096];
        let (p50, p99) = time(200, |_| {
            f.write_all(&block).expect("write");
            f.sync_all().expect("fsync");
        });
        println!("baseline: 4 KiB append + fsync: p50 {p50:?}, p99 {p99:?}");
    }

    // Publish throughput.
    let registry = Registry::open(root.path().join("registry")).context("open registry")?;
    let (admin, _) = registry.bootstrap_admin("operator")?;
    registry.create_account(&admin.name, "acme", Role::Provider)?;
    let total = packages * versions;
    let started = Instant::now();
    let mut component = vec![0u8; component_bytes];
    for v in 0..versions {
        for p in 0..packages {
            // Distinct bytes per version, so every publish writes a new blob.
            component[..16].copy_from_slice(&((p * versions + v) as u128).to_le_bytes());
            let scene = Scene::ALL[p % Scene::ALL.len()];
            registry.publish(PublishRequest {
                publisher: "acme".into(),
                manifest_toml: manifest(&format!("pkg-{p}"), &format!("1.{v}.0"), scene),
                component: component.clone(),
                wit_version: "0.1.0".into(),
                descriptor_json: "{}".into(),
                ..Default::default()
            })?;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "publish: {total} versions ({packages} packages x {versions}) of {component_bytes} B in \
         {:.2} s = {:.0} publishes/s ({:.2} ms each, every one durable before it returns)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3 / total as f64
    );

    // Resolve and search latency over all of them.
    let names: Vec<_> = (0..packages)
        .map(|p| format!("pkg-{p}").parse())
        .collect::<Result<_, _>>()?;
    let reqs: Vec<VersionReq> = ["*", "^1", &format!("=1.{}.0", versions / 2), "<1.1"]
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    let (p50, p99) = time(2000, |i| {
        registry
            .resolve(&names[i % names.len()], &reqs[i % reqs.len()])
            .expect("resolves")
    });
    println!("resolve ({versions} versions per package): p50 {p50:?}, p99 {p99:?}");
    let queries = [
        SearchQuery::default(),
        SearchQuery {
            text: Some("pkg-42".into()),
            ..Default::default()
        },
        SearchQuery {
            scene: Some(Scene::Energy),
            ..Default::default()
        },
        SearchQuery {
            text: Some("colour".into()),
            ..Default::default()
        },
    ];
    for q in &queries {
        let hits = registry.search(q)?.len();
        let (p50, p99) = time(50, |_| registry.search(q).expect("search"));
        println!(
            "search {:?} over {total} versions -> {hits} hits: p50 {p50:?}, p99 {p99:?}",
            (q.text.as_deref(), q.scene.map(|s| s.slug()))
        );
    }
    drop(registry);

    // SHA-256: ours (the blob store's read path hashes the same way) against sha256sum.
    let file = root.path().join("hash.bin");
    {
        let mut f = std::fs::File::create(&file)?;
        let mut block = vec![0u8; 1 << 20];
        for i in 0..hash_mib {
            for (j, b) in block.iter_mut().enumerate() {
                *b = (i * 31 + j * 7) as u8;
            }
            f.write_all(&block)?;
        }
        f.sync_all()?;
    }
    let best = |f: &mut dyn FnMut() -> Result<String>| -> Result<(Duration, String)> {
        let mut best = Duration::MAX;
        let mut out = String::new();
        for _ in 0..3 {
            let start = Instant::now();
            out = f()?;
            best = best.min(start.elapsed());
        }
        Ok((best, out))
    };
    let (ours, our_digest) =
        best(&mut || Ok(Digest::of_reader(std::fs::File::open(&file)?)?.hex()))?;
    let (theirs, their_digest) = best(&mut || {
        let out = Command::new("sha256sum")
            .arg(&file)
            .output()
            .context("run sha256sum")?;
        ensure!(out.status.success(), "sha256sum failed");
        Ok(String::from_utf8(out.stdout)?
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned())
    })?;
    ensure!(
        our_digest == their_digest,
        "digests differ: {our_digest} vs {their_digest}"
    );
    let mib_s = |d: Duration| hash_mib as f64 / d.as_secs_f64();
    println!(
        "sha256 of {hash_mib} MiB (page cache warm, best of 3): smelt {:.0} MiB/s, sha256sum \
         {:.0} MiB/s, ratio smelt/sha256sum = {:.2}",
        mib_s(ours),
        mib_s(theirs),
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
    Ok(())
}
