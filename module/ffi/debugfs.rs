// SPDX-License-Identifier: GPL-2.0

//! The debugfs directory `nlecho`: its files are made by `nlecho_debugfs.c`
//! (so that an open file pins the module) and written here.

use kernel::bindings;
use kernel::prelude::*;
use kernel::seq_file::{seq_print, SeqFile};

use super::with_service;
use crate::netlink::Net;
use crate::service;
use crate::stats;

// The dentry stays opaque here: only debugfs looks inside it.
extern "C" {
    fn nlecho_debugfs_create() -> *mut c_void;
    fn nlecho_debugfs_remove(dir: *mut c_void);
}

/// The debugfs directory `nlecho` with its files, made by
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
    /// it once [`super::PerNamespace`] is registered, and drop it before.
    /// As is the rule for debugfs, failing to create it is not an error:
    /// the module works without it. Process context only; so is the drop.
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
    seq_print!(m, "{}", stats::Text::Lines(stats));
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
