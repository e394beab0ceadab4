//! The reviewer's queue: a version's page, the full conformance suite with live progress,
//! the scorecard, and approve / reject / suspend with a note.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use maud::html;
use serde_json::{Value, json};
use smelt_registry::Role;

use super::{Ctx, UiResult, body, encode, see_other};
use crate::server::{packages, reviews};

/// Conformance runs started from the UI, by job id: their progress events and, at the end,
/// the result. Bounded: the oldest finished job goes when a new one would pass the cap.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Mutex<Job>>>>,
}

/// Jobs remembered at most (each a few KiB of events).
const MAX_JOBS: usize = 256;

#[derive(Default)]
struct Job {
    owner: String,
    events: Vec<Value>,
    done: Option<Result<Value, String>>,
    order: u64,
}

/// GET `/review`: versions waiting for a decision.
pub async fn queue_page(ctx: Ctx) -> UiResult {
    let caller = ctx
        .require(&[Role::Reviewer, Role::Admin], "the review queue")?
        .clone();
    let Json(queue) = reviews::queue(State(ctx.state.clone()), caller)
        .await
        .map_err(|e| ctx.error(e))?;
    let items: Vec<&Value> = queue["queue"].as_array().into_iter().flatten().collect();
    Ok(ctx.page(
        ctx.t("review_queue"),
        html! {
            @if items.is_empty() {
                p { (ctx.t("queue_empty")) }
            } @else {
                ul.cards {
                    @for v in &items {
                        @let name = v["name"].as_str().unwrap_or_default();
                        @let version = v["version"].as_str().unwrap_or_default();
                        li.card {
                            h2 { a href={ "/review/" (name) "/" (version) } { (super::catalog::title_of(&ctx, v)) " " (version) } }
                            p.meta { code { (name) } " · " (ctx.t("provider_label")) ": " (v["provider"].as_str().unwrap_or_default()) }
                            p.summary { (v["summary"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
        },
    ))
}

/// GET `/review/{name}/{version}`.
pub async fn version_page(ctx: Ctx, Path((name, version)): Path<(String, String)>) -> UiResult {
    let caller = ctx
        .require(&[Role::Reviewer, Role::Admin], "reviewing")?
        .clone();
    let Json(record) = packages::version(
        State(ctx.state.clone()),
        caller.clone(),
        Path((name.clone(), version.clone())),
    )
    .await
    .map_err(|e| ctx.error(e))?;
    let state = record["review"]["state"].as_str().unwrap_or("pending");
    let reviewer = caller.account.role == Role::Reviewer;
    Ok(ctx.page(
        &format!("{} · {} {}", ctx.t("review_queue"), name, version),
        html! {
            p.meta {
                a href={ "/solutions/" (name) "?v=" (version) } { (super::catalog::title_of(&ctx, &record)) }
                " · " (ctx.t("review_state")) ": " span class={ "tag state-" (state) } { (ctx.t(super::catalog::state_key(state))) }
            }
            @if reviewer {
                section aria-labelledby="conf" {
                    h2 #conf { (ctx.t("scorecard")) }
                    form #conformance-form method="post" action={ "/review/" (name) "/" (version) "/conformance" } {
                        (ctx.csrf_field())
                        button type="submit" { (ctx.t("run_conformance")) }
                    }
                    div #progress-box hidden {
                        label for="progress" { (ctx.t("progress")) }
                        progress #progress max="1" value="0" {}
                        ol #progress-log aria-live="polite" {}
                        p #progress-done role="status" hidden {
                            (ctx.t("conformance_done")) " — "
                            a href={ "/review/" (name) "/" (version) } { (ctx.t("scorecard")) }
                        }
                    }
                    (super::catalog::scorecard(&ctx, &record["scorecard"]))
                }
                section aria-labelledby="decide" {
                    h2 #decide { (ctx.t("decision")) }
                    form.card method="post" action={ "/review/" (name) "/" (version) "/decision" } {
                        (ctx.csrf_field())
                        fieldset {
                            legend { (ctx.t("decision")) }
                            @for (value, key) in [("approve", "approve"), ("reject", "reject"), ("suspend", "suspend")] {
                                div.field.check {
                                    input id={ "d-" (value) } type="radio" name="decision" value=(value) required checked[value == "approve"];
                                    label for={ "d-" (value) } { (ctx.t(key)) }
                                }
                            }
                        }
                        div.field {
                            label for="note" { (ctx.t("note")) }
                            textarea #note name="note" rows="3" maxlength="4096" {}
                        }
                        button type="submit" { (ctx.t("submit")) }
                    }
                }
            } @else {
                (super::catalog::scorecard(&ctx, &record["scorecard"]))
            }
            section aria-labelledby="schema" {
                h2 #schema { (ctx.t("schema")) }
                (super::catalog::schema(&ctx, &record["descriptor"]))
            }
        },
    ))
}

/// POST `/review/{name}/{version}/decision`.
pub async fn decide(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> UiResult {
    let caller = ctx.require(&[Role::Reviewer], "a review decision")?.clone();
    ctx.check_csrf(form.get("csrf").map(String::as_str))?;
    let request = body(json!({
        "decision": form.get("decision").cloned().unwrap_or_default(),
        "note": form.get("note").cloned().unwrap_or_default(),
    }))
    .map_err(|e| ctx.error(e))?;
    let _decided = reviews::decide(
        State(ctx.state.clone()),
        caller,
        Path((name.clone(), version.clone())),
        Ok(Json(request)),
    )
    .await
    .map_err(|e| ctx.error(e))?;
    Ok(see_other(&format!(
        "/review/{}/{}",
        encode(&name),
        encode(&version)
    )))
}

/// POST `/review/{name}/{version}/conformance`: starts the suite in the background and answers
/// `{"job": id}` (the page's script polls the job); without script, waits and shows the page.
pub async fn start_conformance(
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path((name, version)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> UiResult {
    let caller = ctx
        .require(&[Role::Reviewer], "running conformance")?
        .clone();
    ctx.check_csrf(form.get("csrf").map(String::as_str))?;
    let scripted = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let job = Arc::new(Mutex::new(Job {
        owner: caller.name().to_owned(),
        ..Job::default()
    }));
    let id = super::random_hex();
    {
        static ORDER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let mut jobs = ctx.ui.jobs.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.len() >= MAX_JOBS {
            let oldest = jobs
                .iter()
                .filter(|(_, j)| j.lock().is_ok_and(|j| j.done.is_some()))
                .min_by_key(|(_, j)| j.lock().map_or(0, |j| j.order))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    jobs.remove(&k);
                }
                None => {
                    return Err(ctx.error(crate::server::ApiError::busy(
                        "busy",
                        "too many conformance runs at once; retry shortly",
                        5,
                    )));
                }
            }
        }
        if let Ok(mut j) = job.lock() {
            j.order = ORDER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        jobs.insert(id.clone(), job.clone());
    }
    let state = ctx.state.clone();
    let events = job.clone();
    let task = tokio::spawn(async move {
        let result = reviews::conformance_with(&state, &caller, &name, &version, None, move |p| {
            if let Ok(mut j) = events.lock() {
                j.events.push(p.to_json());
            }
        })
        .await;
        if let Ok(mut j) = job.lock() {
            j.done = Some(result.map_err(|e| e.message));
        }
    });
    if scripted {
        return Ok(Json(json!({"job": id})).into_response());
    }
    let _ = task.await;
    Ok(see_other(ctx.path.trim_end_matches("/conformance")))
}

/// GET `/review/jobs/{id}`: a job's events so far and, when finished, its outcome.
pub async fn job(ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(caller) = ctx.caller.as_ref() else {
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    };
    let jobs = ctx.ui.jobs.jobs.lock().unwrap_or_else(|p| p.into_inner());
    let Some(job) = jobs.get(&id).cloned() else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    drop(jobs);
    let job = job.lock().unwrap_or_else(|p| p.into_inner());
    if job.owner != caller.name() {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    let done = match &job.done {
        None => Value::Null,
        Some(Ok(v)) => json!({"ok": true, "pass": v["scorecard"]["pass"]}),
        Some(Err(e)) => json!({"ok": false, "error": e}),
    };
    Json(json!({"events": job.events, "done": done})).into_response()
}
