//! Invocation overhead over HTTP: `POST /v1/deployments/{id}/invoke` on the real server over
//! loopback vs the same call made directly on the runtime in-process, for the colour-QC plugin
//! on 1,000 batches, with the request and answer in JSON and in CBOR (`application/cbor`).
//! All three run in this one process's run, call by call in turn, so the ratios hold on a
//! noisy machine.
//!
//! Three more exchanges set the floor: the same request bytes up and the same CBOR answer bytes
//! down, with an axum server that does no work: in this process (its own threads, loopback),
//! once answering at once and once after spinning on its CPU for as long as the direct call
//! just took (as a server running the call would), and the spinning one again as a process of
//! its own, as `smelt serve` is. So the part of the HTTP overhead that no server work can
//! remove is measured in the same run.
//!
//! `cargo bench --workspace --bench invoke` (SMELT_BENCH_CALLS sets the count, default 300;
//! SMELT_BENCH_ROWS the batches per call, default 1,000 — the figure).

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

/// An axum server in this process answering `POST /exchange` with `answer` once it has read
/// the body, with `TCP_NODELAY` as `smelt serve` sets it; its URL. `?spin_us=N` makes it keep
/// its CPU busy for N µs before answering, standing in for a server's run of the call.
fn start_floor_server(answer: bytes::Bytes) -> String {
    let app = axum::Router::new().route(
        "/exchange",
        axum::routing::post(move |uri: axum::http::Uri, body: bytes::Bytes| async move {
            assert!(!body.is_empty());
            let spin = uri
                .query()
                .and_then(|q| q.strip_prefix("spin_us="))
                .map(|us| Duration::from_micros(us.parse().expect("spin_us")));
            if let Some(spin) = spin {
                let start = Instant::now();
                while start.elapsed() < spin {
                    std::hint::spin_loop();
                }
            }
            (
                [(axum::http::header::CONTENT_TYPE, "application/cbor")],
                answer,
            )
        }),
    );
    format!("{}/exchange", common::serve_in_process(app, true))
}

/// Set for the floor's own process (this bench binary again): the file holding its answer.
const FLOOR_ANSWER: &str = "SMELT_BENCH_FLOOR_ANSWER";

/// Runs the floor server in this process, printing its URL, until the parent kills it.
fn floor_process(answer: &std::path::Path) -> ! {
    let answer = bytes::Bytes::from(std::fs::read(answer).expect("the floor's answer"));
    println!("{}", start_floor_server(answer));
    loop {
        std::thread::park();
    }
}

/// The floor server as a child process; killed on drop.
struct FloorProcess {
    child: std::process::Child,
    url: String,
}

impl FloorProcess {
    fn start(answer: &std::path::Path) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe().expect("this bench"))
            .env(FLOOR_ANSWER, answer)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("starting the floor's process");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("the floor's URL");
        FloorProcess {
            child,
            url: line.trim().to_owned(),
        }
    }
}

impl Drop for FloorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    if let Some(answer) = std::env::var_os(FLOOR_ANSWER) {
        floor_process(std::path::Path::new(&answer));
    }
    let calls: usize = std::env::var("SMELT_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rows: usize = std::env::var("SMELT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let input_json = input(rows);
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
    let request = json!({"input": input_json});
    let json_body = bytes::Bytes::from(serde_json::to_vec(&request).unwrap());
    let cbor_body = bytes::Bytes::from(cbor4ii::serde::to_vec(Vec::new(), &request).unwrap());
    let url = format!("{base}/v1/deployments/{id}/invoke");
    // One invocation's exchange with the server at `to`: the time to the whole answer, it, and
    // the server's `Server-Timing` header (empty from the floor's server).
    let exchange = |to: &str, media: &str, body: &bytes::Bytes| {
        rt.block_on(async {
            let t = Instant::now();
            let response = http
                .post(to)
                .bearer_auth(&enterprise)
                .header("content-type", media)
                .header("accept", media)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let timing = response
                .headers()
                .get("server-timing")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let answer = response.bytes().await.unwrap();
            assert!(answer.len() > 1000);
            (t.elapsed(), answer, timing)
        })
    };
    let http_call = |media: &str, body: &bytes::Bytes| exchange(&url, media, body);
    // The CBOR answer is the JSON answer in another encoding.
    let (_, as_json, _) = http_call("application/json", &json_body);
    let (_, as_cbor, _) = http_call("application/cbor", &cbor_body);
    let as_json: Value = serde_json::from_slice(&as_json).unwrap();
    let as_cbor_bytes = as_cbor.to_vec();
    let as_cbor: Value = cbor4ii::serde::from_slice(&as_cbor).unwrap();
    fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => x.iter().find_map(|(k, v)| {
                first_difference(v, y.get(k).unwrap_or(&Value::Null), format!("{path}.{k}"))
            }),
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| first_difference(v, w, format!("{path}[{i}]"))),
            _ if a == b => None,
            _ => Some(format!("{path}: {a} vs {b}")),
        }
    }
    if let Some(d) = first_difference(&as_json["output"], &as_cbor["output"], "output".into()) {
        panic!("{d}");
    }

    // The floor: an axum server on its own two-thread runtime that reads the body and answers
    // the CBOR answer's bytes, doing nothing else; the request is the CBOR invocation's, headers
    // and all.
    let floor_url = start_floor_server(bytes::Bytes::from(as_cbor_bytes.clone()));
    // The same server as a process of its own.
    let answer_file = dir.path().join("floor-answer.cbor");
    std::fs::write(&answer_file, &as_cbor_bytes).unwrap();
    let floor_process = FloorProcess::start(&answer_file);
    let floor_call = |to: &str, spin: Option<Duration>| {
        let to = match spin {
            Some(spin) => format!("{to}?spin_us={}", spin.as_micros()),
            None => to.to_owned(),
        };
        let (elapsed, answer, _) = exchange(&to, "application/cbor", &cbor_body);
        assert_eq!(answer.len(), as_cbor_bytes.len());
        elapsed
    };

    // All alternate call by call, so the machine's load falls on all alike.
    let mut direct = Vec::with_capacity(calls);
    let mut over_http = Vec::with_capacity(calls);
    let mut over_cbor = Vec::with_capacity(calls);
    // And the smallest exchange with the server, for the fixed cost of a round trip.
    let health = format!("{base}/healthz");
    let mut round_trip = Vec::with_capacity(calls);
    let mut floor = Vec::with_capacity(calls);
    // The spinning floors' time beyond their spin, call by call: in this process, in another.
    let mut floor_beyond_spin = Vec::with_capacity(calls);
    let mut process_beyond_spin = Vec::with_capacity(calls);
    // The server's phases of each CBOR invocation (its `Server-Timing`), in ms.
    let mut phases: Vec<(String, Vec<f64>)> = Vec::new();
    for i in 0..calls + 20 {
        let d = direct_call();
        // The five exchanges take turns coming first after the direct call (when the servers
        // have been idle longest), so each meets the same mix of idle and awake threads.
        let (mut h, mut c, mut f, mut s, mut p) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO, d, d);
        for k in 0..5 {
            match (i + k) % 5 {
                0 => h = http_call("application/json", &json_body).0,
                1 => {
                    let (elapsed, _, timing) = http_call("application/cbor", &cbor_body);
                    c = elapsed;
                    if i >= 20 {
                        for (k, phase) in timing.split(", ").enumerate() {
                            let (name, dur) = phase.split_once(";dur=").expect("Server-Timing");
                            if phases.len() == k {
                                phases.push((name.to_owned(), Vec::with_capacity(calls)));
                            }
                            phases[k].1.push(dur.parse().expect("a phase's duration"));
                        }
                    }
                }
                2 => f = floor_call(&floor_url, None),
                3 => s = floor_call(&floor_url, Some(d)),
                _ => p = floor_call(&floor_process.url, Some(d)),
            }
        }
        let r = rt.block_on(async {
            let t = Instant::now();
            let response = http.get(&health).send().await.unwrap();
            response.bytes().await.unwrap();
            t.elapsed()
        });
        if i >= 20 {
            direct.push(d);
            over_http.push(h);
            over_cbor.push(c);
            floor.push(f);
            floor_beyond_spin.push(s.saturating_sub(d));
            process_beyond_spin.push(p.saturating_sub(d));
            round_trip.push(r);
        }
    }
    let mean =
        |v: &[Duration]| v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len() as f64 * 1e3;
    let (direct_mean, http_mean, cbor_mean) = (mean(&direct), mean(&over_http), mean(&over_cbor));
    drop(server);

    // Where the difference goes: the host's own JSON work on this call, timed in-process —
    // reading the body in one pass into typed columns, and encoding the answer's output.
    let output = plugin
        .run(&input_from_json(&input_json, &descriptor).unwrap(), &limits)
        .output
        .unwrap();
    let input_bytes = serde_json::to_vec(&input_json).unwrap();
    let input_cbor = cbor4ii::serde::to_vec(Vec::new(), &input_json).unwrap();
    let (mut reading, mut encoding) = (Vec::new(), Vec::new());
    let (mut reading_cbor, mut encoding_cbor) = (Vec::new(), Vec::new());
    let mut checking = Vec::new();
    for _ in 0..calls.min(300) {
        let t = Instant::now();
        input_from_json(&input_json, &descriptor).unwrap();
        checking.push(t.elapsed());
        let t = Instant::now();
        smelt_runtime::input_from_json_slice(&input_bytes, &descriptor).unwrap();
        reading.push(t.elapsed());
        let t = Instant::now();
        let encoded = serde_json::to_vec(&output).unwrap();
        encoding.push(t.elapsed());
        assert!(encoded.len() > 1000);
        let reader = smelt_runtime::InputReader::new(&descriptor);
        let t = Instant::now();
        let mut de =
            cbor4ii::serde::Deserializer::new(cbor4ii::core::utils::SliceReader::new(&input_cbor));
        serde::de::DeserializeSeed::deserialize(reader.seed(), &mut de).unwrap();
        reading_cbor.push(t.elapsed());
        let t = Instant::now();
        let encoded = cbor4ii::serde::to_vec(Vec::new(), &output).unwrap();
        encoding_cbor.push(t.elapsed());
        assert!(encoded.len() > 1000);
    }
    for v in [
        &mut checking,
        &mut reading,
        &mut encoding,
        &mut reading_cbor,
        &mut encoding_cbor,
    ] {
        v.sort();
    }
    println!(
        "the direct call's own check of its parsed input: p50 {:.3} ms",
        percentile(&checking, 0.5)
    );
    println!(
        "the host's own decoding and encoding on this call: JSON reading the body ({} bytes) p50 {:.3} ms, encoding the output ({} bytes) p50 {:.3} ms; CBOR reading ({} bytes) p50 {:.3} ms, encoding ({} bytes) p50 {:.3} ms",
        input_bytes.len(),
        percentile(&reading, 0.5),
        serde_json::to_vec(&output).unwrap().len(),
        percentile(&encoding, 0.5),
        input_cbor.len(),
        percentile(&reading_cbor, 0.5),
        cbor4ii::serde::to_vec(Vec::new(), &output).unwrap().len(),
        percentile(&encoding_cbor, 0.5),
    );

    direct.sort();
    over_http.sort();
    over_cbor.sort();
    round_trip.sort();
    floor.sort();
    floor_beyond_spin.sort();
    process_beyond_spin.sort();
    let (d50, d99) = (percentile(&direct, 0.5), percentile(&direct, 0.99));
    let (h50, h99) = (percentile(&over_http, 0.5), percentile(&over_http, 0.99));
    let (c50, c99) = (percentile(&over_cbor, 0.5), percentile(&over_cbor, 0.99));
    println!(
        "means: direct {direct_mean:.3} ms; HTTP JSON {http_mean:.3} ms, HTTP CBOR {cbor_mean:.3} ms"
    );
    let in_server: Vec<String> = phases
        .iter_mut()
        .map(|(name, took)| {
            took.sort_by(f64::total_cmp);
            format!("{name} {:.3}", took[took.len() / 2])
        })
        .collect();
    println!(
        "in the server, CBOR invocations (Server-Timing, p50 of each phase, ms): {}",
        in_server.join(", ")
    );
    println!("colour QC, {rows} batches, {calls} calls each, in turn");
    println!(
        "an empty round trip (GET /healthz): p50 {:.3} ms",
        percentile(&round_trip, 0.5)
    );
    let f50 = percentile(&floor, 0.5);
    println!(
        "the same bytes up and down with a server doing no work: p50 {f50:.3} ms — the least any invocation over HTTP adds to the direct call: {:.2}×",
        (d50 + f50) / d50
    );
    let s50 = percentile(&floor_beyond_spin, 0.5);
    println!(
        "the same exchange with that server spinning as long as the direct call before answering: p50 {s50:.3} ms beyond the spin — the least an invocation adds when its server is busy for the call: {:.2}×",
        (d50 + s50) / d50
    );
    let p50 = percentile(&process_beyond_spin, 0.5);
    println!(
        "the same, the spinning server a process of its own (as smelt serve is): p50 {p50:.3} ms beyond the spin: {:.2}×",
        (d50 + p50) / d50
    );

    println!("direct in-process (JSON check + run): p50 {d50:.3} ms, p99 {d99:.3} ms");
    println!("HTTP invoke, JSON body and answer:    p50 {h50:.3} ms, p99 {h99:.3} ms");
    println!("HTTP invoke, CBOR body and answer:    p50 {c50:.3} ms, p99 {c99:.3} ms");
    println!(
        "ratio HTTP / direct: JSON p50 {:.2}×, p99 {:.2}×; CBOR p50 {:.2}×, p99 {:.2}×",
        h50 / d50,
        h99 / d99,
        c50 / d50,
        c99 / d99
    );
}
