//! Checks a history file and writes its HTML timeline.
//!
//! Usage: `timeline HISTORY OUT.html`, where HISTORY is a Jepsen etcd log
//! (`.log`, checked as a CAS register) or a key-value EDN history (any other
//! name, checked per key).

use std::process::ExitCode;

use lockcheck_lincheck::check;
use lockcheck_lincheck::formats::{parse_etcd_log, parse_kv_edn};
use lockcheck_lincheck::html::{render_html, render_html_with};
use lockcheck_lincheck::specs::{KvInput, KvOutput, KvSpec, RegisterSpec};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, out] = &args[..] else {
        eprintln!("usage: timeline HISTORY OUT.html");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{input}: {e}");
            return ExitCode::from(2);
        }
    };
    let html = if input.ends_with(".log") {
        match parse_etcd_log(&text) {
            Ok(h) => {
                let v = check(&RegisterSpec, &h);
                println!("{v}");
                render_html(&h, Some(&v), input)
            }
            Err(e) => {
                eprintln!("{input}: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        let spec = KvSpec::per_key();
        match parse_kv_edn(&text, &spec) {
            Ok(h) => {
                let v = check(&spec, &h);
                println!("{v}");
                render_html_with(&h, Some(&v), input, |op| {
                    let key = spec.key_str(op.input.key());
                    let call = match op.input {
                        KvInput::Get { .. } => format!("get {key}"),
                        KvInput::Put { value, .. } => {
                            format!("put {key} {:?}", spec.value_str(value))
                        }
                        KvInput::Append { value, .. } => {
                            format!("append {key} {:?}", spec.value_str(value))
                        }
                    };
                    match op.output() {
                        Some(KvOutput::Value(v)) => format!("{call} -> {:?}", spec.value_str(*v)),
                        _ => call,
                    }
                })
            }
            Err(e) => {
                eprintln!("{input}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    if let Err(e) = std::fs::write(out, html) {
        eprintln!("{out}: {e}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
