//! Builders for outputs, findings and the descriptor.

use crate::{
    Column, ColumnSpec, ColumnValues, Descriptor, Finding, Metric, MetricSpec, Output, ParamSpec,
    Severity, Table, TableSpec, TextColumn, Value, ValueType,
};

/// Builds an output (or test input) table column by column.
///
/// ```
/// use smelt_sdk::prelude::*;
///
/// let table = TableBuilder::new("results")
///     .text("lot", ["L1", "L2"])
///     .float64("delta_e", vec![0.4, 1.7])
///     .int64("defects", vec![0, 3])
///     .boolean("pass", vec![true, false])
///     .build();
/// assert_eq!(table.name, "results");
/// assert_eq!(table.columns.len(), 4);
/// assert_eq!(table.columns[3].name, "pass");
/// ```
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

    /// Adds a `text` column of these values (`String`s, `&str`s, anything `AsRef<str>`),
    /// copied into one buffer allocated at its exact size (see [`TextColumn`]'s
    /// `FromIterator`).
    ///
    /// # Panics
    ///
    /// If the text would pass `u32::MAX` bytes (see [`TextColumn::push`]).
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let ids = vec!["P1".to_owned(), "P2".to_owned()];
    /// let table = TableBuilder::new("t")
    ///     .text("id", ids)
    ///     .text("grade", ["A", "B"])
    ///     .text("label", (1..=2).map(|i| format!("part {i}")))
    ///     .build();
    /// let t = Input::new().with_table(table);
    /// assert_eq!(t.table("t")?.text("label")?.to_vec(), ["part 1", "part 2"]);
    /// # Ok::<(), SolutionError>(())
    /// ```
    pub fn text<S: AsRef<str>>(
        self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.text_column(name, values.into_iter().collect())
    }

    /// Adds a `text` column as it is: e.g. an input column echoed into the output
    /// (`column.clone()` is one copy of its text and one of its ends, whatever the number of
    /// values), or one built with [`TextColumn::push`].
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new()
    ///     .with_table(TableBuilder::new("lots").text("lot", ["L1", "L2"]).build());
    /// let lots = input.table("lots")?.text("lot")?;
    /// let mut verdict = TextColumn::with_capacity(lots.len(), 2 * 4);
    /// for lot in lots {
    ///     verdict.push(if lot == "L1" { "pass" } else { "fail" });
    /// }
    /// let table = TableBuilder::new("results")
    ///     .text_column("lot", lots.clone())
    ///     .text_column("verdict", verdict)
    ///     .build();
    /// assert_eq!(table.columns.len(), 2);
    /// # Ok::<(), SolutionError>(())
    /// ```
    pub fn text_column(self, name: impl Into<String>, values: TextColumn) -> Self {
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
    /// An empty output; add tables and metrics builder style, findings with
    /// [`Output::push_finding`].
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let mut output = Output::new()
    ///     .with_table(TableBuilder::new("results").boolean("pass", vec![true]).build())
    ///     .with_metric("pass_rate", 1.0, "");
    /// output.push_finding(Finding::info("checked", "1 lot checked"));
    /// assert_eq!(output.metric("pass_rate"), Some(1.0));
    /// assert_eq!(output.metric("absent"), None);
    /// assert!(output.table("results").is_some());
    /// assert_eq!(output.findings.len(), 1);
    /// ```
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
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let finding = Finding::warning("out-of-tolerance", "ΔE00 2.1 > 1.0").at("batches", 3);
    /// assert_eq!(finding.severity, Severity::Warning);
    /// assert_eq!((finding.table.as_deref(), finding.row), (Some("batches"), Some(3)));
    /// assert_eq!(Finding::error("bad-lot", "...").severity, Severity::Error);
    /// assert_eq!(Finding::info("note", "...").row, None);
    /// ```
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
    /// Starts a descriptor; use `env!("CARGO_PKG_VERSION")` for the version. The name and
    /// version must equal the package's in `smelt.toml`.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let descriptor = Descriptor::new("gauge-check", "0.1.0", "Parts against their limits")
    ///     .input(
    ///         TableSpec::new("parts", "One row per part")
    ///             .rows(1, Some(10_000))
    ///             .column(ColumnSpec::text("id", "", "Part id"))
    ///             .column(ColumnSpec::float64("mm", "mm", "Diameter")),
    ///     )
    ///     .param(ParamSpec::float64("limit", "mm", "Upper limit").default_f64(10.0).range(0.0, 1e6))
    ///     .param(ParamSpec::text("plan", "", "Inspection level").default_text("normal").choices(&["normal", "tightened"]))
    ///     .param(ParamSpec::int64("sample", "", "Sample size").default_i64(5).range(1.0, 1000.0))
    ///     .param(ParamSpec::boolean("strict", "", "Fail on warnings").optional())
    ///     .output(TableSpec::new("flags", "One row per part").column(ColumnSpec::boolean("over", "", "Above the limit")))
    ///     .metric(MetricSpec::new("over_count", "", "Parts above the limit"));
    /// assert_eq!(descriptor.inputs[0].max_rows, Some(10_000));
    /// assert_eq!(descriptor.params.len(), 4);
    /// assert!(descriptor.params[3].optional);
    /// ```
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
    /// A table that needs at least one row (change it with [`TableSpec::rows`]).
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let spec = TableSpec::new("shifts", "One row per machine and shift")
    ///     .column(ColumnSpec::int64("count", "pieces", "Pieces made"))
    ///     .rows(0, None);
    /// assert_eq!((spec.min_rows, spec.max_rows), (0, None));
    /// ```
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
    ///
    /// ```
    /// let spec = smelt_sdk::MetricSpec::new("oee", "", "Overall equipment effectiveness");
    /// assert_eq!(spec.unit, "");
    /// ```
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
