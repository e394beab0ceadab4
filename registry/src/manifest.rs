//! `smelt.toml`, the package manifest published beside a component (see `docs/manifest.md`).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::{PackageName, Version};
use crate::{Error, Result};

/// A parsed and validated `smelt.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `[package]`: identity.
    pub package: PackageInfo,
    /// `[listing]`: how the catalog shows and filters it.
    pub listing: Listing,
    /// `[budget]`: declared resource limits.
    pub budget: Budget,
    /// `[[vectors]]`: test vectors from a published reference (may be empty).
    #[serde(default)]
    pub vectors: Vec<VectorRef>,
}

/// `[package]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageInfo {
    /// Package name.
    pub name: PackageName,
    /// Semver version.
    pub version: Version,
    /// The provider organisation as shown in the catalog (free text, not the owning account).
    pub provider: String,
    /// One-line summary.
    pub summary: String,
    /// SPDX licence expression.
    pub license: String,
}

/// `[listing]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// Title in both languages.
    pub title: Bilingual,
    /// Optional longer text in both languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Bilingual>,
    /// Sub-industries served (at least one, no repeats).
    pub industries: Vec<Industry>,
    /// Business stages (at least one, no repeats).
    pub stages: Vec<Stage>,
    /// Scenes of the 2024 index (at least one, no repeats).
    pub scenes: Vec<Scene>,
    /// The digital level (1-4) the solution helps reach.
    pub target_level: u8,
    /// Days to deploy, 1..=365.
    pub deploy_days: u16,
    /// Prices in CNY.
    pub price: Price,
}

/// Text in Chinese and English.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// `[listing.price]`, CNY.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// One-off deployment price, >= 0.
    #[serde(deserialize_with = "number")]
    pub deploy_cny: f64,
    /// Price per 1,000 runs, >= 0.
    #[serde(deserialize_with = "number")]
    pub per_1k_runs_cny: f64,
}

/// `[budget]`: declared, enforced by the host, verified by conformance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Fuel for a call with no rows, 1..=10^11.
    pub fuel_base: u64,
    /// Extra fuel per input row, 1..=10^9.
    pub fuel_per_row: u64,
    /// Linear-memory cap in MiB, 1..=1024.
    pub memory_mib: u32,
    /// Wall-clock cap per call in ms, 1..=60000.
    pub wall_ms: u32,
}

/// One `[[vectors]]` entry: files relative to the package directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorRef {
    /// Unique name of the vector.
    pub name: String,
    /// Input JSON file.
    pub input: String,
    /// Expected JSON file.
    pub expected: String,
    /// Absolute tolerance for every number compared, >= 0.
    #[serde(deserialize_with = "number")]
    pub tolerance: f64,
}

/// TOML distinguishes `800` from `800.0`; a price or tolerance should accept both.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        F(f64),
        I(i64),
    }
    match Num::deserialize(d) {
        Ok(Num::F(f)) => Ok(f),
        Ok(Num::I(i)) => Ok(i as f64),
        Err(_) => Err(serde::de::Error::custom("expected a number")),
    }
}

/// Declares a closed vocabulary: slug, Chinese name, and string-form serde accepting either.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $ty:ident, $what:literal, { $($(#[$vdoc:meta])* $var:ident = $slug:literal, $zh:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $ty { $($(#[$vdoc])* $var,)+ }

        impl $ty {
            /// Every value, in the order of the reference list.
            pub const ALL: &'static [$ty] = &[$($ty::$var,)+];

            /// The slug used in manifests, queries and storage.
            pub fn slug(self) -> &'static str {
                match self { $($ty::$var => $slug,)+ }
            }

            /// The Chinese name.
            pub fn zh(self) -> &'static str {
                match self { $($ty::$var => $zh,)+ }
            }
        }

        impl FromStr for $ty {
            type Err = Error;
            /// Accepts the slug or the Chinese name.
            fn from_str(s: &str) -> Result<Self> {
                let t = s.trim();
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.slug() == t || v.zh() == t)
                    .ok_or_else(|| Error::InvalidArgument {
                        what: $what,
                        reason: format!(
                            "expected one of {}, found `{}`",
                            $ty::ALL.iter().map(|v| format!("{} ({})", v.slug(), v.zh())).collect::<Vec<_>>().join(", "),
                            s
                        ),
                    })
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.slug())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.slug())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(|e| match e {
                    Error::InvalidArgument { reason, .. } => serde::de::Error::custom(reason),
                    other => serde::de::Error::custom(other),
                })
            }
        }
    };
}

vocabulary!(
    /// The four pilot sub-industries.
    Industry, "industry", {
        /// 针织或钩针编织物及其制造
        Knitting = "knitting", "针织或钩针编织物及其制造";
        /// 棉纺织或化纤纺织及印染精加工
        TextileDyeing = "textile-dyeing", "棉纺织或化纤纺织及印染精加工";
        /// 电子器件制造及配套
        Electronics = "electronics", "电子器件制造及配套";
        /// 汽车零部件及配件制造
        AutoParts = "auto-parts", "汽车零部件及配件制造";
    }
);

vocabulary!(
    /// Business stages (研产供销).
    Stage, "stage", {
        /// 研发设计
        Design = "design", "研发设计";
        /// 生产制造
        Production = "production", "生产制造";
        /// 采购供应
        Supply = "supply", "采购供应";
        /// 营销销售
        Sales = "sales", "营销销售";
    }
);

vocabulary!(
    /// The 16 scenes of the 2024 SME digital-level index.
    Scene, "scene", {
        /// 产品设计 (constrained)
        ProductDesign = "product-design", "产品设计";
        /// 工艺设计
        ProcessDesign = "process-design", "工艺设计";
        /// 营销管理 (constrained)
        Marketing = "marketing", "营销管理";
        /// 售后服务
        AfterSales = "after-sales", "售后服务";
        /// 计划排程
        Planning = "planning", "计划排程";
        /// 生产管控 (constrained)
        ProductionControl = "production-control", "生产管控";
        /// 质量管理 (constrained)
        Quality = "quality", "质量管理";
        /// 设备管理 (constrained)
        Equipment = "equipment", "设备管理";
        /// 安全生产 (constrained)
        Safety = "safety", "安全生产";
        /// 能耗管理 (constrained)
        Energy = "energy", "能耗管理";
        /// 采购管理 (constrained)
        Procurement = "procurement", "采购管理";
        /// 仓储物流 (constrained)
        Warehousing = "warehousing", "仓储物流";
        /// 财务管理 (constrained)
        Finance = "finance", "财务管理";
        /// 人力资源
        Hr = "hr", "人力资源";
        /// 协同办公
        Collaboration = "collaboration", "协同办公";
        /// 决策支持
        DecisionSupport = "decision-support", "决策支持";
    }
);

impl Scene {
    /// Whether the 2024 index marks the scene as constrained (约束性).
    pub fn constrained(self) -> bool {
        !matches!(
            self,
            Scene::ProcessDesign
                | Scene::AfterSales
                | Scene::Planning
                | Scene::Hr
                | Scene::Collaboration
                | Scene::DecisionSupport
        )
    }
}

/// Upper bound of `budget.fuel_base`: about a minute of Cranelift code, far past any small solution.
const MAX_FUEL_BASE: u64 = 100_000_000_000;
/// Upper bound of `budget.fuel_per_row`.
const MAX_FUEL_PER_ROW: u64 = 1_000_000_000;
/// Upper bound of `budget.memory_mib`: "light" solutions; the host's pool is sized from this.
const MAX_MEMORY_MIB: u32 = 1024;
/// Upper bound of `budget.wall_ms`: a call longer than a minute is not "fast".
const MAX_WALL_MS: u32 = 60_000;

fn bad(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidManifest {
        field: field.into(),
        message: message.into(),
    }
}

fn non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(bad(field, "expected non-empty text"));
    }
    Ok(())
}

fn in_range<T: PartialOrd + fmt::Display>(field: &str, value: T, lo: T, hi: T) -> Result<()> {
    if value < lo || value > hi {
        return Err(bad(field, format!("expected {lo}..={hi}, found {value}")));
    }
    Ok(())
}

fn non_negative(field: &str, value: f64) -> Result<()> {
    if !value.is_finite() || value < 0.0 {
        return Err(bad(
            field,
            format!("expected a finite number >= 0, found {value}"),
        ));
    }
    Ok(())
}

fn distinct_non_empty<T: Ord + Copy + fmt::Display>(field: &str, items: &[T]) -> Result<()> {
    if items.is_empty() {
        return Err(bad(field, "expected at least one entry"));
    }
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(*item) {
            return Err(bad(
                format!("{field}[{i}]"),
                format!("`{item}` is listed twice"),
            ));
        }
    }
    Ok(())
}

fn relative_path(field: &str, path: &str) -> Result<()> {
    non_empty(field, path)?;
    let escapes = path.starts_with('/')
        || path.starts_with('\\')
        || path.contains(':')
        || path.split(['/', '\\']).any(|part| part == "..");
    if escapes {
        return Err(bad(
            field,
            format!("expected a path inside the package directory, found `{path}`"),
        ));
    }
    Ok(())
}

impl Manifest {
    /// Parses and validates `smelt.toml` text. Every error names the field and what was expected.
    pub fn from_toml(text: &str) -> Result<Manifest> {
        let de = toml::Deserializer::parse(text).map_err(|e| {
            let at = e.span().map_or_else(String::new, |span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!(" at line {line}, column {column}")
            });
            bad(
                "(document)",
                format!("expected valid toml{at}: {}", e.message().trim()),
            )
        })?;
        let manifest: Manifest = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut field = e.path().to_string();
            let message = e.inner().message().to_owned();
            // serde reports a missing field at its parent; name the field itself.
            if let Some(missing) = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
            {
                field = if field == "." {
                    missing.to_owned()
                } else {
                    format!("{field}.{missing}")
                };
            }
            if field == "." {
                field = "(document)".to_owned();
            }
            bad(field, message)
        })?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks the rules serde cannot express (ranges, non-empty text, no repeats).
    pub fn validate(&self) -> Result<()> {
        let p = &self.package;
        non_empty("package.provider", &p.provider)?;
        non_empty("package.summary", &p.summary)?;
        non_empty("package.license", &p.license)?;

        let l = &self.listing;
        non_empty("listing.title.zh", &l.title.zh)?;
        non_empty("listing.title.en", &l.title.en)?;
        if let Some(d) = &l.description {
            non_empty("listing.description.zh", &d.zh)?;
            non_empty("listing.description.en", &d.en)?;
        }
        distinct_non_empty("listing.industries", &l.industries)?;
        distinct_non_empty("listing.stages", &l.stages)?;
        distinct_non_empty("listing.scenes", &l.scenes)?;
        in_range("listing.target_level", l.target_level, 1, 4)?;
        in_range("listing.deploy_days", l.deploy_days, 1, 365)?;
        non_negative("listing.price.deploy_cny", l.price.deploy_cny)?;
        non_negative("listing.price.per_1k_runs_cny", l.price.per_1k_runs_cny)?;

        let b = &self.budget;
        in_range("budget.fuel_base", b.fuel_base, 1, MAX_FUEL_BASE)?;
        in_range("budget.fuel_per_row", b.fuel_per_row, 1, MAX_FUEL_PER_ROW)?;
        in_range("budget.memory_mib", b.memory_mib, 1, MAX_MEMORY_MIB)?;
        in_range("budget.wall_ms", b.wall_ms, 1, MAX_WALL_MS)?;

        let mut names = BTreeSet::new();
        for (i, v) in self.vectors.iter().enumerate() {
            let at = |f: &str| format!("vectors[{i}].{f}");
            non_empty(&at("name"), &v.name)?;
            if !names.insert(v.name.as_str()) {
                return Err(bad(at("name"), format!("`{}` is used twice", v.name)));
            }
            relative_path(&at("input"), &v.input)?;
            relative_path(&at("expected"), &v.expected)?;
            non_negative(&at("tolerance"), v.tolerance)?;
        }
        Ok(())
    }

    /// Checks that the manifest is for `name@version` (e.g. the URL of a publish request).
    pub fn check_identity(&self, name: &PackageName, version: &Version) -> Result<()> {
        if &self.package.name != name {
            return Err(Error::ManifestMismatch {
                field: "package.name",
                requested: name.to_string(),
                manifest: self.package.name.to_string(),
            });
        }
        if &self.package.version != version {
            return Err(Error::ManifestMismatch {
                field: "package.version",
                requested: version.to_string(),
                manifest: self.package.version.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of `docs/manifest.md` (shared with the integration tests).
    const EXAMPLE: &str = include_str!("../tests/all/smelt.toml");

    #[test]
    fn parses_the_documented_example() {
        let m = Manifest::from_toml(EXAMPLE).unwrap();
        assert_eq!(m.package.name.as_str(), "dye-lot-color-qc");
        assert_eq!(m.listing.scenes, vec![Scene::Quality]);
        assert_eq!(m.listing.price.deploy_cny, 800.0);
        assert_eq!(m.vectors.len(), 1);
        // Stored as JSON in the database: must round-trip.
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
    }

    #[test]
    fn scene_accepts_chinese_name_and_normalises_to_slug() {
        let text = EXAMPLE.replace(
            r#"scenes = ["quality"]"#,
            r#"scenes = ["质量管理", "能耗管理"]"#,
        );
        let m = Manifest::from_toml(&text).unwrap();
        assert_eq!(m.listing.scenes, vec![Scene::Quality, Scene::Energy]);
        assert!(
            serde_json::to_string(&m)
                .unwrap()
                .contains(r#""scenes":["quality","energy"]"#)
        );
    }

    #[test]
    fn vocabulary_is_complete() {
        assert_eq!(Scene::ALL.len(), 16);
        assert_eq!(Scene::ALL.iter().filter(|s| s.constrained()).count(), 10);
        assert_eq!(Industry::ALL.len(), 4);
        assert_eq!(Stage::ALL.len(), 4);
        for s in Scene::ALL {
            assert_eq!(s.slug().parse::<Scene>().unwrap(), *s);
            assert_eq!(s.zh().parse::<Scene>().unwrap(), *s);
        }
    }

    #[test]
    fn integer_price_is_accepted() {
        let text = EXAMPLE.replace("deploy_cny = 800.0", "deploy_cny = 800");
        assert_eq!(
            Manifest::from_toml(&text).unwrap().listing.price.deploy_cny,
            800.0
        );
    }

    /// Each broken manifest gives its own error naming the field and what was expected.
    #[test]
    fn each_bad_manifest_names_its_field() {
        let cases: &[(&str, &str, &str, &str)] = &[
            // (find, replace with, field, words expected in the message)
            (
                "license = \"Apache-2.0\"\n",
                "license = \"Apache-2.0\"\ncolour = 1\n",
                "package.colour",
                "unknown field `colour`",
            ),
            (
                "license = \"Apache-2.0\"\n",
                "",
                "package.license",
                "missing field",
            ),
            (
                "name = \"dye-lot-color-qc\"",
                "name = \"Dye\"",
                "package.name",
                "must start with",
            ),
            (
                "version = \"0.1.0\"",
                "version = \"0.1\"",
                "package.version",
                "invalid version",
            ),
            (
                "version = \"0.1.0\"",
                "version = 1",
                "package.version",
                "expected a string",
            ),
            (
                "provider = \"smelt examples\"",
                "provider = \" \"",
                "package.provider",
                "non-empty",
            ),
            (
                "industries = [\"textile-dyeing\"]",
                "industries = [\"mining\"]",
                "listing.industries[0]",
                "expected one of knitting",
            ),
            (
                "industries = [\"textile-dyeing\"]",
                "industries = []",
                "listing.industries",
                "at least one",
            ),
            (
                "stages = [\"production\"]",
                "stages = [\"production\", \"production\"]",
                "listing.stages[1]",
                "listed twice",
            ),
            (
                "scenes = [\"quality\"]",
                "scenes = [\"quality\", \"cooking\"]",
                "listing.scenes[1]",
                "product-design (产品设计)",
            ),
            (
                "target_level = 2",
                "target_level = 5",
                "listing.target_level",
                "expected 1..=4, found 5",
            ),
            (
                "deploy_days = 1",
                "deploy_days = 0",
                "listing.deploy_days",
                "expected 1..=365",
            ),
            (
                "deploy_cny = 800.0",
                "deploy_cny = -1.0",
                "listing.price.deploy_cny",
                ">= 0",
            ),
            (
                "per_1k_runs_cny = 2.0",
                "per_1k_runs_cny = nan",
                "listing.price.per_1k_runs_cny",
                ">= 0",
            ),
            (
                "per_1k_runs_cny = 2.0",
                "per_1k_runs_cny = \"2\"",
                "listing.price.per_1k_runs_cny",
                "expected a number",
            ),
            (
                "title = { zh = \"染色批次色差质检\", en",
                "title = { zh = \"\", en",
                "listing.title.zh",
                "non-empty",
            ),
            (
                "fuel_base = 5000000",
                "fuel_base = 0",
                "budget.fuel_base",
                "expected 1..=100000000000",
            ),
            (
                "fuel_per_row = 50000",
                "fuel_per_row = 10000000000",
                "budget.fuel_per_row",
                "expected 1..=1000000000",
            ),
            (
                "memory_mib = 16",
                "memory_mib = 4096",
                "budget.memory_mib",
                "expected 1..=1024",
            ),
            (
                "memory_mib = 16",
                "memory_mib = -1",
                "budget.memory_mib",
                "u32",
            ),
            (
                "wall_ms = 1000",
                "wall_ms = 600000",
                "budget.wall_ms",
                "expected 1..=60000",
            ),
            (
                "input = \"vectors/sharma-2005.input.json\"",
                "input = \"../secret.json\"",
                "vectors[0].input",
                "inside the package",
            ),
            (
                "tolerance = 0.0001",
                "tolerance = -0.1",
                "vectors[0].tolerance",
                ">= 0",
            ),
            (
                "[budget]",
                "[budget",
                "(document)",
                "expected valid toml at line 20, column 8: unclosed table",
            ),
            ("[budget]", "[bugdet]", "bugdet", "unknown field `bugdet`"),
        ];
        let mut seen = BTreeSet::new();
        for (find, replace, field, words) in cases {
            assert!(EXAMPLE.contains(find), "case `{find}` does not apply");
            let text = EXAMPLE.replacen(find, replace, 1);
            let err = Manifest::from_toml(&text).unwrap_err();
            let Error::InvalidManifest {
                field: got,
                message,
            } = &err
            else {
                panic!("{find} -> {replace}: wrong error kind {err:?}");
            };
            assert_eq!(got, field, "{replace}: {message}");
            assert!(
                message.contains(words),
                "{replace}: `{message}` lacks `{words}`"
            );
            assert!(seen.insert(err.to_string()), "duplicate message {err}");
        }
    }

    #[test]
    fn identity_check() {
        let m = Manifest::from_toml(EXAMPLE).unwrap();
        let name: PackageName = "dye-lot-color-qc".parse().unwrap();
        m.check_identity(&name, &"0.1.0".parse().unwrap()).unwrap();
        let err = m
            .check_identity(&name, &"0.2.0".parse().unwrap())
            .unwrap_err();
        assert!(matches!(
            err,
            Error::ManifestMismatch {
                field: "package.version",
                ..
            }
        ));
        let err = m
            .check_identity(&"other".parse().unwrap(), &"0.1.0".parse().unwrap())
            .unwrap_err();
        assert!(matches!(
            err,
            Error::ManifestMismatch {
                field: "package.name",
                ..
            }
        ));
    }
}
