//! Test vectors: an input and the expected part of its output, compared within a tolerance.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::{ColumnValues, Output};

/// One test vector (the format is in `docs/manifest.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Name, e.g. the reference it comes from.
    pub name: String,
    /// Input JSON (`{"tables", "params"}`).
    pub input: Json,
    /// Expected subset of the output.
    pub expected: Json,
    /// Absolute tolerance for numbers.
    pub tolerance: f64,
}

/// The vectors of a package, as published beside the component.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorBundle {
    /// The vectors.
    pub vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct PackageVectors {
    #[serde(default)]
    vectors: Vec<VectorFiles>,
}

#[derive(Deserialize)]
struct VectorFiles {
    name: String,
    input: String,
    expected: String,
    tolerance: f64,
}

impl VectorBundle {
    /// Reads the `[[vectors]]` of a package directory's `smelt.toml` and the files they name
    /// (paths relative to the directory). Other manifest fields are not looked at here.
    pub fn from_package_dir(dir: &std::path::Path) -> Result<VectorBundle, String> {
        let manifest_path = dir.join("smelt.toml");
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| format!("reading {}: {e}", manifest_path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
        let entries: PackageVectors = toml::Value::Table(table)
            .try_into()
            .map_err(|e| format!("{}: `vectors`: {e}", manifest_path.display()))?;
        let read = |file: &str| -> Result<Json, String> {
            let path = dir.join(file);
            if std::path::Path::new(file).is_absolute()
                || file.split(['/', '\\']).any(|part| part == "..")
            {
                return Err(format!(
                    "vector file `{file}` must be a relative path inside the package"
                ));
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("reading {}: {e}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
        };
        let mut vectors = Vec::new();
        for e in entries.vectors {
            vectors.push(Vector {
                input: read(&e.input)?,
                expected: read(&e.expected)?,
                name: e.name,
                tolerance: e.tolerance,
            });
        }
        Ok(VectorBundle { vectors })
    }
}

fn close(expected: &Json, actual: f64, tolerance: f64) -> bool {
    expected
        .as_f64()
        .is_some_and(|e| (e - actual).abs() <= tolerance)
}

/// Compares `output` with the `expected` subset; returns one message per mismatch (empty when
/// the output matches). Numbers compare within `tolerance`; text and booleans exactly.
pub fn compare_expected(expected: &Json, output: &Output, tolerance: f64) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(expected) = expected.as_object() else {
        return vec!["expected: not an object".into()];
    };
    for key in expected.keys() {
        if !matches!(key.as_str(), "tables" | "metrics" | "findings") {
            problems.push(format!("expected: unknown field `{key}`"));
        }
    }
    if let Some(tables) = expected.get("tables").and_then(Json::as_object) {
        for (table, columns) in tables {
            let Some(actual) = output.tables.get(table) else {
                problems.push(format!("table `{table}`: missing from the output"));
                continue;
            };
            for (column, values) in columns.as_object().into_iter().flatten() {
                let Some(actual) = actual.get(column) else {
                    problems.push(format!(
                        "table `{table}`: column `{column}` missing from the output"
                    ));
                    continue;
                };
                let values = values.as_array().map(Vec::as_slice).unwrap_or_default();
                if values.len() != actual.len() {
                    problems.push(format!(
                        "table `{table}`, column `{column}`: expected {} values, got {}",
                        values.len(),
                        actual.len()
                    ));
                    continue;
                }
                for (row, e) in values.iter().enumerate() {
                    let ok = match actual {
                        ColumnValues::Float64(v) => close(e, v[row], tolerance),
                        ColumnValues::Int64(v) => close(e, v[row] as f64, tolerance),
                        ColumnValues::Text(v) => e.as_str() == Some(&v[row]),
                        ColumnValues::Boolean(v) => e.as_bool() == Some(v[row]),
                    };
                    if !ok {
                        let got = match actual {
                            ColumnValues::Float64(v) => v[row].to_string(),
                            ColumnValues::Int64(v) => v[row].to_string(),
                            ColumnValues::Text(v) => format!("{:?}", &v[row]),
                            ColumnValues::Boolean(v) => v[row].to_string(),
                        };
                        problems.push(format!(
                            "table `{table}`, column `{column}`, row {row}: expected {e}, got {got}"
                        ));
                    }
                }
            }
        }
    }
    if let Some(metrics) = expected.get("metrics").and_then(Json::as_object) {
        for (name, e) in metrics {
            match output.metric(name) {
                Some(actual) if close(e, actual, tolerance) => {}
                Some(actual) => {
                    problems.push(format!("metric `{name}`: expected {e}, got {actual}"))
                }
                None => problems.push(format!("metric `{name}`: missing from the output")),
            }
        }
    }
    if let Some(findings) = expected.get("findings").and_then(Json::as_array) {
        for e in findings {
            let code = e.get("code").and_then(Json::as_str).unwrap_or_default();
            let row = e.get("row").and_then(Json::as_u64);
            let found = output
                .findings
                .iter()
                .any(|f| f.code == code && row.is_none_or(|r| f.row.map(u64::from) == Some(r)));
            if !found {
                problems.push(format!(
                    "finding `{code}`{}: missing from the output",
                    row.map(|r| format!(" at row {r}")).unwrap_or_default()
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Metric, Severity, Table};
    use serde_json::json;

    fn output() -> Output {
        let mut t = Table::new();
        t.insert("x".into(), ColumnValues::Float64(vec![1.0, 2.0]));
        t.insert("ok".into(), ColumnValues::Boolean(vec![true, false]));
        Output {
            tables: [("r".to_owned(), t)].into_iter().collect(),
            metrics: vec![Metric {
                name: "m".into(),
                value: 3.0,
                unit: String::new(),
            }],
            findings: vec![Finding {
                severity: Severity::Warning,
                code: "bad".into(),
                message: String::new(),
                table: None,
                row: Some(1),
            }],
        }
    }

    #[test]
    fn matching_subset_passes() {
        let e = json!({"tables": {"r": {"x": [1.00004, 2.0]}}, "metrics": {"m": 3.0}, "findings": [{"code": "bad", "row": 1}]});
        assert_eq!(compare_expected(&e, &output(), 1e-4), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_mismatch_is_named() {
        let e = json!({"tables": {"r": {"x": [1.1, 2.0], "ok": [true, true]}, "s": {}}, "metrics": {"m": 4.0, "n": 1}, "findings": [{"code": "bad", "row": 0}]});
        let problems = compare_expected(&e, &output(), 1e-4);
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(problems[0].contains("column `x`, row 0: expected 1.1, got 1"));
    }
}
