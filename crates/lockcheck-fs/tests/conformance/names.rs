//! Inodes versus names: stat, link, unlink, rename, mkdir, rmdir, read_dir.

use std::thread;

use lockcheck_fs::{Errno, FileKind, Fs, OpenOptions};

use crate::{World, assert_errno, get, open, pread_all, put, ro, rw, rw_create, wo};

conformance! {
    hard_links_share_one_inode_and_nlink_counts_names,
    directory_nlink_is_two_plus_subdirectories,
    unlinked_open_file_keeps_its_data_until_closed,
    link_onto_an_existing_name_fails_with_eexist,
    link_of_a_directory_fails_with_eperm,
    link_of_a_missing_name_or_into_a_missing_directory_fails_with_enoent,
    link_to_a_new_name_with_a_trailing_slash_fails_with_enoent,
    rename_replaces_target_atomically_and_old_descriptor_keeps_old_inode,
    rename_never_lets_a_concurrent_reader_find_the_target_missing,
    rename_onto_itself_or_another_name_of_the_same_inode_does_nothing,
    rename_over_a_hard_linked_target_removes_only_that_name,
    rename_moves_the_inode_and_open_descriptors_follow_it,
    rename_of_a_directory_moves_its_contents_and_fixes_parent_nlinks,
    rename_of_a_directory_over_an_empty_directory_replaces_it,
    rename_of_a_directory_over_a_non_empty_directory_fails_with_enotempty,
    rename_of_a_file_over_a_directory_fails_with_eisdir,
    rename_of_a_directory_over_a_file_fails_with_enotdir,
    rename_of_a_directory_into_its_own_subdirectory_fails_with_einval,
    rename_of_a_directory_over_its_own_ancestor_fails_with_enotempty,
    rename_of_a_missing_source_or_into_a_missing_directory_fails_with_enoent,
    rename_to_or_from_the_root_fails_with_ebusy,
    mkdir_of_an_existing_name_fails_with_eexist,
    mkdir_under_a_missing_directory_or_a_file_fails,
    rmdir_refuses_non_empty_directories_files_and_missing_names,
    removed_directory_still_open_has_nlink_zero,
    unlink_of_a_directory_fails_with_eisdir_and_of_a_missing_name_with_enoent,
    unlink_of_the_root_fails_with_eisdir,
    read_dir_lists_names_sorted_without_dot_entries,
    read_dir_of_a_file_fails_with_enotdir_and_of_a_missing_name_with_enoent,
    a_trailing_slash_demands_a_directory,
    stat_of_a_missing_name_fails_with_enoent,
    stat_and_fstat_report_kind_size_and_mtime_alike,
    a_small_directory_has_the_size_of_one_ext4_block_and_a_removed_one_zero,
}

fn hard_links_share_one_inode_and_nlink_counts_names<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"one");
    let a = p.stat("a").unwrap();
    assert_eq!((a.nlink, a.kind, a.size), (1, FileKind::File, 3));
    p.link("a", "b").unwrap();
    let (a, b) = (p.stat("a").unwrap(), p.stat("b").unwrap());
    assert_eq!(a.ino, b.ino);
    assert_eq!((a.nlink, b.nlink), (2, 2));
    let fd = open(&p, "b", wo());
    let f = p.fstat(fd).unwrap();
    assert_eq!((f.ino, f.nlink), (a.ino, 2));
    p.write_all(fd, b"TWO").unwrap();
    assert_eq!(
        get(&p, "a"),
        b"TWO",
        "a write through one name shows through the other"
    );
    p.mkdir("d").unwrap();
    p.link("a", "d/c").unwrap();
    assert_eq!(p.fstat(fd).unwrap().nlink, 3);
    p.unlink("a").unwrap();
    assert_errno(p.stat("a"), Errno::ENOENT);
    assert_eq!(p.stat("b").unwrap().nlink, 2);
    assert_eq!(p.stat("d/c").unwrap().ino, b.ino);
    p.unlink("d/c").unwrap();
    assert_eq!(p.fstat(fd).unwrap().nlink, 1);
    p.close(fd).unwrap();
}

fn directory_nlink_is_two_plus_subdirectories<W: World>(w: &W) {
    let p = w.process();
    assert_eq!(p.stat(".").unwrap().nlink, 2, "empty root");
    p.mkdir("d").unwrap();
    let d = p.stat("d").unwrap();
    assert_eq!((d.kind, d.nlink), (FileKind::Dir, 2));
    assert_eq!(p.stat("/").unwrap().nlink, 3, "root with one subdirectory");
    assert_eq!(p.stat("/").unwrap().ino, p.stat(".").unwrap().ino);
    p.mkdir("d/x").unwrap();
    p.mkdir("d/y").unwrap();
    put(&p, "d/f", b"files do not count");
    assert_eq!(p.stat("d").unwrap().nlink, 4);
    p.rmdir("d/x").unwrap();
    assert_eq!(p.stat("d").unwrap().nlink, 3);
    let fd = open(&p, "d", ro());
    assert_eq!(p.fstat(fd).unwrap().nlink, 3);
    assert_eq!(p.fstat(fd).unwrap().ino, d.ino);
    p.close(fd).unwrap();
}

fn unlinked_open_file_keeps_its_data_until_closed<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "f", b"hello");
    let fd = open(&p, "f", rw());
    let old = p.fstat(fd).unwrap();
    q.unlink("f").unwrap();
    let st = p.fstat(fd).unwrap();
    assert_eq!((st.ino, st.nlink, st.size), (old.ino, 0, 5));
    assert_errno(p.stat("f"), Errno::ENOENT);
    assert!(!q.exists("f").unwrap());
    assert!(q.read_dir(".").unwrap().is_empty());
    assert_eq!(p.read_to_end(fd).unwrap(), b"hello");
    p.write_all(fd, b" world").unwrap();
    assert_eq!(pread_all(&p, fd), b"hello world");
    assert_eq!(p.fstat(fd).unwrap().size, 11);
    // A new file at the name is a different inode and does not see the old data.
    let fd2 = open(&q, "f", rw_create());
    let new = q.fstat(fd2).unwrap();
    assert_ne!(new.ino, old.ino);
    assert_eq!((new.nlink, new.size), (1, 0));
    assert_eq!(get(&q, "f"), b"");
    assert_eq!(pread_all(&p, fd), b"hello world");
    p.close(fd).unwrap();
    assert_eq!(
        get(&q, "f"),
        b"",
        "closing the old inode leaves the new file alone"
    );
    q.close(fd2).unwrap();
}

fn link_onto_an_existing_name_fails_with_eexist<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"a");
    put(&p, "b", b"b");
    p.mkdir("d").unwrap();
    assert_errno(p.link("a", "b"), Errno::EEXIST);
    assert_errno(p.link("a", "a"), Errno::EEXIST);
    assert_errno(p.link("a", "d"), Errno::EEXIST);
    assert_eq!(get(&p, "b"), b"b");
    assert_eq!(p.stat("a").unwrap().nlink, 1);
}

fn link_of_a_directory_fails_with_eperm<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    assert_errno(p.link("d", "e"), Errno::EPERM);
    assert!(!p.exists("e").unwrap());
    assert_eq!(p.stat("d").unwrap().nlink, 2);
}

fn link_of_a_missing_name_or_into_a_missing_directory_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"a");
    assert_errno(p.link("missing", "x"), Errno::ENOENT);
    assert_errno(p.link("a", "nodir/x"), Errno::ENOENT);
    assert_errno(p.link("a", "a/x"), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["a"]);
}

fn link_to_a_new_name_with_a_trailing_slash_fails_with_enoent<W: World>(w: &W) {
    // Linux's filename_create: a trailing slash asks for a directory, and
    // link(2) never makes one.
    let p = w.process();
    put(&p, "f", b"");
    p.mkdir("d").unwrap();
    assert_errno(p.link("f", "g/"), Errno::ENOENT);
    assert_eq!(p.read_dir(".").unwrap(), ["d", "f"]);
    assert_eq!(p.stat("f").unwrap().nlink, 1);
    assert_errno(p.link("d", "x/"), Errno::ENOENT); // Before link's EPERM for a directory.
    assert_errno(p.link("f", "d/"), Errno::EEXIST);
    assert_errno(p.link("f/", "g"), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["d", "f"]);
}

fn rename_replaces_target_atomically_and_old_descriptor_keeps_old_inode<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "new", b"new contents");
    put(&p, "target", b"old");
    let ino_new = p.stat("new").unwrap().ino;
    let old_fd = open(&q, "target", ro());
    let ino_old = q.fstat(old_fd).unwrap().ino;
    p.rename("new", "target").unwrap();
    assert_errno(p.stat("new"), Errno::ENOENT);
    let t = p.stat("target").unwrap();
    assert_eq!((t.ino, t.nlink, t.size), (ino_new, 1, 12));
    assert_eq!(get(&q, "target"), b"new contents");
    let st = q.fstat(old_fd).unwrap();
    assert_eq!((st.ino, st.nlink), (ino_old, 0));
    assert_eq!(q.read_to_end(old_fd).unwrap(), b"old");
    assert_eq!(p.read_dir(".").unwrap(), ["target"]);
    q.close(old_fd).unwrap();
}

fn rename_never_lets_a_concurrent_reader_find_the_target_missing<W: World>(w: &W) {
    const ROUNDS: usize = 200;
    let (writer, reader) = (w.process(), w.process());
    put(&writer, "target", b"version 0");
    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            for i in 1..=ROUNDS {
                put(&writer, "tmp", format!("version {i}").as_bytes());
                writer.rename("tmp", "target").unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let mut reads = 0;
        let mut last = 0;
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            let data = reader.read_file("target").expect("target is never missing");
            let text = String::from_utf8(data).unwrap();
            let n: usize = text
                .strip_prefix("version ")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("torn contents {text:?}"));
            assert!(n >= last, "versions go forward: {n} after {last}");
            last = n;
            reads += 1;
            if finished {
                break;
            }
        }
        assert!(reads > 0);
        assert_eq!(last, ROUNDS);
    });
}

fn rename_onto_itself_or_another_name_of_the_same_inode_does_nothing<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"data");
    p.rename("a", "a").unwrap();
    assert_eq!(get(&p, "a"), b"data");
    p.link("a", "b").unwrap();
    p.rename("a", "b").unwrap();
    assert_eq!(p.read_dir(".").unwrap(), ["a", "b"], "both names remain");
    assert_eq!(p.stat("a").unwrap().nlink, 2);
    assert_eq!(p.stat("a").unwrap().ino, p.stat("b").unwrap().ino);
    p.mkdir("d").unwrap();
    p.rename("d", "d").unwrap();
    assert_eq!(p.stat("d").unwrap().kind, FileKind::Dir);
}

fn rename_over_a_hard_linked_target_removes_only_that_name<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"new");
    put(&p, "t", b"old");
    p.link("t", "t2").unwrap();
    let old = p.stat("t").unwrap().ino;
    p.rename("a", "t").unwrap();
    let t2 = p.stat("t2").unwrap();
    assert_eq!((t2.ino, t2.nlink), (old, 1));
    assert_eq!(get(&p, "t2"), b"old");
    assert_eq!(get(&p, "t"), b"new");
}

fn rename_moves_the_inode_and_open_descriptors_follow_it<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"abc");
    let ino = p.stat("a").unwrap().ino;
    let fd = open(&p, "a", OpenOptions::new().append(true));
    p.mkdir("d").unwrap();
    p.rename("a", "d/c").unwrap();
    p.write_all(fd, b"def").unwrap();
    assert_eq!(get(&p, "d/c"), b"abcdef");
    let st = p.fstat(fd).unwrap();
    assert_eq!((st.ino, st.nlink), (ino, 1));
    assert_eq!(p.stat("d/c").unwrap().ino, ino);
    p.close(fd).unwrap();
}

fn rename_of_a_directory_moves_its_contents_and_fixes_parent_nlinks<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("a").unwrap();
    put(&p, "a/f", b"inside");
    p.mkdir("p").unwrap();
    assert_eq!(p.stat(".").unwrap().nlink, 4);
    let ino = p.stat("a").unwrap().ino;
    p.rename("a", "p/b").unwrap();
    assert_eq!(get(&p, "p/b/f"), b"inside");
    assert_eq!(p.stat("p/b").unwrap().ino, ino);
    assert_errno(p.stat("a"), Errno::ENOENT);
    assert_eq!(p.stat(".").unwrap().nlink, 3);
    assert_eq!(p.stat("p").unwrap().nlink, 3);
    assert_eq!(p.read_dir("p").unwrap(), ["b"]);
}

fn rename_of_a_directory_over_an_empty_directory_replaces_it<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("s").unwrap();
    put(&p, "s/f", b"x");
    p.mkdir("t").unwrap();
    let ino = p.stat("s").unwrap().ino;
    p.rename("s", "t").unwrap();
    assert_eq!(p.stat("t").unwrap().ino, ino);
    assert_eq!(p.read_dir("t").unwrap(), ["f"]);
    assert_eq!(p.read_dir(".").unwrap(), ["t"]);
    assert_eq!(p.stat(".").unwrap().nlink, 3);
}

fn rename_of_a_directory_over_a_non_empty_directory_fails_with_enotempty<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("s").unwrap();
    p.mkdir("t").unwrap();
    put(&p, "t/f", b"keep");
    assert_errno(p.rename("s", "t"), Errno::ENOTEMPTY);
    p.unlink("t/f").unwrap();
    p.mkdir("t/sub").unwrap();
    assert_errno(p.rename("s", "t"), Errno::ENOTEMPTY);
    assert_eq!(p.read_dir(".").unwrap(), ["s", "t"]);
    assert_eq!(p.read_dir("t").unwrap(), ["sub"]);
}

fn rename_of_a_file_over_a_directory_fails_with_eisdir<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"f");
    p.mkdir("d").unwrap();
    assert_errno(p.rename("f", "d"), Errno::EISDIR);
    assert_eq!(p.stat("d").unwrap().kind, FileKind::Dir);
    assert_eq!(get(&p, "f"), b"f");
}

fn rename_of_a_directory_over_a_file_fails_with_enotdir<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"f");
    p.mkdir("d").unwrap();
    assert_errno(p.rename("d", "f"), Errno::ENOTDIR);
    assert_eq!(p.stat("d").unwrap().kind, FileKind::Dir);
    assert_eq!(get(&p, "f"), b"f");
}

fn rename_of_a_directory_into_its_own_subdirectory_fails_with_einval<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    p.mkdir("d/sub").unwrap();
    assert_errno(p.rename("d", "d/x"), Errno::EINVAL);
    assert_errno(p.rename("d", "d/sub/x"), Errno::EINVAL);
    assert_errno(p.rename("d", "d/sub"), Errno::EINVAL);
    assert_eq!(p.read_dir("d").unwrap(), ["sub"]);
}

fn rename_of_a_directory_over_its_own_ancestor_fails_with_enotempty<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    p.mkdir("d/sub").unwrap();
    assert_errno(p.rename("d/sub", "d"), Errno::ENOTEMPTY);
    assert_eq!(p.read_dir("d").unwrap(), ["sub"]);
}

fn rename_of_a_missing_source_or_into_a_missing_directory_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"a");
    assert_errno(p.rename("missing", "b"), Errno::ENOENT);
    assert_errno(p.rename("missing", "a"), Errno::ENOENT);
    assert_errno(p.rename("a", "nodir/b"), Errno::ENOENT);
    assert_errno(p.rename("a", "a/b"), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["a"]);
}

fn rename_to_or_from_the_root_fails_with_ebusy<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    assert_errno(p.rename("d", "/"), Errno::EBUSY);
    assert_errno(p.rename("/", "e"), Errno::EBUSY);
    assert_eq!(p.read_dir(".").unwrap(), ["d"]);
}

fn mkdir_of_an_existing_name_fails_with_eexist<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    put(&p, "f", b"");
    assert_errno(p.mkdir("d"), Errno::EEXIST);
    assert_errno(p.mkdir("f"), Errno::EEXIST);
    assert_errno(p.mkdir("/"), Errno::EEXIST);
    assert_eq!(p.stat("f").unwrap().kind, FileKind::File);
}

fn mkdir_under_a_missing_directory_or_a_file_fails<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.mkdir("nodir/d"), Errno::ENOENT);
    assert_errno(p.mkdir("f/d"), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["f"]);
}

fn rmdir_refuses_non_empty_directories_files_and_missing_names<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    put(&p, "d/f", b"");
    put(&p, "f", b"");
    assert_errno(p.rmdir("d"), Errno::ENOTEMPTY);
    assert_errno(p.rmdir("f"), Errno::ENOTDIR);
    assert_errno(p.rmdir("missing"), Errno::ENOENT);
    assert_errno(p.rmdir("d/f/x"), Errno::ENOTDIR);
    p.unlink("d/f").unwrap();
    p.rmdir("d").unwrap();
    assert_eq!(p.read_dir(".").unwrap(), ["f"]);
}

fn removed_directory_still_open_has_nlink_zero<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    p.mkdir("s").unwrap();
    p.mkdir("t").unwrap();
    let (dfd, tfd) = (open(&p, "d", ro()), open(&p, "t", ro()));
    let ino = p.fstat(dfd).unwrap().ino;
    p.rmdir("d").unwrap();
    let st = p.fstat(dfd).unwrap();
    assert_eq!((st.ino, st.nlink, st.kind), (ino, 0, FileKind::Dir));
    p.fsync(dfd).unwrap();
    // Replaced by rename: the same.
    p.rename("s", "t").unwrap();
    assert_eq!(p.fstat(tfd).unwrap().nlink, 0);
    assert_eq!(p.stat("t").unwrap().nlink, 2);
    assert_eq!(p.stat(".").unwrap().nlink, 3);
    p.close(dfd).unwrap();
    p.close(tfd).unwrap();
}

fn unlink_of_the_root_fails_with_eisdir<W: World>(w: &W) {
    let p = w.process();
    assert_errno(p.unlink("/"), Errno::EISDIR);
    assert_errno(p.unlink("."), Errno::EISDIR);
    assert_errno(p.unlink(""), Errno::ENOENT);
    assert_errno(p.link("/", "x"), Errno::EPERM);
    put(&p, "f", b"");
    assert_errno(p.link("f", "/"), Errno::EEXIST);
}

fn unlink_of_a_directory_fails_with_eisdir_and_of_a_missing_name_with_enoent<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    assert_errno(p.unlink("d"), Errno::EISDIR);
    assert_errno(p.unlink("missing"), Errno::ENOENT);
    assert_errno(p.unlink("d/missing"), Errno::ENOENT);
    assert_eq!(p.stat("d").unwrap().kind, FileKind::Dir);
}

fn read_dir_lists_names_sorted_without_dot_entries<W: World>(w: &W) {
    let p = w.process();
    assert!(p.read_dir(".").unwrap().is_empty());
    for name in ["b", "a", "C", "a.tmp", "_x"] {
        put(&p, name, b"");
    }
    p.mkdir("dir").unwrap();
    put(&p, "dir/z", b"");
    p.mkdir("dir/y").unwrap();
    assert_eq!(
        p.read_dir(".").unwrap(),
        ["C", "_x", "a", "a.tmp", "b", "dir"]
    );
    assert_eq!(p.read_dir("/").unwrap(), p.read_dir(".").unwrap());
    assert_eq!(p.read_dir("dir").unwrap(), ["y", "z"]);
    assert!(p.read_dir("dir/y").unwrap().is_empty());
}

fn read_dir_of_a_file_fails_with_enotdir_and_of_a_missing_name_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.read_dir("f"), Errno::ENOTDIR);
    assert_errno(p.read_dir("missing"), Errno::ENOENT);
}

fn a_trailing_slash_demands_a_directory<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    p.mkdir("d").unwrap();
    assert_eq!(p.stat("d/").unwrap().kind, FileKind::Dir);
    assert_errno(p.stat("f/"), Errno::ENOTDIR);
    assert_errno(p.open("f/", ro()), Errno::ENOTDIR);
    assert_errno(p.unlink("f/"), Errno::ENOTDIR);
    assert_errno(p.open("new/", rw_create()), Errno::EISDIR);
    assert!(!p.exists("new").unwrap());
    p.mkdir("e/").unwrap();
    assert_eq!(p.stat("e").unwrap().kind, FileKind::Dir);
}

fn stat_of_a_missing_name_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.stat("missing"), Errno::ENOENT);
    assert_errno(p.stat("nodir/missing"), Errno::ENOENT);
    assert_errno(p.stat("f/x"), Errno::ENOTDIR);
    assert!(!p.exists("missing").unwrap());
    assert!(p.exists("f").unwrap());
}

fn stat_and_fstat_report_kind_size_and_mtime_alike<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "f", b"12345");
    p.mkdir("d").unwrap();
    let fd = open(&p, "f", rw());
    p.write_all(fd, b"abcdefgh").unwrap();
    let (s, f) = (q.stat("f").unwrap(), p.fstat(fd).unwrap());
    assert_eq!(s, f, "stat and fstat of one file agree");
    assert_eq!((s.size, s.kind), (8, FileKind::File));
    let dfd = open(&p, "d", ro());
    assert_eq!(p.fstat(dfd).unwrap(), q.stat("d").unwrap());
    assert_eq!(p.fstat(dfd).unwrap().kind, FileKind::Dir);
    p.close(fd).unwrap();
    p.close(dfd).unwrap();
}

fn a_small_directory_has_the_size_of_one_ext4_block_and_a_removed_one_zero<W: World>(w: &W) {
    let Some(block) = w.dir_size() else {
        return; // Not ext4: see `World::dir_size`.
    };
    let p = w.process();
    p.mkdir("d").unwrap();
    put(&p, "d/f", b"contents");
    assert_eq!(p.stat(".").unwrap().size, block);
    assert_eq!(p.stat("d").unwrap().size, block);
    p.mkdir("e").unwrap();
    let fd = open(&p, "e", ro());
    assert_eq!(p.fstat(fd).unwrap().size, block);
    p.rmdir("e").unwrap();
    assert_eq!(p.fstat(fd).unwrap().size, 0);
    p.close(fd).unwrap();
}
