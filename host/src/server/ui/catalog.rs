//! The catalog (search, filters, cards) and a solution's page.

use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use smelt_registry::Role;
use smelt_registry::manifest::{Industry, Scene, Stage};

use super::{Ctx, UiResult, body, cell, num};
use crate::server::{Shared, packages};

#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    scene: String,
    /// Largest deployment price, CNY; empty for any.
    #[serde(default)]
    price: String,
    #[serde(default)]
    lang: Option<String>,
    /// 1-based page of the results.
    #[serde(default = "first_page")]
    page: usize,
}

fn first_page() -> usize {
    1
}

/// Cards per catalog page: a screenful on a desktop, a short scroll on a phone.
const PAGE_SIZE: usize = 24;

fn page_link(q: &CatalogQuery, page: usize) -> String {
    format!(
        "/?q={}&industry={}&stage={}&scene={}&price={}&page={page}",
        super::encode(&q.q),
        super::encode(&q.industry),
        super::encode(&q.stage),
        super::encode(&q.scene),
        super::encode(&q.price),
    )
}

/// English for a vocabulary slug: the slug with spaces.
fn english(slug: &str) -> String {
    slug.replace('-', " ")
}

fn vocab_label(ctx: &Ctx, slug: &str, zh: &str) -> String {
    match ctx.lang {
        super::Lang::Zh => zh.to_owned(),
        super::Lang::En => english(slug),
    }
}

pub fn industry_label(ctx: &Ctx, slug: &str) -> String {
    slug.parse::<Industry>()
        .map_or_else(|_| slug.to_owned(), |i| vocab_label(ctx, slug, i.zh()))
}

fn stage_label(ctx: &Ctx, slug: &str) -> String {
    slug.parse::<Stage>()
        .map_or_else(|_| slug.to_owned(), |i| vocab_label(ctx, slug, i.zh()))
}

fn scene_label(ctx: &Ctx, slug: &str) -> String {
    slug.parse::<Scene>()
        .map_or_else(|_| slug.to_owned(), |i| vocab_label(ctx, slug, i.zh()))
}

fn select(
    ctx: &Ctx,
    name: &str,
    label: &str,
    current: &str,
    options: &[(String, String)],
) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            select #(name) name=(name) {
                option value="" selected[current.is_empty()] { (ctx.t("any")) }
                @for (value, text) in options {
                    option value=(value) selected[current == value] { (text) }
                }
            }
        }
    }
}

pub fn title_of(ctx: &Ctx, card: &Value) -> String {
    let title = &card["title"];
    let text = match ctx.lang {
        super::Lang::Zh => title["zh"].as_str(),
        super::Lang::En => title["en"].as_str(),
    };
    text.or_else(|| card["name"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The small/fast/light/precise badges of a scorecard's sub-scores (0–100).
pub fn badges(ctx: &Ctx, scores: &Value) -> Markup {
    html! {
        ul.badges aria-label=(ctx.t("scorecard")) {
            @if scores.is_object() {
                @for key in ["small", "fast", "light", "precise"] {
                    @let score = scores[key].as_f64().unwrap_or(0.0);
                    li class={ "badge " (grade(score)) } title=(key) {
                        (ctx.t(key)) " " (num(score, 0))
                    }
                }
            } @else {
                li.badge.none { (ctx.t("not_scored")) }
            }
        }
    }
}

fn grade(score: f64) -> &'static str {
    if score >= 80.0 {
        "good"
    } else if score >= 50.0 {
        "fair"
    } else {
        "poor"
    }
}

/// The catalog: GET `/`.
pub async fn index(ctx: Ctx, Query(q): Query<CatalogQuery>) -> UiResult {
    let caller = ctx.caller()?.clone();
    let _ = &q.lang;
    // The API's search, one page of it; the price filter is the API's `max_deploy_cny`.
    let page_of = |page: usize| -> Result<packages::Page, _> {
        let params = body::<packages::SearchParams>(json!({
            "q": (!q.q.trim().is_empty()).then(|| q.q.trim()),
            "industry": (!q.industry.is_empty()).then_some(&q.industry),
            "stage": (!q.stage.is_empty()).then_some(&q.stage),
            "scene": (!q.scene.is_empty()).then_some(&q.scene),
            "max_deploy_cny": (!q.price.is_empty()).then_some(&q.price),
            "limit": PAGE_SIZE.to_string(),
            "offset": ((page - 1) * PAGE_SIZE).to_string(),
        }))?;
        packages::search_page(&ctx.state, &caller, &params)
    };
    let mut page = q.page.max(1);
    let mut found = page_of(page).map_err(|e| ctx.error(e))?;
    let pages = found.total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        // Past the end (the catalog shrank, or a hand-made link): show the last page.
        page = pages;
        found = page_of(page).map_err(|e| ctx.error(e))?;
    }
    let cards = found.cards();
    let industries: Vec<(String, String)> = Industry::ALL
        .iter()
        .map(|i| (i.slug().to_owned(), vocab_label(&ctx, i.slug(), i.zh())))
        .collect();
    let stages: Vec<(String, String)> = Stage::ALL
        .iter()
        .map(|i| (i.slug().to_owned(), vocab_label(&ctx, i.slug(), i.zh())))
        .collect();
    let scenes: Vec<(String, String)> = Scene::ALL
        .iter()
        .map(|i| (i.slug().to_owned(), vocab_label(&ctx, i.slug(), i.zh())))
        .collect();
    let prices = vec![
        ("0".to_owned(), ctx.t("price_free").to_owned()),
        ("5000".to_owned(), ctx.t("price_5k").to_owned()),
        ("20000".to_owned(), ctx.t("price_20k").to_owned()),
    ];
    Ok(ctx.page(
        ctx.t("catalog"),
        html! {
            form.filters method="get" action="/" role="search" {
                div.field.grow {
                    label for="q" { (ctx.t("search_label")) }
                    input #q type="search" name="q" value=(q.q);
                }
                (select(&ctx, "industry", ctx.t("industry"), &q.industry, &industries))
                (select(&ctx, "stage", ctx.t("stage"), &q.stage, &stages))
                (select(&ctx, "scene", ctx.t("scene"), &q.scene, &scenes))
                (select(&ctx, "price", ctx.t("price"), &q.price, &prices))
                button type="submit" { (ctx.t("search")) }
            }
            p.count aria-live="polite" { (found.total) " " (ctx.t("results")) }
            @if cards.is_empty() {
                p { (ctx.t("no_results")) }
            }
            ul.cards {
                @for card in &cards {
                    (card_markup(&ctx, card))
                }
            }
            @if pages > 1 {
                nav.pager aria-label=(ctx.t("pages")) {
                    ul {
                        @for p in 1..=pages {
                            li {
                                @if p == page {
                                    span aria-current="page" { (p) }
                                } @else {
                                    a href=(page_link(&q, p)) { (p) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn card_markup(ctx: &Ctx, card: &Value) -> Markup {
    let name = card["name"].as_str().unwrap_or_default();
    let version = card["version"].as_str().unwrap_or_default();
    html! {
        li.card {
            h2 { a href={ "/solutions/" (name) "?v=" (version) } { (title_of(ctx, card)) } }
            p.meta { (name) " " (version) " · " (ctx.t("provider_label")) ": " (card["provider"].as_str().unwrap_or_default()) }
            p.summary { (card["summary"].as_str().unwrap_or_default()) }
            dl.facts {
                dt { (ctx.t("deploy_price")) } dd { (num(card["price"]["deploy_cny"].as_f64().unwrap_or(0.0), 2)) " " (ctx.t("cny")) }
                dt { (ctx.t("run_price")) } dd { (num(card["price"]["per_1k_runs_cny"].as_f64().unwrap_or(0.0), 2)) " " (ctx.t("cny")) }
                dt { (ctx.t("target_level")) } dd { (level(ctx, card["target_level"].as_u64().unwrap_or(0))) }
                dt { (ctx.t("industry")) } dd {
                    @for (i, industry) in card["industries"].as_array().into_iter().flatten().enumerate() {
                        @if i > 0 { "、" }
                        (industry_label(ctx, industry.as_str().unwrap_or_default()))
                    }
                }
            }
            (badges(ctx, &card["scores"]))
        }
    }
}

pub fn level(ctx: &Ctx, level: u64) -> String {
    match ctx.lang {
        super::Lang::Zh => format!("{level} {}", ctx.t("level")),
        super::Lang::En => format!("{} {level}", ctx.t("level")),
    }
}

#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    v: Option<String>,
}

/// The newest version an enterprise may see (approved, not suspended, not yanked), or the
/// newest of all for the other roles.
async fn default_version(
    state: &Shared,
    ctx: &Ctx,
    name: &str,
    versions: &Value,
) -> Option<String> {
    let list: Vec<&str> = versions
        .as_array()?
        .iter()
        .filter(|v| v["yanked"] != json!(true))
        .filter_map(|v| v["version"].as_str())
        .collect();
    let enterprise = ctx
        .caller
        .as_ref()
        .is_some_and(|c| c.account.role == Role::Enterprise);
    for v in list.iter().rev() {
        if !enterprise {
            return Some((*v).to_owned());
        }
        let (Ok(n), Ok(ver)) = (name.parse(), v.parse()) else {
            continue;
        };
        if matches!(
            super::super::reviews::review_state(state, &n, &ver),
            Ok(super::super::reviews::ReviewState::Approved)
        ) {
            return Some((*v).to_owned());
        }
    }
    list.last().map(|v| (*v).to_owned())
}

/// A solution's page: GET `/solutions/{name}?v=`.
pub async fn solution(
    ctx: Ctx,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> UiResult {
    let caller = ctx.caller()?.clone();
    let state = ctx.state.clone();
    let axum::Json(package) =
        packages::package(State(state.clone()), caller.clone(), Path(name.clone()))
            .await
            .map_err(|e| ctx.error(e))?;
    let version = match q.v {
        Some(v) => v,
        None => default_version(&state, &ctx, &name, &package["versions"])
            .await
            .unwrap_or_default(),
    };
    let axum::Json(record) = packages::version(
        State(state.clone()),
        caller.clone(),
        Path((name.clone(), version.clone())),
    )
    .await
    .map_err(|e| ctx.error(e))?;
    let enterprise = caller.account.role == Role::Enterprise;
    let review_state = record["review"]["state"]
        .as_str()
        .unwrap_or("pending")
        .to_owned();
    let listed = review_state == "approved" && record["yanked"] != json!(true);
    let d = &record["descriptor"];
    Ok(ctx.page(
        &title_of(&ctx, &record),
        html! {
            p.meta { code { (name) "@" (version) } " · " (ctx.t("provider_label")) ": " (record["provider"].as_str().unwrap_or_default()) }
            @if enterprise && listed {
                p.actions {
                    a.button href={ "/solutions/" (name) "/" (version) "/try" } { (ctx.t("try")) }
                }
                (deploy_form(&ctx, &name, &version))
            }
            section aria-labelledby="versions" {
                h2 #versions { (ctx.t("versions")) }
                ul.versions {
                    @for v in package["versions"].as_array().into_iter().flatten() {
                        @let ver = v["version"].as_str().unwrap_or_default();
                        li {
                            a href={ "/solutions/" (name) "?v=" (ver) } aria-current=[(ver == version).then_some("page")] { (ver) }
                            @if v["yanked"] == json!(true) { " " span.tag.yanked { (ctx.t("yanked")) } }
                        }
                    }
                }
            }
            section aria-labelledby="listing" {
                h2 #listing { (ctx.t("details")) }
                dl.facts {
                    dt { (ctx.t("summary")) } dd { (record["summary"].as_str().unwrap_or_default()) }
                    @if let Some(desc) = record["manifest"]["listing"]["description"].as_object() {
                        dt { (ctx.t("description")) } dd { (desc.get(ctx.lang.code()).and_then(Value::as_str).unwrap_or_default()) }
                    }
                    dt { (ctx.t("industry")) } dd { @for i in record["industries"].as_array().into_iter().flatten() { span.tag { (industry_label(&ctx, i.as_str().unwrap_or_default())) } " " } }
                    dt { (ctx.t("stage")) } dd { @for i in record["stages"].as_array().into_iter().flatten() { span.tag { (stage_label(&ctx, i.as_str().unwrap_or_default())) } " " } }
                    dt { (ctx.t("scene")) } dd { @for i in record["scenes"].as_array().into_iter().flatten() { span.tag { (scene_label(&ctx, i.as_str().unwrap_or_default())) } " " } }
                    dt { (ctx.t("target_level")) } dd { (level(&ctx, record["target_level"].as_u64().unwrap_or(0))) }
                    dt { (ctx.t("deploy_price")) } dd { (num(record["price"]["deploy_cny"].as_f64().unwrap_or(0.0), 2)) " " (ctx.t("cny")) }
                    dt { (ctx.t("run_price")) } dd { (num(record["price"]["per_1k_runs_cny"].as_f64().unwrap_or(0.0), 2)) " " (ctx.t("cny")) }
                    dt { (ctx.t("deploy_days")) } dd { (cell(&record["deploy_days"])) }
                    dt { (ctx.t("license")) } dd { (record["manifest"]["package"]["license"].as_str().unwrap_or_default()) }
                    dt { (ctx.t("wit")) } dd { (record["wit_version"].as_str().unwrap_or_default()) }
                    dt { (ctx.t("size")) } dd { (num(record["size"].as_f64().unwrap_or(0.0) / 1024.0, 1)) " KiB" }
                    dt { (ctx.t("digest")) } dd { code.digest { (record["digest"].as_str().unwrap_or_default()) } }
                }
            }
            section aria-labelledby="review" {
                h2 #review { (ctx.t("review_state")) }
                p { span class={ "tag state-" (review_state) } { (ctx.t(state_key(&review_state))) } }
                @if let Some(note) = record["review"]["note"].as_str().filter(|n| !n.is_empty()) {
                    p { (ctx.t("note")) ": " (note) }
                }
            }
            section aria-labelledby="schema" {
                h2 #schema { (ctx.t("schema")) }
                (schema(&ctx, d))
            }
            section aria-labelledby="score" {
                h2 #score { (ctx.t("scorecard")) }
                (scorecard(&ctx, &record["scorecard"]))
            }
        },
    ))
}

pub fn state_key(state: &str) -> &'static str {
    match state {
        "approved" => "approved",
        "rejected" => "rejected",
        "suspended" => "suspended",
        _ => "pending",
    }
}

fn deploy_form(ctx: &Ctx, name: &str, version: &str) -> Markup {
    html! {
        form.inline method="post" action="/deployments" {
            (ctx.csrf_field())
            input type="hidden" name="package" value=(name);
            input type="hidden" name="version" value={ "=" (version) };
            button type="submit" { (ctx.t("deploy_this")) }
        }
    }
}

/// The descriptor as readable tables: inputs, params, outputs, metrics, with units.
pub fn schema(ctx: &Ctx, d: &Value) -> Markup {
    let tables = |list: &Value, heading: &str| -> Markup {
        html! {
            h3 { (heading) }
            @for table in list.as_array().into_iter().flatten() {
                div.scroll tabindex="0" role="region" aria-label=(table["name"].as_str().unwrap_or_default()) {
                    table {
                        caption { code { (table["name"].as_str().unwrap_or_default()) } " — " (table["description"].as_str().unwrap_or_default())
                            " (" (ctx.t("rows")) " ≥ " (cell(&table["min_rows"])) @if let Some(max) = table["max_rows"].as_u64() { ", ≤ " (max) } ")" }
                        thead { tr { th scope="col" { (ctx.t("column")) } th scope="col" { (ctx.t("type")) } th scope="col" { (ctx.t("unit")) } th scope="col" { (ctx.t("description")) } } }
                        tbody {
                            @for c in table["columns"].as_array().into_iter().flatten() {
                                tr { td { code { (c["name"].as_str().unwrap_or_default()) } } td { (c["type"].as_str().unwrap_or_default()) } td { (c["unit"].as_str().unwrap_or_default()) } td { (c["description"].as_str().unwrap_or_default()) } }
                            }
                        }
                    }
                }
            }
        }
    };
    html! {
        (tables(&d["inputs"], ctx.t("inputs")))
        h3 { (ctx.t("params")) }
        div.scroll tabindex="0" role="region" aria-label=(ctx.t("params")) {
            table {
                thead { tr { th scope="col" { (ctx.t("params")) } th scope="col" { (ctx.t("type")) } th scope="col" { (ctx.t("unit")) } th scope="col" { (ctx.t("default")) } th scope="col" { (ctx.t("range")) } th scope="col" { (ctx.t("description")) } } }
                tbody {
                    @for p in d["params"].as_array().into_iter().flatten() {
                        tr {
                            td { code { (p["name"].as_str().unwrap_or_default()) } }
                            td { (p["type"].as_str().unwrap_or_default()) }
                            td { (p["unit"].as_str().unwrap_or_default()) }
                            td { (cell(&p["default"])) }
                            td { (cell(&p["min"])) " … " (cell(&p["max"])) }
                            td { (p["description"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
        (tables(&d["outputs"], ctx.t("outputs")))
        h3 { (ctx.t("metrics")) }
        ul {
            @for m in d["metrics"].as_array().into_iter().flatten() {
                li { code { (m["name"].as_str().unwrap_or_default()) } @if let Some(u) = m["unit"].as_str().filter(|u| !u.is_empty()) { " [" (u) "]" } " — " (m["description"].as_str().unwrap_or_default()) }
            }
        }
    }
}

/// A stored scorecard in full: sub-scores and every analyzer's outcome.
pub fn scorecard(ctx: &Ctx, card: &Value) -> Markup {
    if card.is_null() {
        return html! { p { (ctx.t("not_scored")) } };
    }
    html! {
        (badges(ctx, &card["scores"]))
        @if let Some(safe) = card["scores"]["safe"].as_f64() { p { (ctx.t("safe")) ": " (num(safe, 0)) } }
        div.scroll tabindex="0" role="region" aria-label=(ctx.t("scorecard")) {
            table {
                thead { tr { th scope="col" { (ctx.t("analyzer")) } th scope="col" { (ctx.t("outcome")) } th scope="col" { (ctx.t("summary")) } } }
                tbody {
                    @for r in card["results"].as_array().into_iter().flatten() {
                        @let outcome = outcome_text(&r["outcome"]);
                        tr class={ "outcome-" (outcome) } {
                            td { code { (cell(&r["id"])) } }
                            td { (outcome) }
                            td { (r["summary"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

fn outcome_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
        other => cell(other),
    }
}
