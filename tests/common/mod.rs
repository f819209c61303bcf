//! What the CLI tests share: running the built `lockcheck` binary as a
//! user would, with none of the exploration knobs of this environment.

use std::process::{Command, Output};

/// Runs `lockcheck ARGS` in the project's root (so `models/` resolves),
/// with the `LOCKCHECK_*` knobs removed so that the tests' own budgets
/// and schedules apply.
pub fn lockcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockcheck"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("LOCKCHECK_SEED")
        .env_remove("LOCKCHECK_ITERATIONS")
        .env_remove("LOCKCHECK_PREEMPTIONS")
        .env_remove("LOCKCHECK_REPLAY")
        .output()
        .expect("the lockcheck binary runs")
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
