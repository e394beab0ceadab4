//! Spreadsheet input: a CSV file per input table, typed by the solution's descriptor. Used by the
//! web UI's upload and by `smelt try --input file.csv`; every problem names the line and column.
//!
//! Rules: the first record is a header naming the table's columns (any order, each exactly once,
//! no others; a UTF-8 byte-order mark is ignored); fields may be quoted; blank lines are skipped;
//! numbers use `.` as the decimal point; booleans are `true`/`false` (also `1`/`0`, `yes`/`no`).

use crate::model::{ColumnValues, Table, TableSpec, Texts, ValueType};

/// A problem with a CSV file, naming the line (1-based, as an editor shows it) and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct CsvError {
    /// Line of the file the problem is on, from 1; `None` for the file as a whole.
    pub line: Option<u64>,
    /// Column concerned, by its header name, if any.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl CsvError {
    fn describe(&self) -> String {
        match (self.line, &self.column) {
            (Some(line), Some(column)) => {
                format!("line {line}, column `{column}`: {}", self.message)
            }
            (Some(line), None) => format!("line {line}: {}", self.message),
            (None, Some(column)) => format!("column `{column}`: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }
}

fn fail<T>(
    line: Option<u64>,
    column: Option<&str>,
    message: impl Into<String>,
) -> Result<T, CsvError> {
    Err(CsvError {
        line,
        column: column.map(str::to_owned),
        message: message.into(),
    })
}

/// Reads `text` as the table `spec` declares. Row bounds are checked later, with the rest of the
/// input, by [`crate::input_from_json`] or by the caller.
pub fn table_from_csv(text: &str, spec: &TableSpec) -> Result<Table, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    let header = loop {
        match records.next() {
            None => {
                return fail(
                    None,
                    None,
                    format!(
                        "the file is empty; the first line must name the columns of table `{}`: {}",
                        spec.name,
                        column_names(spec)
                    ),
                );
            }
            Some(Err(e)) => return Err(from_csv_error(&e)),
            Some(Ok(record)) if is_blank(&record) => continue,
            Some(Ok(record)) => break record,
        }
    };
    let header_line = line_of(&header);
    let mut order: Vec<&crate::model::ColumnSpec> = Vec::with_capacity(header.len());
    for name in header.iter() {
        let name = name.trim();
        let Some(column) = spec.columns.iter().find(|c| c.name == name) else {
            return fail(
                header_line,
                None,
                format!(
                    "unknown column `{name}` in the header (table `{}` has: {})",
                    spec.name,
                    column_names(spec)
                ),
            );
        };
        if order.iter().any(|c| c.name == name) {
            return fail(header_line, Some(name), "named twice in the header");
        }
        order.push(column);
    }
    if let Some(missing) = spec
        .columns
        .iter()
        .find(|c| !order.iter().any(|o| o.name == c.name))
    {
        return fail(
            header_line,
            Some(&missing.name),
            format!(
                "missing from the header (table `{}` needs: {})",
                spec.name,
                column_names(spec)
            ),
        );
    }

    let mut columns: Vec<ColumnValues> = order.iter().map(|c| empty(c.value_type)).collect();
    for record in records {
        let record = record.map_err(|e| from_csv_error(&e))?;
        if is_blank(&record) {
            continue;
        }
        let line = line_of(&record);
        if record.len() != order.len() {
            return fail(
                line,
                None,
                format!(
                    "{} field(s), but the header names {} column(s)",
                    record.len(),
                    order.len()
                ),
            );
        }
        for ((field, column), values) in record.iter().zip(&order).zip(&mut columns) {
            push(values, field.trim()).or_else(|expected| {
                fail(
                    line,
                    Some(&column.name),
                    format!("expected {expected}, found `{}`", shorten(field)),
                )
            })?;
        }
    }

    Ok(order
        .iter()
        .zip(columns)
        .map(|(c, values)| (c.name.clone(), values))
        .collect())
}

/// [`table_from_csv`] on raw bytes, as uploaded: text that is not UTF-8 is reported with the line
/// it breaks on.
pub fn table_from_csv_bytes(bytes: &[u8], spec: &TableSpec) -> Result<Table, CsvError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => table_from_csv(text, spec),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1;
            fail(
                Some(line),
                None,
                "not UTF-8 text (save the sheet as \"CSV UTF-8\")",
            )
        }
    }
}

fn column_names(spec: &TableSpec) -> String {
    spec.columns
        .iter()
        .map(|c| format!("{} ({})", c.name, c.value_type.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

fn line_of(record: &csv::StringRecord) -> Option<u64> {
    record.position().map(csv::Position::line)
}

fn from_csv_error(error: &csv::Error) -> CsvError {
    let line = error.position().map(csv::Position::line);
    CsvError {
        line,
        column: None,
        message: error.to_string(),
    }
}

fn shorten(field: &str) -> String {
    const MAX: usize = 40;
    match field.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &field[..at]),
        None => field.to_owned(),
    }
}

fn empty(value_type: ValueType) -> ColumnValues {
    match value_type {
        ValueType::Float64 => ColumnValues::Float64(Vec::new()),
        ValueType::Int64 => ColumnValues::Int64(Vec::new()),
        ValueType::Text => ColumnValues::Text(Texts::new()),
        ValueType::Boolean => ColumnValues::Boolean(Vec::new()),
    }
}

/// Appends one field; on failure returns what was expected.
fn push(values: &mut ColumnValues, field: &str) -> Result<(), &'static str> {
    match values {
        ColumnValues::Float64(v) => {
            let x: f64 = field.parse().map_err(|_| "a number")?;
            if !x.is_finite() {
                return Err("a finite number");
            }
            v.push(x);
        }
        ColumnValues::Int64(v) => v.push(field.parse().map_err(|_| "a whole number")?),
        ColumnValues::Text(v) => v
            .push(field)
            .map_err(|_| "text within the 4 GiB a column may hold")?,
        ColumnValues::Boolean(v) => v.push(match field.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err("true or false"),
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ColumnSpec;

    fn spec() -> TableSpec {
        let column = |name: &str, value_type| ColumnSpec {
            name: name.to_owned(),
            value_type,
            unit: String::new(),
            description: String::new(),
        };
        TableSpec {
            name: "batches".to_owned(),
            description: String::new(),
            columns: vec![
                column("batch", ValueType::Text),
                column("L", ValueType::Float64),
                column("n", ValueType::Int64),
                column("ok", ValueType::Boolean),
            ],
            min_rows: 1,
            max_rows: None,
        }
    }

    #[test]
    fn reads_columns_in_any_order_with_quotes_bom_and_blank_lines() {
        let text = "\u{feff}L,batch,ok,n\r\n50.5,\"B,1\",true,3\r\n\r\n-1e2,B2,0,-4\n";
        let table = table_from_csv(text, &spec()).unwrap();
        let names: Vec<&str> = table.keys().map(String::as_str).collect();
        assert_eq!(names, ["L", "batch", "ok", "n"]);
        assert_eq!(table["L"], ColumnValues::Float64(vec![50.5, -100.0]));
        assert_eq!(
            table["batch"],
            ColumnValues::Text(["B,1", "B2"].into_iter().collect())
        );
        assert_eq!(table["ok"], ColumnValues::Boolean(vec![true, false]));
        assert_eq!(table["n"], ColumnValues::Int64(vec![3, -4]));
    }

    #[test]
    fn a_bad_field_names_its_line_and_column() {
        let text = "batch,L,n,ok\nB1,50,1,true\nB2,5O.1,2,true\n";
        let e = table_from_csv(text, &spec()).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column.as_deref(), Some("L"));
        assert_eq!(
            e.to_string(),
            "line 3, column `L`: expected a number, found `5O.1`"
        );

        let e = table_from_csv("batch,L,n,ok\nB1,50,1.5,true\n", &spec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column `n`: expected a whole number, found `1.5`"
        );
        let e = table_from_csv("batch,L,n,ok\nB1,NaN,1,true\n", &spec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column `L`: expected a finite number, found `NaN`"
        );
        let e = table_from_csv("batch,L,n,ok\nB1,1,1,maybe\n", &spec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column `ok`: expected true or false, found `maybe`"
        );
    }

    #[test]
    fn header_problems_name_the_column() {
        let e = table_from_csv("batch,L,n\nB1,1,1\n", &spec()).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert_eq!(e.column.as_deref(), Some("ok"));
        assert!(e.to_string().contains("missing from the header"), "{e}");

        let e = table_from_csv("batch,L,n,ok,extra\n", &spec()).unwrap_err();
        assert!(
            e.to_string().starts_with("line 1: unknown column `extra`"),
            "{e}"
        );

        let e = table_from_csv("batch,L,L,n,ok\n", &spec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, column `L`: named twice in the header"
        );

        let e = table_from_csv("\n\n", &spec()).unwrap_err();
        assert!(e.to_string().starts_with("the file is empty"), "{e}");
    }

    #[test]
    fn a_short_row_and_broken_text_are_reported_with_their_line() {
        let e = table_from_csv("batch,L,n,ok\nB1,1,1,true\nB2,1\n", &spec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: 2 field(s), but the header names 4 column(s)"
        );

        let e = table_from_csv_bytes(b"batch,L,n,ok\nB1,1,1,true\nB\xff,1,1,true\n", &spec())
            .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn a_header_only_file_gives_empty_columns() {
        let table = table_from_csv("batch,L,n,ok\n", &spec()).unwrap();
        assert!(table.values().all(ColumnValues::is_empty));
    }
}
