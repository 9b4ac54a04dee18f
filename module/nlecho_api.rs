// SPDX-License-Identifier: GPL-2.0

//! Safe Rust bindings to the helpers nlecho.ko exports (`nlecho.h`), for
//! other Rust modules. Include this file with
//! `#[path = ".../module/nlecho_api.rs"] mod nlecho_api;`, as
//! `nlecho_trigger` does. Built in nlecho's kbuild tree (as `nlecho_trigger`
//! is), the symbols are known; built elsewhere, point `KBUILD_EXTRA_SYMBOLS`
//! at nlecho's Module.symvers.

use kernel::error::to_result;
use kernel::prelude::*;

mod ffi {
    use kernel::prelude::*;

    extern "C" {
        pub(super) fn nlecho_unicast(data: *const c_void, size: usize, portid: u32) -> c_int;
        pub(super) fn nlecho_broadcast(data: *const c_void, size: usize, group: u32) -> c_int;
    }
}

/// Sends `data` to the user socket bound to `portid` in the initial network
/// namespace, as a notification. Never sleeps; call it in process or softirq
/// context, not with interrupts disabled. Errors are listed in `nlecho.h`.
pub(crate) fn unicast(data: &[u8], portid: u32) -> Result {
    // SAFETY: `data` is a valid slice of `data.len()` bytes, which
    // `nlecho_unicast()` copies before it returns.
    to_result(unsafe { ffi::nlecho_unicast(data.as_ptr().cast(), data.len(), portid) })
}

/// Sends `data` to multicast `group` of the initial network namespace, as a
/// notification; a group without listeners is not an error. Never sleeps;
/// call it in process or softirq context, not with interrupts disabled.
/// Errors are listed in `nlecho.h`.
pub(crate) fn broadcast(data: &[u8], group: u32) -> Result {
    // SAFETY: `data` is a valid slice of `data.len()` bytes, which
    // `nlecho_broadcast()` copies before it returns.
    to_result(unsafe { ffi::nlecho_broadcast(data.as_ptr().cast(), data.len(), group) })
}
