//! Program dashboard (产业监测): counts per industry, level distributions before and after, and
//! progress against the pilot's targets (kept in `data/pilot-targets.toml`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use smelt_registry::manifest::{Bilingual, Industry};

use crate::{Error, Result};

/// The targets shipped with the crate.
pub const PILOT_TARGETS_TOML: &str = include_str!("../data/pilot-targets.toml");

/// The pilot's targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotTargets {
    /// Enterprises transformed (530).
    pub enterprises_transformed: u32,
    /// Providers (32).
    pub providers: u32,
    /// Solutions across the four industries (450).
    pub solutions: u32,
    /// Benchmark enterprises (20).
    pub benchmark_enterprises: u32,
    /// Excellent providers (20).
    pub excellent_providers: u32,
    /// Excellent solutions (20).
    pub excellent_solutions: u32,
    /// Chain cases (10).
    pub chain_cases: u32,
    /// Level (1–4) an enterprise's latest assessment must reach, above its first, to count as
    /// transformed (2).
    pub transformed_min_level: u8,
}

impl PilotTargets {
    /// The shipped targets.
    ///
    /// # Panics
    /// If the shipped file is invalid; the crate's tests load it.
    pub fn official() -> &'static PilotTargets {
        static TARGETS: OnceLock<PilotTargets> = OnceLock::new();
        TARGETS.get_or_init(|| {
            PilotTargets::from_toml(PILOT_TARGETS_TOML).expect("the shipped targets are valid")
        })
    }

    /// Parses a targets file; every target must be > 0 and the level 1–4.
    pub fn from_toml(text: &str) -> Result<PilotTargets> {
        let t: PilotTargets = toml::from_str(text).map_err(|e| Error::InvalidConfig {
            field: "pilot targets".into(),
            reason: e.message().to_owned(),
        })?;
        for (name, v) in t.named() {
            if v == 0 {
                return Err(Error::InvalidConfig {
                    field: name.into(),
                    reason: "must be > 0".into(),
                });
            }
        }
        if !(1..=4).contains(&t.transformed_min_level) {
            return Err(Error::InvalidConfig {
                field: "transformed_min_level".into(),
                reason: format!("must be 1-4, found {}", t.transformed_min_level),
            });
        }
        Ok(t)
    }

    fn named(&self) -> [(&'static str, u32); 7] {
        [
            ("enterprises_transformed", self.enterprises_transformed),
            ("providers", self.providers),
            ("solutions", self.solutions),
            ("benchmark_enterprises", self.benchmark_enterprises),
            ("excellent_providers", self.excellent_providers),
            ("excellent_solutions", self.excellent_solutions),
            ("chain_cases", self.chain_cases),
        ]
    }
}

/// Counts for one industry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndustryCounts {
    /// Enterprises registered.
    pub enterprises: u32,
    /// Providers serving it.
    pub providers: u32,
    /// Listed (approved, not suspended) solutions serving it.
    pub solutions: u32,
    /// Deployments.
    pub deployments: u32,
    /// Trials.
    pub trials: u32,
}

/// An enterprise's first and latest assessed levels (0–4; `None` = not assessed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseLevels {
    /// Its industry.
    pub industry: Industry,
    /// Level of its first assessment.
    pub before: Option<u8>,
    /// Level of its latest assessment (the same as `before` when assessed once).
    pub after: Option<u8>,
}

/// What the server counts; distinct totals are given separately because a provider or a
/// solution may serve several industries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProgramCounts {
    /// Counts per industry.
    pub by_industry: BTreeMap<Industry, IndustryCounts>,
    /// Distinct providers.
    pub providers: u32,
    /// Distinct listed solutions.
    pub solutions: u32,
    /// Benchmark enterprises named.
    pub benchmark_enterprises: u32,
    /// Excellent providers named.
    pub excellent_providers: u32,
    /// Excellent solutions named.
    pub excellent_solutions: u32,
    /// Chain cases named.
    pub chain_cases: u32,
    /// Every enterprise's first and latest level.
    pub levels: Vec<EnterpriseLevels>,
}

/// Progress towards one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    /// Target key, e.g. `enterprises_transformed`.
    pub key: &'static str,
    /// Its name.
    pub name: Bilingual,
    /// Achieved.
    pub achieved: u32,
    /// Target.
    pub target: u32,
    /// `achieved / target × 100`, not capped.
    pub percent: f64,
    /// Whether it is met.
    pub met: bool,
}

/// Enterprises per level 0–4 (index = level; 0 = below 一级).
pub type LevelDistribution = [u32; 5];

/// The dashboard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dashboard {
    /// Counts per industry, as given.
    pub by_industry: BTreeMap<Industry, IndustryCounts>,
    /// Levels of first assessments, overall.
    pub levels_before: LevelDistribution,
    /// Levels of latest assessments, overall.
    pub levels_after: LevelDistribution,
    /// The same per industry: (before, after).
    pub levels_by_industry: BTreeMap<Industry, (LevelDistribution, LevelDistribution)>,
    /// Enterprises not assessed yet.
    pub not_assessed: u32,
    /// Enterprises transformed (see [`PilotTargets::transformed_min_level`]).
    pub transformed: u32,
    /// Progress against each target, in the order of the targets file.
    pub progress: Vec<Progress>,
}

/// Builds the dashboard. Levels above 4 are an error naming the enterprise's position.
pub fn dashboard(counts: &ProgramCounts, targets: &PilotTargets) -> Result<Dashboard> {
    let mut before = [0u32; 5];
    let mut after = [0u32; 5];
    let mut by_industry: BTreeMap<Industry, (LevelDistribution, LevelDistribution)> =
        BTreeMap::new();
    let mut not_assessed = 0;
    let mut transformed = 0;
    for (i, e) in counts.levels.iter().enumerate() {
        for (what, l) in [("before", e.before), ("after", e.after)] {
            if let Some(l) = l
                && l > 4
            {
                return Err(Error::InvalidConfig {
                    field: format!("levels[{i}].{what}"),
                    reason: format!("must be 0-4, found {l}"),
                });
            }
        }
        let entry = by_industry.entry(e.industry).or_default();
        match (e.before, e.after) {
            (None, None) => not_assessed += 1,
            (b, a) => {
                let b = b.or(a).unwrap_or(0);
                let a = a.unwrap_or(b);
                before[usize::from(b)] += 1;
                after[usize::from(a)] += 1;
                entry.0[usize::from(b)] += 1;
                entry.1[usize::from(a)] += 1;
                if a >= targets.transformed_min_level && a > b {
                    transformed += 1;
                }
            }
        }
    }
    let names: [(&str, &str); 7] = [
        ("改造企业", "enterprises transformed"),
        ("数字化服务商", "providers"),
        ("解决方案", "solutions"),
        ("标杆企业", "benchmark enterprises"),
        ("优秀服务商", "excellent providers"),
        ("优秀解决方案", "excellent solutions"),
        ("链式转型典型案例", "chain cases"),
    ];
    let achieved = [
        transformed,
        counts.providers,
        counts.solutions,
        counts.benchmark_enterprises,
        counts.excellent_providers,
        counts.excellent_solutions,
        counts.chain_cases,
    ];
    let progress = targets
        .named()
        .into_iter()
        .zip(names)
        .zip(achieved)
        .map(|(((key, target), (zh, en)), achieved)| Progress {
            key,
            name: Bilingual {
                zh: zh.into(),
                en: en.into(),
            },
            achieved,
            target,
            percent: f64::from(achieved) / f64::from(target) * 100.0,
            met: achieved >= target,
        })
        .collect();
    Ok(Dashboard {
        by_industry: counts.by_industry.clone(),
        levels_before: before,
        levels_after: after,
        levels_by_industry: by_industry,
        not_assessed,
        transformed,
        progress,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_targets() {
        let t = PilotTargets::official();
        assert_eq!(
            (t.enterprises_transformed, t.providers, t.solutions),
            (530, 32, 450)
        );
        assert_eq!(
            (
                t.benchmark_enterprises,
                t.excellent_providers,
                t.excellent_solutions,
                t.chain_cases
            ),
            (20, 20, 20, 10)
        );
        let err =
            PilotTargets::from_toml(&PILOT_TARGETS_TOML.replace("providers = 32", "providers = 0"))
                .unwrap_err();
        assert!(err.to_string().contains("`providers` must be > 0"), "{err}");
    }

    #[test]
    fn distributions_and_progress() {
        let lv = |industry, before, after| EnterpriseLevels {
            industry,
            before,
            after,
        };
        let counts = ProgramCounts {
            providers: 8,
            solutions: 450,
            chain_cases: 3,
            levels: vec![
                // 1 → 2: transformed.
                lv(Industry::Knitting, Some(1), Some(2)),
                // 2 → 2: already there, not transformed by the program.
                lv(Industry::Knitting, Some(2), Some(2)),
                // 0 → 1: better, but below 二级.
                lv(Industry::AutoParts, Some(0), Some(1)),
                // 2 → 4: transformed.
                lv(Industry::Electronics, Some(2), Some(4)),
                // assessed once: before = after = 3, not transformed.
                lv(Industry::Electronics, Some(3), None),
                lv(Industry::TextileDyeing, None, None),
            ],
            ..ProgramCounts::default()
        };
        let d = dashboard(&counts, PilotTargets::official()).unwrap();
        assert_eq!(d.levels_before, [1, 1, 2, 1, 0]);
        assert_eq!(d.levels_after, [0, 1, 2, 1, 1]);
        assert_eq!(d.not_assessed, 1);
        assert_eq!(d.transformed, 2);
        assert_eq!(
            d.levels_by_industry[&Industry::Knitting],
            ([0, 1, 1, 0, 0], [0, 0, 2, 0, 0])
        );
        let p = |key: &str| d.progress.iter().find(|p| p.key == key).unwrap().clone();
        // 2 of 530 = 0.377…%.
        assert!((p("enterprises_transformed").percent - 200.0 / 530.0).abs() < 1e-12);
        assert_eq!(p("providers").percent, 25.0);
        assert!(p("solutions").met);
        assert!(!p("chain_cases").met);
        assert_eq!(p("chain_cases").percent, 30.0);

        let mut bad = counts.clone();
        bad.levels[0].after = Some(5);
        assert!(
            dashboard(&bad, PilotTargets::official())
                .unwrap_err()
                .to_string()
                .contains("levels[0].after")
        );
    }
}
