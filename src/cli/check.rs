//! `lockcheck check`: explore every model, compare with its expectation.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::CheckArgs;
use super::report::{CheckReport, ModelResult, millis};
use super::{EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, EXIT_UNKNOWN};
use crate::model::{self, Model};

/// Loads every model under `paths`; all errors, or all models.
pub fn load_all(paths: &[std::path::PathBuf]) -> Result<Vec<Model>, Vec<String>> {
    let mut models = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match model::find(path) {
            Ok(files) => {
                for f in files {
                    match model::load(&f) {
                        Ok(m) => models.push(m),
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(models)
    } else {
        Err(errors)
    }
}

fn progress(n: usize, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A model name as a file name: anything but letters, digits, `-`, `_`
/// and `.` becomes `_`.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs `check`; returns the exit status.
pub fn run(args: &CheckArgs) -> u8 {
    let models = match load_all(&args.paths) {
        Ok(models) => models,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!(
                "lockcheck: {} model file(s) could not be read",
                errors.len()
            );
            return EXIT_BAD_INPUT;
        }
    };
    let start = Instant::now();
    let bar = progress(models.len(), args.json);
    let width = models.iter().map(|m| m.name.len()).max().unwrap_or(0);
    let mut results = Vec::new();
    for m in &models {
        bar.set_message(m.name.clone());
        let t = Instant::now();
        let strategy = match m.strategy.clone().with_env() {
            Ok(s) => s,
            Err(e) => {
                bar.finish_and_clear();
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        };
        let scenario = super::html::scenario_for(m, args.html.is_some());
        let explored = if bar.is_hidden() {
            scenario.explore_exactly(strategy.clone())
        } else {
            let (b, name) = (bar.clone(), m.name.clone());
            scenario.explore_exactly_with_progress(strategy.clone(), move |n| {
                if n % 256 == 0 {
                    b.set_message(format!("{name}: {n} schedules"));
                }
            })
        };
        let report = match explored {
            Ok(r) => r,
            Err(e) => {
                bar.finish_and_clear();
                eprintln!("error: {}: {e}", m.file);
                return EXIT_BAD_INPUT;
            }
        };
        let mut html = None;
        if let (Some(dir), Some(history)) = (
            &args.html,
            report
                .counterexample
                .as_ref()
                .and_then(|c| c.history.as_ref()),
        ) {
            let out = dir.join(format!("{}.html", file_name(&m.name)));
            let written = std::fs::create_dir_all(dir)
                .map_err(|e| format!("{}: cannot make the directory: {e}", dir.display()))
                .and_then(|()| super::html::write_history_html(history, &m.name, &out));
            if let Err(e) = written {
                bar.finish_and_clear();
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
            html = Some(out.display().to_string());
        }
        let mut result = ModelResult::new(m, strategy.to_string(), t.elapsed(), report);
        result.html = html;
        if !args.json {
            bar.suspend(|| {
                println!("{}", result.line(width));
                match result.counterexample_text() {
                    Some(text) => print!("{text}"),
                    None => println!("      reached: {}", result.reached_text()),
                }
            });
        }
        bar.inc(1);
        results.push(result);
    }
    bar.finish_and_clear();
    let matched = results.iter().filter(|r| r.matches).count();
    let report = CheckReport {
        total: results.len(),
        matched,
        mismatched: results.len() - matched,
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
        models: results,
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: cannot write the JSON report: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    } else {
        println!(
            "{} model(s): {} as expected, {} not, in {}",
            report.total,
            report.matched,
            report.mismatched,
            millis(report.elapsed_ms)
        );
        for r in report.models.iter().filter(|r| !r.matches) {
            println!(
                "FAIL {} ({}): expected {}, found {}",
                r.name,
                r.file,
                r.expected_text(),
                r.verdict_text()
            );
        }
    }
    exit_status(&report.models)
}

/// 0 when every verdict is the expected one; 1 when some definite verdict
/// (safe, vacuous, a violation) is not; else 3 when some verdict is
/// unknown (a limit of the explorer reached).
fn exit_status(models: &[ModelResult]) -> u8 {
    let failed = models.iter().filter(|r| !r.matches);
    if failed.clone().any(|r| !r.unknown()) {
        EXIT_MISMATCH
    } else if failed.count() > 0 {
        EXIT_UNKNOWN
    } else {
        EXIT_OK
    }
}
