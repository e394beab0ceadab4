//! Echo solutions: each returns its input's tables as its output tables, every number or
//! boolean param as a metric, and every text param as a finding whose message is the text.
//! Built once per WIT version by `host/artifacts/build.rs` (feature `sdk` for the version the
//! SDK targets, `wit-0-1-0` for 0.1.0 without the SDK), so the runtime's tests can check that
//! the same input crosses every contract unchanged, text included.

#[cfg(feature = "sdk")]
mod on_sdk {
    use smelt_sdk::prelude::*;

    /// The echo on the SDK.
    pub struct Echo;

    impl Solution for Echo {
        fn describe() -> Descriptor {
            // Its version is the WIT version it is built on, so both builds can be published
            // as versions of one package.
            Descriptor::new("echo", smelt_sdk::WIT_VERSION, "Returns its input")
                .input(
                    TableSpec::new("data", "Anything")
                        .column(ColumnSpec::text("name", "", "A name")),
                )
                .output(
                    TableSpec::new("data", "The input")
                        .column(ColumnSpec::text("name", "", "A name")),
                )
        }

        fn run(input: Input) -> Result<Output, SolutionError> {
            let mut output = Output::new();
            for param in &input.params {
                match &param.value {
                    Value::Float64(x) => output.metrics.push(metric(&param.name, *x)),
                    Value::Int64(x) => output.metrics.push(metric(&param.name, *x as f64)),
                    Value::Boolean(x) => output
                        .metrics
                        .push(metric(&param.name, f64::from(u8::from(*x)))),
                    Value::Text(text) => {
                        output.push_finding(Finding::info(param.name.clone(), text.clone()))
                    }
                }
            }
            output.tables = input.tables;
            Ok(output)
        }
    }

    fn metric(name: &str, value: f64) -> Metric {
        Metric {
            name: name.to_owned(),
            value,
            unit: String::new(),
        }
    }

    #[cfg(target_arch = "wasm32")]
    smelt_sdk::export_solution!(Echo);
}

#[cfg(feature = "wit-0-1-0")]
mod on_wit_0_1_0 {
    wit_bindgen::generate!({
        path: "../../wit/0.1.0",
        world: "smelt:solution/plugin@0.1.0",
    });

    use exports::smelt::solution::solution::Guest;
    use smelt::solution::types::{
        ColumnSpec, Descriptor, Finding, Input, Metric, Output, Severity, SolutionError, TableSpec,
        Value, ValueType,
    };

    /// The echo on WIT 0.1.0's own bindings.
    pub struct Echo;

    impl Guest for Echo {
        fn describe() -> Descriptor {
            let names = TableSpec {
                name: "data".into(),
                description: "Anything".into(),
                columns: vec![ColumnSpec {
                    name: "name".into(),
                    type_: ValueType::Text,
                    unit: String::new(),
                    description: "A name".into(),
                }],
                min_rows: 0,
                max_rows: None,
            };
            Descriptor {
                name: "echo".into(),
                version: "0.1.0".into(),
                summary: "Returns its input".into(),
                inputs: vec![names.clone()],
                params: Vec::new(),
                outputs: vec![names],
                metrics: Vec::new(),
            }
        }

        fn run(input: Input) -> Result<Output, SolutionError> {
            let (mut metrics, mut findings) = (Vec::new(), Vec::new());
            for param in input.params {
                let value = match param.value {
                    Value::Float64(x) => x,
                    Value::Int64(x) => x as f64,
                    Value::Boolean(x) => f64::from(u8::from(x)),
                    Value::Text(message) => {
                        findings.push(Finding {
                            severity: Severity::Info,
                            code: param.name,
                            message,
                            table: None,
                            row: None,
                        });
                        continue;
                    }
                };
                metrics.push(Metric {
                    name: param.name,
                    value,
                    unit: String::new(),
                });
            }
            Ok(Output {
                tables: input.tables,
                metrics,
                findings,
            })
        }
    }

    #[cfg(target_arch = "wasm32")]
    export!(Echo);
}
