//! Request bodies read in one pass (`InputReader`, what invocations and trials use), in JSON and
//! in CBOR, against one of the six example descriptors. Never a panic, whatever the bytes; an
//! accepted input holds only declared tables with equal column lengths; and whatever the one-pass
//! reader accepts, the tree reader (`input_from_json` on the same bytes decoded to a tree by the
//! same decoder) accepts too, with the same `Input`.
//!
//! Byte 0 picks the descriptor, byte 1 the encoding (even: JSON, odd: CBOR); the rest is the
//! input document. Compiled from host/runtime/src/{model,json}.rs by path, like `input_json`.

#![no_main]

#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../host/runtime/src/model.rs"]
mod model;

#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../host/runtime/src/json.rs"]
mod json;

mod examples;

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeSeed;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let [selector, encoding, rest @ ..] = data else {
        return;
    };
    let descriptor = examples::descriptor(*selector);
    let reader = json::InputReader::new(&descriptor);
    let (read, tree) = if encoding % 2 == 0 {
        let mut de = serde_json::Deserializer::from_slice(rest);
        let read = reader
            .seed()
            .deserialize(&mut de)
            .and_then(|input| de.end().map(|()| input))
            .ok();
        (read, serde_json::from_slice::<Value>(rest).ok())
    } else {
        let mut de =
            cbor4ii::serde::Deserializer::new(cbor4ii::core::utils::SliceReader::new(rest));
        let read = reader.seed().deserialize(&mut de).ok();
        (read, cbor4ii::serde::from_slice::<Value>(rest).ok())
    };
    if let Some(problem) = reader.problem() {
        assert!(!problem.0.is_empty(), "empty error message");
    }
    let Some(input) = read else {
        return;
    };
    examples::check_accepted(&input, &descriptor);
    // The CBOR decoder may stop before trailing bytes the tree decoder refuses; only compare
    // where both read the document.
    if let Some(tree) = tree {
        let by_tree = json::input_from_json(&tree, &descriptor)
            .unwrap_or_else(|e| panic!("one-pass accepted, tree refused: {e}"));
        assert_eq!(by_tree, input, "the two readers disagree");
    }
});
