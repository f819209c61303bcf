//! `[[fault]]` tables: crashes, pauses, clock skew and power loss.

use lockcheck_explore::{Fault, Property, Protocol};
use lockcheck_fs::Skew;
use toml::Spanned;

use super::ModelError;
use super::build::Place;
use super::ops::default_json_path;
use super::raw::RawFault;

/// A fault for the scenario, or (for a power loss) the property that
/// checks what survives it. `n`: how many processes the model runs.
pub(super) fn fault(
    p: &Place,
    f: &Spanned<RawFault>,
    n: usize,
    proto: &Protocol,
) -> Result<Result<Fault, Property>, ModelError> {
    let raw = f.get_ref();
    let kind = raw.kind.get_ref().as_str();
    let process = || match &raw.process {
        Some(i) if *i.get_ref() < n => Ok(*i.get_ref()),
        Some(i) => Err(p.err(
            i,
            format!("expected a process number below {n}, found {}", i.get_ref()),
        )),
        None => Err(p.err(f, format!("a {kind} fault needs `process = N`"))),
    };
    let unused = |key: &str, present: bool| {
        if present {
            Err(p.err(f, format!("`{key}` does not apply to a {kind} fault")))
        } else {
            Ok(())
        }
    };
    match kind {
        "crash" => {
            unused("duration", raw.duration.is_some())?;
            unused("ahead", raw.ahead.is_some() || raw.behind.is_some())?;
            unused("path", raw.path.is_some())?;
            Ok(Ok(Fault::Crash {
                process: process()?,
            }))
        }
        "pause" => {
            unused("ahead", raw.ahead.is_some() || raw.behind.is_some())?;
            unused("path", raw.path.is_some())?;
            let duration = match &raw.duration {
                Some(d) => p.duration(d)?,
                None => return Err(p.err(f, "a pause fault needs `duration = \"15s\"`")),
            };
            Ok(Ok(Fault::Pause {
                process: process()?,
                duration,
            }))
        }
        "skew" => {
            unused("duration", raw.duration.is_some())?;
            unused("path", raw.path.is_some())?;
            let skew = match (&raw.ahead, &raw.behind) {
                (Some(a), None) => Skew::Ahead(p.duration(a)?),
                (None, Some(b)) => Skew::Behind(p.duration(b)?),
                _ => return Err(p.err(f, "a skew fault needs one of `ahead` or `behind`")),
            };
            Ok(Ok(Fault::Skew {
                process: process()?,
                skew,
            }))
        }
        "power-loss" => {
            unused("process", raw.process.is_some())?;
            unused("duration", raw.duration.is_some())?;
            unused("ahead", raw.ahead.is_some() || raw.behind.is_some())?;
            let path = raw.path.clone().or_else(|| default_json_path(proto));
            match path {
                Some(path) => Ok(Err(Property::DurableAfterPowerLoss { path })),
                None => Err(p.err(
                    f,
                    format!("a power-loss fault on {} needs `path`", proto.name()),
                )),
            }
        }
        other => Err(p.err(
            &raw.kind,
            format!(
                "unknown fault kind {other:?}: expected one of: {}",
                Fault::NAMES.join(", ")
            ),
        )),
    }
}
