//! Validated identifiers: once you hold one, it is valid.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::{Error, Result};

/// Longest package or account name (the rule is `[a-z][a-z0-9-]{1,63}`).
const MAX_NAME_LEN: usize = 64;

/// Checks the naming rule shared by packages and accounts, returning why a name breaks it.
pub(crate) fn name_problem(s: &str) -> Option<&'static str> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Some("must be 2 to 64 characters");
    }
    if bytes.len() > MAX_NAME_LEN {
        return Some("must be 2 to 64 characters");
    }
    if !bytes[0].is_ascii_lowercase() {
        return Some("must start with a lowercase ascii letter");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    {
        return Some("may hold only lowercase ascii letters, digits and '-'");
    }
    if bytes.ends_with(b"-") {
        return Some("must not end with '-'");
    }
    if s.contains("--") {
        return Some("must not contain '--'");
    }
    None
}

/// Cut user text for an error message so a huge input does not become a huge message.
fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Implements `Display`, `TryFrom<&str>`, `TryFrom<String>` and string-form serde for a type
/// that has `FromStr<Err = Error>` and `as_str`-like `Display` source.
macro_rules! string_newtype {
    ($ty:ty) => {
        impl TryFrom<&str> for $ty {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self> {
                s.parse()
            }
        }
        impl TryFrom<String> for $ty {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                s.parse()
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A package name: `[a-z][a-z0-9-]{1,63}`, no trailing or double `-`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

impl PackageName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PackageName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match name_problem(s) {
            None => Ok(PackageName(s.to_owned())),
            Some(reason) => Err(Error::InvalidName {
                name: excerpt(s),
                reason: reason.to_owned(),
            }),
        }
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_newtype!(PackageName);

/// A semver version without build metadata.
///
/// Build metadata is refused because semver ignores it for precedence: `1.0.0+a` and `1.0.0+b`
/// would be two spellings of one version, and a name@version must never be reused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(semver::Version);

impl Version {
    /// The underlying semver version.
    pub fn semver(&self) -> &semver::Version {
        &self.0
    }

    /// Whether this is a pre-release (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.0.pre.is_empty()
    }
}

impl FromStr for Version {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidVersion {
            version: excerpt(s),
            reason,
        };
        let v = semver::Version::parse(s).map_err(|e| invalid(e.to_string()))?;
        if !v.build.is_empty() {
            return Err(invalid("build metadata (`+...`) is not allowed".into()));
        }
        Ok(Version(v))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_newtype!(Version);

/// A semver version requirement (`^1.2`, `>=1, <2`, `=1.0.0-rc.1`, `*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionReq(semver::VersionReq);

impl VersionReq {
    /// Whether `version` satisfies the requirement. Pre-releases match only when a comparator
    /// names the same major.minor.patch with a pre-release (Cargo's rule).
    pub fn matches(&self, version: &Version) -> bool {
        self.0.matches(&version.0)
    }
}

impl FromStr for VersionReq {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        semver::VersionReq::parse(s)
            .map(VersionReq)
            .map_err(|e| Error::InvalidVersionReq {
                req: excerpt(s),
                reason: e.to_string(),
            })
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_newtype!(VersionReq);

/// A SHA-256 content digest, written `sha256:<64 lowercase hex>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    const PREFIX: &'static str = "sha256:";

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The digest of everything `reader` yields, read in bounded chunks.
    pub fn of_reader(mut reader: impl Read) -> std::io::Result<Digest> {
        // 256 KiB: large enough that the syscall cost vanishes next to hashing, small enough to
        // stay in L2.
        let mut buf = vec![0u8; 256 * 1024];
        let mut hasher = Sha256::new();
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Digest(hasher.finalize().into()))
    }

    /// The 64 lowercase hex digits, without the `sha256:` prefix (used as the blob file name).
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidDigest {
            digest: excerpt(s),
            reason: reason.to_owned(),
        };
        let hex_part = s
            .strip_prefix(Self::PREFIX)
            .ok_or_else(|| invalid("must start with `sha256:`"))?;
        if hex_part.len() != 64 {
            return Err(invalid("must have exactly 64 hex digits after `sha256:`"));
        }
        // Uppercase is refused so one digest has exactly one spelling (it names a file).
        if !hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid(
                "may hold only lowercase hex digits after `sha256:`",
            ));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|e| invalid(&e.to_string()))?;
        Ok(Digest(out))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

string_newtype!(Digest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "ab",
            "dye-lot-color-qc",
            "a1",
            &format!("a{}", "b".repeat(63)),
        ] {
            assert!(ok.parse::<PackageName>().is_ok(), "{ok}");
        }
        let cases = [
            ("a", "2 to 64"),
            (&*format!("a{}", "b".repeat(64)), "2 to 64"),
            ("1ab", "start with"),
            ("-ab", "start with"),
            ("Ab", "start with"),
            ("aB", "only lowercase"),
            ("a_b", "only lowercase"),
            ("ab-", "end with"),
            ("a--b", "'--'"),
        ];
        for (bad, why) in cases {
            let err = bad.parse::<PackageName>().unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.starts_with("invalid name"), "{err}");
        }
    }

    #[test]
    fn versions_and_reqs() {
        let v: Version = "1.2.3-rc.1".parse().unwrap();
        assert!(v.is_prerelease());
        assert_eq!(v.to_string(), "1.2.3-rc.1");
        for (bad, why) in [
            ("1.2", "unexpected end"),
            ("01.2.3", "leading zero"),
            ("1.2.3+build", "build metadata"),
            ("", "empty"),
        ] {
            let err = bad.parse::<Version>().unwrap_err().to_string();
            assert!(err.starts_with("invalid version `"), "{err}");
            assert!(err.contains(why), "{bad}: {err}");
        }
        let req: VersionReq = "^1.2".parse().unwrap();
        assert!(req.matches(&"1.9.0".parse().unwrap()));
        assert!(!req.matches(&"1.9.0-rc.1".parse().unwrap()));
        assert!(!req.matches(&"2.0.0".parse().unwrap()));
        let err = ">=>1".parse::<VersionReq>().unwrap_err().to_string();
        assert!(err.starts_with("invalid version requirement"), "{err}");
    }

    #[test]
    fn digests() {
        let d = Digest::of(b"abc");
        // FIPS 180-2 appendix B.1 test vector.
        assert_eq!(
            d.to_string(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert_eq!(Digest::of_reader(&b"abc"[..]).unwrap(), d);
        let hex = d.hex();
        for (bad, why) in [
            (hex.clone(), "must start with `sha256:`"),
            (format!("sha256:{}", &hex[1..]), "exactly 64"),
            (format!("sha256:{}", hex.to_uppercase()), "lowercase hex"),
            (format!("sha256:{}g", &hex[1..]), "lowercase hex"),
            (format!("md5:{hex}"), "must start with"),
        ] {
            let err = bad.parse::<Digest>().unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let n: PackageName = serde_json::from_str("\"dye-lot\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"dye-lot\"");
        assert!(serde_json::from_str::<PackageName>("\"Bad\"").is_err());
        assert!(serde_json::from_str::<Digest>("\"sha256:00\"").is_err());
    }
}
