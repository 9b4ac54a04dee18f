//! Request/reply exchanges with the kernel socket of a protocol.

use std::time::{Duration, Instant};

use nix::errno::Errno;

use crate::ack;
use crate::error::{Error, Result};
use crate::frame;
use crate::socket::Socket;
use crate::tap::Tap;
use crate::wire::{self, Header, Stats};

/// A message from the kernel: its header and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Header as received.
    pub header: Header,
    /// Payload, exactly `header.len - NLMSG_HDRLEN` bytes.
    pub payload: Vec<u8>,
}

/// Everything the kernel answered to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The request's sequence number.
    pub seq: u32,
    /// Replies before the acknowledgement, in order (none or one for
    /// nlecho's commands).
    pub replies: Vec<Reply>,
    /// The acknowledgement, if the request asked for one.
    pub ack: Option<ack::Status>,
}

/// A socket bound to a kernel-chosen port that sends requests to the kernel
/// and matches replies by sequence number and port, as libmnl does: only
/// datagrams from port 0, only messages with the request's `nlmsg_seq`
/// and an `nlmsg_pid` of 0 or ours.
#[derive(Debug)]
pub struct Client {
    socket: Socket,
    port: u32,
    timeout: Duration,
    next_seq: u32,
    /// Every reply fits: the module never sends more than MAX_MSG_LEN.
    buf: Vec<u8>,
}

impl Client {
    /// Opens a socket on `protocol`, binds it, and waits at most `timeout`
    /// for each answer.
    pub fn connect(protocol: u32, timeout: Duration) -> Result<Self> {
        let socket = Socket::open(protocol)?;
        socket.bind(0, 0)?;
        Client::new(socket, timeout)
    }

    /// A client over a bound `socket`.
    pub fn new(mut socket: Socket, timeout: Duration) -> Result<Self> {
        socket.set_timeout(timeout)?;
        socket.set_ext_ack(true)?;
        let port = socket.port()?;
        Ok(Client {
            socket,
            port,
            timeout,
            next_seq: 1,
            buf: vec![0; wire::MAX_MSG_LEN],
        })
    }

    /// The port id the kernel gave this client.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// The underlying socket, for exchanges this type does not model.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Shows every datagram of this client to `tap`.
    pub fn add_tap(&self, tap: Box<dyn Tap>) {
        self.socket.add_tap(tap);
    }

    /// Makes the next request use sequence number `seq` (then `seq + 1`...).
    pub fn set_next_seq(&mut self, seq: u32) {
        self.next_seq = seq;
    }

    /// Sends one message of type `ty` and returns the first message from
    /// the kernel with the same sequence number.
    ///
    /// An `NLMSG_ERROR` with a negative errno becomes [`Error::Kernel`]; one
    /// with error 0 (an acknowledgement) is returned as a reply.
    pub fn request(&mut self, ty: u16, flags: u16, payload: &[u8]) -> Result<Reply> {
        let seq = self.send(ty, flags, payload)?;
        let mut first = None;
        self.collect(seq, |reply, _| {
            first = Some(reply);
            false
        })?;
        first.ok_or(Error::BadReply {
            what: "no reply collected",
        })
    }

    /// Sends one message and collects the kernel's answer: with `NLM_F_ACK`
    /// in `flags`, every reply up to the acknowledgement; without, the
    /// first reply.
    pub fn exchange(&mut self, ty: u16, flags: u16, payload: &[u8]) -> Result<Exchange> {
        let seq = self.send(ty, flags, payload)?;
        let wants_ack = flags & wire::NLM_F_ACK != 0;
        let mut ex = Exchange {
            seq,
            replies: Vec::new(),
            ack: None,
        };
        self.collect(seq, |reply, status| {
            match status {
                Some(status) => {
                    ex.ack = Some(status);
                    return false;
                }
                None => ex.replies.push(reply),
            }
            wants_ack
        })?;
        Ok(ex)
    }

    /// `NLECHO_CMD_STATS`: the module's counters.
    pub fn stats(&mut self) -> Result<Stats> {
        let reply = self.request(wire::NLECHO_CMD_STATS, wire::NLM_F_REQUEST, &[])?;
        if reply.header.ty != wire::NLECHO_CMD_STATS {
            return Err(Error::UnexpectedReply {
                ty: reply.header.ty,
            });
        }
        Stats::parse(&reply.payload).map_err(Error::BadAttrs)
    }

    /// `NLECHO_CMD_RESET_STATS`, acknowledged. Needs `CAP_NET_ADMIN`.
    pub fn reset_stats(&mut self) -> Result<()> {
        let flags = wire::NLM_F_REQUEST | wire::NLM_F_ACK;
        self.exchange(wire::NLECHO_CMD_RESET_STATS, flags, &[])
            .map(drop)
    }

    /// `NLECHO_CMD_BROADCAST` of `data` to `group`, acknowledged. Needs
    /// `CAP_NET_ADMIN`.
    pub fn broadcast(&mut self, group: u32, data: &[u8]) -> Result<Exchange> {
        let payload = frame::broadcast_payload(group, data)?;
        let flags = wire::NLM_F_REQUEST | wire::NLM_F_ACK;
        self.exchange(wire::NLECHO_CMD_BROADCAST, flags, &payload)
    }

    /// Sends one request with the next sequence number; returns that number.
    pub fn send(&mut self, ty: u16, flags: u16, payload: &[u8]) -> Result<u32> {
        let seq = self.next_seq;
        let header = Header {
            ty,
            flags,
            seq,
            pid: self.port,
            ..Header::default()
        };
        let out = frame::encode(header, payload)?;
        self.socket.send_to(&out, 0)?;
        self.next_seq = seq.wrapping_add(1);
        Ok(seq)
    }

    /// Receives the kernel's messages for `seq` and hands each to `take`
    /// (with the decoded status of an acknowledgement) until `take` says
    /// `false`. A negative status ends the wait with [`Error::Kernel`];
    /// other traffic is skipped, within the overall timeout.
    fn collect(
        &mut self,
        seq: u32,
        take: impl FnMut(Reply, Option<ack::Status>) -> bool,
    ) -> Result<()> {
        let result = self.collect_within_timeout(seq, take);
        // Leave the whole timeout for the next request, or a caller's own
        // receive on `socket()`; the exchange's error is the one to report.
        let restored = if self.socket.timeout() == Some(self.timeout) {
            Ok(())
        } else {
            self.socket.set_timeout(self.timeout)
        };
        result.and(restored)
    }

    fn collect_within_timeout(
        &mut self,
        seq: u32,
        mut take: impl FnMut(Reply, Option<ack::Status>) -> bool,
    ) -> Result<()> {
        let timeout = self.timeout;
        let started = Instant::now();
        loop {
            // Later receives wait only for what is left, so the error names
            // the whole timeout rather than the socket's current one.
            let got = self.socket.recv(&mut self.buf).map_err(|e| match e {
                Error::Timeout { .. } => Error::Timeout { after: timeout },
                e => e,
            })?;
            if got.from_port == 0 {
                for msg in wire::Messages::new(&self.buf[..got.len]) {
                    let msg = msg.map_err(Error::Malformed)?;
                    let h = msg.header;
                    if h.seq != seq || (h.pid != 0 && h.pid != self.port) {
                        continue;
                    }
                    let status = if h.ty == wire::NLMSG_ERROR {
                        let s = ack::decode(&msg)
                            .map_err(|e| Error::BadReply { what: e.describe() })?;
                        if s.error < 0 {
                            return Err(Error::Kernel {
                                errno: Errno::from_raw(s.error.saturating_neg()),
                                message: s.message,
                            });
                        }
                        Some(s)
                    } else {
                        None
                    };
                    let reply = Reply {
                        header: h,
                        payload: msg.payload.to_vec(),
                    };
                    if !take(reply, status) {
                        return Ok(());
                    }
                }
            }
            // Unrelated traffic must not extend the wait: the next receive
            // gets only the time left (zero waits forever).
            if !timeout.is_zero() {
                let left = timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(Error::Timeout { after: timeout });
                }
                // SO_RCVTIMEO rounds to microseconds, and 0 means forever.
                self.socket
                    .set_timeout(left.max(Duration::from_micros(1)))?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use super::*;

    #[test]
    fn traffic_late_in_the_wait_does_not_extend_it() {
        // NETLINK_USERSOCK: a user port can send to the client unprivileged.
        let protocol = libc::NETLINK_USERSOCK as u32;
        let timeout = Duration::from_millis(400);
        let mut client = Client::connect(protocol, timeout).unwrap();
        let peer = Socket::open(protocol).unwrap();
        peer.bind(0, 0).unwrap();
        let to = client.port();
        let started = Instant::now();
        let noise = thread::spawn(move || {
            // Late in the wait: a receive that began afresh here with the
            // whole timeout would end at 700 ms.
            thread::sleep(Duration::from_millis(300));
            peer.send_to(&frame::encode(Header::default(), b"noise")?, to)
        });
        let got = client.collect(1, |_, _| true);
        let waited = started.elapsed();
        noise.join().unwrap().unwrap();
        assert!(
            matches!(got, Err(Error::Timeout { after }) if after == timeout),
            "{got:?}"
        );
        assert!(
            waited >= timeout && waited < timeout + Duration::from_millis(200),
            "waited {waited:?}"
        );
        assert_eq!(client.socket().timeout(), Some(timeout), "restored");
    }
}
