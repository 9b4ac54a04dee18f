//! `nlecho send`: requests to the kernel, with their replies and ACKs.

use anyhow::Result;
use clap::Args;
use nlecho::{types, wire};

use crate::capture::PcapArgs;
use crate::ctx::Ctx;
use crate::output::Event;
use crate::payload::PayloadArgs;

/// Examples shown by `nlecho send --help`.
pub const EXAMPLES: &str = "\
Examples:
  nlecho send Hello
  echo -n 'from stdin' | nlecho send --ack -
  nlecho send --type classic --count 3 --seq 100 --file ./message.bin
  nlecho send --pcap echo.pcap Hello      # then: wireshark echo.pcap";

/// Options of `nlecho send`.
#[derive(Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    payload: PayloadArgs,
    /// Message type: a number (decimal or 0x hex) or a name: echo (0x10),
    /// classic (0, sent with flags 0 and answered with NLMSG_DONE, never
    /// followed by an ACK), stats (0x12), get-group (0x15). Types 1-15 are
    /// only answered with --ack.
    #[arg(long = "type", value_name = "TYPE", default_value = "echo", value_parser = parse_type)]
    ty: u16,
    /// Ask for an acknowledgement (NLM_F_ACK) and wait for it after the reply.
    #[arg(long)]
    ack: bool,
    /// Send the message N times, each answered before the next.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    /// Sequence number of the first message; each next one adds 1.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seq: u32,
    #[command(flatten)]
    pcap: PcapArgs,
}

/// Parses a message type: a name, a decimal number or 0x hex.
pub fn parse_type(s: &str) -> Result<u16, String> {
    if let Some(ty) = types::by_name(s) {
        return Ok(ty);
    }
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| {
        format!(
            "'{s}' is not a message type: use 0-65535, 0x10 or a name (echo, classic, stats, get-group)"
        )
    })
}

pub fn run(ctx: &Ctx, args: &SendArgs) -> Result<()> {
    let payload = args.payload.read()?;
    // frame::encode refuses it too, but only once the socket (and any
    // --pcap file) exists: a bad argument should fail before either.
    if payload.len() > wire::MAX_PAYLOAD {
        return Err(nlecho::Error::TooLarge { len: payload.len() }.into());
    }
    let mut client = ctx.client(args.pcap.path())?;
    client.set_next_seq(args.seq);
    // Classic clients send flags 0; commands are processed only as requests.
    let mut flags = if args.ty == wire::NLECHO_CLASSIC {
        0
    } else {
        wire::NLM_F_REQUEST
    };
    if args.ack {
        flags |= wire::NLM_F_ACK;
    }
    for _ in 0..args.count {
        let ex = client.exchange(args.ty, flags, &payload)?;
        for r in &ex.replies {
            ctx.out.emit(&Event::Reply {
                header: &r.header,
                payload: &r.payload,
            })?;
            let echo_ty = match args.ty {
                wire::NLECHO_CLASSIC => Some(wire::NLMSG_DONE),
                wire::NLECHO_CMD_ECHO => Some(wire::NLECHO_CMD_ECHO),
                _ => None,
            };
            if echo_ty.is_some_and(|t| t != r.header.ty || r.payload != payload) {
                anyhow::bail!("the reply to seq {} does not match what was sent", ex.seq);
            }
        }
        if let Some(status) = &ex.ack {
            ctx.out.emit(&Event::Ack {
                seq: ex.seq,
                error: status.error,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_type;

    #[test]
    fn types_parse_as_names_decimal_and_hex() {
        assert_eq!(parse_type("echo"), Ok(0x10));
        assert_eq!(parse_type("CLASSIC"), Ok(0));
        assert_eq!(parse_type("0x1f"), Ok(0x1f));
        assert_eq!(parse_type("0X12"), Ok(0x12));
        assert_eq!(parse_type("get-group"), Ok(0x15));
        assert_eq!(parse_type("GET_GROUP"), Ok(0x15));
        assert_eq!(parse_type("notify"), Ok(0x14));
        assert_eq!(parse_type("16"), Ok(16));
        assert_eq!(parse_type("65535"), Ok(u16::MAX));
        assert!(parse_type("65536").is_err());
        assert!(parse_type("0xg").is_err());
        assert!(parse_type("").is_err());
    }
}
