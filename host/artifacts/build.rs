//! Builds every plugin under `plugins/` and every hostile test component for wasm32-wasip2
//! (profile `plugin`), copies them into OUT_DIR and writes their paths into `artifacts.rs`.
//!
//! The nested cargo uses its own target directory, so it never waits on the lock of the build
//! that runs this script.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const HOSTILE: &[&str] = &[
    "infinite-loop",
    "memory-grow",
    "recursion",
    "huge-output",
    "log-flood",
    "print-flood",
    "trap",
    "panic",
    "forbidden-import",
    "sleeper",
    "dye-lot-v0-1-1",
];

fn cargo(root: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root)
        .arg("build")
        .arg("--target=wasm32-wasip2")
        .arg("--profile=plugin")
        .arg("--target-dir")
        .arg(target_dir);
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run(mut cmd: Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    if !status.success() {
        panic!(
            "building wasm components failed ({cmd:?}); is the target installed? `rustup target add wasm32-wasip2`"
        );
    }
}

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let target_dir = root.join("target").join("wasm");
    for dir in ["plugins", "sdk", "wit", "host/hostile"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    let mut plugins: Vec<(String, PathBuf)> = fs::read_dir(root.join("plugins"))
        .expect("plugins/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    plugins.sort();

    let mut cmd = cargo(&root, &target_dir);
    for (name, _) in &plugins {
        cmd.arg("-p").arg(name);
    }
    run(cmd);

    let wasm_dir = target_dir.join("wasm32-wasip2").join("plugin");
    let mut code = String::from(
        "/// Example plugins: (package name, source directory, component path).\npub const PLUGINS: &[(&str, &str, &str)] = &[\n",
    );
    for (name, dir) in &plugins {
        let built = wasm_dir.join(format!("{}.wasm", name.replace('-', "_")));
        let copy = out.join(format!("{name}.wasm"));
        fs::copy(&built, &copy).unwrap_or_else(|e| panic!("copying {}: {e}", built.display()));
        code += &format!(
            "    ({name:?}, {:?}, {:?}),\n",
            dir.display().to_string(),
            copy.display().to_string()
        );
    }
    code += "];\n\n/// Hostile test components: (misbehaviour, component path).\npub const HOSTILE: &[(&str, &str)] = &[\n";
    for feature in HOSTILE {
        let mut cmd = cargo(&root, &target_dir);
        cmd.args(["-p", "smelt-hostile", "--features", feature]);
        run(cmd);
        let copy = out.join(format!("hostile-{feature}.wasm"));
        fs::copy(wasm_dir.join("smelt_hostile.wasm"), &copy).expect("copying hostile component");
        code += &format!("    ({feature:?}, {:?}),\n", copy.display().to_string());
    }
    code += "];\n";
    fs::write(out.join("artifacts.rs"), code).expect("writing artifacts.rs");
}
