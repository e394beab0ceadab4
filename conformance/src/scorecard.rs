//! The analyzers' identities and results, and the scorecard they add up to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One analyzer of the suite. Its id (`component.valid`, ...) is stable: scorecards, the CLI
/// and the API name analyzers by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnalyzerId {
    /// `component.valid`
    ComponentValid,
    /// `wit.world`
    WitWorld,
    /// `imports.allowed`
    ImportsAllowed,
    /// `size.small`
    SizeSmall,
    /// `describe.consistent`
    DescribeConsistent,
    /// `vectors.precise`
    VectorsPrecise,
    /// `determinism`
    Determinism,
    /// `robustness`
    Robustness,
    /// `budget.fuel`
    BudgetFuel,
    /// `budget.memory`
    BudgetMemory,
    /// `budget.time`
    BudgetTime,
    /// `perf.latency`
    PerfLatency,
}

impl AnalyzerId {
    /// Every analyzer, in the order the full suite runs them.
    pub const ALL: [AnalyzerId; 12] = [
        AnalyzerId::ComponentValid,
        AnalyzerId::WitWorld,
        AnalyzerId::ImportsAllowed,
        AnalyzerId::SizeSmall,
        AnalyzerId::DescribeConsistent,
        AnalyzerId::VectorsPrecise,
        AnalyzerId::Determinism,
        AnalyzerId::Robustness,
        AnalyzerId::BudgetFuel,
        AnalyzerId::BudgetMemory,
        AnalyzerId::BudgetTime,
        AnalyzerId::PerfLatency,
    ];

    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalyzerId::ComponentValid => "component.valid",
            AnalyzerId::WitWorld => "wit.world",
            AnalyzerId::ImportsAllowed => "imports.allowed",
            AnalyzerId::SizeSmall => "size.small",
            AnalyzerId::DescribeConsistent => "describe.consistent",
            AnalyzerId::VectorsPrecise => "vectors.precise",
            AnalyzerId::Determinism => "determinism",
            AnalyzerId::Robustness => "robustness",
            AnalyzerId::BudgetFuel => "budget.fuel",
            AnalyzerId::BudgetMemory => "budget.memory",
            AnalyzerId::BudgetTime => "budget.time",
            AnalyzerId::PerfLatency => "perf.latency",
        }
    }

    /// How much a failure matters: an error-level failure fails the scorecard.
    pub fn severity(self) -> Severity {
        match self {
            AnalyzerId::SizeSmall => Severity::Warning,
            AnalyzerId::PerfLatency => Severity::Info,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for AnalyzerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An id that names no analyzer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown analyzer `{0}`")]
pub struct UnknownAnalyzer(pub String);

impl FromStr for AnalyzerId {
    type Err = UnknownAnalyzer;

    fn from_str(s: &str) -> Result<AnalyzerId, UnknownAnalyzer> {
        AnalyzerId::ALL
            .into_iter()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| UnknownAnalyzer(s.to_owned()))
    }
}

impl Serialize for AnalyzerId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AnalyzerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AnalyzerId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// How much an analyzer's failure matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the scorecard.
    Error,
    /// Shown, lowers a score, does not fail.
    Warning,
    /// A measurement.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What an analyzer concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The check held.
    Pass,
    /// The check failed.
    Fail,
    /// The check could not run (its summary says why).
    Skip,
}

impl Outcome {
    /// `pass`, `fail` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
        }
    }
}

/// One analyzer's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerResult {
    /// Which analyzer.
    pub id: AnalyzerId,
    /// Its severity.
    pub severity: Severity,
    /// What it concluded.
    pub outcome: Outcome,
    /// One line for people.
    pub summary: String,
    /// Structured evidence (fields depend on the analyzer).
    pub evidence: Json,
    /// How long the analyzer took.
    pub elapsed_ms: f64,
}

impl AnalyzerResult {
    /// True for a failure that fails the scorecard.
    pub fn is_blocking(&self) -> bool {
        self.outcome == Outcome::Fail && self.severity == Severity::Error
    }
}

/// The five sub-scores, 0–100; `None` when none of the analyzers feeding a sub-score ran.
/// Formulas in the crate doc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// Component size.
    pub small: Option<u8>,
    /// Latency and growth with input size.
    pub fast: Option<u8>,
    /// Peak linear memory.
    pub light: Option<u8>,
    /// Vectors and determinism.
    pub precise: Option<u8>,
    /// Structure, robustness and budget adherence.
    pub safe: Option<u8>,
}

/// What the suite says about one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// The suite's version ([`crate::SUITE_VERSION`]).
    pub suite_version: String,
    /// `sha256:<hex>` of the component bytes.
    pub component_digest: String,
    /// Package name, from the manifest.
    pub package: String,
    /// Package version, from the manifest.
    pub version: String,
    /// The WIT version the component targets, when the component loaded.
    pub wit_version: Option<String>,
    /// True when no error-level analyzer failed.
    pub pass: bool,
    /// The sub-scores.
    pub scores: Scores,
    /// Each analyzer's result, in the order they ran.
    pub results: Vec<AnalyzerResult>,
    /// Total time of the run.
    pub elapsed_ms: f64,
}

impl Scorecard {
    /// The result of analyzer `id`, if it ran.
    pub fn result(&self, id: AnalyzerId) -> Option<&AnalyzerResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// The error-level failures: the reasons the scorecard fails (for a 422 at publish time).
    pub fn failures(&self) -> impl Iterator<Item = &AnalyzerResult> {
        self.results.iter().filter(|r| r.is_blocking())
    }

    /// The scorecard as JSON (what the server stores and returns).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or_else(|e| {
            // Every field is plain data with string keys: serialising cannot fail.
            serde_json::json!({"error": e.to_string()})
        })
    }

    /// A readable table, for terminals (the same as `Display`).
    pub fn to_table(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Scorecard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digest = self
            .component_digest
            .get(..("sha256:".len() + 12))
            .unwrap_or(&self.component_digest);
        writeln!(
            f,
            "smelt conformance {} · {} {} · {}… · WIT {}",
            self.suite_version,
            self.package,
            self.version,
            digest,
            self.wit_version.as_deref().unwrap_or("?")
        )?;
        let id_width = self
            .results
            .iter()
            .map(|r| r.id.as_str().len())
            .max()
            .unwrap_or(8)
            .max(8);
        writeln!(
            f,
            "{:<id_width$}  {:<8}  {:<7}  {:>8}  summary",
            "analyzer", "severity", "outcome", "ms"
        )?;
        for r in &self.results {
            let outcome = match r.outcome {
                Outcome::Pass => "pass",
                Outcome::Fail => "FAIL",
                Outcome::Skip => "skip",
            };
            writeln!(
                f,
                "{:<id_width$}  {:<8}  {:<7}  {:>8.1}  {}",
                r.id.as_str(),
                r.severity.as_str(),
                outcome,
                r.elapsed_ms,
                r.summary
            )?;
        }
        let score = |s: Option<u8>| s.map_or_else(|| "–".to_owned(), |s| s.to_string());
        writeln!(
            f,
            "scores: small {}  fast {}  light {}  precise {}  safe {}",
            score(self.scores.small),
            score(self.scores.fast),
            score(self.scores.light),
            score(self.scores.precise),
            score(self.scores.safe)
        )?;
        let blocking = self.failures().count();
        let warnings = self
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail && r.severity != Severity::Error)
            .count();
        write!(
            f,
            "result: {} ({blocking} error-level failure(s), {warnings} other failure(s)) in {:.0} ms",
            if self.pass { "PASS" } else { "FAIL" },
            self.elapsed_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_refused() {
        for id in AnalyzerId::ALL {
            assert_eq!(id.as_str().parse::<AnalyzerId>().unwrap(), id);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<AnalyzerId>(&json).unwrap(), id);
        }
        assert_eq!(
            "budget.fuels"
                .parse::<AnalyzerId>()
                .unwrap_err()
                .to_string(),
            "unknown analyzer `budget.fuels`"
        );
    }

    fn result(id: AnalyzerId, outcome: Outcome) -> AnalyzerResult {
        AnalyzerResult {
            id,
            severity: id.severity(),
            outcome,
            summary: format!("{id} {}", outcome.as_str()),
            evidence: Json::Null,
            elapsed_ms: 1.0,
        }
    }

    #[test]
    fn only_error_level_failures_block_and_the_table_shows_them() {
        let card = Scorecard {
            suite_version: crate::SUITE_VERSION.into(),
            component_digest: format!("sha256:{}", "ab".repeat(32)),
            package: "p".into(),
            version: "1.0.0".into(),
            wit_version: Some("0.1.0".into()),
            pass: false,
            scores: Scores {
                small: Some(90),
                ..Scores::default()
            },
            results: vec![
                result(AnalyzerId::SizeSmall, Outcome::Fail),
                result(AnalyzerId::Robustness, Outcome::Fail),
                result(AnalyzerId::PerfLatency, Outcome::Skip),
            ],
            elapsed_ms: 3.0,
        };
        let blocking: Vec<AnalyzerId> = card.failures().map(|r| r.id).collect();
        assert_eq!(blocking, [AnalyzerId::Robustness]);
        let table = card.to_table();
        assert!(
            table.lines().any(|l| l
                .split_whitespace()
                .take(3)
                .eq(["robustness", "error", "FAIL"])),
            "{table}"
        );
        assert!(table.contains("scores: small 90  fast –"), "{table}");
        assert!(
            table.contains("result: FAIL (1 error-level failure(s), 1 other"),
            "{table}"
        );
        let json = card.to_json();
        assert_eq!(json["results"][1]["id"], "robustness");
        assert_eq!(json["results"][1]["severity"], "error");
        assert_eq!(json["scores"]["fast"], Json::Null);
        let back: Scorecard = serde_json::from_value(json).unwrap();
        assert_eq!(back, card);
    }
}
