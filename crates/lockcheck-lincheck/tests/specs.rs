//! Each shipped spec accepts a linearizable history and refuses a
//! non-linearizable one.

use lockcheck_lincheck::specs::*;
use lockcheck_lincheck::{History, Spec, Verdict, check};

/// One event: (process, Some(input), _) invokes, (process, None, Some(output))
/// returns, (process, None, None) is an info.
type Ev<I, O> = (u64, Option<I>, Option<O>);

fn verdict<S: Spec>(spec: &S, events: Vec<Ev<S::Input, S::Output>>) -> Verdict {
    // (process, Some(input), _) invokes; (process, None, Some(output)) returns.
    let mut h = History::new();
    for (p, input, output) in events {
        match (input, output) {
            (Some(i), _) => drop(h.invoke(p, i).expect("invoke")),
            (None, Some(o)) => drop(h.ok(p, o).expect("ok")),
            (None, None) => drop(h.info(p).expect("info")),
        }
    }
    check(spec, &h)
}

fn call<I, O>(p: u64, i: I) -> Ev<I, O> {
    (p, Some(i), None)
}
fn ret<I, O>(p: u64, o: O) -> Ev<I, O> {
    (p, None, Some(o))
}
fn info<I, O>(p: u64) -> Ev<I, O> {
    (p, None, None)
}

#[test]
fn two_holders_of_a_mutex_at_once_are_not_linearizable() {
    use MutexInput::*;
    use MutexOutput::*;
    let v = verdict(
        &MutexSpec,
        vec![
            call(1, Acquire(1)),
            call(2, Acquire(2)),
            ret(1, Acquired),
            ret(2, Acquired),
        ],
    );
    assert!(v.is_not_linearizable(), "{v}");
}

#[test]
fn a_mutex_handed_over_through_release_is_linearizable() {
    use MutexInput::*;
    use MutexOutput::*;
    let v = verdict(
        &MutexSpec,
        vec![
            call(1, Acquire(1)),
            ret(1, Acquired),
            call(2, TryAcquire(2)),
            ret(2, Busy),
            call(1, Release(1)),
            ret(1, Released),
            call(2, Acquire(2)),
            ret(2, Acquired),
        ],
    );
    assert!(v.is_linearizable(), "{v}");
}

#[test]
fn releasing_a_mutex_one_does_not_hold_must_report_not_held() {
    use MutexInput::*;
    use MutexOutput::*;
    let ok = verdict(&MutexSpec, vec![call(1, Release(1)), ret(1, NotHeld)]);
    assert!(ok.is_linearizable(), "{ok}");
    let bad = verdict(&MutexSpec, vec![call(1, Release(1)), ret(1, Released)]);
    assert!(bad.is_not_linearizable(), "{bad}");
}

#[test]
fn an_acquire_with_unknown_outcome_may_explain_a_busy_try() {
    use MutexInput::*;
    use MutexOutput::*;
    let v = verdict(
        &MutexSpec,
        vec![
            call(1, Acquire(1)),
            info(1),
            call(2, TryAcquire(2)),
            ret(2, Busy),
        ],
    );
    assert!(v.is_linearizable(), "{v}");
}

#[test]
fn fencing_tokens_must_grow_with_every_grant() {
    use LeaseInput::*;
    use LeaseOutput::*;
    let ok = verdict(
        &LeaseSpec,
        vec![
            call(1, Acquire { owner: 1 }),
            ret(1, Granted(1)),
            call(2, Acquire { owner: 2 }),
            ret(2, Granted(2)),
        ],
    );
    assert!(ok.is_linearizable(), "{ok}");
    let bad = verdict(
        &LeaseSpec,
        vec![
            call(1, Acquire { owner: 1 }),
            ret(1, Granted(2)),
            call(2, Acquire { owner: 2 }),
            ret(2, Granted(2)),
        ],
    );
    assert!(bad.is_not_linearizable(), "{bad}");
}

#[test]
fn a_write_with_a_stale_token_accepted_by_the_resource_is_not_linearizable() {
    use LeaseInput::*;
    use LeaseOutput::*;
    let events = |stale_answer| {
        vec![
            call(1, Acquire { owner: 1 }),
            ret(1, Granted(1)),
            call(2, Acquire { owner: 2 }),
            ret(2, Granted(2)),
            call(
                2,
                Write {
                    token: 2,
                    value: 20,
                },
            ),
            ret(2, Accepted),
            call(
                1,
                Write {
                    token: 1,
                    value: 10,
                },
            ),
            ret(1, stale_answer),
            call(3, Read),
            ret(3, Value(Some(20))),
        ]
    };
    assert!(verdict(&LeaseSpec, events(Rejected)).is_linearizable());
    assert!(verdict(&LeaseSpec, events(Accepted)).is_not_linearizable());
}

#[test]
fn a_double_claim_is_not_linearizable() {
    let c = |task: &str, by| Claim {
        task: task.into(),
        by,
    };
    let bad = verdict(
        &ClaimSpec,
        vec![
            call(1, c("t1", 1)),
            call(2, c("t1", 2)),
            ret(1, ClaimOutput::Won),
            ret(2, ClaimOutput::Won),
        ],
    );
    assert!(bad.is_not_linearizable(), "{bad}");
    let ok = verdict(
        &ClaimSpec,
        vec![
            call(1, c("t1", 1)),
            call(2, c("t1", 2)),
            call(3, c("t2", 3)),
            ret(1, ClaimOutput::Lost),
            ret(2, ClaimOutput::Won),
            ret(3, ClaimOutput::Won),
        ],
    );
    assert!(ok.is_linearizable(), "{ok}");
}

#[test]
fn a_lost_claim_on_an_unclaimed_task_is_not_linearizable() {
    let v = verdict(
        &ClaimSpec,
        vec![
            call(
                1,
                Claim {
                    task: "t".into(),
                    by: 1,
                },
            ),
            ret(1, ClaimOutput::Lost),
        ],
    );
    assert!(v.is_not_linearizable(), "{v}");
}

fn counts(total_spawned: u64, active_count: u64, completed_count: u64) -> RegistryOutput {
    RegistryOutput::Counts(Counts {
        total_spawned,
        active_count,
        completed_count,
    })
}

#[test]
fn concurrent_registry_adds_that_both_see_one_agent_lose_an_update() {
    use RegistryInput::*;
    let add = |id: &str| AddAgent { id: id.into() };
    let ok = verdict(
        &RegistrySpec,
        vec![
            call(1, add("a")),
            call(2, add("b")),
            ret(2, counts(1, 1, 0)),
            ret(1, counts(2, 2, 0)),
        ],
    );
    assert!(ok.is_linearizable(), "{ok}");
    let lost = verdict(
        &RegistrySpec,
        vec![
            call(1, add("a")),
            call(2, add("b")),
            ret(1, counts(1, 1, 0)),
            ret(2, counts(1, 1, 0)),
        ],
    );
    assert!(lost.is_not_linearizable(), "{lost}");
}

#[test]
fn registry_counters_follow_the_seed_rules() {
    use RegistryInput::*;
    let v = verdict(
        &RegistrySpec,
        vec![
            call(1, AddAgent { id: "a".into() }),
            ret(1, counts(1, 1, 0)),
            call(1, AddAgent { id: "b".into() }),
            ret(1, counts(2, 2, 0)),
            call(
                1,
                UpdateAgentStatus {
                    id: "a".into(),
                    status: Status::Completed,
                },
            ),
            ret(
                1,
                RegistryOutput::StatusChanged {
                    previous: Status::Running,
                    counts: Counts {
                        total_spawned: 2,
                        active_count: 1,
                        completed_count: 1,
                    },
                },
            ),
            call(
                1,
                UpdateAgentStatus {
                    id: "zz".into(),
                    status: Status::Terminated,
                },
            ),
            ret(1, RegistryOutput::AgentNotFound),
            call(
                1,
                MarkAgentsCompleted {
                    ids: vec!["a".into(), "b".into(), "b".into()],
                },
            ),
            ret(1, RegistryOutput::Marked(1)),
            call(
                1,
                IncrementCounts {
                    active: 3,
                    total: 3,
                },
            ),
            ret(1, counts(5, 3, 2)),
            call(1, DecrementActiveCount { amount: 10 }),
            ret(1, counts(5, 0, 2)),
            call(1, ReadCounts),
            ret(1, counts(5, 0, 2)),
        ],
    );
    assert!(v.is_linearizable(), "{v}");
}

#[test]
fn a_task_assigned_to_two_agents_is_not_linearizable() {
    use BoardInput::*;
    let assign = |t: &str, a: &str| Assign {
        task: t.into(),
        assignee: a.into(),
    };
    let bad = verdict(
        &TaskBoardSpec,
        vec![
            call(1, assign("T1", "x")),
            call(2, assign("T1", "y")),
            ret(1, BoardOutput::Assigned),
            ret(2, BoardOutput::Assigned),
        ],
    );
    assert!(bad.is_not_linearizable(), "{bad}");
    let ok = verdict(
        &TaskBoardSpec,
        vec![
            call(1, assign("T1", "x")),
            call(
                2,
                AssignBatch {
                    tasks: vec!["T1".into(), "T2".into()],
                    assignee: "y".into(),
                },
            ),
            ret(
                2,
                BoardOutput::Batch {
                    assigned: vec!["T1".into(), "T2".into()],
                    failed: vec![],
                },
            ),
            ret(1, BoardOutput::AlreadyAssigned("y".into())),
            call(3, Read { task: "T2".into() }),
            ret(3, BoardOutput::Assignee(Some("y".into()))),
        ],
    );
    assert!(ok.is_linearizable(), "{ok}");
}

#[test]
fn a_stale_register_read_is_not_linearizable() {
    use RegisterInput as I;
    use RegisterOutput as O;
    let bad = verdict(
        &RegisterSpec,
        vec![
            call(1, I::Write(1)),
            ret(1, O::Written),
            call(2, I::Read),
            ret(2, O::Read(None)),
        ],
    );
    assert!(bad.is_not_linearizable(), "{bad}");
    let ok = verdict(
        &RegisterSpec,
        vec![
            call(1, I::Write(1)),
            call(2, I::Read),
            ret(2, O::Read(None)),
            ret(1, O::Written),
            call(3, I::Cas { from: 1, to: 2 }),
            ret(3, O::Cas(true)),
            call(3, I::Cas { from: 1, to: 3 }),
            ret(3, O::Cas(false)),
        ],
    );
    assert!(ok.is_linearizable(), "{ok}");
}

#[test]
fn kv_appends_are_checked_per_key_and_as_one_map() {
    for spec in [KvSpec::per_key(), KvSpec::whole_map()] {
        let ok = verdict(
            &spec,
            vec![
                call(1, spec.append("k", "a")),
                call(2, spec.append("k", "b")),
                call(3, spec.put("j", "z")),
                ret(1, KvOutput::Done),
                ret(2, KvOutput::Done),
                ret(3, KvOutput::Done),
                call(1, spec.get("k")),
                ret(1, spec.saw("ba")),
                call(1, spec.get("j")),
                ret(1, spec.saw("z")),
                call(1, spec.get("nothing")),
                ret(1, spec.saw("")),
            ],
        );
        assert!(ok.is_linearizable(), "{:?}: {ok}", spec.mode());
        let bad = verdict(
            &spec,
            vec![
                call(1, spec.append("k", "a")),
                ret(1, KvOutput::Done),
                call(2, spec.append("k", "b")),
                ret(2, KvOutput::Done),
                call(1, spec.get("k")),
                ret(1, spec.saw("ba")),
            ],
        );
        assert!(bad.is_not_linearizable(), "{:?}: {bad}", spec.mode());
    }
}

#[test]
fn a_value_built_by_appends_reads_like_the_same_string_put() {
    for spec in [KvSpec::per_key(), KvSpec::whole_map()] {
        let events = |seen: &str| {
            vec![
                call(1, spec.put("j", "ab")),
                ret(1, KvOutput::Done),
                call(1, spec.append("k", "a")),
                ret(1, KvOutput::Done),
                call(1, spec.append("k", "")),
                ret(1, KvOutput::Done),
                call(1, spec.append("k", "b")),
                ret(1, KvOutput::Done),
                call(1, spec.get("k")),
                ret(1, spec.saw(seen)),
                call(1, spec.get("j")),
                ret(1, spec.saw("ab")),
            ]
        };
        assert!(
            verdict(&spec, events("ab")).is_linearizable(),
            "{:?}",
            spec.mode()
        );
        assert!(
            verdict(&spec, events("ba")).is_not_linearizable(),
            "{:?}",
            spec.mode()
        );
        assert_eq!(spec.value_str(spec.value("ab")), "ab");
    }
}
