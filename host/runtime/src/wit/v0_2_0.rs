//! `smelt:solution@0.2.0`.

use crate::model;

super::bindings!("../../wit/0.2.0", "smelt:solution/plugin@0.2.0");

/// The WIT package version these bindings are for.
pub const VERSION: &str = "0.2.0";

/// A text column as 0.2.0 passes it: every value's bytes in one buffer and where each ends.
pub type TextView<'a> = (String, Vec<u32>);

/// Joins a column's values into one buffer. The host's columns are bounded far below 4 GiB (by
/// the request body and the memory limit), so the ends fit in `u32`; a longer column would
/// saturate and the guest would see a broken column, not a wrapped one.
fn text_view(values: &[String]) -> TextView<'static> {
    let mut data = String::with_capacity(values.iter().map(String::len).sum());
    let mut ends = Vec::with_capacity(values.len());
    for value in values {
        data.push_str(value);
        ends.push(u32::try_from(data.len()).unwrap_or(u32::MAX));
    }
    (data, ends)
}

fn text_param<'a>((data, ends): &'a TextView<'a>) -> types::TextColumnParam<'a> {
    types::TextColumnParam { data, ends }
}

/// Splits a guest's text column into its values, or says how its `ends` break the encoding:
/// one that goes back, one past the end of `data`, one inside a character, or a last one short
/// of the end (bytes no value owns). `data` is UTF-8 already (wasmtime checks a `string`).
fn text_from(column: types::TextColumnResult) -> Result<Vec<String>, String> {
    let types::TextColumnResult { data, ends } = column;
    let mut values = Vec::with_capacity(ends.len());
    let mut start = 0usize;
    for (row, &end) in ends.iter().enumerate() {
        let end = end as usize;
        if end < start {
            return Err(format!(
                "text value {row} ends at byte {end}, before byte {start} where it starts"
            ));
        }
        let Some(value) = data.get(start..end) else {
            return Err(if end > data.len() {
                format!(
                    "text value {row} ends at byte {end}, past the end of the column's {} bytes",
                    data.len()
                )
            } else {
                format!("text value {row} ends at byte {end}, inside a character")
            });
        };
        values.push(value.to_owned());
        start = end;
    }
    if start != data.len() {
        return Err(format!(
            "the text values end at byte {start}, but the column has {} bytes",
            data.len()
        ));
    }
    Ok(values)
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
    fn a_text_column_goes_out_and_comes_back_value_for_value() {
        let values: Vec<String> = ["L-1", "", "色差 ΔE", "🧵", ""].map(str::to_owned).to_vec();
        let (data, ends) = text_view(&values);
        assert_eq!(data, "L-1色差 ΔE🧵");
        assert_eq!(ends, [3, 3, 13, 17, 17]);
        assert_eq!(
            text_from(types::TextColumnResult { data, ends }),
            Ok(values)
        );
        assert_eq!(text_from(column("", &[])), Ok(Vec::new()));
    }

    #[test]
    fn ends_that_break_the_encoding_are_named() {
        let cases = [
            (
                column("abcd", &[2, 1, 4]),
                "text value 1 ends at byte 1, before byte 2 where it starts",
            ),
            (
                column("abcd", &[2, 9]),
                "text value 1 ends at byte 9, past the end of the column's 4 bytes",
            ),
            (
                column("aé", &[2, 3]),
                "text value 0 ends at byte 2, inside a character",
            ),
            (
                column("abcd", &[1, 3]),
                "the text values end at byte 3, but the column has 4 bytes",
            ),
            (
                column("ab", &[]),
                "the text values end at byte 0, but the column has 2 bytes",
            ),
        ];
        for (column, expected) in cases {
            assert_eq!(text_from(column).unwrap_err(), expected);
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
