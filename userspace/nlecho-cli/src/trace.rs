//! `-v`: the header of every message sent or received, on stderr.

use std::io::Write;

use nlecho::wire::Messages;
use nlecho::{Direction, Seen, Tap};

use crate::output::source;

/// A tap that prints headers.
#[derive(Debug)]
pub struct Trace;

impl Tap for Trace {
    fn datagram(&mut self, d: &Seen<'_>) -> nlecho::Result<()> {
        let (arrow, whom) = match d.direction {
            Direction::Sent => (">", "to"),
            Direction::Received => ("<", "from"),
        };
        let peer = match (d.direction, d.group) {
            (Direction::Sent, Some(g)) => format!("group {g}"),
            _ => source(d.peer_port, d.group),
        };
        let mut err = std::io::stderr().lock();
        // Tracing must never fail the exchange it describes.
        for msg in Messages::new(d.data) {
            let _ = match msg {
                Ok(m) => {
                    let h = m.header;
                    writeln!(
                        err,
                        "{arrow} {whom} {peer}: len {} type {:#x} flags {:#x} seq {} pid {}",
                        h.len, h.ty, h.flags, h.seq, h.pid
                    )
                }
                Err(bad) => writeln!(err, "{arrow} {whom} {peer}: malformed: {bad:?}"),
            };
        }
        Ok(())
    }
}
