//! SIGINT and SIGTERM end a listener cleanly (exit 0, capture complete)
//! instead of killing it.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Installs the handlers. Without `SA_RESTART`, a blocked `recvmsg()`
/// returns `EINTR`, so the listener notices at once.
pub fn install() -> Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe, and replaces no handler anyone relies on.
        unsafe { sigaction(sig, &action) }.with_context(|| format!("sigaction({sig})"))?;
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived.
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}
