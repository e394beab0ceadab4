//! Matching needs against the six example plugins, from their real `smelt.toml` listings.
//!
//! Listings (from plugins/*/smelt.toml): industry, scenes, target level, deploy CNY, per-1k CNY,
//! deploy days:
//! - dye-lot-color-qc: textile-dyeing, quality, 2, 800, 2.0, 1
//! - fabric-four-point: knitting, quality, 2, 600, 1.0, 1
//! - spc-capability: electronics, quality, 2, 1500, 2.0, 2
//! - aql-sampling: electronics, procurement, 1, 300, 0.5, 1
//! - flowshop-scheduler: auto-parts, planning, 3, 3000, 5.0, 3
//! - oee-calculator: auto-parts, equipment, 2, 1500, 1.0, 2
//!
//! The test adds what the server would know: approval, scorecards, adoption, input schemas
//! (from each plugin's `describe`), and lists dye-lot-color-qc for knitting too so one need
//! sees two candidates for the same scene.

use smelt_assess::{
    Candidate, ColumnDecl, ColumnType, DataFit, InputSchema, MatchConfig, Matches, Need, SchemaFit,
    Scorecard, TableDecl, TableShape, rank, schema_fit, to_run,
};
use smelt_registry::Manifest;
use smelt_registry::manifest::{Industry, Scene};

const MANIFESTS: [&str; 6] = [
    include_str!("../../../../plugins/dye-lot-color-qc/smelt.toml"),
    include_str!("../../../../plugins/fabric-four-point/smelt.toml"),
    include_str!("../../../../plugins/spc-capability/smelt.toml"),
    include_str!("../../../../plugins/aql-sampling/smelt.toml"),
    include_str!("../../../../plugins/flowshop-scheduler/smelt.toml"),
    include_str!("../../../../plugins/oee-calculator/smelt.toml"),
];

fn cols(spec: &[(&str, ColumnType)]) -> Vec<ColumnDecl> {
    spec.iter()
        .map(|(n, t)| ColumnDecl {
            name: (*n).into(),
            kind: *t,
        })
        .collect()
}

fn table(name: &str, spec: &[(&str, ColumnType)], min_rows: u32) -> TableDecl {
    TableDecl {
        name: name.into(),
        columns: cols(spec),
        min_rows,
    }
}

use ColumnType::{Float64 as F, Int64 as I, Text as T};

/// (name, scorecard, adoption, schema): what the server knows beyond the manifest.
fn candidates() -> Vec<Candidate> {
    let extra: [(u32, f64, InputSchema); 6] = [
        (
            5,
            88.0,
            InputSchema {
                tables: vec![
                    table("standard", &[("L", F), ("a", F), ("b", F)], 1),
                    table("batches", &[("batch", T), ("L", F), ("a", F), ("b", F)], 1),
                ],
            },
        ),
        (
            8,
            85.0,
            InputSchema {
                tables: vec![
                    table("rolls", &[("roll", T), ("length", F), ("width", F)], 1),
                    table(
                        "defects",
                        &[("roll", T), ("position", F), ("size", F), ("kind", T)],
                        0,
                    ),
                ],
            },
        ),
        (
            12,
            90.0,
            InputSchema {
                tables: vec![table("measurements", &[("subgroup", T), ("value", F)], 2)],
            },
        ),
        (3, 80.0, InputSchema::default()),
        (
            40,
            95.0,
            InputSchema {
                tables: vec![table(
                    "operations",
                    &[("job", T), ("machine", I), ("duration", F)],
                    1,
                )],
            },
        ),
        (
            2,
            70.0,
            InputSchema {
                tables: vec![table(
                    "shifts",
                    &[
                        ("machine", T),
                        ("shift", T),
                        ("shift_length", F),
                        ("total_count", I),
                    ],
                    1,
                )],
            },
        ),
    ];
    MANIFESTS
        .iter()
        .zip(extra)
        .map(|(text, (adoption, score, schema))| {
            let m = Manifest::from_toml(text).unwrap();
            let mut c = Candidate::from_manifest(&m);
            c.approved = true;
            c.adoption = adoption;
            c.scorecard = Some(Scorecard {
                overall: Some(score),
                sub_scores: Vec::new(),
            });
            c.input_schema = Some(schema);
            if c.name == "dye-lot-color-qc" {
                c.industries.push(Industry::Knitting);
            }
            c
        })
        .collect()
}

fn need(industry: Industry, scenes: &[Scene], target: u8, budget: f64, deadline: u32) -> Need {
    Need {
        industry,
        scenes: scenes.to_vec(),
        target_level: target,
        current_level: None,
        budget_cny: budget,
        deadline_days: deadline,
        expected_runs: None,
        sample_tables: Vec::new(),
    }
}

fn names<'a>(m: &'a Matches<'_>) -> Vec<&'a str> {
    m.ranked.iter().map(|r| r.name.as_str()).collect()
}

fn rejected_for(m: &Matches<'_>, name: &str) -> Vec<String> {
    m.rejected
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} not rejected"))
        .reasons
        .iter()
        .map(|r| r.text().en)
        .collect()
}

fn component(m: &Matches<'_>, name: &str, part: &str) -> f64 {
    m.ranked
        .iter()
        .find(|r| r.name == name)
        .unwrap()
        .breakdown
        .iter()
        .find(|b| b.name == part)
        .unwrap()
        .value
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Electronics, quality + procurement, from 一级 to 二级, 2,000 CNY, 10 days.
#[test]
fn electronics_quality_and_procurement() {
    let mut n = need(
        Industry::Electronics,
        &[Scene::Quality, Scene::Procurement],
        2,
        2000.0,
        10,
    );
    n.current_level = Some(1);
    let all = candidates();
    let m = rank(&n, &all, &MatchConfig::default()).unwrap();
    assert_eq!(m.expected_runs, 10_000);
    assert_eq!(names(&m), ["spc-capability", "aql-sampling"]);
    // Both constrained (weight 2 each): each covers 2 of 4 → 0.5.
    assert!(close(component(&m, "spc-capability", "coverage"), 0.5));
    assert!(close(component(&m, "aql-sampling", "coverage"), 0.5));
    // spc targets 二级 from 一级: (2 − 1) / (2 − 1) = 1; aql targets 一级: 0.
    assert!(close(component(&m, "spc-capability", "uplift"), 1.0));
    assert!(close(component(&m, "aql-sampling", "uplift"), 0.0));
    // spc: 1500 + 2.0 × 10,000 / 1000 = 1520 → 1 − 1520/2000 = 0.24; aql: 300 + 5 = 305 → 0.8475.
    assert!(close(component(&m, "spc-capability", "price"), 0.24));
    assert!(close(component(&m, "aql-sampling", "price"), 0.8475));
    // spc: deploy 1 − (2 − 1)/10 = 0.9; adoption ln 13 / ln 51.
    assert!(close(component(&m, "spc-capability", "deploy"), 0.9));
    assert!(close(
        component(&m, "spc-capability", "adoption"),
        13f64.ln() / 51f64.ln()
    ));
    // spc = 30·0.5 + 15·1 + 20·0.9 + 15·0.24 + 10·0.9 + 10·0.6523 = 67.12;
    // aql = 30·0.5 + 0 + 20·0.8 + 15·0.8475 + 10·1 + 10·0.3526 = 57.24.
    assert!(
        (m.ranked[0].score - 67.12).abs() < 0.01,
        "{}",
        m.ranked[0].score
    );
    assert!(
        (m.ranked[1].score - 57.24).abs() < 0.01,
        "{}",
        m.ranked[1].score
    );
    let spc = &m.ranked[0];
    assert_eq!(spc.covered, [Scene::Quality]);
    assert_eq!(spc.missing, [Scene::Procurement]);
    let en: Vec<_> = spc.reasons.iter().map(|r| r.text().en).collect();
    assert_eq!(
        en[0],
        "covers 质量管理 (constrained) (1 of 2 needed scenes, 50% by weight)"
    );
    assert_eq!(en[1], "does not cover 采购管理 (constrained)");
    assert_eq!(
        en[2],
        "targets level 2, the need aims at level 2 (now level 1)"
    );
    assert_eq!(
        spc.reasons[4].text().zh,
        "预计费用 1520.00 元（部署 1500.00 元 + 10000 次运行 × 2.00 元/千次），预算 2000.00 元"
    );
    // Industry filter: the four others serve other industries.
    for other in [
        "dye-lot-color-qc",
        "fabric-four-point",
        "flowshop-scheduler",
        "oee-calculator",
    ] {
        assert!(
            rejected_for(&m, other).contains(&"does not serve the electronics industry".into()),
            "{other}"
        );
    }

    // Budget filter: at 1,000 CNY spc (1,520) is out, aql (305) stays.
    n.budget_cny = 1000.0;
    let m = rank(&n, &all, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["aql-sampling"]);
    assert_eq!(
        rejected_for(&m, "spc-capability"),
        [
            "expected cost 1520.00 CNY (deploy 1500.00 + 10000 runs at 2.00/1k) exceeds the budget of 1000.00 CNY"
        ]
    );
    // With 100 runs expected and 1,501 CNY, spc fits again: 1500 + 2 × 100/1000 = 1500.2.
    n.expected_runs = Some(100);
    n.budget_cny = 1501.0;
    let m = rank(&n, &all, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["spc-capability", "aql-sampling"]);
}

/// Knitting, quality, 700 CNY, 1 day: fabric-four-point (610) fits; dye-lot-color-qc (listed
/// for knitting here) costs 820 and is out; spc is electronics and 2 days.
#[test]
fn knitting_quality_budget_and_deadline() {
    let n = need(Industry::Knitting, &[Scene::Quality], 2, 700.0, 1);
    let all = candidates();
    let m = rank(&n, &all, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["fabric-four-point"]);
    assert_eq!(
        rejected_for(&m, "dye-lot-color-qc"),
        [
            "expected cost 820.00 CNY (deploy 800.00 + 10000 runs at 2.00/1k) exceeds the budget of 700.00 CNY"
        ]
    );
    assert_eq!(
        rejected_for(&m, "spc-capability"),
        [
            "does not serve the knitting industry",
            "expected cost 1520.00 CNY (deploy 1500.00 + 10000 runs at 2.00/1k) exceeds the budget of 700.00 CNY",
            "deploys in 2 days, past the deadline of 1 days",
        ]
    );
    // With 1,000 CNY both fit; fabric is cheaper and more adopted, dye-lot scores higher on
    // the scorecard:
    //   fabric: 30 + 15 + 20·0.85 + 15·(1 − 610/1000) + 10 + 10·ln 9/ln 51 = 83.44
    //   dye-lot: 30 + 15 + 20·0.88 + 15·(1 − 820/1000) + 10 + 10·ln 6/ln 51 = 79.86
    let n = need(Industry::Knitting, &[Scene::Quality], 2, 1000.0, 1);
    let m = rank(&n, &all, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["fabric-four-point", "dye-lot-color-qc"]);
    assert!(
        (m.ranked[0].score - 83.44).abs() < 0.01,
        "{}",
        m.ranked[0].score
    );
    assert!(
        (m.ranked[1].score - 79.86).abs() < 0.01,
        "{}",
        m.ranked[1].score
    );

    // Weights are configuration: on scorecard alone, dye-lot (88) beats fabric (85).
    let config = MatchConfig {
        weights: smelt_assess::Weights {
            coverage: 0.0,
            uplift: 0.0,
            scorecard: 1.0,
            price: 0.0,
            deploy: 0.0,
            adoption: 0.0,
        },
        ..MatchConfig::default()
    };
    let m = rank(&n, &all, &config).unwrap();
    assert_eq!(names(&m), ["dye-lot-color-qc", "fabric-four-point"]);
    assert!((m.ranked[0].score - 88.0).abs() < 1e-9);
}

/// Unapproved and suspended listings are never offered.
#[test]
fn approval_and_suspension() {
    let n = need(Industry::Knitting, &[Scene::Quality], 2, 10_000.0, 30);
    let mut cs = candidates();
    cs[0].approved = false; // dye-lot
    cs[1].suspended = true; // fabric
    let m = rank(&n, &cs, &MatchConfig::default()).unwrap();
    assert!(m.ranked.is_empty());
    assert_eq!(
        rejected_for(&m, "dye-lot-color-qc"),
        ["not approved by a reviewer"]
    );
    assert_eq!(rejected_for(&m, "fabric-four-point"), ["suspended"]);
}

fn oee_samples() -> TableShape {
    TableShape {
        name: "shifts".into(),
        columns: cols(&[
            ("machine", T),
            ("shift", T),
            ("shift_length", F),
            ("total_count", I),
            ("remarks", T),
        ]),
        rows: 42,
    }
}

fn flowshop_samples(duration: ColumnType) -> TableShape {
    TableShape {
        name: "operations".into(),
        columns: cols(&[("job", T), ("machine", I), ("duration", duration)]),
        rows: 60,
    }
}

/// Auto parts, equipment + planning, from 二级 to 三级, 5,000 CNY, 5 days, with sample tables.
#[test]
fn a_candidate_that_fails_on_the_sample_data_ranks_below_one_that_ran() {
    let mut n = need(
        Industry::AutoParts,
        &[Scene::Equipment, Scene::Planning],
        3,
        5000.0,
        5,
    );
    n.current_level = Some(2);
    n.sample_tables = vec![oee_samples(), flowshop_samples(F)];
    let mut cs = candidates();

    // Without trial results flowshop leads:
    //   flowshop: coverage 1/3 (planning 1 of equipment 2 + planning 1), uplift (3−2)/(3−2) = 1,
    //     scorecard 0.95, price 1 − 3050/5000 = 0.39, deploy 1 − 2/5 = 0.6, adoption ln 41/ln 51
    //     → 10 + 15 + 19 + 5.85 + 6 + 9.445 = 65.30
    //   oee: coverage 2/3, uplift 0 (targets 二级, already there), 0.70, 1 − 1510/5000 = 0.698,
    //     1 − 1/5 = 0.8, ln 3/ln 51 → 20 + 0 + 14 + 10.47 + 8 + 2.794 = 55.26
    let m = rank(&n, &cs, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["flowshop-scheduler", "oee-calculator"]);
    assert!(
        (m.ranked[0].score - 65.30).abs() < 0.01,
        "{}",
        m.ranked[0].score
    );
    assert!(
        (m.ranked[1].score - 55.26).abs() < 0.01,
        "{}",
        m.ranked[1].score
    );

    // Both schemas are satisfied by the samples (extra columns ignored), so both are run.
    let run = to_run(&n, &cs, &MatchConfig::default()).unwrap();
    let run_names: Vec<_> = run.iter().map(|&i| cs[i].name.as_str()).collect();
    assert_eq!(run_names, ["flowshop-scheduler", "oee-calculator"]);

    // The server runs them: oee runs, flowshop fails on this data.
    let reason = "invalid-input: operations: job J7 has no row for machine 3";
    for c in &mut cs {
        c.fit = match c.name.as_str() {
            "oee-calculator" => Some(DataFit::Ran {
                findings: 3,
                cost_cny: 0.0042,
            }),
            "flowshop-scheduler" => Some(DataFit::Failed {
                reason: reason.into(),
            }),
            _ => None,
        };
    }
    let m = rank(&n, &cs, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["oee-calculator", "flowshop-scheduler"]);
    // Same soft scores, order by fit.
    assert!(m.ranked[1].score > m.ranked[0].score);
    let last = m.ranked[1].reasons.last().unwrap().text();
    assert_eq!(
        last.en,
        format!(
            "failed on your sample data: {reason}; ranked below the solutions that did not fail"
        )
    );
    assert!(last.zh.contains("运行失败"));
    assert_eq!(
        m.ranked[0].reasons.last().unwrap().text().en,
        "ran on your sample data: 3 findings, cost 0.0042 CNY"
    );

    // Deadline filter: 2 days leaves flowshop (3 days) out.
    n.deadline_days = 2;
    let m = rank(&n, &cs, &MatchConfig::default()).unwrap();
    assert_eq!(names(&m), ["oee-calculator"]);
    assert_eq!(
        rejected_for(&m, "flowshop-scheduler"),
        ["deploys in 3 days, past the deadline of 2 days"]
    );
}

#[test]
fn schema_fit_names_what_is_missing() {
    let cs = candidates();
    let schema = |name: &str| {
        cs.iter()
            .find(|c| c.name == name)
            .unwrap()
            .input_schema
            .clone()
            .unwrap()
    };
    // durations as integers: flowshop declares float64.
    assert_eq!(
        schema_fit(&[flowshop_samples(I)], &schema("flowshop-scheduler")),
        SchemaFit::Unsatisfied {
            problems: vec!["table operations: column duration is int64, declared float64".into()]
        }
    );
    // dye-lot needs two tables; spc needs 2 rows.
    assert_eq!(
        schema_fit(&[oee_samples()], &schema("dye-lot-color-qc")),
        SchemaFit::Unsatisfied {
            problems: vec![
                "table standard is missing".into(),
                "table batches is missing".into()
            ]
        }
    );
    let one_row = TableShape {
        name: "measurements".into(),
        columns: cols(&[("subgroup", T), ("value", F)]),
        rows: 1,
    };
    assert_eq!(
        schema_fit(&[one_row], &schema("spc-capability")),
        SchemaFit::Unsatisfied {
            problems: vec!["table measurements: 1 rows, at least 2 needed".into()]
        }
    );
    // aql-sampling works from params only: sample tables say nothing about it.
    assert_eq!(
        schema_fit(&[oee_samples()], &schema("aql-sampling")),
        SchemaFit::NoInputTables
    );

    // A flowshop sample with integer durations: only oee is run.
    let mut n = need(
        Industry::AutoParts,
        &[Scene::Equipment, Scene::Planning],
        3,
        5000.0,
        5,
    );
    n.sample_tables = vec![oee_samples(), flowshop_samples(I)];
    let run = to_run(&n, &cs, &MatchConfig::default()).unwrap();
    assert_eq!(run.len(), 1);
    assert_eq!(cs[run[0]].name, "oee-calculator");
}

#[test]
fn malformed_needs_and_config() {
    let cs = candidates();
    let mut n = need(Industry::Knitting, &[], 2, 1000.0, 5);
    let err = rank(&n, &cs, &MatchConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid need: `scenes` must name at least one scene"
    );
    n.scenes = vec![Scene::Quality, Scene::Quality];
    let err = rank(&n, &cs, &MatchConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid need: `scenes` lists quality (质量管理) twice"
    );
    n.scenes = vec![Scene::Quality];
    n.target_level = 5;
    let err = rank(&n, &cs, &MatchConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid need: `target_level` must be 1-4, found 5"
    );
    n.target_level = 2;
    n.budget_cny = f64::NAN;
    assert!(
        rank(&n, &cs, &MatchConfig::default())
            .unwrap_err()
            .to_string()
            .contains("budget_cny")
    );
    n.budget_cny = 1000.0;
    let mut config = MatchConfig::default();
    config.weights.price = -1.0;
    assert_eq!(
        rank(&n, &cs, &config).unwrap_err().to_string(),
        "invalid configuration: `weights.price` must be a finite number >= 0"
    );

    // The JSON the server receives.
    let need: Need = serde_json::from_str(
        r#"{ "industry": "knitting", "scenes": ["质量管理"], "target_level": 2, "budget_cny": 1000,
             "deadline_days": 5 }"#,
    )
    .unwrap();
    assert_eq!(need.scenes, [Scene::Quality]);
    let config: MatchConfig = serde_json::from_str(r#"{ "weights": { "price": 40 } }"#).unwrap();
    assert_eq!(
        (config.weights.price, config.weights.coverage),
        (40.0, 30.0)
    );
}
