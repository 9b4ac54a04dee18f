//! Taps the global options ask for: `-v` tracing and `--pcap` captures.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use nlecho::pcap::PcapWriter;
use nlecho::{Tapped, Transport};

use crate::trace::Trace;

/// `--pcap FILE`, for the commands that exchange messages.
#[derive(Args, Debug)]
pub struct PcapArgs {
    /// Write every datagram sent and received to FILE (pcap,
    /// LINKTYPE_NETLINK; Wireshark and tcpdump read it).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
}

impl PcapArgs {
    /// The file, if one was asked for.
    pub fn path(&self) -> Option<&Path> {
        self.pcap.as_deref()
    }
}

/// Attaches the tracer (with `verbose`) and a capture to `path` to `sock`.
pub fn attach(sock: &Tapped, verbose: bool, path: Option<&Path>) -> Result<()> {
    if verbose {
        sock.add_tap(Box::new(Trace));
    }
    if let Some(path) = path {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let writer = PcapWriter::new(file, sock.socket().protocol())
            .with_context(|| format!("writing {}", path.display()))?;
        sock.add_tap(Box::new(writer));
    }
    Ok(())
}
