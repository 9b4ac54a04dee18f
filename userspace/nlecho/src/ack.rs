//! Decoding what ends an exchange: `NLMSG_ERROR` (errors and
//! acknowledgements, as the kernel's `netlink_ack()` builds them, with the
//! extended ACK attributes a socket with `NETLINK_EXT_ACK` gets) and the
//! `NLMSG_DONE` that ends a dump.

use crate::wire::{self, Attrs, Header, Message};

/// A decoded `NLMSG_ERROR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// 0: an acknowledgement; otherwise a negative errno.
    pub error: i32,
    /// The header of the request it answers, as the requester sent it.
    pub request: Header,
    /// The request's payload as echoed: empty when `capped` (the kernel
    /// echoes the whole request of an error unless the requester set
    /// `NETLINK_CAP_ACK`; an acknowledgement only ever has the header).
    pub request_payload: Vec<u8>,
    /// `NLM_F_CAPPED`: only the request's header was echoed.
    pub capped: bool,
    /// `NLMSGERR_ATTR_MSG`: what was wrong, in a sentence.
    pub message: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`: where the offending attribute starts, in bytes
    /// from the start of the request's header.
    pub offset: Option<u32>,
    /// `NLMSGERR_ATTR_MISS_TYPE`: the type of a missing required attribute.
    pub miss_type: Option<u32>,
}

impl Status {
    /// Whether this is an acknowledgement (error 0).
    pub fn is_ack(&self) -> bool {
        self.error == 0
    }
}

/// A decoded `NLMSG_DONE` that ends a dump: `netlink_dump_done()` writes
/// the dump's outcome as an `int`, then, if the dump failed with a message
/// and the socket set `NETLINK_EXT_ACK`, an `NLMSGERR_ATTR_MSG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// 0: the dump is complete; otherwise the negative errno it failed with.
    pub error: i32,
    /// `NLMSGERR_ATTR_MSG`, if present (`NLM_F_ACK_TLVS`).
    pub message: Option<String>,
}

/// Why an `NLMSG_ERROR` or a dump's `NLMSG_DONE` could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadStatus {
    /// The message is not an `NLMSG_ERROR`.
    NotAnError,
    /// The message is not an `NLMSG_DONE`.
    NotDone,
    /// The payload is shorter than `struct nlmsgerr` with a header, or than
    /// the `int` of an `NLMSG_DONE`.
    Short,
    /// The echoed request or the extended attributes run past the payload.
    BadLayout,
}

impl BadStatus {
    /// A short description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            BadStatus::NotAnError => "not an NLMSG_ERROR",
            BadStatus::NotDone => "not an NLMSG_DONE",
            BadStatus::Short => "NLMSG_ERROR or NLMSG_DONE too short for its error",
            BadStatus::BadLayout => "NLMSG_ERROR with a bad echoed request or attributes",
        }
    }
}

/// The extended ACK attributes found in `tlvs`.
#[derive(Default)]
struct ExtAck {
    message: Option<String>,
    offset: Option<u32>,
    miss_type: Option<u32>,
}

fn ext_ack(tlvs: &[u8]) -> Result<ExtAck, BadStatus> {
    let mut ext = ExtAck::default();
    for a in Attrs::new(tlvs) {
        let a = a.map_err(|_| BadStatus::BadLayout)?;
        match a.ty {
            wire::NLMSGERR_ATTR_MSG => {
                // A C string; a kernel never sends anything but UTF-8, but
                // a peer could.
                let v = a.value;
                let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                let text = String::from_utf8_lossy(&v[..end]).into_owned();
                ext.message = (!text.is_empty()).then_some(text);
            }
            wire::NLMSGERR_ATTR_OFFS => ext.offset = a.u32(),
            wire::NLMSGERR_ATTR_MISS_TYPE => ext.miss_type = a.u32(),
            _ => {}
        }
    }
    Ok(ext)
}

/// Decodes the `NLMSG_ERROR` `msg`.
pub fn decode(msg: &Message<'_>) -> Result<Status, BadStatus> {
    if msg.header.ty != wire::NLMSG_ERROR {
        return Err(BadStatus::NotAnError);
    }
    let e = wire::ErrorPayload::parse(msg.payload).ok_or(BadStatus::Short)?;
    let capped = msg.header.flags & wire::NLM_F_CAPPED != 0;
    // Uncapped, the whole request is echoed, padded, after the error.
    let (request_payload, tlvs_at) = if capped {
        (&[][..], wire::ERROR_PAYLOAD_LEN)
    } else {
        let len = e.request.len as usize;
        let body = len
            .checked_sub(wire::NLMSG_HDRLEN)
            .ok_or(BadStatus::BadLayout)?;
        let echoed = msg
            .payload
            .get(wire::ERROR_PAYLOAD_LEN..wire::ERROR_PAYLOAD_LEN + body)
            .ok_or(BadStatus::BadLayout)?;
        (echoed, 4 + wire::align(len))
    };
    let mut status = Status {
        error: e.error,
        request: e.request,
        request_payload: request_payload.to_vec(),
        capped,
        message: None,
        offset: None,
        miss_type: None,
    };
    if msg.header.flags & wire::NLM_F_ACK_TLVS == 0 {
        return Ok(status);
    }
    let tlvs = msg.payload.get(tlvs_at..).ok_or(BadStatus::BadLayout)?;
    let ext = ext_ack(tlvs)?;
    status.message = ext.message;
    status.offset = ext.offset;
    status.miss_type = ext.miss_type;
    Ok(status)
}

/// Decodes the `NLMSG_DONE` `msg` that ends a dump.
pub fn decode_done(msg: &Message<'_>) -> Result<Done, BadStatus> {
    if msg.header.ty != wire::NLMSG_DONE {
        return Err(BadStatus::NotDone);
    }
    let error = msg
        .payload
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_ne_bytes)
        .ok_or(BadStatus::Short)?;
    let message = if msg.header.flags & wire::NLM_F_ACK_TLVS != 0 {
        ext_ack(&msg.payload[4..])?.message
    } else {
        None
    };
    Ok(Done { error, message })
}
