//! Inputs made from a descriptor: a sample when there are no vectors, malformed variants of
//! the reference input for robustness, and the scaled-up input for the budgets.

use std::collections::HashSet;

use smelt_runtime::{ColumnValues, Descriptor, Input, ParamSpec, Table, Texts, Value, ValueType};

/// Text long enough to overflow any fixed buffer or naive formatting, small enough to pass the
/// host's input limits: 64 KiB.
const HUGE_TEXT_BYTES: usize = 64 << 10;

/// What a malformed input must lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// It breaks the descriptor: the solution must refuse it with a `solution-error`.
    Refuse,
    /// The descriptor allows it: an output or a `solution-error` are both fine.
    Either,
}

/// One robustness input.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// What was broken, e.g. `missing-column batches.L`.
    pub label: String,
    /// The kind, e.g. `missing-column`.
    pub kind: &'static str,
    pub expect: Expect,
    pub input: Input,
}

fn one(value_type: ValueType) -> ColumnValues {
    match value_type {
        ValueType::Float64 => ColumnValues::Float64(vec![1.0]),
        ValueType::Int64 => ColumnValues::Int64(vec![1]),
        ValueType::Text => ColumnValues::Text(["a"].into_iter().collect()),
        ValueType::Boolean => ColumnValues::Boolean(vec![false]),
    }
}

/// A value `spec` accepts: its default, else its minimum, maximum, first choice or a plain one.
fn plausible(spec: &ParamSpec) -> Value {
    if let Some(default) = &spec.default {
        return default.clone();
    }
    let number = spec.min.or(spec.max).unwrap_or(1.0);
    match spec.value_type {
        ValueType::Float64 => Value::Float64(number),
        ValueType::Int64 => Value::Int64(number.ceil() as i64),
        ValueType::Text => Value::Text(spec.choices.first().cloned().unwrap_or_else(|| "a".into())),
        ValueType::Boolean => Value::Boolean(false),
    }
}

/// An input of the declared shape (one row per table, or `min_rows`), for a component without
/// vectors. The solution may well refuse its values; it is only something to run.
pub(crate) fn sample_input(descriptor: &Descriptor) -> Input {
    let mut input = Input::default();
    for spec in &descriptor.inputs {
        let rows = (spec.min_rows.max(1) as usize).min(spec.max_rows.unwrap_or(u32::MAX) as usize);
        let table: Table = spec
            .columns
            .iter()
            .map(|c| (c.name.clone(), repeat(&one(c.value_type), rows)))
            .collect();
        input.tables.insert(spec.name.clone(), table);
    }
    for spec in &descriptor.params {
        if spec.default.is_some() || !spec.optional {
            input.params.insert(spec.name.clone(), plausible(spec));
        }
    }
    input
}

fn repeat(values: &ColumnValues, rows: usize) -> ColumnValues {
    fn cycle<T: Clone>(v: &[T], rows: usize) -> Vec<T> {
        v.iter().cycle().take(rows).cloned().collect()
    }
    match values {
        ColumnValues::Float64(v) => ColumnValues::Float64(cycle(v, rows)),
        ColumnValues::Int64(v) => ColumnValues::Int64(cycle(v, rows)),
        ColumnValues::Text(v) => ColumnValues::Text(v.iter().cycle().take(rows).collect()),
        ColumnValues::Boolean(v) => ColumnValues::Boolean(cycle(v, rows)),
    }
}

fn emptied(values: &ColumnValues) -> ColumnValues {
    match values {
        ColumnValues::Float64(_) => ColumnValues::Float64(Vec::new()),
        ColumnValues::Int64(_) => ColumnValues::Int64(Vec::new()),
        ColumnValues::Text(_) => ColumnValues::Text(Texts::new()),
        ColumnValues::Boolean(_) => ColumnValues::Boolean(Vec::new()),
    }
}

/// The same number of values, of another type.
fn retyped(values: &ColumnValues) -> ColumnValues {
    let n = values.len();
    match values {
        ColumnValues::Float64(_) => ColumnValues::Text(std::iter::repeat_n("x", n).collect()),
        ColumnValues::Int64(_) => ColumnValues::Float64(vec![0.5; n]),
        ColumnValues::Text(_) => ColumnValues::Int64(vec![1; n]),
        ColumnValues::Boolean(_) => ColumnValues::Float64(vec![1.0; n]),
    }
}

fn param_retyped(value: &Value) -> Value {
    match value {
        Value::Float64(_) | Value::Int64(_) | Value::Boolean(_) => Value::Text("x".into()),
        Value::Text(_) => Value::Float64(1.0),
    }
}

/// A number of `spec`'s type just outside `bound` on the `below` side, if one exists.
fn outside(spec: &ParamSpec, bound: f64, below: bool) -> Option<Value> {
    let step = bound.abs().max(1.0);
    match spec.value_type {
        ValueType::Float64 => {
            let v = if below { bound - step } else { bound + step };
            v.is_finite().then_some(Value::Float64(v))
        }
        ValueType::Int64 => {
            // Beyond ±2^63 no i64 lies outside the range.
            let limit = 9.2e18;
            if below && bound > -limit {
                Some(Value::Int64(bound.ceil() as i64 - 1))
            } else if !below && bound < limit {
                Some(Value::Int64(bound.floor() as i64 + 1))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Malformed variants of `base` (a valid input), in a fixed order. See the crate doc.
pub(crate) fn robustness_cases(descriptor: &Descriptor, base: &Input) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut push = |label: String, kind, expect, input| {
        cases.push(Case {
            label,
            kind,
            expect,
            input,
        })
    };
    for spec in &descriptor.inputs {
        let Some(table) = base.tables.get(&spec.name) else {
            continue;
        };
        let t = &spec.name;
        let mut input = base.clone();
        input.tables.shift_remove(t);
        push(
            format!("missing-table {t}"),
            "missing-table",
            Expect::Refuse,
            input,
        );

        for column in table.keys() {
            let mut input = base.clone();
            input.tables[t].shift_remove(column);
            push(
                format!("missing-column {t}.{column}"),
                "missing-column",
                Expect::Refuse,
                input,
            );
        }
        for (column, values) in table {
            let mut input = base.clone();
            input.tables[t][column] = retyped(values);
            push(
                format!("wrong-type {t}.{column}"),
                "wrong-type",
                Expect::Refuse,
                input,
            );
        }

        let mut input = base.clone();
        for values in input.tables[t].values_mut() {
            *values = emptied(values);
        }
        let expect = if spec.min_rows > 0 {
            Expect::Refuse
        } else {
            Expect::Either
        };
        push(format!("empty-table {t}"), "empty-table", expect, input);

        for (column, values) in table {
            if values.is_empty() {
                continue;
            }
            let variants: Vec<(&'static str, &'static str, ColumnValues)> = match values {
                ColumnValues::Float64(v) => [
                    ("nan", "NaN", f64::NAN),
                    ("infinity", "+inf", f64::INFINITY),
                    ("infinity", "-inf", f64::NEG_INFINITY),
                    ("huge", "1e308", f64::MAX),
                    ("huge", "-1e308", f64::MIN),
                ]
                .into_iter()
                .map(|(kind, what, x)| {
                    let mut v = v.clone();
                    v[0] = x;
                    (kind, what, ColumnValues::Float64(v))
                })
                .collect(),
                ColumnValues::Int64(v) => [("i64::MAX", i64::MAX), ("i64::MIN", i64::MIN)]
                    .into_iter()
                    .map(|(what, x)| {
                        let mut v = v.clone();
                        v[0] = x;
                        ("huge", what, ColumnValues::Int64(v))
                    })
                    .collect(),
                ColumnValues::Text(v) => {
                    let huge = "x".repeat(HUGE_TEXT_BYTES);
                    let v = v
                        .iter()
                        .enumerate()
                        .map(|(i, text)| if i == 0 { huge.as_str() } else { text })
                        .collect();
                    vec![("huge", "64 KiB text", ColumnValues::Text(v))]
                }
                ColumnValues::Boolean(_) => Vec::new(),
            };
            for (kind, what, values) in variants {
                let mut input = base.clone();
                input.tables[t][column] = values;
                push(
                    format!("{kind} {t}.{column}[0] = {what}"),
                    kind,
                    Expect::Either,
                    input,
                );
            }
        }

        if table.len() >= 2
            && let Some((column, values)) = table.last()
            && !values.is_empty()
        {
            let mut input = base.clone();
            let shorter = repeat(values, values.len() - 1);
            input.tables[t][column] = shorter;
            push(
                format!("unequal-lengths {t}.{column} one value short"),
                "unequal-lengths",
                Expect::Refuse,
                input,
            );
        }
    }

    for spec in &descriptor.params {
        let p = &spec.name;
        let with = |value: Value| {
            let mut input = base.clone();
            input.params.insert(p.clone(), value);
            input
        };
        for (bound, below) in [(spec.min, true), (spec.max, false)] {
            if let Some(value) = bound.and_then(|b| outside(spec, b, below)) {
                let what = match &value {
                    Value::Float64(v) if v.abs() >= 1e6 => format!("{v:e}"),
                    Value::Float64(v) => v.to_string(),
                    Value::Int64(v) => v.to_string(),
                    _ => String::new(),
                };
                push(
                    format!("param-out-of-range {p} = {what}"),
                    "param-out-of-range",
                    Expect::Refuse,
                    with(value),
                );
            }
        }
        if spec.value_type == ValueType::Text && !spec.choices.is_empty() {
            push(
                format!("param-out-of-range {p} = not-a-choice"),
                "param-out-of-range",
                Expect::Refuse,
                with(Value::Text("not-a-choice".into())),
            );
        }
        let value = base
            .params
            .get(p)
            .cloned()
            .unwrap_or_else(|| plausible(spec));
        push(
            format!("param-wrong-type {p}"),
            "param-wrong-type",
            Expect::Refuse,
            with(param_retyped(&value)),
        );
        if spec.value_type == ValueType::Float64 {
            for (what, x) in [
                ("NaN", f64::NAN),
                ("+inf", f64::INFINITY),
                ("-inf", f64::NEG_INFINITY),
            ] {
                // A range makes a non-finite value invalid; without one, the descriptor allows it.
                let expect = if spec.min.is_some() || spec.max.is_some() {
                    Expect::Refuse
                } else {
                    Expect::Either
                };
                push(
                    format!("param-non-finite {p} = {what}"),
                    "param-non-finite",
                    expect,
                    with(Value::Float64(x)),
                );
            }
        }
        if spec.default.is_none() && !spec.optional && base.params.contains_key(p) {
            let mut input = base.clone();
            input.params.shift_remove(p);
            push(
                format!("param-missing {p}"),
                "param-missing",
                Expect::Refuse,
                input,
            );
        }
    }
    cases
}

/// How the text of copied rows is made unique when scaling up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suffix {
    /// Every text column of a copied table.
    AllText,
    /// Only identifier-like text columns.
    Identifiers,
    /// No suffix: plain copies.
    None,
}

impl Suffix {
    pub(crate) const ORDER: [Suffix; 3] = [Suffix::AllText, Suffix::Identifiers, Suffix::None];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Suffix::AllText => "suffix-all-text",
            Suffix::Identifiers => "suffix-identifiers",
            Suffix::None => "plain-copies",
        }
    }
}

/// The copies of each table `base` can take: `factor`, or fewer where `max_rows` says so.
fn copies(descriptor: &Descriptor, base: &Input, factor: usize) -> Vec<(String, usize)> {
    base.tables
        .iter()
        .map(|(name, table)| {
            let rows = table.values().map(ColumnValues::len).max().unwrap_or(0);
            let max = descriptor
                .inputs
                .iter()
                .find(|s| &s.name == name)
                .and_then(|s| s.max_rows)
                .map_or(usize::MAX, |m| m as usize);
            // An empty table stays empty: copies of nothing.
            let k = max
                .checked_div(rows)
                .map_or(1, |fit| factor.min(fit).max(1));
            (name.clone(), k)
        })
        .collect()
}

/// The (table, column) pairs whose text gets a suffix under `suffix`.
fn suffixed_columns(
    base: &Input,
    grown: &[(String, usize)],
    suffix: Suffix,
) -> HashSet<(String, String)> {
    let grows = |t: &str| grown.iter().any(|(n, k)| n == t && *k > 1);
    let text_columns = base
        .tables
        .iter()
        .filter(|(t, _)| grows(t))
        .flat_map(|(t, table)| {
            table.iter().filter_map(move |(c, v)| match v {
                ColumnValues::Text(v) => Some((t.clone(), c.clone(), v)),
                _ => None,
            })
        });
    match suffix {
        Suffix::None => HashSet::new(),
        Suffix::AllText => text_columns.map(|(t, c, _)| (t, c)).collect(),
        Suffix::Identifiers => {
            let columns: Vec<_> = text_columns.collect();
            let sets: Vec<HashSet<&str>> =
                columns.iter().map(|(_, _, v)| v.iter().collect()).collect();
            // Column `i`'s values all appear in column `j` of another table: `i` refers to `j`.
            let refers =
                |i: usize, j: usize| columns[i].0 != columns[j].0 && sets[i].is_subset(&sets[j]);
            let distinct =
                |j: usize| !columns[j].2.is_empty() && sets[j].len() == columns[j].2.len();
            // Keys: distinct values, and either several of them or referred to from elsewhere.
            let keys: Vec<usize> = (0..columns.len())
                .filter(|&j| {
                    distinct(j) && (sets[j].len() >= 2 || (0..columns.len()).any(|i| refers(i, j)))
                })
                .collect();
            (0..columns.len())
                .filter(|&i| keys.contains(&i) || keys.iter().any(|&j| refers(i, j)))
                .map(|i| (columns[i].0.clone(), columns[i].1.clone()))
                .collect()
        }
    }
}

/// `base` with every table copied up to `factor` times (see [`copies`]), text made unique per
/// `suffix`. `None` when no table can grow.
pub(crate) fn scaled_input(
    descriptor: &Descriptor,
    base: &Input,
    factor: usize,
    suffix: Suffix,
) -> Option<Input> {
    let grown = copies(descriptor, base, factor);
    if grown.iter().all(|(_, k)| *k <= 1) {
        return None;
    }
    let suffixed = suffixed_columns(base, &grown, suffix);
    let mut input = base.clone();
    for (name, k) in grown {
        let table = &mut input.tables[&name];
        for (column, values) in table.iter_mut() {
            let rows = values.len();
            *values = repeat(values, rows * k);
            if let ColumnValues::Text(v) = values
                && suffixed.contains(&(name.clone(), column.clone()))
            {
                *v = v
                    .iter()
                    .enumerate()
                    .map(|(i, text)| match i / rows {
                        0 => text.to_owned(),
                        copy => format!("{text}~{copy}"),
                    })
                    .collect();
            }
        }
    }
    Some(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelt_runtime::{ColumnSpec, TableSpec};

    fn column(name: &str, value_type: ValueType) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            value_type,
            unit: String::new(),
            description: String::new(),
        }
    }

    fn descriptor() -> Descriptor {
        Descriptor {
            name: "t".into(),
            version: "0.1.0".into(),
            summary: "s".into(),
            inputs: vec![
                TableSpec {
                    name: "rolls".into(),
                    description: String::new(),
                    columns: vec![
                        column("roll", ValueType::Text),
                        column("len", ValueType::Float64),
                    ],
                    min_rows: 1,
                    max_rows: None,
                },
                TableSpec {
                    name: "defects".into(),
                    description: String::new(),
                    columns: vec![
                        column("roll", ValueType::Text),
                        column("kind", ValueType::Text),
                    ],
                    min_rows: 0,
                    max_rows: None,
                },
                TableSpec {
                    name: "standard".into(),
                    description: String::new(),
                    columns: vec![column("n", ValueType::Int64)],
                    min_rows: 1,
                    max_rows: Some(1),
                },
            ],
            params: vec![ParamSpec {
                name: "limit".into(),
                value_type: ValueType::Float64,
                unit: String::new(),
                description: String::new(),
                default: Some(Value::Float64(1.0)),
                optional: false,
                min: Some(0.0),
                max: Some(10.0),
                choices: vec![],
            }],
            outputs: vec![],
            metrics: vec![],
        }
    }

    fn base() -> Input {
        let json = serde_json::json!({"tables": {
            "rolls": {"roll": ["R1", "R2"], "len": [10.0, 20.0]},
            "defects": {"roll": ["R2", "R2", "R1"], "kind": ["hole", "hole", "cut"]},
            "standard": {"n": [3]}
        }});
        smelt_runtime::input_from_json(&json, &descriptor()).unwrap()
    }

    #[test]
    fn scaling_copies_within_max_rows_and_suffixes_identifiers_only() {
        let d = descriptor();
        let scaled = scaled_input(&d, &base(), 10, Suffix::Identifiers).unwrap();
        assert_eq!(scaled.rows(), 20 + 30 + 1);
        let ColumnValues::Text(rolls) = &scaled.tables["rolls"]["roll"] else {
            panic!()
        };
        assert_eq!(
            rolls.iter().take(4).collect::<Vec<_>>(),
            ["R1", "R2", "R1~1", "R2~1"]
        );
        let ColumnValues::Text(refs) = &scaled.tables["defects"]["roll"] else {
            panic!()
        };
        assert_eq!(&refs[29], "R1~9");
        let ColumnValues::Text(kinds) = &scaled.tables["defects"]["kind"] else {
            panic!()
        };
        assert_eq!(&kinds[29], "cut", "a category column keeps its values");

        let all = scaled_input(&d, &base(), 10, Suffix::AllText).unwrap();
        let ColumnValues::Text(kinds) = &all.tables["defects"]["kind"] else {
            panic!()
        };
        assert_eq!(&kinds[29], "cut~9");
        let plain = scaled_input(&d, &base(), 10, Suffix::None).unwrap();
        let ColumnValues::Text(rolls) = &plain.tables["rolls"]["roll"] else {
            panic!()
        };
        assert_eq!(&rolls[19], "R2");
    }

    #[test]
    fn a_one_row_key_table_referred_to_elsewhere_is_suffixed() {
        let json = serde_json::json!({"tables": {
            "rolls": {"roll": ["R1"], "len": [10.0]},
            "defects": {"roll": ["R1", "R1", "R1"], "kind": ["hole", "cut", "cut"]},
            "standard": {"n": [3]}
        }});
        let d = descriptor();
        let base = smelt_runtime::input_from_json(&json, &d).unwrap();
        let scaled = scaled_input(&d, &base, 10, Suffix::Identifiers).unwrap();
        let ColumnValues::Text(rolls) = &scaled.tables["rolls"]["roll"] else {
            panic!()
        };
        assert_eq!(&rolls[9], "R1~9");
        let ColumnValues::Text(refs) = &scaled.tables["defects"]["roll"] else {
            panic!()
        };
        assert_eq!(&refs[3], "R1~1");
        let ColumnValues::Text(kinds) = &scaled.tables["defects"]["kind"] else {
            panic!()
        };
        assert_eq!(&kinds[29], "cut");
    }

    #[test]
    fn nothing_to_scale_without_growable_tables() {
        let mut input = base();
        input.tables.shift_remove("rolls");
        input.tables.shift_remove("defects");
        assert!(scaled_input(&descriptor(), &input, 10, Suffix::None).is_none());
    }

    #[test]
    fn robustness_cases_break_what_they_say() {
        let d = descriptor();
        let cases = robustness_cases(&d, &base());
        let find = |label: &str| {
            cases.iter().find(|c| c.label == label).unwrap_or_else(|| {
                panic!(
                    "no case {label}: {:#?}",
                    cases.iter().map(|c| &c.label).collect::<Vec<_>>()
                )
            })
        };
        assert!(
            !find("missing-table rolls")
                .input
                .tables
                .contains_key("rolls")
        );
        assert!(!find("missing-column rolls.len").input.tables["rolls"].contains_key("len"));
        assert_eq!(
            find("wrong-type rolls.len").input.tables["rolls"]["len"],
            ColumnValues::Text(["x", "x"].into_iter().collect())
        );
        assert_eq!(find("empty-table defects").expect, Expect::Either);
        assert_eq!(find("empty-table rolls").expect, Expect::Refuse);
        let ColumnValues::Float64(v) = &find("nan rolls.len[0] = NaN").input.tables["rolls"]["len"]
        else {
            panic!()
        };
        assert!(v[0].is_nan() && v[1] == 20.0);
        let short = &find("unequal-lengths defects.kind one value short")
            .input
            .tables["defects"];
        assert_eq!((short["roll"].len(), short["kind"].len()), (3, 2));
        assert_eq!(
            find("param-out-of-range limit = -1").input.params["limit"],
            Value::Float64(-1.0)
        );
        assert_eq!(
            find("param-out-of-range limit = 20").input.params["limit"],
            Value::Float64(20.0)
        );
        assert_eq!(
            find("param-wrong-type limit").input.params["limit"],
            Value::Text("x".into())
        );
        assert_eq!(find("param-non-finite limit = NaN").expect, Expect::Refuse);
        assert!(find("huge standard.n[0] = i64::MAX").expect == Expect::Either);
        // Every descriptor-breaking case really is refused by the host's own checks.
        for case in cases
            .iter()
            .filter(|c| c.expect == Expect::Refuse && !c.kind.starts_with("param-non"))
        {
            let json = serde_json::to_value(&case.input).unwrap();
            assert!(
                smelt_runtime::input_from_json(&json, &d).is_err(),
                "{} passes the host's checks",
                case.label
            );
        }
    }

    #[test]
    fn int_params_get_integers_outside_their_range() {
        let mut spec = descriptor().params.remove(0);
        spec.value_type = ValueType::Int64;
        spec.min = Some(2.0);
        spec.max = Some(1e19);
        assert_eq!(outside(&spec, 2.0, true), Some(Value::Int64(1)));
        assert_eq!(outside(&spec, 1e19, false), None);
        assert_eq!(outside(&spec, 0.5, true), Some(Value::Int64(0)));
    }
}
