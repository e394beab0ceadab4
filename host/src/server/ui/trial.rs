//! Try a solution: a CSV per input table (or the package's sample), params, run; the output
//! tables, findings by severity, usage, cost and a chart fitting the solution.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Multipart, Path, State};
use maud::{Markup, html};
use serde_json::{Map, Value, json};
use smelt_runtime::{Descriptor, ValueType};

use super::{Ctx, UiResult, body, cell, charts, json_table, num};
use crate::server::{ApiError, Shared, packages, trials};

/// A submitted multipart form: text fields and uploaded files (non-empty ones only).
#[derive(Default)]
pub struct FormData {
    pub fields: HashMap<String, String>,
    pub files: HashMap<String, Vec<u8>>,
}

pub async fn read_form(mut multipart: Multipart) -> Result<FormData, ApiError> {
    let mut form = FormData::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        if is_file {
            if !bytes.is_empty() {
                form.files.insert(name, bytes.to_vec());
            }
        } else {
            form.fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(form)
}

/// The version's record (as the API shows it) and its descriptor.
async fn record(ctx: &Ctx, name: &str, version: &str) -> Result<(Value, Descriptor), ApiError> {
    let caller = ctx.caller.clone().ok_or_else(ApiError::unauthenticated)?;
    let Json(record) = packages::version(
        State(ctx.state.clone()),
        caller,
        Path((name.to_owned(), version.to_owned())),
    )
    .await?;
    let descriptor: Descriptor = serde_json::from_value(record["descriptor"].clone())
        .map_err(|e| ApiError::internal("reading a descriptor", e))?;
    Ok((record, descriptor))
}

/// The first reference vector's input, when the version was published with vectors.
pub fn sample(state: &Shared, record: &Value) -> Result<Option<Value>, ApiError> {
    let Some(digest) = record["vectors_digest"].as_str() else {
        return Ok(None);
    };
    let digest: smelt_registry::Digest = digest.parse()?;
    let bundle: smelt_runtime::VectorBundle =
        serde_json::from_slice(&state.registry.blob(&digest)?)
            .map_err(|e| ApiError::internal("reading stored vectors", e))?;
    Ok(bundle.vectors.into_iter().next().map(|v| v.input))
}

/// The form's inputs: file per table, params with their defaults.
pub fn input_fields(ctx: &Ctx, d: &Descriptor, with_sample: bool) -> Markup {
    html! {
        @for table in &d.inputs {
            div.field {
                label for={ "table-" (table.name) } { (ctx.t("upload_csv")) ": " code { (table.name) } }
                input id={ "table-" (table.name) } type="file" name={ "table:" (table.name) } accept=".csv,text/csv" aria-describedby={ "hint-" (table.name) };
                p.hint id={ "hint-" (table.name) } {
                    (table.description) ". " (ctx.t("csv_hint")) " "
                    code { @for (i, c) in table.columns.iter().enumerate() { @if i > 0 { "," } (c.name) } }
                }
            }
        }
        @if with_sample {
            div.field.check {
                input #sample type="checkbox" name="sample" value="1";
                label for="sample" { (ctx.t("use_sample")) }
            }
        }
        fieldset {
            legend { (ctx.t("params")) }
            @for p in &d.params {
                div.field {
                    label for={ "param-" (p.name) } { code { (p.name) } @if !p.unit.is_empty() { " [" (p.unit) "]" } " — " (p.description) }
                    @if p.choices.is_empty() {
                        input id={ "param-" (p.name) } name={ "param:" (p.name) } type="text"
                            placeholder=(p.default.as_ref().map(|v| cell(&serde_json::to_value(v).unwrap_or(Value::Null))).unwrap_or_default());
                    } @else {
                        select id={ "param-" (p.name) } name={ "param:" (p.name) } {
                            option value="" { (ctx.t("default")) }
                            @for c in &p.choices { option value=(c) { (c) } }
                        }
                    }
                }
            }
        }
    }
}

/// Builds `{"tables", "params"}` from a submitted form: CSVs parsed by the descriptor (errors
/// name the table, line and column), or the sample; params typed by their spec.
pub fn input_from_form(
    ctx: &Ctx,
    d: &Descriptor,
    form: &FormData,
    sample: Option<Value>,
) -> Result<Value, String> {
    let use_sample = form.fields.get("sample").is_some_and(|v| v == "1");
    let mut tables = Map::new();
    let mut params = Map::new();
    if use_sample {
        let Some(sample) = sample else {
            return Err(ctx.t("no_sample").to_owned());
        };
        if let Some(t) = sample["tables"].as_object() {
            tables = t.clone();
        }
        if let Some(p) = sample["params"].as_object() {
            params = p.clone();
        }
    }
    for spec in &d.inputs {
        match form.files.get(&format!("table:{}", spec.name)) {
            Some(bytes) => {
                let table = smelt_runtime::table_from_csv_bytes(bytes, spec)
                    .map_err(|e| format!("{} `{}`: {e}", ctx.t("csv_error"), spec.name))?;
                tables.insert(
                    spec.name.clone(),
                    serde_json::to_value(&table).map_err(|e| e.to_string())?,
                );
            }
            None if !tables.contains_key(&spec.name) => {
                return Err(format!("{}: `{}`", ctx.t("missing_table"), spec.name));
            }
            None => {}
        }
    }
    for p in &d.params {
        let Some(text) = form
            .fields
            .get(&format!("param:{}", p.name))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let value = match p.value_type {
            ValueType::Float64 => text.parse::<f64>().ok().map(|x| json!(x)),
            ValueType::Int64 => text.parse::<i64>().ok().map(|x| json!(x)),
            ValueType::Boolean => match text {
                "true" | "1" | "yes" => Some(json!(true)),
                "false" | "0" | "no" => Some(json!(false)),
                _ => None,
            },
            ValueType::Text => Some(json!(text)),
        };
        let value = value.ok_or_else(|| {
            format!(
                "param `{}`: `{text}` is not a {}",
                p.name,
                p.value_type.name()
            )
        })?;
        params.insert(p.name.clone(), value);
    }
    Ok(json!({"tables": tables, "params": params}))
}

/// GET `/solutions/{name}/{version}/try`.
pub async fn page(ctx: Ctx, Path((name, version)): Path<(String, String)>) -> UiResult {
    ctx.require(&[smelt_registry::Role::Enterprise], "running a trial")?;
    let (record, d) = record(&ctx, &name, &version)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(form_page(&ctx, &name, &version, &record, &d, None, None))
}

fn form_page(
    ctx: &Ctx,
    name: &str,
    version: &str,
    record: &Value,
    d: &Descriptor,
    problem: Option<&str>,
    result: Option<Markup>,
) -> axum::response::Response {
    let title = format!(
        "{} · {}",
        ctx.t("try_title"),
        super::catalog::title_of(ctx, record)
    );
    ctx.page(
        &title,
        html! {
            p.meta { a href={ "/solutions/" (name) "?v=" (version) } { code { (name) "@" (version) } } }
            @if let Some(problem) = problem {
                p.error role="alert" #problem { (problem) }
            }
            form.card method="post" enctype="multipart/form-data" action={ "/solutions/" (name) "/" (version) "/try" } {
                (ctx.csrf_field())
                (input_fields(ctx, d, !record["vectors_digest"].is_null()))
                button type="submit" { (ctx.t("run")) }
            }
            @if let Some(result) = result {
                (result)
            }
        },
    )
}

/// POST `/solutions/{name}/{version}/try`.
pub async fn run(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
    multipart: Multipart,
) -> UiResult {
    let caller = ctx
        .require(&[smelt_registry::Role::Enterprise], "running a trial")?
        .clone();
    let form = read_form(multipart).await.map_err(|e| ctx.error(e))?;
    ctx.check_csrf(form.fields.get("csrf").map(String::as_str))?;
    let (record, d) = record(&ctx, &name, &version)
        .await
        .map_err(|e| ctx.error(e))?;
    let sample = sample(&ctx.state, &record).map_err(|e| ctx.error(e))?;
    let input = match input_from_form(&ctx, &d, &form, sample) {
        Ok(input) => input,
        Err(problem) => {
            let mut response = form_page(&ctx, &name, &version, &record, &d, Some(&problem), None);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let request = body(json!({"package": name, "version": format!("={version}"), "input": input}))
        .map_err(|e| ctx.error(e))?;
    match trials::trial(State(ctx.state.clone()), caller, Ok(Json(request))).await {
        Ok(Json(result)) => {
            let shown = output(&ctx, &result, &d, &input);
            Ok(form_page(
                &ctx,
                &name,
                &version,
                &record,
                &d,
                None,
                Some(shown),
            ))
        }
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            let problem = format!("{} ({})", e.message, e.code);
            let mut response = form_page(&ctx, &name, &version, &record, &d, Some(&problem), None);
            *response.status_mut() = e.status;
            Ok(response)
        }
        Err(e) => Err(ctx.error(e)),
    }
}

/// A run's answer: chart, metrics, findings by severity, tables (rows with findings marked),
/// usage and cost, logs.
pub fn output(ctx: &Ctx, result: &Value, d: &Descriptor, input: &Value) -> Markup {
    let out = &result["output"];
    let findings: Vec<&Value> = out["findings"].as_array().into_iter().flatten().collect();
    // A finding marks row `row` of the table it names, or of the first output table when it
    // names none.
    let first = first_table(out);
    let worst_by_row = |table: &str, row: usize| -> Option<&'static str> {
        let mut worst = None;
        for f in &findings {
            let names = f["table"].as_str().unwrap_or(first);
            if names == table && f["row"].as_u64() == Some(row as u64) {
                let s = severity_class(f["severity"].as_str().unwrap_or_default());
                if worst.is_none() || s == "sev-error" {
                    worst = Some(s);
                }
            }
        }
        worst
    };
    let unit_of = |metric: &str| -> String {
        d.metrics
            .iter()
            .find(|m| m.name == metric)
            .map(|m| m.unit.clone())
            .unwrap_or_default()
    };
    html! {
        section.result aria-labelledby="result" {
            h2 #result { (ctx.t("result")) }
            @if let Some(chart) = charts::for_output(ctx, out, input, d) {
                figure.chart {
                    (chart)
                }
            }
            @if let Some(metrics) = out["metrics"].as_array().filter(|m| !m.is_empty()) {
                h3 { (ctx.t("metrics")) }
                dl.facts {
                    @for m in metrics {
                        @let name = m["name"].as_str().unwrap_or_default();
                        dt { code { (name) } }
                        dd { (cell(&m["value"])) " " (m["unit"].as_str().filter(|u| !u.is_empty()).map(str::to_owned).unwrap_or_else(|| unit_of(name))) }
                    }
                }
            }
            h3 { (ctx.t("findings")) " (" (findings.len()) ")" }
            @if findings.is_empty() {
                p { (ctx.t("none")) }
            } @else {
                ul.findings {
                    @for f in &findings {
                        @let sev = f["severity"].as_str().unwrap_or_default();
                        li class=(severity_class(sev)) {
                            span.sev { (sev) } " "
                            code { (f["code"].as_str().unwrap_or_default()) } " "
                            (f["message"].as_str().unwrap_or_default())
                            @if let Some(row) = f["row"].as_u64() { " (" (ctx.t("row")) " " (row + 1) ")" }
                        }
                    }
                }
            }
            h3 { (ctx.t("outputs")) }
            @for (name, table) in out["tables"].as_object().into_iter().flatten() {
                (json_table(name, table, &|row| worst_by_row(name, row)))
            }
            h3 { (ctx.t("usage")) }
            dl.facts {
                dt { (ctx.t("fuel")) } dd { (cell(&result["usage"]["fuel"])) }
                dt { (ctx.t("wall_ms")) } dd { (num(result["usage"]["wall_ms"].as_f64().unwrap_or(0.0), 2)) }
                dt { (ctx.t("memory")) } dd { (num(result["usage"]["peak_memory_bytes"].as_f64().unwrap_or(0.0) / 1_048_576.0, 2)) " MiB" }
                dt { (ctx.t("cost")) } dd { (num(result["cost_cny"].as_f64().unwrap_or(0.0), 6)) " " (ctx.t("cny")) }
            }
            @if let Some(logs) = result["logs"].as_array().filter(|l| !l.is_empty()) {
                h3 { (ctx.t("logs")) }
                pre.logs { @for l in logs { (l["level"].as_str().unwrap_or_default()) ": " (l["message"].as_str().unwrap_or_default()) "\n" } }
            }
        }
    }
}

fn first_table(out: &Value) -> &str {
    out["tables"]
        .as_object()
        .and_then(|t| t.keys().next())
        .map_or("", String::as_str)
}

pub fn severity_class(severity: &str) -> &'static str {
    match severity {
        "error" => "sev-error",
        "warning" => "sev-warning",
        _ => "sev-info",
    }
}
