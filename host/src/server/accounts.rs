//! Accounts and tokens (admin).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use smelt_registry::Role;

use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/accounts", post(create))
        .route("/v1/tokens/{id}", delete(revoke))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    role: String,
}

async fn create(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<NewAccount>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Admin], "creating an account")?;
    let Json(body) = body.map_err(|e| ApiError::unprocessable("invalid_body", e.body_text()))?;
    let role: Role = body.role.parse()?;
    let (account, token) = state
        .registry
        .create_account(caller.name(), &body.name, role)?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"name": account.name, "role": account.role.as_str(), "token": token.secret, "token_id": token.id}),
        ),
    ))
}

async fn revoke(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let info = state.registry.revoke_token(caller.name(), &id)?;
    Ok(Json(json!({"id": info.id, "revoked": true})))
}
