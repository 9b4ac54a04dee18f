//! Taps: observers a [`crate::Socket`] shows every datagram it sends or
//! receives, for captures (`pcap`) and tracing (`nlecho -v`).

use crate::error::Result;

/// Which way a datagram went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sent by this socket.
    Sent,
    /// Received by this socket.
    Received,
}

/// One datagram as a tap sees it.
#[derive(Clone, Copy, Debug)]
pub struct Tapped<'a> {
    /// Which way it went.
    pub direction: Direction,
    /// The netlink protocol of the socket.
    pub protocol: u32,
    /// The other end: the destination port of a sent datagram, the sender's
    /// port of a received one (0: the kernel).
    pub peer_port: u32,
    /// The multicast group it was sent to, if any.
    pub group: Option<u32>,
    /// The datagram: one or more netlink messages.
    pub data: &'a [u8],
}

/// Something that watches a socket's traffic.
pub trait Tap: Send {
    /// Called once per datagram, after it was sent or received. An error
    /// fails the send or receive that triggered it.
    fn datagram(&mut self, datagram: &Tapped<'_>) -> Result<()>;
}
