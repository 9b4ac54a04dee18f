//! What the commands print on stdout: one line per event, as text or, with
//! `--json`, as one JSON object.

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::{Context, Result};
use nlecho::ack::Status;
use nlecho::wire::{self, GroupInfo, Header, Notify};

use crate::json::Object;

/// The name of a message type, if it has one.
pub fn type_name(ty: u16) -> Option<&'static str> {
    Some(match ty {
        wire::NLECHO_CLASSIC => "CLASSIC",
        wire::NLMSG_NOOP => "NOOP",
        wire::NLMSG_ERROR => "ERROR",
        wire::NLMSG_DONE => "DONE",
        wire::NLMSG_OVERRUN => "OVERRUN",
        wire::NLECHO_CMD_ECHO => "ECHO",
        wire::NLECHO_CMD_BROADCAST => "BROADCAST",
        wire::NLECHO_CMD_STATS => "STATS",
        wire::NLECHO_CMD_RESET_STATS => "RESET_STATS",
        wire::NLECHO_CMD_NOTIFY => "NOTIFY",
        wire::NLECHO_CMD_GET_GROUP => "GET_GROUP",
        _ => return None,
    })
}

/// "kernel" or "port N", with the group of a multicast.
pub fn source(from_port: u32, group: Option<u32>) -> String {
    let mut s = if from_port == 0 {
        String::from("kernel")
    } else {
        format!("port {from_port}")
    };
    if let Some(g) = group {
        let _ = write!(s, " group {g}");
    }
    s
}

/// A payload for humans: quoted and escaped if it is UTF-8, hex otherwise.
fn payload_text(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(s) => format!("\"{}\"", s.escape_debug()),
        Err(_) => format!("hex {}", hex(payload)),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Where a received message came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    /// Sender's port; 0 is the kernel.
    pub port: u32,
    /// Multicast group, if it was one.
    pub group: Option<u32>,
}

/// Prints events on stdout in the chosen format.
#[derive(Debug)]
pub struct Out {
    json: bool,
}

impl Out {
    /// Text, or JSON lines with `json`.
    pub fn new(json: bool) -> Self {
        Out { json }
    }

    /// Whether the output is JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Writes one line: `text` or `json`'s object.
    pub fn emit(&self, text: impl FnOnce() -> String, json: impl FnOnce() -> Object) -> Result<()> {
        let line = if self.json { json().finish() } else { text() };
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .context("writing to stdout")
    }

    /// A message received: `kind` is "reply" for answers to our requests,
    /// "message" for what arrives unasked. A NOTIFY is decoded: what it
    /// shows is its group (0: a unicast) and its data, not its attributes.
    pub fn message(&self, kind: &str, from: Origin, header: &Header, payload: &[u8]) -> Result<()> {
        let name = type_name(header.ty);
        let notify = (header.ty == wire::NLECHO_CMD_NOTIFY)
            .then(|| Notify::parse(payload).ok())
            .flatten();
        let data = notify.map_or(payload, |n| n.data);
        self.emit(
            || {
                let to = match notify {
                    Some(Notify { group: 0, .. }) => String::from(", unicast"),
                    Some(n) => format!(", group {}", n.group),
                    None => String::new(),
                };
                format!(
                    "{}: type {:#x}{}{to}, seq {}, {} bytes: {}",
                    source(from.port, from.group),
                    header.ty,
                    name.map(|n| format!(" {n}")).unwrap_or_default(),
                    header.seq,
                    data.len(),
                    payload_text(data)
                )
            },
            || {
                let o = Object::new()
                    .str("kind", kind)
                    .uint("from_port", from.port.into())
                    .opt_uint("group", from.group.map(u64::from))
                    .uint("type", header.ty.into());
                let o = match name {
                    Some(n) => o.str("type_name", n),
                    None => o,
                };
                let o = o
                    .uint("flags", header.flags.into())
                    .uint("seq", header.seq.into());
                let o = match notify {
                    Some(n) => o.uint("notify_group", n.group.into()),
                    None => o,
                };
                let o = o.uint("len", data.len() as u64);
                match std::str::from_utf8(data) {
                    Ok(s) => o.str("payload", s),
                    Err(_) => o.str("payload_hex", &hex(data)),
                }
            },
        )
    }

    /// One multicast group's state (GET_GROUP).
    pub fn group(&self, info: &GroupInfo) -> Result<()> {
        self.emit(
            || {
                format!(
                    "group {}: {}, sent {}, dropped {}",
                    info.group,
                    if info.listeners {
                        "has listeners"
                    } else {
                        "no listeners"
                    },
                    info.sent,
                    info.dropped
                )
            },
            || {
                Object::new()
                    .str("kind", "group")
                    .uint("group", info.group.into())
                    .bool("listeners", info.listeners)
                    .uint("sent", info.sent)
                    .uint("dropped", info.dropped)
            },
        )
    }

    /// An acknowledgement from the kernel.
    pub fn ack(&self, status: &Status, seq: u32) -> Result<()> {
        self.emit(
            || format!("kernel: ack, seq {seq}"),
            || {
                Object::new()
                    .str("kind", "ack")
                    .uint("from_port", 0)
                    .uint("seq", seq.into())
                    .int("error", status.error.into())
            },
        )
    }
}
