//! A running server under attack by hostile components: a provider's component that
//! misbehaves on cue in every way the sandbox knows, attackers trying it in parallel and
//! publishing components the host must refuse, while a benign tenant's trials go on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use smelt_hostile::Cue;

use crate::{Server, call, decide, example, publish};

/// The on-cue component's manifest: a generous fuel budget so a runaway loop meets the
/// 1.5 s wall-clock deadline; 64 MiB so the huge output is stopped by the output cap.
const MANIFEST: &str = r#"
[package]
name = "hostile"
version = "0.1.0"
provider = "mallory"
summary = "Echoes its input; misbehaves on cue"
license = "Apache-2.0"

[listing]
title = { zh = "恶意组件", en = "Hostile component" }
industries = ["electronics"]
stages = ["production"]
scenes = ["quality"]
target_level = 1
deploy_days = 1

[listing.price]
deploy_cny = 0.0
per_1k_runs_cny = 0.0

[budget]
fuel_base = 100000000000
fuel_per_row = 1
memory_mib = 64
wall_ms = 1500
"#;

/// Hostile uploads and the (status, code) each must get.
fn refused_uploads() -> Vec<(&'static str, Vec<u8>, u16, &'static str)> {
    let read = |name: &str| std::fs::read(smelt_artifacts::hostile(name)).unwrap();
    vec![
        ("compile-bomb", read("compile-bomb"), 422, "too_complex"),
        (
            "forbidden-import",
            read("forbidden-import"),
            422,
            "forbidden_import",
        ),
        ("http-import", read("http-import"), 422, "forbidden_import"),
        (
            "unknown-import",
            read("unknown-import"),
            422,
            "forbidden_import",
        ),
        // Its describe traps: the table is never reached at publish time.
        ("table-grow", read("table-grow"), 422, "trap"),
        (
            "random-flood",
            read("random-flood"),
            422,
            "conformance_failed",
        ),
        // A metric named with terminal escape sequences.
        (
            "escape-names",
            read("escape-names"),
            422,
            "conformance_failed",
        ),
        (
            "core-module",
            b"\0asm\x01\0\0\0".to_vec(),
            415,
            "core_module",
        ),
        (
            "native-code",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\xf3\0".to_vec(),
            415,
            "not_wasm",
        ),
    ]
}

fn sharma() -> Value {
    json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": {"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["pair-17", "pair-20"], "L": [73.0, 58.0], "a": [25.0, 24.0], "b": [-18.0, 15.0]}
    }}})
}

/// Runs benign trials one after another, at least `n` and until `more` says stop; returns
/// each latency and the first output.
async fn benign_trials(
    server: &Server,
    token: &str,
    n: usize,
    more: impl Fn() -> bool,
) -> (Vec<Duration>, Value) {
    let mut latencies = Vec::with_capacity(n);
    let mut first = Value::Null;
    let mut i = 0;
    while i < n || more() {
        let started = Instant::now();
        let (status, body) = call(
            server,
            Method::POST,
            "/v1/trials",
            Some(token),
            Some(sharma()),
        )
        .await;
        latencies.push(started.elapsed());
        assert_eq!(status, StatusCode::OK, "benign trial {i}: {body}");
        if i == 0 {
            first = body["output"].clone();
        } else {
            assert_eq!(
                body["output"], first,
                "benign trial {i} answered differently"
            );
        }
        i += 1;
    }
    (latencies, first)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

fn summary(latencies: &mut [Duration]) -> String {
    latencies.sort();
    format!(
        "n={} p50={:.1} ms p95={:.1} ms p99={:.1} ms max={:.1} ms",
        latencies.len(),
        percentile(latencies, 0.50),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        percentile(latencies, 1.0)
    )
}

/// No escape or bell character, raw or JSON-escaped, in what the API answered.
fn no_escapes(text: &str) -> bool {
    !(text.contains('\x1b')
        || text.contains('\x07')
        || text.to_lowercase().contains("\\u001b")
        || text.to_lowercase().contains("\\u0007"))
}

#[tokio::test]
async fn benign_trials_succeed_while_hostile_components_attack() {
    const BENIGN: usize = 200;
    // More attacker connections than the 8 sandbox slots: the accomplice's share (half the
    // slots) is what keeps the benign tenant's trials running.
    const ATTACKERS: usize = 10;
    const ROUNDS: usize = 3;
    let server = Server::start(&["--publish-rate", "100000"]);
    let provider = server.account("acme-digital", "provider").await;
    let mallory = server.account("mallory", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let benign = server.account("wujiang-dyeing", "enterprise").await;
    let accomplice = server.account("mallory-front", "enterprise").await;
    let (manifest, wasm) = example("dye-lot-color-qc");
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        wasm,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let on_cue = std::fs::read(smelt_artifacts::hostile("on-cue")).unwrap();
    let (status, body) = publish(&server, &mallory, "hostile", "0.1.0", MANIFEST, on_cue).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the on-cue component passes review checks: {body}"
    );
    for name in ["dye-lot-color-qc", "hostile"] {
        decide(&server, &reviewer, name, "0.1.0", "approve").await;
    }

    // Baseline: the benign tenant alone.
    let (mut quiet, expected) = benign_trials(&server, &benign, BENIGN, || false).await;

    // The attack: trials of every cue and every upload the host must refuse, ROUNDS times
    // over, each attacker starting at a different place in the list, from more connections
    // than there are sandbox slots. A trial refused as busy (the accomplice's share of the
    // slots is in use) is counted and tried again until it runs.
    let done = Arc::new(AtomicUsize::new(0));
    let server = Arc::new(server);
    let mut attackers = Vec::new();
    let kinds = Cue::ALL.len() + refused_uploads().len();
    for a in 0..ATTACKERS {
        let (server, done) = (server.clone(), done.clone());
        let (accomplice, mallory) = (accomplice.clone(), mallory.clone());
        attackers.push(tokio::spawn(async move {
            // Counts this attacker as done however it ends, so the benign loop always stops.
            struct Done(Arc<AtomicUsize>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.fetch_add(1, Ordering::Relaxed);
                }
            }
            let _done = Done(done);
            let uploads = refused_uploads();
            let mut seen: Vec<(String, u16, String, bool)> = Vec::new();
            for step in 0..ROUNDS * kinds {
                let k = (step + a * 3) % kinds;
                if k >= Cue::ALL.len() {
                    let (name, bytes, _, _) = &uploads[k - Cue::ALL.len()];
                    let (status, body) = publish(
                        &server,
                        &mallory,
                        "hostile",
                        "0.1.0",
                        MANIFEST,
                        bytes.clone(),
                    )
                    .await;
                    let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
                    seen.push((
                        format!("upload {name}"),
                        status.as_u16(),
                        code,
                        no_escapes(&body.to_string()),
                    ));
                } else {
                    let cue = Cue::ALL[k];
                    let trial = json!({"package": "hostile", "version": "0.1.0",
                        "input": {"tables": {"data": {"x": [cue.value()]}}}});
                    loop {
                        let response = server
                            .request(Method::POST, "/v1/trials", Some(&accomplice))
                            .json(&trial)
                            .send()
                            .await
                            .unwrap();
                        let status = response.status().as_u16();
                        let text = response.text().await.unwrap();
                        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
                        if status == 503 {
                            assert_eq!(code, "busy", "{text}");
                            seen.push(("busy (share in use)".into(), status, code, true));
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                        seen.push((format!("{cue:?}"), status, code, no_escapes(&text)));
                        break;
                    }
                }
            }
            seen
        }));
    }
    let (mut attacked, output) = benign_trials(&server, &benign, BENIGN, || {
        done.load(Ordering::Relaxed) < ATTACKERS
    })
    .await;
    let mut attacks = Vec::new();
    for attacker in attackers {
        attacks.extend(attacker.await.unwrap());
    }
    assert_eq!(output, expected, "the attack changed a benign answer");

    // Every attack ended in its own error; none crashed anything or leaked an escape.
    let uploads = refused_uploads();
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for (what, status, code, clean) in &attacks {
        *tally
            .entry(format!("{what} → {status} {code}"))
            .or_default() += 1;
        assert!(clean, "{what}: escape sequence in the answer");
        if what.starts_with("busy") {
            continue;
        }
        let expected: Vec<(u16, &str)> = match what.strip_prefix("upload ") {
            Some(name) => {
                let (_, _, status, code) = uploads.iter().find(|u| u.0 == name).unwrap();
                vec![(*status, *code)]
            }
            None => {
                let cue = Cue::ALL.iter().find(|c| format!("{c:?}") == *what).unwrap();
                match cue {
                    Cue::InfiniteLoop => vec![(422, "timeout"), (422, "out_of_fuel")],
                    cue => vec![(422, cue.code())],
                }
            }
        };
        assert!(
            expected.contains(&(*status, code.as_str())),
            "{what}: got {status} {code}, expected one of {expected:?}"
        );
    }
    let busy = attacks.iter().filter(|a| a.0.starts_with("busy")).count();
    let uploads = attacks.iter().filter(|a| a.0.starts_with("upload")).count();
    let trials = attacks.len() - busy - uploads;
    println!(
        "attack: {} hostile requests ({trials} trials, {uploads} uploads, {busy} trials refused \
         as busy and retried) from {ATTACKERS} connections:",
        attacks.len(),
    );
    for (outcome, n) in &tally {
        println!("  {n:4} × {outcome}");
    }
    println!("benign trials alone:        {}", summary(&mut quiet));
    println!("benign trials under attack: {}", summary(&mut attacked));
    assert_eq!(trials + uploads, ATTACKERS * ROUNDS * kinds);
    let tried: std::collections::BTreeSet<&str> = attacks
        .iter()
        .map(|a| a.0.as_str())
        .filter(|w| !w.starts_with("busy"))
        .collect();
    assert_eq!(tried.len(), kinds, "every attack was tried: {tried:?}");

    // The host is up, its sandbox slots all free again, and it still answers everyone.
    let (status, _) = call(&server, Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let metrics = server
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("smelt_sandbox_slots_free 8"), "{metrics}");
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&benign),
        Some(sharma()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
