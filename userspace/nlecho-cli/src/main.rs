//! `nlecho`: the command-line peer of the nlecho kernel module.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use nlecho::{wire, Client};

mod bench;

/// Exit status for errors not listed below.
const EXIT_FAILURE: u8 = 1;
/// Exit status when no kernel socket serves the protocol.
const EXIT_NOT_LOADED: u8 = 3;
/// Exit status when the kernel did not answer in time.
const EXIT_TIMEOUT: u8 = 4;

/// Talk to the nlecho kernel module over netlink.
#[derive(Parser)]
#[command(version, about, propagate_version = true)]
struct Cli {
    /// Netlink protocol number the module serves.
    #[arg(long, global = true, default_value_t = wire::NETLINK_NLECHO)]
    protocol: u32,
    /// How long to wait for each reply, in milliseconds.
    #[arg(long, global = true, default_value_t = 2000, value_name = "MS")]
    timeout: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send "Hello" to the kernel and print its echo.
    ///
    /// Example: nlecho hello
    Hello,
    /// Benchmark the Rust module against its C twin and the floor.
    Bench(bench::BenchArgs),
}

fn hello(cli: &Cli) -> Result<()> {
    let mut client = Client::connect(cli.protocol, Duration::from_millis(cli.timeout))?;
    let msg = b"Hello";
    println!(
        "sent     \"{}\" ({} bytes) from port {} to the kernel on netlink protocol {}",
        String::from_utf8_lossy(msg),
        msg.len(),
        client.port(),
        cli.protocol
    );
    let reply = client.request(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, msg)?;
    println!(
        "received \"{}\" ({} bytes, type {:#x}, seq {}) from the kernel",
        String::from_utf8_lossy(&reply.payload),
        reply.payload.len(),
        reply.header.ty,
        reply.header.seq
    );
    anyhow::ensure!(
        reply.payload == msg,
        "the reply does not match what was sent"
    );
    Ok(())
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<nlecho::Error>() {
        Some(nlecho::Error::ModuleNotLoaded { .. }) => EXIT_NOT_LOADED,
        Some(nlecho::Error::Timeout { .. }) => EXIT_TIMEOUT,
        _ => EXIT_FAILURE,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hello => hello(&cli).context("hello"),
        Command::Bench(ref args) => bench::main(args).context("bench"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nlecho: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}
