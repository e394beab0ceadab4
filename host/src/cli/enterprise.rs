//! Enterprise commands: try a listed solution on your own spreadsheets, deploy a pinned version,
//! invoke it, check an upgrade, roll back. `--json` prints the server's answer for scripts;
//! without it, aligned tables for people.

use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Map, Value, json};
use smelt_registry::PackageName;
use smelt_runtime::{Descriptor, ValueType, input_from_json, table_from_csv_bytes};

use super::client::{Client, Connection};

/// The data of one call: CSV files (one per input table) and/or an input JSON, plus params.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// `file.csv[:table]`: a CSV per input table (header = column names), typed by the
    /// solution's descriptor; `:table` may be left out when the solution takes one table or the
    /// file is named after the table. Or `file.json`: a whole input
    /// (`{"tables": {...}, "params": {...}}`). Repeatable.
    #[arg(long = "input", value_name = "FILE[:TABLE]", required = true)]
    pub inputs: Vec<String>,
    /// A param, `name=value`, typed by the descriptor. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// Splits `name@req` (no `@`: any version).
fn parse_spec(spec: &str) -> anyhow::Result<(PackageName, String)> {
    let (name, req) = spec.split_once('@').unwrap_or((spec, "*"));
    let name: PackageName = name.parse().with_context(|| {
        format!("`{spec}` is not <name>@<version requirement>, e.g. dye-lot-color-qc@^0.1")
    })?;
    if req.trim().is_empty() {
        bail!("`{spec}` has no version requirement after '@': write e.g. {name}@^0.1 or {name}@*");
    }
    Ok((name, req.to_owned()))
}

/// The exact version `req` resolves to for this caller.
async fn resolve(client: &Client, name: &PackageName, req: &str) -> anyhow::Result<String> {
    let (_, body) = client
        .send(
            client
                .request(
                    reqwest::Method::GET,
                    &format!("/v1/packages/{name}/resolve"),
                )
                .query(&[("req", req)]),
        )
        .await?;
    body["version"]
        .as_str()
        .map(str::to_owned)
        .context("the server's resolve answer has no version")
}

/// The descriptor of `name@version`, from the server.
async fn descriptor(client: &Client, name: &str, version: &str) -> anyhow::Result<Descriptor> {
    let body = client
        .get(&format!("/v1/packages/{name}/{version}"))
        .await?;
    serde_json::from_value(body["descriptor"].clone())
        .with_context(|| format!("the server sent no usable descriptor for {name}@{version}"))
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = items.collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// `file.csv[:table]` → (file, table), the table chosen by the descriptor when not given.
fn csv_target<'a>(arg: &'a str, descriptor: &'a Descriptor) -> anyhow::Result<(&'a str, &'a str)> {
    let tables = || names(descriptor.inputs.iter().map(|t| t.name.as_str()));
    if let Some((file, table)) = arg.rsplit_once(':')
        && file.to_ascii_lowercase().ends_with(".csv")
    {
        let Some(spec) = descriptor.inputs.iter().find(|t| t.name == table) else {
            bail!(
                "--input {arg}: {} has no input table `{table}` (its tables: {})",
                descriptor.name,
                tables()
            );
        };
        return Ok((file, spec.name.as_str()));
    }
    let stem = Path::new(arg)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    if let Some(spec) = descriptor.inputs.iter().find(|t| t.name == stem) {
        return Ok((arg, spec.name.as_str()));
    }
    match descriptor.inputs.as_slice() {
        [only] => Ok((arg, only.name.as_str())),
        _ => bail!(
            "--input {arg}: say which table it holds, as --input {arg}:<table> (tables: {})",
            tables()
        ),
    }
}

/// A `--param name=value`, typed by the descriptor.
fn param(arg: &str, descriptor: &Descriptor) -> anyhow::Result<(String, Value)> {
    let Some((name, text)) = arg.split_once('=') else {
        bail!("--param {arg}: write name=value, e.g. --param tolerance=1.5");
    };
    let Some(spec) = descriptor.params.iter().find(|p| p.name == name) else {
        bail!(
            "--param {arg}: {} has no param `{name}` (its params: {})",
            descriptor.name,
            names(descriptor.params.iter().map(|p| p.name.as_str()))
        );
    };
    let text = text.trim();
    let value = match spec.value_type {
        ValueType::Float64 => text.parse::<f64>().ok().map(|v| json!(v)),
        ValueType::Int64 => text.parse::<i64>().ok().map(|v| json!(v)),
        ValueType::Boolean => match text {
            "true" | "yes" | "1" => Some(json!(true)),
            "false" | "no" | "0" => Some(json!(false)),
            _ => None,
        },
        ValueType::Text => Some(json!(text)),
    };
    let value = value.with_context(|| {
        format!(
            "--param {arg}: `{name}` is a {} param; `{text}` is not one",
            spec.value_type.name()
        )
    })?;
    Ok((name.to_owned(), value))
}

/// The input JSON of a call (`defaults` under the given params), checked against `descriptor`
/// here so mistakes are named before anything is sent.
pub fn build_input(
    args: &InputArgs,
    descriptor: &Descriptor,
    defaults: &Map<String, Value>,
) -> anyhow::Result<Value> {
    let mut tables = Map::new();
    let mut params = defaults.clone();
    for arg in &args.inputs {
        if arg.to_ascii_lowercase().ends_with(".json") {
            let text = std::fs::read_to_string(arg)
                .with_context(|| format!("--input {arg}: cannot read it (check the path)"))?;
            let value: Value = serde_json::from_str(&text)
                .with_context(|| format!("--input {arg}: not valid JSON"))?;
            let Some(top) = value.as_object() else {
                bail!("--input {arg}: expected {{\"tables\": {{...}}, \"params\": {{...}}}}");
            };
            for (key, target) in [("tables", &mut tables), ("params", &mut params)] {
                if let Some(map) = top.get(key).and_then(Value::as_object) {
                    target.extend(map.clone());
                }
            }
            continue;
        }
        let (file, table) = csv_target(arg, descriptor)?;
        let spec = descriptor
            .inputs
            .iter()
            .find(|t| t.name == table)
            .context("table chosen from the descriptor")?;
        let bytes = std::fs::read(file)
            .with_context(|| format!("--input {arg}: cannot read {file} (check the path)"))?;
        let parsed = table_from_csv_bytes(&bytes, spec)
            .map_err(|e| anyhow::anyhow!("{file}: {e}; fix the file and try again"))?;
        if tables.contains_key(table) {
            bail!("--input {arg}: table `{table}` is given twice");
        }
        tables.insert(table.to_owned(), serde_json::to_value(parsed)?);
    }
    for arg in &args.params {
        let (name, value) = param(arg, descriptor)?;
        params.insert(name, value);
    }
    let input = json!({"tables": tables, "params": params});
    input_from_json(&input, descriptor)
        .map_err(|e| anyhow::anyhow!("the input does not fit {}: {e}", descriptor.name))?;
    Ok(input)
}

// ---------------------------------------------------------------------------------------------
// Printing for people.

/// Prints rows as columns padded to their widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format_number(f),
            _ => n.to_string(),
        },
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

/// Up to six significant decimals, no trailing zeros.
fn format_number(value: f64) -> String {
    if value != 0.0 && (value.abs() >= 1e9 || value.abs() < 1e-4) {
        return format!("{value:e}");
    }
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Most rows of an output table printed; the rest is counted (`--json` has everything).
const MAX_PRINTED_ROWS: usize = 50;

/// Prints a run's answer (trial or invoke): what ran, usage, metrics, findings, tables.
fn print_run(answer: &Value) {
    let digest = answer["digest"].as_str().unwrap_or("");
    println!(
        "{}@{} ({}…)  fuel {}  {:.2} ms  cost {} CNY",
        answer["package"].as_str().unwrap_or("?"),
        answer["version"].as_str().unwrap_or("?"),
        digest.get(..19).unwrap_or(digest),
        cell(&answer["usage"]["fuel"]),
        answer["usage"]["wall_ms"].as_f64().unwrap_or(0.0),
        format_number(answer["cost_cny"].as_f64().unwrap_or(0.0)),
    );
    if let Some(warning) = answer["warning"].as_str() {
        println!("warning: {warning}");
    }
    let output = &answer["output"];
    let metrics = output["metrics"].as_array().cloned().unwrap_or_default();
    if !metrics.is_empty() {
        println!("\nmetrics");
        let rows: Vec<Vec<String>> = metrics
            .iter()
            .map(|m| vec![cell(&m["name"]), cell(&m["value"]), cell(&m["unit"])])
            .collect();
        print_table(&["name", "value", "unit"], &rows);
    }
    let findings = output["findings"].as_array().cloned().unwrap_or_default();
    if !findings.is_empty() {
        println!("\nfindings");
        let rows: Vec<Vec<String>> = findings
            .iter()
            .map(|f| {
                let at = match (&f["table"], &f["row"]) {
                    (Value::String(t), Value::Number(r)) => format!("{t} row {r}"),
                    (_, Value::Number(r)) => format!("row {r}"),
                    _ => String::new(),
                };
                vec![
                    cell(&f["severity"]),
                    cell(&f["code"]),
                    at,
                    cell(&f["message"]),
                ]
            })
            .collect();
        print_table(&["severity", "code", "where", "message"], &rows);
    }
    if let Some(tables) = output["tables"].as_object() {
        for (name, columns) in tables {
            let Some(columns) = columns.as_object() else {
                continue;
            };
            let count = columns
                .values()
                .map(|c| c.as_array().map_or(0, Vec::len))
                .max()
                .unwrap_or(0);
            println!("\ntable {name} ({count} rows)");
            let header: Vec<&str> = columns.keys().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = (0..count.min(MAX_PRINTED_ROWS))
                .map(|i| columns.values().map(|c| cell(&c[i])).collect())
                .collect();
            print_table(&header, &rows);
            if count > MAX_PRINTED_ROWS {
                println!(
                    "  … {} more rows (--json prints all)",
                    count - MAX_PRINTED_ROWS
                );
            }
        }
    }
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn print_deployments(deployments: &[Value]) {
    let rows: Vec<Vec<String>> = deployments
        .iter()
        .map(|d| {
            vec![
                cell(&d["id"]),
                cell(&d["package"]),
                cell(&d["pinned"]["version"]),
                cell(&d["requirement"]),
                d["pinned"]["digest"]
                    .as_str()
                    .and_then(|s| s.get(..19))
                    .unwrap_or("")
                    .to_owned(),
                d["warning"].as_str().unwrap_or("").to_owned(),
            ]
        })
        .collect();
    print_table(
        &[
            "id",
            "package",
            "version",
            "requirement",
            "digest",
            "warning",
        ],
        &rows,
    );
}

// ---------------------------------------------------------------------------------------------
// Commands.

/// Arguments of `smelt try`.
#[derive(Debug, Args)]
pub struct TryArgs {
    /// `<name>@<version requirement>`, e.g. dye-lot-color-qc@^0.1
    pub spec: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `smelt try`.
pub async fn try_solution(args: TryArgs) -> anyhow::Result<()> {
    let (name, req) = parse_spec(&args.spec)?;
    let client = Client::connect(&args.connection)?;
    let version = resolve(&client, &name, &req).await?;
    let descriptor = descriptor(&client, name.as_str(), &version).await?;
    let input = build_input(&args.input, &descriptor, &Map::new())?;
    let body = json!({"package": name.as_str(), "version": format!("={version}"), "input": input});
    let answer = client.post_cbor("/v1/trials", &body).await?;
    if args.json {
        return print_json(&answer);
    }
    print_run(&answer);
    Ok(())
}

/// Arguments of `smelt deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// `<name>@<version requirement>`: the approved version it resolves to is pinned.
    pub spec: String,
    /// A default param for every call, `name=value`. Repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// How many recent inputs to keep for upgrade checks (0–20; default 20).
    #[arg(long)]
    pub keep_inputs: Option<usize>,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `smelt deploy`.
pub async fn deploy(args: DeployArgs) -> anyhow::Result<()> {
    let (name, req) = parse_spec(&args.spec)?;
    let client = Client::connect(&args.connection)?;
    let mut params = Map::new();
    if !args.params.is_empty() {
        let version = resolve(&client, &name, &req).await?;
        let descriptor = descriptor(&client, name.as_str(), &version).await?;
        for arg in &args.params {
            let (name, value) = param(arg, &descriptor)?;
            params.insert(name, value);
        }
    }
    let mut body = json!({"package": name.as_str(), "version": req, "params": params});
    if let Some(keep) = args.keep_inputs {
        body["keep_inputs"] = json!(keep);
    }
    let answer = client.post("/v1/deployments", &body).await?;
    if args.json {
        return print_json(&answer);
    }
    let deployment = &answer["deployment"];
    println!(
        "deployed; invoke it with: smelt invoke {} --input <file.csv>",
        cell(&deployment["id"])
    );
    print_deployments(std::slice::from_ref(deployment));
    Ok(())
}

/// Arguments of `smelt deployments`.
#[derive(Debug, Args)]
pub struct DeploymentsArgs {
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `smelt deployments`.
pub async fn deployments(args: DeploymentsArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.connection)?;
    let answer = client.get("/v1/deployments").await?;
    if args.json {
        return print_json(&answer);
    }
    let list = answer["deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    print_deployments(&list);
    println!("{} deployment(s)", list.len());
    Ok(())
}

/// The caller's deployment `id`, from the list (the API has no single-deployment read).
async fn find_deployment(client: &Client, id: &str) -> anyhow::Result<Value> {
    let answer = client.get("/v1/deployments").await?;
    answer["deployments"]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["id"] == id))
        .cloned()
        .with_context(|| format!("you have no deployment `{id}`: `smelt deployments` lists yours"))
}

/// Arguments of `smelt invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The deployment id (`smelt deployments` lists them).
    pub id: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `smelt invoke`.
pub async fn invoke(args: InvokeArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.connection)?;
    let deployment = find_deployment(&client, &args.id).await?;
    let package = deployment["package"].as_str().unwrap_or_default();
    let version = deployment["pinned"]["version"].as_str().unwrap_or_default();
    let descriptor = descriptor(&client, package, version).await?;
    // The deployment's default params apply where the call gives none.
    let defaults = deployment["params"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let input = build_input(&args.input, &descriptor, &defaults)?;
    let answer = client
        .post_cbor(
            &format!("/v1/deployments/{}/invoke", args.id),
            &json!({"input": input}),
        )
        .await?;
    if args.json {
        return print_json(&answer);
    }
    print_run(&answer);
    Ok(())
}

/// Arguments of `smelt upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The deployment id.
    pub id: String,
    /// The version requirement to move to, e.g. ^0.2 or =0.1.1.
    pub version: String,
    /// Run the gate and print its report; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Switch even when the shadow run shows different outputs (recorded as forced).
    #[arg(long)]
    pub force: bool,
    /// Absolute tolerance for numbers in the output diff (default 1e-9).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

fn print_gate(report: &Value) {
    let checks = &report["checks"];
    let mark = |v: &Value| {
        if v.as_bool() == Some(true) {
            "pass"
        } else {
            "FAIL"
        }
    };
    let rows = vec![
        vec![
            "wit".to_owned(),
            mark(&checks["wit"]["pass"]).to_owned(),
            format!(
                "{} → {} ({})",
                cell(&checks["wit"]["current"]),
                cell(&checks["wit"]["candidate"]),
                cell(&checks["wit"]["rule"])
            ),
        ],
        vec![
            "review".to_owned(),
            mark(&checks["review"]["pass"]).to_owned(),
            format!(
                "{}{}",
                cell(&checks["review"]["state"]),
                if checks["review"]["yanked"] == true {
                    ", yanked"
                } else {
                    ""
                }
            ),
        ],
        vec![
            "shadow".to_owned(),
            mark(&checks["shadow"]["pass"]).to_owned(),
            format!(
                "{} kept input(s), {} differing; {}",
                cell(&checks["shadow"]["inputs"]),
                cell(&checks["shadow"]["differing"]),
                cell(&checks["shadow"]["note"])
            ),
        ],
    ];
    println!(
        "gate {}@{} → {}",
        cell(&report["package"]),
        cell(&report["from"]["version"]),
        cell(&report["to"]["version"])
    );
    print_table(&["check", "result", "detail"], &rows);
    for run in checks["shadow"]["runs"].as_array().into_iter().flatten() {
        for difference in run["differences"].as_array().into_iter().flatten() {
            println!("  input {}: {}", cell(&run["input"]), cell(difference));
        }
    }
    println!(
        "fuel {} → {}  cost {} → {} CNY",
        cell(&report["fuel"]["current"]),
        cell(&report["fuel"]["candidate"]),
        cell(&report["cost_cny"]["current"]),
        cell(&report["cost_cny"]["candidate"])
    );
}

/// Runs `smelt upgrade`.
pub async fn upgrade(args: UpgradeArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.connection)?;
    let mut body = json!({"version": args.version, "dry_run": args.dry_run, "force": args.force});
    if let Some(t) = args.tolerance {
        body["tolerance"] = json!(t);
    }
    let path = format!("/v1/deployments/{}/upgrade", args.id);
    // A refused gate is 409 with the report in the body: show the report, then fail.
    let (status, answer) = client
        .send_raw(client.request(reqwest::Method::POST, &path).json(&body))
        .await?;
    let refused = status == 409 && answer.get("report").is_some();
    if status >= 400 && !refused {
        return Err(client.error(status, &answer).into());
    }
    if args.json {
        print_json(&answer)?;
    } else {
        print_gate(&answer["report"]);
        if answer["switched"] == true {
            println!(
                "switched to {}{}",
                cell(&answer["report"]["to"]["version"]),
                if answer["forced"] == true {
                    " (forced)"
                } else {
                    ""
                }
            );
        } else if args.dry_run {
            println!(
                "dry run: nothing changed; the gate {}",
                if answer["report"]["pass"] == true {
                    "passes"
                } else {
                    "fails"
                }
            );
        }
    }
    if refused {
        bail!(
            "{}",
            answer["error"]["message"]
                .as_str()
                .unwrap_or("upgrade refused by the gate")
        );
    }
    Ok(())
}

/// Arguments of `smelt rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The deployment id.
    pub id: String,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `smelt rollback`.
pub async fn rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.connection)?;
    let answer = client
        .post(&format!("/v1/deployments/{}/rollback", args.id), &json!({}))
        .await?;
    if args.json {
        return print_json(&answer);
    }
    println!("rolled back");
    print_deployments(std::slice::from_ref(&answer["deployment"]));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor() -> Descriptor {
        serde_json::from_value(json!({
            "name": "gauge", "version": "0.1.0", "summary": "",
            "inputs": [
                {"name": "parts", "description": "", "min_rows": 1, "max_rows": null,
                 "columns": [{"name": "id", "type": "text", "unit": "", "description": ""},
                             {"name": "mm", "type": "float64", "unit": "mm", "description": ""}]},
                {"name": "limits", "description": "", "min_rows": 0, "max_rows": null,
                 "columns": [{"name": "mm", "type": "float64", "unit": "mm", "description": ""}]}
            ],
            "params": [{"name": "k", "type": "int64", "unit": "", "description": "",
                        "default": null, "optional": true, "min": null, "max": null, "choices": []}],
            "outputs": [], "metrics": []
        }))
        .unwrap()
    }

    #[test]
    fn csv_arguments_name_their_table() {
        let d = descriptor();
        assert_eq!(csv_target("a.csv:limits", &d).unwrap(), ("a.csv", "limits"));
        assert_eq!(
            csv_target("dir/parts.csv", &d).unwrap(),
            ("dir/parts.csv", "parts")
        );
        let e = csv_target("data.csv", &d).unwrap_err().to_string();
        assert!(
            e.contains("--input data.csv:<table> (tables: parts, limits)"),
            "{e}"
        );
        let e = csv_target("a.csv:nope", &d).unwrap_err().to_string();
        assert!(e.contains("no input table `nope`"), "{e}");
    }

    #[test]
    fn params_are_typed_by_the_descriptor() {
        let d = descriptor();
        assert_eq!(param("k=3", &d).unwrap(), ("k".to_owned(), json!(3)));
        let e = param("k=3.5", &d).unwrap_err().to_string();
        assert_eq!(e, "--param k=3.5: `k` is a int64 param; `3.5` is not one");
        assert!(
            param("x=1", &d)
                .unwrap_err()
                .to_string()
                .contains("(its params: k)")
        );
        assert!(
            param("k", &d)
                .unwrap_err()
                .to_string()
                .contains("name=value")
        );
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(format_number(10.004000000000001), "10.004");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(1e-7), "1e-7");
    }

    #[test]
    fn specs_need_a_valid_name_and_a_requirement() {
        assert_eq!(parse_spec("a-b@^0.1").unwrap().1, "^0.1");
        assert_eq!(parse_spec("a-b").unwrap().1, "*");
        assert!(parse_spec("A@1").is_err());
        assert!(parse_spec("ab@").is_err());
    }
}
