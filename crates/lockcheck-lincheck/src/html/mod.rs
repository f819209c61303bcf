//! A self-contained HTML timeline of a history: one file, inline CSS and
//! JavaScript, no network. Each process is a row; each operation a bar from
//! its call to its return (open-ended to the right for info and pending
//! operations). For a failure, the longest linearizable prefix is green and
//! numbered in its linearization order, and the operations that cannot be
//! placed are red. The history travels as compact JSON drawn on a canvas,
//! so a history of thousands of operations is a file of a few hundred
//! kilobytes that stays responsive (wheel to zoom, drag to pan, hover for
//! details).

use std::collections::HashMap;
use std::fmt::Debug;

use crate::checker::Verdict;
use crate::history::{History, OpResult, Operation};

const TEMPLATE: &str = include_str!("timeline.html");

/// Renders `history` (and, if given, the verdict on it) with each
/// operation labelled by its `Debug` input and output.
pub fn render_html<I: Debug, O: Debug>(
    history: &History<I, O>,
    verdict: Option<&Verdict>,
    title: &str,
) -> String {
    render_html_with(history, verdict, title, |op| match op.output() {
        Some(o) => format!("{:?} -> {:?}", op.input, o),
        None => format!("{:?}", op.input),
    })
}

/// Renders `history` with labels from `label`.
pub fn render_html_with<I, O>(
    history: &History<I, O>,
    verdict: Option<&Verdict>,
    title: &str,
    label: impl Fn(&Operation<I, O>) -> String,
) -> String {
    let mut procs: Vec<u64> = history.ops().iter().map(|o| o.process).collect();
    procs.sort_unstable();
    procs.dedup();
    let row: HashMap<u64, usize> = procs.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let ops: Vec<serde_json::Value> = history
        .ops()
        .iter()
        .map(|op| {
            let status = match op.result {
                OpResult::Ok(_) => 0,
                OpResult::Fail => 1,
                OpResult::Info => 2,
                OpResult::Pending => 3,
            };
            let end: i64 = match op.result {
                OpResult::Ok(_) | OpResult::Fail => op.end.map_or(-1, |t| t as i64),
                _ => -1,
            };
            serde_json::json!([row[&op.process], op.call, end, status, label(op)])
        })
        .collect();
    let (text, kind, prefix, unplaceable) = match verdict {
        None => ("no verdict".to_string(), "", Vec::new(), Vec::new()),
        Some(v @ Verdict::Linearizable { witness }) => {
            (v.to_string(), "good", witness.clone(), Vec::new())
        }
        Some(v @ Verdict::NotLinearizable(c)) => (
            v.to_string(),
            "bad",
            c.longest_prefix.clone(),
            c.unplaceable.clone(),
        ),
        Some(v @ Verdict::Unknown { .. }) => (v.to_string(), "unknown", Vec::new(), Vec::new()),
    };
    let data = serde_json::json!({
        "end": history.end_time(),
        "procs": procs,
        "ops": ops,
        "verdict": text,
        "kind": kind,
        "prefix": prefix,
        "unplaceable": unplaceable,
    });
    // `</` cannot appear inside the <script> element.
    let data = data.to_string().replace("</", "<\\/");
    TEMPLATE
        .replace("__TITLE__", &escape(title))
        .replace("__DATA__", &data)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
