//! Seed 003's locked agent registry: its own concurrency and timeout checks
//! on SimFs and a real directory, the counter rules of its five
//! operations, and a hand-ordered demonstration that the seed's in-place
//! rewrite lets an unlocked reader see a file that does not parse, while
//! the replace variant never does.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use lockcheck_fs::{Clock, Fs, Process, RealFs, SimFs};
use lockcheck_protocols::history::{EventKind, History, NoHistory};
use lockcheck_protocols::registry::{
    Agent, AgentRegistry, AgentStatus, Counts, LockedRegistryFile, Registry, RegistryError, Step,
    Violation, WriteMethod, isoformat, violations,
};
use serde_json::{Map, json};

const PATH: &str = "registry.json";

fn registry<F: Fs>(p: &F, method: WriteMethod) -> AgentRegistry {
    let file = LockedRegistryFile::new(PATH, method);
    file.create(p, &Registry::default()).unwrap();
    AgentRegistry::new(file)
}

fn running(id: &str) -> Agent {
    Agent::new(id, "running").with_field("type", "test")
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// Seed 003's "Atomic Operations Test": ten concurrent `add_agent` calls,
/// each by its own process on its own thread, then `total_spawned`,
/// `active_count` and the agent list all say 10. `check` makes the process
/// that reads the result afterwards: on SimFs a live but idle handle would
/// hold the virtual clock still while the adders sleep between retries.
fn ten_concurrent_adds<P: Process>(procs: Vec<P>, reg: &AgentRegistry, check: impl FnOnce() -> P) {
    let history = History::new();
    thread::scope(|s| {
        for (i, p) in procs.into_iter().enumerate() {
            let history = &history;
            s.spawn(move || {
                let agent = running(&format!("test_agent_{i}"));
                reg.add_agent(&p, history, agent, "orchestrator").unwrap();
            });
        }
    });
    let check = check();
    let doc = reg.file().read(&check).unwrap();
    let method = reg.file().method();
    assert_eq!(doc.total_spawned, 10, "{method}");
    assert_eq!(doc.active_count, 10, "{method}");
    assert_eq!(doc.agents.len(), 10, "{method}");
    assert_eq!(doc.agent_hierarchy["orchestrator"].len(), 10, "{method}");
    assert_eq!(violations(&doc), [], "{method}");
    let oks = history
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Ok)
        .count();
    assert_eq!(oks, 10, "{method}");
    let left = check.read_dir(".").unwrap();
    let expected = match method {
        WriteMethod::Unlocked | WriteMethod::InPlace => vec![PATH.to_string()],
        WriteMethod::Replace => vec![PATH.to_string(), format!("{PATH}.lock")],
    };
    assert_eq!(left, expected, "{method}: no temp file left behind");
}

#[test]
fn ten_concurrent_add_agent_calls_leave_ten_agents_and_consistent_counts_on_simfs() {
    for method in WriteMethod::LOCKED {
        let fs = SimFs::new();
        let reg = registry(&fs.spawn(), method);
        let procs = (0..10).map(|_| fs.spawn()).collect();
        ten_concurrent_adds(procs, &reg, || fs.spawn());
    }
}

#[test]
fn ten_concurrent_add_agent_calls_leave_ten_agents_and_consistent_counts_on_a_real_directory() {
    for method in WriteMethod::LOCKED {
        let dir = tempfile::tempdir().unwrap();
        let real = || RealFs::new(dir.path()).unwrap();
        let file = LockedRegistryFile::new(PATH, method)
            .with_timeout(Duration::from_secs(10), Duration::from_millis(1));
        file.create(&real(), &Registry::default()).unwrap();
        let reg = AgentRegistry::new(file);
        let procs = (0..10).map(|_| real()).collect();
        ten_concurrent_adds(procs, &reg, real);
    }
}

/// Seed 003's "Lock Timeout Test": a holder keeps the lock (sleeping an
/// hour of virtual time); a contender with `timeout=5` fails with a timeout
/// after exactly 5 s rounded up to the retry delay.
#[test]
fn a_held_registry_lock_times_out_after_the_timeout_rounded_up_to_the_retry_delay() {
    let timeout = Duration::from_secs(5);
    for (delay, expected) in [
        (Duration::from_millis(100), Duration::from_secs(5)),
        (Duration::from_millis(300), Duration::from_millis(5100)),
    ] {
        for method in WriteMethod::LOCKED {
            let fs = SimFs::new();
            let (a, b) = (fs.spawn(), fs.spawn());
            let file = LockedRegistryFile::new(PATH, method).with_timeout(timeout, delay);
            file.create(&a, &Registry::default()).unwrap();
            let (held, is_held) = mpsc::channel();
            let holder = {
                let file = file.clone();
                thread::spawn(move || {
                    let mut on_step = |s| {
                        if s == Step::Locked {
                            held.send(()).unwrap();
                            a.sleep(Duration::from_secs(3600));
                        }
                    };
                    file.update_with(&a, |_| Ok(()), &mut on_step).unwrap();
                })
            };
            is_held.recv().unwrap();
            let contender = thread::spawn(move || {
                let history = History::new();
                let reg = AgentRegistry::new(file);
                let start = b.now();
                let err = reg
                    .add_agent(&b, &history, running("late"), "o")
                    .unwrap_err();
                (err, b.now().duration_since(start).unwrap(), history)
            });
            let (err, elapsed, history) = contender.join().unwrap();
            let RegistryError::Timeout { path, waited } = err else {
                panic!("{method}: expected a timeout, got {err}");
            };
            assert_eq!(path, LockedRegistryFile::new(PATH, method).lock_path());
            assert_eq!((waited, elapsed), (expected, expected), "{method}");
            let events = history.events();
            assert_eq!(events[1].kind, EventKind::Fail);
            assert_eq!(events[1].value["error"], "timeout");
            holder.join().unwrap();
            let doc = LockedRegistryFile::new(PATH, method).read(&fs.spawn());
            assert_eq!(doc.unwrap().total_spawned, 0, "{method}: nothing added");
        }
    }
}

#[test]
fn a_held_registry_lock_times_out_on_a_real_directory() {
    for method in WriteMethod::ALL {
        let dir = tempfile::tempdir().unwrap();
        let a = RealFs::new(dir.path()).unwrap();
        let file = LockedRegistryFile::new(PATH, method)
            .with_timeout(Duration::from_millis(30), Duration::from_millis(5));
        file.create(&a, &Registry::default()).unwrap();
        let root = dir.path().to_path_buf();
        let mut on_step = |s| {
            if s == Step::Locked {
                let b = RealFs::new(&root).unwrap();
                let reg = AgentRegistry::new(file.clone());
                let r = reg.increment_counts(&b, &NoHistory, 1, 1);
                assert!(
                    matches!(r, Err(RegistryError::Timeout { .. })),
                    "{method}: {r:?}"
                );
            }
        };
        file.update_with(&a, |_| Ok(()), &mut on_step).unwrap();
        assert_eq!(file.read(&a).unwrap().counts(), Counts::default());
    }
}

fn counts(total_spawned: u64, active_count: u64, completed_count: u64) -> Counts {
    Counts {
        total_spawned,
        active_count,
        completed_count,
    }
}

#[test]
fn add_agent_counts_the_agent_as_spawned_and_active_under_its_parent() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::InPlace);
    assert_eq!(
        reg.add_agent(&p, &NoHistory, running("a"), "orch").unwrap(),
        counts(1, 1, 0)
    );
    reg.add_agent(&p, &NoHistory, running("b"), "a").unwrap();
    let doc = reg.file().read(&p).unwrap();
    assert_eq!(doc.agent_hierarchy["orch"], ["a"]);
    assert_eq!(doc.agent_hierarchy["a"], ["b"]);
    assert_eq!(doc.agents[0].fields["type"], "test");
    assert_eq!(violations(&doc), []);
}

#[test]
fn add_agent_keeps_a_duplicate_id_as_the_seed_does_and_the_invariant_reports_it() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::Replace);
    reg.add_agent(&p, &NoHistory, running("a"), "o").unwrap();
    reg.add_agent(&p, &NoHistory, running("a"), "o").unwrap();
    let doc = reg.file().read(&p).unwrap();
    assert_eq!(doc.counts(), counts(2, 2, 0));
    let dup = Violation::DuplicateId {
        id: "a".into(),
        count: 2,
    };
    assert_eq!(violations(&doc), [dup]);
}

#[test]
fn adding_an_agent_in_a_terminal_status_still_counts_it_active_which_the_invariant_reports() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::InPlace);
    reg.add_agent(&p, &NoHistory, Agent::new("a", "completed"), "o")
        .unwrap();
    let doc = reg.file().read(&p).unwrap();
    let v = Violation::ActiveCount {
        active_count: 1,
        active_agents: 0,
    };
    assert_eq!(violations(&doc), [v]);
}

#[test]
fn update_agent_status_counts_only_the_transition_from_active_to_terminal() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::InPlace);
    for id in ["a", "b", "c"] {
        reg.add_agent(&p, &NoHistory, running(id), "o").unwrap();
    }
    let update = |id: &str, status: &str| {
        let mut extra = Map::new();
        extra.insert("progress".into(), json!(100));
        reg.update_agent_status(&p, &NoHistory, id, status.into(), extra)
            .unwrap()
    };
    // running -> working: both active, no change.
    let c = update("a", "working");
    assert_eq!(c.previous_status, AgentStatus::Running);
    assert_eq!(c.counts, counts(3, 3, 0));
    // working -> completed: active - 1, completed + 1.
    let c = update("a", "completed");
    assert_eq!(c.previous_status, AgentStatus::Other("working".into()));
    assert_eq!(c.counts, counts(3, 2, 1));
    // running -> terminated: active - 1 only.
    assert_eq!(update("b", "terminated").counts, counts(3, 1, 1));
    // terminal -> terminal: no change, even into completed.
    assert_eq!(update("b", "completed").counts, counts(3, 1, 1));
    assert_eq!(update("a", "completed").counts, counts(3, 1, 1));
    let doc = reg.file().read(&p).unwrap();
    assert_eq!(violations(&doc), []);
    assert_eq!(doc.agents[0].fields["progress"], 100);
    // terminal -> running: the seed does not count it active again.
    assert_eq!(update("b", "running").counts, counts(3, 1, 1));
    let doc = reg.file().read(&p).unwrap();
    let v = Violation::ActiveCount {
        active_count: 1,
        active_agents: 2,
    };
    assert_eq!(violations(&doc), [v]);
}

#[test]
fn extra_fields_named_id_or_status_set_them_and_the_registry_still_parses() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::InPlace);
    reg.add_agent(
        &p,
        &NoHistory,
        running("a").with_field("status", "working"),
        "o",
    )
    .unwrap();
    let mut extra = Map::new();
    extra.insert("status".into(), json!("completed"));
    extra.insert("id".into(), json!(7)); // Not a string: dropped.
    let c = reg
        .update_agent_status(&p, &NoHistory, "a", "terminated".into(), extra)
        .unwrap();
    assert_eq!(c.previous_status, AgentStatus::Other("working".into()));
    assert_eq!(
        c.counts,
        counts(1, 0, 1),
        "the extra status wins, as dict.update"
    );
    let doc = reg.file().read(&p).unwrap();
    assert_eq!(
        (doc.agents[0].id.as_str(), &doc.agents[0].status),
        ("a", &AgentStatus::Completed)
    );
    reg.add_agent(&p, &NoHistory, running("b"), "o").unwrap();
}

#[test]
fn update_agent_status_of_an_unknown_id_fails_and_writes_nothing() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::InPlace);
    reg.add_agent(&p, &NoHistory, running("a"), "o").unwrap();
    let before = p.read_file(PATH).unwrap();
    let history = History::new();
    let r = reg.update_agent_status(&p, &history, "zz", "completed".into(), Map::new());
    assert!(matches!(r, Err(RegistryError::AgentNotFound { id }) if id == "zz"));
    assert_eq!(p.read_file(PATH).unwrap(), before);
    assert_eq!(history.events()[1].kind, EventKind::Fail);
}

#[test]
fn increment_counts_adds_to_the_counters_without_agents() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::Replace);
    assert_eq!(
        reg.increment_counts(&p, &NoHistory, 2, 3).unwrap(),
        counts(3, 2, 0)
    );
    let doc = reg.file().read(&p).unwrap();
    assert_eq!(violations(&doc).len(), 2);
}

#[test]
fn decrement_active_count_stops_at_zero() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::InPlace);
    reg.increment_counts(&p, &NoHistory, 3, 0).unwrap();
    let dec = |n| reg.decrement_active_count(&p, &NoHistory, n).unwrap();
    assert_eq!(dec(1).active_count, 2);
    assert_eq!(dec(5).active_count, 0);
    assert_eq!(dec(1).active_count, 0);
}

#[test]
fn mark_agents_completed_marks_each_active_listed_agent_once_with_a_timestamp() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let reg = registry(&p, WriteMethod::Replace);
    for id in ["a", "b", "c", "d"] {
        reg.add_agent(&p, &NoHistory, running(id), "o").unwrap();
    }
    reg.update_agent_status(&p, &NoHistory, "c", "terminated".into(), Map::new())
        .unwrap();
    p.sleep(Duration::from_millis(1500));
    let history = History::new();
    let listed = ids(&["a", "a", "c", "nobody", "d"]);
    assert_eq!(reg.mark_agents_completed(&p, &history, &listed).unwrap(), 2);
    let doc = reg.file().read(&p).unwrap();
    assert_eq!(doc.counts(), counts(4, 1, 2));
    assert_eq!(
        doc.agents[0].fields["completed_at"],
        "2025-01-01T00:00:01.500000"
    );
    assert_eq!(doc.agents[0].fields["completed_at"], isoformat(p.now()));
    assert_eq!(doc.agents[2].status, AgentStatus::Terminated);
    assert_eq!(violations(&doc), []);
    let events = history.events();
    assert_eq!(events[0].op, "registry/mark_agents_completed");
    assert_eq!(events[0].value["variant"], "registry/replace");
    assert_eq!(events[1].value, json!(2));
    // Nothing left to mark: the counters stay.
    assert_eq!(
        reg.mark_agents_completed(&p, &NoHistory, &listed).unwrap(),
        0
    );
    assert_eq!(reg.file().read(&p).unwrap().counts(), counts(4, 1, 2));
}

#[test]
fn a_missing_or_corrupt_registry_is_a_typed_error() {
    let fs = SimFs::new();
    let p = fs.spawn();
    for method in WriteMethod::ALL {
        let reg = AgentRegistry::new(LockedRegistryFile::new(PATH, method));
        let r = reg.increment_counts(&p, &NoHistory, 1, 1);
        assert!(matches!(r, Err(RegistryError::NotFound { .. })), "{r:?}");
    }
    p.write_file(PATH, b"{\"agents\": [").unwrap();
    for method in WriteMethod::ALL {
        let reg = AgentRegistry::new(LockedRegistryFile::new(PATH, method));
        let r = reg.increment_counts(&p, &NoHistory, 1, 1);
        assert!(matches!(r, Err(RegistryError::Corrupt { .. })), "{r:?}");
    }
}

#[test]
fn variant_names_round_trip() {
    for m in WriteMethod::ALL {
        assert_eq!(m.to_string().parse::<WriteMethod>(), Ok(m));
    }
    assert_eq!(WriteMethod::InPlace.name(), "registry/in-place");
    assert_eq!(WriteMethod::Replace.name(), "registry/replace");
    assert!("registry/atomic".parse::<WriteMethod>().is_err());
}

/// Runs one update that shortens the document by one byte (`active_count`
/// 10 to 9) and, at every step of it, lets an unlocked reader parse the
/// file. Returns whether each step's read parsed.
fn unlocked_reads_during_a_shrinking_update(method: WriteMethod) -> Vec<(Step, bool)> {
    let fs = SimFs::new();
    let (writer, reader) = (fs.spawn(), fs.spawn());
    let reg = registry(&writer, method);
    reg.increment_counts(&writer, &NoHistory, 10, 0).unwrap();
    let file = reg.file();
    let mut seen = Vec::new();
    let mut on_step = |s| seen.push((s, file.read(&reader).is_ok()));
    let shrink = |r: &mut Registry| Ok(r.decrement_active_count(1));
    file.update_with(&writer, shrink, &mut on_step).unwrap();
    assert_eq!(file.read(&reader).unwrap().active_count, 9);
    seen
}

#[test]
fn in_place_rewrite_lets_an_unlocked_reader_see_a_stale_tail_between_write_and_truncate() {
    use Step::*;
    let seen = unlocked_reads_during_a_shrinking_update(WriteMethod::InPlace);
    let expected =
        [Opened, Locked, Read, Seeked, Written, Truncated, Unlocked].map(|s| (s, s != Written));
    assert_eq!(seen, expected);

    // What the reader saw: the new document plus the old one's last byte.
    let fs = SimFs::new();
    let (writer, reader) = (fs.spawn(), fs.spawn());
    let reg = registry(&writer, WriteMethod::InPlace);
    reg.increment_counts(&writer, &NoHistory, 10, 0).unwrap();
    let mut torn = Vec::new();
    let mut on_step = |s| {
        if s == Written {
            torn = reader.read_file(PATH).unwrap();
        }
    };
    let file = reg.file();
    file.update_with(&writer, |r| Ok(r.decrement_active_count(1)), &mut on_step)
        .unwrap();
    let new = reader.read_file(PATH).unwrap();
    assert_eq!(torn, [new.as_slice(), b"}"].concat());
    let err = serde_json::from_slice::<Registry>(&torn).unwrap_err();
    assert!(err.to_string().contains("trailing characters"), "{err}");
}

#[test]
fn replace_rewrite_lets_an_unlocked_reader_parse_the_registry_at_every_step() {
    use Step::*;
    let seen = unlocked_reads_during_a_shrinking_update(WriteMethod::Replace);
    let steps = [
        Opened,
        Locked,
        Read,
        TempWritten,
        TempSynced,
        Renamed,
        DirSynced,
        Unlocked,
    ];
    assert_eq!(seen, steps.map(|s| (s, true)));
}

#[test]
fn unlocked_current_code_loses_one_of_two_concurrent_adds() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let reg = registry(&a, WriteMethod::Unlocked);
    // b's whole add runs after a has read the registry and before a writes.
    let b_added = std::cell::Cell::new(false);
    let a_result =
        reg.file()
            .update_with(&a, |r| Ok(r.add_agent(running("a"), "o")), &mut |step| {
                if step == Step::Read && !b_added.get() {
                    reg.add_agent(&b, &NoHistory, running("b"), "o").unwrap();
                    b_added.set(true);
                }
            });
    assert!(
        a_result.is_ok() && b_added.get(),
        "both adds reported success"
    );
    let doc = reg.file().read(&a).unwrap();
    assert_eq!(ids_of(&doc), ["a"], "b's add is lost");
    assert_eq!(doc.total_spawned, 1);
}

#[test]
fn the_locked_variants_keep_both_of_two_interleaved_adds() {
    for method in WriteMethod::LOCKED {
        let fs = SimFs::new();
        let (a, b) = (fs.spawn(), fs.spawn());
        // A zero timeout: one try, no sleep. (b cannot sleep here: a, on
        // this same thread, is running, and virtual time waits for it.)
        let file = LockedRegistryFile::new(PATH, method)
            .with_timeout(Duration::ZERO, Duration::from_millis(100));
        file.create(&a, &Registry::default()).unwrap();
        let reg = AgentRegistry::new(file);
        // b tries while a holds the lock: it is refused instead of racing.
        let mut b_result = None;
        reg.file()
            .update_with(&a, |r| Ok(r.add_agent(running("a"), "o")), &mut |step| {
                if step == Step::Read && b_result.is_none() {
                    b_result = Some(reg.add_agent(&b, &NoHistory, running("b"), "o"));
                }
            })
            .unwrap();
        assert!(
            matches!(b_result, Some(Err(RegistryError::Timeout { .. }))),
            "{method}"
        );
        reg.add_agent(&b, &NoHistory, running("b"), "o").unwrap();
        let doc = reg.file().read(&a).unwrap();
        assert_eq!(ids_of(&doc), ["a", "b"], "{method}");
        assert_eq!(violations(&doc), [], "{method}");
    }
}

fn ids_of(doc: &Registry) -> Vec<&str> {
    doc.agents.iter().map(|a| a.id.as_str()).collect()
}
