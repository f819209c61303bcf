//! Every replay line `check` prints replays: the printed text, parsed back
//! as a user's shell would split it, reproduces the same violation. Among
//! the models: one whose schedules name tasks past `z` (16 processes and
//! 12 fault threads), one with a single process, and one that deadlocks in
//! its `before` steps.

mod common;
use common::{lockcheck, text};

/// Checks `model` (expected to fail: exit 1), then runs the printed replay
/// command and asserts it reports the same violation; returns the
/// schedule string.
fn replays_the_same_violation(name: &str, model: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.toml"));
    std::fs::write(&path, model).unwrap();
    let file = path.to_str().unwrap();
    let out = lockcheck(&["check", file]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: cargo run --release -- "))
        .expect("a replay command");
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(args.len(), 3, "{line}");
    assert_eq!(args[..2], ["replay", file]);
    let violation = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{name}: ")) && l.contains(" violated "))
        .expect("the violation")
        .to_string();
    let replayed = lockcheck(&args);
    let rstdout = text(&replayed.stdout);
    assert_eq!(
        replayed.status.code(),
        Some(1),
        "{rstdout}\n{}",
        text(&replayed.stderr)
    );
    assert!(
        rstdout.lines().any(|l| l == violation),
        "{violation}\n{rstdout}"
    );
    args[2].to_string()
}

#[test]
fn a_schedule_naming_tasks_past_z_replays_from_its_printed_line() {
    let mut model = String::from(
        "protocol = \"lockfile/unlink-then-write\"\nworkload = \"lockers\"\nprocesses = 16\n\
         expect = \"safe\"\n[explore]\niterations = 300\nseed = 1\n",
    );
    for process in 0..12 {
        model.push_str(&format!(
            "[[fault]]\nkind = \"pause\"\nprocess = {process}\nduration = \"1ms\"\n"
        ));
    }
    let schedule = replays_the_same_violation("many", &model);
    assert!(schedule.contains("_26_"), "{schedule}");
    assert!(!schedule.contains('?'), "{schedule}");
}

#[test]
fn a_one_process_violation_replays_from_its_printed_line() {
    let model = "protocol = \"registry/in-place\"\nworkload = \"adders\"\nprocesses = 1\n\
                 properties = []\npower_loss_profile = \"in-order\"\nexpect = \"safe\"\n\
                 [[fault]]\nkind = \"power-loss\"\n[explore]\nstrategy = \"pct\"\niterations = 20\n";
    replays_the_same_violation("alone", model);
}

#[test]
fn a_deadlock_in_before_steps_replays_from_its_printed_line() {
    let model = "protocol = \"flock/keep-file\"\nexpect = \"safe\"\n[[process]]\n\
                 before = [\"acquire\"]\nops = [\"release\"]\n[[process]]\n\
                 before = [\"acquire\"]\nops = [\"release\"]\n";
    replays_the_same_violation("stuck", model);
}
