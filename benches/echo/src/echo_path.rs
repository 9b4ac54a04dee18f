//! nlecho.ko's two echo paths and how a target picks one.
//!
//! The module answers a datagram holding exactly one ECHO or classic
//! message, not asking for an ACK, with a clone of the request skb (zero
//! copy); every other datagram, and every datagram while its `copy_echo`
//! parameter is 1, takes the copy path. The parameter can be written on
//! the loaded module, so both paths are measured in one boot, in the same
//! rotation: each nlecho target writes it before every round of its own.
//! Its `zero_copy` counter (debugfs) then shows which path replies took.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// nlecho.ko's switch between its echo paths (a bool parameter, 0644).
pub const COPY_ECHO: &str = "/sys/module/nlecho/parameters/copy_echo";
/// nlecho.ko's counters for the initial namespace, one `name value` line
/// each; bench.sh mounts debugfs.
pub const STATS: &str = "/sys/kernel/debug/nlecho/stats";

/// Which echo path a target asks nlecho.ko for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoPath {
    /// `copy_echo=0`, the default: single-message datagrams are answered
    /// with a clone of the request.
    ZeroCopy,
    /// `copy_echo=1`: every reply is a new skb with the payload copied in.
    Copy,
}

impl EchoPath {
    /// Sets the bool parameter at `param` to select this path, and reads
    /// it back: a write that did not take would measure the wrong path.
    pub fn select(self, param: &Path) -> Result<()> {
        let copy = self == EchoPath::Copy;
        fs::write(param, if copy { "1" } else { "0" }).with_context(|| {
            format!(
                "writing {}: is nlecho.ko loaded, with its copy_echo parameter, and are we root?",
                param.display()
            )
        })?;
        let text =
            fs::read_to_string(param).with_context(|| format!("reading {}", param.display()))?;
        match parse_bool(&text) {
            Some(got) if got == copy => Ok(()),
            _ => bail!(
                "{} reads {:?} after writing {}",
                param.display(),
                text.trim(),
                u8::from(copy)
            ),
        }
    }
}

/// A bool module parameter's sysfs text: the kernel prints `Y` or `N`;
/// `1` and `0` are taken too, as the kernel takes them on writes.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "Y" | "y" | "1" => Some(true),
        "N" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// The value of counter `name` in `name value` lines, or `None` if no
/// line names it (a module without that counter) or its value is no
/// number.
pub fn counter(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(name))
            .then(|| words.next()?.parse().ok())
            .flatten()
    })
}

/// nlecho.ko's `zero_copy` counter now, read from `stats`; `None` where it
/// cannot be read (no debugfs, or a module without the counter), which
/// leaves the report's zero-copy column empty rather than failing a run.
pub fn zero_copy_replies(stats: &Path) -> Option<u64> {
    counter(&fs::read_to_string(stats).ok()?, "zero_copy")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bool_takes_what_sysfs_prints_and_nothing_else() {
        assert_eq!(parse_bool("Y\n"), Some(true));
        assert_eq!(parse_bool("N\n"), Some(false));
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool(""), None);
        assert_eq!(parse_bool("yes"), None);
    }

    #[test]
    fn counter_finds_its_line_by_exact_name() {
        let text = "received 10\nechoed 9\nzero_copy 7\nzero_copy_x 1\n";
        assert_eq!(counter(text, "zero_copy"), Some(7));
        assert_eq!(counter(text, "echoed"), Some(9));
        // A module without the counter, or a garbled line.
        assert_eq!(counter(text, "dropped"), None);
        assert_eq!(counter("zero_copy many\n", "zero_copy"), None);
    }

    #[test]
    fn select_writes_the_parameter_and_checks_it_took() {
        let param = std::env::temp_dir().join(format!("nlecho-bench-{}", std::process::id()));
        EchoPath::Copy.select(&param).unwrap();
        assert_eq!(fs::read_to_string(&param).unwrap(), "1");
        EchoPath::ZeroCopy.select(&param).unwrap();
        assert_eq!(fs::read_to_string(&param).unwrap(), "0");
        fs::remove_file(&param).unwrap();
        let missing = EchoPath::Copy.select(Path::new("/nonexistent/copy_echo"));
        assert!(format!("{:#}", missing.unwrap_err()).contains("copy_echo parameter"));
    }
}
