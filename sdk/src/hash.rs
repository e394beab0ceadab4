//! A fast hasher for the names a solution keys its maps by (lot, roll, machine and subgroup
//! ids), and [`NameMap`], a `HashMap` that uses it.
//!
//! std's `HashMap` hashes with SipHash, which resists hash flooding by an attacker who chooses
//! the keys. A solution's keys are its caller's own data and every call is bounded by its fuel,
//! so that buys nothing here, while SipHash on a short name costs several times FNV-1a's few
//! operations per byte, more so in the sandbox than natively. Lookups per input row are where
//! it shows: a fabric inspection looks up a roll for every defect.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A `HashMap` hashed with [`Fnv1a`]: for keys that are names from the input.
///
/// ```
/// use smelt_sdk::hash::NameMap;
///
/// let mut rolls: NameMap<&str, usize> = NameMap::default();
/// rolls.insert("R-17", 0);
/// assert_eq!(rolls.get("R-17"), Some(&0));
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
}
