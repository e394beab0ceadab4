//! Invocation overhead over HTTP: `POST /v1/deployments/{id}/invoke` on the real server over
//! loopback vs the same call made directly on the runtime in-process, for the colour-QC plugin
//! on 1,000 batches. Both run in this one process's run, so the ratio holds on a noisy machine.
//!
//! `cargo bench --workspace --bench invoke` (SMELT_BENCH_CALLS sets the count, default 300).

mod common;

use std::time::{Duration, Instant};

use common::{Server, account, approve, publish};

use serde_json::{Value, json};
use smelt_runtime::{Limits, Runtime, input_from_json};

const PLUGIN: &str = "dye-lot-color-qc";

/// The server's allocator here too, so the two sides differ by the path a call takes, not by
/// their allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

fn input(rows: usize) -> Value {
    let batch: Vec<String> = (0..rows).map(|i| format!("DL-{i:05}")).collect();
    let l: Vec<f64> = (0..rows).map(|i| 50.0 + (i % 7) as f64 * 0.3).collect();
    let a: Vec<f64> = (0..rows).map(|i| 2.5 + (i % 5) as f64 * 0.2).collect();
    let b: Vec<f64> = (0..rows).map(|i| -0.5 + (i % 3) as f64 * 0.25).collect();
    json!({"tables": {"standard": {"L": [50.0], "a": [2.5], "b": [0.0]}, "batches": {"batch": batch, "L": l, "a": a, "b": b}}})
}

fn main() {
    let calls: usize = std::env::var("SMELT_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let input_json = input(1000);
    let wasm = std::fs::read(smelt_artifacts::plugin(PLUGIN)).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Direct, in-process: the baseline.
    let runtime = Runtime::new().unwrap();
    let plugin = runtime.load(&wasm).unwrap();
    let descriptor = plugin.describe().unwrap();
    let limits = Limits::default();
    let direct_call = || {
        let t = Instant::now();
        let parsed = input_from_json(&input_json, &descriptor).unwrap();
        plugin.run(&parsed, &limits).output.unwrap();
        t.elapsed()
    };

    // Over HTTP: the real binary, a deployment, and invoke.
    let server = Server::start(&dir.path().join("data"), &[]);
    let base = server.base.clone();
    // One thread for the client: a sequential caller has no use for hand-offs between threads.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let (enterprise, id) = rt.block_on(async {
        let provider = account(&http, &server, "bench-provider", "provider").await;
        let reviewer = account(&http, &server, "bench-reviewer", "reviewer").await;
        let enterprise = account(&http, &server, "bench-factory", "enterprise").await;
        let status = publish(&http, &server, &provider, PLUGIN, "0.1.0", wasm.clone()).await;
        assert_eq!(status, 201);
        approve(&http, &server, &reviewer, PLUGIN, "0.1.0").await;
        let deployed: Value = http
            .post(format!("{base}/v1/deployments"))
            .bearer_auth(&enterprise)
            .json(&json!({"package": PLUGIN, "version": "^0.1"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = deployed["deployment"]["id"]
            .as_str()
            .expect("deployment id")
            .to_owned();
        (enterprise, id)
    });
    // The request as a client holds it: bytes, encoded once (as the direct call holds its
    // input as parsed JSON).
    let body = bytes::Bytes::from(serde_json::to_vec(&json!({"input": input_json})).unwrap());
    let url = format!("{base}/v1/deployments/{id}/invoke");
    let http_call = || {
        rt.block_on(async {
            let t = Instant::now();
            let response = http
                .post(&url)
                .bearer_auth(&enterprise)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.bytes().await.unwrap();
            t.elapsed()
        })
    };

    // The two alternate call by call, so the machine's load falls on both alike.
    let mut direct = Vec::with_capacity(calls);
    let mut over_http = Vec::with_capacity(calls);
    for i in 0..calls + 20 {
        let (d, h) = (direct_call(), http_call());
        if i >= 20 {
            direct.push(d);
            over_http.push(h);
        }
    }
    // The server's own time per invocation (its request metrics: from the request's arrival to
    // the encoded answer), so the rest of the HTTP time is the transfer and the client.
    let metrics = rt.block_on(async {
        http.get(format!("{base}/metrics"))
            .bearer_auth(&server.admin)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let metric = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && l.contains("invoke") && l.contains("\"200\""))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} for invoke in /metrics"))
    };
    let server_mean =
        metric("smelt_http_request_seconds_sum") / metric("smelt_http_requests_total") * 1e3;
    let mean =
        |v: &[Duration]| v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len() as f64 * 1e3;
    let (direct_mean, http_mean) = (mean(&direct), mean(&over_http));
    drop(server);

    // Where the difference goes: the host's own JSON work on this call, timed in-process —
    // reading the body in one pass into typed columns, and encoding the answer's output.
    let output = plugin
        .run(&input_from_json(&input_json, &descriptor).unwrap(), &limits)
        .output
        .unwrap();
    let input_bytes = serde_json::to_vec(&input_json).unwrap();
    let (mut reading, mut encoding) = (Vec::new(), Vec::new());
    for _ in 0..calls.min(300) {
        let t = Instant::now();
        smelt_runtime::input_from_json_slice(&input_bytes, &descriptor).unwrap();
        reading.push(t.elapsed());
        let t = Instant::now();
        let encoded = serde_json::to_vec(&output).unwrap();
        encoding.push(t.elapsed());
        assert!(encoded.len() > 1000);
    }
    reading.sort();
    encoding.sort();
    println!(
        "of which JSON in the host: reading the body p50 {:.3} ms, encoding the output ({} bytes) p50 {:.3} ms",
        percentile(&reading, 0.5),
        serde_json::to_vec(&output).unwrap().len(),
        percentile(&encoding, 0.5)
    );

    direct.sort();
    over_http.sort();
    let (d50, d99, h50, h99) = (
        percentile(&direct, 0.5),
        percentile(&direct, 0.99),
        percentile(&over_http, 0.5),
        percentile(&over_http, 0.99),
    );
    println!(
        "means: direct {direct_mean:.3} ms; HTTP {http_mean:.3} ms, of which in the server (all calls) {server_mean:.3} ms"
    );
    println!("colour QC, 1,000 batches, {calls} calls each, alternating");
    println!("direct in-process (JSON check + run): p50 {d50:.3} ms, p99 {d99:.3} ms");
    println!("HTTP invoke on a deployment:          p50 {h50:.3} ms, p99 {h99:.3} ms");
    println!(
        "ratio HTTP / direct: p50 {:.2}×, p99 {:.2}×",
        h50 / d50,
        h99 / d99
    );
}
