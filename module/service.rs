// SPDX-License-Identifier: GPL-2.0

//! The nlecho service: what the module does with each message it receives,
//! and the notifications it sends on its own, in each network namespace.
//! See `docs/PROTOCOL.md`.
//!
//! Safe Rust only; all contact with the kernel goes through
//! [`crate::netlink`] (and [`crate::ffi`] for the namespace's state), all
//! parsing and building through [`crate::wire`].

#![forbid(unsafe_code)]

use core::ffi::CStr;

use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

use crate::ffi;
use crate::netlink::{
    self, Config, Dump, DumpSkb, ExtAck, Gfp, Handler, KernelSocket, Message, Net, NetSocket,
    Request, Sender,
};
use crate::stats::{Counters, GroupCounters};
use crate::wire::{self, Header, Invalid};

/// Settings fixed at load time.
pub(crate) struct Settings {
    /// The netlink protocol served.
    pub(crate) protocol: u32,
    /// How it is registered; multicast groups are 1..=`config.groups`.
    pub(crate) config: Config,
    /// Notifications in the classic format (`NLMSG_DONE`, raw data).
    pub(crate) classic_notify: bool,
    /// This module, the protocol's owner.
    pub(crate) module: &'static ThisModule,
}

/// The module's settings, set once by `init` before any namespace is served;
/// each [`NetService`] keeps a reference to them from its creation on.
pub(crate) static SETTINGS: kernel::sync::SetOnce<Settings> = kernel::sync::SetOnce::new();

/// How many [`NetService`]s exist: one per namespace served.
static LIVE: Atomic<i64> = Atomic::new(0);

/// The number of network namespaces served now.
pub(crate) fn live_services() -> i64 {
    LIVE.load(Relaxed)
}

/// nlecho in one network namespace: its kernel socket and its counters.
pub(crate) struct NetService {
    /// The module's settings.
    settings: &'static Settings,
    /// The namespace's counters.
    pub(crate) counters: Counters,
    /// One entry per multicast group, group `g` at `g - 1`.
    groups: KVec<GroupCounters>,
    /// The namespace's kernel socket, once [`NetService::start`] made it.
    socket: NetSocket,
}

impl NetService {
    /// The state of a new namespace's service, without its socket yet: it
    /// must be reachable (`ffi::service_of_request`) before requests can
    /// arrive. Fails with `EINVAL` if `init` has not set [`SETTINGS`], which
    /// it does before it registers the first namespace: the one place the
    /// settings are looked up.
    pub(crate) fn new() -> Result<KBox<Self>> {
        let settings = SETTINGS.as_ref().ok_or(EINVAL)?;
        let count = settings.config.groups as usize;
        let mut groups = KVec::with_capacity(count, GFP_KERNEL)?;
        for _ in 0..count {
            groups.push(GroupCounters::new(), GFP_KERNEL)?;
        }
        let service = KBox::new(
            Self {
                settings,
                counters: Counters::new(),
                groups,
                socket: NetSocket::new(),
            },
            GFP_KERNEL,
        )?;
        LIVE.add(1, Relaxed);
        Ok(service)
    }

    /// Registers the protocol in `net`; requests are served from here on.
    pub(crate) fn start(&self, net: Net<'_>) -> Result {
        let settings = self.settings;
        let socket = KernelSocket::new::<Service>(
            net,
            settings.protocol,
            &settings.config,
            settings.module,
        )?;
        self.socket.set(socket)
    }

    /// The module's settings.
    pub(crate) fn settings(&self) -> &'static Settings {
        self.settings
    }

    /// The namespace's kernel socket.
    pub(crate) fn socket(&self) -> &NetSocket {
        &self.socket
    }

    /// The counters of multicast `group`, if the module offers it.
    fn group(&self, group: u32) -> Option<&GroupCounters> {
        self.groups
            .get(usize::try_from(group).ok()?.checked_sub(1)?)
    }

    /// One group's state, for GET_GROUP.
    fn group_info(&self, sender: Option<Sender<'_>>, group: u32) -> Option<wire::GroupInfo> {
        let counters = self.group(group)?;
        Some(wire::GroupInfo {
            group,
            listeners: sender.is_some_and(|s| s.has_listeners(group)),
            sent: counters.sent.load(Relaxed),
            dropped: counters.dropped.load(Relaxed),
        })
    }

    /// RESET_STATS: every counter of the namespace, groups included.
    fn reset(&self) {
        self.counters.reset();
        for group in self.groups.iter() {
            group.reset();
        }
    }
}

impl Drop for NetService {
    fn drop(&mut self) {
        LIVE.add(-1, Relaxed);
    }
}

/// Why a request failed: its errno and what the extended ACK says.
struct Failure {
    error: Error,
    ext: ExtAck,
}

impl Failure {
    fn new(error: Error, msg: &'static CStr) -> Self {
        Self {
            error,
            ext: ExtAck {
                msg: Some(msg),
                ..ExtAck::default()
            },
        }
    }

    /// A failure that points at the attribute at `offset` of the payload.
    fn at(error: Error, msg: &'static CStr, offset: Option<usize>) -> Self {
        let mut failure = Self::new(error, msg);
        failure.ext.attr = offset;
        failure
    }
}

impl From<Invalid> for Failure {
    fn from(invalid: Invalid) -> Self {
        Self {
            error: EINVAL,
            ext: ExtAck {
                msg: Some(invalid.msg),
                attr: invalid.attr,
                missing: invalid.missing,
            },
        }
    }
}

/// How a request was answered, when it succeeded.
enum Answered {
    /// With replies, or nothing: an ACK follows if it asked for one.
    Done,
    /// With `NLMSG_DONE` (a classic echo, a dump), which is final.
    Final,
}

fn errno(code: u32) -> Error {
    Error::from_errno(-(code as i32))
}

fn not_supported(msg: &'static CStr) -> Failure {
    Failure::new(errno(bindings::EOPNOTSUPP), msg)
}

fn no_memory() -> Failure {
    Failure::new(ENOMEM, c"no memory for the reply")
}

fn needs_admin(request: &Request<'_>) -> core::result::Result<(), Failure> {
    if request.net_admin() {
        Ok(())
    } else {
        Err(Failure::new(EPERM, c"needs CAP_NET_ADMIN"))
    }
}

/// The [`Handler`] of every namespace's kernel socket.
pub(crate) struct Service;

impl Handler for Service {
    fn input(request: Request<'_>) {
        // Set before the namespace's socket existed; absent only if the
        // module is broken, and then nothing can be answered.
        let Some(service) = ffi::service_of_request(&request) else {
            return;
        };
        let Err(request) = echo_in_place(service, request) else {
            return;
        };
        for msg in wire::Messages::new(request.data()) {
            match msg {
                Ok(msg) => {
                    service.counters.received.add(1, Relaxed);
                    handle(service, &request, &msg);
                }
                // No later offset can be trusted: drop the rest, as
                // `netlink_rcv_skb()` does.
                Err(_) => {
                    service.counters.malformed.add(1, Relaxed);
                    break;
                }
            }
        }
    }
}

/// Answers one well-formed message, by the rules of `netlink_rcv_skb()`:
/// an error, or the command's answer and then, if asked for, an ACK.
fn handle(service: &NetService, request: &Request<'_>, msg: &wire::Message<'_>) {
    let header = msg.header;
    let result = if header.is_command() {
        command(service, request, msg)
    } else {
        Ok(Answered::Done)
    };
    let acked = match result {
        Err(failure) => {
            service.counters.errors.add(1, Relaxed);
            request.ack(msg.offset, failure.error.to_errno(), &failure.ext)
        }
        Ok(Answered::Done) if header.flags & wire::NLM_F_ACK != 0 => {
            request.ack(msg.offset, 0, &ExtAck::default())
        }
        Ok(_) => Ok(()),
    };
    // Cannot fail for a message of this datagram; counted if it ever does.
    if acked.is_err() {
        service.counters.dropped.add(1, Relaxed);
    }
}

/// Runs one command.
fn command(
    service: &NetService,
    request: &Request<'_>,
    msg: &wire::Message<'_>,
) -> core::result::Result<Answered, Failure> {
    let header = msg.header;
    // The requests' one payload check: every command, whether or not it
    // would use the payload, so a peer can rely on it. It also bounds what
    // a command sends: an echo's payload, a BROADCAST's data (at most
    // `MAX_NOTIFY_DATA` with its attributes around it).
    if msg.payload.len() > wire::MAX_PAYLOAD {
        return Err(Failure::new(EMSGSIZE, c"payload above 65520 bytes"));
    }
    if header.is_dump() && header.ty != wire::NLECHO_CMD_GET_GROUP {
        return Err(not_supported(c"this command has no dump"));
    }
    // Asked only by the commands that take attributes: echoes stay lean.
    let strict = || request.strict();
    match header.ty {
        wire::NLECHO_CLASSIC => {
            echo(service, request, msg, wire::NLMSG_DONE)?;
            Ok(Answered::Final)
        }
        wire::NLECHO_CMD_ECHO => {
            echo(service, request, msg, wire::NLECHO_CMD_ECHO)?;
            Ok(Answered::Done)
        }
        wire::NLECHO_CMD_BROADCAST => {
            needs_admin(request)?;
            let table = wire::POLICY_BROADCAST.check(msg.payload, strict())?;
            // Both are there: the policy requires them.
            let group = table.u32(wire::NLECHO_A_GROUP).unwrap_or(0);
            let data = table.bytes(wire::NLECHO_A_DATA).unwrap_or_default();
            if service.group(group).is_none() {
                return Err(Failure::at(
                    ERANGE,
                    c"no such group",
                    table.offset(wire::NLECHO_A_GROUP),
                ));
            }
            notify_group(service, request.sender(), data, group, Gfp::Kernel)
                .map_err(|e| Failure::new(e, c"no memory for the notification"))?;
            Ok(Answered::Done)
        }
        wire::NLECHO_CMD_STATS => {
            wire::POLICY_NONE.check(msg.payload, strict())?;
            let payload = service.counters.snapshot().to_bytes();
            reply(service, request, header, wire::NLECHO_CMD_STATS, &payload)?;
            Ok(Answered::Done)
        }
        wire::NLECHO_CMD_RESET_STATS => {
            needs_admin(request)?;
            wire::POLICY_NONE.check(msg.payload, strict())?;
            service.reset();
            Ok(Answered::Done)
        }
        wire::NLECHO_CMD_GET_GROUP if header.is_dump() => {
            wire::POLICY_NONE.check(msg.payload, strict())?;
            request
                .start_dump::<GroupDump>(msg.offset, service.settings.module)
                .map_err(|e| Failure::new(e, c"cannot start the dump"))?;
            Ok(Answered::Final)
        }
        wire::NLECHO_CMD_GET_GROUP => {
            let table = wire::POLICY_GET_GROUP.check(msg.payload, strict())?;
            let group = table.u32(wire::NLECHO_A_GROUP).unwrap_or(0);
            let info = service
                .group_info(Some(request.sender()), group)
                .ok_or_else(|| {
                    Failure::at(ERANGE, c"no such group", table.offset(wire::NLECHO_A_GROUP))
                })?;
            reply(
                service,
                request,
                header,
                wire::NLECHO_CMD_GET_GROUP,
                &info.to_bytes(),
            )?;
            Ok(Answered::Done)
        }
        _ => Err(not_supported(c"unknown message type")),
    }
}

/// Sends `payload` back in a message of type `ty` with the request's
/// sequence number, and says whether the sender's socket took it. Only a
/// reply that cannot be built is an error for the sender; one its socket
/// does not take is counted as dropped (see [`delivered`]).
fn reply(
    service: &NetService,
    request: &Request<'_>,
    req: Header,
    ty: u16,
    payload: &[u8],
) -> core::result::Result<bool, Failure> {
    let header = Header {
        ty,
        seq: req.seq,
        ..Header::default()
    };
    let msg = Message::single(header, payload, Gfp::Kernel).map_err(|_| no_memory())?;
    Ok(delivered(service, &request.reply(msg)))
}

/// The zero-copy echo: a datagram that is one ECHO or classic message,
/// asking for nothing but its echo, is answered with itself (see
/// [`Request::reply_in_place`] for when that is sound). The reply is what
/// [`echo`] would send, byte for byte but for the padding, which is the
/// sender's own. Hands the request back, unanswered and uncounted, for
/// every other datagram, when root set `copy_echo=1`, and when zero-copy
/// is not sound.
fn echo_in_place<'a>(
    service: &NetService,
    request: Request<'a>,
) -> core::result::Result<(), Request<'a>> {
    if ffi::copy_echo() {
        return Err(request);
    }
    let mut messages = wire::Messages::new(request.data());
    let (Some(Ok(msg)), None) = (messages.next(), messages.next()) else {
        return Err(request);
    };
    let Some(ty) = plain_echo(&msg.header) else {
        return Err(request);
    };
    // Above the limit the copy path answers with its error.
    if msg.payload.len() > wire::MAX_PAYLOAD {
        return Err(request);
    }
    let bytes = msg.payload.len() as u64;
    let header = Header {
        ty,
        seq: msg.header.seq,
        ..Header::default()
    };
    let sent = request.reply_in_place(header)?;
    service.counters.received.add(1, Relaxed);
    if delivered(service, &sent) {
        service.counters.echoed.add(1, Relaxed);
        service.counters.zero_copy.add(1, Relaxed);
        service.counters.bytes.add(bytes, Relaxed);
    }
    Ok(())
}

/// The type of the echo that answers `header`, if an echo is all that
/// [`handle`] would send: a classic message (answered with `NLMSG_DONE`,
/// which is final) or an ECHO that asks for no ACK; neither a dump.
fn plain_echo(header: &Header) -> Option<u16> {
    if header.is_dump() || !header.is_command() {
        return None;
    }
    match header.ty {
        wire::NLECHO_CLASSIC => Some(wire::NLMSG_DONE),
        wire::NLECHO_CMD_ECHO if header.flags & wire::NLM_F_ACK == 0 => Some(wire::NLECHO_CMD_ECHO),
        _ => None,
    }
}

/// ECHO and classic requests: the payload comes back as type `ty`.
fn echo(
    service: &NetService,
    request: &Request<'_>,
    msg: &wire::Message<'_>,
    ty: u16,
) -> core::result::Result<(), Failure> {
    if reply(service, request, msg.header, ty, msg.payload)? {
        service.counters.echoed.add(1, Relaxed);
        service
            .counters
            .bytes
            .add(msg.payload.len() as u64, Relaxed);
    }
    Ok(())
}

/// Whether the receiver took a reply or a unicast notification: `sent` is
/// what the send returned. One that it did not take counts as `dropped`
/// here; what one that it took counts as (`echoed`, `notified`) is the
/// caller's to count, as only the caller knows what was sent.
fn delivered(service: &NetService, sent: &Result) -> bool {
    if sent.is_err() {
        service.counters.dropped.add(1, Relaxed);
    }
    sent.is_ok()
}

/// The GET_GROUP dump: every group of the requester's namespace, resuming
/// at the group after the last one sent.
struct GroupDump;

impl Dump for GroupDump {
    fn dump(out: &mut DumpSkb<'_>, cursor: &mut u64) -> Result<bool> {
        let service = ffi::service_of_dump(out).ok_or(ENODEV)?;
        loop {
            let group = u32::try_from(*cursor)
                .ok()
                .and_then(|done| done.checked_add(1))
                .ok_or(EINVAL)?;
            let listeners = service
                .socket
                .with(|sender| sender.has_listeners(group))
                .unwrap_or(false);
            let Some(mut info) = service.group_info(None, group) else {
                return Ok(false);
            };
            info.listeners = listeners;
            let bytes = info.to_bytes();
            out.put(wire::NLECHO_CMD_GET_GROUP, bytes.len(), |area| {
                netlink::copy(area, &bytes)
            })?;
            *cursor += 1;
        }
    }
}

/// A notification carrying `data`: `NLECHO_CMD_NOTIFY` with `group` (0 for
/// a unicast), or the classic `NLMSG_DONE` with the raw data. `data` was
/// checked where it came in (a BROADCAST request, a helper's arguments);
/// writing the message checks again that it fits, and fails with
/// `EMSGSIZE` if not.
fn notification(service: &NetService, data: &[u8], group: u32, gfp: Gfp) -> Result<Message> {
    if service.settings.classic_notify {
        let header = Header {
            ty: wire::NLMSG_DONE,
            ..Header::default()
        };
        return Message::single(header, data, gfp);
    }
    let header = Header {
        ty: wire::NLECHO_CMD_NOTIFY,
        ..Header::default()
    };
    let notify = wire::Notify { group, data };
    Message::single_with(header, wire::Notify::len(data.len()), gfp, |out| {
        notify.put(out)
    })
}

/// Sends `data` to the user socket bound to `port` in `service`'s
/// namespace, through `sender`, its kernel socket.
pub(crate) fn notify_port(
    service: &NetService,
    sender: Sender<'_>,
    data: &[u8],
    port: u32,
    gfp: Gfp,
) -> Result {
    let sent = sender.unicast(notification(service, data, 0, gfp)?, port);
    if delivered(service, &sent) {
        service.counters.notified.add(1, Relaxed);
    }
    sent
}

/// Sends `data` to multicast `group` of `service`'s namespace, through
/// `sender`, its kernel socket. That no listener got it is not an error
/// (`ESRCH`: none listens, or every queue is full), nor is a listener whose
/// queue is full: it sees `ENOBUFS` itself. Only listeners with
/// `NETLINK_BROADCAST_ERROR` make the core report their miss (`ENOBUFS`),
/// which counts as dropped.
pub(crate) fn notify_group(
    service: &NetService,
    sender: Sender<'_>,
    data: &[u8],
    group: u32,
    gfp: Gfp,
) -> Result {
    let counters = service.group(group).ok_or(ERANGE)?;
    match sender.broadcast(notification(service, data, group, gfp)?, group, gfp) {
        Ok(()) => {}
        Err(e) if e == ESRCH => {}
        Err(e) if e.to_errno() == -(bindings::ENOBUFS as i32) => {
            service.counters.dropped.add(1, Relaxed);
            counters.dropped.add(1, Relaxed);
        }
        Err(e) => return Err(e),
    }
    service.counters.notified.add(1, Relaxed);
    counters.sent.add(1, Relaxed);
    Ok(())
}
