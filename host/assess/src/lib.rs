//! smelt's program logic for enterprises, with no HTTP: self-assessment against the 2024 SME
//! digital-level index (中小企业数字化水平评测指标（2024年版）), the size class of an
//! enterprise, need-to-solution matching, and the program dashboard's figures.
//!
//! The server wires it as follows:
//!
//! | route | call |
//! | --- | --- |
//! | `POST /v1/assessments` | [`assess()`]`(`[`Index::official`]`(), `[`LevelRules::official`]`().rule(name)?, &sheet)` |
//! | before / after of one enterprise | [`Assessment::compare`] (an [`Assessment`] round-trips through JSON for storage) |
//! | enterprise profile | [`Profile::classify`] |
//! | `POST /v1/needs` | [`Need::validate`], then [`to_run`] for the candidates to try in the sandbox |
//! | `GET /v1/needs/{id}/matches` | [`rank`]`(&need, &candidates, &`[`MatchConfig`]`::default())` |
//! | `GET /v1/dashboard` | [`dashboard()`]`(&counts, `[`PilotTargets::official`]`())` |
//!
//! The filters, formulas and default weights of matching are in [`matching`]; the size-class
//! rule and the text it implements in [`profile`].
//!
//! Every error is one [`Error`] whose message names the offending item, option, scene or field
//! (a 422 for the server).
//!
//! **Data as configuration.** The index (`data/sme-digital-level-2024.json`), the level rules
//! (`data/level-rules.toml`: the unverified 2024 rule and the 2022 score-only rule, selected by
//! name) and the pilot targets (`data/pilot-targets.toml`) are shipped files, embedded and
//! checked on first use; a server may load its own with [`Index::from_json`],
//! [`LevelRules::from_toml`] and [`PilotTargets::from_toml`].
//!
//! **Items** are named by positional ids `D<d>.S<s>.I<i>` (1-based dimension, sub-area, item in
//! index order: `D1.S1.I1` = 网络建设, `D2.S2.I2` = 资金保障) or by their unique area name.
//! Points are exact thousandths ([`Points`]); items not answered score 0 and are listed in
//! [`Assessment::unanswered_items`].
//!
//! ```
//! use smelt_assess::{assess, AnswerSheet, Index, LevelRules, Points};
//!
//! let sheet = AnswerSheet::default()
//!     .item("D1.S1.I1", "BC") // 网络建设 B + C = 2 + 2
//!     .item("信息系统", "E") // 10
//!     .scene("quality", 3)
//!     .scene("设备管理", 2);
//! let rule = LevelRules::official().rule("2022")?;
//! let a = assess(Index::official(), rule, &sheet)?;
//! assert_eq!(a.total, Points::from_milli(14_000));
//! assert_eq!(a.level, 0); // below 一级 (20)
//! assert_eq!(a.gaps[0].base.as_ref().unwrap().short, Points::from_milli(6_000));
//!
//! // A malformed answer names the item and the option.
//! let bad = AnswerSheet::default().item("D1.S1.I1", "AB");
//! let err = assess(Index::official(), rule, &bad).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "item D1.S1.I1 (网络建设): option `A` (无) cannot be combined with B"
//! );
//! # Ok::<(), smelt_assess::Error>(())
//! ```

#![deny(missing_docs)]

pub mod assess;
pub mod dashboard;
mod error;
pub mod index;
pub mod matching;
mod points;
pub mod profile;
pub mod rules;

pub use assess::{
    AnswerSheet, Assessment, BaseGap, DimensionScore, Headroom, ItemAnswer, ItemScore, LevelGap,
    Progression, SceneGap, SceneLevel, SceneRaise, SubareaScore, assess, level_name,
};
pub use dashboard::{
    Dashboard, EnterpriseLevels, IndustryCounts, LevelDistribution, PILOT_TARGETS_TOML,
    PilotTargets, ProgramCounts, Progress, dashboard,
};
pub use error::{Error, Result};
pub use index::{ChoiceOption, Dimension, INDEX_JSON, Index, Item, ItemKind, SceneInfo, Subarea};
pub use matching::{
    Candidate, ColumnDecl, ColumnType, Component, DataFit, InputSchema, Match, MatchConfig,
    Matches, Need, Reason, Rejected, Rejection, SchemaFit, Scorecard, TableDecl, TableShape,
    Weights, rank, schema_fit, to_run,
};
pub use points::Points;
pub use profile::{Classification, Profile, SizeClass};
pub use rules::{LEVEL_RULES_TOML, LevelRule, LevelRules, LevelThreshold, SceneRequirement};
