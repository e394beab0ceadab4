//! [`Texts`]: the host's text column, laid out as WIT 0.2.0 carries it.

use std::fmt;
use std::ops::Index;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A text column: every value's UTF-8 one after another in one buffer, and where each value
/// ends. This is the layout WIT 0.2.0 passes across the boundary, so a column goes into a
/// component and comes back out as two copies each way, with no allocation per value on
/// either side (a column of 100,000 names was 100,000 host allocations to lift, and as many to
/// free). Always well-formed: the ends never decrease, fall on character boundaries and end
/// at the buffer's end. Serialises as an array of strings.
///
/// ```
/// use smelt_runtime::Texts;
///
/// let mut lots = Texts::new();
/// lots.push("L-1").unwrap();
/// lots.push("色差").unwrap();
/// assert_eq!((lots.len(), &lots[1]), (2, "色差"));
/// assert_eq!(lots.iter().collect::<Vec<_>>(), ["L-1", "色差"]);
/// assert_eq!(serde_json::to_string(&lots).unwrap(), r#"["L-1","色差"]"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Texts {
    data: String,
    ends: Vec<u32>,
}

/// The most text one column holds: its ends are `u32`, as in the contract.
pub const MAX_TEXT_BYTES: usize = u32::MAX as usize;

impl Texts {
    /// An empty column.
    pub fn new() -> Self {
        Texts::default()
    }

    /// An empty column with room for `rows` values of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        Texts {
            data: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// A column from a buffer and the end of each value in it, or what is wrong with them:
    /// an end that goes back, one past the buffer, one inside a character, or a last one short
    /// of the buffer's end (bytes no value owns).
    pub fn from_parts(data: String, ends: Vec<u32>) -> Result<Texts, String> {
        let mut start = 0usize;
        for (row, &end) in ends.iter().enumerate() {
            let end = end as usize;
            if end < start {
                return Err(format!(
                    "text value {row} ends at byte {end}, before byte {start} where it starts"
                ));
            }
            if end > data.len() {
                return Err(format!(
                    "text value {row} ends at byte {end}, past the end of the column's {} bytes",
                    data.len()
                ));
            }
            if !data.is_char_boundary(end) {
                return Err(format!(
                    "text value {row} ends at byte {end}, inside a character"
                ));
            }
            start = end;
        }
        if start != data.len() {
            return Err(format!(
                "the text values end at byte {start}, but the column has {} bytes",
                data.len()
            ));
        }
        Ok(Texts { data, ends })
    }

    /// A column of `values`, sized once, or says that it would pass [`MAX_TEXT_BYTES`].
    pub fn try_from_values<S: AsRef<str>>(values: &[S]) -> Result<Texts, String> {
        let bytes = values.iter().map(|v| v.as_ref().len()).sum();
        let mut texts = Texts::with_capacity(values.len(), bytes);
        for value in values {
            texts.push(value.as_ref())?;
        }
        Ok(texts)
    }

    /// Appends a value, or says that the column would pass [`MAX_TEXT_BYTES`].
    #[inline]
    pub fn push(&mut self, value: &str) -> Result<(), String> {
        let end = self.data.len() + value.len();
        let Ok(end32) = u32::try_from(end) else {
            return Err(format!(
                "a text column holds at most {MAX_TEXT_BYTES} bytes; this one would hold {end}"
            ));
        };
        self.data.push_str(value);
        self.ends.push(end32);
        Ok(())
    }

    /// The number of values.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no values.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Value `i`, if there is one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        // Well-formed by construction: the slice is in bounds and on character boundaries.
        self.data.get(start..end)
    }

    /// The values in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// Every value's bytes, one after another.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Where each value ends in [`Texts::data`].
    pub fn ends(&self) -> &[u32] {
        &self.ends
    }
}

impl Index<usize> for Texts {
    type Output = str;

    /// Value `i`; panics past the end, as a slice does.
    #[inline]
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(value) => value,
            None => panic!(
                "index {i} out of range for a text column of {} values",
                self.len()
            ),
        }
    }
}

/// Collects values made by the host (tests, generated inputs); panics past [`MAX_TEXT_BYTES`].
/// Input from outside goes through [`Texts::push`], which says so instead.
impl<S: AsRef<str>> FromIterator<S> for Texts {
    fn from_iter<I: IntoIterator<Item = S>>(values: I) -> Self {
        let mut texts = Texts::new();
        texts.extend(values);
        texts
    }
}

/// Joins values made by the host; panics past [`MAX_TEXT_BYTES`], as `collect` does.
impl From<Vec<String>> for Texts {
    fn from(values: Vec<String>) -> Self {
        Texts::try_from_values(&values).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl<S: AsRef<str>> Extend<S> for Texts {
    /// Appends values made by the host; panics past [`MAX_TEXT_BYTES`], as `collect` does.
    fn extend<I: IntoIterator<Item = S>>(&mut self, values: I) {
        for value in values {
            if let Err(e) = self.push(value.as_ref()) {
                panic!("{e}");
            }
        }
    }
}

impl fmt::Debug for Texts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Texts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Values;

        impl<'de> Visitor<'de> for Values {
            type Value = Texts;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
                let mut texts = Texts::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16), 0);
                while seq.next_element_seed(Push(&mut texts))?.is_some() {}
                Ok(texts)
            }
        }

        deserializer.deserialize_seq(Values)
    }
}

/// Reads one string straight into a column, without a `String` of its own.
struct Push<'a>(&'a mut Texts);

impl<'de> DeserializeSeed<'de> for Push<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Push<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<(), E> {
        self.0.push(value).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_in_and_come_out_as_they_were() {
        let values = ["", "L-1", "", "色差 ΔE", "🧵", ""];
        let texts: Texts = values.iter().collect();
        assert_eq!(texts.data(), "L-1色差 ΔE🧵");
        assert_eq!(texts.ends(), [0, 3, 3, 13, 17, 17]);
        assert_eq!(texts.iter().collect::<Vec<_>>(), values);
        assert_eq!(texts.get(6), None);
        let again = Texts::from_parts(texts.data().to_owned(), texts.ends().to_vec()).unwrap();
        assert_eq!(again, texts);
        let json = serde_json::to_string(&texts).unwrap();
        assert_eq!(json, r#"["","L-1","","色差 ΔE","🧵",""]"#);
        assert_eq!(serde_json::from_str::<Texts>(&json).unwrap(), texts);
        assert_eq!(format!("{texts:?}"), format!("{values:?}"));
        assert_eq!(Texts::from(vec!["a".to_owned()]), ["a"].iter().collect());
    }

    #[test]
    fn ends_that_break_the_layout_are_named() {
        let cases = [
            (
                ("abcd", &[2, 1, 4][..]),
                "text value 1 ends at byte 1, before byte 2 where it starts",
            ),
            (
                ("abcd", &[2, 9]),
                "text value 1 ends at byte 9, past the end of the column's 4 bytes",
            ),
            (
                ("aé", &[2, 3]),
                "text value 0 ends at byte 2, inside a character",
            ),
            (
                ("abcd", &[1, 3]),
                "the text values end at byte 3, but the column has 4 bytes",
            ),
            (
                ("ab", &[]),
                "the text values end at byte 0, but the column has 2 bytes",
            ),
        ];
        for ((data, ends), expected) in cases {
            let error = Texts::from_parts(data.to_owned(), ends.to_vec()).unwrap_err();
            assert_eq!(error, expected);
        }
        assert_eq!(
            Texts::from_parts(String::new(), Vec::new()),
            Ok(Texts::new())
        );
    }

    #[test]
    fn a_non_string_is_refused_when_read() {
        let error = serde_json::from_str::<Texts>(r#"["a", 7]"#).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("invalid type: integer `7`, expected a string"),
            "{error}"
        );
    }
}
