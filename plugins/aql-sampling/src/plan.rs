//! Single sampling by attributes after ISO 2859-1 / ANSI/ASQ Z1.4: the code letter of a lot,
//! the plan of a master table (arrows followed) and the decision for a count of nonconforming
//! items. Plain Rust, so it is tested and benchmarked natively.

use crate::tables::{
    AQL_SERIES, Cell, LEVELS, MIN_LOT, NORMAL, REDUCED, Row, TABLE_I, TIGHTENED, TIGHTENED_S,
};

/// Normal, tightened or reduced inspection: which master table (II-A, II-B, II-C) applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Table II-A.
    Normal,
    /// Table II-B.
    Tightened,
    /// Table II-C.
    Reduced,
}

impl Severity {
    /// The names accepted by [`Severity::parse`].
    pub const NAMES: [&'static str; 3] = ["normal", "tightened", "reduced"];

    /// Parses `normal`, `tightened` or `reduced`.
    pub fn parse(name: &str) -> Option<Severity> {
        match name {
            "normal" => Some(Severity::Normal),
            "tightened" => Some(Severity::Tightened),
            "reduced" => Some(Severity::Reduced),
            _ => None,
        }
    }

    /// The master table's name in the standard.
    pub fn table_name(self) -> &'static str {
        match self {
            Severity::Normal => "Table II-A",
            Severity::Tightened => "Table II-B",
            Severity::Reduced => "Table II-C",
        }
    }

    fn row(self, index: usize) -> Option<&'static Row> {
        match self {
            Severity::Normal => NORMAL.get(index),
            Severity::Reduced => REDUCED.get(index),
            Severity::Tightened if index == TIGHTENED.len() => Some(&TIGHTENED_S),
            Severity::Tightened => TIGHTENED.get(index),
        }
    }
}

/// An inspection level of Table I (`S-1` … `S-4`, `I`, `II`, `III`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level(usize);

impl Level {
    /// Parses a level as written in the standard.
    pub fn parse(name: &str) -> Option<Level> {
        LEVELS.iter().position(|&l| l == name).map(Level)
    }
}

/// The column of `aql` in the preferred series, if it is one of its values.
pub fn aql_column(aql: f64) -> Option<usize> {
    // The series is printed to two significant figures; accept float noise only.
    AQL_SERIES.iter().position(|&a| (a - aql).abs() <= a * 1e-9)
}

/// The sample size code letter of Table I, or `None` for a lot smaller than [`MIN_LOT`].
pub fn code_letter(lot_size: u64, level: Level) -> Option<char> {
    if lot_size < MIN_LOT {
        return None;
    }
    TABLE_I
        .iter()
        .find(|(upper, _)| lot_size <= *upper)
        .map(|(_, letters)| letters[level.0])
}

/// A single sampling plan read from a master table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The letter whose row holds the plan (differs from the lot's letter after an arrow).
    pub letter: char,
    /// Sample size n of that letter.
    pub n: u32,
    /// Acceptance number Ac.
    pub ac: u32,
    /// Rejection number Re.
    pub re: u32,
}

/// Why no plan was found; with the standard's own tables this cannot happen, but a wrong
/// letter must not panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPlan(pub String);

/// The plan for code letter `letter` at AQL column `column` of the table for `severity`,
/// following arrows to the first plan below (↓) or above (↑).
pub fn single_plan(letter: char, column: usize, severity: Severity) -> Result<Plan, NoPlan> {
    let table = severity.table_name();
    let start = NORMAL
        .iter()
        .position(|row| row.letter == letter)
        .ok_or_else(|| NoPlan(format!("no code letter {letter} in {table}")))?;
    let mut index = start;
    // An arrow chain is never longer than the table; the bound only guards against a bad table.
    for _ in 0..=TIGHTENED.len() {
        let row = severity.row(index).ok_or_else(|| {
            NoPlan(format!(
                "{table}: an arrow from letter {letter} leaves the table"
            ))
        })?;
        let cell = row
            .cells
            .get(column)
            .ok_or_else(|| NoPlan(format!("{table} has no AQL column {column}")))?;
        match *cell {
            Cell::P(ac, re) => {
                return Ok(Plan {
                    letter: row.letter,
                    n: row.n,
                    ac,
                    re,
                });
            }
            Cell::D => index += 1,
            Cell::U => {
                index = index.checked_sub(1).ok_or_else(|| {
                    NoPlan(format!(
                        "{table}: an arrow from letter {letter} leaves the table"
                    ))
                })?;
            }
            Cell::X => {
                return Err(NoPlan(format!(
                    "{table}: letter {} has no plan at AQL {}",
                    row.letter, AQL_SERIES[column]
                )));
            }
        }
    }
    Err(NoPlan(format!(
        "{table}: arrows from letter {letter} do not end"
    )))
}

/// The lot decision for `count` nonconforming items (or nonconformities) in the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// count ≤ Ac.
    Accept,
    /// Ac < count < Re, possible only under reduced inspection: the lot is accepted, but
    /// normal inspection is reinstated from the next lot.
    AcceptReinstateNormal,
    /// count ≥ Re.
    Reject,
}

impl Plan {
    /// The decision for `count` nonconforming items found in the sample.
    pub fn decide(&self, count: u64) -> Decision {
        if count <= u64::from(self.ac) {
            Decision::Accept
        } else if count >= u64::from(self.re) {
            Decision::Reject
        } else {
            Decision::AcceptReinstateNormal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTERS: &str = "ABCDEFGHJKLMNPQR";

    fn level(name: &str) -> Level {
        Level::parse(name).unwrap()
    }

    /// Montgomery, *Introduction to Statistical Quality Control*, 6th ed. (Wiley 2009),
    /// §15.5 (MIL STD 105E), worked example: lots of N = 2000, AQL 0.65 %, general level II →
    /// code letter K; normal n = 125, c = 2; tightened n = 125, c = 1; reduced n = 50, c = 1.
    #[test]
    fn montgomery_lot_2000_aql_065() {
        let letter = code_letter(2000, level("II")).unwrap();
        assert_eq!(letter, 'K');
        let column = aql_column(0.65).unwrap();
        let normal = single_plan(letter, column, Severity::Normal).unwrap();
        assert_eq!((normal.n, normal.ac, normal.re), (125, 2, 3));
        let tightened = single_plan(letter, column, Severity::Tightened).unwrap();
        assert_eq!((tightened.n, tightened.ac, tightened.re), (125, 1, 2));
        let reduced = single_plan(letter, column, Severity::Reduced).unwrap();
        assert_eq!((reduced.n, reduced.ac), (50, 1));
    }

    /// Table I of ISO 2859-1 (= ANSI/ASQ Z1.4 Table I): every range at both of its ends, every
    /// level. Rows are the published table's, one string per lot-size range, levels
    /// S-1 S-2 S-3 S-4 I II III.
    #[test]
    fn table_i_every_range_and_level() {
        let published: [(u64, u64, &str); 15] = [
            (2, 8, "AAAAAAB"),
            (9, 15, "AAAAABC"),
            (16, 25, "AABBBCD"),
            (26, 50, "ABBCCDE"),
            (51, 90, "BBCCCEF"),
            (91, 150, "BBCDDFG"),
            (151, 280, "BCDEEGH"),
            (281, 500, "BCDEFHJ"),
            (501, 1200, "CCEFGJK"),
            (1201, 3200, "CDEGHKL"),
            (3201, 10000, "CDFGJLM"),
            (10001, 35000, "CDFHKMN"),
            (35001, 150000, "DEGJLNP"),
            (150001, 500000, "DEGJMPQ"),
            (500001, u64::MAX, "DEHKNQR"),
        ];
        for (low, high, letters) in published {
            for (i, expected) in letters.chars().enumerate() {
                let l = Level::parse(LEVELS[i]).unwrap();
                assert_eq!(
                    code_letter(low, l),
                    Some(expected),
                    "lot {low}, level {}",
                    LEVELS[i]
                );
                assert_eq!(
                    code_letter(high, l),
                    Some(expected),
                    "lot {high}, level {}",
                    LEVELS[i]
                );
            }
        }
        assert_eq!(code_letter(1, level("II")), None);
        assert_eq!(code_letter(0, level("II")), None);
    }

    /// The plan every (code letter, AQL) pair leads to once arrows are followed, read down
    /// each AQL column of Tables II-A, II-B and II-C of MIL-STD-105E / ANSI/ASQ Z1.4 (the same
    /// tables as ISO 2859-1), as tabulated by J. Lawson, *An Introduction to Acceptance
    /// Sampling and SPC with R* (CRC 2021), R package AQLSchemes. Each string lists
    /// `n:Ac/Re` for letters A B C D E F G H J K L M N P Q R. This is a second transcription,
    /// column by column, of the tables that `tables.rs` holds row by row with their arrows.
    #[rustfmt::skip]
    const PUBLISHED: [(Severity, [(&str, &str); 26]); 3] = [
        (Severity::Normal, [
            ("0.010", "1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1"),
            ("0.015", "800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1"),
            ("0.025", "500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 2000:1/2 2000:1/2"),
            ("0.040", "315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 1250:1/2 1250:1/2 2000:2/3"),
            ("0.065", "200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 800:1/2 800:1/2 1250:2/3 2000:3/4"),
            ("0.10", "125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 500:1/2 500:1/2 800:2/3 1250:3/4 2000:5/6"),
            ("0.15", "80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 315:1/2 315:1/2 500:2/3 800:3/4 1250:5/6 2000:7/8"),
            ("0.25", "50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 200:1/2 200:1/2 315:2/3 500:3/4 800:5/6 1250:7/8 2000:10/11"),
            ("0.40", "32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 125:1/2 125:1/2 200:2/3 315:3/4 500:5/6 800:7/8 1250:10/11 2000:14/15"),
            ("0.65", "20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 80:1/2 80:1/2 125:2/3 200:3/4 315:5/6 500:7/8 800:10/11 1250:14/15 2000:21/22"),
            ("1.0", "13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 50:1/2 50:1/2 80:2/3 125:3/4 200:5/6 315:7/8 500:10/11 800:14/15 1250:21/22 1250:21/22"),
            ("1.5", "8:0/1 8:0/1 8:0/1 8:0/1 8:0/1 32:1/2 32:1/2 50:2/3 80:3/4 125:5/6 200:7/8 315:10/11 500:14/15 800:21/22 800:21/22 800:21/22"),
            ("2.5", "5:0/1 5:0/1 5:0/1 5:0/1 20:1/2 20:1/2 32:2/3 50:3/4 80:5/6 125:7/8 200:10/11 315:14/15 500:21/22 500:21/22 500:21/22 500:21/22"),
            ("4.0", "3:0/1 3:0/1 3:0/1 13:1/2 13:1/2 20:2/3 32:3/4 50:5/6 80:7/8 125:10/11 200:14/15 315:21/22 315:21/22 315:21/22 315:21/22 315:21/22"),
            ("6.5", "2:0/1 2:0/1 8:1/2 8:1/2 13:2/3 20:3/4 32:5/6 50:7/8 80:10/11 125:14/15 200:21/22 200:21/22 200:21/22 200:21/22 200:21/22 200:21/22"),
            ("10", "5:1/2 5:1/2 5:1/2 8:2/3 13:3/4 20:5/6 32:7/8 50:10/11 80:14/15 125:21/22 125:21/22 125:21/22 125:21/22 125:21/22 125:21/22 125:21/22"),
            ("15", "3:1/2 3:1/2 5:2/3 8:3/4 13:5/6 20:7/8 32:10/11 50:14/15 80:21/22 80:21/22 80:21/22 80:21/22 80:21/22 80:21/22 80:21/22 80:21/22"),
            ("25", "2:1/2 3:2/3 5:3/4 8:5/6 13:7/8 20:10/11 32:14/15 50:21/22 50:21/22 50:21/22 50:21/22 50:21/22 50:21/22 50:21/22 50:21/22 50:21/22"),
            ("40", "2:2/3 3:3/4 5:5/6 8:7/8 13:10/11 20:14/15 32:21/22 32:21/22 32:21/22 32:21/22 32:21/22 32:21/22 32:21/22 32:21/22 32:21/22 32:21/22"),
            ("65", "2:3/4 3:5/6 5:7/8 8:10/11 13:14/15 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22 20:21/22"),
            ("100", "2:5/6 3:7/8 5:10/11 8:14/15 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22 13:21/22"),
            ("150", "2:7/8 3:10/11 5:14/15 8:21/22 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31 13:30/31"),
            ("250", "2:10/11 3:14/15 5:21/22 8:30/31 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45 13:44/45"),
            ("400", "2:14/15 3:21/22 5:30/31 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45 8:44/45"),
            ("650", "2:21/22 3:30/31 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45 5:44/45"),
            ("1000", "2:30/31 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45 3:44/45"),
        ]),
        (Severity::Tightened, [
            ("0.010", "2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1 2000:0/1"),
            ("0.015", "1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1 1250:0/1"),
            ("0.025", "800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 800:0/1 3150:1/2 3150:1/2"),
            ("0.040", "500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 2000:1/2 2000:1/2 2000:1/2"),
            ("0.065", "315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 1250:1/2 1250:1/2 1250:1/2 2000:2/3"),
            ("0.10", "200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 800:1/2 800:1/2 800:1/2 1250:2/3 2000:3/4"),
            ("0.15", "125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 500:1/2 500:1/2 500:1/2 800:2/3 1250:3/4 2000:5/6"),
            ("0.25", "80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 315:1/2 315:1/2 315:1/2 500:2/3 800:3/4 1250:5/6 2000:8/9"),
            ("0.40", "50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 200:1/2 200:1/2 200:1/2 315:2/3 500:3/4 800:5/6 1250:8/9 2000:12/13"),
            ("0.65", "32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 125:1/2 125:1/2 125:1/2 200:2/3 315:3/4 500:5/6 800:8/9 1250:12/13 2000:18/19"),
            ("1.0", "20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 80:1/2 80:1/2 80:1/2 125:2/3 200:3/4 315:5/6 500:8/9 800:12/13 1250:18/19 1250:18/19"),
            ("1.5", "13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 50:1/2 50:1/2 50:1/2 80:2/3 125:3/4 200:5/6 315:8/9 500:12/13 800:18/19 800:18/19 800:18/19"),
            ("2.5", "8:0/1 8:0/1 8:0/1 8:0/1 32:1/2 32:1/2 32:1/2 50:2/3 80:3/4 125:5/6 200:8/9 315:12/13 500:18/19 500:18/19 500:18/19 500:18/19"),
            ("4.0", "5:0/1 5:0/1 5:0/1 20:1/2 20:1/2 20:1/2 32:2/3 50:3/4 80:5/6 125:8/9 200:12/13 315:18/19 315:18/19 315:18/19 315:18/19 315:18/19"),
            ("6.5", "3:0/1 3:0/1 13:1/2 13:1/2 13:1/2 20:2/3 32:3/4 50:5/6 80:8/9 125:12/13 200:18/19 200:18/19 200:18/19 200:18/19 200:18/19 200:18/19"),
            ("10", "8:1/2 8:1/2 8:1/2 8:1/2 13:2/3 20:3/4 32:5/6 50:8/9 80:12/13 125:18/19 125:18/19 125:18/19 125:18/19 125:18/19 125:18/19 125:18/19"),
            ("15", "5:1/2 5:1/2 5:1/2 8:2/3 13:3/4 20:5/6 32:8/9 50:12/13 80:18/19 80:18/19 80:18/19 80:18/19 80:18/19 80:18/19 80:18/19 80:18/19"),
            ("25", "3:1/2 3:1/2 5:2/3 8:3/4 13:5/6 20:8/9 32:12/13 50:18/19 50:18/19 50:18/19 50:18/19 50:18/19 50:18/19 50:18/19 50:18/19 50:18/19"),
            ("40", "2:1/2 3:2/3 5:3/4 8:5/6 13:8/9 20:12/13 32:18/19 32:18/19 32:18/19 32:18/19 32:18/19 32:18/19 32:18/19 32:18/19 32:18/19 32:18/19"),
            ("65", "2:2/3 3:3/4 5:5/6 8:8/9 13:12/13 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19 20:18/19"),
            ("100", "2:3/4 3:5/6 5:8/9 8:12/13 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19 13:18/19"),
            ("150", "2:5/6 3:8/9 5:12/13 8:18/19 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28 13:27/28"),
            ("250", "2:8/9 3:12/13 5:18/19 8:27/28 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42 13:41/42"),
            ("400", "2:12/13 3:18/19 5:27/28 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42 8:41/42"),
            ("650", "2:18/19 3:27/28 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42 5:41/42"),
            ("1000", "2:27/28 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42 3:41/42"),
        ]),
        (Severity::Reduced, [
            ("0.010", "500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1 500:0/1"),
            ("0.015", "315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1 315:0/1"),
            ("0.025", "200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 200:0/1 800:0/2 800:0/2"),
            ("0.040", "125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 125:0/1 500:0/2 500:0/2 800:1/3"),
            ("0.065", "80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 80:0/1 315:0/2 315:0/2 500:1/3 800:1/4"),
            ("0.10", "50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 50:0/1 200:0/2 200:0/2 315:1/3 500:1/4 800:2/5"),
            ("0.15", "32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 32:0/1 125:0/2 125:0/2 200:1/3 315:1/4 500:2/5 800:3/6"),
            ("0.25", "20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 20:0/1 80:0/2 80:0/2 125:1/3 200:1/4 315:2/5 500:3/6 800:5/8"),
            ("0.40", "13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 13:0/1 50:0/2 50:0/2 80:1/3 125:1/4 200:2/5 315:3/6 500:5/8 800:7/10"),
            ("0.65", "8:0/1 8:0/1 8:0/1 8:0/1 8:0/1 8:0/1 8:0/1 32:0/2 32:0/2 50:1/3 80:1/4 125:2/5 200:3/6 315:5/8 500:7/10 800:10/13"),
            ("1.0", "5:0/1 5:0/1 5:0/1 5:0/1 5:0/1 5:0/1 20:0/2 20:0/2 32:1/3 50:1/4 80:2/5 125:3/6 200:5/8 315:7/10 500:10/13 500:10/13"),
            ("1.5", "3:0/1 3:0/1 3:0/1 3:0/1 3:0/1 13:0/2 13:0/2 20:1/3 32:1/4 50:2/5 80:3/6 125:5/8 200:7/10 315:10/13 315:10/13 315:10/13"),
            ("2.5", "2:0/1 2:0/1 2:0/1 2:0/1 8:0/2 8:0/2 13:1/3 20:1/4 32:2/5 50:3/6 80:5/8 125:7/10 200:10/13 200:10/13 200:10/13 200:10/13"),
            ("4.0", "2:0/1 2:0/1 2:0/1 5:0/2 5:0/2 8:1/3 13:1/4 20:2/5 32:3/6 50:5/8 80:7/10 125:10/13 125:10/13 125:10/13 125:10/13 125:10/13"),
            ("6.5", "2:0/1 2:0/1 3:0/2 3:0/2 5:1/3 8:1/4 13:2/5 20:3/6 32:5/8 50:7/10 80:10/13 80:10/13 80:10/13 80:10/13 80:10/13 80:10/13"),
            ("10", "2:0/2 2:0/2 2:0/2 3:1/3 5:1/4 8:2/5 13:3/6 20:5/8 32:7/10 50:10/13 50:10/13 50:10/13 50:10/13 50:10/13 50:10/13 50:10/13"),
            ("15", "2:0/2 2:0/2 2:1/3 3:1/4 5:2/5 8:3/6 13:5/8 20:7/10 32:10/13 32:10/13 32:10/13 32:10/13 32:10/13 32:10/13 32:10/13 32:10/13"),
            ("25", "2:1/2 2:1/3 2:1/4 3:2/5 5:3/6 8:5/8 13:7/10 20:10/13 20:10/13 20:10/13 20:10/13 20:10/13 20:10/13 20:10/13 20:10/13 20:10/13"),
            ("40", "2:2/3 2:2/4 2:2/5 3:3/6 5:5/8 8:7/10 13:10/13 13:10/13 13:10/13 13:10/13 13:10/13 13:10/13 13:10/13 13:10/13 13:10/13 13:10/13"),
            ("65", "2:3/4 2:3/5 2:3/6 3:5/8 5:7/10 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13 8:10/13"),
            ("100", "2:5/6 2:5/6 2:5/8 3:7/10 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13 5:10/13"),
            ("150", "2:7/8 2:7/8 2:7/10 3:10/13 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17 5:14/17"),
            ("250", "2:10/11 2:10/11 2:10/13 3:14/17 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24 5:21/24"),
            ("400", "2:14/15 2:14/15 2:14/17 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24 3:21/24"),
            ("650", "2:21/22 2:21/22 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24 2:21/24"),
            ("1000", "2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31 2:30/31"),
        ]),
    ];

    #[test]
    fn every_letter_and_aql_column_matches_the_published_tables() {
        let mut checked = 0;
        for (severity, columns) in PUBLISHED {
            for (column, (aql, plans)) in columns.iter().enumerate() {
                assert_eq!(aql_column(aql.parse().unwrap()), Some(column));
                let plans: Vec<&str> = plans.split(' ').collect();
                assert_eq!(plans.len(), 16);
                for (letter, expected) in LETTERS.chars().zip(plans) {
                    let plan = single_plan(letter, column, severity).unwrap();
                    let got = format!("{}:{}/{}", plan.n, plan.ac, plan.re);
                    assert_eq!(got, expected, "{severity:?}, letter {letter}, AQL {aql}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 3 * 26 * 16);
    }

    #[test]
    fn arrows_change_the_letter() {
        // Table II-A, letter A at AQL 0.010: the arrow leads down to Q (n = 1250, 0/1).
        let plan = single_plan('A', 0, Severity::Normal).unwrap();
        assert_eq!(
            plan,
            Plan {
                letter: 'Q',
                n: 1250,
                ac: 0,
                re: 1
            }
        );
        // Table II-B, letters Q and R at AQL 0.025 lead to the extra row S (n = 3150).
        let plan = single_plan('R', 2, Severity::Tightened).unwrap();
        assert_eq!(
            plan,
            Plan {
                letter: 'S',
                n: 3150,
                ac: 1,
                re: 2
            }
        );
    }

    #[test]
    fn aql_must_be_in_the_series() {
        assert_eq!(aql_column(0.010), Some(0));
        assert_eq!(aql_column(1000.0), Some(25));
        assert_eq!(aql_column(1.0), Some(10));
        assert_eq!(aql_column(0.6), None);
        assert_eq!(aql_column(f64::NAN), None);
        assert_eq!(aql_column(0.0), None);
    }

    #[test]
    fn bad_letters_are_errors_not_panics() {
        assert!(single_plan('Z', 3, Severity::Normal).is_err());
        assert!(single_plan('S', 3, Severity::Tightened).is_err());
        assert!(single_plan('A', 26, Severity::Normal).is_err());
    }

    #[test]
    fn decisions() {
        let plan = Plan {
            letter: 'K',
            n: 50,
            ac: 1,
            re: 3,
        };
        assert_eq!(plan.decide(0), Decision::Accept);
        assert_eq!(plan.decide(1), Decision::Accept);
        assert_eq!(plan.decide(2), Decision::AcceptReinstateNormal);
        assert_eq!(plan.decide(3), Decision::Reject);
        assert_eq!(plan.decide(u64::MAX), Decision::Reject);
    }
}
