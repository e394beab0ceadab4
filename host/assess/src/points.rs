//! Exact points.
//!
//! The index's points are multiples of 0.001 (1.875, 0.7, 1.25 …). Summing them as `f64` gives
//! 59.99999999 where the arithmetic says 60, which would put an enterprise on the wrong side of
//! a level threshold; counting thousandths in an integer keeps every sum exact.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Points in thousandths, exact. Serialised as a JSON number (e.g. `52.3`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(i64);

/// Thousandths per point.
const MILLI: i64 = 1000;

impl Points {
    /// Zero points.
    pub const ZERO: Points = Points(0);

    /// From thousandths of a point.
    pub const fn from_milli(milli: i64) -> Points {
        Points(milli)
    }

    /// In thousandths of a point.
    pub const fn milli(self) -> i64 {
        self.0
    }

    /// As a float, for display and ratios.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MILLI as f64
    }
}

/// A value ≥ 0 that is a whole number of thousandths (within float noise), as [`Points`].
pub(crate) fn to_points(value: f64) -> Option<Points> {
    // NaN and infinities fail the range too; 10^12 points is far past any score and keeps the
    // thousandths well inside i64 and exactly representable in f64.
    if !(0.0..=1e12).contains(&value) {
        return None;
    }
    let milli = (value * MILLI as f64).round();
    ((value * MILLI as f64 - milli).abs() < 1e-6).then_some(Points(milli as i64))
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0 + rhs.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0 - rhs.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|p| p.0).sum())
    }
}

impl fmt::Display for Points {
    /// Shortest decimal form: `60`, `52.3`, `1.875`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / MILLI as u64, abs % MILLI as u64);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        to_points(v).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a number >= 0 in steps of 0.001, found {v}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_where_floats_are_not() {
        // 0.7 + 0.7 + 0.7 as floats is 2.0999999999999996: a 2.1 threshold would not be met.
        let float: f64 = std::iter::repeat_n(0.7, 3).sum();
        assert!(float < 2.1);
        let exact: Points = std::iter::repeat_n(to_points(0.7).unwrap(), 3).sum();
        assert_eq!(exact, to_points(2.1).unwrap());
        assert_eq!(exact, Points::from_milli(2_100));
    }

    #[test]
    fn display_and_parse() {
        assert_eq!(Points::from_milli(60_000).to_string(), "60");
        assert_eq!(Points::from_milli(52_300).to_string(), "52.3");
        assert_eq!(Points::from_milli(1_875).to_string(), "1.875");
        assert_eq!(Points::from_milli(-700).to_string(), "-0.7");
        assert_eq!(to_points(1.875), Some(Points::from_milli(1_875)));
        assert_eq!(to_points(0.0005), None);
        assert_eq!(to_points(-1.0), None);
        assert_eq!(to_points(f64::NAN), None);
    }
}
