//! Path resolution and the errors of bad paths: `.` and `..` resolved by
//! walking, the backend's root acting as the root, empty paths, NUL bytes,
//! names and paths too long.

use lockcheck_fs::{Errno, FileKind, Fs, OpenOptions};

use crate::{World, assert_errno, put, ro, rw_create};

conformance! {
    dotdot_after_a_file_fails_with_enotdir,
    dotdot_after_a_missing_name_fails_with_enoent,
    dotdot_goes_to_the_parent_of_the_directory_reached,
    a_leading_slash_or_dotdot_at_the_root_stays_at_the_root,
    a_last_dot_or_dotdot_is_refused_by_calls_that_make_or_remove_names,
    the_root_itself_is_refused_by_calls_that_make_or_remove_names,
    the_empty_path_fails_with_enoent,
    a_nul_byte_in_a_path_fails_with_einval,
    a_name_over_255_bytes_fails_with_enametoolong_when_it_is_looked_up,
    a_path_of_4096_bytes_or_more_fails_with_enametoolong,
    rename_looks_up_a_too_long_new_name_before_checking_the_old_names_kind,
}

fn dotdot_after_a_file_fails_with_enotdir<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"file");
    put(&p, "b", b"other");
    assert_errno(p.stat("a/.."), Errno::ENOTDIR);
    assert_errno(p.stat("a/../b"), Errno::ENOTDIR);
    assert_errno(p.stat("a/."), Errno::ENOTDIR);
    assert_errno(p.open("a/../b", ro()), Errno::ENOTDIR);
    assert_errno(p.read_dir("a/.."), Errno::ENOTDIR);
    assert_errno(p.unlink("a/../b"), Errno::ENOTDIR);
    assert_errno(p.mkdir("a/../c"), Errno::ENOTDIR);
    assert_errno(p.rmdir("a/.."), Errno::ENOTDIR);
    assert_errno(p.rename("a/../b", "c"), Errno::ENOTDIR);
    assert_errno(p.link("b", "a/../c"), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["a", "b"]);
}

fn dotdot_after_a_missing_name_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "b", b"file");
    assert_errno(p.stat("missing/../b"), Errno::ENOENT);
    assert_errno(p.open("missing/../b", ro()), Errno::ENOENT);
    assert_errno(p.open("missing/../c", rw_create()), Errno::ENOENT);
    assert_errno(p.unlink("missing/../b"), Errno::ENOENT);
    assert_errno(p.mkdir("missing/../c"), Errno::ENOENT);
    assert_errno(p.rename("b", "missing/../c"), Errno::ENOENT);
    assert_eq!(p.read_dir(".").unwrap(), ["b"]);
}

fn dotdot_goes_to_the_parent_of_the_directory_reached<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    p.mkdir("d/e").unwrap();
    put(&p, "d/e/x", b"x");
    put(&p, "top", b"t");
    let x = p.stat("d/e/x").unwrap().ino;
    assert_eq!(p.stat("d/e/../e/./x").unwrap().ino, x);
    assert_eq!(p.stat("d/e/../../d/e/x").unwrap().ino, x);
    assert_eq!(p.read_dir("d/e/..").unwrap(), ["e"]);
    assert_eq!(p.stat("d/..").unwrap().ino, p.stat(".").unwrap().ino);
    assert_eq!(p.read_file("d/e/../../top").unwrap(), b"t");
    put(&p, "d/e/../y", b"y");
    assert_eq!(p.read_dir("d").unwrap(), ["e", "y"]);
    p.rename("d/e/../y", "d/e/./z").unwrap();
    assert_eq!(p.read_dir("d/e").unwrap(), ["x", "z"]);
    p.unlink("d/./e/../e/z").unwrap();
    assert_eq!(p.read_dir("d/e").unwrap(), ["x"]);
}

fn a_leading_slash_or_dotdot_at_the_root_stays_at_the_root<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"inside");
    let root = p.stat(".").unwrap().ino;
    assert_eq!(p.stat("/").unwrap().ino, root);
    assert_eq!(p.stat("..").unwrap().ino, root);
    assert_eq!(p.stat("/../..").unwrap().ino, root);
    assert_eq!(p.read_dir("..").unwrap(), ["f"]);
    assert_eq!(p.read_file("/f").unwrap(), b"inside");
    assert_eq!(p.read_file("../../f").unwrap(), b"inside");
    put(&p, "/../g", b"made at the root");
    p.mkdir("../d").unwrap();
    assert_eq!(p.read_dir("/").unwrap(), ["d", "f", "g"]);
    assert_eq!(p.stat("d/../../..").unwrap().ino, root);
}

fn a_last_dot_or_dotdot_is_refused_by_calls_that_make_or_remove_names<W: World>(w: &W) {
    let p = w.process();
    p.mkdir("d").unwrap();
    put(&p, "f", b"");
    for path in ["d/.", "d/..", ".", ".."] {
        assert_errno(p.unlink(path), Errno::EISDIR);
        assert_errno(p.mkdir(path), Errno::EEXIST);
        assert_errno(p.rename(path, "x"), Errno::EBUSY);
        assert_errno(p.rename("f", path), Errno::EBUSY);
        assert_errno(p.link("f", path), Errno::EEXIST);
        assert_errno(p.open(path, rw_create()), Errno::EISDIR);
        let excl = OpenOptions::new().write(true).create_new(true);
        assert_errno(p.open(path, excl), Errno::EEXIST);
        assert_eq!(p.stat(path).unwrap().kind, FileKind::Dir);
    }
    assert_errno(p.rmdir("d/."), Errno::EINVAL);
    assert_errno(p.rmdir("d/.."), Errno::ENOTEMPTY);
    assert_errno(p.rmdir("."), Errno::EINVAL);
    assert_errno(p.rmdir(".."), Errno::ENOTEMPTY);
    assert_errno(p.link("d/..", "x"), Errno::EPERM);
    assert_eq!(p.read_dir(".").unwrap(), ["d", "f"]);
}

fn the_root_itself_is_refused_by_calls_that_make_or_remove_names<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    for root in ["/", "//"] {
        assert_errno(p.unlink(root), Errno::EISDIR);
        assert_errno(p.mkdir(root), Errno::EEXIST);
        assert_errno(p.rmdir(root), Errno::EBUSY);
        assert_errno(p.rename(root, "x"), Errno::EBUSY);
        assert_errno(p.rename("f", root), Errno::EBUSY);
        assert_errno(p.link("f", root), Errno::EEXIST);
        assert_errno(p.link(root, "x"), Errno::EPERM);
        assert_errno(p.open(root, rw_create()), Errno::EISDIR);
    }
    assert_eq!(p.read_dir(".").unwrap(), ["f"]);
}

fn the_empty_path_fails_with_enoent<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.stat(""), Errno::ENOENT);
    assert_errno(p.open("", ro()), Errno::ENOENT);
    assert_errno(p.open("", rw_create()), Errno::ENOENT);
    assert_errno(p.read_dir(""), Errno::ENOENT);
    assert_errno(p.fsync_dir(""), Errno::ENOENT);
    assert_errno(p.mkdir(""), Errno::ENOENT);
    assert_errno(p.unlink(""), Errno::ENOENT);
    assert_errno(p.rmdir(""), Errno::ENOENT);
    assert_errno(p.rename("", "g"), Errno::ENOENT);
    assert_errno(p.rename("f", ""), Errno::ENOENT);
    assert_errno(p.link("f", ""), Errno::ENOENT);
    // The existing file is looked up before the new path is.
    assert_errno(p.link("f/x", ""), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["f"]);
}

fn a_nul_byte_in_a_path_fails_with_einval<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    assert_errno(p.stat("f\0"), Errno::EINVAL);
    assert_errno(p.open("g\0h", rw_create()), Errno::EINVAL);
    assert_errno(p.mkdir("d\0"), Errno::EINVAL);
    assert_errno(p.unlink("f\0"), Errno::EINVAL);
    assert_errno(p.rename("f", "g\0"), Errno::EINVAL);
    assert_eq!(p.read_dir(".").unwrap(), ["f"]);
}

fn a_name_over_255_bytes_fails_with_enametoolong_when_it_is_looked_up<W: World>(w: &W) {
    let p = w.process();
    let (longest, long) = ("n".repeat(255), "n".repeat(256));
    put(&p, &longest, b"fits");
    assert_eq!(p.read_file(&longest).unwrap(), b"fits");
    assert_errno(p.open(&long, rw_create()), Errno::ENAMETOOLONG);
    assert_errno(p.stat(&long), Errno::ENAMETOOLONG);
    assert_errno(p.mkdir(&long), Errno::ENAMETOOLONG);
    assert_errno(p.unlink(&long), Errno::ENAMETOOLONG);
    assert_errno(p.rename(&longest, &long), Errno::ENAMETOOLONG);
    assert_errno(p.stat(format!("{long}/x")), Errno::ENAMETOOLONG);
    // A walk stops at the first component that fails.
    assert_errno(p.stat(format!("missing/{long}")), Errno::ENOENT);
    assert_errno(p.rename("missing", &long), Errno::ENOENT);
    assert_eq!(p.read_dir(".").unwrap(), [longest]);
}

fn a_path_of_4096_bytes_or_more_fails_with_enametoolong<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"far");
    // 4095 bytes: the longest path there is (with its NUL, PATH_MAX).
    let longest = format!("{}f", "./".repeat(2047));
    assert_eq!(longest.len(), 4095);
    assert_eq!(p.read_file(&longest).unwrap(), b"far");
    let long = format!("/{longest}");
    assert_errno(p.stat(&long), Errno::ENAMETOOLONG);
    assert_errno(p.open(&long, ro()), Errno::ENAMETOOLONG);
    assert_errno(p.unlink(&long), Errno::ENAMETOOLONG);
    assert_errno(p.rename(&long, "g"), Errno::ENAMETOOLONG);
    assert_eq!(p.read_dir(".").unwrap(), ["f"]);
}

/// Found by the two-process differential: the kernel looks the new name
/// up right after the old one, so a new name over 255 bytes is
/// `ENAMETOOLONG` even where the old path's kind or trailing slash is
/// wrong too; a missing old name still comes first.
fn rename_looks_up_a_too_long_new_name_before_checking_the_old_names_kind<W: World>(w: &W) {
    let p = w.process();
    put(&p, "a", b"file");
    p.mkdir("d").unwrap();
    let long = "n".repeat(256);
    assert_errno(p.rename("a/", &long), Errno::ENAMETOOLONG);
    assert_errno(p.rename("a", format!("{long}/")), Errno::ENAMETOOLONG);
    assert_errno(p.rename("d/", format!("d/{long}")), Errno::ENAMETOOLONG);
    assert_errno(p.rename("missing", &long), Errno::ENOENT);
    assert_errno(p.rename("a/", "b"), Errno::ENOTDIR);
    assert_eq!(p.read_dir(".").unwrap(), ["a", "d"]);
}
