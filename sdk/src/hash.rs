//! A fast hasher for the names a solution keys its maps by (lot, roll, machine and subgroup
//! ids), and [`NameMap`], a `HashMap` that uses it.
//!
//! std's `HashMap` hashes with SipHash, which resists hash flooding by an attacker who chooses
//! the keys. A solution's keys are its caller's own data and every call is bounded by its fuel,
//! so that buys nothing here, while SipHash on a short name costs several times FNV-1a's few
//! operations per byte, more so in the sandbox than natively. Lookups per input row are where
//! it shows: a fabric inspection looks up a roll for every defect.
//!
//! Comparing names is the other half. `==` on `str` compiles to a call to `memcmp`, which in
//! the sandbox is wasi-libc's loop over one byte at a time, behind a call the compiler cannot
//! inline: on 100,000 short subgroup ids it was 12 % of spc-capability's time in wasm. [`same`]
//! compares inline, eight bytes at a time, and [`Name`] is a map key that compares with it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Whether `a` and `b` are the same text: `a == b`, compared inline (eight bytes at a time,
/// then byte by byte) instead of through a call to `memcmp`.
///
/// ```
/// use smelt_sdk::hash::same;
///
/// assert!(same("SG-0001", "SG-0001"));
/// assert!(!same("SG-0001", "SG-0002"));
/// assert!(!same("SG-1", "SG-10"));
/// ```
#[inline]
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (words_a, words_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let (rest_a, rest_b) = (words_a.remainder(), words_b.remainder());
    for (x, y) in words_a.zip(words_b) {
        let x = u64::from_le_bytes(x.try_into().unwrap_or([0; 8]));
        let y = u64::from_le_bytes(y.try_into().unwrap_or([0; 8]));
        if x != y {
            return false;
        }
    }
    let mut differ = 0;
    for (x, y) in rest_a.iter().zip(rest_b) {
        differ |= x ^ y;
    }
    differ == 0
}

/// A name as a [`NameMap`] key: hashed as its text is, compared with [`same`].
///
/// ```
/// use smelt_sdk::hash::{Name, NameMap};
///
/// let mut machines: NameMap<Name<'_>, usize> = NameMap::default();
/// machines.insert(Name("press-7"), 0);
/// assert_eq!(machines.get(&Name("press-7")), Some(&0));
/// assert_eq!(machines.get(&Name("press-8")), None);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Name<'a>(pub &'a str);

impl PartialEq for Name<'_> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        same(self.0, other.0)
    }
}

impl Eq for Name<'_> {}

impl Hash for Name<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// The 64-bit FNV-1a hash (Fowler, Noll, Vo).
///
/// ```
/// use std::hash::Hasher;
///
/// let mut h = smelt_sdk::hash::Fnv1a::default();
/// h.write(b"foobar");
/// assert_eq!(h.finish(), 0x8594_4171_f739_67e8);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed with [`Fnv1a`]: for keys that are names from the input, best as
/// [`Name`]s (compared inline).
///
/// ```
/// use smelt_sdk::hash::{Name, NameMap};
///
/// let mut rolls: NameMap<Name<'_>, usize> = NameMap::default();
/// rolls.insert(Name("R-17"), 0);
/// assert_eq!(rolls.get(&Name("R-17")), Some(&0));
/// ```
pub type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv1a>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The FNV-1a 64-bit test vectors of the reference code's test suite (Landon Curt Noll,
    /// `test_fnv.c`), as listed in draft-eastlake-fnv, appendix C.
    #[test]
    fn published_test_vectors() {
        for (input, expected) in [
            (&b""[..], 0xcbf2_9ce4_8422_2325_u64),
            (b"a", 0xaf63_dc4c_8601_ec8c),
            (b"foobar", 0x8594_4171_f739_67e8),
        ] {
            let mut h = Fnv1a::default();
            h.write(input);
            assert_eq!(h.finish(), expected, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn a_name_map_finds_what_it_holds() {
        let names: Vec<String> = (0..1000).map(|i| format!("M{i}")).collect();
        let map: NameMap<&str, usize> = names.iter().map(String::as_str).zip(0..).collect();
        assert_eq!(map.len(), 1000);
        assert!(names.iter().enumerate().all(|(i, n)| map[n.as_str()] == i));
        assert_eq!(map.get("M1000"), None);
    }

    #[test]
    fn same_agrees_with_eq_on_every_length_and_difference() {
        let base: String = "αβγ-roll-0123456789-ABCDEFGHIJ".to_owned();
        for len in 0..=base.len() {
            let Some(a) = base.get(..len) else { continue };
            assert!(same(a, a), "{a:?}");
            // The same text at another address.
            let copy = String::from(a);
            assert!(same(a, &copy), "{a:?}");
            // Every single-byte difference, at every position, and every other length.
            for at in 0..len {
                let mut b = a.as_bytes().to_vec();
                b[at] ^= 0x01;
                if let Ok(b) = std::str::from_utf8(&b) {
                    assert!(!same(a, b), "{a:?} vs {b:?}");
                }
            }
            for other in 0..=base.len() {
                if let Some(b) = base.get(..other) {
                    assert_eq!(same(a, b), a == b, "{a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn names_as_keys_find_what_they_hold() {
        let names: Vec<String> = (0..1000).map(|i| format!("machine-{i:04}")).collect();
        let map: NameMap<Name<'_>, usize> =
            names.iter().map(|n| Name(n.as_str())).zip(0..).collect();
        assert!(names.iter().enumerate().all(|(i, n)| map[&Name(n)] == i));
        assert_eq!(map.get(&Name("machine-1000")), None);
        assert_eq!(map.get(&Name("machine-000")), None);
    }
}
