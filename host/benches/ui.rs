//! Web UI render time with 1,000 listings: a data directory is filled through the registry
//! (1,000 versions of the colour-QC component under distinct names, spread over the four
//! industries; 900 approved with a scorecard, 100 pending), then the real binary serves it and
//! each page is fetched over loopback with a signed-in session: the first (cold) request and
//! p50/p99 of the next ones. The JSON routes behind the heaviest pages are timed alongside. Times are client-side over loopback, an upper bound on the
//! server's own render time.
//!
//! `cargo bench -p smelt --bench ui` (SMELT_BENCH_LISTINGS sets the count, default 1000;
//! SMELT_BENCH_CALLS the repeats per page, default 50).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smelt_registry::{AnnotationKind, PublishRequest, Registry, Role};
use smelt_runtime::Runtime;

const INDUSTRIES: [&str; 4] = ["textile-dyeing", "knitting", "electronics", "auto-parts"];

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// Fills `dir` with `count` listings; returns (admin, enterprise, reviewer) tokens.
fn populate(dir: &std::path::Path, count: usize) -> (String, String, String) {
    let registry = Registry::open(dir).unwrap();
    let (_, admin) = registry.bootstrap_admin("admin").unwrap();
    let mut file = std::fs::File::create(dir.join("admin.token")).unwrap();
    writeln!(file, "{}", admin.secret).unwrap();
    let (_, _provider) = registry
        .create_account("admin", "bench-provider", Role::Provider)
        .unwrap();
    let (_, enterprise) = registry
        .create_account("admin", "bench-enterprise", Role::Enterprise)
        .unwrap();
    let (_, reviewer) = registry
        .create_account("admin", "bench-reviewer", Role::Reviewer)
        .unwrap();

    let wasm = std::fs::read(smelt_artifacts::plugin("dye-lot-color-qc")).unwrap();
    let plugin = Runtime::new().unwrap().load(&wasm).unwrap();
    let descriptor = plugin.describe().unwrap();
    let manifest = std::fs::read_to_string(
        std::path::Path::new(smelt_artifacts::plugin_dir("dye-lot-color-qc")).join("smelt.toml"),
    )
    .unwrap();
    // The listing only: vectors are not part of what a catalog page reads.
    let manifest = manifest[..manifest.find("[[vectors]]").unwrap()].to_owned();
    let scorecard = json!({"pass": true, "scores": {"small": 92.0, "fast": 85.0, "light": 78.0, "precise": 100.0, "safe": 100.0}, "results": []}).to_string();
    for i in 0..count {
        let name = format!("bench-solution-{i:04}");
        let mut d = descriptor.clone();
        d.name = name.clone();
        let text = manifest
            .replace("name = \"dye-lot-color-qc\"", &format!("name = \"{name}\""))
            .replace(
                "industries = [\"textile-dyeing\"]",
                &format!("industries = [\"{}\"]", INDUSTRIES[i % 4]),
            )
            .replace("（CIEDE2000）", &format!("（{i}）"));
        registry
            .publish(PublishRequest {
                publisher: "bench-provider".into(),
                manifest_toml: text,
                component: wasm.clone(),
                vectors: None,
                wit_version: plugin.wit_version().to_owned(),
                descriptor_json: serde_json::to_string(&d).unwrap(),
                expect: None,
            })
            .unwrap();
        let (n, v) = (name.parse().unwrap(), "0.1.0".parse().unwrap());
        if i % 10 != 0 {
            let review = json!({"state": "approved", "note": "bench", "reviewer": "bench-reviewer", "time_ms": 0}).to_string();
            registry
                .annotate("bench-reviewer", &n, &v, AnnotationKind::Review, &review)
                .unwrap();
            registry
                .annotate(
                    "bench-reviewer",
                    &n,
                    &v,
                    AnnotationKind::Scorecard,
                    &scorecard,
                )
                .unwrap();
        }
    }
    (admin.secret, enterprise.secret, reviewer.secret)
}

/// The value of cookie `name` in a response's Set-Cookie headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()?
                .strip_prefix(&format!("{name}="))
                .map(str::to_owned)
        })
}

/// `application/x-www-form-urlencoded` for one value.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signs in through the UI's form; returns the session cookie header value.
async fn sign_in(http: &reqwest::Client, base: &str, token: &str) -> String {
    let page = http.get(format!("{base}/signin")).send().await.unwrap();
    let pre = set_cookie(&page, "smelt_pre").unwrap();
    let response = http
        .post(format!("{base}/signin"))
        .header("cookie", format!("smelt_pre={pre}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("pre={pre}&token={}", form_encode(token)))
        .send()
        .await
        .unwrap();
    let session = set_cookie(&response, "smelt_session").expect("signed in");
    format!("smelt_session={session}")
}

fn main() {
    let count: usize = std::env::var("SMELT_BENCH_LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let calls: usize = std::env::var("SMELT_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let started = Instant::now();
    let (admin, enterprise, reviewer) = populate(&data, count);
    println!(
        "{count} listings written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("SMELT_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(url) = line.strip_prefix("smelt listening on ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        // Program data the pages read: a profile, a need, a deployment.
        let api = |method: reqwest::Method, path: &str, token: &str, body: Value| {
            http.request(method, format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let ok = |r: reqwest::Response| {
            assert!(r.status().is_success(), "{}", r.status());
            r
        };
        ok(api(reqwest::Method::PUT, "/v1/profile", &enterprise,
            json!({"industry": "textile-dyeing", "employees": 120, "revenue_wan_cny": 8000})).await.unwrap());
        let need: Value = ok(api(reqwest::Method::POST, "/v1/needs", &enterprise,
            json!({"industry": "textile-dyeing", "scenes": ["quality"], "target_level": 2, "budget_cny": 50000, "deadline_days": 30})).await.unwrap())
            .json().await.unwrap();
        let need = need["id"].as_str().unwrap().to_owned();
        let deployed: Value = ok(api(reqwest::Method::POST, "/v1/deployments", &enterprise,
            json!({"package": "bench-solution-0001", "version": "^0.1"})).await.unwrap())
            .json().await.unwrap();
        let deployment = deployed["deployment"]["id"].as_str().unwrap().to_owned();

        let sessions = [
            ("enterprise", sign_in(&http, &base, &enterprise).await),
            ("reviewer", sign_in(&http, &base, &reviewer).await),
            ("admin", sign_in(&http, &base, &admin).await),
        ];
        let session = |who: &str| sessions.iter().find(|s| s.0 == who).unwrap().1.clone();
        let pages: Vec<(&str, String, String)> = vec![
            ("sign-in", "/signin".into(), String::new()),
            ("catalog (all)", "/".into(), session("enterprise")),
            ("catalog (search)", "/?q=0042".into(), session("enterprise")),
            ("catalog (industry)", "/?industry=electronics".into(), session("enterprise")),
            ("solution", "/solutions/bench-solution-0500".into(), session("enterprise")),
            ("try form", "/solutions/bench-solution-0500/0.1.0/try".into(), session("enterprise")),
            ("assessment", "/assessment".into(), session("enterprise")),
            ("needs", "/needs".into(), session("enterprise")),
            ("matches", format!("/needs/{need}"), session("enterprise")),
            ("deployments", "/deployments".into(), session("enterprise")),
            ("deployment", format!("/deployments/{deployment}"), session("enterprise")),
            ("review queue", "/review".into(), session("reviewer")),
            ("review version", "/review/bench-solution-0000/0.1.0".into(), session("reviewer")),
            ("dashboard", "/dashboard".into(), session("admin")),
            // The JSON API behind the two heaviest pages, for comparison (bearer, no UI).
            ("api: matches", format!("/v1/needs/{need}/matches"), format!("bearer {enterprise}")),
            ("api: dashboard", "/v1/dashboard".into(), format!("bearer {admin}")),
            ("api: packages", "/v1/packages".into(), format!("bearer {enterprise}")),
        ];
        let mut rows = Vec::new();
        for (label, path, cookie) in pages {
            let mut times = Vec::with_capacity(calls + 1);
            let mut bytes = 0;
            for _ in 0..=calls {
                let t = Instant::now();
                let request = http.get(format!("{base}{path}"));
                let request = match cookie.strip_prefix("bearer ") {
                    Some(token) => request.bearer_auth(token),
                    None => request.header("cookie", &cookie),
                };
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200, "{label} {path}");
                bytes = response.bytes().await.unwrap().len();
                times.push(t.elapsed());
            }
            let first = times.remove(0);
            times.sort();
            rows.push((label, first, percentile(&times, 0.5), percentile(&times, 0.99), bytes));
        }
        rows
    });
    println!("page                 first ms   p50 ms   p99 ms   KiB");
    for (label, first, p50, p99, bytes) in &rows {
        println!(
            "{label:<20} {:>8.2} {p50:>8.2} {p99:>8.2} {:>6.0}",
            first.as_secs_f64() * 1e3,
            *bytes as f64 / 1024.0
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
