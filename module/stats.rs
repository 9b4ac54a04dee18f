// SPDX-License-Identifier: GPL-2.0

//! The counters of one namespace's service: bumped by the service, read by
//! STATS and GET_GROUP requests, and for the initial namespace by debugfs
//! (`/sys/kernel/debug/nlecho/stats`, see `ffi/debugfs.rs`) and at unload.
//!
//! The counters themselves are declared once, in [`wire::Counts`]: to add
//! one, add its attribute and its line there.

#![forbid(unsafe_code)]

use kernel::fmt;

use kernel::sync::atomic::{Atomic, Relaxed};

use crate::wire;

/// One atomic per counter of [`wire::Counts`].
pub(crate) type Counters = wire::Counts<Atomic<u64>>;

impl Counters {
    /// Every counter at 0.
    pub(crate) fn new() -> Self {
        Self::from_fn(|| Atomic::new(0))
    }

    /// The current values. Each is read atomically; together they are not a
    /// single snapshot, which counters do not need.
    pub(crate) fn snapshot(&self) -> wire::Stats {
        self.map(|counter| counter.load(Relaxed))
    }

    /// Sets every counter to 0.
    pub(crate) fn reset(&self) {
        for (_, _, counter) in self.each() {
            counter.store(0, Relaxed);
        }
    }
}

/// What happened to the notifications sent to one multicast group.
pub(crate) struct GroupCounters {
    /// Notifications sent to the group.
    pub(crate) sent: Atomic<u64>,
    /// Of those, the ones a `NETLINK_BROADCAST_ERROR` listener missed.
    pub(crate) dropped: Atomic<u64>,
}

impl GroupCounters {
    /// Both counters at 0.
    pub(crate) const fn new() -> Self {
        Self {
            sent: Atomic::new(0),
            dropped: Atomic::new(0),
        }
    }

    /// Sets both counters to 0.
    pub(crate) fn reset(&self) {
        self.sent.store(0, Relaxed);
        self.dropped.store(0, Relaxed);
    }
}

/// The counters as text, in attribute order, each under its printed name.
pub(crate) enum Text {
    /// `name value` lines, for the debugfs file.
    Lines(wire::Stats),
    /// ` name=value` pairs on one line, for the kernel log.
    Line(wire::Stats),
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (stats, before, between, after) = match self {
            Text::Lines(stats) => (stats, "", " ", "\n"),
            Text::Line(stats) => (stats, " ", "=", ""),
        };
        for (_, name, value) in stats.fields() {
            write!(f, "{before}{name}{between}{value}{after}")?;
        }
        Ok(())
    }
}
