// SPDX-License-Identifier: GPL-2.0

//! The echo service: what the module does with each message it receives.
//!
//! Safe Rust only; all contact with the kernel goes through
//! [`crate::netlink`], all parsing through [`crate::wire`].

#![forbid(unsafe_code)]

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

use crate::netlink::{Handler, Message, Request};
use crate::wire::{self, Header};

/// Counters of what the module has seen since it was loaded.
pub(crate) struct Stats {
    /// Messages with valid lengths.
    pub(crate) received: Atomic<u64>,
    /// Replies carrying a payload back.
    pub(crate) echoed: Atomic<u64>,
    /// Replies the sender's socket did not take (queue full or closed).
    pub(crate) dropped: Atomic<u64>,
    /// Datagrams whose walk stopped at a malformed message.
    pub(crate) malformed: Atomic<u64>,
    /// Requests answered with a negative `NLMSG_ERROR`.
    pub(crate) errors: Atomic<u64>,
    /// Payload bytes echoed.
    pub(crate) bytes: Atomic<u64>,
}

pub(crate) static STATS: Stats = Stats {
    received: Atomic::new(0),
    echoed: Atomic::new(0),
    dropped: Atomic::new(0),
    malformed: Atomic::new(0),
    errors: Atomic::new(0),
    bytes: Atomic::new(0),
};

/// The [`Handler`] of the module's kernel socket.
pub(crate) struct Echo;

impl Handler for Echo {
    fn input(request: &Request<'_>) {
        for msg in wire::Messages::new(request.data()) {
            match msg {
                Ok(msg) => {
                    STATS.received.add(1, Relaxed);
                    handle(request, &msg);
                }
                // No later offset can be trusted: drop the rest, as
                // `netlink_rcv_skb()` does.
                Err(_) => {
                    STATS.malformed.add(1, Relaxed);
                    break;
                }
            }
        }
    }
}

/// Answers one well-formed message.
fn handle(request: &Request<'_>, msg: &wire::Message<'_>) {
    let header = msg.header;
    let result = match header.ty {
        // Classic tutorial clients send type 0 and expect NLMSG_DONE back.
        wire::NLECHO_CLASSIC => echo(request, msg, wire::NLMSG_DONE),
        wire::NLECHO_ECHO => echo(request, msg, wire::NLECHO_ECHO),
        // Other control messages carry nothing to answer, as in the kernel's
        // own families.
        ty if ty < wire::NLMSG_MIN_TYPE => Ok(()),
        _ => Err(Error::from_errno(-wire::EOPNOTSUPP)),
    };
    match result {
        Err(err) => {
            STATS.errors.add(1, Relaxed);
            status(request, header, err.to_errno());
        }
        Ok(()) if header.flags & wire::NLM_F_ACK != 0 => status(request, header, 0),
        Ok(()) => {}
    }
}

/// Sends `msg`'s payload back in a message of type `ty` with the same
/// sequence number. Only a reply that cannot be built is an error for the
/// sender; one its socket does not take is counted as dropped.
fn echo(request: &Request<'_>, msg: &wire::Message<'_>, ty: u16) -> Result {
    if msg.payload.len() > wire::MAX_PAYLOAD {
        return Err(EMSGSIZE);
    }
    let header = Header {
        ty,
        seq: msg.header.seq,
        ..Header::default()
    };
    let mut reply = Message::new(wire::msg_space(msg.payload.len()))?;
    reply.put(header, msg.payload)?;
    match request.reply(reply) {
        Ok(()) => {
            STATS.echoed.add(1, Relaxed);
            STATS.bytes.add(msg.payload.len() as u64, Relaxed);
        }
        Err(_) => STATS.dropped.add(1, Relaxed),
    }
    Ok(())
}

/// Sends an `NLMSG_ERROR` carrying `error` (0: an acknowledgement) and the
/// request's header, never its payload, so the answer stays small.
fn status(request: &Request<'_>, req: Header, error: i32) {
    let header = Header {
        ty: wire::NLMSG_ERROR,
        flags: if error == 0 { 0 } else { wire::NLM_F_CAPPED },
        seq: req.seq,
        ..Header::default()
    };
    let payload = wire::ErrorPayload { error, request: req }.to_bytes();
    let sent = Message::new(wire::msg_space(payload.len())).and_then(|mut m| {
        m.put(header, &payload)?;
        request.reply(m)
    });
    if sent.is_err() {
        STATS.dropped.add(1, Relaxed);
    }
}
