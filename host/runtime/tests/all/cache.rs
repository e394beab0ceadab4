//! The compiled-code cache and the pooling allocator, on real components.

use std::path::Path;

use serde_json::json;
use smelt_runtime::{CacheStats, Limits, Runtime, RuntimeConfig, input_from_json};

fn with_cache(dir: &Path) -> Runtime {
    Runtime::with_config(&RuntimeConfig {
        cache_dir: Some(dir.to_owned()),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn dye_lot() -> Vec<u8> {
    std::fs::read(smelt_artifacts::plugin("dye-lot-color-qc")).unwrap()
}

/// ΔE00 of Sharma's pair 1 (published 2.0425) through `runtime`.
fn pair_one(runtime: &Runtime, bytes: &[u8]) -> f64 {
    let plugin = runtime.load(bytes).expect("load");
    let descriptor = plugin.describe().unwrap();
    let input = json!({"tables": {
        "standard": {"L": [50.0], "a": [2.6772], "b": [-79.7751]},
        "batches": {"batch": ["p1"], "L": [50.0], "a": [0.0], "b": [-82.7485]}
    }});
    let input = input_from_json(&input, &descriptor).unwrap();
    let output = plugin.run(&input, &Limits::default()).output.unwrap();
    output.tables["results"]["delta_e00"].clone().into_f64s()[0]
}

trait F64s {
    fn into_f64s(self) -> Vec<f64>;
}

impl F64s for smelt_runtime::ColumnValues {
    fn into_f64s(self) -> Vec<f64> {
        match self {
            smelt_runtime::ColumnValues::Float64(v) => v,
            other => panic!("not float64: {other:?}"),
        }
    }
}

fn cache_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

#[test]
fn a_restarted_runtime_loads_the_compiled_component_from_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = dye_lot();

    let first = with_cache(dir.path());
    assert!((pair_one(&first, &bytes) - 2.0425).abs() < 5e-5);
    assert_eq!(
        first.cache_stats(),
        CacheStats {
            misses: 1,
            written: 1,
            ..CacheStats::default()
        }
    );
    assert_eq!(cache_files(dir.path()).len(), 1);
    drop(first);

    let second = with_cache(dir.path());
    assert!((pair_one(&second, &bytes) - 2.0425).abs() < 5e-5);
    assert_eq!(
        second.cache_stats(),
        CacheStats {
            hits: 1,
            ..CacheStats::default()
        }
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = std::fs::metadata(dir.path().join("cache.key")).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn a_tampered_or_foreign_cache_file_is_refused_and_the_component_compiled_again() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = dye_lot();
    pair_one(&with_cache(dir.path()), &bytes);
    let file = cache_files(dir.path()).pop().unwrap();

    // One flipped byte deep in the compiled code.
    let mut compiled = std::fs::read(&file).unwrap();
    let at = compiled.len() / 2;
    compiled[at] ^= 0x01;
    std::fs::write(&file, &compiled).unwrap();
    let runtime = with_cache(dir.path());
    assert!((pair_one(&runtime, &bytes) - 2.0425).abs() < 5e-5);
    let stats = runtime.cache_stats();
    assert_eq!((stats.hits, stats.rejected, stats.written), (0, 1, 1));

    // A well-formed file made by another host (another key) is not trusted either.
    let elsewhere = tempfile::tempdir().unwrap();
    pair_one(&with_cache(elsewhere.path()), &bytes);
    let foreign = cache_files(elsewhere.path()).pop().unwrap();
    std::fs::copy(&foreign, &file).unwrap();
    let runtime = with_cache(dir.path());
    assert!((pair_one(&runtime, &bytes) - 2.0425).abs() < 5e-5);
    assert_eq!(runtime.cache_stats().rejected, 1);

    // A truncated file likewise.
    let good = std::fs::read(&file).unwrap();
    std::fs::write(&file, &good[..50]).unwrap();
    let runtime = with_cache(dir.path());
    assert!((pair_one(&runtime, &bytes) - 2.0425).abs() < 5e-5);
    assert_eq!(runtime.cache_stats().rejected, 1);
}

#[test]
fn a_bad_key_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cache.key"), b"short").unwrap();
    let err = Runtime::with_config(&RuntimeConfig {
        cache_dir: Some(dir.path().to_owned()),
        ..RuntimeConfig::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cache.key") && err.contains("32-byte"),
        "{err}"
    );
}

/// Many more calls than pool slots, some concurrent: slots are reused and never leak.
#[test]
fn pooled_slots_are_reused_across_many_calls() {
    let runtime = Runtime::with_config(&RuntimeConfig {
        pool_slots: 4,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let bytes = dye_lot();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..100 {
                    assert!((pair_one(&runtime, &bytes) - 2.0425).abs() < 5e-5);
                }
            });
        }
    });
}
