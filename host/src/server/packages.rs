//! Packages: publish, search, details, resolve, yank, blobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use smelt_conformance::Suite;
use smelt_registry::manifest::{Industry, Scene, Stage};
use smelt_registry::{
    AnnotationKind, Digest, Manifest, PackageName, PublishRequest, Published, Role, SearchQuery,
    Version, VersionRecord, VersionReq,
};
use smelt_runtime::VectorBundle;

use super::reviews::ReviewState;
use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/packages", get(search))
        .route("/v1/packages/{name}", get(package))
        .route("/v1/packages/{name}/resolve", get(resolve))
        .route("/v1/packages/{name}/{version}", put(publish).get(version))
        .route("/v1/packages/{name}/{version}/yank", post(yank))
        .route("/v1/packages/{name}/{version}/unyank", post(unyank))
        .route("/v1/blobs/{digest}", get(blob))
}

/// A token bucket per token: `per_minute` publishes, refilled continuously.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<u64, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute: per_minute.max(1),
            buckets: Mutex::default(),
        }
    }

    /// `Ok` when `key` may go ahead, else the seconds to wait.
    pub fn check(&self, key: u64) -> Result<(), u64> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = buckets.entry(key).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

fn parse_name(name: &str) -> ApiResult<PackageName> {
    Ok(name.parse::<PackageName>()?)
}

fn parse_version(version: &str) -> ApiResult<Version> {
    Ok(version.parse::<Version>()?)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    // A body cut off by a size limit surfaces through several wrapping layers (tower-http's
    // limit, axum's, multer's stream error); look down the whole chain.
    let mut too_large = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        too_large |= err.is::<http_body_util::LengthLimitError>()
            || err.to_string().contains("length limit exceeded");
        source = err.source();
    }
    if too_large {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the upload is larger than the server's body limit",
        )
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_multipart", e.body_text())
    }
}

struct Upload {
    manifest: Option<String>,
    component: Option<Vec<u8>>,
    vectors: Option<Vec<u8>>,
}

async fn read_upload(mut multipart: Multipart) -> ApiResult<Upload> {
    let mut upload = Upload {
        manifest: None,
        component: None,
        vectors: None,
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(multipart_error)?.to_vec();
        match name.as_str() {
            "manifest" => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    ApiError::unprocessable("invalid_manifest", "part `manifest` is not UTF-8 text")
                })?;
                upload.manifest = Some(text);
            }
            "component" => upload.component = Some(bytes),
            "vectors" => upload.vectors = Some(bytes),
            other => {
                return Err(ApiError::unprocessable(
                    "unknown_part",
                    format!(
                        "unknown multipart part `{other}` (expected manifest, component, vectors)"
                    ),
                ));
            }
        }
    }
    Ok(upload)
}

pub(crate) async fn publish(
    State(state): State<Shared>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    caller.require(&[Role::Provider], "publishing")?;
    let name = parse_name(&name)?;
    let version = parse_version(&version)?;
    if let Err(wait) = state.publish_limiter.check(caller.token_key()) {
        return Err(ApiError::busy(
            "rate_limited",
            format!("too many publishes; retry in {wait} s"),
            wait,
        ));
    }
    // Ownership first: no compile work for someone else's name.
    match state.registry.package(&name) {
        Ok(package) if package.owner != caller.name() => {
            return Err(ApiError::forbidden(format!(
                "package `{name}` belongs to `{}`",
                package.owner
            )));
        }
        Ok(_) | Err(smelt_registry::Error::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let multipart = multipart.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected multipart/form-data: {}", e.body_text()),
        )
    })?;
    let upload = read_upload(multipart).await?;
    let manifest_toml = upload.manifest.ok_or_else(|| {
        ApiError::unprocessable("missing_part", "multipart part `manifest` is missing")
    })?;
    let component = upload.component.ok_or_else(|| {
        ApiError::unprocessable("missing_part", "multipart part `component` is missing")
    })?;

    let manifest = Manifest::from_toml(&manifest_toml)?;
    manifest.check_identity(&name, &version)?;
    if let Some(vectors) = &upload.vectors {
        serde_json::from_slice::<VectorBundle>(vectors).map_err(|e| {
            ApiError::unprocessable("invalid_vectors", format!("part `vectors`: {e}"))
        })?;
    }

    let component = Arc::new(component);
    // Uploads wait their turn to compile; one whose name@version was free when it arrived and
    // was taken by other bytes while it waited gets its 409 then, not after a compile (50
    // racing uploads of one version would otherwise compile one after another, and the last
    // ones time out). Over a version that already existed, the checks keep their order: the
    // bytes' own problems (not wasm, too complex, ...) are named first.
    let free_on_arrival = matches!(
        state.registry.version(&name, &version),
        Err(smelt_registry::Error::NotFound { .. })
    );
    let still_wanted = {
        let (registry, digest) = (state.registry.clone(), Digest::of(&component));
        let (name, version) = (name.clone(), version.clone());
        move || match registry.version(&name, &version) {
            _ if !free_on_arrival => Ok(()),
            Ok(existing) if existing.component != digest => {
                Err(smelt_registry::Error::AlreadyExists {
                    name: name.to_string(),
                    version: version.to_string(),
                }
                .into())
            }
            Ok(_) | Err(smelt_registry::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    };
    let loaded = state
        .sandbox
        .inspect(component.clone(), still_wanted)
        .await?;
    let d = &loaded.descriptor;
    if d.name != name.as_str() || d.version != version.to_string() {
        return Err(ApiError::unprocessable(
            "descriptor_mismatch",
            format!(
                "the component describes itself as {}@{}, the manifest says {name}@{version}",
                d.name, d.version
            ),
        ));
    }
    // The quick conformance subset: a failing error-level analyzer refuses the publish.
    let bundle: VectorBundle = match &upload.vectors {
        Some(v) => serde_json::from_slice(v).unwrap_or_default(),
        None => VectorBundle::default(),
    };
    let card = super::reviews::run_suite(
        &state,
        Suite::quick(),
        component.clone(),
        manifest.clone(),
        bundle,
        None,
    )
    .await?;
    if !card.pass {
        let failures: Vec<String> = card
            .failures()
            .map(|r| format!("{}: {}", r.id.as_str(), r.summary))
            .collect();
        return Err(ApiError::unprocessable(
            "conformance_failed",
            format!("conformance: {}", failures.join("; ")),
        ));
    }
    let request = PublishRequest {
        publisher: caller.name().to_owned(),
        manifest_toml,
        component: Arc::try_unwrap(component).unwrap_or_else(|c| (*c).clone()),
        vectors: upload.vectors,
        wit_version: loaded.plugin.wit_version().to_owned(),
        descriptor_json: serde_json::to_string(&*loaded.descriptor)
            .map_err(|e| ApiError::internal("encoding a descriptor", e))?,
        expect: Some((name, version)),
    };
    let registry = state.registry.clone();
    let published = tokio::task::spawn_blocking(move || registry.publish(request))
        .await
        .map_err(|e| ApiError::internal("publishing", e))??;
    let (status, record) = match &published {
        Published::Created(r) => (StatusCode::CREATED, r),
        Published::AlreadyPublished(r) => (StatusCode::OK, r),
    };
    let body = json!({"name": record.name.as_str(), "version": record.version.to_string(), "digest": record.component.to_string()});
    Ok((status, Json(body)).into_response())
}

/// `GET /v1/packages` query parameters, as given (each is checked and named when bad).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    pub q: Option<String>,
    pub industry: Option<String>,
    pub stage: Option<String>,
    pub scene: Option<String>,
    /// Largest one-off deploy price, CNY.
    pub max_deploy_cny: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// Cards per answer when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest `limit`. An answer's cost grows with its cards (over 10,000 listings an unpaged
/// answer of 1,250 cards took 70 ms at p99); 200 cards (~160 KB of JSON) stay within the 5 ms
/// search target.
pub const MAX_LIMIT: usize = 200;

/// One page of search results.
pub(crate) struct Page {
    /// Every match the caller may see, over all pages.
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    /// The page's positions in `view`.
    positions: Vec<usize>,
    view: Arc<super::listings::View>,
}

impl Page {
    /// The page's cards as JSON text ([`summary`] plus the scorecard's sub-scores as
    /// `scores`), serialized once per listing when the view was built.
    pub fn cards_json(&self) -> impl Iterator<Item = &str> {
        self.positions
            .iter()
            .filter_map(|&p| self.view.at(p))
            .map(|(_, entry)| entry.card.as_str())
    }

    /// The page's cards as JSON values.
    pub fn cards(&self) -> Vec<Value> {
        self.cards_json()
            .map(|c| serde_json::from_str(c).unwrap_or(Value::Null))
            .collect()
    }

    /// `{"packages": [cards], "total", "limit", "offset"}`, assembled from the stored cards.
    pub fn to_json(&self) -> String {
        let mut body = String::from("{\"packages\":[");
        for (i, card) in self.cards_json().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(card);
        }
        body.push_str(&format!(
            "],\"total\":{},\"limit\":{},\"offset\":{}}}",
            self.total, self.limit, self.offset
        ));
        body
    }
}

fn bad_filter(e: smelt_registry::Error) -> ApiError {
    ApiError::bad_request("invalid_filter", e.to_string())
}

fn bad_param(name: &str, expected: &str, found: &str) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        format!("query parameter `{name}`: expected {expected}, found `{found}`"),
    )
}

/// The query parameter `name`, a whole number within `range`; `default` when absent.
pub(crate) fn count_param(
    name: &str,
    value: Option<&str>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> ApiResult<usize> {
    let Some(text) = value else {
        return Ok(default);
    };
    let expected = match range.end() {
        &usize::MAX => format!("a whole number >= {}", range.start()),
        end => format!("a whole number from {} to {end}", range.start()),
    };
    text.parse::<usize>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| bad_param(name, &expected, text))
}

/// The catalog card of a version.
pub fn summary(record: &VersionRecord) -> Value {
    let listing = &record.manifest.listing;
    json!({
        "name": record.name.as_str(),
        "version": record.version.to_string(),
        "provider": record.manifest.package.provider,
        "publisher": record.publisher,
        "summary": record.manifest.package.summary,
        "title": {"zh": listing.title.zh, "en": listing.title.en},
        "industries": listing.industries,
        "stages": listing.stages,
        "scenes": listing.scenes,
        "target_level": listing.target_level,
        "deploy_days": listing.deploy_days,
        "price": {"deploy_cny": listing.price.deploy_cny, "per_1k_runs_cny": listing.price.per_1k_runs_cny},
        "digest": record.component.to_string(),
        "wit_version": record.wit_version,
        "size": record.component_size,
    })
}

pub(crate) async fn search(
    State(state): State<Shared>,
    caller: Caller,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) =
        params.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let page = search_page(&state, &caller, &params)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], page.to_json()).into_response())
}

/// The page of versions a search finds for `caller` (enterprises: approved, unsuspended ones
/// only), in catalog order: relevance, then name. Reads the in-memory catalog and the review
/// states and scores kept beside it ([`super::listings`]); nothing from storage per hit.
pub(crate) fn search_page(
    state: &Shared,
    caller: &Caller,
    params: &SearchParams,
) -> ApiResult<Page> {
    let query = SearchQuery {
        text: params.q.clone().filter(|q| !q.trim().is_empty()),
        industry: params
            .industry
            .as_deref()
            .map(str::parse::<Industry>)
            .transpose()
            .map_err(bad_filter)?,
        stage: params
            .stage
            .as_deref()
            .map(str::parse::<Stage>)
            .transpose()
            .map_err(bad_filter)?,
        scene: params
            .scene
            .as_deref()
            .map(str::parse::<Scene>)
            .transpose()
            .map_err(bad_filter)?,
    };
    let max_deploy_cny = params
        .max_deploy_cny
        .as_deref()
        .map(|text| {
            text.parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| bad_param("max_deploy_cny", "a number of CNY >= 0", text))
        })
        .transpose()?;
    let limit = count_param(
        "limit",
        params.limit.as_deref(),
        DEFAULT_LIMIT,
        1..=MAX_LIMIT,
    )?;
    let offset = count_param("offset", params.offset.as_deref(), 0, 0..=usize::MAX)?;

    let view = super::listings::view(state)?;
    let enterprise = caller.account.role == Role::Enterprise;
    let mut total = 0;
    let mut positions = Vec::new();
    for position in view.catalog.search(&query) {
        let Some((record, entry)) = view.at(position) else {
            continue;
        };
        if (enterprise && entry.review != ReviewState::Approved)
            || max_deploy_cny.is_some_and(|m| record.manifest.listing.price.deploy_cny > m)
        {
            continue;
        }
        if total >= offset && positions.len() < limit {
            positions.push(position);
        }
        total += 1;
    }
    Ok(Page {
        total,
        limit,
        offset,
        positions,
        view,
    })
}

pub(crate) async fn package(
    State(state): State<Shared>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let package = state.registry.package(&parse_name(&name)?)?;
    Ok(Json(json!({
        "name": package.name.as_str(),
        "owner": package.owner,
        "created_ms": package.created_ms,
        "versions": package.versions.iter().map(|v| json!({"version": v.version.to_string(), "yanked": v.yanked})).collect::<Vec<_>>(),
    })))
}

pub(crate) async fn version(
    State(state): State<Shared>,
    _caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (name, version) = (parse_name(&name)?, parse_version(&version)?);
    let record = state.registry.version(&name, &version)?;
    let annotation = |kind| -> ApiResult<Value> {
        Ok(match state.registry.annotation(&name, &version, kind)? {
            Some(a) => serde_json::from_str::<Value>(&a.json).unwrap_or(Value::Null),
            None => Value::Null,
        })
    };
    let review = annotation(AnnotationKind::Review)?;
    let scorecard = annotation(AnnotationKind::Scorecard)?;
    let descriptor: Value = serde_json::from_str(&record.descriptor_json).unwrap_or(Value::Null);
    let mut body = summary(&record);
    body["yanked"] = json!(record.yanked);
    body["published_ms"] = json!(record.published_ms);
    body["manifest"] = serde_json::to_value(&record.manifest).unwrap_or(Value::Null);
    body["manifest_digest"] = json!(record.manifest_digest.to_string());
    body["vectors_digest"] = json!(record.vectors.as_ref().map(ToString::to_string));
    body["descriptor"] = descriptor;
    body["review"] = if review.is_null() {
        json!({"state": "pending"})
    } else {
        review
    };
    body["scorecard"] = scorecard;
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolveParams {
    req: String,
}

pub(crate) async fn resolve(
    State(state): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    params: Result<Query<ResolveParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) =
        params.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let req: VersionReq = params.req.parse()?;
    let record = super::reviews::resolve_for(&state, &caller, &parse_name(&name)?, &req)?;
    Ok(Json(
        json!({"version": record.version.to_string(), "digest": record.component.to_string()}),
    ))
}

pub(crate) async fn set_yanked(
    state: Shared,
    caller: Caller,
    name: String,
    version: String,
    yanked: bool,
) -> ApiResult<Json<Value>> {
    caller.require(
        &[Role::Provider, Role::Admin],
        if yanked { "yanking" } else { "un-yanking" },
    )?;
    let (name, version) = (parse_name(&name)?, parse_version(&version)?);
    let record = if yanked {
        state.registry.yank(caller.name(), &name, &version)?
    } else {
        state.registry.unyank(caller.name(), &name, &version)?
    };
    Ok(Json(
        json!({"name": record.name.as_str(), "version": record.version.to_string(), "yanked": record.yanked}),
    ))
}

pub(crate) async fn yank(
    State(state): State<Shared>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    set_yanked(state, caller, name, version, true).await
}

pub(crate) async fn unyank(
    State(state): State<Shared>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    set_yanked(state, caller, name, version, false).await
}

pub(crate) async fn blob(
    State(state): State<Shared>,
    _caller: Caller,
    Path(digest): Path<String>,
) -> ApiResult<Response> {
    let digest: Digest = digest.parse()?;
    let registry = state.registry.clone();
    let bytes = tokio::task::spawn_blocking(move || registry.blob(&digest))
        .await
        .map_err(|e| ApiError::internal("reading a blob", e))??;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from(bytes),
    )
        .into_response())
}
