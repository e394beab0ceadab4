//! The enterprise side of the program: profile and size class, self-assessment, needs,
//! matching (tried on the enterprise's own sample data), and the admin dashboard. The rules and
//! formulas are in `smelt-assess`; this module stores, authorises and runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use smelt_assess::{
    AnswerSheet, Assessment, DataFit, EnterpriseLevels, Index, LevelRules, MatchConfig, Need,
    PilotTargets, Profile, ProgramCounts,
};
use smelt_registry::{Docs, Role};

use super::sandbox::{cost_cny, limits_for};
use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/profile", get(get_profile).put(put_profile))
        .route(
            "/v1/assessments",
            get(list_assessments).post(create_assessment),
        )
        .route("/v1/needs", get(list_needs).post(create_need))
        .route("/v1/needs/{id}/matches", get(matches))
        .route("/v1/dashboard", get(dashboard))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn docs(state: &Shared, namespace: &str) -> ApiResult<Docs> {
    Ok(state.registry.docs(namespace)?)
}

fn body<T>(body: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> ApiResult<T> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::unprocessable("invalid_body", e.body_text()))
}

fn invalid(e: smelt_assess::Error) -> ApiError {
    ApiError::unprocessable("invalid_answer", e.to_string())
}

fn encode<T: Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(|e| ApiError::internal("encoding a document", e))
}

fn decode<T: for<'de> Deserialize<'de>>(json: &str) -> ApiResult<T> {
    serde_json::from_str(json).map_err(|e| ApiError::internal("decoding a stored document", e))
}

pub(crate) async fn put_profile(
    State(state): State<Shared>,
    caller: Caller,
    profile: Result<Json<Profile>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "setting a profile")?;
    let profile = body(profile)?;
    let class = profile.classify().map_err(invalid)?;
    docs(&state, "profiles")?.put(caller.name(), &encode(&profile)?)?;
    Ok(Json(json!({"profile": profile, "classification": class})))
}

fn profile_of(state: &Shared, enterprise: &str) -> ApiResult<Option<Profile>> {
    docs(state, "profiles")?
        .get(enterprise)?
        .map(|j| decode(&j))
        .transpose()
}

pub(crate) async fn get_profile(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "reading a profile")?;
    let profile = profile_of(&state, caller.name())?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no profile yet"))?;
    let class = profile.classify().map_err(invalid)?;
    Ok(Json(json!({"profile": profile, "classification": class})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssessmentRequest {
    /// `2024` (default) or `2022`.
    #[serde(default)]
    rule: Option<String>,
    answers: AnswerSheet,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredAssessment {
    id: String,
    time_ms: u64,
    answers: AnswerSheet,
    result: Assessment,
}

pub(crate) async fn create_assessment(
    State(state): State<Shared>,
    caller: Caller,
    request: Result<Json<AssessmentRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Enterprise], "a self-assessment")?;
    let request = body(request)?;
    let rule = LevelRules::official()
        .rule(request.rule.as_deref().unwrap_or("2024"))
        .map_err(invalid)?;
    let result =
        smelt_assess::assess(Index::official(), rule, &request.answers).map_err(invalid)?;
    let time_ms = now_ms();
    let id = format!("{time_ms:015}");
    let stored = StoredAssessment {
        id: id.clone(),
        time_ms,
        answers: request.answers,
        result,
    };
    docs(&state, "assessments")?.put(&format!("{}/{id}", caller.name()), &encode(&stored)?)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "time_ms": time_ms, "assessment": stored.result})),
    ))
}

fn assessments_of(state: &Shared, enterprise: &str) -> ApiResult<Vec<StoredAssessment>> {
    docs(state, "assessments")?
        .list(&format!("{enterprise}/"))?
        .iter()
        .map(|(_, j)| decode(j))
        .collect()
}

pub(crate) async fn list_assessments(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "reading assessments")?;
    let all = assessments_of(&state, caller.name())?;
    let progression = match (all.first(), all.last()) {
        (Some(first), Some(last)) if all.len() > 1 => Some(first.result.compare(&last.result)),
        _ => None,
    };
    let list: Vec<Value> = all
        .iter()
        .map(|a| json!({"id": a.id, "time_ms": a.time_ms, "total": a.result.total, "level": a.result.level, "rule": a.result.rule}))
        .collect();
    Ok(Json(
        json!({"assessments": list, "progression": progression}),
    ))
}

// No deny_unknown_fields here: serde does not support it beside `flatten`; `Need` itself
// denies unknown fields, which covers the leftovers.
#[derive(Debug, Deserialize)]
struct NeedRequest {
    #[serde(flatten)]
    need: Need,
    #[serde(default)]
    description: String,
    /// Sample input in the trial format (`{"tables": {...}, "params": {...}}`).
    #[serde(default)]
    sample: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredNeed {
    id: String,
    owner: String,
    created_ms: u64,
    need: Need,
    description: String,
    sample: Option<Value>,
}

/// Sample inputs are kept with the need; bound them like a trial body.
const MAX_SAMPLE_BYTES: usize = 4 << 20;

pub(crate) async fn create_need(
    State(state): State<Shared>,
    caller: Caller,
    request: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Enterprise], "publishing a need")?;
    let raw = body(request)?;
    let request: NeedRequest = serde_json::from_value(raw)
        .map_err(|e| ApiError::unprocessable("invalid_need", e.to_string()))?;
    let mut need = request.need;
    if let Some(sample) = &request.sample {
        if serde_json::to_vec(sample).map_or(0, |v| v.len()) > MAX_SAMPLE_BYTES {
            return Err(ApiError::unprocessable(
                "invalid_need",
                "sample: larger than 4 MiB",
            ));
        }
        if !sample.get("tables").is_some_and(Value::is_object) {
            return Err(ApiError::unprocessable(
                "invalid_need",
                "sample: expected {\"tables\": {...}}",
            ));
        }
    }
    if need.current_level.is_none() {
        need.current_level = assessments_of(&state, caller.name())?
            .last()
            .map(|a| a.result.level);
    }
    need.validate()
        .map_err(|e| ApiError::unprocessable("invalid_need", e.to_string()))?;
    if request.description.len() > 8192 {
        return Err(ApiError::unprocessable(
            "invalid_need",
            "description: at most 8192 bytes",
        ));
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let created_ms = now_ms();
    let id = format!(
        "need-{created_ms}-{}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let stored = StoredNeed {
        id: id.clone(),
        owner: caller.name().to_owned(),
        created_ms,
        need,
        description: smelt_runtime::neutralise(&request.description),
        sample: request.sample,
    };
    docs(&state, "needs")?.put(&id, &encode(&stored)?)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "need": stored.need})),
    ))
}

fn all_needs(state: &Shared) -> ApiResult<Vec<StoredNeed>> {
    docs(state, "needs")?
        .list("")?
        .iter()
        .map(|(_, j)| decode(j))
        .collect()
}

pub(crate) async fn list_needs(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise, Role::Provider], "listing needs")?;
    let needs = all_needs(&state)?;
    let list: Vec<Value> = if caller.account.role == Role::Enterprise {
        needs
            .iter()
            .filter(|n| n.owner == caller.name())
            .map(|n| json!({"id": n.id, "created_ms": n.created_ms, "need": n.need, "description": n.description}))
            .collect()
    } else {
        // Providers see open needs in the industries they serve, without the enterprise's identity.
        let industries = provider_industries(&state, caller.name())?;
        needs
            .iter()
            .filter(|n| industries.is_empty() || industries.contains(&n.need.industry))
            .map(|n| {
                json!({"id": n.id, "created_ms": n.created_ms, "industry": n.need.industry, "scenes": n.need.scenes,
                       "target_level": n.need.target_level, "budget_cny": n.need.budget_cny,
                       "deadline_days": n.need.deadline_days, "description": n.description})
            })
            .collect()
    };
    Ok(Json(json!({"needs": list})))
}

fn provider_industries(
    state: &Shared,
    provider: &str,
) -> ApiResult<Vec<smelt_registry::manifest::Industry>> {
    let mut industries = Vec::new();
    for name in state.registry.package_names()? {
        let package = state.registry.package(&name)?;
        if package.owner != provider {
            continue;
        }
        if let Some(latest) = package.versions.last() {
            industries.extend(
                state
                    .registry
                    .version(&name, &latest.version)?
                    .manifest
                    .listing
                    .industries,
            );
        }
    }
    industries.sort();
    industries.dedup();
    Ok(industries)
}

/// The need's sample narrowed to what `descriptor` declares (other tables and params dropped).
fn sample_for(sample: &Value, descriptor: &smelt_runtime::Descriptor) -> Value {
    let pick = |key: &str, names: Vec<&str>| -> Value {
        let given = sample.get(key).and_then(Value::as_object);
        Value::Object(
            names
                .into_iter()
                .filter_map(|n| {
                    given
                        .and_then(|g| g.get(n))
                        .map(|v| (n.to_owned(), v.clone()))
                })
                .collect(),
        )
    };
    json!({
        "tables": pick("tables", descriptor.inputs.iter().map(|t| t.name.as_str()).collect()),
        "params": pick("params", descriptor.params.iter().map(|p| p.name.as_str()).collect()),
    })
}

/// `GET /v1/needs/{id}/matches` query parameters: a page of the ranked solutions and one of
/// the rejected candidates.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MatchParams {
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub rejected_limit: Option<String>,
    pub rejected_offset: Option<String>,
}

/// Ranked solutions in an answer when `limit` is not given; each carries eight or so reasons
/// in two languages, formatted for the page only.
pub const DEFAULT_RANKED_LIMIT: usize = 50;
/// Largest `limit`.
pub const MAX_RANKED_LIMIT: usize = 200;
/// Rejected candidates in an answer when `rejected_limit` is not given: over 10,000 listings
/// nearly all are rejected, and all their reasons in both languages would be megabytes.
pub const DEFAULT_REJECTED_LIMIT: usize = 50;
/// Largest `rejected_limit` (a page of ~200 KB of JSON).
pub const MAX_REJECTED_LIMIT: usize = 500;

/// The answer of `GET /v1/needs/{id}/matches`: the page's matches and rejections are
/// serialized (and their reasons formatted) straight from [`smelt_assess::rank`]'s result.
#[derive(Serialize)]
struct MatchesAnswer<'a> {
    need: &'a str,
    matches: MatchesPage<'a>,
}

#[derive(Serialize)]
struct MatchesPage<'a> {
    expected_runs: u64,
    ranked: &'a [smelt_assess::Match],
    ranked_total: usize,
    limit: usize,
    offset: usize,
    rejected: &'a [smelt_assess::Rejected<'a>],
    rejected_total: usize,
    rejected_counts: BTreeMap<&'static str, usize>,
    rejected_limit: usize,
    rejected_offset: usize,
}

/// `list[offset..offset + limit]`, clamped to the list.
fn page_of<T>(list: &[T], offset: usize, limit: usize) -> &[T] {
    let start = offset.min(list.len());
    &list[start..start.saturating_add(limit).min(list.len())]
}

/// A need's matches over the listed versions (one per package, as search lists them), a page
/// of the ranked ones (`limit`, `offset`) and a page of the rejected ones (`rejected_limit`,
/// `rejected_offset`), with their totals and a count per [`smelt_assess::Rejection`] code.
pub(crate) async fn matches(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    params: Result<Query<MatchParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    caller.require(&[Role::Enterprise], "matching")?;
    let Query(params) =
        params.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let body = matches_json(&state, &caller, &id, &params).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// [`matches`]' answer as JSON bytes (the web UI reads it too).
pub(crate) async fn matches_json(
    state: &Shared,
    caller: &Caller,
    id: &str,
    params: &MatchParams,
) -> ApiResult<Vec<u8>> {
    caller.require(&[Role::Enterprise], "matching")?;
    let count = super::packages::count_param;
    let limit = count(
        "limit",
        params.limit.as_deref(),
        DEFAULT_RANKED_LIMIT,
        1..=MAX_RANKED_LIMIT,
    )?;
    let offset = count("offset", params.offset.as_deref(), 0, 0..=usize::MAX)?;
    let rejected_limit = count(
        "rejected_limit",
        params.rejected_limit.as_deref(),
        DEFAULT_REJECTED_LIMIT,
        0..=MAX_REJECTED_LIMIT,
    )?;
    let rejected_offset = count(
        "rejected_offset",
        params.rejected_offset.as_deref(),
        0,
        0..=usize::MAX,
    )?;
    let stored: StoredNeed = match docs(state, "needs")?.get(id)? {
        Some(j) => decode(&j)?,
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("need `{id}` not found"),
            ));
        }
    };
    // Another enterprise's need does not exist, as far as this caller can tell.
    if stored.owner != caller.name() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("need `{id}` not found"),
        ));
    }
    let config = MatchConfig::default();
    let view = super::listings::view(state)?;
    let first = smelt_assess::rank(&stored.need, &view.candidates, &config).map_err(invalid)?;
    // With a sample, the candidates that pass the hard filters are run on the enterprise's
    // data, and ranked again with the outcome.
    let mut tried: Option<Vec<smelt_assess::Candidate>> = None;
    if let Some(sample) = &stored.sample {
        let mut cands = view.candidates.clone();
        let position: std::collections::HashMap<(&str, &str), usize> = view
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.name.as_str(), c.version.as_str()), i))
            .collect();
        for m in &first.ranked {
            let Some(&i) = position.get(&(m.name.as_str(), m.version.as_str())) else {
                continue;
            };
            let Some(record) = view.catalog.get(i) else {
                continue;
            };
            let loaded = state.sandbox.load(record).await?;
            let narrowed = sample_for(sample, &loaded.descriptor);
            cands[i].fit = Some(
                match smelt_runtime::input_from_json(&narrowed, &loaded.descriptor) {
                    Err(e) => DataFit::NotApplicable {
                        reason: format!("the sample does not fit its input schema: {e}"),
                    },
                    Ok(input) => {
                        let limits = limits_for(record, input.rows());
                        let run = state.sandbox.run(loaded.plugin, input, limits).await;
                        match run.output {
                            Ok(output) => DataFit::Ran {
                                findings: output.findings.len() as u32,
                                cost_cny: cost_cny(record, run.usage.fuel),
                            },
                            Err(e) => DataFit::Failed {
                                reason: e.to_string(),
                            },
                        }
                    }
                },
            );
        }
        tried = Some(cands);
    }
    let result = match &tried {
        Some(cands) => smelt_assess::rank(&stored.need, cands, &config).map_err(invalid)?,
        None => first,
    };
    let answer = MatchesAnswer {
        need: id,
        matches: MatchesPage {
            expected_runs: result.expected_runs,
            ranked: page_of(&result.ranked, offset, limit),
            ranked_total: result.ranked.len(),
            limit,
            offset,
            rejected: page_of(&result.rejected, rejected_offset, rejected_limit),
            rejected_total: result.rejected.len(),
            rejected_counts: result
                .rejected_counts()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
            rejected_limit,
            rejected_offset,
        },
    };
    serde_json::to_vec(&answer).map_err(|e| ApiError::internal("encoding matches", e))
}

pub(crate) async fn dashboard(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin], "the program dashboard")?;
    let mut counts = ProgramCounts::default();
    for account in state.registry.accounts()? {
        match account.role {
            Role::Provider => counts.providers += 1,
            Role::Enterprise => {
                let Some(profile) = profile_of(&state, &account.name)? else {
                    continue;
                };
                let deployments = docs(&state, "deployments")?
                    .list(&format!("{}/", account.name))?
                    .len();
                let industry = counts.by_industry.entry(profile.industry).or_default();
                industry.enterprises += 1;
                industry.trials += state.metrics.trials_of(&account.name) as u32;
                industry.deployments += deployments as u32;
                let assessments = assessments_of(&state, &account.name)?;
                counts.levels.push(EnterpriseLevels {
                    industry: profile.industry,
                    before: assessments.first().map(|a| a.result.level),
                    after: assessments.last().map(|a| a.result.level),
                });
            }
            _ => {}
        }
    }
    let mut providers_by_industry: BTreeMap<_, std::collections::BTreeSet<String>> =
        BTreeMap::new();
    let view = super::listings::view(&state)?;
    for (candidate, record) in view.candidates.iter().zip(view.catalog.records()) {
        counts.solutions += 1;
        for industry in &candidate.industries {
            counts.by_industry.entry(*industry).or_default().solutions += 1;
            providers_by_industry
                .entry(*industry)
                .or_default()
                .insert(record.publisher.clone());
        }
    }
    for (industry, providers) in providers_by_industry {
        counts.by_industry.entry(industry).or_default().providers = providers.len() as u32;
    }
    let board = smelt_assess::dashboard(&counts, PilotTargets::official()).map_err(invalid)?;
    Ok(Json(json!({"dashboard": board})))
}
