//! Every malformed answer gives its own error naming the item, option or scene.

use std::collections::BTreeSet;

use smelt_assess::{AnswerSheet, Error, Index, ItemAnswer, LevelRules, assess};

fn check(sheet: &AnswerSheet) -> Error {
    assess(
        Index::official(),
        LevelRules::official().default_rule(),
        sheet,
    )
    .unwrap_err()
}

#[test]
fn each_malformed_answer_is_named() {
    let blank = AnswerSheet::default;
    let mut evidence_unknown = blank().item("设备数字化", "C");
    evidence_unknown
        .items
        .get_mut("设备数字化")
        .unwrap()
        .evidence
        .insert("台数".into(), 3.0);
    let mut evidence_negative = blank().item("设备数字化", "C");
    evidence_negative
        .items
        .get_mut("设备数字化")
        .unwrap()
        .evidence
        .insert("具体数据".into(), -1.0);
    let mut evidence_none = blank().item("网络建设", "B");
    evidence_none
        .items
        .get_mut("网络建设")
        .unwrap()
        .evidence
        .insert("具体数据".into(), 1.0);
    let mut empty = blank();
    empty.items.insert("D1.S3.I1".into(), ItemAnswer::default());

    let cases: Vec<(AnswerSheet, &str)> = vec![
        (
            blank().item("D9.S1.I1", "A"),
            "unknown item `D9.S1.I1`; expected an item id such as D1.S1.I1 or an area name such as 网络建设",
        ),
        (
            blank().item("网络建设", "Z"),
            "item D1.S1.I1 (网络建设): unknown option `Z`; expected one of A, B, C, D, E",
        ),
        (
            blank().item("绿色低碳", "D"),
            "item D3.S1.I1 (绿色低碳): unknown option `D`; expected one of A, B, C",
        ),
        (
            blank().item("D1.S1.I1", "ACE"),
            "item D1.S1.I1 (网络建设): option `A` (无) cannot be combined with C, E",
        ),
        (
            blank().item("信息系统", "BC"),
            "item D1.S3.I1 (信息系统) is single-choice: found 2 options B, C",
        ),
        (
            blank().item("网络建设", "BB"),
            "item D1.S1.I1 (网络建设): option `B` is given twice",
        ),
        (empty, "item D1.S3.I1 (信息系统): no option given"),
        (
            blank().item("D1.S1.I1", "B").item("网络建设", "C"),
            "item D1.S1.I1 (网络建设) is answered twice",
        ),
        (
            blank().scene("cooking", 2),
            "unknown scene `cooking`; expected a slug or Chinese name such as quality or 质量管理",
        ),
        (
            blank().scene("质量管理", 5),
            "scene quality (质量管理): level 5 is outside 1-4",
        ),
        (
            blank().scene("energy", 0),
            "scene energy (能耗管理): level 0 is outside 1-4",
        ),
        (
            blank().scene("quality", 2).scene("质量管理", 3),
            "scene quality (质量管理) is rated twice",
        ),
        (
            evidence_unknown,
            "item D1.S1.I2 (设备数字化): unknown evidence field `台数`; expected one of 具体数据, 其中生产设备数量为（台）, 实现数字化的生产设备数量为（台）",
        ),
        (
            evidence_negative,
            "item D1.S1.I2 (设备数字化): evidence `具体数据` must be a finite number >= 0, found -1",
        ),
        (
            evidence_none,
            "item D1.S1.I1 (网络建设): unknown evidence field `具体数据`; expected one of none",
        ),
    ];
    let mut seen = BTreeSet::new();
    for (sheet, message) in cases {
        let err = check(&sheet);
        assert_eq!(err.to_string(), message);
        assert!(seen.insert(message), "duplicate case {message}");
    }
}

/// The JSON the server receives: unknown fields are refused by serde before scoring.
#[test]
fn answer_sheet_json() {
    let sheet: AnswerSheet = serde_json::from_str(
        r#"{ "items": { "D1.S1.I1": { "options": ["B", "C"] }, "资金保障": { "options": ["E"], "evidence": { "具体数据为（万元/年）": 35 } } },
             "scenes": { "quality": 3, "设备管理": 2 } }"#,
    )
    .unwrap();
    let a = assess(
        Index::official(),
        LevelRules::official().rule("2022").unwrap(),
        &sheet,
    )
    .unwrap();
    // 网络建设 B + C = 2 + 2 = 4; 资金保障 E = 7.5 → 11.5.
    assert_eq!(a.total.to_string(), "11.5");
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["total"], 11.5);
    assert_eq!(json["scenes"][6]["scene"], "quality");
    assert!(serde_json::from_str::<AnswerSheet>(r#"{ "answers": {} }"#).is_err());
}
