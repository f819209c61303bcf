//! The `[explore]` table: which strategy, seed and budget.

use lockcheck_explore::Strategy;
use toml::Spanned;

use super::ModelError;
use super::build::Place;
use super::raw::RawExplore;

/// The strategy the table asks for (random then PCT, seed 0, 10,000
/// schedules each, depth 3, when there is no table).
pub(super) fn strategy(p: &Place, raw: Option<&RawExplore>) -> Result<Strategy, ModelError> {
    let Some(e) = raw else {
        return Ok(Strategy::RandomThenPct {
            seed: 0,
            iterations: 10_000,
            depth: 3,
        });
    };
    let positive = |v: &Option<Spanned<usize>>, default: usize| match v {
        Some(n) if *n.get_ref() == 0 => Err(p.err(n, "expected a positive number")),
        Some(n) => Ok(*n.get_ref()),
        None => Ok(default),
    };
    let iterations = positive(&e.iterations, 10_000)?;
    let depth = positive(&e.depth, 3)?;
    let name = e
        .strategy
        .as_ref()
        .map_or("random-then-pct", |s| s.get_ref().as_str());
    let seed = e.seed.unwrap_or(0);
    let here = |key: &str| match &e.strategy {
        Some(s) => p.err(s, format!("`{key}` does not apply to strategy {name:?}")),
        None => ModelError::at(p.file, p.text, 0, format!("`{key}` does not apply")),
    };
    let refuse = |key: &str, present: bool| if present { Err(here(key)) } else { Ok(()) };
    Ok(match name {
        "random" => {
            refuse("depth", e.depth.is_some())?;
            refuse("preemptions", e.preemptions.is_some())?;
            Strategy::Random { seed, iterations }
        }
        "pct" => {
            refuse("preemptions", e.preemptions.is_some())?;
            Strategy::Pct {
                seed,
                depth,
                iterations,
            }
        }
        "random-then-pct" => {
            refuse("preemptions", e.preemptions.is_some())?;
            Strategy::RandomThenPct {
                seed,
                iterations,
                depth,
            }
        }
        "dfs" => {
            refuse("seed", e.seed.is_some())?;
            refuse("depth", e.depth.is_some())?;
            refuse("preemptions", e.preemptions.is_some())?;
            Strategy::Dfs {
                max_iterations: e.iterations.as_ref().map(|n| *n.get_ref()),
            }
        }
        "loom" => {
            refuse("seed", e.seed.is_some())?;
            refuse("depth", e.depth.is_some())?;
            refuse("iterations", e.iterations.is_some())?;
            Strategy::Loom {
                preemptions: e.preemptions.unwrap_or(2),
            }
        }
        other => {
            let s = e
                .strategy
                .as_ref()
                .expect("a name other than the default was given");
            return Err(p.err(
                s,
                format!("unknown strategy {other:?}: expected one of: random, pct, random-then-pct, dfs, loom"),
            ));
        }
    })
}
