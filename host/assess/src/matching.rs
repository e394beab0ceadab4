//! Need → ranked solutions.
//!
//! [`rank`] takes a [`Need`] and the [`Candidate`]s the server knows (one per listed version),
//! drops those that fail a **hard filter**, scores the rest and sorts them.
//!
//! Hard filters, each reported as a [`Rejection`] (a code, its figures, and text in both
//! languages when serialized) in [`Matches::rejected`]:
//! - approved by a reviewer and not suspended;
//! - serves the need's industry;
//! - covers at least one needed scene;
//! - **price within budget**: `deploy_cny + per_1k_runs_cny × expected_runs / 1000 ≤ budget_cny`,
//!   where `expected_runs` is the need's own figure or [`MatchConfig::default_expected_runs`]
//!   (10,000: about 30 runs a day for a year);
//! - `deploy_days ≤ deadline_days`.
//!
//! Soft score, 0–100: `100 × Σ wᵢ·vᵢ / Σ wᵢ` over six components `vᵢ ∈ [0, 1]` with the weights
//! of [`Weights`]:
//! - `coverage` (default 30): needed scenes covered, each weighing `constrained_scene_weight` (2) when
//!   constrained (约束性) and 1 otherwise, over the weight of all needed scenes;
//! - `uplift` (default 15): `(min(target, need.target) − from) / (need.target − from)` clamped to
//!   [0, 1], `from` the enterprise's current level (0 when unknown); when the need's target is
//!   not above `from`, 1 if the solution targets at least the need's level, else 0;
//! - `scorecard` (default 20): the conformance scorecard's overall score / 100 (or the mean of its
//!   sub-scores); `unscored` (0.5) when the version has none yet;
//! - `price` (default 15): `1 − expected cost / budget` (1 when both are 0);
//! - `deploy` (default 10): `1 − (deploy_days − 1) / deadline_days`;
//! - `adoption` (default 10): `ln(1 + deployments) / ln(1 + adoption_saturation)` capped at 1
//!   (saturation 50).
//!
//! **Fit on the enterprise's data.** [`to_run`] lists the candidates that pass the hard filters
//! and whose declared input schema the need's sample tables satisfy ([`schema_fit`]); the
//! server runs those in the sandbox and records a [`DataFit`] on each candidate before calling
//! [`rank`]. A candidate that *failed* on the data is ranked below every candidate that did not
//! fail, whatever its score, with the failure as a reason; one that ran shows its findings and
//! cost.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use smelt_registry::Manifest;
use smelt_registry::manifest::{Bilingual, Industry, Scene};

use crate::assess::level_name;
use crate::index::Index;
use crate::{Error, Result};

/// What an enterprise needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    /// Its industry.
    pub industry: Industry,
    /// The scenes it wants improved (at least one, no repeats).
    pub scenes: Vec<Scene>,
    /// The digital level (1–4) it aims for.
    pub target_level: u8,
    /// Its level now (0–4), from its latest assessment, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_level: Option<u8>,
    /// Budget, CNY.
    pub budget_cny: f64,
    /// Days until the solution must be deployed.
    pub deadline_days: u32,
    /// Runs expected within the budget; `None` = [`MatchConfig::default_expected_runs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_runs: Option<u64>,
    /// The shapes of the sample tables it supplied, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_tables: Vec<TableShape>,
}

/// A column type of the WIT contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// `float64`.
    Float64,
    /// `int64`.
    Int64,
    /// `text`.
    Text,
    /// `boolean`.
    Boolean,
}

/// A named, typed column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDecl {
    /// Column name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

/// A sample table as supplied: its columns and row count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableShape {
    /// Table name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<ColumnDecl>,
    /// Its rows.
    pub rows: u32,
}

/// An input table a solution declares (`describe().inputs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDecl {
    /// Table name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<ColumnDecl>,
    /// Fewest rows accepted.
    #[serde(default)]
    pub min_rows: u32,
}

/// A solution's declared input schema.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSchema {
    /// Declared input tables.
    pub tables: Vec<TableDecl>,
}

/// A conformance scorecard summary, 0–100.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// Overall score, if the scorecard has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<f64>,
    /// Sub-scores (small, fast, light, precise, safe …); their mean stands in for `overall`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_scores: Vec<(String, f64)>,
}

impl Scorecard {
    /// Overall score in 0–100: `overall`, else the mean of the sub-scores; `None` if neither.
    pub fn score(&self) -> Option<f64> {
        let raw = match self.overall {
            Some(o) => o,
            None if self.sub_scores.is_empty() => return None,
            None => {
                self.sub_scores.iter().map(|(_, v)| v).sum::<f64>() / self.sub_scores.len() as f64
            }
        };
        raw.is_finite().then(|| raw.clamp(0.0, 100.0))
    }
}

/// The result of running a candidate on the enterprise's sample tables in the sandbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DataFit {
    /// It ran.
    Ran {
        /// Findings reported.
        findings: u32,
        /// Cost of the run, CNY.
        cost_cny: f64,
    },
    /// It failed (solution error, limit exceeded, …).
    Failed {
        /// Why.
        reason: String,
    },
    /// It was not run.
    NotApplicable {
        /// Why (no sample tables, schema not satisfied, …).
        reason: String,
    },
}

/// What the server knows about one listed version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Title, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Bilingual>,
    /// Industries served.
    pub industries: Vec<Industry>,
    /// Scenes served.
    pub scenes: Vec<Scene>,
    /// Level (1–4) it helps reach.
    pub target_level: u8,
    /// One-off price, CNY.
    pub deploy_cny: f64,
    /// Price per 1,000 runs, CNY.
    pub per_1k_runs_cny: f64,
    /// Days to deploy.
    pub deploy_days: u16,
    /// Approved by a reviewer.
    pub approved: bool,
    /// Suspended (动态调整).
    pub suspended: bool,
    /// Conformance scorecard summary, if reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<Scorecard>,
    /// Enterprises that deployed it.
    #[serde(default)]
    pub adoption: u32,
    /// Declared input schema, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<InputSchema>,
    /// Result on the need's sample tables, filled in by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<DataFit>,
}

impl Candidate {
    /// A candidate from a manifest's listing: not approved, not suspended, no scorecard, no
    /// adoption, no schema; the server fills those in.
    pub fn from_manifest(m: &Manifest) -> Candidate {
        let l = &m.listing;
        Candidate {
            name: m.package.name.to_string(),
            version: m.package.version.to_string(),
            title: Some(l.title.clone()),
            industries: l.industries.clone(),
            scenes: l.scenes.clone(),
            target_level: l.target_level,
            deploy_cny: l.price.deploy_cny,
            per_1k_runs_cny: l.price.per_1k_runs_cny,
            deploy_days: l.deploy_days,
            approved: false,
            suspended: false,
            scorecard: None,
            adoption: 0,
            input_schema: None,
            fit: None,
        }
    }

    /// Expected cost for `runs` runs: `deploy_cny + per_1k_runs_cny × runs / 1000`.
    pub fn expected_cost(&self, runs: u64) -> f64 {
        self.deploy_cny + self.per_1k_runs_cny * runs as f64 / 1000.0
    }
}

/// Weights of the soft-score components; only their ratios matter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Coverage of the needed scenes.
    pub coverage: f64,
    /// Level uplift.
    pub uplift: f64,
    /// Conformance scorecard.
    pub scorecard: f64,
    /// Price against the budget.
    pub price: f64,
    /// Deploy days against the deadline.
    pub deploy: f64,
    /// Adoption.
    pub adoption: f64,
}

impl Default for Weights {
    /// Fit to the need first (coverage 30 + uplift 15), then quality (scorecard 20), then what
    /// it costs in money and time (15 + 10), then what others chose (10).
    fn default() -> Weights {
        Weights {
            coverage: 30.0,
            uplift: 15.0,
            scorecard: 20.0,
            price: 15.0,
            deploy: 10.0,
            adoption: 10.0,
        }
    }
}

/// Matching configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchConfig {
    /// Component weights.
    pub weights: Weights,
    /// Weight of a constrained needed scene relative to 1 for the others (default 2: the 2024
    /// rule counts constrained scenes separately, so they are the scarcer ones).
    pub constrained_scene_weight: f64,
    /// Constrained scenes; `None` = those flagged 1 in the index.
    pub constrained_scenes: Option<Vec<Scene>>,
    /// Runs assumed when a need gives none (default 10,000: about 30 a day for a year).
    pub default_expected_runs: u64,
    /// Deployments at which the adoption component reaches 1 (default 50).
    pub adoption_saturation: u32,
    /// Scorecard component of a version not yet scored (default 0.5: neither rewarded nor
    /// punished for being new).
    pub unscored: f64,
}

impl Default for MatchConfig {
    fn default() -> MatchConfig {
        MatchConfig {
            weights: Weights::default(),
            constrained_scene_weight: 2.0,
            constrained_scenes: None,
            default_expected_runs: 10_000,
            adoption_saturation: 50,
            unscored: 0.5,
        }
    }
}

impl MatchConfig {
    /// Checks that weights are finite and ≥ 0 with a positive sum, and the rest in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, reason: &str| Error::InvalidConfig {
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        let w = &self.weights;
        for (name, v) in w.named() {
            if !v.is_finite() || v < 0.0 {
                return Err(bad(
                    &format!("weights.{name}"),
                    "must be a finite number >= 0",
                ));
            }
        }
        if w.named().iter().map(|(_, v)| v).sum::<f64>() <= 0.0 {
            return Err(bad("weights", "must not all be 0"));
        }
        if !self.constrained_scene_weight.is_finite() || self.constrained_scene_weight <= 0.0 {
            return Err(bad(
                "constrained_scene_weight",
                "must be a finite number > 0",
            ));
        }
        if self.adoption_saturation == 0 {
            return Err(bad("adoption_saturation", "must be > 0"));
        }
        if !(0.0..=1.0).contains(&self.unscored) {
            return Err(bad("unscored", "must be within 0-1"));
        }
        Ok(())
    }

    fn constrained(&self) -> BTreeSet<Scene> {
        match &self.constrained_scenes {
            Some(list) => list.iter().copied().collect(),
            None => Index::official().flagged_constrained(),
        }
    }
}

impl Weights {
    fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("coverage", self.coverage),
            ("uplift", self.uplift),
            ("scorecard", self.scorecard),
            ("price", self.price),
            ("deploy", self.deploy),
            ("adoption", self.adoption),
        ]
    }
}

/// One component of a match's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Component {
    /// `coverage`, `uplift`, `scorecard`, `price`, `deploy`, `adoption`.
    pub name: &'static str,
    /// Its value, 0–1.
    pub value: f64,
    /// Its share of the score (weight / sum of weights).
    pub share: f64,
    /// Points it adds: `100 × share × value`.
    pub points: f64,
}

/// A ranked candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Match {
    /// 1-based rank.
    pub rank: usize,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Title, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Bilingual>,
    /// Soft score, 0–100.
    pub score: f64,
    /// The score's components.
    pub breakdown: Vec<Component>,
    /// Expected cost, CNY.
    pub expected_cost_cny: f64,
    /// Needed scenes it covers.
    pub covered: Vec<Scene>,
    /// Needed scenes it does not.
    pub missing: Vec<Scene>,
    /// Its result on the sample data, if run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<DataFit>,
    /// Why, in the order shown: coverage, missing scenes (if any), level, scorecard, cost,
    /// deploy days, adoption, fit on the sample data (if run).
    pub reasons: Vec<Reason>,
}

/// Why a candidate ranks where it does: a stable code and the figures behind it, formatted in
/// both languages only when asked for ([`Reason::text`]) or serialized (`{"code", "zh",
/// "en"}`), so [`rank`] itself formats nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// The needed scenes it covers (each with whether it is constrained), of `needed`, and
    /// their share of the needed scenes' weight, %.
    Covers {
        /// Covered scenes, constrained or not.
        scenes: Vec<(Scene, bool)>,
        /// Needed scenes.
        needed: usize,
        /// Covered share by weight, %.
        share_pct: f64,
    },
    /// The needed scenes it does not cover.
    Misses {
        /// Missing scenes, constrained or not.
        scenes: Vec<(Scene, bool)>,
    },
    /// The level it targets against the need's.
    Level {
        /// The solution's target level.
        target: u8,
        /// The need's target level.
        need_target: u8,
        /// The enterprise's level now.
        now: u8,
    },
    /// Its conformance score (0–100), if scored.
    Scorecard {
        /// The score.
        score: Option<f64>,
    },
    /// Expected cost against the budget.
    Cost {
        /// Expected cost, CNY.
        cost_cny: f64,
        /// One-off price, CNY.
        deploy_cny: f64,
        /// Price per 1,000 runs, CNY.
        per_1k_runs_cny: f64,
        /// Runs the cost assumes.
        runs: u64,
        /// The need's budget, CNY.
        budget_cny: f64,
    },
    /// Days to deploy against the deadline.
    Deploy {
        /// Days to deploy.
        deploy_days: u16,
        /// The need's deadline, days.
        deadline_days: u32,
    },
    /// Enterprises that deployed it.
    Adoption {
        /// Deployments.
        deployments: u32,
    },
    /// Its result on the need's sample data.
    Fit(DataFit),
}

impl Reason {
    /// The stable code: `covers`, `misses`, `level`, `scorecard`, `cost`, `deploy`,
    /// `adoption` or `fit`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Covers { .. } => "covers",
            Reason::Misses { .. } => "misses",
            Reason::Level { .. } => "level",
            Reason::Scorecard { .. } => "scorecard",
            Reason::Cost { .. } => "cost",
            Reason::Deploy { .. } => "deploy",
            Reason::Adoption { .. } => "adoption",
            Reason::Fit(_) => "fit",
        }
    }

    /// The reason in both languages.
    pub fn text(&self) -> Bilingual {
        match self {
            Reason::Covers {
                scenes,
                needed,
                share_pct,
            } => text(
                format!(
                    "覆盖所需场景 {}（{} / {needed}，按权重 {share_pct:.0}%）",
                    scene_list(scenes, "、", "（约束性）"),
                    scenes.len(),
                ),
                format!(
                    "covers {} ({} of {needed} needed scenes, {share_pct:.0}% by weight)",
                    scene_list(scenes, ", ", " (constrained)"),
                    scenes.len(),
                ),
            ),
            Reason::Misses { scenes } => text(
                format!("未覆盖 {}", scene_list(scenes, "、", "（约束性）")),
                format!(
                    "does not cover {}",
                    scene_list(scenes, ", ", " (constrained)")
                ),
            ),
            Reason::Level {
                target,
                need_target,
                now,
            } => {
                let (cn, tn, fname) = (
                    level_name(*target),
                    level_name(*need_target),
                    level_name(*now),
                );
                text(
                    format!("面向{}，需求目标{}（当前{}）", cn.zh, tn.zh, fname.zh),
                    format!(
                        "targets {}, the need aims at {} (now {})",
                        cn.en, tn.en, fname.en
                    ),
                )
            }
            Reason::Scorecard { score: Some(s) } => text(
                format!("评测得分 {s:.0}/100"),
                format!("conformance scorecard {s:.0}/100"),
            ),
            Reason::Scorecard { score: None } => {
                text("尚无评测得分".into(), "no conformance scorecard yet".into())
            }
            Reason::Cost {
                cost_cny,
                deploy_cny,
                per_1k_runs_cny,
                runs,
                budget_cny,
            } => text(
                format!(
                    "预计费用 {cost_cny:.2} 元（部署 {deploy_cny:.2} 元 + {runs} 次运行 × {per_1k_runs_cny:.2} 元/千次），预算 {budget_cny:.2} 元"
                ),
                format!(
                    "expected cost {cost_cny:.2} CNY (deploy {deploy_cny:.2} + {runs} runs at {per_1k_runs_cny:.2}/1k) of a {budget_cny:.2} CNY budget"
                ),
            ),
            Reason::Deploy {
                deploy_days,
                deadline_days,
            } => text(
                format!("部署 {deploy_days} 天，期限 {deadline_days} 天"),
                format!("deploys in {deploy_days} days, deadline {deadline_days} days"),
            ),
            Reason::Adoption { deployments } => text(
                format!("已有 {deployments} 家企业部署"),
                format!("deployed by {deployments} enterprises"),
            ),
            Reason::Fit(DataFit::Ran { findings, cost_cny }) => text(
                format!("已在贵企业样例数据上运行成功：{findings} 条发现，费用 {cost_cny:.4} 元"),
                format!("ran on your sample data: {findings} findings, cost {cost_cny:.4} CNY"),
            ),
            Reason::Fit(DataFit::Failed { reason }) => text(
                format!("在贵企业样例数据上运行失败：{reason}；排在运行成功的方案之后"),
                format!(
                    "failed on your sample data: {reason}; ranked below the solutions that did not fail"
                ),
            ),
            Reason::Fit(DataFit::NotApplicable { reason }) => text(
                format!("未在样例数据上运行：{reason}"),
                format!("not run on your sample data: {reason}"),
            ),
        }
    }
}

/// `{"code", "zh", "en"}`: the text is formatted here, for what is serialized only.
fn serialize_coded<S: serde::Serializer>(
    serializer: S,
    code: &'static str,
    text: Bilingual,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut out = serializer.serialize_struct("Reason", 3)?;
    out.serialize_field("code", code)?;
    out.serialize_field("zh", &text.zh)?;
    out.serialize_field("en", &text.en)?;
    out.end()
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serialize_coded(serializer, self.code(), self.text())
    }
}

/// A candidate a hard filter removed. Borrows its name and version from the candidate: over
/// 10,000 listings nearly all are rejected, and copying them was most of [`rank`]'s work.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejected<'a> {
    /// Package name.
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Every filter it failed.
    pub reasons: Rejections,
}

/// The filters one candidate failed, held inline (no allocation per rejected candidate);
/// [`Rejections::iter`] gives them as [`Rejection`]s, in [`Rejection::CODES`] order, and they
/// serialize as a list of those.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rejections {
    /// Bit `i` set: failed the filter of `Rejection::CODES[i]`.
    failed: u8,
    industry: Industry,
    cost_cny: f64,
    deploy_cny: f64,
    per_1k_runs_cny: f64,
    runs: u64,
    budget_cny: f64,
    deploy_days: u16,
    deadline_days: u32,
}

impl Rejections {
    /// True when every filter passed.
    pub fn is_empty(&self) -> bool {
        self.failed == 0
    }

    /// How many filters failed.
    pub fn len(&self) -> usize {
        self.failed.count_ones() as usize
    }

    /// The failed filters, in [`Rejection::CODES`] order.
    pub fn iter(&self) -> impl Iterator<Item = Rejection> + '_ {
        (0..Rejection::CODES.len())
            .filter(|bit| self.failed & (1 << bit) != 0)
            .map(|bit| match bit {
                0 => Rejection::NotApproved,
                1 => Rejection::Suspended,
                2 => Rejection::Industry {
                    industry: self.industry,
                },
                3 => Rejection::Scenes,
                4 => Rejection::OverBudget {
                    cost_cny: self.cost_cny,
                    deploy_cny: self.deploy_cny,
                    per_1k_runs_cny: self.per_1k_runs_cny,
                    runs: self.runs,
                    budget_cny: self.budget_cny,
                },
                _ => Rejection::PastDeadline {
                    deploy_days: self.deploy_days,
                    deadline_days: self.deadline_days,
                },
            })
    }
}

impl Matches<'_> {
    /// How many rejected candidates failed each filter, by [`Rejection::CODES`] (a candidate
    /// failing several counts under each).
    pub fn rejected_counts(&self) -> [(&'static str, usize); 6] {
        let mut counts = Rejection::CODES.map(|code| (code, 0));
        for r in &self.rejected {
            for (bit, count) in counts.iter_mut().enumerate() {
                count.1 += usize::from(r.reasons.failed & (1 << bit) != 0);
            }
        }
        counts
    }
}

impl Serialize for Rejections {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Why a hard filter removed a candidate: a stable code and the figures behind it. Matching
/// 10,000 listings rejects most of them; their sentences are formatted only when asked for
/// ([`Rejection::text`]) or serialized — as `{"code", "zh", "en"}` — not by [`rank`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rejection {
    /// Not approved by a reviewer.
    NotApproved,
    /// Suspended (动态调整).
    Suspended,
    /// Does not serve the need's industry.
    Industry {
        /// The need's industry.
        industry: Industry,
    },
    /// Covers none of the needed scenes.
    Scenes,
    /// Expected cost over the budget.
    OverBudget {
        /// Expected cost, CNY.
        cost_cny: f64,
        /// One-off price, CNY.
        deploy_cny: f64,
        /// Price per 1,000 runs, CNY.
        per_1k_runs_cny: f64,
        /// Runs the cost assumes.
        runs: u64,
        /// The need's budget, CNY.
        budget_cny: f64,
    },
    /// Deploys past the need's deadline.
    PastDeadline {
        /// Days to deploy.
        deploy_days: u16,
        /// The need's deadline, days.
        deadline_days: u32,
    },
}

impl Rejection {
    /// Every code, in the order [`rank`] checks the filters.
    pub const CODES: [&'static str; 6] = [
        "not_approved",
        "suspended",
        "industry",
        "scenes",
        "over_budget",
        "past_deadline",
    ];

    /// The stable code: one of [`Rejection::CODES`].
    pub fn code(&self) -> &'static str {
        Self::CODES[match self {
            Rejection::NotApproved => 0,
            Rejection::Suspended => 1,
            Rejection::Industry { .. } => 2,
            Rejection::Scenes => 3,
            Rejection::OverBudget { .. } => 4,
            Rejection::PastDeadline { .. } => 5,
        }]
    }

    /// The reason in both languages.
    pub fn text(&self) -> Bilingual {
        match *self {
            Rejection::NotApproved => {
                text("尚未通过评审".into(), "not approved by a reviewer".into())
            }
            Rejection::Suspended => text("已被暂停上架".into(), "suspended".into()),
            Rejection::Industry { industry } => text(
                format!("不服务于{}行业", industry.zh()),
                format!("does not serve the {} industry", industry.slug()),
            ),
            Rejection::Scenes => text(
                "不覆盖任何所需场景".into(),
                "covers none of the needed scenes".into(),
            ),
            Rejection::OverBudget {
                cost_cny,
                deploy_cny,
                per_1k_runs_cny,
                runs,
                budget_cny,
            } => text(
                format!("预计费用 {cost_cny:.2} 元超出预算 {budget_cny:.2} 元"),
                format!(
                    "expected cost {cost_cny:.2} CNY (deploy {deploy_cny:.2} + {runs} runs at {per_1k_runs_cny:.2}/1k) exceeds the budget of {budget_cny:.2} CNY"
                ),
            ),
            Rejection::PastDeadline {
                deploy_days,
                deadline_days,
            } => text(
                format!("部署需 {deploy_days} 天，超过期限 {deadline_days} 天"),
                format!("deploys in {deploy_days} days, past the deadline of {deadline_days} days"),
            ),
        }
    }
}

impl Serialize for Rejection {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serialize_coded(serializer, self.code(), self.text())
    }
}

/// The answer to a need (borrowing the rejected candidates' names from the candidates).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Matches<'a> {
    /// Runs the expected costs assume.
    pub expected_runs: u64,
    /// Candidates that pass the hard filters, best first.
    pub ranked: Vec<Match>,
    /// Candidates removed, in input order.
    pub rejected: Vec<Rejected<'a>>,
}

/// Whether sample tables satisfy a declared schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SchemaFit {
    /// Every declared table is there with every declared column of the declared type and
    /// enough rows (extra tables and columns are ignored).
    Satisfied,
    /// Something is missing; each problem named.
    Unsatisfied {
        /// The problems, e.g. `table batches: column L is text, declared float64`.
        problems: Vec<String>,
    },
    /// The solution declares no input tables (it works from params only), so sample tables
    /// say nothing about it.
    NoInputTables,
}

/// Checks sample tables against a declared schema.
pub fn schema_fit(samples: &[TableShape], schema: &InputSchema) -> SchemaFit {
    if schema.tables.is_empty() {
        return SchemaFit::NoInputTables;
    }
    let mut problems = Vec::new();
    for decl in &schema.tables {
        let Some(table) = samples.iter().find(|t| t.name == decl.name) else {
            problems.push(format!("table {} is missing", decl.name));
            continue;
        };
        for col in &decl.columns {
            match table.columns.iter().find(|c| c.name == col.name) {
                None => problems.push(format!(
                    "table {}: column {} is missing",
                    decl.name, col.name
                )),
                Some(c) if c.kind != col.kind => problems.push(format!(
                    "table {}: column {} is {}, declared {}",
                    decl.name,
                    col.name,
                    c.kind.name(),
                    col.kind.name()
                )),
                Some(_) => {}
            }
        }
        if table.rows < decl.min_rows {
            problems.push(format!(
                "table {}: {} rows, at least {} needed",
                decl.name, table.rows, decl.min_rows
            ));
        }
    }
    if problems.is_empty() {
        SchemaFit::Satisfied
    } else {
        SchemaFit::Unsatisfied { problems }
    }
}

impl ColumnType {
    /// The WIT name.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Float64 => "float64",
            ColumnType::Int64 => "int64",
            ColumnType::Text => "text",
            ColumnType::Boolean => "boolean",
        }
    }
}

impl Need {
    /// Checks the need: scenes non-empty without repeats, target 1–4, current 0–4, budget a
    /// finite number ≥ 0, sample table names unique.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, reason: String| Error::InvalidNeed {
            field: field.to_owned(),
            reason,
        };
        if self.scenes.is_empty() {
            return Err(bad("scenes", "must name at least one scene".into()));
        }
        let mut seen = BTreeSet::new();
        for s in &self.scenes {
            if !seen.insert(*s) {
                return Err(bad(
                    "scenes",
                    format!("lists {} ({}) twice", s.slug(), s.zh()),
                ));
            }
        }
        if !(1..=4).contains(&self.target_level) {
            return Err(bad(
                "target_level",
                format!("must be 1-4, found {}", self.target_level),
            ));
        }
        if let Some(c) = self.current_level
            && c > 4
        {
            return Err(bad("current_level", format!("must be 0-4, found {c}")));
        }
        if !self.budget_cny.is_finite() || self.budget_cny < 0.0 {
            return Err(bad(
                "budget_cny",
                format!("must be a finite number >= 0, found {}", self.budget_cny),
            ));
        }
        let mut names = BTreeSet::new();
        for t in &self.sample_tables {
            if !names.insert(t.name.as_str()) {
                return Err(bad(
                    "sample_tables",
                    format!("table {} is given twice", t.name),
                ));
            }
        }
        Ok(())
    }
}

fn text(zh: String, en: String) -> Bilingual {
    Bilingual { zh, en }
}

fn scene_list(scenes: &[(Scene, bool)], sep: &str, tag: &str) -> String {
    scenes
        .iter()
        .map(|(s, constrained)| {
            if *constrained {
                format!("{}{tag}", s.zh())
            } else {
                s.zh().to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// The filters a candidate fails (empty when it passes).
fn hard_filter(need: &Need, c: &Candidate, runs: u64) -> Rejections {
    let cost = c.expected_cost(runs);
    let failed = [
        !c.approved,
        c.suspended,
        !c.industries.contains(&need.industry),
        !need.scenes.iter().any(|s| c.scenes.contains(s)),
        cost > need.budget_cny,
        u32::from(c.deploy_days) > need.deadline_days,
    ]
    .iter()
    .enumerate()
    .fold(0u8, |bits, (i, failed)| bits | (u8::from(*failed) << i));
    Rejections {
        failed,
        industry: need.industry,
        cost_cny: cost,
        deploy_cny: c.deploy_cny,
        per_1k_runs_cny: c.per_1k_runs_cny,
        runs,
        budget_cny: need.budget_cny,
        deploy_days: c.deploy_days,
        deadline_days: need.deadline_days,
    }
}

/// The candidates to run on the need's sample tables: those passing the hard filters whose
/// declared schema the tables satisfy. Returns their positions in `candidates`. Empty when the
/// need has no sample tables.
pub fn to_run(need: &Need, candidates: &[Candidate], config: &MatchConfig) -> Result<Vec<usize>> {
    need.validate()?;
    config.validate()?;
    if need.sample_tables.is_empty() {
        return Ok(Vec::new());
    }
    let runs = need.expected_runs.unwrap_or(config.default_expected_runs);
    Ok(candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| hard_filter(need, c, runs).is_empty())
        .filter(|(_, c)| {
            c.input_schema
                .as_ref()
                .is_some_and(|s| schema_fit(&need.sample_tables, s) == SchemaFit::Satisfied)
        })
        .map(|(i, _)| i)
        .collect())
}

/// Ranks `candidates` for `need` (see the module doc for the filters and the score).
pub fn rank<'a>(
    need: &Need,
    candidates: &'a [Candidate],
    config: &MatchConfig,
) -> Result<Matches<'a>> {
    need.validate()?;
    config.validate()?;
    let runs = need.expected_runs.unwrap_or(config.default_expected_runs);
    let constrained = config.constrained();
    let weight_of = |s: &Scene| {
        if constrained.contains(s) {
            config.constrained_scene_weight
        } else {
            1.0
        }
    };
    let need_weight: f64 = need.scenes.iter().map(weight_of).sum();
    let weight_sum: f64 = config.weights.named().iter().map(|(_, w)| w).sum();
    let from = need.current_level.unwrap_or(0);
    let target = need.target_level;

    let mut ranked = Vec::new();
    // Most candidates are rejected when there are many: one allocation instead of regrowing.
    let mut rejected = Vec::with_capacity(candidates.len());
    for c in candidates {
        let reasons = hard_filter(need, c, runs);
        if !reasons.is_empty() {
            rejected.push(Rejected {
                name: &c.name,
                version: &c.version,
                reasons,
            });
            continue;
        }
        let (covered, missing): (Vec<Scene>, Vec<Scene>) =
            need.scenes.iter().partition(|s| c.scenes.contains(s));
        let coverage = covered.iter().map(weight_of).sum::<f64>() / need_weight;
        let uplift = if target > from {
            (f64::from(c.target_level.min(target)) - f64::from(from)) / f64::from(target - from)
        } else if c.target_level >= target {
            1.0
        } else {
            0.0
        }
        .clamp(0.0, 1.0);
        let card = c.scorecard.as_ref().and_then(Scorecard::score);
        let scorecard = card.map_or(config.unscored, |s| s / 100.0);
        let cost = c.expected_cost(runs);
        let price = if need.budget_cny > 0.0 {
            (1.0 - cost / need.budget_cny).clamp(0.0, 1.0)
        } else {
            1.0
        };
        // The hard filter guarantees 1 <= deploy_days <= deadline_days here.
        let deploy = 1.0 - f64::from(c.deploy_days - 1) / f64::from(need.deadline_days);
        let adoption = ((1.0 + f64::from(c.adoption)).ln()
            / (1.0 + f64::from(config.adoption_saturation)).ln())
        .min(1.0);

        let values = [coverage, uplift, scorecard, price, deploy, adoption];
        let breakdown: Vec<Component> = config
            .weights
            .named()
            .iter()
            .zip(values)
            .map(|((name, w), value)| {
                let share = w / weight_sum;
                Component {
                    name,
                    value,
                    share,
                    points: 100.0 * share * value,
                }
            })
            .collect();
        let score = breakdown.iter().map(|b| b.points).sum();

        let flagged = |scenes: &[Scene]| -> Vec<(Scene, bool)> {
            scenes
                .iter()
                .map(|s| (*s, constrained.contains(s)))
                .collect()
        };
        let mut reasons = vec![Reason::Covers {
            scenes: flagged(&covered),
            needed: need.scenes.len(),
            share_pct: coverage * 100.0,
        }];
        if !missing.is_empty() {
            reasons.push(Reason::Misses {
                scenes: flagged(&missing),
            });
        }
        reasons.extend([
            Reason::Level {
                target: c.target_level,
                need_target: target,
                now: from,
            },
            Reason::Scorecard { score: card },
            Reason::Cost {
                cost_cny: cost,
                deploy_cny: c.deploy_cny,
                per_1k_runs_cny: c.per_1k_runs_cny,
                runs,
                budget_cny: need.budget_cny,
            },
            Reason::Deploy {
                deploy_days: c.deploy_days,
                deadline_days: need.deadline_days,
            },
            Reason::Adoption {
                deployments: c.adoption,
            },
        ]);
        if let Some(fit) = &c.fit {
            reasons.push(Reason::Fit(fit.clone()));
        }
        ranked.push(Match {
            rank: 0,
            name: c.name.clone(),
            version: c.version.clone(),
            title: c.title.clone(),
            score,
            breakdown,
            expected_cost_cny: cost,
            covered,
            missing,
            fit: c.fit.clone(),
            reasons,
        });
    }
    let failed = |m: &Match| matches!(m.fit, Some(DataFit::Failed { .. }));
    ranked.sort_by(|a, b| {
        failed(a)
            .cmp(&failed(b))
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.version.cmp(&b.version))
    });
    for (i, m) in ranked.iter_mut().enumerate() {
        m.rank = i + 1;
    }
    Ok(Matches {
        expected_runs: runs,
        ranked,
        rejected,
    })
}
