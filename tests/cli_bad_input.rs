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
