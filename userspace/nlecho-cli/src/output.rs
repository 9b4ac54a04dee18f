//! What the commands print on stdout: one [`Event`] at a time, rendered as
//! text lines or, with `--json`, as one JSON object per line.

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::{Context, Result};
use nlecho::types;
use nlecho::wire::{self, GroupInfo, Header, Notify, Stats};

use crate::json::Object;

/// Something a command reports.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// The kernel's answer to one of our requests.
    Reply {
        /// Its header.
        header: &'a Header,
        /// Its payload.
        payload: &'a [u8],
    },
    /// A message that arrived unasked, on a listener.
    Message {
        /// Who sent it.
        from: Origin,
        /// Its header.
        header: &'a Header,
        /// Its payload.
        payload: &'a [u8],
    },
    /// The kernel's acknowledgement of request `seq`.
    Ack {
        /// The request's sequence number.
        seq: u32,
        /// 0, or the negative errno.
        error: i32,
    },
    /// The kernel multicast our BROADCAST request.
    Broadcast {
        /// The group.
        group: u32,
        /// Payload bytes.
        len: usize,
        /// The request's sequence number.
        seq: u32,
        /// The acknowledgement's error (0).
        error: i32,
    },
    /// One multicast group's state (GET_GROUP).
    Group(&'a GroupInfo),
    /// The module's counters.
    Stats(&'a Stats),
    /// The module's counters were reset.
    Reset,
    /// `peer send` sent a message.
    Sent {
        /// The sending socket's port.
        from_port: u32,
        /// Where to.
        to: Dest,
        /// The message's sequence number.
        seq: u32,
        /// Payload bytes.
        len: usize,
    },
    /// `hello` sent its greeting (text only: JSON shows the reply alone).
    HelloSent {
        /// The sending socket's port.
        port: u32,
        /// The netlink protocol.
        protocol: u32,
        /// What was sent.
        payload: &'a [u8],
    },
    /// `hello`'s echo came back (in JSON, as a [`Event::Reply`]).
    HelloEcho {
        /// Its header.
        header: &'a Header,
        /// Its payload.
        payload: &'a [u8],
    },
}

/// Where a received message came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    /// Sender's port; 0 is the kernel.
    pub port: u32,
    /// Multicast group, if it was one.
    pub group: Option<u32>,
}

impl Origin {
    /// The kernel, answering us directly.
    const KERNEL: Origin = Origin {
        port: 0,
        group: None,
    };
}

/// Where `peer send` sends.
#[derive(Clone, Copy, Debug)]
pub enum Dest {
    /// A user socket's port.
    Port(u32),
    /// A multicast group.
    Group(u32),
}

impl std::fmt::Display for Dest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dest::Port(p) => write!(f, "port {p}"),
            Dest::Group(g) => write!(f, "group {g}"),
        }
    }
}

impl Event<'_> {
    /// Appends the text rendering: whole lines, possibly none.
    fn text(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match *self {
            Event::Reply { header, payload } => message_text(out, Origin::KERNEL, header, payload),
            Event::Message {
                from,
                header,
                payload,
            } => message_text(out, from, header, payload),
            Event::Ack { seq, .. } => writeln!(out, "kernel: ack, seq {seq}"),
            Event::Broadcast {
                group, len, seq, ..
            } => writeln!(
                out,
                "broadcast {len} bytes to group {group}: acknowledged, seq {seq}"
            ),
            Event::Group(info) => writeln!(
                out,
                "group {}: {}, sent {}, dropped {}",
                info.group,
                if info.listeners {
                    "has listeners"
                } else {
                    "no listeners"
                },
                info.sent,
                info.dropped
            ),
            Event::Stats(stats) => stats
                .fields()
                .iter()
                .try_for_each(|(_, name, value)| writeln!(out, "{name} {value}")),
            Event::Reset => writeln!(out, "counters reset"),
            Event::Sent {
                from_port,
                to,
                seq,
                len,
            } => writeln!(out, "sent {len} bytes from port {from_port} to {to}, seq {seq}"),
            Event::HelloSent {
                port,
                protocol,
                payload,
            } => writeln!(
                out,
                "sent     \"{}\" ({} bytes) from port {port} to the kernel on netlink protocol {protocol}",
                String::from_utf8_lossy(payload),
                payload.len()
            ),
            Event::HelloEcho { header, payload } => writeln!(
                out,
                "received \"{}\" ({} bytes, type {:#x}, seq {}) from the kernel",
                String::from_utf8_lossy(payload),
                payload.len(),
                header.ty,
                header.seq
            ),
        };
    }

    /// The JSON rendering, if the event has one.
    fn json(&self) -> Option<Object> {
        Some(match *self {
            Event::Reply { header, payload } | Event::HelloEcho { header, payload } => {
                message_json("reply", Origin::KERNEL, header, payload)
            }
            Event::Message {
                from,
                header,
                payload,
            } => message_json("message", from, header, payload),
            Event::Ack { seq, error } => Object::new()
                .str("kind", "ack")
                .uint("from_port", 0)
                .uint("seq", seq.into())
                .int("error", error.into()),
            Event::Broadcast {
                group,
                len,
                seq,
                error,
            } => Object::new()
                .str("kind", "broadcast")
                .uint("group", group.into())
                .uint("len", len as u64)
                .uint("seq", seq.into())
                .int("error", error.into()),
            Event::Group(info) => Object::new()
                .str("kind", "group")
                .uint("group", info.group.into())
                .bool("listeners", info.listeners)
                .uint("sent", info.sent)
                .uint("dropped", info.dropped),
            Event::Stats(stats) => stats
                .fields()
                .iter()
                .fold(Object::new().str("kind", "stats"), |o, &(_, name, v)| {
                    o.uint(name, v)
                }),
            Event::Reset => Object::new().str("kind", "reset"),
            Event::Sent {
                from_port,
                to,
                seq,
                len,
            } => {
                let (to_port, group) = match to {
                    Dest::Port(p) => (Some(p), None),
                    Dest::Group(g) => (None, Some(g)),
                };
                Object::new()
                    .str("kind", "sent")
                    .uint("from_port", from_port.into())
                    .opt_uint("to_port", to_port.map(u64::from))
                    .opt_uint("group", group.map(u64::from))
                    .uint("seq", seq.into())
                    .uint("len", len as u64)
            }
            Event::HelloSent { .. } => return None,
        })
    }
}

/// A NOTIFY's group and data, if `header` is a well-formed one: what a
/// NOTIFY shows is those, not its attributes.
fn notify<'a>(header: &Header, payload: &'a [u8]) -> Option<Notify<'a>> {
    (header.ty == wire::NLECHO_CMD_NOTIFY)
        .then(|| Notify::parse(payload).ok())
        .flatten()
}

fn message_text(
    out: &mut String,
    from: Origin,
    header: &Header,
    payload: &[u8],
) -> std::fmt::Result {
    let notify = notify(header, payload);
    let data = notify.map_or(payload, |n| n.data);
    let to = match notify {
        Some(Notify { group: 0, .. }) => String::from(", unicast"),
        Some(n) => format!(", group {}", n.group),
        None => String::new(),
    };
    writeln!(
        out,
        "{}: type {:#x}{}{to}, seq {}, {} bytes: {}",
        source(from.port, from.group),
        header.ty,
        types::name(header.ty)
            .map(|n| format!(" {n}"))
            .unwrap_or_default(),
        header.seq,
        data.len(),
        payload_text(data)
    )
}

/// A message as JSON; `kind` is "reply" for answers to our requests,
/// "message" for what arrives unasked.
fn message_json(kind: &str, from: Origin, header: &Header, payload: &[u8]) -> Object {
    let notify = notify(header, payload);
    let data = notify.map_or(payload, |n| n.data);
    let o = Object::new()
        .str("kind", kind)
        .uint("from_port", from.port.into())
        .opt_uint("group", from.group.map(u64::from))
        .uint("type", header.ty.into());
    let o = match types::name(header.ty) {
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

    /// Prints `event`, and flushes it so that a reader sees it at once.
    pub fn emit(&self, event: &Event<'_>) -> Result<()> {
        let mut text = String::new();
        if !self.json {
            event.text(&mut text);
        } else if let Some(object) = event.json() {
            text = object.finish();
            text.push('\n');
        }
        if text.is_empty() {
            return Ok(());
        }
        let mut stdout = io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing to stdout")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(event: Event<'_>) -> String {
        let mut out = String::new();
        event.text(&mut out);
        out
    }

    fn json(event: Event<'_>) -> Option<String> {
        event.json().map(Object::finish)
    }

    const ECHO: Header = Header {
        len: 21,
        ty: wire::NLECHO_CMD_ECHO,
        flags: 0,
        seq: 1,
        pid: 0,
    };

    #[test]
    fn messages_name_their_type_and_escape_or_hex_their_payload() {
        let reply = Event::Reply {
            header: &ECHO,
            payload: b"Hello",
        };
        assert_eq!(
            text(reply),
            "kernel: type 0x10 ECHO, seq 1, 5 bytes: \"Hello\"\n"
        );
        assert_eq!(
            json(reply).unwrap(),
            r#"{"kind":"reply","from_port":0,"group":null,"type":16,"type_name":"ECHO","flags":0,"seq":1,"len":5,"payload":"Hello"}"#
        );
        let unnamed = Header { ty: 0x30, ..ECHO };
        let message = Event::Message {
            from: Origin {
                port: 7,
                group: Some(3),
            },
            header: &unnamed,
            payload: &[0xff, 0],
        };
        assert_eq!(
            text(message),
            "port 7 group 3: type 0x30, seq 1, 2 bytes: hex ff00\n"
        );
        assert_eq!(
            json(message).unwrap(),
            r#"{"kind":"message","from_port":7,"group":3,"type":48,"flags":0,"seq":1,"len":2,"payload_hex":"ff00"}"#
        );
    }

    #[test]
    fn hello_prints_both_lines_as_text_and_only_the_reply_as_json() {
        let sent = Event::HelloSent {
            port: 106,
            protocol: 30,
            payload: b"Hello",
        };
        assert_eq!(
            text(sent),
            "sent     \"Hello\" (5 bytes) from port 106 to the kernel on netlink protocol 30\n"
        );
        assert_eq!(json(sent), None);
        let echo = Event::HelloEcho {
            header: &ECHO,
            payload: b"Hello",
        };
        assert_eq!(
            text(echo),
            "received \"Hello\" (5 bytes, type 0x10, seq 1) from the kernel\n"
        );
        let reply = Event::Reply {
            header: &ECHO,
            payload: b"Hello",
        };
        assert_eq!(json(echo), json(reply));
    }

    #[test]
    fn stats_are_a_line_per_counter_or_one_object() {
        let stats = Stats {
            received: 1,
            bytes: 7,
            zero_copy: 1,
            ..Stats::default()
        };
        assert_eq!(
            text(Event::Stats(&stats)),
            "received 1\nechoed 0\nbroadcast 0\ndropped 0\nmalformed 0\nerrors 0\nbytes 7\nzero_copy 1\n"
        );
        assert_eq!(
            json(Event::Stats(&stats)).unwrap(),
            r#"{"kind":"stats","received":1,"echoed":0,"broadcast":0,"dropped":0,"malformed":0,"errors":0,"bytes":7,"zero_copy":1}"#
        );
        assert_eq!(text(Event::Reset), "counters reset\n");
        assert_eq!(json(Event::Reset).unwrap(), r#"{"kind":"reset"}"#);
    }

    #[test]
    fn acks_broadcasts_groups_and_sends_have_one_line_each() {
        let ack = Event::Ack { seq: 4, error: 0 };
        assert_eq!(text(ack), "kernel: ack, seq 4\n");
        assert_eq!(
            json(ack).unwrap(),
            r#"{"kind":"ack","from_port":0,"seq":4,"error":0}"#
        );
        let broadcast = Event::Broadcast {
            group: 5,
            len: 3,
            seq: 1,
            error: 0,
        };
        assert_eq!(
            text(broadcast),
            "broadcast 3 bytes to group 5: acknowledged, seq 1\n"
        );
        assert_eq!(
            json(broadcast).unwrap(),
            r#"{"kind":"broadcast","group":5,"len":3,"seq":1,"error":0}"#
        );
        let info = GroupInfo {
            group: 2,
            listeners: true,
            sent: 9,
            dropped: 1,
        };
        assert_eq!(
            text(Event::Group(&info)),
            "group 2: has listeners, sent 9, dropped 1\n"
        );
        assert_eq!(
            json(Event::Group(&info)).unwrap(),
            r#"{"kind":"group","group":2,"listeners":true,"sent":9,"dropped":1}"#
        );
        let sent = Event::Sent {
            from_port: 4001,
            to: Dest::Group(7),
            seq: 2,
            len: 5,
        };
        assert_eq!(
            text(sent),
            "sent 5 bytes from port 4001 to group 7, seq 2\n"
        );
        assert_eq!(
            json(sent).unwrap(),
            r#"{"kind":"sent","from_port":4001,"to_port":null,"group":7,"seq":2,"len":5}"#
        );
    }
}
