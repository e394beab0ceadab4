//! Trials answer from what they resolved before (the version, compiled, with its descriptor,
//! and the caller's token) only while nothing changed: every release, review decision, yank
//! and token revocation is seen by the very next trial.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::deployments::publish_0_1_1;
use crate::{Server, call, decide, example, publish};

const DYE: &str = "dye-lot-color-qc";

fn trial_body(version: &str) -> Value {
    json!({
        "package": DYE,
        "version": version,
        "input": {
            "tables": {
                "standard": {"L": [50.0], "a": [2.5], "b": [0.0]},
                "batches": {"batch": ["pair-17"], "L": [73.0], "a": [25.0], "b": [-18.0]}
            }
        }
    })
}

/// A trial of `^0.1`: the status and the version that answered (or the error code).
async fn trial(server: &Server, token: &str) -> (StatusCode, String) {
    let (status, answer) = call(
        server,
        Method::POST,
        "/v1/trials",
        Some(token),
        Some(trial_body("^0.1")),
    )
    .await;
    let what = match status {
        StatusCode::OK => &answer["version"],
        _ => &answer["error"]["code"],
    };
    (status, what.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn every_catalog_change_is_seen_by_the_next_trial() {
    let server = Server::start(&[]);
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let (status, created) = call(
        &server,
        Method::POST,
        "/v1/accounts",
        Some(&server.admin),
        Some(json!({"name": "wujiang-dyeing", "role": "enterprise"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let enterprise = created["token"].as_str().unwrap().to_owned();
    let (manifest, wasm) = example(DYE);
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Pending: nothing to try yet.
    let no_match = (StatusCode::NOT_FOUND, "no_match".to_owned());
    assert_eq!(trial(&server, &enterprise).await, no_match);
    decide(&server, &reviewer, DYE, "0.1.0", "approve").await;
    let on_010 = (StatusCode::OK, "0.1.0".to_owned());
    assert_eq!(trial(&server, &enterprise).await, on_010);
    assert_eq!(
        trial(&server, &enterprise).await,
        on_010,
        "twice, as resolved"
    );

    // A release is not tried before it is approved, and is right after.
    let (status, body) = publish_0_1_1(&server, &provider).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(trial(&server, &enterprise).await, on_010);
    decide(&server, &reviewer, DYE, "0.1.1", "approve").await;
    let on_011 = (StatusCode::OK, "0.1.1".to_owned());
    assert_eq!(trial(&server, &enterprise).await, on_011);

    // Suspension, yanks and un-yanks, each seen at once.
    decide(&server, &reviewer, DYE, "0.1.1", "suspend").await;
    assert_eq!(trial(&server, &enterprise).await, on_010);
    decide(&server, &reviewer, DYE, "0.1.1", "approve").await;
    assert_eq!(trial(&server, &enterprise).await, on_011);
    let change = |action: &'static str, version: &'static str| {
        let (server, provider) = (&server, &provider);
        async move {
            let path = format!("/v1/packages/{DYE}/{version}/{action}");
            let (status, body) = call(server, Method::POST, &path, Some(provider), None).await;
            assert_eq!(status, StatusCode::OK, "{action} {version}: {body}");
        }
    };
    change("yank", "0.1.1").await;
    assert_eq!(trial(&server, &enterprise).await, on_010);
    change("yank", "0.1.0").await;
    assert_eq!(trial(&server, &enterprise).await, no_match);
    change("unyank", "0.1.0").await;
    assert_eq!(trial(&server, &enterprise).await, on_010);
    decide(&server, &reviewer, DYE, "0.1.0", "reject").await;
    assert_eq!(trial(&server, &enterprise).await, no_match);
    change("unyank", "0.1.1").await;
    assert_eq!(trial(&server, &enterprise).await, on_011);

    // The token is revoked: the next trial is refused.
    let id = created["token_id"].as_str().unwrap();
    let (status, body) = call(
        &server,
        Method::DELETE,
        &format!("/v1/tokens/{id}"),
        Some(&server.admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        trial(&server, &enterprise).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".to_owned())
    );
}

/// The trial body's own errors, each named, whatever order its fields come in.
#[tokio::test]
async fn trial_bodies_are_read_in_any_field_order_and_their_problems_named() {
    let server = Server::start(&[]);
    let provider = server.account("acme-digital", "provider").await;
    let reviewer = server.account("expert-li", "reviewer").await;
    let enterprise = server.account("wujiang-dyeing", "enterprise").await;
    let (manifest, wasm) = example(DYE);
    let (status, body) = publish(&server, &provider, DYE, "0.1.0", &manifest, wasm).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    decide(&server, &reviewer, DYE, "0.1.0", "approve").await;

    let good = trial_body("=0.1.0");
    let input = good["input"].to_string();
    let input_first = format!(r#"{{"input": {input}, "version": "^0.1", "package": "{DYE}"}}"#);
    let cases = [
        (input_first.clone(), StatusCode::OK, "", ""),
        (
            input_first.replace("\"^0.1\"", "\"^0.2\""),
            StatusCode::NOT_FOUND,
            "no_match",
            "",
        ),
        (
            json!({"package": DYE, "version": "^0.1"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "missing field `input`",
        ),
        (
            input_first.replace("\"version\"", "\"versions\""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "unknown field `versions`",
        ),
        (
            format!(
                r#"{{"package": "{DYE}", "package": "{DYE}", "version": "^0.1", "input": {input}}}"#
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "duplicate field `package`",
        ),
        (
            input_first[..input_first.len() - 3].to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "EOF while parsing",
        ),
        (
            input_first.replace("[73.0]", "[\"73\"]"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "table `batches`, column `L`, row 0: expected a number, found text",
        ),
        (
            input_first.replace("\"standard\"", "\"standards\""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "standard",
        ),
        (
            input_first.replace(&format!("\"{DYE}\""), "\"Dye Lot\""),
            StatusCode::BAD_REQUEST,
            "",
            "",
        ),
    ];
    for (text, status, code, message) in cases {
        let response = server
            .request(Method::POST, "/v1/trials", Some(&enterprise))
            .header("content-type", "application/json")
            .body(text.clone())
            .send()
            .await
            .unwrap();
        let got = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(got, status, "{text}: {answer}");
        if got == StatusCode::OK {
            assert_eq!(answer["version"], "0.1.0", "{answer}");
            continue;
        }
        if !code.is_empty() {
            assert_eq!(answer["error"]["code"], code, "{text}: {answer}");
        }
        let said = answer["error"]["message"].as_str().unwrap();
        assert!(said.contains(message), "{text}: {said}");
    }
}
