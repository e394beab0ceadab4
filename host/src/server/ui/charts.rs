//! Charts as server-side SVG (text escaped by the template): the X̄ control chart with
//! violations marked, the Gantt chart, ΔE per batch against the tolerance, a radar of the
//! assessment dimensions and bar charts for the dashboard.

use maud::{Markup, html};
use serde_json::Value;
use smelt_runtime::Descriptor;

use super::{Ctx, num};

const W: f64 = 720.0;
const H: f64 = 300.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 16.0;
const PAD_B: f64 = 36.0;
/// Distinct, colour-blind-safe hues (Okabe–Ito), for jobs in the Gantt chart.
const PALETTE: &[&str] = &[
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Maps `[lo, hi]` onto `[a, b]`.
struct Scale {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl Scale {
    fn new(lo: f64, hi: f64, a: f64, b: f64) -> Scale {
        let (lo, hi) = if (hi - lo).abs() < 1e-12 {
            (lo - 1.0, hi + 1.0)
        } else {
            (lo, hi)
        };
        Scale { lo, hi, a, b }
    }
    fn at(&self, x: f64) -> f64 {
        self.a + (x - self.lo) / (self.hi - self.lo) * (self.b - self.a)
    }
}

fn bounds(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
}

fn f(x: f64) -> String {
    format!("{x:.1}")
}

/// The chart fitting a run's output, chosen by the output's shape.
pub fn for_output(ctx: &Ctx, out: &Value, input: &Value, d: &Descriptor) -> Option<Markup> {
    let tables = &out["tables"];
    if tables["points"]["mean"].is_array() && tables["limits"]["chart"].is_array() {
        return control_chart(ctx, &tables["points"], &tables["limits"]);
    }
    if tables["schedule"]["machine"].is_array() && tables["schedule"]["start"].is_array() {
        return gantt(ctx, &tables["schedule"]);
    }
    if tables["results"]["delta_e00"].is_array() {
        let tolerance = input["params"]["tolerance"].as_f64().or_else(|| {
            d.params
                .iter()
                .find(|p| p.name == "tolerance")
                .and_then(|p| serde_json::to_value(&p.default).ok())
                .and_then(|v| v.as_f64())
        });
        return delta_e(ctx, &tables["results"], tolerance);
    }
    None
}

fn y_axis(scale: &Scale, lo: f64, hi: f64) -> Markup {
    let ticks: Vec<f64> = (0..=4)
        .map(|i| lo + (hi - lo) * f64::from(i) / 4.0)
        .collect();
    html! {
        g.axis {
            line x1=(f(PAD_L)) y1=(f(PAD_T)) x2=(f(PAD_L)) y2=(f(H - PAD_B)) {}
            line x1=(f(PAD_L)) y1=(f(H - PAD_B)) x2=(f(W - PAD_R)) y2=(f(H - PAD_B)) {}
            @for t in ticks {
                text x=(f(PAD_L - 6.0)) y=(f(scale.at(t) + 4.0)) text-anchor="end" { (num(t, 3)) }
            }
        }
    }
}

/// X̄ chart: subgroup means, centre line and limits; points completing a run rule in red.
fn control_chart(ctx: &Ctx, points: &Value, limits: &Value) -> Option<Markup> {
    let means = floats(&points["mean"]);
    let ids = texts(&points["subgroup"]);
    let rules = texts(&points["xbar_rules"]);
    let charts = texts(&limits["chart"]);
    let row = charts.iter().position(|c| c == "xbar")?;
    let (lcl, cl, ucl) = (
        floats(&limits["lcl"]).get(row).copied()?,
        floats(&limits["cl"]).get(row).copied()?,
        floats(&limits["ucl"]).get(row).copied()?,
    );
    if means.is_empty() {
        return None;
    }
    let (lo, hi) = bounds(means.iter().copied().chain([lcl, ucl]));
    let margin = (hi - lo) * 0.08;
    let (lo, hi) = (lo - margin, hi + margin);
    let y = Scale::new(lo, hi, H - PAD_B, PAD_T);
    let x = Scale::new(
        0.0,
        (means.len().max(2) - 1) as f64,
        PAD_L + 10.0,
        W - PAD_R - 10.0,
    );
    let path: String = means
        .iter()
        .enumerate()
        .filter(|(_, m)| m.is_finite())
        .map(|(i, m)| format!("{},{}", f(x.at(i as f64)), f(y.at(*m))))
        .collect::<Vec<_>>()
        .join(" ");
    let violations = rules.iter().filter(|r| !r.is_empty()).count();
    let label = format!(
        "{}: {} {}, {} {}",
        ctx.t("control_chart"),
        means.len(),
        ctx.t("subgroups"),
        violations,
        ctx.t("violation")
    );
    Some(html! {
        svg.chart #control-chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(label) {
            title { (label) }
            (y_axis(&y, lo, hi))
            @for (value, name, class) in [(ucl, "UCL", "limit"), (cl, "CL", "centre"), (lcl, "LCL", "limit")] {
                line class=(class) x1=(f(PAD_L)) x2=(f(W - PAD_R)) y1=(f(y.at(value))) y2=(f(y.at(value))) {}
                text.limit-label x=(f(W - PAD_R - 2.0)) y=(f(y.at(value) - 4.0)) text-anchor="end" { (name) " " (num(value, 4)) }
            }
            polyline.series points=(path) {}
            @for (i, m) in means.iter().enumerate() {
                @let rule = rules.get(i).cloned().unwrap_or_default();
                @if m.is_finite() {
                    circle class=(if rule.is_empty() { "point" } else { "point violation" }) cx=(f(x.at(i as f64))) cy=(f(y.at(*m))) r=(if rule.is_empty() { "3" } else { "6" }) {
                        title { (ids.get(i).cloned().unwrap_or_default()) ": " (num(*m, 4)) @if !rule.is_empty() { " — " (ctx.t("violation")) " " (rule) } }
                    }
                }
            }
        }
        figcaption { (label) }
    })
}

/// Gantt: one lane per machine, one bar per operation, a hue per job.
fn gantt(ctx: &Ctx, schedule: &Value) -> Option<Markup> {
    let jobs = texts(&schedule["job"]);
    let machines = floats(&schedule["machine"]);
    let starts = floats(&schedule["start"]);
    let ends = floats(&schedule["end"]);
    let n = jobs
        .len()
        .min(machines.len())
        .min(starts.len())
        .min(ends.len());
    if n == 0 {
        return None;
    }
    let lanes = machines.iter().take(n).fold(1.0f64, |a, m| a.max(*m)) as usize;
    let (_, end) = bounds(ends.iter().copied());
    let lane_h = ((H - PAD_T - PAD_B) / lanes as f64).min(40.0);
    let height = PAD_T + PAD_B + lane_h * lanes as f64;
    let x = Scale::new(0.0, end, PAD_L, W - PAD_R);
    let mut job_ids: Vec<&str> = Vec::new();
    for j in jobs.iter().take(n) {
        if !job_ids.contains(&j.as_str()) {
            job_ids.push(j);
        }
    }
    let label = format!(
        "{}: {} {}, {} {}",
        ctx.t("gantt"),
        job_ids.len(),
        ctx.t("jobs"),
        ctx.t("makespan"),
        num(end, 2)
    );
    Some(html! {
        svg.chart #gantt viewBox={ "0 0 " (W) " " (f(height)) } role="img" aria-label=(label) {
            title { (label) }
            @for lane in 0..lanes {
                text x=(f(PAD_L - 6.0)) y=(f(PAD_T + lane_h * (lane as f64 + 0.6))) text-anchor="end" { "M" (lane + 1) }
            }
            line x1=(f(PAD_L)) y1=(f(height - PAD_B)) x2=(f(W - PAD_R)) y2=(f(height - PAD_B)) class="axis-line" {}
            @for t in 0..=4 {
                @let v = end * f64::from(t) / 4.0;
                text x=(f(x.at(v))) y=(f(height - PAD_B + 16.0)) text-anchor="middle" { (num(v, 0)) }
            }
            @for i in 0..n {
                @let lane = (machines[i] as usize).saturating_sub(1);
                @let hue = PALETTE[job_ids.iter().position(|j| *j == jobs[i]).unwrap_or(0) % PALETTE.len()];
                rect.bar x=(f(x.at(starts[i]))) y=(f(PAD_T + lane_h * lane as f64 + 2.0)) width=(f((x.at(ends[i]) - x.at(starts[i])).max(1.0))) height=(f(lane_h - 4.0)) fill=(hue) {
                    title { (jobs[i]) " · " (ctx.t("machine")) " " (lane + 1) ": " (num(starts[i], 2)) "–" (num(ends[i], 2)) }
                }
            }
        }
        figcaption { (label) }
    })
}

/// ΔE00 per batch as bars, the tolerance as a line; failing batches in red.
fn delta_e(ctx: &Ctx, results: &Value, tolerance: Option<f64>) -> Option<Markup> {
    let values = floats(&results["delta_e00"]);
    let batches = texts(&results["batch"]);
    if values.is_empty() {
        return None;
    }
    let (_, hi) = bounds(values.iter().copied().chain(tolerance));
    let hi = hi.max(0.1) * 1.1;
    let y = Scale::new(0.0, hi, H - PAD_B, PAD_T);
    let slot = (W - PAD_L - PAD_R) / values.len() as f64;
    let failing = values
        .iter()
        .filter(|v| tolerance.is_some_and(|t| **v > t))
        .count();
    let label = format!(
        "{}: {} / {} > {} {}",
        ctx.t("delta_e"),
        failing,
        values.len(),
        ctx.t("tolerance"),
        tolerance.map_or("—".into(), |t| num(t, 3))
    );
    Some(html! {
        svg.chart #delta-e viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(label) {
            title { (label) }
            (y_axis(&y, 0.0, hi))
            @for (i, v) in values.iter().enumerate() {
                @let bad = tolerance.is_some_and(|t| *v > t);
                rect class=(if bad { "bar fail" } else { "bar ok" }) x=(f(PAD_L + slot * i as f64 + slot * 0.15)) y=(f(y.at(*v))) width=(f(slot * 0.7)) height=(f((y.at(0.0) - y.at(*v)).max(0.5))) {
                    title { (batches.get(i).cloned().unwrap_or_default()) ": ΔE00 " (num(*v, 3)) }
                }
                @if values.len() <= 24 {
                    text x=(f(PAD_L + slot * (i as f64 + 0.5))) y=(f(H - PAD_B + 16.0)) text-anchor="middle" { (batches.get(i).cloned().unwrap_or_default()) }
                }
            }
            @if let Some(t) = tolerance {
                line.tolerance x1=(f(PAD_L)) x2=(f(W - PAD_R)) y1=(f(y.at(t))) y2=(f(y.at(t))) {}
                text.limit-label x=(f(W - PAD_R - 2.0)) y=(f(y.at(t) - 4.0)) text-anchor="end" { (ctx.t("tolerance")) " " (num(t, 3)) }
            }
        }
        figcaption { (label) }
    })
}

/// A radar of `(label, value, max)` axes.
pub fn radar(label: &str, axes: &[(String, f64, f64)]) -> Markup {
    let (cx, cy, r) = (220.0, 200.0, 140.0);
    let n = axes.len().max(3);
    let point = |i: usize, frac: f64| -> (f64, f64) {
        let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        (cx + r * frac * angle.cos(), cy + r * frac * angle.sin())
    };
    let ring = |frac: f64| -> String {
        (0..n)
            .map(|i| {
                let (x, y) = point(i, frac);
                format!("{},{}", f(x), f(y))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let shape: String = axes
        .iter()
        .enumerate()
        .map(|(i, (_, v, max))| {
            let frac = if *max > 0.0 {
                (v / max).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (x, y) = point(i, frac);
            format!("{},{}", f(x), f(y))
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.chart.radar #radar viewBox="0 0 440 400" role="img" aria-label=(label) {
            title { (label) }
            @for frac in [0.25, 0.5, 0.75, 1.0] {
                polygon.grid points=(ring(frac)) {}
            }
            @for (i, (name, v, max)) in axes.iter().enumerate() {
                @let (x, y) = point(i, 1.0);
                @let (lx, ly) = point(i, 1.18);
                line.grid x1=(f(cx)) y1=(f(cy)) x2=(f(x)) y2=(f(y)) {}
                text x=(f(lx)) y=(f(ly)) text-anchor="middle" { (name) " " (num(*v, 1)) "/" (num(*max, 0)) }
            }
            polygon.area points=(shape) {}
        }
        figcaption { (label) }
    }
}

/// A bar of [`bars`]: its label, value, optional target (drawn as a tick) and the text shown
/// beside it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub target: Option<f64>,
    pub text: String,
}

/// Horizontal bars; a target, when there is one, as a tick.
pub fn bars(id: &str, label: &str, items: &[Bar]) -> Markup {
    let row = 28.0;
    let left = 260.0;
    let height = PAD_T + row * items.len().max(1) as f64 + 8.0;
    let (_, hi) = bounds(
        items
            .iter()
            .flat_map(|b| [Some(b.value), b.target])
            .flatten(),
    );
    let hi = if hi.is_finite() && hi > 0.0 {
        hi * 1.1
    } else {
        1.0
    };
    let x = Scale::new(0.0, hi, left, W - PAD_R - 90.0);
    html! {
        svg.chart id=(id) viewBox={ "0 0 " (W) " " (f(height)) } role="img" aria-label=(label) {
            title { (label) }
            @for (i, bar) in items.iter().enumerate() {
                @let y = PAD_T + row * i as f64;
                text x=(f(left - 8.0)) y=(f(y + row * 0.6)) text-anchor="end" { (bar.label) }
                rect.bar.ok x=(f(left)) y=(f(y + 4.0)) width=(f((x.at(bar.value) - left).max(0.5))) height=(f(row - 10.0)) {
                    title { (bar.label) ": " (bar.text) }
                }
                text x=(f(x.at(bar.value.max(bar.target.unwrap_or(0.0))) + 6.0)) y=(f(y + row * 0.6)) { (bar.text) }
                @if let Some(t) = bar.target {
                    line.target x1=(f(x.at(t))) x2=(f(x.at(t))) y1=(f(y + 1.0)) y2=(f(y + row - 3.0)) {}
                }
            }
        }
        figcaption { (label) }
    }
}
