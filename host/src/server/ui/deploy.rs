//! Deployments: deploy, the list, one deployment (invoke with a file, upgrade with the gate
//! report and output diff side by side, rollback, history, usage).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::{Extension, Form, Json};
use maud::{Markup, html};
use serde_json::{Value, json};
use smelt_registry::Role;
use smelt_runtime::Descriptor;

use super::trial::{FormData, input_fields, input_from_form, read_form};
use super::{Ctx, UiResult, body, cell, encode, num, see_other};
use crate::server::deployments::{self, Live};
use crate::server::{ApiError, packages};

fn time(ms: &Value) -> String {
    let Some(ms) = ms.as_u64() else {
        return "—".into();
    };
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// POST `/deployments` (from a solution page).
pub async fn create(
    ctx: Ctx,
    Extension(live): Extension<Arc<Live>>,
    Form(form): Form<HashMap<String, String>>,
) -> UiResult {
    let caller = ctx.require(&[Role::Enterprise], "deploying")?.clone();
    ctx.check_csrf(form.get("csrf").map(String::as_str))?;
    let request = body(json!({
        "package": form.get("package").cloned().unwrap_or_default(),
        "version": form.get("version").cloned().unwrap_or_default(),
    }))
    .map_err(|e| ctx.error(e))?;
    let (_, Json(created)) = deployments::create(
        State(ctx.state.clone()),
        Extension(live),
        caller,
        Ok(Json(request)),
    )
    .await
    .map_err(|e| ctx.error(e))?;
    let id = created["deployment"]["id"].as_str().unwrap_or_default();
    Ok(see_other(&format!("/deployments/{}", encode(id))))
}

/// GET `/deployments`: the list and the tenant's usage by day.
pub async fn list_page(ctx: Ctx, Extension(live): Extension<Arc<Live>>) -> UiResult {
    let caller = ctx
        .require(&[Role::Enterprise], "listing deployments")?
        .clone();
    let Json(list) = deployments::list(State(ctx.state.clone()), caller.clone())
        .await
        .map_err(|e| ctx.error(e))?;
    let Json(usage) = deployments::usage(
        State(ctx.state.clone()),
        Extension(live),
        caller,
        Ok(Query(body(json!({})).map_err(|e| ctx.error(e))?)),
    )
    .await
    .map_err(|e| ctx.error(e))?;
    let items: Vec<&Value> = list["deployments"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    Ok(ctx.page(
        ctx.t("deployments"),
        html! {
            @if items.is_empty() {
                p { (ctx.t("no_deployments")) " " a href="/" { (ctx.t("catalog")) } }
            } @else {
                div.scroll tabindex="0" role="region" aria-label=(ctx.t("deployments")) {
                    table {
                        thead { tr { th scope="col" { "ID" } th scope="col" { (ctx.t("package")) } th scope="col" { (ctx.t("pinned")) } th scope="col" { (ctx.t("created")) } } }
                        tbody {
                            @for d in &items {
                                @let id = d["id"].as_str().unwrap_or_default();
                                tr {
                                    td { a href={ "/deployments/" (encode(id)) } { code { (id) } } }
                                    td { (d["package"].as_str().unwrap_or_default()) }
                                    td { (d["pinned"]["version"].as_str().unwrap_or_default()) }
                                    td { (time(&d["created_ms"])) }
                                }
                            }
                        }
                    }
                }
            }
            (usage_table(&ctx, &usage))
        },
    ))
}

fn usage_table(ctx: &Ctx, usage: &Value) -> Markup {
    html! {
        h2 { (ctx.t("usage")) }
        div.scroll tabindex="0" role="region" aria-label=(ctx.t("usage")) {
            table {
                thead { tr { th scope="col" { (ctx.t("date")) } th scope="col" { (ctx.t("runs")) } th scope="col" { (ctx.t("errors")) } th scope="col" { (ctx.t("rows")) } th scope="col" { (ctx.t("fuel")) } th scope="col" { (ctx.t("cost")) } } }
                tbody {
                    @for d in usage["days"].as_array().into_iter().flatten() {
                        tr { td { (cell(&d["date"])) } td { (cell(&d["runs"])) } td { (cell(&d["errors"])) } td { (cell(&d["rows"])) } td { (cell(&d["fuel"])) } td { (num(d["cost_cny"].as_f64().unwrap_or(0.0), 6)) } }
                    }
                    tr.total { th scope="row" { (ctx.t("total")) } td { (cell(&usage["total"]["runs"])) } td { (cell(&usage["total"]["errors"])) } td { (cell(&usage["total"]["rows"])) } td { (cell(&usage["total"]["fuel"])) } td { (num(usage["total"]["cost_cny"].as_f64().unwrap_or(0.0), 6)) } }
                }
            }
        }
    }
}

/// The deployment's view and its pinned version's descriptor and record.
async fn load(
    ctx: &Ctx,
    live: &Arc<Live>,
    id: &str,
) -> Result<(Value, Value, Descriptor), ApiError> {
    let caller = ctx.caller.clone().ok_or_else(ApiError::unauthenticated)?;
    let Json(acceptance) = deployments::acceptance(
        State(ctx.state.clone()),
        Extension(live.clone()),
        caller.clone(),
        Path(id.to_owned()),
    )
    .await?;
    let d = &acceptance["deployment"];
    let Json(record) = packages::version(
        State(ctx.state.clone()),
        caller,
        Path((
            d["package"].as_str().unwrap_or_default().to_owned(),
            d["pinned"]["version"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )),
    )
    .await?;
    let descriptor: Descriptor = serde_json::from_value(record["descriptor"].clone())
        .map_err(|e| ApiError::internal("reading a descriptor", e))?;
    Ok((acceptance, record, descriptor))
}

/// GET `/deployments/{id}`.
pub async fn detail_page(
    ctx: Ctx,
    Extension(live): Extension<Arc<Live>>,
    Path(id): Path<String>,
) -> UiResult {
    ctx.require(&[Role::Enterprise], "reading a deployment")?;
    let (acceptance, record, d) = load(&ctx, &live, &id).await.map_err(|e| ctx.error(e))?;
    Ok(detail(&ctx, &id, &acceptance, &record, &d, None))
}

fn detail(
    ctx: &Ctx,
    id: &str,
    acceptance: &Value,
    record: &Value,
    descriptor: &Descriptor,
    extra: Option<Markup>,
) -> Response {
    let dep = &acceptance["deployment"];
    let package = dep["package"].as_str().unwrap_or_default();
    let title = format!(
        "{} · {}",
        ctx.t("deployed"),
        super::catalog::title_of(ctx, record)
    );
    ctx.page(
        &title,
        html! {
            dl.facts {
                dt { "ID" } dd { code { (id) } }
                dt { (ctx.t("package")) } dd { a href={ "/solutions/" (package) } { (package) } }
                dt { (ctx.t("pinned")) } dd { (dep["pinned"]["version"].as_str().unwrap_or_default()) " " code.digest { (dep["pinned"]["digest"].as_str().unwrap_or_default()) } }
                dt { (ctx.t("version_req")) } dd { code { (dep["requirement"].as_str().unwrap_or_default()) } }
                dt { (ctx.t("created")) } dd { (time(&dep["created_ms"])) }
                dt { (ctx.t("runs")) } dd { (cell(&acceptance["usage"]["runs"])) }
                dt { (ctx.t("cost")) } dd { (num(acceptance["cost_cny"]["total"].as_f64().unwrap_or(0.0), 4)) " " (ctx.t("cny")) }
            }
            @if let Some(extra) = extra { (extra) }
            section aria-labelledby="invoke" {
                h2 #invoke { (ctx.t("invoke_file")) }
                form.card method="post" enctype="multipart/form-data" action={ "/deployments/" (encode(id)) "/invoke" } {
                    (ctx.csrf_field())
                    (input_fields(ctx, descriptor, !record["vectors_digest"].is_null()))
                    button type="submit" { (ctx.t("invoke")) }
                }
            }
            section aria-labelledby="upgrade" {
                h2 #upgrade { (ctx.t("upgrade")) }
                form.card method="post" action={ "/deployments/" (encode(id)) "/upgrade" } {
                    (ctx.csrf_field())
                    div.field {
                        label for="target" { (ctx.t("target_version")) }
                        input #target name="version" type="text" required placeholder="^0.1";
                    }
                    div.field.check { input #dry type="checkbox" name="dry_run" value="1" checked; label for="dry" { (ctx.t("dry_run")) } }
                    div.field.check { input #force type="checkbox" name="force" value="1"; label for="force" { (ctx.t("force")) } }
                    button type="submit" { (ctx.t("upgrade")) }
                }
                form.inline method="post" action={ "/deployments/" (encode(id)) "/rollback" } {
                    (ctx.csrf_field())
                    button type="submit" { (ctx.t("rollback")) }
                }
            }
            section aria-labelledby="history" {
                h2 #history { (ctx.t("history")) }
                div.scroll tabindex="0" role="region" aria-label=(ctx.t("history")) {
                    table {
                        thead { tr { th scope="col" { (ctx.t("time")) } th scope="col" { (ctx.t("action")) } th scope="col" { (ctx.t("actor")) } th scope="col" { (ctx.t("from")) } th scope="col" { (ctx.t("to")) } } }
                        tbody {
                            @for e in dep["history"].as_array().into_iter().flatten() {
                                tr { td { (time(&e["time_ms"])) } td { (cell(&e["action"])) } td { (cell(&e["actor"])) } td { (cell(&e["from"]["version"])) } td { (cell(&e["to"]["version"])) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// POST `/deployments/{id}/invoke`: the same form as a trial (CSV per table or the sample).
pub async fn invoke(
    ctx: Ctx,
    Extension(live): Extension<Arc<Live>>,
    Path(id): Path<String>,
    multipart: Multipart,
) -> UiResult {
    let caller = ctx
        .require(&[Role::Enterprise], "invoking a deployment")?
        .clone();
    let form: FormData = read_form(multipart).await.map_err(|e| ctx.error(e))?;
    ctx.check_csrf(form.fields.get("csrf").map(String::as_str))?;
    let (acceptance, record, d) = load(&ctx, &live, &id).await.map_err(|e| ctx.error(e))?;
    let sample = super::trial::sample(&ctx.state, &record).map_err(|e| ctx.error(e))?;
    let input = match input_from_form(&ctx, &d, &form, sample) {
        Ok(input) => input,
        Err(problem) => {
            let extra = html! { p.error role="alert" { (problem) } };
            return Ok(detail(&ctx, &id, &acceptance, &record, &d, Some(extra)));
        }
    };
    let extra = match deployments::invoke(
        State(ctx.state.clone()),
        Extension(live.clone()),
        caller,
        Path(id.clone()),
        input.clone(),
    )
    .await
    {
        Ok(Json(result)) => html! {
            @if let Some(w) = result["warning"].as_str() { p.warning role="status" { (ctx.t("warning")) ": " (w) } }
            (super::trial::output(&ctx, &result, &d, &input))
        },
        Err(e) => html! { p.error role="alert" { (e.message) " (" (e.code) ")" } },
    };
    let (acceptance, record, d) = load(&ctx, &live, &id).await.map_err(|e| ctx.error(e))?;
    Ok(detail(&ctx, &id, &acceptance, &record, &d, Some(extra)))
}

/// POST `/deployments/{id}/upgrade`: the gate's report, checks and the output diff side by side.
pub async fn upgrade(
    ctx: Ctx,
    Extension(live): Extension<Arc<Live>>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> UiResult {
    let caller = ctx
        .require(&[Role::Enterprise], "upgrading a deployment")?
        .clone();
    ctx.check_csrf(form.get("csrf").map(String::as_str))?;
    let request = body(json!({
        "version": form.get("version").map(|v| v.trim()).unwrap_or_default(),
        "dry_run": form.contains_key("dry_run"),
        "force": form.contains_key("force"),
    }))
    .map_err(|e| ctx.error(e))?;
    let extra = match deployments::upgrade(
        State(ctx.state.clone()),
        Extension(live.clone()),
        caller,
        Path(id.clone()),
        Ok(Json(request)),
    )
    .await
    {
        Ok((_, Json(result))) => gate_report(&ctx, &result, &result["report"]),
        Err(e) => html! { p.error role="alert" { (e.message) " (" (e.code) ")" } },
    };
    let (acceptance, record, d) = load(&ctx, &live, &id).await.map_err(|e| ctx.error(e))?;
    Ok(detail(&ctx, &id, &acceptance, &record, &d, Some(extra)))
}

fn pass_tag(ctx: &Ctx, pass: &Value) -> Markup {
    let ok = pass.as_bool().unwrap_or(false);
    html! { span class={ "tag " (if ok { "state-approved" } else { "state-rejected" }) } { (ctx.t(if ok { "pass" } else { "fail" })) } }
}

fn gate_report(ctx: &Ctx, result: &Value, report: &Value) -> Markup {
    let checks = &report["checks"];
    html! {
        section.gate aria-labelledby="gate" role="status" {
            h2 #gate { (ctx.t("gate_report")) " " (pass_tag(ctx, &report["pass"])) }
            p { (ctx.t(if result["switched"] == json!(true) { "switched" } else { "not_switched" })) }
            div.side-by-side {
                div {
                    h3 { (ctx.t("current")) }
                    p { (cell(&report["from"]["version"])) }
                    p { (ctx.t("wit")) ": " (cell(&checks["wit"]["current"])) }
                    p { (ctx.t("fuel")) ": " (cell(&report["fuel"]["current"])) }
                    p { (ctx.t("cost")) ": " (num(report["cost_cny"]["current"].as_f64().unwrap_or(0.0), 6)) }
                }
                div {
                    h3 { (ctx.t("candidate")) }
                    p { (cell(&report["to"]["version"])) }
                    p { (ctx.t("wit")) ": " (cell(&checks["wit"]["candidate"])) }
                    p { (ctx.t("fuel")) ": " (cell(&report["fuel"]["candidate"])) }
                    p { (ctx.t("cost")) ": " (num(report["cost_cny"]["candidate"].as_f64().unwrap_or(0.0), 6)) }
                }
            }
            table {
                thead { tr { th scope="col" { (ctx.t("check")) } th scope="col" { (ctx.t("outcome")) } } }
                tbody {
                    tr { td { (ctx.t("wit")) } td { (pass_tag(ctx, &checks["wit"]["pass"])) } }
                    tr { td { (ctx.t("review_state")) " (" (cell(&checks["review"]["state"])) ")" } td { (pass_tag(ctx, &checks["review"]["pass"])) } }
                    tr { td { (ctx.t("differences")) " (" (cell(&checks["shadow"]["differing"])) "/" (cell(&checks["shadow"]["inputs"])) ")" } td { (pass_tag(ctx, &checks["shadow"]["pass"])) } }
                }
            }
            p.hint { (checks["shadow"]["note"].as_str().unwrap_or_default()) }
            @for run in checks["shadow"]["runs"].as_array().into_iter().flatten() {
                div.side-by-side.diff {
                    div {
                        h4 { (ctx.t("current")) " #" (cell(&run["input"])) }
                        p { (ctx.t("fuel")) ": " (cell(&run["fuel"]["current"])) }
                    }
                    div {
                        h4 { (ctx.t("candidate")) " #" (cell(&run["input"])) }
                        p { (ctx.t("fuel")) ": " (cell(&run["fuel"]["candidate"])) }
                    }
                }
                @if run["equal"] == json!(true) {
                    p.ok { (ctx.t("no_differences")) }
                } @else {
                    div.scroll tabindex="0" role="region" aria-label=(ctx.t("differences")) {
                        table.differences {
                            caption { (ctx.t("differences")) " (" (cell(&run["difference_count"])) ")" }
                            thead { tr { th scope="col" { (ctx.t("where")) } th scope="col" { (ctx.t("current")) } th scope="col" { (ctx.t("candidate")) } } }
                            tbody {
                                @for d in run["differences"].as_array().into_iter().flatten() {
                                    @let (place, old, new) = split_difference(d.as_str().unwrap_or_default());
                                    tr { td { code { (place) } } td { (old) } td { (new) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A gate difference, `<where>: expected <current>, got <candidate>`, as its three parts (the
/// whole text as the place when it has another form).
fn split_difference(d: &str) -> (&str, &str, &str) {
    if let Some((place, rest)) = d.rsplit_once(": expected ")
        && let Some((old, new)) = rest.rsplit_once(", got ")
    {
        return (place, old, new);
    }
    (d, "", "")
}

/// POST `/deployments/{id}/rollback`.
pub async fn rollback(
    ctx: Ctx,
    Extension(live): Extension<Arc<Live>>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> UiResult {
    let caller = ctx.require(&[Role::Enterprise], "rolling back")?.clone();
    ctx.check_csrf(form.get("csrf").map(String::as_str))?;
    let extra = match deployments::rollback(
        State(ctx.state.clone()),
        Extension(live.clone()),
        caller,
        Path(id.clone()),
    )
    .await
    {
        Ok(_) => html! { p.ok role="status" { (ctx.t("rollback")) " ✓" } },
        Err(e) => html! { p.error role="alert" { (e.message) " (" (e.code) ")" } },
    };
    let (acceptance, record, d) = load(&ctx, &live, &id).await.map_err(|e| ctx.error(e))?;
    Ok(detail(&ctx, &id, &acceptance, &record, &d, Some(extra)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_split_into_place_current_candidate() {
        assert_eq!(
            split_difference("table `results`, column `delta_e00`, row 1: expected 3.4, got 2.9"),
            ("table `results`, column `delta_e00`, row 1", "3.4", "2.9")
        );
        assert_eq!(
            split_difference("the new version fails: timeout"),
            ("the new version fails: timeout", "", "")
        );
    }

    #[test]
    fn times_are_civil_utc() {
        assert_eq!(time(&json!(0)), "1970-01-01 00:00 UTC");
        assert_eq!(time(&json!(1_709_210_096_000u64)), "2024-02-29 12:34 UTC");
        assert_eq!(time(&Value::Null), "—");
    }
}
