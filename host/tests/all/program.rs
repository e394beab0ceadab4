//! Profile, self-assessment, needs, matching on the enterprise's own data, dashboard.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Server, call, publish_and_approve_examples};

#[tokio::test]
async fn assess_publish_a_need_and_get_matches_tried_on_sample_data() {
    let server = Server::start(&[]);
    let provider = server.account("smelt-examples", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let dyer = server.account("wujiang-dyeing", "enterprise").await;
    let rival = server.account("other-dyeing", "enterprise").await;
    publish_and_approve_examples(&server, &provider, &reviewer).await;

    // Profile: 85 people and 6,000万 revenue is a small industrial enterprise (工信部联企业〔2011〕300号:
    // 20 ≤ people < 300 and revenue ≥ 300万).
    let (status, body) = call(
        &server,
        Method::PUT,
        "/v1/profile",
        Some(&dyer),
        Some(json!({"industry": "textile-dyeing", "employees": 85, "revenue_wan_cny": 6000.0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["classification"]["size"], "small");

    // Assessment: a malformed answer names the item; a good one is stored.
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/assessments",
        Some(&dyer),
        Some(json!({"answers": {"items": {"D1.S1.I1": {"options": ["A", "B"]}}}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("D1.S1.I1"),
        "{body}"
    );
    // 网络建设 B + C = 2 + 2 = 4 points and 信息系统 E = 10 points: 14 in all.
    let sheet = json!({"rule": "2022", "answers": {"items": {"D1.S1.I1": {"options": ["B", "C"]}, "信息系统": {"options": ["E"]}}, "scenes": {"quality": 2}}});
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/assessments",
        Some(&dyer),
        Some(sheet),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["assessment"]["level"], 0, "{body}");
    let (_, list) = call(&server, Method::GET, "/v1/assessments", Some(&dyer), None).await;
    assert_eq!(list["assessments"].as_array().unwrap().len(), 1);

    // A need for colour QC with a sample dye lot, and one bad sample row for the SPC solution.
    let need = json!({
        "industry": "textile-dyeing",
        "scenes": ["quality"],
        "target_level": 2,
        "budget_cny": 5000.0,
        "deadline_days": 30,
        "description": "ΔE checks of every lot against the standard",
        "sample": {"tables": {
            "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
            "batches": {"batch": ["pair-17"], "L": [73.0], "a": [25.0], "b": [-18.0]}
        }}
    });
    let (status, created) = call(&server, Method::POST, "/v1/needs", Some(&dyer), Some(need)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, body) = call(
        &server,
        Method::GET,
        &format!("/v1/needs/{id}/matches"),
        Some(&dyer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ranked = body["matches"]["ranked"].as_array().unwrap();
    assert_eq!(ranked[0]["name"], "dye-lot-color-qc", "{body}");
    assert_eq!(ranked[0]["fit"]["status"], "ran", "{body}");
    assert!(
        ranked[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["zh"].is_string() && r["en"].is_string())
    );
    // Industry filter: solutions for other industries are rejected with a reason.
    let rejected: Vec<&str> = body["matches"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        rejected.contains(&"flowshop-scheduler") && rejected.contains(&"aql-sampling"),
        "{rejected:?}"
    );
    // Each reason carries a stable code; the rejected list is paged with its total and a count
    // per code (the five solutions for other industries are rejected by industry).
    let m = &body["matches"];
    assert_eq!(m["rejected_total"], rejected.len(), "{body}");
    assert_eq!(m["rejected_offset"], 0, "{body}");
    assert_eq!(m["rejected_counts"]["industry"], 5, "{body}");
    let reason = &m["rejected"][0]["reasons"][0];
    assert!(
        reason["code"].is_string() && reason["zh"].is_string() && reason["en"].is_string(),
        "{body}"
    );
    let path = format!("/v1/needs/{id}/matches?rejected_limit=1&rejected_offset=1");
    let (status, page) = call(&server, Method::GET, &path, Some(&dyer), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["matches"]["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(page["matches"]["rejected"][0], m["rejected"][1], "{page}");
    assert_eq!(page["matches"]["rejected_total"], m["rejected_total"]);
    assert_eq!(page["matches"]["ranked"], m["ranked"]);
    // The ranked ones are paged too; the total counts them all.
    assert_eq!(m["ranked_total"], ranked.len(), "{body}");
    let path = format!("/v1/needs/{id}/matches?limit=1&offset=1&rejected_limit=0");
    let (status, page) = call(&server, Method::GET, &path, Some(&dyer), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let expected: Vec<Value> = ranked.iter().skip(1).take(1).cloned().collect();
    assert_eq!(page["matches"]["ranked"], json!(expected), "{page}");
    assert_eq!(page["matches"]["ranked_total"], ranked.len());
    assert_eq!(page["matches"]["rejected"], json!([]));
    assert_eq!(page["matches"]["rejected_counts"], m["rejected_counts"]);
    for (query, param) in [
        ("rejected_limit=501", "rejected_limit"),
        ("rejected_limit=ten", "rejected_limit"),
        ("rejected_offset=-1", "rejected_offset"),
        ("limit=0", "limit"),
        ("offset=x", "offset"),
        ("page=2", "page"),
    ] {
        let path = format!("/v1/needs/{id}/matches?{query}");
        let (status, bad) = call(&server, Method::GET, &path, Some(&dyer), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {bad}");
        assert!(
            bad["error"]["message"].as_str().unwrap().contains(param),
            "{query}: {bad}"
        );
    }

    // Tenant isolation: another enterprise cannot see the need's matches.
    let (status, _) = call(
        &server,
        Method::GET,
        &format!("/v1/needs/{id}/matches"),
        Some(&rival),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Providers see the need, without the enterprise's name.
    let (_, needs) = call(&server, Method::GET, "/v1/needs", Some(&provider), None).await;
    let listed: &Value = &needs["needs"][0];
    assert_eq!(listed["id"], id.as_str());
    assert!(!needs.to_string().contains("wujiang-dyeing"), "{needs}");

    // A sample the candidate fails on: the lot's L* is out of range, so the solution answers
    // invalid-input, and the match says so.
    let bad = json!({
        "industry": "textile-dyeing", "scenes": ["quality"], "target_level": 2, "budget_cny": 5000.0, "deadline_days": 30,
        "sample": {"tables": {"standard": {"L": [50.0], "a": [0.0], "b": [0.0]}, "batches": {"batch": ["x"], "L": [150.0], "a": [0.0], "b": [0.0]}}}
    });
    let (_, created) = call(&server, Method::POST, "/v1/needs", Some(&dyer), Some(bad)).await;
    let path = format!("/v1/needs/{}/matches", created["id"].as_str().unwrap());
    let (_, body) = call(&server, Method::GET, &path, Some(&dyer), None).await;
    let dye = body["matches"]["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "dye-lot-color-qc")
        .unwrap();
    assert_eq!(dye["fit"]["status"], "failed", "{body}");
    assert!(
        dye["fit"]["reason"].as_str().unwrap().contains("row 0"),
        "{body}"
    );

    // Dashboard (admin only).
    let (status, _) = call(&server, Method::GET, "/v1/dashboard", Some(&dyer), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, board) = call(
        &server,
        Method::GET,
        "/v1/dashboard",
        Some(&server.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert!(board.to_string().contains("450"), "{board}");
    // Runs made for matching are not trials; the dyer's own trial below is counted.
    let trial = json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": {"tables": {
        "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
        "batches": {"batch": ["pair-17"], "L": [73.0], "a": [25.0], "b": [-18.0]}}}});
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&dyer),
        Some(trial),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, board) = call(
        &server,
        Method::GET,
        "/v1/dashboard",
        Some(&server.admin),
        None,
    )
    .await;
    let text = board.to_string();
    assert!(text.contains("\"trials\":1"), "{board}");
}

/// Every example, published and approved as in the demo, answers a trial of each of its
/// published reference vectors with the reference answer (the vectors cite their sources).
#[tokio::test]
async fn every_example_answers_its_reference_vectors_over_http() {
    let server = Server::start(&[]);
    let provider = server.account("smelt-examples", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let enterprise = server.account("demo-factory", "enterprise").await;
    publish_and_approve_examples(&server, &provider, &reviewer).await;
    let mut checked = 0;
    for (name, dir, _) in smelt_artifacts::PLUGINS {
        let bundle =
            smelt_runtime::VectorBundle::from_package_dir(std::path::Path::new(dir)).unwrap();
        for vector in bundle.vectors {
            let request = json!({"package": name, "version": "^0.1", "input": vector.input});
            let (status, body) = call(
                &server,
                Method::POST,
                "/v1/trials",
                Some(&enterprise),
                Some(request),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{name}/{}: {body}", vector.name);
            let output: smelt_runtime::Output =
                serde_json::from_value(body["output"].clone()).unwrap();
            let problems =
                smelt_runtime::compare_expected(&vector.expected, &output, vector.tolerance);
            assert!(problems.is_empty(), "{name}/{}: {problems:#?}", vector.name);
            checked += 1;
        }
    }
    assert!(checked >= smelt_artifacts::PLUGINS.len(), "{checked}");
}
