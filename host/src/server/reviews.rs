//! The review workflow (遴选): decisions, the queue, and the listing policy that follows from
//! them — enterprises see and use only approved, unsuspended versions.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use smelt_registry::{AnnotationKind, PackageName, Role, Version, VersionRecord, VersionReq};

use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/reviews/queue", get(queue))
        .route("/v1/reviews/{name}/{version}/decision", post(decide))
        .route(
            "/v1/reviews/{name}/{version}/conformance",
            post(conformance),
        )
        .route("/v1/rankings", get(rankings))
}

/// Where a version stands with the reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    /// Not decided yet.
    Pending,
    /// Listed.
    Approved,
    /// Not listed.
    Rejected,
    /// Was listed, now suspended (动态调整): existing users keep it, new ones cannot take it.
    Suspended,
}

/// A stored decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    pub state: ReviewState,
    pub note: String,
    pub reviewer: String,
    pub time_ms: u64,
}

/// The review state of `name@version`.
pub fn review_state(
    state: &Shared,
    name: &PackageName,
    version: &Version,
) -> ApiResult<ReviewState> {
    Ok(
        match state
            .registry
            .annotation(name, version, AnnotationKind::Review)?
        {
            Some(a) => serde_json::from_str::<Review>(&a.json)
                .map(|r| r.state)
                .unwrap_or(ReviewState::Pending),
            None => ReviewState::Pending,
        },
    )
}

/// True when an enterprise may see and newly use this version.
pub fn listed(state: &Shared, record: &VersionRecord) -> ApiResult<bool> {
    Ok(!record.yanked
        && review_state(state, &record.name, &record.version)? == ReviewState::Approved)
}

/// Resolves `req` for `caller`: enterprises get the highest approved, unsuspended, non-yanked
/// match; everyone else the registry's highest non-yanked match.
pub fn resolve_for(
    state: &Shared,
    caller: &Caller,
    name: &PackageName,
    req: &VersionReq,
) -> ApiResult<VersionRecord> {
    if caller.account.role != Role::Enterprise {
        return Ok(state.registry.resolve(name, req)?);
    }
    let package = state.registry.package(name)?;
    for entry in package.versions.iter().rev() {
        if entry.yanked || !req.matches(&entry.version) {
            continue;
        }
        let record = state.registry.version(name, &entry.version)?;
        if listed(state, &record)? {
            return Ok(record);
        }
    }
    Err(ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_match",
        format!("no approved version of `{name}` matches `{req}`"),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Decision {
    decision: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn decide(
    State(state): State<Shared>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    body: Result<Json<Decision>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Reviewer], "a review decision")?;
    let Json(body) = body.map_err(|e| ApiError::unprocessable("invalid_body", e.body_text()))?;
    let new_state = match body.decision.as_str() {
        "approve" => ReviewState::Approved,
        "reject" => ReviewState::Rejected,
        "suspend" => ReviewState::Suspended,
        other => {
            return Err(ApiError::unprocessable(
                "invalid_decision",
                format!("decision `{other}`: expected approve, reject or suspend"),
            ));
        }
    };
    if body.note.len() > 4096 {
        return Err(ApiError::unprocessable(
            "invalid_note",
            "note: at most 4096 bytes",
        ));
    }
    let (name, version): (PackageName, Version) = (name.parse()?, version.parse()?);
    let record = state.registry.version(&name, &version)?;
    if record.publisher == caller.name() {
        return Err(ApiError::forbidden(
            "an account cannot review its own package",
        ));
    }
    let review = Review {
        state: new_state,
        note: smelt_runtime::neutralise(&body.note),
        reviewer: caller.name().to_owned(),
        time_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    };
    let json =
        serde_json::to_string(&review).map_err(|e| ApiError::internal("encoding a review", e))?;
    state.registry.annotate(
        caller.name(),
        &name,
        &version,
        AnnotationKind::Review,
        &json,
    )?;
    Ok(Json(
        json!({"name": name.as_str(), "version": version.to_string(), "review": review}),
    ))
}

pub(crate) async fn queue(State(state): State<Shared>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Reviewer, Role::Admin], "the review queue")?;
    let mut pending = Vec::new();
    for name in state.registry.package_names()? {
        for entry in state.registry.package(&name)?.versions {
            if !entry.yanked && review_state(&state, &name, &entry.version)? == ReviewState::Pending
            {
                let record = state.registry.version(&name, &entry.version)?;
                pending.push(super::packages::summary(&record));
            }
        }
    }
    Ok(Json(json!({"queue": pending})))
}

/// Runs a conformance suite off the async threads.
pub async fn run_suite(
    state: &Shared,
    suite: smelt_conformance::Suite,
    component: std::sync::Arc<Vec<u8>>,
    manifest: smelt_registry::Manifest,
    vectors: smelt_runtime::VectorBundle,
    held: Option<smelt_runtime::VectorBundle>,
) -> ApiResult<smelt_conformance::Scorecard> {
    run_suite_with(state, suite, component, manifest, vectors, held, |_| {}).await
}

/// [`run_suite`], telling `progress` as each analyzer starts and finishes (the web UI's live
/// progress).
pub async fn run_suite_with(
    state: &Shared,
    suite: smelt_conformance::Suite,
    component: std::sync::Arc<Vec<u8>>,
    manifest: smelt_registry::Manifest,
    vectors: smelt_runtime::VectorBundle,
    held: Option<smelt_runtime::VectorBundle>,
    mut progress: impl FnMut(&smelt_conformance::Progress<'_>) + Send + 'static,
) -> ApiResult<smelt_conformance::Scorecard> {
    let runtime = state.sandbox.runtime().clone();
    tokio::task::spawn_blocking(move || {
        suite.run(
            &runtime,
            &component,
            &manifest,
            &vectors,
            held.as_ref(),
            &mut progress,
        )
    })
    .await
    .map_err(|e| ApiError::internal("running the conformance suite", e))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConformanceRequest {
    /// Reviewer-held vectors the provider never sees.
    #[serde(default)]
    vectors: Option<smelt_runtime::VectorBundle>,
}

pub(crate) async fn conformance(
    State(state): State<Shared>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    body: Option<Json<ConformanceRequest>>,
) -> ApiResult<Json<Value>> {
    let held = body.and_then(|Json(b)| b.vectors);
    conformance_with(&state, &caller, &name, &version, held, |_| {})
        .await
        .map(Json)
}

/// The full suite on a published version, stored as its scorecard; `progress` hears each
/// analyzer (the API passes a no-op, the web UI streams it).
pub(crate) async fn conformance_with(
    state: &Shared,
    caller: &Caller,
    name: &str,
    version: &str,
    held: Option<smelt_runtime::VectorBundle>,
    progress: impl FnMut(&smelt_conformance::Progress<'_>) + Send + 'static,
) -> ApiResult<Value> {
    caller.require(&[Role::Reviewer], "running conformance")?;
    let (name, version): (PackageName, Version) = (name.parse()?, version.parse()?);
    let record = state.registry.version(&name, &version)?;
    if record.publisher == caller.name() {
        return Err(ApiError::forbidden(
            "an account cannot review its own package",
        ));
    }
    let component = state.registry.blob(&record.component)?;
    let vectors = match &record.vectors {
        Some(digest) => serde_json::from_slice(&state.registry.blob(digest)?)
            .map_err(|e| ApiError::internal("reading stored vectors", e))?,
        None => smelt_runtime::VectorBundle::default(),
    };
    let card = run_suite_with(
        state,
        smelt_conformance::Suite::full(),
        std::sync::Arc::new(component),
        record.manifest.clone(),
        vectors,
        held,
        progress,
    )
    .await?;
    let json = card.to_json();
    let text =
        serde_json::to_string(&json).map_err(|e| ApiError::internal("encoding a scorecard", e))?;
    state.registry.annotate(
        caller.name(),
        &name,
        &version,
        AnnotationKind::Scorecard,
        &text,
    )?;
    Ok(json!({"name": name.as_str(), "version": version.to_string(), "scorecard": json}))
}

/// Adoption of a package: deployments recorded for it (documents in the `deployments`
/// namespace whose `package` field names it).
fn adoption(state: &Shared, name: &str) -> ApiResult<u32> {
    let deployments = state.registry.docs("deployments")?.list("")?;
    Ok(deployments
        .iter()
        .filter(|(_, json)| serde_json::from_str::<Value>(json).is_ok_and(|v| v["package"] == name))
        .count() as u32)
}

/// The mean of a stored scorecard's sub-scores (0–100), if it has any.
pub fn scorecard_mean(
    state: &Shared,
    name: &PackageName,
    version: &Version,
) -> ApiResult<Option<f64>> {
    let Some(annotation) = state
        .registry
        .annotation(name, version, AnnotationKind::Scorecard)?
    else {
        return Ok(None);
    };
    let card: Value = serde_json::from_str(&annotation.json).unwrap_or(Value::Null);
    let scores: Vec<f64> = card["scores"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_f64())
        .collect();
    Ok((!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RankingParams {
    industry: Option<String>,
}

/// Weight of the scorecard in a ranking; the rest is adoption.
const RANKING_SCORECARD_WEIGHT: f64 = 0.8;
/// Deployments at which the adoption term reaches 100.
const RANKING_ADOPTION_SATURATION: f64 = 50.0;

/// The "excellent solutions" list: approved, unsuspended, scored versions (latest per package),
/// ranked by `0.8 × mean(small, fast, light, precise, safe) + 0.2 × 100 × ln(1 + deployments) /
/// ln(1 + 50)` (adoption saturates at 50 deployments); ties by name.
pub(crate) async fn rankings(
    State(state): State<Shared>,
    _caller: Caller,
    params: Result<axum::extract::Query<RankingParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let axum::extract::Query(params) =
        params.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let industry = params
        .industry
        .as_deref()
        .map(str::parse::<smelt_registry::manifest::Industry>)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_filter", e.to_string()))?;
    let mut ranked = Vec::new();
    for name in state.registry.package_names()? {
        let package = state.registry.package(&name)?;
        let Some(entry) = package.versions.iter().rev().find(|v| !v.yanked) else {
            continue;
        };
        let record = state.registry.version(&name, &entry.version)?;
        if review_state(&state, &name, &record.version)? != ReviewState::Approved {
            continue;
        }
        if industry.is_some_and(|i| !record.manifest.listing.industries.contains(&i)) {
            continue;
        }
        let Some(scorecard) = scorecard_mean(&state, &name, &record.version)? else {
            continue;
        };
        let deployments = adoption(&state, name.as_str())?;
        let adoption_score =
            100.0 * (1.0 + f64::from(deployments)).ln() / (1.0 + RANKING_ADOPTION_SATURATION).ln();
        let score = RANKING_SCORECARD_WEIGHT * scorecard
            + (1.0 - RANKING_SCORECARD_WEIGHT) * adoption_score.min(100.0);
        let mut card = super::packages::summary(&record);
        card["ranking"] = json!({"score": (score * 100.0).round() / 100.0, "scorecard": scorecard, "deployments": deployments});
        ranked.push((score, name.to_string(), card));
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(Json(json!({
        "formula": "0.8 × mean(scorecard sub-scores) + 0.2 × 100 × ln(1 + deployments) / ln(51)",
        "rankings": ranked.into_iter().map(|(_, _, card)| card).collect::<Vec<_>>(),
    })))
}
