//! The analyzers, and the context they share: the loaded component, its descriptor, the
//! parsed vectors and the budget measurement, each computed once on first use.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use serde_json::{Value as Json, json};
use smelt_registry::Manifest;
use smelt_runtime::{
    ALLOWED_IMPORTS, Descriptor, Error as RunError, Input, Limits, Plugin, Runtime, Vector,
    VectorBundle, check_param, compare_expected, component_imports, import_allowed,
    input_from_json,
};

use crate::generate::{self, Expect, Suffix};
use crate::scorecard::{AnalyzerId, AnalyzerResult, Outcome, Scores};
use crate::suite::{SuiteConfig, budget_limits, ran};

/// What an analyzer returns: outcome, one-line summary, evidence.
pub(crate) type Verdict = (Outcome, String, Json);

fn pass(summary: impl Into<String>, evidence: Json) -> Verdict {
    (Outcome::Pass, summary.into(), evidence)
}

fn fail(summary: impl Into<String>, evidence: Json) -> Verdict {
    (Outcome::Fail, summary.into(), evidence)
}

fn skip(reason: impl Into<String>) -> Verdict {
    let reason = reason.into();
    (Outcome::Skip, reason.clone(), json!({ "reason": reason }))
}

/// Most problems listed in one analyzer's evidence: enough to act on, small enough to store.
const MAX_LISTED: usize = 20;

/// Runs analyzer `id`.
pub(crate) fn run(id: AnalyzerId, ctx: &Ctx<'_>) -> Verdict {
    match id {
        AnalyzerId::ComponentValid => component_valid(ctx),
        AnalyzerId::WitWorld => wit_world(ctx),
        AnalyzerId::ImportsAllowed => imports_allowed(ctx),
        AnalyzerId::SizeSmall => size_small(ctx),
        AnalyzerId::DescribeConsistent => describe_consistent(ctx),
        AnalyzerId::VectorsPrecise => vectors_precise(ctx),
        AnalyzerId::Determinism => determinism(ctx),
        AnalyzerId::Robustness => robustness(ctx),
        AnalyzerId::BudgetFuel => budget(ctx, Resource::Fuel),
        AnalyzerId::BudgetMemory => budget(ctx, Resource::Memory),
        AnalyzerId::BudgetTime => budget(ctx, Resource::Time),
        AnalyzerId::PerfLatency => perf_latency(ctx),
    }
}

/// Robustness tallies, for the safe score.
#[derive(Debug, Clone, Copy, Default)]
struct Robust {
    run: usize,
    abnormal: usize,
    must_refuse: usize,
    refused_of_those: usize,
}

/// Numbers the analyzers found that the scores need.
#[derive(Debug, Default)]
struct Facts {
    vectors: Option<(usize, usize)>,
    robust: Option<Robust>,
    latency_p50_ms: Option<f64>,
}

/// One size of the budget measurement.
#[derive(Debug, Clone)]
struct Sample {
    what: &'static str,
    input_name: String,
    strategy: Option<&'static str>,
    rows: usize,
    limits: Limits,
    /// Largest over the runs (fuel is deterministic; memory nearly so).
    fuel: u64,
    peak_memory: u64,
    /// Median over the runs.
    wall_ms: f64,
    runs: usize,
    /// The abnormal ending of a run, which stops the measurement.
    error: Option<RunError>,
}

impl Sample {
    fn evidence(&self, resource: Resource) -> Json {
        let (limit, used) = resource.of(self);
        json!({
            "input": self.input_name,
            "scaling": self.strategy,
            "rows": self.rows,
            "declared": limit,
            "used": self.error.is_none().then_some(used),
            "share": self.error.is_none().then(|| used / limit.max(f64::MIN_POSITIVE)),
            "runs": self.runs,
            "error": self.error.as_ref().map(|e| json!({"code": e.code(), "message": e.to_string()})),
        })
    }
}

/// The budget measurement: the reference input, and the scaled one.
#[derive(Debug)]
struct Measured {
    reference: Result<Sample, String>,
    scaled: Result<Sample, String>,
}

/// What the analyzers share for one run of the suite.
pub(crate) struct Ctx<'a> {
    runtime: &'a Runtime,
    bytes: &'a [u8],
    manifest: &'a Manifest,
    vectors: &'a VectorBundle,
    reviewer: Option<&'a VectorBundle>,
    config: &'a SuiteConfig,
    pub(crate) digest: String,
    loaded: OnceCell<Result<Plugin, RunError>>,
    described: OnceCell<Result<Descriptor, RunError>>,
    inputs: OnceCell<Vec<(String, Result<Input, String>)>>,
    measured: OnceCell<Measured>,
    facts: RefCell<Facts>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        runtime: &'a Runtime,
        bytes: &'a [u8],
        manifest: &'a Manifest,
        vectors: &'a VectorBundle,
        reviewer: Option<&'a VectorBundle>,
        config: &'a SuiteConfig,
    ) -> Ctx<'a> {
        Ctx {
            runtime,
            bytes,
            manifest,
            vectors,
            reviewer,
            config,
            digest: smelt_registry::Digest::of(bytes).to_string(),
            loaded: OnceCell::new(),
            described: OnceCell::new(),
            inputs: OnceCell::new(),
            measured: OnceCell::new(),
            facts: RefCell::default(),
        }
    }

    fn load(&self) -> &Result<Plugin, RunError> {
        self.loaded.get_or_init(|| self.runtime.load(self.bytes))
    }

    pub(crate) fn wit_version(&self) -> Option<&'static str> {
        self.loaded
            .get()
            .and_then(|l| l.as_ref().ok())
            .map(Plugin::wit_version)
    }

    /// The loaded plugin, or why an analyzer that needs one skips.
    fn plugin(&self) -> Result<&Plugin, Verdict> {
        self.load().as_ref().map_err(|e| {
            skip(format!(
                "not run: the component did not load ({}: {e})",
                e.code()
            ))
        })
    }

    fn describe(&self) -> Option<&Result<Descriptor, RunError>> {
        let plugin = self.load().as_ref().ok()?;
        Some(self.described.get_or_init(|| plugin.describe()))
    }

    /// The plugin and its descriptor, or why an analyzer that needs them skips.
    fn described(&self) -> Result<(&Plugin, &Descriptor), Verdict> {
        let plugin = self.plugin()?;
        match self.describe() {
            Some(Ok(d)) => Ok((plugin, d)),
            Some(Err(e)) => Err(skip(format!(
                "not run: `describe` failed ({}: {e})",
                e.code()
            ))),
            None => Err(skip("not run: the component did not load")),
        }
    }

    fn limits(&self, input: &Input) -> Limits {
        budget_limits(&self.manifest.budget, input.rows())
    }

    /// The package vectors' inputs, checked against the descriptor.
    fn inputs(&self, descriptor: &Descriptor) -> &[(String, Result<Input, String>)] {
        self.inputs.get_or_init(|| {
            self.vectors
                .vectors
                .iter()
                .map(|v| {
                    let input = input_from_json(&v.input, descriptor).map_err(|e| e.to_string());
                    (v.name.clone(), input)
                })
                .collect()
        })
    }

    /// The valid package vector inputs, or a sample made from the descriptor when there are none.
    fn valid_inputs(&self, descriptor: &Descriptor) -> Vec<(String, Input)> {
        let valid: Vec<(String, Input)> = self
            .inputs(descriptor)
            .iter()
            .filter_map(|(name, input)| Some((name.clone(), input.as_ref().ok()?.clone())))
            .collect();
        if valid.is_empty() {
            vec![(
                "sample generated from the descriptor".to_owned(),
                generate::sample_input(descriptor),
            )]
        } else {
            valid
        }
    }

    /// The reference input: the valid package vector with the most rows (the first of equals).
    fn reference(&self, descriptor: &Descriptor) -> (String, Input) {
        let mut best: Option<(String, Input)> = None;
        for (name, input) in self.valid_inputs(descriptor) {
            if best.as_ref().is_none_or(|(_, b)| input.rows() > b.rows()) {
                best = Some((name, input));
            }
        }
        best.unwrap_or_else(|| ("empty input".to_owned(), Input::default()))
    }

    fn measured(&self) -> &Measured {
        self.measured.get_or_init(|| measure(self))
    }

    /// The sub-scores from the results and facts (formulas in the crate doc).
    pub(crate) fn scores(&self, results: &[AnalyzerResult]) -> Scores {
        let outcome = |id| results.iter().find(|r| r.id == id).map(|r| r.outcome);
        let ran_ok = |id| outcome(id).filter(|o| ran(*o)).map(|o| o == Outcome::Pass);
        let facts = self.facts.borrow();
        let measured = self.measured.get();

        let small = outcome(AnalyzerId::SizeSmall).filter(|o| ran(*o)).map(|_| {
            lerp_log(
                self.bytes.len() as f64,
                128.0 * 1024.0,
                8.0 * 1024.0 * 1024.0,
            )
        });

        let growth = ran_ok(AnalyzerId::BudgetFuel)
            .and(measured)
            .and_then(|m| exponent(m, Resource::Fuel))
            .map(|k| 100.0 * ((3.0 - k) / (3.0 - 1.1)).clamp(0.0, 1.0));
        let latency = facts.latency_p50_ms.map(|p50| lerp_log(p50, 1.0, 10_000.0));
        let fast = mean(&[(0.7, latency), (0.3, growth.filter(|_| latency.is_some()))]);

        let light = match ran_ok(AnalyzerId::BudgetMemory) {
            Some(true) => measured
                .and_then(|m| {
                    [&m.reference, &m.scaled]
                        .into_iter()
                        .filter_map(|s| s.as_ref().ok())
                        .filter(|s| s.error.is_none())
                        .map(|s| s.peak_memory)
                        .max()
                })
                .map(|peak| lerp_log(peak as f64, 2.0 * 1048576.0, 1024.0 * 1048576.0)),
            Some(false) => Some(0.0),
            None => None,
        };
        let light = mean(&[(1.0, light)]);

        let vectors = outcome(AnalyzerId::VectorsPrecise)
            .filter(|o| ran(*o))
            .map(|_| match facts.vectors {
                Some((passed, total)) if total > 0 => 100.0 * passed as f64 / total as f64,
                _ => 0.0,
            });
        let deterministic = ran_ok(AnalyzerId::Determinism).map(|ok| if ok { 100.0 } else { 0.0 });
        let precise = mean(&[(0.8, vectors), (0.2, deterministic)]);

        let structure = [
            AnalyzerId::ComponentValid,
            AnalyzerId::WitWorld,
            AnalyzerId::ImportsAllowed,
        ]
        .map(outcome);
        let safe = if structure.contains(&Some(Outcome::Fail)) {
            Some(0)
        } else {
            let robust = facts.robust.filter(|r| r.run > 0);
            let budget = |id| ran_ok(id).map(|ok| if ok { 100.0 } else { 0.0 });
            let parts = [
                (
                    0.5,
                    robust.map(|r| 100.0 * (1.0 - r.abnormal as f64 / r.run as f64)),
                ),
                (
                    0.2,
                    robust
                        .filter(|r| r.must_refuse > 0)
                        .map(|r| 100.0 * r.refused_of_those as f64 / r.must_refuse as f64),
                ),
                (0.1, budget(AnalyzerId::BudgetFuel)),
                (0.1, budget(AnalyzerId::BudgetMemory)),
                (0.1, budget(AnalyzerId::BudgetTime)),
            ];
            mean(&parts).or_else(|| structure.iter().any(Option::is_some).then_some(100))
        };
        Scores {
            small: mean(&[(1.0, small)]),
            fast,
            light,
            precise,
            safe,
        }
    }
}

/// 100 at `x <= good`, 0 at `x >= bad`, linear in `log x` between.
fn lerp_log(x: f64, good: f64, bad: f64) -> f64 {
    if x <= good {
        return 100.0;
    }
    (100.0 * (bad / x).ln() / (bad / good).ln()).clamp(0.0, 100.0)
}

/// The weighted mean of the parts that are present, rounded; `None` when none is.
fn mean(parts: &[(f64, Option<f64>)]) -> Option<u8> {
    let (sum, weight) = parts
        .iter()
        .filter_map(|(w, v)| v.map(|v| (w * v, *w)))
        .fold((0.0, 0.0), |(s, t), (v, w)| (s + v, t + w));
    (weight > 0.0).then(|| (sum / weight).round().clamp(0.0, 100.0) as u8)
}

/// `1234567` as `1.23 M`.
fn human(x: f64) -> String {
    let (v, unit) = match x.abs() {
        a if a >= 1e9 => (x / 1e9, " G"),
        a if a >= 1e6 => (x / 1e6, " M"),
        a if a >= 1e3 => (x / 1e3, " k"),
        _ => (x, ""),
    };
    if unit.is_empty() {
        format!("{v:.0}")
    } else {
        format!("{v:.2}{unit}")
    }
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1048576.0)
}

// ---------------------------------------------------------------------------------------------
// Structure: component.valid, wit.world, imports.allowed, size.small

/// The features the runtime's engine enables: wasmparser's defaults without the proposals the
/// runtime turns off or does not build (threads, shared memory, memory64, GC, exceptions,
/// component-model async).
fn enabled_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    let mut features = F::default();
    features.remove(
        DISABLED_FEATURES
            .iter()
            .fold(F::empty(), |all, (_, f)| all | *f),
    );
    features.insert(F::COMPONENT_MODEL);
    features
}

const DISABLED_FEATURES: &[(&str, wasmparser::WasmFeatures)] = &[
    ("threads", wasmparser::WasmFeatures::THREADS),
    (
        "shared-everything-threads",
        wasmparser::WasmFeatures::SHARED_EVERYTHING_THREADS,
    ),
    ("memory64", wasmparser::WasmFeatures::MEMORY64),
    ("gc", wasmparser::WasmFeatures::GC),
    ("exceptions", wasmparser::WasmFeatures::EXCEPTIONS),
    ("stack-switching", wasmparser::WasmFeatures::STACK_SWITCHING),
    ("cm-async", wasmparser::WasmFeatures::CM_ASYNC),
    ("cm-threading", wasmparser::WasmFeatures::CM_THREADING),
];

/// The runtime refuses a component that lacks the solution export with this message.
fn is_missing_export(error: &RunError) -> bool {
    matches!(error, RunError::InvalidComponent(m) if m.starts_with("does not export"))
}

fn component_valid(ctx: &Ctx<'_>) -> Verdict {
    let size = ctx.bytes.len();
    if let Err(e) = component_imports(ctx.bytes) {
        return fail(
            e.to_string(),
            json!({"code": e.code(), "message": e.to_string(), "bytes": size}),
        );
    }
    let disabled: Vec<&str> = DISABLED_FEATURES.iter().map(|(name, _)| *name).collect();
    let mut validator = wasmparser::Validator::new_with_features(enabled_features());
    if let Err(e) = validator.validate_all(ctx.bytes) {
        return fail(
            format!("does not validate with the runtime's features: {e}"),
            json!({"code": "invalid_component", "message": e.to_string(), "bytes": size, "disabled_features": disabled}),
        );
    }
    match ctx.load() {
        Err(e @ RunError::ForbiddenImport { .. }) => pass(
            "validates with the runtime's features; not compiled because of a forbidden import (see imports.allowed)",
            json!({"bytes": size, "compiled": false, "load_error": e.code(), "disabled_features": disabled}),
        ),
        Err(e) if !is_missing_export(e) => fail(
            format!("validates but does not load: {e}"),
            json!({"code": e.code(), "message": e.to_string(), "bytes": size, "disabled_features": disabled}),
        ),
        _ => pass(
            "a component that validates with the runtime's features and compiles",
            json!({"bytes": size, "compiled": true, "disabled_features": disabled}),
        ),
    }
}

/// The names of a component's top-level exports.
fn component_exports(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    exports.push(export.map_err(|e| e.to_string())?.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(exports)
}

const SOLUTION_EXPORT: &str = "smelt:solution/solution@";

fn wit_world(ctx: &Ctx<'_>) -> Verdict {
    if let Err(e) = component_imports(ctx.bytes) {
        return fail(
            format!("no component exports to check: {e}"),
            json!({"code": e.code(), "supported": crate::SUPPORTED_WIT}),
        );
    }
    let exports = match component_exports(ctx.bytes) {
        Ok(exports) => exports,
        Err(e) => {
            return fail(
                format!("the exports do not parse: {e}"),
                json!({"message": e, "supported": crate::SUPPORTED_WIT}),
            );
        }
    };
    // As the runtime picks: the first version it runs, else the first there is.
    let versions: Vec<&str> = exports
        .iter()
        .filter_map(|e| e.strip_prefix(SOLUTION_EXPORT))
        .collect();
    let version = versions
        .iter()
        .find(|v| crate::SUPPORTED_WIT.contains(v))
        .or(versions.first())
        .map(|v| (*v).to_owned());
    let evidence =
        json!({"exports": exports, "version": version, "supported": crate::SUPPORTED_WIT});
    let Some(version) = version else {
        return fail(
            format!(
                "does not export smelt:solution/solution (exports: {})",
                if exports.is_empty() {
                    "none".to_owned()
                } else {
                    exports.join(", ")
                }
            ),
            evidence,
        );
    };
    if !crate::SUPPORTED_WIT.contains(&version.as_str()) {
        return fail(
            format!(
                "exports smelt:solution/solution@{version}; this host supports {}",
                crate::SUPPORTED_WIT.join(", ")
            ),
            evidence,
        );
    }
    match ctx.load() {
        Err(e) if is_missing_export(e) => fail(
            format!(
                "exports smelt:solution/solution@{version} but not with the WIT's functions and types: {e}"
            ),
            evidence,
        ),
        _ => pass(
            format!("exports smelt:solution/solution@{version}"),
            evidence,
        ),
    }
}

fn imports_allowed(ctx: &Ctx<'_>) -> Verdict {
    let imports = match component_imports(ctx.bytes) {
        Ok(imports) => imports,
        Err(e) => return skip(format!("not run: not a component ({}: {e})", e.code())),
    };
    let forbidden: Vec<&String> = imports.iter().filter(|i| !import_allowed(i)).collect();
    let evidence = json!({
        "imports": imports.iter().map(|i| json!({"name": i, "allowed": import_allowed(i)})).collect::<Vec<_>>(),
        "forbidden": forbidden,
        "allowed": ALLOWED_IMPORTS,
    });
    if forbidden.is_empty() {
        pass(format!("{} imports, all allowed", imports.len()), evidence)
    } else {
        let names: Vec<&str> = forbidden.iter().map(|s| s.as_str()).collect();
        fail(
            format!("{} forbidden import(s): {}", names.len(), names.join(", ")),
            evidence,
        )
    }
}

fn size_small(ctx: &Ctx<'_>) -> Verdict {
    let bytes = ctx.bytes.len() as u64;
    let threshold = ctx.config.size_threshold_bytes;
    let evidence = json!({"bytes": bytes, "threshold_bytes": threshold});
    let summary = format!(
        "{:.1} KiB (threshold {:.0} KiB)",
        bytes as f64 / 1024.0,
        threshold as f64 / 1024.0
    );
    if bytes <= threshold {
        pass(summary, evidence)
    } else {
        fail(summary, evidence)
    }
}

// ---------------------------------------------------------------------------------------------
// describe.consistent

fn duplicates<'n>(names: impl Iterator<Item = &'n str>) -> Vec<&'n str> {
    let mut seen = HashSet::new();
    names.filter(|n| !seen.insert(*n)).collect()
}

/// Problems with the descriptor on its own.
fn descriptor_problems(d: &Descriptor) -> Vec<String> {
    let mut problems = Vec::new();
    if d.summary.trim().is_empty() {
        problems.push("summary is empty".to_owned());
    }
    for (what, tables) in [("input", &d.inputs), ("output", &d.outputs)] {
        for name in duplicates(tables.iter().map(|t| t.name.as_str())) {
            problems.push(format!("{what} table `{name}` is declared twice"));
        }
        for t in tables {
            if t.name.trim().is_empty() {
                problems.push(format!("an {what} table has an empty name"));
            }
            if t.columns.is_empty() {
                problems.push(format!("{what} table `{}` has no columns", t.name));
            }
            for name in duplicates(t.columns.iter().map(|c| c.name.as_str())) {
                problems.push(format!(
                    "{what} table `{}`: column `{name}` is declared twice",
                    t.name
                ));
            }
            if t.columns.iter().any(|c| c.name.trim().is_empty()) {
                problems.push(format!(
                    "{what} table `{}`: a column has an empty name",
                    t.name
                ));
            }
            if let Some(max) = t.max_rows
                && max < t.min_rows
            {
                problems.push(format!(
                    "{what} table `{}`: max_rows {max} is below min_rows {}",
                    t.name, t.min_rows
                ));
            }
        }
    }
    for name in duplicates(d.params.iter().map(|p| p.name.as_str())) {
        problems.push(format!("param `{name}` is declared twice"));
    }
    for p in &d.params {
        if let (Some(min), Some(max)) = (p.min, p.max)
            && min.partial_cmp(&max).is_none_or(|o| o.is_gt())
        {
            problems.push(format!("param `{}`: min {min} is not <= max {max}", p.name));
        }
        if let Some(default) = &p.default {
            if default.value_type() != p.value_type {
                problems.push(format!(
                    "param `{}`: the default is {} but the param is {}",
                    p.name,
                    default.value_type().name(),
                    p.value_type.name()
                ));
            } else if let Err(e) = check_param(default, p) {
                problems.push(format!("param `{}`: the default is invalid: {e}", p.name));
            }
        }
    }
    for name in duplicates(d.metrics.iter().map(|m| m.name.as_str())) {
        problems.push(format!("metric `{name}` is declared twice"));
    }
    // Names and choices reach terminals and pages verbatim (error messages, the catalog), so
    // none may carry control characters such as terminal escape sequences.
    let names = d
        .inputs
        .iter()
        .chain(&d.outputs)
        .flat_map(|t| std::iter::once(&t.name).chain(t.columns.iter().map(|c| &c.name)))
        .chain(d.params.iter().map(|p| &p.name))
        .chain(d.params.iter().flat_map(|p| &p.choices))
        .chain(d.metrics.iter().map(|m| &m.name));
    for name in names {
        if name.chars().any(char::is_control) {
            problems.push(format!("the name `{name}` contains control characters"));
        }
    }
    problems
        .iter()
        .map(|p| smelt_runtime::neutralise(p))
        .collect()
}

/// Problems with a package vector against the descriptor: its input must be accepted, and its
/// expected tables, columns and metrics must be declared outputs.
fn vector_problems(d: &Descriptor, vector: &Vector, input: &Result<Input, String>) -> Vec<String> {
    let name = &vector.name;
    let mut problems = Vec::new();
    if let Err(e) = input {
        problems.push(format!(
            "vector `{name}`: the input does not fit the descriptor: {e}"
        ));
    }
    if let Some(tables) = vector.expected.get("tables").and_then(Json::as_object) {
        for (table, columns) in tables {
            let Some(spec) = d.outputs.iter().find(|t| &t.name == table) else {
                problems.push(format!(
                    "vector `{name}`: expects output table `{table}`, which the descriptor does not declare"
                ));
                continue;
            };
            for column in columns.as_object().into_iter().flat_map(|c| c.keys()) {
                if !spec.columns.iter().any(|c| &c.name == column) {
                    problems.push(format!(
                        "vector `{name}`: expects column `{column}` of output table `{table}`, which the descriptor does not declare"
                    ));
                }
            }
        }
    }
    if let Some(metrics) = vector.expected.get("metrics").and_then(Json::as_object) {
        for metric in metrics.keys() {
            if !d.metrics.iter().any(|m| &m.name == metric) {
                problems.push(format!(
                    "vector `{name}`: expects metric `{metric}`, which the descriptor does not declare"
                ));
            }
        }
    }
    problems
}

fn describe_consistent(ctx: &Ctx<'_>) -> Verdict {
    if let Err(v) = ctx.plugin() {
        return v;
    }
    let d = match ctx.describe() {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            return fail(
                format!("`describe` failed: {e}"),
                json!({"code": e.code(), "message": e.to_string()}),
            );
        }
        None => return skip("not run: the component did not load"),
    };
    let package = &ctx.manifest.package;
    let mut problems = Vec::new();
    if d.name != package.name.as_str() {
        problems.push(format!(
            "the descriptor's name `{}` is not the manifest's `{}`",
            d.name, package.name
        ));
    }
    if d.version != package.version.to_string() {
        problems.push(format!(
            "the descriptor's version `{}` is not the manifest's `{}`",
            d.version, package.version
        ));
    }
    problems.extend(descriptor_problems(d));
    for (vector, (_, input)) in ctx.vectors.vectors.iter().zip(ctx.inputs(d)) {
        problems.extend(vector_problems(d, vector, input));
    }
    let evidence = json!({
        "name": d.name,
        "version": d.version,
        "inputs": d.inputs.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "params": d.params.iter().map(|p| &p.name).collect::<Vec<_>>(),
        "outputs": d.outputs.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "metrics": d.metrics.iter().map(|m| &m.name).collect::<Vec<_>>(),
        "vectors_checked": ctx.vectors.vectors.len(),
        "problems": problems.iter().take(MAX_LISTED).collect::<Vec<_>>(),
        "problem_count": problems.len(),
    });
    match problems.first() {
        None => pass(
            format!(
                "well-formed; {} {} as in the manifest; {} input table(s), {} param(s) fit all {} vector(s)",
                d.name,
                d.version,
                d.inputs.len(),
                d.params.len(),
                ctx.vectors.vectors.len()
            ),
            evidence,
        ),
        Some(first) => fail(
            format!("{} problem(s), first: {first}", problems.len()),
            evidence,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// vectors.precise, determinism, robustness

/// Runs one vector; returns the mismatches (empty when it passes) and an error code if the
/// call did not produce an output.
fn check_vector(
    ctx: &Ctx<'_>,
    plugin: &Plugin,
    d: &Descriptor,
    vector: &Vector,
) -> (Vec<String>, Option<&'static str>, u64) {
    let input = match input_from_json(&vector.input, d) {
        Ok(input) => input,
        Err(e) => {
            return (
                vec![format!("input refused by the host: {e}")],
                Some("invalid_input_json"),
                0,
            );
        }
    };
    let run = plugin.run(&input, &ctx.limits(&input));
    match run.output {
        Ok(output) => (
            compare_expected(&vector.expected, &output, vector.tolerance),
            None,
            run.usage.fuel,
        ),
        Err(e) => (
            vec![format!("no output: {e}")],
            Some(e.code()),
            run.usage.fuel,
        ),
    }
}

fn vectors_precise(ctx: &Ctx<'_>) -> Verdict {
    let (plugin, d) = match ctx.described() {
        Ok(pd) => pd,
        Err(v) => return v,
    };
    let held: &[Vector] = ctx.reviewer.map_or(&[], |b| &b.vectors);
    let total = ctx.vectors.vectors.len() + held.len();
    ctx.facts.borrow_mut().vectors = Some((0, total));
    if total == 0 {
        let reason = "no vectors: nothing shows the solution computes what it claims";
        return if ctx.config.require_vectors {
            fail(
                reason,
                json!({"package": [], "reviewer": [], "passed": 0, "total": 0}),
            )
        } else {
            skip(reason)
        };
    }
    let mut first_failure = None;
    let mut passed = 0;
    let mut package = Vec::new();
    for vector in &ctx.vectors.vectors {
        let (problems, code, fuel) = check_vector(ctx, plugin, d, vector);
        if problems.is_empty() {
            passed += 1;
        } else if first_failure.is_none() {
            first_failure = Some(format!("`{}`: {}", vector.name, problems[0]));
        }
        package.push(json!({
            "name": vector.name,
            "pass": problems.is_empty(),
            "code": code,
            "fuel": fuel,
            "problems": problems.iter().take(MAX_LISTED).collect::<Vec<_>>(),
            "problem_count": problems.len(),
        }));
    }
    // Reviewer-held vectors are reported by name and mismatch count only: a stored scorecard is
    // shown to the provider, and must not reveal what the reviewer tests.
    let mut reviewer = Vec::new();
    let mut held_failed = 0;
    for vector in held {
        let (problems, code, _) = check_vector(ctx, plugin, d, vector);
        if problems.is_empty() {
            passed += 1;
        } else {
            held_failed += 1;
        }
        reviewer.push(json!({
            "name": vector.name,
            "pass": problems.is_empty(),
            "code": code,
            "mismatches": problems.len(),
        }));
    }
    ctx.facts.borrow_mut().vectors = Some((passed, total));
    let evidence =
        json!({"package": package, "reviewer": reviewer, "passed": passed, "total": total});
    let counts = format!(
        "{} package, {} reviewer-held",
        ctx.vectors.vectors.len(),
        held.len()
    );
    if passed == total {
        pass(
            format!("{passed}/{total} vectors match ({counts})"),
            evidence,
        )
    } else {
        let mut summary = format!("{passed}/{total} vectors match ({counts})");
        if let Some(first) = first_failure {
            summary.push_str(&format!("; {first}"));
        }
        if held_failed > 0 {
            summary.push_str(&format!("; {held_failed} reviewer-held vector(s) fail"));
        }
        fail(summary, evidence)
    }
}

/// The output (or error) of a run as text that differs whenever the result differs; `Debug`
/// prints floats exactly (shortest round-trip form) and NaN as NaN.
fn fingerprint(output: &Result<smelt_runtime::Output, RunError>) -> String {
    format!("{output:?}")
}

fn determinism(ctx: &Ctx<'_>) -> Verdict {
    let (plugin, d) = match ctx.described() {
        Ok(pd) => pd,
        Err(v) => return v,
    };
    let n = ctx.config.determinism_runs.max(2);
    let mut inputs = Vec::new();
    for (name, input) in ctx.valid_inputs(d) {
        let limits = ctx.limits(&input);
        let mut prints = Vec::with_capacity(n);
        let mut fuel = Vec::with_capacity(n);
        for i in 0..n {
            let run = plugin.run(&input, &limits);
            if let Err(e) = &run.output
                && e.is_abnormal()
            {
                inputs.push(json!({"input": name, "run": i + 1, "code": e.code(), "message": e.to_string()}));
                return fail(
                    format!("run {} of `{name}` ended abnormally: {e}", i + 1),
                    json!({"runs_per_input": n, "inputs": inputs}),
                );
            }
            prints.push(fingerprint(&run.output));
            fuel.push(run.usage.fuel);
        }
        let identical = prints.iter().all(|p| *p == prints[0]);
        inputs.push(json!({
            "input": name,
            "identical": identical,
            "outcome": if prints[0].starts_with("Ok") { "output" } else { "solution-error" },
            "fuel": fuel,
            "fuel_identical": fuel.iter().all(|f| *f == fuel[0]),
        }));
        if !identical {
            let first_diff = prints.iter().position(|p| *p != prints[0]).unwrap_or(0);
            return fail(
                format!(
                    "`{name}`: run {} differs from run 1 on fresh instances",
                    first_diff + 1
                ),
                json!({"runs_per_input": n, "inputs": inputs}),
            );
        }
    }
    pass(
        format!(
            "{} input(s) × {n} fresh instances: identical outputs",
            inputs.len()
        ),
        json!({"runs_per_input": n, "inputs": inputs}),
    )
}

fn robustness(ctx: &Ctx<'_>) -> Verdict {
    let (plugin, d) = match ctx.described() {
        Ok(pd) => pd,
        Err(v) => return v,
    };
    let (base_name, base) = ctx.reference(d);
    let cases = generate::robustness_cases(d, &base);
    let mut tally = Robust::default();
    let mut accepted = 0;
    let mut by_kind: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut abnormal = Vec::new();
    let mut accepted_breaking = Vec::new();
    for case in &cases {
        if tally.abnormal >= ctx.config.robustness_stop_after.max(1) {
            break;
        }
        let run = plugin.run(&case.input, &ctx.limits(&case.input));
        tally.run += 1;
        if case.expect == Expect::Refuse {
            tally.must_refuse += 1;
        }
        let verdict = match &run.output {
            Ok(_) => {
                accepted += 1;
                if case.expect == Expect::Refuse {
                    accepted_breaking.push(case.label.clone());
                }
                "accepted"
            }
            Err(e) if !e.is_abnormal() => {
                if case.expect == Expect::Refuse {
                    tally.refused_of_those += 1;
                }
                "refused"
            }
            Err(e) => {
                tally.abnormal += 1;
                abnormal
                    .push(json!({"case": case.label, "code": e.code(), "message": e.to_string()}));
                "abnormal"
            }
        };
        *by_kind
            .entry(case.kind)
            .or_default()
            .entry(verdict)
            .or_default() += 1;
    }
    ctx.facts.borrow_mut().robust = Some(tally);
    let stopped = tally.run < cases.len();
    let refused = tally.run - accepted - tally.abnormal;
    let evidence = json!({
        "base_input": base_name,
        "cases": cases.len(),
        "run": tally.run,
        "refused": refused,
        "accepted": accepted,
        "abnormal": tally.abnormal,
        "stopped_early": stopped,
        "by_kind": by_kind,
        "abnormal_cases": abnormal,
        "descriptor_breaking": tally.must_refuse,
        "descriptor_breaking_accepted": accepted_breaking.iter().take(MAX_LISTED).collect::<Vec<_>>(),
    });
    if tally.abnormal == 0 {
        pass(
            format!(
                "{} malformed inputs: {refused} refused with a solution-error, {accepted} accepted ({} of them breaking the descriptor), none trapped",
                tally.run,
                accepted_breaking.len()
            ),
            evidence,
        )
    } else {
        let first = &abnormal[0];
        fail(
            format!(
                "{} of {} malformed inputs ended abnormally{}; first: {} → {}",
                tally.abnormal,
                tally.run,
                if stopped {
                    format!(
                        " (stopped after {}, of {} cases)",
                        tally.abnormal,
                        cases.len()
                    )
                } else {
                    String::new()
                },
                first["case"].as_str().unwrap_or_default(),
                first["code"].as_str().unwrap_or_default()
            ),
            evidence,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// budget.fuel, budget.memory, budget.time, perf.latency

/// A declared budget's resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Fuel,
    Memory,
    Time,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Resource::Fuel => "fuel",
            Resource::Memory => "memory",
            Resource::Time => "wall time",
        }
    }

    /// (declared limit, measured use) of `sample`.
    fn of(self, s: &Sample) -> (f64, f64) {
        match self {
            Resource::Fuel => (s.limits.fuel as f64, s.fuel as f64),
            Resource::Memory => (s.limits.memory_bytes as f64, s.peak_memory as f64),
            Resource::Time => (s.limits.timeout_ms as f64, s.wall_ms),
        }
    }

    /// True when `error` is this resource's limit.
    fn hit_by(self, error: &RunError) -> bool {
        matches!(
            (self, error),
            (Resource::Fuel, RunError::OutOfFuel { .. })
                | (Resource::Memory, RunError::MemoryLimit { .. })
                | (Resource::Time, RunError::Timeout { .. })
        )
    }

    fn show(self, x: f64) -> String {
        match self {
            Resource::Fuel => human(x),
            Resource::Memory => mib(x),
            Resource::Time => format!("{x:.1} ms"),
        }
    }
}

/// Runs `input` `runs` times under its budget; stops at the first abnormal ending. `Err` when
/// the solution refuses the input.
fn sample(
    ctx: &Ctx<'_>,
    plugin: &Plugin,
    what: &'static str,
    name: &str,
    strategy: Option<&'static str>,
    input: &Input,
) -> Result<Sample, RunError> {
    let limits = ctx.limits(input);
    let mut s = Sample {
        what,
        input_name: name.to_owned(),
        strategy,
        rows: input.rows(),
        limits,
        fuel: 0,
        peak_memory: 0,
        wall_ms: 0.0,
        runs: 0,
        error: None,
    };
    let mut walls = Vec::new();
    let started = Instant::now();
    for _ in 0..ctx.config.budget_runs.max(1) {
        if s.runs > 0 && started.elapsed().as_millis() >= u128::from(ctx.config.budget_max_ms) {
            break;
        }
        let run = plugin.run(input, &limits);
        s.runs += 1;
        s.fuel = s.fuel.max(run.usage.fuel);
        s.peak_memory = s.peak_memory.max(run.usage.peak_memory_bytes);
        walls.push(run.usage.wall_ms);
        match run.output {
            Ok(_) => {}
            Err(e) if !e.is_abnormal() => return Err(e),
            Err(e) => {
                s.error = Some(e);
                break;
            }
        }
    }
    walls.sort_by(f64::total_cmp);
    s.wall_ms = walls[walls.len() / 2];
    Ok(s)
}

fn measure(ctx: &Ctx<'_>) -> Measured {
    let (plugin, d) = match ctx.described() {
        Ok(pd) => pd,
        Err((_, reason, _)) => {
            return Measured {
                reference: Err(reason.clone()),
                scaled: Err(reason),
            };
        }
    };
    let (name, base) = ctx.reference(d);
    let reference = sample(ctx, plugin, "reference", &name, None, &base)
        .map_err(|e| format!("the solution refused the reference input `{name}`: {e}"));
    let scaled = match &reference {
        Err(_) => Err("not measured: the reference input was refused".to_owned()),
        Ok(r) if r.error.is_some() => {
            Err("not measured: the reference run ended abnormally".to_owned())
        }
        Ok(_) => {
            let factor = ctx.config.scale.max(2);
            let mut last = format!("no input table of `{name}` can grow (max_rows)");
            let mut tried: Vec<Input> = Vec::new();
            let mut found = None;
            for suffix in Suffix::ORDER {
                let Some(input) = generate::scaled_input(d, &base, factor, suffix) else {
                    break;
                };
                if tried.contains(&input) {
                    continue;
                }
                match sample(ctx, plugin, "scaled", &name, Some(suffix.as_str()), &input) {
                    Ok(s) => {
                        found = Some(s);
                        break;
                    }
                    Err(e) => {
                        last = format!("the solution refused every {factor}× input; last: {e}");
                        tried.push(input);
                    }
                }
            }
            found.ok_or(last)
        }
    };
    Measured { reference, scaled }
}

/// The growth exponent `k` of `resource ∝ rows^k` from the two sizes, when both measured.
fn exponent(m: &Measured, resource: Resource) -> Option<f64> {
    let (r, s) = (m.reference.as_ref().ok()?, m.scaled.as_ref().ok()?);
    if r.error.is_some() || s.error.is_some() || r.rows == 0 || s.rows <= r.rows {
        return None;
    }
    let (_, v1) = resource.of(r);
    let (_, v2) = resource.of(s);
    (v1 > 0.0 && v2 > 0.0).then(|| (v2 / v1).ln() / (s.rows as f64 / r.rows as f64).ln())
}

fn budget(ctx: &Ctx<'_>, resource: Resource) -> Verdict {
    let m = ctx.measured();
    let reference = match &m.reference {
        Ok(r) => r,
        Err(reason) => return skip(format!("not measured: {reason}")),
    };
    let budget = &ctx.manifest.budget;
    let k = exponent(m, resource);
    let evidence = json!({
        "declared": {
            "fuel_base": budget.fuel_base,
            "fuel_per_row": budget.fuel_per_row,
            "memory_mib": budget.memory_mib,
            "wall_ms": budget.wall_ms,
        },
        "reference": reference.evidence(resource),
        "scaled": match &m.scaled {
            Ok(s) => s.evidence(resource),
            Err(reason) => json!({"not_measured": reason}),
        },
        "growth_exponent": k,
    });
    let samples: Vec<&Sample> = [Some(reference), m.scaled.as_ref().ok()]
        .into_iter()
        .flatten()
        .collect();
    let mut parts = Vec::new();
    let mut over = None;
    let mut unmeasurable = None;
    for s in &samples {
        let (limit, used) = resource.of(s);
        match &s.error {
            Some(e) if resource.hit_by(e) => {
                over.get_or_insert_with(|| format!("{} input ({} rows): {e}", s.what, s.rows));
            }
            Some(e) => {
                unmeasurable.get_or_insert_with(|| {
                    format!(
                        "the {} run ({} rows) ended with {}",
                        s.what,
                        s.rows,
                        e.code()
                    )
                });
            }
            None => {
                if used > limit {
                    over.get_or_insert_with(|| {
                        format!(
                            "{} input ({} rows): {} used, {} declared",
                            s.what,
                            s.rows,
                            resource.show(used),
                            resource.show(limit)
                        )
                    });
                }
                parts.push(format!(
                    "{} of {} ({:.0}%) at {} rows",
                    resource.show(used),
                    resource.show(limit),
                    100.0 * used / limit.max(f64::MIN_POSITIVE),
                    s.rows
                ));
            }
        }
    }
    let growth = k.map_or_else(
        || match &m.scaled {
            Err(reason) => format!("; not scaled: {reason}"),
            Ok(_) => String::new(),
        },
        |k| format!("; grows as rows^{k:.2}"),
    );
    if let Some(over) = over {
        return fail(
            format!("over the declared {}: {over}", resource.name()),
            evidence,
        );
    }
    if parts.is_empty() {
        return skip_with(
            format!(
                "not measured: {}",
                unmeasurable.unwrap_or_else(|| "no run completed".into())
            ),
            evidence,
        );
    }
    let unmeasured = unmeasurable.map_or_else(String::new, |u| format!("; not judged: {u}"));
    pass(
        format!("{}{growth}{unmeasured}", parts.join("; ")),
        evidence,
    )
}

fn skip_with(summary: String, evidence: Json) -> Verdict {
    (Outcome::Skip, summary, evidence)
}

/// The nearest-rank percentile `p` (0–1) of sorted `xs`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn perf_latency(ctx: &Ctx<'_>) -> Verdict {
    let (plugin, d) = match ctx.described() {
        Ok(pd) => pd,
        Err(v) => return v,
    };
    match &ctx.measured().reference {
        Ok(r) if r.error.is_none() => {}
        Ok(r) => {
            return skip(format!(
                "not run: the reference input ends abnormally ({})",
                r.error.as_ref().map_or("", RunError::code)
            ));
        }
        Err(reason) => return skip(format!("not run: {reason}")),
    }
    let (name, input) = ctx.reference(d);
    let limits = ctx.limits(&input);
    let config = ctx.config;
    let started = Instant::now();
    let mut walls = Vec::new();
    let mut fuel = 0;
    while walls.len() < config.latency_runs.max(1)
        && (walls.len() < config.latency_min_runs
            || started.elapsed().as_millis() < u128::from(config.latency_max_ms))
    {
        let run = plugin.run(&input, &limits);
        if let Err(e) = run.output {
            return fail(
                format!("call {} ended with {e}", walls.len() + 1),
                json!({"input": name, "runs": walls.len(), "code": e.code(), "message": e.to_string()}),
            );
        }
        walls.push(run.usage.wall_ms);
        fuel = run.usage.fuel;
    }
    walls.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&walls, 0.5), percentile(&walls, 0.99));
    ctx.facts.borrow_mut().latency_p50_ms = Some(p50);
    pass(
        format!(
            "p50 {p50:.2} ms, p99 {p99:.2} ms over {} calls (instantiate + run, {} rows)",
            walls.len(),
            input.rows()
        ),
        json!({
            "input": name,
            "rows": input.rows(),
            "runs": walls.len(),
            "p50_ms": p50,
            "p99_ms": p99,
            "min_ms": walls[0],
            "max_ms": walls[walls.len() - 1],
            "fuel": fuel,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_log_is_100_at_good_0_at_bad_and_log_linear_between() {
        assert_eq!(lerp_log(1.0, 2.0, 200.0), 100.0);
        assert_eq!(lerp_log(500.0, 2.0, 200.0), 0.0);
        assert!((lerp_log(20.0, 2.0, 200.0) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn mean_ignores_missing_parts_and_is_none_without_any() {
        assert_eq!(mean(&[(0.8, Some(100.0)), (0.2, None)]), Some(100));
        assert_eq!(mean(&[(0.8, Some(50.0)), (0.2, Some(0.0))]), Some(40));
        assert_eq!(mean(&[(1.0, None)]), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let xs: Vec<f64> = (1..=30).map(f64::from).collect();
        assert_eq!(percentile(&xs, 0.5), 15.0);
        assert_eq!(percentile(&xs, 0.99), 30.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
    }

    #[test]
    fn import_rule_matches_the_runtime_allow_list() {
        assert!(import_allowed("wasi:cli/stdout@0.2.3"));
        assert!(import_allowed("smelt:solution/log@0.1.0"));
        assert!(!import_allowed("wasi:cli/stdout@0.20.0"));
        assert!(!import_allowed("wasi:sockets/tcp@0.2.3"));
    }

    #[test]
    fn growth_exponent_from_two_sizes() {
        let s = |rows, fuel| Sample {
            what: "x",
            input_name: String::new(),
            strategy: None,
            rows,
            limits: Limits::default(),
            fuel,
            peak_memory: 1,
            wall_ms: 1.0,
            runs: 1,
            error: None,
        };
        let m = Measured {
            reference: Ok(s(10, 1_000)),
            scaled: Ok(s(100, 100_000)),
        };
        assert!((exponent(&m, Resource::Fuel).unwrap() - 2.0).abs() < 1e-9);
        assert!(exponent(&m, Resource::Memory).unwrap().abs() < 1e-9);
        let m = Measured {
            reference: Ok(s(10, 1_000)),
            scaled: Err("no".into()),
        };
        assert_eq!(exponent(&m, Resource::Fuel), None);
    }
}
