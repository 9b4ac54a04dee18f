//! `nlecho peer`: user-to-user messages over the module's protocol.

use anyhow::Result;
use clap::{Args, Subcommand};
use nlecho::wire::{self, Header};
use nlecho::{frame, Socket, Tapped, Transport};

use crate::capture::{self, PcapArgs};
use crate::ctx::Ctx;
use crate::listen::{self, ReceiveArgs};
use crate::output::{Dest, Event};
use crate::payload::PayloadArgs;

/// Examples shown by `nlecho peer listen --help`.
pub const LISTEN_EXAMPLES: &str = "\
Examples:
  nlecho peer listen --port 4000
  nlecho peer listen --port 4000 --group 7 --count 1 --json";

/// Examples shown by `nlecho peer send --help`.
pub const SEND_EXAMPLES: &str = "\
Examples:
  nlecho peer send --to-port 4000 hello
  nlecho peer send --group 7 --port 4001 'to every member of group 7'
Sending to another port or to a group needs CAP_NET_ADMIN unless the
module was loaded with nonroot_send=1.";

/// Subcommands of `nlecho peer`.
#[derive(Subcommand, Debug)]
pub enum PeerCommand {
    /// Bind a port, join groups, and print every message that arrives.
    #[command(after_help = LISTEN_EXAMPLES)]
    Listen(PeerListenArgs),
    /// Send a message (type ECHO, flags 0) to a user port or a group.
    #[command(after_help = SEND_EXAMPLES)]
    Send(PeerSendArgs),
}

/// Options of `nlecho peer listen`.
#[derive(Args, Debug)]
pub struct PeerListenArgs {
    /// Port to bind (0: the kernel picks one; the "listening" line says which).
    #[arg(long, value_name = "P", default_value_t = 0)]
    port: u32,
    /// Multicast groups to join as well.
    #[arg(long = "group", value_name = "N", num_args = 1..,
          value_parser = clap::value_parser!(u32).range(1..))]
    groups: Vec<u32>,
    #[command(flatten)]
    receive: ReceiveArgs,
}

/// Options of `nlecho peer send`.
#[derive(Args, Debug)]
pub struct PeerSendArgs {
    /// Port of the receiving socket.
    #[arg(long, value_name = "P", required_unless_present = "group", conflicts_with = "group",
          value_parser = clap::value_parser!(u32).range(1..))]
    to_port: Option<u32>,
    /// Multicast group to send to (1-32: user sockets address groups by bit mask).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(nlecho::MAX_SEND_GROUP)))]
    group: Option<u32>,
    /// Port to bind the sending socket to (0: the kernel picks one).
    #[arg(long, value_name = "P", default_value_t = 0)]
    port: u32,
    /// Send the message N times (seq 1 to N).
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    #[command(flatten)]
    payload: PayloadArgs,
    #[command(flatten)]
    pcap: PcapArgs,
}

pub fn run(ctx: &Ctx, cmd: &PeerCommand) -> Result<()> {
    match cmd {
        PeerCommand::Listen(args) => {
            listen::receive(ctx, args.port, &args.groups, &args.receive, "peer listen")
        }
        PeerCommand::Send(args) => send(ctx, args),
    }
}

fn send(ctx: &Ctx, args: &PeerSendArgs) -> Result<()> {
    let data = args.payload.read()?;
    let sock = Socket::open(ctx.protocol)?;
    sock.bind(args.port, 0)?;
    let sock = Tapped::new(sock);
    capture::attach(&sock, ctx.verbose, args.pcap.path())?;
    let port = sock.socket().port()?;
    // clap requires exactly one of --to-port and --group.
    let dest = match (args.to_port, args.group) {
        (Some(to), _) => Dest::Port(to),
        (None, Some(g)) => Dest::Group(g),
        (None, None) => anyhow::bail!("give --to-port or --group"),
    };
    for i in 0..args.count {
        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
        // Without NLM_F_REQUEST the module skips the copy a group send
        // also hands it.
        let header = Header {
            ty: wire::NLECHO_CMD_ECHO,
            seq,
            pid: port,
            ..Header::default()
        };
        let datagram = frame::encode(header, &data)?;
        match dest {
            Dest::Port(to) => sock.send_to(&datagram, to)?,
            Dest::Group(g) => sock.send_to_group(&datagram, g)?,
        }
        ctx.out.emit(&Event::Sent {
            from_port: port,
            to: dest,
            seq,
            len: data.len(),
        })?;
    }
    Ok(())
}
