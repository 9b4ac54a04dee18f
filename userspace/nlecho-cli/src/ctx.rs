//! What every command is given: the global options, and the client and
//! output they set up.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use nlecho::{Client, Tapped};

use crate::capture;
use crate::output::Out;

/// How long request/reply commands wait for each answer by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2000);

/// Settings every command reads.
pub struct Ctx {
    /// The netlink protocol.
    pub protocol: u32,
    /// `--timeout`, if given.
    pub timeout: Option<Duration>,
    /// Where results go.
    pub out: Out,
    /// `-v`.
    pub verbose: bool,
}

impl Ctx {
    /// A client of the kernel with the chosen taps.
    pub fn client(&self, pcap: Option<&Path>) -> Result<Client<Tapped>> {
        let client = Client::connect(self.protocol, self.timeout.unwrap_or(DEFAULT_TIMEOUT))?
            .map_transport(Tapped::new);
        capture::attach(client.transport(), self.verbose, pcap)?;
        Ok(client)
    }
}
