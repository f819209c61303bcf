//! Peer verification: every history of Porcupine's public test data gets
//! the verdict Porcupine gives it (`VERDICTS.tsv`). The data lives beside
//! the project in `../shared/data/porcupine`; without it these tests skip.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lockcheck_lincheck::formats::{parse_etcd_log, parse_kv_edn};
use lockcheck_lincheck::specs::{KvSpec, RegisterSpec};
use lockcheck_lincheck::{Verdict, check};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/porcupine");
    if dir.join("etcd/VERDICTS.tsv").is_file() && dir.join("kv/VERDICTS.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: Porcupine test data not found at {} (expected ../shared/data/porcupine beside the project)",
            dir.display()
        );
        None
    }
}

fn verdicts(dir: &Path) -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(dir.join("VERDICTS.tsv")).expect("VERDICTS.tsv is readable");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let name = f.next().expect("a file name").to_string();
            let v = f.next().expect("a verdict").trim();
            assert!(
                v == "linearizable" || v == "not-linearizable",
                "bad verdict {v:?}"
            );
            (name, v == "linearizable")
        })
        .collect()
}

fn agree(name: &str, verdict: &Verdict, expected: bool) {
    match verdict {
        Verdict::Linearizable { .. } => {
            assert!(expected, "{name}: we say linearizable, Porcupine does not")
        }
        Verdict::NotLinearizable(_) => assert!(
            !expected,
            "{name}: we say not linearizable, Porcupine says it is"
        ),
        Verdict::Unknown { reason } => panic!("{name}: unknown ({reason:?})"),
    }
}

#[test]
fn every_etcd_history_gets_porcupines_verdict() {
    let Some(dir) = data_dir() else { return };
    let dir = dir.join("etcd");
    let list = verdicts(&dir);
    assert_eq!(list.len(), 102);
    let t = Instant::now();
    for (name, expected) in list {
        let text = std::fs::read_to_string(dir.join(&name)).expect("readable");
        let h = parse_etcd_log(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        agree(&name, &check(&RegisterSpec, &h), expected);
    }
    eprintln!("etcd: 102 files checked in {:?}", t.elapsed());
}

fn check_kv(name: &str, spec: KvSpec, expected: bool) {
    let Some(dir) = data_dir() else { return };
    let text = std::fs::read_to_string(dir.join("kv").join(name)).expect("readable");
    let h = parse_kv_edn(&text, &spec).unwrap_or_else(|e| panic!("{name}: {e}"));
    let t = Instant::now();
    agree(name, &check(&spec, &h), expected);
    eprintln!("{name} ({:?}): {:?}", spec.mode(), t.elapsed());
}

#[test]
fn every_kv_history_partitioned_by_key_gets_porcupines_verdict() {
    let Some(dir) = data_dir() else { return };
    for (name, expected) in verdicts(&dir.join("kv")) {
        check_kv(&name, KvSpec::per_key(), expected);
    }
}

#[test]
fn small_kv_histories_as_one_map_get_porcupines_verdict() {
    let Some(dir) = data_dir() else { return };
    for (name, expected) in verdicts(&dir.join("kv")) {
        if name.starts_with("c01") || name.starts_with("c10") {
            check_kv(&name, KvSpec::whole_map(), expected);
        }
    }
}
