//! The provider and enterprise command line, end to end: `sdk/README.md` followed literally
//! (`smelt new`, `build`, `test`, `login`, `publish`, then `smelt try` with a CSV) against a real
//! server, the deployment commands, and one-line errors that say what to do for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::{Server, decide};

/// The generated projects' cargo target directory: inside the workspace's, so repeated runs
/// reuse the first build of wit-bindgen and the SDK.
fn project_target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/smelt-new-test")
}

/// Runs `smelt args...` in `dir` with a clean client environment plus `env`.
fn smelt(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smelt"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("SMELT_TOKEN")
        .env_remove("SMELT_SERVER")
        .env("SMELT_CREDENTIALS", dir.join("no-credentials"))
        .env("CARGO_TARGET_DIR", project_target_dir());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("running smelt")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and returns stdout.
#[track_caller]
fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Asserts a non-zero exit whose stderr is exactly one `error:` line containing every needle;
/// returns that line.
#[track_caller]
fn fails(output: Output, needles: &[&str]) -> String {
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "expected a failure; stdout:\n{}\nstderr:\n{stderr}",
        text(&output.stdout)
    );
    let line = stderr.trim();
    assert_eq!(line.lines().count(), 1, "not one line:\n{stderr}");
    assert!(line.starts_with("error: "), "{line}");
    for needle in needles {
        assert!(line.contains(needle), "`{needle}` missing from: {line}");
    }
    line.to_owned()
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The CSV of the guide's step 5, byte for byte.
const PARTS_CSV: &str = "part,value\nA1,10.00\nA2,10.03\nA3,9.94\n";

/// What the template's solution must compute for `values` within `[lower, upper]`, by the
/// textbook formulas (Montgomery ch. 8), independently of the template's code: mean, sample
/// standard deviation, Cpk, and the parts outside the limits.
fn expected(values: &[f64], lower: f64, upper: f64) -> (f64, f64, f64, Vec<bool>) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let s = variance.sqrt();
    let cpk = f64::min(upper - mean, mean - lower) / (3.0 * s);
    let in_spec = values.iter().map(|v| *v >= lower && *v <= upper).collect();
    (mean, s, cpk, in_spec)
}

fn metric(answer: &Value, name: &str) -> f64 {
    answer["output"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}: {answer}"))["value"]
        .as_f64()
        .unwrap()
}

/// Checks a trial's or invocation's answer on `PARTS_CSV` against the independent computation.
#[track_caller]
fn check_answer(answer: &Value) {
    let values = [10.00, 10.03, 9.94];
    let (mean, s, cpk, in_spec) = expected(&values, 9.95, 10.05);
    assert!((metric(answer, "mean") - mean).abs() < 1e-9, "{answer}");
    assert!((metric(answer, "std_dev") - s).abs() < 1e-9, "{answer}");
    assert!((metric(answer, "cpk") - cpk).abs() < 1e-9, "{answer}");
    let outside = in_spec.iter().filter(|ok| !**ok).count();
    assert_eq!(metric(answer, "out_of_spec"), outside as f64);
    let results = &answer["output"]["tables"]["results"];
    assert_eq!(results["in_spec"], serde_json::json!(in_spec));
    assert_eq!(results["part"], serde_json::json!(["A1", "A2", "A3"]));
    let findings = answer["output"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["code"], "out-of-spec");
    assert_eq!(findings[0]["row"], 2);
}

#[tokio::test]
async fn the_guide_from_smelt_new_to_a_trial_on_a_csv() {
    let server = Server::start(&[]);
    let provider = server.account("gauge-works", "provider").await;
    let reviewer = server.account("reviewer", "reviewer").await;
    let enterprise = server.account("axle-plant", "enterprise").await;
    let home = tempfile::tempdir().unwrap();
    let credentials = home.path().join("config/smelt/credentials");
    let credentials_env = ("SMELT_CREDENTIALS", credentials.to_str().unwrap());

    // 1. Create the project.
    let out = ok(smelt(
        home.path(),
        &[
            "new",
            "gauge-check",
            "--industry",
            "auto-parts",
            "--scene",
            "quality",
        ],
        &[],
    ));
    assert!(out.contains("created gauge-check"), "{out}");
    let project = home.path().join("gauge-check");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "src/lib.rs",
        "smelt.toml",
        "README.md",
        "vectors",
    ] {
        assert!(project.join(file).exists(), "{file}");
    }
    let manifest = std::fs::read_to_string(project.join("smelt.toml")).unwrap();
    assert!(
        manifest.contains("industries = [\"auto-parts\"]"),
        "{manifest}"
    );

    // 2. Build: the component, and its size against the "small" threshold.
    let out = ok(smelt(&project, &["build"], &[]));
    assert!(
        out.contains("gauge_check.wasm") && out.contains("small:"),
        "{out}"
    );

    // 3. Test: the conformance suite passes unchanged.
    let out = ok(smelt(&project, &["test"], &[]));
    assert!(out.contains("result: PASS"), "{out}");
    assert!(out.contains("scores: small"), "{out}");

    // 4. Log in (the token is checked and stored with mode 0600), then publish.
    let out = ok(smelt(
        &project,
        &["login", "--server", &server.base, "--token", &provider],
        &[credentials_env],
    ));
    assert!(out.contains("logged in"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = ok(smelt(&project, &["publish"], &[credentials_env]));
    assert!(out.contains("published gauge-check@0.1.0"), "{out}");

    // A reviewer approves it: enterprises try approved versions only.
    decide(&server, &reviewer, "gauge-check", "0.1.0", "approve").await;

    // 5. Try it as an enterprise, on the guide's CSV (SMELT_TOKEN beats the stored token).
    std::fs::write(project.join("parts.csv"), PARTS_CSV).unwrap();
    let try_args = [
        "try",
        "gauge-check@^0.1",
        "--input",
        "parts.csv:measurements",
        "--param",
        "lower=9.95",
        "--param",
        "upper=10.05",
    ];
    let as_enterprise = [credentials_env, ("SMELT_TOKEN", enterprise.as_str())];
    let out = ok(smelt(&project, &try_args, &as_enterprise));
    assert!(out.contains("gauge-check@0.1.0"), "{out}");
    assert!(
        out.contains("out-of-spec") && out.contains("table results (3 rows)"),
        "{out}"
    );
    let mut with_json = try_args.to_vec();
    with_json.push("--json");
    let answer = json(&ok(smelt(&project, &with_json, &as_enterprise)));
    check_answer(&answer);

    // Deploy, invoke, release 0.1.1, check the upgrade, upgrade, roll back.
    let deployed = json(&ok(smelt(
        &project,
        &[
            "deploy",
            "gauge-check@^0.1",
            "--param",
            "lower=9.95",
            "--json",
        ],
        &as_enterprise,
    )));
    let id = deployed["deployment"]["id"].as_str().unwrap().to_owned();
    let invoke = [
        "invoke",
        id.as_str(),
        "--input",
        "parts.csv",
        "--param",
        "upper=10.05",
        "--json",
    ];
    check_answer(&json(&ok(smelt(&project, &invoke, &as_enterprise))));
    let listed = ok(smelt(&project, &["deployments"], &as_enterprise));
    assert!(listed.contains(&id) && listed.contains("0.1.0"), "{listed}");

    // A release bumps both versions; `smelt build` catches a manifest bumped alone.
    let bump = |file: &str| {
        let path = project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let bumped = text.replacen("version = \"0.1.0\"", "version = \"0.1.1\"", 1);
        assert_ne!(text, bumped, "{file}");
        std::fs::write(&path, bumped).unwrap();
    };
    bump("smelt.toml");
    let out = smelt(&project, &["build"], &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let err = stderr.trim().lines().last().unwrap();
    assert!(
        err.starts_with("error: the component describes itself as gauge-check@0.1.0")
            && err.contains("smelt.toml says gauge-check@0.1.1"),
        "{stderr}"
    );
    bump("Cargo.toml");
    let out = ok(smelt(&project, &["build"], &[]));
    assert!(
        out.contains("gauge-check 0.1.1: 1 input table(s), 2 param(s)"),
        "{out}"
    );
    let out = ok(smelt(&project, &["publish"], &[credentials_env]));
    assert!(out.contains("published gauge-check@0.1.1"), "{out}");
    decide(&server, &reviewer, "gauge-check", "0.1.1", "approve").await;

    let dry = json(&ok(smelt(
        &project,
        &["upgrade", &id, "=0.1.1", "--dry-run", "--json"],
        &as_enterprise,
    )));
    assert_eq!(dry["switched"], false);
    assert_eq!(dry["report"]["pass"], true, "{dry}");
    assert_eq!(dry["report"]["checks"]["shadow"]["inputs"], 1, "{dry}");
    let out = ok(smelt(&project, &["upgrade", &id, "=0.1.1"], &as_enterprise));
    assert!(out.contains("switched to 0.1.1"), "{out}");
    let out = ok(smelt(&project, &["rollback", &id], &as_enterprise));
    assert!(
        out.contains("rolled back") && out.contains("0.1.0"),
        "{out}"
    );
    let out = fails(
        smelt(&project, &["rollback", &id], &as_enterprise),
        &["409", "no earlier version"],
    );
    assert!(out.contains("nothing was changed"), "{out}");
}

/// A port nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn bad_input_gives_one_line_errors_that_say_what_to_do() {
    let server = Server::start(&[]);
    let provider = server.account("maker", "provider").await;
    let reviewer = server.account("reviewer", "reviewer").await;
    let enterprise = server.account("plant", "enterprise").await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let down = closed_port();
    let up = server.base.as_str();

    // smelt new: a bad name, an unknown industry, a missing SDK, an existing directory.
    fails(
        smelt(dir, &["new", "Gauge_Check"], &[]),
        &["use lowercase letters"],
    );
    fails(
        smelt(dir, &["new", "gauge", "--industry", "mining"], &[]),
        &["--industry", "expected one of", "auto-parts"],
    );
    fails(
        smelt(dir, &["new", "gauge", "--sdk", "/nonexistent"], &[]),
        &["no smelt SDK at /nonexistent", "pass --sdk"],
    );
    std::fs::create_dir(dir.join("taken")).unwrap();
    std::fs::write(dir.join("taken/file"), "x").unwrap();
    fails(
        smelt(dir, &["new", "taken"], &[]),
        &["already exists", "pick another name"],
    );

    // smelt build / test / publish outside a project, and test before any build.
    fails(
        smelt(dir, &["build"], &[]),
        &["has no Cargo.toml", "smelt new <name>"],
    );
    fails(smelt(dir, &["test"], &[]), &["has no Cargo.toml"]);
    ok(smelt(dir, &["new", "unbuilt"], &[]));
    let empty_target = dir.join("empty-target");
    fails(
        smelt(
            &dir.join("unbuilt"),
            &["test"],
            &[("CARGO_TARGET_DIR", empty_target.to_str().unwrap())],
        ),
        &["no built component", "run `smelt build` first"],
    );
    fails(
        smelt(
            dir,
            &[
                "publish",
                "missing-dir",
                "--server",
                up,
                "--token",
                &provider,
            ],
            &[],
        ),
        &["missing-dir/smelt.toml"],
    );

    // Publishing: server down, a bad token, no token, a refused component with its findings.
    let example = smelt_artifacts::plugin_dir("oee-calculator");
    let wasm = smelt_artifacts::plugin("oee-calculator");
    let publish = |server: &str, token: Option<&str>| {
        let mut args = vec!["publish", example, "--component", wasm, "--server", server];
        if let Some(token) = token {
            args.extend(["--token", token]);
        }
        smelt(dir, &args, &[])
    };
    fails(
        publish(&down, Some(&provider)),
        &["cannot reach the smelt server", "start it"],
    );
    fails(
        publish(up, Some("not-a-token")),
        &["401", "run `smelt login`"],
    );
    fails(
        publish(up, None),
        &["401", "no token was given", "smelt login"],
    );
    fails(publish(up, Some(&enterprise)), &["403", "role"]);
    let broken = dir.join("broken");
    std::fs::create_dir_all(broken.join("vectors")).unwrap();
    for entry in std::fs::read_dir(Path::new(example).join("vectors")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path
            .to_str()
            .unwrap()
            .ends_with("vorne-oee-com.expected.json")
        {
            text = text.replace("0.7479", "0.9");
        }
        std::fs::write(broken.join("vectors").join(path.file_name().unwrap()), text).unwrap();
    }
    std::fs::copy(
        Path::new(example).join("smelt.toml"),
        broken.join("smelt.toml"),
    )
    .unwrap();
    let out = smelt(
        dir,
        &[
            "publish",
            "broken",
            "--component",
            wasm,
            "--server",
            up,
            "--token",
            &provider,
        ],
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("  - vectors.precise:"), "{stderr}");
    let last = stderr.trim().lines().last().unwrap();
    assert!(
        last.starts_with("error: publish refused with") && last.contains("smelt test"),
        "{stderr}"
    );

    // smelt test on the same package fails the same way, with the exit code of a failed suite.
    let out = smelt(dir, &["test", "broken", "--component", wasm], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("vectors.precise (error):"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .trim()
            .ends_with("error: oee-calculator failed conformance: vectors.precise"),
        "{stderr}"
    );

    // smelt login: server down, a bad token (from standard input too).
    fails(
        smelt(dir, &["login", "--server", &down, "--token", "t"], &[]),
        &["cannot reach the smelt server"],
    );
    fails(
        smelt(dir, &["login", "--server", up, "--token", "wrong"], &[]),
        &["401", "token was refused"],
    );
    let piped = Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["login", "--server", up])
        .env_remove("SMELT_TOKEN")
        .env("SMELT_CREDENTIALS", dir.join("piped-credentials"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = piped.stdin.as_ref().unwrap();
        stdin
            .write_all(format!("{enterprise}\n").as_bytes())
            .unwrap();
    }
    let out = ok(piped.wait_with_output().unwrap());
    assert!(out.contains("logged in"), "{out}");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("piped-credentials")).unwrap())
            .unwrap();
    assert_eq!(stored["servers"][up]["token"], enterprise.as_str());

    // smelt try: unknown package, missing file, a CSV with a bad cell, a CSV for no table, an
    // unknown param, server down, bad token.
    let status = crate::publish(
        &server,
        &provider,
        "oee-calculator",
        "0.1.0",
        &std::fs::read_to_string(Path::new(example).join("smelt.toml")).unwrap(),
        std::fs::read(wasm).unwrap(),
    )
    .await;
    assert_eq!(status.0, reqwest::StatusCode::CREATED, "{}", status.1);
    decide(&server, &reviewer, "oee-calculator", "0.1.0", "approve").await;
    let header = "machine,shift,shift_length,planned_stops,breakdowns,setups,small_stops,ideal_cycle_time,total_count,startup_rejects,production_rejects";
    std::fs::write(
        dir.join("shifts.csv"),
        format!(
            "{header}\nM1,A,480,60,47,0,0,1.0,19271,0,423\nM1,B,480,sixty,47,0,0,1.0,19271,0,423\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("wrong.csv"), "machine,colour\nM1,red\n").unwrap();
    let try_with = |server: &str, token: &str, spec: &str, input: &str, extra: &[&str]| {
        let mut args = vec![
            "try", spec, "--input", input, "--server", server, "--token", token,
        ];
        args.extend(extra);
        smelt(dir, &args, &[])
    };
    fails(
        try_with(up, &enterprise, "no-such-solution@^1", "shifts.csv", &[]),
        &["404", "smelt search"],
    );
    fails(
        try_with(up, &enterprise, "oee-calculator@^0.1", "absent.csv", &[]),
        &["cannot read absent.csv", "check the path"],
    );
    fails(
        try_with(up, &enterprise, "oee-calculator@^0.1", "shifts.csv", &[]),
        &[
            "shifts.csv: line 3, column `planned_stops`",
            "`sixty`",
            "fix the file",
        ],
    );
    fails(
        try_with(
            up,
            &enterprise,
            "oee-calculator@^0.1",
            "wrong.csv:shifts",
            &[],
        ),
        &["wrong.csv: line 1", "unknown column `colour`"],
    );
    fails(
        try_with(
            up,
            &enterprise,
            "oee-calculator@^0.1",
            "shifts.csv:nope",
            &[],
        ),
        &["no input table `nope`", "its tables: shifts"],
    );
    fails(
        try_with(up, &enterprise, "oee-calculator@^0.1", "absent.json", &[]),
        &["cannot read it"],
    );
    std::fs::write(
        dir.join("good.csv"),
        format!("{header}\nM1,A,480,60,47,0,0,1.0,19271,0,423\n"),
    )
    .unwrap();
    fails(
        try_with(
            up,
            &enterprise,
            "oee-calculator@^0.1",
            "good.csv:shifts",
            &["--param", "speed=2"],
        ),
        &["no param `speed`", "its params: target_oee"],
    );
    fails(
        try_with(
            up,
            &enterprise,
            "oee-calculator@^0.1",
            "good.csv:shifts",
            &["--param", "target_oee=high"],
        ),
        &["`target_oee` is a float64 param"],
    );
    fails(
        try_with(
            up,
            &enterprise,
            "oee-calculator@^0.1",
            "good.csv:shifts",
            &["--param", "target_oee=7"],
        ),
        &["does not fit oee-calculator", "target_oee"],
    );
    fails(
        try_with(&down, &enterprise, "oee-calculator@^0.1", "good.csv", &[]),
        &["cannot reach the smelt server"],
    );
    fails(
        try_with(up, "bad-token", "oee-calculator@^0.1", "good.csv", &[]),
        &["401", "smelt login"],
    );
    fails(
        try_with(up, &enterprise, "Not A Name", "good.csv", &[]),
        &["is not <name>@<version requirement>"],
    );
    // The good file works, so the failures above were the bad input's; an input JSON too.
    ok(try_with(
        up,
        &enterprise,
        "oee-calculator@^0.1",
        "good.csv",
        &[],
    ));
    let vector = Path::new(example).join("vectors/vorne-oee-com.input.json");
    let answer = json(&ok(try_with(
        up,
        &enterprise,
        "oee-calculator@^0.1",
        vector.to_str().unwrap(),
        &["--json"],
    )));
    let oee = answer["output"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "oee")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    // oee.com's worked example: OEE 74.79 % (its vector's expected value).
    assert!((oee - 0.7479).abs() < 1e-4, "{answer}");

    // Deployment commands: unknown package or id, server down, bad token.
    let connect = ["--server", up, "--token", enterprise.as_str()];
    let with = |args: &[&str], connect: &[&str]| {
        let mut all = args.to_vec();
        all.extend(connect);
        smelt(dir, &all, &[])
    };
    fails(
        with(&["deploy", "no-such-solution@^1"], &connect),
        &["404", "check the name"],
    );
    fails(
        with(&["invoke", "dep-nope", "--input", "good.csv"], &connect),
        &["no deployment `dep-nope`", "smelt deployments"],
    );
    fails(
        with(&["upgrade", "dep-nope", "^0.2", "--dry-run"], &connect),
        &["404"],
    );
    fails(with(&["rollback", "dep-nope"], &connect), &["404"]);
    fails(
        with(&["deployments"], &["--server", &down, "--token", "t"]),
        &["cannot reach the smelt server"],
    );
    fails(
        with(&["deployments"], &["--server", up, "--token", "bad"]),
        &["401"],
    );
    fails(with(&["search"], &["--server", &down]), &["cannot reach"]);

    // Local commands: missing files.
    fails(
        smelt(dir, &["run", "absent.wasm", "--input", "absent.json"], &[]),
        &["absent.wasm"],
    );
    fails(
        smelt(
            dir,
            &["conformance", wasm, "--manifest", "absent/smelt.toml"],
            &[],
        ),
        &["absent"],
    );

    // A damaged credentials file says how to recover.
    let damaged = dir.join("damaged");
    std::fs::write(&damaged, "not json").unwrap();
    fails(
        smelt(
            dir,
            &["deployments", "--server", up],
            &[("SMELT_CREDENTIALS", damaged.to_str().unwrap())],
        ),
        &["is damaged", "smelt login"],
    );
}

#[test]
fn a_missing_wasm_target_names_the_install_command() {
    // A toolchain without wasm32-wasip2: nightly here, when installed without it.
    let probe = Command::new("rustup")
        .args(["target", "list", "--installed", "--toolchain", "nightly"])
        .output();
    let Ok(probe) = probe else {
        eprintln!("skipped: no rustup");
        return;
    };
    let installed = text(&probe.stdout);
    if !probe.status.success() || installed.lines().any(|l| l.trim() == "wasm32-wasip2") {
        eprintln!("skipped: no nightly toolchain without wasm32-wasip2");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ok(smelt(dir.path(), &["new", "no-target"], &[]));
    fails(
        smelt(
            &dir.path().join("no-target"),
            &["build"],
            &[("RUSTUP_TOOLCHAIN", "nightly")],
        ),
        &[
            "wasm32-wasip2 target is not installed",
            "rustup target add wasm32-wasip2",
        ],
    );
}

#[test]
fn completions_and_help_examples() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = ok(smelt(dir.path(), &["completions", shell], &[]));
        assert!(out.contains("smelt") && out.contains("publish"), "{shell}");
    }
    for command in [
        "run",
        "serve",
        "demo",
        "conformance",
        "new",
        "build",
        "test",
        "login",
        "publish",
        "search",
        "try",
        "deploy",
        "deployments",
        "invoke",
        "upgrade",
        "rollback",
        "completions",
    ] {
        let out = ok(smelt(dir.path(), &[command, "--help"], &[]));
        let example = out.split("Example:\n  ").nth(1).unwrap_or_default();
        assert!(
            example.lines().next().is_some_and(|l| l.contains("smelt ")),
            "{command}: {out}"
        );
    }
    // Usage errors are one line too, with the usage and where to read more.
    fails(
        smelt(dir.path(), &["completions", "tcsh"], &[]),
        &["[possible values: bash", "(more: smelt completions --help)"],
    );
    fails(
        smelt(dir.path(), &["try", "gauge-check@^0.1"], &[]),
        &[
            "required arguments were not provided: --input",
            "(more: smelt try --help)",
        ],
    );
}
