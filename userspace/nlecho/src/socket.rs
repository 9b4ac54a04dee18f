//! A netlink socket on any protocol number.
//!
//! nix's `socket()` takes a closed `SockProtocol` enum that has no room for
//! custom protocols such as 30, so the descriptor comes from `libc::socket`;
//! everything after that goes through nix.

use std::io::IoSlice;
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{
    bind, getsockname, recvmsg, sendmsg, setsockopt, sockopt, MsgFlags, NetlinkAddr,
};
use nix::sys::time::{TimeVal, TimeValLike};

use crate::error::{Error, Result};

/// An `AF_NETLINK` datagram socket.
#[derive(Debug)]
pub struct Socket {
    fd: OwnedFd,
    protocol: u32,
    timeout: Option<Duration>,
}

/// What `recv` got: its length and the port that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Bytes written to the buffer.
    pub len: usize,
    /// Port id of the sender; 0 is the kernel.
    pub from_port: u32,
    /// Multicast groups it was sent to (a bit mask, as in `nl_groups`).
    pub groups: u32,
}

impl Socket {
    /// Opens a `SOCK_RAW` netlink socket on `protocol`.
    ///
    /// Fails with [`Error::ModuleNotLoaded`] when no kernel socket has
    /// registered the protocol.
    pub fn open(protocol: u32) -> Result<Self> {
        let proto = libc::c_int::try_from(protocol).map_err(|_| Error::Sys {
            op: "socket",
            errno: Errno::EINVAL,
        })?;
        // SAFETY: socket() takes no pointers; it returns a new descriptor or -1.
        let raw =
            unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
        if raw < 0 {
            return Err(match Errno::last() {
                Errno::EPROTONOSUPPORT => Error::ModuleNotLoaded { protocol },
                errno => Error::Sys {
                    op: "socket",
                    errno,
                },
            });
        }
        // SAFETY: `raw` is a descriptor socket() just created; nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(Socket {
            fd,
            protocol,
            timeout: None,
        })
    }

    /// The protocol this socket speaks.
    pub fn protocol(&self) -> u32 {
        self.protocol
    }

    /// Binds to `port` (0: let the kernel pick one) and joins the groups in
    /// the `groups` bit mask.
    pub fn bind(&self, port: u32, groups: u32) -> Result<()> {
        bind(self.fd.as_raw_fd(), &NetlinkAddr::new(port, groups)).map_err(Error::sys("bind"))
    }

    /// The port id the socket is bound to.
    pub fn port(&self) -> Result<u32> {
        let addr: NetlinkAddr =
            getsockname(self.fd.as_raw_fd()).map_err(Error::sys("getsockname"))?;
        Ok(addr.pid())
    }

    /// Makes `recv` give up with [`Error::Timeout`] after `timeout`
    /// (zero: wait forever).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<()> {
        let micros = i64::try_from(timeout.as_micros()).unwrap_or(i64::MAX);
        setsockopt(
            &self.fd,
            sockopt::ReceiveTimeout,
            &TimeVal::microseconds(micros),
        )
        .map_err(Error::sys("setsockopt(SO_RCVTIMEO)"))?;
        self.timeout = Some(timeout);
        Ok(())
    }

    /// Sends one datagram to `port` (0: the kernel).
    pub fn send_to(&self, datagram: &[u8], port: u32) -> Result<()> {
        let addr = NetlinkAddr::new(port, 0);
        let sent = sendmsg(
            self.fd.as_raw_fd(),
            &[IoSlice::new(datagram)],
            &[],
            MsgFlags::empty(),
            Some(&addr),
        )
        .map_err(Error::sys("sendmsg"))?;
        if sent != datagram.len() {
            return Err(Error::Sys {
                op: "sendmsg (short write)",
                errno: Errno::EMSGSIZE,
            });
        }
        Ok(())
    }

    /// Receives one datagram into `buf`.
    ///
    /// A datagram larger than `buf` is an error, never silently cut.
    pub fn recv(&self, buf: &mut [u8]) -> Result<Datagram> {
        let cap = buf.len();
        let mut iov = [IoSliceMut::new(buf)];
        let msg =
            match recvmsg::<NetlinkAddr>(self.fd.as_raw_fd(), &mut iov, None, MsgFlags::empty()) {
                Ok(msg) => msg,
                Err(Errno::EAGAIN) => {
                    return Err(Error::Timeout {
                        after: self.timeout.unwrap_or_default(),
                    })
                }
                Err(errno) => {
                    return Err(Error::Sys {
                        op: "recvmsg",
                        errno,
                    })
                }
            };
        if msg.flags.contains(MsgFlags::MSG_TRUNC) {
            return Err(Error::Truncated { len: cap });
        }
        let (from_port, groups) = msg.address.map_or((0, 0), |a| (a.pid(), a.groups()));
        Ok(Datagram {
            len: msg.bytes,
            from_port,
            groups,
        })
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
