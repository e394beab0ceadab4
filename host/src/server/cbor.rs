//! Answers written as CBOR by hand: the bytes cbor4ii's serde serializer writes for the same
//! value (definite lengths, the shortest head for every length and integer, floats always as
//! 64-bit), without serde's call per field and a buffer push per head and per text. An
//! invocation's answer of 1,000 rows is ≈ 1,800 findings' and rows' fields; written this way it
//! costs about half (BENCHMARKS.md, issue 8). Every type here has a test that its bytes are
//! cbor4ii's for the same value.

use smelt_runtime::{ColumnValues, LogLine, Output, Severity, Usage};

/// A CBOR item written into a byte buffer.
pub(crate) trait Cbor {
    fn cbor(&self, out: &mut Vec<u8>);
}

/// The major types used here (RFC 8949 §3.1).
const UNSIGNED: u8 = 0;
const NEGATIVE: u8 = 1 << 5;
const TEXT: u8 = 3 << 5;
const ARRAY: u8 = 4 << 5;
const MAP: u8 = 5 << 5;
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;
const FLOAT64: u8 = 0xfb;

/// The head of an item of `major` type with argument `n`, in its shortest form.
pub(crate) fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    match n {
        0..24 => out.push(major | n as u8),
        24..0x100 => out.extend_from_slice(&[major | 24, n as u8]),
        0x100..0x1_0000 => {
            out.push(major | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..0x1_0000_0000 => {
            out.push(major | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

pub(crate) fn text(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 9);
    head(out, TEXT, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn map(out: &mut Vec<u8>, len: usize) {
    head(out, MAP, len as u64);
}

fn array(out: &mut Vec<u8>, len: usize) {
    head(out, ARRAY, len as u64);
}

/// A map key followed by its value.
pub(crate) fn field(out: &mut Vec<u8>, key: &str, value: &(impl Cbor + ?Sized)) {
    text(out, key);
    value.cbor(out);
}

impl Cbor for f64 {
    fn cbor(&self, out: &mut Vec<u8>) {
        out.push(FLOAT64);
        out.extend_from_slice(&self.to_bits().to_be_bytes());
    }
}

impl Cbor for u64 {
    fn cbor(&self, out: &mut Vec<u8>) {
        head(out, UNSIGNED, *self);
    }
}

impl Cbor for u32 {
    fn cbor(&self, out: &mut Vec<u8>) {
        head(out, UNSIGNED, u64::from(*self));
    }
}

impl Cbor for i64 {
    fn cbor(&self, out: &mut Vec<u8>) {
        match u64::try_from(*self) {
            Ok(n) => head(out, UNSIGNED, n),
            // -1 - n, as RFC 8949 encodes a negative integer.
            Err(_) => head(out, NEGATIVE, !(*self as u64)),
        }
    }
}

impl Cbor for bool {
    fn cbor(&self, out: &mut Vec<u8>) {
        out.push(if *self { TRUE } else { FALSE });
    }
}

impl Cbor for str {
    fn cbor(&self, out: &mut Vec<u8>) {
        text(out, self);
    }
}

impl Cbor for String {
    fn cbor(&self, out: &mut Vec<u8>) {
        text(out, self);
    }
}

impl<T: Cbor> Cbor for Option<T> {
    fn cbor(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.cbor(out),
            None => out.push(NULL),
        }
    }
}

impl<T: Cbor> Cbor for [T] {
    fn cbor(&self, out: &mut Vec<u8>) {
        array(out, self.len());
        for item in self {
            item.cbor(out);
        }
    }
}

impl Cbor for ColumnValues {
    fn cbor(&self, out: &mut Vec<u8>) {
        match self {
            ColumnValues::Float64(v) => {
                out.reserve(v.len() * 9 + 9);
                v.cbor(out)
            }
            ColumnValues::Int64(v) => v.cbor(out),
            ColumnValues::Text(v) => v.cbor(out),
            ColumnValues::Boolean(v) => v.cbor(out),
        }
    }
}

impl Cbor for Output {
    fn cbor(&self, out: &mut Vec<u8>) {
        map(out, 3);
        text(out, "tables");
        map(out, self.tables.len());
        for (name, table) in &self.tables {
            text(out, name);
            map(out, table.len());
            for (column, values) in table {
                field(out, column, values);
            }
        }
        text(out, "metrics");
        array(out, self.metrics.len());
        for metric in &self.metrics {
            map(out, 3);
            field(out, "name", &metric.name);
            field(out, "value", &metric.value);
            field(out, "unit", &metric.unit);
        }
        text(out, "findings");
        array(out, self.findings.len());
        for finding in &self.findings {
            let (table, row) = (finding.table.as_ref(), finding.row);
            map(
                out,
                3 + usize::from(table.is_some()) + usize::from(row.is_some()),
            );
            let severity = match finding.severity {
                Severity::Info => "info",
                Severity::Warning => "warning",
                Severity::Error => "error",
            };
            field(out, "severity", severity);
            field(out, "code", &finding.code);
            field(out, "message", &finding.message);
            if let Some(table) = table {
                field(out, "table", table);
            }
            if let Some(row) = row {
                field(out, "row", &row);
            }
        }
    }
}

impl Cbor for Usage {
    fn cbor(&self, out: &mut Vec<u8>) {
        map(out, 3);
        field(out, "fuel", &self.fuel);
        field(out, "peak_memory_bytes", &self.peak_memory_bytes);
        field(out, "wall_ms", &self.wall_ms);
    }
}

impl Cbor for LogLine {
    fn cbor(&self, out: &mut Vec<u8>) {
        map(out, 2);
        field(out, "level", self.level);
        field(out, "message", &self.message);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `value` written by hand is, byte for byte, what cbor4ii's serde serializer writes.
    pub(crate) fn same_as_serde<T: Cbor + serde::Serialize + ?Sized>(value: &T) {
        let mut ours = Vec::new();
        value.cbor(&mut ours);
        let theirs = cbor4ii::serde::to_vec(Vec::new(), &value).unwrap();
        assert_eq!(ours, theirs, "hand-written CBOR differs from cbor4ii's");
    }

    #[test]
    fn numbers_take_cbor4iis_shortest_heads() {
        for n in [
            0,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            u64::MAX,
        ] {
            same_as_serde(&n);
            if let Ok(i) = i64::try_from(n) {
                same_as_serde(&i);
                same_as_serde(&(-i));
                same_as_serde(&(-i - 1));
            }
        }
        same_as_serde(&i64::MIN);
        for x in [
            0.0,
            -0.0,
            1.5,
            -2.25e-300,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ] {
            same_as_serde(&x);
        }
        same_as_serde(&u32::MAX);
        same_as_serde(&true);
        same_as_serde(&false);
        same_as_serde(&None::<String>);
    }

    #[test]
    fn text_of_every_length_class_and_unicode() {
        for len in [0, 23, 24, 255, 256, 65_536] {
            same_as_serde("é".repeat(len / 2).as_str());
            same_as_serde(&"x".repeat(len));
        }
        same_as_serde("ΔE00 批次 \u{1F9F5}");
    }

    /// An output with every column type, metrics and findings with and without table and
    /// row, and lengths past each head size.
    pub(crate) fn sample_output(rows: usize) -> Output {
        use smelt_runtime::{Finding, Metric, Table};
        let mut table = Table::new();
        table.insert(
            "lot".into(),
            ColumnValues::Text((0..rows).map(|i| format!("DL-{i:05} 批")).collect()),
        );
        table.insert(
            "delta_e00".into(),
            ColumnValues::Float64((0..rows).map(|i| i as f64 * 0.37 - 3.0).collect()),
        );
        table.insert(
            "count".into(),
            ColumnValues::Int64((0..rows as i64).map(|i| i * 1_000_003 - 70_000).collect()),
        );
        table.insert(
            "pass".into(),
            ColumnValues::Boolean((0..rows).map(|i| i % 3 != 0).collect()),
        );
        let mut output = Output::default();
        output.tables.insert("results".into(), table);
        output.tables.insert("empty".into(), Table::new());
        output.metrics = vec![
            Metric {
                name: "max_delta_e00".into(),
                value: 1.038_244_658_653_277_4,
                unit: "ΔE00".into(),
            },
            Metric {
                name: "fail_count".into(),
                value: 1.0,
                unit: String::new(),
            },
        ];
        output.findings = (0..rows)
            .map(|i| Finding {
                severity: [Severity::Info, Severity::Warning, Severity::Error][i % 3],
                code: "out-of-tolerance".into(),
                message: format!("batch DL-{i:05}: ΔE00 1.04 exceeds tolerance 1"),
                table: (i % 2 == 0).then(|| "batches".into()),
                row: (i % 4 < 2).then_some(i as u32),
            })
            .collect();
        output
    }

    #[test]
    fn outputs_usage_and_logs_are_cbor4iis_bytes() {
        for rows in [0, 1, 30, 300] {
            same_as_serde(&sample_output(rows));
        }
        same_as_serde(&Usage {
            fuel: 45_645,
            peak_memory_bytes: 1_114_112,
            wall_ms: 0.146_594_999_999_999_98,
        });
        same_as_serde(
            [
                LogLine {
                    level: "info",
                    message: "started".into(),
                },
                LogLine {
                    level: "stderr",
                    message: "\u{FFFD}[2J".into(),
                },
            ]
            .as_slice(),
        );
    }
}
