//! Writes of several steps (`SimConfig::torn_write_size`) under every
//! schedule: readers can see one half done, but writes and truncates of
//! the same inode wait for it, as Linux's inode lock makes them, and that
//! wait is a blocked wait the clock and the deadlock detector understand.
//! The kernel side of the writer claim is in the conformance suite
//! (`file_io::two_large_append_writes_never_interleave`).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Fs, OpenOptions, ProcessInfo, SimConfig, SimFs, SimProc};

type Seen = Arc<Mutex<BTreeSet<String>>>;

fn torn(bytes: usize) -> SimFs<ShuttleRuntime> {
    SimFs::build(SimConfig {
        torn_write_size: Some(bytes),
        ..SimConfig::default()
    })
}

fn appender(p: &SimProc<ShuttleRuntime>) -> lockcheck_fs::Fd {
    let opts = OpenOptions::new().write(true).create(true).append(true);
    p.open("f", opts).unwrap()
}

fn text(p: &SimProc<ShuttleRuntime>) -> String {
    String::from_utf8(p.read_file("f").unwrap()).unwrap()
}

/// Runs `body` under every schedule (shuttle's DFS) and returns what it
/// recorded, sorted.
fn every_schedule(body: impl Fn(&Seen) + Send + Sync + 'static) -> Vec<String> {
    let seen: Seen = Arc::default();
    let out = seen.clone();
    shuttle::check_dfs(move || body(&out), None);
    let seen = seen.lock().unwrap();
    seen.iter().cloned().collect()
}

#[test]
fn two_torn_appends_never_interleave_while_a_reader_sees_them_half_done() {
    let reads: Seen = Arc::default();
    let reads_out = reads.clone();
    let ends = every_schedule(move |ends| {
        let fs = torn(4);
        let (a, b, r) = (fs.spawn(), fs.spawn(), fs.spawn());
        let reads = reads_out.clone();
        let reader = shuttle::thread::spawn(move || {
            let seen = String::from_utf8(r.read_file("f").unwrap_or_default()).unwrap();
            reads.lock().unwrap().insert(seen);
        });
        let writer = shuttle::thread::spawn(move || {
            let fd = appender(&b);
            assert_eq!(b.write(fd, b"bbbbbbbb").unwrap(), 8);
        });
        let fd = appender(&a);
        assert_eq!(a.write(fd, b"aaaaaaaa").unwrap(), 8);
        writer.join().unwrap();
        reader.join().unwrap();
        ends.lock().unwrap().insert(text(&a));
    });
    assert_eq!(ends, ["aaaaaaaabbbbbbbb", "bbbbbbbbaaaaaaaa"]);
    let reads: Vec<String> = reads.lock().unwrap().iter().cloned().collect();
    // Every prefix a reader can meet: whole parts of one write, then the other.
    assert_eq!(
        reads,
        [
            "",
            "aaaa",
            "aaaaaaaa",
            "aaaaaaaabbbb",
            "aaaaaaaabbbbbbbb",
            "bbbb",
            "bbbbbbbb",
            "bbbbbbbbaaaa",
            "bbbbbbbbaaaaaaaa",
        ]
    );
}

#[test]
fn a_truncate_waits_for_a_torn_write_to_the_same_file_to_finish() {
    let ends = every_schedule(|ends| {
        let fs = torn(4);
        let (w, t) = (fs.spawn(), fs.spawn());
        let fd = w
            .open("f", OpenOptions::new().write(true).create(true))
            .unwrap();
        let tfd = t.open("f", OpenOptions::new().write(true)).unwrap();
        let truncater = shuttle::thread::spawn(move || t.set_len(tfd, 2).unwrap());
        assert_eq!(w.write_at(fd, b"abcdefgh", 0).unwrap(), 8);
        truncater.join().unwrap();
        ends.lock().unwrap().insert(text(&w));
    });
    // Never "ab\0\0efgh": the truncate never lands between two parts.
    assert_eq!(ends, ["ab", "abcdefgh"]);
}

#[test]
fn an_o_trunc_open_waits_for_a_torn_write_to_the_same_file_to_finish() {
    let ends = every_schedule(|ends| {
        let fs = torn(4);
        let (w, t) = (fs.spawn(), fs.spawn());
        let fd = w
            .open("f", OpenOptions::new().write(true).create(true))
            .unwrap();
        let truncater = shuttle::thread::spawn(move || {
            let opts = OpenOptions::new().write(true).truncate(true);
            t.open("f", opts).unwrap();
        });
        assert_eq!(w.write_at(fd, b"abcdefgh", 0).unwrap(), 8);
        truncater.join().unwrap();
        ends.lock().unwrap().insert(text(&w));
    });
    assert_eq!(ends, ["", "abcdefgh"]);
}

#[test]
fn a_write_waiting_for_a_paused_writer_is_no_deadlock_and_the_clock_moves() {
    let outcomes = every_schedule(|seen| {
        let fs = torn(4);
        let (a, b) = (fs.spawn(), fs.spawn());
        let a_pid = a.pid();
        let pauser = {
            let fs = fs.clone();
            shuttle::thread::spawn(move || {
                let _ = fs.pause(a_pid, Duration::from_secs(10));
            })
        };
        let writer = shuttle::thread::spawn(move || {
            let fd = appender(&b);
            assert_eq!(b.write(fd, b"bb").unwrap(), 2);
        });
        let fd = appender(&a);
        assert_eq!(a.write(fd, b"aaaaaaaa").unwrap(), 8);
        writer.join().unwrap();
        pauser.join().unwrap();
        let paused = fs.elapsed() == Duration::from_secs(10);
        seen.lock()
            .unwrap()
            .insert(format!("{} {paused}", text(&a)));
    });
    assert!(
        outcomes
            .iter()
            .all(|o| o.starts_with("aaaaaaaabb ") || o.starts_with("bbaaaaaaaa "))
    );
    assert!(
        outcomes.contains(&"aaaaaaaabb true".to_string()),
        "{outcomes:?}"
    );
}

#[test]
fn a_torn_write_goes_whole_to_the_file_it_began_on_when_its_descriptor_is_closed_and_reused() {
    // One thread writes 8 bytes in two parts through descriptor N; another
    // thread of the process closes N and opens "b", which gets N. As the
    // kernel holds the file for the whole call, the write never splits
    // between the two files: each file ends with all of it or none.
    let ends = every_schedule(|ends| {
        let fs = torn(4);
        let p = fs.spawn();
        let create = OpenOptions::new().write(true).create(true);
        let fd = p.open("a", create).unwrap();
        let writer = p.thread();
        let w = shuttle::thread::spawn(move || {
            let _ = writer.write(fd, b"wwwwwwww");
        });
        p.close(fd).unwrap();
        assert_eq!(p.open("b", create).unwrap(), fd, "the number is reused");
        w.join().unwrap();
        let a = String::from_utf8(p.read_file("a").unwrap()).unwrap();
        let b = String::from_utf8(p.read_file("b").unwrap()).unwrap();
        ends.lock().unwrap().insert(format!("a={a:?} b={b:?}"));
    });
    assert_eq!(
        ends,
        [
            r#"a="" b="""#,
            r#"a="" b="wwwwwwww""#,
            r#"a="wwwwwwww" b="""#,
        ]
    );
}
