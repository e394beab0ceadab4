//! Deployments (部署): an enterprise pins an exact approved version of a solution and invokes
//! it, metered, until it decides otherwise. New releases, yanks and suspensions never change what
//! a deployment runs; an upgrade passes a gate first (WIT versions the host runs, review state, a
//! shadow run of the kept inputs on both versions with a diff) and can be rolled back. Also the
//! audit log routes.
//!
//! Storage (registry documents): `deployments/{owner}/{id}` (the deployment, its pins and
//! history; every change written together with its audit record), `usage/{owner}/{YYYY-MM-DD}`
//! (per-tenant daily meter), `deployment-usage/{owner}/{id}` (meter over the deployment's life),
//! `deployment-inputs/{owner}/{id}` (the kept inputs). Meters and kept inputs are written by
//! [`Live`] in the background, not per invocation: an invocation adds no disk write.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use smelt_registry::{
    Digest, Docs, PackageName, Registry, Role, Version, VersionRecord, VersionReq,
};
use smelt_runtime::{InputReader, LogLine, Output, Usage, compare_expected, input_from_json};

use super::body::{Phases, Wire};
use super::reviews::{ReviewState, resolve_for, review_state};
use super::sandbox::{cost_cny, limits_for};
use super::{ApiError, ApiResult, Caller, Shared};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/deployments", post(create).get(list))
        .route("/v1/deployments/{id}/invoke", post(invoke_route))
        .route("/v1/deployments/{id}/upgrade", post(upgrade))
        .route("/v1/deployments/{id}/rollback", post(rollback))
        .route("/v1/deployments/{id}/history", get(history))
        .route("/v1/deployments/{id}/acceptance", get(acceptance))
        .route("/v1/usage", get(usage))
        .route("/v1/audit", get(audit))
        .route("/v1/audit/verify", get(verify))
}

/// Kept inputs per deployment by default and at most: enough for a shadow run to cover the
/// shapes of data a plant sends in a day, few enough that an upgrade check stays quick.
const MAX_KEPT_INPUTS: usize = 20;
/// Kept inputs per deployment, in bytes of JSON: bounds the memory and the stored document.
const MAX_KEPT_BYTES: usize = 1 << 20;
/// How often meters and kept inputs reach the disk. A crash loses at most this much metering;
/// a clean shutdown loses none (see `Drop for Live`).
const FLUSH_INTERVAL: Duration = Duration::from_secs(2);
/// Default numeric tolerance of the shadow-run diff: well below any reported precision, above
/// the noise of reordered floating-point sums.
const DEFAULT_DIFF_TOLERANCE: f64 = 1e-9;
/// Differences listed per shadow-run input; the count is always complete.
const MAX_LISTED_DIFFERENCES: usize = 20;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::unprocessable("invalid_body", e.body_text()))
}

fn docs(state: &Shared, namespace: &str) -> ApiResult<Docs> {
    Ok(state.registry.docs(namespace)?)
}

fn encode<T: Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(|e| ApiError::internal("encoding a document", e))
}

fn decode<T: for<'de> Deserialize<'de>>(json: &str) -> ApiResult<T> {
    serde_json::from_str(json).map_err(|e| ApiError::internal("decoding a stored document", e))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("deployment `{id}` not found"),
    )
}

fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

// ---------------------------------------------------------------------------------------------
// Dates (UTC, proleptic Gregorian), for the daily meter.

/// `YYYY-MM-DD` of a day number since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn date_of_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The day number of `y-m-d` (inverse of [`date_of_day`]).
fn day_of(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Checks a `YYYY-MM-DD` date (a real calendar day).
fn parse_date(what: &str, text: &str) -> ApiResult<String> {
    let bad = || {
        ApiError::unprocessable(
            "invalid_date",
            format!("{what}: expected a date as YYYY-MM-DD, found `{text}`"),
        )
    };
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let number = |s: &str| -> ApiResult<i64> {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (y, m, d) = (number(y)?, number(m)?, number(d)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || date_of_day(day_of(y, m, d)) != text {
        return Err(bad());
    }
    Ok(text.to_owned())
}

fn today() -> String {
    date_of_day((now_ms() / 86_400_000) as i64)
}

// ---------------------------------------------------------------------------------------------
// Metering and kept inputs, in memory and flushed in the background.

/// Runs, rows, fuel and cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    pub runs: u64,
    /// Runs that ended in an error (bad input for the solution, a limit); counted in `runs`.
    pub errors: u64,
    pub rows: u64,
    pub fuel: u64,
    pub cost_cny: f64,
}

impl Meter {
    fn add(&mut self, other: &Meter) {
        self.runs += other.runs;
        self.errors += other.errors;
        self.rows += other.rows;
        self.fuel += other.fuel;
        // Rounded to the micro-yuan the per-run cost is given in, so sums do not drift.
        self.cost_cny = ((self.cost_cny + other.cost_cny) * 1e6).round() / 1e6;
    }
}

/// One kept input. An invocation keeps its request body as it arrived (shared, not copied:
/// keeping costs the hot path nothing); the first flush that stores it replaces it with its
/// JSON text, so a body is encoded once, not on every flush while it is kept.
#[derive(Debug, Clone)]
enum KeptInput {
    /// An invocation's body, `{"input": ...}` in JSON or CBOR, without the deployment's
    /// default params.
    Body(Wire, Bytes),
    /// The input's JSON text, as stored.
    Text(Arc<str>),
}

impl KeptInput {
    /// The input as JSON, without the deployment's default params where it came without them.
    fn json(&self) -> ApiResult<Value> {
        match self {
            KeptInput::Body(wire, body) => wire
                .read::<InvokeRequest>(body)
                .map(|request| request.input)
                .map_err(|e| ApiError::internal("reading a kept input", e.message)),
            KeptInput::Text(text) => decode(text),
        }
    }

    /// The input's JSON text.
    fn text(&self) -> ApiResult<Arc<str>> {
        match self {
            KeptInput::Body(..) => Ok(self.json()?.to_string().into()),
            KeptInput::Text(text) => Ok(text.clone()),
        }
    }

    /// True for the same kept body (the same shared bytes).
    fn same_body(&self, other: &KeptInput) -> bool {
        match (self, other) {
            (KeptInput::Body(_, a), KeptInput::Body(_, b)) => {
                a.as_ptr() == b.as_ptr() && a.len() == b.len()
            }
            _ => false,
        }
    }
}

/// The last inputs of one deployment with their sizes in bytes of JSON, oldest first.
#[derive(Debug, Default)]
struct Kept {
    inputs: VecDeque<(KeptInput, usize)>,
    bytes: usize,
}

impl Kept {
    fn push(&mut self, input: KeptInput, size: usize, keep: usize) {
        if keep == 0 || size > MAX_KEPT_BYTES {
            return;
        }
        self.bytes += size;
        self.inputs.push_back((input, size));
        self.trim(keep);
    }

    /// Drops the oldest while more than `keep` inputs or [`MAX_KEPT_BYTES`] are held.
    fn trim(&mut self, keep: usize) {
        while self.inputs.len() > keep || self.bytes > MAX_KEPT_BYTES {
            let Some((_, old)) = self.inputs.pop_front() else {
                break;
            };
            self.bytes -= old;
        }
    }

    fn values(&self) -> Vec<KeptInput> {
        self.inputs.iter().map(|(v, _)| v.clone()).collect()
    }

    /// Replaces kept bodies by the JSON texts `made` for them (each input as it was, with its
    /// text); inputs pushed or dropped meanwhile are left as they are. A replaced input counts
    /// at its stored size from then on and the oldest go while over [`MAX_KEPT_BYTES`], as
    /// [`join_kept`] drops them from what is stored: the gate sees the same inputs before a
    /// restart as after it.
    fn settle(&mut self, made: &[(KeptInput, Arc<str>)]) {
        for (input, size) in &mut self.inputs {
            if let Some((_, text)) = made.iter().find(|(was, _)| was.same_body(input)) {
                *input = KeptInput::Text(text.clone());
                *size = text.len() + 1;
            }
        }
        self.bytes = self.inputs.iter().map(|(_, size)| size).sum();
        self.trim(usize::MAX);
    }
}

/// The stored form of kept inputs.
#[cfg(test)]
fn kept_json(inputs: &[KeptInput]) -> ApiResult<String> {
    let texts = inputs
        .iter()
        .map(KeptInput::text)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(join_kept(&texts))
}

/// Each kept input with its JSON text (a body encoded now; see [`Kept::settle`]).
fn with_texts(inputs: Vec<KeptInput>) -> ApiResult<Vec<(KeptInput, Arc<str>)>> {
    inputs
        .into_iter()
        .map(|input| input.text().map(|text| (input, text)))
        .collect()
}

/// The stored form of kept inputs from their JSON texts, held to [`MAX_KEPT_BYTES`] (a CBOR
/// body was counted at its own size, and its JSON can be larger): the oldest go first.
fn join_kept(list: &[Arc<str>]) -> String {
    let mut total: usize = list.iter().map(|json| json.len() + 1).sum();
    let mut oldest = 0;
    while total > MAX_KEPT_BYTES && oldest < list.len() {
        total -= list[oldest].len() + 1;
        oldest += 1;
    }
    format!("{{\"inputs\":[{}]}}", list[oldest..].join(","))
}

#[derive(Debug, Default)]
struct Pending {
    /// `{owner}/{date}` → not yet stored.
    daily: BTreeMap<String, Meter>,
    /// `{owner}/{id}` → not yet stored.
    life: BTreeMap<String, Meter>,
    /// Deployments whose kept inputs changed since the last flush.
    dirty_inputs: BTreeSet<String>,
}

/// What invocations change, kept off the disk on the hot path: meter deltas and kept inputs,
/// written every [`FLUSH_INTERVAL`] by a background task and once more when the router is
/// dropped at shutdown. Readers add the pending deltas to the stored meters.
#[derive(Default)]
pub(crate) struct Live {
    pending: Mutex<Pending>,
    kept: Mutex<HashMap<String, Kept>>,
    /// Held for a whole flush and by readers, so a reader never sees a delta twice or not at all.
    flushing: Mutex<()>,
    registry: OnceLock<Registry>,
    /// Serialises changes to deployment documents (create, upgrade, rollback).
    changes: tokio::sync::Mutex<()>,
    /// What an invocation looks up besides its body, decoded once rather than per call.
    lookups: Lookups,
}

/// Decoded deployment documents and pinned versions. A document is reused while its stored
/// text is unchanged (compared byte for byte, so any writer's change is seen); a pinned
/// version's record and warning while [`Registry::catalog_changes`] has not moved (every
/// publish, yank and review decision moves it).
#[derive(Default)]
struct Lookups {
    /// `{owner}/{id}` → (stored text, decoded).
    deployments: Mutex<HashMap<String, (String, Arc<Deployment>)>>,
    /// `name@version digest` → (catalog changes when read, record and warning).
    pinned: Mutex<HashMap<String, (u64, Arc<Pinned>)>>,
}

/// A pinned version as an invocation needs it.
struct Pinned {
    record: VersionRecord,
    warning: Option<String>,
}

/// Past this many entries a lookup map is emptied (a few hundred deployments is the scale;
/// this only bounds memory against a flood of ids).
const MAX_LOOKUPS: usize = 10_000;

impl Lookups {
    /// The caller's deployment `id`, as [`load`] answers.
    fn deployment(&self, state: &Shared, caller: &Caller, id: &str) -> ApiResult<Arc<Deployment>> {
        let (key, json) = stored(state, caller, id)?;
        if let Some((text, deployment)) = lock(&self.deployments).get(&key)
            && *text == json
        {
            return Ok(deployment.clone());
        }
        let deployment = Arc::new(decode_owned(caller, id, &json)?);
        remember(&self.deployments, key, (json, deployment.clone()));
        Ok(deployment)
    }

    /// The record of `deployment`'s pinned version (checked against its digest) and the
    /// warning a deployment on it carries.
    fn pinned(&self, state: &Shared, deployment: &Deployment) -> ApiResult<Arc<Pinned>> {
        // Read before the data: a change committed after this read moves it again.
        let changes = state.registry.catalog_changes();
        let pin = &deployment.pinned;
        let key = format!("{}@{} {}", deployment.package, pin.version, pin.digest);
        if let Some((at, pinned)) = lock(&self.pinned).get(&key)
            && *at == changes
        {
            return Ok(pinned.clone());
        }
        let record = deployment.record(state, pin)?;
        let warning = warning(state, &record)?;
        let pinned = Arc::new(Pinned { record, warning });
        remember(&self.pinned, key, (changes, pinned.clone()));
        Ok(pinned)
    }
}

/// Puts `value` in a lookup map, emptied first when it holds [`MAX_LOOKUPS`] entries.
fn remember<V>(map: &Mutex<HashMap<String, V>>, key: String, value: V) {
    let mut map = lock(map);
    if map.len() >= MAX_LOOKUPS {
        map.clear();
    }
    map.insert(key, value);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    /// Starts the background flusher on first use.
    fn start(self: &Arc<Self>, registry: &Registry) {
        if self.registry.get().is_some() || self.registry.set(registry.clone()).is_err() {
            return;
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(live) = weak.upgrade() else { break };
                let _ = tokio::task::spawn_blocking(move || live.flush()).await;
            }
        });
    }

    fn record(&self, owner: &str, id: &str, delta: Meter) {
        let mut p = lock(&self.pending);
        p.daily
            .entry(format!("{owner}/{}", today()))
            .or_default()
            .add(&delta);
        p.life
            .entry(format!("{owner}/{id}"))
            .or_default()
            .add(&delta);
    }

    /// Keeps `input` (about `size` bytes of JSON) as the deployment's latest.
    fn keep(
        &self,
        inputs: &Docs,
        key: &str,
        input: KeptInput,
        size: usize,
        keep: usize,
    ) -> ApiResult<()> {
        if keep == 0 {
            return Ok(());
        }
        let loaded = lock(&self.kept).contains_key(key);
        let stored = if loaded { None } else { inputs.get(key)? };
        let mut kept = lock(&self.kept);
        let ring = kept.entry(key.to_owned()).or_default();
        if let Some(stored) = stored {
            for (input, size) in stored_inputs(&stored)? {
                ring.push(KeptInput::Text(input), size, keep);
            }
        }
        ring.push(input, size, keep);
        drop(kept);
        lock(&self.pending).dirty_inputs.insert(key.to_owned());
        Ok(())
    }

    /// The kept inputs of a deployment, oldest first.
    fn kept(&self, inputs: &Docs, key: &str) -> ApiResult<Vec<KeptInput>> {
        if let Some(ring) = lock(&self.kept).get(key) {
            return Ok(ring.values());
        }
        match inputs.get(key)? {
            Some(stored) => Ok(stored_inputs(&stored)?
                .into_iter()
                .map(|(text, _)| KeptInput::Text(text))
                .collect()),
            None => Ok(Vec::new()),
        }
    }

    /// Stored meter plus pending delta, for each key under `prefix` (`{owner}/`).
    fn meters(
        &self,
        store: &Docs,
        prefix: &str,
        daily: bool,
    ) -> ApiResult<BTreeMap<String, Meter>> {
        let _flushing = lock(&self.flushing);
        let mut out = BTreeMap::new();
        for (key, json) in store.list(prefix)? {
            out.insert(key, decode::<Meter>(&json)?);
        }
        let p = lock(&self.pending);
        let pending = if daily { &p.daily } else { &p.life };
        for (key, delta) in pending.range(prefix.to_owned()..) {
            if !key.starts_with(prefix) {
                break;
            }
            out.entry(key.clone()).or_default().add(delta);
        }
        Ok(out)
    }

    /// Writes pending meters and changed kept inputs. Failed writes go back to pending.
    fn flush(&self) {
        let Some(registry) = self.registry.get() else {
            return;
        };
        let _flushing = lock(&self.flushing);
        let taken = std::mem::take(&mut *lock(&self.pending));
        let mut failed = Pending::default();
        for (namespace, deltas, back) in [
            ("usage", taken.daily, &mut failed.daily),
            ("deployment-usage", taken.life, &mut failed.life),
        ] {
            for (key, delta) in deltas {
                if let Err(e) = add_stored(registry, namespace, &key, &delta) {
                    tracing::error!(error = %e, key, "storing a meter; will retry");
                    back.insert(key, delta);
                }
            }
        }
        for key in taken.dirty_inputs {
            let values = lock(&self.kept).get(&key).map(Kept::values);
            let Some(values) = values else { continue };
            let made = with_texts(values);
            let stored = made.map_err(|e| e.message).and_then(|made| {
                let texts: Vec<Arc<str>> = made.iter().map(|(_, text)| text.clone()).collect();
                if let Some(ring) = lock(&self.kept).get_mut(&key) {
                    ring.settle(&made);
                }
                registry
                    .docs("deployment-inputs")
                    .and_then(|d| d.put(&key, &join_kept(&texts)))
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = stored {
                tracing::error!(error = %e, key, "storing kept inputs; will retry");
                failed.dirty_inputs.insert(key);
            }
        }
        let mut p = lock(&self.pending);
        for (key, delta) in failed.daily {
            p.daily.entry(key).or_default().add(&delta);
        }
        for (key, delta) in failed.life {
            p.life.entry(key).or_default().add(&delta);
        }
        p.dirty_inputs.extend(failed.dirty_inputs);
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Adds `delta` to the stored meter at `key` (compare-and-swap, so concurrent flushers of
/// several routers over one registry never lose a delta).
fn add_stored(
    registry: &Registry,
    namespace: &str,
    key: &str,
    delta: &Meter,
) -> smelt_registry::Result<()> {
    let docs = registry.docs(namespace)?;
    loop {
        let old = docs.get(key)?;
        let mut meter: Meter = old
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        meter.add(delta);
        let new = serde_json::to_string(&meter).unwrap_or_default();
        if docs.compare_and_swap(key, old.as_deref(), Some(&new))? {
            return Ok(());
        }
    }
}

/// Kept inputs as stored: each one's JSON text and its size.
fn stored_inputs(json: &str) -> ApiResult<Vec<(Arc<str>, usize)>> {
    #[derive(Deserialize)]
    struct Stored {
        inputs: Vec<Value>,
    }
    let stored: Stored = decode(json)?;
    Ok(stored
        .inputs
        .into_iter()
        .map(|v| {
            let text: Arc<str> = v.to_string().into();
            let size = text.len();
            (text, size)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The deployment document.

/// An exact version, by digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pin {
    version: String,
    digest: String,
    wit_version: String,
}

impl Pin {
    fn of(record: &VersionRecord) -> Pin {
        Pin {
            version: record.version.to_string(),
            digest: record.component.to_string(),
            wit_version: record.wit_version.clone(),
        }
    }
}

/// One change of a deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Event {
    time_ms: u64,
    /// `deploy`, `upgrade`, `forced upgrade` or `rollback` (also the audit action).
    action: String,
    actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<Pin>,
    to: Pin,
    /// The gate report this change was decided on (SHA-256 of its JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gate_report_digest: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deployment {
    id: String,
    owner: String,
    /// The package name (other modules count deployments by this field).
    package: String,
    /// The requirement given at deploy time, for the record.
    requirement: String,
    pinned: Pin,
    /// Default params; a call's own params override them.
    params: Map<String, Value>,
    /// How many recent inputs are kept for upgrade checks.
    keep_inputs: usize,
    created_ms: u64,
    /// Earlier pins, most recent last; a rollback returns to the last one.
    previous: Vec<Pin>,
    history: Vec<Event>,
}

impl Deployment {
    fn key(&self) -> String {
        format!("{}/{}", self.owner, self.id)
    }

    fn subject(&self) -> String {
        format!("deployment/{}", self.id)
    }

    fn name(&self) -> ApiResult<PackageName> {
        self.package
            .parse()
            .map_err(|e| ApiError::internal("reading a stored deployment", e))
    }

    /// The pinned version's record, checked against the pinned digest.
    fn record(&self, state: &Shared, pin: &Pin) -> ApiResult<VersionRecord> {
        let version: Version = pin
            .version
            .parse()
            .map_err(|e| ApiError::internal("reading a stored deployment", e))?;
        let record = state.registry.version(&self.name()?, &version)?;
        if record.component.to_string() != pin.digest {
            return Err(ApiError::internal(
                "loading a pinned version",
                format!(
                    "{}@{} no longer has digest {}",
                    self.package, pin.version, pin.digest
                ),
            ));
        }
        Ok(record)
    }
}

/// The stored key and text of the caller's deployment `id`; another tenant's answers 404
/// like a missing one.
fn stored(state: &Shared, caller: &Caller, id: &str) -> ApiResult<(String, String)> {
    if id.is_empty() || id.len() > 64 || id.contains('/') {
        return Err(not_found(id));
    }
    let key = format!("{}/{id}", caller.name());
    match docs(state, "deployments")?.get(&key)? {
        Some(json) => Ok((key, json)),
        None => Err(not_found(id)),
    }
}

/// A stored deployment decoded, checked to be `caller`'s.
fn decode_owned(caller: &Caller, id: &str, json: &str) -> ApiResult<Deployment> {
    let deployment: Deployment = decode(json)?;
    if deployment.owner != caller.name() {
        return Err(not_found(id));
    }
    Ok(deployment)
}

/// The caller's deployment `id`.
fn load(state: &Shared, caller: &Caller, id: &str) -> ApiResult<Deployment> {
    let (_, json) = stored(state, caller, id)?;
    decode_owned(caller, id, &json)
}

/// Writes a changed deployment with its audit record, in one transaction.
fn store(state: &Shared, deployment: &Deployment, actor: &str, action: &str) -> ApiResult<()> {
    docs(state, "deployments")?.put_audited(
        &deployment.key(),
        &encode(deployment)?,
        actor,
        action,
        &deployment.subject(),
    )?;
    Ok(())
}

/// The warning a deployment on `record` carries, if any.
fn warning(state: &Shared, record: &VersionRecord) -> ApiResult<Option<String>> {
    let label = format!("{}@{}", record.name, record.version);
    if review_state(state, &record.name, &record.version)? == ReviewState::Suspended {
        return Ok(Some(format!(
            "{label} is suspended by the reviewers: this deployment keeps running it, but no new \
             deployment can take it; upgrade or roll back"
        )));
    }
    if record.yanked {
        return Ok(Some(format!(
            "{label} was yanked by its provider: this deployment keeps running its pinned copy"
        )));
    }
    Ok(None)
}

fn view(state: &Shared, deployment: &Deployment) -> ApiResult<Value> {
    let record = deployment.record(state, &deployment.pinned)?;
    let mut v = serde_json::to_value(deployment)
        .map_err(|e| ApiError::internal("encoding a deployment", e))?;
    v["warning"] = json!(warning(state, &record)?);
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// Handlers.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    package: String,
    version: String,
    #[serde(default)]
    params: Map<String, Value>,
    /// Recent inputs kept for upgrade checks (default and most: 20; 0 keeps none).
    #[serde(default)]
    keep_inputs: Option<usize>,
}

pub(crate) async fn create(
    State(state): State<Shared>,
    Extension(live): Extension<Arc<Live>>,
    caller: Caller,
    request: Result<Json<CreateRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Enterprise], "deploying")?;
    live.start(&state.registry);
    let request = body(request)?;
    let name: PackageName = request.package.parse()?;
    let req: VersionReq = request.version.parse()?;
    let keep_inputs = request.keep_inputs.unwrap_or(MAX_KEPT_INPUTS);
    if keep_inputs > MAX_KEPT_INPUTS {
        return Err(ApiError::unprocessable(
            "invalid_body",
            format!("keep_inputs: at most {MAX_KEPT_INPUTS}"),
        ));
    }
    let record = match resolve_for(&state, &caller, &name, &req) {
        Ok(record) => record,
        Err(e) => {
            // Say why when the match exists but is suspended: new deployments are refused.
            if let Ok(any) = state.registry.resolve(&name, &req)
                && review_state(&state, &name, &any.version)? == ReviewState::Suspended
            {
                return Err(conflict(
                    "suspended",
                    format!(
                        "{name}@{} is suspended by the reviewers: new deployments of it are refused",
                        any.version
                    ),
                ));
            }
            return Err(e);
        }
    };
    // Default params are checked against the declared schema now, not at the first call.
    let loaded = state.sandbox.load(&record).await?;
    let mut params_only = (*loaded.descriptor).clone();
    params_only.inputs.clear();
    input_from_json(&json!({"params": request.params}), &params_only)
        .map_err(|e| ApiError::unprocessable("invalid_params", e.to_string()))?;

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let created_ms = now_ms();
    let id = format!(
        "dep-{created_ms:x}-{:x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let pinned = Pin::of(&record);
    let deployment = Deployment {
        id,
        owner: caller.name().to_owned(),
        package: name.to_string(),
        requirement: req.to_string(),
        pinned: pinned.clone(),
        params: request.params,
        keep_inputs,
        created_ms,
        previous: Vec::new(),
        history: vec![Event {
            time_ms: created_ms,
            action: "deploy".into(),
            actor: caller.name().to_owned(),
            from: None,
            to: pinned,
            gate_report_digest: None,
        }],
    };
    let _changes = live.changes.lock().await;
    store(&state, &deployment, caller.name(), "deploy")?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"deployment": view(&state, &deployment)?})),
    ))
}

pub(crate) async fn list(State(state): State<Shared>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "listing deployments")?;
    let mut out = Vec::new();
    for (_, json) in docs(&state, "deployments")?.list(&format!("{}/", caller.name()))? {
        let deployment: Deployment = decode(&json)?;
        out.push(view(&state, &deployment)?);
    }
    Ok(Json(json!({"deployments": out})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvokeRequest {
    input: Value,
}

/// `input` with the deployment's default params under its own.
fn with_defaults(mut input: Value, defaults: &Map<String, Value>) -> ApiResult<Value> {
    let Some(top) = input.as_object_mut() else {
        return Err(ApiError::unprocessable(
            "invalid_input",
            "input: expected an object",
        ));
    };
    let params = top
        .entry("params")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(params) = params.as_object_mut() else {
        return Err(ApiError::unprocessable(
            "invalid_input",
            "params: expected an object",
        ));
    };
    for (name, value) in defaults {
        params.entry(name.clone()).or_insert_with(|| value.clone());
    }
    Ok(input)
}

/// [`invoke_typed`] on an input given as JSON, answered as a JSON tree (for the web UI, which
/// reads fields by name).
pub(crate) async fn invoke(
    state: State<Shared>,
    live: Extension<Arc<Live>>,
    caller: Caller,
    id: Path<String>,
    input: Value,
) -> ApiResult<Json<Value>> {
    let body = serde_json::to_vec(&json!({ "input": input }))
        .map_err(|e| ApiError::internal("encoding an invocation", e))?;
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    // Timed, but a JSON tree carries no header to report the phases in.
    let mut phases = Phases::since(std::time::Instant::now());
    let body = Bytes::from(body);
    let invoked = invoke_typed(state, live, caller, id, headers, body, &mut phases).await?;
    serde_json::to_value(invoked)
        .map(Json)
        .map_err(|e| ApiError::internal("encoding an invocation", e))
}

/// `POST /v1/deployments/{id}/invoke`: [`invoke_typed`], its answer encoded as the client
/// accepts (JSON, or CBOR for `Accept: application/cbor`) into a buffer sized from the output.
pub(crate) async fn invoke_route(
    state: State<Shared>,
    live: Extension<Arc<Live>>,
    caller: Caller,
    id: Path<String>,
    mut phases: Phases,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let wire = Wire::of_answer(&headers);
    let invoked = invoke_typed(state, live, caller, id, headers, body, &mut phases).await?;
    wire.answer(
        &invoked,
        2 * invoked.output.approx_bytes() + 4096,
        "encoding an invocation",
        phases,
    )
}

/// An invocation: the body read, the pinned version run, metered and kept; `phases` timed.
pub(crate) async fn invoke_typed(
    State(state): State<Shared>,
    Extension(live): Extension<Arc<Live>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
    phases: &mut Phases,
) -> ApiResult<Invoked> {
    phases.mark("receive");
    caller.require(&[Role::Enterprise], "invoking a deployment")?;
    live.start(&state.registry);
    let deployment = live.lookups.deployment(&state, &caller, &id)?;
    let wire = Wire::of_request(&headers)?;
    // Always the pinned digest: never re-resolved, whatever was released, yanked or suspended.
    let pinned = live.lookups.pinned(&state, &deployment)?;
    let record = &pinned.record;
    let loaded = state.sandbox.load(record).await?;
    phases.mark("lookup");
    let reader = InputReader::new(&loaded.descriptor).with_defaults(&deployment.params);
    let input = wire.read_input(&body, &reader, &["input"])?;
    phases.mark("read");
    let rows = input.rows();
    let limits = limits_for(record, rows);
    let permit = state.runs.try_acquire(&deployment.owner)?;
    let run = state.sandbox.run(loaded.plugin, input, limits).await;
    drop(permit);
    let cost = cost_cny(record, run.usage.fuel);
    live.record(
        &deployment.owner,
        &deployment.id,
        Meter {
            runs: 1,
            errors: u64::from(run.output.is_err()),
            rows: rows as u64,
            fuel: run.usage.fuel,
            cost_cny: cost,
        },
    );
    if run.output.is_ok() && deployment.keep_inputs > 0 {
        let size = body.len();
        live.keep(
            &docs(&state, "deployment-inputs")?,
            &deployment.key(),
            KeptInput::Body(wire, body),
            size,
            deployment.keep_inputs,
        )?;
    }
    let output = run.output?;
    // The metering and keeping above count with the run: they are done once it is.
    phases.mark("run");
    // Serialised straight from these types: no intermediate JSON tree of a large output.
    Ok(Invoked {
        deployment: deployment.id.clone(),
        package: deployment.package.clone(),
        version: record.version.to_string(),
        digest: record.component.to_string(),
        output,
        usage: run.usage,
        cost_cny: cost,
        logs: run.logs,
        warning: pinned.warning.clone(),
    })
}

/// The answer to an invocation.
#[derive(Debug, Serialize)]
pub(crate) struct Invoked {
    deployment: String,
    package: String,
    version: String,
    digest: String,
    output: Output,
    usage: Usage,
    cost_cny: f64,
    logs: Vec<LogLine>,
    warning: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The upgrade gate.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpgradeRequest {
    version: String,
    #[serde(default)]
    dry_run: bool,
    /// Switch even when the shadow run shows differences (recorded as forced). WIT and review
    /// checks cannot be forced.
    #[serde(default)]
    force: bool,
    /// Absolute tolerance for numbers in the diff (default 1e-9).
    #[serde(default)]
    tolerance: Option<f64>,
}

/// Whether a deployment on WIT `current` can take a component on WIT `candidate`: the host runs
/// both, and every version it runs carries the same data model (typed tables and params in;
/// tables, metrics and findings out; 0.2.0 changed only how text crosses the boundary), so the
/// deployment's params and kept inputs mean the same to either. A future version that changes
/// the model must narrow this.
fn wit_compatible(current: &str, candidate: &str) -> bool {
    [current, candidate]
        .iter()
        .all(|v| smelt_runtime::WIT_VERSIONS.contains(v))
}

/// The expected-output form of `output` (for [`compare_expected`]): every table value, every
/// metric, every finding by code and row.
fn as_expected(output: &Output) -> Value {
    let metrics: Map<String, Value> = output
        .metrics
        .iter()
        .map(|m| (m.name.clone(), json!(m.value)))
        .collect();
    let findings: Vec<Value> = output
        .findings
        .iter()
        .map(|f| json!({"code": f.code, "row": f.row}))
        .collect();
    json!({"tables": output.tables, "metrics": metrics, "findings": findings})
}

/// Differences of `new` from `old` (messages read "expected <old>, got <new>"), both ways.
fn diff_outputs(old: &Output, new: &Output, tolerance: f64) -> Vec<String> {
    let mut differences = compare_expected(&as_expected(old), new, tolerance);
    differences.extend(
        compare_expected(&as_expected(new), old, tolerance)
            .into_iter()
            .filter(|p| p.ends_with("missing from the output"))
            .map(|p| {
                format!(
                    "{}: only in the new version's output",
                    p.trim_end_matches(": missing from the output")
                )
            }),
    );
    differences
}

struct Side {
    record: VersionRecord,
    loaded: super::sandbox::Loaded,
}

/// Runs one kept input on one side: the output or an error text, and fuel and cost.
async fn shadow(
    state: &Shared,
    side: &Side,
    input: &Value,
) -> ApiResult<(Result<Output, String>, u64, f64)> {
    let input = match input_from_json(input, &side.loaded.descriptor) {
        Ok(input) => input,
        Err(e) => return Ok((Err(format!("invalid_input: {e}")), 0, 0.0)),
    };
    let limits = limits_for(&side.record, input.rows());
    let run = state
        .sandbox
        .run(side.loaded.plugin.clone(), input, limits)
        .await;
    let cost = cost_cny(&side.record, run.usage.fuel);
    Ok((
        run.output.map_err(|e| format!("{}: {e}", e.code())),
        run.usage.fuel,
        cost,
    ))
}

fn change(old: f64, new: f64) -> Value {
    json!({"current": old, "candidate": new, "delta": new - old,
           "ratio": if old > 0.0 { Some(new / old) } else { None }})
}

/// The gate report for moving `deployment` to `target`.
async fn gate(
    state: &Shared,
    live: &Live,
    deployment: &Deployment,
    target: VersionRecord,
    tolerance: f64,
) -> ApiResult<(Value, bool, bool)> {
    let current = deployment.record(state, &deployment.pinned)?;
    let wit_ok = wit_compatible(&current.wit_version, &target.wit_version);
    let review = review_state(state, &target.name, &target.version)?;
    let review_ok = review == ReviewState::Approved && !target.yanked;

    let inputs = live.kept(&docs(state, "deployment-inputs")?, &deployment.key())?;
    let old = Side {
        loaded: state.sandbox.load(&current).await?,
        record: current,
    };
    let new = Side {
        loaded: state.sandbox.load(&target).await?,
        record: target,
    };
    let permit = state.runs.try_acquire(&deployment.owner)?;
    let mut runs = Vec::new();
    let (mut fuel, mut cost) = ((0u64, 0u64), (0.0, 0.0));
    let mut differing = 0usize;
    for (index, kept) in inputs.iter().enumerate() {
        let input = with_defaults(kept.json()?, &deployment.params)?;
        let (a, a_fuel, a_cost) = shadow(state, &old, &input).await?;
        let (b, b_fuel, b_cost) = shadow(state, &new, &input).await?;
        fuel = (fuel.0 + a_fuel, fuel.1 + b_fuel);
        cost = (cost.0 + a_cost, cost.1 + b_cost);
        let differences = match (&a, &b) {
            (Ok(a), Ok(b)) => diff_outputs(a, b, tolerance),
            (Err(a), Err(b)) if a.split(':').next() == b.split(':').next() => Vec::new(),
            (Err(a), Ok(_)) => vec![format!(
                "the current version failed ({a}); the new one answers"
            )],
            (_, Err(b)) => vec![format!("the new version fails: {b}")],
        };
        if !differences.is_empty() {
            differing += 1;
        }
        runs.push(json!({
            "input": index,
            "equal": differences.is_empty(),
            "difference_count": differences.len(),
            "differences": differences.iter().take(MAX_LISTED_DIFFERENCES).collect::<Vec<_>>(),
            "fuel": {"current": a_fuel, "candidate": b_fuel},
            "cost_cny": {"current": a_cost, "candidate": b_cost},
        }));
    }
    drop(permit);
    let shadow_ok = differing == 0;
    let pass = wit_ok && review_ok && shadow_ok;
    let report = json!({
        "deployment": deployment.id,
        "package": deployment.package,
        "from": deployment.pinned,
        "to": Pin::of(&new.record),
        "checks": {
            "wit": {"pass": wit_ok, "current": old.record.wit_version, "candidate": new.record.wit_version,
                    "rule": "the host runs both WIT versions (one data model)"},
            "review": {"pass": review_ok, "state": review, "yanked": new.record.yanked},
            "shadow": {"pass": shadow_ok, "inputs": inputs.len(), "differing": differing,
                       "tolerance": tolerance,
                       "note": if inputs.is_empty() {
                           "no kept inputs yet: nothing was compared; invoke the deployment first"
                       } else {
                           "differences read `expected <current version>, got <candidate>`"
                       },
                       "runs": runs},
        },
        "fuel": change(fuel.0 as f64, fuel.1 as f64),
        "cost_cny": change(cost.0, cost.1),
        "pass": pass,
    });
    Ok((report, pass, wit_ok && review_ok))
}

pub(crate) async fn upgrade(
    State(state): State<Shared>,
    Extension(live): Extension<Arc<Live>>,
    caller: Caller,
    Path(id): Path<String>,
    request: Result<Json<UpgradeRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(&[Role::Enterprise], "upgrading a deployment")?;
    live.start(&state.registry);
    let deployment = load(&state, &caller, &id)?;
    let request = body(request)?;
    let tolerance = request.tolerance.unwrap_or(DEFAULT_DIFF_TOLERANCE);
    if !tolerance.is_finite() || tolerance < 0.0 {
        return Err(ApiError::unprocessable(
            "invalid_body",
            "tolerance: expected a finite number ≥ 0",
        ));
    }
    let req: VersionReq = request.version.parse()?;
    let target = resolve_for(&state, &caller, &deployment.name()?, &req)?;
    if target.component.to_string() == deployment.pinned.digest {
        return Err(conflict(
            "already_pinned",
            format!(
                "deployment `{id}` already runs {}@{}",
                deployment.package, target.version
            ),
        ));
    }
    let (report, pass, forceable) = gate(&state, &live, &deployment, target, tolerance).await?;
    let report_digest = Digest::of(encode(&report)?.as_bytes()).to_string();
    if request.dry_run {
        return Ok((
            StatusCode::OK,
            Json(
                json!({"dry_run": true, "switched": false, "report": report, "report_digest": report_digest}),
            ),
        ));
    }
    let forced = !pass && request.force && forceable;
    if !pass && !forced {
        let why = if forceable {
            "the new version's outputs differ from the current one's on kept inputs; review the report, or give \"force\": true"
        } else {
            "the new version fails the WIT or review check"
        };
        let body = json!({
            "error": {"code": "gate_failed", "message": format!("upgrade refused: {why}")},
            "switched": false, "report": report, "report_digest": report_digest,
        });
        return Ok((StatusCode::CONFLICT, Json(body)));
    }
    let _changes = live.changes.lock().await;
    // Re-read under the lock: another change may have landed while the gate ran.
    let mut deployment = load(&state, &caller, &id)?;
    let to: Pin = serde_json::from_value(report["to"].clone())
        .map_err(|e| ApiError::internal("reading a gate report", e))?;
    if serde_json::to_value(&deployment.pinned).ok() != Some(report["from"].clone()) {
        return Err(conflict(
            "changed",
            "the deployment changed while the gate ran; run the upgrade again",
        ));
    }
    let action = if forced { "forced upgrade" } else { "upgrade" };
    let from = std::mem::replace(&mut deployment.pinned, to.clone());
    deployment.previous.push(from.clone());
    deployment.history.push(Event {
        time_ms: now_ms(),
        action: action.into(),
        actor: caller.name().to_owned(),
        from: Some(from),
        to,
        gate_report_digest: Some(report_digest.clone()),
    });
    store(&state, &deployment, caller.name(), action)?;
    Ok((
        StatusCode::OK,
        Json(json!({
            "dry_run": false, "switched": true, "forced": forced,
            "report": report, "report_digest": report_digest,
            "deployment": view(&state, &deployment)?,
        })),
    ))
}

pub(crate) async fn rollback(
    State(state): State<Shared>,
    Extension(live): Extension<Arc<Live>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "rolling back a deployment")?;
    live.start(&state.registry);
    let _changes = live.changes.lock().await;
    let mut deployment = load(&state, &caller, &id)?;
    let Some(to) = deployment.previous.pop() else {
        return Err(conflict(
            "nothing_to_roll_back",
            format!("deployment `{id}` has no earlier version"),
        ));
    };
    let from = std::mem::replace(&mut deployment.pinned, to.clone());
    deployment.history.push(Event {
        time_ms: now_ms(),
        action: "rollback".into(),
        actor: caller.name().to_owned(),
        from: Some(from),
        to,
        gate_report_digest: None,
    });
    store(&state, &deployment, caller.name(), "rollback")?;
    Ok(Json(json!({"deployment": view(&state, &deployment)?})))
}

pub(crate) async fn history(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "reading a deployment's history")?;
    let deployment = load(&state, &caller, &id)?;
    Ok(Json(json!({
        "deployment": deployment.id,
        "pinned": deployment.pinned,
        "previous": deployment.previous,
        "history": deployment.history,
    })))
}

/// A stored self-assessment, as far as acceptance needs it.
#[derive(Deserialize)]
struct AssessmentDoc {
    id: String,
    time_ms: u64,
    result: smelt_assess::Assessment,
}

fn assessment_summary(a: &AssessmentDoc) -> Value {
    json!({"id": a.id, "time_ms": a.time_ms, "rule": a.result.rule, "total": a.result.total,
           "level": a.result.level})
}

/// Every audit record about `subject`, in order.
fn audit_of(state: &Shared, subject: &str) -> ApiResult<Vec<smelt_registry::AuditRecord>> {
    let mut out = Vec::new();
    let mut from = 1;
    loop {
        let page = state
            .registry
            .audit_list(from, smelt_registry::MAX_AUDIT_PAGE)?;
        let Some(last) = page.last() else { break };
        from = last.seq + 1;
        out.extend(page.into_iter().filter(|r| r.subject == subject));
    }
    Ok(out)
}

pub(crate) async fn acceptance(
    State(state): State<Shared>,
    Extension(live): Extension<Arc<Live>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "acceptance evidence")?;
    live.start(&state.registry);
    let deployment = load(&state, &caller, &id)?;
    let assessments: Vec<AssessmentDoc> = docs(&state, "assessments")?
        .list(&format!("{}/", caller.name()))?
        .iter()
        .map(|(_, j)| decode(j))
        .collect::<ApiResult<_>>()?;
    // Before: the latest assessment up to the deployment; after: the latest since.
    let before = assessments
        .iter()
        .rfind(|a| a.time_ms <= deployment.created_ms);
    let after = assessments
        .iter()
        .rfind(|a| a.time_ms > deployment.created_ms);
    let level_change = match (before, after) {
        (Some(b), Some(a)) => Some(i32::from(a.result.level) - i32::from(b.result.level)),
        _ => None,
    };
    let progression = match (before, after) {
        (Some(b), Some(a)) => Some(b.result.compare(&a.result)),
        _ => None,
    };
    let meter = live
        .meters(&docs(&state, "deployment-usage")?, &deployment.key(), false)?
        .remove(&deployment.key())
        .unwrap_or_default();
    let first = deployment
        .history
        .first()
        .map_or(&deployment.pinned, |e| &e.to);
    let deploy_cny = deployment
        .record(&state, first)
        .map_or(0.0, |r| r.manifest.listing.price.deploy_cny);
    let audit = audit_of(&state, &deployment.subject())?;
    Ok(Json(json!({
        "deployment": view(&state, &deployment)?,
        "assessments": {
            "before": before.map(assessment_summary),
            "after": after.map(assessment_summary),
            "level_change": level_change,
            "progression": progression,
        },
        "usage": meter,
        "cost_cny": {"deploy": deploy_cny, "runs": meter.cost_cny,
                     "total": ((deploy_cny + meter.cost_cny) * 1e6).round() / 1e6},
        "audit": audit,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
}

pub(crate) async fn usage(
    State(state): State<Shared>,
    Extension(live): Extension<Arc<Live>>,
    caller: Caller,
    query: Result<Query<UsageQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Enterprise], "reading usage")?;
    let Query(query) =
        query.map_err(|e| ApiError::unprocessable("invalid_query", e.body_text()))?;
    let from = query
        .from
        .as_deref()
        .map(|d| parse_date("from", d))
        .transpose()?;
    let to = query
        .to
        .as_deref()
        .map(|d| parse_date("to", d))
        .transpose()?;
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        return Err(ApiError::unprocessable(
            "invalid_date",
            format!("from {f} is after to {t}"),
        ));
    }
    let prefix = format!("{}/", caller.name());
    let meters = live.meters(&docs(&state, "usage")?, &prefix, true)?;
    let mut total = Meter::default();
    let mut days = Vec::new();
    for (key, meter) in meters {
        let date = &key[prefix.len()..];
        if from.as_deref().is_some_and(|f| date < f) || to.as_deref().is_some_and(|t| date > t) {
            continue;
        }
        total.add(&meter);
        days.push(
            json!({"date": date, "runs": meter.runs, "errors": meter.errors,
                         "rows": meter.rows, "fuel": meter.fuel, "cost_cny": meter.cost_cny}),
        );
    }
    Ok(Json(
        json!({"tenant": caller.name(), "from": from, "to": to, "days": days, "total": total}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

pub(crate) async fn audit(
    State(state): State<Shared>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin, Role::Reviewer], "reading the audit log")?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query
        .limit
        .unwrap_or(100)
        .clamp(1, smelt_registry::MAX_AUDIT_PAGE);
    let records = state
        .registry
        .audit_list(query.from.unwrap_or(1).max(1), limit)?;
    let next = (records.len() == limit)
        .then(|| records.last().map(|r| r.seq + 1))
        .flatten();
    Ok(Json(json!({"records": records, "next": next})))
}

pub(crate) async fn verify(State(state): State<Shared>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin, Role::Reviewer], "verifying the audit log")?;
    match state.registry.verify() {
        Ok(summary) => Ok(Json(
            json!({"ok": true, "records": summary.records, "head": summary.head}),
        )),
        Err(e @ smelt_registry::Error::AuditBroken { .. }) => {
            tracing::error!(error = %e, "audit log verification failed");
            Err(conflict("audit_broken", e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(day_of(2024, 2, 29)), "2024-02-29");
        assert_eq!(date_of_day(20_454), "2026-01-01");
        for good in ["2026-11-29", "2000-02-29", "1999-12-31"] {
            assert_eq!(parse_date("from", good).unwrap(), good);
        }
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "26-01-01",
            "2026-1-01",
            "yesterday",
            "2026-01-0a",
            "",
        ] {
            assert!(parse_date("from", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kept_inputs_are_bounded_in_count_and_bytes() {
        let stored = |v: Value| KeptInput::Text(v.to_string().into());
        let mut kept = Kept::default();
        for i in 0..30 {
            kept.push(stored(json!({"n": i})), 8, MAX_KEPT_INPUTS);
        }
        assert_eq!(kept.inputs.len(), MAX_KEPT_INPUTS);
        assert_eq!(
            kept.inputs.front().unwrap().0.json().unwrap(),
            json!({"n": 10})
        );
        let big = json!("x".repeat(MAX_KEPT_BYTES / 2));
        kept.push(stored(big.clone()), MAX_KEPT_BYTES / 2 + 2, MAX_KEPT_INPUTS);
        kept.push(stored(big.clone()), MAX_KEPT_BYTES / 2 + 2, MAX_KEPT_INPUTS);
        assert!(kept.bytes <= MAX_KEPT_BYTES, "{}", kept.bytes);
        assert_eq!(kept.inputs.len(), 1);
        kept.push(stored(json!(0)), MAX_KEPT_BYTES + 1, MAX_KEPT_INPUTS);
        assert_eq!(
            kept.inputs.back().unwrap().0.json().unwrap(),
            big,
            "an input over the bound is not kept"
        );
        let stored = stored_inputs(&kept_json(&kept.values()).unwrap()).unwrap();
        assert_eq!(stored.len(), kept.inputs.len());
        assert_eq!(*stored[0].0, big.to_string());
    }

    #[test]
    fn kept_cbor_bodies_are_stored_within_the_bound_as_json() {
        // Floats are 9 bytes in CBOR and up to 24 characters in JSON: two bodies of 30,000
        // are under the bound as received and over it as stored.
        let values: Vec<f64> = (0..30_000)
            .map(|i| -1.234_567_890_123_4e-300 * f64::from(i))
            .collect();
        let input = json!({"input": {"tables": {"t": {"x": values}}}});
        let body = Bytes::from(cbor4ii::serde::to_vec(Vec::new(), &input).unwrap());
        assert!(body.len() < MAX_KEPT_BYTES / 2, "{}", body.len());
        let mut kept = Kept::default();
        kept.push(KeptInput::Text(r#"{"old":true}"#.into()), 12, 20);
        for _ in 0..2 {
            kept.push(KeptInput::Body(Wire::Cbor, body.clone()), body.len(), 20);
        }
        assert_eq!(kept.inputs.len(), 3);
        let json = kept_json(&kept.values()).unwrap();
        assert!(json.len() <= MAX_KEPT_BYTES + 20, "{}", json.len());
        let stored = stored_inputs(&json).unwrap();
        assert_eq!(stored.len(), 1, "the newest only");
        assert_eq!(*stored[0].0, input["input"].to_string());
        // Once stored, the ring holds what the store does.
        let made = with_texts(kept.values()).unwrap();
        kept.settle(&made);
        let texts: Vec<String> = kept
            .values()
            .iter()
            .map(|input| input.text().unwrap().to_string())
            .collect();
        assert!(
            texts == [input["input"].to_string()],
            "the ring holds {} inputs, the store 1",
            texts.len()
        );
        assert!(kept.bytes <= MAX_KEPT_BYTES, "{}", kept.bytes);
    }

    #[test]
    fn a_kept_body_is_stored_as_its_input() {
        let body = br#"{"input": {"tables": {"t": {"x": [1.5, 2]}}, "params": {"k": "v"}}}"#;
        let kept = [
            KeptInput::Body(Wire::Json, Bytes::from_static(body)),
            KeptInput::Text(r#"{"tables":{}}"#.into()),
        ];
        let stored = stored_inputs(&kept_json(&kept).unwrap()).unwrap();
        let input = json!({"tables": {"t": {"x": [1.5, 2]}}, "params": {"k": "v"}});
        assert_eq!(*stored[0].0, input.to_string());
        assert_eq!(&*stored[1].0, r#"{"tables":{}}"#);
        let garbled = KeptInput::Body(Wire::Json, Bytes::from_static(b"{\"input\": "));
        assert!(kept_json(&[garbled]).is_err());
    }

    #[test]
    fn a_stored_body_is_kept_as_its_text_and_encoded_once() {
        let body = Bytes::from_static(br#"{"input": {"tables": {"t": {"x": [1.5]}}}}"#);
        let mut kept = Kept::default();
        kept.push(KeptInput::Body(Wire::Json, body.clone()), body.len(), 20);
        let made = with_texts(kept.values()).unwrap();
        // Meanwhile another invocation keeps a body of the same text: it is not the one made.
        let later = Bytes::copy_from_slice(&body);
        kept.push(KeptInput::Body(Wire::Json, later), body.len(), 20);
        kept.settle(&made);
        let kinds: Vec<bool> = kept
            .inputs
            .iter()
            .map(|(input, _)| matches!(input, KeptInput::Text(_)))
            .collect();
        assert_eq!(kinds, [true, false]);
        match &kept.inputs[0].0 {
            KeptInput::Text(text) => assert!(Arc::ptr_eq(text, &made[0].1), "shared, not copied"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kept.inputs[0].0.json().unwrap(),
            kept.inputs[1].0.json().unwrap()
        );
    }

    #[test]
    fn diff_names_changes_and_additions_within_tolerance() {
        use smelt_runtime::{ColumnValues, Metric, Table};
        let output = |x: f64, extra: bool| {
            let mut table = Table::new();
            table.insert("d".into(), ColumnValues::Float64(vec![1.0, x]));
            let mut metrics = vec![Metric {
                name: "m".into(),
                value: x,
                unit: String::new(),
            }];
            if extra {
                metrics.push(Metric {
                    name: "n".into(),
                    value: 0.0,
                    unit: String::new(),
                });
            }
            Output {
                tables: [("r".to_owned(), table)].into_iter().collect(),
                metrics,
                findings: Vec::new(),
            }
        };
        assert_eq!(
            diff_outputs(&output(2.0, false), &output(2.0 + 1e-12, false), 1e-9),
            Vec::<String>::new()
        );
        let d = diff_outputs(&output(2.0, false), &output(2.5, true), 1e-9);
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(
            d[0].contains("column `d`, row 1: expected 2.0, got 2.5"),
            "{d:#?}"
        );
        assert!(d[1].contains("metric `m`"), "{d:#?}");
        assert!(
            d[2].contains("metric `n`") && d[2].contains("only in the new"),
            "{d:#?}"
        );
        assert!(diff_outputs(&output(2.0, false), &output(2.5, false), 1.0).is_empty());
    }

    #[test]
    fn wit_versions_the_host_runs_are_compatible() {
        assert!(wit_compatible("0.1.0", "0.2.0"));
        assert!(wit_compatible("0.2.0", "0.1.0"));
        assert!(wit_compatible("0.2.0", "0.2.0"));
        assert!(
            !wit_compatible("0.1.0", "0.3.0"),
            "a version the host does not run"
        );
        assert!(!wit_compatible("0.1.0", "junk"));
    }
}
