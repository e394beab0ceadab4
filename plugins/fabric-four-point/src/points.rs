//! The four-point system of fabric inspection (ASTM D5430, point assignment option A), in plain
//! Rust so it is tested and benchmarked natively.
//!
//! Each defect gets penalty points by its size; a continuous (running) defect gets 4 points in
//! every linear yard (metre) it runs through; no linear yard (metre) counts more than 4 points.
//! The roll's points are then normalised by its area:
//!
//! ```text
//! points per 100 sq yd = points × 3600   / (inspected yd × cuttable width in)
//! points per 100 m²    = points × 100000 / (inspected m  × cuttable width mm)
//! ```
//!
//! ```
//! use fabric_four_point::points::{Defect, DefectKind, Units, score_roll, per_100_sq_yd};
//!
//! // A 3-inch slub and a 2-inch hole in the same yard: 1 + 4 points, capped at 4 for that yard.
//! let defects = [
//!     Defect { position: 10.2, size: 3.0, kind: DefectKind::Defect },
//!     Defect { position: 10.8, size: 2.0, kind: DefectKind::Hole },
//! ];
//! let score = score_roll(100.0, &defects, Units::Imperial);
//! assert_eq!(score.points, 4);
//! assert_eq!(score.removed_by_cap, 1);
//! assert!((per_100_sq_yd(score.points, 100.0, 60.0, Units::Imperial) - 2.4).abs() < 1e-12);
//! ```

use std::str::FromStr;

use smelt_sdk::hash::same;

/// The most points any one linear yard (metre) may carry, whatever its defects (D5430 option A).
pub const MAX_POINTS_PER_SEGMENT: u64 = 4;

/// Square metres in a square yard (0.9144² exactly, by the 1959 international yard).
pub const M2_PER_SQ_YD: f64 = 0.836_127_36;

/// The unit system of an inspection record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// Roll length in yards, width and defect sizes in inches; cap per linear yard.
    Imperial,
    /// Roll length in metres, width and defect sizes in centimetres; cap per linear metre.
    Metric,
}

impl Units {
    /// Unit of roll length and defect position.
    pub fn length_unit(self) -> &'static str {
        match self {
            Units::Imperial => "yd",
            Units::Metric => "m",
        }
    }

    /// Unit of width and defect size.
    pub fn size_unit(self) -> &'static str {
        match self {
            Units::Imperial => "in",
            Units::Metric => "cm",
        }
    }

    /// Size units in one length unit (36 in to the yard, 100 cm to the metre).
    pub fn sizes_per_length(self) -> f64 {
        match self {
            Units::Imperial => 36.0,
            Units::Metric => 100.0,
        }
    }

    /// Upper bounds of the 1, 2 and 3 point classes of a length defect. ASTM D5430 gives
    /// 3, 6, 9 in and, in its SI values, 75, 150, 230 mm; the SI values are not exact
    /// conversions, so each system uses its own.
    fn length_classes(self) -> [f64; 3] {
        match self {
            Units::Imperial => [3.0, 6.0, 9.0],
            Units::Metric => [7.5, 15.0, 23.0],
        }
    }

    /// Largest hole that scores 2 points (1 in; 25 mm).
    fn small_hole(self) -> f64 {
        match self {
            Units::Imperial => 1.0,
            Units::Metric => 2.5,
        }
    }

    /// Area of a roll in square yards.
    pub fn area_sq_yd(self, length: f64, width: f64) -> f64 {
        match self {
            Units::Imperial => length * width / 36.0,
            Units::Metric => self.area_m2(length, width) / M2_PER_SQ_YD,
        }
    }

    /// Area of a roll in square metres.
    pub fn area_m2(self, length: f64, width: f64) -> f64 {
        match self {
            Units::Imperial => self.area_sq_yd(length, width) * M2_PER_SQ_YD,
            Units::Metric => length * width / 100.0,
        }
    }
}

impl FromStr for Units {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "imperial" => Ok(Units::Imperial),
            "metric" => Ok(Units::Metric),
            other => Err(format!("`{other}` is not `imperial` or `metric`")),
        }
    }
}

/// What kind of defect a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefectKind {
    /// A defect scored by its length in either direction (slub, float, stain, barre mark...).
    Defect,
    /// A hole or opening, scored by its largest dimension.
    Hole,
    /// A running defect: 4 points in every linear yard (metre) it runs through.
    Continuous,
}

impl FromStr for DefectKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Read once per defect. A `match` on the literals compares with a call to `memcmp`,
        // which in the sandbox is wasi-libc's byte loop; `same` compares inline.
        let is = |name: &str| same(s, name);
        if is("defect") {
            Ok(DefectKind::Defect)
        } else if is("hole") {
            Ok(DefectKind::Hole)
        } else if is("continuous") {
            Ok(DefectKind::Continuous)
        } else {
            Err(format!("`{s}` is not `defect`, `hole` or `continuous`"))
        }
    }
}

/// Points for one defect of `size` (in or cm) before the per-yard cap; a continuous defect's
/// points per linear yard (metre).
pub fn defect_points(kind: DefectKind, size: f64, units: Units) -> u64 {
    match kind {
        DefectKind::Defect => {
            let [one, two, three] = units.length_classes();
            if size <= one {
                1
            } else if size <= two {
                2
            } else if size <= three {
                3
            } else {
                4
            }
        }
        DefectKind::Hole => {
            if size <= units.small_hole() {
                2
            } else {
                4
            }
        }
        DefectKind::Continuous => MAX_POINTS_PER_SEGMENT,
    }
}

/// One recorded defect of a roll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Defect {
    /// Where it starts, from the start of the roll (yd or m).
    pub position: f64,
    /// Its length in either direction, or a hole's largest dimension; for a continuous defect,
    /// how far it runs along the roll (in or cm).
    pub size: f64,
    /// How it is scored.
    pub kind: DefectKind,
}

/// Points one defect was assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    /// The linear yard (metre) it starts in, counting from 1.
    pub segment: u64,
    /// Its points before the per-yard cap (a continuous defect: 4 × yards run through).
    pub points: u64,
}

/// The score of one roll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollScore {
    /// Points counted, after the cap of 4 per linear yard (metre).
    pub points: u64,
    /// Points assigned to defects but not counted because of the cap.
    pub removed_by_cap: u64,
    /// Per defect, in the order given.
    pub assigned: Vec<Assigned>,
}

/// Zero-based segments `[first, last]` a defect touches, clamped to the roll.
fn segments(length: f64, defect: &Defect, units: Units) -> (u64, u64) {
    // Float-to-int `as` saturates (NaN → 0), so these never overflow; the caller has checked
    // that positions lie on the roll.
    let last_of_roll = (length.ceil() as u64).saturating_sub(1);
    let first = (defect.position.floor() as u64).min(last_of_roll);
    let last = match defect.kind {
        DefectKind::Continuous => {
            let end = defect.position + defect.size / units.sizes_per_length();
            ((end.ceil() as u64).saturating_sub(1)).clamp(first, last_of_roll)
        }
        _ => first,
    };
    (first, last)
}

/// `per` points on each of `segments` yards (metres), exact for any roll and never
/// overflowing. `saturating_mul` would do, but on wasm32 its overflow check is a 128-bit product
/// (a call to `__multi3` for every defect); a defect scores at most
/// [`MAX_POINTS_PER_SEGMENT`] per segment, so capping the segments at a quarter of `u64::MAX`
/// keeps the product in range.
#[inline]
fn points_over(per: u64, segments: u64) -> u64 {
    per.min(MAX_POINTS_PER_SEGMENT) * segments.min(u64::MAX / MAX_POINTS_PER_SEGMENT)
}

/// Scores one roll of `length` (yd or m): points per defect, the per-yard cap, the total.
///
/// Positions beyond the roll are clamped to its last yard; the smelt layer rejects them first.
pub fn score_roll(length: f64, defects: &[Defect], units: Units) -> RollScore {
    let mut assigned = Vec::with_capacity(defects.len());
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut spots: Vec<(u64, u64)> = Vec::new();
    let mut total_assigned: u64 = 0;
    for defect in defects {
        let (first, last) = segments(length, defect, units);
        let per = defect_points(defect.kind, defect.size, units);
        let points = points_over(per, last - first + 1);
        if defect.kind == DefectKind::Continuous {
            runs.push((first, last));
        } else {
            spots.push((first, points));
        }
        total_assigned = total_assigned.saturating_add(points);
        assigned.push(Assigned {
            segment: first + 1,
            points,
        });
    }

    // Running defects: merge their yard ranges; every covered yard counts the maximum. Ranges
    // merge the same whatever the order among those starting on one yard: sorted by the start
    // alone (one comparison, not two, per step of the sort).
    runs.sort_unstable_by_key(|&(first, _)| first);
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(runs.len());
    for (first, last) in runs {
        match merged.last_mut() {
            Some(prev) if first <= prev.1.saturating_add(1) => prev.1 = prev.1.max(last),
            _ => merged.push((first, last)),
        }
    }
    let covered = |segment: u64| {
        let i = merged.partition_point(|&(_, last)| last < segment);
        merged.get(i).is_some_and(|&(first, _)| first <= segment)
    };
    let mut points: u64 = merged
        .iter()
        .map(|&(first, last)| (last - first + 1).saturating_mul(MAX_POINTS_PER_SEGMENT))
        .fold(0, u64::saturating_add);

    // Spot defects: sum per yard, cap at 4, skip yards a running defect already maxed out.
    // By yard alone: the points of one yard are summed, in any order.
    spots.sort_unstable_by_key(|&(segment, _)| segment);
    let mut i = 0;
    while i < spots.len() {
        let segment = spots[i].0;
        let mut sum: u64 = 0;
        while i < spots.len() && spots[i].0 == segment {
            sum = sum.saturating_add(spots[i].1);
            i += 1;
        }
        if !covered(segment) {
            points = points.saturating_add(sum.min(MAX_POINTS_PER_SEGMENT));
        }
    }

    RollScore {
        points,
        removed_by_cap: total_assigned.saturating_sub(points),
        assigned,
    }
}

/// Points per 100 square yards of a roll `length` long (yd or m) and `width` wide (in or cm).
pub fn per_100_sq_yd(points: u64, length: f64, width: f64, units: Units) -> f64 {
    points as f64 * 100.0 / units.area_sq_yd(length, width)
}

/// Points per 100 square metres of a roll `length` long (yd or m) and `width` wide (in or cm).
pub fn per_100_m2(points: u64, length: f64, width: f64, units: Units) -> f64 {
    points as f64 * 100.0 / units.area_m2(length, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defect_kinds_are_read_exactly() {
        assert_eq!("defect".parse(), Ok(DefectKind::Defect));
        assert_eq!("hole".parse(), Ok(DefectKind::Hole));
        assert_eq!("continuous".parse(), Ok(DefectKind::Continuous));
        for near in [
            "",
            "hol",
            "holes",
            "Hole",
            "defecT",
            "continuou",
            "continuous ",
            "höle",
        ] {
            assert_eq!(
                near.parse::<DefectKind>(),
                Err(format!("`{near}` is not `defect`, `hole` or `continuous`"))
            );
        }
    }

    #[test]
    fn points_over_many_segments_stay_in_range() {
        assert_eq!(points_over(3, 7), 21);
        assert_eq!(points_over(4, 0), 0);
        assert_eq!(points_over(4, u64::MAX), u64::MAX / 4 * 4);
        assert_eq!(points_over(u64::MAX, 2), 8);
    }

    fn spot(position: f64, size: f64) -> Defect {
        Defect {
            position,
            size,
            kind: DefectKind::Defect,
        }
    }

    fn hole(position: f64, size: f64) -> Defect {
        Defect {
            position,
            size,
            kind: DefectKind::Hole,
        }
    }

    /// One defect per yard, so the per-yard cap never bites: the published examples give
    /// counts per size class, not positions, and their totals are the plain sums.
    fn one_per_yard(classes: &[(usize, f64, DefectKind)]) -> Vec<Defect> {
        let mut defects = Vec::new();
        for &(count, size, kind) in classes {
            for _ in 0..count {
                let position = defects.len() as f64 + 0.5;
                defects.push(Defect {
                    position,
                    size,
                    kind,
                });
            }
        }
        defects
    }

    /// Truncates to one decimal, as the published examples print their results.
    fn one_decimal(x: f64) -> f64 {
        (x * 10.0).floor() / 10.0
    }

    #[test]
    fn class_boundaries_follow_d5430_option_a() {
        // ASTM D5430 option A: up to 3 in 1 point, over 3 to 6 in 2, over 6 to 9 in 3,
        // over 9 in 4; holes 1 in or less 2, over 1 in 4. SI: 75, 150, 230 mm; 25 mm.
        let imperial = [
            (3.0, 1),
            (3.01, 2),
            (6.0, 2),
            (6.01, 3),
            (9.0, 3),
            (9.01, 4),
        ];
        for (size, points) in imperial {
            assert_eq!(
                defect_points(DefectKind::Defect, size, Units::Imperial),
                points,
                "{size} in"
            );
        }
        let metric = [
            (7.5, 1),
            (7.6, 2),
            (15.0, 2),
            (15.1, 3),
            (23.0, 3),
            (23.1, 4),
        ];
        for (size, points) in metric {
            assert_eq!(
                defect_points(DefectKind::Defect, size, Units::Metric),
                points,
                "{size} cm"
            );
        }
        assert_eq!(defect_points(DefectKind::Hole, 1.0, Units::Imperial), 2);
        assert_eq!(defect_points(DefectKind::Hole, 1.1, Units::Imperial), 4);
        assert_eq!(defect_points(DefectKind::Hole, 2.5, Units::Metric), 2);
        assert_eq!(defect_points(DefectKind::Hole, 2.6, Units::Metric), 4);
    }

    #[test]
    fn onlineclothingstudy_120_yd_by_46_in() {
        // P. Sarkar, "How to use 4 Point System in Fabric Inspection?", Online Clothing Study
        // (2012), https://www.onlineclothingstudy.com/2012/08/how-to-use-4-point-system-in-fabric.html,
        // Example: roll 120 yd × 46 in; 4 defects up to 3 in, 3 of 3-6 in, 2 of 6-9 in, 1 over
        // 9 in, 1 hole over 1 in → 24 points → (24 × 3600)/(120 × 46) = 15.6 points/100 sq yd.
        let defects = one_per_yard(&[
            (4, 2.0, DefectKind::Defect),
            (3, 5.0, DefectKind::Defect),
            (2, 8.0, DefectKind::Defect),
            (1, 10.0, DefectKind::Defect),
            (1, 1.5, DefectKind::Hole),
        ]);
        let score = score_roll(120.0, &defects, Units::Imperial);
        assert_eq!(score.points, 24);
        assert_eq!(score.removed_by_cap, 0);
        let p = per_100_sq_yd(score.points, 120.0, 46.0, Units::Imperial);
        assert_eq!(one_decimal(p), 15.6, "{p}");
    }

    #[test]
    fn scribd_4_point_chk_summary_130_yd_by_45_in() {
        // "4 point chk summary", https://www.scribd.com/document/731386482/4-point-chk-summary,
        // Example: roll 130 yd × 45 in; 6 defects up to 3 in, 5 of 3-6 in, 2 of 6-9 in, 1 over
        // 9 in, 1 hole over 1 in → 30 points → 30 × 36 × 100/(130 × 45) = 18.4 points/100 sq yd,
        // accepted against 40.
        let defects = one_per_yard(&[
            (6, 2.0, DefectKind::Defect),
            (5, 5.0, DefectKind::Defect),
            (2, 8.0, DefectKind::Defect),
            (1, 12.0, DefectKind::Defect),
            (1, 2.0, DefectKind::Hole),
        ]);
        let score = score_roll(130.0, &defects, Units::Imperial);
        assert_eq!(score.points, 30);
        let p = per_100_sq_yd(score.points, 130.0, 45.0, Units::Imperial);
        assert_eq!(one_decimal(p), 18.4, "{p}");
        assert!(p <= 40.0);
    }

    #[test]
    fn jozwiak_metric_100_m_by_150_cm() {
        // Jozwiak, "Four-Point System", https://jozwiak.eu/en/four-point-system/, Example: roll
        // 100 m × 150 cm; 7 defects up to 75 mm, 4 of 75-150 mm, 2 of 150-230 mm, 1 over
        // 230 mm, 1 hole over 25 mm; "Total defect points 29"; "= 19 points" per 100 m² (the
        // page's formula line writes 28 × 100000/(1500 × 100); 29 points, as its table sums,
        // also give 19 to the integer it prints).
        let defects = one_per_yard(&[
            (7, 7.0, DefectKind::Defect),
            (4, 12.0, DefectKind::Defect),
            (2, 20.0, DefectKind::Defect),
            (1, 30.0, DefectKind::Defect),
            (1, 4.0, DefectKind::Hole),
        ]);
        let score = score_roll(100.0, &defects, Units::Metric);
        assert_eq!(score.points, 29);
        let p = per_100_m2(score.points, 100.0, 150.0, Units::Metric);
        assert_eq!(p.round(), 19.0, "{p}");
    }

    #[test]
    fn no_yard_counts_more_than_four_points() {
        // D5430 option A: no linear yard is assessed more than 4 points.
        let defects = [
            spot(5.1, 8.0),
            spot(5.5, 8.0),
            hole(5.9, 0.5),
            spot(6.0, 1.0),
        ];
        let score = score_roll(50.0, &defects, Units::Imperial);
        // Yard 6 (from 5 to 6 yd): 3 + 3 + 2 = 8 → 4; yard 7: 1.
        assert_eq!(score.points, 5);
        assert_eq!(score.removed_by_cap, 4);
        assert_eq!(score.assigned[3].segment, 7);
    }

    #[test]
    fn running_defect_scores_four_per_yard_and_absorbs_spots() {
        // 4 points per yard a continuous defect runs through: 2.5 yd → 90 in from 10.5 yd
        // touches yards 11, 12, 13 (10..11, 11..12, 12..13): 12 points.
        let run = Defect {
            position: 10.5,
            size: 90.0,
            kind: DefectKind::Continuous,
        };
        let score = score_roll(
            100.0,
            &[run, spot(11.2, 2.0), spot(40.0, 2.0)],
            Units::Imperial,
        );
        assert_eq!(score.assigned[0].points, 12);
        assert_eq!(score.points, 12 + 1);
        assert_eq!(score.removed_by_cap, 1);
        // Overlapping runs count each yard once.
        let score = score_roll(100.0, &[run, run], Units::Imperial);
        assert_eq!(score.points, 12);
    }

    #[test]
    fn areas_agree_between_unit_systems() {
        // 100 m × 150 cm = 150 m² = 179.4 sq yd.
        let sq_yd = Units::Metric.area_sq_yd(100.0, 150.0);
        assert!((sq_yd * M2_PER_SQ_YD - 150.0).abs() < 1e-9);
        let m2 = Units::Imperial.area_m2(120.0, 46.0);
        assert!((m2 - 120.0 * 0.9144 * 46.0 * 0.0254).abs() < 1e-9);
    }
}
