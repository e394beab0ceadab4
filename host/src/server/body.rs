//! Request bodies whose `input` is read straight into typed columns (no tree of a large
//! input), and answers encoded straight from the run, in JSON or CBOR: the content-type check,
//! the reading and the encoding, shared by invocations and trials.
//!
//! CBOR (RFC 8949, `application/cbor`) carries the same documents as JSON — the same fields,
//! the same checks and messages — with numbers as machine ints and floats and text
//! length-prefixed, so neither side formats, parses or escapes anything. A client asks for a
//! CBOR answer with `Accept: application/cbor`; errors are always `application/problem+json`.
//!
//! An invocation's or a trial's answer carries a `Server-Timing` header (W3C Server Timing)
//! with the phases the server spent on the call, so a client can tell its network's share from
//! the server's (errors, always JSON problems, do not).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cbor4ii::core::utils::SliceReader;
use serde::Serialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use smelt_runtime::{Input, InputReader};

use super::{ApiError, ApiResult};

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Json,
    Cbor,
}

/// The media type's essence (`application/json` of `application/json; charset=utf-8`),
/// split into type and subtype.
fn media_type(value: &HeaderValue) -> Option<(&str, &str)> {
    let essence = value.to_str().ok()?.split(';').next()?.trim();
    essence.split_once('/')
}

fn is_json(kind: &str, subtype: &str) -> bool {
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

fn is_cbor(kind: &str, subtype: &str) -> bool {
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("cbor") || subtype.to_ascii_lowercase().ends_with("+cbor"))
}

impl Wire {
    /// The encoding of the request's body from its `Content-Type` (JSON as axum's `Json`
    /// extractor takes it, or CBOR); any other is refused naming the two it can be.
    pub(super) fn of_request(headers: &HeaderMap) -> ApiResult<Wire> {
        match headers.get(header::CONTENT_TYPE).and_then(media_type) {
            Some((kind, subtype)) if is_json(kind, subtype) => Ok(Wire::Json),
            Some((kind, subtype)) if is_cbor(kind, subtype) => Ok(Wire::Cbor),
            _ => Err(ApiError::unprocessable(
                "invalid_body",
                "Expected request with `Content-Type: application/json` or `application/cbor`",
            )),
        }
    }

    /// The encoding the client accepts for the answer: CBOR when its `Accept` names CBOR
    /// before (or without) JSON, JSON otherwise.
    pub(super) fn of_answer(headers: &HeaderMap) -> Wire {
        for value in headers.get_all(header::ACCEPT) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let essence = item.split(';').next().unwrap_or("").trim();
                let Some((kind, subtype)) = essence.split_once('/') else {
                    continue;
                };
                if is_cbor(kind, subtype) {
                    return Wire::Cbor;
                }
                if is_json(kind, subtype) {
                    return Wire::Json;
                }
            }
        }
        Wire::Json
    }

    fn name(self) -> &'static str {
        match self {
            Wire::Json => "JSON",
            Wire::Cbor => "CBOR",
        }
    }

    /// A body that is not the document it should be.
    fn invalid(self, problem: impl std::fmt::Display) -> ApiError {
        ApiError::unprocessable(
            "invalid_body",
            format!(
                "Failed to parse the request body as {}: {problem}",
                self.name()
            ),
        )
    }

    /// Reads a whole small body (all of it: trailing bytes are refused).
    pub(super) fn read<'de, T: de::Deserialize<'de>>(self, body: &'de [u8]) -> ApiResult<T> {
        self.read_seed(body, std::marker::PhantomData::<T>)
            .map_err(|e| self.invalid(e))
    }

    /// Reads all of `body` with `seed`; the error is the encoding's own words.
    fn read_seed<'de, S: DeserializeSeed<'de>>(
        self,
        body: &'de [u8],
        seed: S,
    ) -> Result<S::Value, String> {
        match self {
            Wire::Json => {
                let mut json = serde_json::Deserializer::from_slice(body);
                seed.deserialize(&mut json)
                    .and_then(|value| json.end().map(|()| value))
                    .map_err(|e| e.to_string())
            }
            Wire::Cbor => {
                let mut cbor = cbor4ii::serde::Deserializer::new(SliceReader::new(body));
                let value = seed.deserialize(&mut cbor).map_err(|e| cbor_problem(&e))?;
                let mut rest = cbor.into_inner();
                match cbor4ii::core::dec::Read::fill(&mut rest, 1) {
                    Ok(left) if left.as_ref().is_empty() => Ok(value),
                    _ => Err("trailing bytes after the document".into()),
                }
            }
        }
    }

    /// Reads the `input` of an object body with `reader`. `fields` are the body's fields
    /// (`input` among them); the others are skipped here (read by the caller), any field not
    /// in `fields` is refused, and so is `input` given twice. A problem with the input itself
    /// is an `invalid_input` naming its table, column, row or param; anything else
    /// `invalid_body`.
    pub(super) fn read_input(
        self,
        body: &[u8],
        reader: &InputReader<'_>,
        fields: &'static [&'static str],
    ) -> ApiResult<Input> {
        self.read_seed(body, InputField { reader, fields })
            .map_err(|e| match reader.problem() {
                Some(problem) => ApiError::unprocessable("invalid_input", problem.to_string()),
                None => self.invalid(e),
            })
    }

    /// `value` encoded as the answer, into a buffer of `capacity` bytes to start with (a
    /// 1,000-row answer is over 100 kB; grown from nothing it is copied a dozen times).
    /// `phases` gets the encoding as its last phase and goes out as the `Server-Timing` header.
    pub(super) fn answer<T: Serialize>(
        self,
        value: &T,
        capacity: usize,
        what: &str,
        mut phases: Phases,
    ) -> ApiResult<Response> {
        let buffer = Vec::with_capacity(capacity);
        let (content_type, bytes) = match self {
            Wire::Json => {
                let mut buffer = buffer;
                serde_json::to_writer(&mut buffer, value)
                    .map_err(|e| ApiError::internal(what, e))?;
                ("application/json", buffer)
            }
            Wire::Cbor => (
                "application/cbor",
                cbor4ii::serde::to_vec(buffer, value).map_err(|e| ApiError::internal(what, e))?,
            ),
        };
        phases.mark("encode");
        Ok((
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::HeaderName::from_static("server-timing"),
                    phases.header(),
                ),
            ],
            bytes,
        )
            .into_response())
    }
}

/// When the request's head had been read (set by the server's request middleware).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrived(pub(crate) Instant);

/// The phases of handling one request, each the time since the one before: `receive` (the
/// body off the socket and the caller's token checked), `lookup` (the deployment or, for a
/// trial, the package and version read from the body, and the component), `read` (the input
/// into typed columns), `run`, `encode`. Taken as an extractor, it starts when the request
/// arrived.
#[derive(Debug)]
pub(crate) struct Phases {
    last: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Phases {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let arrived = parts.extensions.get::<Arrived>().map(|a| a.0);
        Ok(Phases::since(arrived.unwrap_or_else(Instant::now)))
    }
}

impl Phases {
    pub(crate) fn since(start: Instant) -> Self {
        Phases {
            last: start,
            done: Vec::with_capacity(5),
        }
    }

    /// Ends phase `name` now.
    pub(crate) fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }

    /// `receive;dur=0.018, lookup;dur=0.016, ...`: milliseconds, as the header's `dur` is.
    fn header(&self) -> HeaderValue {
        let mut value = String::with_capacity(16 * self.done.len());
        for (i, (name, took)) in self.done.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            let _ = write!(
                value,
                "{separator}{name};dur={:.3}",
                took.as_secs_f64() * 1e3
            );
        }
        HeaderValue::from_str(&value).expect("phase names and numbers are header-safe")
    }
}

/// A CBOR decoding error in words: the decoder's own are its debug form.
fn cbor_problem(e: &cbor4ii::serde::DecodeError<std::convert::Infallible>) -> String {
    use cbor4ii::core::error::DecodeError as Core;
    use cbor4ii::serde::DecodeError;
    match e {
        DecodeError::Custom(message) => message.to_string(),
        DecodeError::Core(core) => match core {
            Core::Mismatch { name, found } => format!(
                "expected {}, found an item starting with byte 0x{found:02x}",
                item(name)
            ),
            Core::Unsupported { name, found } => format!(
                "an item starting with byte 0x{found:02x} where {} was expected (tags and \
                 simple values other than false, true and null are not taken)",
                item(name)
            ),
            Core::Eof { name, .. } => format!("the body ends inside {}", item(name)),
            Core::RequireUtf8 { name } => format!("{} that is not UTF-8", item(name)),
            Core::LengthOverflow { name, .. } => {
                format!("{} with a length longer than the body", item(name))
            }
            Core::DepthOverflow { name } => format!("{} nested too deep", item(name)),
            other => format!("{other:?}"),
        },
    }
}

/// cbor4ii's name for the kind of item it was decoding (serde's and its own, such as
/// `ignored-any` for a part of the body that is only skipped), in words.
fn item(name: &str) -> Cow<'_, str> {
    Cow::Borrowed(match name {
        "any" | "ignored-any" | "value" | "raw-value" => "an item",
        "map" => "a map",
        "array" | "seq" | "tuple" => "an array",
        "str" => "a text string",
        "bytes" => "a byte string",
        "bool" => "true or false",
        "f16" | "f32" | "f64" | "half-f16" => "a float",
        "u8" | "u16" | "u32" | "u64" | "u128" | "i8" | "i16" | "i32" | "i64" | "i128" => {
            "an integer"
        }
        "option" | "maybe" => "a value or null",
        "unit" => "null",
        "enum" => "a variant",
        "tag" => "a tag",
        "simple" => "a simple value",
        "break" | "chunks" => "an indefinite-length item",
        other => return Cow::Owned(format!("`{other}`")),
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

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn request_content_types_are_recognised() {
        let with = |value| Wire::of_request(&headers(header::CONTENT_TYPE, value)).ok();
        assert_eq!(with("application/json"), Some(Wire::Json));
        assert_eq!(with("application/json; charset=utf-8"), Some(Wire::Json));
        assert_eq!(with("Application/JSON"), Some(Wire::Json));
        assert_eq!(with("application/vnd.smelt+json"), Some(Wire::Json));
        assert_eq!(with("application/cbor"), Some(Wire::Cbor));
        assert_eq!(with("application/vnd.smelt+cbor"), Some(Wire::Cbor));
        assert_eq!(with("text/plain"), None);
        assert_eq!(with("application/jsonx"), None);
        assert_eq!(with("json"), None);
        assert!(Wire::of_request(&HeaderMap::new()).is_err());
    }

    #[test]
    fn answers_are_cbor_only_when_asked_for_first() {
        let with = |value| Wire::of_answer(&headers(header::ACCEPT, value));
        assert_eq!(with("application/cbor"), Wire::Cbor);
        assert_eq!(with("application/cbor;q=1, application/json"), Wire::Cbor);
        assert_eq!(with("application/json, application/cbor"), Wire::Json);
        assert_eq!(with("text/html, application/cbor"), Wire::Cbor);
        assert_eq!(with("*/*"), Wire::Json);
        assert_eq!(Wire::of_answer(&HeaderMap::new()), Wire::Json);
    }

    #[test]
    fn cbor_bodies_are_read_whole_and_bad_ones_named() {
        #[derive(Debug, PartialEq, serde::Deserialize, Serialize)]
        struct Small {
            name: String,
            count: u32,
        }
        let small = Small {
            name: "lot 7".into(),
            count: 3,
        };
        let bytes = cbor4ii::serde::to_vec(Vec::new(), &small).unwrap();
        assert_eq!(Wire::Cbor.read::<Small>(&bytes).unwrap(), small);
        let message = |body: &[u8]| Wire::Cbor.read::<Small>(body).unwrap_err().message;
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(message(&longer).ends_with("trailing bytes after the document"));
        assert!(
            message(&bytes[..bytes.len() - 2]).ends_with("the body ends inside a text string"),
            "{}",
            message(&bytes[..bytes.len() - 2])
        );
        assert!(
            message(&[0x01]).contains("expected a map, found an item starting with byte 0x01"),
            "{}",
            message(&[0x01])
        );
        assert!(message(&[]).starts_with("Failed to parse the request body as CBOR"));
    }

    /// A body cut short inside a part that is only skipped (a trial's `package` while its
    /// input is read) names what was cut in words, not the decoder's internal name.
    #[test]
    fn a_cut_inside_a_skipped_field_is_named_in_words() {
        let descriptor = smelt_runtime::Descriptor {
            name: "echo".into(),
            version: "0.1.0".into(),
            summary: String::new(),
            inputs: Vec::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            metrics: Vec::new(),
        };
        let reader = InputReader::new(&descriptor);
        let body = cbor4ii::serde::to_vec(
            Vec::new(),
            &serde_json::json!({"package": "dye-lot-color-qc", "input": {}}),
        )
        .unwrap();
        let cut = &body[..12];
        let error = Wire::Cbor
            .read_input(cut, &reader, &["package", "input"])
            .unwrap_err();
        assert_eq!(error.code, "invalid_body");
        assert!(
            error.message.ends_with("the body ends inside an item"),
            "{}",
            error.message
        );
    }
}
