//! Bad input to the `lockcheck` command: malformed model files and
//! histories each exit 2 with a message that names the file, line and
//! column; none panics.

use std::process::Command;

/// (file name, contents, what the message must contain after the file
/// name: the place, then the explanation).
const MODELS: &[(&str, &[u8], &str)] = &[
    ("empty.toml", b"", ":1:1: missing field `protocol`"),
    (
        "missing-expect.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\n",
        ":1:1: missing field `expect`",
    ),
    (
        "wrong-type.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\nprocesses = \"two\"\n",
        ":4:13: invalid type: string \"two\"",
    ),
    (
        "unknown-protocol.toml",
        b"protocol = \"spinlock/fast\"\nworkload = \"lockers\"\nexpect = \"safe\"\n",
        ":1:12: unknown variant \"spinlock/fast\": expected one of: lockfile/unlink-then-write",
    ),
    (
        "unknown-key.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\ncolour = \"red\"\n",
        ":4:1: unknown field `colour`, expected one of",
    ),
    (
        "op-of-another-protocol.toml",
        b"protocol = \"lockfile/fenced\"\nexpect = \"safe\"\n[[process]]\nops = [\"acquire\", \"claim t1\"]\n",
        ":4:19: operation \"claim\" does not apply to lockfile/fenced",
    ),
    (
        "bad-duration.toml",
        b"protocol = \"lockfile/fenced\"\nexpect = \"safe\"\n[[process]]\nops = [\"sleep forever\"]\n",
        ":4:8: expected a duration",
    ),
    (
        "unchecked-violation.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"violation\"\nviolates = \"claimed-once\"\n",
        ":4:12: \"claimed-once\" is not checked by this model",
    ),
    (
        "fault-on-missing-process.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[[fault]]\nkind = \"crash\"\nprocess = 7\n",
        ":6:11: expected a process number below 2, found 7",
    ),
    (
        "unknown-strategy.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[explore]\nstrategy = \"bfs\"\n",
        ":5:12: unknown strategy \"bfs\"",
    ),
    (
        "zero-iterations.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[explore]\niterations = 0\n",
        ":5:14: expected a positive number",
    ),
    (
        "truncated.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lock\n",
        ":2:17: invalid basic string",
    ),
    (
        "binary-junk.toml",
        b"\x00\xff\xfe\x01junk",
        ":1:2: expected UTF-8 text (a TOML model file), found byte 0xff",
    ),
    (
        "bad-expect.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"maybe\"\n",
        ":3:10: expected \"safe\", \"vacuous\" or \"violation\", found \"maybe\"",
    ),
    (
        "violation-without-property.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"violation\"\n",
        ":3:10: expect = \"violation\" needs `violates",
    ),
    (
        "workload-and-processes.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[[process]]\nops = [\"acquire\"]\n",
        ":2:12: expected either `workload` or [[process]] tables, not both",
    ),
    (
        "wrong-workload.toml",
        b"protocol = \"claim/locked\"\nworkload = \"lockers\"\nexpect = \"safe\"\n",
        ":2:12: workload \"lockers\" does not apply to claim/locked: expected one of: claimers",
    ),
    (
        "option-of-another-protocol.toml",
        b"protocol = \"registry/replace\"\nworkload = \"adders\"\nstale_after = \"5s\"\nexpect = \"safe\"\n",
        ":3:15: `stale_after` applies to lockfile/* only",
    ),
    (
        "unknown-property.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nproperties = [\"mutual-exclusion\", \"fairness\"]\nexpect = \"safe\"\n",
        ":3:35: unknown property \"fairness\"",
    ),
    (
        "key-after-table.toml",
        b"protocol = \"lockfile/fenced\"\n[[process]]\nops = [\"acquire\"]\nexpect = \"safe\"\n",
        ":4:1: unknown field `expect`, expected one of `ops`, `before`, `count`",
    ),
    (
        "file-path-is-a-directory.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[[file]]\npath = \"a/\"\ncontents = \"x\"\n",
        ":5:8: the setup cannot write the starting file \"a/\": expected a file name, found a directory path",
    ),
    (
        "file-under-a-file.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[[file]]\npath = \"a\"\ncontents = \"x\"\n[[file]]\npath = \"a/b\"\ncontents = \"y\"\n",
        ":8:8: the setup cannot write the starting file \"a/b\": expected its parent \"a\" to be a directory, but it is a starting file",
    ),
    (
        "file-over-a-directory.toml",
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[[file]]\npath = \"a/b\"\ncontents = \"x\"\n[[file]]\npath = \"a\"\ncontents = \"y\"\n",
        ":8:8: the setup cannot write the starting file \"a\": expected a file, but the path is a directory (the parent of another starting file)",
    ),
    (
        "file-where-flock-needs-its-directory.toml",
        b"protocol = \"flock/keep-file\"\nworkload = \"lockers\"\nexpect = \"safe\"\n[[file]]\npath = \"locks\"\ncontents = \"x\"\n",
        ":5:8: flock/keep-file needs \"locks\" for itself, and the starting file \"locks\" is in its way (it is a file): expected no starting file at, above or under \"locks\"",
    ),
    (
        "file-where-claim-needs-its-directory.toml",
        b"protocol = \"claim/locked\"\nworkload = \"claimers\"\nexpect = \"safe\"\n[[file]]\npath = \"tasks\"\ncontents = \"x\"\n",
        ":5:8: claim/locked needs \"tasks\" for itself, and the starting file \"tasks\" is in its way",
    ),
    (
        "file-under-the-registry.toml",
        b"protocol = \"registry/replace\"\nworkload = \"adders\"\nexpect = \"safe\"\n[[file]]\npath = \"registry.json/x\"\ncontents = \"x\"\n",
        ":5:8: registry/replace needs \"registry.json\" for itself, and the starting file \"registry.json/x\" is in its way",
    ),
];

/// (file name, contents, spec, what the message must contain).
const HISTORIES: &[(&str, &[u8], &str, &str)] = &[
    (
        "truncated.edn",
        b"{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :val",
        "register",
        ":2:39: expected `}`",
    ),
    ("empty.edn", b"", "register", ":1:1: expected a history, found an empty file"),
    (
        "binary-junk.edn",
        b"\xff\xfe\x00\x01",
        "register",
        ":1:1: expected UTF-8 text (a history)",
    ),
    (
        "unknown-f.edn",
        b"{:process 0, :type :invoke, :f :fly, :value 1}\n",
        "register",
        ":1:1: expected :f :read, :write or :cas",
    ),
    (
        "orphan-ok.json",
        b"{\"events\": [{\"type\": \"invoke\", \"process\": 0, \"input\": \"read\"},\n{\"type\": \"ok\", \"process\": 1, \"output\": {\"read\": 1}}]}",
        "register",
        ":2:1: process 1 completed an operation but had none pending",
    ),
    (
        "truncated.json",
        b"{\"events\": [{\"type\": \"invoke\", \"process\": 0, \"input\": \"read\"}\n",
        "register",
        ":2:1: expected a JSON history",
    ),
    (
        "wrong-input.json",
        b"{\"events\": [{\"type\": \"invoke\", \"process\": 0, \"input\": {\"acquire\": \"me\"}}]}",
        "mutex",
        ":1:",
    ),
    (
        "kv-number-value.json",
        b"{\"events\": [{\"type\": \"invoke\", \"process\": 0, \"input\": {\"put\": {\"key\": \"x\", \"value\": 1}}}]}",
        "kv",
        ":1:",
    ),
    (
        "unknown-format.txt",
        b"hello, world\n",
        "register",
        ":1:1: cannot tell the history's format",
    ),
];

/// Runs the binary; asserts it did not panic; (exit code, stderr).
fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lockcheck"))
        .args(args)
        .output()
        .expect("the lockcheck binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    (out.status.code(), stderr)
}

#[test]
fn malformed_model_files_exit_2_naming_file_line_and_column() {
    assert!(MODELS.len() >= 15);
    let dir = tempfile::tempdir().unwrap();
    for (name, contents, expected) in MODELS {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let p = path.to_str().unwrap();
        for args in [vec!["check", p], vec!["replay", p, "v1:a"]] {
            let (code, stderr) = run(&args);
            assert_eq!(code, Some(2), "{name} ({args:?}): {stderr}");
            let want = format!("{p}{expected}");
            assert!(
                stderr.contains(&want),
                "{name}: expected\n  {want}\nin\n  {stderr}"
            );
        }
    }
}

#[test]
fn one_bad_file_in_a_directory_stops_the_check_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), b"protocol = 3\n").unwrap();
    std::fs::write(
        dir.path().join("good.toml"),
        b"protocol = \"lockfile/fenced\"\nworkload = \"lockers\"\nexpect = \"safe\"\n",
    )
    .unwrap();
    let (code, stderr) = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml:1:12: invalid type: integer `3`"),
        "{stderr}"
    );
}

#[test]
fn missing_paths_and_bad_arguments_exit_2() {
    let (code, stderr) = run(&["check", "no/such/models"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no/such/models: cannot read the file"),
        "{stderr}"
    );
    let (code, _) = run(&["check", "--no-such-flag"]);
    assert_eq!(code, Some(2));
    let (code, stderr) = run(&["replay", "models/lockfile-fenced.toml", "v1:?!"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("bad schedule"), "{stderr}");
    let (code, _) = run(&["lincheck", "x.edn", "--spec", "no-such-spec"]);
    assert_eq!(code, Some(2));
}

#[test]
fn a_bad_environment_knob_exits_2_naming_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_lockcheck"))
        .args(["check", "models/lockfile-fenced.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LOCKCHECK_ITERATIONS", "lots")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("LOCKCHECK_ITERATIONS=\"lots\": expected a positive integer"),
        "{stderr}"
    );
}

#[test]
fn malformed_histories_exit_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents, spec, expected) in HISTORIES {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let p = path.to_str().unwrap();
        let (code, stderr) = run(&["lincheck", p, "--spec", spec]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        let want = format!("{p}{expected}");
        assert!(
            stderr.contains(&want),
            "{name}: expected\n  {want}\nin\n  {stderr}"
        );
    }
}

/// Runs the binary on a model written to a tempdir; (exit code, stdout,
/// stderr).
fn run_model(model: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.toml");
    std::fs::write(&path, model).unwrap();
    let mut all = vec![args[0], path.to_str().unwrap()];
    all.extend(&args[1..]);
    let out = Command::new(env!("CARGO_BIN_EXE_lockcheck"))
        .args(&all)
        .env_remove("LOCKCHECK_SEED")
        .env_remove("LOCKCHECK_ITERATIONS")
        .env_remove("LOCKCHECK_PREEMPTIONS")
        .env_remove("LOCKCHECK_REPLAY")
        .output()
        .expect("the lockcheck binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{all:?} panicked:\n{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), stdout, stderr)
}

#[test]
fn a_one_process_model_explores_under_the_default_strategy() {
    let model = "protocol = \"lockfile/fenced\"\nexpect = \"safe\"\n[[process]]\nops = [\"acquire\", \"critical\", \"release\"]\n[explore]\niterations = 50\n";
    let (code, stdout, stderr) = run_model(model, &["check"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(stderr, "");
    // 50 random schedules, then PCT's one: with one task it has nothing
    // to choose.
    assert!(stdout.contains("51 schedules"), "{stdout}");
}

#[test]
fn before_steps_that_wait_for_each_other_end_as_a_deadlock() {
    let model = "protocol = \"flock/keep-file\"\nexpect = \"violation\"\nviolates = \"deadlock-free\"\n[[process]]\nbefore = [\"acquire\"]\nops = [\"release\"]\n[[process]]\nbefore = [\"acquire\"]\nops = [\"release\"]\n";
    let (code, stdout, stderr) = run_model(model, &["check"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "deadlock-free violated after step 9: lockcheck: deadlock: p102 runs alone (no other \
             process moves until it is done) and is blocked: p102 waits for Flock Exclusive lock \
             on inode 3 held by p101 fd3"
        ),
        "{stdout}"
    );
}

#[test]
fn a_retry_loop_at_the_end_of_virtual_time_is_unknown_naming_the_limit() {
    // Process 1 starts retrying 2s before the clock's 400-year limit with
    // a 5s timeout: a deadline the clock never reaches. No hang, no spin,
    // and no deadlock blamed on the protocol: a limit of the simulator.
    let model = "protocol = \"flock/keep-file\"\nacquire = \"retry\"\ntimeout = \"5s\"\nexpect = \"safe\"\n[[process]]\nops = [\"acquire\", \"sleep 3504001h\", \"sleep 1s\", \"release\"]\n[[process]]\nops = [\"sleep 3503999h59m58s\", \"acquire\", \"release\"]\n[explore]\niterations = 20\n";
    let (code, stdout, stderr) = run_model(model, &["check"]);
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("unknown (the end of virtual time (400 years) reached)"),
        "{stdout}"
    );
}

#[test]
fn a_time_limit_out_of_range_exits_2_naming_the_flag_and_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.edn");
    std::fs::write(
        &path,
        b"{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value nil}\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    for limit in ["1e30", "inf", "0", "-1", "NaN"] {
        let flag = format!("--time-limit={limit}");
        let (code, stderr) = run(&["lincheck", p, "--spec", "register", &flag]);
        assert_eq!(code, Some(2), "{limit}: {stderr}");
        assert!(
            stderr.contains(
                "error: --time-limit: expected a number of seconds greater than 0 and at most \
                 1e9 (about 31 years), found"
            ),
            "{limit}: {stderr}"
        );
    }
    let (code, stderr) = run(&["lincheck", p, "--spec", "register", "--time-limit", "1e9"]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_replay_schedule_longer_than_any_execution_exits_2_without_building_it() {
    let schedule = format!("v1:{}", "a1000000b1000000".repeat(2000));
    let (code, stderr) = run(&["replay", "models/lockfile-fenced.toml", &schedule]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "(cut short; 32003 characters in all) at character 11: expected at most 1000000 \
             decisions in all (more than one execution can take)"
        ),
        "{stderr}"
    );
}

#[test]
fn an_execution_past_shuttles_step_bound_is_unknown_naming_the_limit_not_a_panic() {
    // Process 1 retries for 3,000,000 hours, 100ms at a time: its one
    // execution passes shuttle's bound of 1,000,000 steps. That is a
    // limit of the explorer, so the verdict is "unknown" (exit 3), with
    // no panic and none of shuttle's replay instructions.
    let model = "protocol = \"flock/keep-file\"\nacquire = \"retry\"\ntimeout = \"3000000h\"\nexpect = \"safe\"\n[[process]]\nops = [\"acquire\", \"sleep 3000000h\", \"release\"]\n[[process]]\nops = [\"acquire\", \"release\"]\n[explore]\niterations = 2\n";
    let (code, stdout, stderr) = run_model(model, &["check"]);
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("unknown (shuttle's step limit (1000000 steps in one execution) reached)"),
        "{stdout}"
    );
    assert!(!stderr.contains("failing schedule"), "{stderr}");
    assert!(!stderr.contains("failing seed"), "{stderr}");
}
