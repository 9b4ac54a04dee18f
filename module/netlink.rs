// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the kernel's netlink API.
//!
//! C headers: [`include/linux/netlink.h`](srctree/include/linux/netlink.h),
//! [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h).
//!
//! The kernel crate has no netlink support of its own. This file and
//! `ffi.rs` (the C ABI of the exported helpers and of the per-namespace
//! hooks) are the module's only `unsafe` code; everything above them is safe
//! Rust. Ownership follows the C rules: `netlink_unicast()` and
//! `netlink_broadcast()` consume the skb even when they fail, so sending
//! takes the [`Message`] by value; and the netlink core lends the input
//! callback a request it frees right after, so the one write into a
//! request, [`Request::reply_in_place`] (the zero-copy echo, with its rules),
//! takes the [`Request`] by value.

use core::ffi::CStr;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::sync::rcu;

use crate::wire;

// The static inlines of `net/sock.h` and `linux/skbuff.h` that this file
// needs, compiled in `nlecho_netns.c`: this release's bindings have none.
// Only pointers cross: `improper_ctypes` objects to zero-sized fields deep
// inside `struct net`, which is never passed by value.
#[allow(improper_ctypes)]
extern "C" {
    fn nlecho_sock_net(sk: *const bindings::sock) -> *mut bindings::net;
    fn nlecho_skb_tailroom(skb: *const bindings::sk_buff) -> c_uint;
    fn nlecho_skb_private(skb: *const bindings::sk_buff) -> bool;
}

/// Whether the allocations of a send may sleep. The kernel crate's
/// `alloc::Flags` cannot be passed to C from a module, hence this type.
#[derive(Clone, Copy)]
pub(crate) enum Gfp {
    /// Process context without spinlocks or RCU held (`GFP_KERNEL`).
    Kernel,
    /// Any context but hard interrupts; never sleeps (`GFP_ATOMIC`).
    Atomic,
}

/// Largest skb data that an allocation may ask for with reclaim retries:
/// `PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER` less the `skb_shared_info` that
/// `alloc_skb()` adds to the same block.
const COSTLY_SKB: usize = (kernel::page::PAGE_SIZE << bindings::PAGE_ALLOC_COSTLY_ORDER)
    - core::mem::size_of::<bindings::skb_shared_info>()
    - 64;

/// `netlink_unicast()`'s `nonblock`: a full receive queue fails the send
/// with `EAGAIN` at once rather than making the sender wait.
const NONBLOCK: c_int = 1;

/// `__GFP_NORETRY`, which this release's bindings only have as a bit number.
const GFP_NORETRY: bindings::gfp_t = 1 << bindings::___GFP_NORETRY_BIT;

impl Gfp {
    /// The flags for an skb of `size` bytes of data.
    fn raw(self, size: usize) -> bindings::gfp_t {
        match self {
            // A user can ask for a 64 KiB echo (an order-5 block): above the
            // costly order, fail fast rather than retry, compact or warn.
            Gfp::Kernel if size > COSTLY_SKB => {
                bindings::GFP_KERNEL | GFP_NORETRY | bindings::__GFP_NOWARN
            }
            Gfp::Kernel => bindings::GFP_KERNEL,
            // A failed atomic allocation is an error the caller returns,
            // not worth a page-allocation-failure splat in the log.
            Gfp::Atomic => bindings::GFP_ATOMIC | bindings::__GFP_NOWARN,
        }
    }
}

/// A network namespace that is alive for `'a`.
///
/// # Invariants
///
/// `net` points to a `struct net` that stays alive for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Net<'a> {
    net: NonNull<bindings::net>,
    _net: PhantomData<&'a bindings::net>,
}

impl Net<'_> {
    /// The initial network namespace, which lives as long as the kernel.
    pub(crate) fn initial() -> Net<'static> {
        // INVARIANT: `init_net` is a static that is never freed.
        Net {
            // SAFETY: The address of a static is never null.
            net: unsafe { NonNull::new_unchecked(&raw mut bindings::init_net) },
            _net: PhantomData,
        }
    }

    /// Wraps a namespace pointer from C.
    ///
    /// # Safety
    ///
    /// `net` must point to a namespace that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(net: NonNull<bindings::net>) -> Net<'a> {
        // INVARIANT: Guaranteed by the safety requirements.
        Net {
            net,
            _net: PhantomData,
        }
    }

    /// The raw pointer, for C.
    pub(crate) fn as_ptr(self) -> *mut bindings::net {
        self.net.as_ptr()
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_initial(self) -> bool {
        core::ptr::eq(self.net.as_ptr(), &raw const bindings::init_net)
    }
}

/// Receives the datagrams user processes send to a [`KernelSocket`].
pub(crate) trait Handler {
    /// Called once per datagram, in the sender's context, before its
    /// `sendmsg()` returns. The request is the handler's until it returns,
    /// so it may give it up to [`Request::reply_in_place`].
    fn input(request: Request<'_>);
}

/// How a protocol is registered (`struct netlink_kernel_cfg`).
#[derive(Clone, Copy)]
pub(crate) struct Config {
    /// Number of multicast groups (at least 32 are always allocated).
    pub(crate) groups: u32,
    /// Unprivileged sockets may join multicast groups.
    pub(crate) nonroot_recv: bool,
    /// Unprivileged sockets may send to other user ports and to groups.
    pub(crate) nonroot_send: bool,
}

/// The kernel end of a netlink protocol in one namespace: the socket that
/// registers it there.
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

// SAFETY: Shared references only lead to `netlink_unicast()`,
// `netlink_broadcast()` and `netlink_has_listeners()` (through [`Sender`]),
// which lock what they touch and are called concurrently on the same kernel
// socket throughout the kernel.
unsafe impl Sync for KernelSocket {}

impl KernelSocket {
    /// Registers `protocol` in `net`, with `H` receiving every datagram sent
    /// to it there.
    ///
    /// The netlink core makes the module of a protocol's *first*
    /// registration, in whatever namespace, its owner: every user socket of
    /// the protocol, in every namespace, holds a reference to that module.
    /// So `module` owns the protocol only if no other kernel socket had
    /// registered it; [`owns_protocol`] checks that after the first
    /// registration.
    ///
    /// Fails with `EINVAL` if `protocol` is out of range, already has a
    /// kernel socket in `net`, and for `NETLINK_USERSOCK`: the netlink core
    /// registers that one at boot without a kernel socket, so a kernel
    /// socket created on it would never be its owner.
    ///
    /// Must be called in process context; so must the socket's drop.
    pub(crate) fn new<H: Handler>(
        net: Net<'_>,
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
            // Copied to user sockets only from the first registration:
            // `owns_protocol` tells by it whose registration that was.
            release: Some(release_probe),
            ..Default::default()
        };
        // SAFETY: By the type invariant of `Net`, `net` is alive during the
        // call. `cfg` is valid for the duration of the call, which copies
        // what it keeps. `module` is this module's `THIS_MODULE`. `H::input`
        // and `release_probe` are module code: they only run while a user
        // socket of the protocol exists, and those pin the protocol's owner,
        // which is `module` once `owns_protocol()` said so (the module stays
        // loaded otherwise while any such socket exists). The kernel
        // range-checks `unit` itself.
        let sk = unsafe {
            bindings::__netlink_kernel_create(net.as_ptr(), unit, module.as_ptr(), &mut cfg)
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

/// The user socket [`owns_protocol`] opens, while it goes.
static PROBE: Atomic<*mut bindings::sock> = Atomic::new(core::ptr::null_mut());
/// Whether [`release_probe`] saw [`PROBE`] released.
static PROBE_RELEASED: Atomic<bool> = Atomic::new(false);

/// The `release` callback of our registrations: `netlink_release()` calls
/// it for every user socket of the protocol, if it came from the protocol's
/// first registration.
///
/// # Safety
///
/// Must only be called by the netlink core, with `sk` a socket being
/// released.
unsafe extern "C" fn release_probe(sk: *mut bindings::sock, _groups: *mut c_ulong) {
    if !sk.is_null() && PROBE.load(Acquire) == sk {
        PROBE_RELEASED.store(true, Release);
    }
}

/// Whether this module owns `protocol`, which it registered in `net`: the
/// netlink core copies `release` (and the owner) to user sockets from the
/// protocol's first registration only, so a user socket opened and closed
/// here tells whose registration that was. Process context only; not to be
/// called concurrently.
pub(crate) fn owns_protocol(net: Net<'_>, protocol: u32) -> Result<bool> {
    let protocol = c_int::try_from(protocol).map_err(|_| EINVAL)?;
    let mut sock = core::ptr::null_mut();
    // SAFETY: By the type invariant of `Net`, `net` is alive. `sock` is a
    // valid place for the result. A kernel socket skips the permission
    // checks, and netlink sockets may be created in process context. The
    // protocol is registered (by us, in `net`), so `netlink_create()` does
    // not ask for a module to be loaded.
    to_result(unsafe {
        bindings::sock_create_kern(
            net.as_ptr(),
            bindings::AF_NETLINK as c_int,
            bindings::sock_type_SOCK_RAW as c_int,
            protocol,
            &mut sock,
        )
    })?;
    // SAFETY: `sock_create_kern()` succeeded, so `sock` is a live socket,
    // whose `sk` is its netlink socket.
    let sk = unsafe { (*sock).sk };
    PROBE_RELEASED.store(false, Relaxed);
    PROBE.store(sk, Release);
    // SAFETY: `sock` is ours, released exactly once, in process context.
    unsafe { bindings::sock_release(sock) };
    PROBE.store(core::ptr::null_mut(), Relaxed);
    Ok(PROBE_RELEASED.load(Acquire))
}

/// Whether anything but the loader holds a reference to `module`, which is
/// in its init: a module whose protocol was reachable must not fail its
/// init while something does, since the loader frees it regardless.
pub(crate) fn module_in_use(module: &'static ThisModule) -> bool {
    // The loader holds one reference during init (`module_unload_init()`).
    // SAFETY: `module` is this module, which is loaded while its code runs.
    unsafe { bindings::module_refcount(module.as_ptr()) > 1 }
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
        // SAFETY: `into_raw` hands over an skb of our own from
        // `alloc_skb()`: no owner socket, no destructor, a zeroed control
        // block but for the group (none for a unicast), and a nonzero port.
        unsafe { self.unicast_skb(msg.into_raw(), port) }
    }

    /// Sends `skb` to the user socket bound to `port`, without blocking,
    /// and consumes it.
    ///
    /// # Safety
    ///
    /// The caller must own `skb` and hand it over: it must be linear, have
    /// no owner socket and no destructor (the receiver's
    /// `netlink_skb_set_owner_r()` sets both), and hold in its control
    /// block what the receiver is to see (all zeroes: from the kernel).
    /// If it shares its data with another skb, that skb must hold its data
    /// reference until the call returns. `port` must not be 0.
    unsafe fn unicast_skb(self, skb: *mut bindings::sk_buff, port: u32) -> Result {
        // SAFETY: By the type invariant `sk` is live; the safety
        // requirements make `skb` a valid one to queue on a user socket.
        // `netlink_unicast()` frees or queues it in every case.
        let ret = unsafe { bindings::netlink_unicast(self.sk.as_ptr(), skb, port, NONBLOCK) };
        to_result(ret.min(0))
    }

    /// Sends `msg` to every socket of this socket's namespace in multicast
    /// `group` (1-based), copying it per listener with `gfp`. Never blocks:
    /// a listener whose queue is full loses the message and sees `ENOBUFS`
    /// on its next receive.
    ///
    /// Fails with `ESRCH` when no listener got the message (there was none,
    /// or every one's queue was full), and with `ENOBUFS` when one that set
    /// `NETLINK_BROADCAST_ERROR` missed it, though others may have got it.
    pub(crate) fn broadcast(self, mut msg: Message, group: u32, gfp: Gfp) -> Result {
        // Listeners read the group from `nl_pktinfo`/`sockaddr_nl`, as
        // after `nlmsg_multicast()`.
        msg.set_dst_group(group);
        let gfp = gfp.raw(msg.size);
        // SAFETY: By the type invariant `sk` is live. `into_raw` hands over
        // the skb, which `netlink_broadcast()` consumes in every case.
        let ret =
            unsafe { bindings::netlink_broadcast(self.sk.as_ptr(), msg.into_raw(), 0, group, gfp) };
        to_result(ret.min(0))
    }

    /// Whether a socket is in multicast `group` (`netlink_has_listeners()`).
    ///
    /// The netlink core keeps one listener table per protocol, so this
    /// answers for the protocol's sockets in every namespace.
    pub(crate) fn has_listeners(self, group: u32) -> bool {
        // SAFETY: By the type invariant `sk` is a live kernel socket, which
        // `netlink_has_listeners()` requires (it BUGs on a user socket).
        unsafe { bindings::netlink_has_listeners(self.sk.as_ptr(), group) != 0 }
    }
}

/// A namespace's kernel socket, reachable, RCU-protected, by code that
/// holds no reference to it (the exported helpers); then withdrawn, and
/// released once no reader can still hold it.
///
/// # Invariants
///
/// `live` is null or a socket from [`KernelSocket::new`] that this value
/// owns; so is `retired`. A socket moves from `live` to `retired` in
/// [`NetSocket::retire`], and is released only an RCU grace period later.
pub(crate) struct NetSocket {
    live: Atomic<*mut bindings::sock>,
    retired: Atomic<*mut bindings::sock>,
}

// SAFETY: The sockets are not tied to a thread (see `KernelSocket`), and
// every field is an atomic.
unsafe impl Send for NetSocket {}

// SAFETY: Shared references only read or swap the atomics, and hand out
// `Sender`s, which may be used concurrently (see `KernelSocket`).
unsafe impl Sync for NetSocket {}

impl NetSocket {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            live: Atomic::new(core::ptr::null_mut()),
            retired: Atomic::new(core::ptr::null_mut()),
        }
    }

    /// Takes ownership of `socket` and makes it reachable. Fails with
    /// `EBUSY` if a socket was set before.
    pub(crate) fn set(&self, socket: KernelSocket) -> Result {
        let sk = ManuallyDrop::new(socket).sk.as_ptr();
        // INVARIANT: On success we own `sk` from here on; the Release pairs
        // with the Acquire load in `with`.
        if self
            .live
            .cmpxchg(core::ptr::null_mut(), sk, Release)
            .is_err()
        {
            // INVARIANT: Not stored: hand the socket back to be released.
            drop(KernelSocket {
                // SAFETY: `sk` came from a `NonNull` just above.
                sk: unsafe { NonNull::new_unchecked(sk) },
            });
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Runs `f` with a sender for the live socket, or returns `None` when
    /// there is none. `f` runs under `rcu_read_lock()` and must not sleep.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Sender<'_>) -> R) -> Option<R> {
        let _guard = rcu::read_lock();
        let sk = NonNull::new(self.live.load(Acquire))?;
        // INVARIANT: A socket is released at least a grace period after it
        // left `live`, so a pointer read inside this read-side section stays
        // live until it ends.
        Some(f(Sender {
            sk,
            _sk: PhantomData,
        }))
    }

    /// Makes the socket unreachable for [`NetSocket::with`]; it is released
    /// by [`NetSocket::release_retired`] or by the drop.
    pub(crate) fn retire(&self) {
        let sk = self.live.xchg(core::ptr::null_mut(), Relaxed);
        if !sk.is_null() {
            // INVARIANT: Still owned, now as retired. `set` cannot run again
            // for a service that is going away, so there is one at most.
            self.retired.store(sk, Relaxed);
        }
    }

    /// Releases the retired socket now.
    ///
    /// # Safety
    ///
    /// An RCU grace period must have elapsed since [`NetSocket::retire`],
    /// and the caller must be in process context.
    pub(crate) unsafe fn release_retired(&self) {
        if let Some(sk) = NonNull::new(self.retired.xchg(core::ptr::null_mut(), Relaxed)) {
            // INVARIANT: By the safety requirements no reader of `live` can
            // still hold `sk`, which we own; releasing it ends ownership.
            drop(KernelSocket { sk });
        }
    }
}

impl Drop for NetSocket {
    fn drop(&mut self) {
        self.retire();
        if !self.retired.load(Relaxed).is_null() {
            // SAFETY: Plain call; drops happen in process context (namespace
            // exit, module init and exit).
            unsafe { bindings::synchronize_rcu() };
            // SAFETY: A grace period has just elapsed since `retire`, and we
            // are in process context.
            unsafe { self.release_retired() };
        }
    }
}

/// What an error or acknowledgement says beyond its errno: the extended
/// ACK attributes `netlink_ack()` adds for sockets with `NETLINK_EXT_ACK`.
#[derive(Clone, Copy, Default)]
pub(crate) struct ExtAck {
    /// `NLMSGERR_ATTR_MSG`.
    pub(crate) msg: Option<&'static CStr>,
    /// The offending attribute's offset in the message's payload, for
    /// `NLMSGERR_ATTR_OFFS`.
    pub(crate) attr: Option<usize>,
    /// A missing attribute's type, for `NLMSGERR_ATTR_MISS_TYPE`.
    pub(crate) missing: Option<u16>,
}

/// A datagram received from a user process, borrowed for the duration of
/// the input callback.
///
/// # Invariants
///
/// `skb` is a valid linear-headed sk_buff for `'a`, owned by the netlink
/// core, whose control block holds `struct netlink_skb_parms`; `sk` is the
/// kernel socket that received it, live for `'a`.
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
    ///
    /// The slice borrows the request, not just the callback: it must end
    /// before [`Request::reply_in_place`] takes the request and writes.
    pub(crate) fn data(&self) -> &[u8] {
        let skb = self.skb.as_ptr();
        // SAFETY: By the type invariant `skb` is valid for the borrow.
        let (data, len, data_len) = unsafe { ((*skb).data, (*skb).len, (*skb).data_len) };
        let head_len = len.saturating_sub(data_len) as usize;
        // SAFETY: `data` points at the `len - data_len` bytes of the skb's
        // linear area (`skb_headlen()`), which the netlink core keeps alive
        // and does not modify while the callback runs (`'a`). Only
        // `reply_in_place` writes them, and it takes the request by value,
        // so no slice borrowed from it is alive then.
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

    /// Whether the sending task has `CAP_NET_ADMIN` over the user namespace
    /// that owns the socket's network namespace, and so had the socket's
    /// opener (`netlink_net_capable()`, as rtnetlink checks).
    pub(crate) fn net_admin(&self) -> bool {
        // SAFETY: By the type invariant `skb` is a live netlink skb.
        unsafe {
            bindings::netlink_net_capable(self.skb.as_ptr(), bindings::CAP_NET_ADMIN as c_int)
        }
    }

    /// Whether the sender's socket set `NETLINK_GET_STRICT_CHK`.
    pub(crate) fn strict(&self) -> bool {
        // SAFETY: By the type invariant `skb` is a live netlink skb, whose
        // control block names the sending socket.
        unsafe { bindings::netlink_strict_get_check(self.skb.as_ptr()) }
    }

    /// The network namespace of the receiving socket, and so of the sender.
    pub(crate) fn net(&self) -> Net<'a> {
        // SAFETY: By the type invariant `sk` is live for `'a`.
        let net = unsafe { nlecho_sock_net(self.sk.as_ptr()) };
        // SAFETY: The sender's user socket holds its namespace, ours, alive
        // while it sends, which lasts `'a`; `sock_net()` of a live socket is
        // never null.
        unsafe { Net::from_raw(NonNull::new_unchecked(net)) }
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

    /// Answers the datagram with itself, without copying or allocating its
    /// data: the reply is a clone of the request's skb, sharing its bytes,
    /// whose one message's header is rewritten in place to `header` (with
    /// the message's own length), and sent to the sender's port as
    /// [`Request::reply`] does. Returns what the send returned, or, when
    /// zero-copy is not sound, hands the request back untouched, to be
    /// answered by copy.
    ///
    /// Zero-copy is sound, and taken, only when all of this holds:
    ///
    /// 1. The datagram is one message and at most its padding, which go
    ///    back as they came. A clone of a datagram of several messages would
    ///    charge each reply's receiver the whole datagram's `truesize`, and
    ///    its head would be copied by `netlink_trim()` anyway.
    /// 2. Nobody else holds the skb or its data, and the data is linear
    ///    (`!skb_shared()`, `!skb_cloned()`, `!skb_is_nonlinear()`): the
    ///    rewrite must not show in a multicast listener's copy of a request
    ///    sent to a group as well, in a tap's, nor in a running dump.
    /// 3. `skb_clone()` succeeds.
    ///
    /// Taking `self` makes the rewrite the last use of the request: no
    /// slice of [`Request::data`] is alive across it, and nothing can read
    /// the rewritten header as the request's afterwards. In particular no
    /// `netlink_ack()` can follow, which copies the request's header into
    /// the ACK: a message that asks for one is not for this path.
    pub(crate) fn reply_in_place(self, header: wire::Header) -> core::result::Result<Result, Self> {
        let port = self.sender_port();
        let data = self.data();
        let Some(len) = wire::Header::parse(data).map(|h| h.len as usize) else {
            return Err(self);
        };
        // Rule 1, from the skb itself: `data` is its whole linear area.
        if port == 0
            || len < wire::NLMSG_HDRLEN
            || len > data.len()
            || wire::align(len) < data.len()
        {
            return Err(self);
        }
        let skb = self.skb.as_ptr();
        // Rule 2. SAFETY: By the type invariant `skb` is live; this reads
        // its reference counts and lengths.
        if !unsafe { nlecho_skb_private(skb) } {
            return Err(self);
        }
        // SAFETY: `skb` is live. We are in the input callback, in the
        // sender's `sendmsg()`: process context, where `GFP_KERNEL` may
        // sleep.
        let Some(clone) = NonNull::new(unsafe { bindings::skb_clone(skb, bindings::GFP_KERNEL) })
        else {
            return Err(self);
        };
        let clone = clone.as_ptr();
        // `__skb_clone()` copied the request's control block: the sender's
        // port, credentials and socket. The reply comes from the kernel, as
        // a fresh skb's all-zero block says; `sk` and `destructor` are
        // already NULL, as `netlink_unicast()` requires.
        // SAFETY: `clone` is ours alone until it is sent.
        unsafe { (*clone).cb = [0; 48] };
        let header = header_for(header, len - wire::NLMSG_HDRLEN);
        // SAFETY: The skb is linear and holds at least `len >= NLMSG_HDRLEN`
        // bytes from `skb->data`, so the header fits. Nobody but us can
        // access them: rule 2 showed that the core's reference, lent to this
        // callback, was the only one to the skb and its data; only holders
        // of the skb can add references, the core takes none while the
        // callback runs, and the one we added is our clone, not yet sent.
        // After the callback the core only frees the request. `self`, owned
        // here, leaves no borrow of `data()` alive. `header` is a local
        // array of `NLMSG_HDRLEN` bytes, which cannot overlap the skb.
        unsafe { core::ptr::copy_nonoverlapping(header.as_ptr(), (*skb).data, wire::NLMSG_HDRLEN) };
        // SAFETY: The clone is ours to hand over, linear, with no socket,
        // no destructor and a zeroed control block, and `port` is not 0.
        // Its data lives as long as the last reference to it. If
        // `netlink_unicast()` frees the clone (no such port, a full queue),
        // the clone has no destructor and only drops its data reference:
        // the request still holds one until the callback returns, so this
        // never frees the head, which would be wrong for a `vmalloc()`ed
        // one (`netlink_alloc_large_skb()`). Once queued, the clone has
        // `netlink_skb_destructor()`, which frees such a head with the last
        // reference, in whichever order the two skbs go. Hence the clone is
        // sent here, inside the callback, and never kept.
        Ok(unsafe { self.sender().unicast_skb(clone, port) })
    }

    /// The header of the message at `offset` in [`Request::data`], if a
    /// whole message is there, as a pointer C may read `nlmsg_len` bytes at.
    fn message_at(&self, offset: usize) -> Result<*mut bindings::nlmsghdr> {
        let data = self.data();
        let rest = data.get(offset..).ok_or(EINVAL)?;
        let header = wire::Header::parse(rest).ok_or(EINVAL)?;
        let len = header.len as usize;
        if len < wire::NLMSG_HDRLEN || len > rest.len() || offset % wire::NLMSG_ALIGNTO != 0 {
            return Err(EINVAL);
        }
        // The C side only reads through it; `*mut` is what it is declared
        // to take.
        Ok(rest.as_ptr().cast::<bindings::nlmsghdr>().cast_mut())
    }

    /// Answers the message at `offset` in [`Request::data`] with the
    /// kernel's `netlink_ack()`: an `NLMSG_ERROR` carrying `error` (0: an
    /// acknowledgement) and the request, capped and with extended ACK
    /// attributes as the sender's socket asked for. If the answer cannot be
    /// allocated, `netlink_ack()` reports `ENOBUFS` on the sender's socket.
    pub(crate) fn ack(&self, offset: usize, error: c_int, ext: &ExtAck) -> Result {
        let nlh = self.message_at(offset)?;
        // All zeroes is the empty extended ACK (`struct netlink_ext_ack ext = {}`).
        let mut extack: bindings::netlink_ext_ack = pin_init::zeroed();
        if let Some(msg) = ext.msg {
            extack._msg = msg.as_char_ptr();
        }
        if let Some(attr) = ext.attr {
            // `message_at` checked that `len` bytes are there.
            // SAFETY: `nlh` points at a whole message of this datagram.
            let len = unsafe { (*nlh).nlmsg_len } as usize;
            let at = wire::NLMSG_HDRLEN + attr;
            // `netlink_ack()` only turns the pointer into an offset; it may
            // point at trailing bytes too short for an attribute.
            if at < len {
                // SAFETY: `at < len`, so this stays inside the message.
                extack.bad_attr = unsafe { nlh.cast::<u8>().add(at) }.cast();
            }
        }
        if let Some(ty) = ext.missing {
            extack.miss_type = ty;
        }
        // SAFETY: By the type invariant `skb` is the live datagram the
        // netlink core handed us, with the sender's socket in its control
        // block. `nlh` points at a whole message inside it (checked by
        // `message_at`), and `bad_attr`, if set, inside that message, which is
        // all `netlink_ack()` checks before taking its offset. `extack` and the `'static` message outlive
        // the call, which copies what it sends. We are in the input
        // callback: process context, as `netlink_ack()`'s `GFP_KERNEL`
        // allocation requires.
        unsafe { bindings::netlink_ack(self.skb.as_ptr(), nlh, error, &extack) };
        Ok(())
    }

    /// Starts a dump (`NLM_F_DUMP`) of `D` in answer to the message at
    /// `offset`, through the kernel's own dump machinery. The core fills
    /// the first datagram now and the next ones as the sender reads, adds
    /// `NLM_F_MULTI`, and ends with `NLMSG_DONE`; no ACK is to follow.
    /// `module` is this module, which the core pins while the dump runs.
    pub(crate) fn start_dump<D: Dump>(&self, offset: usize, module: &'static ThisModule) -> Result {
        let nlh = self.message_at(offset)?;
        let mut control = bindings::netlink_dump_control {
            dump: Some(dump_trampoline::<D>),
            module: module.as_ptr(),
            ..pin_init::zeroed()
        };
        // SAFETY: `sk` is the kernel socket that received `skb`, both live
        // during the call; `nlh` points at a whole message of `skb`.
        // `control` is copied into the callback state by the call.
        // `control.module` is this module: the core takes a reference to it
        // for the dump's lifetime, so `dump_trampoline` cannot outlive us.
        let ret = unsafe {
            bindings::__netlink_dump_start(self.sk.as_ptr(), self.skb.as_ptr(), nlh, &mut control)
        };
        // -EINTR: the dump started, and the core answers from here on.
        if ret == -(bindings::EINTR as c_int) {
            return Ok(());
        }
        to_result(ret.min(0))?;
        Ok(())
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
    H::input(request);
}

/// Makes room at the end of `skb`, which has at least `room` bytes of
/// tailroom, for one netlink message with a payload of `len` bytes and its
/// padding, and returns the start of that area, `msg_space(len)` bytes,
/// not yet written. Fails with `EMSGSIZE`, leaving the skb as it was, if
/// the message is larger than the protocol allows or than `room`.
///
/// # Safety
///
/// `skb` must be a linear sk_buff with at least `room` bytes of tailroom
/// that the caller may write to exclusively.
unsafe fn reserve_message(
    skb: NonNull<bindings::sk_buff>,
    room: usize,
    len: usize,
) -> Result<NonNull<u8>> {
    let space = wire::msg_space(len);
    // The safety check at the point of writing, whatever the entry points
    // checked: nothing larger than the protocol allows is written, nor past
    // the tailroom. Checked before the skb grows, so a refused message
    // leaves it as it was.
    if len > wire::MAX_PAYLOAD || space > room {
        return Err(EMSGSIZE);
    }
    // `space <= MAX_MSG_LEN`, far below `c_uint::MAX`.
    // SAFETY: By the safety requirements the skb has at least
    // `room >= space` bytes of tailroom, so `skb_put()` cannot overrun (and
    // BUG).
    let area = unsafe { bindings::skb_put(skb.as_ptr(), space as c_uint) };
    // `skb_put()` returns the old tail inside the skb's data, never null.
    NonNull::new(area.cast::<u8>()).ok_or(EMSGSIZE)
}

/// The header of a message with a `len`-byte payload, `len` at most
/// [`wire::MAX_PAYLOAD`] (checked by [`reserve_message`]) or that of a
/// message received whole.
fn header_for(header: wire::Header, len: usize) -> [u8; wire::NLMSG_HDRLEN] {
    wire::Header {
        len: (wire::NLMSG_HDRLEN + len) as u32,
        ..header
    }
    .to_bytes()
}

/// Appends one netlink message to `skb`, which has at least `room` bytes of
/// tailroom: `header` (its length is filled in) and a payload of `len`
/// bytes that `fill` writes. Returns the bytes used, or `EMSGSIZE` if the
/// message is larger than the protocol allows or than `room`.
///
/// # Safety
///
/// `skb` must be a linear sk_buff with at least `room` bytes of tailroom
/// that the caller may write to exclusively.
unsafe fn put_message(
    skb: NonNull<bindings::sk_buff>,
    room: usize,
    header: wire::Header,
    len: usize,
    fill: impl FnOnce(&mut [u8]) -> core::result::Result<usize, wire::NoRoom>,
) -> Result<usize> {
    let space = wire::msg_space(len);
    // SAFETY: Guaranteed by the safety requirements.
    let area = unsafe { reserve_message(skb, room, len) }?;
    // SAFETY: The `space` bytes at `area` belong to this skb, which the
    // caller may write exclusively. They are zeroed first, so the slice
    // over them is initialised, and no uninitialised byte can reach user
    // space whatever `fill` writes.
    let area = unsafe {
        area.as_ptr().write_bytes(0, space);
        core::slice::from_raw_parts_mut(area.as_ptr(), space)
    };
    let (head, payload) = area.split_at_mut(wire::NLMSG_HDRLEN);
    let written = fill(payload.get_mut(..len).unwrap_or_default());
    if written != Ok(len) || copy(head, &header_for(header, len)).is_err() {
        // Only a bug in `fill` gets here. The message is refused.
        return Err(EMSGSIZE);
    }
    Ok(space)
}

/// Appends one netlink message to `skb` as [`put_message`] does, with
/// `payload` copied in. The payload is written once: only the header's
/// and the padding's bytes are written besides, where [`put_message`]
/// zeroes the whole message first, which for a large echo is a second
/// pass over its payload.
///
/// # Safety
///
/// As for [`put_message`].
unsafe fn put_bytes(
    skb: NonNull<bindings::sk_buff>,
    room: usize,
    header: wire::Header,
    payload: &[u8],
) -> Result<usize> {
    let len = payload.len();
    let space = wire::msg_space(len);
    // SAFETY: Guaranteed by the safety requirements.
    let area = unsafe { reserve_message(skb, room, len) }?.as_ptr();
    let header = header_for(header, len);
    // SAFETY: The `space = NLMSG_HDRLEN + len + padding` bytes at `area`
    // belong to this skb, which the caller may write exclusively; each of
    // them is written once here, through raw pointers, so no reference to
    // uninitialised memory is made. `header` and `payload` are the
    // caller's memory, not the skb's tailroom, which nothing references
    // yet: they cannot overlap `area`.
    unsafe {
        core::ptr::copy_nonoverlapping(header.as_ptr(), area, wire::NLMSG_HDRLEN);
        let data = area.add(wire::NLMSG_HDRLEN);
        core::ptr::copy_nonoverlapping(payload.as_ptr(), data, len);
        data.add(len)
            .write_bytes(0, space - wire::NLMSG_HDRLEN - len);
    }
    Ok(space)
}

/// Copies `src` to the start of `out` and returns its length: a payload
/// filler for [`Message::single_with`] and [`DumpSkb::put`].
pub(crate) fn copy(out: &mut [u8], src: &[u8]) -> core::result::Result<usize, wire::NoRoom> {
    let no_room = wire::NoRoom {
        need: src.len(),
        have: out.len(),
    };
    // Slicing to `src.len()` first lets the compiler drop the length check
    // of `copy_from_slice()`, and its panic path.
    out.get_mut(..src.len())
        .ok_or(no_room)?
        .copy_from_slice(src);
    Ok(src.len())
}

/// An outgoing datagram being built: an owned sk_buff.
///
/// # Invariants
///
/// `skb` points to a linear sk_buff from `alloc_skb()` that this value owns
/// exclusively, with at least `room` bytes of tailroom, `size` in all.
pub(crate) struct Message {
    skb: NonNull<bindings::sk_buff>,
    room: usize,
    size: usize,
}

impl Message {
    /// Allocates room for `size` bytes of messages. Above the costly
    /// allocation order, with `Gfp::Kernel`, the allocation neither retries
    /// nor warns (see [`Gfp`]).
    pub(crate) fn new(size: usize, gfp: Gfp) -> Result<Self> {
        let size_c = c_uint::try_from(size).map_err(|_| EMSGSIZE)?;
        // SAFETY: `__alloc_skb()` may be called with any size and flags; it
        // returns NULL on failure. This is `alloc_skb(size, gfp)`.
        let skb =
            unsafe { bindings::__alloc_skb(size_c, gfp.raw(size), 0, bindings::NUMA_NO_NODE) };
        let skb = NonNull::new(skb).ok_or(ENOMEM)?;
        // INVARIANT: `alloc_skb(size)` returns a linear skb with at least
        // `size` bytes of tailroom, owned by the caller.
        Ok(Self {
            skb,
            room: size,
            size,
        })
    }

    /// Allocates a datagram holding one message: `header` (its length is
    /// filled in) and `payload`.
    pub(crate) fn single(header: wire::Header, payload: &[u8], gfp: Gfp) -> Result<Self> {
        let mut msg = Self::new(wire::msg_space(payload.len()), gfp)?;
        // SAFETY: By the type invariant we own the linear skb exclusively,
        // with `room` bytes of tailroom.
        let used = unsafe { put_bytes(msg.skb, msg.room, header, payload) }?;
        // INVARIANT: `used` bytes of tailroom were used.
        msg.room -= used;
        Ok(msg)
    }

    /// Allocates a datagram holding one message: `header` and a payload of
    /// `len` bytes that `fill` writes (it returns how many it wrote).
    pub(crate) fn single_with(
        header: wire::Header,
        len: usize,
        gfp: Gfp,
        fill: impl FnOnce(&mut [u8]) -> core::result::Result<usize, wire::NoRoom>,
    ) -> Result<Self> {
        let mut msg = Self::new(wire::msg_space(len), gfp)?;
        // SAFETY: By the type invariant we own the linear skb exclusively,
        // with `room` bytes of tailroom.
        let used = unsafe { put_message(msg.skb, msg.room, header, len, fill) }?;
        // INVARIANT: `used` bytes of tailroom were used.
        msg.room -= used;
        Ok(msg)
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

/// A dump's producer: the state of its walk lives in a cursor that the
/// netlink core keeps between calls.
pub(crate) trait Dump {
    /// Appends entries to `out` from `*cursor` on (0 the first time),
    /// advancing it past each entry written, until the walk ends or `out`
    /// is full. Returns whether entries remain; a full `out` may also be
    /// reported by passing on the `EMSGSIZE` of [`DumpSkb::put`]. Runs in
    /// process context, with the dump's mutex held.
    fn dump(out: &mut DumpSkb<'_>, cursor: &mut u64) -> Result<bool>;
}

/// The datagram a dump call fills, borrowed from the netlink core.
///
/// # Invariants
///
/// `skb` is a linear sk_buff that the core lets us append to for `'a`;
/// `net` is the namespace of the socket that asked for the dump, alive for
/// `'a`.
pub(crate) struct DumpSkb<'a> {
    skb: NonNull<bindings::sk_buff>,
    net: Net<'a>,
    port: u32,
    seq: u32,
    /// Messages appended by this call.
    count: usize,
}

impl<'a> DumpSkb<'a> {
    /// The namespace the dump is for.
    pub(crate) fn net(&self) -> Net<'a> {
        self.net
    }

    /// Appends one message of type `ty` with `NLM_F_MULTI`, the request's
    /// sequence number and the requester's port, and a payload of `len`
    /// bytes that `fill` writes. Fails with `EMSGSIZE` when it does not fit.
    pub(crate) fn put(
        &mut self,
        ty: u16,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> core::result::Result<usize, wire::NoRoom>,
    ) -> Result {
        let header = wire::Header {
            ty,
            flags: wire::NLM_F_MULTI,
            seq: self.seq,
            pid: self.port,
            ..wire::Header::default()
        };
        // SAFETY: By the type invariant `skb` is live and linear.
        let room = unsafe { nlecho_skb_tailroom(self.skb.as_ptr()) } as usize;
        // SAFETY: By the type invariant we may append to `skb`, which has
        // `room` bytes of tailroom.
        unsafe { put_message(self.skb, room, header, len, fill) }?;
        self.count += 1;
        Ok(())
    }
}

/// The dump callback the netlink core calls; it hands the datagram to `D`.
/// Returns the datagram's length while entries remain, 0 at the end, or a
/// negative errno, as `netlink_dump()` expects.
///
/// # Safety
///
/// Must only be called by the netlink core as the `dump` callback of a dump
/// started by [`Request::start_dump`], with `skb` the datagram to fill and
/// `cb` the dump's state, both valid until the call returns.
unsafe extern "C" fn dump_trampoline<D: Dump>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    let (Some(skb), Some(cb)) = (NonNull::new(skb), NonNull::new(cb)) else {
        return -(bindings::EINVAL as c_int);
    };
    let cb = cb.as_ptr();
    // SAFETY: By the safety requirements `cb` is valid, and the core keeps
    // the request (`cb->skb`, `cb->nlh`) alive for the whole dump.
    let (req, nlh) = unsafe { ((*cb).skb, (*cb).nlh) };
    let (Some(req), false) = (NonNull::new(req), nlh.is_null()) else {
        return -(bindings::EINVAL as c_int);
    };
    // SAFETY: `req` is the live request skb, `nlh` a message in it; the
    // skb being filled belongs to the requester's socket (`skb->sk`).
    let (port, seq, sk) = unsafe {
        (
            (*netlink_cb(req)).portid,
            (*nlh).nlmsg_seq,
            (*skb.as_ptr()).sk,
        )
    };
    if sk.is_null() {
        return -(bindings::EINVAL as c_int);
    }
    // SAFETY: The requester's socket is live while its dump runs, and holds
    // its namespace alive; `sock_net()` of a live socket is never null.
    let net = unsafe { Net::from_raw(NonNull::new_unchecked(nlecho_sock_net(sk))) };
    // INVARIANT: The core lets the dump callback append to `skb`, a linear
    // skb it allocated, until we return; `net` is the requester's
    // namespace.
    let mut out = DumpSkb {
        skb,
        net,
        port,
        seq,
        count: 0,
    };
    // SAFETY: `args` is the `long args[6]` view of the callback's scratch
    // area, which the core zeroes at the start and keeps between calls.
    let cursor = unsafe { &mut (*cb).__bindgen_anon_1.args[0] };
    let mut position = *cursor as u64;
    let result = D::dump(&mut out, &mut position);
    *cursor = position as c_long;
    match result {
        // Returning 0 would end the dump early.
        Ok(true) if out.count == 0 => -(bindings::EMSGSIZE as c_int),
        // SAFETY: `skb` is live; its length is what the core expects back.
        Ok(true) => unsafe { (*skb.as_ptr()).len as c_int },
        Ok(false) => 0,
        // Nothing fitted, not even one entry: the datagram is too small.
        Err(e) if out.count == 0 || e != EMSGSIZE => e.to_errno(),
        // Full: send what fitted, and resume from `cursor` next time.
        // SAFETY: As above.
        Err(_) => unsafe { (*skb.as_ptr()).len as c_int },
    }
}
