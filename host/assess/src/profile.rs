//! Enterprise profile → size class, by 工信部联企业〔2011〕300号《中小企业划型标准规定》.
//!
//! Article 4 (二) 工业 reads:
//!
//! > 从业人员1000人以下或营业收入40000万元以下的为中小微型企业。其中，从业人员300人及以上，
//! > 且营业收入2000万元及以上的为中型企业；从业人员20人及以上，且营业收入300万元及以上的为
//! > 小型企业；从业人员20人以下或营业收入300万元以下的为微型企业。
//!
//! So, with E employees and R revenue in 万元 ("及以上" includes the bound, "以下" excludes it):
//!
//! - outside the SME range (large): **not** (E < 1000 **or** R < 40000), i.e. E ≥ 1000 **and**
//!   R ≥ 40000. An enterprise with 1,500 employees and 30,000 万元 is still an SME (medium);
//! - medium: E ≥ 300 and R ≥ 2000;
//! - small: E ≥ 20 and R ≥ 300 (and not medium);
//! - micro: E < 20 or R < 300.
//!
//! The three SME classes are tried from the top, so an SME that fails medium's pair of lower
//! bounds falls to small, then micro (the standard's own wording of micro is exactly the
//! complement of small's). Only the industry (工业) row applies: all four pilot sub-industries
//! are manufacturing.

use serde::{Deserialize, Serialize};
use smelt_registry::manifest::{Bilingual, Industry};

use crate::{Error, Result};

/// What an enterprise says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// One of the four pilot sub-industries.
    pub industry: Industry,
    /// 从业人员 (persons).
    pub employees: u32,
    /// 营业收入 of the last year, in 万元 (10,000 CNY).
    pub revenue_wan_cny: f64,
}

/// Size class of an industrial enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SizeClass {
    /// 微型企业.
    Micro,
    /// 小型企业.
    Small,
    /// 中型企业.
    Medium,
    /// 大型企业: outside the SME program.
    Large,
}

/// Bounds of the 工业 row, in persons and 万元.
const LARGE_EMPLOYEES: u32 = 1000;
const LARGE_REVENUE_WAN: f64 = 40_000.0;
const MEDIUM_EMPLOYEES: u32 = 300;
const MEDIUM_REVENUE_WAN: f64 = 2_000.0;
const SMALL_EMPLOYEES: u32 = 20;
const SMALL_REVENUE_WAN: f64 = 300.0;

impl SizeClass {
    /// Classifies an industrial enterprise (see the module doc for the text and its reading).
    pub fn industrial(employees: u32, revenue_wan_cny: f64) -> SizeClass {
        let (e, r) = (employees, revenue_wan_cny);
        if e >= LARGE_EMPLOYEES && r >= LARGE_REVENUE_WAN {
            SizeClass::Large
        } else if e >= MEDIUM_EMPLOYEES && r >= MEDIUM_REVENUE_WAN {
            SizeClass::Medium
        } else if e >= SMALL_EMPLOYEES && r >= SMALL_REVENUE_WAN {
            SizeClass::Small
        } else {
            SizeClass::Micro
        }
    }

    /// Whether the pilot serves it (micro, small and medium).
    pub fn in_program(self) -> bool {
        self != SizeClass::Large
    }

    /// Its name in both languages.
    pub fn name(self) -> Bilingual {
        let (zh, en) = match self {
            SizeClass::Micro => ("微型企业", "micro"),
            SizeClass::Small => ("小型企业", "small"),
            SizeClass::Medium => ("中型企业", "medium"),
            SizeClass::Large => ("大型企业（不在试点范围内）", "large (outside the program)"),
        };
        Bilingual {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// A profile's classification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    /// The class.
    pub size: SizeClass,
    /// Whether the pilot serves it.
    pub in_program: bool,
    /// The class's name.
    pub name: Bilingual,
    /// The standard applied.
    pub standard: &'static str,
}

impl Profile {
    /// Classifies the profile; revenue must be a finite number ≥ 0.
    pub fn classify(&self) -> Result<Classification> {
        if !self.revenue_wan_cny.is_finite() || self.revenue_wan_cny < 0.0 {
            return Err(Error::InvalidProfile {
                field: "revenue_wan_cny",
                reason: format!(
                    "must be a finite number >= 0 (万元), found {}",
                    self.revenue_wan_cny
                ),
            });
        }
        let size = SizeClass::industrial(self.employees, self.revenue_wan_cny);
        Ok(Classification {
            size,
            in_program: size.in_program(),
            name: size.name(),
            standard: "工信部联企业〔2011〕300号《中小企业划型标准规定》第四条（二）工业",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SizeClass::*;

    /// Every bound of the text, just below and at it.
    #[test]
    fn industrial_bounds() {
        let cases: &[(u32, f64, SizeClass, &str)] = &[
            (
                19,
                5_000.0,
                Micro,
                "人员 < 20 is micro whatever the revenue",
            ),
            (
                20,
                299.99,
                Micro,
                "收入 < 300万 is micro whatever the staff",
            ),
            (20, 300.0, Small, "both small bounds met, inclusive"),
            (299, 1_000_000.0, Small, "人员 < 300 cannot be medium"),
            (300, 1_999.0, Small, "收入 < 2000万 cannot be medium"),
            (300, 2_000.0, Medium, "both medium bounds met, inclusive"),
            (999, 100_000.0, Medium, "人员 < 1000: still an SME"),
            (
                5_000,
                39_999.0,
                Medium,
                "收入 < 40000万: still an SME although 人员 ≥ 1000",
            ),
            (1_000, 40_000.0, Large, "both large bounds met"),
            (
                10,
                50_000.0,
                Micro,
                "人员 < 20 with a large revenue: micro by the letter",
            ),
        ];
        for (e, r, want, why) in cases {
            assert_eq!(
                SizeClass::industrial(*e, *r),
                *want,
                "{e} persons, {r} 万元: {why}"
            );
        }
    }

    #[test]
    fn profile_classification() {
        let p = Profile {
            industry: Industry::Knitting,
            employees: 1_200,
            revenue_wan_cny: 45_000.0,
        };
        let c = p.classify().unwrap();
        assert_eq!(c.size, Large);
        assert!(!c.in_program);
        let bad = Profile {
            revenue_wan_cny: -1.0,
            ..p
        };
        assert!(
            bad.classify()
                .unwrap_err()
                .to_string()
                .contains("revenue_wan_cny")
        );
    }
}
