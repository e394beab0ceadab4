//! The one number a finding prints, written without `core::fmt`.
//!
//! A batch out of tolerance gets a message with its ΔE to two decimals. `format!("{:.2}")` is
//! exact (Grisu with a Dragon fallback, on `u128` products that wasm32 turns into calls to
//! `__multi3`) and goes through `fmt::Write`'s indirect calls: about a third of the component's
//! time when most batches fail. Rounding the double `x · 100` to an integer gives the same
//! digits unless that product lands exactly on a tie (a half hundredth); those, and negative,
//! huge or non-finite values, still go through `format!`.

use std::fmt::Write;

/// Appends `x` exactly as `write!(out, "{x:.2}")` does.
pub fn push_two_decimals(out: &mut String, x: f64) {
    let scaled = x * 100.0;
    // Under 2^52 the fraction of `scaled` is exact; NaN fails the comparison.
    if x.is_sign_positive() && scaled < (1u64 << 52) as f64 {
        let whole = scaled.floor();
        let fraction = scaled - whole;
        // Rounding to nearest is monotonic and the tie `whole + 0.5` is a double, so the
        // rounded product lies on the same side of it as the exact x · 100, or on it: only then
        // is the side unknown.
        if fraction != 0.5 {
            let hundredths = whole as u64 + u64::from(fraction > 0.5);
            push_u64(out, hundredths / 100);
            let cents = (hundredths % 100) as u8;
            out.push('.');
            out.push(char::from(b'0' + cents / 10));
            out.push(char::from(b'0' + cents % 10));
            return;
        }
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "{x:.2}");
}

/// Appends the decimal digits of `n`.
fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // The buffer holds ASCII digits only.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(x: f64) {
        let mut out = String::from("ΔE ");
        push_two_decimals(&mut out, x);
        assert_eq!(out, format!("ΔE {x:.2}"), "{x:e} ({:#x})", x.to_bits());
    }

    #[test]
    fn writes_what_format_writes_for_random_values_of_every_magnitude() {
        // Knuth's MMIX LCG, high bits: reproducible inputs without a dependency.
        let mut state = 0x5eed_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        for _ in 0..300_000 {
            let magnitude = 10f64.powi((next() >> 59) as i32 - 6);
            let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
            check(unit * magnitude);
        }
        for _ in 0..100_000 {
            check(f64::from_bits(next()));
        }
    }

    #[test]
    fn writes_what_format_writes_next_to_every_tie() {
        // (2k + 1)/200 is the tie between two hundredths; exact ties (k/8, 2.5/100 ...) and
        // the doubles around each within 16 ulps.
        for k in 0..20_000u64 {
            let tie = (2 * k + 1) as f64 / 200.0;
            check(tie);
            let mut below = tie;
            let mut above = tie;
            for _ in 0..16 {
                below = below.next_down();
                above = above.next_up();
                check(below);
                check(above);
            }
        }
        for x in [
            0.125, 0.375, 0.625, 0.875, 1.125, 2.5, 1e-2, 0.005, 0.015, 1.005, 8.345,
        ] {
            check(x);
        }
    }

    #[test]
    fn writes_what_format_writes_at_the_edges() {
        let edges = [
            0.0,
            -0.0,
            -1.234,
            -0.001,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            (1u64 << 52) as f64 / 100.0,
            (1u64 << 52) as f64 / 100.0 + 1.0,
            1e15,
            99.995,
            99.994_999_999_999_99,
            0.994_999_999_999_999_9,
        ];
        for x in edges {
            check(x);
        }
    }
}
