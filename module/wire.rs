// SPDX-License-Identifier: GPL-2.0

//! The nlecho wire format, the one definition both sides compile.
//!
//! The kernel module includes this file with `mod wire;`, the userspace
//! library with `#[path = ...] mod wire;`. It is plain `no_std` Rust: no
//! allocation, no `unsafe`, no kernel or libc types, so the parser the kernel
//! runs is the parser the host tests exercise. Integers are in host byte
//! order, as everywhere in netlink.
//!
//! The module uses a part of it. What only userspace uses is marked
//! `#[cfg_attr(target_os = "none", allow(dead_code))]`, with the reason:
//! the kernel's target has no OS, and there the item is unused. `allow`,
//! not `expect`: rustc 1.85 (trixie's kernels) and 1.97 disagree on which
//! of them are dead, and an unmet expectation fails the build.

#![forbid(unsafe_code)]

use core::ffi::CStr;
use core::marker::PhantomData;

/// Protocol number the module registers unless told otherwise.
pub const NETLINK_NLECHO: u32 = 30;
/// Protocol numbers are below this (`MAX_LINKS` in `linux/netlink.h`).
pub const MAX_LINKS: u32 = 32;

/// Messages start and are padded to multiples of this.
pub const NLMSG_ALIGNTO: usize = 4;
/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;

/// Control message types (`linux/netlink.h`).
// Unused by the module: control types are told by range.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLMSG_NOOP: u16 = 0x1;
/// An error or, with error 0, an acknowledgement.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLMSG_ERROR: u16 = 0x2;
/// End of a multipart message; also what classic modules answer with.
pub const NLMSG_DONE: u16 = 0x3;
/// Data lost.
// Unused by the module: control types are told by range.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLMSG_OVERRUN: u16 = 0x4;
/// Types below this are reserved for control messages.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// The message is a request.
pub const NLM_F_REQUEST: u16 = 0x1;
/// Part of a multipart message.
pub const NLM_F_MULTI: u16 = 0x2;
/// Reply with an acknowledgement on success.
pub const NLM_F_ACK: u16 = 0x4;
/// On a GET request: return the whole table (with `NLM_F_MATCH`, a dump).
pub const NLM_F_ROOT: u16 = 0x100;
/// On a GET request: return every entry that matches (with `NLM_F_ROOT`).
pub const NLM_F_MATCH: u16 = 0x200;
/// A dump request: both of the above, as rtnetlink and genetlink test it.
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
/// On an `NLMSG_ERROR`: the original message was cut down to its header.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLM_F_CAPPED: u16 = 0x100;
/// On an `NLMSG_ERROR`: extended ACK attributes follow the request.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// Extended ACK attribute: a sentence saying what was wrong.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// Extended ACK attribute (`u32`): offset of the offending attribute from
/// the start of the request's header.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
/// Extended ACK attribute (`u32`): type of a missing required attribute.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;

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
/// A kernel-initiated message: `NLECHO_A_GROUP` (0 for a unicast) and
/// `NLECHO_A_DATA`.
pub const NLECHO_CMD_NOTIFY: u16 = 0x14;
/// One multicast group (a do, with `NLECHO_A_GROUP`) or all (a dump).
pub const NLECHO_CMD_GET_GROUP: u16 = 0x15;

/// Multicast group (`u32`, 1-based).
pub const NLECHO_A_GROUP: u16 = 1;
/// Opaque data.
pub const NLECHO_A_DATA: u16 = 2;
/// `u64`, in a STATS reply: [`Counts::received`].
pub const NLECHO_A_STAT_RECEIVED: u16 = 3;
/// `u64`, in a STATS reply: [`Counts::echoed`].
pub const NLECHO_A_STAT_ECHOED: u16 = 4;
/// `u64`, in a STATS reply: [`Counts::notified`].
pub const NLECHO_A_STAT_BROADCAST: u16 = 5;
/// `u64`, in a STATS reply: [`Counts::dropped`].
pub const NLECHO_A_STAT_DROPPED: u16 = 6;
/// `u64`, in a STATS reply: [`Counts::malformed`].
pub const NLECHO_A_STAT_MALFORMED: u16 = 7;
/// `u64`, in a STATS reply: [`Counts::errors`].
pub const NLECHO_A_STAT_ERRORS: u16 = 8;
/// `u64`, in a STATS reply: [`Counts::bytes`].
pub const NLECHO_A_STAT_BYTES: u16 = 9;
/// Empty attribute that 8-byte aligns the `u64` after it.
pub const NLECHO_A_PAD: u16 = 10;
/// `u32`, 1 if a socket is in the group.
pub const NLECHO_A_LISTENERS: u16 = 11;
/// `u64`, notifications sent to the group.
pub const NLECHO_A_SENT: u16 = 12;
/// `u64`, notifications to the group that a listener was reported to miss.
pub const NLECHO_A_DROPPED: u16 = 13;
/// `u64`, in a STATS reply: [`Counts::zero_copy`].
pub const NLECHO_A_STAT_ZERO_COPY: u16 = 14;
/// The highest attribute type.
pub const NLECHO_A_MAX: u16 = 14;

/// Multicast groups the module offers unless told otherwise.
pub const DEFAULT_GROUPS: u32 = 32;

/// Largest message, header included, the module accepts or sends.
///
/// Larger requests are answered with `-EMSGSIZE`. 64 KiB keeps every reply
/// allocation bounded while leaving room for bulk payloads.
pub const MAX_MSG_LEN: usize = 64 * 1024;
/// Largest payload of a single message.
pub const MAX_PAYLOAD: usize = MAX_MSG_LEN - NLMSG_HDRLEN;
/// Largest `NLECHO_A_DATA` of a notification, so that it fits in
/// `MAX_MSG_LEN` with its `GROUP` attribute.
pub const MAX_NOTIFY_DATA: usize = MAX_PAYLOAD - NOTIFY_OVERHEAD;

/// Size of an `NLMSG_ERROR` payload: the error and the original header.
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
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

    /// Whether this asks for a dump (`NLM_F_ROOT | NLM_F_MATCH`, both).
    pub fn is_dump(&self) -> bool {
        self.flags & NLM_F_DUMP == NLM_F_DUMP
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

/// How a type-length-value record is cut short: what [`Walk`] reports to
/// the record's [`Tlv::malformed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Fewer bytes left than a header.
    Truncated {
        /// Bytes left.
        avail: usize,
    },
    /// The length field is below the header's size.
    LengthTooSmall {
        /// The claimed length.
        len: usize,
    },
    /// The length field runs past the end of the buffer.
    LengthPastEnd {
        /// The claimed length.
        len: usize,
        /// Bytes left.
        avail: usize,
    },
}

/// A record that [`Walk`] finds in a buffer: a header that starts with the
/// record's length (header included), its value, and padding to
/// [`NLMSG_ALIGNTO`]. Messages ([`Message`]) and attributes ([`Attr`]) are
/// such records.
pub trait Tlv<'a>: Sized {
    /// Size of the header.
    const HDRLEN: usize;
    /// What a malformed record is reported as.
    type Error;
    /// The length `head`, a whole header, claims.
    fn claimed_len(head: &[u8]) -> usize;
    /// The record at `offset`, from its whole header and its value.
    fn from_parts(head: &'a [u8], value: &'a [u8], offset: usize) -> Self;
    /// The error for the record at `offset`, cut short as `cut` says.
    fn malformed(cut: Cut, offset: usize) -> Self::Error;
}

/// Walks the records of a buffer in order (`NLMSG_OK`/`NLMSG_NEXT`,
/// `nla_for_each_attr`).
///
/// Yields `Err` for the first malformed record and nothing after it: once a
/// length is wrong, no later offset can be trusted. Nothing is ever read
/// outside the buffer.
pub struct Walk<'a, T> {
    buf: &'a [u8],
    pos: usize,
    last: usize,
    _record: PhantomData<T>,
}

impl<'a, T: Tlv<'a>> Walk<'a, T> {
    /// Iterates over the records of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Walk {
            buf,
            pos: 0,
            last: 0,
            _record: PhantomData,
        }
    }

    /// Offset in the buffer of the record returned last.
    pub fn last_offset(&self) -> usize {
        self.last
    }
}

impl<'a, T: Tlv<'a>> Iterator for Walk<'a, T> {
    type Item = Result<T, T::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        // Whatever happens below, this call either moves past a whole record
        // or ends the walk.
        let offset = self.pos;
        self.pos = self.buf.len();
        let avail = rest.len();
        let Some(head) = rest.get(..T::HDRLEN) else {
            return Some(Err(T::malformed(Cut::Truncated { avail }, offset)));
        };
        let len = T::claimed_len(head);
        if len < T::HDRLEN {
            return Some(Err(T::malformed(Cut::LengthTooSmall { len }, offset)));
        }
        let Some(value) = rest.get(T::HDRLEN..len) else {
            return Some(Err(T::malformed(Cut::LengthPastEnd { len, avail }, offset)));
        };
        // The last record's padding may be missing from the buffer.
        self.pos = offset + align(len).min(avail);
        self.last = offset;
        Some(Ok(T::from_parts(head, value, offset)))
    }
}

impl<'a> Tlv<'a> for Message<'a> {
    const HDRLEN: usize = NLMSG_HDRLEN;
    type Error = Malformed;

    fn claimed_len(head: &[u8]) -> usize {
        u32_at(head, 0) as usize
    }

    fn from_parts(head: &'a [u8], payload: &'a [u8], offset: usize) -> Self {
        Message {
            // `head` is a whole header.
            header: Header::parse(head).unwrap_or_default(),
            payload,
            offset,
        }
    }

    fn malformed(cut: Cut, _offset: usize) -> Malformed {
        // The lengths came from a `u32` header field.
        match cut {
            Cut::Truncated { avail } => Malformed::Truncated { avail },
            Cut::LengthTooSmall { len } => Malformed::LengthTooSmall { len: len as u32 },
            Cut::LengthPastEnd { len, avail } => Malformed::LengthPastEnd {
                len: len as u32,
                avail,
            },
        }
    }
}

/// The messages of a datagram: [`Walk`] over [`Message`]s.
pub type Messages<'a> = Walk<'a, Message<'a>>;

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
// Unused by the module: netlink.rs writes into skbs.
#[cfg_attr(target_os = "none", allow(dead_code))]
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

/// The start of an `NLMSG_ERROR`'s payload: `struct nlmsgerr`, the error and
/// the request's header; the request's payload and extended ACK attributes
/// may follow (`NLM_F_CAPPED`, `NLM_F_ACK_TLVS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
pub struct ErrorPayload {
    /// 0 for an acknowledgement, otherwise a negative errno.
    pub error: i32,
    /// Header of the message this answers.
    pub request: Header,
}

// Unused by the module: netlink_ack() writes errors and ACKs.
#[cfg_attr(target_os = "none", allow(dead_code))]
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
    // Unused by the module: userspace reads the replies.
    #[cfg_attr(target_os = "none", allow(dead_code))]
    pub fn u64(&self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.value.try_into().ok()?))
    }

    /// The attributes nested in this one's value.
    // Unused by the module: userspace reads the replies.
    #[cfg_attr(target_os = "none", allow(dead_code))]
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

impl<'a> Tlv<'a> for Attr<'a> {
    const HDRLEN: usize = NLA_HDRLEN;
    type Error = BadAttr;

    fn claimed_len(head: &[u8]) -> usize {
        usize::from(u16_at(head, 0))
    }

    fn from_parts(head: &'a [u8], value: &'a [u8], _offset: usize) -> Self {
        let ty = u16_at(head, 2);
        Attr {
            ty: ty & NLA_TYPE_MASK,
            nested: ty & NLA_F_NESTED != 0,
            value,
        }
    }

    fn malformed(_cut: Cut, offset: usize) -> BadAttr {
        BadAttr { offset }
    }
}

/// The attributes of a payload, stopping at the first malformed one:
/// [`Walk`] over [`Attr`]s. A nested walk ([`Attr::attrs`]) is bounded by
/// its parent's value.
pub type Attrs<'a> = Walk<'a, Attr<'a>>;

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

/// Appends a `u32` attribute at the start of `out`.
pub fn put_u32(out: &mut [u8], ty: u16, value: u32) -> Result<usize, NoRoom> {
    put_attr(out, ty, &value.to_ne_bytes())
}

/// Appends a `u64` attribute at the start of `out`, which lies `at` bytes
/// into a message payload, preceded by an empty `NLECHO_A_PAD` if its value
/// would not be 8-byte aligned (`nla_put_u64_64bit()`). Payloads start 16
/// bytes into messages, which start 8-byte aligned, so `at` decides.
pub fn put_u64(out: &mut [u8], at: usize, ty: u16, value: u64) -> Result<usize, NoRoom> {
    let pad = if (at + NLA_HDRLEN) % 8 == 0 {
        0
    } else {
        put_attr(out, NLECHO_A_PAD, &[])?
    };
    let n = put_attr(
        out.get_mut(pad..).unwrap_or_default(),
        ty,
        &value.to_ne_bytes(),
    )?;
    Ok(pad + n)
}

/// Space a `u64` attribute takes `at` bytes into a payload, pad included.
pub const fn u64_space(at: usize) -> usize {
    let pad = if (at + NLA_HDRLEN) % 8 == 0 {
        0
    } else {
        NLA_HDRLEN
    };
    pad + NLA_HDRLEN + 8
}

/// Why a reply's attributes could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Unused by the module: userspace reads the replies.
#[cfg_attr(target_os = "none", allow(dead_code))]
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

/// How an attribute's value is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Exactly 4 bytes.
    U32,
    /// Opaque bytes of any length.
    Binary,
}

/// One attribute a command takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its type.
    pub ty: u16,
    /// How its value is checked.
    pub kind: Kind,
    /// Whether a request without it is refused.
    pub required: bool,
}

/// The attributes a command takes: the one place a request's attributes are
/// checked, before the command's handler runs (`nla_parse()` with a
/// `struct nla_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// One rule per attribute the command takes.
    pub rules: &'static [Rule],
}

/// BROADCAST: where and what.
pub const POLICY_BROADCAST: Policy = Policy {
    rules: &[
        Rule {
            ty: NLECHO_A_GROUP,
            kind: Kind::U32,
            required: true,
        },
        Rule {
            ty: NLECHO_A_DATA,
            kind: Kind::Binary,
            required: true,
        },
    ],
};

/// GET_GROUP as a do: which group.
pub const POLICY_GET_GROUP: Policy = Policy {
    rules: &[Rule {
        ty: NLECHO_A_GROUP,
        kind: Kind::U32,
        required: true,
    }],
};

/// STATS, RESET_STATS and the GET_GROUP dump take no attributes.
pub const POLICY_NONE: Policy = Policy { rules: &[] };

/// Why a request was refused, for its error and extended ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The sentence for `NLMSGERR_ATTR_MSG`.
    pub msg: &'static CStr,
    /// Offset of the offending attribute within the message's payload,
    /// for `NLMSGERR_ATTR_OFFS`.
    pub attr: Option<usize>,
    /// The type of a missing required attribute, for
    /// `NLMSGERR_ATTR_MISS_TYPE`.
    pub missing: Option<u16>,
}

impl Invalid {
    /// A refusal that points at the attribute at `offset`.
    pub const fn at(msg: &'static CStr, offset: usize) -> Self {
        Invalid {
            msg,
            attr: Some(offset),
            missing: None,
        }
    }
}

/// The attributes of a request that passed its [`Policy`], by type; the
/// last of a type wins, as in `nla_parse()`.
pub struct Table<'a> {
    slots: [Option<(usize, Attr<'a>)>; NLECHO_A_MAX as usize + 1],
}

impl<'a> Table<'a> {
    /// The attribute of type `ty` and its offset in the payload.
    pub fn get(&self, ty: u16) -> Option<(usize, Attr<'a>)> {
        self.slots.get(usize::from(ty)).copied().flatten()
    }

    /// The value of the `u32` attribute `ty`.
    pub fn u32(&self, ty: u16) -> Option<u32> {
        self.get(ty)?.1.u32()
    }

    /// The value of attribute `ty`.
    pub fn bytes(&self, ty: u16) -> Option<&'a [u8]> {
        Some(self.get(ty)?.1.value)
    }

    /// The offset of attribute `ty` in the payload.
    pub fn offset(&self, ty: u16) -> Option<usize> {
        Some(self.get(ty)?.0)
    }
}

impl Policy {
    /// Checks `payload` against the policy. Unknown attribute types, and
    /// known ones this command does not take, are ignored unless `strict`
    /// (the requester set `NETLINK_GET_STRICT_CHK`), as rtnetlink does.
    pub fn check<'a>(&self, payload: &'a [u8], strict: bool) -> Result<Table<'a>, Invalid> {
        let mut table = Table {
            slots: [None; NLECHO_A_MAX as usize + 1],
        };
        let mut attrs = Attrs::new(payload);
        while let Some(attr) = attrs.next() {
            let attr = attr.map_err(|bad| {
                Invalid::at(
                    c"malformed attribute: length below 4 or past the message",
                    bad.offset,
                )
            })?;
            let offset = attrs.last_offset();
            let Some(rule) = self.rules.iter().find(|r| r.ty == attr.ty) else {
                if strict {
                    return Err(Invalid::at(c"unknown attribute type", offset));
                }
                continue;
            };
            if attr.nested {
                return Err(Invalid::at(
                    c"NLA_F_NESTED set on an attribute that is not nested",
                    offset,
                ));
            }
            if rule.kind == Kind::U32 && attr.value.len() != 4 {
                return Err(Invalid::at(c"attribute must be a u32", offset));
            }
            if let Some(slot) = table.slots.get_mut(usize::from(attr.ty)) {
                *slot = Some((offset, attr));
            }
        }
        if let Some(rule) = self
            .rules
            .iter()
            .find(|r| r.required && table.get(r.ty).is_none())
        {
            return Err(Invalid {
                msg: c"missing attribute",
                attr: None,
                missing: Some(rule.ty),
            });
        }
        Ok(table)
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
    /// Reads a BROADCAST payload through [`POLICY_BROADCAST`].
    // Unused by the module: it reads the policy's Table instead.
    #[cfg_attr(target_os = "none", allow(dead_code))]
    pub fn parse(payload: &'a [u8], strict: bool) -> Result<Self, Invalid> {
        let table = POLICY_BROADCAST.check(payload, strict)?;
        match (table.u32(NLECHO_A_GROUP), table.bytes(NLECHO_A_DATA)) {
            (Some(group), Some(data)) => Ok(Broadcast { group, data }),
            // The policy requires both; should it ever let one through,
            // the request is still refused, never half-read.
            _ => Err(Invalid {
                msg: c"missing attribute",
                attr: None,
                missing: None,
            }),
        }
    }

    /// Writes the payload at the start of `out` and returns its length.
    pub fn put(&self, out: &mut [u8]) -> Result<usize, NoRoom> {
        let n = put_u32(out, NLECHO_A_GROUP, self.group)?;
        let m = put_attr(
            out.get_mut(n..).unwrap_or_default(),
            NLECHO_A_DATA,
            self.data,
        )?;
        Ok(n + m)
    }
}

/// Bytes a notification adds to its data: the `GROUP` attribute and the
/// `DATA` attribute's header.
pub const NOTIFY_OVERHEAD: usize = 2 * NLA_HDRLEN + 4;

/// A kernel-initiated message, `NLECHO_CMD_NOTIFY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notify<'a> {
    /// The group it was sent to; 0 for a unicast.
    pub group: u32,
    /// The data.
    pub data: &'a [u8],
}

impl<'a> Notify<'a> {
    /// The payload's length, padding included.
    pub const fn len(data: usize) -> usize {
        NLA_HDRLEN + 4 + align(NLA_HDRLEN + data)
    }

    /// Writes the payload at the start of `out` and returns its length.
    pub fn put(&self, out: &mut [u8]) -> Result<usize, NoRoom> {
        Broadcast {
            group: self.group,
            data: self.data,
        }
        .put(out)
    }

    /// Reads a NOTIFY payload; unknown attributes are ignored.
    // Unused by the module: userspace reads the replies.
    #[cfg_attr(target_os = "none", allow(dead_code))]
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
        Ok(Notify {
            group: group.ok_or(AttrError::Missing(NLECHO_A_GROUP))?,
            data: data.ok_or(AttrError::Missing(NLECHO_A_DATA))?,
        })
    }
}

/// One multicast group: the payload of a GET_GROUP reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group, 1-based.
    pub group: u32,
    /// Whether a socket is in the group.
    pub listeners: bool,
    /// Notifications sent to the group.
    pub sent: u64,
    /// Of those, the ones a listener was reported to miss.
    pub dropped: u64,
}

/// Size of a GET_GROUP reply's payload: two `u32` and two padded `u64`
/// attributes; the message is 64 bytes, a multiple of 8.
pub const GROUP_PAYLOAD_LEN: usize =
    2 * (NLA_HDRLEN + 4) + u64_space(2 * (NLA_HDRLEN + 4)) + u64_space(2 * (NLA_HDRLEN + 4) + 16);

impl GroupInfo {
    /// The GET_GROUP reply payload.
    pub fn to_bytes(self) -> [u8; GROUP_PAYLOAD_LEN] {
        let mut out = [0u8; GROUP_PAYLOAD_LEN];
        // Cannot fail: `out` is sized for exactly these attributes.
        let mut at = put_u32(&mut out, NLECHO_A_GROUP, self.group).unwrap_or(0);
        at += put_u32(
            &mut out[at..],
            NLECHO_A_LISTENERS,
            u32::from(self.listeners),
        )
        .unwrap_or(0);
        at += put_u64(&mut out[at..], at, NLECHO_A_SENT, self.sent).unwrap_or(0);
        put_u64(&mut out[at..], at, NLECHO_A_DROPPED, self.dropped).unwrap_or(0);
        out
    }

    /// Reads a GET_GROUP reply payload; unknown attributes are ignored.
    // Unused by the module: userspace reads the replies.
    #[cfg_attr(target_os = "none", allow(dead_code))]
    pub fn parse(payload: &[u8]) -> Result<Self, AttrError> {
        let mut info = GroupInfo::default();
        let mut group = None;
        for attr in Attrs::new(payload) {
            let attr = attr?;
            let bad = AttrError::BadValue(attr.ty);
            match attr.ty {
                NLECHO_A_GROUP => group = Some(attr.u32().ok_or(bad)?),
                NLECHO_A_LISTENERS => info.listeners = attr.u32().ok_or(bad)? != 0,
                NLECHO_A_SENT => info.sent = attr.u64().ok_or(bad)?,
                NLECHO_A_DROPPED => info.dropped = attr.u64().ok_or(bad)?,
                _ => {}
            }
        }
        info.group = group.ok_or(AttrError::Missing(NLECHO_A_GROUP))?;
        Ok(info)
    }
}

/// Declares the counters of a namespace's service, each once, in attribute
/// order: its field, its STATS attribute, the name the CLI, debugfs and
/// the unload line print for it, and what it counts. [`Counts`] is made
/// from the list.
macro_rules! counters {
    ($($(#[doc = $doc:literal])+ $field:ident: $attr:ident, $name:literal;)+) => {
        /// One value per counter of a namespace's service: the counts
        /// themselves ([`Stats`], a STATS reply's payload) or, in the
        /// module, the atomics they are kept in.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Counts<T> {
            $($(#[doc = $doc])+ pub $field: T,)+
        }

        /// How many counters there are.
        pub const COUNTERS: usize = [$($name),+].len();

        impl<T> Counts<T> {
            /// Every counter from `init`.
            pub fn from_fn(mut init: impl FnMut() -> T) -> Self {
                Counts { $($field: init(),)+ }
            }

            /// Every counter through `f`.
            pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Counts<U> {
                Counts { $($field: f(&self.$field),)+ }
            }

            /// Every counter through `f`, with its peer in `other`: to
            /// compare two snapshots.
            // Unused by the module: userspace compares STATS replies.
            #[cfg_attr(target_os = "none", allow(dead_code))]
            pub fn zip_with<U, V>(
                &self,
                other: &Counts<U>,
                mut f: impl FnMut(&T, &U) -> V,
            ) -> Counts<V> {
                Counts { $($field: f(&self.$field, &other.$field),)+ }
            }

            /// Every counter with its attribute type and name, in
            /// attribute order.
            pub fn each(&self) -> [(u16, &'static str, &T); COUNTERS] {
                [$(($attr, $name, &self.$field)),+]
            }

            /// The counter that attribute type `ty` carries.
            // Unused by the module: userspace reads the replies.
            #[cfg_attr(target_os = "none", allow(dead_code))]
            fn by_attr(&mut self, ty: u16) -> Option<&mut T> {
                match ty {
                    $($attr => Some(&mut self.$field),)+
                    _ => None,
                }
            }
        }
    };
}

counters! {
    /// Well-formed messages received, including those skipped (control
    /// types, commands without `NLM_F_REQUEST`).
    received: NLECHO_A_STAT_RECEIVED, "received";
    /// Echo replies sent.
    echoed: NLECHO_A_STAT_ECHOED, "echoed";
    /// Notifications sent, by BROADCAST and by the helpers: every
    /// multicast, delivered or not, and every unicast its socket took.
    /// Printed as `broadcast`, its name on the wire.
    notified: NLECHO_A_STAT_BROADCAST, "broadcast";
    /// Replies and notifications a receiver did not take: a unicast the
    /// socket refused, a multicast a `NETLINK_BROADCAST_ERROR` listener
    /// missed.
    dropped: NLECHO_A_STAT_DROPPED, "dropped";
    /// Datagrams cut short by a malformed message.
    malformed: NLECHO_A_STAT_MALFORMED, "malformed";
    /// Requests answered with a negative error.
    errors: NLECHO_A_STAT_ERRORS, "errors";
    /// Payload bytes echoed.
    bytes: NLECHO_A_STAT_BYTES, "bytes";
    /// Of the echo replies, those sent without copying the payload: the
    /// request itself, cloned (unless the module's `copy_echo` is 1).
    zero_copy: NLECHO_A_STAT_ZERO_COPY, "zero_copy";
}

/// The module's counters: the payload of a STATS reply.
pub type Stats = Counts<u64>;

/// Size of a STATS payload: one `u64` attribute per counter, each after a
/// pad.
pub const STATS_PAYLOAD_LEN: usize = COUNTERS * (2 * NLA_HDRLEN + 8);

impl Stats {
    /// Every counter with its attribute type and name, in attribute order.
    pub fn fields(&self) -> [(u16, &'static str, u64); COUNTERS] {
        self.each().map(|(ty, name, value)| (ty, name, *value))
    }

    /// The STATS payload.
    pub fn to_bytes(self) -> [u8; STATS_PAYLOAD_LEN] {
        let mut out = [0u8; STATS_PAYLOAD_LEN];
        let mut at = 0;
        for (ty, _, value) in self.fields() {
            // Cannot fail: `out` holds exactly one padded u64 attribute per
            // counter.
            at += put_u64(&mut out[at..], at, ty, value).unwrap_or(0);
        }
        out
    }

    /// Reads a STATS payload; unknown attributes (`NLECHO_A_PAD`
    /// included) are ignored, missing counters read as 0.
    // Unused by the module: userspace reads the replies.
    #[cfg_attr(target_os = "none", allow(dead_code))]
    pub fn parse(payload: &[u8]) -> Result<Self, AttrError> {
        let mut s = Stats::default();
        for attr in Attrs::new(payload) {
            let attr = attr?;
            if let Some(field) = s.by_attr(attr.ty) {
                *field = attr.u64().ok_or(AttrError::BadValue(attr.ty))?;
            }
        }
        Ok(s)
    }
}
