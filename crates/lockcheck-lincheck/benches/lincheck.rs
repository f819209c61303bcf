//! The four (five) sets of Porcupine's timing table in
//! `../shared/data/porcupine/README.md`, parsed before the clock starts:
//! all etcd files one after another; kv c50-ok and c50-bad partitioned by
//! key; kv c10-ok and c10-bad as one map. Skips when the data is absent.
//! Run: `cargo bench -p lockcheck-lincheck --bench lincheck`.

use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lockcheck_lincheck::formats::{parse_etcd_log, parse_kv_edn};
use lockcheck_lincheck::specs::{KvSpec, RegisterSpec};
use lockcheck_lincheck::{History, check};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/porcupine");
    if dir.join("etcd").is_dir() && dir.join("kv").is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: Porcupine test data not found at {}", dir.display());
        None
    }
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kv(c: &mut Criterion, dir: &Path, file: &str, spec: KvSpec, name: &str, expect_ok: bool) {
    let h: History<_, _> = parse_kv_edn(&read(dir.join("kv").join(file)), &spec).expect("parses");
    // Each iteration checks with a fresh copy of the spec as parsing left
    // it, so values and maps the check interns are paid for every time.
    c.bench_function(name, |b| {
        b.iter_batched(
            || spec.clone(),
            |fresh| {
                let v = check(&fresh, &h);
                assert_eq!(v.is_linearizable(), expect_ok, "{name}");
                fresh
            },
            BatchSize::PerIteration,
        )
    });
}

fn bench(c: &mut Criterion) {
    let Some(dir) = data_dir() else { return };
    let mut names: Vec<String> = std::fs::read_dir(dir.join("etcd"))
        .expect("etcd dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    let etcd: Vec<_> = names
        .iter()
        .map(|n| parse_etcd_log(&read(dir.join("etcd").join(n))).expect("parses"))
        .collect();
    c.bench_function("etcd all 102 files", |b| {
        b.iter(|| {
            let mut ok = 0;
            for h in &etcd {
                ok += usize::from(check(&RegisterSpec, h).is_linearizable());
            }
            assert_eq!(ok, 23);
        })
    });
}

fn bench_kv(c: &mut Criterion) {
    let Some(dir) = data_dir() else { return };
    kv(
        c,
        &dir,
        "c50-ok.txt",
        KvSpec::per_key(),
        "kv c50-ok partitioned",
        true,
    );
    kv(
        c,
        &dir,
        "c50-bad.txt",
        KvSpec::per_key(),
        "kv c50-bad partitioned",
        false,
    );
    kv(
        c,
        &dir,
        "c10-ok.txt",
        KvSpec::whole_map(),
        "kv c10-ok one map",
        true,
    );
    kv(
        c,
        &dir,
        "c10-bad.txt",
        KvSpec::whole_map(),
        "kv c10-bad one map",
        false,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench, bench_kv
}
criterion_main!(benches);
