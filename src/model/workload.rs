//! Named workloads: the process programs the seed scenarios use, so a
//! model file can say `workload = "lockers"` instead of listing programs.

use lockcheck_explore::{Op, Protocol};

use super::ops::family;

/// Each process's program, and the operations some processes run before
/// any starts (by process number).
pub type Programs = (Vec<Vec<Op>>, Vec<(usize, Vec<Op>)>);

/// A workload's name, the families it applies to, and what it runs.
pub const WORKLOADS: &[(&str, &[&str], &str)] = &[
    (
        "holder-and-contender",
        &["lockfile", "flock"],
        "process 0 holds the lock from the start, works, (refreshes,) works and releases; process 1 acquires, works, releases",
    ),
    (
        "lockers",
        &["lockfile", "flock"],
        "`processes` processes (default 2) each acquire, work, release",
    ),
    (
        "claimers",
        &["claim"],
        "`processes` processes (default 3) each claim task t1",
    ),
    (
        "adders",
        &["registry"],
        "`processes` processes (default 2) each add one agent (a, b, c, ...)",
    ),
    (
        "board",
        &["taskboard"],
        "agents a and b assign themselves t1 and t2; a third process sets t1 in_progress",
    ),
];

/// The programs of workload `name` (`processes`: how many, where the
/// workload takes a count) and what runs before the processes start.
pub fn workload(
    name: &str,
    protocol: &Protocol,
    processes: Option<usize>,
) -> Result<Programs, String> {
    let fam = family(protocol);
    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.0).collect();
    let Some((_, fams, _)) = WORKLOADS.iter().find(|w| w.0 == name) else {
        return Err(format!(
            "unknown workload {name:?}: expected one of: {}",
            names.join(", ")
        ));
    };
    if !fams.contains(&fam) {
        let fitting: Vec<&str> = WORKLOADS
            .iter()
            .filter(|w| w.1.contains(&fam))
            .map(|w| w.0)
            .collect();
        return Err(format!(
            "workload {name:?} does not apply to {}: expected one of: {}",
            protocol.name(),
            fitting.join(", ")
        ));
    }
    let counted = matches!(name, "lockers" | "claimers" | "adders");
    if processes.is_some() && !counted {
        return Err(format!(
            "workload {name:?} has a fixed number of processes: remove `processes`"
        ));
    }
    let n = processes.unwrap_or(if name == "claimers" { 3 } else { 2 });
    let section = || vec![Op::Acquire, Op::Critical, Op::Release];
    Ok(match name {
        "holder-and-contender" => {
            let mut first = vec![Op::Critical];
            if fam == "lockfile" {
                first.push(Op::Refresh);
            }
            first.extend([Op::Critical, Op::Release]);
            (vec![first, section()], vec![(0, vec![Op::Acquire])])
        }
        "lockers" => ((0..n).map(|_| section()).collect(), vec![]),
        "claimers" => (
            (0..n).map(|_| vec![Op::Claim("t1".into())]).collect(),
            vec![],
        ),
        "adders" => (
            (0..n).map(|i| vec![Op::AddAgent(agent_name(i))]).collect(),
            vec![],
        ),
        _ => (
            vec![
                vec![Op::Assign {
                    task: "t1".into(),
                    agent: "a".into(),
                }],
                vec![Op::Assign {
                    task: "t2".into(),
                    agent: "b".into(),
                }],
                vec![Op::SetStatus {
                    task: "t1".into(),
                    status: "in_progress".into(),
                }],
            ],
            vec![],
        ),
    })
}

/// a, b, ..., z, a1, b1, ...
fn agent_name(i: usize) -> String {
    let letter = (b'a' + (i % 26) as u8) as char;
    match i / 26 {
        0 => letter.to_string(),
        k => format!("{letter}{k}"),
    }
}
