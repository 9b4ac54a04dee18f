//! Taps: observers shown every datagram a transport sends or receives, for
//! captures (`pcap`) and tracing (`nlecho -v`). [`Tapped`] is the layer
//! around a [`Transport`] that shows them; the socket knows nothing of it.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::error::Result;
use crate::socket::{Datagram, Socket, Transport};

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
pub struct Seen<'a> {
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

/// Something that watches a transport's traffic.
pub trait Tap: Send {
    /// Called once per datagram, after it was sent or received. An error
    /// fails the send or receive that triggered it.
    fn datagram(&mut self, datagram: &Seen<'_>) -> Result<()>;
}

/// A transport whose traffic its taps see: each datagram once sent, or
/// once received whole; a failed send or receive shows nothing.
pub struct Tapped<T = Socket> {
    inner: T,
    taps: Mutex<Vec<Box<dyn Tap>>>,
}

impl<T: fmt::Debug> fmt::Debug for Tapped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tapped")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Tapped<T> {
    /// `inner`, with no taps yet.
    pub fn new(inner: T) -> Self {
        Tapped {
            inner,
            taps: Mutex::new(Vec::new()),
        }
    }

    /// Shows every datagram from now on to `tap` too.
    pub fn add_tap(&self, tap: Box<dyn Tap>) {
        self.taps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(tap);
    }

    fn show(
        &self,
        direction: Direction,
        peer_port: u32,
        group: Option<u32>,
        data: &[u8],
    ) -> Result<()> {
        let seen = Seen {
            direction,
            protocol: self.inner.socket().protocol(),
            peer_port,
            group,
            data,
        };
        let mut taps = self.taps.lock().unwrap_or_else(PoisonError::into_inner);
        taps.iter_mut().try_for_each(|t| t.datagram(&seen))
    }
}

impl<T: Transport> Transport for Tapped<T> {
    fn socket(&self) -> &Socket {
        self.inner.socket()
    }

    fn send_to(&self, datagram: &[u8], port: u32) -> Result<()> {
        self.inner.send_to(datagram, port)?;
        self.show(Direction::Sent, port, None, datagram)
    }

    fn send_to_group(&self, datagram: &[u8], group: u32) -> Result<()> {
        self.inner.send_to_group(datagram, group)?;
        self.show(Direction::Sent, 0, Some(group), datagram)
    }

    fn recv_until(&self, buf: &mut [u8], deadline: Option<Instant>) -> Result<Option<Datagram>> {
        let got = self.inner.recv_until(buf, deadline)?;
        if let Some(got) = got {
            // A transport reports at most what the buffer holds.
            let data = &buf[..got.len.min(buf.len())];
            self.show(Direction::Received, got.from_port, got.group, data)?;
        }
        Ok(got)
    }
}
