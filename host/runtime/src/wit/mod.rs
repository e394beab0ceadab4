//! Bindings per released WIT version, each with its conversions to and from [`crate::model`].
//! A new WIT version gets a new module beside the others and an arm in the runtime's dispatch
//! (`Contract` in `sandbox.rs`). The versions share the data model and differ only in how a
//! text column crosses the boundary, so each module defines that part (`TextView`,
//! `text_view`, `text_param`, `text_from`) and [`conversions!`] writes the rest for it.

pub mod v0_1_0;
pub mod v0_2_0;

/// A version's bindings from its WIT folder and world: the blocking ones at the module's root,
/// and `nonblocking`, the same world with `describe` and `run` called as futures (for the
/// server, which runs calls on its async threads; see `Plugin::run_async`), sharing the root's
/// types and log import.
macro_rules! bindings {
    ($path:tt, $world:tt) => {
        wasmtime::component::bindgen!({
            path: $path,
            world: $world,
            imports: { default: trappable },
            ownership: Borrowing { duplicate_if_necessary: true },
        });

        #[doc = "The same world with `describe` and `run` called as futures."]
        pub mod nonblocking {
            wasmtime::component::bindgen!({
                path: $path,
                world: $world,
                imports: { default: trappable },
                exports: { default: async },
                ownership: Borrowing { duplicate_if_necessary: true },
                with: {
                    "smelt:solution/types": super::smelt::solution::types,
                    "smelt:solution/log": super::smelt::solution::log,
                },
            });
        }

        pub use exports::smelt::solution::solution as guest;
        pub use smelt::solution::log;
        pub use smelt::solution::types;
    };
}
pub(crate) use bindings;

/// The conversions between the host's model and a version's WIT types that every version
/// shares, written into the version's module (which has `types`, `model` and its text
/// encoding in scope).
macro_rules! conversions {
    () => {
        fn value_type(t: types::ValueType) -> model::ValueType {
            match t {
                types::ValueType::Float64 => model::ValueType::Float64,
                types::ValueType::Int64 => model::ValueType::Int64,
                types::ValueType::Text => model::ValueType::Text,
                types::ValueType::Boolean => model::ValueType::Boolean,
            }
        }

        fn value_from(v: types::ValueResult) -> model::Value {
            match v {
                types::ValueResult::Float64(x) => model::Value::Float64(x),
                types::ValueResult::Int64(x) => model::Value::Int64(x),
                types::ValueResult::Text(x) => model::Value::Text(x),
                types::ValueResult::Boolean(x) => model::Value::Boolean(x),
            }
        }

        fn value_to(v: &model::Value) -> types::ValueParam<'_> {
            match v {
                model::Value::Float64(x) => types::ValueParam::Float64(*x),
                model::Value::Int64(x) => types::ValueParam::Int64(*x),
                model::Value::Text(x) => types::ValueParam::Text(x),
                model::Value::Boolean(x) => types::ValueParam::Boolean(*x),
            }
        }

        /// A guest's output column in the host's terms, or what is wrong with its text.
        fn column_values_from(
            v: types::ColumnValuesResult,
        ) -> std::result::Result<model::ColumnValues, String> {
            Ok(match v {
                types::ColumnValuesResult::Float64(x) => model::ColumnValues::Float64(x),
                types::ColumnValuesResult::Int64(x) => model::ColumnValues::Int64(x),
                types::ColumnValuesResult::Text(x) => model::ColumnValues::Text(text_from(x)?),
                types::ColumnValuesResult::Boolean(x) => model::ColumnValues::Boolean(x),
            })
        }

        /// Calls `f` with the host input as this version's WIT input, borrowed: numbers are lowered
        /// into the component straight from the host's vectors, without an owned copy of the input (a
        /// text column of 100,000 rows was 100,000 allocations and frees per call). Only each text
        /// column's view in this version's encoding is built here. (An async caller, which must
        /// keep the views alive across its await, builds the same stages itself:
        /// [`text_views`], [`column_views`], [`table_views`], [`param_views`].)
        pub fn with_input<R>(input: &model::Input, f: impl FnOnce(types::Input<'_>) -> R) -> R {
            let texts = text_views(input);
            let columns = column_views(input, &texts);
            let tables = table_views(input, &columns);
            let params = param_views(input);
            f(types::Input {
                tables: &tables,
                params: &params,
            })
        }

        /// Per table, per column: a text column in this version's encoding (empty, unallocated, for
        /// the others).
        pub fn text_views(input: &model::Input) -> Vec<Vec<TextView<'_>>> {
            input
                .tables
                .values()
                .map(|table| {
                    table
                        .values()
                        .map(|values| match values {
                            model::ColumnValues::Text(x) => text_view(x),
                            _ => TextView::default(),
                        })
                        .collect()
                })
                .collect()
        }

        /// Per table, its columns as WIT params borrowing `input` and `texts` (from [`text_views`]).
        pub fn column_views<'a>(
            input: &'a model::Input,
            texts: &'a [Vec<TextView<'a>>],
        ) -> Vec<Vec<types::ColumnParam<'a>>> {
            input
                .tables
                .values()
                .zip(texts)
                .map(|(table, texts)| {
                    table
                        .iter()
                        .zip(texts)
                        .map(|((name, values), text)| types::ColumnParam {
                            name,
                            values: match values {
                                model::ColumnValues::Float64(x) => {
                                    types::ColumnValuesParam::Float64(x)
                                }
                                model::ColumnValues::Int64(x) => types::ColumnValuesParam::Int64(x),
                                model::ColumnValues::Text(_) => {
                                    types::ColumnValuesParam::Text(text_param(text))
                                }
                                model::ColumnValues::Boolean(x) => {
                                    types::ColumnValuesParam::Boolean(x)
                                }
                            },
                        })
                        .collect()
                })
                .collect()
        }

        /// The tables as WIT params over `columns` (from [`column_views`]).
        pub fn table_views<'a>(
            input: &'a model::Input,
            columns: &'a [Vec<types::ColumnParam<'a>>],
        ) -> Vec<types::TableParam<'a>> {
            input
                .tables
                .keys()
                .zip(columns)
                .map(|(name, columns)| types::TableParam { name, columns })
                .collect()
        }

        /// The params as WIT params borrowing `input`.
        pub fn param_views(input: &model::Input) -> Vec<types::Param<'_>> {
            input
                .params
                .iter()
                .map(|(name, v)| types::Param {
                    name,
                    value: value_to(v),
                })
                .collect()
        }

        /// Converts a guest output to the host's; names and messages from the guest are neutralised.
        /// Duplicate table or column names keep the last one. A text column that breaks its encoding
        /// is [`crate::Error::MalformedOutput`], naming the table and column.
        pub fn output_from(output: types::Output) -> crate::Result<model::Output> {
            let mut tables = indexmap::IndexMap::with_capacity(output.tables.len());
            for t in output.tables {
                let name = model::neutralise_owned(t.name);
                let mut columns = model::Table::with_capacity(t.columns.len());
                for c in t.columns {
                    let column = model::neutralise_owned(c.name);
                    let values = column_values_from(c.values).map_err(|problem| {
                        crate::Error::MalformedOutput(format!(
                            "table `{name}`, column `{column}`: {problem}"
                        ))
                    })?;
                    columns.insert(column, values);
                }
                tables.insert(name, columns);
            }
            Ok(model::Output {
                tables,
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
            })
        }

        /// The guest's answer to `run` in the host's terms.
        pub fn run_result(
            result: std::result::Result<types::Output, types::SolutionError>,
        ) -> crate::Result<model::Output> {
            match result {
                Ok(output) => output_from(output),
                Err(e) => Err(crate::Error::Solution(error_from(e))),
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
    };
}
pub(crate) use conversions;
