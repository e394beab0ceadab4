//! The host's own, wasmtime-free view of the contract's data: what the API, the CLI and the
//! conformance suite work with. Converted to and from each WIT version's bindings in
//! `crate::bindings`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use crate::texts::{MAX_TEXT_BYTES, Texts};

/// The type of a column or a param.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// 64-bit float.
    Float64,
    /// 64-bit signed integer.
    Int64,
    /// UTF-8 text.
    Text,
    /// true/false.
    Boolean,
}

impl ValueType {
    /// The name used in WIT, manifests and messages.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Float64 => "float64",
            ValueType::Int64 => "int64",
            ValueType::Text => "text",
            ValueType::Boolean => "boolean",
        }
    }
}

/// The values of one column. Serialises as a plain JSON array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnValues {
    /// float64 values.
    Float64(Vec<f64>),
    /// int64 values.
    Int64(Vec<i64>),
    /// text values.
    Text(Texts),
    /// boolean values.
    Boolean(Vec<bool>),
}

impl ColumnValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Float64(v) => v.len(),
            ColumnValues::Int64(v) => v.len(),
            ColumnValues::Text(v) => v.len(),
            ColumnValues::Boolean(v) => v.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            ColumnValues::Float64(_) => ValueType::Float64,
            ColumnValues::Int64(_) => ValueType::Int64,
            ColumnValues::Text(_) => ValueType::Text,
            ColumnValues::Boolean(_) => ValueType::Boolean,
        }
    }

    /// Approximate size in bytes, for the output cap.
    pub fn approx_bytes(&self) -> usize {
        match self {
            ColumnValues::Float64(v) => v.len() * 8,
            ColumnValues::Int64(v) => v.len() * 8,
            ColumnValues::Text(v) => v.data().len() + 8 * v.len(),
            ColumnValues::Boolean(v) => v.len(),
        }
    }
}

/// A table: named columns, in order.
pub type Table = IndexMap<String, ColumnValues>;

/// A single typed value (a param).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A boolean.
    Boolean(bool),
    /// An integer.
    Int64(i64),
    /// A float.
    Float64(f64),
    /// Text.
    Text(String),
}

impl Value {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Float64(_) => ValueType::Float64,
            Value::Int64(_) => ValueType::Int64,
            Value::Text(_) => ValueType::Text,
            Value::Boolean(_) => ValueType::Boolean,
        }
    }
}

/// One call's input: tables and params by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Input tables by name.
    #[serde(default)]
    pub tables: IndexMap<String, Table>,
    /// Params by name.
    #[serde(default)]
    pub params: IndexMap<String, Value>,
}

impl Input {
    /// Total rows over all tables (the "rows" that budgets and metering count).
    pub fn rows(&self) -> usize {
        self.tables
            .values()
            .map(|t| t.values().map(ColumnValues::len).max().unwrap_or(0))
            .sum()
    }
}

/// A named measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Name, e.g. `max_delta_e00`.
    pub name: String,
    /// Value.
    pub value: f64,
    /// Unit, empty when dimensionless.
    pub unit: String,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information.
    Info,
    /// Worth a look.
    Warning,
    /// A serious problem in the data.
    Error,
}

/// Something the solution noticed about the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable message (control characters neutralised by the host).
    pub message: String,
    /// The input table concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The zero-based row concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
}

/// What a call returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// Output tables by name.
    pub tables: IndexMap<String, Table>,
    /// Metrics, in the order the solution gave them.
    pub metrics: Vec<Metric>,
    /// Findings, in the order the solution gave them.
    pub findings: Vec<Finding>,
}

impl Output {
    /// The value of metric `name`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// Approximate size in bytes, for the output cap.
    pub fn approx_bytes(&self) -> usize {
        let tables: usize = self
            .tables
            .iter()
            .map(|(name, t)| {
                name.len()
                    + t.iter()
                        .map(|(c, v)| c.len() + v.approx_bytes())
                        .sum::<usize>()
            })
            .sum();
        let metrics: usize = self
            .metrics
            .iter()
            .map(|m| m.name.len() + m.unit.len() + 8)
            .sum();
        let findings: usize = self
            .findings
            .iter()
            .map(|f| f.code.len() + f.message.len() + f.table.as_ref().map_or(0, String::len) + 8)
            .sum();
        tables + metrics + findings
    }
}

/// A declared column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub value_type: ValueType,
    /// Unit, empty when dimensionless.
    pub unit: String,
    /// What it holds.
    pub description: String,
}

/// A declared table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Name.
    pub name: String,
    /// What a row is.
    pub description: String,
    /// Columns, in order.
    pub columns: Vec<ColumnSpec>,
    /// Fewest rows accepted.
    pub min_rows: u32,
    /// Most rows accepted, if bounded.
    pub max_rows: Option<u32>,
}

/// A declared param.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub value_type: ValueType,
    /// Unit, empty when dimensionless.
    pub unit: String,
    /// What it controls.
    pub description: String,
    /// Default value.
    pub default: Option<Value>,
    /// May be absent without a default.
    pub optional: bool,
    /// Inclusive lower bound for numbers.
    pub min: Option<f64>,
    /// Inclusive upper bound for numbers.
    pub max: Option<f64>,
    /// Allowed values of a text param; empty means any.
    pub choices: Vec<String>,
}

/// A declared metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSpec {
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// What it measures.
    pub description: String,
}

/// A solution's declared schema, as returned by `describe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// One-line summary.
    pub summary: String,
    /// Input tables.
    pub inputs: Vec<TableSpec>,
    /// Params.
    pub params: Vec<ParamSpec>,
    /// Output tables.
    pub outputs: Vec<TableSpec>,
    /// Metrics.
    pub metrics: Vec<MetricSpec>,
}

/// A guest's own error value (`solution-error` in WIT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum SolutionError {
    /// The input data is unusable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A param is unusable.
    #[error("invalid param: {0}")]
    InvalidParam(String),
    /// Valid, but not supported.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Replaces control characters (terminal escape sequences above all) in text that came from a
/// guest, so it cannot rewrite an operator's terminal or a log line. Newlines and tabs stay.
pub fn neutralise(text: &str) -> String {
    if !has_control(text) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// [`neutralise`] for an owned string: one without control characters (nearly every one) is
/// returned as it is, without a copy. A guest's output can hold a million findings.
pub fn neutralise_owned(text: String) -> String {
    if has_control(&text) {
        neutralise(&text)
    } else {
        text
    }
}

/// Whether `text` holds a control character (Unicode `Cc`: U+0000–U+001F, U+007F–U+009F) other
/// than a newline or a tab, found on the UTF-8 bytes (U+0080–U+009F are `C2 80`–`C2 9F`).
fn has_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| {
        (b < 0x20 && b != b'\n' && b != b'\t')
            || b == 0x7f
            || (b == 0xc2 && bytes.get(at + 1).is_some_and(|&next| next < 0xa0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_neutralised() {
        assert_eq!(
            neutralise("ok\x1b[2J\x07done\n"),
            "ok\u{FFFD}[2J\u{FFFD}done\n"
        );
        assert_eq!(
            neutralise_owned("ok\x1b[2J\x07done\n".to_owned()),
            "ok\u{FFFD}[2J\u{FFFD}done\n"
        );
    }

    #[test]
    fn every_control_character_is_found_and_nothing_else() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = format!("a{c}é\u{a0}");
            let control = c.is_control() && c != '\n' && c != '\t';
            assert_eq!(has_control(&text), control, "U+{:04X}", c as u32);
            let expected: String = text
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\n' && c != '\t' {
                        '\u{FFFD}'
                    } else {
                        c
                    }
                })
                .collect();
            assert_eq!(neutralise(&text), expected, "U+{:04X}", c as u32);
            assert_eq!(neutralise_owned(text), expected, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn clean_owned_text_is_kept_as_it_is() {
        let text = "batch L17: ΔE00 2.31 exceeds tolerance 1\n\tsee row 17".to_owned();
        let at = text.as_ptr();
        let kept = neutralise_owned(text);
        assert_eq!(kept.as_ptr(), at);
    }

    #[test]
    fn columns_serialise_as_plain_arrays() {
        let mut t = Table::new();
        t.insert("x".into(), ColumnValues::Float64(vec![1.5]));
        t.insert("ok".into(), ColumnValues::Boolean(vec![true]));
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"x":[1.5],"ok":[true]}"#
        );
    }
}
