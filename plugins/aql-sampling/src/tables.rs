//! The tables of ISO 2859-1 / ANSI/ASQ Z1.4 (= MIL-STD-105E) used for single sampling, as data.
//!
//! Each master table row is printed here the way the standard prints it: one cell per AQL
//! column, holding either a plan `P(Ac, Re)` or an arrow, `D` (use the first plan below the
//! arrow) or `U` (use the first plan above the arrow). A row's sample size is the sample size
//! of its code letter. Following an arrow changes the code letter and so the sample size.

/// One cell of a master table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// A plan: acceptance number Ac, rejection number Re.
    P(u32, u32),
    /// ↓: use the first sampling plan below the arrow.
    D,
    /// ↑: use the first sampling plan above the arrow.
    U,
    /// Nothing printed (only in the extra row S of Table II-B).
    X,
}

use Cell::{D, P, U, X};

/// A row of a master table: a code letter, its sample size and its cells.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The sample size code letter.
    pub letter: char,
    /// The sample size of the letter in this table.
    pub n: u32,
    /// One cell per column of [`AQL_SERIES`].
    pub cells: [Cell; 26],
}

/// The preferred AQL values (percent nonconforming, or nonconformities per 100 items), the 26
/// columns of every master table.
pub const AQL_SERIES: [f64; 26] = [
    0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0,
    15.0, 25.0, 40.0, 65.0, 100.0, 150.0, 250.0, 400.0, 650.0, 1000.0,
];

/// The inspection levels, in the column order of Table I.
pub const LEVELS: [&str; 7] = ["S-1", "S-2", "S-3", "S-4", "I", "II", "III"];

/// Table I, sample size code letters: the upper end of each lot-size range (the last range,
/// 500 001 and over, is open) and the code letter for each inspection level of [`LEVELS`].
#[rustfmt::skip]
pub const TABLE_I: [(u64, [char; 7]); 15] = [
    //  lot size    S-1  S-2  S-3  S-4   I    II   III
    (8,            ['A', 'A', 'A', 'A', 'A', 'A', 'B']),
    (15,           ['A', 'A', 'A', 'A', 'A', 'B', 'C']),
    (25,           ['A', 'A', 'B', 'B', 'B', 'C', 'D']),
    (50,           ['A', 'B', 'B', 'C', 'C', 'D', 'E']),
    (90,           ['B', 'B', 'C', 'C', 'C', 'E', 'F']),
    (150,          ['B', 'B', 'C', 'D', 'D', 'F', 'G']),
    (280,          ['B', 'C', 'D', 'E', 'E', 'G', 'H']),
    (500,          ['B', 'C', 'D', 'E', 'F', 'H', 'J']),
    (1_200,        ['C', 'C', 'E', 'F', 'G', 'J', 'K']),
    (3_200,        ['C', 'D', 'E', 'G', 'H', 'K', 'L']),
    (10_000,       ['C', 'D', 'F', 'G', 'J', 'L', 'M']),
    (35_000,       ['C', 'D', 'F', 'H', 'K', 'M', 'N']),
    (150_000,      ['D', 'E', 'G', 'J', 'L', 'N', 'P']),
    (500_000,      ['D', 'E', 'G', 'J', 'M', 'P', 'Q']),
    (u64::MAX,     ['D', 'E', 'H', 'K', 'N', 'Q', 'R']),
];

/// The smallest lot Table I covers (its first range is 2 to 8).
pub const MIN_LOT: u64 = 2;

/// Table II-A, single sampling plans for normal inspection (master table).
///
/// Two cells where an arrow would run off the printed table are the plans the tables lead
/// to: A at AQL 10 points down (to C's 1/2) and R at AQL 0.015 points up (to P's 0/1).
#[rustfmt::skip]
pub const NORMAL: [Row; 16] = [
    Row { letter: 'A', n: 2, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31)] },
    Row { letter: 'B', n: 3, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31), P(44, 45)] },
    Row { letter: 'C', n: 5, cells: [D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31), P(44, 45), U] },
    Row { letter: 'D', n: 8, cells: [D, D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31), P(44, 45), U, U] },
    Row { letter: 'E', n: 13, cells: [D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31), P(44, 45), U, U, U] },
    Row { letter: 'F', n: 20, cells: [D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U] },
    Row { letter: 'G', n: 32, cells: [D, D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U] },
    Row { letter: 'H', n: 50, cells: [D, D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U] },
    Row { letter: 'J', n: 80, cells: [D, D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U] },
    Row { letter: 'K', n: 125, cells: [D, D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'L', n: 200, cells: [D, D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'M', n: 315, cells: [D, D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'N', n: 500, cells: [D, D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'P', n: 800, cells: [D, P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'Q', n: 1250, cells: [P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'R', n: 2000, cells: [U, U, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
];

/// Table II-B, single sampling plans for tightened inspection (master table), letters A to R.
/// Row S (n = 3150) has a single plan and is [`TIGHTENED_S`]. As tabulated, A at AQL 10 points
/// down (to D's 1/2) rather than holding a 0/1 plan, and R at AQL 0.015 points up.
#[rustfmt::skip]
pub const TIGHTENED: [Row; 16] = [
    Row { letter: 'A', n: 2, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), P(27, 28)] },
    Row { letter: 'B', n: 3, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), P(27, 28), P(41, 42)] },
    Row { letter: 'C', n: 5, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), P(27, 28), P(41, 42), U] },
    Row { letter: 'D', n: 8, cells: [D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), P(27, 28), P(41, 42), U, U] },
    Row { letter: 'E', n: 13, cells: [D, D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), P(27, 28), P(41, 42), U, U, U] },
    Row { letter: 'F', n: 20, cells: [D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U] },
    Row { letter: 'G', n: 32, cells: [D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U] },
    Row { letter: 'H', n: 50, cells: [D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U] },
    Row { letter: 'J', n: 80, cells: [D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U] },
    Row { letter: 'K', n: 125, cells: [D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'L', n: 200, cells: [D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'M', n: 315, cells: [D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'N', n: 500, cells: [D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'P', n: 800, cells: [D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'Q', n: 1250, cells: [D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'R', n: 2000, cells: [P(0, 1), U, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(8, 9), P(12, 13), P(18, 19), U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
];

/// The extra row S of Table II-B: n = 3150, Ac 1 / Re 2 under AQL 0.025 and nothing else;
/// reached only by the down arrows of letters Q and R at AQL 0.025.
#[rustfmt::skip]
pub const TIGHTENED_S: Row = Row { letter: 'S', n: 3150, cells: [X, X, P(1, 2), X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X] };

/// Table II-C, single sampling plans for reduced inspection (master table), laid out like
/// Table II-A (same edge cells) with the reduced sample sizes and Ac/Re. Where Re > Ac + 1 a
/// count between the two accepts the lot but reinstates normal inspection.
#[rustfmt::skip]
pub const REDUCED: [Row; 16] = [
    Row { letter: 'A', n: 2, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), D, D, P(1, 2), P(2, 3), P(3, 4), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31)] },
    Row { letter: 'B', n: 2, cells: [D, D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(2, 4), P(3, 5), P(5, 6), P(7, 8), P(10, 11), P(14, 15), P(21, 22), P(30, 31)] },
    Row { letter: 'C', n: 2, cells: [D, D, D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), P(14, 17), P(21, 24), U] },
    Row { letter: 'D', n: 3, cells: [D, D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), P(14, 17), P(21, 24), U, U] },
    Row { letter: 'E', n: 5, cells: [D, D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), P(14, 17), P(21, 24), U, U, U] },
    Row { letter: 'F', n: 8, cells: [D, D, D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U] },
    Row { letter: 'G', n: 13, cells: [D, D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U] },
    Row { letter: 'H', n: 20, cells: [D, D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U] },
    Row { letter: 'J', n: 32, cells: [D, D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U] },
    Row { letter: 'K', n: 50, cells: [D, D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'L', n: 80, cells: [D, D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'M', n: 125, cells: [D, D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'N', n: 200, cells: [D, D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'P', n: 315, cells: [D, P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'Q', n: 500, cells: [P(0, 1), U, D, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
    Row { letter: 'R', n: 800, cells: [U, U, P(0, 2), P(1, 3), P(1, 4), P(2, 5), P(3, 6), P(5, 8), P(7, 10), P(10, 13), U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U] },
];
