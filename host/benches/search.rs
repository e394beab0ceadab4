//! Issue 10, target 6: search over 10,000 listings, p99 ≤ 5 ms: the catalog search in-process
//! and `GET /v1/packages?…` (one page, as a reviewer and as an enterprise) on the real server
//! over loopback; need matching, `smelt_assess::rank` in-process over 10,000 candidates and
//! `GET /v1/needs/{id}/matches` over HTTP; and the one-off rebuild of the server's catalog view
//! after a review decision.
//!
//! The listings are published straight into a registry in a temp dir (the colour-QC component
//! under 10,000 names, four industries, sixteen scenes, eight kinds of title), every one
//! approved and every fourth given a scorecard, then the server is started on that directory.
//!
//! `cargo bench --workspace --bench search` (`SMELT_BENCH_LISTINGS`, default 10000;
//! `SMELT_BENCH_QUERIES`, default 200 per query).

mod common;

use std::time::{Duration, Instant};

use smelt_assess::{Candidate, MatchConfig, Need};
use smelt_registry::manifest::{Industry, Scene};
use smelt_registry::{AnnotationKind, PublishRequest, Registry, Role, SearchQuery};

const INDUSTRIES: [&str; 4] = ["knitting", "textile-dyeing", "electronics", "auto-parts"];
const SCENES: [&str; 16] = [
    "product-design",
    "process-design",
    "marketing",
    "after-sales",
    "planning",
    "production-control",
    "quality",
    "equipment",
    "safety",
    "energy",
    "procurement",
    "warehousing",
    "finance",
    "hr",
    "collaboration",
    "decision-support",
];
const KINDS: [&str; 8] = [
    "Dye-lot colour QC",
    "SPC capability",
    "Four-point fabric inspection",
    "AQL sampling plan",
    "Flow-shop scheduling",
    "OEE and six big losses",
    "Energy meter report",
    "Warehouse slotting",
];

fn manifest(i: usize) -> String {
    format!(
        r#"[package]
name = "line-{i:05}"
version = "0.1.0"
provider = "bench provider {p}"
summary = "{kind} for line {i}, generated for the search benchmark"
license = "Apache-2.0"

[listing]
title = {{ zh = "生产线 {i} 方案", en = "{kind} #{i}" }}
description = {{ zh = "基准测试", en = "benchmark listing" }}
industries = ["{industry}"]
stages = ["production"]
scenes = ["{scene}"]
target_level = {level}
deploy_days = {days}

[listing.price]
deploy_cny = {deploy}.0
per_1k_runs_cny = 2.0

[budget]
fuel_base = 20000000
fuel_per_row = 20000
memory_mib = 16
wall_ms = 1000
"#,
        p = i % 50,
        kind = KINDS[i % KINDS.len()],
        industry = INDUSTRIES[i % INDUSTRIES.len()],
        scene = SCENES[(i / 4) % SCENES.len()],
        level = 1 + i % 4,
        days = 1 + i % 30,
        deploy = 500 + (i * 37) % 20_000,
    )
}

struct Timing {
    label: String,
    hits: usize,
    times: Vec<Duration>,
}

impl Timing {
    fn percentile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.times.clone();
        sorted.sort();
        sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
    }

    fn print(&self) {
        let p99 = self.percentile_ms(0.99);
        println!(
            "  {:<60} {:>5} hits  p50 {:7.2} ms  p99 {:7.2} ms  {}",
            self.label,
            self.hits,
            self.percentile_ms(0.5),
            p99,
            if p99 <= 5.0 { "met" } else { "MISSED" }
        );
    }
}

fn time<T>(label: String, queries: usize, mut f: impl FnMut() -> (usize, T)) -> Timing {
    let mut hits = 0;
    for _ in 0..queries / 10 + 1 {
        hits = f().0;
    }
    let times = (0..queries)
        .map(|_| {
            let t = Instant::now();
            let out = std::hint::black_box(f());
            let took = t.elapsed();
            drop(out);
            took
        })
        .collect();
    Timing { label, hits, times }
}

/// One GET as `token`; the answer's status must be 200. Returns the body's bytes.
async fn get_bytes(http: &reqwest::Client, url: &str, token: &str) -> bytes::Bytes {
    let response = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.bytes().await.expect("answer body")
}

/// Times GET `url` twice: to the answer's last byte (the server's latency, as a load
/// generator sees it), and with the client's JSON parse into a `serde_json::Value` on top (as
/// the figures before this change were taken). `describe` gives the hits and a note from one
/// answer. Returns (to last byte, with parse).
fn time_get(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    url: &str,
    token: &str,
    queries: usize,
    label: String,
    describe: impl Fn(&serde_json::Value) -> (usize, String),
) -> (Timing, Timing) {
    let body = rt.block_on(get_bytes(http, url, token));
    let (hits, note) = describe(&serde_json::from_slice(&body).expect("JSON answer"));
    let label = format!("{label} ({note}, {:.0} KB)", body.len() as f64 / 1e3);
    let bytes = time(label, queries, || {
        (hits, rt.block_on(get_bytes(http, url, token)))
    });
    let parsed = time("  + client JSON parse".into(), queries, || {
        let body = rt.block_on(get_bytes(http, url, token));
        let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON answer");
        (hits, value)
    });
    bytes.print();
    parsed.print();
    (bytes, parsed)
}

fn main() {
    let listings: usize = common::env_or("SMELT_BENCH_LISTINGS", 10_000);
    let queries: usize = common::env_or("SMELT_BENCH_QUERIES", 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let component = std::fs::read(smelt_artifacts::plugin("dye-lot-color-qc")).expect("component");
    let runtime = smelt_runtime::Runtime::new().expect("runtime");
    let plugin = runtime.load(&component).expect("load");
    let descriptor_json =
        serde_json::to_string(&plugin.describe().expect("describe")).expect("descriptor JSON");

    let registry = Registry::open(&data).expect("registry");
    let (_, admin) = registry.bootstrap_admin("admin").expect("admin");
    std::fs::write(data.join("admin.token"), format!("{}\n", admin.secret)).expect("admin.token");
    registry
        .create_account("admin", "bench-provider", Role::Provider)
        .expect("provider");
    let (_, reviewer) = registry
        .create_account("admin", "bench-reviewer", Role::Reviewer)
        .expect("reviewer");
    let (_, enterprise) = registry
        .create_account("admin", "bench-enterprise", Role::Enterprise)
        .expect("enterprise");
    let (reviewer, enterprise) = (reviewer.secret, enterprise.secret);
    let started = Instant::now();
    let mut manifests = Vec::with_capacity(listings);
    for i in 0..listings {
        let manifest_toml = manifest(i);
        let manifest = smelt_registry::Manifest::from_toml(&manifest_toml).expect("manifest");
        registry
            .publish(PublishRequest {
                publisher: "bench-provider".into(),
                manifest_toml,
                component: component.clone(),
                vectors: None,
                wit_version: plugin.wit_version().to_owned(),
                descriptor_json: descriptor_json.clone(),
                expect: None,
            })
            .expect("publish");
        // Approved (the server's review document), so enterprises see every listing: the
        // largest answers. Every fourth has a scorecard, so cards carry scores.
        let (name, version) = (&manifest.package.name, &manifest.package.version);
        let review =
            r#"{"state":"approved","note":"bench","reviewer":"bench-reviewer","time_ms":0}"#;
        registry
            .annotate(
                "bench-reviewer",
                name,
                version,
                AnnotationKind::Review,
                review,
            )
            .expect("approve");
        if i % 4 == 0 {
            let card = format!(
                r#"{{"pass":true,"scores":{{"small":{},"fast":80,"light":85,"precise":95,"safe":100}}}}"#,
                60 + i % 40
            );
            registry
                .annotate(
                    "bench-reviewer",
                    name,
                    version,
                    AnnotationKind::Scorecard,
                    &card,
                )
                .expect("scorecard");
        }
        manifests.push(manifest);
    }
    println!(
        "{listings} listings published, approved and (one in four) scored in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let probe = format!("line-{:05}", listings / 2);
    let prefix = format!("line-{:03}", listings / 2 / 100);
    let cases: Vec<(String, SearchQuery, String)> = vec![
        (
            format!("exact name `{probe}`"),
            SearchQuery {
                text: Some(probe.clone()),
                ..SearchQuery::default()
            },
            format!("q={probe}"),
        ),
        (
            format!("name prefix `{prefix}`"),
            SearchQuery {
                text: Some(prefix.clone()),
                ..SearchQuery::default()
            },
            format!("q={prefix}"),
        ),
        (
            "title word `slotting` (1 in 8)".into(),
            SearchQuery {
                text: Some("slotting".into()),
                ..SearchQuery::default()
            },
            "q=slotting".into(),
        ),
        (
            "no match `zzz`".into(),
            SearchQuery {
                text: Some("zzz".into()),
                ..SearchQuery::default()
            },
            "q=zzz".into(),
        ),
        (
            "industry electronics + scene quality".into(),
            SearchQuery {
                industry: Some(Industry::Electronics),
                scene: Some(Scene::Quality),
                ..SearchQuery::default()
            },
            "industry=electronics&scene=quality".into(),
        ),
        ("everything".into(), SearchQuery::default(), String::new()),
    ];

    // What the server runs: positions in the catalog snapshot, nothing cloned. (`Registry::
    // search` clones every hit's record on top: 10,000 of them for an empty query.)
    println!(
        "Registry::catalog()?.search (positions) over {listings} listings, {queries} queries each"
    );
    let mut results = Vec::new();
    for (label, query, _) in &cases {
        let t = time(label.clone(), queries, || {
            let hits = registry.catalog().expect("catalog").search(query);
            (hits.len(), hits)
        });
        t.print();
        results.push(t);
    }
    drop(registry);

    let server = common::Server::start(&data, &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let http = reqwest::Client::new();
    let mut with_parse = Vec::new();
    // One page each (the default 50, and the largest, 200); the total counts every match.
    let mut pages: Vec<String> = cases.iter().map(|(_, _, params)| params.clone()).collect();
    pages.push("q=slotting&limit=200".into());
    pages.push("q=slotting&limit=50&offset=1200".into());
    for (who, token) in [("reviewer", &reviewer), ("enterprise", &enterprise)] {
        println!(
            "GET /v1/packages over loopback ({who}), {queries} queries each: hits = total (cards)"
        );
        for params in &pages {
            let url = format!("{}/v1/packages?{params}", server.base);
            let (bytes, parsed) = time_get(
                &rt,
                &http,
                &url,
                token,
                queries,
                format!("GET ?{params}"),
                |body| {
                    let cards = body["packages"].as_array().map_or(0, Vec::len);
                    let total = body["total"].as_u64().unwrap_or(0) as usize;
                    (total, format!("{cards} cards"))
                },
            );
            results.push(bytes);
            with_parse.push(parsed);
        }
    }

    // The one-off cost after a change: the first search after a review decision rebuilds the
    // catalog view (review states, scores, candidates) from storage.
    let decision = format!("{}/v1/reviews/{probe}/0.1.0/decision", server.base);
    let mut rebuilds = Vec::new();
    for round in 0..5 {
        rt.block_on(async {
            let response = http
                .post(&decision)
                .bearer_auth(&reviewer)
                .json(&serde_json::json!({"decision": if round % 2 == 0 { "suspend" } else { "approve" }, "note": "bench"}))
                .send()
                .await
                .expect("decision");
            assert_eq!(response.status().as_u16(), 200, "decision");
        });
        let url = format!("{}/v1/packages?q=zzz", server.base);
        let t = Instant::now();
        rt.block_on(get_bytes(&http, &url, &enterprise));
        rebuilds.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "first search after a review decision (view rebuilt): {}",
        rebuilds
            .iter()
            .map(|ms| format!("{ms:.0} ms"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Need matching over HTTP: the same need as below, published by the enterprise.
    let need = Need {
        industry: Industry::Electronics,
        scenes: vec![Scene::Quality, Scene::Equipment],
        target_level: 3,
        current_level: Some(1),
        budget_cny: 15_000.0,
        deadline_days: 20,
        expected_runs: None,
        sample_tables: Vec::new(),
    };
    let id = rt.block_on(async {
        let response = http
            .post(format!("{}/v1/needs", server.base))
            .bearer_auth(&enterprise)
            .json(&need)
            .send()
            .await
            .expect("POST /v1/needs");
        assert_eq!(response.status().as_u16(), 201, "need");
        let body: serde_json::Value = response.json().await.expect("need JSON");
        body["id"].as_str().expect("need id").to_owned()
    });
    println!("GET /v1/needs/{{id}}/matches over loopback (enterprise), {queries} calls");
    for params in ["", "?rejected_limit=500"] {
        let url = format!("{}/v1/needs/{id}/matches{params}", server.base);
        let (bytes, parsed) = time_get(
            &rt,
            &http,
            &url,
            &enterprise,
            queries,
            format!("matches{params}"),
            |body| {
                let m = &body["matches"];
                let shown = m["ranked"].as_array().map_or(0, Vec::len);
                let rejected = m["rejected"].as_array().map_or(0, Vec::len);
                (
                    m["ranked_total"].as_u64().unwrap_or(0) as usize,
                    format!(
                        "{shown} ranked, {rejected} of {} rejected shown",
                        m["rejected_total"]
                    ),
                )
            },
        );
        results.push(bytes);
        with_parse.push(parsed);
    }
    drop(server);

    // Need matching in-process: every listing a candidate (approved, so every filter is
    // evaluated).
    let candidates: Vec<Candidate> = manifests
        .iter()
        .map(|m| Candidate {
            approved: true,
            ..Candidate::from_manifest(m)
        })
        .collect();
    let config = MatchConfig::default();
    println!("smelt_assess::rank over {listings} candidates, {queries} calls");
    let t = time(
        "rank: electronics, quality + equipment, budget 15k".into(),
        queries,
        || {
            let matches = smelt_assess::rank(&need, &candidates, &config).expect("rank");
            (matches.ranked.len(), matches)
        },
    );
    t.print();
    results.push(t);
    let worst = results
        .iter()
        .map(|t| t.percentile_ms(0.99))
        .fold(0.0, f64::max);
    println!(
        "worst p99, in-process and to the answer's last byte: {worst:.2} ms (target ≤ 5 ms): {}",
        if worst <= 5.0 { "met" } else { "missed" }
    );
    let worst_parsed = with_parse
        .iter()
        .map(|t| t.percentile_ms(0.99))
        .fold(0.0, f64::max);
    println!("worst p99 with the client's JSON parse: {worst_parsed:.2} ms");
}
