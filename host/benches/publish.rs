//! Issue 10, target 5: where the time of publishing a 2 MiB component goes (hashing,
//! validation, compilation, storage), phase by phase through the same library calls the
//! server makes, plus the whole `PUT /v1/packages/...` on the real server; and SHA-256
//! throughput of the `sha2` crate vs the `sha256sum` binary on the same 256 MiB file.
//!
//! The 2 MiB component is the spc-capability example (the largest, about 150 KiB of code)
//! with a custom section appended to reach exactly 2 MiB: still a valid component whose every
//! byte is hashed, stored and parsed, but whose compiled code is that of the example.
//!
//! `cargo bench --workspace --bench publish` (`SMELT_BENCH_ROUNDS`, default 5, rounds per phase).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use smelt_conformance::Suite;
use smelt_registry::{Manifest, PublishRequest, Registry, Role};
use smelt_runtime::{Runtime, RuntimeConfig, VectorBundle};

const PLUGIN: &str = "spc-capability";
const SIZE: usize = 2 << 20;

/// The median of `rounds` timings of `f` (each given a fresh setup from `setup`).
/// Setup values and results are dropped outside the timing.
fn median<S, T>(
    rounds: usize,
    mut setup: impl FnMut() -> S,
    mut f: impl FnMut(&S) -> T,
) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let input = setup();
            let t = Instant::now();
            let out = std::hint::black_box(f(&input));
            let took = t.elapsed();
            drop((out, input));
            took
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// CPU time this thread has used (the first field of /proc/thread-self/schedstat, in ns).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: u64 = stat
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("schedstat's first field");
    Duration::from_nanos(ns)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let rounds: usize = common::env_or("SMELT_BENCH_ROUNDS", 5);
    let example = std::fs::read(smelt_artifacts::plugin(PLUGIN)).expect("component");
    let pad = SIZE - example.len() - 16;
    let mut component = common::with_custom_section(&example, "bench-padding", pad);
    // Trim or extend the padding so the file is exactly 2 MiB (the LEB length may vary by a byte).
    let short = SIZE as isize - component.len() as isize;
    component =
        common::with_custom_section(&example, "bench-padding", (pad as isize + short) as usize);
    assert_eq!(component.len(), SIZE, "a 2 MiB component");
    let dir = smelt_artifacts::plugin_dir(PLUGIN);
    let manifest_toml = std::fs::read_to_string(format!("{dir}/smelt.toml")).expect("smelt.toml");
    let manifest = Manifest::from_toml(&manifest_toml).expect("manifest");
    let bundle = VectorBundle::from_package_dir(Path::new(dir)).expect("vectors");
    let vectors = serde_json::to_vec(&bundle).expect("vectors JSON");

    // Hashing: one SHA-256 of the bytes (the runtime, the registry and the blob store each
    // take one; see below).
    let hash = median(rounds * 4, || (), |_| Sha256::digest(&component));
    // Validation before compilation: the import check and the code caps (each a full parse).
    let imports = median(
        rounds * 4,
        || (),
        |_| smelt_runtime::component_imports(&component).expect("imports"),
    );
    let limits = median(
        rounds * 4,
        || (),
        |_| smelt_runtime::code_stats(&component).expect("code stats"),
    );
    // Runtime::load on a fresh runtime without a disk cache: hash + imports + caps + wasmtime's
    // validation and Cranelift compilation + linking. Compilation is what is left.
    let load = median(
        rounds,
        || Runtime::with_config(&RuntimeConfig::default()).expect("runtime"),
        |runtime| runtime.load(&component).expect("load"),
    );
    let compile = load.saturating_sub(hash + imports + limits);
    // The same with the server's compiled-code cache on disk: the extra is writing it.
    let cache_root = tempfile::tempdir().expect("temp dir");
    let mut n = 0;
    let load_cached = median(
        rounds,
        || {
            n += 1;
            Runtime::with_config(&RuntimeConfig {
                cache_dir: Some(cache_root.path().join(format!("c{n}"))),
                ..RuntimeConfig::default()
            })
            .expect("runtime")
        },
        |runtime| runtime.load(&component).expect("load"),
    );
    let cache_write = load_cached.saturating_sub(load);
    // describe() and the quick conformance subset the server runs before storing (vectors run
    // in the sandbox; the component is already compiled, so this is calls, not compilation).
    let runtime = Runtime::new().expect("runtime");
    let plugin = runtime.load(&component).expect("load");
    let describe = median(rounds, || (), |_| plugin.describe().expect("describe"));
    let quick = median(
        rounds,
        || (),
        |_| {
            let card =
                Suite::quick().run(&runtime, &component, &manifest, &bundle, None, &mut |_| {});
            assert!(card.pass, "quick suite passes");
        },
    );
    // Storage: Registry::publish into a fresh registry (three SHA-256s: component, manifest,
    // vectors; blobs written and fsynced; one sled transaction, flushed).
    let descriptor_json =
        serde_json::to_string(&plugin.describe().expect("describe")).expect("json");
    let request = PublishRequest {
        publisher: "bench-provider".into(),
        manifest_toml: manifest_toml.clone(),
        component: component.clone(),
        vectors: Some(vectors.clone()),
        wit_version: plugin.wit_version().to_owned(),
        descriptor_json,
        expect: None,
    };
    let registry_root = tempfile::tempdir().expect("temp dir");
    let mut n = 0;
    let store = median(
        rounds,
        || {
            n += 1;
            let registry =
                Registry::open(registry_root.path().join(format!("r{n}"))).expect("registry");
            registry.bootstrap_admin("admin").expect("admin");
            registry
                .create_account("admin", "bench-provider", Role::Provider)
                .expect("provider");
            (registry, request.clone())
        },
        |(registry, request)| registry.publish(request.clone()).expect("publish"),
    );

    // The whole publish on the real server over loopback (a fresh server per round, so every
    // round compiles; multipart upload, the phases above and the HTTP response).
    let mut http_times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let data = tempfile::tempdir().expect("temp dir");
        let server = common::Server::start(&data.path().join("data"), &[]);
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        let took = rt.block_on(async {
            let http = reqwest::Client::new();
            let provider = common::account(
                &http,
                &server,
                &format!("bench-provider-{round}"),
                "provider",
            )
            .await;
            let t = Instant::now();
            let status = common::publish(
                &http,
                &server,
                &provider,
                PLUGIN,
                "0.1.0",
                component.clone(),
            )
            .await;
            assert_eq!(status, 201, "publishing the 2 MiB component");
            t.elapsed()
        });
        http_times.push(took);
    }
    http_times.sort();
    let http_publish = http_times[http_times.len() / 2];

    // SHA-256 throughput: sha2 in-process vs the sha256sum binary on the same 256 MiB file
    // (warm in the page cache; sha256sum's process start is under a millisecond of it).
    let big: Vec<u8> = (0..256usize << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &big).expect("writing the temp file");
    // Wall time and CPU time (this thread's from /proc/thread-self/schedstat, sha256sum's user +
    // sys from bash's `time`): on a shared machine the CPU times are the fair comparison.
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..3 {
        let (t, cpu) = (Instant::now(), thread_cpu());
        let expected = hex::encode(Sha256::digest(&big));
        ours.push((t.elapsed(), thread_cpu() - cpu));
        let t = Instant::now();
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg("TIMEFORMAT='%3U %3S'; time sha256sum \"$0\"")
            .arg(file.path())
            .output()
            .expect("running sha256sum");
        let wall = t.elapsed();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.starts_with(&expected), "sha256sum agrees");
        let cpu: f64 = String::from_utf8_lossy(&out.stderr)
            .split_whitespace()
            .filter_map(|v| v.parse::<f64>().ok())
            .sum();
        theirs.push((wall, Duration::from_secs_f64(cpu)));
    }
    let mib = big.len() as f64 / f64::from(1 << 20);
    let best = |runs: &[(Duration, Duration)], pick: fn(&(Duration, Duration)) -> Duration| {
        mib / runs.iter().map(pick).min().expect("runs").as_secs_f64()
    };
    let (ours_wall, theirs_wall) = (best(&ours, |r| r.0), best(&theirs, |r| r.0));
    let (ours_cpu, theirs_cpu) = (best(&ours, |r| r.1), best(&theirs, |r| r.1));

    let mib_s = |d: Duration| SIZE as f64 / f64::from(1 << 20) / d.as_secs_f64();
    println!(
        "publish of a 2 MiB component ({PLUGIN}, {} bytes of component + {} bytes of custom section), median of {rounds}",
        example.len(),
        SIZE - example.len()
    );
    println!(
        "  hashing    SHA-256 once                 {:8.2} ms ({:.0} MiB/s; publish takes 4: runtime, registry, blob store, quick suite's load)",
        ms(hash),
        mib_s(hash)
    );
    println!(
        "  validation imports (full parse)         {:8.2} ms",
        ms(imports)
    );
    println!(
        "  validation code caps (full parse)       {:8.2} ms",
        ms(limits)
    );
    println!(
        "  compilation validate + Cranelift + link {:8.2} ms (Runtime::load {:.2} ms less the three above)",
        ms(compile),
        ms(load)
    );
    println!(
        "  storage    compiled code to disk cache  {:8.2} ms",
        ms(cache_write)
    );
    println!(
        "  checks     describe()                   {:8.2} ms",
        ms(describe)
    );
    println!(
        "  checks     quick conformance suite      {:8.2} ms",
        ms(quick)
    );
    println!(
        "  storage    Registry::publish            {:8.2} ms (3 SHA-256s, blobs fsynced, sled commit)",
        ms(store)
    );
    println!(
        "  whole      PUT /v1/packages over HTTP   {:8.2} ms",
        ms(http_publish)
    );
    println!(
        "SHA-256 on 256 MiB, best of 3, by CPU time: sha2 {ours_cpu:.0} MiB/s, sha256sum {theirs_cpu:.0} MiB/s: ratio {:.2}× (target ≥ 0.8×)",
        ours_cpu / theirs_cpu
    );
    println!(
        "  by wall time: sha2 {ours_wall:.0} MiB/s, sha256sum {theirs_wall:.0} MiB/s: ratio {:.2}×",
        ours_wall / theirs_wall
    );
    println!(
        "  SHA-NI on this CPU: {}",
        std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| c.contains(" sha_ni"))
    );
}
