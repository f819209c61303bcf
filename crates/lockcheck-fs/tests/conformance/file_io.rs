//! open, read, write, seek, set_len, descriptors, fsync.

use std::io::SeekFrom;

use lockcheck_fs::{Errno, Fd, Fs, LockApi, LockKind, OpenOptions, Wait};

use crate::{World, assert_errno, get, open, pread_all, put, ro, rw, rw_create, wo};

conformance! {
    create_new_fails_with_eexist_on_an_existing_file_or_directory,
    create_opens_an_existing_file_without_truncating_it,
    create_in_a_missing_directory_fails_with_enoent,
    a_path_through_a_file_fails_with_enotdir,
    open_of_a_missing_file_without_create_fails_with_enoent,
    truncate_on_open_makes_the_empty_file_visible_at_once_to_other_processes,
    truncate_on_a_read_only_open_still_truncates,
    opening_a_directory_for_writing_creating_or_truncating_fails_with_eisdir,
    append_writes_always_go_to_the_end,
    pwrite_on_an_append_descriptor_appends_and_keeps_the_offset,
    pread_and_pwrite_leave_the_offset_alone,
    seek_past_the_end_then_write_leaves_a_zero_filled_hole,
    set_len_shrinks_and_extends_with_zeros_and_keeps_the_offset,
    negative_seek_fails_with_einval_and_keeps_the_offset,
    reads_at_and_past_the_end_return_zero_bytes,
    each_open_has_its_own_offset,
    writes_are_visible_to_other_processes_at_once,
    read_on_a_write_only_descriptor_fails_with_ebadf,
    write_on_a_read_only_descriptor_fails_with_ebadf,
    set_len_on_a_read_only_descriptor_fails_with_einval,
    reading_a_directory_descriptor_fails_with_eisdir,
    calls_on_a_closed_or_never_opened_descriptor_fail_with_ebadf,
    descriptors_are_the_lowest_free_number_from_three_and_reused_after_close,
    fsync_and_fsync_dir_succeed_on_files_and_directories,
    fsync_dir_of_a_file_fails_with_enotdir_and_of_a_missing_name_with_enoent,
}

fn create_new_fails_with_eexist_on_an_existing_file_or_directory<W: World>(w: &W) {
    let p = w.process();
    let excl = OpenOptions::new().write(true).create_new(true);
    let fd = open(&p, "f", excl);
    assert_eq!(p.fstat(fd).unwrap().size, 0);
    p.write_all(fd, b"first").unwrap();
    assert_errno(p.open("f", excl), Errno::EEXIST);
    assert_errno(p.open("f", excl.truncate(true)), Errno::EEXIST);
    assert_eq!(
        get(&p, "f"),
        b"first",
        "a failed O_EXCL open leaves the file alone"
    );
    p.mkdir("d").unwrap();
    assert_errno(p.open("d", excl), Errno::EEXIST);
    assert_errno(
        p.open("d", OpenOptions::new().create_new(true)),
        Errno::EEXIST,
    );
    p.close(fd).unwrap();
}

fn create_opens_an_existing_file_without_truncating_it<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"keep");
    let ino = p.stat("f").unwrap().ino;
    let fd = open(&p, "f", rw_create());
    assert_eq!(p.fstat(fd).unwrap().ino, ino);
    assert_eq!(p.read_to_end(fd).unwrap(), b"keep");
    p.close(fd).unwrap();
    let fd = open(&p, "new", OpenOptions::new().create(true));
    let st = p.fstat(fd).unwrap();
    assert_eq!(
        (st.size, st.nlink),
        (0, 1),
        "create on a read-only open creates"
    );
    p.close(fd).unwrap();
}

fn create_in_a_missing_directory_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    assert_errno(p.open("nodir/f", rw_create()), Errno::ENOENT);
    let excl = OpenOptions::new().write(true).create_new(true);
    assert_errno(p.open("nodir/f", excl), Errno::ENOENT);
    assert!(p.read_dir(".").unwrap().is_empty());
}

fn a_path_through_a_file_fails_with_enotdir<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.open("f/x", ro()), Errno::ENOTDIR);
    assert_errno(p.open("f/x", rw_create()), Errno::ENOTDIR);
    assert_errno(p.open("f/x/y", rw_create()), Errno::ENOTDIR);
}

fn open_of_a_missing_file_without_create_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    assert_errno(p.open("missing", ro()), Errno::ENOENT);
    assert_errno(p.open("missing", rw().truncate(true)), Errno::ENOENT);
    assert!(!p.exists("missing").unwrap());
}

fn truncate_on_open_makes_the_empty_file_visible_at_once_to_other_processes<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "f", b"old data");
    let reader = open(&q, "f", ro());
    let ino = q.fstat(reader).unwrap().ino;
    let writer = open(&p, "f", wo().truncate(true));
    // Nothing written yet and the writer still open: readers see it empty.
    assert_eq!(pread_all(&q, reader), b"");
    let st = q.fstat(reader).unwrap();
    assert_eq!(
        (st.ino, st.size),
        (ino, 0),
        "same inode, truncated in place"
    );
    assert_eq!(q.stat("f").unwrap().size, 0);
    assert_eq!(get(&q, "f"), b"");
    p.write_all(writer, b"new").unwrap();
    assert_eq!(pread_all(&q, reader), b"new");
    p.close(writer).unwrap();
    q.close(reader).unwrap();
}

fn truncate_on_a_read_only_open_still_truncates<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"data");
    let fd = open(&p, "f", ro().truncate(true));
    assert_eq!(p.fstat(fd).unwrap().size, 0);
    assert_eq!(get(&p, "f"), b"");
    assert_errno(p.write(fd, b"x"), Errno::EBADF);
    p.close(fd).unwrap();
}

fn opening_a_directory_for_writing_creating_or_truncating_fails_with_eisdir<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    put(&p, "d/f", b"");
    for opts in [
        wo(),
        rw(),
        OpenOptions::new().append(true),
        OpenOptions::new().create(true),
        rw_create(),
        ro().truncate(true),
    ] {
        assert_errno(p.open("d", opts), Errno::EISDIR);
    }
    let fd = open(&p, "d", ro());
    p.close(fd).unwrap();
    assert_eq!(p.read_dir("d").unwrap(), ["f"]);
}

fn append_writes_always_go_to_the_end<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "log", b"one\n");
    let fd = open(&p, "log", OpenOptions::new().append(true));
    assert_eq!(
        p.seek(fd, SeekFrom::Current(0)).unwrap(),
        0,
        "O_APPEND opens at 0"
    );
    p.write_all(fd, b"two\n").unwrap();
    assert_eq!(p.seek(fd, SeekFrom::Current(0)).unwrap(), 8);
    let other = open(&q, "log", wo());
    q.write_at(other, b"three\n", 8).unwrap();
    p.seek(fd, SeekFrom::Start(0)).unwrap();
    p.write_all(fd, b"four\n").unwrap();
    assert_eq!(p.seek(fd, SeekFrom::Current(0)).unwrap(), 19);
    assert_eq!(get(&q, "log"), b"one\ntwo\nthree\nfour\n");
    p.close(fd).unwrap();
    q.close(other).unwrap();
}

fn pwrite_on_an_append_descriptor_appends_and_keeps_the_offset<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"abc");
    let fd = open(&p, "f", OpenOptions::new().read(true).append(true));
    assert_eq!(p.write_at(fd, b"XY", 0).unwrap(), 2);
    assert_eq!(
        get(&p, "f"),
        b"abcXY",
        "Linux ignores pwrite's offset under O_APPEND"
    );
    assert_eq!(p.seek(fd, SeekFrom::Current(0)).unwrap(), 0);
    p.close(fd).unwrap();
}

fn pread_and_pwrite_leave_the_offset_alone<W: World>(w: &W) {
    let p = w.process();
    let fd = open(&p, "f", rw_create());
    p.write_all(fd, b"0123456789").unwrap();
    p.seek(fd, SeekFrom::Start(2)).unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(p.read_at(fd, &mut buf, 5).unwrap(), 3);
    assert_eq!(&buf, b"567");
    assert_eq!(p.write_at(fd, b"ab", 8).unwrap(), 2);
    assert_eq!(p.seek(fd, SeekFrom::Current(0)).unwrap(), 2);
    assert_eq!(p.read(fd, &mut buf).unwrap(), 3);
    assert_eq!(&buf, b"234");
    assert_eq!(pread_all(&p, fd), b"01234567ab");
    p.close(fd).unwrap();
}

fn seek_past_the_end_then_write_leaves_a_zero_filled_hole<W: World>(w: &W) {
    let p = w.process();
    let fd = open(&p, "f", rw_create());
    p.write_all(fd, b"ab").unwrap();
    assert_eq!(p.seek(fd, SeekFrom::Start(5)).unwrap(), 5);
    assert_eq!(
        p.fstat(fd).unwrap().size,
        2,
        "seeking alone does not extend"
    );
    p.write_all(fd, b"cd").unwrap();
    assert_eq!(pread_all(&p, fd), b"ab\0\0\0cd");
    assert_eq!(p.seek(fd, SeekFrom::End(3)).unwrap(), 10);
    p.write_all(fd, b"e").unwrap();
    assert_eq!(pread_all(&p, fd), b"ab\0\0\0cd\0\0\0e");
    p.write_at(fd, b"z", 13).unwrap();
    assert_eq!(p.fstat(fd).unwrap().size, 14);
    assert_eq!(&pread_all(&p, fd)[11..], b"\0\0z");
    p.close(fd).unwrap();
}

fn set_len_shrinks_and_extends_with_zeros_and_keeps_the_offset<W: World>(w: &W) {
    let p = w.process();
    let fd = open(&p, "f", rw_create());
    p.write_all(fd, b"abcdef").unwrap();
    p.set_len(fd, 3).unwrap();
    assert_eq!(pread_all(&p, fd), b"abc");
    assert_eq!(p.seek(fd, SeekFrom::Current(0)).unwrap(), 6);
    p.set_len(fd, 5).unwrap();
    assert_eq!(pread_all(&p, fd), b"abc\0\0");
    p.write_all(fd, b"g").unwrap();
    assert_eq!(pread_all(&p, fd), b"abc\0\0\0g");
    p.close(fd).unwrap();
}

fn negative_seek_fails_with_einval_and_keeps_the_offset<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"abcd");
    let fd = open(&p, "f", ro());
    assert_eq!(p.seek(fd, SeekFrom::Start(2)).unwrap(), 2);
    assert_errno(p.seek(fd, SeekFrom::Current(-3)), Errno::EINVAL);
    assert_errno(p.seek(fd, SeekFrom::End(-5)), Errno::EINVAL);
    assert_eq!(p.seek(fd, SeekFrom::Current(0)).unwrap(), 2);
    assert_eq!(p.seek(fd, SeekFrom::End(-1)).unwrap(), 3);
    assert_eq!(p.seek(fd, SeekFrom::Current(-3)).unwrap(), 0);
    p.close(fd).unwrap();
}

fn reads_at_and_past_the_end_return_zero_bytes<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"abc");
    let fd = open(&p, "f", ro());
    let mut buf = [0u8; 8];
    assert_eq!(p.read(fd, &mut buf).unwrap(), 3, "a short read at the end");
    assert_eq!(p.read(fd, &mut buf).unwrap(), 0);
    assert_eq!(p.read_at(fd, &mut buf, 100).unwrap(), 0);
    assert_eq!(p.read(fd, &mut []).unwrap(), 0);
    p.close(fd).unwrap();
    let fd = open(&p, "f", wo());
    assert_eq!(p.write(fd, b"").unwrap(), 0);
    assert_eq!(get(&p, "f"), b"abc");
    p.close(fd).unwrap();
}

fn each_open_has_its_own_offset<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"abcdef");
    let (a, b) = (open(&p, "f", ro()), open(&p, "f", ro()));
    let mut buf = [0u8; 2];
    p.read(a, &mut buf).unwrap();
    p.read(a, &mut buf).unwrap();
    assert_eq!(&buf, b"cd");
    p.read(b, &mut buf).unwrap();
    assert_eq!(&buf, b"ab");
    p.close(a).unwrap();
    p.close(b).unwrap();
}

fn writes_are_visible_to_other_processes_at_once<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    let wfd = open(&p, "f", wo().create(true));
    let rfd = open(&q, "f", ro());
    p.write_all(wfd, b"partial").unwrap();
    assert_eq!(pread_all(&q, rfd), b"partial", "no close or fsync needed");
    assert_eq!(q.stat("f").unwrap().size, 7);
    p.close(wfd).unwrap();
    q.close(rfd).unwrap();
}

fn read_on_a_write_only_descriptor_fails_with_ebadf<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"data");
    for opts in [wo(), OpenOptions::new().append(true)] {
        let fd = open(&p, "f", opts);
        let mut buf = [0u8; 4];
        assert_errno(p.read(fd, &mut buf), Errno::EBADF);
        assert_errno(p.read_at(fd, &mut buf, 0), Errno::EBADF);
        p.close(fd).unwrap();
    }
}

fn write_on_a_read_only_descriptor_fails_with_ebadf<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"data");
    let fd = open(&p, "f", ro());
    assert_errno(p.write(fd, b"x"), Errno::EBADF);
    assert_errno(p.write_at(fd, b"x", 0), Errno::EBADF);
    assert_errno(p.write_all(fd, b"x"), Errno::EBADF);
    let fd2 = open(&p, "f", OpenOptions::new());
    assert_errno(p.write(fd2, b"x"), Errno::EBADF);
    assert_eq!(get(&p, "f"), b"data");
    p.close(fd).unwrap();
    p.close(fd2).unwrap();
}

fn set_len_on_a_read_only_descriptor_fails_with_einval<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"data");
    let fd = open(&p, "f", ro());
    assert_errno(p.set_len(fd, 0), Errno::EINVAL);
    assert_eq!(get(&p, "f"), b"data");
    p.close(fd).unwrap();
    let fd = open(&p, "f", wo());
    p.set_len(fd, 1).unwrap();
    assert_eq!(get(&p, "f"), b"d");
    p.close(fd).unwrap();
}

fn reading_a_directory_descriptor_fails_with_eisdir<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    let fd = open(&p, "d", ro());
    let mut buf = [0u8; 8];
    assert_errno(p.read(fd, &mut buf), Errno::EISDIR);
    assert_errno(p.read_at(fd, &mut buf, 0), Errno::EISDIR);
    assert_errno(p.write(fd, b"x"), Errno::EBADF);
    assert_errno(p.set_len(fd, 0), Errno::EINVAL);
    p.close(fd).unwrap();
}

fn calls_on_a_closed_or_never_opened_descriptor_fail_with_ebadf<W: World>(w: &W) {
    let p = w.process();
    let fd = open(&p, "f", rw_create());
    p.close(fd).unwrap();
    for bad in [fd, Fd(0), Fd(2), Fd(99)] {
        let mut buf = [0u8; 4];
        assert_errno(p.close(bad), Errno::EBADF);
        assert_errno(p.read(bad, &mut buf), Errno::EBADF);
        assert_errno(p.read_at(bad, &mut buf, 0), Errno::EBADF);
        assert_errno(p.write(bad, b"x"), Errno::EBADF);
        assert_errno(p.write_at(bad, b"x", 0), Errno::EBADF);
        assert_errno(p.seek(bad, SeekFrom::Start(0)), Errno::EBADF);
        assert_errno(p.set_len(bad, 0), Errno::EBADF);
        assert_errno(p.fsync(bad), Errno::EBADF);
        assert_errno(p.fstat(bad), Errno::EBADF);
        for api in [LockApi::Flock, LockApi::Posix, LockApi::Ofd] {
            let locked = p.lock(bad, api, LockKind::Exclusive, Wait::NonBlock);
            assert_errno(locked, Errno::EBADF);
            assert_errno(p.unlock(bad, api), Errno::EBADF);
        }
    }
    assert_eq!(get(&p, "f"), b"");
}

fn descriptors_are_the_lowest_free_number_from_three_and_reused_after_close<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "f", b"");
    let fds: Vec<Fd> = (0..4).map(|_| open(&p, "f", ro())).collect();
    assert_eq!(fds, [Fd(3), Fd(4), Fd(5), Fd(6)]);
    p.close(Fd(4)).unwrap();
    p.close(Fd(3)).unwrap();
    assert_eq!(open(&q, "f", ro()), Fd(3), "each process has its own table");
    assert_eq!(open(&p, "f", ro()), Fd(3));
    assert_eq!(open(&p, "f", ro()), Fd(4));
    assert_eq!(open(&p, "f", ro()), Fd(7));
    assert_errno(p.open("missing", ro()), Errno::ENOENT);
    assert_eq!(open(&p, "f", ro()), Fd(8), "a failed open takes no number");
    for n in 3..=8 {
        p.close(Fd(n)).unwrap();
    }
    assert_eq!(open(&p, "f", ro()), Fd(3));
}

fn fsync_and_fsync_dir_succeed_on_files_and_directories<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    let fd = open(&p, "d/f", wo().create(true));
    p.write_all(fd, b"data").unwrap();
    p.fsync(fd).unwrap();
    let rfd = open(&p, "d/f", ro());
    p.fsync(rfd).unwrap();
    let dfd = open(&p, "d", ro());
    p.fsync(dfd).unwrap();
    p.fsync_dir("d").unwrap();
    p.fsync_dir(".").unwrap();
    p.fsync_dir("/").unwrap();
    assert_eq!(get(&p, "d/f"), b"data");
    for fd in [fd, rfd, dfd] {
        p.close(fd).unwrap();
    }
}

fn fsync_dir_of_a_file_fails_with_enotdir_and_of_a_missing_name_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.fsync_dir("f"), Errno::ENOTDIR);
    assert_errno(p.fsync_dir("missing"), Errno::ENOENT);
    assert_errno(p.fsync_dir("f/x"), Errno::ENOTDIR);
}

/// One write's size: large enough that the kernel copies it in many pages.
const MIB: usize = 1 << 20;

/// Two threads of two processes each append 1 MiB with one `write`: the
/// inode lock serializes them on Linux, so the file is one write whole,
/// then the other. On SimFs the writes are torn into 64 KiB steps, which
/// readers could see half done, and still never interleave.
fn two_large_append_writes_never_interleave<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    let opts = OpenOptions::new().write(true).create(true).append(true);
    let (fp, fq) = (open(&p, "f", opts), open(&q, "f", opts));
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(q.write(fq, &[b'q'; MIB]).unwrap(), MIB));
        assert_eq!(p.write(fp, &[b'p'; MIB]).unwrap(), MIB);
    });
    let data = get(&p, "f");
    assert_eq!(data.len(), 2 * MIB);
    let (first, second) = data.split_at(MIB);
    let whole = |half: &[u8]| half.iter().all(|&b| b == half[0]);
    assert!(
        whole(first) && whole(second) && first[0] != second[0],
        "interleaved: the first MiB starts {:?}, the second {:?}",
        &first[..8],
        &second[..8]
    );
    p.close(fp).unwrap();
    q.close(fq).unwrap();
}

mod two_large_append_writes_never_interleave {
    #[test]
    fn real() {
        let w = crate::RealWorld::new();
        super::two_large_append_writes_never_interleave(&w);
        w.close();
    }

    #[test]
    fn sim_with_torn_writes() {
        let config = lockcheck_fs::SimConfig {
            torn_write_size: Some(64 << 10),
            ..lockcheck_fs::SimConfig::default()
        };
        super::two_large_append_writes_never_interleave(&crate::SimWorld::with_config(config));
    }
}
