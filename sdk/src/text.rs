//! [`TextColumn`]: a text column as the contract carries it, one UTF-8 buffer and the end of
//! each value in it.

use std::fmt;
use std::ops::Index;

use crate::TextColumn;

impl TextColumn {
    /// An empty column.
    ///
    /// ```
    /// use smelt_sdk::TextColumn;
    ///
    /// let mut lots = TextColumn::new();
    /// lots.push("L1");
    /// lots.push("L2");
    /// assert_eq!(lots.len(), 2);
    /// assert_eq!(&lots[1], "L2");
    /// assert_eq!(lots.get(2), None);
    /// assert_eq!((lots.data.as_str(), lots.ends.as_slice()), ("L1L2", &[2, 4][..]));
    /// ```
    pub fn new() -> Self {
        TextColumn {
            data: String::new(),
            ends: Vec::new(),
        }
    }

    /// An empty column with room for `rows` values of `bytes` bytes of text in all, so that
    /// pushing them allocates nothing more.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        TextColumn {
            data: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Appends a value.
    ///
    /// # Panics
    ///
    /// If the column's text would pass `u32::MAX` bytes (4 GiB), the most the contract's `u32`
    /// ends can address. Only native code can get there: a component's memory is 4 GiB in
    /// all, and a `String` in it is at most 2 GiB.
    #[inline]
    pub fn push(&mut self, value: &str) {
        self.data.push_str(value);
        self.ends.push(end_of(self.data.len()));
    }

    /// The number of values.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the column has no values.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Value `i`, or `None` past the end (or if the column is malformed there; an input
    /// column from [`TableRef::text`](crate::TableRef::text) has been checked and never is).
    ///
    /// ```
    /// let names: smelt_sdk::TextColumn = ["A", "", "B"].into_iter().collect();
    /// assert_eq!(names.get(1), Some(""));
    /// assert_eq!(names.get(3), None);
    /// ```
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        self.data.get(start..end)
    }

    /// The values in order.
    ///
    /// ```
    /// let names: smelt_sdk::TextColumn = ["A1", "B2"].into_iter().collect();
    /// let lower: Vec<String> = names.iter().map(str::to_lowercase).collect();
    /// assert_eq!(lower, ["a1", "b2"]);
    /// assert_eq!(names.iter().len(), 2);
    /// ```
    pub fn iter(&self) -> TextIter<'_> {
        TextIter {
            data: &self.data,
            ends: self.ends.iter(),
            start: 0,
        }
    }

    /// The values as owned strings (one allocation each; prefer [`TextColumn::iter`] or
    /// cloning the column).
    ///
    /// ```
    /// let names: smelt_sdk::TextColumn = vec!["a".to_owned(), "b".to_owned()].into();
    /// assert_eq!(names.to_vec(), ["a", "b"]);
    /// ```
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    /// What is wrong with the column, if anything: an end before the previous one, past the
    /// text or inside a character, or text after the last end. O(rows).
    pub(crate) fn problem(&self) -> Option<String> {
        if self.well_formed() {
            None
        } else {
            self.diagnose()
        }
    }

    /// Whether [`TextColumn::problem`] finds nothing: one pass without a branch per value
    /// (every input text column is checked, once per call, so this is on every solution's
    /// path).
    #[inline]
    fn well_formed(&self) -> bool {
        let text = self.data.as_bytes();
        let mut previous = 0;
        let mut ok = true;
        for &end in &self.ends {
            ok &= end >= previous;
            previous = end;
            // The end of the text, or a byte that starts a character (not 0b10xx_xxxx):
            // `str::is_char_boundary` without its first test, for index 0, which the loop does
            // not need (with it, fuel on fabric's 100,000 defects was 3.5 % higher).
            ok &= text
                .get(end as usize)
                .map_or(end as usize == text.len(), |&byte| (byte as i8) >= -0x40);
        }
        ok && previous as usize == text.len()
    }

    /// The first problem of a column that is not [`well_formed`](TextColumn::well_formed).
    #[cold]
    fn diagnose(&self) -> Option<String> {
        let len = self.data.len();
        let mut start = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            let end = end as usize;
            if end < start {
                return Some(format!(
                    "value {i} ends at byte {end}, before byte {start} where it starts"
                ));
            }
            if end > len {
                return Some(format!(
                    "value {i} ends at byte {end}, past the {len} bytes of text"
                ));
            }
            if !self.data.is_char_boundary(end) {
                return Some(format!("value {i} ends at byte {end}, inside a character"));
            }
            start = end;
        }
        if start == len {
            return None;
        }
        Some(match self.ends.len() {
            0 => format!("no values but {len} bytes of text"),
            rows => format!(
                "the last value, {}, ends at byte {start} but the text has {len} bytes",
                rows - 1
            ),
        })
    }
}

/// The end offset of a value, as the contract's `u32`.
#[inline]
fn end_of(len: usize) -> u32 {
    match u32::try_from(len) {
        Ok(end) => end,
        Err(_) => too_long(len),
    }
}

#[cold]
#[inline(never)]
fn too_long(len: usize) -> ! {
    panic!("text column of {len} bytes: a text column holds at most u32::MAX bytes")
}

impl Default for TextColumn {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for TextColumn {
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends && self.data == other.data
    }
}

impl Eq for TextColumn {}

/// Value `i`, as a slice of the column's text.
///
/// # Panics
///
/// If `i` is not below [`TextColumn::len`], or the column is malformed there (an input column
/// from [`TableRef::text`](crate::TableRef::text) has been checked and never is).
///
/// ```
/// let names: smelt_sdk::TextColumn = ["A", "B"].into_iter().collect();
/// assert_eq!(&names[0], "A");
/// ```
impl Index<usize> for TextColumn {
    type Output = str;

    #[inline]
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(value) => value,
            None => bad_index(self, i),
        }
    }
}

#[cold]
#[inline(never)]
fn bad_index(column: &TextColumn, i: usize) -> ! {
    match column.problem() {
        Some(problem) if i < column.len() => panic!("malformed text column: {problem}"),
        _ => panic!(
            "index {i} out of range for a text column of {} values",
            column.len()
        ),
    }
}

/// Collects values into one column. The values are gathered into a `Vec` first (no copy when
/// they come from a `Vec`'s own iterator) so that the text is allocated once, at its exact size; to build a column
/// without holding every value at once, [`push`](TextColumn::push) them.
///
/// # Panics
///
/// As [`TextColumn::push`]: if the text would pass `u32::MAX` bytes.
///
/// ```
/// use smelt_sdk::TextColumn;
///
/// let grades: TextColumn = [1, 2, 1].iter().map(|g| format!("grade {g}")).collect();
/// assert_eq!(grades.to_vec(), ["grade 1", "grade 2", "grade 1"]);
/// assert_eq!(grades.data.capacity(), grades.data.len());
/// ```
impl<S: AsRef<str>> FromIterator<S> for TextColumn {
    fn from_iter<I: IntoIterator<Item = S>>(values: I) -> Self {
        let values: Vec<S> = values.into_iter().collect();
        TextColumn::from(values.as_slice())
    }
}

impl From<Vec<String>> for TextColumn {
    fn from(values: Vec<String>) -> Self {
        values.into_iter().collect()
    }
}

/// Copies the values into one column: two passes over the slice (the lengths, then the
/// text), one allocation for the text and one for the ends.
///
/// # Panics
///
/// As [`TextColumn::push`]: if the text would pass `u32::MAX` bytes.
///
/// ```
/// use smelt_sdk::TextColumn;
///
/// let ids = vec!["P1".to_owned(), "P22".to_owned()];
/// let column = TextColumn::from(ids.as_slice());
/// assert_eq!((column.data.as_str(), column.ends.as_slice()), ("P1P22", &[2, 5][..]));
/// ```
impl<S: AsRef<str>> From<&[S]> for TextColumn {
    fn from(values: &[S]) -> Self {
        // Summed without wrapping (many values may be one long `&str` on a 32-bit target).
        let bytes = values
            .iter()
            .try_fold(0usize, |sum, v| sum.checked_add(v.as_ref().len()))
            .unwrap_or(usize::MAX);
        end_of(bytes);
        let mut column = TextColumn::with_capacity(values.len(), bytes);
        for value in values {
            column.push(value.as_ref());
        }
        column
    }
}

impl<'a> IntoIterator for &'a TextColumn {
    type Item = &'a str;
    type IntoIter = TextIter<'a>;

    fn into_iter(self) -> TextIter<'a> {
        self.iter()
    }
}

/// The values of a [`TextColumn`] in order, from [`TextColumn::iter`].
#[derive(Clone)]
pub struct TextIter<'a> {
    data: &'a str,
    ends: std::slice::Iter<'a, u32>,
    start: usize,
}

impl<'a> Iterator for TextIter<'a> {
    type Item = &'a str;

    /// # Panics
    ///
    /// Where the column is malformed (an input column from
    /// [`TableRef::text`](crate::TableRef::text) has been checked and never is).
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let end = *self.ends.next()? as usize;
        let value = match self.data.get(self.start..end) {
            Some(value) => value,
            None => malformed(self.start, end),
        };
        self.start = end;
        Some(value)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for TextIter<'_> {}

impl fmt::Debug for TextIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextIter")
            .field("remaining", &self.ends.len())
            .finish()
    }
}

#[cold]
#[inline(never)]
fn malformed(start: usize, end: usize) -> ! {
    panic!("malformed text column: a value from byte {start} to byte {end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(data: &str, ends: &[u32]) -> TextColumn {
        TextColumn {
            data: data.to_owned(),
            ends: ends.to_vec(),
        }
    }

    #[test]
    fn push_get_iter_and_collect_agree() {
        let values = ["", "Ø12", "", "lot 7", "染色"];
        let mut pushed = TextColumn::new();
        for v in values {
            pushed.push(v);
        }
        let collected: TextColumn = values.iter().collect();
        assert_eq!(pushed, collected);
        assert_eq!(pushed.data, "Ø12lot 7染色");
        assert_eq!(pushed.ends, [0, 4, 4, 9, 15]);
        assert_eq!(pushed.iter().collect::<Vec<_>>(), values);
        assert_eq!((0..5).map(|i| &pushed[i]).collect::<Vec<_>>(), values);
        assert_eq!(pushed.get(5), None);
        assert_eq!(pushed.problem(), None);
        assert_eq!(TextColumn::new().problem(), None);
        assert_eq!(TextColumn::from(vec!["x".to_owned()]).to_vec(), ["x"]);
    }

    #[test]
    fn every_broken_column_is_named() {
        let cases = [
            (
                column("abcdefghi", &[3, 9, 9, 7, 9]),
                "value 3 ends at byte 7, before byte 9 where it starts",
            ),
            (
                column("abc", &[2, 5]),
                "value 1 ends at byte 5, past the 3 bytes of text",
            ),
            (
                column("aØb", &[2, 4]),
                "value 0 ends at byte 2, inside a character",
            ),
            (
                column("abcd", &[1, 3]),
                "the last value, 1, ends at byte 3 but the text has 4 bytes",
            ),
            (column("ab", &[]), "no values but 2 bytes of text"),
        ];
        for (column, problem) in cases {
            assert_eq!(column.problem().as_deref(), Some(problem), "{column:?}");
        }
    }

    #[test]
    fn the_quick_check_and_the_diagnosis_agree_on_every_small_column() {
        let mut checked = 0;
        for data in ["", "a", "ab", "aØb", "染x", "Ø"] {
            let most = data.len() as u32 + 1;
            // Every list of up to three ends in 0..=len+1.
            for count in 0..=3u32 {
                for mut code in 0..(most + 1).pow(count) {
                    let mut ends = Vec::new();
                    for _ in 0..count {
                        ends.push(code % (most + 1));
                        code /= most + 1;
                    }
                    let column = column(data, &ends);
                    assert_eq!(
                        column.well_formed(),
                        column.diagnose().is_none(),
                        "{column:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn get_on_a_broken_column_is_none_not_a_panic() {
        let broken = column("aØb", &[2, 1, 9]);
        assert_eq!(
            (broken.get(0), broken.get(1), broken.get(2)),
            (None, None, None)
        );
    }

    #[test]
    #[should_panic(expected = "malformed text column: value 0 ends at byte 2, inside a character")]
    fn indexing_a_broken_column_says_what_is_wrong() {
        let _ = &column("aØb", &[2, 4])[0];
    }

    #[test]
    #[should_panic(expected = "index 2 out of range for a text column of 2 values")]
    fn indexing_past_the_end_says_so() {
        let _ = &column("ab", &[1, 2])[2];
    }
}
