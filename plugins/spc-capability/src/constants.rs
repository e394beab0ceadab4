//! The control chart constants for subgroups of n = 2 to 25, as tabulated in Montgomery,
//! *Introduction to Statistical Quality Control*, Appendix VI (factors for constructing
//! variables control charts). Published chart
//! limits are computed with these rounded values, so the charts use them rather than the exact
//! integrals.

/// The constants for one subgroup size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constants {
    /// Subgroup size n.
    pub n: usize,
    /// X̄ chart from R̄: limits x̿ ± A2·R̄.
    pub a2: f64,
    /// X̄ chart from s̄: limits x̿ ± A3·s̄.
    pub a3: f64,
    /// S chart lower limit B3·s̄.
    pub b3: f64,
    /// S chart upper limit B4·s̄.
    pub b4: f64,
    /// R chart lower limit D3·R̄.
    pub d3: f64,
    /// R chart upper limit D4·R̄.
    pub d4: f64,
    /// d2 = E[R]/σ: σ within = R̄/d2.
    pub d2: f64,
    /// c4 = E[s]/σ: σ within = s̄/c4.
    pub c4: f64,
}

/// Smallest subgroup size the table covers.
pub const MIN_N: usize = 2;
/// Largest subgroup size the table covers.
pub const MAX_N: usize = 25;

#[rustfmt::skip]
const TABLE: [[f64; 8]; 24] = [
    //  A2     A3     B3     B4     D3     D4     d2     c4
    [1.880, 2.659, 0.000, 3.267, 0.000, 3.267, 1.128, 0.7979], // n = 2
    [1.023, 1.954, 0.000, 2.568, 0.000, 2.574, 1.693, 0.8862],
    [0.729, 1.628, 0.000, 2.266, 0.000, 2.282, 2.059, 0.9213],
    [0.577, 1.427, 0.000, 2.089, 0.000, 2.114, 2.326, 0.9400], // n = 5
    [0.483, 1.287, 0.030, 1.970, 0.000, 2.004, 2.534, 0.9515],
    [0.419, 1.182, 0.118, 1.882, 0.076, 1.924, 2.704, 0.9594],
    [0.373, 1.099, 0.185, 1.815, 0.136, 1.864, 2.847, 0.9650],
    [0.337, 1.032, 0.239, 1.761, 0.184, 1.816, 2.970, 0.9693],
    [0.308, 0.975, 0.284, 1.716, 0.223, 1.777, 3.078, 0.9727], // n = 10
    [0.285, 0.927, 0.321, 1.679, 0.256, 1.744, 3.173, 0.9754],
    [0.266, 0.886, 0.354, 1.646, 0.283, 1.717, 3.258, 0.9776],
    [0.249, 0.850, 0.382, 1.618, 0.307, 1.693, 3.336, 0.9794],
    [0.235, 0.817, 0.406, 1.594, 0.328, 1.672, 3.407, 0.9810],
    [0.223, 0.789, 0.428, 1.572, 0.347, 1.653, 3.472, 0.9823], // n = 15
    [0.212, 0.763, 0.448, 1.552, 0.363, 1.637, 3.532, 0.9835],
    [0.203, 0.739, 0.466, 1.534, 0.378, 1.622, 3.588, 0.9845],
    [0.194, 0.718, 0.482, 1.518, 0.391, 1.608, 3.640, 0.9854],
    [0.187, 0.698, 0.497, 1.503, 0.403, 1.597, 3.689, 0.9862],
    [0.180, 0.680, 0.510, 1.490, 0.415, 1.585, 3.735, 0.9869], // n = 20
    [0.173, 0.663, 0.523, 1.477, 0.425, 1.575, 3.778, 0.9876],
    [0.167, 0.647, 0.534, 1.466, 0.434, 1.566, 3.819, 0.9882],
    [0.162, 0.633, 0.545, 1.455, 0.443, 1.557, 3.858, 0.9887],
    [0.157, 0.619, 0.555, 1.445, 0.451, 1.548, 3.895, 0.9892],
    [0.153, 0.606, 0.565, 1.435, 0.459, 1.541, 3.931, 0.9896], // n = 25
];

/// The constants for subgroup size `n`, if the table has it.
pub fn for_size(n: usize) -> Option<Constants> {
    let [a2, a3, b3, b4, d3, d4, d2, c4] = *TABLE.get(n.checked_sub(MIN_N)?)?;
    Some(Constants {
        n,
        a2,
        a3,
        b3,
        b4,
        d3,
        d4,
        d2,
        c4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// c4 has a closed form, c4 = √(2/(n−1)) · Γ(n/2) / Γ((n−1)/2), and A3, B3, B4 follow from
    /// it; A2 = 3/(d2√n). A typo in the transcribed table shows up as a disagreement beyond
    /// the table's rounding.
    #[test]
    fn table_agrees_with_the_formulas() {
        for n in MIN_N..=MAX_N {
            let k = for_size(n).unwrap();
            let c4 = c4_exact(n);
            assert!((k.c4 - c4).abs() < 6e-5, "c4 n={n}: {} vs {c4}", k.c4);
            let a3 = 3.0 / (c4 * (n as f64).sqrt());
            assert!((k.a3 - a3).abs() < 6e-4, "A3 n={n}: {} vs {a3}", k.a3);
            let spread = 3.0 * (1.0 - c4 * c4).sqrt() / c4;
            assert!((k.b4 - (1.0 + spread)).abs() < 6e-4, "B4 n={n}");
            assert!((k.b3 - (1.0 - spread).max(0.0)).abs() < 6e-4, "B3 n={n}");
            // From the rounded d2, so a little looser than the table's own rounding.
            let a2 = 3.0 / (k.d2 * (n as f64).sqrt());
            assert!((k.a2 - a2).abs() < 1e-3, "A2 n={n}: {} vs {a2}", k.a2);
            // D3 + D4 = 2 wherever D3 > 0 (both are 1 ∓ 3·d3/d2), to the table's rounding.
            if k.d3 > 0.0 {
                assert!((k.d3 + k.d4 - 2.0).abs() <= 1.5e-3, "D3+D4 n={n}");
            }
        }
        assert_eq!(for_size(1), None);
        assert_eq!(for_size(26), None);
        assert_eq!(for_size(0), None);
    }

    /// c4 through ln Γ by Lanczos (g = 7, n = 9), accurate far beyond the table's 4 decimals.
    fn c4_exact(n: usize) -> f64 {
        let n = n as f64;
        ((2.0 / (n - 1.0)).ln() / 2.0 + ln_gamma(n / 2.0) - ln_gamma((n - 1.0) / 2.0)).exp()
    }

    fn ln_gamma(x: f64) -> f64 {
        const G: [f64; 9] = [
            0.999_999_999_999_809_9,
            676.520_368_121_885_1,
            -1_259.139_216_722_402_8,
            771.323_428_777_653_1,
            -176.615_029_162_140_6,
            12.507_343_278_686_905,
            -0.138_571_095_265_720_12,
            9.984_369_578_019_572e-6,
            1.505_632_735_149_311_6e-7,
        ];
        if x < 0.5 {
            return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln()
                - ln_gamma(1.0 - x);
        }
        let x = x - 1.0;
        let mut a = G[0];
        let t = x + 7.5;
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
    }
}
