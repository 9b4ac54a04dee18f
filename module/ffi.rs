// SPDX-License-Identifier: GPL-2.0

//! The C ABI between nlecho's Rust code and C:
//!
//! - the helpers other kernel modules call, `nlecho_unicast()`,
//!   `nlecho_broadcast()` and their `_net` variants (declared in `nlecho.h`,
//!   exported by `nlecho_exports.c`; the role of `test_unicast()` and
//!   `test_broadcast()` in the classic C module);
//! - the hooks `nlecho_netns.c` calls as a network namespace comes and
//!   goes, and the namespace's state they leave behind;
//! - the debugfs file that `nlecho_debugfs.c` creates.
//!
//! This file only turns C arguments into Rust ones; the work is done by
//! [`crate::service`] and [`crate::stats`].

use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::seq_file::{seq_print, SeqFile};

use crate::netlink::{Gfp, Net};
use crate::service::{self, NetService};
use crate::wire;

// Only pointers to `struct net` cross, never the struct: `improper_ctypes`
// objects to zero-sized fields deep inside it.
#[allow(improper_ctypes)]
extern "C" {
    fn nlecho_pernet_register() -> c_int;
    fn nlecho_pernet_unregister();
    fn nlecho_net_state(net: *const bindings::net) -> *mut c_void;
}

/// nlecho's service in every network namespace, from registration until
/// drop: [`nlecho_net_init`] runs for each existing namespace now and for
/// each new one, [`nlecho_net_exit`] for each one that goes, and for all of
/// them at drop. Process context only.
pub(crate) struct PerNamespace(());

impl PerNamespace {
    /// Registers the per-namespace hooks (`register_pernet_subsys()`); fails
    /// if the service cannot start in some existing namespace.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Plain call in process context (module init).
        to_result(unsafe { nlecho_pernet_register() })?;
        Ok(Self(()))
    }
}

impl Drop for PerNamespace {
    fn drop(&mut self) {
        // SAFETY: Registered in `register`, unregistered once, here, in
        // process context (module exit).
        unsafe { nlecho_pernet_unregister() };
    }
}

/// The service of `net`, while [`PerNamespace`] is registered.
pub(crate) fn service<'a>(net: Net<'a>) -> Option<&'a NetService> {
    // SAFETY: By the type invariant of `Net`, `net` is alive.
    let state = NonNull::new(unsafe { nlecho_net_state(net.as_ptr()) })?;
    // SAFETY: The slot holds the `KBox<NetService>` that `nlecho_net_init`
    // stored before `net`'s kernel socket existed; `nlecho_net_exit` frees
    // it only when `net` dies or the module unregisters, neither of which
    // happens while a caller uses it: requests, dumps, helper calls and the
    // debugfs file all hold `net` alive and pin the module.
    Some(unsafe { state.cast::<NetService>().as_ref() })
}

/// `init` of nlecho's `pernet_operations`: the service of a new namespace.
/// Its state is reachable through `slot` before its socket exists, so the
/// first request already finds it.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, with `net` a namespace being set
/// up and `slot` its nlecho slot, which nothing else uses until `exit`.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_init(
    net: *mut bindings::net,
    slot: *mut *mut c_void,
) -> c_int {
    let (Some(net), Some(slot)) = (NonNull::new(net), NonNull::new(slot)) else {
        return EINVAL.to_errno();
    };
    // SAFETY: By the safety requirements `net` is alive while it is set up.
    let net = unsafe { Net::from_raw(net) };
    from_result(|| {
        let state = KBox::into_raw(NetService::new()?);
        // SAFETY: By the safety requirements `slot` is ours to write.
        unsafe { slot.as_ptr().write(state.cast()) };
        // SAFETY: `state` came from `KBox::into_raw` just above.
        let started = unsafe { (*state).start(net) };
        if let Err(e) = started {
            // SAFETY: As above; no socket exists, so no request can have
            // reached `state`, and we take it back from the slot.
            unsafe { slot.as_ptr().write(core::ptr::null_mut()) };
            // SAFETY: `state` came from `KBox::into_raw`, and nothing else
            // holds it now.
            drop(unsafe { KBox::from_raw(state) });
            pr_err!(
                "cannot register netlink protocol {}: already in use in {} (see /proc/net/netlink) or out of memory\n",
                service::SETTINGS.as_ref().map_or(0, |s| s.protocol),
                if net.is_initial() {
                    "the initial network namespace"
                } else {
                    "a new network namespace"
                }
            );
            return Err(e);
        }
        Ok(0)
    })
}

/// `pre_exit` of nlecho's `pernet_operations`: the namespace is going, and
/// the helpers must no longer reach its socket.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, with `state` what
/// [`nlecho_net_init`] stored for the namespace.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_pre_exit(state: *mut c_void) {
    // SAFETY: By the safety requirements `state` is the namespace's live
    // `NetService`, freed only by `nlecho_net_exit`.
    if let Some(service) = unsafe { state.cast::<NetService>().as_ref() } {
        service.socket().retire();
    }
}

/// `exit` of nlecho's `pernet_operations`: releases the namespace's socket
/// and frees its state.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, after [`nlecho_net_pre_exit`]
/// for the same namespace, with `state` what [`nlecho_net_init`] stored.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_exit(state: *mut c_void) {
    if state.is_null() {
        return;
    }
    // SAFETY: By the safety requirements `state` came from `KBox::into_raw`
    // in `nlecho_net_init`, and the namespace is dead, so nothing else
    // holds it.
    let service = unsafe { KBox::from_raw(state.cast::<NetService>()) };
    // SAFETY: `pre_exit` retired the socket, and the netns core runs
    // `synchronize_rcu()` between `pre_exit` and `exit`
    // (`net/net_namespace.h`); `exit` runs in process context.
    unsafe { service.socket().release_retired() };
}

/// Borrows the caller's buffer, after checking its size against the
/// protocol's maximum, so an absurd `size` is refused before it is used.
///
/// # Safety
///
/// `data` must point to `size` readable bytes that nobody writes for `'a`,
/// or `size` must be 0.
unsafe fn bytes<'a>(data: *const c_void, size: usize) -> Result<&'a [u8]> {
    if size > wire::MAX_NOTIFY_DATA {
        return Err(EMSGSIZE);
    }
    if size == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `data` is non-null and, by the safety requirements, points to
    // `size` readable bytes that nobody writes for `'a`; `size` is far below
    // `isize::MAX`.
    Ok(unsafe { core::slice::from_raw_parts(data.cast::<u8>(), size) })
}

/// The namespace a `_net` helper was given.
///
/// # Safety
///
/// `net` must be null or a namespace that stays alive for `'a`.
unsafe fn helper_net<'a>(net: *mut bindings::net) -> Result<Net<'a>> {
    let net = NonNull::new(net).ok_or(EINVAL)?;
    // SAFETY: Guaranteed by the safety requirements.
    Ok(unsafe { Net::from_raw(net) })
}

/// Runs `send` with `net`'s service and a sender for its socket.
fn in_namespace(
    net: Net<'_>,
    send: impl FnOnce(&NetService, crate::netlink::Sender<'_>) -> Result,
) -> c_int {
    from_result(|| {
        let service = service(net).ok_or(ENODEV)?;
        service
            .socket()
            .with(|sender| send(service, sender))
            .ok_or(ENODEV)??;
        Ok(0)
    })
}

/// Sends `size` bytes at `data` to the user socket bound to `portid` in the
/// initial namespace, as a notification. Returns 0 or a negative errno; see
/// `nlecho.h`.
///
/// # Safety
///
/// `data` must point to `size` readable bytes that nobody writes until the
/// call returns, or `size` must be 0. A `size` above `NLECHO_MAX_DATA` is
/// refused without reading `data`.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_unicast(
    data: *const c_void,
    size: usize,
    portid: u32,
) -> c_int {
    // SAFETY: Guaranteed by this function's safety requirements.
    unsafe { nlecho_unicast_net(&raw mut bindings::init_net, data, size, portid) }
}

/// Sends `size` bytes at `data` to multicast `group` of the initial
/// namespace, as a notification. Returns 0 (also when nobody listens) or a
/// negative errno; see `nlecho.h`.
///
/// # Safety
///
/// As for [`nlecho_unicast`].
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_broadcast(
    data: *const c_void,
    size: usize,
    group: u32,
) -> c_int {
    // SAFETY: Guaranteed by this function's safety requirements.
    unsafe { nlecho_broadcast_net(&raw mut bindings::init_net, data, size, group) }
}

/// [`nlecho_unicast`] in namespace `net`.
///
/// # Safety
///
/// As for [`nlecho_unicast`]; and `net` must be null or a namespace that
/// stays alive until the call returns.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_unicast_net(
    net: *mut bindings::net,
    data: *const c_void,
    size: usize,
    portid: u32,
) -> c_int {
    from_result(|| {
        // SAFETY: Guaranteed by this function's safety requirements; the
        // bytes are copied into the message before we return.
        let data = unsafe { bytes(data, size) }?;
        // SAFETY: Guaranteed by this function's safety requirements.
        let net = unsafe { helper_net(net) }?;
        to_result(in_namespace(net, |service, sender| {
            service::notify_port(service, sender, data, portid, Gfp::Atomic)
        }))?;
        Ok(0)
    })
}

/// [`nlecho_broadcast`] in namespace `net`.
///
/// # Safety
///
/// As for [`nlecho_unicast_net`].
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_broadcast_net(
    net: *mut bindings::net,
    data: *const c_void,
    size: usize,
    group: u32,
) -> c_int {
    from_result(|| {
        // SAFETY: Guaranteed by this function's safety requirements; the
        // bytes are copied into the message before we return.
        let data = unsafe { bytes(data, size) }?;
        // SAFETY: Guaranteed by this function's safety requirements.
        let net = unsafe { helper_net(net) }?;
        to_result(in_namespace(net, |service, sender| {
            service::notify_group(service, sender, data, group, Gfp::Atomic)
        }))?;
        Ok(0)
    })
}

// The dentry stays opaque here: only debugfs looks inside it.
extern "C" {
    fn nlecho_debugfs_create() -> *mut c_void;
    fn nlecho_debugfs_remove(dir: *mut c_void);
}

/// The debugfs directory `nlecho` with its file `stats`, made by
/// `nlecho_debugfs.c` so that an open file pins the module; removed on drop.
///
/// # Invariants
///
/// `dir` was returned by `nlecho_debugfs_create()` (an error pointer when
/// debugfs is unavailable, which debugfs accepts everywhere) and is removed
/// only by [`Drop`].
pub(crate) struct StatsDebugfs {
    dir: *mut c_void,
}

// SAFETY: The dentry is not tied to a thread; debugfs locks internally.
unsafe impl Send for StatsDebugfs {}

// SAFETY: No method takes `&self`.
unsafe impl Sync for StatsDebugfs {}

impl StatsDebugfs {
    /// Creates `/sys/kernel/debug/nlecho/` with `stats`, the initial
    /// namespace's counters, and `namespaces`, how many are served: create
    /// it once [`PerNamespace`] is registered, and drop it before. As is the rule for debugfs, failing to create it
    /// is not an error: the module works without it. Process context only;
    /// so is the drop.
    pub(crate) fn new() -> Self {
        // SAFETY: Plain call in process context (module init).
        let dir = unsafe { nlecho_debugfs_create() };
        // INVARIANT: `dir` was just returned by `nlecho_debugfs_create()`.
        Self { dir }
    }
}

impl Drop for StatsDebugfs {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `dir` came from
        // `nlecho_debugfs_create()` and has not been removed yet.
        // `debugfs_remove()` waits for readers in `nlecho_stats_show()`.
        unsafe { nlecho_debugfs_remove(self.dir) };
    }
}

/// Writes the `stats` file: one `name value` line per counter of the
/// initial namespace. The `show` callback of
/// `DEFINE_SHOW_ATTRIBUTE(nlecho_stats)`.
///
/// # Safety
///
/// Must only be called by the seq_file code, with `m` a valid `seq_file`
/// that no other thread uses until the call returns.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_stats_show(
    m: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: By the safety requirements `m` is valid and used by this
    // thread alone for the duration of the call.
    let m = unsafe { SeqFile::from_raw(m) };
    let Some(service) = service(Net::initial()) else {
        return ENODEV.to_errno();
    };
    for (_, name, value) in service.counters.snapshot().fields() {
        seq_print!(m, "{name} {value}\n");
    }
    0
}

/// Writes the `namespaces` file: how many network namespaces nlecho serves
/// now, so a test can see a namespace's service go with it. The `show`
/// callback of `DEFINE_SHOW_ATTRIBUTE(nlecho_namespaces)`.
///
/// # Safety
///
/// As for [`nlecho_stats_show`].
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_namespaces_show(
    m: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: By the safety requirements `m` is valid and used by this
    // thread alone for the duration of the call.
    let m = unsafe { SeqFile::from_raw(m) };
    seq_print!(m, "{}\n", service::live_services());
    0
}
