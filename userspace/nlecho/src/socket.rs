//! The transport: what sends and receives datagrams ([`Transport`]), and
//! its plain implementation, a netlink socket on any protocol number.
//! Layers such as [`crate::Tapped`] wrap a transport; framing is elsewhere.
//!
//! nix's `socket()` takes a closed `SockProtocol` enum that has no room for
//! custom protocols such as 30, so the descriptor comes from `libc::socket`;
//! everything after that goes through nix.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    bind, getsockname, getsockopt, recvmsg, sendmsg, setsockopt, sockopt, ControlMessageOwned,
    MsgFlags, NetlinkAddr,
};

use crate::error::{Error, Op, Result};
use crate::sockopt::{
    AddMembership, BroadcastError, CapAck, DropMembership, ExtAck, PktInfo, StrictCheck,
};

/// Groups a user socket can send to: those of `nl_groups`' 32-bit mask.
pub const MAX_SEND_GROUP: u32 = 32;

/// The deadline of a socket's or a client's `timeout` from now: `None`
/// (wait for ever) for zero, and for a time beyond what `Instant` holds.
pub(crate) fn deadline(timeout: Duration) -> Option<Instant> {
    if timeout.is_zero() {
        return None;
    }
    Instant::now().checked_add(timeout)
}

/// An `AF_NETLINK` datagram socket.
pub struct Socket {
    fd: OwnedFd,
    protocol: u32,
    timeout: Option<Duration>,
    /// Whether `NETLINK_PKTINFO` is on, so receives ask for its cmsg.
    pktinfo: AtomicBool,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("fd", &self.fd)
            .field("protocol", &self.protocol)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What `recv` got: its length, who sent it and to which group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Bytes written to the buffer.
    pub len: usize,
    /// Port id of the sender; 0 is the kernel.
    pub from_port: u32,
    /// The multicast group it was sent to; `None` for a unicast. Exact for
    /// every group once the socket joined one ([`Socket::join`] turns on
    /// `NETLINK_PKTINFO`), otherwise read from the sender address's
    /// `nl_groups` mask, which only shows groups 1-32.
    pub group: Option<u32>,
}

/// A datagram received whole into its own buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The datagram: one or more messages.
    pub data: Vec<u8>,
    /// Port id of the sender; 0 is the kernel.
    pub from_port: u32,
    /// The multicast group it was sent to; `None` for a unicast.
    pub group: Option<u32>,
}

/// Sends and receives datagrams: a [`Socket`], or a layer around one such
/// as [`crate::Tapped`]. Only [`Transport::recv_until`] waits; the other
/// receives are built on it.
pub trait Transport {
    /// The socket underneath: its address, options and timeout.
    fn socket(&self) -> &Socket;

    /// Sends one datagram to `port` (0: the kernel).
    fn send_to(&self, datagram: &[u8], port: u32) -> Result<()>;

    /// Sends one datagram to the members of multicast `group` (1-32: user
    /// sockets address groups with the `nl_groups` bit mask). The kernel
    /// socket gets a copy too, as netlink unicasts to port 0 alongside.
    fn send_to_group(&self, datagram: &[u8], group: u32) -> Result<()>;

    /// Receives one datagram into `buf`, waiting until `deadline`
    /// (`None`: for ever); `Ok(None)` once the deadline passed with nothing
    /// received.
    ///
    /// A signal that interrupts the wait is [`Error::Interrupted`], so that
    /// a caller can look at what its handler did; calling again with the
    /// same deadline waits for the time left.
    ///
    /// A datagram larger than `buf` is an error, never silently cut: size
    /// `buf` to the largest datagram expected (`wire::MAX_MSG_LEN` for the
    /// module's replies) or use [`Transport::recv_owned_until`].
    fn recv_until(&self, buf: &mut [u8], deadline: Option<Instant>) -> Result<Option<Datagram>>;

    /// Receives the next datagram whole, whatever its size, waiting until
    /// `deadline` like [`Transport::recv_until`]: its length is peeked
    /// first. Meant for one reader per socket; with two, the peeked
    /// datagram may be another's.
    fn recv_owned_until(&self, deadline: Option<Instant>) -> Result<Option<Received>> {
        let Some(len) = self.socket().peek_len_until(deadline)? else {
            return Ok(None);
        };
        let mut data = vec![0; len];
        // Queued already: this takes it even if the deadline just passed.
        let Some(got) = self.recv_until(&mut data, deadline)? else {
            return Ok(None);
        };
        data.truncate(got.len);
        Ok(Some(Received {
            data,
            from_port: got.from_port,
            group: got.group,
        }))
    }

    /// [`Transport::recv_until`] within the socket's timeout
    /// ([`Socket::set_timeout`]), after which it is [`Error::Timeout`].
    fn recv(&self, buf: &mut [u8]) -> Result<Datagram> {
        within(self.socket().timeout(), |deadline| {
            self.recv_until(buf, deadline)
        })
    }

    /// [`Transport::recv_owned_until`] within the socket's timeout.
    fn recv_owned(&self) -> Result<Received> {
        within(self.socket().timeout(), |deadline| {
            self.recv_owned_until(deadline)
        })
    }
}

/// Runs `recv` with the deadline `timeout` (`None`: for ever) from now; a
/// deadline passed is [`Error::Timeout`].
fn within<T>(
    timeout: Option<Duration>,
    recv: impl FnOnce(Option<Instant>) -> Result<Option<T>>,
) -> Result<T> {
    let after = timeout.unwrap_or_default();
    recv(deadline(after))?.ok_or(Error::Timeout { after })
}

impl Socket {
    /// Opens a `SOCK_RAW` netlink socket on `protocol`.
    ///
    /// Fails with [`Error::ModuleNotLoaded`] when no kernel socket has
    /// registered the protocol.
    pub fn open(protocol: u32) -> Result<Self> {
        let proto = libc::c_int::try_from(protocol).map_err(|_| Error::Sys {
            op: Op::Open,
            errno: Errno::EINVAL,
        })?;
        // SAFETY: socket() takes no pointers; it returns a new descriptor or -1.
        let raw =
            unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
        if raw < 0 {
            return Err(match Errno::last() {
                Errno::EPROTONOSUPPORT => Error::ModuleNotLoaded { protocol },
                errno => Error::Sys {
                    op: Op::Open,
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
            pktinfo: AtomicBool::new(false),
        })
    }

    /// The protocol this socket speaks.
    pub fn protocol(&self) -> u32 {
        self.protocol
    }

    /// Binds to `port` (0: let the kernel pick one) and joins the groups in
    /// the `groups` bit mask.
    pub fn bind(&self, port: u32, groups: u32) -> Result<()> {
        bind(self.fd.as_raw_fd(), &NetlinkAddr::new(port, groups)).map_err(Error::sys(Op::Bind))
    }

    /// The port id the socket is bound to.
    pub fn port(&self) -> Result<u32> {
        let addr: NetlinkAddr = getsockname(self.fd.as_raw_fd()).map_err(Error::sys(Op::Port))?;
        Ok(addr.pid())
    }

    /// Joins multicast `group` (`NETLINK_ADD_MEMBERSHIP`: any group the
    /// protocol has, not only 1-32) and turns on `NETLINK_PKTINFO` so
    /// receives report the group. Bind first: an unbound socket has port 0,
    /// which the kernel's multicast skips.
    pub fn join(&self, group: u32) -> Result<()> {
        if group == 0 {
            return Err(Error::BadGroup {
                group,
                why: "groups start at 1",
            });
        }
        self.set_pktinfo(true)?;
        setsockopt(&self.fd, AddMembership, &group).map_err(Error::sys(Op::Join))
    }

    /// Leaves multicast `group` (`NETLINK_DROP_MEMBERSHIP`).
    pub fn leave(&self, group: u32) -> Result<()> {
        setsockopt(&self.fd, DropMembership, &group).map_err(Error::sys(Op::Leave))
    }

    /// Asks for extended ACK attributes on kernel errors (`NETLINK_EXT_ACK`).
    pub fn set_ext_ack(&self, on: bool) -> Result<()> {
        setsockopt(&self.fd, ExtAck, &on).map_err(Error::sys(Op::SetOption("NETLINK_EXT_ACK")))
    }

    /// Whether `NETLINK_EXT_ACK` is on.
    pub fn ext_ack(&self) -> Result<bool> {
        getsockopt(&self.fd, ExtAck).map_err(Error::sys(Op::GetOption("NETLINK_EXT_ACK")))
    }

    /// Makes errors echo only the request's header, flagged `NLM_F_CAPPED`
    /// (`NETLINK_CAP_ACK`); off, the default, they echo the whole request.
    /// Acknowledgements (error 0) always echo the header only.
    pub fn set_cap_ack(&self, on: bool) -> Result<()> {
        setsockopt(&self.fd, CapAck, &on).map_err(Error::sys(Op::SetOption("NETLINK_CAP_ACK")))
    }

    /// Whether `NETLINK_CAP_ACK` is on.
    pub fn cap_ack(&self) -> Result<bool> {
        getsockopt(&self.fd, CapAck).map_err(Error::sys(Op::GetOption("NETLINK_CAP_ACK")))
    }

    /// Asks for strict checking of this socket's requests
    /// (`NETLINK_GET_STRICT_CHK`): the module then refuses attributes a
    /// command does not take instead of ignoring them.
    pub fn set_strict_check(&self, on: bool) -> Result<()> {
        setsockopt(&self.fd, StrictCheck, &on)
            .map_err(Error::sys(Op::SetOption("NETLINK_GET_STRICT_CHK")))
    }

    /// Whether `NETLINK_GET_STRICT_CHK` is on.
    pub fn strict_check(&self) -> Result<bool> {
        getsockopt(&self.fd, StrictCheck)
            .map_err(Error::sys(Op::GetOption("NETLINK_GET_STRICT_CHK")))
    }

    /// Makes the multicasts this socket misses, because its queue is full,
    /// known to their sender (`NETLINK_BROADCAST_ERROR`); the module counts
    /// them in the group's `DROPPED`.
    pub fn set_broadcast_error(&self, on: bool) -> Result<()> {
        setsockopt(&self.fd, BroadcastError, &on)
            .map_err(Error::sys(Op::SetOption("NETLINK_BROADCAST_ERROR")))
    }

    /// Reports the destination group of each datagram (`NETLINK_PKTINFO`).
    pub fn set_pktinfo(&self, on: bool) -> Result<()> {
        setsockopt(&self.fd, PktInfo, &on).map_err(Error::sys(Op::SetOption("NETLINK_PKTINFO")))?;
        self.pktinfo.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Sets the receive buffer (`SO_RCVBUF`; the kernel doubles it and caps
    /// it at `net.core.rmem_max`).
    pub fn set_recv_buffer(&self, bytes: usize) -> Result<()> {
        setsockopt(&self.fd, sockopt::RcvBuf, &bytes)
            .map_err(Error::sys(Op::SetOption("SO_RCVBUF")))
    }

    /// Makes [`Transport::recv`], [`Transport::recv_owned`] and
    /// [`Socket::peek_len`] give up with [`Error::Timeout`] after `timeout`
    /// (zero: wait for ever, the default), here and in the layers around
    /// this socket. The `_until` receives take their own deadline instead.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = (!timeout.is_zero()).then_some(timeout);
    }

    /// How long [`Transport::recv`] waits; `None`: for ever.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    fn send_addr(&self, datagram: &[u8], addr: &NetlinkAddr, op: Op) -> Result<()> {
        let sent = sendmsg(
            self.fd.as_raw_fd(),
            &[IoSlice::new(datagram)],
            &[],
            MsgFlags::empty(),
            Some(addr),
        )
        .map_err(Error::sys(op))?;
        if sent != datagram.len() {
            return Err(Error::Sys {
                op: Op::ShortSend,
                errno: Errno::EMSGSIZE,
            });
        }
        Ok(())
    }

    /// The length of the next datagram, without taking it
    /// (`MSG_PEEK | MSG_TRUNC`), waiting until `deadline` like
    /// [`Transport::recv_until`].
    pub fn peek_len_until(&self, deadline: Option<Instant>) -> Result<Option<usize>> {
        let flags = MsgFlags::MSG_PEEK | MsgFlags::MSG_TRUNC;
        let got = self.recv_flags_until(&mut [], flags, deadline)?;
        Ok(got.map(|got| got.dgram.len))
    }

    /// [`Socket::peek_len_until`] within the socket's timeout.
    pub fn peek_len(&self) -> Result<usize> {
        within(self.timeout, |deadline| self.peek_len_until(deadline))
    }

    /// `recvmsg()` with `flags` once a datagram is queued, or `None` once
    /// `deadline` passed first. Each try does not block: `poll()` does the
    /// waiting, so a datagram that is queued is taken whatever the time.
    fn recv_flags_until(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
        deadline: Option<Instant>,
    ) -> Result<Option<Raw>> {
        loop {
            match self.recv_flags(buf, flags | MsgFlags::MSG_DONTWAIT) {
                Ok(got) => return Ok(Some(got)),
                Err(Errno::EAGAIN) => {}
                Err(Errno::ENOBUFS) => return Err(Error::Overrun),
                Err(Errno::EINTR) => return Err(Error::Interrupted),
                Err(errno) => {
                    return Err(Error::Sys {
                        op: Op::Recv,
                        errno,
                    })
                }
            }
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    // Rounded up to poll's milliseconds, so it never wakes
                    // early and spins; beyond its range it wakes to wait on.
                    let millis = left.as_nanos().div_ceil(1_000_000);
                    PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
            // Readable, an error to report (POLLERR, e.g. an overrun), or
            // the time is up: the next try tells which.
            poll(&mut fds, timeout).map_err(|errno| match errno {
                Errno::EINTR => Error::Interrupted,
                errno => Error::Sys {
                    op: Op::Wait,
                    errno,
                },
            })?;
        }
    }

    fn recv_flags(&self, buf: &mut [u8], flags: MsgFlags) -> nix::Result<Raw> {
        let mut iov = [IoSliceMut::new(buf)];
        let mut cmsg = self
            .pktinfo
            .load(Ordering::Relaxed)
            .then(|| nix::cmsg_space!(u32));
        let msg =
            recvmsg::<NetlinkAddr>(self.fd.as_raw_fd(), &mut iov, cmsg.as_deref_mut(), flags)?;
        let (from_port, groups) = msg.address.map_or((0, 0), |a| (a.pid(), a.groups()));
        // Without NETLINK_PKTINFO, the mask shows groups 1-32.
        let mut group = (groups != 0).then(|| groups.trailing_zeros() + 1);
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::Unknown(u) = c {
                    if u.cmsg_header.cmsg_level == libc::SOL_NETLINK
                        && u.cmsg_header.cmsg_type == libc::NETLINK_PKTINFO
                    {
                        if let Some(b) = u.data_bytes.get(..4) {
                            let g = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                            group = (g != 0).then_some(g);
                        }
                    }
                }
            }
        }
        Ok(Raw {
            dgram: Datagram {
                len: msg.bytes,
                from_port,
                group,
            },
            truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
        })
    }
}

impl Transport for Socket {
    fn socket(&self) -> &Socket {
        self
    }

    fn send_to(&self, datagram: &[u8], port: u32) -> Result<()> {
        let op = if port == 0 {
            Op::SendToKernel
        } else {
            Op::SendToPeer
        };
        self.send_addr(datagram, &NetlinkAddr::new(port, 0), op)
    }

    fn send_to_group(&self, datagram: &[u8], group: u32) -> Result<()> {
        if !(1..=MAX_SEND_GROUP).contains(&group) {
            return Err(Error::BadGroup {
                group,
                why: "user sockets can only send to groups 1-32 (the nl_groups bit mask)",
            });
        }
        let addr = NetlinkAddr::new(0, 1 << (group - 1));
        match self.send_addr(datagram, &addr, Op::SendToPeer) {
            // The multicast went out before the unicast to port 0 failed:
            // a protocol without a kernel socket (NETLINK_USERSOCK).
            Err(Error::Sys {
                errno: Errno::ECONNREFUSED,
                ..
            }) => Ok(()),
            sent => sent,
        }
    }

    fn recv_until(&self, buf: &mut [u8], deadline: Option<Instant>) -> Result<Option<Datagram>> {
        let cap = buf.len();
        let Some(got) = self.recv_flags_until(buf, MsgFlags::empty(), deadline)? else {
            return Ok(None);
        };
        if got.truncated {
            return Err(Error::Truncated { len: cap });
        }
        Ok(Some(got.dgram))
    }
}

/// A receive before its checks.
struct Raw {
    dgram: Datagram,
    truncated: bool,
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
