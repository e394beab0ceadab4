//! The enterprise program: self-assessment wizard (2024 index) with level, radar and gaps;
//! company profile; needs and their matches with reasons; the admin's dashboard as charts.

use axum::extract::{Path, State};
use axum::{Form, Json};
use maud::{Markup, html};
use serde_json::{Map, Value, json};
use smelt_assess::{Index, ItemKind};
use smelt_registry::Role;
use smelt_registry::manifest::{Industry, Scene};

use super::catalog::industry_label;
use super::charts::Bar;
use super::{Ctx, Lang, UiResult, body, cell, charts, encode, num, see_other};
use crate::server::program;

fn bilingual(ctx: &Ctx, v: &Value) -> String {
    let key = match ctx.lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    v[key]
        .as_str()
        .or_else(|| v["zh"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn scene_name(ctx: &Ctx, scene: Scene) -> String {
    match ctx.lang {
        Lang::Zh => scene.zh().to_owned(),
        Lang::En => scene.slug().replace('-', " "),
    }
}

/// GET `/assessment`: the profile, the wizard and past results.
pub async fn assessment_page(ctx: Ctx) -> UiResult {
    let caller = ctx
        .require(&[Role::Enterprise], "a self-assessment")?
        .clone();
    let Json(list) = program::list_assessments(State(ctx.state.clone()), caller.clone())
        .await
        .map_err(|e| ctx.error(e))?;
    let profile = program::get_profile(State(ctx.state.clone()), caller)
        .await
        .ok()
        .map(|Json(p)| p);
    Ok(ctx.page(
        ctx.t("assessment"),
        wizard(&ctx, &list, profile.as_ref(), None),
    ))
}

fn wizard(ctx: &Ctx, list: &Value, profile: Option<&Value>, result: Option<Markup>) -> Markup {
    let index = Index::official();
    let industry = profile
        .map(|p| {
            p["profile"]["industry"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default();
    html! {
        @if let Some(result) = result { (result) }
        section aria-labelledby="profile" {
            h2 #profile { (ctx.t("profile")) }
            form.card.inline-fields method="post" action="/assessment" {
                (ctx.csrf_field())
                input type="hidden" name="form" value="profile";
                div.field {
                    label for="p-industry" { (ctx.t("industry")) }
                    select #p-industry name="industry" required {
                        @for i in Industry::ALL { option value=(i.slug()) selected[industry == i.slug()] { (industry_label(ctx, i.slug())) } }
                    }
                }
                div.field {
                    label for="p-employees" { (ctx.t("employees")) }
                    input #p-employees name="employees" type="number" min="1" required value=(profile.map(|p| cell(&p["profile"]["employees"])).unwrap_or_default());
                }
                div.field {
                    label for="p-revenue" { (ctx.t("revenue")) }
                    input #p-revenue name="revenue_wan_cny" type="number" min="0" step="any" required value=(profile.map(|p| cell(&p["profile"]["revenue_wan_cny"])).unwrap_or_default());
                }
                button type="submit" { (ctx.t("save")) }
            }
        }
        section aria-labelledby="wizard" {
            h2 #wizard { (ctx.t("assessment")) }
            p { (ctx.t("assess_intro")) }
            form.wizard method="post" action="/assessment" {
                (ctx.csrf_field())
                input type="hidden" name="form" value="assessment";
                @for (step, dimension) in index.dimensions.iter().enumerate() {
                    details.step open[step == 0] {
                        summary { (step + 1) ". " (dimension.name) " (" (dimension.points) ")" }
                        @for sub in &dimension.subareas {
                            @for item in &sub.items {
                                fieldset.item {
                                    legend { code { (item.id) } " " (item.area) " — " (item.title) " (" (item.points) ")" }
                                    @for option in &item.options {
                                        @let id = format!("{}-{}", item.id, option.letter);
                                        div.field.check {
                                            @if item.kind == ItemKind::Single {
                                                input id=(id) type="radio" name={ "item:" (item.id) } value=(option.letter);
                                            } @else {
                                                input id=(id) type="checkbox" name={ "item:" (item.id) } value=(option.letter);
                                            }
                                            label for=(id) { (option.letter) ". " (option.text) " (" (option.points) ")" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                details.step {
                    summary { (index.dimensions.len() + 1) ". " (ctx.t("scene")) }
                    @for scene in &index.scenes {
                        div.field {
                            label for={ "scene-" (scene.scene.slug()) } { (scene_name(ctx, scene.scene)) }
                            select id={ "scene-" (scene.scene.slug()) } name={ "scene:" (scene.scene.slug()) } {
                                option value="" { "—" }
                                @for (i, text) in scene.levels.iter().enumerate() {
                                    option value=(i + 1) { (i + 1) ": " (text) }
                                }
                            }
                        }
                    }
                }
                button type="submit" { (ctx.t("assess_submit")) }
            }
        }
        section aria-labelledby="past" {
            h2 #past { (ctx.t("past_assessments")) }
            ul {
                @for a in list["assessments"].as_array().into_iter().flatten() {
                    li { code { (cell(&a["id"])) } " — " (ctx.t("level")) " " (cell(&a["level"])) ", " (ctx.t("total")) " " (cell(&a["total"])) }
                }
            }
        }
    }
}

/// The result: level, radar of the dimensions, gaps.
fn result(ctx: &Ctx, a: &Value) -> Markup {
    let axes: Vec<(String, f64, f64)> = a["dimensions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["name"].as_str().unwrap_or_default().to_owned(),
                d["score"].as_f64().unwrap_or(0.0),
                d["points"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    html! {
        section.result aria-labelledby="assess-result" role="status" {
            h2 #assess-result { (ctx.t("assess_result")) }
            p.level-big { (ctx.t("level")) " " (cell(&a["level"])) " — " (bilingual(ctx, &a["level_name"])) }
            p { (ctx.t("total")) ": " (num(a["total"].as_f64().unwrap_or(0.0), 1)) " (" (cell(&a["rule"])) ")" }
            figure.chart { (charts::radar(ctx.t("radar"), &axes)) }
            h3 { (ctx.t("gaps")) }
            @for gap in a["gaps"].as_array().into_iter().flatten() {
                h4 { (ctx.t("level")) " " (cell(&gap["level"])) }
                ul {
                    @for m in gap["messages"].as_array().into_iter().flatten() { li { (bilingual(ctx, m)) } }
                }
            }
        }
    }
}

/// POST `/assessment`: saves the profile, or scores the wizard's answers.
pub async fn assess(ctx: Ctx, Form(form): Form<Vec<(String, String)>>) -> UiResult {
    let caller = ctx
        .require(&[Role::Enterprise], "a self-assessment")?
        .clone();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    ctx.check_csrf(get("csrf"))?;
    let state = ctx.state.clone();
    if get("form") == Some("profile") {
        let request = body(json!({
            "industry": get("industry").unwrap_or_default(),
            "employees": get("employees").and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0),
            "revenue_wan_cny": get("revenue_wan_cny").and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0),
        }))
        .map_err(|e| ctx.error(e))?;
        let _saved = program::put_profile(State(state), caller, Ok(Json(request)))
            .await
            .map_err(|e| ctx.error(e))?;
        return Ok(see_other("/assessment"));
    }
    let mut items: Map<String, Value> = Map::new();
    let mut scenes: Map<String, Value> = Map::new();
    for (name, value) in &form {
        if let Some(id) = name.strip_prefix("item:") {
            let entry = items
                .entry(id.to_owned())
                .or_insert_with(|| json!({"options": []}));
            if let Some(options) = entry["options"].as_array_mut() {
                options.push(json!(value));
            }
        } else if let Some(scene) = name.strip_prefix("scene:")
            && let Ok(level) = value.parse::<i64>()
        {
            scenes.insert(scene.to_owned(), json!(level));
        }
    }
    let request =
        body(json!({"answers": {"items": items, "scenes": scenes}})).map_err(|e| ctx.error(e))?;
    let (_, Json(created)) =
        program::create_assessment(State(state.clone()), caller.clone(), Ok(Json(request)))
            .await
            .map_err(|e| ctx.error(e))?;
    let Json(list) = program::list_assessments(State(state.clone()), caller.clone())
        .await
        .map_err(|e| ctx.error(e))?;
    let profile = program::get_profile(State(state), caller)
        .await
        .ok()
        .map(|Json(p)| p);
    let shown = result(&ctx, &created["assessment"]);
    Ok(ctx.page(
        ctx.t("assessment"),
        wizard(&ctx, &list, profile.as_ref(), Some(shown)),
    ))
}

/// GET `/needs`: the form and the enterprise's needs.
pub async fn needs_page(ctx: Ctx) -> UiResult {
    let caller = ctx.require(&[Role::Enterprise], "needs")?.clone();
    let Json(list) = program::list_needs(State(ctx.state.clone()), caller)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(ctx.page(ctx.t("needs"), needs(&ctx, &list)))
}

fn needs(ctx: &Ctx, list: &Value) -> Markup {
    html! {
        section aria-labelledby="new-need" {
            h2 #new-need { (ctx.t("need_new")) }
            form.card method="post" action="/needs" {
                (ctx.csrf_field())
                div.field {
                    label for="n-industry" { (ctx.t("industry")) }
                    select #n-industry name="industry" required {
                        @for i in Industry::ALL { option value=(i.slug()) { (industry_label(ctx, i.slug())) } }
                    }
                }
                fieldset {
                    legend { (ctx.t("scene")) }
                    div.checks {
                        @for s in Scene::ALL {
                            div.field.check {
                                input id={ "n-scene-" (s.slug()) } type="checkbox" name="scenes" value=(s.slug());
                                label for={ "n-scene-" (s.slug()) } { (scene_name(ctx, *s)) }
                            }
                        }
                    }
                }
                div.field {
                    label for="n-level" { (ctx.t("target_level")) }
                    select #n-level name="target_level" { @for l in 1..=4 { option value=(l) selected[l == 2] { (l) } } }
                }
                div.field {
                    label for="n-budget" { (ctx.t("budget")) }
                    input #n-budget name="budget_cny" type="number" min="0" step="any" required value="50000";
                }
                div.field {
                    label for="n-days" { (ctx.t("max_days")) }
                    input #n-days name="deadline_days" type="number" min="1" required value="30";
                }
                div.field {
                    label for="n-desc" { (ctx.t("description")) }
                    textarea #n-desc name="description" rows="2" {}
                }
                button type="submit" { (ctx.t("need_new")) }
            }
        }
        section aria-labelledby="my-needs" {
            h2 #my-needs { (ctx.t("need_list")) }
            ul {
                @for n in list["needs"].as_array().into_iter().flatten() {
                    @let id = n["id"].as_str().unwrap_or_default();
                    li {
                        a href={ "/needs/" (encode(id)) } { code { (id) } }
                        " — " (industry_label(ctx, n["need"]["industry"].as_str().unwrap_or_default()))
                        " · " (n["description"].as_str().unwrap_or_default())
                    }
                }
            }
        }
    }
}

/// POST `/needs`.
pub async fn create_need(ctx: Ctx, Form(form): Form<Vec<(String, String)>>) -> UiResult {
    let caller = ctx
        .require(&[Role::Enterprise], "publishing a need")?
        .clone();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    ctx.check_csrf(get("csrf"))?;
    let scenes: Vec<&str> = form
        .iter()
        .filter(|(n, _)| n == "scenes")
        .map(|(_, v)| v.as_str())
        .collect();
    let request = json!({
        "industry": get("industry").unwrap_or_default(),
        "scenes": scenes,
        "target_level": get("target_level").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
        "budget_cny": get("budget_cny").and_then(|v| v.parse::<f64>().ok()).unwrap_or(-1.0),
        "deadline_days": get("deadline_days").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
        "description": get("description").unwrap_or_default(),
    });
    let (_, Json(created)) =
        program::create_need(State(ctx.state.clone()), caller, Ok(Json(request)))
            .await
            .map_err(|e| ctx.error(e))?;
    let id = created["id"]
        .as_str()
        .or_else(|| created["need"]["id"].as_str())
        .unwrap_or_default();
    Ok(see_other(&format!("/needs/{}", encode(id))))
}

/// Filtered-out candidates listed by name and reason (the API's first page of them); the count
/// is always complete. With a catalog of hundreds, the full list would bury the matches.
const MAX_REJECTED_SHOWN: usize = 50;

/// GET `/needs/{id}`: matches with their reasons, and the candidates filtered out.
pub async fn matches_page(ctx: Ctx, Path(id): Path<String>) -> UiResult {
    let caller = ctx.require(&[Role::Enterprise], "matching")?.clone();
    let params = program::MatchParams {
        rejected_limit: Some(MAX_REJECTED_SHOWN.to_string()),
        ..program::MatchParams::default()
    };
    let json = program::matches_json(&ctx.state, &caller, &id, &params)
        .await
        .map_err(|e| ctx.error(e))?;
    let result: Value = serde_json::from_slice(&json).unwrap_or(Value::Null);
    let m = &result["matches"];
    Ok(ctx.page(
        ctx.t("matches"),
        html! {
            p.meta { code { (id) } }
            p.count { (cell(&m["ranked_total"])) " " (ctx.t("results")) }
            ol.cards {
                @for r in m["ranked"].as_array().into_iter().flatten() {
                    @let name = r["name"].as_str().unwrap_or_default();
                    li.card {
                        h2 { a href={ "/solutions/" (name) "?v=" (r["version"].as_str().unwrap_or_default()) } {
                            (r["rank"]) ". " (if r["title"].is_object() { bilingual(&ctx, &r["title"]) } else { name.to_owned() })
                        } }
                        p { (ctx.t("score")) ": " (num(r["score"].as_f64().unwrap_or(0.0), 1)) " · " (ctx.t("cost")) ": " (num(r["expected_cost_cny"].as_f64().unwrap_or(0.0), 2)) " " (ctx.t("cny")) }
                        h3 { (ctx.t("reasons")) }
                        ul { @for reason in r["reasons"].as_array().into_iter().flatten() { li { (bilingual(&ctx, reason)) } } }
                    }
                }
            }
            @if let Some(rejected) = m["rejected"].as_array().filter(|r| !r.is_empty()) {
                h2 { (ctx.t("rejected_candidates")) " (" (cell(&m["rejected_total"])) ")" }
                ul {
                    @for r in rejected {
                        li { code { (r["name"].as_str().unwrap_or_default()) } ": "
                            @for (i, reason) in r["reasons"].as_array().into_iter().flatten().enumerate() { @if i > 0 { "; " } (bilingual(&ctx, reason)) } }
                    }
                }
            }
        },
    ))
}

/// GET `/dashboard`: progress against the targets, levels before/after, per industry.
pub async fn dashboard_page(ctx: Ctx) -> UiResult {
    let caller = ctx
        .require(&[Role::Admin], "the program dashboard")?
        .clone();
    let Json(result) = program::dashboard(State(ctx.state.clone()), caller)
        .await
        .map_err(|e| ctx.error(e))?;
    let board = &result["dashboard"];
    // Progress as the share of each target reached (targets differ by orders of magnitude).
    let progress: Vec<Bar> = board["progress"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Bar {
            label: bilingual(&ctx, &p["name"]),
            value: p["percent"].as_f64().unwrap_or(0.0),
            target: Some(100.0),
            text: format!(
                "{} / {} ({}%)",
                cell(&p["achieved"]),
                cell(&p["target"]),
                num(p["percent"].as_f64().unwrap_or(0.0), 1)
            ),
        })
        .collect();
    let levels = |key: &str| -> Vec<Bar> {
        board[key]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(level, n)| Bar {
                label: super::catalog::level(&ctx, level as u64),
                value: n.as_f64().unwrap_or(0.0),
                target: None,
                text: cell(n),
            })
            .collect()
    };
    let industries: Vec<(String, &Value)> = board["by_industry"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (industry_label(&ctx, k), v))
        .collect();
    let per_industry = |field: &str| -> Vec<Bar> {
        industries
            .iter()
            .map(|(name, v)| Bar {
                label: name.clone(),
                value: v[field].as_f64().unwrap_or(0.0),
                target: None,
                text: cell(&v[field]),
            })
            .collect()
    };
    Ok(ctx.page(
        ctx.t("dashboard"),
        html! {
            section aria-labelledby="targets" {
                h2 #targets { (ctx.t("targets")) }
                figure.chart { (charts::bars("targets-chart", ctx.t("targets"), &progress)) }
                div.scroll tabindex="0" role="region" aria-label=(ctx.t("targets")) {
                    table {
                        thead { tr { th scope="col" { (ctx.t("target")) } th scope="col" { (ctx.t("value")) } th scope="col" { (ctx.t("target")) } th scope="col" { "%" } } }
                        tbody {
                            @for p in board["progress"].as_array().into_iter().flatten() {
                                tr class=(if p["met"] == json!(true) { "met" } else { "" }) { td { (bilingual(&ctx, &p["name"])) } td { (cell(&p["achieved"])) } td { (cell(&p["target"])) } td { (num(p["percent"].as_f64().unwrap_or(0.0), 1)) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="levels" {
                h2 #levels { (ctx.t("levels")) }
                div.side-by-side {
                    figure.chart { (charts::bars("levels-before", ctx.t("first_assessment"), &levels("levels_before"))) }
                    figure.chart { (charts::bars("levels-after", ctx.t("latest_assessment"), &levels("levels_after"))) }
                }
            }
            section aria-labelledby="industries" {
                h2 #industries { (ctx.t("by_industry")) }
                figure.chart { (charts::bars("ind-enterprises", ctx.t("enterprises"), &per_industry("enterprises"))) }
                figure.chart { (charts::bars("ind-solutions", ctx.t("solutions"), &per_industry("solutions"))) }
                figure.chart { (charts::bars("ind-trials", ctx.t("trials"), &per_industry("trials"))) }
                figure.chart { (charts::bars("ind-deployments", ctx.t("deployment_count"), &per_industry("deployments"))) }
            }
        },
    ))
}
