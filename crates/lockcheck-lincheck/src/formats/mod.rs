//! History formats: our JSON, Jepsen/Knossos EDN, and Jepsen etcd logs.

pub mod edn;
mod error;
pub mod etcd;
pub mod jepsen;
pub mod json;
pub mod kv_json;

pub use error::FormatError;
pub use etcd::parse_etcd_log;
pub use jepsen::{parse_jepsen_edn, parse_kv_edn, parse_register_edn};
pub use json::{parse_json_history, to_json};
pub use kv_json::parse_kv_json;
