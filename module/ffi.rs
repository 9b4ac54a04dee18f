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

use kernel::sync::rcu;

use crate::netlink::{DumpSkb, Gfp, Net, Request, Sender};
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
/// drop: `nlecho_netns.c` runs [`nlecho_net_new`] and [`nlecho_net_start`]
/// for each existing namespace now and for each new one, [`nlecho_net_stop`]
/// and [`nlecho_net_exit`] for each one that goes, and for all of them at
/// drop. Process context only.
///
/// # Invariants
///
/// The per-namespace hooks are registered from `register` until drop.
pub(crate) struct PerNamespace(());

impl PerNamespace {
    /// Registers the per-namespace hooks (`register_pernet_subsys()`); fails,
    /// with every namespace's service undone, if the service cannot start in
    /// some existing namespace.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Plain call in process context (module init).
        to_result(unsafe { nlecho_pernet_register() })?;
        // INVARIANT: Just registered.
        Ok(Self(()))
    }
}

impl Drop for PerNamespace {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the hooks are registered; this
        // unregisters them once, in process context (module exit).
        unsafe { nlecho_pernet_unregister() };
    }
}

/// The state of `net`'s service, as published by `nlecho_netns.c`.
///
/// # Safety
///
/// Until the returned reference is last used, `net`'s `pre_exit` must not
/// run (it unpublishes the state, and `exit` frees it a grace period
/// later), or the caller must be in an RCU read-side critical section that
/// began before the pointer was read.
unsafe fn published<'a>(net: Net<'_>) -> Option<&'a NetService> {
    // SAFETY: By the type invariant of `Net`, `net` is alive.
    let state = NonNull::new(unsafe { nlecho_net_state(net.as_ptr()) })?;
    // SAFETY: A published state is a live `NetService` from
    // `nlecho_net_new`, which the safety requirements keep from being freed
    // while the reference is used.
    Some(unsafe { state.cast::<NetService>().as_ref() })
}

/// The service of the namespace a request came from.
pub(crate) fn service_of_request<'a>(request: &Request<'a>) -> Option<&'a NetService> {
    // SAFETY: While the request is handled (`'a`), the sender's user socket
    // holds its namespace alive and pins this module, the protocol's owner
    // (`netlink::owns_protocol`), so neither the namespace's nor the
    // module's teardown can run `pre_exit`.
    unsafe { published(request.net()) }
}

/// The service of the namespace a dump is for.
pub(crate) fn service_of_dump<'a>(out: &DumpSkb<'a>) -> Option<&'a NetService> {
    // SAFETY: While the dump callback runs (`'a`), the requester's socket
    // holds its namespace alive, and the dump holds a reference to this
    // module (`netlink_dump_control.module`), so no `pre_exit` can run.
    unsafe { published(out.net()) }
}

/// Runs `f` with the service of `net`, unless it is going. `f` runs under
/// `rcu_read_lock()` and must not sleep.
pub(crate) fn with_service<R>(net: Net<'_>, f: impl FnOnce(&NetService) -> R) -> Option<R> {
    let _guard = rcu::read_lock();
    // SAFETY: We are in an RCU read-side critical section, begun before the
    // pointer is read, until `f` returns.
    let service = unsafe { published(net) }?;
    Some(f(service))
}

/// The state of a new namespace's service, without its socket: what
/// `nlecho_netns.c` publishes before [`nlecho_net_start`]. Null if it
/// cannot be allocated.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn nlecho_net_new() -> *mut c_void {
    NetService::new().map_or(core::ptr::null_mut(), |state| KBox::into_raw(state).cast())
}

/// Starts the service of `net`: its kernel socket.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, with `state` from
/// [`nlecho_net_new`] for `net`, a namespace being set up.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_start(
    state: *mut c_void,
    net: *mut bindings::net,
) -> c_int {
    let (Some(state), Some(net)) = (NonNull::new(state), NonNull::new(net)) else {
        return EINVAL.to_errno();
    };
    // SAFETY: By the safety requirements `net` is alive while it is set up.
    let net = unsafe { Net::from_raw(net) };
    // SAFETY: By the safety requirements `state` is a live `NetService`,
    // freed only by `nlecho_net_exit` or `nlecho_net_free`, later.
    let service = unsafe { state.cast::<NetService>().as_ref() };
    from_result(|| {
        service.start(net).inspect_err(|_| {
            pr_err!(
                "cannot register netlink protocol {}: already in use in {} (see /proc/net/netlink) or out of memory\n",
                service::SETTINGS.as_ref().map_or(0, |s| s.protocol),
                if net.is_initial() {
                    "the initial network namespace"
                } else {
                    "a new network namespace"
                }
            );
        })?;
        Ok(0)
    })
}

/// `pre_exit`: the namespace is going, and the helpers must no longer reach
/// its socket; `nlecho_netns.c` has unpublished the state.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, with `state` a started state.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_stop(state: *mut c_void) {
    // SAFETY: By the safety requirements `state` is a live `NetService`,
    // freed only by `nlecho_net_exit`, later.
    if let Some(service) = unsafe { state.cast::<NetService>().as_ref() } {
        service.socket().retire();
    }
}

/// `exit`: releases the namespace's socket and frees its state.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, after [`nlecho_net_stop`] for
/// the same state.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_exit(state: *mut c_void) {
    let Some(state) = NonNull::new(state.cast::<NetService>()) else {
        return;
    };
    // SAFETY: By the safety requirements `state` came from `KBox::into_raw`
    // in `nlecho_net_new`, and nothing uses it any more: it was unpublished
    // in `pre_exit`, and the requests and dumps that held it pinned the
    // namespace or the module.
    let service = unsafe { KBox::from_raw(state.as_ptr()) };
    // SAFETY: `nlecho_net_stop` retired the socket, and the netns core runs
    // `synchronize_rcu()` between `pre_exit` and `exit`
    // (`ops_undo_list()`, net/core/net_namespace.c); `exit` runs in process
    // context.
    unsafe { service.socket().release_retired() };
}

/// Frees a state whose service did not start.
///
/// # Safety
///
/// Must only be called by `nlecho_netns.c`, with `state` from
/// [`nlecho_net_new`], unpublished at least a grace period ago.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_net_free(state: *mut c_void) {
    if let Some(state) = NonNull::new(state.cast::<NetService>()) {
        // SAFETY: By the safety requirements `state` came from
        // `KBox::into_raw` and nothing can use it any more.
        drop(unsafe { KBox::from_raw(state.as_ptr()) });
    }
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

/// Runs `send` with `net`'s service and a sender for its socket, under
/// `rcu_read_lock()`; `ENODEV` once the service is going.
fn in_namespace(net: Net<'_>, send: impl FnOnce(&NetService, Sender<'_>) -> Result) -> Result {
    with_service(net, |service| {
        service
            .socket()
            .with(|sender| send(service, sender))
            .unwrap_or(Err(ENODEV))
    })
    .unwrap_or(Err(ENODEV))
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
        in_namespace(net, |service, sender| {
            service::notify_port(service, sender, data, portid, Gfp::Atomic)
        })?;
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
        in_namespace(net, |service, sender| {
            service::notify_group(service, sender, data, group, Gfp::Atomic)
        })?;
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
    let Some(stats) = with_service(Net::initial(), |s| s.counters.snapshot()) else {
        return ENODEV.to_errno();
    };
    for (_, name, value) in stats.fields() {
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
