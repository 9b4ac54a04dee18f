//! Netlink socket options (`SOL_NETLINK`) for nix's `setsockopt()`.
//!
//! nix has no netlink options, so these implement its `SetSockOpt` and
//! `GetSockOpt` traits over `libc::setsockopt`/`libc::getsockopt`, with the
//! `int`-sized values the kernel expects.

use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::socket::{GetSockOpt, SetSockOpt};

/// Sets an `int` option at `SOL_NETLINK`.
fn set_int<F: AsFd>(fd: &F, name: libc::c_int, value: libc::c_int) -> nix::Result<()> {
    // SAFETY: the pointer and length describe `value`, which outlives the
    // call; the kernel only reads it.
    let res = unsafe {
        libc::setsockopt(
            fd.as_fd().as_raw_fd(),
            libc::SOL_NETLINK,
            name,
            std::ptr::from_ref(&value).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    Errno::result(res).map(drop)
}

/// Reads an `int` option at `SOL_NETLINK`.
fn get_int<F: AsFd>(fd: &F, name: libc::c_int) -> nix::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the pointers describe `value` and `len`, which outlive the
    // call; the kernel writes at most `len` bytes to `value`.
    let res = unsafe {
        libc::getsockopt(
            fd.as_fd().as_raw_fd(),
            libc::SOL_NETLINK,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    Errno::result(res).map(|_| value)
}

/// Defines a unit type implementing `SetSockOpt` for an `int` option.
macro_rules! netlink_option {
    ($(#[$doc:meta])* $name:ident, $opt:expr, $val:ty, $to_int:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;

        impl SetSockOpt for $name {
            type Val = $val;

            fn set<F: AsFd>(&self, fd: &F, val: &$val) -> nix::Result<()> {
                let to_int: fn(&$val) -> nix::Result<libc::c_int> = $to_int;
                set_int(fd, $opt, to_int(val)?)
            }
        }
    };
}

/// Groups are unsigned; the kernel reads them from an `int`.
fn group(g: &u32) -> nix::Result<libc::c_int> {
    libc::c_int::try_from(*g).map_err(|_| Errno::EINVAL)
}

fn flag(on: &bool) -> nix::Result<libc::c_int> {
    Ok(libc::c_int::from(*on))
}

netlink_option!(
    /// `NETLINK_ADD_MEMBERSHIP`: join a multicast group (any number, unlike
    /// `bind()`'s 32-bit mask).
    AddMembership,
    libc::NETLINK_ADD_MEMBERSHIP,
    u32,
    group
);
netlink_option!(
    /// `NETLINK_DROP_MEMBERSHIP`: leave a multicast group.
    DropMembership,
    libc::NETLINK_DROP_MEMBERSHIP,
    u32,
    group
);
netlink_option!(
    /// `NETLINK_EXT_ACK`: ask for extended ACK attributes on errors.
    ExtAck,
    libc::NETLINK_EXT_ACK,
    bool,
    flag
);
netlink_option!(
    /// `NETLINK_PKTINFO`: a control message with the destination group on
    /// every datagram received.
    PktInfo,
    libc::NETLINK_PKTINFO,
    bool,
    flag
);

/// Defines a unit type implementing `SetSockOpt` and `GetSockOpt` for a
/// boolean `int` option.
macro_rules! netlink_flag {
    ($(#[$doc:meta])* $name:ident, $opt:expr) => {
        netlink_option!($(#[$doc])* $name, $opt, bool, flag);

        impl GetSockOpt for $name {
            type Val = bool;

            fn get<F: AsFd>(&self, fd: &F) -> nix::Result<bool> {
                get_int(fd, $opt).map(|v| v != 0)
            }
        }
    };
}

netlink_flag!(
    /// `NETLINK_CAP_ACK`: errors echo only the request's header
    /// (`NLM_F_CAPPED`), not the whole request.
    CapAck,
    libc::NETLINK_CAP_ACK
);
netlink_flag!(
    /// `NETLINK_GET_STRICT_CHK`: ask for strict checking of requests, so
    /// that attributes unknown to the command are refused.
    StrictCheck,
    libc::NETLINK_GET_STRICT_CHK
);
netlink_flag!(
    /// `NETLINK_BROADCAST_ERROR`: a multicast this socket misses (its queue
    /// is full) is reported to the sender.
    BroadcastError,
    libc::NETLINK_BROADCAST_ERROR
);

/// Whether `NETLINK_EXT_ACK` is on.
impl GetSockOpt for ExtAck {
    type Val = bool;

    fn get<F: AsFd>(&self, fd: &F) -> nix::Result<bool> {
        get_int(fd, libc::NETLINK_EXT_ACK).map(|v| v != 0)
    }
}
