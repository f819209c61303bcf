//! `lockcheck list`: what lockcheck knows, by the names model files and
//! commands use.

use serde::Serialize;

use super::EXIT_OK;
use super::args::{ListArgs, SpecName};
use crate::explore::Fault;
use crate::model::ops::{ops_for, property_forms};
use crate::model::workload::WORKLOADS;

/// Everything listed.
#[derive(Debug, Serialize)]
struct Listing {
    protocols: Vec<(String, Vec<&'static str>)>,
    operations: Vec<(String, Vec<String>)>,
    workloads: Vec<(&'static str, Vec<&'static str>, &'static str)>,
    specs: Vec<String>,
    formats: Vec<&'static str>,
    properties: Vec<String>,
    faults: Vec<&'static str>,
    strategies: Vec<&'static str>,
}

fn listing() -> Listing {
    let variants = crate::model::variant_names();
    let families = ["lockfile", "flock", "claim", "registry", "taskboard"];
    let protocols = families
        .iter()
        .map(|f| {
            let prefix = format!("{f}/");
            let vs = variants
                .iter()
                .copied()
                .filter(|v| v.starts_with(&prefix))
                .collect();
            (f.to_string(), vs)
        })
        .collect();
    let operations = families
        .iter()
        .map(|f| (f.to_string(), ops_for(f)))
        .collect();
    let specs = <SpecName as clap::ValueEnum>::value_variants()
        .iter()
        .filter_map(clap::ValueEnum::to_possible_value)
        .map(|v| v.get_name().to_string())
        .collect();
    Listing {
        protocols,
        operations,
        workloads: WORKLOADS
            .iter()
            .map(|(n, f, d)| (*n, f.to_vec(), *d))
            .collect(),
        specs,
        formats: vec!["json", "edn", "etcd"],
        // Every property, in the form model files write it.
        properties: property_forms(),
        faults: Fault::NAMES.to_vec(),
        strategies: vec!["random-then-pct", "random", "pct", "dfs", "loom"],
    }
}

/// Runs `list`.
pub fn run(args: &ListArgs) -> u8 {
    let l = listing();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&l).unwrap_or_else(|e| format!("\"{e}\""))
        );
        return EXIT_OK;
    }
    println!("protocols and variants:");
    for (f, vs) in &l.protocols {
        println!("  {f:<10} {}", vs.join(", "));
    }
    println!("operations (model files' process programs):");
    for (f, ops) in &l.operations {
        println!("  {f:<10} {}", ops.join(", "));
    }
    println!("workloads:");
    for (n, fams, d) in &l.workloads {
        println!("  {n:<21} ({}) {d}", fams.join(", "));
    }
    println!("properties:");
    for p in &l.properties {
        println!("  {p}");
    }
    println!("fault kinds: {}", l.faults.join(", "));
    println!("strategies: {}", l.strategies.join(", "));
    println!("lincheck specs: {}", l.specs.join(", "));
    println!("history formats: {}", l.formats.join(", "));
    EXIT_OK
}
