//! Times each set of Porcupine's table once, per file (run with
//! `--release`; the criterion bench is the reference): a quick way to see
//! where time goes. Usage: `porcupine_times [etcd|kv|c50-ok|c50-bad|c10-ok|c10-bad]`.

use std::path::PathBuf;
use std::time::Instant;

use lockcheck_lincheck::check;
use lockcheck_lincheck::formats::{parse_etcd_log, parse_kv_edn};
use lockcheck_lincheck::specs::{KvSpec, RegisterSpec};

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/porcupine");
    if !dir.is_dir() {
        eprintln!("SKIP: no data at {}", dir.display());
        return;
    }
    let which = std::env::args().nth(1).unwrap_or_default();
    if which.is_empty() || which == "etcd" {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("etcd"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".log"))
            .collect();
        names.sort();
        let mut rows = Vec::new();
        for n in &names {
            let Ok(text) = std::fs::read_to_string(dir.join("etcd").join(n)) else {
                continue;
            };
            let Ok(h) = parse_etcd_log(&text) else {
                continue;
            };
            let t = Instant::now();
            let lin = check(&RegisterSpec, &h).is_linearizable();
            rows.push((t.elapsed(), n.clone(), lin));
        }
        let total: std::time::Duration = rows.iter().map(|r| r.0).sum();
        rows.sort();
        for r in rows.iter().rev().take(5) {
            println!("{:>12?} {} linearizable={}", r.0, r.1, r.2);
        }
        println!("etcd total {total:?}");
    }
    if which != "etcd" {
        let only = if which == "kv" {
            String::new()
        } else {
            which.clone()
        };
        for (file, per_key) in [
            ("c50-ok.txt", true),
            ("c50-bad.txt", true),
            ("c10-ok.txt", false),
            ("c10-bad.txt", false),
        ] {
            if !file.starts_with(&only) {
                continue;
            }
            let spec = if per_key {
                KvSpec::per_key()
            } else {
                KvSpec::whole_map()
            };
            let Ok(text) = std::fs::read_to_string(dir.join("kv").join(file)) else {
                continue;
            };
            let Ok(h) = parse_kv_edn(&text, &spec) else {
                continue;
            };
            let t = Instant::now();
            let lin = check(&spec, &h).is_linearizable();
            println!(
                "{:>12?} {file} {:?} linearizable={lin}",
                t.elapsed(),
                spec.mode()
            );
        }
    }
}
