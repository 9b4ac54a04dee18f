// SPDX-License-Identifier: GPL-2.0

//! The C ABI between nlecho's Rust code and C, one file per concern:
//!
//! - here, the hooks `nlecho_netns.c` calls as a network namespace comes and
//!   goes, and the namespace's state they leave behind;
//! - [`helpers`], the helpers other kernel modules call;
//! - [`debugfs`], the debugfs files that `nlecho_debugfs.c` creates;
//! - [`copy_echo`], the parameter `nlecho_param.c` declares.
//!
//! With `netlink.rs`, these files hold all of the module's `unsafe` code.
//! They only turn C arguments into Rust ones; the work is done by
//! [`crate::service`] and [`crate::stats`].

use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::sync::rcu;

use crate::netlink::{DumpSkb, Net, Request};
use crate::service::NetService;

pub(crate) mod debugfs;
mod header;
mod helpers;

// Only pointers to `struct net` cross, never the struct: `improper_ctypes`
// objects to zero-sized fields deep inside it.
#[allow(improper_ctypes)]
extern "C" {
    fn nlecho_pernet_register() -> c_int;
    fn nlecho_pernet_unregister();
    fn nlecho_net_state(net: *const bindings::net) -> *mut c_void;
    fn nlecho_copy_echo() -> bool;
}

/// Whether echoes copy their payload into a new skb (`copy_echo=1`) rather
/// than reply with a clone of the request. Root may switch it at any time
/// through sysfs; each request reads it once.
pub(crate) fn copy_echo() -> bool {
    // SAFETY: Plain call: it reads a module parameter, in any context.
    unsafe { nlecho_copy_echo() }
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
                service.settings().protocol,
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
