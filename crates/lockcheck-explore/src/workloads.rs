//! The seeds' races as ready-made scenarios: what the tests, the benches
//! and the model files explore. Each function gives the scenario with its
//! protocol's default properties; narrow them with [`Scenario::only`].

use std::time::Duration;

use lockcheck_protocols::claim::ClaimVariant;
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::lockfile::Refresh;
use lockcheck_protocols::registry::WriteMethod;
use lockcheck_protocols::taskboard::LockScope;

use crate::program::{Op, Protocol};
use crate::scenario::{Fault, Scenario};

/// Seed 004's setting: process 0 holds the lock when process 1 starts,
/// refreshes it between two critical sections and releases it; process 1
/// tries once to take it.
pub fn refresh_race(variant: Refresh) -> Scenario {
    Scenario::protocol(variant.name(), Protocol::lockfile(variant))
        .before(0, [Op::Acquire])
        .ops([Op::Critical, Op::Refresh, Op::Critical, Op::Release])
        .ops([Op::Acquire, Op::Critical, Op::Release])
}

/// As [`refresh_race`], but the holder can be paused for 15 s (past the
/// 10 s lease) at a moment the explorer picks, and the contender keeps
/// trying for 30 s, once a second, so it can see the lock go stale.
pub fn paused_holder(variant: Refresh) -> Scenario {
    let protocol = Protocol::LockFile {
        variant,
        stale_after: Duration::from_secs(10),
        tries: 30,
        retry_delay: Duration::from_secs(1),
    };
    Scenario::protocol(variant.name(), protocol)
        .before(0, [Op::Acquire])
        .ops([Op::Critical, Op::Refresh, Op::Critical, Op::Release])
        .ops([Op::Acquire, Op::Critical, Op::Release])
        .fault(Fault::Pause {
            process: 0,
            duration: Duration::from_secs(15),
        })
}

/// Two processes start free and each takes the lock file once.
pub fn free_start(variant: Refresh) -> Scenario {
    let section = [Op::Acquire, Op::Critical, Op::Release];
    Scenario::protocol(variant.name(), Protocol::lockfile(variant))
        .ops(section.clone())
        .ops(section)
}

/// `n` processes each take seed 000/001's flock lock once (blocking).
pub fn flock_lockers(release: Release, n: usize) -> Scenario {
    let section = [Op::Acquire, Op::Critical, Op::Release];
    (0..n).fold(
        Scenario::protocol(release.name(), Protocol::flock(release)),
        |s, _| s.ops(section.clone()),
    )
}

/// Three agents claim task `t1` (seed 001).
pub fn claimers(variant: ClaimVariant) -> Scenario {
    (0..3).fold(
        Scenario::protocol(variant.name(), Protocol::Claim { variant }),
        |s, _| s.ops([Op::Claim("t1".into())]),
    )
}

/// Two processes each add an agent to seed 003's registry.
pub fn registry_adders(method: WriteMethod) -> Scenario {
    Scenario::protocol(method.name(), Protocol::Registry { method })
        .ops([Op::AddAgent("a".into())])
        .ops([Op::AddAgent("b".into())])
}

/// Two agents assign themselves different tasks on seed 002's board, and
/// seed 000's updater moves one of them on.
pub fn board(scope: LockScope) -> Scenario {
    let assign = |task: &str, agent: &str| Op::Assign {
        task: task.into(),
        agent: agent.into(),
    };
    Scenario::protocol(scope.name(), Protocol::TaskBoard { scope })
        .ops([assign("t1", "a")])
        .ops([assign("t2", "b")])
        .ops([Op::SetStatus {
            task: "t1".into(),
            status: "in_progress".into(),
        }])
}
