//! `smelt run`: one call of a component, locally, under the sandbox's limits.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use smelt_runtime::{Limits, Runtime, input_from_json};

/// Arguments of `smelt run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The solution component (.wasm, built for wasm32-wasip2).
    pub component: PathBuf,
    /// Input JSON: {"tables": {"<table>": {"<column>": [...]}}, "params": {"<name>": value}}.
    #[arg(long)]
    pub input: PathBuf,
    /// Fuel for the call (roughly, wasm instructions).
    #[arg(long, default_value_t = Limits::default().fuel)]
    pub fuel: u64,
    /// Linear-memory cap in MiB.
    #[arg(long, default_value_t = Limits::default().memory_bytes >> 20, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub memory_mib: u64,
    /// Wall-clock deadline in milliseconds.
    #[arg(long, default_value_t = Limits::default().timeout_ms, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
}

/// Runs `smelt run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.component).with_context(|| {
        format!(
            "cannot read component {} (check the path)",
            args.component.display()
        )
    })?;
    let text = std::fs::read_to_string(&args.input).with_context(|| {
        format!(
            "cannot read input {} (check the path)",
            args.input.display()
        )
    })?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("input {} is not valid JSON", args.input.display()))?;

    let runtime = Runtime::new()?;
    let plugin = runtime
        .load(&bytes)
        .with_context(|| format!("loading {}", args.component.display()))?;
    let descriptor = plugin.describe().context("calling describe")?;
    let input = input_from_json(&json, &descriptor).with_context(|| {
        format!(
            "input {} does not match what {} takes",
            args.input.display(),
            descriptor.name
        )
    })?;
    let limits = Limits {
        fuel: args.fuel,
        memory_bytes: args.memory_mib << 20,
        timeout_ms: args.timeout_ms,
        ..Limits::default()
    };
    let run = plugin.run(&input, &limits);
    for line in &run.logs {
        eprintln!("[{}] {}", line.level, line.message);
    }
    match run.output {
        Ok(output) => {
            let report = serde_json::json!({ "output": output, "usage": run.usage });
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Err(error) => bail!(
            "{error} [{}] (fuel used {}, peak memory {} bytes, {:.1} ms)",
            error.code(),
            run.usage.fuel,
            run.usage.peak_memory_bytes,
            run.usage.wall_ms
        ),
    }
}
