//! JSON input checked against a descriptor: every problem is reported with the table, column,
//! row or param it concerns, before any guest code runs.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::model::{
    ColumnValues, Descriptor, Input, ParamSpec, Table, TableSpec, Value, ValueType,
};

/// A problem with a caller's input, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(message.into()))
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = names.collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

fn object<'a>(value: &'a Json, what: &str) -> Result<&'a Map<String, Json>, InputError> {
    value
        .as_object()
        .ok_or_else(|| InputError(format!("{what}: expected an object, found {}", kind(value))))
}

/// Parses `{"tables": {...}, "params": {...}}` against `descriptor`: declared tables and columns
/// only, types as declared, equal column lengths, row bounds, params typed and in range, param
/// defaults filled in.
pub fn input_from_json(value: &Json, descriptor: &Descriptor) -> Result<Input, InputError> {
    let top = object(value, "input")?;
    if let Some(key) = top.keys().find(|k| *k != "tables" && *k != "params") {
        return err(format!(
            "input: unknown field `{key}` (expected `tables` and `params`)"
        ));
    }
    let empty = Map::new();
    let tables_json = match top.get("tables") {
        Some(t) => object(t, "tables")?,
        None => &empty,
    };
    for name in tables_json.keys() {
        if !descriptor.inputs.iter().any(|t| &t.name == name) {
            return err(format!(
                "unknown table `{name}` (this solution takes: {})",
                names(descriptor.inputs.iter().map(|t| t.name.as_str()))
            ));
        }
    }
    let mut tables = IndexMap::new();
    for spec in &descriptor.inputs {
        let Some(table) = tables_json.get(&spec.name) else {
            return err(format!("missing table `{}`", spec.name));
        };
        tables.insert(spec.name.clone(), table_from_json(table, spec)?);
    }

    let params_json = match top.get("params") {
        Some(p) => object(p, "params")?,
        None => &empty,
    };
    for name in params_json.keys() {
        if !descriptor.params.iter().any(|p| &p.name == name) {
            return err(format!(
                "unknown param `{name}` (this solution takes: {})",
                names(descriptor.params.iter().map(|p| p.name.as_str()))
            ));
        }
    }
    let mut params = IndexMap::new();
    for spec in &descriptor.params {
        match params_json.get(&spec.name) {
            Some(json) => {
                params.insert(spec.name.clone(), param_from_json(json, spec)?);
            }
            None => match &spec.default {
                Some(default) => {
                    params.insert(spec.name.clone(), default.clone());
                }
                None if spec.optional => {}
                None => {
                    return err(format!(
                        "missing param `{}` ({})",
                        spec.name,
                        spec.value_type.name()
                    ));
                }
            },
        }
    }
    Ok(Input { tables, params })
}

fn table_from_json(value: &Json, spec: &TableSpec) -> Result<Table, InputError> {
    let columns = object(value, &format!("table `{}`", spec.name))?;
    for name in columns.keys() {
        if !spec.columns.iter().any(|c| &c.name == name) {
            return err(format!(
                "table `{}`: unknown column `{name}` (declared: {})",
                spec.name,
                names(spec.columns.iter().map(|c| c.name.as_str()))
            ));
        }
    }
    let mut table = Table::new();
    let mut rows: Option<(usize, &str)> = None;
    for column in &spec.columns {
        let Some(json) = columns.get(&column.name) else {
            return err(format!(
                "table `{}`: missing column `{}`",
                spec.name, column.name
            ));
        };
        let where_ = format!("table `{}`, column `{}`", spec.name, column.name);
        let Some(items) = json.as_array() else {
            return err(format!(
                "{where_}: expected an array of values, found {}",
                kind(json)
            ));
        };
        let values = column_from_json(items, column.value_type, &where_)?;
        match rows {
            Some((n, first)) if n != values.len() => {
                return err(format!(
                    "table `{}`: column `{}` has {} values but column `{first}` has {n}",
                    spec.name,
                    column.name,
                    values.len()
                ));
            }
            Some(_) => {}
            None => rows = Some((values.len(), &column.name)),
        }
        table.insert(column.name.clone(), values);
    }
    let rows = rows.map_or(0, |(n, _)| n);
    if rows < spec.min_rows as usize {
        return err(format!(
            "table `{}`: needs at least {} row(s), has {rows}",
            spec.name, spec.min_rows
        ));
    }
    if let Some(max) = spec.max_rows
        && rows > max as usize
    {
        return err(format!(
            "table `{}`: takes at most {max} row(s), has {rows}",
            spec.name
        ));
    }
    Ok(table)
}

fn column_from_json(
    items: &[Json],
    value_type: ValueType,
    where_: &str,
) -> Result<ColumnValues, InputError> {
    let bad = |row: usize, item: &Json, expected: &str| {
        InputError(format!(
            "{where_}, row {row}: expected {expected}, found {}",
            kind(item)
        ))
    };
    Ok(match value_type {
        ValueType::Float64 => ColumnValues::Float64(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_f64().ok_or_else(|| bad(i, v, "a number")))
                .collect::<Result<_, _>>()?,
        ),
        ValueType::Int64 => ColumnValues::Int64(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_i64().ok_or_else(|| bad(i, v, "an integer")))
                .collect::<Result<_, _>>()?,
        ),
        ValueType::Text => ColumnValues::Text(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(i, v, "text"))
                })
                .collect::<Result<_, _>>()?,
        ),
        ValueType::Boolean => ColumnValues::Boolean(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_bool().ok_or_else(|| bad(i, v, "true or false")))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn param_from_json(json: &Json, spec: &ParamSpec) -> Result<Value, InputError> {
    let name = &spec.name;
    let value = match spec.value_type {
        ValueType::Float64 => json.as_f64().map(Value::Float64),
        ValueType::Int64 => json.as_i64().map(Value::Int64),
        ValueType::Text => json.as_str().map(|s| Value::Text(s.to_owned())),
        ValueType::Boolean => json.as_bool().map(Value::Boolean),
    };
    let Some(value) = value else {
        return err(format!(
            "param `{name}`: expected {}, found {}",
            spec.value_type.name(),
            kind(json)
        ));
    };
    check_param(&value, spec)?;
    Ok(value)
}

/// Checks a typed param value against its declared range and choices.
pub fn check_param(value: &Value, spec: &ParamSpec) -> Result<(), InputError> {
    let name = &spec.name;
    let number = match value {
        Value::Float64(v) => Some(*v),
        Value::Int64(v) => Some(*v as f64),
        _ => None,
    };
    if let Some(v) = number {
        if let Some(min) = spec.min
            && v < min
        {
            return err(format!("param `{name}`: {v} is below the minimum {min}"));
        }
        if let Some(max) = spec.max
            && v > max
        {
            return err(format!("param `{name}`: {v} is above the maximum {max}"));
        }
    }
    if let Value::Text(text) = value
        && !spec.choices.is_empty()
        && !spec.choices.contains(text)
    {
        return err(format!(
            "param `{name}`: `{text}` is not one of {}",
            spec.choices.join(", ")
        ));
    }
    Ok(())
}
