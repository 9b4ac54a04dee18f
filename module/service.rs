// SPDX-License-Identifier: GPL-2.0

//! The nlecho service: what the module does with each message it receives,
//! and the messages it sends on its own. See `docs/PROTOCOL.md`.
//!
//! Safe Rust only; all contact with the kernel goes through
//! [`crate::netlink`], all parsing and building through [`crate::wire`].

#![forbid(unsafe_code)]

use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

use crate::netlink::{Gfp, Handler, Message, Request, Sender};
use crate::stats::COUNTERS;
use crate::wire::{self, Header};

/// Settings fixed at load time.
pub(crate) struct Settings {
    /// Multicast groups are 1..=groups.
    pub(crate) groups: u32,
}

/// The module's settings, set once by `init` before the socket exists.
pub(crate) static SETTINGS: kernel::sync::SetOnce<Settings> = kernel::sync::SetOnce::new();

/// The [`Handler`] of the module's kernel socket.
pub(crate) struct Service;

impl Handler for Service {
    fn input(request: &Request<'_>) {
        for msg in wire::Messages::new(request.data()) {
            match msg {
                Ok(msg) => {
                    COUNTERS.received.add(1, Relaxed);
                    handle(request, &msg);
                }
                // No later offset can be trusted: drop the rest, as
                // `netlink_rcv_skb()` does.
                Err(_) => {
                    COUNTERS.malformed.add(1, Relaxed);
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
        _ if !header.is_command() => Ok(()),
        // One size limit for every command, whether or not it would use the
        // payload, so a peer can rely on it.
        _ if msg.payload.len() > wire::MAX_PAYLOAD => Err(EMSGSIZE),
        wire::NLECHO_CLASSIC => echo(request, msg, wire::NLMSG_DONE),
        wire::NLECHO_CMD_ECHO => echo(request, msg, wire::NLECHO_CMD_ECHO),
        wire::NLECHO_CMD_BROADCAST => broadcast(request, msg.payload),
        wire::NLECHO_CMD_STATS => stats(request, header),
        wire::NLECHO_CMD_RESET_STATS => reset_stats(request),
        _ => Err(Error::from_errno(-(bindings::EOPNOTSUPP as i32))),
    };
    match result {
        Err(err) => {
            COUNTERS.errors.add(1, Relaxed);
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
    let header = Header {
        ty,
        seq: msg.header.seq,
        ..Header::default()
    };
    let reply = Message::single(header, msg.payload, Gfp::Kernel)?;
    if deliver(request.reply(reply)) {
        COUNTERS.echoed.add(1, Relaxed);
        COUNTERS.bytes.add(msg.payload.len() as u64, Relaxed);
    }
    Ok(())
}

/// BROADCAST: multicast the request's data to its group.
fn broadcast(request: &Request<'_>, payload: &[u8]) -> Result {
    if !request.net_admin() {
        return Err(EPERM);
    }
    let cmd = wire::Broadcast::parse(payload).map_err(|_| EINVAL)?;
    notify_group(request.sender(), cmd.data, cmd.group, Gfp::Kernel)
}

/// STATS: the counters as attributes.
fn stats(request: &Request<'_>, req: Header) -> Result {
    let header = Header {
        ty: wire::NLECHO_CMD_STATS,
        seq: req.seq,
        ..Header::default()
    };
    let payload = COUNTERS.snapshot().to_bytes();
    deliver(request.reply(Message::single(header, &payload, Gfp::Kernel)?));
    Ok(())
}

/// RESET_STATS: zero the counters; it changes state, so it is privileged.
fn reset_stats(request: &Request<'_>) -> Result {
    if !request.net_admin() {
        return Err(EPERM);
    }
    COUNTERS.reset();
    Ok(())
}

/// Sends an `NLMSG_ERROR` carrying `error` (0: an acknowledgement) and the
/// request's header, never its payload, so the answer stays small. Both are
/// flagged `NLM_F_CAPPED`, as `netlink_ack()` flags a capped error or ACK.
fn status(request: &Request<'_>, req: Header, error: i32) {
    let header = Header {
        ty: wire::NLMSG_ERROR,
        flags: wire::NLM_F_CAPPED,
        seq: req.seq,
        ..Header::default()
    };
    let payload = wire::ErrorPayload {
        error,
        request: req,
    }
    .to_bytes();
    match Message::single(header, &payload, Gfp::Kernel) {
        Ok(msg) => {
            deliver(request.reply(msg));
        }
        Err(_) => {
            COUNTERS.dropped.add(1, Relaxed);
        }
    }
}

/// Counts a send that the receiver did not take; says whether it was taken.
fn deliver(sent: Result) -> bool {
    if sent.is_err() {
        COUNTERS.dropped.add(1, Relaxed);
    }
    sent.is_ok()
}

/// A kernel-initiated message: the classic format, `NLMSG_DONE` with the
/// raw data, so tutorial listeners read it unchanged.
fn notification(data: &[u8], gfp: Gfp) -> Result<Message> {
    if data.len() > wire::MAX_PAYLOAD {
        return Err(EMSGSIZE);
    }
    let header = Header {
        ty: wire::NLMSG_DONE,
        ..Header::default()
    };
    Message::single(header, data, gfp)
}

/// Sends `data` to the user socket bound to `port`.
pub(crate) fn notify_port(sender: Sender<'_>, data: &[u8], port: u32, gfp: Gfp) -> Result {
    let sent = sender.unicast(notification(data, gfp)?, port);
    if deliver(sent) {
        COUNTERS.broadcast.add(1, Relaxed);
    }
    sent
}

/// Sends `data` to multicast `group`. That no listener got it is not an
/// error (`ESRCH`: none listens, or every queue is full), nor is a
/// listener whose queue is full: it sees `ENOBUFS` itself. Only listeners
/// with `NETLINK_BROADCAST_ERROR` make the core report their miss
/// (`ENOBUFS`), which counts as dropped.
pub(crate) fn notify_group(sender: Sender<'_>, data: &[u8], group: u32, gfp: Gfp) -> Result {
    let groups = SETTINGS.as_ref().map_or(wire::DEFAULT_GROUPS, |s| s.groups);
    if group == 0 || group > groups {
        return Err(ERANGE);
    }
    match sender.broadcast(notification(data, gfp)?, group, gfp) {
        Ok(()) => {}
        Err(e) if e == ESRCH => {}
        Err(e) if e.to_errno() == -(bindings::ENOBUFS as i32) => {
            COUNTERS.dropped.add(1, Relaxed);
        }
        Err(e) => return Err(e),
    }
    COUNTERS.broadcast.add(1, Relaxed);
    Ok(())
}
