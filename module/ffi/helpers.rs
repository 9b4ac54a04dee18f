// SPDX-License-Identifier: GPL-2.0

//! The helpers other kernel modules call, `nlecho_unicast()`,
//! `nlecho_broadcast()` and their `_net` variants: declared in `nlecho.h`,
//! exported by `nlecho_exports.c`, the role of `test_unicast()` and
//! `test_broadcast()` in the classic C module. They turn their C arguments
//! into Rust ones; [`crate::service`] sends.
//!
//! They never sleep, and run in process or softirq context with interrupts
//! on: they free skbs, which the kernel does only with interrupts on. See
//! `nlecho.h` for the whole contract.

use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::from_result;
use kernel::prelude::*;

use super::with_service;
use crate::netlink::{Gfp, Net, Sender};
use crate::service::{self, NetService};
use crate::wire;

/// Borrows the caller's buffer, after checking its size against the
/// protocol's maximum: the helpers' one payload check, made before `data` is
/// read, so an absurd `size` is refused before it is used.
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
/// `rcu_read_lock()`. Fails with `ENODEV` while `net` has no service with a
/// socket: before nlecho's hooks have set it up, or once they have begun to
/// take it down (`pre_exit`), which a caller sees when it reached a dying
/// namespace through something that does not hold it (a device or kernel
/// socket of that namespace). The initial namespace never dies, and nlecho
/// cannot unload while a caller is linked against the helpers.
fn in_namespace(net: Net<'_>, send: impl FnOnce(&NetService, Sender<'_>) -> Result) -> Result {
    with_service(net, |service| {
        service
            .socket()
            .with(|sender| send(service, sender))
            .unwrap_or(Err(ENODEV))
    })
    .unwrap_or(Err(ENODEV))
}

/// What the `_net` helpers share: checks and borrows their arguments, runs
/// `send` with `net`'s service, a sender for its socket and the data, and
/// returns 0 or a negative errno.
///
/// # Safety
///
/// As for [`nlecho_unicast_net`].
unsafe fn send_in(
    net: *mut bindings::net,
    data: *const c_void,
    size: usize,
    send: impl FnOnce(&NetService, Sender<'_>, &[u8]) -> Result,
) -> c_int {
    from_result(|| {
        // SAFETY: Guaranteed by the safety requirements; the bytes are
        // copied into the message before we return.
        let data = unsafe { bytes(data, size) }?;
        // SAFETY: Guaranteed by the safety requirements.
        let net = unsafe { helper_net(net) }?;
        in_namespace(net, |service, sender| send(service, sender, data))?;
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
    // SAFETY: Guaranteed by this function's safety requirements.
    unsafe {
        send_in(net, data, size, |service, sender, data| {
            service::notify_port(service, sender, data, portid, Gfp::Atomic)
        })
    }
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
    // SAFETY: Guaranteed by this function's safety requirements.
    unsafe {
        send_in(net, data, size, |service, sender, data| {
            service::notify_group(service, sender, data, group, Gfp::Atomic)
        })
    }
}
