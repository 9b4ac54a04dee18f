// SPDX-License-Identifier: GPL-2.0

//! The counters of one namespace's service: bumped by the service, read by
//! STATS and GET_GROUP requests, and for the initial namespace by debugfs
//! (`/sys/kernel/debug/nlecho/stats`, see `ffi.rs`) and at unload.

#![forbid(unsafe_code)]

use kernel::fmt;

use kernel::sync::atomic::{Atomic, Relaxed};

use crate::wire;

/// One atomic per counter of [`wire::Stats`].
pub(crate) struct Counters {
    pub(crate) received: Atomic<u64>,
    pub(crate) echoed: Atomic<u64>,
    pub(crate) broadcast: Atomic<u64>,
    pub(crate) dropped: Atomic<u64>,
    pub(crate) malformed: Atomic<u64>,
    pub(crate) errors: Atomic<u64>,
    pub(crate) bytes: Atomic<u64>,
}

impl Counters {
    /// Every counter at 0.
    pub(crate) const fn new() -> Self {
        Self {
            received: Atomic::new(0),
            echoed: Atomic::new(0),
            broadcast: Atomic::new(0),
            dropped: Atomic::new(0),
            malformed: Atomic::new(0),
            errors: Atomic::new(0),
            bytes: Atomic::new(0),
        }
    }

    fn all(&self) -> [&Atomic<u64>; 7] {
        [
            &self.received,
            &self.echoed,
            &self.broadcast,
            &self.dropped,
            &self.malformed,
            &self.errors,
            &self.bytes,
        ]
    }

    /// The current values. Each is read atomically; together they are not a
    /// single snapshot, which counters do not need.
    pub(crate) fn snapshot(&self) -> wire::Stats {
        let [received, echoed, broadcast, dropped, malformed, errors, bytes] =
            self.all().map(|c| c.load(Relaxed));
        wire::Stats {
            received,
            echoed,
            broadcast,
            dropped,
            malformed,
            errors,
            bytes,
        }
    }

    /// Sets every counter to 0.
    pub(crate) fn reset(&self) {
        for counter in self.all() {
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

/// The counters on one line, `name=value` pairs, for the kernel log.
pub(crate) struct Summary(pub(crate) wire::Stats);

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (_, name, value) in self.0.fields() {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}
