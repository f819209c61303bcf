use std::time::Duration;

use lockcheck_fs::{Fs, ProcessInfo, SimFs};

use super::*;
use crate::history::{EventKind, History, NoHistory};

const STALE: Duration = Duration::from_secs(30);

fn lock(v: Refresh) -> LockFile {
    LockFile::new("", "task", v).stale_after(STALE)
}

#[test]
fn variant_names_round_trip() {
    for v in Refresh::ALL {
        assert_eq!(v.to_string().parse::<Refresh>(), Ok(v));
    }
    assert_eq!(
        "lockfile/write-temp-then-replace".parse(),
        Ok(Refresh::WriteTempThenReplace)
    );
    let e = "lockfile/nope".parse::<Refresh>().unwrap_err();
    assert!(e.to_string().contains("lockfile/fenced"), "{e}");
}

#[test]
fn a_held_lock_is_refused_to_another_owner_with_its_name() {
    for v in Refresh::ALL {
        let fs = SimFs::new();
        let (a, b) = (fs.spawn(), fs.spawn());
        let l = lock(v);
        l.acquire(&a, &NoHistory, "agent-a").unwrap();
        let e = l.acquire(&b, &NoHistory, "agent-b").unwrap_err();
        assert!(matches!(&e, LockError::Held { owner } if owner.starts_with("agent-a")));
        assert!(e.to_string().starts_with("held by agent-a"), "{v}: {e}");
    }
}

#[test]
fn a_lock_not_refreshed_within_stale_after_is_taken_over() {
    for v in Refresh::ALL {
        let fs = SimFs::new();
        let (a, b) = (fs.spawn(), fs.spawn());
        let l = lock(v);
        let lease_a = l.acquire(&a, &NoHistory, "agent-a").unwrap();
        fs.advance(STALE); // exactly stale_after old: still fresh
        assert!(l.acquire(&b, &NoHistory, "agent-b").is_err(), "{v}");
        l.refresh(&a, &NoHistory, &lease_a).unwrap();
        fs.advance(STALE + Duration::from_secs(1));
        let lease_b = l.acquire(&b, &NoHistory, "agent-b").unwrap();
        assert_eq!(l.read(&a).unwrap().unwrap().owner, "agent-b", "{v}");
        assert_eq!(lease_b.acquired_at, record::now_secs(&b));
        // The old holder is refused now, in every variant.
        assert!(matches!(
            l.refresh(&a, &NoHistory, &lease_a),
            Err(LockError::NotOwner { .. })
        ));
    }
}

#[test]
fn a_lock_whose_holder_died_is_taken_over() {
    for v in Refresh::ALL {
        let fs = SimFs::new();
        let a = fs.spawn();
        let b = fs.spawn();
        let l = lock(v);
        l.acquire(&a, &NoHistory, "agent-a").unwrap();
        fs.crash(a.pid());
        drop(a);
        assert_eq!(
            l.acquire(&b, &NoHistory, "agent-b").unwrap().owner,
            "agent-b"
        );
    }
}

#[test]
fn release_and_refresh_by_a_non_owner_are_refused() {
    for v in Refresh::ALL {
        let fs = SimFs::new();
        let (a, b) = (fs.spawn(), fs.spawn());
        let l = lock(v);
        let lease = l.acquire(&a, &NoHistory, "agent-a").unwrap();
        let forged = Record {
            owner: "agent-b".into(),
            ..lease.clone()
        };
        let h = History::new();
        assert!(matches!(
            l.release(&b, &h, &forged),
            Err(LockError::NotOwner { .. })
        ));
        assert!(matches!(
            l.refresh(&b, &h, &forged),
            Err(LockError::NotOwner { .. })
        ));
        assert!(a.exists(l.path()).unwrap());
        let kinds: Vec<_> = h.events().iter().map(|e| (e.op.clone(), e.kind)).collect();
        assert_eq!(kinds[1], ("lockfile/release".into(), EventKind::Fail));
        l.release(&a, &h, &lease).unwrap();
        assert!(!a.exists(l.path()).unwrap());
        assert!(matches!(
            l.release(&a, &h, &lease),
            Err(LockError::NotHeld { .. })
        ));
    }
}

#[test]
fn seed_variants_delete_a_corrupt_or_empty_record_and_acquire() {
    for v in [Refresh::UnlinkThenWrite, Refresh::WriteTempThenReplace] {
        for junk in [&b""[..], b"{\"owner\": \"agent-a\", \"pid"] {
            let fs = SimFs::new();
            let b = fs.spawn();
            let l = lock(v);
            b.write_file(l.path(), junk).unwrap();
            assert!(matches!(l.read(&b), Err(LockError::Corrupt { .. })));
            assert_eq!(
                l.acquire(&b, &NoHistory, "agent-b").unwrap().owner,
                "agent-b"
            );
        }
    }
}

#[test]
fn fenced_leaves_a_fresh_corrupt_record_alone_until_it_is_stale() {
    let fs = SimFs::new();
    let b = fs.spawn();
    let l = lock(Refresh::Fenced);
    b.write_file(l.path(), b"").unwrap();
    let e = l.acquire(&b, &NoHistory, "agent-b").unwrap_err();
    assert!(matches!(e, LockError::Corrupt { .. }), "{e}");
    fs.advance(STALE + Duration::from_secs(1));
    assert_eq!(l.acquire(&b, &NoHistory, "agent-b").unwrap().token, Some(1));
}

#[test]
fn fenced_tokens_increase_across_takeovers_and_the_old_holder_is_refused() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let l = lock(Refresh::Fenced);
    let lease_a = l.acquire(&a, &NoHistory, "agent").unwrap();
    fs.advance(STALE * 2); // a is paused past its lease
    // Same agent id, new process: only the token tells them apart.
    let lease_b = l.acquire(&b, &NoHistory, "agent").unwrap();
    assert!(lease_b.token > lease_a.token);
    let e = l.refresh(&a, &NoHistory, &lease_a).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not the owner: expected agent#1, the record says agent#2"
    );
    l.release(&b, &NoHistory, &lease_b).unwrap();
    assert_eq!(l.acquire(&a, &NoHistory, "agent").unwrap().token, Some(3));
    // Only the lock file and the counter remain.
    assert_eq!(a.read_dir(".").unwrap(), ["task.lock", "task.lock.token"]);
}

#[test]
fn operations_report_their_outcome_to_the_history() {
    let fs = SimFs::new();
    let a = fs.spawn();
    let h = History::new();
    let l = lock(Refresh::Fenced);
    let lease = l.acquire(&a, &h, "agent-a").unwrap();
    l.refresh(&a, &h, &lease).unwrap();
    let ev = h.events();
    let ops: Vec<_> = ev.iter().map(|e| (e.op.as_str(), e.kind)).collect();
    assert_eq!(
        ops,
        [
            ("lockfile/acquire", EventKind::Invoke),
            ("lockfile/acquire", EventKind::Ok),
            ("lockfile/refresh", EventKind::Invoke),
            ("lockfile/refresh", EventKind::Ok),
        ]
    );
    assert_eq!(ev[1].value["token"], 1);
    assert_eq!(ev[0].value["owner"], "agent-a");
}
