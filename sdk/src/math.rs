//! `f64` functions that compute the same bits natively and in the sandbox, and stay inline where
//! `f64`'s own methods become calls in wasm32.
//!
//! **Transcendental functions.** `f64::sin`, `cos`, `atan2`, `exp`, `ln`, `powf`, `hypot`, ...
//! call the platform's C library: glibc's natively, wasi-libc's (musl's) inside the component.
//! The two may differ in the last bit, so a solution's native tests would not prove exactly what
//! the sandbox computes. The functions here are the pure-Rust [`libm`](https://docs.rs/libm)
//! crate on every target (with [`hypot`] reimplemented to use the square-root instruction): a
//! provider's `cargo test` checks the very numbers the component returns. (`sqrt`, `abs`, `floor`, `ceil`, `trunc`, `mul_add` need nothing here: they are
//! exact in IEEE 754 and compile to single instructions on both sides.)
//!
//! **`max` and `min`.** `f64::max` and `f64::min` follow IEEE 754 `maxNum`/`minNum` (a NaN
//! operand loses); wasm's `f64.max`/`f64.min` instructions propagate NaN instead, so LLVM
//! compiles every `f64::max` in wasm32 to a call to the C library's `fmax`, which the hot loop
//! of a scheduler or a running maximum pays on every element. [`max`] and [`min`] keep the
//! `maxNum` rule as a comparison and a select that inline on every target.
//!
//! ```
//! use smelt_sdk::math;
//!
//! let hue = math::atan2(-3.0, 4.0).to_degrees();
//! assert!((hue + 36.869_897_645_844).abs() < 1e-9);
//! assert_eq!(math::max(f64::NAN, 2.0), 2.0);
//! assert_eq!([1.5, 4.0, 0.5].into_iter().fold(0.0, math::max), 4.0);
//! ```

/// The greater of `a` and `b`; a NaN operand loses (as [`f64::max`]). Inlined on every target,
/// where `f64::max` is a call to `fmax` in wasm32. Of `-0.0` and `+0.0`, either may be
/// returned.
#[inline]
pub fn max(a: f64, b: f64) -> f64 {
    if a < b || a.is_nan() { b } else { a }
}

/// The lesser of `a` and `b`; a NaN operand loses (as [`f64::min`]). Inlined on every target,
/// where `f64::min` is a call to `fmin` in wasm32. Of `-0.0` and `+0.0`, either may be
/// returned.
#[inline]
pub fn min(a: f64, b: f64) -> f64 {
    if b < a || a.is_nan() { b } else { a }
}

macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident => $libm:ident;)*) => {$(
        $(#[$doc])*
        #[inline]
        pub fn $name(x: f64) -> f64 {
            libm::$libm(x)
        }
    )*};
}

unary! {
    /// Sine of `x` radians.
    sin => sin;
    /// Cosine of `x` radians.
    cos => cos;
    /// Tangent of `x` radians.
    tan => tan;
    /// Arcsine in radians, in [−π/2, π/2]; NaN outside [−1, 1].
    asin => asin;
    /// Arccosine in radians, in [0, π]; NaN outside [−1, 1].
    acos => acos;
    /// Arctangent in radians, in [−π/2, π/2].
    atan => atan;
    /// eˣ.
    exp => exp;
    /// 2ˣ.
    exp2 => exp2;
    /// Natural logarithm; NaN for negative `x`, −∞ at 0.
    ln => log;
    /// Base-10 logarithm.
    log10 => log10;
    /// Base-2 logarithm.
    log2 => log2;
    /// Cube root.
    cbrt => cbrt;
}

/// The four-quadrant arctangent of `y / x` in radians, in [−π, π] (as [`f64::atan2`]).
#[inline]
pub fn atan2(y: f64, x: f64) -> f64 {
    libm::atan2(y, x)
}

/// `x` raised to the power `y` (as [`f64::powf`]).
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// √(x² + y²) without undue overflow or underflow (as [`f64::hypot`]).
///
/// The same bits as `libm::hypot` (musl's algorithm: both squares split exactly into high and
/// low parts, one rounding at the square root), but with the square-root instruction: on stable
/// Rust, `libm` computes `sqrt` in software on wasm32, which made `hypot` the costliest call of
/// a colour difference in the sandbox.
pub fn hypot(x: f64, y: f64) -> f64 {
    // 2^27 + 1: splits a double into two halves whose products are exact.
    const SPLIT: f64 = 134_217_729.0;
    fn square(x: f64) -> (f64, f64) {
        let xc = x * SPLIT;
        let xh = x - xc + xc;
        let xl = x - xh;
        let hi = x * x;
        (hi, xh * xh - hi + 2.0 * xh * xl + xl * xl)
    }
    let (mut ux, mut uy) = (x.to_bits() & (u64::MAX >> 1), y.to_bits() & (u64::MAX >> 1));
    if ux < uy {
        std::mem::swap(&mut ux, &mut uy);
    }
    let (ex, ey) = ((ux >> 52) as i64, (uy >> 52) as i64);
    let (mut x, mut y) = (f64::from_bits(ux), f64::from_bits(uy));
    // hypot(±inf, NaN) is +inf: the larger is checked after the smaller.
    if ey == 0x7ff {
        return y;
    }
    if ex == 0x7ff || uy == 0 {
        return x;
    }
    // y²/x² is below half an ulp of 1.
    if ex - ey > 64 {
        return x + y;
    }
    // Scale so that the high squares cannot overflow nor the low ones underflow.
    let mut z = 1.0;
    if ex > 0x3ff + 510 {
        z = f64::from_bits(0x6bb0_0000_0000_0000); // 2^700
        x *= f64::from_bits(0x1430_0000_0000_0000); // 2^-700
        y *= f64::from_bits(0x1430_0000_0000_0000);
    } else if ey < 0x3ff - 450 {
        z = f64::from_bits(0x1430_0000_0000_0000);
        x *= f64::from_bits(0x6bb0_0000_0000_0000);
        y *= f64::from_bits(0x6bb0_0000_0000_0000);
    }
    let (hx, lx) = square(x);
    let (hy, ly) = square(y);
    z * (ly + lx + hy + hx).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_and_min_follow_f64s_nan_rule() {
        for (a, b) in [(1.0, 2.0), (2.0, 1.0), (-3.5, -3.5), (f64::INFINITY, 1.0)] {
            assert_eq!(max(a, b), a.max(b));
            assert_eq!(min(a, b), a.min(b));
        }
        assert_eq!(max(f64::NAN, 1.0), 1.0);
        assert_eq!(max(1.0, f64::NAN), 1.0);
        assert_eq!(min(f64::NAN, 1.0), 1.0);
        assert_eq!(min(1.0, f64::NAN), 1.0);
        assert!(max(f64::NAN, f64::NAN).is_nan());
        assert!(min(f64::NAN, f64::NAN).is_nan());
    }

    #[test]
    fn hypot_gives_libms_bits() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let special = [
            0.0,
            -0.0,
            1.0,
            3.0,
            1e-320,
            1e-300,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut pairs: Vec<(f64, f64)> = special
            .iter()
            .flat_map(|&x| special.iter().map(move |&y| (x, y)))
            .collect();
        // Random bit patterns cover every exponent; random CIELAB-sized values the usual case.
        pairs.extend((0..100_000).map(|_| (f64::from_bits(next()), f64::from_bits(next()))));
        pairs.extend((0..100_000).map(|_| {
            let unit = |v: u64| (v >> 11) as f64 / (1u64 << 53) as f64;
            (400.0 * unit(next()) - 200.0, 400.0 * unit(next()) - 200.0)
        }));
        for (x, y) in pairs {
            let (got, want) = (hypot(x, y), libm::hypot(x, y));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "hypot({x:e}, {y:e}) = {got:e}, libm {want:e}"
            );
        }
    }

    #[test]
    fn functions_agree_with_the_platforms_to_within_two_ulps() {
        let close = |got: f64, want: f64| {
            assert!(
                (got - want).abs() <= 2.0 * f64::EPSILON * want.abs().max(1.0),
                "{got} vs {want}"
            );
        };
        for x in [-7.25, -1.0, -0.3, 0.0, 0.5, 1.0, 2.0, 100.0] {
            close(sin(x), x.sin());
            close(cos(x), x.cos());
            close(atan(x), x.atan());
            close(exp(x.min(50.0)), x.min(50.0).exp());
            close(atan2(x, 1.5), x.atan2(1.5));
            close(hypot(x, 3.0), x.hypot(3.0));
            close(cbrt(x), x.cbrt());
            if x > 0.0 {
                close(ln(x), x.ln());
                close(log10(x), x.log10());
                close(powf(x, 2.5), x.powf(2.5));
            }
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(atan2(0.0, -1.0), std::f64::consts::PI);
    }
}
