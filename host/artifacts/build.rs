//! Builds every plugin under `plugins/`, every hostile test component and the echo components
//! (`host/echo`, one per WIT version) for wasm32-wasip2
//! (profile `plugin`), copies them into OUT_DIR and writes their paths into `artifacts.rs`.
//!
//! The nested cargo uses its own target directory, so it never waits on the lock of the build
//! that runs this script.
//!
//! Two hostile components cannot come out of Rust: they are WebAssembly text (one file in
//! `host/hostile/wat/`, one generated here) wrapped as `smelt:solution/plugin` components with
//! wit-component, and listed beside the others.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// The flags are shared with `smelt build` through the library (`smelt_artifacts::WASM_RUSTFLAGS`).
include!("src/rustflags.rs");

/// The echo components: (the WIT version it targets, the feature that builds it).
const ECHO: &[(&str, &str)] = &[("0.1.0", "wit-0-1-0"), ("0.2.0", "sdk")];

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
    "http-import",
    "unknown-import",
    "random-flood",
    "filesystem",
    "sleep",
    "escape-names",
    "broken-text",
    "snoop",
    "on-cue",
    "dye-lot-v0-1-1",
];

fn cargo(root: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root)
        .arg("build")
        .arg("--target=wasm32-wasip2")
        .arg("--profile=plugin")
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--config")
        .arg(wasm_rustflags_config());
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
    for dir in ["plugins", "sdk", "wit", "host/hostile", "host/echo"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/rustflags.rs");

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
    for (name, wat) in [
        (
            "table-grow",
            fs::read_to_string(root.join("host/hostile/wat/table-grow.wat"))
                .expect("host/hostile/wat/table-grow.wat"),
        ),
        ("compile-bomb", compile_bomb(&BOMB)),
        (
            "compile-bomb-under-limits",
            compile_bomb(&BOMB_UNDER_LIMITS),
        ),
    ] {
        let copy = out.join(format!("hostile-{name}.wasm"));
        fs::write(&copy, componentize(&root, name, &wat)).expect("writing a hostile component");
        code += &format!("    ({name:?}, {:?}),\n", copy.display().to_string());
    }
    // The table-grow module claiming other versions: one the host does not run, and 0.2.0
    // with 0.1.0's shape (its text columns are lists of strings).
    let table_grow = fs::read_to_string(root.join("host/hostile/wat/table-grow.wat"))
        .expect("host/hostile/wat/table-grow.wat");
    for (name, version) in [("wit-0.9.0", "0.9.0"), ("wit-0.2.0-misshapen", "0.2.0")] {
        let copy = out.join(format!("hostile-{name}.wasm"));
        let wat = table_grow.replace(
            "smelt:solution/solution@0.1.0",
            &format!("smelt:solution/solution@{version}"),
        );
        fs::write(&copy, componentize_as(&root, name, &wat, version))
            .expect("writing a hostile component");
        code += &format!("    ({name:?}, {:?}),\n", copy.display().to_string());
    }
    code += "];\n\n/// Echo test components: (WIT version, component path).\npub const ECHO: &[(&str, &str)] = &[\n";
    for (version, feature) in ECHO {
        let mut cmd = cargo(&root, &target_dir);
        cmd.args(["-p", "smelt-echo", "--features", feature]);
        run(cmd);
        let copy = out.join(format!("echo-{version}.wasm"));
        fs::copy(wasm_dir.join("smelt_echo.wasm"), &copy).expect("copying an echo component");
        code += &format!("    ({version:?}, {:?}),\n", copy.display().to_string());
    }
    code += "];\n";
    fs::write(out.join("artifacts.rs"), code).expect("writing artifacts.rs");
}

/// Wraps a core module (WebAssembly text exporting the solution's canonical-ABI functions) as a
/// `smelt:solution/plugin@0.1.0` component.
fn componentize(root: &Path, name: &str, wat: &str) -> Vec<u8> {
    componentize_as(root, name, wat, "0.1.0")
}

/// [`componentize`] with wit/0.1.0's package renamed to version `version`: a component whose
/// solution export claims `version` but has 0.1.0's shape.
fn componentize_as(root: &Path, name: &str, wat: &str, version: &str) -> Vec<u8> {
    let mut module = wat::parse_str(wat).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut resolve = wit_parser::Resolve::default();
    let wit = fs::read_to_string(root.join("wit/0.1.0/solution.wit")).expect("wit/0.1.0");
    let package = resolve
        .push_str(
            "solution.wit",
            &wit.replace("smelt:solution@0.1.0", &format!("smelt:solution@{version}")),
        )
        .expect("wit/0.1.0, renamed");
    let world = resolve
        .select_world(&[package], Some("plugin"))
        .expect("world plugin");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("embedding component metadata");
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .and_then(|encoder| encoder.encode())
        .unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

/// The shape of a generated compile bomb.
struct Bomb {
    functions: usize,
    locals: u32,
    statements: usize,
    back_edge_every: usize,
}

/// At the parser's limit of locals (wasmparser's `MAX_WASM_FUNCTION_LOCALS`, 50,000): four
/// functions of about 1 MiB each, 4 MiB in all, under the server's default 16 MiB body limit.
const BOMB: Bomb = Bomb {
    functions: 4,
    locals: 50_000,
    statements: 80_000,
    back_edge_every: 512,
};

/// As heavy as the runtime's `CODE_LIMITS` let through: 1,024 locals (the cap), a body just
/// under 256 KiB (the cap) and a back edge every 13 statements, for a complexity (locals ×
/// control instructions) just under the 2,000,000 cap.
const BOMB_UNDER_LIMITS: Bomb = Bomb {
    functions: 1,
    locals: 1_024,
    statements: 25_000,
    back_edge_every: 13,
};

/// A compile bomb: a valid solution module whose functions are long runs of
/// `local.get`/`i64.mul`/`local.set` over locals picked at random, inside one loop that many
/// branches return to, so that every local is live across every back edge and SSA
/// construction and register allocation get the worst case to chew on.
fn compile_bomb(bomb: &Bomb) -> String {
    let mut wat = String::from(
        "(module\n  (memory (export \"memory\") 1)\n  \
         (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) i32.const 1024)\n  \
         (func (export \"smelt:solution/solution@0.1.0#describe\") (result i32) unreachable)\n  \
         (func (export \"smelt:solution/solution@0.1.0#run\") (param i32 i32 i32 i32) (result i32) unreachable)\n",
    );
    let mut seed: u64 = 0x5eed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % u64::from(bomb.locals)
    };
    for f in 0..bomb.functions {
        wat += &format!("  (func $bomb{f} (export \"bomb{f}\") (result i64)\n    (local");
        for _ in 0..bomb.locals {
            wat += " i64";
        }
        wat += ")\n    (loop $top\n";
        for i in 0..bomb.statements {
            let (a, b, c) = (next(), next(), next());
            wat += &format!("    local.get {a} local.get {b} i64.mul local.set {c}\n");
            if i % bomb.back_edge_every == bomb.back_edge_every - 1 {
                wat += &format!("    local.get {} i32.wrap_i64 br_if $top\n", next());
            }
        }
        wat += &format!("    )\n    local.get {})\n", next());
    }
    wat += ")\n";
    wat
}
