//! Fuzzing the parsers of what a user hands lockcheck: model files,
//! histories (each format `lincheck` reads) and schedule strings. On
//! random bytes and on mutations of valid inputs, none panics, every error
//! names a place, and valid inputs still parse. A model that parses also
//! explores (a few random and PCT schedules) without a panic escaping.
//!
//! `cargo test` runs a few hundred cases of each; a longer campaign sets
//! `PROPTEST_CASES` (e.g. `PROPTEST_CASES=100000 cargo test --release
//! --test model_parser_fuzz`).

use lockcheck::explore::schedule::{decode, encode};
use lockcheck::explore::{ExploreError, Strategy as Explore};
use lockcheck::lincheck::formats::{
    FormatError, parse_etcd_log, parse_json_history, parse_kv_edn, parse_kv_json,
    parse_register_edn,
};
use lockcheck::lincheck::specs::{KvSpec, MutexInput, MutexOutput, RegisterInput, RegisterOutput};
use lockcheck::model::parse;
use proptest::prelude::*;

fn shipped() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

/// One edit of a file: overwrite, insert or delete bytes at a position.
#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to TOML, and some text that does.
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"\"'[]{}=#.,\n 0-_:/".to_vec()),
    ];
    let chunk = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec![
            b"[[process]]\n".to_vec(),
            b"[explore]\n".to_vec(),
            b"[[fault]]\nkind = \"pause\"\n".to_vec(),
            b"ops = [\"sleep 1s\", \"crash\"]\n".to_vec(),
            b"processes = 99999999999999999999\n".to_vec(),
            b"count = 100000\n".to_vec(),
            b"iterations = -1\n".to_vec(),
            b"\xe9\x80".to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), chunk).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<usize>(), 1..20usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Set(i, b) if len > 0 => bytes[i % len] = *b,
            Edit::Insert(i, c) => {
                let at = i % (len + 1);
                bytes.splice(at..at, c.iter().copied());
            }
            Edit::Delete(i, n) if len > 0 => {
                let at = i % len;
                bytes.drain(at..(at + n).min(len));
            }
            Edit::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// Cases per property: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(n)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn random_bytes_never_panic_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = parse("fuzz.toml", &bytes) {
            prop_assert!(e.to_string().starts_with("fuzz.toml:"));
        }
    }

    #[test]
    fn mutated_models_never_panic_the_parser(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let models = shipped();
        let original = models[which.index(models.len())].clone();
        let bytes = apply(original, &edits);
        match parse("m.toml", &bytes) {
            Ok(model) => prop_assert!(!model.scenario.processes.is_empty()),
            Err(e) => {
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                prop_assert!(e.to_string().starts_with("m.toml:"));
            }
        }
    }
}

/// Values that have broken, or might break, a model: paths the setup
/// cannot write, sleeps at the end of virtual time, blocking `before`
/// steps, numbers at their limits. Mostly valid, so that most models
/// parse and explore.
fn table() -> impl Strategy<Value = String> {
    let path = prop::sample::select(vec![
        "a/",
        "a",
        "a/b",
        "a/b/",
        ".",
        "locks",
        "locks/task.lock",
        "tasks",
        "tasks/x",
        "registry.json",
        "registry.json/x",
        "board.json",
        "counter",
        "x/../y",
        "",
        "/abs",
        "a//b",
        "é",
    ]);
    let op = prop::sample::select(vec![
        "acquire",
        "release",
        "critical",
        "acquire",
        "release",
        "critical",
        "crash",
        "sleep 0s",
        "sleep 1ns",
        "sleep 3504001h",
        "sleep 3503999h59m58s",
        "sleep 1s",
        "refresh",
        "claim t1",
        "add-agent a",
        "assign t1 a",
        "set-status t1 done",
        "sleep 99999999999999999999s",
    ]);
    let ops = prop::collection::vec(op, 0..5).prop_map(|v| {
        let quoted: Vec<String> = v.iter().map(|o| format!("{o:?}")).collect();
        format!("[{}]", quoted.join(", "))
    });
    let small = prop::sample::select(vec!["0", "1", "1", "2", "2", "3", "6", "16", "27"]);
    let large = prop::sample::select(vec![
        "4294967296",
        "18446744073709551615",
        "-1",
        "99999999999999999999",
    ]);
    let number = prop_oneof![4 => small, 1 => large];
    let duration = prop::sample::select(vec![
        "0s",
        "1ms",
        "5s",
        "5s",
        "3504001h",
        "99999999999999999999s",
        "1e30s",
    ]);
    let fault = prop_oneof![
        (number.clone(), duration.clone())
            .prop_map(|(n, d)| format!("kind = \"pause\"\nprocess = {n}\nduration = {d:?}\n")),
        number
            .clone()
            .prop_map(|n| format!("kind = \"crash\"\nprocess = {n}\n")),
        (number.clone(), duration.clone())
            .prop_map(|(n, d)| format!("kind = \"skew\"\nprocess = {n}\nahead = {d:?}\n")),
        Just("kind = \"power-loss\"\n".to_string()),
        Just("kind = \"flood\"\n".to_string()),
    ];
    let strategy = prop::sample::select(vec!["random", "pct", "random-then-pct", "dfs", "bfs"]);
    prop_oneof![
        1 => (path, "[a-z]{0,3}").prop_map(|(p, c)| format!("[[file]]\npath = {p:?}\ncontents = {c:?}\n")),
        3 => (ops.clone(), ops, prop_oneof![Just("1"), Just("2"), number.clone()]).prop_map(
            |(o, b, n)| format!("[[process]]\nops = {o}\nbefore = {b}\ncount = {n}\n")
        ),
        2 => fault.prop_map(|f| format!("[[fault]]\n{f}")),
        1 => (strategy, number).prop_map(|(s, i)| format!(
            "[explore]\nstrategy = {s:?}\niterations = {i}\n"
        )),
    ]
}

/// A shipped model with its own `[explore]` table dropped (the fuzzer's
/// tables come last, so top-level keys must come before them) and up to
/// four tables added (at most one `[explore]`).
fn with_tables() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(table(), 1..5),
    )
        .prop_map(|(which, tables)| {
            let models = shipped();
            let text = String::from_utf8(models[which.index(models.len())].clone()).unwrap();
            let mut out = match text.find("[explore]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            if tables.iter().any(|t| t.starts_with("[[process]]")) {
                // Processes replace the workload.
                out = out
                    .lines()
                    .filter(|l| !l.starts_with("workload") && !l.starts_with("processes"))
                    .map(|l| format!("{l}\n"))
                    .collect();
            }
            out.push('\n');
            let mut explore = false;
            for t in tables {
                if t.starts_with("[explore]") && std::mem::replace(&mut explore, true) {
                    continue;
                }
                out.push_str(&t);
            }
            out.into_bytes()
        })
}

/// Explores a parsed model briefly with random and PCT schedules: a panic
/// escaping is a finding (a verdict, or an error, is fine).
fn explores_without_panicking(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(model) = parse("m.toml", bytes) else {
        return Ok(());
    };
    for strategy in [
        Explore::Random {
            seed: 1,
            iterations: 2,
        },
        Explore::Pct {
            seed: 1,
            depth: 3,
            iterations: 2,
        },
    ] {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            model.scenario.explore_exactly(strategy)
        }));
        match outcome {
            Ok(Ok(_) | Err(ExploreError::LoomNeedsOps(_))) => {}
            Ok(Err(e)) => prop_assert!(false, "{e}\n{}", String::from_utf8_lossy(bytes)),
            Err(_) => prop_assert!(false, "panicked on\n{}", String::from_utf8_lossy(bytes)),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn models_with_hostile_tables_parse_or_name_a_place_and_explore_without_panicking(
        bytes in with_tables(),
    ) {
        match parse("m.toml", &bytes) {
            Ok(_) => explores_without_panicking(&bytes)?,
            Err(e) => {
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                prop_assert!(e.to_string().starts_with("m.toml:"), "{e}");
            }
        }
    }
}

/// Valid histories, one per format and spec family `lincheck` reads.
const HISTORIES: &[(Format, &str)] = &[
    (
        Format::RegisterJson,
        "{\"events\": [\n{\"type\": \"invoke\", \"process\": 0, \"input\": {\"write\": 3}},\n\
         {\"type\": \"invoke\", \"process\": 1, \"input\": \"read\"},\n\
         {\"type\": \"ok\", \"process\": 0, \"output\": \"written\"},\n\
         {\"type\": \"ok\", \"process\": 1, \"output\": {\"read\": 3}}\n]}\n",
    ),
    (
        Format::MutexJson,
        "{\"events\": [\n{\"type\": \"invoke\", \"process\": 0, \"input\": {\"acquire\": 0}},\n\
         {\"type\": \"ok\", \"process\": 0, \"output\": \"acquired\"},\n\
         {\"type\": \"invoke\", \"process\": 0, \"input\": {\"release\": 0}},\n\
         {\"type\": \"info\", \"process\": 0}\n]}\n",
    ),
    (
        Format::KvJson,
        "{\"events\": [\n{\"type\": \"invoke\", \"process\": 0, \"input\": {\"put\": {\"key\": \"x\", \"value\": \"1\"}}},\n\
         {\"type\": \"invoke\", \"process\": 1, \"input\": {\"get\": {\"key\": \"x\"}}},\n\
         {\"type\": \"ok\", \"process\": 0, \"output\": \"done\"},\n\
         {\"type\": \"ok\", \"process\": 1, \"output\": {\"value\": \"1\"}}\n]}\n",
    ),
    (
        Format::RegisterEdn,
        "[{:process 0 :type :invoke :f :cas :value [1 2]}\n {:process 0 :type :fail :f :cas :value [1 2]}\n \
         {:process 1 :type :invoke :f :read} {:process 1 :type :ok :f :read :value nil}]\n",
    ),
    (
        Format::KvEdn,
        "{:process 0, :type :invoke, :f :append, :key \"k\", :value \"x\"}\n\
         {:process 1, :type :invoke, :f :get, :key \"k\", :value nil}\n\
         {:process 0, :type :ok, :f :append, :key \"k\", :value \"x\"}\n\
         {:process 1, :type :ok, :f :get, :key \"k\", :value \"x\"}\n",
    ),
    (
        Format::Etcd,
        "INFO  jepsen.util - 0\t:invoke\t:write\t3\n\
         INFO  jepsen.core - some other line\n\
         INFO  jepsen.util - 1   :invoke :cas    [3 4]\n\
         INFO  jepsen.util - 0\t:ok\t:write\t3\n\
         INFO  jepsen.util - 1   :fail   :cas    [3 4]\n\
         INFO  jepsen.util - 2\t:invoke\t:read\tnil\n\
         INFO  jepsen.util - 2\t:info\t:read\t:timed-out\n",
    ),
];

/// A history format and the spec family it is read for.
#[derive(Clone, Copy, Debug)]
enum Format {
    RegisterJson,
    MutexJson,
    KvJson,
    RegisterEdn,
    KvEdn,
    Etcd,
}

/// Reads `text` as `format`: the error, if any.
fn read(format: Format, text: &str) -> Option<FormatError> {
    let spec = KvSpec::per_key();
    match format {
        Format::RegisterJson => parse_json_history::<RegisterInput, RegisterOutput>(text).err(),
        Format::MutexJson => parse_json_history::<MutexInput, MutexOutput>(text).err(),
        Format::KvJson => parse_kv_json(text, &spec).err(),
        Format::RegisterEdn => parse_register_edn(text).err(),
        Format::KvEdn => parse_kv_edn(text, &spec).err(),
        Format::Etcd => parse_etcd_log(text).err(),
    }
}

/// Edits that matter to the history formats.
fn history_edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[]:\"\\ ,\n\t0123456789-.en:".to_vec()),
    ];
    let chunk = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec![
            b":type :ok".to_vec(),
            b":process 99999999999999999999999".to_vec(),
            b"{\"type\": \"ok\", \"process\": 0}".to_vec(),
            b"[99999999999999999999 1]".to_vec(),
            b"\"\\u".to_vec(),
            b"#{".to_vec(),
            b"INFO  jepsen.util - 7\t:ok\t:cas\t[1 2]\n".to_vec(),
            b"1e999".to_vec(),
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), chunk).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<usize>(), 1..20usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

#[test]
fn every_sample_history_is_read() {
    for (format, text) in HISTORIES {
        assert_eq!(read(*format, text), None, "{format:?}");
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn mutated_histories_are_read_or_refused_naming_a_line(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(history_edit(), 1..6),
    ) {
        let (format, text) = HISTORIES[which.index(HISTORIES.len())];
        let bytes = apply(text.as_bytes().to_vec(), &edits);
        // The CLI refuses text that is not UTF-8 before any format sees it.
        let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(()) };
        if let Some(e) = read(format, text) {
            let (line, _) = e.position();
            // A line of the text (or the one just past its end).
            prop_assert!(line >= 1 && line <= text.lines().count() + 1, "{e}\n{text}");
            prop_assert!(e.to_string().starts_with(&format!("line {line}, column ")), "{e}");
        }
    }

    #[test]
    fn random_text_never_panics_a_history_reader(text in ".{0,200}") {
        for format in [Format::RegisterJson, Format::KvJson, Format::RegisterEdn, Format::KvEdn, Format::Etcd] {
            if let Some(e) = read(format, &text) {
                prop_assert!(e.position().0 >= 1, "{e}");
            }
        }
    }

    #[test]
    fn mutated_schedule_strings_decode_or_name_a_place_inside_them(
        text in "v1:([a-z~_0-9]{0,3}[0-9]{0,8}){0,12}[a-z_~0-9!?A ]{0,3}",
        cut in any::<prop::sample::Index>(),
    ) {
        for t in [text.clone(), text[..cut.index(text.len() + 1)].to_string()] {
            match decode(&t) {
                Ok(choices) => prop_assert_eq!(decode(&encode(&choices)).unwrap(), choices),
                Err(e) => prop_assert!(e.at <= t.chars().count(), "{e}"),
            }
        }
    }
}

#[test]
fn every_shipped_model_parses() {
    for bytes in shipped() {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = parse("m.toml", &bytes) {
            panic!("{e}\n{text}");
        }
    }
}
