//! Prints how long each etcd history of the Porcupine data takes to check
//! (run with `--release`): a quick way to see where time goes.

use std::path::PathBuf;
use std::time::Instant;

use lockcheck_lincheck::check;
use lockcheck_lincheck::formats::parse_etcd_log;
use lockcheck_lincheck::specs::RegisterSpec;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/porcupine/etcd");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("SKIP: no data at {}", dir.display());
        return;
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut rows = Vec::new();
    let total = Instant::now();
    for n in &names {
        let Ok(text) = std::fs::read_to_string(dir.join(n)) else {
            continue;
        };
        let Ok(h) = parse_etcd_log(&text) else {
            continue;
        };
        let t = Instant::now();
        let mut lin = false;
        for _ in 0..reps {
            lin = check(&RegisterSpec, &h).is_linearizable();
        }
        rows.push((t.elapsed() / reps as u32, n.clone(), lin, h.len()));
    }
    let all = total.elapsed();
    rows.sort();
    for r in rows.iter().rev().take(8) {
        println!("{:>12?} {} linearizable={} ops={}", r.0, r.1, r.2, r.3);
    }
    println!("total {:?} for {} reps", all, reps);
}
