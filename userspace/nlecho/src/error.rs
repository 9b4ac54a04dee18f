//! The library's error type: every failure a peer of the module can meet,
//! each with a message that fits on one line.

use std::fmt;
use std::time::Duration;

use nix::errno::Errno;

use crate::wire;

/// Result of the library's operations.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong talking to the module.
#[derive(Debug)]
pub enum Error {
    /// `socket()` said `EPROTONOSUPPORT`: no kernel socket serves the protocol.
    ModuleNotLoaded {
        /// The protocol asked for.
        protocol: u32,
    },
    /// No matching reply arrived in time.
    Timeout {
        /// How long we waited.
        after: Duration,
    },
    /// A system call failed.
    Sys {
        /// Which call.
        op: &'static str,
        /// Its errno.
        errno: Errno,
    },
    /// The kernel answered with `NLMSG_ERROR` and a negative errno.
    Kernel {
        /// The errno, positive.
        errno: Errno,
    },
    /// A reply could not be parsed.
    Malformed(wire::Malformed),
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
    /// A reply of a type the request cannot produce.
    UnexpectedReply {
        /// The reply's type.
        ty: u16,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ModuleNotLoaded { protocol } => write!(
                f,
                "no kernel socket on netlink protocol {protocol}: is the nlecho module loaded? (insmod nlecho.ko)"
            ),
            Error::Timeout { after } => {
                write!(f, "no reply from the kernel within {} ms", after.as_millis())
            }
            Error::Sys { op, errno } => write!(f, "{op}: {}", errno.desc()),
            Error::Kernel { errno } => {
                write!(f, "kernel answered with error {}: {}", *errno as i32, errno.desc())
            }
            Error::Malformed(m) => write!(f, "malformed reply: {m:?}"),
            Error::Truncated { len } => {
                write!(f, "reply larger than the {len}-byte receive buffer was cut")
            }
            Error::TooLarge { len } => write!(
                f,
                "payload of {len} bytes exceeds the protocol's maximum of {} bytes",
                wire::MAX_PAYLOAD
            ),
            Error::UnexpectedReply { ty } => write!(f, "unexpected reply of type {ty:#x}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    pub(crate) fn sys(op: &'static str) -> impl FnOnce(Errno) -> Error {
        move |errno| Error::Sys { op, errno }
    }
}
