//! `smelt:solution@0.1.0`.

use crate::model;

wasmtime::component::bindgen!({
    path: "../../wit/0.1.0",
    world: "smelt:solution/plugin@0.1.0",
    imports: { default: trappable },
});

pub use exports::smelt::solution::solution as guest;
pub use smelt::solution::log;
pub use smelt::solution::types;

/// The WIT package version these bindings are for.
pub const VERSION: &str = "0.1.0";

fn value_type(t: types::ValueType) -> model::ValueType {
    match t {
        types::ValueType::Float64 => model::ValueType::Float64,
        types::ValueType::Int64 => model::ValueType::Int64,
        types::ValueType::Text => model::ValueType::Text,
        types::ValueType::Boolean => model::ValueType::Boolean,
    }
}

fn value_from(v: types::Value) -> model::Value {
    match v {
        types::Value::Float64(x) => model::Value::Float64(x),
        types::Value::Int64(x) => model::Value::Int64(x),
        types::Value::Text(x) => model::Value::Text(x),
        types::Value::Boolean(x) => model::Value::Boolean(x),
    }
}

fn value_to(v: &model::Value) -> types::Value {
    match v {
        model::Value::Float64(x) => types::Value::Float64(*x),
        model::Value::Int64(x) => types::Value::Int64(*x),
        model::Value::Text(x) => types::Value::Text(x.clone()),
        model::Value::Boolean(x) => types::Value::Boolean(*x),
    }
}

fn column_values_from(v: types::ColumnValues) -> model::ColumnValues {
    match v {
        types::ColumnValues::Float64(x) => model::ColumnValues::Float64(x),
        types::ColumnValues::Int64(x) => model::ColumnValues::Int64(x),
        types::ColumnValues::Text(x) => model::ColumnValues::Text(x),
        types::ColumnValues::Boolean(x) => model::ColumnValues::Boolean(x),
    }
}

fn column_values_to(v: &model::ColumnValues) -> types::ColumnValues {
    match v {
        model::ColumnValues::Float64(x) => types::ColumnValues::Float64(x.clone()),
        model::ColumnValues::Int64(x) => types::ColumnValues::Int64(x.clone()),
        model::ColumnValues::Text(x) => types::ColumnValues::Text(x.clone()),
        model::ColumnValues::Boolean(x) => types::ColumnValues::Boolean(x.clone()),
    }
}

/// Converts host input to this version's WIT input.
pub fn input_to(input: &model::Input) -> types::Input {
    types::Input {
        tables: input
            .tables
            .iter()
            .map(|(name, table)| types::Table {
                name: name.clone(),
                columns: table
                    .iter()
                    .map(|(column, values)| types::Column {
                        name: column.clone(),
                        values: column_values_to(values),
                    })
                    .collect(),
            })
            .collect(),
        params: input
            .params
            .iter()
            .map(|(name, v)| types::Param {
                name: name.clone(),
                value: value_to(v),
            })
            .collect(),
    }
}

/// Converts a guest output to the host's; text from the guest is neutralised. Duplicate table
/// or column names keep the last one.
pub fn output_from(output: types::Output) -> model::Output {
    model::Output {
        tables: output
            .tables
            .into_iter()
            .map(|t| {
                (
                    model::neutralise_owned(t.name),
                    t.columns
                        .into_iter()
                        .map(|c| {
                            (
                                model::neutralise_owned(c.name),
                                column_values_from(c.values),
                            )
                        })
                        .collect(),
                )
            })
            .collect(),
        metrics: output
            .metrics
            .into_iter()
            .map(|m| model::Metric {
                name: model::neutralise_owned(m.name),
                value: m.value,
                unit: model::neutralise_owned(m.unit),
            })
            .collect(),
        findings: output
            .findings
            .into_iter()
            .map(|f| model::Finding {
                severity: match f.severity {
                    types::Severity::Info => model::Severity::Info,
                    types::Severity::Warning => model::Severity::Warning,
                    types::Severity::Error => model::Severity::Error,
                },
                code: model::neutralise_owned(f.code),
                message: model::neutralise_owned(f.message),
                table: f.table.map(model::neutralise_owned),
                row: f.row,
            })
            .collect(),
    }
}

/// Converts a guest error.
pub fn error_from(e: types::SolutionError) -> model::SolutionError {
    match e {
        types::SolutionError::InvalidInput(m) => {
            model::SolutionError::InvalidInput(model::neutralise(&m))
        }
        types::SolutionError::InvalidParam(m) => {
            model::SolutionError::InvalidParam(model::neutralise(&m))
        }
        types::SolutionError::Unsupported(m) => {
            model::SolutionError::Unsupported(model::neutralise(&m))
        }
    }
}

fn table_spec_from(t: types::TableSpec) -> model::TableSpec {
    model::TableSpec {
        name: t.name,
        description: model::neutralise(&t.description),
        columns: t
            .columns
            .into_iter()
            .map(|c| model::ColumnSpec {
                name: c.name,
                value_type: value_type(c.type_),
                unit: model::neutralise(&c.unit),
                description: model::neutralise(&c.description),
            })
            .collect(),
        min_rows: t.min_rows,
        max_rows: t.max_rows,
    }
}

/// Converts a guest descriptor.
pub fn descriptor_from(d: types::Descriptor) -> model::Descriptor {
    model::Descriptor {
        name: d.name,
        version: d.version,
        summary: model::neutralise(&d.summary),
        inputs: d.inputs.into_iter().map(table_spec_from).collect(),
        params: d
            .params
            .into_iter()
            .map(|p| model::ParamSpec {
                name: p.name,
                value_type: value_type(p.type_),
                unit: model::neutralise(&p.unit),
                description: model::neutralise(&p.description),
                default: p.default.map(value_from),
                optional: p.optional,
                min: p.min,
                max: p.max,
                choices: p.choices,
            })
            .collect(),
        outputs: d.outputs.into_iter().map(table_spec_from).collect(),
        metrics: d
            .metrics
            .into_iter()
            .map(|m| model::MetricSpec {
                name: m.name,
                unit: model::neutralise(&m.unit),
                description: model::neutralise(&m.description),
            })
            .collect(),
    }
}
