//! Typed, checked access to a solution's input.

use crate::{ColumnValues, Input, Param, SolutionError, Table, TextColumn, Value, ValueType};

/// A borrowed input table whose accessors name the table in every error.
///
/// Get one with [`Input::table`]:
///
/// ```
/// use smelt_sdk::prelude::*;
///
/// let input = Input::new().with_table(
///     TableBuilder::new("parts")
///         .text("id", ["P1", "P2"])
///         .float64("mm", vec![9.98, 10.02])
///         .build(),
/// );
/// let parts = input.table("parts")?;
/// assert_eq!(parts.name(), "parts");
/// assert_eq!(parts.rows()?, 2);
/// assert_eq!(parts.float64("mm")?, &[9.98, 10.02]);
/// assert!(parts.has_column("id"));
/// # Ok::<(), SolutionError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TableRef<'a> {
    table: &'a Table,
}

fn type_name(values: &ColumnValues) -> &'static str {
    match values {
        ColumnValues::Float64(_) => "float64",
        ColumnValues::Int64(_) => "int64",
        ColumnValues::Text(_) => "text",
        ColumnValues::Boolean(_) => "boolean",
    }
}

impl ValueType {
    /// The type's name as written in WIT and manifests.
    ///
    /// ```
    /// assert_eq!(smelt_sdk::ValueType::Float64.name(), "float64");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Float64 => "float64",
            ValueType::Int64 => "int64",
            ValueType::Text => "text",
            ValueType::Boolean => "boolean",
        }
    }
}

impl ColumnValues {
    /// Number of values in the column.
    ///
    /// ```
    /// use smelt_sdk::{ColumnValues, TextColumn};
    ///
    /// assert_eq!(ColumnValues::Int64(vec![1, 2, 3]).len(), 3);
    /// assert!(ColumnValues::Text(TextColumn::new()).is_empty());
    /// ```
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Float64(v) => v.len(),
            ColumnValues::Int64(v) => v.len(),
            ColumnValues::Text(v) => v.ends.len(),
            ColumnValues::Boolean(v) => v.len(),
        }
    }

    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

macro_rules! column_accessor {
    ($(#[$doc:meta])* $fn:ident, $variant:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $fn(&self, column: &str) -> Result<&'a [$ty], SolutionError> {
            match &self.column(column)?.values {
                ColumnValues::$variant(values) => Ok(values),
                other => Err(self.wrong_type(column, ValueType::$variant, other)),
            }
        }
    };
}

impl<'a> TableRef<'a> {
    /// The table's name.
    pub fn name(&self) -> &'a str {
        &self.table.name
    }

    fn column(&self, column: &str) -> Result<&'a crate::Column, SolutionError> {
        self.table
            .columns
            .iter()
            .find(|c| c.name == column)
            .ok_or_else(|| {
                SolutionError::InvalidInput(format!(
                    "table `{}`: missing column `{column}`",
                    self.table.name
                ))
            })
    }

    /// True when the table has a column of that name (of any type).
    pub fn has_column(&self, column: &str) -> bool {
        self.table.columns.iter().any(|c| c.name == column)
    }

    column_accessor!(
        /// The `float64` column `column`, or `invalid-input` naming the table and column.
        ///
        /// ```
        /// use smelt_sdk::prelude::*;
        ///
        /// let input = Input::new()
        ///     .with_table(TableBuilder::new("t").text("id", ["a"]).build());
        /// let t = input.table("t").unwrap();
        /// let Err(SolutionError::InvalidInput(message)) = t.float64("id") else { panic!() };
        /// assert_eq!(message, "table `t`, column `id`: expected float64, found text");
        /// ```
        float64, Float64, f64);
    column_accessor!(
        /// The `int64` column `column`, or `invalid-input` naming the table and column.
        int64, Int64, i64);

    /// The `text` column `column`, or `invalid-input` naming the table and column when it
    /// is missing, of another type or malformed (an end before the one before it, past the
    /// text or inside a character, or text after the last end: the host never sends one, but
    /// the check is one pass over the ends and makes every later read of the column safe).
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new().with_table(
    ///     TableBuilder::new("lots").text("lot", ["L1", "L2"]).build(),
    /// );
    /// let lots = input.table("lots")?.text("lot")?;
    /// assert_eq!(lots.iter().collect::<Vec<_>>(), ["L1", "L2"]);
    /// assert_eq!(&lots[1], "L2");
    ///
    /// let broken = Table {
    ///     name: "lots".into(),
    ///     columns: vec![Column {
    ///         name: "lot".into(),
    ///         values: ColumnValues::Text(TextColumn { data: "L1L2".into(), ends: vec![2, 1] }),
    ///     }],
    /// };
    /// let input = Input::new().with_table(broken);
    /// let Err(SolutionError::InvalidInput(message)) = input.table("lots")?.text("lot") else {
    ///     panic!()
    /// };
    /// assert_eq!(message, "table `lots`, column `lot`: value 1 ends at byte 1, before byte 2 where it starts");
    /// # Ok::<(), SolutionError>(())
    /// ```
    pub fn text(&self, column: &str) -> Result<&'a TextColumn, SolutionError> {
        match &self.column(column)?.values {
            ColumnValues::Text(values) => match values.problem() {
                None => Ok(values),
                Some(problem) => Err(SolutionError::InvalidInput(format!(
                    "table `{}`, column `{column}`: {problem}",
                    self.table.name
                ))),
            },
            other => Err(self.wrong_type(column, ValueType::Text, other)),
        }
    }

    /// `invalid-input`: `column` holds `found` where `expected` was asked for.
    fn wrong_type(&self, column: &str, expected: ValueType, found: &ColumnValues) -> SolutionError {
        SolutionError::InvalidInput(format!(
            "table `{}`, column `{column}`: expected {}, found {}",
            self.table.name,
            expected.name(),
            type_name(found)
        ))
    }
    column_accessor!(
        /// The `boolean` column `column`, or `invalid-input` naming the table and column.
        boolean, Boolean, bool);

    /// The number of rows, after checking that every column has the same length.
    pub fn rows(&self) -> Result<usize, SolutionError> {
        let mut columns = self.table.columns.iter();
        let Some(first) = columns.next() else {
            return Ok(0);
        };
        let rows = first.values.len();
        for column in columns {
            if column.values.len() != rows {
                return Err(SolutionError::InvalidInput(format!(
                    "table `{}`: column `{}` has {} values but column `{}` has {rows}",
                    self.table.name,
                    column.name,
                    column.values.len(),
                    first.name
                )));
            }
        }
        Ok(rows)
    }

    /// The number of rows, or `invalid-input` when there are fewer than `min`.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new().with_table(TableBuilder::new("t").float64("x", vec![1.0]).build());
    /// let t = input.table("t").unwrap();
    /// assert_eq!(t.rows_at_least(1).unwrap(), 1);
    /// assert!(matches!(t.rows_at_least(2), Err(SolutionError::InvalidInput(_))));
    /// ```
    pub fn rows_at_least(&self, min: usize) -> Result<usize, SolutionError> {
        let rows = self.rows()?;
        if rows < min {
            return Err(SolutionError::InvalidInput(format!(
                "table `{}`: needs at least {min} row(s), has {rows}",
                self.table.name
            )));
        }
        Ok(rows)
    }

    /// `value` if it is finite, else `invalid-input` naming the table, column and row
    /// (zero-based, as in findings).
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new()
    ///     .with_table(TableBuilder::new("t").float64("x", vec![1.0, f64::NAN]).build());
    /// let t = input.table("t").unwrap();
    /// let x = t.float64("x").unwrap();
    /// assert_eq!(t.finite("x", 0, x[0]).unwrap(), 1.0);
    /// let Err(SolutionError::InvalidInput(message)) = t.finite("x", 1, x[1]) else { panic!() };
    /// assert_eq!(message, "table `t`, column `x`, row 1: NaN is not a finite number");
    /// ```
    // Called on every cell of a hot loop: the check inlines, the message is built out of line.
    #[inline]
    pub fn finite(&self, column: &str, row: usize, value: f64) -> Result<f64, SolutionError> {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(self.not_finite(column, row, value))
        }
    }

    #[cold]
    #[inline(never)]
    fn not_finite(&self, column: &str, row: usize, value: f64) -> SolutionError {
        self.invalid(column, row, format!("{value} is not a finite number"))
    }

    /// An `invalid-input` error naming this table, `column` and `row` (zero-based).
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new().with_table(TableBuilder::new("t").float64("x", vec![-1.0]).build());
    /// let t = input.table("t").unwrap();
    /// let SolutionError::InvalidInput(message) = t.invalid("x", 0, "must be ≥ 0") else { panic!() };
    /// assert_eq!(message, "table `t`, column `x`, row 0: must be ≥ 0");
    /// ```
    pub fn invalid(&self, column: &str, row: usize, problem: impl AsRef<str>) -> SolutionError {
        SolutionError::InvalidInput(format!(
            "table `{}`, column `{column}`, row {row}: {}",
            self.table.name,
            problem.as_ref()
        ))
    }
}

impl Input {
    /// An empty input, for native tests; add tables and params builder style.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new()
    ///     .with_table(TableBuilder::new("t").int64("n", vec![3]).build())
    ///     .with_param("limit", Value::Float64(2.5));
    /// assert_eq!(input.table("t")?.int64("n")?, &[3]);
    /// assert_eq!(input.float64_param("limit")?, Some(2.5));
    /// assert_eq!(input.float64_param("absent")?, None);
    /// # Ok::<(), SolutionError>(())
    /// ```
    pub fn new() -> Self {
        Input {
            tables: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds a table (builder style).
    pub fn with_table(mut self, table: Table) -> Self {
        self.tables.push(table);
        self
    }

    /// Adds a param (builder style).
    pub fn with_param(mut self, name: impl Into<String>, value: Value) -> Self {
        self.params.push(Param {
            name: name.into(),
            value,
        });
        self
    }

    /// The table `name`, or `invalid-input` naming it.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let Err(SolutionError::InvalidInput(message)) = Input::new().table("batches") else { panic!() };
    /// assert_eq!(message, "missing table `batches`");
    /// ```
    pub fn table(&self, name: &str) -> Result<TableRef<'_>, SolutionError> {
        self.tables
            .iter()
            .find(|t| t.name == name)
            .map(|table| TableRef { table })
            .ok_or_else(|| SolutionError::InvalidInput(format!("missing table `{name}`")))
    }

    /// The raw value of param `name`, if given.
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
    }

    fn wrong_param(name: &str, expected: &str) -> SolutionError {
        SolutionError::InvalidParam(format!("param `{name}`: expected {expected}"))
    }

    /// Param `name` as a finite `f64` (an `int64` value is widened), if given.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new()
    ///     .with_param("a", Value::Int64(2))
    ///     .with_param("b", Value::Text("x".into()));
    /// assert_eq!(input.float64_param("a").unwrap(), Some(2.0));
    /// assert!(matches!(input.float64_param("b"), Err(SolutionError::InvalidParam(_))));
    /// ```
    pub fn float64_param(&self, name: &str) -> Result<Option<f64>, SolutionError> {
        match self.param(name) {
            None => Ok(None),
            Some(Value::Float64(v)) if v.is_finite() => Ok(Some(*v)),
            Some(Value::Int64(v)) => Ok(Some(*v as f64)),
            Some(_) => Err(Self::wrong_param(name, "a finite float64")),
        }
    }

    /// Param `name` as an `i64`, if given.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new().with_param("n", Value::Int64(7));
    /// assert_eq!(input.int64_param("n").unwrap(), Some(7));
    /// ```
    pub fn int64_param(&self, name: &str) -> Result<Option<i64>, SolutionError> {
        match self.param(name) {
            None => Ok(None),
            Some(Value::Int64(v)) => Ok(Some(*v)),
            Some(_) => Err(Self::wrong_param(name, "an int64")),
        }
    }

    /// Param `name` as text, if given.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new().with_param("plan", Value::Text("normal".into()));
    /// assert_eq!(input.text_param("plan").unwrap(), Some("normal"));
    /// ```
    pub fn text_param(&self, name: &str) -> Result<Option<&str>, SolutionError> {
        match self.param(name) {
            None => Ok(None),
            Some(Value::Text(v)) => Ok(Some(v)),
            Some(_) => Err(Self::wrong_param(name, "text")),
        }
    }

    /// Param `name` as a boolean, if given.
    ///
    /// ```
    /// use smelt_sdk::prelude::*;
    ///
    /// let input = Input::new().with_param("strict", Value::Boolean(true));
    /// assert_eq!(input.boolean_param("strict").unwrap(), Some(true));
    /// ```
    pub fn boolean_param(&self, name: &str) -> Result<Option<bool>, SolutionError> {
        match self.param(name) {
            None => Ok(None),
            Some(Value::Boolean(v)) => Ok(Some(*v)),
            Some(_) => Err(Self::wrong_param(name, "a boolean")),
        }
    }
}

impl Default for Input {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TableBuilder;

    fn input() -> Input {
        Input::new()
            .with_table(
                TableBuilder::new("batches")
                    .text("batch", ["A", "B"])
                    .float64("L", vec![50.0, f64::NAN])
                    .build(),
            )
            .with_param("tolerance", Value::Text("x".into()))
    }

    fn message(e: SolutionError) -> String {
        match e {
            SolutionError::InvalidInput(m)
            | SolutionError::InvalidParam(m)
            | SolutionError::Unsupported(m) => m,
        }
    }

    #[test]
    fn errors_name_table_column_and_row() {
        let input = input();
        assert_eq!(
            message(input.table("standard").unwrap_err()),
            "missing table `standard`"
        );
        let t = input.table("batches").unwrap();
        assert_eq!(
            message(t.float64("a").unwrap_err()),
            "table `batches`: missing column `a`"
        );
        assert_eq!(
            message(t.float64("batch").unwrap_err()),
            "table `batches`, column `batch`: expected float64, found text"
        );
        let l = t.float64("L").unwrap();
        assert_eq!(
            message(t.finite("L", 1, l[1]).unwrap_err()),
            "table `batches`, column `L`, row 1: NaN is not a finite number"
        );
        assert!(matches!(
            input.float64_param("tolerance"),
            Err(SolutionError::InvalidParam(_))
        ));
    }

    #[test]
    fn a_broken_text_column_is_invalid_input_naming_table_and_column() {
        let broken = |data: &str, ends: &[u32]| {
            Input::new().with_table(Table {
                name: "rolls".into(),
                columns: vec![crate::Column {
                    name: "roll".into(),
                    values: ColumnValues::Text(TextColumn {
                        data: data.into(),
                        ends: ends.to_vec(),
                    }),
                }],
            })
        };
        for (input, problem) in [
            (
                broken("R1R2", &[2, 1]),
                "value 1 ends at byte 1, before byte 2 where it starts",
            ),
            (
                broken("Ø", &[1]),
                "value 0 ends at byte 1, inside a character",
            ),
            (
                broken("R1", &[3]),
                "value 0 ends at byte 3, past the 2 bytes of text",
            ),
            (
                broken("R1R2", &[2]),
                "the last value, 0, ends at byte 2 but the text has 4 bytes",
            ),
        ] {
            let rolls = input.table("rolls").unwrap();
            assert_eq!(
                message(rolls.text("roll").unwrap_err()),
                format!("table `rolls`, column `roll`: {problem}")
            );
        }
    }

    #[test]
    fn unequal_columns_are_rejected() {
        let input = Input::new().with_table(
            TableBuilder::new("t")
                .float64("x", vec![1.0, 2.0])
                .float64("y", vec![1.0])
                .build(),
        );
        let e = message(input.table("t").unwrap().rows().unwrap_err());
        assert_eq!(e, "table `t`: column `y` has 1 values but column `x` has 2");
    }
}
