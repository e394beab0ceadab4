//! Shewhart X̄-R and X̄-S charts, run rules and process capability, in plain Rust so they are
//! tested and benchmarked natively.

use smelt_sdk::math;

use crate::constants::Constants;

/// Which dispersion chart goes with the X̄ chart, and so how σ within is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// X̄ and R charts; σ within = R̄/d2.
    XbarR,
    /// X̄ and S charts; σ within = s̄/c4.
    XbarS,
}

/// Mean, range and sample standard deviation of one subgroup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubgroupStats {
    /// Subgroup mean x̄.
    pub mean: f64,
    /// Range R = max − min.
    pub range: f64,
    /// Sample standard deviation s (divisor n − 1).
    pub stdev: f64,
}

/// Mean, range and sample standard deviation of a subgroup of at least two values.
pub fn subgroup_stats(values: &[f64]) -> SubgroupStats {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            // smelt_sdk::math: inline in wasm32, where f64::min/max are calls to fmin/fmax.
            (math::min(lo, v), math::max(hi, v))
        });
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    SubgroupStats {
        mean,
        range: max - min,
        stdev: (ss / (n - 1.0)).sqrt(),
    }
}

/// Lower limit, centre line and upper limit of one chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Lower control limit.
    pub lcl: f64,
    /// Centre line.
    pub cl: f64,
    /// Upper control limit.
    pub ucl: f64,
}

/// The two charts' limits and the σ within they imply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charts {
    /// X̄ chart.
    pub xbar: Limits,
    /// R or S chart, by [`ChartKind`].
    pub dispersion: Limits,
    /// Mean of the subgroup ranges, R̄.
    pub r_bar: f64,
    /// Mean of the subgroup standard deviations, s̄.
    pub s_bar: f64,
    /// Within-subgroup σ: R̄/d2 or s̄/c4.
    pub sigma_within: f64,
}

/// Trial control limits from equal-size subgroups (Montgomery ch. 6):
/// X̄-R: x̿ ± A2·R̄, R chart D3·R̄ … D4·R̄; X̄-S: x̿ ± A3·s̄, S chart B3·s̄ … B4·s̄.
pub fn control_limits(kind: ChartKind, k: &Constants, stats: &[SubgroupStats]) -> Charts {
    let m = stats.len() as f64;
    let grand_mean = stats.iter().map(|s| s.mean).sum::<f64>() / m;
    let r_bar = stats.iter().map(|s| s.range).sum::<f64>() / m;
    let s_bar = stats.iter().map(|s| s.stdev).sum::<f64>() / m;
    let (half_width, dispersion, sigma_within) = match kind {
        ChartKind::XbarR => (
            k.a2 * r_bar,
            Limits {
                lcl: k.d3 * r_bar,
                cl: r_bar,
                ucl: k.d4 * r_bar,
            },
            r_bar / k.d2,
        ),
        ChartKind::XbarS => (
            k.a3 * s_bar,
            Limits {
                lcl: k.b3 * s_bar,
                cl: s_bar,
                ucl: k.b4 * s_bar,
            },
            s_bar / k.c4,
        ),
    };
    Charts {
        xbar: Limits {
            lcl: grand_mean - half_width,
            cl: grand_mean,
            ucl: grand_mean + half_width,
        },
        dispersion,
        r_bar,
        s_bar,
        sigma_within,
    }
}

/// Mean and sample standard deviation (divisor N − 1) of all values: the overall σ of Pp, Ppk.
pub fn overall(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// Capability indices for one σ: Cp (or Pp) = (USL − LSL)/6σ needs both limits;
/// Cpk (or Ppk) = min(USL − μ, μ − LSL)/3σ uses whichever limits are given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capability {
    /// Potential capability, both limits given.
    pub cp: Option<f64>,
    /// Capability allowing for centring.
    pub cpk: Option<f64>,
}

/// Capability of a process with mean `mean` and standard deviation `sigma` (> 0).
pub fn capability(mean: f64, sigma: f64, lsl: Option<f64>, usl: Option<f64>) -> Capability {
    let cp = match (lsl, usl) {
        (Some(l), Some(u)) => Some((u - l) / (6.0 * sigma)),
        _ => None,
    };
    let cpu = usl.map(|u| (u - mean) / (3.0 * sigma));
    let cpl = lsl.map(|l| (mean - l) / (3.0 * sigma));
    let cpk = match (cpl, cpu) {
        (Some(l), Some(u)) => Some(l.min(u)),
        (one, other) => one.or(other),
    };
    Capability { cp, cpk }
}

/// A set of run rules for the X̄ chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSet {
    /// Western Electric Statistical Quality Control Handbook (1956): rules 1–4.
    WesternElectric,
    /// L. S. Nelson, "The Shewhart control chart — tests for special causes", J. Quality
    /// Technology 16(4), 1984: tests 1–8.
    Nelson,
}

/// One rule broken: by the point `end` (0-based subgroup index), over the points
/// `start..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// Rule number within its set.
    pub rule: u8,
    /// First point of the pattern.
    pub start: usize,
    /// The point that completes the pattern.
    pub end: usize,
}

impl RuleSet {
    /// The set's name as the `rules` param spells it, and the prefix of its finding codes.
    pub fn name(self) -> &'static str {
        match self {
            RuleSet::WesternElectric => "western-electric",
            RuleSet::Nelson => "nelson",
        }
    }

    /// What rule `rule` of this set says.
    pub fn describe(self, rule: u8) -> &'static str {
        match (self, rule) {
            (_, 1) => "1 point beyond 3σ",
            (RuleSet::WesternElectric, 2) | (RuleSet::Nelson, 5) => {
                "2 of 3 points in a row beyond 2σ on the same side"
            }
            (RuleSet::WesternElectric, 3) | (RuleSet::Nelson, 6) => {
                "4 of 5 points in a row beyond 1σ on the same side"
            }
            (RuleSet::WesternElectric, 4) => {
                "8 points in a row on the same side of the centre line"
            }
            (RuleSet::Nelson, 2) => "9 points in a row on the same side of the centre line",
            (RuleSet::Nelson, 3) => "6 points in a row steadily increasing or decreasing",
            (RuleSet::Nelson, 4) => "14 points in a row alternating up and down",
            (RuleSet::Nelson, 7) => "15 points in a row within 1σ of the centre line",
            (RuleSet::Nelson, 8) => "8 points in a row beyond 1σ, on either side",
            _ => "unknown rule",
        }
    }
}

/// Every point of `points` that completes a pattern of a rule of `set`, with the chart's centre
/// `cl` and σ of the plotted statistic `sigma` (> 0): zone A is beyond 2σ, zone B beyond 1σ.
pub fn run_rules(points: &[f64], cl: f64, sigma: f64, set: RuleSet) -> Vec<Violation> {
    let z: Vec<f64> = points.iter().map(|p| (p - cl) / sigma).collect();
    let mut found = Vec::new();
    for end in 0..z.len() {
        let mut check = |rule: u8, window: usize, hit: bool| {
            if hit {
                found.push(Violation {
                    rule,
                    start: end + 1 - window,
                    end,
                });
            }
        };
        check(1, 1, z[end].abs() > 3.0);
        let (two_of_three, four_of_five, same_side_rule, same_side_len) = match set {
            RuleSet::WesternElectric => (2, 3, 4, 8),
            RuleSet::Nelson => (5, 6, 2, 9),
        };
        check(two_of_three, 3, k_of_last(&z, end, 3, 2, 2.0));
        check(four_of_five, 5, k_of_last(&z, end, 5, 4, 1.0));
        check(
            same_side_rule,
            same_side_len,
            same_side(&z, end, same_side_len),
        );
        if set == RuleSet::Nelson {
            check(3, 6, last(&z, end, 6).is_some_and(trend));
            check(4, 14, last(&z, end, 14).is_some_and(alternating));
            check(
                7,
                15,
                last(&z, end, 15).is_some_and(|w| w.iter().all(|v| v.abs() < 1.0)),
            );
            check(
                8,
                8,
                last(&z, end, 8).is_some_and(|w| w.iter().all(|v| v.abs() > 1.0)),
            );
        }
    }
    found
}

fn last(z: &[f64], end: usize, len: usize) -> Option<&[f64]> {
    (end + 1 >= len).then(|| &z[end + 1 - len..=end])
}

/// At least `k` of the last `len` points beyond `limit` σ on one side, the last point among them.
fn k_of_last(z: &[f64], end: usize, len: usize, k: usize, limit: f64) -> bool {
    let Some(window) = last(z, end, len) else {
        return false;
    };
    let current = z[end];
    if current.abs() <= limit {
        return false;
    }
    let side = current.signum();
    window
        .iter()
        .filter(|v| v.signum() == side && v.abs() > limit)
        .count()
        >= k
}

fn same_side(z: &[f64], end: usize, len: usize) -> bool {
    last(z, end, len).is_some_and(|w| w.iter().all(|&v| v > 0.0) || w.iter().all(|&v| v < 0.0))
}

fn trend(w: &[f64]) -> bool {
    w.windows(2).all(|p| p[1] > p[0]) || w.windows(2).all(|p| p[1] < p[0])
}

fn alternating(w: &[f64]) -> bool {
    w.windows(3).all(|p| (p[1] - p[0]) * (p[2] - p[1]) < 0.0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::constants::for_size;

    /// Montgomery, *Introduction to Statistical Quality Control*, 6th ed. (Wiley 2009),
    /// Table 6.3: inside diameters (mm) of automobile engine piston rings, 25 subgroups of 5.
    pub(crate) const PISTON_RINGS: [[f64; 5]; 25] = [
        [74.030, 74.002, 74.019, 73.992, 74.008],
        [73.995, 73.992, 74.001, 74.011, 74.004],
        [73.988, 74.024, 74.021, 74.005, 74.002],
        [74.002, 73.996, 73.993, 74.015, 74.009],
        [73.992, 74.007, 74.015, 73.989, 74.014],
        [74.009, 73.994, 73.997, 73.985, 73.993],
        [73.995, 74.006, 73.994, 74.000, 74.005],
        [73.985, 74.003, 73.993, 74.015, 73.988],
        [74.008, 73.995, 74.009, 74.005, 74.004],
        [73.998, 74.000, 73.990, 74.007, 73.995],
        [73.994, 73.998, 73.994, 73.995, 73.990],
        [74.004, 74.000, 74.007, 74.000, 73.996],
        [73.983, 74.002, 73.998, 73.997, 74.012],
        [74.006, 73.967, 73.994, 74.000, 73.984],
        [74.012, 74.014, 73.998, 73.999, 74.007],
        [74.000, 73.984, 74.005, 73.998, 73.996],
        [73.994, 74.012, 73.986, 74.005, 74.007],
        [74.006, 74.010, 74.018, 74.003, 74.000],
        [73.984, 74.002, 74.003, 74.005, 73.997],
        [74.000, 74.010, 74.013, 74.020, 74.003],
        [73.982, 74.001, 74.015, 74.005, 73.996],
        [74.004, 73.999, 73.990, 74.006, 74.009],
        [74.010, 73.989, 73.990, 74.009, 74.014],
        [74.015, 74.008, 73.993, 74.000, 74.010],
        [73.982, 73.984, 73.995, 74.017, 74.013],
    ];

    /// The x̄ᵢ and Rᵢ columns Montgomery prints with Table 6.3, and the sᵢ of the X̄-S example.
    const PUBLISHED_XBAR: [f64; 25] = [
        74.010, 74.001, 74.008, 74.003, 74.003, 73.996, 74.000, 73.997, 74.004, 73.998, 73.994,
        74.001, 73.998, 73.990, 74.006, 73.997, 74.001, 74.007, 73.998, 74.009, 74.000, 74.002,
        74.002, 74.005, 73.998,
    ];
    const PUBLISHED_R: [f64; 25] = [
        0.038, 0.019, 0.036, 0.022, 0.026, 0.024, 0.012, 0.030, 0.014, 0.017, 0.008, 0.011, 0.029,
        0.039, 0.016, 0.021, 0.026, 0.018, 0.021, 0.020, 0.033, 0.019, 0.025, 0.022, 0.035,
    ];
    const PUBLISHED_S: [f64; 25] = [
        0.0148, 0.0075, 0.0147, 0.0091, 0.0122, 0.0087, 0.0055, 0.0123, 0.0055, 0.0063, 0.0029,
        0.0042, 0.0105, 0.0153, 0.0073, 0.0078, 0.0106, 0.0070, 0.0085, 0.0080, 0.0122, 0.0074,
        0.0119, 0.0087, 0.0162,
    ];

    fn piston_stats() -> Vec<SubgroupStats> {
        PISTON_RINGS.iter().map(|g| subgroup_stats(g)).collect()
    }

    fn close(got: f64, published: f64, places: i32) -> bool {
        (got - published).abs() <= 0.5 * 10f64.powi(-places) + 1e-12
    }

    #[test]
    fn piston_ring_subgroup_statistics() {
        for (i, s) in piston_stats().iter().enumerate() {
            assert!(
                close(s.mean, PUBLISHED_XBAR[i], 3),
                "x̄ {}: {}",
                i + 1,
                s.mean
            );
            assert!(
                close(s.range, PUBLISHED_R[i], 3),
                "R {}: {}",
                i + 1,
                s.range
            );
            assert!(
                close(s.stdev, PUBLISHED_S[i], 4),
                "s {}: {}",
                i + 1,
                s.stdev
            );
        }
    }

    /// Montgomery ch. 6, X̄ and R charts of the piston rings (Table 6.3):
    /// x̿ = 74.001, R̄ = 0.023; X̄ chart UCL = 74.014,
    /// LCL = 73.988; R chart UCL = 0.049, LCL = 0. Montgomery rounds x̿ and R̄ to three
    /// places before applying A2 = 0.577, so the limits agree to ±0.001.
    #[test]
    fn piston_ring_xbar_r_limits() {
        let charts = control_limits(ChartKind::XbarR, &for_size(5).unwrap(), &piston_stats());
        assert!(close(charts.xbar.cl, 74.001, 3));
        assert!(close(charts.r_bar, 0.023, 3));
        assert!(
            (charts.xbar.ucl - 74.014).abs() < 1e-3,
            "{}",
            charts.xbar.ucl
        );
        assert!(
            (charts.xbar.lcl - 73.988).abs() < 1e-3,
            "{}",
            charts.xbar.lcl
        );
        assert!((charts.dispersion.ucl - 0.049).abs() < 1e-3);
        assert_eq!(charts.dispersion.lcl, 0.0);
        // As in the book, every subgroup plots inside the limits of both charts.
        assert!(
            piston_stats()
                .iter()
                .all(|s| s.mean < charts.xbar.ucl && s.mean > charts.xbar.lcl)
        );
        assert!(
            piston_stats()
                .iter()
                .all(|s| s.range < charts.dispersion.ucl)
        );
    }

    /// Montgomery ch. 6, X̄ and S charts of the same piston rings: s̄ = 0.0094; X̄ chart
    /// UCL = 74.014, LCL = 73.988; S chart UCL = 0.0196, LCL = 0.
    #[test]
    fn piston_ring_xbar_s_limits() {
        let charts = control_limits(ChartKind::XbarS, &for_size(5).unwrap(), &piston_stats());
        assert!(close(charts.s_bar, 0.0094, 4), "{}", charts.s_bar);
        assert!((charts.xbar.ucl - 74.014).abs() < 1e-3);
        assert!((charts.xbar.lcl - 73.988).abs() < 1e-3);
        assert!(
            (charts.dispersion.ucl - 0.0196).abs() < 1e-4,
            "{}",
            charts.dispersion.ucl
        );
        assert_eq!(charts.dispersion.lcl, 0.0);
    }

    /// Montgomery ch. 6, process capability of the piston rings: specifications
    /// 74.000 ± 0.05 mm, σ̂ = R̄/d2 = 0.023/2.326 = 0.0099, Cp = 0.10/(6 · 0.0099) = 1.68.
    /// The book rounds R̄ and σ̂ first; unrounded, Cp = 1.668, hence the tolerance.
    #[test]
    fn piston_ring_cp() {
        let charts = control_limits(ChartKind::XbarR, &for_size(5).unwrap(), &piston_stats());
        // 0.023/2.326 = 0.00989 in the book; the unrounded R̄ = 0.02324 gives 0.00999.
        assert!(
            (charts.sigma_within - 0.0099).abs() < 1.5e-4,
            "{}",
            charts.sigma_within
        );
        let c = capability(
            charts.xbar.cl,
            charts.sigma_within,
            Some(73.95),
            Some(74.05),
        );
        assert!((c.cp.unwrap() - 1.68).abs() < 0.02, "{:?}", c.cp);
    }

    /// NIST/SEMATECH e-Handbook of Statistical Methods, §6.1.6 (process capability), example:
    /// USL = 20, LSL = 8, mean 16, σ = 2 → Cp = 1.0, Cpu = 0.6667, Cpl = 1.3333, Cpk = 0.6667.
    #[test]
    fn nist_capability_example() {
        let c = capability(16.0, 2.0, Some(8.0), Some(20.0));
        assert!((c.cp.unwrap() - 1.0).abs() < 1e-4);
        assert!((c.cpk.unwrap() - 0.6667).abs() < 1e-4);
        let upper_only = capability(16.0, 2.0, None, Some(20.0));
        assert_eq!(upper_only.cp, None);
        assert!((upper_only.cpk.unwrap() - 0.6667).abs() < 1e-4);
        let lower_only = capability(16.0, 2.0, Some(8.0), None);
        assert!((lower_only.cpk.unwrap() - 1.3333).abs() < 1e-4);
    }

    fn rules_hit(points: &[f64], set: RuleSet) -> Vec<(u8, usize)> {
        run_rules(points, 0.0, 1.0, set)
            .iter()
            .map(|v| (v.rule, v.end))
            .collect()
    }

    // The run-rule tests below build the patterns each rule defines (Western Electric
    // Statistical Quality Control Handbook, 1956; Nelson 1984) and one near miss each.

    #[test]
    fn western_electric_rules() {
        let we = RuleSet::WesternElectric;
        assert_eq!(rules_hit(&[0.5, 3.2, -0.5], we), [(1, 1)]);
        assert_eq!(rules_hit(&[0.5, -3.0, 0.5], we), []); // on the limit is not beyond it
        assert_eq!(rules_hit(&[2.5, 0.5, 2.1], we), [(2, 2)]);
        assert_eq!(rules_hit(&[2.5, 0.5, -2.1], we), []); // opposite sides
        assert_eq!(rules_hit(&[1.5, 1.2, -0.3, 1.1, 1.9], we), [(3, 4)]);
        assert_eq!(rules_hit(&[1.5, 1.2, -0.3, 0.9, 1.9], we), []);
        let eight = [0.2, 0.4, 0.1, 0.3, 0.5, 0.2, 0.6, 0.1];
        assert_eq!(rules_hit(&eight, we), [(4, 7)]);
        assert_eq!(rules_hit(&eight[..7], we), []);
    }

    #[test]
    fn nelson_rules() {
        let nelson = RuleSet::Nelson;
        let nine = [0.2, 0.4, 0.1, 0.3, 0.5, 0.2, 0.6, 0.1, 0.3];
        assert_eq!(rules_hit(&nine, nelson), [(2, 8)]);
        assert_eq!(rules_hit(&nine[..8], nelson), []);
        assert_eq!(
            rules_hit(&[-0.9, -0.5, -0.2, 0.1, 0.3, 0.8], nelson),
            [(3, 5)]
        );
        assert_eq!(rules_hit(&[-0.9, -0.5, -0.2, -0.2, 0.3, 0.8], nelson), []);
        let alternating: Vec<f64> = (0..14)
            .map(|i| if i % 2 == 0 { 0.5 } else { -0.5 })
            .collect();
        assert_eq!(rules_hit(&alternating, nelson), [(4, 13)]);
        assert_eq!(rules_hit(&alternating[..13], nelson), []);
        let hugging: Vec<f64> = (0..15)
            .map(|i| if i % 3 == 0 { 0.5 } else { -0.4 })
            .collect();
        assert_eq!(rules_hit(&hugging, nelson), [(7, 14)]);
        let mixture = [1.5, -1.5, 1.2, -1.1, 1.5, -1.5, 1.2, -1.1];
        assert_eq!(rules_hit(&mixture, nelson), [(8, 7)]);
    }
}
