//! Operation and property strings of model files: `"acquire"`,
//! `"sleep 2s"`, `"claim t1"`, `"json-parses registry.json"`...

use std::time::Duration;

use lockcheck_explore::{Op, Property, Protocol, REGISTRY, TASKBOARD};

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

/// The properties as model files write them, with their arguments.
pub const PROPERTY_FORMS: &[&str] = &[
    "mutual-exclusion",
    "json-parses [PATH]",
    "lock-file-present [PATH]",
    "no-temp-files",
    "no-lost-updates",
    "registry-invariants [PATH]",
    "taskboard-intact [PATH]",
    "claimed-once",
    "deadlock-free",
    "bounded-liveness STEPS",
    "durable-after-power-loss [PATH]",
    "linearizable",
    "assertion",
    "no-panic",
];

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
    let expected = || format!("expected one of: {}", PROPERTY_FORMS.join(", "));
    let Some((&head, args)) = words.split_first() else {
        return Err(format!("expected a property, {}", expected()));
    };
    let path = |default: Option<String>| -> Result<String, String> {
        match (args, default) {
            ([p], _) => Ok(p.to_string()),
            ([], Some(d)) => Ok(d),
            ([], None) => Err(format!(
                "{head:?} needs a path for {}: expected \"{head} PATH\"",
                protocol.name()
            )),
            _ => Err(format!("expected \"{head} [PATH]\", found {text:?}")),
        }
    };
    let no_args = |p: Property| {
        if args.is_empty() {
            Ok(p)
        } else {
            Err(format!("{head:?} takes no argument, found {text:?}"))
        }
    };
    match head {
        "mutual-exclusion" => no_args(Property::MutualExclusion),
        "no-temp-files" => no_args(Property::NoTempFiles),
        "no-lost-updates" => no_args(Property::NoLostUpdates),
        "claimed-once" => no_args(Property::ClaimedOnce),
        "deadlock-free" => no_args(Property::DeadlockFree),
        "assertion" => no_args(Property::Assertion),
        "no-panic" => no_args(Property::NoPanic),
        "linearizable" => no_args(Property::Linearizable),
        "json-parses" => Ok(Property::JsonParses {
            path: path(default_json_path(protocol))?,
            allow_empty: false,
        }),
        "lock-file-present" => Ok(Property::LockFilePresent {
            path: path(protocol.lock_path())?,
        }),
        "registry-invariants" => Ok(Property::RegistryInvariants {
            path: path(Some(REGISTRY.to_string()))?,
        }),
        "taskboard-intact" => Ok(Property::TaskBoardIntact {
            path: path(Some(TASKBOARD.to_string()))?,
        }),
        "durable-after-power-loss" => Ok(Property::DurableAfterPowerLoss {
            path: path(default_json_path(protocol))?,
        }),
        "bounded-liveness" => match args {
            [n] => n
                .replace('_', "")
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|steps| Property::BoundedLiveness { steps })
                .ok_or_else(|| format!("expected a positive number of steps, found {n:?}")),
            _ => Err(format!(
                "expected \"bounded-liveness STEPS\", found {text:?}"
            )),
        },
        _ => Err(format!("unknown property {head:?}: {}", expected())),
    }
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
