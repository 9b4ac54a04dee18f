//! `nlecho listen` and `nlecho peer listen`: print what arrives on a
//! socket bound to a port and joined to groups.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use nlecho::wire::Messages;
use nlecho::{Error, Socket, Tapped, Transport};

use crate::capture::{self, PcapArgs};
use crate::ctx::Ctx;
use crate::exit::{Exit, OVERRUN};
use crate::output::{self, Event, Origin};
use crate::signals;

/// Examples shown by `nlecho listen --help`.
pub const EXAMPLES: &str = "\
Examples:
  nlecho listen --group 5                 # until Ctrl-C
  nlecho listen --group 5 6 --count 2 --json
  nlecho listen --group 5 --pcap group5.pcap & nlecho broadcast --group 5 hi
Prints \"nlecho: listening on ...\" on stderr once the groups are joined.";

/// How often a blocked receive wakes to check for signals and --timeout.
const SLICE: Duration = Duration::from_millis(200);

/// Options of `nlecho listen`.
#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Multicast groups to join (NETLINK_ADD_MEMBERSHIP); repeat the option
    /// or list several.
    #[arg(long = "group", value_name = "N", num_args = 1.., required = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    groups: Vec<u32>,
    #[command(flatten)]
    receive: ReceiveArgs,
}

/// Options every listener has.
#[derive(Args, Debug)]
pub struct ReceiveArgs {
    /// Exit (0) after N messages; without it, run until SIGINT or SIGTERM
    /// (also exit 0).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Receive buffer size in bytes (SO_RCVBUF; the kernel doubles it).
    #[arg(long, value_name = "BYTES")]
    rcvbuf: Option<usize>,
    #[command(flatten)]
    pcap: PcapArgs,
}

pub fn run(ctx: &Ctx, args: &ListenArgs) -> Result<()> {
    receive(ctx, 0, &args.groups, &args.receive, "listen")
}

/// Binds to `port`, joins `groups`, and prints every message until the
/// count, a signal, or `--timeout` without traffic. Overruns are reported
/// as they happen and make the exit status 6 at the end.
pub fn receive(ctx: &Ctx, port: u32, groups: &[u32], args: &ReceiveArgs, what: &str) -> Result<()> {
    let sock = Socket::open(ctx.protocol)?;
    sock.bind(port, 0)?;
    for &g in groups {
        sock.join(g)?;
    }
    if let Some(bytes) = args.rcvbuf {
        sock.set_recv_buffer(bytes)?;
    }
    let idle_limit = ctx.timeout.filter(|t| !t.is_zero());
    let sock = Tapped::new(sock);
    capture::attach(&sock, ctx.verbose, args.pcap.path())?;
    signals::install()?;
    let joined = if groups.is_empty() {
        String::from("no groups")
    } else {
        let list: Vec<String> = groups.iter().map(u32::to_string).collect();
        format!("groups {}", list.join(" "))
    };
    let note = |line: String| {
        let _ = writeln!(std::io::stderr(), "nlecho: {what}: {line}");
    };
    note(format!(
        "listening on port {}, {joined}",
        sock.socket().port()?
    ));

    let (mut seen, mut overruns) = (0u64, 0u64);
    // Time spent waiting in empty receives, not wall time: a listener
    // stopped (SIGSTOP) with messages queued has not been idle.
    let mut idle = Duration::ZERO;
    let done = |seen: u64| args.count.is_some_and(|n| seen >= n);
    let mut outcome = Ok(());
    while !done(seen) && !signals::stopped() {
        // Each receive waits at most a slice, and never past the idle limit.
        let slice = idle_limit.map_or(SLICE, |limit| SLICE.min(limit.saturating_sub(idle)));
        let got = match sock.recv_owned_until(Instant::now().checked_add(slice)) {
            Ok(Some(got)) => got,
            Ok(None) => {
                idle += slice;
                if let Some(limit) = idle_limit.filter(|&limit| idle >= limit) {
                    outcome = Err(Error::Timeout { after: limit });
                    break;
                }
                continue;
            }
            // A signal: the loop looks at what it was.
            Err(Error::Interrupted) => continue,
            Err(Error::Overrun) => {
                idle = Duration::ZERO;
                overruns += 1;
                note(format!("{}; {overruns} overrun(s) so far", Error::Overrun));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        idle = Duration::ZERO;
        let from = Origin {
            port: got.from_port,
            group: got.group,
        };
        for msg in Messages::new(&got.data) {
            match msg {
                Ok(m) => {
                    ctx.out.emit(&Event::Message {
                        from,
                        header: &m.header,
                        payload: m.payload,
                    })?;
                    seen += 1;
                    if done(seen) {
                        break;
                    }
                }
                Err(bad) => note(format!(
                    "malformed datagram from {}: {bad:?}; the rest of it is skipped",
                    output::source(from.port, from.group)
                )),
            }
        }
    }
    if overruns > 0 {
        return Err(Exit {
            code: OVERRUN,
            message: format!("{}: {overruns} overrun(s) seen", Error::Overrun),
        }
        .into());
    }
    outcome.map_err(Into::into)
}
