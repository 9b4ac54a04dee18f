// SPDX-License-Identifier: GPL-2.0

//! The nlecho wire format, the one definition both sides compile.
//!
//! The kernel module includes this file with `mod wire;`, the userspace
//! library with `#[path = ...] mod wire;`. It is plain `no_std` Rust: no
//! allocation, no `unsafe`, no kernel or libc types, so the parser the kernel
//! runs is the parser the host tests exercise. Integers are in host byte
//! order, as everywhere in netlink.

#![forbid(unsafe_code)]
// Each side uses a different subset of this file.
#![allow(dead_code)]

/// Protocol number the module registers unless told otherwise.
pub const NETLINK_NLECHO: u32 = 30;
/// Protocol numbers are below this (`MAX_LINKS` in `linux/netlink.h`).
pub const MAX_LINKS: u32 = 32;

/// Messages start and are padded to multiples of this.
pub const NLMSG_ALIGNTO: usize = 4;
/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;

/// Control message types (`linux/netlink.h`).
pub const NLMSG_NOOP: u16 = 0x1;
/// An error or, with error 0, an acknowledgement.
pub const NLMSG_ERROR: u16 = 0x2;
/// End of a multipart message; also what classic modules answer with.
pub const NLMSG_DONE: u16 = 0x3;
/// Data lost.
pub const NLMSG_OVERRUN: u16 = 0x4;
/// Types below this are reserved for control messages.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// The message is a request.
pub const NLM_F_REQUEST: u16 = 0x1;
/// Part of a multipart message.
pub const NLM_F_MULTI: u16 = 0x2;
/// Reply with an acknowledgement on success.
pub const NLM_F_ACK: u16 = 0x4;
/// On an `NLMSG_ERROR`: the original message was cut down to its header.
pub const NLM_F_CAPPED: u16 = 0x100;

/// What the classic tutorial clients send: type 0, answered with
/// `NLMSG_DONE` and the same payload.
pub const NLECHO_CLASSIC: u16 = 0;
/// Echo: the payload comes back, unparsed, in a message of the same type.
pub const NLECHO_CMD_ECHO: u16 = NLMSG_MIN_TYPE;
/// Ask the kernel to multicast `NLECHO_A_DATA` to group `NLECHO_A_GROUP`.
pub const NLECHO_CMD_BROADCAST: u16 = 0x11;
/// The module's counters, as `NLECHO_A_STAT_*` attributes.
pub const NLECHO_CMD_STATS: u16 = 0x12;
/// Set every counter to 0.
pub const NLECHO_CMD_RESET_STATS: u16 = 0x13;

/// Multicast group (`u32`, 1-based).
pub const NLECHO_A_GROUP: u16 = 1;
/// Opaque data.
pub const NLECHO_A_DATA: u16 = 2;
/// First of the `u64` counters of a STATS reply, in [`Stats`] field order.
pub const NLECHO_A_STAT_RECEIVED: u16 = 3;
/// Echo replies sent.
pub const NLECHO_A_STAT_ECHOED: u16 = 4;
/// Kernel-initiated messages sent.
pub const NLECHO_A_STAT_BROADCAST: u16 = 5;
/// Replies or messages a receiver did not take.
pub const NLECHO_A_STAT_DROPPED: u16 = 6;
/// Datagrams cut short by a malformed message.
pub const NLECHO_A_STAT_MALFORMED: u16 = 7;
/// Requests answered with a negative error.
pub const NLECHO_A_STAT_ERRORS: u16 = 8;
/// Payload bytes echoed.
pub const NLECHO_A_STAT_BYTES: u16 = 9;

/// Multicast groups the module offers unless told otherwise.
pub const DEFAULT_GROUPS: u32 = 32;

/// Largest message, header included, the module accepts or sends.
///
/// Larger requests are answered with `-EMSGSIZE`. 64 KiB keeps every reply
/// allocation bounded while leaving room for bulk payloads.
pub const MAX_MSG_LEN: usize = 64 * 1024;
/// Largest payload of a single message.
pub const MAX_PAYLOAD: usize = MAX_MSG_LEN - NLMSG_HDRLEN;

/// Size of an `NLMSG_ERROR` payload: the error and the original header.
pub const ERROR_PAYLOAD_LEN: usize = 4 + NLMSG_HDRLEN;

/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;
/// Attribute type flag: the value is a list of attributes.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// Attribute type flag: the value is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// The attribute type without its flags.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// Rounds `len` up to the netlink alignment (`NLMSG_ALIGN`).
pub const fn align(len: usize) -> usize {
    (len + NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1)
}

/// Space a message with `payload` bytes takes, padding included (`NLMSG_SPACE`).
pub const fn msg_space(payload: usize) -> usize {
    align(NLMSG_HDRLEN + payload)
}

/// `struct nlmsghdr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Length of the message including this header.
    pub len: u32,
    /// Message type.
    pub ty: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number, echoed in replies.
    pub seq: u32,
    /// Port the sender claims; replies never trust it.
    pub pid: u32,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Header {
    /// Whether the module acts on this message. As in the kernel's own
    /// families only requests of type `NLMSG_MIN_TYPE` and up are, and the
    /// rest is at most acknowledged; but the classic tutorial clients send
    /// type 0 without `NLM_F_REQUEST` and expect an answer.
    pub fn is_command(&self) -> bool {
        self.ty == NLECHO_CLASSIC || (self.flags & NLM_F_REQUEST != 0 && self.ty >= NLMSG_MIN_TYPE)
    }

    /// Reads a header from the start of `buf`, or `None` if `buf` is shorter
    /// than a header. The length field is not checked here.
    pub fn parse(buf: &[u8]) -> Option<Header> {
        let b = buf.get(..NLMSG_HDRLEN)?;
        Some(Header {
            len: u32_at(b, 0),
            ty: u16_at(b, 4),
            flags: u16_at(b, 6),
            seq: u32_at(b, 8),
            pid: u32_at(b, 12),
        })
    }

    /// The header as it goes on the wire.
    pub fn to_bytes(self) -> [u8; NLMSG_HDRLEN] {
        let mut b = [0u8; NLMSG_HDRLEN];
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.ty.to_ne_bytes());
        b[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        b[12..16].copy_from_slice(&self.pid.to_ne_bytes());
        b
    }
}

/// Why a datagram could not be walked to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Fewer bytes left than a header: `avail`.
    Truncated {
        /// Bytes left in the datagram.
        avail: usize,
    },
    /// `nlmsg_len` is smaller than the header itself.
    LengthTooSmall {
        /// The claimed length.
        len: u32,
    },
    /// `nlmsg_len` runs past the end of the datagram.
    LengthPastEnd {
        /// The claimed length.
        len: u32,
        /// Bytes left in the datagram.
        avail: usize,
    },
}

/// One message of a datagram, borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Its header, as sent.
    pub header: Header,
    /// Its payload: exactly `header.len - NLMSG_HDRLEN` bytes.
    pub payload: &'a [u8],
    /// Offset of the header within the datagram.
    pub offset: usize,
}

/// Walks the messages of a datagram in order (`NLMSG_OK`/`NLMSG_NEXT`).
///
/// Yields `Err` for the first malformed message and nothing after it: once a
/// length is wrong, no later offset can be trusted. Nothing is ever read
/// outside the buffer.
pub struct Messages<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Messages<'a> {
    /// Iterates over the messages of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { buf, pos: 0 }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        // Whatever happens below, this call either moves past a whole message
        // or ends the walk.
        let offset = self.pos;
        self.pos = self.buf.len();
        let header = match Header::parse(rest) {
            Some(h) => h,
            None => return Some(Err(Malformed::Truncated { avail: rest.len() })),
        };
        let len = header.len as usize;
        if len < NLMSG_HDRLEN {
            return Some(Err(Malformed::LengthTooSmall { len: header.len }));
        }
        let payload = match rest.get(NLMSG_HDRLEN..len) {
            Some(p) => p,
            None => {
                return Some(Err(Malformed::LengthPastEnd {
                    len: header.len,
                    avail: rest.len(),
                }))
            }
        };
        // The last message's padding may be missing from the datagram.
        self.pos = offset + align(len).min(rest.len());
        Some(Ok(Message {
            header,
            payload,
            offset,
        }))
    }
}

/// Why a message could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRoom {
    /// Bytes the message needs, padding included.
    pub need: usize,
    /// Bytes the buffer had.
    pub have: usize,
}

/// Writes one message (header, payload, zeroed padding) at the start of
/// `out` and returns the bytes used, `msg_space(payload.len())`.
///
/// `header.len` is set from the payload; the rest of `header` is used as given.
pub fn put(out: &mut [u8], mut header: Header, payload: &[u8]) -> Result<usize, NoRoom> {
    let space = msg_space(payload.len());
    let len = NLMSG_HDRLEN + payload.len();
    if space > out.len() || payload.len() > MAX_PAYLOAD {
        return Err(NoRoom {
            need: space,
            have: out.len(),
        });
    }
    // Checked above: len <= MAX_MSG_LEN, which fits in u32.
    header.len = len as u32;
    out[..NLMSG_HDRLEN].copy_from_slice(&header.to_bytes());
    out[NLMSG_HDRLEN..len].copy_from_slice(payload);
    out[len..space].fill(0);
    Ok(space)
}

/// The payload of an `NLMSG_ERROR`: `struct nlmsgerr` with its message capped
/// to the header, which is all nlecho ever sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorPayload {
    /// 0 for an acknowledgement, otherwise a negative errno.
    pub error: i32,
    /// Header of the message this answers.
    pub request: Header,
}

impl ErrorPayload {
    /// Reads an error payload, or `None` if it is too short.
    pub fn parse(payload: &[u8]) -> Option<ErrorPayload> {
        let error = i32::from_ne_bytes(payload.get(..4)?.try_into().ok()?);
        let request = Header::parse(payload.get(4..)?)?;
        Some(ErrorPayload { error, request })
    }

    /// The payload as it goes on the wire.
    pub fn to_bytes(self) -> [u8; ERROR_PAYLOAD_LEN] {
        let mut b = [0u8; ERROR_PAYLOAD_LEN];
        b[..4].copy_from_slice(&self.error.to_ne_bytes());
        b[4..].copy_from_slice(&self.request.to_bytes());
        b
    }
}

/// One attribute (`struct nlattr` and its value), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Type, without the `NLA_F_*` flags.
    pub ty: u16,
    /// Whether `NLA_F_NESTED` was set.
    pub nested: bool,
    /// The value, without padding.
    pub value: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The value as a `u32`, if it is exactly 4 bytes.
    pub fn u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.value.try_into().ok()?))
    }

    /// The value as a `u64`, if it is exactly 8 bytes.
    pub fn u64(&self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.value.try_into().ok()?))
    }

    /// The attributes nested in this one's value.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::new(self.value)
    }
}

/// An attribute whose length is below the header or past its container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAttr {
    /// Offset of the bad attribute within its container.
    pub offset: usize,
}

/// Walks the attributes of a payload (`nla_for_each_attr`), stopping at the
/// first malformed one. A nested walk ([`Attr::attrs`]) is bounded by its
/// parent's value.
pub struct Attrs<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Attrs<'a> {
    /// Iterates over the attributes in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { buf, pos: 0 }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, BadAttr>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let offset = self.pos;
        self.pos = self.buf.len();
        let bad = Some(Err(BadAttr { offset }));
        let Some(head) = rest.get(..NLA_HDRLEN) else {
            return bad;
        };
        let len = usize::from(u16_at(head, 0));
        let ty = u16_at(head, 2);
        let Some(value) = rest
            .get(NLA_HDRLEN..len.max(NLA_HDRLEN))
            .filter(|_| len >= NLA_HDRLEN)
        else {
            return bad;
        };
        self.pos = offset + align(len).min(rest.len());
        Some(Ok(Attr {
            ty: ty & NLA_TYPE_MASK,
            nested: ty & NLA_F_NESTED != 0,
            value,
        }))
    }
}

/// Appends one attribute at the start of `out`, zero-padded, and returns
/// the bytes used.
pub fn put_attr(out: &mut [u8], ty: u16, value: &[u8]) -> Result<usize, NoRoom> {
    let len = NLA_HDRLEN + value.len();
    let space = align(len);
    let len16 = u16::try_from(len).map_err(|_| NoRoom {
        need: space,
        have: out.len(),
    })?;
    if space > out.len() {
        return Err(NoRoom {
            need: space,
            have: out.len(),
        });
    }
    out[..2].copy_from_slice(&len16.to_ne_bytes());
    out[2..4].copy_from_slice(&ty.to_ne_bytes());
    out[NLA_HDRLEN..len].copy_from_slice(value);
    out[len..space].fill(0);
    Ok(space)
}

/// Why a command's attributes were refused (answered with `-EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrError {
    /// An attribute's length is wrong.
    Malformed(BadAttr),
    /// A required attribute is missing.
    Missing(u16),
    /// A known attribute has a value of the wrong size.
    BadValue(u16),
}

impl From<BadAttr> for AttrError {
    fn from(bad: BadAttr) -> Self {
        AttrError::Malformed(bad)
    }
}

/// The request of `NLECHO_CMD_BROADCAST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broadcast<'a> {
    /// Destination group, 1-based.
    pub group: u32,
    /// What to send.
    pub data: &'a [u8],
}

impl<'a> Broadcast<'a> {
    /// Reads a BROADCAST payload; unknown attributes are ignored.
    pub fn parse(payload: &'a [u8]) -> Result<Self, AttrError> {
        let (mut group, mut data) = (None, None);
        for attr in Attrs::new(payload) {
            let attr = attr?;
            match attr.ty {
                NLECHO_A_GROUP => group = Some(attr.u32().ok_or(AttrError::BadValue(attr.ty))?),
                NLECHO_A_DATA => data = Some(attr.value),
                _ => {}
            }
        }
        Ok(Broadcast {
            group: group.ok_or(AttrError::Missing(NLECHO_A_GROUP))?,
            data: data.ok_or(AttrError::Missing(NLECHO_A_DATA))?,
        })
    }

    /// Writes the payload at the start of `out` and returns its length.
    pub fn put(&self, out: &mut [u8]) -> Result<usize, NoRoom> {
        let n = put_attr(out, NLECHO_A_GROUP, &self.group.to_ne_bytes())?;
        let m = put_attr(
            out.get_mut(n..).unwrap_or_default(),
            NLECHO_A_DATA,
            self.data,
        )?;
        Ok(n + m)
    }
}

/// The module's counters: the payload of a STATS reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Well-formed messages received.
    pub received: u64,
    /// Echo replies sent.
    pub echoed: u64,
    /// Kernel-initiated messages sent.
    pub broadcast: u64,
    /// Replies or messages a receiver did not take.
    pub dropped: u64,
    /// Datagrams cut short by a malformed message.
    pub malformed: u64,
    /// Requests answered with a negative error.
    pub errors: u64,
    /// Payload bytes echoed.
    pub bytes: u64,
}

/// Size of a STATS payload: seven `u64` attributes.
pub const STATS_PAYLOAD_LEN: usize = 7 * (NLA_HDRLEN + 8);

impl Stats {
    /// Every counter with its attribute type and name, in attribute order.
    pub fn fields(&self) -> [(u16, &'static str, u64); 7] {
        [
            (NLECHO_A_STAT_RECEIVED, "received", self.received),
            (NLECHO_A_STAT_ECHOED, "echoed", self.echoed),
            (NLECHO_A_STAT_BROADCAST, "broadcast", self.broadcast),
            (NLECHO_A_STAT_DROPPED, "dropped", self.dropped),
            (NLECHO_A_STAT_MALFORMED, "malformed", self.malformed),
            (NLECHO_A_STAT_ERRORS, "errors", self.errors),
            (NLECHO_A_STAT_BYTES, "bytes", self.bytes),
        ]
    }

    /// The STATS payload.
    pub fn to_bytes(self) -> [u8; STATS_PAYLOAD_LEN] {
        let mut out = [0u8; STATS_PAYLOAD_LEN];
        let mut at = 0;
        for (ty, _, value) in self.fields() {
            // Cannot fail: `out` holds exactly seven u64 attributes.
            at += put_attr(&mut out[at..], ty, &value.to_ne_bytes()).unwrap_or(0);
        }
        out
    }

    /// Reads a STATS payload; unknown attributes are ignored, missing
    /// counters read as 0.
    pub fn parse(payload: &[u8]) -> Result<Self, AttrError> {
        let mut s = Stats::default();
        for attr in Attrs::new(payload) {
            let attr = attr?;
            let field = match attr.ty {
                NLECHO_A_STAT_RECEIVED => &mut s.received,
                NLECHO_A_STAT_ECHOED => &mut s.echoed,
                NLECHO_A_STAT_BROADCAST => &mut s.broadcast,
                NLECHO_A_STAT_DROPPED => &mut s.dropped,
                NLECHO_A_STAT_MALFORMED => &mut s.malformed,
                NLECHO_A_STAT_ERRORS => &mut s.errors,
                NLECHO_A_STAT_BYTES => &mut s.bytes,
                _ => continue,
            };
            *field = attr.u64().ok_or(AttrError::BadValue(attr.ty))?;
        }
        Ok(s)
    }
}
