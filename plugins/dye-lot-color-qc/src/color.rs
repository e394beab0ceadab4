//! Colour-difference formulas, in plain Rust so they are tested and benchmarked natively.
//!
//! The trigonometry is `smelt_sdk::math` (the pure-Rust libm on every target), so the native
//! tests check the very bits the component computes.

use smelt_sdk::math::{atan2, cos, exp, hypot, max, sin};

/// A colour in CIELAB (D65/10° unless the caller says otherwise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lab {
    /// Lightness L*, 0..100.
    pub l: f64,
    /// Red–green axis a*.
    pub a: f64,
    /// Yellow–blue axis b*.
    pub b: f64,
}

/// Parametric weighting factors kL, kC, kH of CIEDE2000 (all 1 for reference conditions;
/// textiles often use kL = 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Lightness weight kL.
    pub kl: f64,
    /// Chroma weight kC.
    pub kc: f64,
    /// Hue weight kH.
    pub kh: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            kl: 1.0,
            kc: 1.0,
            kh: 1.0,
        }
    }
}

/// 25^7, the constant of CIEDE2000's chroma terms G and R_C.
const POW25_7: f64 = 6_103_515_625.0;

fn hue_degrees(b: f64, a: f64) -> f64 {
    if a == 0.0 && b == 0.0 {
        return 0.0;
    }
    let h = atan2(b, a).to_degrees();
    if h < 0.0 { h + 360.0 } else { h }
}

/// CIEDE2000 colour difference ΔE00 (CIE 142-2001), written after the equations of
/// G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula: implementation
/// notes, supplementary test data, and mathematical observations", Color Res. Appl. 30 (2005).
pub fn ciede2000(x: Lab, y: Lab, w: Weights) -> f64 {
    let c1 = hypot(x.a, x.b);
    let c2 = hypot(y.a, y.b);
    let c_bar7 = ((c1 + c2) / 2.0).powi(7);
    let g = 0.5 * (1.0 - (c_bar7 / (c_bar7 + POW25_7)).sqrt());
    let a1 = (1.0 + g) * x.a;
    let a2 = (1.0 + g) * y.a;
    let c1p = hypot(a1, x.b);
    let c2p = hypot(a2, y.b);
    let h1p = hue_degrees(x.b, a1);
    let h2p = hue_degrees(y.b, a2);

    let dl = y.l - x.l;
    let dc = c2p - c1p;
    let chroma_product = c1p * c2p;
    let dh_angle = if chroma_product == 0.0 {
        0.0
    } else {
        let d = h2p - h1p;
        if d > 180.0 {
            d - 360.0
        } else if d < -180.0 {
            d + 360.0
        } else {
            d
        }
    };
    let dh = 2.0 * chroma_product.sqrt() * sin((dh_angle / 2.0).to_radians());

    let l_bar = (x.l + y.l) / 2.0;
    let c_bar_p = (c1p + c2p) / 2.0;
    let h_bar = if chroma_product == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * cos((h_bar - 30.0).to_radians())
        + 0.24 * cos((2.0 * h_bar).to_radians())
        + 0.32 * cos((3.0 * h_bar + 6.0).to_radians())
        - 0.20 * cos((4.0 * h_bar - 63.0).to_radians());
    let d_theta = 30.0 * exp(-((h_bar - 275.0) / 25.0).powi(2));
    let c_bar_p7 = c_bar_p.powi(7);
    let rc = 2.0 * (c_bar_p7 / (c_bar_p7 + POW25_7)).sqrt();
    let l50 = (l_bar - 50.0).powi(2);
    let sl = 1.0 + 0.015 * l50 / (20.0 + l50).sqrt();
    let sc = 1.0 + 0.045 * c_bar_p;
    let sh = 1.0 + 0.015 * c_bar_p * t;
    let rt = -sin((2.0 * d_theta).to_radians()) * rc;

    let tl = dl / (w.kl * sl);
    let tc = dc / (w.kc * sc);
    let th = dh / (w.kh * sh);
    (tl * tl + tc * tc + th * th + rt * tc * th).sqrt()
}

/// The CMC(l:c) colour difference of `batch` from `standard` (F. J. J. Clarke, R. McDonald,
/// B. Rigg, "Modification to the JPC79 colour-difference formula", J. Soc. Dyers Colour. 100
/// (1984); ISO 105-J03, AATCC TM173). Not symmetric: the ellipsoid is centred on the standard.
/// `l` weights lightness and `c` chroma; 2:1 is the textile acceptability setting, 1:1 the
/// perceptibility one.
pub fn cmc(standard: Lab, batch: Lab, l: f64, c: f64) -> f64 {
    let c1 = hypot(standard.a, standard.b);
    let c2 = hypot(batch.a, batch.b);
    let dl = standard.l - batch.l;
    let dc = c1 - c2;
    let da = standard.a - batch.a;
    let db = standard.b - batch.b;
    // ΔH² = Δa² + Δb² − ΔC², which rounding can leave a hair below zero.
    let dh2 = max(da * da + db * db - dc * dc, 0.0);

    let sl = if standard.l < 16.0 {
        0.511
    } else {
        0.040975 * standard.l / (1.0 + 0.01765 * standard.l)
    };
    let sc = 0.0638 * c1 / (1.0 + 0.0131 * c1) + 0.638;
    let h1 = hue_degrees(standard.b, standard.a);
    let t = if (164.0..=345.0).contains(&h1) {
        0.56 + (0.2 * cos((h1 + 168.0).to_radians())).abs()
    } else {
        0.36 + (0.4 * cos((h1 + 35.0).to_radians())).abs()
    };
    let c1_4 = c1.powi(4);
    let f = (c1_4 / (c1_4 + 1900.0)).sqrt();
    let sh = sc * (f * t + 1.0 - f);

    let tl = dl / (l * sl);
    let tc = dc / (c * sc);
    (tl * tl + tc * tc + dh2 / (sh * sh)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_colours_differ_by_zero() {
        let c = Lab {
            l: 50.0,
            a: 2.5,
            b: -3.0,
        };
        assert_eq!(ciede2000(c, c, Weights::default()), 0.0);
    }

    #[test]
    fn lightness_weight_scales_a_pure_lightness_difference() {
        let x = Lab {
            l: 50.0,
            a: 0.0,
            b: 0.0,
        };
        let y = Lab {
            l: 52.0,
            a: 0.0,
            b: 0.0,
        };
        let one = ciede2000(x, y, Weights::default());
        let two = ciede2000(
            x,
            y,
            Weights {
                kl: 2.0,
                ..Weights::default()
            },
        );
        assert!((one / two - 2.0).abs() < 1e-12, "{one} {two}");
    }

    #[test]
    fn cmc_is_zero_for_a_match_and_scales_with_the_lightness_weight() {
        let standard = Lab {
            l: 50.0,
            a: 10.0,
            b: 10.0,
        };
        assert_eq!(cmc(standard, standard, 2.0, 1.0), 0.0);
        let lighter = Lab {
            l: 53.0,
            ..standard
        };
        let ratio = cmc(standard, lighter, 1.0, 1.0) / cmc(standard, lighter, 2.0, 1.0);
        assert!((ratio - 2.0).abs() < 1e-12, "{ratio}");
    }
}
