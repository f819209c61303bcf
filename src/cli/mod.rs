//! The `lockcheck` command: `check` model files, `replay` one schedule,
//! `lincheck` a history, `list` what is known.
//!
//! Exit status: 0 when everything is as expected, 1 when a verdict differs
//! from its model's expectation (or a history is not linearizable), 2 on
//! bad input (a model file, a history, an argument or an environment knob
//! that does not parse; a scenario the strategy cannot run), 3 when a
//! check ran out of budget before a verdict (a history's check; a model
//! whose verdict is unknown, when no other verdict differs).

mod args;
mod check;
mod html;
mod lincheck;
mod list;
mod replay;
mod report;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

/// Everything matched its expectation.
pub const EXIT_OK: u8 = 0;
/// A verdict differs from the expected one (an unknown verdict aside).
pub const EXIT_MISMATCH: u8 = 1;
/// Bad input.
pub const EXIT_BAD_INPUT: u8 = 2;
/// A check ran out of budget before a verdict.
pub const EXIT_UNKNOWN: u8 = 3;

/// Runs the command line `std::env::args()` and returns the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    ExitCode::from(run(cli))
}

/// Runs a parsed command line; returns the exit status.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(a) => check::run(&a),
        Command::Replay(a) => replay::run(&a),
        Command::Lincheck(a) => lincheck::run(&a),
        Command::List(a) => list::run(&a),
    }
}
