//! Deployments end to end: pinning, metered invocation, the upgrade gate, rollback, yank and
//! suspension, tenant isolation, acceptance evidence and the audit log.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Server, call, example, publish};

/// Sharma, Wu & Dalal (2005), Table 1, pairs 17 and 20 against their standard: lightness differs,
/// so the CIEDE2000 lightness weight kL changes ΔE00.
fn batches() -> Value {
    json!({
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["pair-17", "pair-20"], "L": [73.0, 58.0], "a": [25.0, 24.0], "b": [-18.0, 15.0]}
    })
}

/// Publishes dye-lot-color-qc 0.1.1: the example's manifest at version 0.1.1 and a component
/// whose default kL is 2, so its results differ wherever L* differs. Its vectors are the
/// example's reference data with kL = 1 given explicitly, as Sharma et al. computed them.
pub(crate) async fn publish_0_1_1(server: &Server, provider: &str) -> (StatusCode, Value) {
    let (manifest, _) = example("dye-lot-color-qc");
    let manifest = manifest.replacen("version = \"0.1.0\"", "version = \"0.1.1\"", 1);
    assert!(manifest.contains("version = \"0.1.1\""));
    let wasm = std::fs::read(smelt_artifacts::hostile("dye-lot-v0-1-1")).unwrap();
    let dir = smelt_artifacts::plugin_dir("dye-lot-color-qc");
    let mut vectors =
        smelt_runtime::VectorBundle::from_package_dir(std::path::Path::new(dir)).unwrap();
    for vector in &mut vectors.vectors {
        vector.input["params"]["kl"] = json!(1.0);
    }
    let vectors = serde_json::to_string(&vectors).unwrap();
    let (name, version) = ("dye-lot-color-qc", "0.1.1");
    crate::publish_with_vectors(
        server,
        provider,
        name,
        version,
        &manifest,
        wasm,
        Some(vectors),
    )
    .await
}

async fn decide(server: &Server, reviewer: &str, version: &str, decision: &str) {
    crate::decide(server, reviewer, "dye-lot-color-qc", version, decision).await;
}

/// `dyer`'s deployment of dye-lot-color-qc `^0.1`: its id.
async fn deploy_dye(server: &Server, dyer: &str) -> String {
    let (status, deployed) = call(
        server,
        Method::POST,
        "/v1/deployments",
        Some(dyer),
        Some(json!({"package": "dye-lot-color-qc", "version": "^0.1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{deployed}");
    deployed["deployment"]["id"].as_str().unwrap().to_owned()
}

/// A provider, a reviewer and an enterprise, with dye-lot-color-qc 0.1.0 published by the
/// first and approved by the second.
async fn dye_0_1_0_approved(server: &Server) -> (String, String, String) {
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let dyer = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example("dye-lot-color-qc");
    let (status, body) = publish(
        server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        wasm,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    decide(server, &reviewer, "0.1.0", "approve").await;
    (provider, reviewer, dyer)
}

async fn invoke(server: &Server, token: &str, id: &str, input: Value) -> (StatusCode, Value) {
    call(
        server,
        Method::POST,
        &format!("/v1/deployments/{id}/invoke"),
        Some(token),
        Some(json!({"input": input})),
    )
    .await
}

async fn upgrade(server: &Server, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    call(
        server,
        Method::POST,
        &format!("/v1/deployments/{id}/upgrade"),
        Some(token),
        Some(body),
    )
    .await
}

async fn rollback(server: &Server, token: &str, id: &str) -> (StatusCode, Value) {
    let path = format!("/v1/deployments/{id}/rollback");
    call(server, Method::POST, &path, Some(token), None).await
}

fn today() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn pinned_deployment_survives_releases_yanks_and_suspension_and_upgrades_through_a_gate() {
    // A data directory this test owns, so it outlives the first server (restart at the end).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_on(&data, &[]);
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let dyer = server.account("wujiang-dyeing", "enterprise").await;
    let rival = server.account("other-dyeing", "enterprise").await;
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
    let digest_010 = body["digest"].as_str().unwrap().to_owned();
    decide(&server, &reviewer, "0.1.0", "approve").await;

    // An assessment before the deployment, for the acceptance evidence.
    let sheet = json!({"rule": "2022", "answers": {"items": {"D1.S1.I1": {"options": ["B", "C"]}, "信息系统": {"options": ["E"]}}, "scenes": {"quality": 2}}});
    let (status, before) = call(
        &server,
        Method::POST,
        "/v1/assessments",
        Some(&dyer),
        Some(sheet.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{before}");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // Deploy `^0.1` with a default tolerance; bad params and unknown packages are refused.
    let (status, body) = call(&server, Method::POST, "/v1/deployments", Some(&dyer),
        Some(json!({"package": "dye-lot-color-qc", "version": "^0.1", "params": {"tolerance": 1000.0}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tolerance"),
        "{body}"
    );
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&dyer),
        Some(json!({"package": "no-such-thing", "version": "^0.1"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&provider),
        Some(json!({"package": "dye-lot-color-qc", "version": "^0.1"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(&server, Method::POST, "/v1/deployments", Some(&dyer),
        Some(json!({"package": "dye-lot-color-qc", "version": "^0.1", "params": {"tolerance": 99.0}}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let deployment = &body["deployment"];
    let id = deployment["id"].as_str().unwrap().to_owned();
    assert_eq!(deployment["pinned"]["version"], "0.1.0");
    assert_eq!(deployment["pinned"]["digest"], digest_010.as_str());
    assert_eq!(deployment["warning"], Value::Null);

    // Deploy-time params are the defaults; a call's own params override them.
    let mut runs = 0;
    let (status, first) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["version"], "0.1.0");
    assert_eq!(first["output"]["metrics"][1]["name"], "fail_count");
    assert_eq!(first["output"]["metrics"][1]["value"], 0.0, "{first}");
    assert!(first["cost_cny"].as_f64().unwrap() > 0.0);
    let strict = json!({"tables": batches(), "params": {"tolerance": 1.0}});
    let (status, strict_010) = invoke(&server, &dyer, &id, strict.clone()).await;
    runs += 1;
    assert_eq!(status, StatusCode::OK, "{strict_010}");
    assert_eq!(
        strict_010["output"]["metrics"][1]["value"], 2.0,
        "{strict_010}"
    );
    let (status, body) = invoke(&server, &dyer, &id, json!({"tables": {"standard": {}}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // 0.1.1 is released and approved; its results differ (a trial shows it) ...
    let (status, body) = publish_0_1_1(&server, &provider).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    decide(&server, &reviewer, "0.1.1", "approve").await;
    let (status, trial_011) = call(&server, Method::POST, "/v1/trials", Some(&dyer),
        Some(json!({"package": "dye-lot-color-qc", "version": "=0.1.1", "input": {"tables": batches(), "params": {"tolerance": 99.0}}}))).await;
    assert_eq!(status, StatusCode::OK, "{trial_011}");
    let delta = |v: &Value| v["output"]["tables"]["results"]["delta_e00"].clone();
    assert_ne!(delta(&trial_011), delta(&first));
    // ... but the deployment still answers as 0.1.0, exactly.
    let (status, again) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&again["version"], &again["output"]),
        (&first["version"], &first["output"])
    );

    // Dry run: the report shows the difference and changes nothing.
    let (status, dry) = upgrade(
        &server,
        &dyer,
        &id,
        json!({"version": "^0.1", "dry_run": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    let report = &dry["report"];
    assert_eq!(report["to"]["version"], "0.1.1");
    assert_eq!(report["checks"]["wit"]["pass"], true);
    assert_eq!(report["checks"]["review"]["pass"], true);
    assert_eq!(report["checks"]["shadow"]["inputs"], 3, "{report}");
    assert_eq!(report["checks"]["shadow"]["differing"], 3, "{report}");
    let differences = report["checks"]["shadow"]["runs"][0]["differences"].to_string();
    assert!(
        differences.contains("column `delta_e00`, row 0"),
        "{differences}"
    );
    assert!(
        differences.contains("metric `max_delta_e00`"),
        "{differences}"
    );
    assert!(report["fuel"]["current"].as_f64().unwrap() > 0.0);
    assert_eq!(report["pass"], false);
    // A loose enough tolerance makes the same outputs agree (pass/fail and findings are equal).
    let (_, loose) = upgrade(
        &server,
        &dyer,
        &id,
        json!({"version": "^0.1", "dry_run": true, "tolerance": 1000.0}),
    )
    .await;
    assert_eq!(loose["report"]["pass"], true, "{loose}");
    let (status, body) = upgrade(
        &server,
        &dyer,
        &id,
        json!({"version": "^0.1", "tolerance": -1.0}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The gate refuses; nothing switches.
    let (status, refused) = upgrade(&server, &dyer, &id, json!({"version": "^0.1"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "gate_failed");
    assert_eq!(refused["switched"], false);
    let (_, still) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(still["version"], "0.1.0");

    // Forced: switches, recorded as forced with the report's digest.
    let (status, forced) = upgrade(
        &server,
        &dyer,
        &id,
        json!({"version": "^0.1", "force": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{forced}");
    assert_eq!(
        (forced["switched"].clone(), forced["forced"].clone()),
        (json!(true), json!(true))
    );
    let gate_digest = forced["report_digest"].as_str().unwrap().to_owned();
    let (status, now) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(now["version"], "0.1.1");
    assert_eq!(delta(&now), delta(&trial_011));
    assert_ne!(now["digest"], digest_010.as_str());

    // Rollback restores the old answers exactly; there is nothing before the first pin.
    let (status, body) = rollback(&server, &dyer, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deployment"]["pinned"]["version"], "0.1.0");
    let (_, back) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(
        (&back["digest"], &back["output"]),
        (&first["digest"], &first["output"])
    );
    let (_, back_strict) = invoke(&server, &dyer, &id, strict.clone()).await;
    runs += 1;
    assert_eq!(back_strict["output"], strict_010["output"]);
    let (status, body) = rollback(&server, &dyer, &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "nothing_to_roll_back");

    // Suspension: the deployment keeps running with a warning everywhere; new ones are refused.
    decide(&server, &reviewer, "0.1.0", "suspend").await;
    let (status, warned) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(warned["output"], first["output"]);
    assert!(
        warned["warning"].as_str().unwrap().contains("suspended"),
        "{warned}"
    );
    let (_, listed) = call(&server, Method::GET, "/v1/deployments", Some(&dyer), None).await;
    assert_eq!(listed["deployments"].as_array().unwrap().len(), 1);
    assert!(
        listed["deployments"][0]["warning"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&rival),
        Some(json!({"package": "dye-lot-color-qc", "version": "=0.1.0"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "suspended");

    // Yank of the pinned version: invocations go on, on the pinned digest.
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/packages/dye-lot-color-qc/0.1.0/yank",
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, yanked) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    runs += 1;
    assert_eq!(status, StatusCode::OK, "{yanked}");
    assert_eq!(
        (&yanked["digest"], &yanked["output"]),
        (&first["digest"], &first["output"])
    );

    // Another enterprise: 404 on every endpoint, and an empty list.
    for (method, path, body) in [
        (
            Method::POST,
            format!("/v1/deployments/{id}/invoke"),
            Some(json!({"input": {"tables": batches()}})),
        ),
        (
            Method::POST,
            format!("/v1/deployments/{id}/upgrade"),
            Some(json!({"version": "^0.1", "dry_run": true})),
        ),
        (Method::POST, format!("/v1/deployments/{id}/rollback"), None),
        (Method::GET, format!("/v1/deployments/{id}/history"), None),
        (
            Method::GET,
            format!("/v1/deployments/{id}/acceptance"),
            None,
        ),
    ] {
        let (status, answer) = call(&server, method, &path, Some(&rival), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    let (_, theirs) = call(&server, Method::GET, "/v1/deployments", Some(&rival), None).await;
    assert_eq!(theirs["deployments"], json!([]));

    // History.
    let (status, history) = call(
        &server,
        Method::GET,
        &format!("/v1/deployments/{id}/history"),
        Some(&dyer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deploy", "forced upgrade", "rollback"]);
    assert_eq!(
        history["history"][1]["gate_report_digest"],
        gate_digest.as_str()
    );

    // Usage per day; bad dates are 422.
    let day = today();
    let (status, usage) = call(
        &server,
        Method::GET,
        &format!("/v1/usage?from={day}&to={day}"),
        Some(&dyer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    assert_eq!(usage["total"]["runs"], runs, "{usage}");
    assert_eq!(usage["total"]["rows"], runs * 3, "{usage}");
    assert!(usage["total"]["fuel"].as_u64().unwrap() > 0);
    let (_, none) = call(
        &server,
        Method::GET,
        "/v1/usage?to=2000-01-01",
        Some(&dyer),
        None,
    )
    .await;
    assert_eq!(none["total"]["runs"], 0, "{none}");
    for bad in [
        "from=2026-02-30",
        "to=yesterday",
        "from=2026-01-02&to=2026-01-01",
    ] {
        let (status, body) = call(
            &server,
            Method::GET,
            &format!("/v1/usage?{bad}"),
            Some(&dyer),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }

    // Acceptance evidence: assessments before and after, usage, cost, audit records.
    let (status, after) = call(
        &server,
        Method::POST,
        "/v1/assessments",
        Some(&dyer),
        Some(sheet),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{after}");
    let (status, evidence) = call(
        &server,
        Method::GET,
        &format!("/v1/deployments/{id}/acceptance"),
        Some(&dyer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{evidence}");
    assert_eq!(evidence["assessments"]["before"]["id"], before["id"]);
    assert_eq!(evidence["assessments"]["after"]["id"], after["id"]);
    assert_eq!(evidence["assessments"]["level_change"], 0);
    assert_eq!(evidence["usage"]["runs"], runs);
    assert_eq!(evidence["cost_cny"]["deploy"], 800.0);
    let audit_actions: Vec<&str> = evidence["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(audit_actions, ["deploy", "forced upgrade", "rollback"]);
    assert!(
        evidence["audit"][1]["payload"]
            .as_str()
            .unwrap()
            .contains(&gate_digest)
    );

    // The audit log: readable by reviewers and admins, not enterprises; the chain verifies.
    let (status, _) = call(&server, Method::GET, "/v1/audit", Some(&dyer), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, log) = call(
        &server,
        Method::GET,
        "/v1/audit?from=1&limit=1000",
        Some(&reviewer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let subject = format!("deployment/{id}");
    assert_eq!(
        log["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["subject"] == subject.as_str())
            .count(),
        3
    );
    let (status, verified) = call(
        &server,
        Method::GET,
        "/v1/audit/verify",
        Some(&server.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["ok"], true);

    // Meters and kept inputs are flushed at shutdown and read back after a restart.
    assert!(server.terminate());
    let server = Server::start_on(&data, &[]);
    let (_, usage) = call(
        &server,
        Method::GET,
        &format!("/v1/usage?from={day}"),
        Some(&dyer),
        None,
    )
    .await;
    assert_eq!(usage["total"]["runs"], runs, "{usage}");
    let (_, dry) = upgrade(
        &server,
        &dyer,
        &id,
        json!({"version": "^0.1", "dry_run": true}),
    )
    .await;
    assert_eq!(dry["report"]["checks"]["shadow"]["inputs"], runs, "{dry}");
}

#[tokio::test]
async fn an_upgrade_with_equal_outputs_passes_the_gate_and_switches_unforced() {
    let server = Server::start(&[]);
    let (provider, reviewer, dyer) = dye_0_1_0_approved(&server).await;
    let deploy = |keep: u32| {
        call(
            &server,
            Method::POST,
            "/v1/deployments",
            Some(&dyer),
            Some(json!({"package": "dye-lot-color-qc", "version": "^0.1", "keep_inputs": keep})),
        )
    };
    let (status, body) = deploy(21).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, keeping) = deploy(20).await;
    let keeping = keeping["deployment"]["id"].as_str().unwrap().to_owned();
    let (_, forgetful) = deploy(0).await;
    let forgetful = forgetful["deployment"]["id"].as_str().unwrap().to_owned();
    let (status, body) = upgrade(&server, &dyer, &keeping, json!({"version": "^0.1"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "already_pinned");

    // Equal lightness everywhere: kL plays no part, so 0.1.1 answers exactly as 0.1.0.
    let same_lightness = json!({"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["p1", "p2"], "L": [50.0, 50.0], "a": [0.0, 3.2], "b": [-2.0, 1.0]}
    }});
    for id in [&keeping, &forgetful] {
        let (status, body) = invoke(&server, &dyer, id, same_lightness.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = publish_0_1_1(&server, &provider).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Not yet approved: enterprises cannot upgrade to it.
    let (status, body) = upgrade(
        &server,
        &dyer,
        &keeping,
        json!({"version": "=0.1.1", "dry_run": true}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    decide(&server, &reviewer, "0.1.1", "approve").await;

    let (status, up) = upgrade(&server, &dyer, &keeping, json!({"version": "^0.1"})).await;
    assert_eq!(status, StatusCode::OK, "{up}");
    assert_eq!(up["report"]["checks"]["shadow"]["inputs"], 1);
    assert_eq!(up["report"]["pass"], true, "{up}");
    assert_eq!(
        (up["switched"].clone(), up["forced"].clone()),
        (json!(true), json!(false))
    );
    let (_, history) = call(
        &server,
        Method::GET,
        &format!("/v1/deployments/{keeping}/history"),
        Some(&dyer),
        None,
    )
    .await;
    let actions: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deploy", "upgrade"]);

    // Nothing kept: the report says nothing was compared.
    let (_, dry) = upgrade(
        &server,
        &dyer,
        &forgetful,
        json!({"version": "^0.1", "dry_run": true}),
    )
    .await;
    assert_eq!(dry["report"]["checks"]["shadow"]["inputs"], 0, "{dry}");
    assert!(
        dry["report"]["checks"]["shadow"]["note"]
            .as_str()
            .unwrap()
            .contains("nothing was compared")
    );

    // An id that does not exist is 404 too.
    let (status, _) = invoke(&server, &dyer, "dep-nope", same_lightness).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The caller's usage today.
async fn usage_today(server: &Server, token: &str) -> Value {
    let day = today();
    let path = format!("/v1/usage?from={day}&to={day}");
    call(server, Method::GET, &path, Some(token), None).await.1
}

/// A 422 answer with `code` and a message containing `message`.
fn assert_refused(status: StatusCode, answer: &Value, code: &str, message: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], code, "{answer}");
    let said = answer["error"]["message"].as_str().unwrap();
    assert!(said.contains(message), "`{said}`, wanted `{message}`");
}

/// Invocation bodies are read in one pass straight into typed columns: whatever is wrong is
/// named (the JSON, the envelope or the input's table, column and row), and a refused body is
/// neither run nor metered.
#[tokio::test]
async fn bad_invocation_bodies_are_refused_by_name_and_not_metered() {
    let server = Server::start(&[]);
    let (_, _, dyer) = dye_0_1_0_approved(&server).await;
    let (_, deployed) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&dyer),
        Some(
            json!({"package": "dye-lot-color-qc", "version": "^0.1", "params": {"tolerance": 2.5}}),
        ),
    )
    .await;
    let id = deployed["deployment"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/deployments/{id}/invoke");
    let good = json!({"input": {"tables": batches()}}).to_string();
    let cases = [
        (
            "text/plain",
            good.clone(),
            "invalid_body",
            "Content-Type: application/json",
        ),
        (
            "application/json",
            good[..good.len() - 9].to_owned(),
            "invalid_body",
            "EOF while parsing",
        ),
        (
            "application/json",
            "[1, 2]".to_owned(),
            "invalid_body",
            "invalid type: sequence",
        ),
        (
            "application/json",
            "{}".to_owned(),
            "invalid_body",
            "missing field `input`",
        ),
        (
            "application/json",
            format!("{{\"inputs\": {}}}", batches()),
            "invalid_body",
            "unknown field `inputs`",
        ),
        (
            "application/json",
            format!("{good} {good}"),
            "invalid_body",
            "trailing characters",
        ),
        (
            "application/json",
            json!({"input": {"tables": batches(), "params": {"tolerance": "2"}}}).to_string(),
            "invalid_input",
            "param `tolerance`: expected float64, found text",
        ),
        (
            "application/json",
            good.replace("73.0", "\"73\""),
            "invalid_input",
            "table `batches`, column `L`, row 0: expected a number, found text",
        ),
        (
            "application/json",
            good.replace("\"L\":[73.0,58.0]", "\"L\":[73.0,58.0],\"L\":[1.0,2.0]"),
            "invalid_input",
            "table `batches`: column `L` given twice",
        ),
        (
            "application/json",
            json!({"input": {"tables": batches(), "speed": 1}}).to_string(),
            "invalid_input",
            "input: unknown field `speed` (expected `tables` and `params`)",
        ),
    ];
    for (content_type, body, code, message) in cases {
        let response = server
            .request(Method::POST, &path, Some(&dyer))
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_refused(status, &answer, code, message);
    }
    // The good body runs, with the deployment's default params under its own.
    let (status, answer) = invoke(&server, &dyer, &id, json!({"tables": batches()})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, loose) = invoke(
        &server,
        &dyer,
        &id,
        json!({"tables": batches(), "params": {"tolerance": 20.0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{loose}");
    // ΔE00 27.15 and 19.45 (Sharma et al.): both fail at the deployment's 2.5, one at 20.
    let fails = |v: &Value| v["output"]["metrics"][1]["value"].as_f64().unwrap();
    assert_eq!(
        (fails(&answer), fails(&loose)),
        (2.0, 1.0),
        "{answer} {loose}"
    );
    let usage = usage_today(&server, &dyer).await;
    assert_eq!(
        usage["total"]["runs"], 2,
        "only the two good bodies ran: {usage}"
    );
}

/// An invocation's and a trial's answers say where the server's time went (`Server-Timing`):
/// receiving the body, looking up, reading it, the run (which holds the guest's own wall time)
/// and encoding, in that order, adding up to no more than the client waited.
#[tokio::test]
async fn answers_say_where_the_servers_time_went() {
    let server = Server::start(&[]);
    let (_, _, dyer) = dye_0_1_0_approved(&server).await;
    let id = deploy_dye(&server, &dyer).await;
    let invoke = (
        format!("/v1/deployments/{id}/invoke"),
        json!({"input": {"tables": batches()}}),
    );
    let trial = (
        "/v1/trials".to_owned(),
        json!({"package": "dye-lot-color-qc", "version": "=0.1.0", "input": {"tables": batches()}}),
    );
    for ((path, body), media) in [(invoke, "application/json"), (trial, "application/cbor")] {
        let body = if media == "application/cbor" {
            cbor4ii::serde::to_vec(Vec::new(), &body).unwrap()
        } else {
            body.to_string().into_bytes()
        };
        let started = std::time::Instant::now();
        let response = server
            .request(Method::POST, &path, Some(&dyer))
            .header("content-type", media)
            .header("accept", media)
            .body(body)
            .send()
            .await
            .unwrap();
        let waited_ms = started.elapsed().as_secs_f64() * 1e3;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let timing = response.headers()["server-timing"]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        let answer: Value = if media == "application/cbor" {
            cbor4ii::serde::from_slice(&bytes).unwrap()
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        let phases: Vec<(&str, f64)> = timing
            .split(", ")
            .map(|phase| {
                let (name, dur) = phase.split_once(";dur=").expect(&timing);
                (name, dur.parse().expect(&timing))
            })
            .collect();
        let names: Vec<&str> = phases.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            ["receive", "lookup", "read", "run", "encode"],
            "{path}: {timing}"
        );
        let wall_ms = answer["usage"]["wall_ms"].as_f64().unwrap();
        assert!(wall_ms > 0.0, "{answer}");
        // The header rounds to a microsecond.
        assert!(
            phases[3].1 + 0.001 >= wall_ms,
            "{path}: {timing}, wall {wall_ms} ms"
        );
        let total: f64 = phases.iter().map(|(_, dur)| dur).sum();
        assert!(phases.iter().all(|(_, dur)| *dur >= 0.0), "{timing}");
        assert!(
            total <= waited_ms + 0.004,
            "{path}: {timing} vs {waited_ms} ms waited"
        );
    }
}

/// The same document in CBOR (`application/cbor`): a CBOR body gets the JSON body's answer
/// (decoded, equal to the last bit), in CBOR when the client accepts it; bad CBOR bodies are
/// refused with the JSON path's codes and messages, NaN (which JSON cannot carry) among them,
/// and none is metered; kept CBOR bodies feed the upgrade gate's shadow run.
#[tokio::test]
async fn invocations_speak_cbor_with_the_same_answers_checks_and_gate() {
    let server = Server::start(&[]);
    let (provider, reviewer, dyer) = dye_0_1_0_approved(&server).await;
    let id = deploy_dye(&server, &dyer).await;
    let path = format!("/v1/deployments/{id}/invoke");
    let cbor = |v: &Value| cbor4ii::serde::to_vec(Vec::new(), v).unwrap();
    let send = |content_type: &'static str, accept: Option<&'static str>, body: Vec<u8>| {
        let mut request = server
            .request(Method::POST, &path, Some(&dyer))
            .header("content-type", content_type)
            .body(body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let media = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            (status, media, response.bytes().await.unwrap())
        }
    };
    let request = json!({"input": {"tables": batches()}});

    let (status, media, answer) = send("application/json", None, request.to_string().into()).await;
    assert_eq!(
        (status, media.as_str()),
        (StatusCode::OK, "application/json")
    );
    let by_json: Value = serde_json::from_slice(&answer).unwrap();
    let (status, media, answer) =
        send("application/cbor", Some("application/cbor"), cbor(&request)).await;
    assert_eq!(
        (status, media.as_str()),
        (StatusCode::OK, "application/cbor")
    );
    let by_cbor: Value = cbor4ii::serde::from_slice(&answer).unwrap();
    assert_eq!(by_cbor["output"], by_json["output"]);
    assert_eq!(by_cbor["usage"]["fuel"], by_json["usage"]["fuel"]);
    assert_eq!(by_cbor["version"], "0.1.0");
    // Sharma, Wu & Dalal (2005), Table 1: ΔE00 of pairs 17 and 20 is 27.1492 and 19.4535.
    let delta = by_cbor["output"]["tables"]["results"]["delta_e00"].clone();
    let delta: Vec<f64> = serde_json::from_value(delta).unwrap();
    assert!((delta[0] - 27.1492).abs() < 5e-5, "{delta:?}");
    assert!((delta[1] - 19.4535).abs() < 5e-5, "{delta:?}");
    // A trial takes and gives CBOR the same way.
    let trial =
        json!({"package": "dye-lot-color-qc", "version": "=0.1.0", "input": {"tables": batches()}});
    let response = server
        .request(Method::POST, "/v1/trials", Some(&dyer))
        .header("content-type", "application/cbor")
        .header("accept", "application/cbor")
        .body(cbor(&trial))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tried: Value = cbor4ii::serde::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(tried["output"], by_json["output"]);
    // A CBOR body without `Accept` is answered in JSON.
    let (status, media, answer) = send("application/cbor", None, cbor(&request)).await;
    assert_eq!(
        (status, media.as_str()),
        (StatusCode::OK, "application/json")
    );
    let plain: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(plain["output"], by_json["output"]);

    // Batch 20's L* made NaN in the encoded body: a marker value is found and overwritten.
    let mut nan = request.clone();
    nan["input"]["tables"]["batches"]["L"][1] = json!(12345.5);
    let mut nan = cbor(&nan);
    let mut marker = vec![0xfb];
    marker.extend_from_slice(&12345.5f64.to_be_bytes());
    let at = nan
        .windows(9)
        .position(|w| w == marker)
        .expect("the marker");
    nan[at + 1..at + 9].copy_from_slice(&f64::NAN.to_be_bytes());
    let good = cbor(&request);
    let mut trailing = good.clone();
    trailing.push(0);
    let mut text_cell = request.clone();
    text_cell["input"]["tables"]["batches"]["L"][0] = json!("73");
    let cases = [
        (
            "text/csv",
            good.clone(),
            "invalid_body",
            "`application/cbor`",
        ),
        (
            "application/cbor",
            good[..good.len() - 3].to_vec(),
            "invalid_body",
            "Failed to parse the request body as CBOR: the body ends inside",
        ),
        (
            "application/cbor",
            trailing,
            "invalid_body",
            "trailing bytes after the document",
        ),
        (
            "application/cbor",
            cbor(&json!([1, 2])),
            "invalid_body",
            "Failed to parse the request body as CBOR",
        ),
        (
            "application/cbor",
            request.to_string().into_bytes(),
            "invalid_body",
            "Failed to parse the request body as CBOR",
        ),
        (
            "application/cbor",
            cbor(&json!({"inputs": {"tables": batches()}})),
            "invalid_body",
            "unknown field `inputs`",
        ),
        (
            "application/cbor",
            cbor(&text_cell),
            "invalid_input",
            "table `batches`, column `L`, row 0: expected a number, found text",
        ),
        (
            "application/cbor",
            nan,
            "invalid_input",
            "table `batches`, column `L`, row 1: expected a number, found a non-finite number",
        ),
    ];
    for (content_type, body, code, message) in cases {
        let (status, media, answer) = send(content_type, Some("application/cbor"), body).await;
        assert!(media.contains("json"), "errors are JSON: {media}");
        assert_refused(
            status,
            &serde_json::from_slice(&answer).unwrap(),
            code,
            message,
        );
    }
    let usage = usage_today(&server, &dyer).await;
    assert_eq!(
        usage["total"]["runs"], 3,
        "only the good invocations ran (trials are not usage): {usage}"
    );

    // The kept inputs, two of them CBOR bodies, are what the gate's shadow run compares.
    let (status, body) = publish_0_1_1(&server, &provider).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    decide(&server, &reviewer, "0.1.1", "approve").await;
    let (status, dry) = upgrade(
        &server,
        &dyer,
        &id,
        json!({"version": "^0.1", "dry_run": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["report"]["checks"]["shadow"]["inputs"], 3, "{dry}");
    assert_eq!(dry["report"]["checks"]["shadow"]["differing"], 3, "{dry}");
}

/// The echo package at `version` (`host/echo`: its version is the WIT version it is built on),
/// published with one vector and approved.
async fn publish_echo(server: &Server, provider: &str, reviewer: &str, version: &str) {
    let manifest = format!(
        r#"[package]
name = "echo"
version = "{version}"
provider = "smelt tests"
summary = "Returns its input"
license = "Apache-2.0"

[listing]
title = {{ zh = "回显", en = "Echo" }}
description = {{ zh = "原样返回输入的表。", en = "Returns its input tables as they are." }}
industries = ["auto-parts"]
stages = ["production"]
scenes = ["equipment"]
target_level = 1
deploy_days = 1

[listing.price]
deploy_cny = 0.0
per_1k_runs_cny = 0.0

[budget]
fuel_base = 5000000
fuel_per_row = 100000
memory_mib = 32
wall_ms = 1000
"#
    );
    let names = json!({"data": {"name": ["L-1", "", "色差 ΔE00"]}});
    let vectors = json!({"vectors": [{
        "name": "names",
        "input": {"tables": names},
        "expected": {"tables": names},
        "tolerance": 0.0,
    }]});
    let wasm = std::fs::read(smelt_artifacts::echo(version)).unwrap();
    let vectors = Some(vectors.to_string());
    let (status, body) =
        crate::publish_with_vectors(server, provider, "echo", version, &manifest, wasm, vectors)
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    crate::decide(server, reviewer, "echo", version, "approve").await;
    let path = format!("/v1/packages/echo/{version}");
    let (_, details) = call(server, Method::GET, &path, Some(provider), None).await;
    assert_eq!(details["wit_version"], version, "{details}");
}

/// A provider moving a solution to the new SDK re-releases it on WIT 0.2.0: a deployment pinned
/// to the 0.1.0 build upgrades through the gate (WIT check passed, the kept inputs shadow-run
/// on both contracts with no difference), answers the same after, and rolls back.
#[tokio::test]
async fn a_deployment_upgrades_from_a_wit_0_1_0_component_to_a_wit_0_2_0_one() {
    let server = Server::start(&[]);
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let user = server.account("ningbo-parts", "enterprise").await;
    for version in ["0.1.0", "0.2.0"] {
        publish_echo(&server, &provider, &reviewer, version).await;
    }
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/deployments",
        Some(&user),
        Some(json!({"package": "echo", "version": "^0.1", "keep_inputs": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["deployment"]["id"].as_str().unwrap().to_owned();
    let input = json!({"tables": {"data": {"name": ["", "批次 7", "🧵 \"roll\" \\ é", ""]}}});
    let (status, before) = invoke(&server, &user, &id, input.clone()).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["output"]["tables"], input["tables"], "{before}");

    let (status, up) = upgrade(&server, &user, &id, json!({"version": "^0.2"})).await;
    assert_eq!(status, StatusCode::OK, "{up}");
    let report = &up["report"];
    assert_eq!(
        report["checks"]["wit"],
        json!({"pass": true, "current": "0.1.0", "candidate": "0.2.0",
               "rule": "the host runs both WIT versions (one data model)"}),
        "{report}"
    );
    assert_eq!(report["checks"]["shadow"]["inputs"], 1, "{report}");
    assert_eq!(report["checks"]["shadow"]["differing"], 0, "{report}");
    assert_eq!(
        (up["switched"].clone(), report["pass"].clone()),
        (json!(true), json!(true))
    );

    let (status, after) = invoke(&server, &user, &id, input.clone()).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["version"], "0.2.0", "{after}");
    assert_eq!(after["output"], before["output"]);

    let (status, back) = rollback(&server, &user, &id).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    let (_, again) = invoke(&server, &user, &id, input).await;
    assert_eq!(again["version"], "0.1.0", "{again}");
    assert_eq!(again["output"], before["output"]);
}
