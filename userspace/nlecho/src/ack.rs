//! Decoding `NLMSG_ERROR`: errors, acknowledgements, and the extended ACK
//! attributes a socket with `NETLINK_EXT_ACK` may get.

use crate::attr;
use crate::wire::{self, Attrs, Header, Message};

/// On an `NLMSG_ERROR`: extended ACK attributes follow the echoed request
/// (`NLM_F_ACK_TLVS`, `linux/netlink.h`).
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// Extended ACK attribute: a message string (`NLMSGERR_ATTR_MSG`).
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// Extended ACK attribute: offset of the offending attribute in the request
/// (`NLMSGERR_ATTR_OFFS`).
pub const NLMSGERR_ATTR_OFFS: u16 = 2;

/// A decoded `NLMSG_ERROR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// 0: an acknowledgement; otherwise a negative errno.
    pub error: i32,
    /// The header of the request it answers.
    pub request: Header,
    /// `NLM_F_CAPPED`: only the request's header was echoed.
    pub capped: bool,
    /// `NLMSGERR_ATTR_MSG`, if present.
    pub message: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`, if present.
    pub offset: Option<u32>,
}

impl Status {
    /// Whether this is an acknowledgement (error 0).
    pub fn is_ack(&self) -> bool {
        self.error == 0
    }
}

/// Why an `NLMSG_ERROR` could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadStatus {
    /// The message is not an `NLMSG_ERROR`.
    NotAnError,
    /// The payload is shorter than `struct nlmsgerr` with a header.
    Short,
    /// The echoed request or the extended attributes run past the payload.
    BadLayout,
}

impl BadStatus {
    /// A short description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            BadStatus::NotAnError => "not an NLMSG_ERROR",
            BadStatus::Short => "NLMSG_ERROR shorter than struct nlmsgerr",
            BadStatus::BadLayout => "NLMSG_ERROR with a bad echoed request or attributes",
        }
    }
}

/// Decodes the `NLMSG_ERROR` `msg`.
pub fn decode(msg: &Message<'_>) -> Result<Status, BadStatus> {
    if msg.header.ty != wire::NLMSG_ERROR {
        return Err(BadStatus::NotAnError);
    }
    let e = wire::ErrorPayload::parse(msg.payload).ok_or(BadStatus::Short)?;
    let capped = msg.header.flags & wire::NLM_F_CAPPED != 0;
    let mut status = Status {
        error: e.error,
        request: e.request,
        capped,
        message: None,
        offset: None,
    };
    if msg.header.flags & NLM_F_ACK_TLVS == 0 {
        return Ok(status);
    }
    // Uncapped, the whole request is echoed before the attributes.
    let echoed = if capped {
        wire::NLMSG_HDRLEN
    } else {
        e.request.len as usize
    };
    let tlvs = msg
        .payload
        .get(wire::align(4 + echoed)..)
        .ok_or(BadStatus::BadLayout)?;
    for a in Attrs::new(tlvs) {
        let a = a.map_err(|_| BadStatus::BadLayout)?;
        match a.ty {
            NLMSGERR_ATTR_MSG => status.message = attr::as_str(&a).map(str::to_owned),
            NLMSGERR_ATTR_OFFS => status.offset = a.u32(),
            _ => {}
        }
    }
    Ok(status)
}
