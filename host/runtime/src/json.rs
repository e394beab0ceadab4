//! JSON input checked against a descriptor: every problem is reported with the table, column,
//! row or param it concerns, before any guest code runs.

use std::borrow::Cow;
use std::cell::RefCell;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use crate::model::{
    ColumnValues, Descriptor, Input, ParamSpec, Table, TableSpec, Texts, Value, ValueType,
};

/// A problem with a caller's input, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(message.into()))
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = names.collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

fn object<'a>(value: &'a Json, what: &str) -> Result<&'a Map<String, Json>, InputError> {
    value
        .as_object()
        .ok_or_else(|| InputError(format!("{what}: expected an object, found {}", kind(value))))
}

/// Parses `{"tables": {...}, "params": {...}}` against `descriptor`: declared tables and columns
/// only, types as declared, equal column lengths, row bounds, params typed and in range, param
/// defaults filled in.
pub fn input_from_json(value: &Json, descriptor: &Descriptor) -> Result<Input, InputError> {
    let top = object(value, "input")?;
    if let Some(key) = top.keys().find(|k| *k != "tables" && *k != "params") {
        return err(format!(
            "input: unknown field `{key}` (expected `tables` and `params`)"
        ));
    }
    let empty = Map::new();
    let tables_json = match top.get("tables") {
        Some(t) => object(t, "tables")?,
        None => &empty,
    };
    for name in tables_json.keys() {
        if !descriptor.inputs.iter().any(|t| &t.name == name) {
            return err(format!(
                "unknown table `{name}` (this solution takes: {})",
                names(descriptor.inputs.iter().map(|t| t.name.as_str()))
            ));
        }
    }
    let mut tables = IndexMap::new();
    for spec in &descriptor.inputs {
        let Some(table) = tables_json.get(&spec.name) else {
            return err(format!("missing table `{}`", spec.name));
        };
        tables.insert(spec.name.clone(), table_from_json(table, spec)?);
    }

    let params_json = match top.get("params") {
        Some(p) => object(p, "params")?,
        None => &empty,
    };
    for name in params_json.keys() {
        if !descriptor.params.iter().any(|p| &p.name == name) {
            return err(format!(
                "unknown param `{name}` (this solution takes: {})",
                names(descriptor.params.iter().map(|p| p.name.as_str()))
            ));
        }
    }
    let mut given = IndexMap::new();
    for spec in &descriptor.params {
        if let Some(json) = params_json.get(&spec.name) {
            given.insert(spec.name.clone(), param_from_json(json, spec)?);
        }
    }
    let params = complete_params(descriptor, given, None)?;
    Ok(Input { tables, params })
}

fn table_from_json(value: &Json, spec: &TableSpec) -> Result<Table, InputError> {
    let columns = object(value, &format!("table `{}`", spec.name))?;
    for name in columns.keys() {
        if !spec.columns.iter().any(|c| &c.name == name) {
            return err(format!(
                "table `{}`: unknown column `{name}` (declared: {})",
                spec.name,
                names(spec.columns.iter().map(|c| c.name.as_str()))
            ));
        }
    }
    let mut found = Vec::with_capacity(spec.columns.len());
    for column in &spec.columns {
        let Some(json) = columns.get(&column.name) else {
            found.push(None);
            continue;
        };
        let where_ = format!("table `{}`, column `{}`", spec.name, column.name);
        let Some(items) = json.as_array() else {
            return err(format!(
                "{where_}: expected an array of values, found {}",
                kind(json)
            ));
        };
        found.push(Some(column_from_json(items, column.value_type, &where_)?));
    }
    assemble_table(spec, found)
}

/// Puts a table's columns (`found[i]` for `spec.columns[i]`) together in declared order:
/// every column present, equal lengths, row bounds.
fn assemble_table(spec: &TableSpec, found: Vec<Option<ColumnValues>>) -> Result<Table, InputError> {
    let mut table = Table::with_capacity(spec.columns.len());
    let mut rows: Option<(usize, &str)> = None;
    for (column, values) in spec.columns.iter().zip(found) {
        let Some(values) = values else {
            return err(format!(
                "table `{}`: missing column `{}`",
                spec.name, column.name
            ));
        };
        match rows {
            Some((n, first)) if n != values.len() => {
                return err(format!(
                    "table `{}`: column `{}` has {} values but column `{first}` has {n}",
                    spec.name,
                    column.name,
                    values.len()
                ));
            }
            Some(_) => {}
            None => rows = Some((values.len(), &column.name)),
        }
        table.insert(column.name.clone(), values);
    }
    let rows = rows.map_or(0, |(n, _)| n);
    if rows < spec.min_rows as usize {
        return err(format!(
            "table `{}`: needs at least {} row(s), has {rows}",
            spec.name, spec.min_rows
        ));
    }
    if let Some(max) = spec.max_rows
        && rows > max as usize
    {
        return err(format!(
            "table `{}`: takes at most {max} row(s), has {rows}",
            spec.name
        ));
    }
    Ok(table)
}

fn column_from_json(
    items: &[Json],
    value_type: ValueType,
    where_: &str,
) -> Result<ColumnValues, InputError> {
    let bad = |row: usize, item: &Json, expected: &str| {
        InputError(format!(
            "{where_}, row {row}: expected {expected}, found {}",
            kind(item)
        ))
    };
    Ok(match value_type {
        ValueType::Float64 => ColumnValues::Float64(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_f64().ok_or_else(|| bad(i, v, "a number")))
                .collect::<Result<_, _>>()?,
        ),
        ValueType::Int64 => ColumnValues::Int64(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_i64().ok_or_else(|| bad(i, v, "an integer")))
                .collect::<Result<_, _>>()?,
        ),
        ValueType::Text => {
            let mut texts = Texts::new();
            for (i, v) in items.iter().enumerate() {
                let text = v.as_str().ok_or_else(|| bad(i, v, "text"))?;
                texts
                    .push(text)
                    .map_err(|e| InputError(format!("{where_}, row {i}: {e}")))?;
            }
            ColumnValues::Text(texts)
        }
        ValueType::Boolean => ColumnValues::Boolean(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_bool().ok_or_else(|| bad(i, v, "true or false")))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The params of a call in declared order: those given, else the caller's own defaults
/// (`defaults`, e.g. a deployment's, JSON checked here), else the declared default; a param
/// with none of these must be optional.
fn complete_params(
    descriptor: &Descriptor,
    mut given: IndexMap<String, Value>,
    defaults: Option<&Map<String, Json>>,
) -> Result<IndexMap<String, Value>, InputError> {
    let mut params = IndexMap::with_capacity(descriptor.params.len());
    for spec in &descriptor.params {
        let value = match given.swap_remove(&spec.name) {
            Some(value) => value,
            None => match defaults.and_then(|d| d.get(&spec.name)) {
                Some(json) => param_from_json(json, spec)?,
                None => match &spec.default {
                    Some(default) => default.clone(),
                    None if spec.optional => continue,
                    None => {
                        return err(format!(
                            "missing param `{}` ({})",
                            spec.name,
                            spec.value_type.name()
                        ));
                    }
                },
            },
        };
        params.insert(spec.name.clone(), value);
    }
    Ok(params)
}

fn param_from_json(json: &Json, spec: &ParamSpec) -> Result<Value, InputError> {
    let name = &spec.name;
    let value = match spec.value_type {
        ValueType::Float64 => json.as_f64().map(Value::Float64),
        ValueType::Int64 => json.as_i64().map(Value::Int64),
        ValueType::Text => json.as_str().map(|s| Value::Text(s.to_owned())),
        ValueType::Boolean => json.as_bool().map(Value::Boolean),
    };
    let Some(value) = value else {
        return err(format!(
            "param `{name}`: expected {}, found {}",
            spec.value_type.name(),
            kind(json)
        ));
    };
    check_param(&value, spec)?;
    Ok(value)
}

/// Checks a typed param value against its declared range and choices.
pub fn check_param(value: &Value, spec: &ParamSpec) -> Result<(), InputError> {
    let name = &spec.name;
    let number = match value {
        Value::Float64(v) => Some(*v),
        Value::Int64(v) => Some(*v as f64),
        _ => None,
    };
    if let Some(v) = number {
        if let Some(min) = spec.min
            && v < min
        {
            return err(format!("param `{name}`: {v} is below the minimum {min}"));
        }
        if let Some(max) = spec.max
            && v > max
        {
            return err(format!("param `{name}`: {v} is above the maximum {max}"));
        }
    }
    if let Value::Text(text) = value
        && !spec.choices.is_empty()
        && !spec.choices.contains(text)
    {
        return err(format!(
            "param `{name}`: `{text}` is not one of {}",
            spec.choices.join(", ")
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The same checks made while reading JSON text: no tree is built, each column is read straight
// into its typed vector. For request bodies, where a 1,000-row input would otherwise be parsed
// into tens of thousands of tree nodes and then copied again.

/// Reads one input from JSON text straight into typed columns: the checks and messages of
/// [`input_from_json`], in one pass. Obtain the [`DeserializeSeed`] with [`InputReader::seed`]
/// and use it where the input sits in a larger document (a request body); when deserialising
/// fails, [`InputReader::problem`] tells an input problem (what is wrong with which table,
/// column, row or param) from malformed JSON.
///
/// ```
/// # use smelt_runtime::{Descriptor, InputReader};
/// # fn demo(descriptor: &Descriptor, body: &[u8]) -> Result<(), String> {
/// use serde::de::DeserializeSeed;
/// let reader = InputReader::new(descriptor);
/// let mut json = serde_json::Deserializer::from_slice(body);
/// match reader.seed().deserialize(&mut json).and_then(|input| json.end().map(|()| input)) {
///     Ok(input) => println!("{} rows", input.rows()),
///     Err(e) => match reader.problem() {
///         Some(problem) => return Err(format!("bad input: {problem}")),
///         None => return Err(format!("not JSON: {e}")),
///     },
/// }
/// # Ok(()) }
/// ```
pub struct InputReader<'a> {
    descriptor: &'a Descriptor,
    defaults: Option<&'a Map<String, Json>>,
    problem: RefCell<Option<InputError>>,
}

impl<'a> InputReader<'a> {
    /// A reader for inputs of the solution `descriptor` describes.
    pub fn new(descriptor: &'a Descriptor) -> Self {
        InputReader {
            descriptor,
            defaults: None,
            problem: RefCell::new(None),
        }
    }

    /// Params missing from the input are taken from `defaults` (checked like given ones)
    /// before the declared defaults.
    pub fn with_defaults(mut self, defaults: &'a Map<String, Json>) -> Self {
        self.defaults = Some(defaults);
        self
    }

    /// The seed that reads one input.
    pub fn seed(&self) -> InputSeed<'_> {
        self.problem.replace(None);
        InputSeed { reader: self }
    }

    /// The input problem that stopped the last read, if that is what stopped it.
    pub fn problem(&self) -> Option<InputError> {
        self.problem.borrow().clone()
    }

    /// Records `message` as the problem and gives the deserialiser an error to stop with.
    fn refuse<E: de::Error>(&self, message: String) -> E {
        let error = E::custom(&message);
        *self.problem.borrow_mut() = Some(InputError(message));
        error
    }
}

/// Reads one input from JSON text as an [`InputReader`] checks it.
pub fn input_from_json_slice(json: &[u8], descriptor: &Descriptor) -> Result<Input, InputError> {
    let reader = InputReader::new(descriptor);
    let mut de = serde_json::Deserializer::from_slice(json);
    match reader
        .seed()
        .deserialize(&mut de)
        .and_then(|input| de.end().map(|()| input))
    {
        Ok(input) => Ok(input),
        Err(e) => Err(reader
            .problem()
            .unwrap_or_else(|| InputError(format!("input: not valid JSON: {e}")))),
    }
}

/// One JSON value whose shape decides what is read: an object or an array, with anything else
/// refused naming what was found, as [`kind`] names it.
trait Shape<'de>: Sized {
    type Out;
    fn reader(&self) -> &InputReader<'_>;
    /// What is expected where, as in "table `x`: expected an object".
    fn expected(&self) -> String;
    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Out, A::Error> {
        drop(map);
        Err(self.wrong("an object"))
    }
    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Out, A::Error> {
        drop(seq);
        Err(self.wrong("an array"))
    }
    fn wrong<E: de::Error>(&self, found: &str) -> E {
        self.reader()
            .refuse(format!("{}, found {found}", self.expected()))
    }
}

struct ShapeVisitor<S>(S);

impl<'de, S: Shape<'de>> Visitor<'de> for ShapeVisitor<S> {
    type Value = S::Out;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.expected())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S::Out, A::Error> {
        self.0.map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Out, A::Error> {
        self.0.seq(seq)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<S::Out, E> {
        Err(self.0.wrong("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<S::Out, E> {
        Err(self.0.wrong("an integer"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<S::Out, E> {
        Err(self.0.wrong("an integer"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<S::Out, E> {
        Err(self.0.wrong("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<S::Out, E> {
        Err(self.0.wrong("text"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<S::Out, E> {
        Err(self.0.wrong("null"))
    }
}

/// Any [`Shape`] as a seed.
struct ShapeSeed<S>(S);

impl<'de, S: Shape<'de>> DeserializeSeed<'de> for ShapeSeed<S> {
    type Value = S::Out;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Out, D::Error> {
        read_shape(self.0, deserializer)
    }
}

fn read_shape<'de, S: Shape<'de>, D: Deserializer<'de>>(
    shape: S,
    deserializer: D,
) -> Result<S::Out, D::Error> {
    deserializer.deserialize_any(ShapeVisitor(shape))
}

/// Reads one input: `{"tables": {...}, "params": {...}}`.
pub struct InputSeed<'a> {
    reader: &'a InputReader<'a>,
}

impl<'de> DeserializeSeed<'de> for InputSeed<'_> {
    type Value = Input;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Input, D::Error> {
        read_shape(self, deserializer)
    }
}

impl<'de> Shape<'de> for InputSeed<'_> {
    type Out = Input;

    fn reader(&self) -> &InputReader<'_> {
        self.reader
    }
    fn expected(&self) -> String {
        "input: expected an object".into()
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let reader = self.reader;
        let descriptor = reader.descriptor;
        let mut tables = None;
        let mut given = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tables" if tables.is_none() => {
                    tables = Some(map.next_value_seed(ShapeSeed(TablesSeed { reader }))?);
                }
                "params" if given.is_none() => {
                    given = Some(map.next_value_seed(ShapeSeed(ParamsSeed { reader }))?);
                }
                "tables" | "params" => {
                    return Err(reader.refuse(format!("input: `{key}` given twice")));
                }
                _ => {
                    return Err(reader.refuse(format!(
                        "input: unknown field `{key}` (expected `tables` and `params`)"
                    )));
                }
            }
        }
        let mut found = tables.unwrap_or_else(|| vec![None; descriptor.inputs.len()]);
        let mut tables = IndexMap::with_capacity(descriptor.inputs.len());
        for (spec, table) in descriptor.inputs.iter().zip(found.drain(..)) {
            let Some(table) = table else {
                return Err(reader.refuse(format!("missing table `{}`", spec.name)));
            };
            tables.insert(spec.name.clone(), table);
        }
        let params = complete_params(descriptor, given.unwrap_or_default(), reader.defaults)
            .map_err(|e| reader.refuse(e.0))?;
        Ok(Input { tables, params })
    }
}

/// Reads `"tables"`: each declared table at most once; `found[i]` for `descriptor.inputs[i]`.
struct TablesSeed<'a> {
    reader: &'a InputReader<'a>,
}

impl<'de> Shape<'de> for TablesSeed<'_> {
    type Out = Vec<Option<Table>>;

    fn reader(&self) -> &InputReader<'_> {
        self.reader
    }
    fn expected(&self) -> String {
        "tables: expected an object".into()
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let reader = self.reader;
        let inputs = &reader.descriptor.inputs;
        let mut found: Vec<Option<Table>> = vec![None; inputs.len()];
        while let Some(name) = map.next_key::<String>()? {
            let Some(i) = inputs.iter().position(|t| t.name == name) else {
                return Err(reader.refuse(format!(
                    "unknown table `{name}` (this solution takes: {})",
                    names(inputs.iter().map(|t| t.name.as_str()))
                )));
            };
            if found[i].is_some() {
                return Err(reader.refuse(format!("tables: `{name}` given twice")));
            }
            let spec = &inputs[i];
            let columns = map.next_value_seed(ShapeSeed(TableSeed { reader, spec }))?;
            found[i] = Some(assemble_table(spec, columns).map_err(|e| reader.refuse(e.0))?);
        }
        Ok(found)
    }
}

/// Reads one table's columns; `found[i]` for `spec.columns[i]`.
struct TableSeed<'a> {
    reader: &'a InputReader<'a>,
    spec: &'a TableSpec,
}

impl<'de> Shape<'de> for TableSeed<'_> {
    type Out = Vec<Option<ColumnValues>>;

    fn reader(&self) -> &InputReader<'_> {
        self.reader
    }
    fn expected(&self) -> String {
        format!("table `{}`: expected an object", self.spec.name)
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let TableSeed { reader, spec } = self;
        let mut found = vec![None; spec.columns.len()];
        while let Some(name) = map.next_key::<String>()? {
            let Some(i) = spec.columns.iter().position(|c| c.name == name) else {
                return Err(reader.refuse(format!(
                    "table `{}`: unknown column `{name}` (declared: {})",
                    spec.name,
                    names(spec.columns.iter().map(|c| c.name.as_str()))
                )));
            };
            if found[i].is_some() {
                return Err(reader.refuse(format!(
                    "table `{}`: column `{name}` given twice",
                    spec.name
                )));
            }
            let column = ColumnSeed {
                reader,
                table: &spec.name,
                column: &spec.columns[i].name,
                value_type: spec.columns[i].value_type,
            };
            found[i] = Some(map.next_value_seed(ShapeSeed(column))?);
        }
        Ok(found)
    }
}

/// Reads one column's array into its typed vector.
struct ColumnSeed<'a> {
    reader: &'a InputReader<'a>,
    table: &'a str,
    column: &'a str,
    value_type: ValueType,
}

impl<'de> Shape<'de> for ColumnSeed<'_> {
    type Out = ColumnValues;

    fn reader(&self) -> &InputReader<'_> {
        self.reader
    }
    fn expected(&self) -> String {
        format!(
            "table `{}`, column `{}`: expected an array of values",
            self.table, self.column
        )
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ColumnValues, A::Error> {
        let bad = |row: usize, item: &Scalar<'_>, expected: &str| -> A::Error {
            self.reader.refuse(format!(
                "table `{}`, column `{}`, row {row}: expected {expected}, found {}",
                self.table,
                self.column,
                item.kind()
            ))
        };
        let mut row = 0;
        let mut next = || {
            let item = seq.next_element::<Scalar<'de>>();
            row += 1;
            item.map(|item| item.map(|item| (row - 1, item)))
        };
        Ok(match self.value_type {
            ValueType::Float64 => {
                let mut values = Vec::new();
                while let Some((row, item)) = next()? {
                    values.push(match item {
                        Scalar::Float(v) => v,
                        Scalar::Int(v) => v as f64,
                        Scalar::UInt(v) => v as f64,
                        other => return Err(bad(row, &other, "a number")),
                    });
                }
                ColumnValues::Float64(values)
            }
            ValueType::Int64 => {
                let mut values = Vec::new();
                while let Some((row, item)) = next()? {
                    values.push(match item {
                        Scalar::Int(v) => v,
                        Scalar::UInt(v) if i64::try_from(v).is_ok() => v as i64,
                        other => return Err(bad(row, &other, "an integer")),
                    });
                }
                ColumnValues::Int64(values)
            }
            ValueType::Text => {
                let mut values = Texts::new();
                while let Some((row, item)) = next()? {
                    let Scalar::Text(v) = item else {
                        return Err(bad(row, &item, "text"));
                    };
                    values.push(&v).map_err(|e| {
                        self.reader.refuse(format!(
                            "table `{}`, column `{}`, row {row}: {e}",
                            self.table, self.column
                        ))
                    })?;
                }
                ColumnValues::Text(values)
            }
            ValueType::Boolean => {
                let mut values = Vec::new();
                while let Some((row, item)) = next()? {
                    values.push(match item {
                        Scalar::Bool(v) => v,
                        other => return Err(bad(row, &other, "true or false")),
                    });
                }
                ColumnValues::Boolean(values)
            }
        })
    }
}

/// Reads `"params"`: each declared param at most once, typed and in range.
struct ParamsSeed<'a> {
    reader: &'a InputReader<'a>,
}

impl<'de> Shape<'de> for ParamsSeed<'_> {
    type Out = IndexMap<String, Value>;

    fn reader(&self) -> &InputReader<'_> {
        self.reader
    }
    fn expected(&self) -> String {
        "params: expected an object".into()
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let reader = self.reader;
        let params = &reader.descriptor.params;
        let mut given = IndexMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let Some(spec) = params.iter().find(|p| p.name == name) else {
                return Err(reader.refuse(format!(
                    "unknown param `{name}` (this solution takes: {})",
                    names(params.iter().map(|p| p.name.as_str()))
                )));
            };
            // A param is one small value: read it as JSON and check it as the tree reader does.
            let json: Json = map.next_value()?;
            let value = param_from_json(&json, spec).map_err(|e| reader.refuse(e.0))?;
            if given.insert(name, value).is_some() {
                return Err(reader.refuse(format!("params: `{}` given twice", spec.name)));
            }
        }
        Ok(given)
    }
}

/// One element of a column as read: its value when it is a scalar, its kind otherwise (the
/// nested value is skipped). Text is borrowed from the body where the encoding allows (JSON
/// without escapes, CBOR), so a text cell costs no allocation of its own.
enum Scalar<'de> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// NaN or an infinity: not in JSON, but binary encodings (CBOR) carry them; refused
    /// wherever a number is expected, as the CSV reader refuses them.
    NonFinite,
    Text(Cow<'de, str>),
    Array,
    Object,
}

impl Scalar<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) | Scalar::UInt(_) => "an integer",
            Scalar::Float(_) => "a number",
            Scalar::NonFinite => "a non-finite number",
            Scalar::Text(_) => "text",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar<'de>, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(if v.is_finite() {
            Scalar::Float(v)
        } else {
            Scalar::NonFinite
        })
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn column(name: &str, value_type: &str) -> Json {
        json!({"name": name, "type": value_type, "unit": "", "description": ""})
    }

    fn param(name: &str, value_type: &str, extra: Json) -> Json {
        let mut p = json!({"name": name, "type": value_type, "unit": "", "description": "",
                           "default": null, "optional": false, "min": null, "max": null,
                           "choices": []});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    }

    /// Every column type, row bounds, and params of every kind: defaulted, optional, bounded,
    /// with choices, required.
    fn descriptor() -> Descriptor {
        serde_json::from_value(json!({
            "name": "all-kinds", "version": "0.1.0", "summary": "",
            "inputs": [
                {"name": "parts", "description": "", "min_rows": 1, "max_rows": 4, "columns": [
                    column("id", "text"), column("x", "float64"),
                    column("n", "int64"), column("ok", "boolean")]},
                {"name": "limits", "description": "", "min_rows": 0, "max_rows": null,
                 "columns": [column("lo", "float64")]}
            ],
            "params": [
                param("mode", "text", json!({"default": "fast", "choices": ["fast", "exact"]})),
                param("k", "float64", json!({"min": 0.0, "max": 10.0, "default": 1.0})),
                param("count", "int64", json!({"optional": true})),
                param("strict", "boolean", json!({}))
            ],
            "outputs": [], "metrics": []
        }))
        .unwrap()
    }

    fn valid() -> Json {
        json!({
            "tables": {
                "parts": {"id": ["a", "b\u{e9}\"q"], "x": [1.5, -2], "n": [3, -4],
                          "ok": [true, false]},
                "limits": {"lo": []}
            },
            "params": {"strict": true, "k": 2}
        })
    }

    fn both(input: &Json) -> (Result<Input, InputError>, Result<Input, InputError>) {
        let d = descriptor();
        let text = serde_json::to_vec(input).unwrap();
        (input_from_json(input, &d), input_from_json_slice(&text, &d))
    }

    #[test]
    fn both_readers_take_a_valid_input_alike() {
        let (tree, streamed) = both(&valid());
        let tree = tree.unwrap();
        assert_eq!(streamed.unwrap(), tree);
        assert_eq!(
            tree.params["mode"],
            Value::Text("fast".into()),
            "declared default"
        );
        assert_eq!(tree.params["k"], Value::Float64(2.0));
        assert!(!tree.params.contains_key("count"), "optional, absent");
        assert_eq!(
            tree.tables["parts"]["id"],
            ColumnValues::Text(["a", "b\u{e9}\"q"].into_iter().collect())
        );
        assert_eq!(
            tree.tables["parts"]["x"],
            ColumnValues::Float64(vec![1.5, -2.0])
        );
    }

    /// One fault at a time, each at a different place: both readers refuse it with the same
    /// message.
    #[test]
    fn both_readers_refuse_each_fault_with_the_same_message() {
        let faults: Vec<(&str, Json, &str)> = vec![
            (
                "/tables/parts/x/1",
                json!("2"),
                "column `x`, row 1: expected a number, found text",
            ),
            (
                "/tables/parts/n/0",
                json!(1.5),
                "column `n`, row 0: expected an integer, found a number",
            ),
            (
                "/tables/parts/n/0",
                json!(u64::MAX),
                "expected an integer, found an integer",
            ),
            (
                "/tables/parts/ok/1",
                json!(null),
                "row 1: expected true or false, found null",
            ),
            (
                "/tables/parts/id/0",
                json!(["a"]),
                "row 0: expected text, found an array",
            ),
            (
                "/tables/parts/id/0",
                json!({"a": [1]}),
                "row 0: expected text, found an object",
            ),
            (
                "/tables/parts/x",
                json!({"a": 1}),
                "column `x`: expected an array of values, found an object",
            ),
            (
                "/tables/parts",
                json!([]),
                "table `parts`: expected an object, found an array",
            ),
            (
                "/tables/parts/extra",
                json!([1, 2]),
                "table `parts`: unknown column `extra` (declared: id, x, n, ok)",
            ),
            (
                "/tables/parts/n",
                json!([1]),
                "column `n` has 1 values but column `id` has 2",
            ),
            (
                "/tables/limits/lo",
                json!("x"),
                "expected an array of values, found text",
            ),
            (
                "/tables/other",
                json!({}),
                "unknown table `other` (this solution takes: parts, limits)",
            ),
            (
                "/tables",
                json!(7),
                "tables: expected an object, found an integer",
            ),
            (
                "/params",
                json!(true),
                "params: expected an object, found a boolean",
            ),
            (
                "/params/k",
                json!(11),
                "param `k`: 11 is above the maximum 10",
            ),
            (
                "/params/k",
                json!("2"),
                "param `k`: expected float64, found text",
            ),
            (
                "/params/mode",
                json!("slow"),
                "param `mode`: `slow` is not one of fast, exact",
            ),
            (
                "/params/speed",
                json!(1),
                "unknown param `speed` (this solution takes: mode, k, count, strict)",
            ),
            (
                "/extra",
                json!(1),
                "input: unknown field `extra` (expected `tables` and `params`)",
            ),
        ];
        for (pointer, value, expected) in faults {
            let mut input = valid();
            let (parent, last) = pointer.rsplit_once('/').unwrap();
            let target = input.pointer_mut(parent).unwrap();
            match target {
                Json::Array(items) => items[last.parse::<usize>().unwrap()] = value,
                Json::Object(map) => {
                    map.insert(last.to_owned(), value);
                }
                _ => *target = value,
            }
            let (tree, streamed) = both(&input);
            let tree = tree.unwrap_err().to_string();
            assert!(
                tree.contains(expected),
                "{pointer}: `{tree}`, wanted `{expected}`"
            );
            assert_eq!(streamed.unwrap_err().to_string(), tree, "{pointer}");
        }
    }

    #[test]
    fn both_readers_refuse_missing_parts_and_row_bounds_alike() {
        let cases = [
            (json!({"params": {"strict": true}}), "missing table `parts`"),
            (
                json!({"tables": {"parts": {"id": [], "x": [], "n": [], "ok": []}, "limits": {"lo": []}}, "params": {"strict": true}}),
                "table `parts`: needs at least 1 row(s), has 0",
            ),
            (
                json!({"tables": {"parts": {"id": vec!["a"; 5], "x": vec![1; 5], "n": vec![1; 5], "ok": vec![true; 5]}, "limits": {"lo": []}}, "params": {"strict": true}}),
                "table `parts`: takes at most 4 row(s), has 5",
            ),
            (
                json!({"tables": {"parts": {"id": ["a"], "x": [1], "ok": [true]}, "limits": {"lo": []}}, "params": {"strict": true}}),
                "table `parts`: missing column `n`",
            ),
            (
                json!({"tables": {"parts": {"id": ["a"], "x": [1], "n": [1], "ok": [true]}, "limits": {"lo": []}}}),
                "missing param `strict` (boolean)",
            ),
            (json!("input"), "input: expected an object, found text"),
        ];
        for (input, expected) in cases {
            let (tree, streamed) = both(&input);
            let tree = tree.unwrap_err().to_string();
            assert_eq!(tree, expected);
            assert_eq!(streamed.unwrap_err().to_string(), tree);
        }
    }

    #[test]
    fn the_one_pass_reader_refuses_what_a_tree_would_hide() {
        let d = descriptor();
        for (text, expected) in [
            (
                r#"{"tables": {"limits": {"lo": []}, "limits": {"lo": []}}}"#,
                "tables: `limits` given twice",
            ),
            (
                r#"{"tables": {"limits": {"lo": [], "lo": [1]}}}"#,
                "table `limits`: column `lo` given twice",
            ),
            (r#"{"params": {"k": 1, "k": 2}}"#, "params: `k` given twice"),
            (
                r#"{"params": {}, "params": {}}"#,
                "input: `params` given twice",
            ),
        ] {
            let err = input_from_json_slice(text.as_bytes(), &d).unwrap_err();
            assert_eq!(err.to_string(), expected, "{text}");
        }
        let err = input_from_json_slice(br#"{"tables": {"parts": "#, &d).unwrap_err();
        assert!(err.0.starts_with("input: not valid JSON: EOF"), "{err}");
        let text = br#"{"tables": {"parts": {"id": ["a"], "x": [1], "n": [1], "ok": [true]}, "limits": {"lo": []}}, "params": {"strict": true}}"#;
        assert!(input_from_json_slice(text, &d).is_ok());
        let err = input_from_json_slice(&[&text[..], b" x"].concat(), &d).unwrap_err();
        assert!(
            err.0.starts_with("input: not valid JSON: trailing"),
            "{err}"
        );
    }

    #[test]
    fn defaults_of_the_caller_come_before_the_declared_ones() {
        let d = descriptor();
        let defaults = json!({"mode": "exact", "k": 5, "strict": false});
        let defaults = defaults.as_object().unwrap();
        let read = |text: &str| {
            let reader = InputReader::new(&d).with_defaults(defaults);
            let mut de = serde_json::Deserializer::from_str(text);
            reader
                .seed()
                .deserialize(&mut de)
                .map_err(|_| reader.problem().unwrap())
        };
        let input = read(r#"{"tables": {"parts": {"id": ["a"], "x": [1], "n": [1], "ok": [true]}, "limits": {"lo": []}}, "params": {"k": 7}}"#).unwrap();
        assert_eq!(input.params["k"], Value::Float64(7.0), "given wins");
        assert_eq!(input.params["mode"], Value::Text("exact".into()));
        assert_eq!(input.params["strict"], Value::Boolean(false));
        let bad = json!({"k": 50});
        let reader = InputReader::new(&d).with_defaults(bad.as_object().unwrap());
        let mut de = serde_json::Deserializer::from_str(
            r#"{"tables": {"parts": {"id": ["a"], "x": [1], "n": [1], "ok": [true]}, "limits": {"lo": []}}, "params": {"strict": true}}"#,
        );
        assert!(reader.seed().deserialize(&mut de).is_err());
        assert_eq!(
            reader.problem().unwrap().0,
            "param `k`: 50 is above the maximum 10"
        );
    }
}
