//! Userspace side of nlecho: the shared wire format, a netlink socket for
//! custom protocols, and a request/reply client.
//!
//! The wire format is the very file the kernel module compiles, so both
//! sides agree by construction.

#[path = "../../../module/wire.rs"]
pub mod wire;

pub mod bench;
mod client;
mod error;
mod socket;

pub use client::{Client, Reply};
pub use error::{Error, Result};
pub use socket::{Datagram, Socket};
