//! Userspace side of nlecho: the shared wire format, a netlink socket for
//! custom protocols, taps around it for captures and tracing, a
//! request/reply client over either, and the names of message types.
//!
//! Modules depend one way: `error` <- `socket` (the transport) <- `tap` (a
//! layer around it) <- `pcap` (a tap), and `socket` <- `client`; `wire`,
//! `ack`, `attr`, `frame` and `types` do the framing, without I/O.
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
pub use error::{Error, Op, Result};
pub use socket::{Datagram, Received, Socket, Transport, MAX_SEND_GROUP};
pub use tap::{Direction, Seen, Tap, Tapped};
