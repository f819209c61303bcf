//! The sequential specifications shipped with the checker.

pub mod claim;
mod interner;
pub mod kv;
pub mod lease;
pub mod mutex;
pub mod register;
pub mod registry;
pub mod taskboard;
mod values;

pub use claim::{Claim, ClaimOutput, ClaimSpec};
pub use kv::{KvInput, KvMode, KvOutput, KvSpec};
pub use lease::{LeaseInput, LeaseOutput, LeaseSpec, LeaseState};
pub use mutex::{MutexInput, MutexOutput, MutexSpec};
pub use register::{RegisterInput, RegisterOutput, RegisterSpec};
pub use registry::{Counts, RegistryInput, RegistryOutput, RegistrySpec, RegistryState, Status};
pub use taskboard::{BoardInput, BoardOutput, TaskBoardSpec};
