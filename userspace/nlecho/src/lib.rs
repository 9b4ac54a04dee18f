//! Userspace side of nlecho: the shared wire format, a netlink socket for
//! custom protocols, a request/reply client, pcap captures, and the names
//! of message types.
//!
//! The wire format is the very file the kernel module compiles, so both
//! sides agree by construction; the modules around it add what only
//! userspace needs (heap buffers, sockets, files).

#[path = "../../../module/wire.rs"]
pub mod wire;

pub mod ack;
pub mod attr;
mod client;
mod error;
pub mod frame;
pub mod pcap;
mod socket;
pub mod sockopt;
mod tap;
pub mod types;

pub use client::{Client, Dump, Exchange, Reply, NLM_F_DUMP_INTR};
pub use error::{Error, Result};
pub use socket::{Datagram, Received, Socket, MAX_SEND_GROUP};
pub use tap::{Direction, Tap, Tapped};
