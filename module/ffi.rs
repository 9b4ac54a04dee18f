// SPDX-License-Identifier: GPL-2.0

//! The C ABI between nlecho's Rust code and C: the helpers other kernel
//! modules call, `nlecho_unicast()` and `nlecho_broadcast()` (declared in
//! `nlecho.h`, exported by `nlecho_exports.c`; the role of `test_unicast()`
//! and `test_broadcast()` in the classic C module), and the debugfs file
//! that `nlecho_debugfs.c` creates.
//!
//! This file only turns C arguments into Rust ones; the work is done by
//! [`crate::service`] and [`crate::stats`].

use kernel::bindings;
use kernel::error::from_result;
use kernel::prelude::*;
use kernel::seq_file::{seq_print, SeqFile};

use crate::netlink::{Gfp, SocketSlot};
use crate::stats::COUNTERS;
use crate::{service, wire};

/// The module's kernel socket, published for the helpers while loaded.
pub(crate) static SOCKET: SocketSlot = SocketSlot::new();

/// Borrows the caller's buffer, after checking its size against the
/// protocol's maximum, so an absurd `size` is refused before it is used.
///
/// # Safety
///
/// `data` must point to `size` readable bytes that nobody writes for `'a`,
/// or `size` must be 0.
unsafe fn bytes<'a>(data: *const c_void, size: usize) -> Result<&'a [u8]> {
    if size > wire::MAX_PAYLOAD {
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

/// Sends `size` bytes at `data` to the user socket bound to `portid`, as an
/// `NLMSG_DONE` message. Returns 0 or a negative errno; see `nlecho.h`.
///
/// # Safety
///
/// `data` must point to `size` readable bytes that nobody writes until the
/// call returns, or `size` must be 0. A `size` above `NLECHO_MAX_PAYLOAD`
/// is refused without reading `data`.
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
/// `data` must point to `size` readable bytes that nobody writes until the
/// call returns, or `size` must be 0. A `size` above `NLECHO_MAX_PAYLOAD`
/// is refused without reading `data`.
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
    /// Creates `/sys/kernel/debug/nlecho/stats`. As is the rule for debugfs,
    /// failing to create it is not an error: the module works without it.
    /// Process context only; so is the drop.
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

/// Writes the `stats` file: one `name value` line per counter. The
/// `show` callback of `DEFINE_SHOW_ATTRIBUTE(nlecho_stats)`.
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
    for (_, name, value) in COUNTERS.snapshot().fields() {
        seq_print!(m, "{name} {value}\n");
    }
    0
}
