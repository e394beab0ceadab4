//! Loading vectors: a package's (named by its `smelt.toml`) and a reviewer's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use smelt_registry::Manifest;
use smelt_runtime::{Vector, VectorBundle};

use crate::{Error, Result};

/// Tolerance of reviewer vectors when `vectors.toml` gives none: published reference tables
/// mostly print four decimals.
pub const DEFAULT_TOLERANCE: f64 = 1e-4;

/// The optional settings file of a reviewer vectors directory.
pub const REVIEWER_CONFIG: &str = "vectors.toml";

const INPUT_SUFFIX: &str = ".input.json";
const EXPECTED_SUFFIX: &str = ".expected.json";

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

fn read_json(path: &Path) -> Result<Json> {
    serde_json::from_str(&read(path)?).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

/// Reads `dir/smelt.toml` and the vector files it names.
pub fn load_package(dir: &Path) -> Result<(Manifest, VectorBundle)> {
    let path = dir.join("smelt.toml");
    let manifest = Manifest::from_toml(&read(&path)?).map_err(|source| Error::Manifest {
        path: path.clone(),
        source,
    })?;
    let vectors = package_vectors(dir, &manifest)?;
    Ok((manifest, vectors))
}

/// The vectors `manifest` names, read from files relative to the package directory `dir` (the
/// manifest's validation has already refused paths that leave it).
pub fn package_vectors(dir: &Path, manifest: &Manifest) -> Result<VectorBundle> {
    let vectors = manifest
        .vectors
        .iter()
        .map(|v| {
            Ok(Vector {
                name: v.name.clone(),
                input: read_json(&dir.join(&v.input))?,
                expected: read_json(&dir.join(&v.expected))?,
                tolerance: v.tolerance,
            })
        })
        .collect::<Result<_>>()?;
    Ok(VectorBundle { vectors })
}

/// `vectors.toml` of a reviewer directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewerConfig {
    /// Absolute tolerance for every vector without its own.
    tolerance: Option<f64>,
    /// Per-vector tolerances, by vector name.
    #[serde(default)]
    tolerances: BTreeMap<String, f64>,
}

fn tolerance_ok(t: f64) -> bool {
    t.is_finite() && t >= 0.0
}

/// Loads a reviewer's directory of vectors: every `<name>.input.json` with its
/// `<name>.expected.json`, and the tolerances of an optional [`REVIEWER_CONFIG`] (format in the
/// crate doc). Vectors are in name order; other files are ignored.
pub fn reviewer_vectors(dir: &Path) -> Result<VectorBundle> {
    let config_path = dir.join(REVIEWER_CONFIG);
    let config = if config_path.is_file() {
        toml::from_str::<ReviewerConfig>(&read(&config_path)?).map_err(|e| {
            Error::VectorsConfig {
                path: config_path.clone(),
                message: e.message().to_owned(),
            }
        })?
    } else {
        ReviewerConfig::default()
    };
    let bad_config = |message: String| Error::VectorsConfig {
        path: config_path.clone(),
        message,
    };
    let tolerance = config.tolerance.unwrap_or(DEFAULT_TOLERANCE);
    if !tolerance_ok(tolerance) {
        return Err(bad_config(format!(
            "tolerance: expected a number >= 0, found {tolerance}"
        )));
    }

    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut names = BTreeMap::<String, (bool, bool)>::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = file.strip_suffix(INPUT_SUFFIX) {
            names.entry(name.to_owned()).or_default().0 = true;
        } else if let Some(name) = file.strip_suffix(EXPECTED_SUFFIX) {
            names.entry(name.to_owned()).or_default().1 = true;
        }
    }
    if names.is_empty() {
        return Err(Error::NoVectors {
            dir: dir.to_owned(),
        });
    }
    for name in config.tolerances.keys() {
        if !names.contains_key(name) {
            return Err(bad_config(format!(
                "tolerances.{name}: there is no vector `{name}` in this directory"
            )));
        }
    }

    let path_of = |name: &str, suffix: &str| -> PathBuf { dir.join(format!("{name}{suffix}")) };
    let mut vectors = Vec::with_capacity(names.len());
    for (name, (input, expected)) in names {
        for (present, suffix) in [(input, INPUT_SUFFIX), (expected, EXPECTED_SUFFIX)] {
            if !present {
                return Err(Error::Unpaired {
                    missing: path_of(&name, suffix),
                    name,
                });
            }
        }
        let tolerance = config.tolerances.get(&name).copied().unwrap_or(tolerance);
        if !tolerance_ok(tolerance) {
            return Err(bad_config(format!(
                "tolerances.{name}: expected a number >= 0, found {tolerance}"
            )));
        }
        vectors.push(Vector {
            input: read_json(&path_of(&name, INPUT_SUFFIX))?,
            expected: read_json(&path_of(&name, EXPECTED_SUFFIX))?,
            name,
            tolerance,
        });
    }
    Ok(VectorBundle { vectors })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::write(dir.join(file), text).unwrap();
    }

    #[test]
    fn reviewer_directory_pairs_files_and_applies_tolerances() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.input.json", r#"{"tables": {}}"#);
        write(dir.path(), "b.expected.json", r#"{"metrics": {"m": 1}}"#);
        write(dir.path(), "a.input.json", r#"{"params": {"x": 1}}"#);
        write(dir.path(), "a.expected.json", r#"{}"#);
        write(dir.path(), "notes.txt", "ignored");
        write(
            dir.path(),
            REVIEWER_CONFIG,
            "tolerance = 0.01\n[tolerances]\nb = 0.5\n",
        );
        let bundle = reviewer_vectors(dir.path()).unwrap();
        let got: Vec<(&str, f64)> = bundle
            .vectors
            .iter()
            .map(|v| (v.name.as_str(), v.tolerance))
            .collect();
        assert_eq!(got, [("a", 0.01), ("b", 0.5)]);
        assert_eq!(bundle.vectors[0].input["params"]["x"], 1);
    }

    #[test]
    fn reviewer_directory_defaults_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            reviewer_vectors(dir.path()),
            Err(Error::NoVectors { .. })
        ));
        write(dir.path(), "a.input.json", "{}");
        match reviewer_vectors(dir.path()) {
            Err(Error::Unpaired { name, missing }) => {
                assert_eq!(name, "a");
                assert!(missing.ends_with("a.expected.json"), "{missing:?}");
            }
            other => panic!("expected unpaired, got {other:?}"),
        }
        write(dir.path(), "a.expected.json", "{");
        assert!(matches!(
            reviewer_vectors(dir.path()),
            Err(Error::Json { .. })
        ));
        write(dir.path(), "a.expected.json", "{}");
        assert_eq!(
            reviewer_vectors(dir.path()).unwrap().vectors[0].tolerance,
            DEFAULT_TOLERANCE
        );
        write(dir.path(), REVIEWER_CONFIG, "tolerance = -1\n");
        let err = reviewer_vectors(dir.path()).unwrap_err().to_string();
        assert!(err.contains("expected a number >= 0"), "{err}");
        write(dir.path(), REVIEWER_CONFIG, "[tolerances]\nzz = 1\n");
        let err = reviewer_vectors(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no vector `zz`"), "{err}");
        write(dir.path(), REVIEWER_CONFIG, "tolerence = 1\n");
        let err = reviewer_vectors(dir.path()).unwrap_err().to_string();
        assert!(err.contains("unknown field"), "{err}");
    }
}
