//! The HTML timeline of a recorded protocol history.

use std::path::Path;

use crate::explore::{OpHistory, Scenario};
use crate::lincheck::html::render_html;
use crate::model::Model;

/// The history drawn with its verdict against its spec.
pub fn history_html(history: &OpHistory, title: &str) -> String {
    let verdict = history.check();
    let title = format!("{title} ({})", history.spec_name());
    match history {
        OpHistory::Mutex(h) => render_html(h, Some(&verdict), &title),
        OpHistory::Lease(h) => render_html(h, Some(&verdict), &title),
        OpHistory::Claim(h) => render_html(h, Some(&verdict), &title),
        OpHistory::Registry(h) => render_html(h, Some(&verdict), &title),
        OpHistory::Board(h) => render_html(h, Some(&verdict), &title),
    }
}

/// Writes the history's HTML to `out`; the error names the file.
pub fn write_history_html(history: &OpHistory, title: &str, out: &Path) -> Result<(), String> {
    std::fs::write(out, history_html(history, title))
        .map_err(|e| format!("{}: cannot write the HTML: {e}", out.display()))
}

/// The model's scenario, set to record its protocol history when an HTML
/// page of it is asked for (`--html`).
pub fn scenario_for(m: &Model, html: bool) -> Scenario {
    if html {
        m.scenario.clone().record_history()
    } else {
        m.scenario.clone()
    }
}
