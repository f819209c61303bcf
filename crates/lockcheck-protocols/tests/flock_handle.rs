//! The kept-open flock handle: one open per process, then a flock pair
//! per acquisition, mutually exclusive across processes and threads with
//! their own handles, on the real kernel and on SimFs.

use std::sync::Arc;
use std::thread;

use lockcheck_fs::{Fs, RealFs, SimFs, Wait};
use lockcheck_protocols::flock_lock::{FlockError, FlockLock, Release};

fn counter(p: &impl Fs) -> u64 {
    p.read_file("count")
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn kept_open_handles_of_four_real_threads_lose_no_increment() {
    let dir = tempfile::tempdir().unwrap();
    let fs = Arc::new(RealFs::new(dir.path()).unwrap());
    let lock = FlockLock::new("locks", Release::KeepFile);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (fs, lock) = (fs.clone(), lock.clone());
            thread::spawn(move || {
                let mut h = lock.handle(&*fs, "count").unwrap();
                for _ in 0..50 {
                    assert!(h.lock(&*fs, Wait::Block).unwrap());
                    let n = counter(&*fs);
                    fs.write_file("count", (n + 1).to_string().as_bytes())
                        .unwrap();
                    h.unlock(&*fs).unwrap();
                }
                h.close(&*fs).unwrap();
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(counter(&*fs), 200);
}

#[test]
fn a_kept_open_handle_excludes_another_process_until_it_unlocks() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let lock = FlockLock::new("", Release::KeepFile);
    let mut ha = lock.handle(&a, "k").unwrap();
    let mut hb = lock.handle(&b, "k").unwrap();
    assert!(ha.lock(&a, Wait::NonBlock).unwrap());
    assert!(ha.is_held());
    assert!(!hb.lock(&b, Wait::NonBlock).unwrap());
    ha.unlock(&a).unwrap();
    assert!(hb.lock(&b, Wait::NonBlock).unwrap());
    ha.close(&a).unwrap();
    hb.close(&b).unwrap();
}

#[test]
fn a_kept_open_handle_is_refused_for_variants_that_delete_the_lock_file() {
    let fs = SimFs::new();
    let p = fs.spawn();
    for release in [Release::UnlinkOnRelease, Release::UnlinkWithRecheck] {
        let e = FlockLock::new("", release).handle(&p, "k").unwrap_err();
        assert!(matches!(e, FlockError::HandleNeedsKeepFile { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "a kept-open lock handle needs flock/keep-file, not {}",
                release.name()
            )
        );
    }
}
