//! Trial input checking: JSON from an enterprise against a solution's descriptor, converted to
//! the WIT-side values before any guest code runs. Never a panic, whatever the input; and, since
//! the descriptor comes from a provider's component, whatever the descriptor too.
//!
//! The first byte picks one of the six example descriptors (committed under
//! `seeds/descriptors/`, as the server stores them); the rest is the input JSON. A first byte of
//! 0xff instead means the rest is `{"descriptor": ..., "input": ...}` with both fuzzed.
//!
//! The conversion is compiled from host/runtime/src/{model,json}.rs by path: the same source
//! smelt-runtime builds, without wasmtime (see RELIABILITY.md).

#![no_main]

#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../host/runtime/src/model.rs"]
mod model;

#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../host/runtime/src/json.rs"]
mod json;

use libfuzzer_sys::fuzz_target;
use model::Descriptor;
use serde_json::Value;

const DESCRIPTORS: [&str; 6] = [
    include_str!("../seeds/descriptors/aql-sampling.json"),
    include_str!("../seeds/descriptors/dye-lot-color-qc.json"),
    include_str!("../seeds/descriptors/fabric-four-point.json"),
    include_str!("../seeds/descriptors/flowshop-scheduler.json"),
    include_str!("../seeds/descriptors/oee-calculator.json"),
    include_str!("../seeds/descriptors/spc-capability.json"),
];

fn check(input: &Value, descriptor: &Descriptor) {
    match json::input_from_json(input, descriptor) {
        Ok(converted) => {
            // Accepted input holds only declared tables, each with equal column lengths.
            for (name, table) in &converted.tables {
                assert!(
                    descriptor.inputs.iter().any(|t| &t.name == name),
                    "undeclared table {name} accepted"
                );
                let mut lengths = table.values().map(model::ColumnValues::len);
                if let Some(first) = lengths.next() {
                    assert!(lengths.all(|l| l == first), "ragged table {name} accepted");
                }
            }
            let _ = converted.rows();
        }
        Err(e) => assert!(!e.0.is_empty(), "empty error message"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    if selector == 0xff {
        let Ok(descriptor) = serde_json::from_value::<Descriptor>(value["descriptor"].clone())
        else {
            return;
        };
        check(&value["input"], &descriptor);
    } else {
        let descriptor: Descriptor =
            serde_json::from_str(DESCRIPTORS[usize::from(selector) % DESCRIPTORS.len()])
                .expect("seed descriptor");
        check(&value, &descriptor);
    }
});
