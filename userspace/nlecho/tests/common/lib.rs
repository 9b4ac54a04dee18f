//! Helpers shared by the Rust tests on the host (`userspace/nlecho/tests/`)
//! and in the guest (`tests/guest/rust/`).

pub mod message;
pub mod rng;
pub mod silence;
