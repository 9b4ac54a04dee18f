//! Netlink socket options (`SOL_NETLINK`) for nix's `setsockopt()`.
//!
//! nix has no netlink options, so these implement its `SetSockOpt` trait
//! over `libc::setsockopt`, with the `int`-sized values the kernel expects.

use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::socket::SetSockOpt;

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
