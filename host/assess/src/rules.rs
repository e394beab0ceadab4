//! Level rules as configuration: the 2024 rule (base score + scene levels) and the 2022 rule
//! (score only), read from `data/level-rules.toml` or any file of the same shape.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use smelt_registry::manifest::{Bilingual, Scene};

use crate::index::Index;
use crate::points::Points;
use crate::{Error, Result};

/// The level rules shipped with the crate.
pub const LEVEL_RULES_TOML: &str = include_str!("../data/level-rules.toml");

/// A set of named rules and the default among them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRules {
    /// The name of the rule used when none is asked for.
    pub default: String,
    /// The rules.
    pub rules: Vec<LevelRule>,
}

/// One way of turning a base score and scene levels into a level 1–4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    /// Name to select it by, e.g. `2024`.
    pub name: String,
    /// Title in both languages.
    pub title: Bilingual,
    /// Where the rule comes from.
    pub source: String,
    /// Whether it has been checked against the official text.
    pub verified: bool,
    /// The constrained (约束性) scenes; absent = the scenes flagged 1 in the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constrained_scenes: Option<Vec<Scene>>,
    /// Requirements of levels 1, 2, 3 and 4.
    pub levels: Vec<LevelThreshold>,
}

/// What a level requires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelThreshold {
    /// 1–4.
    pub level: u8,
    /// The least base score (inclusive).
    pub min_base: Points,
    /// Scene requirement, if the rule has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenes: Option<SceneRequirement>,
}

/// "at least `count` scenes at level ≥ `at_least`, of which ≥ `constrained` constrained".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneRequirement {
    /// How many scenes.
    pub count: u32,
    /// At what scene level or higher (1–4).
    pub at_least: u8,
    /// How many of them constrained.
    pub constrained: u32,
}

impl LevelRules {
    /// The rules shipped with the crate (2024 and 2022), parsed and checked on first use.
    ///
    /// # Panics
    /// If the shipped file is invalid; the crate's tests load it.
    pub fn official() -> &'static LevelRules {
        static RULES: OnceLock<LevelRules> = OnceLock::new();
        RULES.get_or_init(|| {
            LevelRules::from_toml(LEVEL_RULES_TOML).expect("the shipped level rules are valid")
        })
    }

    /// Parses and checks a rule file: names unique, the default present, each rule valid
    /// ([`LevelRule::validate`]).
    pub fn from_toml(text: &str) -> Result<LevelRules> {
        let rules: LevelRules = toml::from_str(text).map_err(|e| Error::InvalidRule {
            rule: "(file)".into(),
            reason: e.message().to_owned(),
        })?;
        let mut names = BTreeSet::new();
        for r in &rules.rules {
            if !names.insert(r.name.as_str()) {
                return Err(Error::InvalidRule {
                    rule: r.name.clone(),
                    reason: "the name is used twice".into(),
                });
            }
            r.validate()?;
        }
        rules.rule(&rules.default)?;
        Ok(rules)
    }

    /// The rule with this name.
    pub fn rule(&self, name: &str) -> Result<&LevelRule> {
        self.rules
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| Error::UnknownRule {
                name: name.to_owned(),
                expected: self
                    .rules
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The default rule.
    pub fn default_rule(&self) -> &LevelRule {
        self.rule(&self.default)
            .expect("from_toml checked the default exists")
    }
}

impl LevelRule {
    /// Checks that levels 1–4 each appear once, in order, with non-decreasing requirements that
    /// the 16 scenes can meet, and that the constrained list has no repeats.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Error::InvalidRule {
            rule: self.name.clone(),
            reason,
        };
        let got: Vec<u8> = self.levels.iter().map(|l| l.level).collect();
        if got != [1, 2, 3, 4] {
            return Err(bad(format!(
                "levels must be 1, 2, 3, 4 in order, found {got:?}"
            )));
        }
        let constrained = self.constrained_count();
        for pair in self.levels.windows(2) {
            if pair[1].min_base < pair[0].min_base {
                return Err(bad(format!(
                    "level {} needs a lower base score than level {}",
                    pair[1].level, pair[0].level
                )));
            }
        }
        for l in &self.levels {
            if l.min_base > Points::from_milli(100_000) {
                return Err(bad(format!("level {}: min_base above 100", l.level)));
            }
            if let Some(s) = l.scenes {
                if !(1..=4).contains(&s.at_least) {
                    return Err(bad(format!("level {}: at_least must be 1-4", l.level)));
                }
                if s.constrained > s.count || s.count as usize > Scene::ALL.len() {
                    return Err(bad(format!(
                        "level {}: {} scenes incl. {} constrained cannot be met",
                        l.level, s.count, s.constrained
                    )));
                }
                if let Some(n) = constrained
                    && s.constrained as usize > n
                {
                    return Err(bad(format!(
                        "level {}: needs {} constrained scenes, only {n} are listed",
                        l.level, s.constrained
                    )));
                }
            }
        }
        if let Some(list) = &self.constrained_scenes {
            let set: BTreeSet<_> = list.iter().collect();
            if set.len() != list.len() {
                return Err(bad("constrained_scenes lists a scene twice".into()));
            }
        }
        Ok(())
    }

    fn constrained_count(&self) -> Option<usize> {
        self.constrained_scenes.as_ref().map(Vec::len)
    }

    /// The constrained scenes under this rule.
    pub fn constrained(&self, index: &Index) -> BTreeSet<Scene> {
        match &self.constrained_scenes {
            Some(list) => list.iter().copied().collect(),
            None => index.flagged_constrained(),
        }
    }

    /// What level `level` (1–4) requires.
    pub fn threshold(&self, level: u8) -> Option<&LevelThreshold> {
        self.levels.iter().find(|l| l.level == level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load() {
        let rules = LevelRules::official();
        assert_eq!(rules.default_rule().name, "2024");
        let r2022 = rules.rule("2022").unwrap();
        assert!(r2022.levels.iter().all(|l| l.scenes.is_none()));
        let r2024 = rules.rule("2024").unwrap();
        assert_eq!(
            r2024.threshold(3).unwrap().scenes,
            Some(SceneRequirement {
                count: 8,
                at_least: 3,
                constrained: 5
            })
        );
        assert_eq!(r2024.constrained(Index::official()).len(), 10);
        let err = rules.rule("2019").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown level rule `2019`; expected one of 2024, 2022"
        );
    }

    #[test]
    fn bad_rules_are_named() {
        let cases = [
            (
                "default = \"2024\"",
                "default = \"2030\"",
                "unknown level rule `2030`",
            ),
            (
                "level = 4\nmin_base = 80\nscenes",
                "level = 5\nmin_base = 80\nscenes",
                "levels must be 1, 2, 3, 4",
            ),
            (
                "min_base = 60\nscenes",
                "min_base = 30\nscenes",
                "level 3 needs a lower base score than level 2",
            ),
            (
                "{ count = 10, at_least = 4, constrained = 6 }",
                "{ count = 10, at_least = 4, constrained = 11 }",
                "cannot be met",
            ),
            (
                "verified = false\n",
                "verified = false\nconstrained_scenes = [\"quality\", \"energy\"]\n",
                "only 2 are listed",
            ),
            (
                "name = \"2022\"",
                "name = \"2024\"",
                "the name is used twice",
            ),
        ];
        for (find, replace, words) in cases {
            assert!(
                LEVEL_RULES_TOML.contains(find),
                "case `{find}` does not apply"
            );
            let err =
                LevelRules::from_toml(&LEVEL_RULES_TOML.replacen(find, replace, 1)).unwrap_err();
            assert!(err.to_string().contains(words), "{err} lacks {words}");
        }
    }
}
