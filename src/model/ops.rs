//! Operation and property strings of model files: `"acquire"`,
//! `"sleep 2s"`, `"claim t1"`, `"json-parses registry.json"`...

use std::time::Duration;

use lockcheck_explore::{Op, Property, PropertyArg, Protocol, REGISTRY, TASKBOARD};

/// Which protocol families an operation applies to.
const OPS: &[(&str, &str, &[&str])] = &[
    ("acquire", "", &["lockfile", "flock"]),
    ("refresh", "", &["lockfile"]),
    ("release", "", &["lockfile", "flock"]),
    ("critical", "", &["lockfile", "flock"]),
    ("sleep", " DURATION", &[]),
    ("crash", "", &[]),
    ("claim", " TASK", &["claim"]),
    ("add-agent", " ID", &["registry"]),
    ("update-status", " ID STATUS", &["registry"]),
    ("read", "", &["registry"]),
    ("read-locked", "", &["registry"]),
    ("assign", " TASK AGENT", &["taskboard"]),
    ("set-status", " TASK STATUS", &["taskboard"]),
];

/// The family of a protocol: `lockfile`, `flock`, `claim`, `registry` or
/// `taskboard`.
pub fn family(protocol: &Protocol) -> &'static str {
    match protocol {
        Protocol::LockFile { .. } => "lockfile",
        Protocol::Flock { .. } => "flock",
        Protocol::Claim { .. } => "claim",
        Protocol::Registry { .. } => "registry",
        Protocol::TaskBoard { .. } => "taskboard",
    }
}

/// The operations a protocol's programs may use, as written in model files.
pub fn ops_for(family: &str) -> Vec<String> {
    OPS.iter()
        .filter(|(_, _, fams)| fams.is_empty() || fams.contains(&family))
        .map(|(name, args, _)| format!("{name}{args}"))
        .collect()
}

/// Parses a duration such as `2s`, `500ms`, `1m 30s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        format!("expected a duration such as \"2s\" or \"500ms\", found {text:?} ({e})")
    })
}

/// Parses one operation of a program of `protocol`.
pub fn parse_op(text: &str, protocol: &Protocol) -> Result<Op, String> {
    let fam = family(protocol);
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some((&head, args)) = words.split_first() else {
        return Err(format!(
            "expected an operation, one of: {}",
            ops_for(fam).join(", ")
        ));
    };
    let Some((_, usage, fams)) = OPS.iter().find(|(name, _, _)| *name == head) else {
        return Err(format!(
            "unknown operation {head:?}: expected one of: {}",
            ops_for(fam).join(", ")
        ));
    };
    if !fams.is_empty() && !fams.contains(&fam) {
        return Err(format!(
            "operation {head:?} does not apply to {}: expected one of: {}",
            protocol.name(),
            ops_for(fam).join(", ")
        ));
    }
    let arity = usage.split_whitespace().count();
    if args.len() != arity {
        return Err(format!(
            "{head:?} takes {arity} argument(s): expected \"{head}{usage}\", found {text:?}"
        ));
    }
    let s = |i: usize| args[i].to_string();
    Ok(match head {
        "acquire" => Op::Acquire,
        "refresh" => Op::Refresh,
        "release" => Op::Release,
        "critical" => Op::Critical,
        "crash" => Op::Crash,
        "sleep" => Op::Sleep(parse_duration(args[0])?),
        "claim" => Op::Claim(s(0)),
        "add-agent" => Op::AddAgent(s(0)),
        "read" => Op::Read,
        "read-locked" => Op::ReadLocked,
        "update-status" => Op::UpdateStatus {
            id: s(0),
            status: s(1),
        },
        "assign" => Op::Assign {
            task: s(0),
            agent: s(1),
        },
        _ => Op::SetStatus {
            task: s(0),
            status: s(1),
        },
    })
}

/// The properties as model files write them, with their arguments
/// (from [`Property::FORMS`]).
pub fn property_forms() -> Vec<String> {
    Property::FORMS
        .iter()
        .map(|(name, arg)| format!("{name}{}", arg.usage()))
        .collect()
}

/// The file a protocol's JSON properties watch by default.
pub fn default_json_path(protocol: &Protocol) -> Option<String> {
    match protocol {
        Protocol::Registry { .. } => Some(REGISTRY.to_string()),
        Protocol::TaskBoard { .. } => Some(TASKBOARD.to_string()),
        _ => None,
    }
}

/// Parses a property, filling in the protocol's default paths.
pub fn parse_property(text: &str, protocol: &Protocol) -> Result<Property, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let expected = || format!("expected one of: {}", property_forms().join(", "));
    let Some((&head, args)) = words.split_first() else {
        return Err(format!("expected a property, {}", expected()));
    };
    let Some((name, arg)) = Property::FORMS.iter().find(|(name, _)| *name == head) else {
        return Err(format!("unknown property {head:?}: {}", expected()));
    };
    let (path, steps) = match (arg, args) {
        (PropertyArg::None, []) => (None, None),
        (PropertyArg::None, _) => {
            return Err(format!("{head:?} takes no argument, found {text:?}"));
        }
        (PropertyArg::Path, [p]) => (Some(p.to_string()), None),
        (PropertyArg::Path, []) => {
            let default = match *name {
                "lock-file-present" => protocol.lock_path(),
                "registry-invariants" => Some(REGISTRY.to_string()),
                "taskboard-intact" => Some(TASKBOARD.to_string()),
                _ => default_json_path(protocol),
            };
            match default {
                Some(d) => (Some(d), None),
                None => {
                    return Err(format!(
                        "{head:?} needs a path for {}: expected \"{head} PATH\"",
                        protocol.name()
                    ));
                }
            }
        }
        (PropertyArg::Path, _) => {
            return Err(format!("expected \"{head} [PATH]\", found {text:?}"));
        }
        (PropertyArg::Steps, [n]) => {
            let steps = n.replace('_', "").parse::<u64>().ok().filter(|n| *n > 0);
            match steps {
                Some(steps) => (None, Some(steps)),
                None => {
                    return Err(format!("expected a positive number of steps, found {n:?}"));
                }
            }
        }
        (PropertyArg::Steps, _) => {
            return Err(format!("expected \"{head} STEPS\", found {text:?}"));
        }
        (other, _) => return Err(format!("{head:?}: unsupported argument {other:?}")),
    };
    Property::from_parts(name, path, steps).ok_or_else(|| format!("unknown property {head:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockcheck_protocols::lockfile::Refresh;

    #[test]
    fn operations_parse_with_their_arguments_and_refuse_other_protocols_ops() {
        let p = Protocol::lockfile(Refresh::Fenced);
        assert_eq!(
            parse_op("sleep 2s", &p),
            Ok(Op::Sleep(Duration::from_secs(2)))
        );
        assert_eq!(parse_op(" refresh ", &p), Ok(Op::Refresh));
        let e = parse_op("claim t1", &p).unwrap_err();
        assert!(
            e.starts_with("operation \"claim\" does not apply to lockfile/fenced"),
            "{e}"
        );
        assert!(
            parse_op("sleep", &p)
                .unwrap_err()
                .contains("takes 1 argument")
        );
        assert!(
            parse_op("fly", &p)
                .unwrap_err()
                .starts_with("unknown operation")
        );
    }

    #[test]
    fn properties_take_the_protocols_default_paths() {
        let p = Protocol::lockfile(Refresh::Fenced);
        assert_eq!(
            parse_property("lock-file-present", &p),
            Ok(Property::LockFilePresent {
                path: "agent.lock".into()
            })
        );
        assert!(
            parse_property("json-parses", &p)
                .unwrap_err()
                .contains("needs a path")
        );
        assert!(parse_property("bounded-liveness 0", &p).is_err());
    }
}
