//! What `check` reports per model, as text lines and as JSON.

use std::time::Duration;

use lockcheck_explore::{Report, Verdict};
use serde::Serialize;

use crate::model::{Expect, Model};

/// One model's result.
#[derive(Debug, Serialize)]
pub struct ModelResult {
    /// The model's name.
    pub name: String,
    /// Its file.
    pub file: String,
    /// The protocol variant.
    pub protocol: String,
    /// The strategy explored, with the environment's knobs applied.
    pub strategy: String,
    /// `"safe"`, `"vacuous"` or `"violation"`.
    pub expected: &'static str,
    /// The property expected to fail.
    pub expected_property: Option<&'static str>,
    /// `"safe"`, `"vacuous"`, `"unknown"` or `"violation"`.
    pub verdict: &'static str,
    /// The property that failed.
    pub property: Option<&'static str>,
    /// For `"unknown"`: the limit of the explorer that was reached.
    pub limit: Option<String>,
    /// For `"vacuous"`: the processes that got nowhere, by number.
    pub idle: Vec<usize>,
    /// Whether the verdict is the expected one.
    pub matches: bool,
    /// Schedules explored.
    pub schedules: usize,
    /// What the exploration reached.
    pub reached: ReachedJson,
    /// Milliseconds, exploring and shrinking.
    pub elapsed_ms: f64,
    /// The counterexample, for a violation.
    pub counterexample: Option<CounterexampleJson>,
    /// The HTML timeline written for its history (`check --html`).
    pub html: Option<String>,
    /// The verdict, as text (`verdict_text`).
    #[serde(skip)]
    verdict_text: String,
    /// What was reached, as text (`reached_text`).
    #[serde(skip)]
    reached_text: String,
}

/// What an exploration reached, as JSON.
#[derive(Debug, Serialize)]
pub struct ReachedJson {
    /// Distinct interleavings seen.
    pub interleavings: usize,
    /// Per process, by number.
    pub processes: Vec<ProcessReachJson>,
}

/// What one process reached, summed over the executions.
#[derive(Debug, Serialize)]
pub struct ProcessReachJson {
    /// Operations that completed with a result.
    pub completed: u64,
    /// Critical sections entered.
    pub entered: u64,
}

/// A counterexample, as JSON.
#[derive(Debug, Serialize)]
pub struct CounterexampleJson {
    /// The violation, one line.
    pub violation: String,
    /// The step after which it was seen (none: at the end).
    pub step: Option<u64>,
    /// The per-process timeline.
    pub timeline: Vec<String>,
    /// The schedule string (none under loom).
    pub schedule: Option<String>,
    /// Preemptions in the schedule.
    pub preemptions: usize,
    /// The command that replays it.
    pub replay: String,
}

/// The whole `check` run.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// Per model, in the order run.
    pub models: Vec<ModelResult>,
    /// Models run.
    pub total: usize,
    /// Models whose verdict was the expected one.
    pub matched: usize,
    /// Models whose verdict was not.
    pub mismatched: usize,
    /// Milliseconds for the whole run.
    pub elapsed_ms: f64,
}

/// The command that replays a counterexample of the model in `file`.
pub fn replay_command(file: &str, schedule: Option<&str>) -> String {
    match schedule {
        Some(s) => format!("cargo run --release -- replay {} {s}", shell_word(file)),
        None => format!(
            "cargo run --release -- check {} (loom explores in a fixed order)",
            shell_word(file)
        ),
    }
}

/// `s`, quoted for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

impl ModelResult {
    /// The result of exploring `model`.
    pub fn new(model: &Model, strategy: String, elapsed: Duration, report: Report) -> ModelResult {
        let verdict = report.verdict();
        let property = match verdict {
            Verdict::Violation(p) => Some(p),
            _ => None,
        };
        let counterexample = report.counterexample.map(|c| CounterexampleJson {
            violation: c.violation.to_string(),
            step: c.violation.step,
            replay: replay_command(&model.file, c.schedule.as_deref()),
            timeline: c.timeline,
            schedule: c.schedule,
            preemptions: c.preemptions,
        });
        ModelResult {
            name: model.name.clone(),
            file: model.file.clone(),
            protocol: model
                .scenario
                .protocol
                .as_ref()
                .map_or("", |p| p.name())
                .to_string(),
            strategy,
            expected: match model.expect {
                Expect::Safe => "safe",
                Expect::Vacuous => "vacuous",
                Expect::Violation(_) => "violation",
            },
            expected_property: match model.expect {
                Expect::Violation(p) => Some(p),
                Expect::Safe | Expect::Vacuous => None,
            },
            verdict: verdict.kind(),
            property,
            limit: match &verdict {
                Verdict::Unknown(limit) => Some(limit.to_string()),
                _ => None,
            },
            idle: match &verdict {
                Verdict::Vacuous { idle } => idle.clone(),
                _ => Vec::new(),
            },
            matches: model.expect.matches(&verdict),
            schedules: report.schedules,
            reached: ReachedJson {
                interleavings: report.reached.interleavings,
                processes: report
                    .reached
                    .processes
                    .iter()
                    .map(|p| ProcessReachJson {
                        completed: p.completed,
                        entered: p.entered,
                    })
                    .collect(),
            },
            elapsed_ms: elapsed.as_secs_f64() * 1e3,
            counterexample,
            html: None,
            verdict_text: verdict.to_string(),
            reached_text: report.reached.to_string(),
        }
    }

    /// The verdict, as `safe`, `vacuous (process 1 got nowhere)`,
    /// `unknown (LIMIT reached)` or `violation (PROPERTY)`.
    pub fn verdict_text(&self) -> String {
        self.verdict_text.clone()
    }

    /// Whether the verdict is unknown (a limit of the explorer reached).
    pub fn unknown(&self) -> bool {
        self.verdict == "unknown"
    }

    /// What was reached, one line: interleavings, and per process the
    /// operations completed and critical sections entered.
    pub fn reached_text(&self) -> String {
        self.reached_text.clone()
    }

    /// The expectation, as the verdict is written.
    pub fn expected_text(&self) -> String {
        match self.expected_property {
            Some(p) => format!("violation ({p})"),
            None => self.expected.to_string(),
        }
    }

    /// One line: status, name, verdict, expectation, schedules,
    /// interleavings, time.
    pub fn line(&self, width: usize) -> String {
        format!(
            "{}  {:<width$}  {:<38}  expected {:<38}  {:>7} schedules  {:>6} interleavings  {}",
            if self.matches { "ok  " } else { "FAIL" },
            self.name,
            self.verdict_text(),
            self.expected_text(),
            self.schedules,
            self.reached.interleavings,
            millis(self.elapsed_ms),
        )
    }

    /// The counterexample, indented, as text: the violation, the
    /// timeline, the schedule, and the replay command.
    pub fn counterexample_text(&self) -> Option<String> {
        let c = self.counterexample.as_ref()?;
        let mut out = format!("      {}: {}\n", self.name, c.violation);
        out.push_str(&format!(
            "      timeline (step, [process:pid] call = result), {} preemption(s):\n",
            c.preemptions
        ));
        for l in &c.timeline {
            out.push_str(&format!("      {l}\n"));
        }
        if let Some(s) = &c.schedule {
            out.push_str(&format!("      schedule: {s}\n"));
        }
        out.push_str(&format!("      replay: {}\n", c.replay));
        if let Some(h) = &self.html {
            out.push_str(&format!("      history: {h}\n"));
        }
        Some(out)
    }
}

/// Milliseconds, readably.
pub fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_commands_quote_paths_that_need_it() {
        assert_eq!(
            replay_command("models/a.toml", Some("v1:a3b")),
            "cargo run --release -- replay models/a.toml v1:a3b"
        );
        assert_eq!(
            replay_command("my models/a'b.toml", Some("v1:a")),
            "cargo run --release -- replay 'my models/a'\\''b.toml' v1:a"
        );
    }
}
