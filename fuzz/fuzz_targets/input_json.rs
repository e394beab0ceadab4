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

mod examples;

use libfuzzer_sys::fuzz_target;
use model::Descriptor;
use serde_json::Value;

fn check(input: &Value, descriptor: &Descriptor) {
    match json::input_from_json(input, descriptor) {
        Ok(converted) => examples::check_accepted(&converted, descriptor),
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
        let descriptor = examples::descriptor(selector);
        check(&value, &descriptor);
    }
});
