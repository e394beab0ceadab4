//! Issue 10, target 7: the resident memory (VmRSS, /proc/<pid>/status) of the real
//! `smelt serve`: idle with no component, idle with 100 distinct components compiled and
//! cached (each published, approved and run once), and under the HTTP load of target 3
//! (32 connections of colour-QC trials), then after one large trial (100,000 batches) on each
//! of 32 components, which is what the pool's memory kept resident between calls costs.
//!
//! The 100 components are the colour-QC example with 100 different custom sections appended
//! (100 digests, each compiled separately), published straight into the registry under 100
//! names before the server starts, then approved and tried over HTTP.
//!
//! `cargo bench --workspace --bench memory` (`SMELT_BENCH_COMPONENTS`, default 100;
//! `SMELT_BENCH_SECS`, default 10; `SMELT_BENCH_CONNS`, default 32; `SMELT_BENCH_KEEP_MIB`,
//! the server's `--keep-resident-mib`).

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smelt_registry::{PublishRequest, Registry, Role};

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// VmRSS after the server has been left alone for a moment.
fn settled_rss(pid: u32) -> u64 {
    std::thread::sleep(Duration::from_millis(500));
    common::rss_kib(pid)
}

/// A trial of `name` 0.1.0 on `input` over HTTP; its answer, which must be a 200.
async fn trial(
    http: &reqwest::Client,
    server: &common::Server,
    token: &str,
    name: &str,
    input: &Value,
) -> Value {
    let response = http
        .post(format!("{}/v1/trials", server.base))
        .bearer_auth(token)
        .json(&json!({"package": name, "version": "0.1.0", "input": input}))
        .send()
        .await
        .expect("trial");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "trial of {name}: {body}");
    serde_json::from_str(&body).expect("trial JSON")
}

fn main() {
    let count: usize = common::env_or("SMELT_BENCH_COMPONENTS", 100);
    let secs: u64 = common::env_or("SMELT_BENCH_SECS", 10);
    let conns: usize = common::env_or("SMELT_BENCH_CONNS", 32);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let example = std::fs::read(smelt_artifacts::plugin("dye-lot-color-qc")).expect("component");
    let plugin_dir = smelt_artifacts::plugin_dir("dye-lot-color-qc");
    let manifest_toml =
        std::fs::read_to_string(format!("{plugin_dir}/smelt.toml")).expect("smelt.toml");
    let (wit_version, descriptor_json) = {
        let runtime = smelt_runtime::Runtime::new().expect("runtime");
        let plugin = runtime.load(&example).expect("load");
        (
            plugin.wit_version().to_owned(),
            serde_json::to_string(&plugin.describe().expect("describe")).expect("JSON"),
        )
    };

    // An empty server first: the floor.
    let empty_dir = tempfile::tempdir().expect("temp dir");
    let empty = common::Server::start(&empty_dir.path().join("data"), &[]);
    let floor = settled_rss(empty.pid());
    drop(empty);

    let registry = Registry::open(&data).expect("registry");
    let (_, admin) = registry.bootstrap_admin("admin").expect("admin");
    std::fs::write(data.join("admin.token"), format!("{}\n", admin.secret)).expect("admin.token");
    registry
        .create_account("admin", "bench-provider", Role::Provider)
        .expect("provider");
    let names: Vec<String> = (0..count).map(|i| format!("qc-{i:03}")).collect();
    for (i, name) in names.iter().enumerate() {
        let component = common::with_custom_section(&example, &format!("bench-{i}"), 64);
        let manifest = manifest_toml.replacen(
            "name = \"dye-lot-color-qc\"",
            &format!("name = \"{name}\""),
            1,
        );
        registry
            .publish(PublishRequest {
                publisher: "bench-provider".into(),
                manifest_toml: manifest,
                component,
                vectors: None,
                wit_version: wit_version.clone(),
                descriptor_json: descriptor_json.clone(),
                expect: None,
            })
            .expect("publish");
    }
    drop(registry);

    // One account may hold half the slots: 2 × conns lets every connection run at once.
    // SMELT_BENCH_KEEP_MIB sets the server's --keep-resident-mib (default: the server's own).
    let keep: Option<u32> = std::env::var("SMELT_BENCH_KEEP_MIB")
        .ok()
        .map(|v| v.parse().expect("SMELT_BENCH_KEEP_MIB: a number of MiB"));
    let runs = (2 * conns).to_string();
    let keep_arg = keep.map(|k| k.to_string());
    // The large trials' bodies are about 9 MB of JSON.
    let mut args = vec!["--max-runs", runs.as_str(), "--body-limit", "67108864"];
    if let Some(k) = &keep_arg {
        args.extend(["--keep-resident-mib", k.as_str()]);
    }
    let server = common::Server::start(&data, &args);
    let pid = server.pid();
    let started_kib = settled_rss(pid);
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let http = reqwest::Client::new();
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/dye-lot.json"
        ))
        .expect("dye-lot.json"),
    )
    .expect("JSON");
    let t = Instant::now();
    let enterprise = rt.block_on(async {
        let reviewer = common::account(&http, &server, "bench-reviewer", "reviewer").await;
        let enterprise = common::account(&http, &server, "bench-factory", "enterprise").await;
        for name in &names {
            common::approve(&http, &server, &reviewer, name, "0.1.0").await;
            let body = trial(&http, &server, &enterprise, name, &input).await;
            assert!(body["output"]["tables"]["results"].is_object());
        }
        enterprise
    });
    let warmed = t.elapsed();
    let idle = settled_rss(pid);

    // Under the load of target 3, on the first of them.
    let body = serde_json::to_vec(&json!({"package": names[0], "version": "^0.1", "input": input}))
        .expect("body");
    let sampler_stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = sampler_stop.clone();
    let sampler = std::thread::spawn(move || {
        let mut samples = Vec::new();
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            samples.push(common::rss_kib(pid));
            std::thread::sleep(Duration::from_millis(50));
        }
        samples
    });
    let stats = common::load(
        &format!("{}/v1/trials", server.base),
        &enterprise,
        &body,
        conns,
        Duration::from_secs(2),
        Duration::from_secs(secs),
    );
    sampler_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut samples = sampler.join().expect("sampler");
    samples.sort_unstable();
    let after = settled_rss(pid);

    // Large calls keep up to `MEMORY_KEEP_RESIDENT` of their pooled slot's memory resident, in
    // every slot used so far: one trial of 200,000 batches (near the standard, so the answer
    // stays small; the call's memory comes close to a trial's 16 MiB cap) on each of the first
    // 32 components, one after another. The load above already used up to `conns` slots at
    // once.
    let large_rows = 200_000;
    let large = json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {
            "batch": (0..large_rows).map(|i| format!("B-{i:06}")).collect::<Vec<_>>(),
            "L": (0..large_rows).map(|i| 50.0 + (i % 7) as f64 * 0.01).collect::<Vec<_>>(),
            "a": vec![2.5; large_rows],
            "b": vec![0.0; large_rows],
        }
    }});
    let large_calls = names.len().min(32);
    rt.block_on(async {
        for name in &names[..large_calls] {
            trial(&http, &server, &enterprise, name, &large).await;
        }
    });
    let after_large = settled_rss(pid);
    let hwm = common::hwm_kib(pid);
    drop(server);

    println!("smelt serve resident memory (VmRSS)");
    println!(
        "  empty server, idle                          {:7.1} MiB",
        mib(floor)
    );
    println!(
        "  {count} components published, before any trial  {:7.1} MiB",
        mib(started_kib)
    );
    println!(
        "  {count} components compiled + cached, idle       {:7.1} MiB ({:.0} KiB per component over the empty server; warm-up {:.1} s)",
        mib(idle),
        (idle.saturating_sub(floor)) as f64 / count as f64,
        warmed.as_secs_f64()
    );
    println!(
        "  under load ({conns} connections, {:.0} trials/s, {} × 503): median {:.1} MiB, peak {:.1} MiB",
        stats.per_second(),
        stats.busy,
        mib(samples[samples.len() / 2]),
        mib(*samples.last().unwrap_or(&0))
    );
    println!(
        "  idle again after the load                   {:7.1} MiB",
        mib(after),
    );
    println!(
        "  after {large_calls} trials of {large_rows} batches, one per component  {:7.1} MiB (VmHWM {:.1} MiB; kept resident per used slot at most {} MiB; WARM_SLOTS {})",
        mib(after_large),
        mib(hwm),
        keep.unwrap_or((smelt_runtime::MEMORY_KEEP_RESIDENT >> 20) as u32),
        smelt_runtime::WARM_SLOTS,
    );
}
