//! Tests against the real module. They need nlecho.ko loaded on protocol 30
//! and root, so they are ignored on the host; `make test` runs them in the
//! QEMU guest with `--ignored`.
//!
//! Tests run in parallel threads. Those that need the module's counters to
//! themselves take [`exclusive`]; every other test holds [`shared`] while
//! it runs. Each multicast test uses a group of its own.

use std::fs::File;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use nix::errno::Errno;
use nlecho::ack;
use nlecho::attr::AttrWriter;
use nlecho::frame::{self, Batch};
use nlecho::pcap::{PcapReader, PcapWriter};
use nlecho::wire::{self, ErrorPayload, Header, Messages};
use nlecho::{Client, Direction, Error, Socket};

#[path = "common/message.rs"]
mod message;
use message::message;
#[path = "common/silence.rs"]
mod silence;
use silence::assert_silent;

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for something that must not arrive.
const SILENCE: Duration = Duration::from_millis(300);

static MODULE: RwLock<()> = RwLock::new(());

/// Lets other [`shared`] tests run alongside.
fn shared() -> RwLockReadGuard<'static, ()> {
    MODULE.read().unwrap_or_else(|e| e.into_inner())
}

/// Runs alone among this file's tests: for exact counter checks.
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    MODULE.write().unwrap_or_else(|e| e.into_inner())
}

fn client() -> Client {
    Client::connect(wire::NETLINK_NLECHO, TIMEOUT).expect("nlecho.ko must be loaded on protocol 30")
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + len) as u8).collect()
}

/// Receives one datagram and returns its messages.
fn recv_all(sock: &Socket) -> nlecho::Result<Vec<(Header, Vec<u8>)>> {
    let mut buf = vec![0; wire::MAX_MSG_LEN];
    let got = sock.recv(&mut buf)?;
    assert_eq!(got.from_port, 0, "replies come from the kernel");
    Ok(Messages::new(&buf[..got.len])
        .map(|m| {
            let m = m.expect("the kernel sends well-formed messages");
            (m.header, m.payload.to_vec())
        })
        .collect())
}

fn raw_socket(port: u32) -> Socket {
    let mut sock = Socket::open(wire::NETLINK_NLECHO).unwrap();
    sock.bind(port, 0).unwrap();
    sock.set_timeout(TIMEOUT).unwrap();
    sock
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn hello_round_trip() {
    let _shared = shared();
    let mut c = client();
    let reply = c
        .request(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, b"Hello")
        .unwrap();
    assert_eq!(reply.payload, b"Hello");
    assert_eq!(reply.header.ty, wire::NLECHO_CMD_ECHO);
    assert_eq!(reply.header.len, 21);
    assert_eq!(reply.header.pid, 0, "the kernel's port is 0");
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn echoes_every_payload_size_up_to_the_maximum() {
    let _shared = shared();
    let mut c = client();
    let mut sizes = vec![
        0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 255, 256, 1023, 1024, 1025,
    ];
    sizes.extend([4095, 4096, 4097, 8192, 16384, 32768, 65000]);
    sizes.extend([wire::MAX_PAYLOAD - 1, wire::MAX_PAYLOAD]);
    for size in sizes {
        let payload = pattern(size);
        let reply = c
            .request(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, &payload)
            .unwrap();
        assert_eq!(
            reply.payload.len(),
            size,
            "length of the echo of {size} bytes"
        );
        assert!(
            reply.payload == payload,
            "content of the echo of {size} bytes"
        );
        assert_eq!(reply.header.len as usize, wire::NLMSG_HDRLEN + size);
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn classic_type_zero_is_answered_with_done() {
    let _shared = shared();
    let mut c = client();
    let reply = c
        .request(wire::NLECHO_CLASSIC, 0, b"Hello kernel\0")
        .unwrap();
    assert_eq!(reply.header.ty, wire::NLMSG_DONE);
    assert_eq!(reply.payload, b"Hello kernel\0");
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn sequence_numbers_are_echoed() {
    let _shared = shared();
    let sock = raw_socket(0);
    for seq in [0, 1, 0xdead_beef, u32::MAX] {
        sock.send_to(
            &message(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, seq, b"x"),
            0,
        )
        .unwrap();
        let got = recv_all(&sock).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.seq, seq);
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn several_messages_in_one_sendmsg_are_answered_in_order() {
    let _shared = shared();
    let sock = raw_socket(0);
    let mut dgram = Vec::new();
    let count = 16u32;
    for seq in 0..count {
        let ty = if seq % 2 == 0 {
            wire::NLECHO_CMD_ECHO
        } else {
            wire::NLECHO_CLASSIC
        };
        dgram.extend(message(
            ty,
            wire::NLM_F_REQUEST,
            100 + seq,
            &pattern(seq as usize * 3),
        ));
    }
    sock.send_to(&dgram, 0).unwrap();
    for seq in 0..count {
        let got = recv_all(&sock).unwrap();
        assert_eq!(got.len(), 1, "one reply per datagram");
        let (h, payload) = &got[0];
        assert_eq!(h.seq, 100 + seq, "replies come in request order");
        let want_ty = if seq % 2 == 0 {
            wire::NLECHO_CMD_ECHO
        } else {
            wire::NLMSG_DONE
        };
        assert_eq!(h.ty, want_ty);
        assert_eq!(payload, &pattern(seq as usize * 3));
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn ack_flag_gets_an_ack_after_the_echo() {
    let _shared = shared();
    let sock = raw_socket(0);
    let flags = wire::NLM_F_REQUEST | wire::NLM_F_ACK;
    sock.send_to(&message(wire::NLECHO_CMD_ECHO, flags, 9, b"ack me"), 0)
        .unwrap();
    let echo = recv_all(&sock).unwrap();
    assert_eq!((echo[0].0.ty, echo[0].0.seq), (wire::NLECHO_CMD_ECHO, 9));
    let ack = recv_all(&sock).unwrap();
    assert_eq!((ack[0].0.ty, ack[0].0.seq), (wire::NLMSG_ERROR, 9));
    let err = ErrorPayload::parse(&ack[0].1).unwrap();
    assert_eq!(err.error, 0);
    assert_eq!(err.request.ty, wire::NLECHO_CMD_ECHO);
    assert_eq!(err.request.flags, flags);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn unknown_type_gets_eopnotsupp() {
    let _shared = shared();
    let mut c = client();
    match c.request(0x7777, wire::NLM_F_REQUEST, b"?") {
        Err(Error::Kernel { errno, .. }) => assert_eq!(errno, Errno::EOPNOTSUPP),
        other => panic!("expected EOPNOTSUPP, got {other:?}"),
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn oversized_request_gets_emsgsize_and_only_the_header_back() {
    // Exclusive: a RESET_STATS that got through would zero shared counters.
    let _exclusive = exclusive();
    let sock = raw_socket(0);
    let payload = pattern(wire::MAX_PAYLOAD + 1);
    let commands = [
        (wire::NLECHO_CLASSIC, 0),
        (wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_BROADCAST, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_STATS, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_RESET_STATS, wire::NLM_F_REQUEST),
    ];
    for (seq, (ty, flags)) in (77..).zip(commands) {
        let mut dgram = vec![0; wire::msg_space(payload.len())];
        dgram[..16].copy_from_slice(
            &Header {
                len: (16 + payload.len()) as u32,
                ty,
                flags,
                seq,
                pid: 0,
            }
            .to_bytes(),
        );
        dgram[16..16 + payload.len()].copy_from_slice(&payload);
        sock.send_to(&dgram, 0).unwrap();
        let got = recv_all(&sock).unwrap();
        assert_eq!(got.len(), 1, "type {ty:#x}: only the error comes back");
        let (h, body) = &got[0];
        assert_eq!((h.ty, h.seq), (wire::NLMSG_ERROR, seq), "type {ty:#x}");
        assert_eq!(h.flags & wire::NLM_F_CAPPED, wire::NLM_F_CAPPED);
        assert_eq!(
            body.len(),
            wire::ERROR_PAYLOAD_LEN,
            "the error carries the header only"
        );
        let err = ErrorPayload::parse(body).unwrap();
        assert_eq!(err.error, -(Errno::EMSGSIZE as i32), "type {ty:#x}");
        assert_eq!(err.request.seq, seq);
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn replies_go_to_the_sending_socket_not_to_nlmsg_pid() {
    let _shared = shared();
    let victim = {
        let mut s = raw_socket(0);
        s.set_timeout(SILENCE).unwrap();
        s
    };
    let victim_port = victim.port().unwrap();
    let sender = raw_socket(0);
    let mut dgram = message(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, 5, b"spoof");
    dgram[12..16].copy_from_slice(&victim_port.to_ne_bytes());
    sender.send_to(&dgram, 0).unwrap();
    let got = recv_all(&sender).unwrap();
    assert_eq!(got[0].1, b"spoof");
    let mut victim = victim;
    assert_silent(&mut victim, SILENCE);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn fixed_port_binding_works_like_classic_clients() {
    let _shared = shared();
    let sock = raw_socket(4242);
    assert_eq!(sock.port().unwrap(), 4242);
    sock.send_to(&message(0, 0, 0, b"fixed"), 0).unwrap();
    let got = recv_all(&sock).unwrap();
    assert_eq!(
        (got[0].0.ty, got[0].1.as_slice()),
        (wire::NLMSG_DONE, &b"fixed"[..])
    );
}

/// Malformed datagrams are dropped silently; the well-formed messages before
/// the first bad one are still answered. Prints how many malformed datagrams
/// it sent, for the suite to compare with the module's counter.
#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn malformed_datagrams_are_dropped_after_their_valid_prefix() {
    let _shared = shared();
    let mut sock = raw_socket(0);
    let header = |len: u32| {
        Header {
            len,
            ..Header::default()
        }
        .to_bytes()
        .to_vec()
    };
    let mut prefixed = message(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, 1, b"before");
    prefixed.extend(header(u32::MAX));
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("7 bytes", vec![7; 7], 0),
        ("nlmsg_len 0", header(0), 0),
        ("nlmsg_len 8", header(8), 0),
        ("nlmsg_len past the end", header(64), 0),
        ("valid message then nlmsg_len 0xffffffff", prefixed, 1),
    ];
    for (i, (what, dgram, answered)) in cases.iter().enumerate() {
        sock.send_to(dgram, 0).unwrap();
        for _ in 0..*answered {
            let got = recv_all(&sock).unwrap();
            assert_eq!(got[0].1, b"before", "{what}: the valid prefix is answered");
        }
        assert_silent(&mut sock, SILENCE);
        // The module still answers afterwards.
        let seq = 1000 + i as u32;
        sock.send_to(
            &message(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, seq, b"after"),
            0,
        )
        .unwrap();
        let got = recv_all(&sock).unwrap();
        assert_eq!(
            (got[0].0.seq, got[0].1.as_slice()),
            (seq, &b"after"[..]),
            "{what}"
        );
    }
    println!("NLECHO_MALFORMED_SENT={}", cases.len());
}

const REQ: u16 = wire::NLM_F_REQUEST;

fn kernel_errno(result: nlecho::Result<impl std::fmt::Debug>) -> Errno {
    match result {
        Err(Error::Kernel { errno, .. }) => errno,
        other => panic!("expected an error from the kernel, got {other:?}"),
    }
}

/// A socket bound to a kernel-chosen port, joined to `groups`.
fn listener(groups: &[u32]) -> Socket {
    let sock = raw_socket(0);
    for &g in groups {
        sock.join(g).unwrap();
    }
    sock
}

/// The one message of a received datagram.
fn only_message(data: &[u8]) -> (Header, Vec<u8>) {
    let msgs: Vec<_> = Messages::new(data).map(|m| m.unwrap()).collect();
    assert_eq!(msgs.len(), 1, "one message per datagram");
    (msgs[0].header, msgs[0].payload.to_vec())
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn ack_follows_the_reply_with_error_0_and_the_request_header() {
    let _shared = shared();
    let mut c = client();
    c.set_next_seq(4242);
    let flags = REQ | wire::NLM_F_ACK;
    let ex = c.exchange(wire::NLECHO_CMD_ECHO, flags, b"ack me").unwrap();
    assert_eq!(ex.seq, 4242);
    assert_eq!(ex.replies.len(), 1, "the echo comes before the ACK");
    assert_eq!(ex.replies[0].payload, b"ack me");
    assert_eq!(ex.replies[0].header.seq, 4242);
    let ack = ex.ack.expect("an ACK");
    assert!(ack.is_ack());
    assert!(
        ack.capped,
        "an ACK carries NLM_F_CAPPED, as from netlink_ack()"
    );
    assert_eq!(ack.request.seq, 4242);
    assert_eq!(ack.request.ty, wire::NLECHO_CMD_ECHO);
    assert_eq!(ack.request.flags, flags);
    assert_eq!(ack.request.pid, c.port());
    assert_eq!(ack.request.len as usize, wire::NLMSG_HDRLEN + 6);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn skipped_messages_are_still_acknowledged() {
    let _shared = shared();
    let mut c = client();
    // A control type, and a command without NLM_F_REQUEST: no reply, an ACK.
    for (ty, flags) in [
        (wire::NLMSG_NOOP, REQ | wire::NLM_F_ACK),
        (wire::NLECHO_CMD_ECHO, wire::NLM_F_ACK),
    ] {
        let ex = c.exchange(ty, flags, b"skip").unwrap();
        assert!(ex.replies.is_empty(), "type {ty:#x} flags {flags:#x}");
        assert_eq!(ex.ack.map(|a| a.error), Some(0));
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn unknown_type_gets_eopnotsupp_with_the_capped_request_header() {
    let _shared = shared();
    let mut sock = raw_socket(0);
    let port = sock.port().unwrap();
    let sent = Header {
        len: 0,
        ty: 0x1f,
        flags: REQ | wire::NLM_F_ACK,
        seq: 31,
        pid: port,
    };
    let dgram = frame::encode(sent, b"payload never echoed").unwrap();
    sock.send_to(&dgram, 0).unwrap();
    let got = recv_all(&sock).unwrap();
    assert_eq!(got.len(), 1);
    let (h, body) = &got[0];
    assert_eq!((h.ty, h.seq, h.pid), (wire::NLMSG_ERROR, 31, 0));
    assert_eq!(h.flags & wire::NLM_F_CAPPED, wire::NLM_F_CAPPED);
    assert_eq!(
        body.len(),
        wire::ERROR_PAYLOAD_LEN,
        "header only, no payload"
    );
    let err = ErrorPayload::parse(body).unwrap();
    assert_eq!(err.error, -(Errno::EOPNOTSUPP as i32));
    assert_eq!(
        err.request,
        Header::parse(&dgram).unwrap(),
        "the request's header, exactly as sent"
    );
    // An error replaces the ACK: nothing follows.
    assert_silent(&mut sock, SILENCE);
    // The library reports it as a kernel error.
    assert_eq!(
        kernel_errno(client().request(0x1f, REQ, b"?")),
        Errno::EOPNOTSUPP
    );
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn broadcast_with_bad_attributes_gets_einval() {
    let _shared = shared();
    let mut c = client();
    let flags = REQ | wire::NLM_F_ACK;
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut w = AttrWriter::new();
    w.put(wire::NLECHO_A_DATA, b"x").unwrap();
    cases.push(("missing GROUP", w.finish().unwrap()));
    let mut w = AttrWriter::new();
    w.put_u32(wire::NLECHO_A_GROUP, 10).unwrap();
    cases.push(("missing DATA", w.finish().unwrap()));
    let mut w = AttrWriter::new();
    w.put(wire::NLECHO_A_GROUP, &[10, 0]).unwrap();
    w.put(wire::NLECHO_A_DATA, b"x").unwrap();
    cases.push(("GROUP of 2 bytes", w.finish().unwrap()));
    let mut w = AttrWriter::new();
    w.put_u32(wire::NLECHO_A_GROUP, 10).unwrap();
    w.put(wire::NLECHO_A_DATA, b"x").unwrap();
    let mut past_end = w.finish().unwrap();
    past_end[0] = 64; // nla_len past the message
    cases.push(("nla_len past the end", past_end));
    cases.push(("no attributes", Vec::new()));
    for (what, payload) in cases {
        let errno = kernel_errno(c.exchange(wire::NLECHO_CMD_BROADCAST, flags, &payload));
        assert_eq!(errno, Errno::EINVAL, "{what}");
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn broadcast_outside_the_groups_gets_erange() {
    let _shared = shared();
    let mut c = client();
    for group in [0, wire::DEFAULT_GROUPS + 1, u32::MAX] {
        let errno = kernel_errno(c.broadcast(group, b"nowhere"));
        assert_eq!(errno, Errno::ERANGE, "group {group}");
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn sequence_numbers_wrap_and_are_matched() {
    let _shared = shared();
    let mut c = client();
    c.set_next_seq(u32::MAX);
    let a = c.request(wire::NLECHO_CMD_ECHO, REQ, b"last").unwrap();
    let b = c.request(wire::NLECHO_CMD_ECHO, REQ, b"first").unwrap();
    assert_eq!(
        (a.header.seq, a.payload.as_slice()),
        (u32::MAX, &b"last"[..])
    );
    assert_eq!((b.header.seq, b.payload.as_slice()), (0, &b"first"[..]));
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn a_batch_of_64_messages_in_one_datagram_is_answered_in_order() {
    let _shared = shared();
    let sock = raw_socket(0);
    let mut batch = Batch::new();
    for i in 0..64u32 {
        let header = Header {
            ty: wire::NLECHO_CMD_ECHO,
            flags: REQ,
            seq: 5000 + i,
            ..Header::default()
        };
        batch.push(header, &pattern(i as usize * 13)).unwrap();
    }
    assert_eq!(batch.count(), 64);
    sock.send_to(batch.as_bytes(), 0).unwrap();
    for i in 0..64u32 {
        let got = recv_all(&sock).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.seq, 5000 + i, "reply {i} in request order");
        assert_eq!(got[0].1, pattern(i as usize * 13));
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn broadcast_reaches_every_member_of_its_group_only() {
    let _shared = shared();
    let mut members: Vec<Socket> = (0..3).map(|_| listener(&[5])).collect();
    // A classic listener joins with bind()'s mask instead.
    let classic = {
        let mut s = Socket::open(wire::NETLINK_NLECHO).unwrap();
        s.bind(0, 1 << (5 - 1)).unwrap();
        s.set_timeout(TIMEOUT).unwrap();
        s
    };
    let mut other = listener(&[6]);
    let ex = client().broadcast(5, b"to group 5").unwrap();
    assert_eq!(ex.ack.map(|a| a.error), Some(0), "acknowledged");
    for m in members.iter_mut() {
        let got = m.recv_owned().unwrap();
        assert_eq!(got.from_port, 0);
        let (h, payload) = only_message(&got.data);
        assert_eq!((h.ty, h.seq, h.pid), (wire::NLMSG_DONE, 0, 0));
        assert_eq!(payload, b"to group 5");
        assert_silent(m, SILENCE);
    }
    let got = classic.recv_owned().unwrap();
    assert_eq!(only_message(&got.data).1, b"to group 5");
    assert_silent(&mut other, SILENCE);
}

/// Receivers learn a multicast's group from `nl_groups` (groups 1-32) and
/// `NETLINK_PKTINFO`, both read from `NETLINK_CB(skb).dst_group`, which the
/// sender must set (`nlmsg_multicast()` does; bare `netlink_broadcast()`
/// does not).
#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn kernel_broadcasts_carry_their_group() {
    let _shared = shared();
    let joined = listener(&[12]);
    let bound = Socket::open(wire::NETLINK_NLECHO).unwrap();
    bound.bind(0, 1 << (12 - 1)).unwrap();
    client().broadcast(12, b"which group?").unwrap();
    for (how, sock) in [("joined", &joined), ("bound", &bound)] {
        let got = sock.recv_owned().unwrap();
        assert_eq!(
            got.group,
            Some(12),
            "{how}: the group of a kernel BROADCAST"
        );
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn leaving_a_group_stops_its_messages() {
    let _shared = shared();
    let mut sock = listener(&[11]);
    client().broadcast(11, b"one").unwrap();
    assert_eq!(only_message(&sock.recv_owned().unwrap().data).1, b"one");
    sock.leave(11).unwrap();
    client().broadcast(11, b"two").unwrap();
    assert_silent(&mut sock, SILENCE);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn user_sockets_unicast_to_each_other() {
    let _shared = shared();
    let a = raw_socket(0);
    let b = raw_socket(0);
    let (pa, pb) = (a.port().unwrap(), b.port().unwrap());
    let msg = frame::encode(
        Header {
            ty: wire::NLECHO_CMD_ECHO,
            seq: 1,
            pid: pa,
            ..Header::default()
        },
        b"from a to b",
    )
    .unwrap();
    a.send_to(&msg, pb).unwrap();
    let got = b.recv_owned().unwrap();
    assert_eq!((got.from_port, got.group), (pa, None));
    assert_eq!(got.data, msg, "the datagram arrives unchanged");
    // And back: B answers A's port.
    b.send_to(&msg, pa).unwrap();
    assert_eq!(a.recv_owned().unwrap().from_port, pb);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn user_sockets_multicast_to_a_group() {
    let _shared = shared();
    let mut sender = raw_socket(0);
    let ps = sender.port().unwrap();
    let mut members: Vec<Socket> = (0..2).map(|_| listener(&[3])).collect();
    let mut outsider = listener(&[4]);
    // No NLM_F_REQUEST: the module skips the copy it gets too.
    let msg = frame::encode(
        Header {
            ty: wire::NLECHO_CMD_ECHO,
            seq: 9,
            pid: ps,
            ..Header::default()
        },
        b"to group 3",
    )
    .unwrap();
    sender.send_to_group(&msg, 3).unwrap();
    for m in members.iter_mut() {
        let got = m.recv_owned().unwrap();
        assert_eq!((got.from_port, got.group), (ps, Some(3)));
        assert_eq!(got.data, msg);
    }
    assert_silent(&mut outsider, SILENCE);
    assert_silent(&mut sender, SILENCE);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn an_overrun_is_reported_once_and_the_listener_goes_on() {
    let _shared = shared();
    let mut sock = listener(&[9]);
    sock.set_recv_buffer(1).unwrap(); // the kernel's minimum
    let mut c = client();
    let sent = 64;
    for _ in 0..sent {
        c.broadcast(9, &[0x5a; 1000]).unwrap();
    }
    sock.set_timeout(SILENCE).unwrap();
    let (mut overruns, mut received) = (0, 0);
    loop {
        match sock.recv_owned() {
            Ok(got) => {
                assert_eq!(only_message(&got.data).1, [0x5a; 1000]);
                received += 1;
            }
            Err(Error::Overrun) => overruns += 1,
            Err(Error::Timeout { .. }) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(overruns, 1, "ENOBUFS is reported once per overflow");
    assert!(
        received > 0 && received < sent,
        "received {received} of {sent}"
    );
    // The socket still works.
    c.broadcast(9, b"after").unwrap();
    assert_eq!(only_message(&sock.recv_owned().unwrap().data).1, b"after");
}

/// CAP_NET_ADMIN, in the capability sets of `linux/capability.h`.
const CAP_NET_ADMIN: u32 = 12;

/// Drops CAP_NET_ADMIN from the calling thread's effective set. Capabilities
/// are per thread, so the rest of the test process keeps it.
fn drop_net_admin_in_this_thread() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset read and write exactly a header and two data
    // structs of the v3 layout, which these are.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[0].effective &= !(1 << CAP_NET_ADMIN);
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()),
            0
        );
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn without_cap_net_admin_privileged_commands_get_eperm() {
    let _shared = shared();
    let peer = raw_socket(0);
    let peer_port = peer.port().unwrap();
    std::thread::spawn(move || {
        drop_net_admin_in_this_thread();
        let mut c = client();
        let err = c.broadcast(5, b"x").unwrap_err();
        assert!(
            err.to_string()
                .contains("error -1: Operation not permitted (needs CAP_NET_ADMIN)"),
            "{err}"
        );
        assert_eq!(kernel_errno(c.broadcast(5, b"x")), Errno::EPERM);
        assert_eq!(kernel_errno(c.reset_stats()), Errno::EPERM);
        // Unprivileged commands still work.
        c.stats().unwrap();
        let r = c
            .request(wire::NLECHO_CMD_ECHO, REQ, b"still echoed")
            .unwrap();
        assert_eq!(r.payload, b"still echoed");
        // The netlink core refuses group joins and peer sends
        // (nonroot_recv=0, nonroot_send=0).
        let sock = raw_socket(0);
        match sock.join(5) {
            Err(Error::Sys { errno, .. }) => assert_eq!(errno, Errno::EPERM),
            other => panic!("join without CAP_NET_ADMIN: {other:?}"),
        }
        match sock.send_to(b"0123456789abcdef", peer_port) {
            Err(Error::Sys { errno, .. }) => assert_eq!(errno, Errno::EPERM),
            other => panic!("peer send without CAP_NET_ADMIN: {other:?}"),
        }
    })
    .join()
    .unwrap();
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn counters_account_exactly_for_what_was_sent() {
    let _exclusive = exclusive();
    let mut c = client();
    c.reset_stats().unwrap();
    let zero = c.stats().unwrap();
    assert_eq!(
        zero,
        wire::Stats {
            received: 1, // this STATS request
            ..wire::Stats::default()
        }
    );
    let k = 10;
    let mut bytes = 0;
    for i in 0..k {
        let payload = pattern(i * 100);
        bytes += payload.len() as u64;
        c.request(wire::NLECHO_CMD_ECHO, REQ, &payload).unwrap();
    }
    c.request(0x1f, REQ, b"one error").unwrap_err();
    let s = c.stats().unwrap();
    assert_eq!(
        s.received,
        1 + k as u64 + 1 + 1,
        "STATS, echoes, error, STATS"
    );
    assert_eq!(s.echoed, k as u64);
    assert_eq!(s.bytes, bytes);
    assert_eq!(s.errors, 1);
    assert_eq!((s.broadcast, s.dropped, s.malformed), (0, 0, 0));
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn a_capture_holds_every_datagram_sent_and_received() {
    let _shared = shared();
    let path = std::env::temp_dir().join(format!("nlecho-kernel-{}.pcap", std::process::id()));
    let mut c = client();
    let file = File::create(&path).unwrap();
    c.add_tap(Box::new(
        PcapWriter::new(file, wire::NETLINK_NLECHO).unwrap(),
    ));
    c.set_next_seq(70);
    let ex = c
        .exchange(wire::NLECHO_CMD_ECHO, REQ | wire::NLM_F_ACK, b"captured")
        .unwrap();
    drop(c); // closes the capture
    let packets: Vec<_> = PcapReader::new(File::open(&path).unwrap())
        .unwrap()
        .map(|p| p.unwrap())
        .collect();
    std::fs::remove_file(&path).unwrap();
    let dirs: Vec<_> = packets.iter().map(|p| p.direction).collect();
    assert_eq!(
        dirs,
        [Direction::Sent, Direction::Received, Direction::Received]
    );
    assert!(packets.iter().all(|p| p.protocol == 30));
    let (req, _) = only_message(&packets[0].datagram);
    assert_eq!((req.ty, req.seq), (wire::NLECHO_CMD_ECHO, 70));
    let (echo, payload) = only_message(&packets[1].datagram);
    assert_eq!(echo, ex.replies[0].header);
    assert_eq!(payload, b"captured");
    let msgs: Vec<_> = Messages::new(&packets[2].datagram)
        .map(|m| m.unwrap())
        .collect();
    let status = ack::decode(&msgs[0]).unwrap();
    assert_eq!((status.error, status.request.seq), (0, 70));
}
