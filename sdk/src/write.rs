//! Builders for outputs, findings and the descriptor.

use crate::{
    Column, ColumnSpec, ColumnValues, Descriptor, Finding, Metric, MetricSpec, Output, ParamSpec,
    Severity, Table, TableSpec, Value, ValueType,
};

/// Builds an output (or test input) table column by column.
#[derive(Debug)]
pub struct TableBuilder {
    table: Table,
}

impl TableBuilder {
    /// Starts a table called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        TableBuilder {
            table: Table {
                name: name.into(),
                columns: Vec::new(),
            },
        }
    }

    fn push(mut self, name: impl Into<String>, values: ColumnValues) -> Self {
        self.table.columns.push(Column {
            name: name.into(),
            values,
        });
        self
    }

    /// Adds a `float64` column.
    pub fn float64(self, name: impl Into<String>, values: Vec<f64>) -> Self {
        self.push(name, ColumnValues::Float64(values))
    }

    /// Adds an `int64` column.
    pub fn int64(self, name: impl Into<String>, values: Vec<i64>) -> Self {
        self.push(name, ColumnValues::Int64(values))
    }

    /// Adds a `text` column.
    pub fn text(self, name: impl Into<String>, values: Vec<String>) -> Self {
        self.push(name, ColumnValues::Text(values))
    }

    /// Adds a `boolean` column.
    pub fn boolean(self, name: impl Into<String>, values: Vec<bool>) -> Self {
        self.push(name, ColumnValues::Boolean(values))
    }

    /// The finished table.
    pub fn build(self) -> Table {
        self.table
    }
}

impl Output {
    /// An empty output.
    pub fn new() -> Self {
        Output {
            tables: Vec::new(),
            metrics: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Adds a table (builder style).
    pub fn with_table(mut self, table: Table) -> Self {
        self.tables.push(table);
        self
    }

    /// Adds a metric (builder style).
    pub fn with_metric(
        mut self,
        name: impl Into<String>,
        value: f64,
        unit: impl Into<String>,
    ) -> Self {
        self.metrics.push(Metric {
            name: name.into(),
            value,
            unit: unit.into(),
        });
        self
    }

    /// Adds a finding.
    pub fn push_finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// The value of metric `name`, if present.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// The output table `name`, if present.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}

impl Finding {
    fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity,
            code: code.into(),
            message: message.into(),
            table: None,
            row: None,
        }
    }

    /// An informational finding.
    pub fn info(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    /// A warning.
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// An error-level finding (the run still succeeds; the data has a serious problem).
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// Points the finding at a row (zero-based) of an input table.
    pub fn at(mut self, table: impl Into<String>, row: usize) -> Self {
        self.table = Some(table.into());
        self.row = Some(u32::try_from(row).unwrap_or(u32::MAX));
        self
    }
}

impl Descriptor {
    /// Starts a descriptor; use `env!("CARGO_PKG_VERSION")` for the version.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        Descriptor {
            name: name.into(),
            version: version.into(),
            summary: summary.into(),
            inputs: Vec::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            metrics: Vec::new(),
        }
    }

    /// Declares an input table.
    pub fn input(mut self, table: TableSpec) -> Self {
        self.inputs.push(table);
        self
    }

    /// Declares a param.
    pub fn param(mut self, param: ParamSpec) -> Self {
        self.params.push(param);
        self
    }

    /// Declares an output table.
    pub fn output(mut self, table: TableSpec) -> Self {
        self.outputs.push(table);
        self
    }

    /// Declares a metric.
    pub fn metric(mut self, metric: MetricSpec) -> Self {
        self.metrics.push(metric);
        self
    }
}

impl TableSpec {
    /// A table that needs at least one row.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        TableSpec {
            name: name.into(),
            description: description.into(),
            columns: Vec::new(),
            min_rows: 1,
            max_rows: None,
        }
    }

    /// Adds a column.
    pub fn column(mut self, column: ColumnSpec) -> Self {
        self.columns.push(column);
        self
    }

    /// Bounds the number of rows.
    pub fn rows(mut self, min: u32, max: Option<u32>) -> Self {
        self.min_rows = min;
        self.max_rows = max;
        self
    }
}

macro_rules! typed_ctor {
    ($target:ident, $fn:ident, $variant:ident) => {
        #[doc = concat!("A `", stringify!($fn), "` item: name, unit (empty when dimensionless), description.")]
        pub fn $fn(name: impl Into<String>, unit: impl Into<String>, description: impl Into<String>) -> Self {
            Self::typed(ValueType::$variant, name.into(), unit.into(), description.into())
        }
    };
}

impl ColumnSpec {
    fn typed(r#type: ValueType, name: String, unit: String, description: String) -> Self {
        ColumnSpec {
            name,
            type_: r#type,
            unit,
            description,
        }
    }
    typed_ctor!(ColumnSpec, float64, Float64);
    typed_ctor!(ColumnSpec, int64, Int64);
    typed_ctor!(ColumnSpec, text, Text);
    typed_ctor!(ColumnSpec, boolean, Boolean);
}

impl ParamSpec {
    fn typed(r#type: ValueType, name: String, unit: String, description: String) -> Self {
        ParamSpec {
            name,
            type_: r#type,
            unit,
            description,
            default: None,
            optional: false,
            min: None,
            max: None,
            choices: Vec::new(),
        }
    }
    typed_ctor!(ParamSpec, float64, Float64);
    typed_ctor!(ParamSpec, int64, Int64);
    typed_ctor!(ParamSpec, text, Text);
    typed_ctor!(ParamSpec, boolean, Boolean);

    /// Sets the default value.
    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    /// Sets a `float64` default.
    pub fn default_f64(self, value: f64) -> Self {
        self.default_value(Value::Float64(value))
    }

    /// Sets an `int64` default.
    pub fn default_i64(self, value: i64) -> Self {
        self.default_value(Value::Int64(value))
    }

    /// Sets a text default.
    pub fn default_text(self, value: impl Into<String>) -> Self {
        self.default_value(Value::Text(value.into()))
    }

    /// Marks the param as optional (it may be absent even without a default).
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Sets the inclusive numeric range.
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    /// Restricts a text param to these values.
    pub fn choices(mut self, choices: &[&str]) -> Self {
        self.choices = choices.iter().map(|c| (*c).to_owned()).collect();
        self
    }
}

impl MetricSpec {
    /// A metric: name, unit (empty when dimensionless), description.
    pub fn new(
        name: impl Into<String>,
        unit: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        MetricSpec {
            name: name.into(),
            unit: unit.into(),
            description: description.into(),
        }
    }
}
