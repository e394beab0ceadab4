//! `smelt new`: a solution project from the template embedded in the binary.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use smelt_registry::PackageName;
use smelt_registry::manifest::{Industry, Scene, Stage};

/// Arguments of `smelt new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The package name: lowercase letters, digits and '-', starting with a letter.
    pub name: String,
    /// The industry it serves: knitting | textile-dyeing | electronics | auto-parts.
    #[arg(long, default_value = "electronics")]
    pub industry: String,
    /// The business stage: design | production | supply | sales.
    #[arg(long, default_value = "production")]
    pub stage: String,
    /// The scene, by slug or Chinese name, e.g. quality / 质量管理.
    #[arg(long, default_value = "quality")]
    pub scene: String,
    /// The provider organisation shown in the catalog.
    #[arg(long, default_value = "my company")]
    pub provider: String,
    /// Where to create the project; default: ./<name>.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// smelt's sdk/ directory (the smelt-sdk crate is not on crates.io); default: the sdk/ of
    /// the source tree this smelt was built from.
    #[arg(long)]
    pub sdk: Option<PathBuf>,
}

/// The template, embedded: (path in the project, text).
const TEMPLATE: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("template/Cargo.toml.tmpl")),
    ("smelt.toml", include_str!("template/smelt.toml.tmpl")),
    ("src/lib.rs", include_str!("template/lib.rs.tmpl")),
    ("README.md", include_str!("template/README.md.tmpl")),
    (".gitignore", include_str!("template/gitignore.tmpl")),
    (
        "vectors/five-parts.input.json",
        include_str!("template/vectors/five-parts.input.json"),
    ),
    (
        "vectors/five-parts.expected.json",
        include_str!("template/vectors/five-parts.expected.json"),
    ),
];

/// The SDK of the source tree this binary was built from.
fn default_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk")
}

/// `dir` if it holds the smelt-sdk crate, as an absolute path.
fn check_sdk(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let is_sdk = std::fs::read_to_string(&manifest)
        .map(|text| text.contains("name = \"smelt-sdk\""))
        .unwrap_or(false);
    if !is_sdk {
        bail!(
            "no smelt SDK at {}: pass --sdk <the sdk/ directory of a smelt source tree>",
            dir.display()
        );
    }
    dir.canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))
}

/// `gauge-check` → `GaugeCheck`.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Escapes `s` for a TOML basic string.
fn toml_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn render(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{{{key}}}}}"), value)
        })
}

/// Runs `smelt new`.
pub fn run(args: NewArgs) -> anyhow::Result<()> {
    let name: PackageName = args.name.parse().with_context(|| {
        format!(
            "`{}` cannot be a package name; use lowercase letters, digits and '-', e.g. `gauge-check`",
            args.name
        )
    })?;
    let industry: Industry = args.industry.parse().context("--industry")?;
    let stage: Stage = args.stage.parse().context("--stage")?;
    let scene: Scene = args.scene.parse().context("--scene")?;
    let sdk = check_sdk(&args.sdk.unwrap_or_else(default_sdk))?;
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(name.as_str()));
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty: pick another name or --dir",
            dir.display()
        );
    }
    let summary = "Specification-limit check per part with mean, standard deviation and Cpk";
    let provider = toml_escape(&args.provider);
    let sdk_text = toml_escape(&sdk.to_string_lossy());
    let type_name = type_name(name.as_str());
    let values = [
        ("name", name.as_str()),
        ("type", type_name.as_str()),
        ("summary", summary),
        ("provider", provider.as_str()),
        ("industry", industry.slug()),
        ("stage", stage.slug()),
        ("scene", scene.slug()),
        ("sdk", sdk_text.as_str()),
    ];
    for (path, template) in TEMPLATE {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, render(template, &values))
            .with_context(|| format!("writing {}", target.display()))?;
    }
    // The SDK tree's lock file: the project starts on the dependency versions smelt is tested
    // with, and builds offline once they are downloaded (cargo drops the entries it does not use).
    if let Some(lock) = sdk.parent().map(|root| root.join("Cargo.lock"))
        && lock.is_file()
    {
        std::fs::copy(&lock, dir.join("Cargo.lock"))
            .with_context(|| format!("copying {}", lock.display()))?;
    }
    println!(
        "created {} ({} / {} / {}) in {}",
        name,
        industry.slug(),
        stage.slug(),
        scene.slug(),
        dir.display()
    );
    println!("next: cd {} && smelt build && smelt test", dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_placeholders() {
        assert_eq!(type_name("gauge-check"), "GaugeCheck");
        assert_eq!(type_name("a1-b"), "A1B");
        assert_eq!(render("x{{name}}y{{name}}", &[("name", "n")]), "xnyn");
        assert_eq!(toml_escape(r#"a\b"c"#), r#"a\\b\"c"#);
        // Every placeholder of the template has a value.
        for (path, text) in TEMPLATE {
            let rendered = render(
                text,
                &[
                    ("name", ""),
                    ("type", ""),
                    ("summary", ""),
                    ("provider", ""),
                    ("industry", ""),
                    ("stage", ""),
                    ("scene", ""),
                    ("sdk", ""),
                ],
            );
            assert!(!rendered.contains("{{"), "{path}");
        }
    }
}
