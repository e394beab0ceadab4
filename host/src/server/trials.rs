//! Trials: an enterprise runs a listed solution on its own sample data in the sandbox.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use smelt_registry::{PackageName, Role, VersionReq};

use super::sandbox::{cost_cny, limits_for};
use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new().route("/v1/trials", post(trial))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrialRequest {
    package: String,
    version: String,
    input: Value,
}

pub(crate) async fn trial(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<TrialRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "running a trial")?;
    let Json(body) = body.map_err(|e| ApiError::unprocessable("invalid_body", e.body_text()))?;
    let name: PackageName = body.package.parse()?;
    let req: VersionReq = body.version.parse()?;
    let record = super::reviews::resolve_for(&state, &caller, &name, &req)?;
    let loaded = state.sandbox.load(&record).await?;
    let input = smelt_runtime::input_from_json(&body.input, &loaded.descriptor)
        .map_err(|e| ApiError::unprocessable("invalid_input", e.to_string()))?;
    let limits = limits_for(&record, input.rows());
    let permit = state.runs.try_acquire(caller.name()).inspect_err(|_| {
        state.metrics.trial_rejected();
    })?;
    let run = state.sandbox.run(loaded.plugin, input, limits).await;
    drop(permit);
    let run = run?;
    state.metrics.trial_by(caller.name());
    state.metrics.trial(
        run.output.as_ref().map_or_else(|e| e.code(), |_| "ok"),
        run.usage.wall_ms,
    );
    let output = run.output?;
    Ok(Json(json!({
        "package": record.name.as_str(),
        "version": record.version.to_string(),
        "digest": record.component.to_string(),
        "output": output,
        "usage": run.usage,
        "cost_cny": cost_cny(&record, run.usage.fuel),
        "logs": run.logs,
    })))
}
