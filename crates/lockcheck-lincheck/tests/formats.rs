//! The history formats: what they read, and where they say bad input is.

use lockcheck_lincheck::formats::edn::{Edn, read_all};
use lockcheck_lincheck::formats::{
    FormatError, parse_etcd_log, parse_jepsen_edn, parse_json_history, parse_kv_edn,
    parse_register_edn, to_json,
};
use lockcheck_lincheck::specs::{KvSpec, RegisterInput, RegisterOutput, RegisterSpec};
use lockcheck_lincheck::{History, OpResult, check};
use proptest::prelude::*;

#[test]
fn etcd_lines_with_tabs_or_spaces_and_timeouts_are_read() {
    let log = "INFO  jepsen.util - 0\t:invoke\t:write\t3\n\
               INFO  jepsen.core - some other line\n\
               \n\
               INFO  jepsen.util - 1   :invoke :cas    [3 4]\n\
               INFO  jepsen.util - 0\t:ok\t:write\t3\n\
               INFO  jepsen.util - 1   :fail   :cas    [3 4]\n\
               INFO  jepsen.util - 2\t:invoke\t:read\tnil\n\
               INFO  jepsen.util - 2\t:fail\t:read\t:timed-out\n\
               INFO  jepsen.util - 3\t:invoke\t:write\t1\n\
               INFO  jepsen.util - 3\t:info\t:write\t:timed-out\n";
    let h = parse_etcd_log(log).expect("parses");
    assert_eq!(h.len(), 4);
    assert_eq!(h.ops()[1].input, RegisterInput::Cas { from: 3, to: 4 });
    // A failed cas returned false (Porcupine's reading of these logs).
    assert_eq!(h.ops()[1].result, OpResult::Ok(RegisterOutput::Cas(false)));
    assert_eq!(h.ops()[2].result, OpResult::Fail);
    assert_eq!(h.ops()[3].result, OpResult::Info);
    // The cas found 3 while the register held 3: not linearizable... unless
    // the cas came first, which it may (it overlaps the write).
    assert!(check(&RegisterSpec, &h).is_linearizable());
}

#[test]
fn a_bad_etcd_value_names_its_line_and_column() {
    let log =
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tseven\n";
    let e = parse_etcd_log(log).unwrap_err();
    assert_eq!(e.position(), (2, 33));
    assert_eq!(
        e.to_string(),
        "line 2, column 33: expected nil, an integer, [from to] or :timed-out, found `seven`"
    );
}

#[test]
fn an_unknown_etcd_operation_names_its_column() {
    let e = parse_etcd_log("INFO  jepsen.util - 4 :invoke :delete 3\n").unwrap_err();
    assert_eq!(e.position(), (1, 31));
    assert!(e.to_string().contains(":read, :write or :cas"), "{e}");
}

#[test]
fn an_etcd_completion_without_an_invocation_is_a_history_error() {
    let e = parse_etcd_log("\nINFO  jepsen.util - 4\t:ok\t:write\t3\n").unwrap_err();
    assert!(matches!(e, FormatError::History { line: 2, .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("line 2, column 21: process 4 completed"),
        "{e}"
    );
}

#[test]
fn edn_reads_maps_vectors_sets_strings_and_tags() {
    let v = read_all(
        r#"{:a [1 -2 3.5 "x\"y"], :b #{:k nil}, :c #jepsen.history.Op{:f :get}} ; comment"#,
    )
    .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].value.get("a"),
        Some(&Edn::Vector(vec![
            Edn::Int(1),
            Edn::Int(-2),
            Edn::Float(3.5),
            Edn::Str("x\"y".into())
        ]))
    );
    assert_eq!(
        v[0].value.get("c").and_then(|c| c.get("f")),
        Some(&Edn::Keyword("get".into()))
    );
}

#[test]
fn edn_discards_and_deep_nesting_are_handled() {
    let v = read_all("[1 #_2] #_ {:x 1} :k #_ :gone").unwrap();
    let values: Vec<Edn> = v.into_iter().map(|l| l.value).collect();
    assert_eq!(
        values,
        vec![Edn::Vector(vec![Edn::Int(1)]), Edn::Keyword("k".into())]
    );
    let deep = "[".repeat(10_000);
    let e = read_all(&deep).unwrap_err();
    assert!(
        e.to_string().contains("at most 200 levels of nesting"),
        "{e}"
    );
}

#[test]
fn an_unclosed_edn_map_names_where_input_ended() {
    let e = read_all("{:process 0,\n :type :invoke").unwrap_err();
    assert_eq!(e.position(), (2, 15));
    assert!(e.to_string().contains("expected `}`"), "{e}");
}

#[test]
fn an_edn_event_without_a_type_names_its_line() {
    let e = parse_jepsen_edn("{:process 0, :type :invoke, :f :get}\n  {:process 0, :f :get}\n")
        .unwrap_err();
    assert_eq!(e.position(), (2, 3));
    assert!(e.to_string().contains(":type"), "{e}");
}

#[test]
fn nemesis_events_are_skipped() {
    let ev = parse_jepsen_edn(
        "{:process :nemesis, :type :info, :f :start}\n{:process 1, :type :invoke, :f :read}",
    )
    .unwrap();
    assert_eq!(ev.len(), 1);
}

#[test]
fn a_kv_edn_history_is_read_with_the_specs_ids() {
    let spec = KvSpec::per_key();
    let text = r#"{:process 0, :type :invoke, :f :append, :key "k", :value "x"}
{:process 1, :type :invoke, :f :get, :key "k", :value nil}
{:process 0, :type :ok, :f :append, :key "k", :value "x"}
{:process 1, :type :ok, :f :get, :key "k", :value "x"}
"#;
    let h = parse_kv_edn(text, &spec).unwrap();
    assert_eq!(h.len(), 2);
    assert!(check(&spec, &h).is_linearizable());
    let e = parse_kv_edn(
        r#"{:process 0, :type :invoke, :f :delete, :key "k"}"#,
        &spec,
    )
    .unwrap_err();
    assert!(e.to_string().contains(":f :get, :put or :append"), "{e}");
}

#[test]
fn a_knossos_register_history_is_read() {
    let text = "[{:process 0 :type :invoke :f :cas :value [1 2]}\n {:process 0 :type :fail :f :cas :value [1 2]}\n {:process 1 :type :invoke :f :read} {:process 1 :type :ok :f :read :value nil}]";
    let h = parse_register_edn(text).unwrap();
    assert_eq!(h.ops()[0].result, OpResult::Fail);
    assert!(check(&RegisterSpec, &h).is_linearizable());
}

#[test]
fn json_histories_round_trip() {
    let mut h = History::new();
    h.invoke(1, RegisterInput::Cas { from: 1, to: 2 }).unwrap();
    h.invoke(2, RegisterInput::Read).unwrap();
    h.ok(1, RegisterOutput::Cas(false)).unwrap();
    h.info(2).unwrap();
    let text = to_json(&h);
    assert!(
        text.contains(r#"{"type":"invoke","process":1,"input":{"cas":{"from":1,"to":2}}}"#),
        "{text}"
    );
    let back: History<RegisterInput, RegisterOutput> = parse_json_history(&text).unwrap();
    assert_eq!(back, h);
}

#[test]
fn bad_json_names_its_line_and_column() {
    let e = parse_json_history::<RegisterInput, RegisterOutput>(
        "{\"events\": [\n {\"type\": \"launch\", \"process\": 1}\n]}",
    )
    .unwrap_err();
    assert_eq!(e.position().0, 2);
    let e = parse_json_history::<RegisterInput, RegisterOutput>(
        "{\"events\": [{\"type\":\"ok\",\"process\":1,\"output\":\"written\"}]}",
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::History {
                line: 1,
                column: 13,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_json_event_that_does_not_fit_is_reported_where_it_starts_in_the_text() {
    // As to_json writes it: one event a line, after the opening line.
    let text = "{\"events\": [\n{\"type\":\"invoke\",\"process\":0,\"input\":\"read\"},\n  \
                {\"type\":\"ok\",\"process\":1,\"output\":{\"read\":0}}\n]}\n";
    let e = parse_json_history::<RegisterInput, RegisterOutput>(text).unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::History {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{e}"
    );
    // A bad value inside an event: the event's place in the whole text
    // (serde reads a tagged event whole, so it cannot say where inside),
    // and serde's message without a place of its own.
    let text = "{\"events\": [\n{\"type\":\"invoke\",\"process\":0,\"input\":\"read\"},\n\
                {\"type\":\"ok\",\"process\":0,\"output\":{\"read\":\"zero\"}}\n]}\n";
    let e = parse_json_history::<RegisterInput, RegisterOutput>(text).unwrap_err();
    assert_eq!(e.position(), (3, 1), "{e}");
    assert!(!e.to_string().contains(" at line "), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn parsers_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = read_all(&text);
        let _ = parse_etcd_log(&text);
        let _ = parse_kv_edn(&text, &KvSpec::per_key());
        let _ = parse_register_edn(&text);
        let _ = parse_json_history::<RegisterInput, RegisterOutput>(&text);
    }

    #[test]
    fn parsers_never_panic_on_near_miss_lines(
        s in "(INFO  jepsen.util - [0-9]{1,3}[ \t]+:(invoke|ok|fail|info|x)[ \t]+:(read|write|cas|y)[ \t]+(nil|-?[0-9]{1,20}|\\[[0-9 ]{0,5}\\]?|:timed-out)?\n){0,4}",
        t in "(\\{:process [0-9a-z:]{1,3},? :type :(invoke|ok|fail|info),? :f :(get|put|append|read|cas),? (:key \"[a-z]?\"|:value (nil|\"[a-z]*|\\[1 2\\]|[0-9]+))?[ }\\]#_]{0,2}\n){0,4}",
    ) {
        let _ = parse_etcd_log(&s);
        let _ = parse_kv_edn(&t, &KvSpec::per_key());
        let _ = parse_register_edn(&t);
    }
}
