//! The library's error type: every failure a peer of the module can meet,
//! each with a message that fits on one line.

use std::fmt;
use std::io;
use std::time::Duration;

use nix::errno::Errno;

use crate::wire;

/// Result of the library's operations.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong talking to the module or to a peer.
#[derive(Debug)]
pub enum Error {
    /// `socket()` said `EPROTONOSUPPORT`: no kernel socket serves the protocol.
    ModuleNotLoaded {
        /// The protocol asked for.
        protocol: u32,
    },
    /// Nothing (or no matching reply) arrived in time.
    Timeout {
        /// How long we waited.
        after: Duration,
    },
    /// A system call failed.
    Sys {
        /// Which call, and on what.
        op: Op,
        /// Its errno.
        errno: Errno,
    },
    /// The kernel answered with `NLMSG_ERROR` and a negative errno, or
    /// ended a dump with a negative `NLMSG_DONE`.
    Kernel {
        /// The errno, positive.
        errno: Errno,
        /// The extended ACK message (`NLMSGERR_ATTR_MSG`), if one came.
        message: Option<String>,
        /// `NLMSGERR_ATTR_OFFS`: where the offending attribute starts, in
        /// bytes from the start of the request's header.
        offset: Option<u32>,
        /// `NLMSGERR_ATTR_MISS_TYPE`: the type of a missing required
        /// attribute.
        miss_type: Option<u32>,
    },
    /// `recvmsg()` said `ENOBUFS`: the receive queue overflowed and messages
    /// were dropped. The socket stays usable.
    Overrun,
    /// A blocking call was interrupted by a signal (`EINTR`).
    Interrupted,
    /// A datagram could not be walked.
    Malformed(wire::Malformed),
    /// A reply's attributes could not be parsed.
    BadAttrs(wire::AttrError),
    /// A reply is shorter or otherwise different from what its type promises.
    BadReply {
        /// What is wrong with it.
        what: &'static str,
    },
    /// A reply was larger than the receive buffer and was cut.
    Truncated {
        /// Bytes the buffer held.
        len: usize,
    },
    /// A payload larger than the protocol allows.
    TooLarge {
        /// Its size.
        len: usize,
    },
    /// A multicast group that cannot be used this way.
    BadGroup {
        /// The group.
        group: u32,
        /// Why.
        why: &'static str,
    },
    /// A request that cannot be built as asked.
    Build {
        /// What is wrong with it.
        what: &'static str,
    },
    /// A reply of a type the request cannot produce.
    UnexpectedReply {
        /// The reply's type.
        ty: u16,
    },
    /// Reading or writing a file (a capture) failed.
    Io {
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        source: io::Error,
    },
}

/// The system call behind an [`Error::Sys`]: its message names the call,
/// and the call with the errno picks the hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `socket()`.
    Open,
    /// `bind()`.
    Bind,
    /// `getsockname()`: the socket's port.
    Port,
    /// Joining a multicast group (`NETLINK_ADD_MEMBERSHIP`).
    Join,
    /// Leaving one (`NETLINK_DROP_MEMBERSHIP`).
    Leave,
    /// Setting the option named.
    SetOption(&'static str),
    /// Reading the option named.
    GetOption(&'static str),
    /// `sendmsg()` to the kernel.
    SendToKernel,
    /// `sendmsg()` to a user port or a group.
    SendToPeer,
    /// A `sendmsg()` that took only part of the datagram.
    ShortSend,
    /// `poll()`: waiting for a datagram.
    Wait,
    /// `recvmsg()`.
    Recv,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Open => f.write_str("socket"),
            Op::Bind => f.write_str("bind"),
            Op::Port => f.write_str("getsockname"),
            Op::Join => f.write_str("setsockopt(NETLINK_ADD_MEMBERSHIP)"),
            Op::Leave => f.write_str("setsockopt(NETLINK_DROP_MEMBERSHIP)"),
            Op::SetOption(name) => write!(f, "setsockopt({name})"),
            Op::GetOption(name) => write!(f, "getsockopt({name})"),
            Op::SendToKernel => f.write_str("sendmsg"),
            Op::SendToPeer => f.write_str("sendmsg to a user port or group"),
            Op::ShortSend => f.write_str("sendmsg (short write)"),
            Op::Wait => f.write_str("poll"),
            Op::Recv => f.write_str("recvmsg"),
        }
    }
}

/// What an errno means in nlecho's protocol (docs/PROTOCOL.md), if anything
/// more than its description.
fn kernel_hint(errno: Errno) -> Option<&'static str> {
    Some(match errno {
        Errno::EPERM => "needs CAP_NET_ADMIN",
        Errno::EINVAL => "a missing or malformed attribute",
        Errno::ERANGE => "group outside 1..groups of the module",
        Errno::EOPNOTSUPP => "message type unknown to the module, or a dump it does not have",
        Errno::EMSGSIZE => "message larger than the module's 65536-byte maximum",
        _ => return None,
    })
}

/// Writes a kernel error, one line. With an extended ACK message it reads
/// the way iproute2 prints one, `Error: <message>.`, followed by the errno's
/// name and where the kernel pointed: `Error: no such group. (ERANGE,
/// attribute at offset 16)`. Without one, the errno and what it means in
/// nlecho's protocol: `kernel answered with error -1: Operation not
/// permitted (needs CAP_NET_ADMIN)`.
fn write_kernel(
    f: &mut fmt::Formatter<'_>,
    errno: Errno,
    message: Option<&str>,
    offset: Option<u32>,
    miss_type: Option<u32>,
) -> fmt::Result {
    // One line whatever the kernel sent.
    let message = message
        .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|m| !m.is_empty());
    let mut details = Vec::new();
    if let Some(o) = offset {
        details.push(format!("attribute at offset {o}"));
    }
    if let Some(t) = miss_type {
        details.push(format!("missing attribute type {t}"));
    }
    match message {
        Some(m) => {
            let stop = if m.ends_with('.') { "" } else { "." };
            write!(f, "Error: {m}{stop} ({errno:?}")?;
            for d in &details {
                write!(f, ", {d}")?;
            }
            write!(f, ")")
        }
        None => {
            write!(
                f,
                "kernel answered with error -{}: {}",
                errno as i32,
                errno.desc()
            )?;
            if let Some(hint) = kernel_hint(errno) {
                details.insert(0, hint.to_owned());
            }
            if !details.is_empty() {
                write!(f, " ({})", details.join(", "))?;
            }
            Ok(())
        }
    }
}

/// Hints for system calls whose errors have a protocol-level cause.
fn sys_hint(op: Op, errno: Errno) -> Option<&'static str> {
    Some(match (op, errno) {
        (Op::Join, Errno::EPERM) => {
            "joining a group needs CAP_NET_ADMIN, or the module parameter nonroot_recv=1"
        }
        (Op::Join, Errno::EINVAL) => "no such group: above the module's groups?",
        (Op::SendToPeer, Errno::EPERM) => {
            "sending to another port or a group needs CAP_NET_ADMIN, or the module parameter nonroot_send=1"
        }
        (Op::SendToPeer, Errno::ECONNREFUSED) => "no socket is bound to that port",
        (Op::Bind, Errno::EADDRINUSE) => "another socket is bound to that port",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ModuleNotLoaded { protocol } => write!(
                f,
                "no kernel socket on netlink protocol {protocol}: is the nlecho module loaded? (insmod nlecho.ko)"
            ),
            Error::Timeout { after } => {
                write!(f, "nothing received within {} ms", after.as_millis())
            }
            Error::Sys { op, errno } => {
                write!(f, "{op}: {}", errno.desc())?;
                if let Some(hint) = sys_hint(*op, *errno) {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
            Error::Kernel {
                errno,
                message,
                offset,
                miss_type,
            } => write_kernel(f, *errno, message.as_deref(), *offset, *miss_type),
            Error::Overrun => write!(f, "lost messages: receive buffer overrun (ENOBUFS)"),
            Error::Interrupted => write!(f, "interrupted"),
            Error::Malformed(m) => write!(f, "malformed datagram: {m:?}"),
            Error::BadAttrs(e) => write!(f, "malformed attributes: {e:?}"),
            Error::BadReply { what } => write!(f, "malformed reply: {what}"),
            Error::Truncated { len } => {
                write!(f, "datagram larger than the {len}-byte receive buffer was cut")
            }
            Error::TooLarge { len } => write!(
                f,
                "payload of {len} bytes exceeds the protocol's maximum of {} bytes",
                wire::MAX_PAYLOAD
            ),
            Error::BadGroup { group, why } => write!(f, "group {group}: {why}"),
            Error::Build { what } => write!(f, "cannot build the request: {what}"),
            Error::UnexpectedReply { ty } => write!(f, "unexpected reply of type {ty:#x}"),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    pub(crate) fn sys(op: Op) -> impl FnOnce(Errno) -> Error {
        move |errno| Error::Sys { op, errno }
    }

    pub(crate) fn io(context: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::Io { context, source }
    }

    /// The error an `NLMSG_ERROR` with a negative errno stands for.
    pub(crate) fn kernel(status: crate::ack::Status) -> Error {
        Error::Kernel {
            errno: Errno::from_raw(status.error.saturating_neg()),
            message: status.message,
            offset: status.offset,
            miss_type: status.miss_type,
        }
    }

    /// The errno of a kernel error, if this is one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(
        errno: Errno,
        message: Option<&str>,
        offset: Option<u32>,
        miss_type: Option<u32>,
    ) -> Error {
        Error::Kernel {
            errno,
            message: message.map(str::to_owned),
            offset,
            miss_type,
        }
    }

    #[test]
    fn kernel_errors_without_a_message_name_the_errno_and_the_protocol_reason() {
        assert_eq!(
            kernel(Errno::EPERM, None, None, None).to_string(),
            "kernel answered with error -1: Operation not permitted (needs CAP_NET_ADMIN)"
        );
        assert_eq!(
            kernel(Errno::ENOENT, None, None, None).to_string(),
            "kernel answered with error -2: No such file or directory"
        );
        assert_eq!(
            kernel(Errno::EINVAL, None, Some(20), None).to_string(),
            "kernel answered with error -22: Invalid argument \
             (a missing or malformed attribute, attribute at offset 20)"
        );
    }

    #[test]
    fn kernel_errors_with_an_extended_ack_read_like_iproute2() {
        assert_eq!(
            kernel(Errno::ERANGE, Some("no such group"), Some(16), None).to_string(),
            "Error: no such group. (ERANGE, attribute at offset 16)"
        );
        assert_eq!(
            kernel(Errno::EPERM, Some("needs CAP_NET_ADMIN"), None, None).to_string(),
            "Error: needs CAP_NET_ADMIN. (EPERM)"
        );
        assert_eq!(
            kernel(Errno::EINVAL, Some("missing attribute"), None, Some(2)).to_string(),
            "Error: missing attribute. (EINVAL, missing attribute type 2)"
        );
        // No second full stop, and never a second line.
        assert_eq!(
            kernel(Errno::EINVAL, Some("two\nlines."), None, None).to_string(),
            "Error: two lines. (EINVAL)"
        );
        // An empty message is no message.
        assert_eq!(
            kernel(Errno::EOPNOTSUPP, Some(""), None, None).to_string(),
            "kernel answered with error -95: Operation not supported on transport endpoint \
             (message type unknown to the module, or a dump it does not have)"
        );
        assert_eq!(
            kernel(Errno::EBUSY, Some("x"), None, None).errno(),
            Some(Errno::EBUSY)
        );
        assert_eq!(Error::Overrun.errno(), None);
    }

    #[test]
    fn system_call_errors_name_the_call_and_its_protocol_reason() {
        let sys = |op, errno| Error::Sys { op, errno }.to_string();
        assert_eq!(
            sys(Op::Join, Errno::EPERM),
            "setsockopt(NETLINK_ADD_MEMBERSHIP): Operation not permitted \
             (joining a group needs CAP_NET_ADMIN, or the module parameter nonroot_recv=1)"
        );
        assert_eq!(
            sys(Op::SendToPeer, Errno::ECONNREFUSED),
            "sendmsg to a user port or group: Connection refused (no socket is bound to that port)"
        );
        assert_eq!(
            sys(Op::Bind, Errno::EADDRINUSE),
            "bind: Address already in use (another socket is bound to that port)"
        );
        // The same errno from another call has no hint.
        assert_eq!(
            sys(Op::SendToKernel, Errno::EPERM),
            "sendmsg: Operation not permitted"
        );
        assert_eq!(
            sys(Op::SetOption("SO_RCVBUF"), Errno::EINVAL),
            "setsockopt(SO_RCVBUF): Invalid argument"
        );
    }

    #[test]
    fn every_message_is_one_line() {
        let all = [
            Error::ModuleNotLoaded { protocol: 30 },
            Error::Timeout {
                after: Duration::from_millis(5),
            },
            Error::Sys {
                op: Op::Join,
                errno: Errno::EPERM,
            },
            kernel(Errno::EINVAL, Some("a\nb\r\nc"), Some(1), Some(2)),
            Error::Overrun,
            Error::Interrupted,
            Error::Malformed(wire::Malformed::Truncated { avail: 3 }),
            Error::BadAttrs(wire::AttrError::Missing(1)),
            Error::BadReply { what: "x" },
            Error::Truncated { len: 4 },
            Error::TooLarge { len: 70_000 },
            Error::BadGroup { group: 0, why: "y" },
            Error::Build { what: "z" },
            Error::UnexpectedReply { ty: 9 },
            Error::Io {
                context: "c",
                source: io::Error::other("e"),
            },
        ];
        for e in all {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "{s:?}");
        }
        assert_eq!(
            Error::Overrun.to_string(),
            "lost messages: receive buffer overrun (ENOBUFS)"
        );
    }
}
