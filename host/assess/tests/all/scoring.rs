//! Worked answer sheets. Every total below is computed by hand from
//! `data/sme-digital-level-2024.json`, whose item `pts` and option points are already absolute
//! points (the `_source` formula dimension_pts × sub% × item% × option% is applied in the file):
//! e.g. 设备系统 = 50 × 40 % = 20 = 网络建设 8 + 设备数字化 6 + 设备联网 6, and 网络建设's
//! options B–E are 2 points each. So a sheet's total is the plain sum of its options' points.

use smelt_assess::{AnswerSheet, Assessment, Index, LevelRules, Points, assess};

/// 数据采集 (D1.S2.I1), all 14 options: B–N 13 × 0.7 = 9.1, plus O (人力资源) 0.9 = 10.
const COLLECT_ALL: &str = "BCDEFGHIJKLMNO";
/// The same without N (财务管理): 12 × 0.7 + 0.9 = 8.4 + 0.9 = 9.3, i.e. 0.7 less.
const COLLECT_NO_N: &str = "BCDEFGHIJKLMO";

fn pts(p: f64) -> Points {
    Points::from_milli((p * 1000.0).round() as i64)
}

fn run(rule: &str, sheet: &AnswerSheet) -> Assessment {
    assess(
        Index::official(),
        LevelRules::official().rule(rule).unwrap(),
        sheet,
    )
    .unwrap()
}

/// A sheet whose base score is exactly `threshold` (20, 40, 60, 80), or 0.7 below it when
/// `below` (数据采集 without N).
fn sheet(threshold: u32, below: bool) -> AnswerSheet {
    let collect = if below { COLLECT_NO_N } else { COLLECT_ALL };
    // 20 = 信息系统 E 10 + 数据采集 10.
    let mut s = AnswerSheet::default()
        .item("D1.S3.I1", "E")
        .item("数据采集", collect);
    if threshold >= 40 {
        // + 设备系统: 网络建设 B+C+D+E = 2+2+2+2 = 8, 设备数字化 E 6, 设备联网 E 6 → 20; 40.
        s = s
            .item("网络建设", "BCDE")
            .item("设备数字化", "E")
            .item("设备联网", "E");
    }
    if threshold >= 60 {
        // + 信息安全: 网络安全 B–E 4 × 1.25 = 5, 数据安全 B–E 5 → 10; 数字化基础 = 50.
        s = s.item("网络安全", "BCDE").item("数据安全", "BCDE");
    }
    match threshold {
        20 | 40 => {}
        // 50 + 绿色低碳 C 7 + 价值效益 C 3 = 60.
        60 => s = s.item("绿色低碳", "C").item("价值效益", "C"),
        // 50 + 规划实施 F 7.5 + 管理机制 B–E 4 × 1.875 = 7.5 (→ 15)
        //    + 绿色低碳 C 7 + 产品质量 B 3.5 + 市场表现 C 3 + 价值效益 B 1.5 (→ 15) = 80.
        80 => {
            s = s
                .item("规划实施", "F")
                .item("管理机制", "BCDE")
                .item("绿色低碳", "C")
                .item("产品质量", "B")
                .item("市场表现", "C")
                .item("价值效益", "B");
        }
        _ => unreachable!(),
    }
    s
}

#[test]
fn worked_sheets_total_as_computed_by_hand() {
    for t in [20u32, 40, 60, 80] {
        assert_eq!(
            run("2022", &sheet(t, false)).total,
            pts(f64::from(t)),
            "at {t}"
        );
        // 0.7 below: 19.3, 39.3, 59.3, 79.3.
        assert_eq!(
            run("2022", &sheet(t, true)).total,
            pts(f64::from(t) - 0.7),
            "below {t}"
        );
    }
}

#[test]
fn scores_per_dimension_sub_area_and_item() {
    let a = run("2022", &sheet(80, false));
    let dim = |id: &str| a.dimensions.iter().find(|d| d.id == id).unwrap();
    assert_eq!(dim("D1").score, pts(50.0));
    assert_eq!(dim("D1").points, pts(50.0));
    // 数字化管理: 规划管理 7.5 + 7.5 = 15, 要素保障 0.
    assert_eq!(dim("D2").score, pts(15.0));
    assert_eq!(dim("D2").subareas[0].score, pts(15.0));
    assert_eq!(dim("D2").subareas[1].score, Points::ZERO);
    // 数字化成效: 绿色低碳 7, 产品质量 3.5, 市场效益 3 + 1.5 = 4.5 → 15.
    assert_eq!(dim("D3").score, pts(15.0));
    assert_eq!(dim("D3").subareas[1].score, pts(3.5));
    assert_eq!(dim("D3").subareas[2].score, pts(4.5));
    let item = &dim("D2").subareas[0].items[1];
    assert_eq!((item.area.as_str(), item.score), ("管理机制", pts(7.5)));
    assert_eq!(item.options, ["B", "C", "D", "E"]);
    // 人才建设 and 资金保障 were not answered: 0, and listed.
    assert_eq!(a.unanswered_items, ["D2.S2.I1", "D2.S2.I2"]);
    assert!(!dim("D2").subareas[1].items[0].answered);
}

#[test]
fn full_and_empty_sheets() {
    let full = sheet(80, false)
        .item("规划实施", "F")
        .item("人才建设", "BCDEF") // 5 × 1.5 = 7.5
        .item("资金保障", "E") // 7.5
        .item("产品质量", "C") // 7 (3.5 more than B)
        .item("价值效益", "C"); // 3 (1.5 more than B)
    // 80 + 7.5 + 7.5 + 3.5 + 1.5 = 100.
    let a = run("2022", &full);
    assert_eq!(a.total, pts(100.0));
    assert_eq!(a.level, 4);
    assert!(a.gaps.is_empty());

    let empty = run("2022", &AnswerSheet::default());
    assert_eq!(empty.total, Points::ZERO);
    assert_eq!(empty.level, 0);
    assert_eq!(empty.unanswered_items.len(), 15);
    assert_eq!(empty.unrated_scenes.len(), 16);
    // "无" alone is a valid answer worth 0.
    let none = run("2022", &AnswerSheet::default().item("网络建设", "A"));
    assert_eq!(none.total, Points::ZERO);
    assert!(none.unanswered_items.iter().all(|i| i != "D1.S1.I1"));
}

/// 2022: 一级 [20,40), 二级 [40,60), 三级 [60,80), 四级 ≥ 80 — at and just below each bound.
#[test]
fn levels_2022_at_and_below_each_threshold() {
    for (t, level) in [(20u32, 1u8), (40, 2), (60, 3), (80, 4)] {
        let at = run("2022", &sheet(t, false));
        assert_eq!(at.level, level, "{t} points");
        let below = run("2022", &sheet(t, true));
        assert_eq!(below.level, level - 1, "{t} - 0.7 points");
        // The gap to the level missed names the shortfall of 0.7.
        let gap = &below.gaps[0];
        assert_eq!(gap.level, level);
        assert_eq!(gap.base.as_ref().unwrap().short, pts(0.7));
        assert!(
            gap.scenes.is_none(),
            "the 2022 rule has no scene requirement"
        );
    }
    assert_eq!(run("2022", &sheet(80, false)).level_name.zh, "四级");
}

// The 2024 rule (data/level-rules.toml): L1 base ≥ 20 and ≥ 6 scenes at ≥ 1 incl. ≥ 3
// constrained; L2 40, 6 at ≥ 2 incl. 3; L3 60, 8 at ≥ 3 incl. 5; L4 80, 10 at ≥ 4 incl. 6.

/// The 10 constrained scenes (flag 1) and the 6 others, in index order.
const CONSTRAINED: [&str; 10] = [
    "product-design",
    "marketing",
    "production-control",
    "quality",
    "equipment",
    "safety",
    "energy",
    "procurement",
    "warehousing",
    "finance",
];
const OTHER: [&str; 6] = [
    "process-design",
    "after-sales",
    "planning",
    "hr",
    "collaboration",
    "decision-support",
];

/// (count, at_least, constrained) of level `l` under the 2024 rule.
fn req(l: u8) -> (usize, i64, usize) {
    match l {
        1 => (6, 1, 3),
        2 => (6, 2, 3),
        3 => (8, 3, 5),
        4 => (10, 4, 6),
        _ => unreachable!(),
    }
}

fn with_scenes(mut s: AnswerSheet, scenes: &[(&str, i64)]) -> AnswerSheet {
    for (scene, level) in scenes {
        if *level > 0 {
            s = s.scene(scene, *level);
        }
    }
    s
}

/// Exactly the requirement of level `l`: k constrained + (count − k) others at `at_least`.
fn exact(l: u8) -> Vec<(&'static str, i64)> {
    let (count, at, k) = req(l);
    CONSTRAINED[..k]
        .iter()
        .chain(&OTHER[..count - k])
        .map(|s| (*s, at))
        .collect()
}

/// One scene short: the last "other" scene one level lower (so lower levels still hold).
fn count_short(l: u8) -> Vec<(&'static str, i64)> {
    let mut v = exact(l);
    v.last_mut().unwrap().1 -= 1;
    v
}

/// Enough scenes but one constrained short: k − 1 constrained + (count − k + 1) others at
/// `at_least`, and the k-th constrained one level lower.
fn constrained_short(l: u8) -> Vec<(&'static str, i64)> {
    let (count, at, k) = req(l);
    let mut v: Vec<_> = CONSTRAINED[..k - 1]
        .iter()
        .chain(&OTHER[..count - k + 1])
        .map(|s| (*s, at))
        .collect();
    v.push((CONSTRAINED[k - 1], at - 1));
    v
}

#[test]
fn levels_2024_at_and_below_each_threshold() {
    for (t, l) in [(20u32, 1u8), (40, 2), (60, 3), (80, 4)] {
        let at = run("2024", &with_scenes(sheet(t, false), &exact(l)));
        assert_eq!(at.level, l, "base {t} with the scenes of level {l}");

        let low_base = run("2024", &with_scenes(sheet(t, true), &exact(l)));
        assert_eq!(low_base.level, l - 1, "base {t} - 0.7");
        let gap = &low_base.gaps[0];
        assert_eq!((gap.level, gap.base.as_ref().unwrap().short), (l, pts(0.7)));
        assert!(gap.scenes.is_none());

        let few = run("2024", &with_scenes(sheet(t, false), &count_short(l)));
        assert_eq!(few.level, l - 1, "level {l} one scene short");
        let gap = few.gaps[0].scenes.as_ref().unwrap();
        assert_eq!((gap.have as usize, gap.raise.len()), (req(l).0 - 1, 1));
        assert!(few.gaps[0].base.is_none());

        let few_c = run("2024", &with_scenes(sheet(t, false), &constrained_short(l)));
        assert_eq!(few_c.level, l - 1, "level {l} one constrained scene short");
        let gap = few_c.gaps[0].scenes.as_ref().unwrap();
        assert_eq!(gap.have_constrained as usize, req(l).2 - 1);
        assert_eq!(gap.raise.len(), 1);
        assert!(gap.raise[0].constrained);
        assert_eq!(gap.raise[0].scene.slug(), CONSTRAINED[req(l).2 - 1]);
    }
}

#[test]
fn gap_messages_name_scenes_and_items() {
    // Base 60, level-3 scenes but 计划排程 (planning, the 8th) only at 2.
    let a = run("2024", &with_scenes(sheet(60, false), &count_short(3)));
    assert_eq!(a.level, 2);
    assert_eq!(
        a.gaps[0].messages[0].en,
        "need 8 scenes at level >= 3 (5 constrained) for 三级 (level 3), have 7 (5 constrained): raise 计划排程"
    );
    assert_eq!(
        a.gaps[0].messages[0].zh,
        "三级需要至少 8 个场景达到 3 级（其中约束性场景至少 5 个），现有 7 个（约束性 5 个）：请提升 计划排程"
    );

    // Base 59.3 (the 60 sheet without 数据采集 N). Headroom left, largest first (index order
    // among equals): 规划实施 7.5, 管理机制 7.5, 人才建设 7.5, 资金保障 7.5, 产品质量 7,
    // 市场表现 3, 数据采集 0.7. Short 0.7 for 三级: 规划实施 alone covers it;
    // short 80 − 59.3 = 20.7 for 四级: 7.5 + 7.5 = 15 < 20.7 ≤ 22.5 takes three items.
    let a = run("2024", &with_scenes(sheet(60, true), &exact(3)));
    assert_eq!(a.total, pts(59.3));
    assert_eq!(
        a.gaps[0].messages[0].en,
        "base score 59.3 < 60 needed for 三级 (level 3): short by 0.7; the items with the most headroom: 规划实施 (D2.S1.I1) +7.5"
    );
    assert_eq!(a.gaps[0].items[0].options, ["F"]);
    let l4 = &a.gaps[1];
    assert_eq!(l4.level, 4);
    assert_eq!(l4.base.as_ref().unwrap().short, pts(20.7));
    let areas: Vec<_> = l4.items.iter().map(|h| h.area.as_str()).collect();
    assert_eq!(areas, ["规划实施", "管理机制", "人才建设"]);
    // 管理机制 unanswered: all four options would add.
    assert_eq!(l4.items[1].options, ["B", "C", "D", "E"]);
    // At level 4 it also needs 10 scenes at 4 (6 constrained), has none: first the 6
    // constrained (the 5 at level 3, then 安全生产, the first unrated in index order), then the
    // 4 nearest of the rest: the 3 others at level 3, then 能耗管理 (unrated, index order).
    let s = l4.scenes.as_ref().unwrap();
    assert_eq!((s.have, s.raise.len()), (0, 10));
    let raise: Vec<_> = s.raise.iter().map(|r| (r.zh.as_str(), r.from)).collect();
    assert_eq!(
        raise,
        [
            ("产品设计", 3),
            ("营销管理", 3),
            ("生产管控", 3),
            ("质量管理", 3),
            ("设备管理", 3),
            ("安全生产", 0),
            ("工艺设计", 3),
            ("售后服务", 3),
            ("计划排程", 3),
            ("能耗管理", 0),
        ]
    );
}

/// The shape of the example: base enough for 三级, 5 scenes at 3 of which only 2
/// constrained.
#[test]
fn scenes_holding_the_level_back() {
    let sheet = with_scenes(
        sheet(60, false).item("规划实施", "C"), // 60 + 3 = 63
        &[
            ("product-design", 3),
            ("marketing", 3),
            ("planning", 3),
            ("hr", 3),
            ("collaboration", 3),
            ("质量管理", 2),
            ("设备管理", 2),
            ("safety", 1),
            ("energy", 2),
            ("decision-support", 2),
        ],
    );
    let a = run("2024", &sheet);
    assert_eq!(a.total, pts(63.0));
    // ≥ 2: 10 − safety = 9 scenes incl. 5 constrained → 二级; 三级 needs 8 at 3 incl. 5.
    assert_eq!(a.level, 2);
    let gap = a.gaps[0].scenes.as_ref().unwrap();
    assert_eq!((gap.have, gap.have_constrained), (5, 2));
    // Three constrained to raise, nearest first: 质量管理 2, 设备管理 2, 能耗管理 2 (安全生产 is at 1).
    let raise: Vec<_> = gap
        .raise
        .iter()
        .map(|r| (r.zh.as_str(), r.from, r.to))
        .collect();
    assert_eq!(
        raise,
        [("质量管理", 2, 3), ("设备管理", 2, 3), ("能耗管理", 2, 3)]
    );
    assert!(
        a.gaps[0].messages[0]
            .en
            .ends_with("have 5 (2 constrained): raise 质量管理, 设备管理, 能耗管理")
    );

    // The same sheet under the 2022 rule: 63 is 三级 whatever the scenes.
    assert_eq!(run("2022", &sheet).level, 3);
}

#[test]
fn constrained_scenes_are_configuration() {
    // Drop 仓储物流 from the constrained list (as one public implementation does) and require
    // 3 constrained for 一级: a sheet whose constrained scenes are 仓储物流 + 2 others no longer
    // reaches 一级.
    let text = smelt_assess::LEVEL_RULES_TOML.replacen(
        "verified = false\n",
        "verified = false\nconstrained_scenes = [\"product-design\", \"marketing\", \"production-control\", \"quality\", \"equipment\", \"safety\", \"energy\", \"procurement\", \"finance\"]\n",
        1,
    );
    let rules = LevelRules::from_toml(&text).unwrap();
    let s = with_scenes(
        sheet(20, false),
        &[
            ("warehousing", 1),
            ("quality", 1),
            ("energy", 1),
            ("hr", 1),
            ("planning", 1),
            ("collaboration", 1),
        ],
    );
    let official = run("2024", &s);
    assert_eq!(official.level, 1);
    let nine = assess(Index::official(), rules.rule("2024").unwrap(), &s).unwrap();
    assert_eq!(nine.level, 0);
    assert_eq!(
        nine.gaps[0].scenes.as_ref().unwrap().raise[0].zh,
        "产品设计",
        "the nearest constrained scene in index order"
    );
}

#[test]
fn evidence_is_kept() {
    let mut s = AnswerSheet::default().item("设备数字化", "C");
    s.items
        .get_mut("设备数字化")
        .unwrap()
        .evidence
        .insert("其中生产设备数量为（台）".into(), 120.0);
    let a = run("2024", &s);
    let item = &a.dimensions[0].subareas[0].items[1];
    assert_eq!(item.score, pts(3.0));
    assert_eq!(item.evidence["其中生产设备数量为（台）"], 120.0);
}

#[test]
fn before_and_after() {
    let before = run("2024", &with_scenes(sheet(40, false), &exact(2)));
    let after = run("2024", &with_scenes(sheet(60, false), &exact(3)));
    let p = before.compare(&after);
    assert_eq!((p.total, p.level), ((pts(40.0), pts(60.0)), (2, 3)));
    // 40 → 60: 信息安全 +10 in 数字化基础, 绿色低碳 + 价值效益 +10 in 数字化成效.
    assert_eq!(p.dimensions[0].2..p.dimensions[0].3, pts(40.0)..pts(50.0));
    assert_eq!(
        p.dimensions[2].2..p.dimensions[2].3,
        Points::ZERO..pts(10.0)
    );
    // Level-2 scenes (3 constrained + 3 others at 2) → level-3 (5 + 3 at 3): 8 changed.
    assert_eq!(p.scenes.len(), 8);
    assert!(p.same_rule);
    // Stored as JSON and read back.
    let json = serde_json::to_string(&after).unwrap();
    assert_eq!(serde_json::from_str::<Assessment>(&json).unwrap(), after);
}
