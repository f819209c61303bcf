//! From the file as read to a [`Model`]: every value checked, every error
//! at the place of the value.

use std::time::Duration;

use lockcheck_explore::{Op, Property, Protocol, Scenario};
use lockcheck_fs::Profile;
use lockcheck_protocols::claim::ClaimVariant;
use lockcheck_protocols::flock_lock::{Acquire, Release};
use lockcheck_protocols::lockfile::Refresh;
use lockcheck_protocols::registry::WriteMethod;
use lockcheck_protocols::taskboard::LockScope;
use toml::Spanned;

use super::faults::fault;
use super::ops::{parse_duration, parse_op, parse_property};
use super::raw::RawModel;
use super::strategy::strategy;
use super::workload::{Programs, workload};
use super::{Expect, MAX_OPS, MAX_PROCESSES, Model, ModelError};

/// Where errors go: the file and its text.
pub(super) struct Place<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Place<'_> {
    pub fn err<T>(&self, v: &Spanned<T>, message: impl Into<String>) -> ModelError {
        ModelError::spanned(self.file, self.text, v.span(), message)
    }

    pub fn duration(&self, v: &Spanned<String>) -> Result<Duration, ModelError> {
        parse_duration(v.get_ref()).map_err(|m| self.err(v, m))
    }
}

/// Every protocol variant's stable name.
pub fn variant_names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    out.extend(Refresh::ALL.iter().map(|v| v.name()));
    out.extend(Release::ALL.iter().map(|v| v.name()));
    out.extend(ClaimVariant::ALL.iter().map(|v| v.name()));
    out.extend(LockScope::ALL.iter().map(|v| v.name()));
    out.extend(WriteMethod::ALL.iter().map(|v| v.name()));
    out
}

fn protocol(p: &Place, raw: &RawModel) -> Result<Protocol, ModelError> {
    let name = raw.protocol.get_ref().as_str();
    let unknown = || {
        p.err(
            &raw.protocol,
            format!(
                "unknown variant {name:?}: expected one of: {}",
                variant_names().join(", ")
            ),
        )
    };
    let (fam, _) = name.split_once('/').ok_or_else(unknown)?;
    let only = |key: &str, v: Option<&Spanned<String>>, fams: &str| match v {
        Some(v) => Err(p.err(v, format!("`{key}` applies to {fams} only"))),
        None => Ok(()),
    };
    if fam != "lockfile" {
        only("stale_after", raw.stale_after.as_ref(), "lockfile/*")?;
        if let Some(t) = &raw.tries {
            return Err(p.err(t, "`tries` applies to lockfile/* only"));
        }
    }
    if fam != "flock" {
        only("acquire", raw.acquire.as_ref(), "flock/*")?;
        only("timeout", raw.timeout.as_ref(), "flock/*")?;
    }
    if fam != "lockfile" && fam != "flock" {
        only(
            "retry_delay",
            raw.retry_delay.as_ref(),
            "lockfile/* and flock/*",
        )?;
    }
    let dur = |v: &Option<Spanned<String>>, default: Duration| {
        v.as_ref().map_or(Ok(default), |v| p.duration(v))
    };
    Ok(match fam {
        "lockfile" => Protocol::LockFile {
            variant: name.parse().map_err(|_| unknown())?,
            stale_after: dur(&raw.stale_after, Duration::from_secs(10))?,
            tries: match &raw.tries {
                Some(t) if *t.get_ref() == 0 => {
                    return Err(p.err(t, "expected a positive number of tries, found 0"));
                }
                Some(t) => *t.get_ref(),
                None => 1,
            },
            retry_delay: dur(&raw.retry_delay, Duration::from_secs(1))?,
        },
        "flock" => {
            let release: Release = name.parse().map_err(|_| unknown())?;
            let acquire = match raw.acquire.as_ref().map(|a| (a, a.get_ref().as_str())) {
                None | Some((_, "block")) => {
                    only("timeout", raw.timeout.as_ref(), "acquire = \"retry\"")?;
                    only(
                        "retry_delay",
                        raw.retry_delay.as_ref(),
                        "acquire = \"retry\"",
                    )?;
                    Acquire::Block
                }
                Some((_, "retry")) => Acquire::Retry {
                    timeout: dur(&raw.timeout, Duration::from_secs(5))?,
                    retry_delay: dur(&raw.retry_delay, Duration::from_millis(100))?,
                },
                Some((a, other)) => {
                    return Err(p.err(
                        a,
                        format!("expected \"block\" or \"retry\", found {other:?}"),
                    ));
                }
            };
            Protocol::Flock { release, acquire }
        }
        "claim" => Protocol::Claim {
            variant: name.parse().map_err(|_| unknown())?,
        },
        "taskboard" => Protocol::TaskBoard {
            scope: name.parse().map_err(|_| unknown())?,
        },
        "registry" => Protocol::Registry {
            method: name.parse().map_err(|_| unknown())?,
        },
        _ => return Err(unknown()),
    })
}

fn programs(p: &Place, raw: &RawModel, proto: &Protocol) -> Result<Programs, ModelError> {
    let ops = |list: &[Spanned<String>]| -> Result<Vec<Op>, ModelError> {
        if list.len() > MAX_OPS {
            return Err(p.err(
                &list[MAX_OPS],
                format!("expected at most {MAX_OPS} operations"),
            ));
        }
        list.iter()
            .map(|s| parse_op(s.get_ref(), proto).map_err(|m| p.err(s, m)))
            .collect()
    };
    let (programs, prelude) = match (&raw.workload, raw.process.is_empty()) {
        (Some(w), true) => {
            let n = match &raw.processes {
                Some(n) if *n.get_ref() == 0 || *n.get_ref() > MAX_PROCESSES => {
                    return Err(p.err(n, format!("expected 1 to {MAX_PROCESSES} processes")));
                }
                n => n.as_ref().map(|n| *n.get_ref()),
            };
            workload(w.get_ref(), proto, n).map_err(|m| {
                let at = if m.contains("`processes`") {
                    raw.processes.as_ref().map_or(w.span(), |n| n.span())
                } else {
                    w.span()
                };
                ModelError::spanned(p.file, p.text, at, m)
            })?
        }
        (Some(w), false) => {
            return Err(p.err(
                w,
                "expected either `workload` or [[process]] tables, not both",
            ));
        }
        (None, true) => {
            return Err(p.err(
                &raw.protocol,
                "expected [[process]] tables (each with `ops = [...]`) or a `workload`",
            ));
        }
        (None, false) => {
            if let Some(n) = &raw.processes {
                return Err(p.err(n, "`processes` goes with a `workload`; with [[process]] tables give each a `count`"));
            }
            let mut programs = Vec::new();
            let mut prelude = Vec::new();
            for proc in &raw.process {
                let count = match &proc.get_ref().count {
                    Some(c) if *c.get_ref() == 0 => {
                        return Err(p.err(c, "expected a positive count"));
                    }
                    Some(c) => *c.get_ref(),
                    None => 1,
                };
                let body = ops(&proc.get_ref().ops)?;
                let before = ops(&proc.get_ref().before)?;
                for _ in 0..count.min(MAX_PROCESSES + 1) {
                    if !before.is_empty() {
                        prelude.push((programs.len(), before.clone()));
                    }
                    programs.push(body.clone());
                }
                if programs.len() > MAX_PROCESSES {
                    return Err(p.err(
                        proc,
                        format!("expected at most {MAX_PROCESSES} processes in all"),
                    ));
                }
            }
            (programs, prelude)
        }
    };
    Ok((programs, prelude))
}

/// Builds the model from what serde read.
pub(super) fn build(file: &str, text: &str, raw: RawModel) -> Result<Model, ModelError> {
    let p = Place { file, text };
    let proto = protocol(&p, &raw)?;
    let (programs, prelude) = programs(&p, &raw, &proto)?;
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            return Err(p.err(n, "expected a non-empty name"));
        }
        Some(n) => n.get_ref().clone(),
        None => std::path::Path::new(file)
            .file_stem()
            .map_or_else(|| file.to_string(), |s| s.to_string_lossy().into_owned()),
    };
    let mut scenario = Scenario::protocol(name.clone(), proto.clone());
    if let Some(list) = &raw.properties {
        let mut props = Vec::new();
        for s in list {
            let prop = parse_property(s.get_ref(), &proto).map_err(|m| p.err(s, m))?;
            if !props.contains(&prop) {
                props.push(prop);
            }
        }
        scenario = scenario.only(props);
    }
    for ops in programs {
        scenario = scenario.ops(ops);
    }
    for (i, ops) in prelude {
        scenario = scenario.before(i, ops);
    }
    let n = scenario.processes.len();
    for f in &raw.fault {
        match fault(&p, f, n, &proto)? {
            Ok(fault) => scenario = scenario.fault(fault),
            Err(property) => scenario = scenario.check(property),
        }
    }
    for f in &raw.file {
        let path = f.path.get_ref();
        if path.trim().is_empty() || path.starts_with('/') || path.split('/').any(|c| c == "..") {
            return Err(p.err(
                &f.path,
                format!("expected a relative path inside the simulated directory, found {path:?}"),
            ));
        }
        scenario = scenario.file(path.clone(), f.contents.as_bytes().to_vec());
    }
    if let Some(t) = &raw.torn_writes {
        if *t.get_ref() == 0 {
            return Err(p.err(t, "expected a positive number of bytes"));
        }
        scenario = scenario.torn_writes(*t.get_ref());
    }
    if let Some(prof) = &raw.power_loss_profile {
        scenario = scenario.power_loss_profile(match prof.get_ref().as_str() {
            "in-order" => Profile::InOrder,
            "reordering" => Profile::Reordering,
            other => {
                return Err(p.err(
                    prof,
                    format!("expected \"in-order\" or \"reordering\", found {other:?}"),
                ));
            }
        });
    }
    let strategy = strategy(&p, raw.explore.as_ref())?;
    let expect = expectation(&p, &raw, &scenario)?;
    Ok(Model {
        name,
        about: raw.about.clone(),
        file: file.to_string(),
        scenario,
        strategy,
        expect,
    })
}

/// Properties checked whatever the model lists.
const ALWAYS: [&str; 3] = ["deadlock-free", "assertion", "no-panic"];

fn expectation(p: &Place, raw: &RawModel, scenario: &Scenario) -> Result<Expect, ModelError> {
    match (raw.expect.get_ref().as_str(), &raw.violates) {
        ("safe", None) => Ok(Expect::Safe),
        ("vacuous", None) => Ok(Expect::Vacuous),
        ("safe" | "vacuous", Some(v)) => {
            Err(p.err(v, "`violates` goes with expect = \"violation\""))
        }
        ("violation", None) => Err(p.err(
            &raw.expect,
            "expect = \"violation\" needs `violates = \"PROPERTY\"`, the property expected to fail",
        )),
        ("violation", Some(v)) => {
            let name = v.get_ref().as_str();
            let Some(known) = Property::NAMES.iter().find(|n| **n == name) else {
                return Err(p.err(
                    v,
                    format!(
                        "unknown property {name:?}: expected one of: {}",
                        Property::NAMES.join(", ")
                    ),
                ));
            };
            let checked =
                ALWAYS.contains(known) || scenario.properties.iter().any(|q| q.name() == *known);
            if !checked {
                let list: Vec<&str> = scenario.properties.iter().map(|q| q.name()).collect();
                return Err(p.err(
                    v,
                    format!(
                        "{name:?} is not checked by this model: expected one of: {}",
                        list.join(", ")
                    ),
                ));
            }
            Ok(Expect::Violation(known))
        }
        (other, _) => Err(p.err(
            &raw.expect,
            format!("expected \"safe\", \"vacuous\" or \"violation\", found {other:?}"),
        )),
    }
}
