//! The 2024 SME digital-level index (中小企业数字化水平评测指标（2024年版）) as typed data.
//!
//! The JSON shipped in `data/sme-digital-level-2024.json` is parsed and checked once. Its `pts`
//! and option points are already **absolute** points (the `_source` formula
//! `dimension_pts × sub% × item% × option%` has been applied by the transcriber): 网络建设 has
//! `pts` 8 and options B–E of 2 points each, and 8 = 2 + 2 + 2 + 2; 设备系统 holds
//! 50 × 40 % = 20 points = 8 + 6 + 6. [`Index::from_json`] checks exactly that, for every item.
//!
//! Items are identified by stable positional ids `D<d>.S<s>.I<i>` (1-based: dimension, sub-area,
//! item, in the order of the index), e.g. `D1.S1.I1` = 网络建设. Answers may use the id or the
//! item's `area` name (网络建设), which is unique in the index.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use smelt_registry::manifest::Scene;

use crate::points::{Points, to_points};
use crate::{Error, Result};

/// The index JSON shipped with the crate.
pub const INDEX_JSON: &str = include_str!("../data/sme-digital-level-2024.json");

/// The whole index: scored dimensions and the 16 scenes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Index {
    /// 数字化基础, 数字化管理, 数字化成效, in order.
    pub dimensions: Vec<Dimension>,
    /// The 16 scenes of 数字化经营, in the order of the index.
    pub scenes: Vec<SceneInfo>,
}

/// A scored dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dimension {
    /// `D1`, `D2`, `D3`.
    pub id: String,
    /// e.g. 数字化基础.
    pub name: String,
    /// Its points out of 100.
    pub points: Points,
    /// Its sub-areas.
    pub subareas: Vec<Subarea>,
}

/// A sub-area of a dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subarea {
    /// e.g. `D1.S1`.
    pub id: String,
    /// e.g. 设备系统.
    pub name: String,
    /// Share of the dimension, %.
    pub weight_pct: f64,
    /// Its absolute points (= dimension points × weight %).
    pub points: Points,
    /// Its items.
    pub items: Vec<Item>,
}

/// Single or multiple choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// Exactly one option.
    Single,
    /// Options add up; "无" is 0 and excludes the others.
    Multi,
}

/// A question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    /// e.g. `D1.S1.I1`.
    pub id: String,
    /// e.g. 网络建设 (unique; accepted in place of the id).
    pub area: String,
    /// The question.
    pub title: String,
    /// Its absolute points.
    pub points: Points,
    /// Single or multiple choice.
    pub kind: ItemKind,
    /// The options, in order.
    pub options: Vec<ChoiceOption>,
    /// Numeric evidence fields the official form collects (`formField`), possibly none.
    pub evidence_fields: Vec<String>,
    /// How the figure is computed, if the form says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What in the transcription is doubtful.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

/// One option of an item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChoiceOption {
    /// `A`, `B`, …
    pub letter: String,
    /// The option's text.
    pub text: String,
    /// Its absolute points.
    pub points: Points,
}

/// One of the 16 scenes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SceneInfo {
    /// The scene.
    pub scene: Scene,
    /// e.g. 生产执行数字化.
    pub group: String,
    /// Flag 1 in the capture, read as 约束性 (constrained). The level rule may override.
    pub flagged_constrained: bool,
    /// Short descriptors of levels 1–4.
    pub levels: [String; 4],
}

impl Item {
    /// The option marked "无" (none), if the item has one.
    pub fn none_option(&self) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.text == NONE_TEXT)
    }

    /// The option with this letter.
    pub fn option(&self, letter: &str) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.letter == letter)
    }
}

/// The text of the "none" option.
pub(crate) const NONE_TEXT: &str = "无";

#[derive(Deserialize)]
struct RawIndex {
    scored_dimensions_total: f64,
    dimensions: Vec<RawDimension>,
    digital_operation_scenes: RawScenes,
}

#[derive(Deserialize)]
struct RawDimension {
    name: String,
    points: f64,
    subareas: Vec<RawSubarea>,
}

#[derive(Deserialize)]
struct RawSubarea {
    name: String,
    weight_pct: f64,
    points: f64,
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    area: String,
    pts: f64,
    #[serde(rename = "type")]
    kind: ItemKind,
    title: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default, rename = "formField")]
    form_field: Vec<String>,
    options: Vec<(String, String, f64)>,
    #[serde(default)]
    caveat: Option<String>,
}

#[derive(Deserialize)]
struct RawScenes {
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
struct RawGroup {
    group: String,
    scenes: Vec<RawScene>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct RawScene {
    scene: String,
    flag: u8,
    L1: String,
    L2: String,
    L3: String,
    L4: String,
}

fn bad(message: impl Into<String>) -> Error {
    Error::InvalidIndex(message.into())
}

fn points(what: &str, value: f64) -> Result<Points> {
    to_points(value).ok_or_else(|| {
        bad(format!(
            "{what}: {value} is not a number >= 0 in steps of 0.001"
        ))
    })
}

impl Index {
    /// The index shipped with the crate, parsed and checked on first use.
    ///
    /// # Panics
    /// If the shipped JSON is inconsistent; the crate's tests load it, so a release cannot.
    pub fn official() -> &'static Index {
        static INDEX: OnceLock<Index> = OnceLock::new();
        INDEX.get_or_init(|| Index::from_json(INDEX_JSON).expect("the shipped index is valid"))
    }

    /// Parses and checks index JSON in the shipped format: dimension points add up to
    /// `scored_dimensions_total` (100); each sub-area holds its dimension's points × its weight
    /// and the sum of its items; a single-choice item's best option is worth the item's points,
    /// a multiple-choice item's options (other than "无" = 0) add up to them; letters, ids and
    /// area names are unique; the scenes are exactly the 16 of the vocabulary, flagged 1 or 2.
    pub fn from_json(text: &str) -> Result<Index> {
        let raw: RawIndex =
            serde_json::from_str(text).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
        let total = points("scored_dimensions_total", raw.scored_dimensions_total)?;
        let mut dims = Vec::new();
        let mut areas = BTreeSet::new();
        for (d, rd) in raw.dimensions.into_iter().enumerate() {
            let did = format!("D{}", d + 1);
            let dpts = points(&rd.name, rd.points)?;
            let mut subs = Vec::new();
            let mut weight_sum = 0.0;
            for (s, rs) in rd.subareas.into_iter().enumerate() {
                let sid = format!("{did}.S{}", s + 1);
                let spts = points(&rs.name, rs.points)?;
                weight_sum += rs.weight_pct;
                let expected = rd.points * rs.weight_pct / 100.0;
                if (expected - rs.points).abs() > 1e-9 {
                    return Err(bad(format!(
                        "sub-area {sid} {}: {} points, but {} × {} % = {expected}",
                        rs.name, rs.points, rd.points, rs.weight_pct
                    )));
                }
                let mut items = Vec::new();
                for (i, ri) in rs.items.into_iter().enumerate() {
                    let item = check_item(format!("{sid}.I{}", i + 1), ri)?;
                    if !areas.insert(item.area.clone()) {
                        return Err(bad(format!("area name {} is used twice", item.area)));
                    }
                    items.push(item);
                }
                let sum: Points = items.iter().map(|i| i.points).sum();
                if sum != spts {
                    return Err(bad(format!(
                        "sub-area {sid} {}: items add up to {sum}, not {spts}",
                        rs.name
                    )));
                }
                subs.push(Subarea {
                    id: sid,
                    name: rs.name,
                    weight_pct: rs.weight_pct,
                    points: spts,
                    items,
                });
            }
            if (weight_sum - 100.0).abs() > 1e-9 {
                return Err(bad(format!(
                    "dimension {did} {}: sub-area weights add up to {weight_sum} %, not 100 %",
                    rd.name
                )));
            }
            let sum: Points = subs.iter().map(|s| s.points).sum();
            if sum != dpts {
                return Err(bad(format!(
                    "dimension {did} {}: sub-areas add up to {sum}, not {dpts}",
                    rd.name
                )));
            }
            dims.push(Dimension {
                id: did,
                name: rd.name,
                points: dpts,
                subareas: subs,
            });
        }
        let sum: Points = dims.iter().map(|d| d.points).sum();
        if sum != total {
            return Err(bad(format!("dimensions add up to {sum}, not {total}")));
        }

        let mut scenes = Vec::new();
        let mut seen = BTreeSet::new();
        for g in raw.digital_operation_scenes.groups {
            for rs in g.scenes {
                let scene: Scene = rs
                    .scene
                    .parse()
                    .map_err(|_| bad(format!("scene {} is not one of the 16", rs.scene)))?;
                if !seen.insert(scene) {
                    return Err(bad(format!("scene {} is listed twice", rs.scene)));
                }
                if rs.flag != 1 && rs.flag != 2 {
                    return Err(bad(format!(
                        "scene {}: flag {} is neither 1 nor 2",
                        rs.scene, rs.flag
                    )));
                }
                scenes.push(SceneInfo {
                    scene,
                    group: g.group.clone(),
                    flagged_constrained: rs.flag == 1,
                    levels: [rs.L1, rs.L2, rs.L3, rs.L4],
                });
            }
        }
        if scenes.len() != Scene::ALL.len() {
            return Err(bad(format!(
                "{} scenes, expected all {}",
                scenes.len(),
                Scene::ALL.len()
            )));
        }
        Ok(Index {
            dimensions: dims,
            scenes,
        })
    }

    /// Every item, in index order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.dimensions
            .iter()
            .flat_map(|d| &d.subareas)
            .flat_map(|s| &s.items)
    }

    /// The item with this id (`D1.S1.I1`) or area name (网络建设).
    pub fn item(&self, key: &str) -> Option<&Item> {
        let key = key.trim();
        self.items().find(|i| i.id == key || i.area == key)
    }

    /// The scenes flagged 1 (read as constrained) in the index.
    pub fn flagged_constrained(&self) -> BTreeSet<Scene> {
        self.scenes
            .iter()
            .filter(|s| s.flagged_constrained)
            .map(|s| s.scene)
            .collect()
    }

    /// The total points of all dimensions (100).
    pub fn total_points(&self) -> Points {
        self.dimensions.iter().map(|d| d.points).sum()
    }
}

fn check_item(id: String, ri: RawItem) -> Result<Item> {
    let what = |x: &str| format!("item {id} {}: {x}", ri.area);
    let pts = points(&what("pts"), ri.pts)?;
    let mut letters = BTreeSet::new();
    let mut options = Vec::new();
    for (letter, text, p) in ri.options {
        if letter.chars().count() != 1 || !letter.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(bad(what(&format!("option letter `{letter}`"))));
        }
        if !letters.insert(letter.clone()) {
            return Err(bad(what(&format!("option {letter} is listed twice"))));
        }
        let points = points(&what(&format!("option {letter}")), p)?;
        options.push(ChoiceOption {
            letter,
            text,
            points,
        });
    }
    let nones: Vec<_> = options.iter().filter(|o| o.text == NONE_TEXT).collect();
    if nones.iter().any(|o| o.points != Points::ZERO) {
        return Err(bad(what("option 无 is not worth 0")));
    }
    match ri.kind {
        ItemKind::Single => {
            let best = options
                .iter()
                .map(|o| o.points)
                .max()
                .unwrap_or(Points::ZERO);
            if best != pts {
                return Err(bad(what(&format!(
                    "best option is worth {best}, not the item's {pts}"
                ))));
            }
        }
        ItemKind::Multi => {
            if nones.len() != 1 {
                return Err(bad(what(
                    "a multiple-choice item needs exactly one 无 option",
                )));
            }
            let sum: Points = options.iter().map(|o| o.points).sum();
            if sum != pts {
                return Err(bad(what(&format!(
                    "options add up to {sum}, not the item's {pts}"
                ))));
            }
        }
    }
    Ok(Item {
        id,
        area: ri.area,
        title: ri.title,
        points: pts,
        kind: ri.kind,
        options,
        evidence_fields: ri.form_field,
        note: ri.note,
        caveat: ri.caveat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_index_loads_and_adds_up() {
        let index = Index::official();
        assert_eq!(index.total_points(), Points::from_milli(100_000));
        assert_eq!(index.items().count(), 15);
        assert_eq!(index.scenes.len(), 16);
        // The index's flag 1 agrees with the registry's vocabulary.
        for s in &index.scenes {
            assert_eq!(s.flagged_constrained, s.scene.constrained(), "{}", s.scene);
        }
        let net = index.item("D1.S1.I1").unwrap();
        assert_eq!(net.area, "网络建设");
        assert_eq!(index.item("网络建设").unwrap().id, "D1.S1.I1");
        assert_eq!(index.item("D3.S3.I2").unwrap().area, "价值效益");
        assert!(index.item("D4.S1.I1").is_none());
    }

    /// Each kind of inconsistency in the data is caught and named.
    #[test]
    fn inconsistent_data_is_rejected() {
        let cases = [
            // An option worth more: 网络建设 no longer adds up to 8.
            (
                "\"E\",\n         \"网络全面覆盖生产现场与环节，具备未来智能化新应用的扩展能力\",\n         2",
                "\"E\",\n         \"网络全面覆盖生产现场与环节，具备未来智能化新应用的扩展能力\",\n         3",
                "options add up to 9, not the item's 8",
            ),
            // A sub-area whose points disagree with its weight.
            (
                "\"weight_pct\": 40,\n     \"points\": 20",
                "\"weight_pct\": 40,\n     \"points\": 21",
                "50 × 40 % = 20",
            ),
            // Total off.
            (
                "\"scored_dimensions_total\": 100",
                "\"scored_dimensions_total\": 99",
                "not 99",
            ),
            // A scene not in the vocabulary.
            (
                "\"scene\": \"决策支持\"",
                "\"scene\": \"决策\"",
                "scene 决策 is not one of the 16",
            ),
            // A single-choice item whose best option is not worth the item's points.
            (
                "\"E\",\n         \"全覆盖\",\n         10",
                "\"E\",\n         \"全覆盖\",\n         9",
                "best option is worth 9",
            ),
        ];
        for (find, replace, words) in cases {
            assert!(INDEX_JSON.contains(find), "case `{find}` does not apply");
            let err = Index::from_json(&INDEX_JSON.replacen(find, replace, 1)).unwrap_err();
            assert!(err.to_string().contains(words), "{err} lacks {words}");
        }
    }
}
