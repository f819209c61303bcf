//! `lockcheck replay MODEL SCHEDULE`: one schedule, traced.

use super::args::ReplayArgs;
use super::{EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, EXIT_UNKNOWN};
use crate::model;

/// Runs `replay`; returns the exit status: 0 when the schedule breaks no
/// property, 1 when it breaks one, 2 on bad input, 3 when a limit of the
/// explorer stops it.
pub fn run(args: &ReplayArgs) -> u8 {
    let m = match model::load(&args.model) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let scenario = super::html::scenario_for(&m, args.html.is_some());
    let r = match scenario.replay_traced(&args.schedule) {
        Ok(r) => r,
        Err(e @ lockcheck_explore::ExploreError::Limit(_)) => {
            eprintln!("unknown: {e}");
            return EXIT_UNKNOWN;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    println!("{} ({}), schedule {}", m.name, m.file, r.schedule);
    println!("timeline (step, [process:pid] call = result):");
    for line in &r.timeline {
        println!("{line}");
    }
    if let (Some(out), Some(history)) = (&args.html, &r.history) {
        if let Err(e) = super::html::write_history_html(history, &m.name, out) {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
        println!("wrote {}", out.display());
    }
    match &r.violation {
        Some(v) => {
            println!("{}: {v}", m.name);
            EXIT_MISMATCH
        }
        None => {
            println!("{}: no property violated on this schedule", m.name);
            EXIT_OK
        }
    }
}
