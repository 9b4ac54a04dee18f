// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the kernel's netlink API.
//!
//! C headers: [`include/linux/netlink.h`], [`include/linux/skbuff.h`].
//!
//! The kernel crate has no netlink support of its own. This file and
//! `ffi.rs` (the C ABI of the exported helpers) are the module's only
//! `unsafe` code; everything above them is safe Rust. Ownership follows the
//! C rules: `netlink_unicast()` and `netlink_broadcast()` consume the skb
//! even when they fail, so sending takes the [`Message`] by value.

use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::sync::rcu;

use crate::wire;

/// Whether the allocations of a send may sleep. The kernel crate's
/// `alloc::Flags` cannot be passed to C from a module, hence this type.
#[derive(Clone, Copy)]
pub(crate) enum Gfp {
    /// Process context without spinlocks or RCU held (`GFP_KERNEL`).
    Kernel,
    /// Any context but hard interrupts; never sleeps (`GFP_ATOMIC`).
    Atomic,
}

impl Gfp {
    fn raw(self) -> bindings::gfp_t {
        match self {
            Gfp::Kernel => bindings::GFP_KERNEL,
            // A failed atomic allocation is an error the caller returns,
            // not worth a page-allocation-failure splat in the log.
            Gfp::Atomic => bindings::GFP_ATOMIC | bindings::__GFP_NOWARN,
        }
    }
}

/// Receives the datagrams user processes send to a [`KernelSocket`].
pub(crate) trait Handler {
    /// Called once per datagram, in the sender's context, before its
    /// `sendmsg()` returns.
    fn input(request: &Request<'_>);
}

/// How a protocol is registered (`struct netlink_kernel_cfg`).
pub(crate) struct Config {
    /// Number of multicast groups (at least 32 are always allocated).
    pub(crate) groups: u32,
    /// Unprivileged sockets may join multicast groups.
    pub(crate) nonroot_recv: bool,
    /// Unprivileged sockets may send to other user ports and to groups.
    pub(crate) nonroot_send: bool,
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

// SAFETY: The socket is not tied to the thread that created it: it may be
// released (`netlink_kernel_release()`, process context) on any CPU.
unsafe impl Send for KernelSocket {}

// SAFETY: Shared references only lead to `netlink_unicast()` and
// `netlink_broadcast()` (through [`Sender`]), which lock what they touch and
// are called concurrently on the same kernel socket throughout the kernel.
unsafe impl Sync for KernelSocket {}

impl KernelSocket {
    /// Registers `protocol` in the initial network namespace, with `H`
    /// receiving every datagram sent to it.
    ///
    /// `module` becomes the protocol's owner: every user socket of the
    /// protocol holds a reference to it, so the module cannot be unloaded
    /// while one is open.
    ///
    /// Fails with `EINVAL` if `protocol` is out of range or already taken,
    /// and for `NETLINK_USERSOCK`: the netlink core registers that one at
    /// boot without a kernel socket, so a kernel socket created on it would
    /// not be its owner, and user sockets would not pin the module while
    /// `H::input` may still run.
    ///
    /// Must be called in process context; so must the socket's drop.
    pub(crate) fn new<H: Handler>(
        protocol: u32,
        config: &Config,
        module: &'static ThisModule,
    ) -> Result<Self> {
        if protocol == bindings::NETLINK_USERSOCK {
            return Err(EINVAL);
        }
        let unit = c_int::try_from(protocol).map_err(|_| EINVAL)?;
        let mut flags = 0;
        if config.nonroot_recv {
            flags |= bindings::NL_CFG_F_NONROOT_RECV;
        }
        if config.nonroot_send {
            flags |= bindings::NL_CFG_F_NONROOT_SEND;
        }
        let mut cfg = bindings::netlink_kernel_cfg {
            groups: config.groups,
            flags,
            input: Some(input_trampoline::<H>),
            ..Default::default()
        };
        // SAFETY: `init_net` lives as long as the kernel. `cfg` is valid for
        // the duration of the call, which copies what it keeps. `module` is
        // this module's `THIS_MODULE`; as `unit` is not `NETLINK_USERSOCK`,
        // the call either fails or makes `module` the protocol's owner, so
        // every user socket of the protocol pins the module and `H::input`
        // (module code) cannot run after the module is gone. The kernel
        // range-checks `unit` itself.
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

/// Sends kernel-initiated messages through a kernel socket.
///
/// # Invariants
///
/// `sk` is a live kernel netlink socket for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Sender<'a> {
    sk: NonNull<bindings::sock>,
    _sk: PhantomData<&'a KernelSocket>,
}

impl Sender<'_> {
    /// Sends `msg` to the user socket bound to `port`, without blocking.
    ///
    /// Fails with `EAGAIN` when that socket's receive queue is full, with
    /// `ECONNREFUSED` when no socket has the port, and with `EINVAL` for
    /// port 0 (the kernel); `msg` is consumed either way.
    pub(crate) fn unicast(self, msg: Message, port: u32) -> Result {
        // Port 0 is the kernel socket itself: the message would loop back
        // into our own input callback, in the sender's context.
        if port == 0 {
            return Err(EINVAL);
        }
        // SAFETY: By the type invariant `sk` is live. `into_raw` hands over
        // the skb, which `netlink_unicast()` frees or queues in every case.
        let ret = unsafe { bindings::netlink_unicast(self.sk.as_ptr(), msg.into_raw(), port, 1) };
        to_result(ret.min(0))
    }

    /// Sends `msg` to every socket in multicast `group` (1-based), copying
    /// it per listener with `gfp`. Never blocks: a listener whose queue is
    /// full loses the message and sees `ENOBUFS` on its next receive.
    ///
    /// Fails with `ESRCH` when no listener got the message (there was none,
    /// or every one's queue was full), and with `ENOBUFS` when one that set
    /// `NETLINK_BROADCAST_ERROR` missed it, though others may have got it.
    pub(crate) fn broadcast(self, mut msg: Message, group: u32, gfp: Gfp) -> Result {
        // Listeners read the group from `nl_pktinfo`/`sockaddr_nl`, as
        // after `nlmsg_multicast()`.
        msg.set_dst_group(group);
        // SAFETY: By the type invariant `sk` is live. `into_raw` hands over
        // the skb, which `netlink_broadcast()` consumes in every case.
        let ret = unsafe {
            bindings::netlink_broadcast(self.sk.as_ptr(), msg.into_raw(), 0, group, gfp.raw())
        };
        to_result(ret.min(0))
    }
}

/// A place from which code that holds no reference to the module's socket
/// (the exported C helpers) can reach it, RCU-protected.
///
/// # Invariants
///
/// The pointer is null or a live kernel socket, set by [`Published::new`];
/// once [`Published::drop`] clears it, the socket stays live for an RCU
/// grace period.
pub(crate) struct SocketSlot(Atomic<*mut bindings::sock>);

impl SocketSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(core::ptr::null_mut()))
    }

    /// Runs `f` with a sender for the published socket, or returns `None`
    /// when none is published. `f` runs under `rcu_read_lock()` and must not
    /// sleep.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Sender<'_>) -> R) -> Option<R> {
        let _guard = rcu::read_lock();
        let sk = NonNull::new(self.0.load(Acquire))?;
        // INVARIANT: `Published::drop` clears the slot and waits for an RCU
        // grace period before the socket is released, so a pointer read
        // inside this read-side section stays live until it ends.
        Some(f(Sender {
            sk,
            _sk: PhantomData,
        }))
    }
}

/// A [`KernelSocket`] published in a [`SocketSlot`] until dropped, which
/// must happen in process context (it waits for an RCU grace period).
///
/// # Invariants
///
/// `slot` holds `_socket`'s pointer from `new` until `drop`.
pub(crate) struct Published {
    // Only held: dropped, and so released, after `Published::drop` ran.
    _socket: KernelSocket,
    slot: &'static SocketSlot,
}

impl Published {
    /// Makes `socket` reachable through `slot`.
    pub(crate) fn new(socket: KernelSocket, slot: &'static SocketSlot) -> Self {
        // INVARIANT: `socket` is live until `Published` is dropped, and the
        // Release store pairs with the Acquire load in `SocketSlot::with`.
        slot.0.store(socket.sk.as_ptr(), Release);
        Self {
            _socket: socket,
            slot,
        }
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        self.slot.0.store(core::ptr::null_mut(), Relaxed);
        // SAFETY: Plain call; we are in process context (module exit), where
        // sleeping is allowed. After it returns no reader still holds the
        // pointer, and `self._socket` is released right after.
        unsafe { bindings::synchronize_rcu() };
    }
}

/// A datagram received from a user process, borrowed for the duration of
/// the input callback.
///
/// # Invariants
///
/// `skb` is a valid sk_buff for `'a`, owned by the netlink core, whose
/// control block holds `struct netlink_skb_parms`; `sk` is the kernel socket
/// that received it, live for `'a`.
pub(crate) struct Request<'a> {
    skb: NonNull<bindings::sk_buff>,
    sk: NonNull<bindings::sock>,
    _skb: PhantomData<&'a bindings::sk_buff>,
}

impl<'a> Request<'a> {
    /// The bytes the sender passed to `sendmsg()`.
    ///
    /// Only the linear part of the skb is returned. `netlink_sendmsg()`
    /// always builds linear skbs, and a message reaching past this slice is
    /// treated as malformed, so nothing is read beyond it.
    pub(crate) fn data(&self) -> &'a [u8] {
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
        // SAFETY: By the type invariant `skb` is a live netlink datagram,
        // whose control block the netlink core filled in.
        unsafe { (*netlink_cb(self.skb)).portid }
    }

    /// Whether the sending task has `CAP_NET_ADMIN` over the socket's network
    /// namespace, and so had the socket's opener (`netlink_net_capable()`).
    pub(crate) fn net_admin(&self) -> bool {
        // SAFETY: By the type invariant `skb` is a live netlink skb.
        unsafe {
            bindings::netlink_net_capable(self.skb.as_ptr(), bindings::CAP_NET_ADMIN as c_int)
        }
    }

    /// A sender for the kernel socket that received this datagram.
    pub(crate) fn sender(&self) -> Sender<'a> {
        // INVARIANT: By the type invariant `sk` is live for `'a`.
        Sender {
            sk: self.sk,
            _sk: PhantomData,
        }
    }

    /// Sends `msg` to the sender's port, without blocking.
    pub(crate) fn reply(&self, msg: Message) -> Result {
        self.sender().unicast(msg, self.sender_port())
    }
}

/// `NETLINK_CB(skb)`: the netlink view of the skb's control block.
///
/// # Safety
///
/// `skb` must point to a live sk_buff. The result is valid as long as the
/// skb is, and may be dereferenced only by its owner or, for reading, while
/// the netlink core hands the skb to us.
unsafe fn netlink_cb(skb: NonNull<bindings::sk_buff>) -> *mut bindings::netlink_skb_parms {
    // SAFETY: By the safety requirements `skb` is live. `cb` is 48 bytes,
    // 8-byte aligned, and netlink keeps a `netlink_skb_parms` (checked to
    // fit by the kernel's `BUILD_BUG_ON`) at its start.
    unsafe { (&raw mut (*skb.as_ptr()).cb).cast::<bindings::netlink_skb_parms>() }
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
    // SAFETY: By the safety requirements `skb` is valid until we return.
    // `netlink_unicast_kernel()` set `skb->sk` to the receiving socket.
    let Some(sk) = NonNull::new(unsafe { (*skb.as_ptr()).sk }) else {
        return;
    };
    // INVARIANT: By the safety requirements `skb` is a valid netlink datagram
    // received by our kernel socket `sk`, both alive until we return.
    let request = Request {
        skb,
        sk,
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
    pub(crate) fn new(size: usize, gfp: Gfp) -> Result<Self> {
        let size_c = c_uint::try_from(size).map_err(|_| EMSGSIZE)?;
        // SAFETY: `__alloc_skb()` may be called with any size and flags; it
        // returns NULL on failure. This is `alloc_skb(size, gfp)`.
        let skb = unsafe { bindings::__alloc_skb(size_c, gfp.raw(), 0, bindings::NUMA_NO_NODE) };
        let skb = NonNull::new(skb).ok_or(ENOMEM)?;
        // INVARIANT: `alloc_skb(size)` returns a linear skb with at least
        // `size` bytes of tailroom, owned by the caller.
        Ok(Self { skb, room: size })
    }

    /// Allocates a datagram holding one message: `header` (its length is
    /// filled in) and `payload`.
    pub(crate) fn single(header: wire::Header, payload: &[u8], gfp: Gfp) -> Result<Self> {
        let mut msg = Self::new(wire::msg_space(payload.len()), gfp)?;
        msg.put(header, payload)?;
        Ok(msg)
    }

    /// Appends one netlink message: `header` (its length is filled in) and
    /// `payload`, padded to the netlink alignment.
    pub(crate) fn put(&mut self, header: wire::Header, payload: &[u8]) -> Result {
        let space = wire::msg_space(payload.len());
        // Checked before the skb grows, so a refused message leaves it as
        // it was; `wire::put` then cannot fail.
        if payload.len() > wire::MAX_PAYLOAD || space > self.room {
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
        // INVARIANT: `space` bytes of tailroom were used.
        self.room -= space;
        if wire::put(area, header, payload).is_err() {
            // Unreachable after the checks above; should it happen, no
            // uninitialised kernel memory may reach user space.
            area.fill(0);
            return Err(EMSGSIZE);
        }
        Ok(())
    }

    /// Records the multicast group the datagram is sent to
    /// (`NETLINK_CB(skb).dst_group`).
    fn set_dst_group(&mut self, group: u32) {
        // SAFETY: By the type invariant we own the skb exclusively, so
        // nothing else reads or writes its control block now.
        unsafe { (*netlink_cb(self.skb)).dst_group = group };
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
