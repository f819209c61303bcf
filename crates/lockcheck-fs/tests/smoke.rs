use lockcheck_fs::*;

#[test]
fn smoke() {
    let fs: SimFs = SimFs::new();
    let p = fs.spawn();
    let fd = p
        .open("a", OpenOptions::new().write(true).create_new(true))
        .unwrap();
    p.write_all(fd, b"hello").unwrap();
    p.close(fd).unwrap();
    assert_eq!(p.read_file("a").unwrap(), b"hello");
    p.mkdir("d").unwrap();
    p.rename("a", "d/b").unwrap();
    assert_eq!(p.read_dir("d").unwrap(), vec!["b".to_string()]);
    let q = fs.spawn();
    let f1 = p.open("d/b", OpenOptions::new()).unwrap();
    let f2 = q.open("d/b", OpenOptions::new()).unwrap();
    p.flock(f1, LockKind::Exclusive, Wait::NonBlock).unwrap();
    let e = q
        .flock(f2, LockKind::Exclusive, Wait::NonBlock)
        .unwrap_err();
    assert_eq!(errno_of(&e), Some(Errno::EWOULDBLOCK));
    for e in fs.trace() {
        println!("{e}");
    }
    println!("{}", fs.snapshot());
    println!("crash states {}", fs.crash_state_count());
    for s in fs.crash_states() {
        println!("--\n{s}");
    }
}
