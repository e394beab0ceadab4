//! JSON request bodies whose `input` is read straight into typed columns (no JSON tree of a
//! large input): the content-type check and the reading, shared by invocations and trials.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use smelt_runtime::{Input, InputReader};

use super::{ApiError, ApiResult};

/// True when the request says its body is JSON (`application/json` or `application/*+json`),
/// as axum's `Json` extractor requires.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// Refuses a body not labelled as JSON, in the words of axum's `Json` extractor.
pub(super) fn require_json(headers: &axum::http::HeaderMap) -> ApiResult<()> {
    if json_content_type(headers) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "invalid_body",
            "Expected request with `Content-Type: application/json`",
        ))
    }
}

/// A body that is not the JSON it should be.
pub(super) fn invalid_body(e: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable(
        "invalid_body",
        format!("Failed to parse the request body as JSON: {e}"),
    )
}

/// Reads the `input` of a JSON object body with `reader`. `fields` are the body's fields
/// (`input` among them); the others are skipped here (read by the caller), any field not in
/// `fields` is refused, and so is `input` given twice. A problem with the input itself is an
/// `invalid_input` naming its table, column, row or param; anything else `invalid_body`.
pub(super) fn read_input(
    body: &[u8],
    reader: &InputReader<'_>,
    fields: &'static [&'static str],
) -> ApiResult<Input> {
    let mut json = serde_json::Deserializer::from_slice(body);
    InputField { reader, fields }
        .deserialize(&mut json)
        .and_then(|input| json.end().map(|()| input))
        .map_err(|e| match reader.problem() {
            Some(problem) => ApiError::unprocessable("invalid_input", problem.to_string()),
            None => invalid_body(e),
        })
}

struct InputField<'a> {
    reader: &'a InputReader<'a>,
    fields: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for InputField<'_> {
    type Value = Input;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Input, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for InputField<'_> {
    type Value = Input;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object with the field `input`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let mut input = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "input" {
                if input.is_some() {
                    return Err(de::Error::duplicate_field("input"));
                }
                input = Some(map.next_value_seed(self.reader.seed())?);
            } else if self.fields.contains(&key.as_ref()) {
                map.next_value::<IgnoredAny>()?;
            } else {
                return Err(de::Error::unknown_field(&key, self.fields));
            }
        }
        input.ok_or_else(|| de::Error::missing_field("input"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        let with = |value: &'static str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(value),
            );
            json_content_type(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("Application/JSON"));
        assert!(with("application/vnd.smelt+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!with("json"));
        assert!(!json_content_type(&axum::http::HeaderMap::new()));
    }
}
