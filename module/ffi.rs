// SPDX-License-Identifier: GPL-2.0

//! The C ABI of the helpers other kernel modules call: `nlecho_unicast()`
//! and `nlecho_broadcast()`, declared in `nlecho.h` and exported by
//! `nlecho_exports.c`. They play the role of `test_unicast()` and
//! `test_broadcast()` in the classic C module.
//!
//! This file only turns C arguments into Rust ones; the work is done by
//! [`crate::service`].

use kernel::error::from_result;
use kernel::prelude::*;

use crate::netlink::{Gfp, SocketSlot};
use crate::service;

/// The module's kernel socket, published for the helpers while loaded.
pub(crate) static SOCKET: SocketSlot = SocketSlot::new();

/// Borrows the caller's buffer.
///
/// # Safety
///
/// `data` must point to `size` readable bytes that stay unchanged for `'a`,
/// or `size` must be 0.
unsafe fn bytes<'a>(data: *const c_void, size: usize) -> Result<&'a [u8]> {
    if size == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `data` is non-null and, by the safety requirements, points to
    // `size` readable bytes that stay unchanged for `'a`.
    Ok(unsafe { core::slice::from_raw_parts(data.cast::<u8>(), size) })
}

/// Sends `size` bytes at `data` to the user socket bound to `portid`, as an
/// `NLMSG_DONE` message. Returns 0 or a negative errno; see `nlecho.h`.
///
/// # Safety
///
/// `data` must point to `size` readable bytes, or `size` must be 0.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_unicast(
    data: *const c_void,
    size: usize,
    portid: u32,
) -> c_int {
    from_result(|| {
        // SAFETY: Guaranteed by this function's safety requirements; the
        // bytes are copied into the message before we return.
        let data = unsafe { bytes(data, size) }?;
        SOCKET
            .with(|sender| service::notify_port(sender, data, portid, Gfp::Atomic))
            .ok_or(ENODEV)??;
        Ok(0)
    })
}

/// Sends `size` bytes at `data` to multicast `group`, as an `NLMSG_DONE`
/// message. Returns 0 (also when nobody listens) or a negative errno; see
/// `nlecho.h`.
///
/// # Safety
///
/// `data` must point to `size` readable bytes, or `size` must be 0.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nlecho_broadcast(
    data: *const c_void,
    size: usize,
    group: u32,
) -> c_int {
    from_result(|| {
        // SAFETY: Guaranteed by this function's safety requirements; the
        // bytes are copied into the message before we return.
        let data = unsafe { bytes(data, size) }?;
        SOCKET
            .with(|sender| service::notify_group(sender, data, group, Gfp::Atomic))
            .ok_or(ENODEV)??;
        Ok(0)
    })
}
