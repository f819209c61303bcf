//! The checker agrees with a brute-force search over every order on small
//! random register histories (with failed, info and pending operations).

use lockcheck_lincheck::specs::{RegisterInput as I, RegisterOutput as O, RegisterSpec};
use lockcheck_lincheck::{History, OpResult, Spec, Verdict, check};
use proptest::prelude::*;

/// Every order of the remaining operations that respects real time; info
/// and pending operations may also never take effect.
fn brute(h: &History<I, O>, left: &mut Vec<usize>, state: Option<i64>) -> bool {
    let deadline = left.iter().filter_map(|&i| h.ops()[i].returns_at()).min();
    let Some(deadline) = deadline else {
        return true;
    };
    for k in 0..left.len() {
        let i = left[k];
        let op = &h.ops()[i];
        if op.call > deadline {
            continue;
        }
        if let Some(next) = RegisterSpec.step(&state, &op.input, op.output()) {
            left.swap_remove(k);
            let ok = brute(h, left, next);
            left.push(i);
            let last = left.len() - 1;
            left.swap(k, last);
            if ok {
                return true;
            }
        }
    }
    false
}

#[derive(Debug, Clone)]
enum Step {
    Invoke(u64, I),
    Complete(u64, u8, O),
}

fn input() -> impl Strategy<Value = I> {
    prop_oneof![
        Just(I::Read),
        (0..3i64).prop_map(I::Write),
        (0..3i64, 0..3i64).prop_map(|(from, to)| I::Cas { from, to }),
    ]
}

fn output() -> impl Strategy<Value = O> {
    prop_oneof![
        prop_oneof![Just(None), (0..3i64).prop_map(Some)].prop_map(O::Read),
        Just(O::Written),
        any::<bool>().prop_map(O::Cas),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            (0..3u64, input()).prop_map(|(p, i)| Step::Invoke(p, i)),
            (0..3u64, 0..6u8, output()).prop_map(|(p, k, o)| Step::Complete(p, k, o)),
        ],
        0..16,
    )
}

/// Builds a history, skipping events that do not fit; outputs are made to
/// match their operation's kind.
fn build(steps: Vec<Step>) -> History<I, O> {
    let mut h = History::new();
    let mut pending: [Option<I>; 3] = [None, None, None];
    for s in steps {
        match s {
            Step::Invoke(p, i) => {
                if pending[p as usize].is_none() && h.invoke(p, i).is_ok() {
                    pending[p as usize] = Some(i);
                }
            }
            Step::Complete(p, k, o) => {
                let Some(i) = pending[p as usize].take() else {
                    continue;
                };
                let fits = matches!(
                    (i, o),
                    (I::Read, O::Read(_)) | (I::Write(_), O::Written) | (I::Cas { .. }, O::Cas(_))
                );
                let _ = match k {
                    0 => h.fail(p),
                    1 => h.info(p),
                    _ if fits => h.ok(p, o),
                    _ => h.info(p),
                };
            }
        }
    }
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_checker_agrees_with_brute_force(steps in steps()) {
        let h = build(steps);
        let mut left: Vec<usize> = h.ops().iter().filter(|o| !matches!(o.result, OpResult::Fail)).map(|o| o.id.0).collect();
        let expected = brute(&h, &mut left, None);
        let v = check(&RegisterSpec, &h);
        prop_assert_eq!(v.is_linearizable(), expected, "{}", v);
        if let Verdict::Linearizable { witness } = v {
            // The witness is accepted by the spec and respects real time.
            let mut state = None;
            for (k, id) in witness.iter().enumerate() {
                let op = h.op(*id);
                state = RegisterSpec.step(&state, &op.input, op.output()).expect("witness step accepted");
                for later in &witness[k + 1..] {
                    prop_assert!(h.op(*later).returns_at().is_none_or(|r| r > op.call));
                }
            }
            for op in h.ops() {
                if op.returns_at().is_some() {
                    prop_assert!(witness.contains(&op.id));
                }
            }
        }
    }
}
