//! Issue 10, target 3: trials per second at 32 concurrent connections for the colour-QC plugin
//! on a small input (examples/dye-lot.json, 5 lots) through `POST /v1/trials` on the real
//! `smelt serve` over loopback, vs a native axum handler doing the same JSON work (parse the
//! same body, CIEDE2000 and CMC natively with the plugin crate's own code, serialise the
//! same-shaped response), in the same run. Also samples the server's resident memory under the
//! load (target 7).
//!
//! `cargo bench --workspace --bench http`; `SMELT_BENCH_SECS` (default 10) and
//! `SMELT_BENCH_CONNS` (default 32) set the duration and connections. Against a server you
//! started yourself (loopback only; colour QC approved, an enterprise token):
//! `SMELT_BENCH_SERVER=http://127.0.0.1:7878 SMELT_BENCH_TOKEN=<enterprise token> cargo bench
//! --workspace --bench http`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::post;
use common::{LoadStats, Server, env_or, load};
use dye_lot_color_qc::color::{Lab, Weights, ciede2000, cmc};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};
use smelt_runtime::{ColumnValues, Finding, Metric, Output, Severity};

const PLUGIN: &str = "dye-lot-color-qc";

fn request_body() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dye-lot.json");
    let input: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("dye-lot.json"))
        .expect("dye-lot.json is JSON");
    serde_json::to_vec(&json!({"package": PLUGIN, "version": "^0.1", "input": input}))
        .expect("body")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrialRequest {
    package: String,
    version: String,
    input: Value,
}

/// The baseline: the same request parsed, the same math run natively, the same response shape.
async fn native_trial(Json(body): Json<TrialRequest>) -> Result<Json<Value>, String> {
    let started = Instant::now();
    let input = &body.input;
    let column = |table: &str, name: &str| -> Result<Vec<f64>, String> {
        input["tables"][table][name]
            .as_array()
            .ok_or_else(|| format!("table `{table}` column `{name}` is missing"))?
            .iter()
            .map(|v| {
                v.as_f64()
                    .ok_or_else(|| format!("`{table}.{name}`: not a number"))
            })
            .collect()
    };
    let param = |name: &str, default: f64| input["params"][name].as_f64().unwrap_or(default);
    let lab = |table: &str| -> Result<Vec<Lab>, String> {
        let (l, a, b) = (
            column(table, "L")?,
            column(table, "a")?,
            column(table, "b")?,
        );
        Ok((0..l.len())
            .map(|i| Lab {
                l: l[i],
                a: a[i],
                b: b[i],
            })
            .collect())
    };
    let standard = *lab("standard")?.first().ok_or("no standard row")?;
    let batches = lab("batches")?;
    let names: Vec<String> = input["tables"]["batches"]["batch"]
        .as_array()
        .ok_or("no batch column")?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    let (tolerance, kl) = (param("tolerance", 1.0), param("kl", 1.0));
    let weights = Weights {
        kl,
        ..Weights::default()
    };
    let mut output = Output::default();
    let (mut de00, mut de_cmc, mut pass) = (Vec::new(), Vec::new(), Vec::new());
    for (row, batch) in batches.iter().enumerate() {
        let d = ciede2000(standard, *batch, weights);
        let c = cmc(standard, *batch, 2.0, 1.0);
        if d > tolerance {
            output.findings.push(Finding {
                severity: Severity::Warning,
                code: "out-of-tolerance".into(),
                message: format!(
                    "batch {}: ΔE00 {d:.2} exceeds tolerance {tolerance}",
                    names[row]
                ),
                table: Some("batches".into()),
                row: Some(row as u32),
            });
        }
        de00.push(d);
        de_cmc.push(c);
        pass.push(d <= tolerance);
    }
    let metric = |name: &str, value: f64, unit: &str| Metric {
        name: name.into(),
        value,
        unit: unit.into(),
    };
    output.metrics = vec![
        metric(
            "max_delta_e00",
            de00.iter().copied().fold(0.0, f64::max),
            "ΔE00",
        ),
        metric(
            "max_delta_e_cmc",
            de_cmc.iter().copied().fold(0.0, f64::max),
            "ΔE CMC",
        ),
        metric(
            "fail_count",
            pass.iter().filter(|p| !**p).count() as f64,
            "",
        ),
    ];
    let mut results = IndexMap::new();
    results.insert("batch".to_owned(), ColumnValues::Text(names.into()));
    results.insert("delta_e00".to_owned(), ColumnValues::Float64(de00));
    results.insert("delta_e_cmc".to_owned(), ColumnValues::Float64(de_cmc));
    results.insert("pass".to_owned(), ColumnValues::Boolean(pass));
    output.tables.insert("results".to_owned(), results);
    Ok(Json(json!({
        "package": body.package,
        "version": body.version,
        "digest": "sha256:native",
        "output": output,
        "usage": {"fuel": 0, "peak_memory_bytes": 0, "wall_ms": started.elapsed().as_secs_f64() * 1e3},
        "cost_cny": 0.0,
        "logs": [],
    })))
}

/// Starts the native server on its own two-worker runtime (as `smelt serve` has) on loopback.
fn start_native() -> String {
    common::serve_in_process(
        axum::Router::new().route("/v1/trials", post(native_trial)),
        false,
    )
}

/// A server's address, an enterprise token, and the server's pid when this bench started it.
fn start_smelt(data: &std::path::Path, max_runs: usize) -> (Server, String) {
    let server = Server::start(data, &["--max-runs", &max_runs.to_string()]);
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let token = rt.block_on(async {
        let http = reqwest::Client::new();
        let provider = common::account(&http, &server, "bench-provider", "provider").await;
        let reviewer = common::account(&http, &server, "bench-reviewer", "reviewer").await;
        let enterprise = common::account(&http, &server, "bench-factory", "enterprise").await;
        let wasm = std::fs::read(smelt_artifacts::plugin(PLUGIN)).expect("component");
        let status = common::publish(&http, &server, &provider, PLUGIN, "0.1.0", wasm).await;
        assert_eq!(status, 201, "publishing {PLUGIN}");
        common::approve(&http, &server, &reviewer, PLUGIN, "0.1.0").await;
        enterprise
    });
    (server, token)
}

/// Equal JSON, numbers within 1e-9 relative (wasm's libm and the native one differ in the
/// last bits).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn report(label: &str, stats: &LoadStats) {
    println!(
        "{label}: {:.0} trials/s, p50 {:.2} ms, p99 {:.2} ms ({} ok, {} × 503, {} other errors, {:.1} s)",
        stats.per_second(),
        stats.percentile_ms(0.5),
        stats.percentile_ms(0.99),
        stats.ok.len(),
        stats.busy,
        stats.errors,
        stats.elapsed.as_secs_f64(),
    );
}

/// Samples `pid`'s VmRSS every 50 ms until stopped; returns the largest seen, in KiB.
fn sample_rss(pid: u32) -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            peak.fetch_max(common::rss_kib(pid), Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
        }
        peak.load(Ordering::Relaxed)
    });
    (stop, handle)
}

fn main() {
    let secs: u64 = env_or("SMELT_BENCH_SECS", 10);
    let conns: usize = env_or("SMELT_BENCH_CONNS", 32);
    let (warmup, duration) = (Duration::from_secs(2), Duration::from_secs(secs));
    let body = request_body();

    if let Ok(server) = std::env::var("SMELT_BENCH_SERVER") {
        let token = std::env::var("SMELT_BENCH_TOKEN").expect("SMELT_BENCH_TOKEN");
        let url = format!("{}/v1/trials", server.trim_end_matches('/'));
        let stats = load(&url, &token, &body, conns, warmup, duration);
        report(&format!("{url}, {conns} connections"), &stats);
        return;
    }

    // The same answer from both, before timing anything.
    let native = start_native();
    let dir = tempfile::tempdir().expect("temp dir");
    // One enterprise account may hold half the sandbox slots, so 2 × conns slots let every
    // connection run at once: no 503s in the headline figure.
    let (smelt, token) = start_smelt(&dir.path().join("data"), 2 * conns);
    let check = |url: &str| -> Value {
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        rt.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{url}/v1/trials"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .expect("trial");
            assert_eq!(response.status().as_u16(), 200, "trial on {url}");
            response.json::<Value>().await.expect("trial JSON")
        })
    };
    let (a, b) = (check(&smelt.base), check(&native));
    // Metrics compared by name (the guest's order is its own business).
    let by_name = |v: &Value| -> Value {
        let mut v = v["output"].clone();
        if let Some(metrics) = v["metrics"].as_array_mut() {
            metrics.sort_by(|x, y| x["name"].as_str().cmp(&y["name"].as_str()));
        }
        v
    };
    let (a, b) = (by_name(&a), by_name(&b));
    assert!(same(&a, &b), "smelt and native disagree:\n{}\n{}", a, b);

    let idle_kib = common::rss_kib(smelt.pid());
    let (stop, sampler) = sample_rss(smelt.pid());
    let smelt_stats = load(
        &format!("{}/v1/trials", smelt.base),
        &token,
        &body,
        conns,
        warmup,
        duration,
    );
    stop.store(true, Ordering::Relaxed);
    let peak_kib = sampler.join().expect("sampler");
    let native_stats = load(
        &format!("{native}/v1/trials"),
        &token,
        &body,
        conns,
        warmup,
        duration,
    );
    drop(smelt);

    // The default of 8 sandbox slots: what 32 connections see then, 503s counted.
    let dir8 = tempfile::tempdir().expect("temp dir");
    let (smelt8, token8) = start_smelt(&dir8.path().join("data"), 8);
    let default_stats = load(
        &format!("{}/v1/trials", smelt8.base),
        &token8,
        &body,
        conns,
        warmup,
        duration,
    );
    drop(smelt8);

    println!("colour QC trial, examples/dye-lot.json (5 lots), {conns} connections, {secs} s each");
    report(
        &format!("smelt serve --max-runs {}  POST /v1/trials", 2 * conns),
        &smelt_stats,
    );
    report("native axum, same JSON work    ", &native_stats);
    report("smelt serve --max-runs 8 (default)", &default_stats);
    println!(
        "ratio smelt / native: throughput {:.2}× (target ≥ 0.5×), p99 {:.2}×",
        smelt_stats.per_second() / native_stats.per_second(),
        smelt_stats.percentile_ms(0.99) / native_stats.percentile_ms(0.99),
    );
    println!(
        "smelt serve VmRSS: {:.1} MiB idle after one trial, peak {:.1} MiB under the load",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0
    );
}
