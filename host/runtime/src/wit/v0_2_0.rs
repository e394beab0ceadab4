//! `smelt:solution@0.2.0`.

use crate::model;

super::bindings!("../../wit/0.2.0", "smelt:solution/plugin@0.2.0");

/// The WIT package version these bindings are for.
pub const VERSION: &str = "0.2.0";

/// A text column as 0.2.0 passes it, the host's own layout: its buffer and ends, borrowed.
pub type TextView<'a> = (&'a str, &'a [u32]);

fn text_view(values: &model::Texts) -> TextView<'_> {
    (values.data(), values.ends())
}

fn text_param<'a>(&(data, ends): &'a TextView<'a>) -> types::TextColumnParam<'a> {
    types::TextColumnParam { data, ends }
}

/// A guest's text column as it is, once its ends are checked against its buffer (which
/// wasmtime has checked is UTF-8).
fn text_from(column: types::TextColumnResult) -> Result<model::Texts, String> {
    model::Texts::from_parts(column.data, column.ends)
}

super::conversions!();

#[cfg(test)]
mod tests {
    use super::*;

    fn column(data: &str, ends: &[u32]) -> types::TextColumnResult {
        types::TextColumnResult {
            data: data.to_owned(),
            ends: ends.to_vec(),
        }
    }

    #[test]
    fn a_broken_column_is_malformed_output_naming_table_and_column() {
        let output = types::Output {
            tables: vec![types::TableResult {
                name: "results".into(),
                columns: vec![types::ColumnResult {
                    name: "batch".into(),
                    values: types::ColumnValuesResult::Text(column("ab", &[3])),
                }],
            }],
            metrics: Vec::new(),
            findings: Vec::new(),
        };
        let error = output_from(output).unwrap_err();
        assert_eq!(error.code(), "malformed_output");
        assert_eq!(
            error.to_string(),
            "malformed output: table `results`, column `batch`: text value 0 ends at byte 3, \
             past the end of the column's 2 bytes"
        );
    }
}
