//! The model-file parser never panics: not on random bytes, not on random
//! mutations of the shipped models.

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

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

#[test]
fn every_shipped_model_parses() {
    for bytes in shipped() {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = parse("m.toml", &bytes) {
            panic!("{e}\n{text}");
        }
    }
}
