//! Trials: an enterprise runs a listed solution on its own sample data in the sandbox.
//!
//! What a trial resolves to (the highest approved, unsuspended, non-yanked match, compiled,
//! with its descriptor) is kept per package and requirement in [`Targets`] while
//! [`smelt_registry::Registry::catalog_changes`] stays put, so a trial reads nothing from
//! storage once its target was resolved.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smelt_registry::{Digest, PackageName, Role, Version, VersionRecord, VersionReq};
use smelt_runtime::{Input, InputReader, LogLine, Output, Usage};

use super::body::{Phases, Wire};
use super::sandbox::{Loaded, cost_cny, limits_for};
use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new().route("/v1/trials", post(trial_route))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrialRequest {
    package: String,
    version: String,
    input: Value,
}

/// A trial's answer.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    package: &'a PackageName,
    version: &'a Version,
    digest: &'a Digest,
    output: &'a Output,
    usage: Usage,
    cost_cny: f64,
    logs: &'a [LogLine],
}

/// The version an enterprise may try for one package and requirement, compiled.
pub struct Target {
    record: VersionRecord,
    loaded: Loaded,
}

/// Resolved trial targets by package name and requirement text, as given. Valid while
/// `Registry::catalog_changes` returns what it returned before they were resolved: it moves
/// after every committed publish, yank, un-yank and review decision, so a trial after any of
/// those are acknowledged resolves again. A target resolved while one landed is used once and
/// not kept.
#[derive(Default)]
pub struct Targets {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    changes: u64,
    count: usize,
    by_package: HashMap<String, HashMap<String, Arc<Target>>>,
}

/// Most targets kept at once; past it the cache starts over. Requirements are free text, so a
/// caller sending ever new ones must not grow it without bound.
const MAX_TARGETS: usize = 1024;

impl Targets {
    fn get(&self, changes: u64, package: &str, req: &str) -> Option<Arc<Target>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.changes != changes {
            return None;
        }
        kept.by_package.get(package)?.get(req).cloned()
    }

    /// Keeps `target`, resolved after `seen` was read, if `now` (read after resolving) is the
    /// same.
    fn keep(&self, seen: u64, now: u64, package: &str, req: &str, target: &Arc<Target>) {
        if seen != now {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.changes != seen || kept.count >= MAX_TARGETS {
            *kept = Kept {
                changes: seen,
                ..Kept::default()
            };
        }
        let previous = kept
            .by_package
            .entry(package.to_owned())
            .or_default()
            .insert(req.to_owned(), target.clone());
        if previous.is_none() {
            kept.count += 1;
        }
    }
}

/// The target of a trial of `package` at `req` for enterprise `caller`.
async fn target(
    state: &Shared,
    caller: &Caller,
    package: &str,
    req: &str,
) -> ApiResult<Arc<Target>> {
    let changes = state.registry.catalog_changes();
    if let Some(target) = state.trial_targets.get(changes, package, req) {
        return Ok(target);
    }
    let name: PackageName = package.parse()?;
    let parsed: VersionReq = req.parse()?;
    let record = super::reviews::resolve_for(state, caller, &name, &parsed)?;
    let loaded = state.sandbox.load(&record).await?;
    let target = Arc::new(Target { record, loaded });
    let now = state.registry.catalog_changes();
    state
        .trial_targets
        .keep(changes, now, package, req, &target);
    Ok(target)
}

/// The request's package and version, read before the input (which is skipped here, then
/// read into typed columns once the descriptor is known).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head<'a> {
    #[serde(borrow)]
    package: Cow<'a, str>,
    #[serde(borrow)]
    version: Cow<'a, str>,
    #[serde(rename = "input")]
    _input: IgnoredAny,
}

/// `POST /v1/trials`: the body (JSON or CBOR) read without a tree of the input, the answer
/// serialised straight from the run as the client accepts it.
async fn trial_route(
    State(state): State<Shared>,
    caller: Caller,
    mut phases: Phases,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    phases.mark("receive");
    caller.require(&[Role::Enterprise], "running a trial")?;
    let wire = Wire::of_request(&headers)?;
    let head: Head<'_> = wire.read(&body)?;
    let target = target(&state, &caller, &head.package, &head.version).await?;
    phases.mark("lookup");
    let reader = InputReader::new(&target.loaded.descriptor);
    let input = wire.read_input(&body, &reader, &["package", "version", "input"])?;
    drop(body);
    phases.mark("read");
    let answer_wire = Wire::of_answer(&headers);
    run(&state, &caller, &target, input, move |answer| {
        phases.mark("run");
        answer_wire.answer(
            answer,
            2 * answer.output.approx_bytes() + 1024,
            "encoding a trial",
            phases,
        )
    })
    .await
}

/// A trial, answered as a JSON tree (for the web UI, which reads fields by name).
pub(crate) async fn trial(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<TrialRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "running a trial")?;
    let Json(body) = body.map_err(|e| ApiError::unprocessable("invalid_body", e.body_text()))?;
    let target = target(&state, &caller, &body.package, &body.version).await?;
    let input = smelt_runtime::input_from_json(&body.input, &target.loaded.descriptor)
        .map_err(|e| ApiError::unprocessable("invalid_input", e.to_string()))?;
    run(&state, &caller, &target, input, |answer| {
        serde_json::to_value(answer)
            .map(Json)
            .map_err(|e| ApiError::internal("encoding a trial", e))
    })
    .await
}

/// Runs `input` on `target` in a sandbox slot of `caller`'s and answers with `answer`.
async fn run<T>(
    state: &Shared,
    caller: &Caller,
    target: &Target,
    input: Input,
    answer: impl FnOnce(&Answer<'_>) -> ApiResult<T>,
) -> ApiResult<T> {
    let (record, loaded) = (&target.record, &target.loaded);
    let limits = limits_for(record, input.rows());
    let permit = state.runs.try_acquire(caller.name()).inspect_err(|_| {
        state.metrics.trial_rejected();
    })?;
    let run = state
        .sandbox
        .run(loaded.plugin.clone(), input, limits)
        .await;
    drop(permit);
    state.metrics.trial_by(caller.name());
    state.metrics.trial(
        run.output.as_ref().map_or_else(|e| e.code(), |_| "ok"),
        run.usage.wall_ms,
    );
    let output = run.output?;
    answer(&Answer {
        package: &record.name,
        version: &record.version,
        digest: &record.component,
        output: &output,
        usage: run.usage,
        cost_cny: cost_cny(record, run.usage.fuel),
        logs: &run.logs,
    })
}
