//! `smelt:solution@0.1.0`.

use crate::model;

super::bindings!("../../wit/0.1.0", "smelt:solution/plugin@0.1.0");

/// The WIT package version these bindings are for.
pub const VERSION: &str = "0.1.0";

/// A text column as 0.1.0 passes it: a list of strings, borrowed from the host's column.
pub type TextView<'a> = Vec<&'a str>;

fn text_view(values: &model::Texts) -> TextView<'_> {
    values.iter().collect()
}

fn text_param<'a>(view: &'a TextView<'a>) -> &'a [&'a str] {
    view
}

/// 0.1.0's strings are checked UTF-8 already, one by one, as wasmtime lifts them; they are
/// joined into one column (a guest's output cannot reach [`model::MAX_TEXT_BYTES`] in its
/// memory, but the message would say so).
fn text_from(values: Vec<String>) -> Result<model::Texts, String> {
    model::Texts::try_from_values(&values)
}

super::conversions!();
