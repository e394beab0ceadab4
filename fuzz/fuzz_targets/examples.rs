//! What the input targets share: the six example solutions' descriptors (committed under
//! `seeds/descriptors/`, as the server stores them) and the rule every accepted input keeps.
//! Included by path (`#[path]`); not a fuzz target itself.

use crate::model::{ColumnValues, Descriptor, Input};

const DESCRIPTORS: [&str; 6] = [
    include_str!("../seeds/descriptors/aql-sampling.json"),
    include_str!("../seeds/descriptors/dye-lot-color-qc.json"),
    include_str!("../seeds/descriptors/fabric-four-point.json"),
    include_str!("../seeds/descriptors/flowshop-scheduler.json"),
    include_str!("../seeds/descriptors/oee-calculator.json"),
    include_str!("../seeds/descriptors/spc-capability.json"),
];

/// The example descriptor `selector` picks.
pub fn descriptor(selector: u8) -> Descriptor {
    serde_json::from_str(DESCRIPTORS[usize::from(selector) % DESCRIPTORS.len()])
        .expect("seed descriptor")
}

/// An accepted input holds only declared tables, each with equal column lengths.
pub fn check_accepted(input: &Input, descriptor: &Descriptor) {
    for (name, table) in &input.tables {
        assert!(
            descriptor.inputs.iter().any(|t| &t.name == name),
            "undeclared table {name} accepted"
        );
        let mut lengths = table.values().map(ColumnValues::len);
        if let Some(first) = lengths.next() {
            assert!(lengths.all(|l| l == first), "ragged table {name} accepted");
        }
    }
    let _ = input.rows();
}
