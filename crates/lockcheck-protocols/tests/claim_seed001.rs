//! Seed 001's atomic task claiming, checked the way the seed's own test
//! suite does ("Sequential Claiming", "Concurrent Claiming", "Lock
//! Timeout") on SimFs and on a real directory, for both claim variants and
//! every flock lock variant; and seed 000's safe_json helpers, including an
//! exhaustive check that a reader never sees a partial file.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Clock, Errno, Fs, OpenOptions, Process, ProcessInfo, RealFs, SimConfig, SimFs};
use lockcheck_protocols::claim::{
    A2AClient, ClaimOutcome, ClaimVariant, DEFAULT_TIMEOUT, TaskPool,
};
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::history::{EventKind, History, NoHistory};
use lockcheck_protocols::safe_json::{
    ReadRetry, SafeJsonError, is_transient, safe_json_read, safe_json_read_with, safe_json_write,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shuttle::scheduler::PctScheduler;
use shuttle::{Config, Runner};

const POOL: &str = "tasks";
const TASK: &str = "task-123";

/// `claim/locked` with every lock variant (the seed's first), then
/// `claim/by-rename`.
fn pools() -> Vec<TaskPool> {
    let mut pools: Vec<TaskPool> = Release::ALL
        .into_iter()
        .map(|r| TaskPool::new(POOL, ClaimVariant::Locked).with_lock(r))
        .collect();
    pools.push(TaskPool::new(POOL, ClaimVariant::ByRename));
    pools
}

fn label(pool: &TaskPool) -> String {
    match pool.variant() {
        ClaimVariant::Locked => format!("{} + {}", pool.variant(), pool.lock_variant()),
        ClaimVariant::ByRename => pool.variant().to_string(),
    }
}

fn task() -> Value {
    json!({"task_id": TASK, "description": "build the frontend", "skills": ["javascript"]})
}

/// Names in `dir`, or none if it does not exist.
fn names(p: &impl Fs, dir: impl AsRef<std::path::Path>) -> Vec<String> {
    p.read_dir(dir).unwrap_or_default()
}

/// After one successful claim: the claimed file holds what the winner got,
/// the task left `available/` and no temp file is left; the lock file is
/// there only for `flock/keep-file`.
fn assert_claimed_once(p: &impl Process, pool: &TaskPool, winner: &str, data: &Value) {
    let what = label(pool);
    assert_eq!(data["task_id"], TASK, "{what}");
    assert_eq!(data["claimed_by"], winner, "{what}");
    assert!(data["claimed_at"].is_string(), "{what}");
    let on_disk: Value = safe_json_read(p, pool.claimed_path(TASK), Value::Null).unwrap();
    assert_eq!(&on_disk, data, "{what}");
    assert_eq!(
        names(p, pool.claimed_dir()),
        [format!("{TASK}.json")],
        "{what}"
    );
    let keeps_lock =
        pool.variant() == ClaimVariant::Locked && pool.lock_variant() == Release::KeepFile;
    let expected: Vec<String> = if keeps_lock {
        vec![format!("{TASK}.lock")]
    } else {
        vec![]
    };
    assert_eq!(names(p, pool.available_dir()), expected, "{what}");
}

/// Seed 001's "Sequential Claiming": the first agent gets the task, the
/// next gets `None`.
fn sequential_claiming(p: &impl Process, pool: &TaskPool) {
    let history = History::new();
    pool.add_task(p, TASK, &task()).unwrap();
    let first = pool.claim_task(p, &history, TASK, "agent-1").unwrap();
    let first = first.expect("the first claim succeeds");
    assert_claimed_once(p, pool, "agent-1", &first);
    let client = A2AClient::new("agent-2", pool.clone());
    let second = client
        .claim_task(p, &history, TASK, Duration::from_secs(15))
        .unwrap();
    assert_eq!(second, None, "{}", label(pool));
    let events = history.events();
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Invoke,
            EventKind::Ok,
            EventKind::Invoke,
            EventKind::Fail
        ]
    );
    assert!(events.iter().all(|e| e.op == "claim/claim"));
    assert_eq!(events[0].value["agent"], "agent-1");
    assert_eq!(events[1].value["task"], first);
    assert_eq!(events[3].value, json!({"reason": "not available"}));
}

#[test]
fn sequential_claiming_gives_the_task_to_the_first_agent_only_on_simfs() {
    for pool in pools() {
        let fs = SimFs::new();
        let p = fs.spawn();
        sequential_claiming(&p, &pool);
        let claimed: Value = safe_json_read(&p, pool.claimed_path(TASK), Value::Null).unwrap();
        assert_eq!(
            claimed["claimed_at"], "2025-01-01T00:00:00.000Z",
            "virtual time 0"
        );
    }
}

#[test]
fn sequential_claiming_gives_the_task_to_the_first_agent_only_on_a_real_directory() {
    for pool in pools() {
        let dir = tempfile::tempdir().unwrap();
        sequential_claiming(&RealFs::new(dir.path()).unwrap(), &pool);
    }
}

/// Seed 001's "Concurrent Claiming": agents 2..=6 race for one task, each a
/// process on its own thread; returns each agent's result.
fn race<P: Process + 'static>(procs: Vec<P>, pool: &TaskPool) -> Vec<(String, Option<Value>)> {
    let start = Arc::new(Barrier::new(procs.len()));
    let history = Arc::new(History::new());
    let agents: Vec<_> = procs
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let (pool, start, history) = (pool.clone(), start.clone(), history.clone());
            thread::spawn(move || {
                let agent = format!("agent-{}", i + 2);
                start.wait();
                let got = pool.claim_task(&p, &*history, TASK, &agent).unwrap();
                (agent, got)
            })
        })
        .collect();
    let results: Vec<_> = agents.into_iter().map(|a| a.join().unwrap()).collect();
    let oks = history
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Ok)
        .count();
    assert_eq!(oks, 1, "{}: one claim/claim returns Ok", label(pool));
    results
}

fn exactly_one_winner(p: &impl Process, pool: &TaskPool, results: Vec<(String, Option<Value>)>) {
    let winners: Vec<_> = results
        .into_iter()
        .filter_map(|(a, d)| Some((a, d?)))
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{}: exactly one agent claims",
        label(pool)
    );
    let (agent, data) = &winners[0];
    assert_claimed_once(p, pool, agent, data);
}

#[test]
fn five_agents_racing_for_one_task_on_simfs_give_exactly_one_claim() {
    for pool in pools() {
        for _round in 0..10 {
            let fs = SimFs::new();
            pool.add_task(&fs.spawn(), TASK, &task()).unwrap();
            let results = race((0..5).map(|_| fs.spawn()).collect(), &pool);
            exactly_one_winner(&fs.spawn(), &pool, results);
        }
    }
}

#[test]
fn five_agents_racing_for_one_task_on_a_real_directory_give_exactly_one_claim() {
    for pool in pools() {
        for _round in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let p = RealFs::new(dir.path()).unwrap();
            pool.add_task(&p, TASK, &task()).unwrap();
            let procs = (0..5).map(|_| RealFs::new(dir.path()).unwrap()).collect();
            // Losers retry every 1 ms of real time, not the default 100 ms.
            let pool = pool.clone().with_retry_delay(Duration::from_millis(1));
            exactly_one_winner(&p, &pool, race(procs, &pool));
        }
    }
}

/// Three agents race for one task under shuttle's PCT scheduler (fixed
/// seed, so the same schedules every run); in every schedule exactly one
/// claims, and the pool ends with the task claimed once.
#[test]
fn three_agents_racing_under_explored_schedules_give_exactly_one_claim() {
    for pool in pools() {
        let what = label(&pool);
        let runner = Runner::new(PctScheduler::new_from_seed(1, 3, 300), Config::new());
        let winners_seen = Arc::new(Mutex::new(BTreeSet::new()));
        let out = winners_seen.clone();
        let executions = runner.run(move || {
            let fs = SimFs::<ShuttleRuntime>::build(SimConfig {
                trace: false,
                ..SimConfig::default()
            });
            pool.add_task(&fs.spawn(), TASK, &task()).unwrap();
            let agents: Vec<_> = (1..=3)
                .map(|i| {
                    let (p, pool) = (fs.spawn(), pool.clone());
                    shuttle::thread::spawn(move || {
                        let agent = format!("agent-{i}");
                        let got = pool.claim_task(&p, &NoHistory, TASK, &agent).unwrap();
                        got.map(|data| (agent, data))
                    })
                })
                .collect();
            let winners: Vec<_> = agents
                .into_iter()
                .filter_map(|a| a.join().unwrap())
                .collect();
            assert_eq!(winners.len(), 1, "{}: {winners:?}", label(&pool));
            assert_claimed_once(&fs.spawn(), &pool, &winners[0].0, &winners[0].1);
            out.lock().unwrap().insert(winners[0].0.clone());
        });
        assert_eq!(executions, 300, "{what}");
        let seen = winners_seen.lock().unwrap().len();
        assert_eq!(seen, 3, "{what}: every agent wins in some schedule");
    }
}

#[test]
fn a_held_task_lock_makes_claim_give_up_after_exactly_the_timeout_in_virtual_time() {
    for release in Release::ALL {
        let pool = TaskPool::new(POOL, ClaimVariant::Locked).with_lock(release);
        let fs = SimFs::new();
        let (holder, agent) = (fs.spawn(), fs.spawn());
        pool.add_task(&holder, TASK, &task()).unwrap();
        let (held, is_held) = mpsc::channel();
        let stuck = {
            let lock = pool.lock();
            thread::spawn(move || {
                let guard = lock.acquire(&holder, &NoHistory, TASK).unwrap();
                held.send(()).unwrap();
                holder.sleep(Duration::from_secs(3600)); // a stuck holder
                guard.release(&holder, &NoHistory).unwrap();
            })
        };
        is_held.recv().unwrap();
        let history = History::new();
        let (outcome, elapsed, agent) = {
            let start = agent.now();
            let outcome = pool.claim(&agent, &history, TASK, "agent-1", DEFAULT_TIMEOUT);
            (
                outcome.unwrap(),
                agent.now().duration_since(start).unwrap(),
                agent,
            )
        };
        // Tries every 100 ms from 0 s; the try at 10 s fails and gives up.
        let ten = Duration::from_secs(10);
        assert_eq!(outcome, ClaimOutcome::Timeout { waited: ten }, "{release}");
        assert_eq!(elapsed, ten, "{release}");
        let events = history.events();
        assert_eq!(events[1].kind, EventKind::Fail);
        assert_eq!(
            events[1].value,
            json!({"reason": "timeout", "waited_ms": 10_000})
        );
        assert!(
            agent.exists(pool.available_path(TASK)).unwrap(),
            "{release}"
        );
        drop(agent);
        stuck.join().unwrap();
    }
}

#[test]
fn a_held_task_lock_makes_claim_time_out_on_a_real_directory() {
    for release in Release::ALL {
        let dir = tempfile::tempdir().unwrap();
        let holder = RealFs::new(dir.path()).unwrap();
        let pool = TaskPool::new(POOL, ClaimVariant::Locked)
            .with_lock(release)
            .with_retry_delay(Duration::from_millis(5));
        pool.add_task(&holder, TASK, &task()).unwrap();
        let guard = pool.lock().acquire(&holder, &NoHistory, TASK).unwrap();
        let contender = {
            let (pool, root) = (pool.clone(), dir.path().to_path_buf());
            thread::spawn(move || {
                let agent = RealFs::new(root).unwrap();
                pool.claim(
                    &agent,
                    &NoHistory,
                    TASK,
                    "agent-1",
                    Duration::from_millis(50),
                )
            })
        };
        let outcome = contender.join().unwrap().unwrap();
        assert!(
            matches!(outcome, ClaimOutcome::Timeout { .. }),
            "{release}: {outcome:?}"
        );
        guard.release(&holder, &NoHistory).unwrap();
        let data = pool
            .claim_task(&holder, &NoHistory, TASK, "agent-2")
            .unwrap();
        assert!(data.is_some(), "{release}: claimable once the lock is free");
    }
}

#[test]
fn claim_variant_names_are_stable_and_parse_back() {
    let names: Vec<String> = ClaimVariant::ALL.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["claim/locked", "claim/by-rename"]);
    for v in ClaimVariant::ALL {
        assert_eq!(v.name().parse::<ClaimVariant>(), Ok(v));
    }
    let err = "claim/optimistic".parse::<ClaimVariant>().unwrap_err();
    assert!(
        err.to_string().contains("claim/locked, claim/by-rename"),
        "{err}"
    );
}

// ---- seed 000's safe_json_read / safe_json_write ----

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Board {
    tasks: Vec<String>,
    version: u32,
}

fn board() -> Board {
    Board {
        tasks: vec!["task-1".into(), "task-2".into()],
        version: 7,
    }
}

#[test]
fn safe_json_read_returns_the_default_for_a_missing_file_or_directory() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let read: Vec<u32> = safe_json_read(&p, "missing.json", vec![]).unwrap();
    assert_eq!(read, Vec::<u32>::new());
    assert_eq!(safe_json_read(&p, "no/such/dir/x.json", 5u32).unwrap(), 5);
    assert_eq!(fs.elapsed(), Duration::ZERO, "no retry on ENOENT");
}

#[test]
fn safe_json_write_then_read_round_trips_and_creates_durable_parent_directories() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let path = "runtime/agent_comms/project_boards/working_tasks.json";
    safe_json_write(&p, path, &board()).unwrap();
    assert_eq!(safe_json_read(&p, path, None).unwrap(), Some(board()));
    let bytes = p.read_file(path).unwrap();
    assert_eq!(
        fs.durable_snapshot().file(path),
        Some(&bytes[..]),
        "durable on return"
    );
    assert_eq!(
        names(&p, "runtime/agent_comms/project_boards"),
        ["working_tasks.json"]
    );
}

#[test]
fn safe_json_write_leaves_no_temp_file_on_a_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    let p = RealFs::new(dir.path()).unwrap();
    for version in 0..3 {
        let b = Board { version, ..board() };
        safe_json_write(&p, "boards/b.json", &b).unwrap();
        assert_eq!(safe_json_read(&p, "boards/b.json", None).unwrap(), Some(b));
    }
    assert_eq!(names(&p, "boards"), ["b.json"]);
}

#[test]
fn safe_json_write_steps_around_a_temp_name_a_dead_process_left() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let stale = format!(".b.json.{}.tmp", p.pid());
    p.write_file(&stale, b"{\"half").unwrap();
    safe_json_write(&p, "b.json", &board()).unwrap();
    assert_eq!(safe_json_read(&p, "b.json", None).unwrap(), Some(board()));
    assert_eq!(names(&p, "."), [stale, "b.json".to_string()]);
}

#[test]
fn safe_json_read_gives_up_on_a_corrupt_file_after_its_retries() {
    let fs = SimFs::new();
    let p = fs.spawn();
    p.write_file("b.json", b"{\"tasks\": [").unwrap();
    let err = safe_json_read(&p, "b.json", board()).unwrap_err();
    assert!(
        matches!(err, SafeJsonError::Corrupt { attempts: 3, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("b.json: not valid JSON after 3 attempt(s)"),
        "{err}"
    );
    assert_eq!(fs.elapsed(), Duration::from_millis(100), "two 50 ms pauses");
}

#[test]
fn safe_json_read_retries_past_a_file_being_rewritten_in_place() {
    let fs = SimFs::new();
    let (writer, reader) = (fs.spawn(), fs.spawn());
    // An in-place writer has truncated the file and writes it 30 ms later.
    writer.write_file("b.json", b"").unwrap();
    let late = thread::spawn(move || {
        writer.sleep(Duration::from_millis(30));
        writer
            .write_file("b.json", &serde_json::to_vec(&board()).unwrap())
            .unwrap();
    });
    let once = ReadRetry {
        attempts: 1,
        ..ReadRetry::default()
    };
    let err = safe_json_read_with(&reader, "b.json", board(), once).unwrap_err();
    assert!(
        matches!(err, SafeJsonError::Corrupt { attempts: 1, .. }),
        "{err}"
    );
    let read: Option<Board> = safe_json_read(&reader, "b.json", None).unwrap();
    assert_eq!(read, Some(board()));
    assert_eq!(
        fs.elapsed(),
        Duration::from_millis(50),
        "read again after 50 ms"
    );
    drop(reader);
    late.join().unwrap();
}

#[test]
fn safe_json_read_fails_at_once_on_a_permanent_error() {
    let fs = SimFs::new();
    let p = fs.spawn();
    p.mkdir("b.json").unwrap();
    let err = safe_json_read(&p, "b.json", board()).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EISDIR), "{err}");
    assert_eq!(fs.elapsed(), Duration::ZERO);
    assert!(is_transient(&std::io::Error::from(
        std::io::ErrorKind::Interrupted
    )));
    assert!(is_transient(&Errno::EWOULDBLOCK.into()));
    assert!(!is_transient(&Errno::ENOENT.into()));
    assert!(!is_transient(&Errno::EIO.into()));
}

/// Every interleaving (shuttle DFS, exhaustive) of one reader with one
/// writer that replaces `[0]` by `[1]`, writes torn into 4-byte steps;
/// returns what the reader saw (`Err` for bytes that do not parse). The
/// reader is `open` + `pread`, the smallest read: with `read_file`'s four
/// steps the search passes 300,000 schedules.
fn reads_during_one_write(atomic: bool) -> BTreeSet<Result<String, String>> {
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let out = seen.clone();
    shuttle::check_dfs(
        move || {
            let config = SimConfig {
                torn_write_size: Some(4),
                trace: false,
                ..SimConfig::default()
            };
            let fs = SimFs::<ShuttleRuntime>::build(config);
            let (writer, reader) = (fs.spawn(), fs.spawn());
            safe_json_write(&writer, "b.json", &json!([0])).unwrap();
            let out = out.clone();
            let t = shuttle::thread::spawn(move || {
                let fd = reader.open("b.json", OpenOptions::new()).unwrap();
                let mut buf = [0u8; 64];
                let n = reader.read_at(fd, &mut buf, 0).unwrap();
                let read = serde_json::from_slice::<Value>(&buf[..n]);
                let read = read
                    .map(|v| v.to_string())
                    .map_err(|_| String::from_utf8_lossy(&buf[..n]).into_owned());
                out.lock().unwrap().insert(read);
            });
            if atomic {
                safe_json_write(&writer, "b.json", &json!([1])).unwrap();
            } else {
                let bytes = serde_json::to_vec_pretty(&json!([1])).unwrap();
                writer.write_file("b.json", &bytes).unwrap();
            }
            t.join().unwrap();
        },
        None,
    );
    seen.lock().unwrap().clone()
}

#[test]
fn a_reader_sees_the_old_or_the_new_document_in_every_interleaving_of_safe_json_write() {
    let seen = reads_during_one_write(true);
    let expected = BTreeSet::from([Ok("[0]".to_string()), Ok("[1]".to_string())]);
    assert_eq!(seen, expected);
}

#[test]
fn a_reader_sees_a_partial_document_in_some_interleaving_of_an_in_place_write() {
    let seen = reads_during_one_write(false);
    let expected = BTreeSet::from([
        Ok("[0]".to_string()),
        Ok("[1]".to_string()),
        Err(String::new()),       // just after O_TRUNC
        Err("[\n  ".to_string()), // between the two 4-byte steps
    ]);
    assert_eq!(seen, expected);
}

/// What went wrong in one schedule of [`requeue_race`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Violation {
    /// A claim failed with this error (an I/O error of the claim itself).
    ClaimFailed(String),
    /// The claimed record names someone other than the last agent told Ok.
    RecordNames { record: String, told_ok: String },
}

/// Agent 1 claims the task and, if it got it, puts it back into
/// `available/` (an agent giving a task up); agents 2 and 3 claim at the
/// same time. Explored with PCT (seed 1, depth 4, `schedules` schedules);
/// returns the violations found: a claim must not fail, and the claimed
/// record must name the last agent that was told it claimed the task.
fn requeue_race(release: Release, schedules: usize) -> BTreeSet<Violation> {
    let pool = TaskPool::new(POOL, ClaimVariant::Locked).with_lock(release);
    let found = Arc::new(Mutex::new(BTreeSet::new()));
    let out = found.clone();
    let runner = Runner::new(PctScheduler::new_from_seed(1, 4, schedules), Config::new());
    runner.run(move || {
        let fs = SimFs::<ShuttleRuntime>::build(SimConfig {
            trace: false,
            ..SimConfig::default()
        });
        pool.add_task(&fs.spawn(), TASK, &task()).unwrap();
        let told_ok = Arc::new(Mutex::new(Vec::new()));
        let agents: Vec<_> = (1..=3)
            .map(|i| {
                let (p, pool, told_ok) = (fs.spawn(), pool.clone(), told_ok.clone());
                shuttle::thread::spawn(move || {
                    let agent = format!("agent-{i}");
                    let got = pool.claim_task(&p, &NoHistory, TASK, &agent);
                    if let Ok(Some(_)) = got {
                        told_ok.lock().unwrap().push(agent);
                        if i == 1 {
                            pool.add_task(&p, TASK, &task()).unwrap(); // requeue
                        }
                    }
                    got.err().map(|e| Violation::ClaimFailed(e.to_string()))
                })
            })
            .collect();
        let mut violations: BTreeSet<_> = agents
            .into_iter()
            .filter_map(|a| a.join().unwrap())
            .collect();
        let last_ok = told_ok.lock().unwrap().last().cloned().unwrap_or_default();
        let p = fs.spawn();
        let record: Value = safe_json_read(&p, pool.claimed_path(TASK), Value::Null).unwrap();
        let record = record["claimed_by"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if record != last_ok {
            violations.insert(Violation::RecordNames {
                record,
                told_ok: last_ok,
            });
        }
        out.lock().unwrap().extend(violations);
    });
    found.lock().unwrap().clone()
}

/// The seed's lock lifecycle: agent 2 waits on the old lock file while
/// agent 1 claims, releases and deletes it, and requeues the task; agent 2
/// then locks the deleted file while agent 3 locks a new one. Both read
/// the requeued task and write their claim; the one that deletes the task
/// file second fails with `ENOENT`, and the record may name it while the
/// other agent was told it has the task.
#[test]
fn unlink_on_release_lets_two_agents_hold_the_lock_of_a_requeued_task() {
    let found = requeue_race(Release::UnlinkOnRelease, 3000);
    let unlink_failed = Violation::ClaimFailed(
        "tasks/available/task-123.json: No such file or directory (os error 2)".to_string(),
    );
    assert!(found.contains(&unlink_failed), "{found:?}");
    let lies = found
        .iter()
        .any(|v| matches!(v, Violation::RecordNames { record, told_ok } if record != told_ok));
    assert!(
        lies,
        "the record names an agent that was told it failed: {found:?}"
    );
}

#[test]
fn keep_file_and_unlink_with_recheck_claim_a_requeued_task_once_in_3000_schedules() {
    for release in [Release::KeepFile, Release::UnlinkWithRecheck] {
        let found = requeue_race(release, 3000);
        assert!(found.is_empty(), "{release}: {found:?}");
    }
}
