//! The HTTP API end to end.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{Server, call, decide, example, publish, with_custom_section};

/// Pairs 17 and 25 of Sharma, Wu & Dalal (2005), Table 1 (Color Res. Appl. 30(1):21–30):
/// a batch against a standard with the published ΔE00.
fn sharma_trial_input() -> Value {
    json!({
        "tables": {
            "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
            "batches": {"batch": ["pair-17", "pair-20"], "L": [73.0, 58.0], "a": [25.0, 24.0], "b": [-18.0, 15.0]}
        },
        "params": {"tolerance": 1.0}
    })
}

#[tokio::test]
async fn publish_search_resolve_download_trial_yank() {
    let server = Server::start(&[]);
    let provider = server.account("acme-digital", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example("dye-lot-color-qc");

    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&wasm)));
    assert_eq!(
        body,
        json!({"name": "dye-lot-color-qc", "version": "0.1.0", "digest": digest})
    );
    // Same bytes again: idempotent, same body.
    let (status, again) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!((status, &again), (StatusCode::OK, &body));

    // Pending review: invisible to enterprises; a reviewer approves it (not its own package).
    let (_, pending) = call(
        &server,
        Method::GET,
        "/v1/packages?q=CIEDE2000",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(pending["packages"], json!([]));
    let reviewer = server.account("expert-li", "reviewer").await;
    let (status, queue) = call(
        &server,
        Method::GET,
        "/v1/reviews/queue",
        Some(&reviewer),
        None,
    )
    .await;
    assert_eq!(
        (status, queue["queue"][0]["name"].as_str()),
        (StatusCode::OK, Some("dye-lot-color-qc"))
    );
    let decision = |d: &str| Some(json!({"decision": d, "note": "checked against Sharma 2005"}));
    let path = "/v1/reviews/dye-lot-color-qc/0.1.0/decision";
    let (status, _) = call(
        &server,
        Method::POST,
        path,
        Some(&provider),
        decision("approve"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        &server,
        Method::POST,
        path,
        Some(&reviewer),
        decision("maybe"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(
        &server,
        Method::POST,
        path,
        Some(&reviewer),
        decision("approve"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The full conformance suite, run by the reviewer, stored with the version.
    let path = "/v1/reviews/dye-lot-color-qc/0.1.0/conformance";
    let (status, body) = call(&server, Method::POST, path, Some(&reviewer), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scorecard"]["pass"], true, "{body}");
    assert_eq!(body["scorecard"]["component_digest"], digest.as_str());
    let (status, rankings) = call(
        &server,
        Method::GET,
        "/v1/rankings?industry=textile-dyeing",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rankings}");
    assert_eq!(
        rankings["rankings"][0]["name"], "dye-lot-color-qc",
        "{rankings}"
    );
    let score = rankings["rankings"][0]["ranking"]["score"]
        .as_f64()
        .unwrap();
    let mean = rankings["rankings"][0]["ranking"]["scorecard"]
        .as_f64()
        .unwrap();
    // No deployments yet: the score is the scorecard's share alone.
    assert!((score - 0.8 * mean).abs() < 0.01, "{rankings}");
    let (_, other) = call(
        &server,
        Method::GET,
        "/v1/rankings?industry=electronics",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(other["rankings"], json!([]));

    let (status, found) = call(
        &server,
        Method::GET,
        "/v1/packages?q=CIEDE2000",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["packages"][0]["name"], "dye-lot-color-qc");
    assert!(
        found["packages"][0]["scores"]["small"].as_u64().is_some(),
        "{found}"
    );
    let (_, none) = call(
        &server,
        Method::GET,
        "/v1/packages?industry=electronics",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(none["packages"], json!([]));
    let (_, by_scene) = call(
        &server,
        Method::GET,
        "/v1/packages?scene=质量管理&industry=textile-dyeing",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(by_scene["packages"].as_array().unwrap().len(), 1);
    let (status, bad) = call(
        &server,
        Method::GET,
        "/v1/packages?industry=steel",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // Details and resolve.
    let (status, details) = call(
        &server,
        Method::GET,
        "/v1/packages/dye-lot-color-qc/0.1.0",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(details["wit_version"], "0.2.0");
    assert_eq!(details["descriptor"]["inputs"][1]["name"], "batches");
    assert_eq!(details["review"]["state"], "approved");
    assert!(
        details["scorecard"]["scores"]["precise"].as_u64().is_some(),
        "{details}"
    );
    let (_, resolved) = call(
        &server,
        Method::GET,
        "/v1/packages/dye-lot-color-qc/resolve?req=^0.1",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(resolved, json!({"version": "0.1.0", "digest": digest}));

    // Download: the bytes hash to the digest.
    let bytes = server
        .request(
            Method::GET,
            &format!("/v1/blobs/{digest}"),
            Some(&enterprise),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.status(), StatusCode::OK);
    let bytes = bytes.bytes().await.unwrap();
    assert_eq!(
        format!("sha256:{}", hex::encode(Sha256::digest(&bytes))),
        digest
    );

    // Trial: published reference values, through the server's sandbox.
    let (status, trial) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": sharma_trial_input()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{trial}");
    let de = trial["output"]["tables"]["results"]["delta_e00"]
        .as_array()
        .unwrap();
    assert!((de[0].as_f64().unwrap() - 27.1492).abs() < 1e-4, "{de:?}");
    assert!((de[1].as_f64().unwrap() - 19.4535).abs() < 1e-4, "{de:?}");
    assert!(trial["usage"]["fuel"].as_u64().unwrap() > 0);
    // 2.0 CNY per 1k runs + 0.01 CNY per 10^9 fuel.
    let expected_cost = 0.002 + trial["usage"]["fuel"].as_f64().unwrap() / 1e9 * 0.01;
    assert!((trial["cost_cny"].as_f64().unwrap() - expected_cost).abs() < 1e-6);

    // Yank: gone from resolve and search, still downloadable and readable by exact version.
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/packages/dye-lot-color-qc/0.1.0/yank",
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &server,
        Method::GET,
        "/v1/packages/dye-lot-color-qc/resolve?req=^0.1",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = call(
        &server,
        Method::GET,
        "/v1/packages?q=CIEDE2000",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(found["packages"], json!([]));
    let exact = server
        .request(
            Method::GET,
            &format!("/v1/blobs/{digest}"),
            Some(&enterprise),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(exact.status(), StatusCode::OK);
    let (_, package) = call(
        &server,
        Method::GET,
        "/v1/packages/dye-lot-color-qc",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(
        package["versions"],
        json!([{"version": "0.1.0", "yanked": true}])
    );
    // Another enterprise cannot yank; the owner can un-yank.
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/packages/dye-lot-color-qc/0.1.0/unyank",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/packages/dye-lot-color-qc/0.1.0/unyank",
        Some(&provider),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Metrics and OpenAPI answer.
    let metrics = server
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("smelt_trials_total{outcome=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/v1/packages/{name}/{version}\""),
        "{metrics}"
    );
    let (_, openapi) = call(&server, Method::GET, "/openapi.json", None, None).await;
    assert!(openapi["paths"]["/v1/trials"]["post"].is_object());
}

/// `GET /v1/packages` as `token`: status and body.
async fn search(server: &Server, token: &str, query: &str) -> (StatusCode, Value) {
    call(
        server,
        Method::GET,
        &format!("/v1/packages?{query}"),
        Some(token),
        None,
    )
    .await
}

fn card_names(body: &Value) -> Vec<String> {
    body["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no packages in {body}"))
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Paging (limit, offset, total; bad values named), the price filter, and the in-memory
/// catalog following every review decision, scorecard and yank.
#[tokio::test]
async fn search_pages_and_follows_reviews_scorecards_and_yanks() {
    let server = Server::start(&[]);
    let provider = server.account("smelt-examples", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    for (name, _, _) in smelt_artifacts::PLUGINS {
        let (manifest, wasm) = example(name);
        let (status, body) = publish(&server, &provider, name, "0.1.0", &manifest, wasm).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
    }
    let (status, all) = search(&server, &reviewer, "limit=200").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let names = card_names(&all);
    assert_eq!(names.len(), smelt_artifacts::PLUGINS.len());
    assert_eq!(
        (&all["total"], &all["limit"], &all["offset"]),
        (&json!(names.len()), &json!(200), &json!(0))
    );
    // The default page holds them all; pages of two walk the same order without gaps.
    let (_, default) = search(&server, &reviewer, "").await;
    assert_eq!(
        (card_names(&default), &default["limit"]),
        (names.clone(), &json!(50))
    );
    let mut walked = Vec::new();
    for offset in (0..names.len()).step_by(2) {
        let (status, page) = search(&server, &reviewer, &format!("limit=2&offset={offset}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], names.len(), "{page}");
        assert!(card_names(&page).len() <= 2, "{page}");
        walked.extend(card_names(&page));
    }
    assert_eq!(walked, names);
    let (_, last) = search(
        &server,
        &reviewer,
        &format!("limit=2&offset={}", names.len() - 1),
    )
    .await;
    assert_eq!(card_names(&last), [names.last().unwrap().clone()]);
    for offset in [names.len(), 1_000_000] {
        let (status, past) = search(&server, &reviewer, &format!("offset={offset}")).await;
        assert_eq!(status, StatusCode::OK, "{past}");
        assert_eq!(
            (past["packages"].clone(), &past["total"]),
            (json!([]), &json!(names.len()))
        );
    }
    // Filters and paging together: the total counts every match, the page holds `limit`.
    let (_, electronics) = search(&server, &reviewer, "industry=electronics&limit=1").await;
    assert_eq!(
        (electronics["total"].clone(), card_names(&electronics).len()),
        (json!(2), 1)
    );

    // Bad values: 400, naming the parameter.
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("limit=", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("max_deploy_cny=-5", "max_deploy_cny"),
        ("max_deploy_cny=cheap", "max_deploy_cny"),
        ("max_deploy_cny=inf", "max_deploy_cny"),
        ("page=2", "page"),
    ] {
        let (status, body) = search(&server, &reviewer, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(param),
            "{query}: {body}"
        );
    }

    // Price: the cards at or under 800 CNY to deploy, and the total says how many.
    let (_, cheap) = search(&server, &reviewer, "max_deploy_cny=800").await;
    let prices: Vec<f64> = cheap["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["price"]["deploy_cny"].as_f64().unwrap())
        .collect();
    assert_eq!(cheap["total"], 3, "{cheap}");
    assert!(prices.iter().all(|p| *p <= 800.0), "{cheap}");

    // Enterprises see approved versions only, and the catalog follows each decision at once.
    let (_, none) = search(&server, &enterprise, "").await;
    assert_eq!(
        (none["packages"].clone(), &none["total"]),
        (json!([]), &json!(0))
    );
    for name in ["aql-sampling", "dye-lot-color-qc", "spc-capability"] {
        decide(&server, &reviewer, name, "0.1.0", "approve").await;
    }
    let (_, approved) = search(&server, &enterprise, "").await;
    assert_eq!(
        card_names(&approved),
        ["aql-sampling", "dye-lot-color-qc", "spc-capability"]
    );
    assert_eq!(approved["total"], 3);
    let (_, paged) = search(&server, &enterprise, "limit=1&offset=1").await;
    assert_eq!(
        (card_names(&paged), &paged["total"]),
        (vec!["dye-lot-color-qc".to_owned()], &json!(3))
    );
    decide(&server, &reviewer, "spc-capability", "0.1.0", "suspend").await;
    let (_, after) = search(&server, &enterprise, "").await;
    assert_eq!(card_names(&after), ["aql-sampling", "dye-lot-color-qc"]);
    decide(&server, &reviewer, "aql-sampling", "0.1.0", "reject").await;
    let (_, after) = search(&server, &enterprise, "").await;
    assert_eq!(
        (card_names(&after), &after["total"]),
        (vec!["dye-lot-color-qc".to_owned()], &json!(1))
    );
    // Reviewers still see every listed version, whatever its review.
    let (_, everyone) = search(&server, &reviewer, "").await;
    assert_eq!(everyone["total"], names.len());

    // A scorecard shows on the card as soon as it is stored.
    assert_eq!(after["packages"][0]["scores"], Value::Null, "{after}");
    let path = "/v1/reviews/dye-lot-color-qc/0.1.0/conformance";
    let (status, body) = call(&server, Method::POST, path, Some(&reviewer), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, scored) = search(&server, &enterprise, "q=dye-lot-color-qc").await;
    assert_eq!(
        scored["packages"][0]["scores"], body["scorecard"]["scores"],
        "{scored}"
    );

    // Yanked: gone from the catalog for everyone; un-yanked: back.
    let yank = "/v1/packages/dye-lot-color-qc/0.1.0/yank";
    let (status, body) = call(&server, Method::POST, yank, Some(&provider), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, gone) = search(&server, &enterprise, "").await;
    assert_eq!(gone["total"], 0, "{gone}");
    let (_, gone) = search(&server, &reviewer, "").await;
    assert_eq!(gone["total"], names.len() - 1, "{gone}");
    let unyank = "/v1/packages/dye-lot-color-qc/0.1.0/unyank";
    let (status, body) = call(&server, Method::POST, unyank, Some(&provider), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, back) = search(&server, &enterprise, "").await;
    assert_eq!(card_names(&back), ["dye-lot-color-qc"]);
}

#[tokio::test]
async fn every_error_status() {
    let server = Server::start(&["--body-limit", "1048576", "--publish-rate", "8"]);
    let provider = server.account("acme-digital", "provider").await;
    let other = server.account("other-provider", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example("dye-lot-color-qc");

    // 401: missing, malformed and revoked tokens get the same body.
    let (s1, b1) = call(&server, Method::GET, "/v1/packages", None, None).await;
    let (s2, b2) = call(
        &server,
        Method::GET,
        "/v1/packages",
        Some("not-a-token"),
        None,
    )
    .await;
    let (status, created) = call(
        &server,
        Method::POST,
        "/v1/accounts",
        Some(&server.admin),
        Some(json!({"name": "shortlived", "role": "enterprise"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("/v1/tokens/{}", created["token_id"].as_str().unwrap()),
        Some(&server.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (s3, b3) = call(
        &server,
        Method::GET,
        "/v1/packages",
        Some(created["token"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        (s1, s2, s3),
        (
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED
        )
    );
    assert!(b1 == b2 && b2 == b3, "{b1} {b2} {b3}");

    // 403: wrong role, someone else's package.
    let (status, _) = publish(
        &server,
        &enterprise,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&provider),
        Some(json!({"package": "dye-lot-color-qc", "version": "*", "input": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let other_version = manifest.replace("version = \"0.1.0\"", "version = \"0.1.1\"");
    let (status, body) = publish(
        &server,
        &other,
        "dye-lot-color-qc",
        "0.1.1",
        &other_version,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // 409: same name@version, other bytes.
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        with_custom_section(wasm.clone(), b"different bytes"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // 400: bad name or version in the URL.
    let (status, body) = publish(
        &server,
        &provider,
        "Dye_Lot",
        "0.1.0",
        &manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "v1.0",
        &manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // 415: not wasm; a core module.
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        b"MZ\x90\0 not wasm".to_vec(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("not_wasm"))
    );
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &manifest,
        b"\0asm\x01\0\0\0".to_vec(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("core_module"))
    );

    // 422: manifest field, descriptor disagreeing with the manifest.
    let bad_manifest = manifest.replace(
        "industries = [\"textile-dyeing\"]",
        "industries = [\"steel\"]",
    );
    let (status, body) = publish(
        &server,
        &provider,
        "dye-lot-color-qc",
        "0.1.0",
        &bad_manifest,
        wasm.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("industries"),
        "{body}"
    );
    let renamed = manifest.replace("name = \"dye-lot-color-qc\"", "name = \"colour-qc\"");
    let (status, body) = publish(
        &server,
        &provider,
        "colour-qc",
        "0.1.0",
        &renamed,
        wasm.clone(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("descriptor_mismatch")
        ),
        "{body}"
    );

    // 413: over the body limit, with a Content-Length and chunked.
    assert_eq!(oversized_put(&server, &provider, 2 << 20, false).await, 413);
    assert_eq!(oversized_put(&server, &provider, 2 << 20, true).await, 413);

    // 429: a burst past 8 publishes a minute. Some of the requests above were counted (those
    // that reached the publish handler); keep going until the bucket is empty, at most 8 more.
    let mut limited = None;
    for _ in 0..8 {
        let form = reqwest::multipart::Form::new().text("manifest", manifest.clone());
        let request = server.request(
            Method::PUT,
            "/v1/packages/dye-lot-color-qc/0.3.0",
            Some(&provider),
        );
        let response = request.multipart(form).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing component part"
        );
    }
    let limited = limited.expect("no 429 within the burst");
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // 404 and 422 on trials (of an approved version).
    let reviewer = server.account("expert-li", "reviewer").await;
    decide(&server, &reviewer, "dye-lot-color-qc", "0.1.0", "approve").await;
    let trial =
        |input: Value| json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": input});
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(json!({"package": "no-such", "version": "*", "input": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(trial(json!({"tables": {}}))),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing table `standard`")
    );
    let bad_row = json!({"tables": {"standard": {"L": [50], "a": [0], "b": [0]}, "batches": {"batch": ["A"], "L": [150], "a": [0], "b": [0]}}});
    let (status, body) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(trial(bad_row)),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("row 0"),
        "{body}"
    );
}

/// Sends a multipart PUT of about `size` bytes, chunked (no Content-Length) or with a
/// Content-Length; returns the status code. Written by hand: the server may answer and close
/// before the body is sent, which an HTTP client library reports as an error instead.
async fn oversized_put(server: &Server, token: &str, size: usize, chunked: bool) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {size}")
    };
    let head = format!(
        "PUT /v1/packages/dye-lot-color-qc/0.9.0 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=X\r\n{length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut body = b"--X\r\nContent-Disposition: form-data; name=\"component\"\r\n\r\n".to_vec();
    body.resize(size, b'a');
    for chunk in body.chunks(64 << 10) {
        let framed = if chunked {
            [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat()
        } else {
            chunk.to_vec()
        };
        // The server may answer and close before everything is sent.
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

const HOSTILE_MANIFEST: &str = r#"
[package]
name = "hostile"
version = "0.1.0"
provider = "mallory"
summary = "Echoes its input, except x = 13 loops forever"
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
memory_mib = 32
wall_ms = 1500
"#;

#[tokio::test]
async fn hostile_trial_beside_a_good_one_and_restart_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_on(&data, &[]);
    let provider = server.account("acme-digital", "provider").await;
    let mallory = server.account("mallory", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example("dye-lot-color-qc");
    assert_eq!(
        publish(
            &server,
            &provider,
            "dye-lot-color-qc",
            "0.1.0",
            &manifest,
            wasm
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let evil = std::fs::read(smelt_artifacts::hostile("sleeper")).unwrap();
    let (status, body) = publish(
        &server,
        &mallory,
        "hostile",
        "0.1.0",
        HOSTILE_MANIFEST,
        evil,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reviewer = server.account("expert-li", "reviewer").await;
    for name in ["dye-lot-color-qc", "hostile"] {
        decide(&server, &reviewer, name, "0.1.0", "approve").await;
    }

    let hostile = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(
            json!({"package": "hostile", "version": "0.1.0", "input": {"tables": {"data": {"x": [13.0]}}}}),
        ),
    );
    let good = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(
            json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": sharma_trial_input()}),
        ),
    );
    let ((hs, hb), (gs, gb)) = tokio::join!(hostile, good);
    assert_eq!(
        (hs, hb["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("timeout")),
        "{hb}"
    );
    assert_eq!(gs, StatusCode::OK, "{gb}");
    let (status, _) = call(&server, Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);

    // Graceful stop, restart on the same data: everything is there.
    assert!(
        server.terminate(),
        "smelt serve did not exit cleanly on SIGTERM"
    );
    let server = Server::start_on(&data, &[]);
    let (status, resolved) = call(
        &server,
        Method::GET,
        "/v1/packages/dye-lot-color-qc/resolve?req=*",
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resolved["version"], "0.1.0");
}

#[tokio::test]
async fn a_full_sandbox_answers_503_with_retry_after() {
    let server = Server::start(&["--max-runs", "1"]);
    let provider = server.account("acme-digital", "provider").await;
    let mallory = server.account("mallory", "provider").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let (manifest, wasm) = example("dye-lot-color-qc");
    assert_eq!(
        publish(
            &server,
            &provider,
            "dye-lot-color-qc",
            "0.1.0",
            &manifest,
            wasm
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let evil = std::fs::read(smelt_artifacts::hostile("sleeper")).unwrap();
    assert_eq!(
        publish(
            &server,
            &mallory,
            "hostile",
            "0.1.0",
            HOSTILE_MANIFEST,
            evil
        )
        .await
        .0,
        StatusCode::CREATED
    );
    for name in ["dye-lot-color-qc", "hostile"] {
        decide(&server, &reviewer, name, "0.1.0", "approve").await;
    }
    // The sleeper holds the only slot until its 1.5 s wall-clock budget runs out; once the
    // metrics show no free slot, a good trial is refused. No guess of how fast the machine is.
    let evil = json!({"package": "hostile", "version": "0.1.0", "input": {"tables": {"data": {"x": [13.0]}}}});
    let hostile = tokio::spawn(
        server
            .request(Method::POST, "/v1/trials", Some(&enterprise))
            .json(&evil)
            .send(),
    );
    loop {
        let metrics = server
            .request(Method::GET, "/metrics", None)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("smelt_sandbox_slots_free 0") {
            break;
        }
        assert!(
            !hostile.is_finished(),
            "the sleeper finished before it was seen running"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let good =
        json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": sharma_trial_input()});
    let busy = server
        .request(Method::POST, "/v1/trials", Some(&enterprise))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()["retry-after"], "1");
    assert_eq!(
        hostile.await.unwrap().unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Once the slot is free, the same trial runs.
    let (status, _) = call(
        &server,
        Method::POST,
        "/v1/trials",
        Some(&enterprise),
        Some(json!({"package": "dye-lot-color-qc", "version": "^0.1", "input": sharma_trial_input()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
