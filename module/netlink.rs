// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the kernel's netlink API.
//!
//! C headers: [`include/linux/netlink.h`], [`include/linux/skbuff.h`].
//!
//! The kernel crate has no netlink support of its own, so this file is the
//! module's only contact with raw pointers: everything above it is safe Rust.
//! Ownership follows the C rules: `netlink_unicast()` consumes the skb even
//! when it fails, so sending takes the [`Message`] by value.

use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::to_result;
use kernel::prelude::*;

use crate::wire;

/// Receives the datagrams user processes send to a [`KernelSocket`].
pub(crate) trait Handler {
    /// Called once per datagram, in the sender's context, before its
    /// `sendmsg()` returns.
    fn input(request: &Request<'_>);
}

/// The kernel end of a netlink protocol: the socket that registers it.
///
/// # Invariants
///
/// `sk` was returned by `__netlink_kernel_create()` and is released only by
/// [`Drop`].
pub(crate) struct KernelSocket {
    sk: NonNull<bindings::sock>,
}

// SAFETY: The netlink core serialises access to the socket internally; the
// pointer itself is only handed to functions that may run on any CPU.
unsafe impl Send for KernelSocket {}

// SAFETY: All methods take `&self` and call netlink functions that are safe
// to call concurrently.
unsafe impl Sync for KernelSocket {}

impl KernelSocket {
    /// Registers `protocol` in the initial network namespace, with `H`
    /// receiving every datagram sent to it.
    ///
    /// `module` becomes the protocol's owner: every user socket of the
    /// protocol holds a reference to it, so the module cannot be unloaded
    /// while one is open.
    ///
    /// Fails with `EINVAL` if `protocol` is out of range or already taken.
    pub(crate) fn new<H: Handler>(protocol: u32, module: &'static ThisModule) -> Result<Self> {
        let unit = c_int::try_from(protocol).map_err(|_| EINVAL)?;
        let mut cfg = bindings::netlink_kernel_cfg {
            input: Some(input_trampoline::<H>),
            ..Default::default()
        };
        // SAFETY: `init_net` lives as long as the kernel. `cfg` is valid for
        // the duration of the call, which copies what it keeps. `module` is
        // this module's `THIS_MODULE`. The kernel range-checks `unit` itself.
        let sk = unsafe {
            bindings::__netlink_kernel_create(
                &raw mut bindings::init_net,
                unit,
                module.as_ptr(),
                &mut cfg,
            )
        };
        // NULL: `unit` is out of range, the protocol already has a kernel
        // socket in this namespace, or memory ran out.
        let sk = NonNull::new(sk).ok_or(EINVAL)?;
        // INVARIANT: `sk` was just returned by `__netlink_kernel_create()`.
        Ok(Self { sk })
    }
}

impl Drop for KernelSocket {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `sk` is a live kernel socket, and this
        // is the only place that releases it.
        unsafe { bindings::netlink_kernel_release(self.sk.as_ptr()) };
    }
}

/// A datagram received from a user process, borrowed for the duration of
/// the input callback.
///
/// # Invariants
///
/// `skb` is a valid sk_buff for `'a`, owned by the netlink core, whose `sk`
/// is the receiving kernel socket and whose control block holds
/// `struct netlink_skb_parms`.
pub(crate) struct Request<'a> {
    skb: NonNull<bindings::sk_buff>,
    _skb: PhantomData<&'a bindings::sk_buff>,
}

impl Request<'_> {
    /// The bytes the sender passed to `sendmsg()`.
    ///
    /// Only the linear part of the skb is returned. `netlink_sendmsg()`
    /// always builds linear skbs, and a message reaching past this slice is
    /// treated as malformed, so nothing is read beyond it.
    pub(crate) fn data(&self) -> &[u8] {
        let skb = self.skb.as_ptr();
        // SAFETY: By the type invariant `skb` is valid for the borrow.
        let (data, len, data_len) = unsafe { ((*skb).data, (*skb).len, (*skb).data_len) };
        let head_len = len.saturating_sub(data_len) as usize;
        // SAFETY: `data` points at the `len - data_len` bytes of the skb's
        // linear area (`skb_headlen()`), which the netlink core does not
        // modify while the callback runs and keeps alive for `'a`.
        unsafe { core::slice::from_raw_parts(data, head_len) }
    }

    /// The port the kernel recorded for the sender (`NETLINK_CB(skb).portid`).
    ///
    /// Unlike `nlmsg_pid`, which the sender writes, this cannot be forged.
    pub(crate) fn sender_port(&self) -> u32 {
        // SAFETY: By the type invariant the control block is a
        // `netlink_skb_parms`; `cb` is 8-byte aligned in C, so the cast
        // pointer is aligned for it.
        unsafe {
            let parms = (&raw const (*self.skb.as_ptr()).cb).cast::<bindings::netlink_skb_parms>();
            (*parms).portid
        }
    }

    /// Sends `msg` to the sender's port without ever blocking.
    ///
    /// Fails with `EAGAIN` when the sender's receive queue is full and with
    /// `ECONNREFUSED` when its socket is gone; `msg` is consumed either way.
    pub(crate) fn reply(&self, msg: Message) -> Result {
        let port = self.sender_port();
        // SAFETY: By the type invariant `sk` is the kernel socket, alive while
        // the callback runs. `into_raw` hands over the skb, which
        // `netlink_unicast()` frees or queues in every case.
        let ret = unsafe { bindings::netlink_unicast((*self.skb.as_ptr()).sk, msg.into_raw(), port, 1) };
        to_result(ret.min(0))
    }
}

/// The input callback the netlink core calls; it hands the datagram to `H`.
///
/// # Safety
///
/// Must only be called by the netlink core as the `input` callback of a
/// socket created by [`KernelSocket::new`], with `skb` a datagram delivered
/// to it and kept alive until the call returns.
unsafe extern "C" fn input_trampoline<H: Handler>(skb: *mut bindings::sk_buff) {
    let Some(skb) = NonNull::new(skb) else {
        return;
    };
    // INVARIANT: By the safety requirements `skb` is a valid netlink datagram
    // received by our kernel socket, alive until we return.
    let request = Request {
        skb,
        _skb: PhantomData,
    };
    H::input(&request);
}

/// An outgoing datagram being built: an owned sk_buff.
///
/// # Invariants
///
/// `skb` points to a linear sk_buff from `alloc_skb()` that this value owns
/// exclusively, with at least `room` bytes of tailroom.
pub(crate) struct Message {
    skb: NonNull<bindings::sk_buff>,
    room: usize,
}

impl Message {
    /// Allocates room for `size` bytes of messages.
    pub(crate) fn new(size: usize) -> Result<Self> {
        let size_c = c_uint::try_from(size).map_err(|_| EMSGSIZE)?;
        // SAFETY: `__alloc_skb()` may be called with any size and flags; it
        // returns NULL on failure. This is `alloc_skb(size, GFP_KERNEL)`.
        let skb = unsafe { bindings::__alloc_skb(size_c, bindings::GFP_KERNEL, 0, bindings::NUMA_NO_NODE) };
        let skb = NonNull::new(skb).ok_or(ENOMEM)?;
        // INVARIANT: `alloc_skb(size)` returns a linear skb with at least
        // `size` bytes of tailroom, owned by the caller.
        Ok(Self { skb, room: size })
    }

    /// Appends one netlink message: `header` (its length is filled in) and
    /// `payload`, padded to the netlink alignment.
    pub(crate) fn put(&mut self, header: wire::Header, payload: &[u8]) -> Result {
        let space = wire::msg_space(payload.len());
        if space > self.room {
            return Err(EMSGSIZE);
        }
        // `space <= room <= c_uint::MAX`, checked in `new`.
        let space_c = space as c_uint;
        // SAFETY: By the type invariant the skb has at least `room >= space`
        // bytes of tailroom, so `skb_put()` cannot overrun (and BUG).
        let area = unsafe { bindings::skb_put(self.skb.as_ptr(), space_c) };
        // SAFETY: `skb_put()` returned the start of `space` bytes that belong
        // to this skb, which we own exclusively.
        let area = unsafe { core::slice::from_raw_parts_mut(area.cast::<u8>(), space) };
        wire::put(area, header, payload).map_err(|_| EMSGSIZE)?;
        // INVARIANT: `space` bytes of tailroom were used.
        self.room -= space;
        Ok(())
    }

    /// Gives up ownership of the skb to a function that consumes it.
    fn into_raw(self) -> *mut bindings::sk_buff {
        ManuallyDrop::new(self).skb.as_ptr()
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the skb and nobody else frees
        // it. This is `kfree_skb(skb)`.
        unsafe {
            bindings::sk_skb_reason_drop(
                core::ptr::null(),
                self.skb.as_ptr(),
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
    }
}
