//! Health, Prometheus metrics and the OpenAPI document.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
}

/// One API route: method, path, who may call it, what it does. The OpenAPI document and the
/// role × route tests are generated from this table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// Roles allowed; empty = no token needed; `["any"]` = any signed-in account.
    pub roles: &'static [&'static str],
    pub summary: &'static str,
}

const ANY: &[&str] = &["any"];

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/healthz",
        roles: &[],
        summary: "Liveness",
    },
    Route {
        method: "get",
        path: "/metrics",
        roles: &[],
        summary: "Prometheus metrics",
    },
    Route {
        method: "get",
        path: "/openapi.json",
        roles: &[],
        summary: "This document",
    },
    Route {
        method: "post",
        path: "/v1/accounts",
        roles: &["admin"],
        summary: "Create an account; returns its first token once",
    },
    Route {
        method: "delete",
        path: "/v1/tokens/{id}",
        roles: ANY,
        summary: "Revoke a token (its owner or an admin)",
    },
    Route {
        method: "get",
        path: "/v1/packages",
        roles: ANY,
        summary: "Search the catalog, a page at a time: {packages, total, limit, offset}",
    },
    Route {
        method: "get",
        path: "/v1/packages/{name}",
        roles: ANY,
        summary: "A package: owner and versions",
    },
    Route {
        method: "get",
        path: "/v1/packages/{name}/resolve",
        roles: ANY,
        summary: "Resolve a semver requirement (req)",
    },
    Route {
        method: "put",
        path: "/v1/packages/{name}/{version}",
        roles: &["provider"],
        summary: "Publish: multipart manifest, component, vectors",
    },
    Route {
        method: "get",
        path: "/v1/packages/{name}/{version}",
        roles: ANY,
        summary: "A version: manifest, digest, WIT version, descriptor, review",
    },
    Route {
        method: "post",
        path: "/v1/packages/{name}/{version}/yank",
        roles: &["provider", "admin"],
        summary: "Hide a version from resolution (owner or admin)",
    },
    Route {
        method: "post",
        path: "/v1/packages/{name}/{version}/unyank",
        roles: &["provider", "admin"],
        summary: "Undo a yank (owner or admin)",
    },
    Route {
        method: "get",
        path: "/v1/blobs/{digest}",
        roles: ANY,
        summary: "Download a blob by digest, verified",
    },
    Route {
        method: "post",
        path: "/v1/trials",
        roles: &["enterprise"],
        summary: "Run a solution on sample data in the sandbox; JSON or CBOR (application/cbor) body and answer; a Server-Timing header with the server's phases",
    },
    Route {
        method: "get",
        path: "/v1/reviews/queue",
        roles: &["reviewer", "admin"],
        summary: "Versions awaiting a review decision",
    },
    Route {
        method: "post",
        path: "/v1/reviews/{name}/{version}/decision",
        roles: &["reviewer"],
        summary: "Approve, reject or suspend a version",
    },
    Route {
        method: "post",
        path: "/v1/reviews/{name}/{version}/conformance",
        roles: &["reviewer"],
        summary: "Run the full conformance suite; stored as the version's scorecard",
    },
    Route {
        method: "get",
        path: "/v1/rankings",
        roles: ANY,
        summary: "Rankings of excellent solutions (industry)",
    },
    Route {
        method: "get",
        path: "/v1/profile",
        roles: &["enterprise"],
        summary: "Own enterprise profile and size class",
    },
    Route {
        method: "put",
        path: "/v1/profile",
        roles: &["enterprise"],
        summary: "Set the enterprise profile",
    },
    Route {
        method: "post",
        path: "/v1/assessments",
        roles: &["enterprise"],
        summary: "Self-assessment of the digital level",
    },
    Route {
        method: "get",
        path: "/v1/assessments",
        roles: &["enterprise"],
        summary: "Own self-assessments",
    },
    Route {
        method: "post",
        path: "/v1/needs",
        roles: &["enterprise"],
        summary: "Publish a need",
    },
    Route {
        method: "get",
        path: "/v1/needs",
        roles: &["enterprise", "provider"],
        summary: "Needs: an enterprise's own; every open need for providers",
    },
    Route {
        method: "get",
        path: "/v1/needs/{id}/matches",
        roles: &["enterprise"],
        summary: "Solutions matching an own need, tried on its sample data; rejected ones paged",
    },
    Route {
        method: "get",
        path: "/v1/dashboard",
        roles: &["admin"],
        summary: "Program dashboard (产业监测)",
    },
    Route {
        method: "post",
        path: "/v1/deployments",
        roles: &["enterprise"],
        summary: "Deploy: pin the approved version a requirement resolves to",
    },
    Route {
        method: "get",
        path: "/v1/deployments",
        roles: &["enterprise"],
        summary: "Own deployments, with a warning where the pinned version is suspended",
    },
    Route {
        method: "post",
        path: "/v1/deployments/{id}/invoke",
        roles: &["enterprise"],
        summary: "Run the pinned version (metered); output, usage, cost; JSON or CBOR (application/cbor) body and answer; a Server-Timing header with the server's phases",
    },
    Route {
        method: "post",
        path: "/v1/deployments/{id}/upgrade",
        roles: &["enterprise"],
        summary: "Upgrade gate (WIT, review, shadow-run diff); dry run, switch or forced switch",
    },
    Route {
        method: "post",
        path: "/v1/deployments/{id}/rollback",
        roles: &["enterprise"],
        summary: "Back to the previous pinned version",
    },
    Route {
        method: "get",
        path: "/v1/deployments/{id}/history",
        roles: &["enterprise"],
        summary: "Pins and changes of a deployment",
    },
    Route {
        method: "get",
        path: "/v1/deployments/{id}/acceptance",
        roles: &["enterprise"],
        summary: "Acceptance evidence: assessments before and after, usage, cost, audit records",
    },
    Route {
        method: "get",
        path: "/v1/usage",
        roles: &["enterprise"],
        summary: "Metered usage per day (from, to: YYYY-MM-DD)",
    },
    Route {
        method: "get",
        path: "/v1/audit",
        roles: &["admin", "reviewer"],
        summary: "Audit log records (from, limit)",
    },
    Route {
        method: "get",
        path: "/v1/audit/verify",
        roles: &["admin", "reviewer"],
        summary: "Verify the audit log's hash chain",
    },
];

/// The query parameters of the GET routes that take any: path, name, JSON Schema (as text),
/// description. A bad value is a 400 naming the parameter.
const QUERY_PARAMS: &[(&str, &str, &str, &str)] = &[
    (
        "/v1/packages",
        "q",
        r#"{"type":"string"}"#,
        "Text in the name, titles or summary",
    ),
    (
        "/v1/packages",
        "industry",
        r#"{"type":"string"}"#,
        "Sub-industry slug",
    ),
    (
        "/v1/packages",
        "stage",
        r#"{"type":"string"}"#,
        "Business stage slug",
    ),
    (
        "/v1/packages",
        "scene",
        r#"{"type":"string"}"#,
        "Scene slug or Chinese name",
    ),
    (
        "/v1/packages",
        "max_deploy_cny",
        r#"{"type":"number","minimum":0}"#,
        "Largest one-off deploy price, CNY",
    ),
    (
        "/v1/packages",
        "limit",
        r#"{"type":"integer","minimum":1,"maximum":200,"default":50}"#,
        "Cards per page",
    ),
    (
        "/v1/packages",
        "offset",
        r#"{"type":"integer","minimum":0,"default":0}"#,
        "Matches skipped before the page",
    ),
    (
        "/v1/needs/{id}/matches",
        "rejected_limit",
        r#"{"type":"integer","minimum":0,"maximum":500,"default":50}"#,
        "Rejected candidates per answer",
    ),
    (
        "/v1/needs/{id}/matches",
        "rejected_offset",
        r#"{"type":"integer","minimum":0,"default":0}"#,
        "Rejected candidates skipped",
    ),
];

/// The OpenAPI 3.1 document, generated from [`ROUTES`] and [`QUERY_PARAMS`].
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .chain(
                QUERY_PARAMS
                    .iter()
                    .filter(|(path, ..)| route.method == "get" && *path == route.path)
                    .map(|(_, name, schema, description)| {
                        let schema: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
                        json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
                    }),
            )
            .collect();
        let security = if route.roles.is_empty() {
            json!([])
        } else {
            json!([{"bearer": []}])
        };
        let op = json!({
            "summary": route.summary,
            "parameters": params,
            "security": security,
            "x-smelt-roles": route.roles,
            "responses": {"default": {"description": "JSON; errors are {\"error\": {\"code\", \"message\"}}"}},
        });
        paths.entry(route.path).or_insert_with(|| json!({}))[route.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "smelt", "version": env!("CARGO_PKG_VERSION")},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })
}

/// Trial durations' histogram bucket bounds, in milliseconds.
const TRIAL_BUCKETS_MS: &[f64] = &[1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0];

#[derive(Default)]
struct Counters {
    requests: BTreeMap<(String, String, u16), (u64, f64)>,
    trials: BTreeMap<String, u64>,
    trial_buckets: Vec<u64>,
    trial_sum_ms: f64,
    trial_count: u64,
    trials_rejected: u64,
    trials_by_account: BTreeMap<String, u64>,
}

/// Request and trial counters for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let entry = c
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.0 += 1;
        entry.1 += latency.as_secs_f64();
    }

    pub fn trial(&self, outcome: &str, wall_ms: f64) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.trials.entry(outcome.to_owned()).or_default() += 1;
        if c.trial_buckets.is_empty() {
            c.trial_buckets = vec![0; TRIAL_BUCKETS_MS.len()];
        }
        for (i, bound) in TRIAL_BUCKETS_MS.iter().enumerate() {
            if wall_ms <= *bound {
                c.trial_buckets[i] += 1;
            }
        }
        c.trial_sum_ms += wall_ms;
        c.trial_count += 1;
    }

    /// Counts a trial run by `account` (for the dashboard; since the server started).
    pub fn trial_by(&self, account: &str) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.trials_by_account.entry(account.to_owned()).or_default() += 1;
    }

    /// Trials run by `account` since the server started.
    pub fn trials_of(&self, account: &str) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        c.trials_by_account.get(account).copied().unwrap_or(0)
    }

    pub fn trial_rejected(&self) {
        self.counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .trials_rejected += 1;
    }

    fn render(&self, hits: u64, misses: u64) -> String {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE smelt_http_requests_total counter");
        for ((method, route, status), (count, _)) in &c.requests {
            let _ = writeln!(
                out,
                "smelt_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(out, "# TYPE smelt_http_request_seconds_sum counter");
        for ((method, route, status), (_, sum)) in &c.requests {
            let _ = writeln!(
                out,
                "smelt_http_request_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {sum}"
            );
        }
        let _ = writeln!(out, "# TYPE smelt_trials_total counter");
        for (outcome, count) in &c.trials {
            let _ = writeln!(out, "smelt_trials_total{{outcome=\"{outcome}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "# TYPE smelt_trials_rejected_total counter\nsmelt_trials_rejected_total {}",
            c.trials_rejected
        );
        let _ = writeln!(out, "# TYPE smelt_trial_duration_ms histogram");
        for (i, bound) in TRIAL_BUCKETS_MS.iter().enumerate() {
            let n = c.trial_buckets.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "smelt_trial_duration_ms_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "smelt_trial_duration_ms_bucket{{le=\"+Inf\"}} {}",
            c.trial_count
        );
        let _ = writeln!(
            out,
            "smelt_trial_duration_ms_sum {}\nsmelt_trial_duration_ms_count {}",
            c.trial_sum_ms, c.trial_count
        );
        let _ = writeln!(out, "# TYPE smelt_compile_cache_total counter");
        let _ = writeln!(
            out,
            "smelt_compile_cache_total{{result=\"hit\"}} {hits}\nsmelt_compile_cache_total{{result=\"miss\"}} {misses}"
        );
        out
    }
}

async fn metrics(State(state): State<Shared>) -> impl IntoResponse {
    use std::sync::atomic::Ordering::Relaxed;
    let mut body = state.metrics.render(
        state.sandbox.compile_hits.load(Relaxed),
        state.sandbox.compile_misses.load(Relaxed),
    );
    let _ = writeln!(
        body,
        "# TYPE smelt_sandbox_slots_free gauge\nsmelt_sandbox_slots_free {}",
        state.runs.available_permits()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
