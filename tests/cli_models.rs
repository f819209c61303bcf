//! The `lockcheck` command on the shipped models/, replay, lincheck and
//! list, run as a user runs them.

use std::path::Path;

mod common;
use common::{lockcheck, text};

#[test]
fn check_models_gives_every_model_its_expected_verdict_and_exits_0() {
    let out = lockcheck(&["check", "models/", "--json"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    let models = report["models"].as_array().unwrap();
    assert!(models.len() >= 12, "{} models", models.len());
    assert_eq!(report["mismatched"], 0);
    let mut violations = 0;
    for m in models {
        assert_eq!(m["matches"], true, "{m}");
        assert_eq!(m["verdict"], m["expected"], "{m}");
        assert_eq!(m["property"], m["expected_property"], "{m}");
        if m["verdict"] == "violation" {
            violations += 1;
            let c = &m["counterexample"];
            assert!(!c["timeline"].as_array().unwrap().is_empty(), "{m}");
            let replay = c["replay"].as_str().unwrap();
            assert!(replay.starts_with("cargo run --release -- "), "{replay}");
        }
    }
    assert!(violations >= 6 && models.len() - violations >= 6);
}

#[test]
fn the_printed_replay_command_reproduces_the_violation() {
    let model = "models/lockfile-unlink-then-write.toml";
    let out = lockcheck(&["check", model]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("ok    lockfile-unlink-then-write"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mutual-exclusion violated after step"),
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: cargo run --release -- "))
        .expect("a replay command");
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(args[..2], ["replay", model]);
    let replayed = lockcheck(&args);
    let rstdout = text(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(1), "{rstdout}");
    let violation = stdout
        .lines()
        .find(|l| l.contains("mutual-exclusion violated"))
        .unwrap()
        .trim();
    assert!(rstdout.contains(violation), "{violation}\n{rstdout}");
    // Every step of the counterexample's timeline is in the replay's.
    for l in stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(":p"))
    {
        assert!(rstdout.contains(l.trim_start()), "{l}\n{rstdout}");
    }
}

/// Writes `text` as the model `name`.toml in a fresh directory.
fn model_file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn a_model_whose_every_acquire_fails_is_vacuous_not_safe_and_fails_the_gate() {
    // A lock file left by an earlier run names pid 101, which process 0
    // of this run now has: to process 0 the lock is held by a live
    // process, so it never gets it (process 1 does, once 0 has exited).
    let vacuous = "protocol = \"lockfile/write-temp-then-replace\"\nworkload = \"holder-and-contender\"\n\
                   expect = \"safe\"\n[[file]]\npath = \"agent.lock\"\ncontents = '{\"owner\": \
                   \"earlier-run\", \"pid\": 101, \"acquired_at\": 1735689600.0, \
                   \"refreshed_at\": 1735689600.0}'\n[explore]\niterations = 100\n";
    let (_dir, path) = model_file("nothing-happens", vacuous);
    let out = lockcheck(&["check", &path]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  nothing-happens  vacuous (process 0 got nowhere)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "interleaving(s); process 0: 0 operation(s), 0 critical section(s); \
             process 1: "
        ),
        "{stdout}"
    );
    let json = lockcheck(&["check", &path, "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let m = &report["models"][0];
    assert_eq!(m["verdict"], "vacuous", "{m}");
    assert_eq!(m["idle"], serde_json::json!([0]), "{m}");
    assert_eq!(m["reached"]["processes"][0]["entered"], 0, "{m}");
    assert_eq!(m["matches"], false, "{m}");

    // A model may say it expects exactly that.
    let (_dir, path) = model_file("expected", &vacuous.replace("\"safe\"", "\"vacuous\""));
    let out = lockcheck(&["check", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_model_past_looms_branch_limit_is_unknown_and_exits_3() {
    let section = "\"acquire\", \"critical\", \"release\", ".repeat(200);
    let long = format!(
        "protocol = \"flock/keep-file\"\nexpect = \"safe\"\n\
         [[process]]\nops = [{section}]\ncount = 2\n[explore]\nstrategy = \"loom\"\n"
    );
    let (_dir, path) = model_file("long", &long);
    let out = lockcheck(&["check", &path]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "FAIL  long  unknown (loom's branch limit (1000 branches in one execution) reached)"
        ),
        "{stdout}"
    );
    let json = lockcheck(&["check", &path, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let m = &report["models"][0];
    assert_eq!(m["verdict"], "unknown", "{m}");
    assert_eq!(
        m["limit"], "loom's branch limit (1000 branches in one execution)",
        "{m}"
    );
    assert_eq!(m["property"], serde_json::Value::Null, "{m}");
}

#[test]
fn a_loom_model_with_six_processes_is_refused_naming_the_limit_and_exits_2() {
    let six = "protocol = \"flock/keep-file\"\nworkload = \"lockers\"\nprocesses = 6\n\
               expect = \"safe\"\n[explore]\nstrategy = \"loom\"\n";
    let (_dir, path) = model_file("six", six);
    let out = lockcheck(&["check", &path]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: {path}: six: loom runs at most 5 threads, one per process and one per \
             crash or pause fault; this scenario needs 6 (6 processes, 0 faults)"
        )),
        "{stderr}"
    );
}

#[test]
fn a_model_whose_verdict_differs_from_its_expectation_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.toml");
    std::fs::write(
        &path,
        "protocol = \"lockfile/unlink-then-write\"\nworkload = \"holder-and-contender\"\nexpect = \"safe\"\n[explore]\niterations = 2000\n",
    )
    .unwrap();
    let out = lockcheck(&["check", path.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  wrong"), "{stdout}");
    assert!(
        stdout.contains("1 model(s): 0 as expected, 1 not"),
        "{stdout}"
    );
}

#[test]
fn replay_of_a_schedule_that_breaks_nothing_prints_its_trace_and_exits_0() {
    let out = lockcheck(&["replay", "models/lockfile-fenced.toml", "v1:a"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("open(\""), "{stdout}");
    assert!(stdout.contains("no property violated"), "{stdout}");
}

#[test]
fn list_names_protocols_variants_specs_properties_and_faults() {
    let out = lockcheck(&["list"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for name in [
        "lockfile/unlink-then-write",
        "flock/unlink-with-recheck",
        "claim/by-rename",
        "registry/in-place",
        "taskboard/task-then-board",
        "kv-whole-map",
        "mutual-exclusion",
        "power-loss",
        "holder-and-contender",
    ] {
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
}

#[test]
fn lincheck_of_a_json_mutex_history_with_two_holders_exits_1_and_writes_html() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.json");
    std::fs::write(
        &history,
        r#"{"events": [
{"type": "invoke", "process": 1, "input": {"acquire": 1}},
{"type": "ok", "process": 1, "output": "acquired"},
{"type": "invoke", "process": 2, "input": {"acquire": 2}},
{"type": "ok", "process": 2, "output": "acquired"}
]}"#,
    )
    .unwrap();
    let html = dir.path().join("h.html");
    let out = lockcheck(&[
        "lincheck",
        history.to_str().unwrap(),
        "--spec",
        "mutex",
        "--html",
        html.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("not linearizable"), "{stdout}");
    assert!(std::fs::read_to_string(&html).unwrap().contains("<html"));
}

#[test]
fn lincheck_reads_kv_histories_in_json_with_string_keys_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("kv.json");
    let write = |last_read: &str| {
        std::fs::write(
            &history,
            format!(
                r#"{{"events": [
{{"type": "invoke", "process": 0, "input": {{"put": {{"key": "x", "value": "a"}}}}}},
{{"type": "ok", "process": 0, "output": "done"}},
{{"type": "invoke", "process": 0, "input": {{"append": {{"key": "x", "value": "b"}}}}}},
{{"type": "ok", "process": 0, "output": "done"}},
{{"type": "invoke", "process": 1, "input": {{"get": {{"key": "x"}}}}}},
{{"type": "ok", "process": 1, "output": {{"value": "{last_read}"}}}}
]}}"#
            ),
        )
        .unwrap();
    };
    for spec in ["kv", "kv-whole-map"] {
        for (read, code, verdict) in [("ab", 0, "linearizable"), ("a", 1, "not linearizable")] {
            write(read);
            let out = lockcheck(&["lincheck", history.to_str().unwrap(), "--spec", spec]);
            let stdout = text(&out.stdout);
            assert_eq!(out.status.code(), Some(code), "{spec} {read}: {stdout}");
            assert!(stdout.contains(verdict), "{spec} {read}: {stdout}");
        }
    }
}

#[test]
fn lincheck_agrees_with_porcupine_on_its_kv_and_etcd_histories() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/porcupine");
    if !data.exists() {
        eprintln!("skipped: {} is absent", data.display());
        return;
    }
    for (file, spec, code) in [
        ("kv/c01-ok.txt", "kv", 0),
        ("kv/c10-bad.txt", "kv-whole-map", 1),
        ("etcd/etcd_000.log", "register", 1),
    ] {
        let path = data.join(file);
        let out = lockcheck(&["lincheck", path.to_str().unwrap(), "--spec", spec]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{file}: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn check_and_replay_write_the_history_of_a_violation_as_html() {
    let dir = tempfile::tempdir().unwrap();
    let model = "models/flock-unlink-on-release-linearizable.toml";
    let out = lockcheck(&["check", model, "--html", dir.path().to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let page = dir.path().join("flock-unlink-on-release-linearizable.html");
    assert!(
        stdout.contains(&format!("history: {}", page.display())),
        "{stdout}"
    );
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("MutexSpec")
    );
    let schedule = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("schedule: "))
        .expect("a schedule");
    let replayed_page = dir.path().join("replayed.html");
    let out = lockcheck(&[
        "replay",
        model,
        schedule,
        "--html",
        replayed_page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("linearizable violated"));
    assert!(
        std::fs::read_to_string(&replayed_page)
            .unwrap()
            .contains("not linearizable")
    );
}

#[test]
fn check_piped_into_a_reader_that_stops_early_ends_quietly_by_sigpipe() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockcheck"))
        .args(["check", "models/"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("LOCKCHECK_ITERATIONS")
        .env_remove("LOCKCHECK_REPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lockcheck binary runs");
    // Read one line, then go away, as `| head -1` does.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("ok "), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{stderr}");
    assert_eq!(stderr, "");
}
