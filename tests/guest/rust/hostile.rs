//! Hostile input against the real module: malformed, random and mutated
//! frames from one and from eight clients, the largest datagram the socket
//! takes, and a client that never reads. Each test checks that the module
//! still answers, that its counters account for exactly what was sent, and
//! that no skb is leaked.
//!
//! Like `kernel.rs` these need nlecho.ko on protocol 30 and run in QEMU
//! (`make test`), one at a time: they compare the module's global counters
//! before and after. Every random choice comes from a fixed seed, printed on
//! failure, so a failing run can be replayed.

use std::os::fd::{AsFd, AsRawFd};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::socket::{getsockopt, recv, setsockopt, sockopt, MsgFlags};
use nlecho::wire::{
    self, Broadcast, Header, Message, Messages, Stats, POLICY_GET_GROUP, POLICY_NONE,
};
use nlecho::{Client, Socket, Transport};

use common::message::message;
use common::rng::Rng;

const TIMEOUT: Duration = Duration::from_secs(5);
const CLIENTS: usize = 8;
/// Random and mutated frames per run, spread over the clients; the debug
/// kernel's lane sets fewer in `NLECHO_RANDOM_FRAMES`, being ~10x slower.
fn random_frames() -> usize {
    std::env::var("NLECHO_RANDOM_FRAMES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}
const SEED: u64 = 0x6e6c_6563_686f_0001;
/// The module parameter that makes every echo a copy: `Y` or `N`.
const COPY_ECHO: &str = "/sys/module/nlecho/parameters/copy_echo";

fn attr(ty: u16, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0; wire::align(wire::NLA_HDRLEN + value.len())];
    wire::put_attr(&mut out, ty, value).unwrap();
    out
}

/// A header claiming `len` bytes followed by `body`, padded or not.
fn raw(len: u32, ty: u16, flags: u16, body: &[u8]) -> Vec<u8> {
    let h = Header {
        len,
        ty,
        flags,
        ..Header::default()
    };
    let mut out = h.to_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

const REQ: u16 = wire::NLM_F_REQUEST;
const DUMP: u16 = wire::NLM_F_REQUEST | wire::NLM_F_DUMP;

/// Every malformed form the issue lists, each as one datagram, most behind
/// a valid message so the valid prefix is seen to be answered; and requests
/// that break the policy, or that only strict checking refuses.
fn malformed_forms() -> Vec<Vec<u8>> {
    let ok = message(wire::NLECHO_CMD_ECHO, REQ, 1, b"prefix");
    let with_prefix = |bad: Vec<u8>| [ok.clone(), bad].concat();
    let group = |g: u32| attr(wire::NLECHO_A_GROUP, &g.to_ne_bytes());
    let data = attr(wire::NLECHO_A_DATA, b"x");
    let bcast =
        |attrs: Vec<u8>| message(wire::NLECHO_CMD_BROADCAST, REQ | wire::NLM_F_ACK, 2, &attrs);
    let mut bad_nla_len = group(1);
    bad_nla_len[0] = 2; // nla_len below its header
    let mut nla_past_end = group(1);
    nla_past_end[0] = 200;
    // A nested attribute whose child runs past its parent.
    let mut child = data.clone();
    child[0] = 64;
    let nested = attr(wire::NLECHO_A_DATA | wire::NLA_F_NESTED, &child);
    vec![
        vec![0u8; 1],
        vec![0u8; 15],
        with_prefix(vec![0x10; 7]),
        with_prefix(raw(0, wire::NLECHO_CMD_ECHO, REQ, &[])),
        with_prefix(raw(15, wire::NLECHO_CMD_ECHO, REQ, &[])),
        with_prefix(raw(1, 0, 0, &[0; 16])),
        with_prefix(raw(64, wire::NLECHO_CMD_ECHO, REQ, &[1; 8])),
        with_prefix(raw(u32::MAX, wire::NLECHO_CMD_ECHO, REQ, &[1; 8])),
        with_prefix(raw(u32::MAX, 0, 0, &[])),
        // Unaligned lengths: valid, the next message starts aligned.
        [
            raw(17, wire::NLECHO_CMD_ECHO, REQ, &[9, 0, 0, 0]),
            ok.clone(),
        ]
        .concat(),
        raw(19, 0, 0, &[1, 2, 3]),
        // Attributes: bad length, past the message, nested past the
        // parent, missing required ones, wrong size, group out of range.
        bcast([bad_nla_len, data.clone()].concat()),
        bcast([data.clone(), nla_past_end].concat()),
        bcast([group(1), nested].concat()),
        bcast(group(1)),
        bcast(data.clone()),
        bcast([attr(wire::NLECHO_A_GROUP, &[1, 0]), data.clone()].concat()),
        bcast([group(0), data.clone()].concat()),
        bcast([group(99), data.clone()].concat()),
        // NLA_F_NESTED on a flat attribute; bytes after the attributes;
        // a duplicate (the last wins); unknown types (refused only when
        // strict).
        bcast(
            [
                attr(
                    wire::NLECHO_A_GROUP | wire::NLA_F_NESTED,
                    &1u32.to_ne_bytes(),
                ),
                data.clone(),
            ]
            .concat(),
        ),
        bcast([group(1), data.clone(), vec![0; 3]].concat()),
        bcast([group(99), group(1), data.clone()].concat()),
        bcast([group(1), attr(77, b"newer"), data.clone()].concat()),
        bcast(
            [
                attr(wire::NLECHO_A_STAT_BYTES, &[0; 8]),
                group(1),
                data.clone(),
            ]
            .concat(),
        ),
        // GET_GROUP: a do, a bad do, a dump, a dump with an attribute.
        message(wire::NLECHO_CMD_GET_GROUP, REQ, 8, &group(1)),
        message(
            wire::NLECHO_CMD_GET_GROUP,
            REQ | wire::NLM_F_ACK,
            9,
            &[group(1), data.clone()].concat(),
        ),
        message(wire::NLECHO_CMD_GET_GROUP, REQ, 10, &group(33)),
        message(wire::NLECHO_CMD_GET_GROUP, REQ, 11, &[]),
        message(
            wire::NLECHO_CMD_GET_GROUP,
            REQ,
            12,
            &attr(wire::NLECHO_A_GROUP, &[1]),
        ),
        message(wire::NLECHO_CMD_GET_GROUP, DUMP | wire::NLM_F_ACK, 13, &[]),
        message(wire::NLECHO_CMD_GET_GROUP, DUMP, 14, &group(1)),
        // STATS with attributes: unknown (strict refuses), malformed.
        message(wire::NLECHO_CMD_STATS, REQ, 15, &attr(77, b"?")),
        message(wire::NLECHO_CMD_STATS, REQ, 16, &[0xff; 5]),
        // Dumps of commands that have none; a NOTIFY sent to the kernel.
        message(wire::NLECHO_CMD_STATS, DUMP, 17, &[]),
        message(wire::NLECHO_CMD_ECHO, DUMP, 18, b"echo"),
        message(wire::NLECHO_CLASSIC, wire::NLM_F_DUMP, 19, b"classic"),
        message(wire::NLECHO_CLASSIC, REQ | wire::NLM_F_ACK, 20, b"libnl"),
        message(
            wire::NLECHO_CMD_NOTIFY,
            REQ,
            21,
            &[group(1), data.clone()].concat(),
        ),
        // Unknown types and flags.
        message(0x7fff, REQ | wire::NLM_F_ACK, 3, b"?"),
        message(0xffff, !wire::NLM_F_ACK, 4, b"?"),
        message(wire::NLMSG_ERROR, REQ | wire::NLM_F_ACK, 5, &[0xff; 20]),
        message(wire::NLMSG_DONE, 0, 6, b""),
        message(wire::NLECHO_CMD_ECHO, 0, 7, b"no NLM_F_REQUEST"),
    ]
}

/// A random datagram: random bytes, or valid frames with bytes flipped,
/// cut or duplicated.
fn random_frame(rng: &mut Rng) -> Vec<u8> {
    let kinds = [
        0,
        wire::NLMSG_DONE,
        wire::NLECHO_CMD_ECHO,
        wire::NLECHO_CMD_BROADCAST,
        wire::NLECHO_CMD_STATS,
        wire::NLECHO_CMD_NOTIFY,
        wire::NLECHO_CMD_GET_GROUP,
        0x2a,
    ];
    match rng.below(4) {
        0 => {
            let n = rng.below(96);
            rng.bytes(n)
        }
        _ => {
            let mut frame = Vec::new();
            for _ in 0..1 + rng.below(4) {
                let ty = kinds[rng.below(kinds.len())];
                // Low flags, and now and then NLM_F_DUMP.
                let flags = (rng.next() as u16) & 0x30f;
                let payload = if ty == wire::NLECHO_CMD_BROADCAST
                    || (ty == wire::NLECHO_CMD_GET_GROUP && rng.below(2) == 0)
                {
                    let n = rng.below(24);
                    let data = rng.bytes(n);
                    let mut out = vec![0; 64];
                    let n = Broadcast {
                        group: 1 + rng.below(40) as u32,
                        data: &data,
                    }
                    .put(&mut out)
                    .unwrap();
                    out.truncate(n);
                    out
                } else {
                    let n = rng.below(48);
                    rng.bytes(n)
                };
                frame.extend(message(ty, flags, rng.next() as u32, &payload));
            }
            for _ in 0..rng.below(4) {
                let at = rng.below(frame.len());
                frame[at] ^= 1 << rng.below(8);
            }
            match rng.below(3) {
                0 => frame.truncate(rng.below(frame.len() + 1)),
                1 => {
                    let at = rng.below(frame.len());
                    frame.extend_from_within(at..);
                }
                _ => {}
            }
            frame
        }
    }
}

/// What the module must count for `frame`, sent by root from a socket
/// with (`strict`) or without `NETLINK_GET_STRICT_CHK`: the model of
/// docs/PROTOCOL.md, over the very parser and policy the module runs.
fn expect(frame: &[u8], strict: bool, acc: &mut Stats) {
    for msg in Messages::new(frame) {
        let Ok(msg) = msg else {
            acc.malformed += 1;
            return;
        };
        acc.received += 1;
        if fails(&msg, strict) {
            acc.errors += 1;
        }
    }
    if answered_without_copying(frame) {
        acc.zero_copy += 1;
    }
}

/// Whether the module answers `frame` with a clone of it rather than a
/// copy, unless `copy_echo=1`: a datagram of exactly one well-formed
/// message, and at most its padding, that is a classic message or an ECHO
/// request without `NLM_F_ACK`, not a dump, with a payload it may echo.
fn answered_without_copying(frame: &[u8]) -> bool {
    let mut messages = Messages::new(frame);
    let (Some(Ok(msg)), None) = (messages.next(), messages.next()) else {
        return false;
    };
    let h = msg.header;
    let plain = match h.ty {
        wire::NLECHO_CLASSIC => true,
        wire::NLECHO_CMD_ECHO => h.flags & wire::NLM_F_ACK == 0,
        _ => false,
    };
    plain && h.is_command() && !h.is_dump() && msg.payload.len() <= wire::MAX_PAYLOAD
}

/// Whether the module answers `msg` with a negative error.
fn fails(msg: &Message<'_>, strict: bool) -> bool {
    let h = msg.header;
    let payload = msg.payload;
    let in_range = |g: Option<u32>| g.is_some_and(|g| (1..=wire::DEFAULT_GROUPS).contains(&g));
    if !h.is_command() {
        // Control types and commands without NLM_F_REQUEST are skipped.
        return false;
    }
    if payload.len() > wire::MAX_PAYLOAD {
        return true; // EMSGSIZE
    }
    if h.is_dump() && h.ty != wire::NLECHO_CMD_GET_GROUP {
        return true; // EOPNOTSUPP: no dump
    }
    match h.ty {
        wire::NLECHO_CLASSIC | wire::NLECHO_CMD_ECHO => false,
        wire::NLECHO_CMD_BROADCAST => {
            !in_range(Broadcast::parse(payload, strict).ok().map(|b| b.group))
        }
        wire::NLECHO_CMD_STATS | wire::NLECHO_CMD_RESET_STATS => {
            POLICY_NONE.check(payload, strict).is_err()
        }
        wire::NLECHO_CMD_GET_GROUP if h.is_dump() => POLICY_NONE.check(payload, strict).is_err(),
        wire::NLECHO_CMD_GET_GROUP => !in_range(
            POLICY_GET_GROUP
                .check(payload, strict)
                .ok()
                .and_then(|t| t.u32(wire::NLECHO_A_GROUP)),
        ),
        // NOTIFY goes from the kernel only; other types are unknown.
        _ => true,
    }
}

/// RESET_STATS would zero the counters this file compares, so any request
/// for it is turned into an unknown command (still an error to count). So
/// is a GET_GROUP dump among random frames: a second dump on a socket whose
/// first is still running gets `EBUSY` or not depending on when replies are
/// read, which no model can tell; the malformed forms have dumps of their
/// own, each answered before the next.
fn defuse(frame: &mut [u8]) {
    let offsets: Vec<_> = Messages::new(frame)
        .filter_map(Result::ok)
        .filter(|m| {
            m.header.ty == wire::NLECHO_CMD_RESET_STATS
                || (m.header.ty == wire::NLECHO_CMD_GET_GROUP && m.header.is_dump())
        })
        .map(|m| m.offset)
        .collect();
    for at in offsets {
        frame[at + 4..at + 6].copy_from_slice(&0x2au16.to_ne_bytes());
    }
}

fn stats(client: &mut Client) -> Stats {
    let reply = client
        .request(wire::NLECHO_CMD_STATS, REQ, &[])
        .expect("STATS answered");
    Stats::parse(&reply.payload).expect("a well-formed STATS reply")
}

/// Counter changes between two STATS replies, minus the second request.
fn delta(before: &Stats, after: &Stats) -> Stats {
    let mut moved = after.zip_with(before, |a, b| a - b);
    moved.received -= 1;
    moved
}

/// Whether the module copies every echo (`copy_echo=1`).
fn copy_echo() -> bool {
    let value = std::fs::read_to_string(COPY_ECHO).expect("nlecho's copy_echo parameter");
    matches!(value.trim(), "Y" | "1")
}

const SKB_CACHES: [&str; 2] = ["skbuff_head_cache", "skbuff_small_head"];

/// Active objects of the skb slab caches.
fn skbs_in_use() -> u64 {
    let slabinfo = std::fs::read_to_string("/proc/slabinfo").expect("/proc/slabinfo (root)");
    slabinfo
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(name, _)| SKB_CACHES.contains(name))
        .map(|(_, rest)| {
            rest.split_whitespace()
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

/// Waits for in-flight skbs to be freed (RCU), flushes the per-CPU slabs
/// (which count free objects as active), then reads the count.
fn settled_skbs() -> u64 {
    thread::sleep(Duration::from_millis(300));
    for cache in SKB_CACHES {
        // Best effort: without SLUB's sysfs the tolerance has to absorb it.
        let _ = std::fs::write(format!("/sys/kernel/slab/{cache}/shrink"), "1");
    }
    skbs_in_use()
}

/// How far the skb slabs may move between two idle points: the kernel's
/// own traffic, not a per-message leak (the runs send 10^4-10^5 messages).
const SLAB_TOLERANCE: u64 = 64;

fn open() -> Socket {
    let mut sock =
        Socket::open(wire::NETLINK_NLECHO).expect("nlecho.ko must be loaded on protocol 30");
    sock.bind(0, 0).unwrap();
    sock.set_timeout(TIMEOUT);
    sock
}

/// A socket that asked for strict checking (`NETLINK_GET_STRICT_CHK`).
fn open_strict() -> Socket {
    let sock = open();
    sock.set_strict_check(true).unwrap();
    sock
}

/// Empties a socket's receive queue without waiting.
fn drain(sock: &Socket) {
    let mut buf = vec![0; wire::MAX_MSG_LEN];
    while recv(sock.as_fd().as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT).is_ok() {}
}

/// Sends `frames` from `sock`, draining replies as it goes, and returns
/// the counts the module must show for them. Replies are drained often
/// enough that the queue never fills, so a dump always starts.
fn send_all(sock: &Socket, frames: &[Vec<u8>]) -> Stats {
    let strict = sock.strict_check().unwrap();
    let mut acc = Stats::default();
    for (i, frame) in frames.iter().enumerate() {
        expect(frame, strict, &mut acc);
        sock.send_to(frame, 0).unwrap_or_else(|e| {
            panic!("frame {i} ({} bytes) refused by sendmsg: {e}", frame.len())
        });
        if i % 16 == 15 {
            drain(sock);
        }
    }
    drain(sock);
    acc
}

fn sum(parts: impl IntoIterator<Item = Stats>) -> Stats {
    parts.into_iter().fold(Stats::default(), |a, b| Stats {
        received: a.received + b.received,
        malformed: a.malformed + b.malformed,
        errors: a.errors + b.errors,
        zero_copy: a.zero_copy + b.zero_copy,
        ..Stats::default()
    })
}

/// Runs `frames_for(client)` from CLIENTS concurrent sockets.
fn concurrently(frames_for: impl Fn(usize) -> Vec<Vec<u8>> + Sync) -> Stats {
    thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let frames = &frames_for;
                s.spawn(move || send_all(&open(), &frames(c)))
            })
            .collect();
        sum(handles
            .into_iter()
            .map(|h| h.join().expect("client thread")))
    })
}

fn assert_accounted(label: &str, expected: Stats, got: Stats) {
    assert_eq!(
        (got.received, got.malformed, got.errors),
        (expected.received, expected.malformed, expected.errors),
        "{label}: (received, malformed, errors) counted vs sent (seed {SEED:#x})"
    );
    // Zero-copy echoes are echoes the sender's socket took; only datagrams
    // of one plain echo take that path, and, unless a reply was dropped,
    // every one of them does.
    assert!(
        got.zero_copy <= got.echoed,
        "{label}: zero_copy {} above echoed {}",
        got.zero_copy,
        got.echoed
    );
    if copy_echo() {
        assert_eq!(got.zero_copy, 0, "{label}: copy_echo=1 copies every echo");
    } else if got.dropped == 0 {
        assert_eq!(
            got.zero_copy, expected.zero_copy,
            "{label}: zero-copy echoes counted vs datagrams of one plain echo sent (seed {SEED:#x})"
        );
    } else {
        assert!(
            got.zero_copy <= expected.zero_copy,
            "{label}: zero_copy {} above the {} datagrams of one plain echo sent (seed {SEED:#x})",
            got.zero_copy,
            expected.zero_copy
        );
    }
}

fn assert_still_echoes(client: &mut Client) {
    for len in [0, 1, 1000, wire::MAX_PAYLOAD] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let reply = client
            .request(wire::NLECHO_CMD_ECHO, REQ, &payload)
            .expect("the module still echoes");
        assert_eq!(reply.payload, payload);
    }
}

/// Runs one hostile scenario between two STATS snapshots, checks the
/// module's accounting, its health and the skb slabs, and returns what the
/// counters moved by.
fn scenario(label: &str, run: impl FnOnce() -> Stats) -> Stats {
    let mut client = Client::connect(wire::NETLINK_NLECHO, TIMEOUT).expect("nlecho.ko loaded");
    let skbs_before = settled_skbs();
    let before = stats(&mut client);
    let expected = run();
    let after = stats(&mut client);
    let moved = delta(&before, &after);
    assert_accounted(label, expected, moved);
    assert_still_echoes(&mut client);
    let skbs_after = settled_skbs();
    println!(
        "{label}: received={} malformed={} errors={} zero_copy={} skbs {skbs_before} -> {skbs_after}",
        expected.received, expected.malformed, expected.errors, moved.zero_copy
    );
    assert!(
        skbs_after <= skbs_before + SLAB_TOLERANCE,
        "{label}: skb slabs grew from {skbs_before} to {skbs_after} objects"
    );
    moved
}

#[test]
fn malformed_forms_from_one_client() {
    scenario("malformed forms, 1 client", || {
        send_all(&open(), &malformed_forms())
    });
}

#[test]
fn malformed_forms_from_one_strict_client() {
    let forms = malformed_forms();
    let mut lenient = Stats::default();
    for f in &forms {
        expect(f, false, &mut lenient);
    }
    let strict = scenario("malformed forms, 1 strict client", || {
        send_all(&open_strict(), &forms)
    });
    // The forms must hold some that only strict checking refuses.
    assert!(
        strict.errors > lenient.errors,
        "strict {} vs lenient {} errors",
        strict.errors,
        lenient.errors
    );
}

#[test]
fn malformed_forms_from_eight_clients() {
    scenario("malformed forms, 8 clients x 50", || {
        concurrently(|_| (0..50).flat_map(|_| malformed_forms()).collect())
    });
}

#[test]
fn random_and_mutated_frames_from_eight_clients() {
    let frames = random_frames();
    let label = format!("{frames} random frames, {CLIENTS} clients");
    scenario(&label, || {
        concurrently(|c| {
            let mut rng = Rng::new(SEED ^ c as u64);
            (0..frames / CLIENTS)
                .map(|_| {
                    let mut f = random_frame(&mut rng);
                    defuse(&mut f);
                    f
                })
                .filter(|f| !f.is_empty())
                .collect()
        })
    });
}

#[test]
fn largest_datagram_the_socket_accepts() {
    scenario("largest datagram", || {
        let sock = open();
        let wmem_max: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_max")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        setsockopt(&sock, sockopt::SndBuf, &wmem_max).unwrap();
        // netlink_sendmsg() refuses datagrams above sk_sndbuf - 32.
        let largest = getsockopt(&sock, sockopt::SndBuf).unwrap() - 32;
        // One message claiming all of it (too large: EMSGSIZE), and as many
        // 1 KiB echoes as fit.
        let whole = raw(
            largest as u32,
            wire::NLECHO_CMD_ECHO,
            REQ,
            &vec![7; largest - 16],
        );
        let echo = message(wire::NLECHO_CMD_ECHO, REQ, 9, &[5; 1008]);
        let mut many: Vec<u8> = echo.repeat(largest / echo.len());
        many.resize(largest, 0);
        let too_big = vec![0u8; largest + 1];
        match sock.send_to(&too_big, 0) {
            Err(nlecho::Error::Sys { errno, .. }) => assert_eq!(errno, nix::errno::Errno::EMSGSIZE),
            other => panic!("a datagram above sk_sndbuf - 32 must be refused, got {other:?}"),
        }
        send_all(&sock, &[whole, many])
    });
}

#[test]
fn a_client_that_never_reads_does_not_stall_the_module() {
    let sent = 2000;
    let moved = scenario("never-reading client", || {
        let mut other = Client::connect(wire::NETLINK_NLECHO, TIMEOUT).unwrap();
        let hog = open();
        let echo = message(wire::NLECHO_CMD_ECHO, REQ, 1, &[3; 4096]);
        let started = Instant::now();
        for _ in 0..sent {
            // Would block (or time out) if the module waited for the reader.
            hog.send_to(&echo, 0)
                .expect("sendmsg never waits for the reply queue");
        }
        println!(
            "never-reading client: {sent} x 4 KiB echoes sent in {:?}",
            started.elapsed()
        );
        // Other clients are served while the hog's queue is full.
        assert_still_echoes(&mut other);
        let mut acc = Stats::default();
        for _ in 0..sent {
            expect(&echo, false, &mut acc);
        }
        // assert_still_echoes: four ECHO requests, one per datagram.
        acc.received += 4;
        acc.zero_copy += 4;
        acc
    });
    assert!(
        moved.dropped > 0,
        "replies the hog never read are counted as dropped"
    );
    assert_eq!(
        moved.echoed + moved.dropped,
        sent + 4,
        "every echo is either delivered or dropped"
    );
    if !copy_echo() {
        assert_eq!(
            moved.zero_copy, moved.echoed,
            "every echo was one per datagram: each delivered one went without copying"
        );
    }
}
