//! AFL++ target for `module/wire.rs`. The input is one datagram, as the
//! module's input callback gets it from any local process. It goes through
//! every parser the module runs on it, in the module's order
//! (`module/service.rs`), and the invariants the module relies on are
//! asserted, so that a logic error crashes the target as a panic does.
//! The userspace parsers of replies, also in `wire.rs`, come last.

// The harness drives the parsers and writers; the constants and types it
// has no use for are there for the module and the library.
#[allow(dead_code)]
#[path = "../../module/wire.rs"]
mod wire;

use std::ptr;
use wire::*;

fn main() {
    afl::fuzz!(|data: &[u8]| datagram(data));
}

/// `Service::input`: walk the messages; stop at the first malformed one.
fn datagram(buf: &[u8]) {
    let mut msgs = Messages::new(buf);
    // Where the next message must start.
    let mut next = 0;
    let mut steps = 0;
    while let Some(item) = msgs.next() {
        // Each step takes a whole header or ends the walk: an endless walk
        // fails here rather than as a hang.
        steps += 1;
        assert!(steps <= buf.len() / NLMSG_HDRLEN + 1, "message walk stalls");
        match item {
            Ok(msg) => {
                assert_eq!(msg.offset, next, "message skipped or overlapped");
                message(buf, &msg);
                next = msg.offset + align(msg.header.len as usize);
            }
            Err(e) => {
                malformed(&buf[next..], e);
                assert!(
                    msgs.next().is_none(),
                    "walk goes on past a malformed message"
                );
                return;
            }
        }
    }
    // A clean walk covers the datagram; only the last padding may be missing.
    assert!(
        next >= buf.len() && next - buf.len() < NLMSG_ALIGNTO,
        "bytes left unwalked"
    );
    assert!(msgs.next().is_none(), "walk restarts");
}

/// The error really describes the bytes at the failed offset.
fn malformed(rest: &[u8], e: Malformed) {
    match e {
        Malformed::Truncated { avail } => {
            assert!(avail == rest.len() && avail < NLMSG_HDRLEN, "{e:?}")
        }
        Malformed::LengthTooSmall { len } => {
            assert!((len as usize) < NLMSG_HDRLEN, "{e:?}");
            assert_eq!(Header::parse(rest).map(|h| h.len), Some(len));
        }
        Malformed::LengthPastEnd { len, avail } => {
            assert!(avail == rest.len() && len as usize > avail, "{e:?}")
        }
    }
}

/// One well-formed message: `handle()` and `command()`.
fn message(buf: &[u8], msg: &Message<'_>) {
    let (at, len) = (msg.offset, msg.header.len as usize);
    // What `Request::message_at` checks before `netlink_ack()` reads the
    // message: acking a message the walk yielded must never fail.
    assert!(at % NLMSG_ALIGNTO == 0 && len >= NLMSG_HDRLEN && len <= buf.len() - at);
    assert_eq!(Header::parse(&buf[at..]), Some(msg.header));
    assert_eq!(msg.header.to_bytes(), buf[at..at + NLMSG_HDRLEN]);
    // The payload is the message's body, borrowed, not a copy or more.
    assert!(ptr::eq(msg.payload, &buf[at + NLMSG_HDRLEN..at + len]));

    let walk = attrs(msg.payload, 0);
    let h = msg.header;
    if h.is_command()
        && msg.payload.len() <= MAX_PAYLOAD
        && !(h.is_dump() && h.ty != NLECHO_CMD_GET_GROUP)
    {
        match h.ty {
            NLECHO_CMD_BROADCAST => policy(&POLICY_BROADCAST, msg.payload, &walk),
            NLECHO_CMD_STATS | NLECHO_CMD_RESET_STATS => policy(&POLICY_NONE, msg.payload, &walk),
            NLECHO_CMD_GET_GROUP if h.is_dump() => policy(&POLICY_NONE, msg.payload, &walk),
            NLECHO_CMD_GET_GROUP => policy(&POLICY_GET_GROUP, msg.payload, &walk),
            // Echoes send the payload back unparsed.
            NLECHO_CLASSIC | NLECHO_CMD_ECHO => echo(h, msg.payload),
            // Unknown types are refused unread.
            _ => {}
        }
    }
    replies(msg.payload, &walk);
}

/// The echo reply: `put()` frames the payload back, and the walk reads
/// exactly that message back.
fn echo(mut h: Header, payload: &[u8]) {
    let mut out = vec![0xa5; msg_space(payload.len())];
    assert_eq!(put(&mut out, h, payload), Ok(out.len()));
    h.len = (NLMSG_HDRLEN + payload.len()) as u32;
    let mut back = Messages::new(&out);
    let msg = back
        .next()
        .and_then(Result::ok)
        .expect("echo reply unreadable");
    assert_eq!((msg.header, msg.payload, msg.offset), (h, payload, 0));
    assert!(back.next().is_none(), "echo reply is more than one message");
    assert!(
        out[NLMSG_HDRLEN + payload.len()..].iter().all(|&b| b == 0),
        "padding not zeroed"
    );
}

/// An attribute walk: the well-formed attributes with their offsets, then
/// the malformed one that ended it, if any.
struct Walk<'a> {
    attrs: Vec<(usize, Attr<'a>)>,
    bad: Option<BadAttr>,
}

/// `Attrs` over `buf`, checked step by step; nested values are walked too,
/// a few levels deep, as `Attr::attrs` would.
fn attrs(buf: &[u8], depth: u32) -> Walk<'_> {
    let mut it = Attrs::new(buf);
    let mut walk = Walk {
        attrs: Vec::new(),
        bad: None,
    };
    let mut next = 0;
    while let Some(item) = it.next() {
        assert!(
            walk.attrs.len() <= buf.len() / NLA_HDRLEN,
            "attribute walk stalls"
        );
        let attr = match item {
            Ok(attr) => attr,
            Err(bad) => {
                assert_eq!(bad.offset, next, "error reported at the wrong offset");
                // Really malformed: no room for a header, or nla_len below
                // it or past the container.
                let rest = &buf[next..];
                let nla_len = rest
                    .get(..2)
                    .map_or(0, |b| usize::from(u16::from_ne_bytes([b[0], b[1]])));
                assert!(rest.len() < NLA_HDRLEN || !(NLA_HDRLEN..=rest.len()).contains(&nla_len));
                assert!(
                    it.next().is_none(),
                    "walk goes on past a malformed attribute"
                );
                walk.bad = Some(bad);
                return walk;
            }
        };
        let at = it.last_offset();
        assert_eq!(at, next, "attribute skipped or overlapped");
        let nla_len = usize::from(u16::from_ne_bytes([buf[at], buf[at + 1]]));
        let raw_ty = u16::from_ne_bytes([buf[at + 2], buf[at + 3]]);
        assert!(ptr::eq(attr.value, &buf[at + NLA_HDRLEN..at + nla_len]));
        assert_eq!(
            (attr.ty, attr.nested),
            (raw_ty & NLA_TYPE_MASK, raw_ty & NLA_F_NESTED != 0)
        );
        assert_eq!(attr.u32().is_some(), attr.value.len() == 4);
        assert_eq!(attr.u64().is_some(), attr.value.len() == 8);
        if attr.nested && depth < 4 {
            attrs(attr.value, depth + 1);
        }
        next = at + align(nla_len);
        walk.attrs.push((at, attr));
    }
    assert!(
        next >= buf.len() && next - buf.len() < NLA_HDRLEN,
        "bytes left unwalked"
    );
    walk
}

/// `Policy::check`, lax and strict (`NETLINK_GET_STRICT_CHK`), against the
/// plain walk of the same payload.
fn policy(p: &Policy, payload: &[u8], walk: &Walk<'_>) {
    let lax = p.check(payload, false);
    let strict = p.check(payload, true);
    for result in [&lax, &strict] {
        match result {
            Ok(table) => accepted(p, table, walk),
            Err(inv) => refused(p, payload, inv, walk),
        }
    }
    // Strict checking only refuses more, and what it accepts reads the same.
    if let Ok(s) = &strict {
        let l = lax.as_ref().expect("strict accepts what lax refuses");
        for ty in 0..=NLECHO_A_MAX + 1 {
            assert_eq!(s.get(ty), l.get(ty));
        }
    }
    if ptr::eq(p, &POLICY_BROADCAST) {
        for (strict_chk, result) in [(false, &lax), (true, &strict)] {
            let b = Broadcast::parse(payload, strict_chk);
            match (&b, result) {
                (Ok(b), Ok(t)) => assert_eq!(
                    (Some(b.group), Some(b.data)),
                    (t.u32(NLECHO_A_GROUP), t.bytes(NLECHO_A_DATA))
                ),
                (Err(e), Err(inv)) => assert_eq!(e, inv),
                _ => panic!("Broadcast::parse disagrees with its policy: {b:?}"),
            }
        }
    }
}

/// An accepted payload: every attribute well-formed, the table holds the
/// last attribute of each type the policy names and nothing else.
fn accepted(p: &Policy, table: &Table<'_>, walk: &Walk<'_>) {
    assert!(walk.bad.is_none(), "policy accepts a malformed attribute");
    for ty in (0..=NLECHO_A_MAX + 1).chain([NLA_TYPE_MASK, u16::MAX]) {
        let rule = p.rules.iter().find(|r| r.ty == ty);
        let last = walk.attrs.iter().rev().find(|(_, a)| a.ty == ty).copied();
        assert_eq!(
            table.get(ty),
            last.filter(|_| rule.is_some()),
            "table entry for type {ty}"
        );
        if let Some(rule) = rule {
            assert!(
                !rule.required || table.get(ty).is_some(),
                "required type {ty} missing"
            );
            if let Some((_, attr)) = table.get(ty) {
                assert!(!attr.nested);
                assert!(
                    rule.kind != Kind::U32 || table.u32(ty).is_some(),
                    "type {ty} is not a u32"
                );
            }
        }
    }
}

/// A refused payload: the extended ACK points inside the payload at an
/// attribute, or names a required type that is really missing.
fn refused(p: &Policy, payload: &[u8], inv: &Invalid, walk: &Walk<'_>) {
    match (inv.attr, inv.missing) {
        (Some(at), None) => {
            // `Request::ack` sets `bad_attr` only below the message's end.
            assert!(at < payload.len() && at % NLA_HDRLEN == 0, "{inv:?}");
            let known = walk.attrs.iter().any(|&(a, _)| a == at);
            assert!(
                known || walk.bad.map(|b| b.offset) == Some(at),
                "{inv:?} points at no attribute"
            );
        }
        (None, Some(ty)) => {
            assert!(p.rules.iter().any(|r| r.ty == ty && r.required), "{inv:?}");
            assert!(walk.bad.is_none(), "{inv:?} over a malformed attribute");
            assert!(
                walk.attrs.iter().all(|(_, a)| a.ty != ty),
                "{inv:?} but it is there"
            );
        }
        _ => panic!("refusal with no offset or missing type: {inv:?}"),
    }
}

/// What userspace parses the kernel's replies with; any peer on the
/// socket can send these too. Accepted values survive a round trip.
fn replies(payload: &[u8], walk: &Walk<'_>) {
    match ErrorPayload::parse(payload) {
        Some(e) => assert_eq!(e.to_bytes(), payload[..ERROR_PAYLOAD_LEN]),
        None => assert!(payload.len() < ERROR_PAYLOAD_LEN),
    }
    if let Ok(n) = Notify::parse(payload) {
        let mut out = vec![0; Notify::len(n.data.len())];
        assert_eq!(n.put(&mut out), Ok(out.len()));
        assert_eq!(Notify::parse(&out), Ok(n));
    }
    if let Ok(g) = GroupInfo::parse(payload) {
        assert_eq!(GroupInfo::parse(&g.to_bytes()), Ok(g));
    }
    if let Ok(s) = Stats::parse(payload) {
        assert_eq!(Stats::parse(&s.to_bytes()), Ok(s));
    }
    if walk.bad.is_some() {
        assert!(Notify::parse(payload).is_err() && GroupInfo::parse(payload).is_err());
        assert!(Stats::parse(payload).is_err());
    }
}
