//! Exit statuses, and how errors map to them.

use nlecho::Error;

/// Success.
pub const OK: u8 = 0;
/// Any error not listed below.
pub const FAILURE: u8 = 1;
/// Bad usage (clap's own status).
pub const USAGE: u8 = 2;
/// No kernel socket serves the protocol (`EPROTONOSUPPORT`).
pub const NOT_LOADED: u8 = 3;
/// Nothing arrived within `--timeout`.
pub const TIMEOUT: u8 = 4;
/// The kernel answered with an error (`NLMSG_ERROR`, errno < 0).
pub const KERNEL_ERROR: u8 = 5;
/// Messages were lost: the receive buffer overran (`ENOBUFS`).
pub const OVERRUN: u8 = 6;

/// The table `nlecho --help` ends with.
pub const HELP: &str = "\
Exit status:
  0  success
  1  any other error
  2  bad usage
  3  the module is not loaded (socket() says EPROTONOSUPPORT)
  4  nothing arrived within --timeout
  5  the kernel answered with an error (NLMSG_ERROR), e.g. EPERM
  6  messages were lost: the receive buffer overran (ENOBUFS)
Every error is one line on stderr: \"nlecho: <context>: <message>\".";

/// An error that carries its own exit status.
#[derive(Debug)]
pub struct Exit {
    /// The status.
    pub code: u8,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// The status for `err`, from the first error in its chain that has one.
pub fn code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Exit>() {
            return e.code;
        }
        if let Some(e) = cause.downcast_ref::<Error>() {
            return match e {
                Error::ModuleNotLoaded { .. } => NOT_LOADED,
                Error::Timeout { .. } => TIMEOUT,
                Error::Kernel { .. } => KERNEL_ERROR,
                Error::Overrun => OVERRUN,
                _ => FAILURE,
            };
        }
    }
    FAILURE
}
