//! Request/reply exchanges with the kernel socket of a protocol: one
//! request and its answer, or a dump.

use std::time::Duration;

use crate::ack;
use crate::error::{Error, Result};
use crate::frame;
use crate::socket::{deadline, Socket, Transport};
use crate::wire::{self, GroupInfo, Header, Message, Stats};

/// On a dump's message: the data changed while the dump ran, so the dump
/// may be inconsistent (`NLM_F_DUMP_INTR`, `linux/netlink.h`).
pub const NLM_F_DUMP_INTR: u16 = 0x10;

/// What the client's receive buffer holds: any answer to a request this
/// client can send. The largest is an error that echoes a whole 64 KiB
/// request with its extended ACK attributes; dump datagrams are at most
/// 32 KiB.
const RECV_BUFFER: usize = 2 * wire::MAX_MSG_LEN;

/// A message from the kernel: its header and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Header as received.
    pub header: Header,
    /// Payload, exactly `header.len - NLMSG_HDRLEN` bytes.
    pub payload: Vec<u8>,
}

impl Reply {
    fn from_message(msg: &Message<'_>) -> Self {
        Reply {
            header: msg.header,
            payload: msg.payload.to_vec(),
        }
    }
}

/// Everything the kernel answered to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The request's sequence number.
    pub seq: u32,
    /// Replies before the acknowledgement, in order (none or one for
    /// nlecho's commands).
    pub replies: Vec<Reply>,
    /// The acknowledgement, if the request asked for one and the answer
    /// was not final: an `NLMSG_DONE` (the answer to a classic request) is
    /// never followed by one.
    pub ack: Option<ack::Status>,
}

/// Everything a dump returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    /// The request's sequence number.
    pub seq: u32,
    /// The dump's messages (each flagged `NLM_F_MULTI`), in order, without
    /// the `NLMSG_DONE` that ended it.
    pub replies: Vec<Reply>,
    /// How many datagrams the dump took, the one with its `NLMSG_DONE`
    /// included.
    pub datagrams: usize,
    /// Whether a message was flagged `NLM_F_DUMP_INTR`: the data changed
    /// while the dump ran.
    pub interrupted: bool,
}

/// Whether an exchange needs more messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    More,
    Stop,
}

/// What an exchange makes of the messages for its request: the part of
/// each exchange that does no I/O.
trait Collect {
    /// Takes one message with the request's sequence number;
    /// `new_datagram` says whether it is the first of its datagram.
    fn take(&mut self, msg: &Message<'_>, new_datagram: bool) -> Result<Flow>;
}

/// Decodes an `NLMSG_ERROR`: a negative one is the exchange's error.
fn status(msg: &Message<'_>) -> Result<ack::Status> {
    let status = ack::decode(msg).map_err(|e| Error::BadReply { what: e.describe() })?;
    if status.error < 0 {
        return Err(Error::kernel(status));
    }
    Ok(status)
}

/// [`Client::request`]: the first message.
#[derive(Default)]
struct First(Option<Reply>);

impl Collect for First {
    fn take(&mut self, msg: &Message<'_>, _: bool) -> Result<Flow> {
        if msg.header.ty == wire::NLMSG_ERROR {
            status(msg)?;
        }
        self.0 = Some(Reply::from_message(msg));
        Ok(Flow::Stop)
    }
}

/// [`Client::exchange`]: the replies, up to the acknowledgement if one was
/// asked for; an `NLMSG_DONE` is final.
struct Exchanging {
    wants_ack: bool,
    ex: Exchange,
}

impl Exchanging {
    fn new(seq: u32, wants_ack: bool) -> Self {
        Exchanging {
            wants_ack,
            ex: Exchange {
                seq,
                replies: Vec::new(),
                ack: None,
            },
        }
    }
}

impl Collect for Exchanging {
    fn take(&mut self, msg: &Message<'_>, _: bool) -> Result<Flow> {
        if msg.header.ty == wire::NLMSG_ERROR {
            self.ex.ack = Some(status(msg)?);
            return Ok(Flow::Stop);
        }
        self.ex.replies.push(Reply::from_message(msg));
        // A DONE ends the exchange, as at the end of a dump: no ACK follows
        // it, even when the request asked for one.
        if msg.header.ty == wire::NLMSG_DONE || !self.wants_ack {
            return Ok(Flow::Stop);
        }
        Ok(Flow::More)
    }
}

/// [`Client::dump`]: `NLM_F_MULTI` messages until `NLMSG_DONE`.
#[derive(Default)]
struct Dumping(Dump);

impl Collect for Dumping {
    fn take(&mut self, msg: &Message<'_>, new_datagram: bool) -> Result<Flow> {
        if new_datagram {
            self.0.datagrams += 1;
        }
        let h = msg.header;
        if h.flags & NLM_F_DUMP_INTR != 0 {
            self.0.interrupted = true;
        }
        match h.ty {
            // The dump could not start: the error is the answer.
            wire::NLMSG_ERROR => {
                status(msg)?;
                Err(Error::BadReply {
                    what: "an acknowledgement instead of a dump",
                })
            }
            wire::NLMSG_DONE => {
                let done =
                    ack::decode_done(msg).map_err(|e| Error::BadReply { what: e.describe() })?;
                if done.error < 0 {
                    return Err(Error::Kernel {
                        errno: nix::errno::Errno::from_raw(done.error.saturating_neg()),
                        message: done.message,
                        offset: None,
                        miss_type: None,
                    });
                }
                Ok(Flow::Stop)
            }
            _ if h.flags & wire::NLM_F_MULTI == 0 => Err(Error::BadReply {
                what: "a dump message without NLM_F_MULTI",
            }),
            _ => {
                self.0.replies.push(Reply::from_message(msg));
                Ok(Flow::More)
            }
        }
    }
}

/// A socket bound to a kernel-chosen port that sends requests to the kernel
/// and matches replies by sequence number and port, as libmnl does: only
/// unicast datagrams from port 0, only messages with the request's
/// `nlmsg_seq` and an `nlmsg_pid` of 0 or ours.
///
/// It turns on `NETLINK_EXT_ACK`, so kernel errors carry the kernel's
/// message and the offending attribute ([`Error::Kernel`]), and leaves
/// `NETLINK_CAP_ACK` and `NETLINK_GET_STRICT_CHK` off; set them on
/// [`Client::socket`].
///
/// The transport is a [`Socket`], or a layer around one such as
/// [`crate::Tapped`] ([`Client::map_transport`]).
#[derive(Debug)]
pub struct Client<T = Socket> {
    transport: T,
    port: u32,
    timeout: Duration,
    next_seq: u32,
    buf: Vec<u8>,
}

impl Client {
    /// Opens a socket on `protocol`, binds it, and waits at most `timeout`
    /// for each answer (zero: for ever).
    pub fn connect(protocol: u32, timeout: Duration) -> Result<Self> {
        let socket = Socket::open(protocol)?;
        socket.bind(0, 0)?;
        Client::new(socket, timeout)
    }
}

impl<T: Transport> Client<T> {
    /// A client over `transport`, whose socket is bound.
    pub fn new(transport: T, timeout: Duration) -> Result<Self> {
        let socket = transport.socket();
        socket.set_ext_ack(true)?;
        let port = socket.port()?;
        Ok(Client {
            transport,
            port,
            timeout,
            next_seq: 1,
            buf: vec![0; RECV_BUFFER],
        })
    }

    /// The port id the kernel gave this client.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// The underlying socket, for exchanges this type does not model (its
    /// receives wait as its own timeout says, for ever unless set before
    /// the client was made; or pass a deadline) and for its options ([`Socket::set_cap_ack`], [`Socket::set_strict_check`]).
    pub fn socket(&self) -> &Socket {
        self.transport.socket()
    }

    /// The transport the client sends and receives through.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The same client over `layer` around its transport, such as
    /// `Tapped::new`.
    pub fn map_transport<U: Transport>(self, layer: impl FnOnce(T) -> U) -> Client<U> {
        Client {
            transport: layer(self.transport),
            port: self.port,
            timeout: self.timeout,
            next_seq: self.next_seq,
            buf: self.buf,
        }
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
        let mut first = First::default();
        self.collect(seq, &mut first)?;
        first.0.ok_or(Error::BadReply {
            what: "no reply collected",
        })
    }

    /// Sends one message and collects the kernel's answer: with `NLM_F_ACK`
    /// in `flags`, every reply up to the acknowledgement; without, the
    /// first reply. An `NLMSG_DONE` (what a classic request gets) is final:
    /// the exchange ends with it, as no acknowledgement follows it.
    pub fn exchange(&mut self, ty: u16, flags: u16, payload: &[u8]) -> Result<Exchange> {
        let seq = self.send(ty, flags, payload)?;
        let mut exchanging = Exchanging::new(seq, flags & wire::NLM_F_ACK != 0);
        self.collect(seq, &mut exchanging)?;
        Ok(exchanging.ex)
    }

    /// Sends a dump request (`NLM_F_REQUEST | NLM_F_DUMP` and `flags`) of
    /// type `ty` and collects its `NLM_F_MULTI` messages, across as many
    /// datagrams as it takes, up to the `NLMSG_DONE` that ends it, all
    /// within the client's timeout. A dump that could not start
    /// (`NLMSG_ERROR`) or that ended with a negative `NLMSG_DONE` is an
    /// [`Error::Kernel`].
    pub fn dump(&mut self, ty: u16, flags: u16, payload: &[u8]) -> Result<Dump> {
        let flags = flags | wire::NLM_F_REQUEST | wire::NLM_F_DUMP;
        let seq = self.send(ty, flags, payload)?;
        let mut dumping = Dumping(Dump {
            seq,
            ..Dump::default()
        });
        self.collect(seq, &mut dumping)?;
        Ok(dumping.0)
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

    /// `NLECHO_CMD_GET_GROUP` as a do: multicast `group`'s state.
    pub fn group(&mut self, group: u32) -> Result<GroupInfo> {
        let payload = frame::group_payload(group);
        let reply = self.request(wire::NLECHO_CMD_GET_GROUP, wire::NLM_F_REQUEST, &payload)?;
        group_info(&reply)
    }

    /// `NLECHO_CMD_GET_GROUP` as a dump: every group's state, in order.
    pub fn groups(&mut self) -> Result<Vec<GroupInfo>> {
        let dump = self.dump(wire::NLECHO_CMD_GET_GROUP, 0, &[])?;
        dump.replies.iter().map(group_info).collect()
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
        self.transport.send_to(&out, 0)?;
        self.next_seq = seq.wrapping_add(1);
        Ok(seq)
    }

    /// Receives the kernel's messages for `seq` and hands each to `into`
    /// until it says [`Flow::Stop`] or fails; other traffic is skipped.
    /// All of it within one deadline, so unrelated traffic does not extend
    /// the wait, and a signal that interrupts it does not cut it short.
    fn collect(&mut self, seq: u32, into: &mut impl Collect) -> Result<()> {
        let deadline = deadline(self.timeout);
        loop {
            let got = match self.transport.recv_until(&mut self.buf, deadline) {
                Ok(Some(got)) => got,
                Ok(None) => {
                    return Err(Error::Timeout {
                        after: self.timeout,
                    })
                }
                Err(Error::Interrupted) => continue,
                Err(e) => return Err(e),
            };
            // Answers come from the kernel, unicast; never a notification.
            if got.from_port != 0 || got.group.is_some() {
                continue;
            }
            let mut new_datagram = true;
            for msg in wire::Messages::new(&self.buf[..got.len]) {
                let msg = msg.map_err(Error::Malformed)?;
                let h = msg.header;
                if h.seq != seq || (h.pid != 0 && h.pid != self.port) {
                    continue;
                }
                let flow = into.take(&msg, new_datagram)?;
                new_datagram = false;
                if flow == Flow::Stop {
                    return Ok(());
                }
            }
        }
    }
}

/// A GET_GROUP reply's group.
fn group_info(reply: &Reply) -> Result<GroupInfo> {
    if reply.header.ty != wire::NLECHO_CMD_GET_GROUP {
        return Err(Error::UnexpectedReply {
            ty: reply.header.ty,
        });
    }
    GroupInfo::parse(&reply.payload).map_err(Error::BadAttrs)
}

#[cfg(test)]
mod tests {
    use std::thread;
    use std::time::Instant;

    use nix::errno::Errno;

    use super::*;
    use crate::attr::AttrWriter;

    const SEQ: u32 = 7;

    fn msg_bytes(ty: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let h = Header {
            ty,
            flags,
            seq: SEQ,
            ..Header::default()
        };
        frame::encode(h, payload).unwrap()
    }

    /// An `NLMSG_ERROR` for a request of type `ty`, capped, with `tlvs`.
    fn error_bytes(error: i32, ty: u16, tlvs: &[u8]) -> Vec<u8> {
        let request = Header {
            len: 16,
            ty,
            flags: wire::NLM_F_REQUEST,
            seq: SEQ,
            pid: 9,
        };
        let payload = wire::ErrorPayload { error, request }.to_bytes().to_vec();
        with_tlvs(wire::NLMSG_ERROR, wire::NLM_F_CAPPED, payload, tlvs)
    }

    fn done_bytes(error: i32, tlvs: &[u8]) -> Vec<u8> {
        with_tlvs(
            wire::NLMSG_DONE,
            wire::NLM_F_MULTI,
            error.to_ne_bytes().to_vec(),
            tlvs,
        )
    }

    /// `payload` then `tlvs`, flagged `NLM_F_ACK_TLVS` when there are any.
    fn with_tlvs(ty: u16, flags: u16, mut payload: Vec<u8>, tlvs: &[u8]) -> Vec<u8> {
        payload.extend_from_slice(tlvs);
        let tlv_flag = if tlvs.is_empty() {
            0
        } else {
            wire::NLM_F_ACK_TLVS
        };
        msg_bytes(ty, flags | tlv_flag, &payload)
    }

    /// Feeds `datagrams` to `into` as the receive loop would; returns how
    /// many messages it took before stopping, or its error.
    fn feed(into: &mut impl Collect, datagrams: &[Vec<u8>]) -> Result<usize> {
        let mut taken = 0;
        for d in datagrams {
            let mut new_datagram = true;
            for m in wire::Messages::new(d) {
                taken += 1;
                let flow = into.take(&m.unwrap(), new_datagram)?;
                new_datagram = false;
                if flow == Flow::Stop {
                    return Ok(taken);
                }
            }
        }
        Ok(taken)
    }

    fn ext_ack(msg: &str, offs: Option<u32>, miss: Option<u32>) -> Vec<u8> {
        let mut w = AttrWriter::new();
        w.put_str(wire::NLMSGERR_ATTR_MSG, msg).unwrap();
        if let Some(o) = offs {
            w.put_u32(wire::NLMSGERR_ATTR_OFFS, o).unwrap();
        }
        if let Some(t) = miss {
            w.put_u32(wire::NLMSGERR_ATTR_MISS_TYPE, t).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn an_exchange_ends_at_its_ack() {
        let mut ex = Exchanging::new(SEQ, true);
        let echo = msg_bytes(wire::NLECHO_CMD_ECHO, 0, b"x");
        let ack = error_bytes(0, wire::NLECHO_CMD_ECHO, &[]);
        let taken = feed(&mut ex, &[echo, ack, msg_bytes(0x10, 0, b"late")]).unwrap();
        assert_eq!(taken, 2);
        assert_eq!(ex.ex.replies.len(), 1);
        assert!(ex.ex.ack.unwrap().is_ack());
    }

    #[test]
    fn a_done_is_final_even_when_an_ack_was_asked_for() {
        let mut ex = Exchanging::new(SEQ, true);
        // An older module's late ACK after the DONE is never waited for.
        let done = msg_bytes(wire::NLMSG_DONE, 0, b"classic");
        let late_ack = error_bytes(0, wire::NLECHO_CLASSIC, &[]);
        let taken = feed(&mut ex, &[[done, late_ack].concat()]).unwrap();
        assert_eq!(taken, 1, "the exchange ends at the DONE");
        assert_eq!(ex.ex.replies[0].payload, b"classic");
        assert_eq!(ex.ex.ack, None);
    }

    #[test]
    fn a_kernel_error_carries_its_extended_ack() {
        let tlvs = ext_ack("no such group", Some(16), None);
        let err = feed(
            &mut First::default(),
            &[error_bytes(-34, wire::NLECHO_CMD_BROADCAST, &tlvs)],
        )
        .unwrap_err();
        match err {
            Error::Kernel {
                errno,
                message,
                offset,
                miss_type,
            } => {
                assert_eq!(errno, Errno::ERANGE);
                assert_eq!(message.as_deref(), Some("no such group"));
                assert_eq!((offset, miss_type), (Some(16), None));
            }
            other => panic!("{other:?}"),
        }
        let tlvs = ext_ack("missing attribute", None, Some(2));
        let err = feed(
            &mut First::default(),
            &[error_bytes(-22, wire::NLECHO_CMD_BROADCAST, &tlvs)],
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Kernel {
                    errno: Errno::EINVAL,
                    miss_type: Some(2),
                    ..
                }
            ),
            "{err:?}"
        );
    }

    fn group_msg(g: u32, flags: u16) -> Vec<u8> {
        let info = GroupInfo {
            group: g,
            ..GroupInfo::default()
        };
        msg_bytes(wire::NLECHO_CMD_GET_GROUP, flags, &info.to_bytes())
    }

    #[test]
    fn a_dump_collects_multi_messages_across_datagrams_until_done() {
        let multi = wire::NLM_F_MULTI;
        let first = [group_msg(1, multi), group_msg(2, multi)].concat();
        let second = [group_msg(3, multi), done_bytes(0, &[])].concat();
        let mut d = Dumping::default();
        // Nothing after the DONE is taken, an ACK least of all.
        let ack = error_bytes(0, wire::NLECHO_CMD_GET_GROUP, &[]);
        assert_eq!(feed(&mut d, &[first, second, ack]).unwrap(), 4);
        assert_eq!(d.0.datagrams, 2);
        assert!(!d.0.interrupted);
        let groups: Vec<_> =
            d.0.replies
                .iter()
                .map(|r| group_info(r).unwrap().group)
                .collect();
        assert_eq!(groups, [1, 2, 3]);
    }

    #[test]
    fn a_dump_reports_interruptions_failures_and_bad_messages() {
        let multi = wire::NLM_F_MULTI;
        let mut d = Dumping::default();
        feed(
            &mut d,
            &[group_msg(1, multi | NLM_F_DUMP_INTR), done_bytes(0, &[])],
        )
        .unwrap();
        assert!(d.0.interrupted);

        // A negative DONE is the dump's error, with its message.
        let tlvs = ext_ack("dump failed", None, None);
        let err = feed(&mut Dumping::default(), &[done_bytes(-105, &tlvs)]).unwrap_err();
        assert!(
            matches!(&err, Error::Kernel { errno: Errno::ENOBUFS, message: Some(m), .. } if m == "dump failed"),
            "{err:?}"
        );
        // A dump that could not start.
        let err = feed(
            &mut Dumping::default(),
            &[error_bytes(-95, wire::NLECHO_CMD_STATS, &[])],
        )
        .unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EOPNOTSUPP));
        // What a module without dumps answers: one reply, no NLM_F_MULTI.
        let err = feed(&mut Dumping::default(), &[group_msg(1, 0)]).unwrap_err();
        assert!(matches!(err, Error::BadReply { .. }), "{err:?}");
        // An ACK where a dump should be.
        let ack = error_bytes(0, wire::NLECHO_CMD_GET_GROUP, &[]);
        let err = feed(&mut Dumping::default(), &[ack]).unwrap_err();
        assert!(matches!(err, Error::BadReply { .. }), "{err:?}");
        // A DONE too short for its int.
        let err = feed(
            &mut Dumping::default(),
            &[msg_bytes(wire::NLMSG_DONE, multi, &[0, 0])],
        )
        .unwrap_err();
        assert!(matches!(err, Error::BadReply { .. }), "{err:?}");
    }

    #[test]
    fn group_replies_must_be_get_group() {
        let reply = Reply {
            header: Header {
                ty: wire::NLECHO_CMD_STATS,
                ..Header::default()
            },
            payload: Vec::new(),
        };
        assert!(matches!(
            group_info(&reply),
            Err(Error::UnexpectedReply {
                ty: wire::NLECHO_CMD_STATS
            })
        ));
        let reply = Reply {
            header: Header {
                ty: wire::NLECHO_CMD_GET_GROUP,
                ..Header::default()
            },
            payload: Vec::new(),
        };
        assert!(matches!(group_info(&reply), Err(Error::BadAttrs(_))));
    }

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
        struct Never;
        impl Collect for Never {
            fn take(&mut self, _: &Message<'_>, _: bool) -> Result<Flow> {
                Ok(Flow::More)
            }
        }
        let got = client.collect(1, &mut Never);
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
    }
}
