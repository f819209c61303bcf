//! Claims about the checker itself: unknown outcomes, failed operations,
//! budgets, partitions, witnesses and counterexamples.

use std::time::Duration;

use lockcheck_lincheck::html::render_html;
use lockcheck_lincheck::specs::*;
use lockcheck_lincheck::{
    CheckOptions, History, HistoryError, OpId, UnknownReason, Verdict, check, check_with,
};

use RegisterInput as I;
use RegisterOutput as O;

#[test]
fn an_info_operation_may_take_effect_after_a_later_call() {
    // p1 writes 1 and times out; p2 then reads nil, and later reads 1.
    let mut h = History::new();
    h.invoke(1, I::Write(1)).unwrap();
    h.info(1).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(None)).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(Some(1))).unwrap();
    let v = check(&RegisterSpec, &h);
    assert_eq!(
        v,
        Verdict::Linearizable {
            witness: vec![OpId(1), OpId(0), OpId(2)]
        }
    );
}

#[test]
fn an_info_operation_may_never_take_effect() {
    let mut h = History::new();
    h.invoke(1, I::Write(1)).unwrap();
    h.info(1).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(None)).unwrap();
    assert_eq!(
        check(&RegisterSpec, &h),
        Verdict::Linearizable {
            witness: vec![OpId(1)]
        }
    );
}

#[test]
fn an_info_operation_cannot_take_effect_before_its_call() {
    let mut h = History::new();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(Some(1))).unwrap();
    h.invoke(1, I::Write(1)).unwrap();
    h.info(1).unwrap();
    assert!(check(&RegisterSpec, &h).is_not_linearizable());
}

#[test]
fn a_pending_operation_counts_as_unknown() {
    let mut h = History::new();
    h.invoke(1, I::Write(7)).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(Some(7))).unwrap();
    assert!(check(&RegisterSpec, &h).is_linearizable());
}

#[test]
fn a_failed_operation_did_not_happen() {
    let mut h = History::new();
    h.invoke(1, I::Write(1)).unwrap();
    h.fail(1).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(Some(1))).unwrap();
    assert!(check(&RegisterSpec, &h).is_not_linearizable());
}

#[test]
fn a_process_cannot_invoke_twice_without_a_completion() {
    let mut h: History<RegisterInput, RegisterOutput> = History::new();
    h.invoke(1, I::Read).unwrap();
    assert_eq!(
        h.invoke(1, I::Read),
        Err(HistoryError::AlreadyPending {
            process: 1,
            pending: OpId(0)
        })
    );
    assert_eq!(
        h.ok(2, O::Written),
        Err(HistoryError::NothingPending { process: 2 })
    );
}

#[test]
fn a_counterexample_names_the_longest_prefix_and_the_stuck_operations() {
    // write 1; write 2; then a read of 1 after both returned.
    let mut h = History::new();
    h.invoke(1, I::Write(1)).unwrap();
    h.ok(1, O::Written).unwrap();
    h.invoke(1, I::Write(2)).unwrap();
    h.ok(1, O::Written).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(Some(1))).unwrap();
    let Verdict::NotLinearizable(c) = check(&RegisterSpec, &h) else {
        panic!("expected a failure")
    };
    assert_eq!(c.longest_prefix, vec![OpId(0), OpId(1)]);
    assert_eq!(c.unplaceable, vec![OpId(2)]);
}

/// A history whose search is exponential without a memo and large with
/// one: many concurrent info writes and a final impossible read.
fn hard_history(n: u64) -> History<RegisterInput, RegisterOutput> {
    let mut h = History::new();
    for p in 0..n {
        h.invoke(p, I::Write(p as i64)).unwrap();
    }
    for p in 0..n {
        h.info(p).unwrap();
    }
    for p in 0..n {
        h.invoke(
            100 + p,
            I::Cas {
                from: p as i64,
                to: 1000 + p as i64,
            },
        )
        .unwrap();
    }
    for p in 0..n {
        h.ok(100 + p, O::Cas(true)).unwrap();
    }
    h.invoke(999, I::Read).unwrap();
    h.ok(999, O::Read(Some(-1))).unwrap();
    h
}

#[test]
fn a_small_memory_budget_gives_unknown_not_a_guess() {
    let v = check_with(
        &RegisterSpec,
        &hard_history(12),
        &CheckOptions::default().with_memory_limit(10_000),
    );
    assert!(
        matches!(
            v,
            Verdict::Unknown {
                reason: UnknownReason::MemoryLimit { .. }
            }
        ),
        "{v}"
    );
}

#[test]
fn a_time_budget_gives_unknown_not_a_guess() {
    let v = check_with(
        &RegisterSpec,
        &hard_history(22),
        &CheckOptions::default()
            .with_time_limit(Duration::from_millis(20))
            .with_memory_limit(256 << 20),
    );
    assert!(
        matches!(
            v,
            Verdict::Unknown {
                reason: UnknownReason::TimeLimit { .. }
            }
        ),
        "{v}"
    );
}

#[test]
fn the_same_history_with_enough_budget_is_decided() {
    assert!(check(&RegisterSpec, &hard_history(6)).is_not_linearizable());
}

#[test]
fn a_witness_across_partitions_respects_real_time() {
    let spec = KvSpec::per_key();
    let mut h = History::new();
    h.invoke(1, spec.put("a", "1")).unwrap(); // 0
    h.ok(1, KvOutput::Done).unwrap();
    h.invoke(2, spec.put("b", "2")).unwrap(); // 1
    h.invoke(1, spec.get("a")).unwrap(); // 2
    h.ok(2, KvOutput::Done).unwrap();
    h.ok(1, spec.saw("1")).unwrap();
    h.invoke(3, spec.get("b")).unwrap(); // 3
    h.ok(3, spec.saw("2")).unwrap();
    let Verdict::Linearizable { witness } = check(&spec, &h) else {
        panic!("linearizable")
    };
    assert_eq!(witness, vec![OpId(0), OpId(1), OpId(2), OpId(3)]);
}

#[test]
fn a_bad_partition_is_found_behind_a_slow_one() {
    // Partition "slow" needs a long search; partition "bad" fails at once.
    let spec = KvSpec::per_key();
    let mut h = History::new();
    for p in 0..14 {
        h.invoke(p, spec.append("slow", &format!("{p} "))).unwrap();
    }
    for p in 0..14 {
        h.info(p).unwrap();
    }
    h.invoke(50, spec.get("slow")).unwrap();
    h.ok(50, spec.saw("impossible")).unwrap();
    h.invoke(51, spec.get("bad")).unwrap();
    h.ok(51, spec.saw("x")).unwrap();
    let Verdict::NotLinearizable(c) = check_with(
        &spec,
        &h,
        &CheckOptions::default().with_time_limit(Duration::from_secs(20)),
    ) else {
        panic!("expected a failure")
    };
    assert_eq!(c.partition, 1);
    assert_eq!(c.unplaceable, vec![OpId(15)]);
}

#[test]
fn the_html_timeline_is_one_self_contained_file() {
    let mut h = History::new();
    h.invoke(1, I::Write(1)).unwrap();
    h.ok(1, O::Written).unwrap();
    h.invoke(2, I::Read).unwrap();
    h.ok(2, O::Read(None)).unwrap();
    let v = check(&RegisterSpec, &h);
    let html = render_html(&h, Some(&v), "register </script>");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("\"unplaceable\":[1]"), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("register </script>"));
}

#[test]
fn the_html_of_thousands_of_operations_stays_small() {
    let mut h = History::new();
    for i in 0..5000 {
        h.invoke(i % 7, I::Write(i as i64)).unwrap();
        h.ok(i % 7, O::Written).unwrap();
    }
    let v = check(&RegisterSpec, &h);
    let html = render_html(&h, Some(&v), "big");
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
}

#[test]
fn threads_share_a_recorder_and_check_what_it_recorded() {
    use lockcheck_lincheck::Recorder;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    let rec: Recorder<RegisterInput, RegisterOutput> = Recorder::new();
    let register = Arc::new(AtomicI64::new(-1));
    let handles: Vec<_> = (0..4u64)
        .map(|p| {
            let rec = rec.clone();
            let register = Arc::clone(&register);
            std::thread::spawn(move || {
                for k in 0..50 {
                    if k % 2 == 0 {
                        rec.invoke(p, I::Write(p as i64)).unwrap();
                        register.store(p as i64, Ordering::SeqCst);
                        rec.ok(p, O::Written).unwrap();
                    } else {
                        rec.invoke(p, I::Read).unwrap();
                        let v = register.load(Ordering::SeqCst);
                        rec.ok(p, O::Read((v >= 0).then_some(v))).unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let h = rec.take();
    assert_eq!(h.len(), 200);
    assert!(check(&RegisterSpec, &h).is_linearizable());
}
