//! `nlecho`: the command-line peer of the nlecho kernel module.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use nlecho::wire;

use ctx::Ctx;

mod assets;
mod broadcast;
mod capture;
mod ctx;
mod exit;
mod groups;
mod hello;
mod json;
mod listen;
mod output;
mod payload;
mod peer;
mod send;
mod signals;
mod stats;
mod trace;

/// Talk to the nlecho kernel module over netlink.
#[derive(Parser)]
#[command(
    name = "nlecho",
    version,
    about,
    propagate_version = true,
    after_help = exit::HELP
)]
struct Cli {
    /// Netlink protocol number the module serves.
    #[arg(long, global = true, default_value_t = wire::NETLINK_NLECHO, help_heading = "Global options")]
    protocol: u32,
    /// Milliseconds to wait: for each answer from the kernel (default
    /// 2000), or, when listening, for the next message (default: forever).
    /// 0 waits forever.
    #[arg(
        long,
        global = true,
        value_name = "MS",
        help_heading = "Global options"
    )]
    timeout: Option<u64>,
    /// Print one JSON object per line on stdout instead of text.
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,
    /// Print the header of every message sent and received on stderr.
    #[arg(short, long, global = true, help_heading = "Global options")]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send "Hello" to the kernel and print its echo.
    #[command(after_help = hello::EXAMPLES)]
    Hello,
    /// Send a message to the kernel and print its replies.
    #[command(after_help = send::EXAMPLES)]
    Send(send::SendArgs),
    /// Join multicast groups and print what the kernel and peers send to them.
    #[command(after_help = listen::EXAMPLES)]
    Listen(listen::ListenArgs),
    /// Ask the kernel to send a message to a multicast group (BROADCAST).
    #[command(after_help = broadcast::EXAMPLES)]
    Broadcast(broadcast::BroadcastArgs),
    /// Print the module's counters, or reset them.
    #[command(after_help = stats::EXAMPLES)]
    Stats(stats::StatsArgs),
    /// Print the multicast groups: listeners and notifications sent.
    #[command(after_help = groups::EXAMPLES)]
    Groups(groups::GroupsArgs),
    /// Messages between user sockets over the same protocol.
    #[command(subcommand)]
    Peer(peer::PeerCommand),
    /// Write the man pages and shell completions into DIR.
    ///
    /// `make install` runs this and installs DIR/man and DIR/completions.
    /// Hidden, and left out of both, since users have no need for it.
    #[command(hide = true)]
    GenerateAssets {
        /// Where to write man/ and completions/ (created if missing).
        dir: PathBuf,
    },
}

fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        protocol: cli.protocol,
        timeout: cli.timeout.map(Duration::from_millis),
        out: output::Out::new(cli.json),
        verbose: cli.verbose,
    };
    match &cli.command {
        Command::Hello => hello::run(&ctx).context("hello"),
        Command::Send(args) => send::run(&ctx, args).context("send"),
        Command::Listen(args) => listen::run(&ctx, args).context("listen"),
        Command::Broadcast(args) => broadcast::run(&ctx, args).context("broadcast"),
        Command::Stats(args) => stats::run(&ctx, args).context("stats"),
        Command::Groups(args) => groups::run(&ctx, args).context("groups"),
        Command::Peer(cmd) => peer::run(&ctx, cmd).context(match cmd {
            peer::PeerCommand::Listen(_) => "peer listen",
            peer::PeerCommand::Send(_) => "peer send",
        }),
        Command::GenerateAssets { dir } => assets::generate(dir).context("generate-assets"),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version end here too, successfully.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!("nlecho: {err:#}");
            ExitCode::from(exit::code(&err))
        }
    }
}
