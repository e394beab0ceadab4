//! Target 4 of BENCHMARKS.md: restart. A data directory with 100 published, approved components
//! (the colour-QC component released as 100 versions, 1.0.0 to 1.9.9: 100 digests to compile); the
//! real `smelt serve` is started and the time from spawning it to the first served trial of each
//! of the 100 is measured, once with the compiled-code cache emptied (every component compiled
//! on its first trial) and once with it as the previous run left it.
//!
//! `cargo bench --workspace --bench restart` (SMELT_BENCH_COMPONENTS sets the count, default 100).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, account, approve, env_or, publish_manifest};
use serde_json::{Value, json};

const PLUGIN: &str = "dye-lot-color-qc";

/// Publishes the example as `version`: its manifest says so, and so does the component.
async fn publish_version(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    version: &str,
    component: Vec<u8>,
) {
    let dir = smelt_artifacts::plugin_dir(PLUGIN);
    let manifest = std::fs::read_to_string(format!("{dir}/smelt.toml"))
        .expect("smelt.toml")
        .replacen(
            "version = \"0.1.0\"",
            &format!("version = \"{version}\""),
            1,
        );
    let status = publish_manifest(http, server, token, PLUGIN, version, manifest, component).await;
    assert_eq!(status, 201, "publishing {version}");
}

/// The component with the version it describes itself as (`0.1.0`, from CARGO_PKG_VERSION in its
/// data segment) rewritten in place to `version` (same length); WIT package versions, written
/// after an `@`, are left alone.
fn released_as(component: &[u8], version: &str) -> Vec<u8> {
    let (from, to) = (b"0.1.0", version.as_bytes());
    assert_eq!(to.len(), from.len());
    let mut out = component.to_vec();
    let mut patched = 0;
    for at in 1..out.len().saturating_sub(from.len()) {
        if &out[at..at + from.len()] == from && out[at - 1] != b'@' {
            out[at..at + from.len()].copy_from_slice(to);
            patched += 1;
        }
    }
    assert!(patched > 0, "no version string to rewrite in the component");
    out
}

/// Spawns the server on `data` and runs one trial of each version; returns the time from spawn
/// to the last first-trial, and the compiled-code cache directory's file count afterwards.
fn restart(data: &Path, enterprise: &str, versions: &[String], input: &Value) -> Duration {
    let started = Instant::now();
    let server = Server::start(data, &[]);
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    rt.block_on(async {
        let http = reqwest::Client::new();
        for version in versions {
            let response = http
                .post(format!("{}/v1/trials", server.base))
                .bearer_auth(enterprise)
                .json(&json!({"package": PLUGIN, "version": format!("={version}"), "input": input}))
                .send()
                .await
                .expect("trial");
            assert_eq!(response.status().as_u16(), 200, "trial of {version}");
        }
    });
    let elapsed = started.elapsed();
    drop(server);
    elapsed
}

fn main() {
    let count: usize = env_or("SMELT_BENCH_COMPONENTS", 100);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let wasm = std::fs::read(smelt_artifacts::plugin(PLUGIN)).expect("component");
    let input: Value = serde_json::from_str(include_str!("../../examples/dye-lot.json"))
        .expect("examples/dye-lot.json");
    let input = input.get("input").cloned().unwrap_or(input);
    assert!(
        count <= 100,
        "SMELT_BENCH_COMPONENTS: at most 100 (versions 1.0.0 to 1.9.9)"
    );
    let versions: Vec<String> = (0..count)
        .map(|i| format!("1.{}.{}", i / 10, i % 10))
        .collect();

    // Populate: publish and approve every version (publishing compiles each once).
    let enterprise = {
        let server = Server::start(&data, &["--publish-rate", "100000"]);
        let rt = tokio::runtime::Runtime::new().expect("tokio");
        let token = rt.block_on(async {
            let http = reqwest::Client::new();
            let provider = account(&http, &server, "restart-provider", "provider").await;
            let reviewer = account(&http, &server, "restart-reviewer", "reviewer").await;
            let enterprise = account(&http, &server, "restart-factory", "enterprise").await;
            for version in &versions {
                let component = released_as(&wasm, version);
                publish_version(&http, &server, &provider, version, component).await;
                approve(&http, &server, &reviewer, PLUGIN, version).await;
            }
            enterprise
        });
        drop(server);
        token
    };

    let compiled = data.join("compiled");
    let _ = std::fs::remove_dir_all(&compiled);
    let cold = restart(&data, &enterprise, &versions, &input);
    let cached_files = std::fs::read_dir(&compiled)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            })
            .count()
        })
        .unwrap_or(0);
    let warm = restart(&data, &enterprise, &versions, &input);

    println!(
        "restart with {count} published components ({} bytes each), spawn → first trial of every one",
        wasm.len()
    );
    println!(
        "without the compiled-code cache: {:.2} s",
        cold.as_secs_f64()
    );
    println!(
        "with the cache ({cached_files} files):      {:.3} s",
        warm.as_secs_f64()
    );
    println!(
        "speed-up: {:.1}× (target ≥ 20×)",
        cold.as_secs_f64() / warm.as_secs_f64()
    );
}
