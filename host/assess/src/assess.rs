//! Scoring an answer sheet against the index, the level under a rule, and the gaps to the
//! levels above.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use smelt_registry::manifest::{Bilingual, Scene};

use crate::index::{Index, Item, ItemKind};
use crate::points::Points;
use crate::rules::{LevelRule, SceneRequirement};
use crate::{Error, Result};

/// What an enterprise answers: options per item, a level per scene.
///
/// Item keys are ids (`D1.S1.I1`) or area names (网络建设); scene keys are slugs (`quality`) or
/// Chinese names (质量管理). Items left out score 0 and scenes left out count as not reached
/// (level 0); the result lists both.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSheet {
    /// Answers per item.
    #[serde(default)]
    pub items: BTreeMap<String, ItemAnswer>,
    /// Self-rated level (1–4) per scene.
    #[serde(default)]
    pub scenes: BTreeMap<String, i64>,
}

/// The answer to one item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemAnswer {
    /// Option letters: one for a single-choice item, any for a multiple-choice one ("无" alone).
    pub options: Vec<String>,
    /// Evidence numbers keyed by the item's `formField` label (e.g. `其中生产设备数量为（台）`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, f64>,
}

impl ItemAnswer {
    /// An answer from letters written together: `ItemAnswer::letters("BC")`.
    pub fn letters(letters: &str) -> ItemAnswer {
        ItemAnswer {
            options: letters.chars().map(String::from).collect(),
            evidence: BTreeMap::new(),
        }
    }
}

impl AnswerSheet {
    /// Adds an answer (builder style, for tests and tools).
    pub fn item(mut self, key: &str, letters: &str) -> AnswerSheet {
        self.items
            .insert(key.to_owned(), ItemAnswer::letters(letters));
        self
    }

    /// Adds a scene level (builder style).
    pub fn scene(mut self, key: &str, level: i64) -> AnswerSheet {
        self.scenes.insert(key.to_owned(), level);
        self
    }
}

/// The result of an assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The rule applied.
    pub rule: String,
    /// Whether that rule has been checked against the official text.
    pub rule_verified: bool,
    /// Base score, 0–100 (sum of the dimensions).
    pub total: Points,
    /// Level 1–4, or 0 when below 一级.
    pub level: u8,
    /// The level's name (一级 / level 1; 未达一级 / below level 1).
    pub level_name: Bilingual,
    /// Scores per dimension, sub-area and item.
    pub dimensions: Vec<DimensionScore>,
    /// Every scene with its level (0 = not rated) and whether it is constrained under the rule.
    pub scenes: Vec<SceneLevel>,
    /// Items not answered (scored 0).
    pub unanswered_items: Vec<String>,
    /// Scenes not rated (counted as level 0).
    pub unrated_scenes: Vec<Scene>,
    /// What each level above this one needs; empty at level 4.
    pub gaps: Vec<LevelGap>,
}

/// A dimension's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    /// `D1` …
    pub id: String,
    /// 数字化基础 …
    pub name: String,
    /// Most points possible.
    pub points: Points,
    /// Points scored.
    pub score: Points,
    /// Its sub-areas.
    pub subareas: Vec<SubareaScore>,
}

/// A sub-area's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubareaScore {
    /// `D1.S1` …
    pub id: String,
    /// 设备系统 …
    pub name: String,
    /// Most points possible.
    pub points: Points,
    /// Points scored.
    pub score: Points,
    /// Its items.
    pub items: Vec<ItemScore>,
}

/// An item's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    /// `D1.S1.I1` …
    pub id: String,
    /// 网络建设 …
    pub area: String,
    /// Most points possible.
    pub points: Points,
    /// Points scored.
    pub score: Points,
    /// Whether it was answered (unanswered = 0).
    pub answered: bool,
    /// The letters chosen, in index order.
    pub options: Vec<String>,
    /// The evidence given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, f64>,
}

/// A scene and its level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneLevel {
    /// The scene.
    pub scene: Scene,
    /// Its Chinese name.
    pub zh: String,
    /// Constrained (约束性) under the rule applied.
    pub constrained: bool,
    /// 1–4, 0 when not rated.
    pub level: u8,
}

/// What a level above the current one needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelGap {
    /// The level (current + 1 … 4).
    pub level: u8,
    /// Base score missing, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseGap>,
    /// Scenes missing, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenes: Option<SceneGap>,
    /// The fewest items whose headroom (points not yet scored) covers the base shortfall,
    /// largest headroom first; empty when the base score suffices.
    pub items: Vec<Headroom>,
    /// The gap in words.
    pub messages: Vec<Bilingual>,
}

/// Base-score shortfall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaseGap {
    /// Needed.
    pub need: Points,
    /// Scored.
    pub have: Points,
    /// `need - have`.
    pub short: Points,
}

/// Scene shortfall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneGap {
    /// The requirement.
    pub requirement: SceneRequirement,
    /// Scenes at `at_least` or higher now.
    pub have: u32,
    /// Constrained scenes among them.
    pub have_constrained: u32,
    /// The fewest scenes to raise (constrained first where those are short, then the ones
    /// nearest the level), each from its level to `at_least`.
    pub raise: Vec<SceneRaise>,
}

/// One scene to raise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneRaise {
    /// The scene.
    pub scene: Scene,
    /// Its Chinese name.
    pub zh: String,
    /// Constrained under the rule.
    pub constrained: bool,
    /// Its level now.
    pub from: u8,
    /// The level it needs.
    pub to: u8,
}

/// Points an item could still add.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Headroom {
    /// Item id.
    pub item: String,
    /// Area name.
    pub area: String,
    /// Points not yet scored.
    pub headroom: Points,
    /// Options that would add them (the best option of a single-choice item; the options not
    /// yet chosen of a multiple-choice one).
    pub options: Vec<String>,
}

const LEVEL_ZH: [&str; 5] = ["未达一级", "一级", "二级", "三级", "四级"];

/// The name of a level 0–4 in both languages.
pub fn level_name(level: u8) -> Bilingual {
    let l = usize::from(level.min(4));
    Bilingual {
        zh: LEVEL_ZH[l].to_owned(),
        en: if l == 0 {
            "below level 1".to_owned()
        } else {
            format!("level {l}")
        },
    }
}

/// A checked answer: the item and its chosen options.
struct Chosen<'a> {
    letters: BTreeSet<&'a str>,
    score: Points,
    evidence: BTreeMap<String, f64>,
}

/// Checks one answer against its item.
fn check_answer<'a>(item: &'a Item, answer: &ItemAnswer) -> Result<Chosen<'a>> {
    let (id, area) = (item.id.clone(), item.area.clone());
    if answer.options.is_empty() {
        return Err(Error::NoOption { item: id, area });
    }
    let mut letters = BTreeSet::new();
    for given in &answer.options {
        let letter = given.trim();
        let Some(option) = item.option(letter) else {
            return Err(Error::InvalidOption {
                item: id,
                area,
                option: given.clone(),
                expected: item
                    .options
                    .iter()
                    .map(|o| o.letter.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if !letters.insert(option.letter.as_str()) {
            return Err(Error::DuplicateOption {
                item: id,
                area,
                option: option.letter.clone(),
            });
        }
    }
    let joined = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
    match item.kind {
        ItemKind::Single if letters.len() > 1 => {
            return Err(Error::SingleChoice {
                item: id,
                area,
                count: letters.len(),
                options: joined(&letters),
            });
        }
        ItemKind::Multi => {
            if let Some(none) = item.none_option()
                && letters.len() > 1
                && letters.contains(none.letter.as_str())
            {
                let mut others = letters.clone();
                others.remove(none.letter.as_str());
                return Err(Error::NoneCombined {
                    item: id,
                    area,
                    none: none.letter.clone(),
                    others: joined(&others),
                });
            }
        }
        ItemKind::Single => {}
    }
    for (field, value) in &answer.evidence {
        if !item.evidence_fields.iter().any(|f| f == field) {
            return Err(Error::UnknownEvidence {
                item: id,
                area,
                field: field.clone(),
                expected: if item.evidence_fields.is_empty() {
                    "none".to_owned()
                } else {
                    item.evidence_fields.join(", ")
                },
            });
        }
        if !value.is_finite() || *value < 0.0 {
            return Err(Error::InvalidEvidence {
                item: id,
                area,
                field: field.clone(),
                value: *value,
            });
        }
    }
    let score = item
        .options
        .iter()
        .filter(|o| letters.contains(o.letter.as_str()))
        .map(|o| o.points)
        .sum();
    Ok(Chosen {
        letters,
        score,
        evidence: answer.evidence.clone(),
    })
}

/// Scores `sheet` under `rule`. Every malformed answer is an error naming it; see [`Error`].
pub fn assess(index: &Index, rule: &LevelRule, sheet: &AnswerSheet) -> Result<Assessment> {
    // Answers, keyed by item id.
    let mut chosen: BTreeMap<&str, Chosen<'_>> = BTreeMap::new();
    for (key, answer) in &sheet.items {
        let item = index
            .item(key)
            .ok_or_else(|| Error::UnknownItem { item: key.clone() })?;
        let c = check_answer(item, answer)?;
        if chosen.insert(item.id.as_str(), c).is_some() {
            return Err(Error::DuplicateItem {
                item: item.id.clone(),
                area: item.area.clone(),
            });
        }
    }

    // Scene levels.
    let mut rated: BTreeMap<Scene, u8> = BTreeMap::new();
    for (key, &level) in &sheet.scenes {
        let scene: Scene = key
            .parse()
            .map_err(|_| Error::UnknownScene { scene: key.clone() })?;
        if !(1..=4).contains(&level) {
            return Err(Error::SceneLevel {
                scene: scene.slug().to_owned(),
                zh: scene.zh().to_owned(),
                level,
            });
        }
        if rated.insert(scene, level as u8).is_some() {
            return Err(Error::DuplicateScene {
                scene: scene.slug().to_owned(),
                zh: scene.zh().to_owned(),
            });
        }
    }

    let mut unanswered = Vec::new();
    let dimensions: Vec<DimensionScore> = index
        .dimensions
        .iter()
        .map(|d| {
            let subareas: Vec<SubareaScore> = d
                .subareas
                .iter()
                .map(|s| {
                    let items: Vec<ItemScore> = s
                        .items
                        .iter()
                        .map(|i| match chosen.get(i.id.as_str()) {
                            Some(c) => ItemScore {
                                id: i.id.clone(),
                                area: i.area.clone(),
                                points: i.points,
                                score: c.score,
                                answered: true,
                                options: c.letters.iter().map(|l| (*l).to_owned()).collect(),
                                evidence: c.evidence.clone(),
                            },
                            None => {
                                unanswered.push(i.id.clone());
                                ItemScore {
                                    id: i.id.clone(),
                                    area: i.area.clone(),
                                    points: i.points,
                                    score: Points::ZERO,
                                    answered: false,
                                    options: Vec::new(),
                                    evidence: BTreeMap::new(),
                                }
                            }
                        })
                        .collect();
                    SubareaScore {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        points: s.points,
                        score: items.iter().map(|i| i.score).sum(),
                        items,
                    }
                })
                .collect();
            DimensionScore {
                id: d.id.clone(),
                name: d.name.clone(),
                points: d.points,
                score: subareas.iter().map(|s| s.score).sum(),
                subareas,
            }
        })
        .collect();
    let total: Points = dimensions.iter().map(|d| d.score).sum();

    let constrained = rule.constrained(index);
    let scenes: Vec<SceneLevel> = index
        .scenes
        .iter()
        .map(|s| SceneLevel {
            scene: s.scene,
            zh: s.scene.zh().to_owned(),
            constrained: constrained.contains(&s.scene),
            level: rated.get(&s.scene).copied().unwrap_or(0),
        })
        .collect();
    let unrated_scenes = scenes
        .iter()
        .filter(|s| s.level == 0)
        .map(|s| s.scene)
        .collect();

    let meets = |t: &crate::rules::LevelThreshold| {
        total >= t.min_base && t.scenes.is_none_or(|req| scene_gap(&scenes, req).is_none())
    };
    let level = rule.levels.iter().take_while(|t| meets(t)).count() as u8;

    let gaps = rule
        .levels
        .iter()
        .filter(|t| t.level > level)
        .map(|t| {
            let base = (total < t.min_base).then(|| BaseGap {
                need: t.min_base,
                have: total,
                short: t.min_base - total,
            });
            let items = base
                .as_ref()
                .map(|b| headroom(index, &chosen, b.short))
                .unwrap_or_default();
            let scenes = t.scenes.and_then(|req| scene_gap(&scenes, req));
            let messages = gap_messages(t.level, base.as_ref(), &items, scenes.as_ref());
            LevelGap {
                level: t.level,
                base,
                scenes,
                items,
                messages,
            }
        })
        .collect();

    Ok(Assessment {
        rule: rule.name.clone(),
        rule_verified: rule.verified,
        total,
        level,
        level_name: level_name(level),
        dimensions,
        scenes,
        unanswered_items: unanswered,
        unrated_scenes,
        gaps,
    })
}

/// The scenes short of `req`, or `None` when it is met.
fn scene_gap(scenes: &[SceneLevel], req: SceneRequirement) -> Option<SceneGap> {
    let reached = |s: &&SceneLevel| s.level >= req.at_least;
    let have = scenes.iter().filter(reached).count() as u32;
    let have_constrained = scenes
        .iter()
        .filter(reached)
        .filter(|s| s.constrained)
        .count() as u32;
    if have >= req.count && have_constrained >= req.constrained {
        return None;
    }
    // Below the level, nearest first, index order among equals (the sort is stable).
    let mut below: Vec<&SceneLevel> = scenes.iter().filter(|s| s.level < req.at_least).collect();
    below.sort_by_key(|s| std::cmp::Reverse(s.level));
    let mut raise: Vec<&SceneLevel> = below
        .iter()
        .filter(|s| s.constrained)
        .take(req.constrained.saturating_sub(have_constrained) as usize)
        .copied()
        .collect();
    let more = req.count.saturating_sub(have) as usize;
    let rest: Vec<&SceneLevel> = below
        .iter()
        .filter(|s| !raise.iter().any(|r| r.scene == s.scene))
        .take(more.saturating_sub(raise.len()))
        .copied()
        .collect();
    raise.extend(rest);
    Some(SceneGap {
        requirement: req,
        have,
        have_constrained,
        raise: raise
            .into_iter()
            .map(|s| SceneRaise {
                scene: s.scene,
                zh: s.zh.clone(),
                constrained: s.constrained,
                from: s.level,
                to: req.at_least,
            })
            .collect(),
    })
}

/// The fewest items whose headroom covers `short`, largest first (index order among equals).
fn headroom(index: &Index, chosen: &BTreeMap<&str, Chosen<'_>>, short: Points) -> Vec<Headroom> {
    let mut all: Vec<Headroom> = index
        .items()
        .filter_map(|item| {
            let (score, letters) = match chosen.get(item.id.as_str()) {
                Some(c) => (c.score, Some(&c.letters)),
                None => (Points::ZERO, None),
            };
            let room = item.points - score;
            (room > Points::ZERO).then(|| Headroom {
                item: item.id.clone(),
                area: item.area.clone(),
                headroom: room,
                options: match item.kind {
                    ItemKind::Single => item
                        .options
                        .iter()
                        .filter(|o| o.points == item.points)
                        .map(|o| o.letter.clone())
                        .collect(),
                    ItemKind::Multi => item
                        .options
                        .iter()
                        .filter(|o| o.points > Points::ZERO)
                        .filter(|o| letters.is_none_or(|l| !l.contains(o.letter.as_str())))
                        .map(|o| o.letter.clone())
                        .collect(),
                },
            })
        })
        .collect();
    all.sort_by_key(|h| std::cmp::Reverse(h.headroom));
    let mut covered = Points::ZERO;
    let mut out = Vec::new();
    for h in all {
        if covered >= short {
            break;
        }
        covered = covered + h.headroom;
        out.push(h);
    }
    out
}

fn gap_messages(
    level: u8,
    base: Option<&BaseGap>,
    items: &[Headroom],
    scenes: Option<&SceneGap>,
) -> Vec<Bilingual> {
    let name = level_name(level);
    let mut out = Vec::new();
    if let Some(b) = base {
        let list_en = items
            .iter()
            .map(|h| format!("{} ({}) +{}", h.area, h.item, h.headroom))
            .collect::<Vec<_>>()
            .join(", ");
        let list_zh = items
            .iter()
            .map(|h| format!("{}（{}）+{}", h.area, h.item, h.headroom))
            .collect::<Vec<_>>()
            .join("、");
        out.push(Bilingual {
            zh: format!(
                "基础得分 {} < {}所需 {}，差 {} 分；提升空间最大的题目：{list_zh}",
                b.have, name.zh, b.need, b.short
            ),
            en: format!(
                "base score {} < {} needed for {} ({}): short by {}; the items with the most headroom: {list_en}",
                b.have, b.need, name.zh, name.en, b.short
            ),
        });
    }
    if let Some(s) = scenes {
        let r = s.requirement;
        let list = |sep: &str| {
            s.raise
                .iter()
                .map(|x| x.zh.as_str())
                .collect::<Vec<_>>()
                .join(sep)
        };
        out.push(Bilingual {
            zh: format!(
                "{}需要至少 {} 个场景达到 {} 级（其中约束性场景至少 {} 个），现有 {} 个（约束性 {} 个）：请提升 {}",
                name.zh,
                r.count,
                r.at_least,
                r.constrained,
                s.have,
                s.have_constrained,
                list("、")
            ),
            en: format!(
                "need {} scenes at level >= {} ({} constrained) for {} ({}), have {} ({} constrained): raise {}",
                r.count,
                r.at_least,
                r.constrained,
                name.zh,
                name.en,
                s.have,
                s.have_constrained,
                list(", ")
            ),
        });
    }
    out
}

/// How a later assessment of the same enterprise differs from an earlier one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progression {
    /// Base score before and after.
    pub total: (Points, Points),
    /// Level before and after.
    pub level: (u8, u8),
    /// Per dimension: id, name, score before and after.
    pub dimensions: Vec<(String, String, Points, Points)>,
    /// Scenes whose level changed: scene, level before, level after.
    pub scenes: Vec<(Scene, u8, u8)>,
    /// Whether both were scored under the same rule (levels compare only then).
    pub same_rule: bool,
}

impl Assessment {
    /// Compares this (earlier) assessment with a `later` one.
    pub fn compare(&self, later: &Assessment) -> Progression {
        Progression {
            total: (self.total, later.total),
            level: (self.level, later.level),
            dimensions: self
                .dimensions
                .iter()
                .zip(&later.dimensions)
                .map(|(a, b)| (a.id.clone(), a.name.clone(), a.score, b.score))
                .collect(),
            scenes: self
                .scenes
                .iter()
                .zip(&later.scenes)
                .filter(|(a, b)| a.level != b.level)
                .map(|(a, b)| (a.scene, a.level, b.level))
                .collect(),
            same_rule: self.rule == later.rule,
        }
    }
}
