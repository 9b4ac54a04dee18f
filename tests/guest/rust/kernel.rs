//! Tests against the real module. They need nlecho.ko loaded on protocol 30
//! and root, so they build only with `--features guest`; `make test` runs
//! them in the QEMU guest.
//!
//! Tests run in parallel threads. Those that need the module's counters to
//! themselves take [`exclusive`]; every other test holds [`shared`] while
//! it runs. Each multicast test uses a group of its own.
//!
//! Two tests need the module loaded with other parameters, and say so in
//! their names: `..._groups_1024_...` (`groups=1024`) and
//! `..._classic_notify_1_...` (`classic_notify=1`). tests/guest/suite.sh
//! skips them in the main run and runs each alone after reloading nlecho.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nlecho::ack;
use nlecho::attr::AttrWriter;
use nlecho::frame::{self, Batch};
use nlecho::pcap::{PcapReader, PcapWriter};
use nlecho::wire::{
    self, Attrs, ErrorPayload, GroupInfo, Header, Messages, Notify, Policy, POLICY_BROADCAST,
    POLICY_GET_GROUP, POLICY_NONE,
};
use nlecho::{Client, Direction, Error, Socket, Tapped, Transport};

use common::message::message;
use common::silence::assert_silent;

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

/// Receives one datagram, whatever its size, and returns its messages.
fn recv_all(sock: &Socket) -> nlecho::Result<Vec<(Header, Vec<u8>)>> {
    let got = sock.recv_owned()?;
    assert_eq!(got.from_port, 0, "replies come from the kernel");
    Ok(Messages::new(&got.data)
        .map(|m| {
            let m = m.expect("the kernel sends well-formed messages");
            (m.header, m.payload.to_vec())
        })
        .collect())
}

/// Receives one datagram that must hold exactly one message.
fn recv_one(sock: &Socket) -> (Header, Vec<u8>) {
    let mut got = recv_all(sock).unwrap();
    assert_eq!(got.len(), 1, "one message per datagram");
    got.remove(0)
}

fn raw_socket(port: u32) -> Socket {
    let mut sock = Socket::open(wire::NETLINK_NLECHO).unwrap();
    sock.bind(port, 0).unwrap();
    sock.set_timeout(TIMEOUT);
    sock
}

/// Decodes an `NLMSG_ERROR` received as `(header, payload)`.
fn status_of(h: &Header, payload: &[u8]) -> ack::Status {
    let mut bytes = h.to_bytes().to_vec();
    bytes.extend_from_slice(payload);
    let m = Messages::new(&bytes).next().unwrap().unwrap();
    ack::decode(&m).expect("a well-formed NLMSG_ERROR")
}

/// The payload of a NOTIFY, received as `(header, payload)`: its group and
/// data, after checking the header of a kernel-initiated message.
fn notify_of(h: &Header, payload: &[u8]) -> (u32, Vec<u8>) {
    assert_eq!(
        (h.ty, h.flags, h.seq, h.pid),
        (wire::NLECHO_CMD_NOTIFY, 0, 0, 0),
        "a NOTIFY: flags 0, seq 0, pid 0"
    );
    let n = Notify::parse(payload).expect("GROUP and DATA");
    assert_eq!(
        h.len as usize,
        wire::NLMSG_HDRLEN + Notify::len(n.data.len())
    );
    (n.group, n.data.to_vec())
}

/// The data of the one NOTIFY in a received datagram.
fn notify_data(data: &[u8]) -> Vec<u8> {
    let (h, payload) = only_message(data);
    notify_of(&h, &payload).1
}

#[test]
fn hello_round_trip() {
    let _shared = shared();
    let mut c = client();
    let reply = c
        .request(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, b"Hello")
        .unwrap();
    assert_eq!(reply.payload, b"Hello");
    assert_eq!(reply.header.ty, wire::NLECHO_CMD_ECHO);
    assert_eq!(reply.header.len, 21);
}

#[test]
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
fn classic_type_zero_is_answered_with_done() {
    let _shared = shared();
    let mut c = client();
    let reply = c
        .request(wire::NLECHO_CLASSIC, 0, b"Hello kernel\0")
        .unwrap();
    assert_eq!(reply.header.ty, wire::NLMSG_DONE);
    assert_eq!(reply.header.pid, 0, "as the classic C modules answer");
    assert_eq!(reply.payload, b"Hello kernel\0");
}

/// libnl's defaults add `NLM_F_REQUEST | NLM_F_ACK` to type 0: the DONE is
/// final, no ACK follows it.
#[test]
fn classic_type_zero_with_request_and_ack_gets_only_the_done() {
    let _shared = shared();
    let sock = raw_socket(0);
    for flags in [
        wire::NLM_F_ACK,
        wire::NLM_F_REQUEST | wire::NLM_F_ACK,
        wire::NLM_F_REQUEST,
    ] {
        sock.send_to(&message(wire::NLECHO_CLASSIC, flags, 21, b"libnl"), 0)
            .unwrap();
        let (h, payload) = recv_one(&sock);
        assert_eq!(
            (h.ty, h.seq, h.pid, payload.as_slice()),
            (wire::NLMSG_DONE, 21, 0, &b"libnl"[..]),
            "flags {flags:#x}"
        );
        assert_silent(&sock, SILENCE);
    }
    // The library ends the exchange at the DONE, and the next one is not
    // confused by anything late.
    let mut c = client();
    let ex = c
        .exchange(wire::NLECHO_CLASSIC, REQ | wire::NLM_F_ACK, b"final")
        .unwrap();
    assert_eq!(ex.replies.len(), 1);
    assert_eq!(ex.replies[0].header.ty, wire::NLMSG_DONE);
    assert_eq!(ex.ack, None);
    let next = c
        .exchange(wire::NLECHO_CMD_ECHO, REQ | wire::NLM_F_ACK, b"next")
        .unwrap();
    assert_eq!(next.replies[0].payload, b"next");
    assert_eq!(
        next.ack.map(|a| (a.error, a.request.seq)),
        Some((0, next.seq))
    );
}

#[test]
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
fn ack_flag_gets_an_ack_after_the_echo() {
    let _shared = shared();
    let sock = raw_socket(0);
    let port = sock.port().unwrap();
    let flags = wire::NLM_F_REQUEST | wire::NLM_F_ACK;
    sock.send_to(&message(wire::NLECHO_CMD_ECHO, flags, 9, b"ack me"), 0)
        .unwrap();
    let echo = recv_all(&sock).unwrap();
    assert_eq!((echo[0].0.ty, echo[0].0.seq), (wire::NLECHO_CMD_ECHO, 9));
    let ack = recv_all(&sock).unwrap();
    let (h, body) = &ack[0];
    assert_eq!((h.ty, h.seq), (wire::NLMSG_ERROR, 9));
    assert_eq!(h.pid, port, "netlink_ack() writes the requester's port");
    assert_eq!(
        h.flags,
        wire::NLM_F_CAPPED,
        "an ACK carries the request's header only"
    );
    let err = ErrorPayload::parse(body).unwrap();
    assert_eq!(body.len(), wire::ERROR_PAYLOAD_LEN);
    assert_eq!(err.error, 0);
    assert_eq!(err.request.ty, wire::NLECHO_CMD_ECHO);
    assert_eq!(err.request.flags, flags);
}

#[test]
fn unknown_type_gets_eopnotsupp() {
    let _shared = shared();
    let mut c = client();
    for ty in [0x7777, wire::NLECHO_CMD_NOTIFY] {
        match c.request(ty, wire::NLM_F_REQUEST, b"?") {
            Err(Error::Kernel { errno, message, .. }) => {
                assert_eq!(errno, Errno::EOPNOTSUPP, "type {ty:#x}");
                if ty != wire::NLECHO_CMD_NOTIFY {
                    assert_eq!(message.as_deref(), Some("unknown message type"));
                }
            }
            other => panic!("type {ty:#x}: expected EOPNOTSUPP, got {other:?}"),
        }
    }
}

/// The header of a message that claims `payload` (possibly more than the
/// protocol allows), followed by it, padded.
fn oversized(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
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
    dgram[16..16 + payload.len()].copy_from_slice(payload);
    dgram
}

#[test]
fn oversized_request_gets_emsgsize_with_the_request_echoed() {
    // Exclusive: a RESET_STATS that got through would zero shared counters.
    let _exclusive = exclusive();
    let full = raw_socket(0);
    let capped = raw_socket(0);
    capped.set_cap_ack(true).unwrap();
    capped.set_ext_ack(true).unwrap();
    let payload = pattern(wire::MAX_PAYLOAD + 1);
    let commands = [
        (wire::NLECHO_CLASSIC, 0),
        (wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_BROADCAST, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_STATS, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_RESET_STATS, wire::NLM_F_REQUEST),
        (wire::NLECHO_CMD_GET_GROUP, wire::NLM_F_REQUEST),
    ];
    for (seq, (ty, flags)) in (77..).zip(commands) {
        let dgram = oversized(ty, flags, seq, &payload);
        // Without NETLINK_CAP_ACK: the whole request comes back.
        full.send_to(&dgram, 0).unwrap();
        let got = recv_all(&full).unwrap();
        assert_eq!(got.len(), 1, "type {ty:#x}: only the error comes back");
        let (h, body) = &got[0];
        assert_eq!((h.ty, h.seq), (wire::NLMSG_ERROR, seq), "type {ty:#x}");
        assert_eq!(h.flags, 0, "type {ty:#x}: neither capped nor with TLVs");
        assert_eq!(body.len(), 4 + dgram.len(), "type {ty:#x}");
        assert!(body[4..] == dgram[..], "type {ty:#x}: the request, as sent");
        let err = ErrorPayload::parse(body).unwrap();
        assert_eq!(err.error, -(Errno::EMSGSIZE as i32), "type {ty:#x}");
        // With NETLINK_CAP_ACK and NETLINK_EXT_ACK: its header and why.
        capped.send_to(&dgram, 0).unwrap();
        let (h, body) = recv_one(&capped);
        assert_eq!(
            h.flags,
            wire::NLM_F_CAPPED | wire::NLM_F_ACK_TLVS,
            "type {ty:#x}"
        );
        let st = status_of(&h, &body);
        assert_eq!(st.error, -(Errno::EMSGSIZE as i32));
        assert_eq!(st.request, Header::parse(&dgram).unwrap());
        assert_eq!(st.message.as_deref(), Some("payload above 65520 bytes"));
    }
}

#[test]
fn replies_go_to_the_sending_socket_not_to_nlmsg_pid() {
    let _shared = shared();
    let victim = raw_socket(0);
    let victim_port = victim.port().unwrap();
    let sender = raw_socket(0);
    let mut dgram = message(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, 5, b"spoof");
    dgram[12..16].copy_from_slice(&victim_port.to_ne_bytes());
    sender.send_to(&dgram, 0).unwrap();
    let got = recv_all(&sender).unwrap();
    assert_eq!(got[0].1, b"spoof");
    assert_silent(&victim, SILENCE);
}

#[test]
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
fn malformed_datagrams_are_dropped_after_their_valid_prefix() {
    let _shared = shared();
    let sock = raw_socket(0);
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
        assert_silent(&sock, SILENCE);
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

/// A kernel error as plain values: errno, extended ACK message, offset,
/// missing attribute type.
type KernelError = (Errno, Option<String>, Option<u32>, Option<u32>);

fn kernel_error(result: nlecho::Result<impl std::fmt::Debug>) -> KernelError {
    match result {
        Err(Error::Kernel {
            errno,
            message,
            offset,
            miss_type,
        }) => (errno, message, offset, miss_type),
        other => panic!("expected an error from the kernel, got {other:?}"),
    }
}

/// What the module must answer a request that `policy` refuses: `EINVAL`
/// with the refusal's sentence, pointing at the attribute from the start
/// of the request's header, or naming the missing type.
fn refusal(policy: &Policy, payload: &[u8], strict: bool) -> KernelError {
    let inv = policy
        .check(payload, strict)
        .err()
        .expect("the case must break the policy");
    (
        Errno::EINVAL,
        Some(inv.msg.to_str().unwrap().to_owned()),
        inv.attr.map(|a| (wire::NLMSG_HDRLEN + a) as u32),
        inv.missing.map(u32::from),
    )
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
    assert!(ack.request_payload.is_empty());
    assert_eq!(ack.request.seq, 4242);
    assert_eq!(ack.request.ty, wire::NLECHO_CMD_ECHO);
    assert_eq!(ack.request.flags, flags);
    assert_eq!(ack.request.pid, c.port());
    assert_eq!(ack.request.len as usize, wire::NLMSG_HDRLEN + 6);
}

#[test]
fn skipped_messages_are_still_acknowledged() {
    let _shared = shared();
    let mut c = client();
    // A control type, and a command without NLM_F_REQUEST: no reply, an ACK.
    for (ty, flags) in [
        (wire::NLMSG_NOOP, REQ | wire::NLM_F_ACK),
        (wire::NLECHO_CMD_ECHO, wire::NLM_F_ACK),
        (wire::NLECHO_CMD_STATS, wire::NLM_F_ACK | wire::NLM_F_DUMP),
    ] {
        let ex = c.exchange(ty, flags, b"skip").unwrap();
        assert!(ex.replies.is_empty(), "type {ty:#x} flags {flags:#x}");
        assert_eq!(ex.ack.map(|a| a.error), Some(0));
    }
}

#[test]
fn unknown_type_gets_eopnotsupp_with_the_whole_request_echoed() {
    let _shared = shared();
    let sock = raw_socket(0);
    let port = sock.port().unwrap();
    let sent = Header {
        len: 0,
        ty: 0x1f,
        flags: REQ | wire::NLM_F_ACK,
        seq: 31,
        pid: port,
    };
    let dgram = frame::encode(sent, b"payload echoed").unwrap();
    sock.send_to(&dgram, 0).unwrap();
    let got = recv_all(&sock).unwrap();
    assert_eq!(got.len(), 1);
    let (h, body) = &got[0];
    assert_eq!((h.ty, h.seq, h.pid), (wire::NLMSG_ERROR, 31, port));
    assert_eq!(
        h.flags, 0,
        "not capped without NETLINK_CAP_ACK, no TLVs without NETLINK_EXT_ACK"
    );
    assert_eq!(body.len(), 4 + dgram.len(), "the error and the request");
    let err = ErrorPayload::parse(body).unwrap();
    assert_eq!(err.error, -(Errno::EOPNOTSUPP as i32));
    assert_eq!(&body[4..], &dgram[..], "the request exactly as sent");
    let st = status_of(h, body);
    assert_eq!(st.request_payload, b"payload echoed");
    // An error replaces the ACK: nothing follows.
    assert_silent(&sock, SILENCE);
    // The library reports it as a kernel error with its extended ACK.
    assert_eq!(
        kernel_error(client().request(0x1f, REQ, b"?")),
        (
            Errno::EOPNOTSUPP,
            Some("unknown message type".into()),
            None,
            None
        )
    );
}

#[test]
fn netlink_cap_ack_caps_errors_to_the_request_header() {
    let _shared = shared();
    let bad = message(0x1f, REQ, 5, &pattern(40));
    let request = Header::parse(&bad).unwrap();
    // NETLINK_CAP_ACK alone: the header, NLM_F_CAPPED, nothing more.
    let sock = raw_socket(0);
    sock.set_cap_ack(true).unwrap();
    sock.send_to(&bad, 0).unwrap();
    let (h, body) = recv_one(&sock);
    assert_eq!((h.ty, h.flags), (wire::NLMSG_ERROR, wire::NLM_F_CAPPED));
    assert_eq!(body.len(), wire::ERROR_PAYLOAD_LEN);
    assert_eq!(
        ErrorPayload::parse(&body),
        Some(ErrorPayload {
            error: -(Errno::EOPNOTSUPP as i32),
            request
        })
    );
    // With NETLINK_EXT_ACK too: the attributes right after the header.
    sock.set_ext_ack(true).unwrap();
    sock.send_to(&bad, 0).unwrap();
    let (h, body) = recv_one(&sock);
    assert_eq!(h.flags, wire::NLM_F_CAPPED | wire::NLM_F_ACK_TLVS);
    let st = status_of(&h, &body);
    assert!(st.capped && st.request_payload.is_empty());
    assert_eq!(st.message.as_deref(), Some("unknown message type"));
    let tlvs: Vec<_> = Attrs::new(&body[wire::ERROR_PAYLOAD_LEN..])
        .map(|a| a.unwrap().ty)
        .collect();
    assert_eq!(tlvs, [wire::NLMSGERR_ATTR_MSG]);
    // NETLINK_EXT_ACK alone: the whole request, then the attributes.
    let sock = raw_socket(0);
    sock.set_ext_ack(true).unwrap();
    sock.send_to(&bad, 0).unwrap();
    let (h, body) = recv_one(&sock);
    assert_eq!(h.flags, wire::NLM_F_ACK_TLVS);
    assert_eq!(&body[4..4 + bad.len()], &bad[..]);
    let st = status_of(&h, &body);
    assert_eq!(st.request_payload, pattern(40));
    assert_eq!(st.message.as_deref(), Some("unknown message type"));
    // ACKs carry the header only, with or without NETLINK_CAP_ACK.
    for cap in [false, true] {
        sock.set_cap_ack(cap).unwrap();
        let ok = message(wire::NLECHO_CMD_ECHO, REQ | wire::NLM_F_ACK, 6, b"fine");
        sock.send_to(&ok, 0).unwrap();
        recv_one(&sock);
        let (h, body) = recv_one(&sock);
        assert_eq!(h.flags, wire::NLM_F_CAPPED, "cap_ack {cap}");
        assert_eq!(body.len(), wire::ERROR_PAYLOAD_LEN, "cap_ack {cap}");
    }
}

#[test]
fn errors_and_acks_carry_the_requesters_port() {
    let _shared = shared();
    let sock = raw_socket(4243);
    // Whatever the request claims in nlmsg_pid.
    for claimed in [0u32, 4243, 99_999] {
        let mut bad = message(0x1f, REQ, 8, b"x");
        bad[12..16].copy_from_slice(&claimed.to_ne_bytes());
        sock.send_to(&bad, 0).unwrap();
        let (h, body) = recv_one(&sock);
        assert_eq!(
            (h.ty, h.pid),
            (wire::NLMSG_ERROR, 4243),
            "claimed {claimed}"
        );
        assert_eq!(status_of(&h, &body).request.pid, claimed, "echoed as sent");
        let mut ok = message(wire::NLMSG_NOOP, REQ | wire::NLM_F_ACK, 9, b"");
        ok[12..16].copy_from_slice(&claimed.to_ne_bytes());
        sock.send_to(&ok, 0).unwrap();
        let (h, body) = recv_one(&sock);
        assert_eq!(
            (h.ty, h.pid),
            (wire::NLMSG_ERROR, 4243),
            "claimed {claimed}"
        );
        assert!(status_of(&h, &body).is_ack());
    }
}

#[test]
fn each_policy_violation_gets_einval_with_its_extended_ack() {
    let _shared = shared();
    let mut c = client();
    let group = |g: u32| {
        let mut w = AttrWriter::new();
        w.put_u32(wire::NLECHO_A_GROUP, g).unwrap();
        w.finish().unwrap()
    };
    let data = |d: &[u8]| {
        let mut w = AttrWriter::new();
        w.put(wire::NLECHO_A_DATA, d).unwrap();
        w.finish().unwrap()
    };
    let raw_attr = |ty: u16, value: &[u8]| {
        let mut w = AttrWriter::new();
        w.put(ty, value).unwrap();
        w.finish().unwrap()
    };
    let with_len = |mut a: Vec<u8>, len: u16| {
        a[0..2].copy_from_slice(&len.to_ne_bytes());
        a
    };
    // Group 30: nobody listens there, should a broadcast ever get through.
    let g = group(30);
    let d = data(b"xyz");
    let b = (wire::NLECHO_CMD_BROADCAST, POLICY_BROADCAST);
    let gg = (wire::NLECHO_CMD_GET_GROUP, POLICY_GET_GROUP);
    let st = (wire::NLECHO_CMD_STATS, POLICY_NONE);
    let cases: Vec<(&str, (u16, Policy), Vec<u8>)> = vec![
        ("missing GROUP", b, d.clone()),
        ("missing DATA", b, g.clone()),
        ("no attributes", b, vec![]),
        (
            "GROUP of 2 bytes",
            b,
            [raw_attr(wire::NLECHO_A_GROUP, &[30, 0]), d.clone()].concat(),
        ),
        (
            "GROUP of 8 bytes, second",
            b,
            [
                d.clone(),
                raw_attr(wire::NLECHO_A_GROUP, &[30, 0, 0, 0, 0, 0, 0, 0]),
            ]
            .concat(),
        ),
        (
            "NLA_F_NESTED on GROUP",
            b,
            [
                raw_attr(
                    wire::NLECHO_A_GROUP | wire::NLA_F_NESTED,
                    &30u32.to_ne_bytes(),
                ),
                d.clone(),
            ]
            .concat(),
        ),
        (
            "NLA_F_NESTED on DATA",
            b,
            [
                g.clone(),
                raw_attr(wire::NLECHO_A_DATA | wire::NLA_F_NESTED, b"xyz"),
            ]
            .concat(),
        ),
        (
            "nla_len past the message",
            b,
            [g.clone(), with_len(d.clone(), 64)].concat(),
        ),
        (
            "nla_len below its header",
            b,
            [with_len(g.clone(), 2), d.clone()].concat(),
        ),
        (
            "trailing bytes",
            b,
            [g.clone(), d.clone(), vec![0, 0]].concat(),
        ),
        ("GET_GROUP without GROUP", gg, vec![]),
        (
            "GET_GROUP, GROUP of 3 bytes",
            gg,
            raw_attr(wire::NLECHO_A_GROUP, &[1, 0, 0]),
        ),
        (
            "GET_GROUP, NLA_F_NESTED",
            gg,
            raw_attr(
                wire::NLECHO_A_GROUP | wire::NLA_F_NESTED,
                &1u32.to_ne_bytes(),
            ),
        ),
        ("STATS, garbage", st, vec![0xff; 7]),
        ("STATS, one trailing byte", st, vec![1]),
    ];
    for (what, (ty, policy), payload) in &cases {
        let want = refusal(policy, payload, false);
        let got = kernel_error(c.exchange(*ty, REQ | wire::NLM_F_ACK, payload));
        assert_eq!(got, want, "{what}");
    }
    // The sentences docs/PROTOCOL.md gives, spelled out once.
    let cases: Vec<(&str, Vec<u8>, KernelError)> = vec![
        (
            "missing DATA",
            g.clone(),
            (
                Errno::EINVAL,
                Some("missing attribute".into()),
                None,
                Some(2),
            ),
        ),
        (
            "GROUP of 2 bytes",
            [d.clone(), raw_attr(wire::NLECHO_A_GROUP, &[1, 0])].concat(),
            (
                Errno::EINVAL,
                Some("attribute must be a u32".into()),
                Some(16 + 8),
                None,
            ),
        ),
        (
            "nested GROUP",
            [
                raw_attr(
                    wire::NLECHO_A_GROUP | wire::NLA_F_NESTED,
                    &1u32.to_ne_bytes(),
                ),
                d.clone(),
            ]
            .concat(),
            (
                Errno::EINVAL,
                Some("NLA_F_NESTED set on an attribute that is not nested".into()),
                Some(16),
                None,
            ),
        ),
    ];
    for (what, payload, want) in cases {
        let got = kernel_error(c.exchange(wire::NLECHO_CMD_BROADCAST, REQ, &payload));
        assert_eq!(got, want, "{what}");
    }
    // On the wire: the whole request echoed, then the attributes.
    let sock = raw_socket(0);
    sock.set_ext_ack(true).unwrap();
    let bad = message(wire::NLECHO_CMD_BROADCAST, REQ, 3, &d);
    sock.send_to(&bad, 0).unwrap();
    let (h, body) = recv_one(&sock);
    assert_eq!(h.flags, wire::NLM_F_ACK_TLVS);
    assert_eq!(&body[4..4 + bad.len()], &bad[..]);
    let status = status_of(&h, &body);
    assert_eq!(
        (status.error, status.miss_type),
        (
            -(Errno::EINVAL as i32),
            Some(u32::from(wire::NLECHO_A_GROUP))
        )
    );
}

#[test]
fn groups_outside_the_range_get_erange_pointing_at_group() {
    let _shared = shared();
    let mut c = client();
    let no_such_group = |offset: u32| {
        (
            Errno::ERANGE,
            Some(String::from("no such group")),
            Some(offset),
            None,
        )
    };
    for group in [0, wire::DEFAULT_GROUPS + 1, u32::MAX] {
        assert_eq!(
            kernel_error(c.broadcast(group, b"nowhere")),
            no_such_group(16),
            "BROADCAST to group {group}"
        );
        assert_eq!(
            kernel_error(c.group(group)),
            no_such_group(16),
            "GET_GROUP of group {group}"
        );
    }
    // GROUP after DATA; and the last of two GROUPs, the one that counts.
    let mut w = AttrWriter::new();
    w.put(wire::NLECHO_A_DATA, b"abcde").unwrap();
    w.put_u32(wire::NLECHO_A_GROUP, 99).unwrap();
    let payload = w.finish().unwrap();
    assert_eq!(
        kernel_error(c.exchange(wire::NLECHO_CMD_BROADCAST, REQ, &payload)),
        no_such_group(16 + 12)
    );
    let mut w = AttrWriter::new();
    w.put_u32(wire::NLECHO_A_GROUP, 30).unwrap();
    w.put_u32(wire::NLECHO_A_GROUP, 99).unwrap();
    w.put(wire::NLECHO_A_DATA, b"x").unwrap();
    let payload = w.finish().unwrap();
    assert_eq!(
        kernel_error(c.exchange(wire::NLECHO_CMD_BROADCAST, REQ, &payload)),
        no_such_group(16 + 8)
    );
    let mut w = AttrWriter::new();
    w.put_u32(wire::NLECHO_A_GROUP, 99).unwrap();
    w.put_u32(wire::NLECHO_A_GROUP, 30).unwrap();
    w.put(wire::NLECHO_A_DATA, b"x").unwrap();
    let payload = w.finish().unwrap();
    let ex = c
        .exchange(wire::NLECHO_CMD_BROADCAST, REQ | wire::NLM_F_ACK, &payload)
        .unwrap();
    assert_eq!(ex.ack.map(|a| a.error), Some(0), "the last GROUP wins");
}

#[test]
fn unknown_attributes_are_refused_only_with_netlink_get_strict_chk() {
    let _shared = shared();
    let mut lenient = client();
    let mut strict = client();
    strict.socket().set_strict_check(true).unwrap();
    let attr = |ty: u16, value: &[u8]| {
        let mut w = AttrWriter::new();
        w.put(ty, value).unwrap();
        w.finish().unwrap()
    };
    let group = attr(wire::NLECHO_A_GROUP, &30u32.to_ne_bytes());
    let data = attr(wire::NLECHO_A_DATA, b"d");
    let unknown = attr(77, b"from a newer peer");
    let stat = attr(wire::NLECHO_A_STAT_RECEIVED, &[0; 8]);
    let acked = REQ | wire::NLM_F_ACK;
    let cases: Vec<(&str, u16, Policy, Vec<u8>)> = vec![
        (
            "BROADCAST, unknown type first",
            wire::NLECHO_CMD_BROADCAST,
            POLICY_BROADCAST,
            [unknown.clone(), group.clone(), data.clone()].concat(),
        ),
        (
            "BROADCAST, a STATS attribute last",
            wire::NLECHO_CMD_BROADCAST,
            POLICY_BROADCAST,
            [group.clone(), data.clone(), stat.clone()].concat(),
        ),
        (
            "GET_GROUP, DATA too",
            wire::NLECHO_CMD_GET_GROUP,
            POLICY_GET_GROUP,
            [group.clone(), data.clone()].concat(),
        ),
        (
            "STATS, unknown type",
            wire::NLECHO_CMD_STATS,
            POLICY_NONE,
            unknown.clone(),
        ),
    ];
    for (what, ty, policy, payload) in &cases {
        let ex = lenient.exchange(*ty, acked, payload).unwrap();
        assert_eq!(ex.ack.map(|a| a.error), Some(0), "lenient: {what}");
        let want = refusal(policy, payload, true);
        assert_eq!(want.1.as_deref(), Some("unknown attribute type"), "{what}");
        assert_eq!(
            kernel_error(strict.exchange(*ty, acked, payload)),
            want,
            "strict: {what}"
        );
    }
    // The dump takes no attributes: strict refuses GROUP there.
    assert_eq!(
        kernel_error(strict.dump(wire::NLECHO_CMD_GET_GROUP, 0, &group)),
        (
            Errno::EINVAL,
            Some("unknown attribute type".into()),
            Some(16),
            None
        )
    );
    assert_eq!(
        lenient
            .dump(wire::NLECHO_CMD_GET_GROUP, 0, &group)
            .unwrap()
            .replies
            .len(),
        wire::DEFAULT_GROUPS as usize
    );
    // What a command takes still passes strict checking.
    strict.group(30).unwrap();
    strict.groups().unwrap();
    strict.stats().unwrap();
}

#[test]
fn a_dump_flag_on_a_command_without_a_dump_gets_eopnotsupp() {
    let _shared = shared();
    let mut c = client();
    let broadcast = frame::broadcast_payload(30, b"x").unwrap();
    let requests: [(u16, &[u8]); 4] = [
        (wire::NLECHO_CLASSIC, b"classic"),
        (wire::NLECHO_CMD_ECHO, b"echo"),
        (wire::NLECHO_CMD_STATS, b""),
        (wire::NLECHO_CMD_BROADCAST, &broadcast),
    ];
    for (ty, payload) in requests {
        for flags in [wire::NLM_F_DUMP, wire::NLM_F_DUMP | wire::NLM_F_ACK] {
            assert_eq!(
                kernel_error(c.dump(ty, flags, payload)),
                (
                    Errno::EOPNOTSUPP,
                    Some("this command has no dump".into()),
                    None,
                    None
                ),
                "type {ty:#x} flags {flags:#x}"
            );
        }
    }
    // NLM_F_ROOT or NLM_F_MATCH alone is no dump.
    let reply = c
        .request(wire::NLECHO_CMD_ECHO, REQ | wire::NLM_F_ROOT, b"root")
        .unwrap();
    assert_eq!(reply.payload, b"root");
}

/// Checks a GET_GROUP message: its layout and alignment in its datagram.
fn check_group_message(m: &wire::Message<'_>) -> GroupInfo {
    assert_eq!(m.header.ty, wire::NLECHO_CMD_GET_GROUP);
    assert_eq!(
        m.header.len as usize,
        wire::NLMSG_HDRLEN + wire::GROUP_PAYLOAD_LEN
    );
    assert_eq!(m.offset % 8, 0, "each message starts 8-byte aligned");
    let mut attrs = Attrs::new(m.payload);
    while let Some(a) = attrs.next() {
        let a = a.unwrap();
        if matches!(a.ty, wire::NLECHO_A_SENT | wire::NLECHO_A_DROPPED) {
            let at = m.offset + wire::NLMSG_HDRLEN + attrs.last_offset() + wire::NLA_HDRLEN;
            assert_eq!(at % 8, 0, "u64 attribute {} aligned in its datagram", a.ty);
        }
    }
    GroupInfo::parse(m.payload).unwrap()
}

#[test]
fn get_group_as_a_do_answers_one_group() {
    let _shared = shared();
    let sock = raw_socket(0);
    let port = sock.port().unwrap();
    let request = message(
        wire::NLECHO_CMD_GET_GROUP,
        REQ | wire::NLM_F_ACK,
        44,
        &frame::group_payload(17),
    );
    sock.send_to(&request, 0).unwrap();
    let got = sock.recv_owned().unwrap();
    let msgs: Vec<_> = Messages::new(&got.data).map(|m| m.unwrap()).collect();
    assert_eq!(msgs.len(), 1);
    let h = msgs[0].header;
    assert_eq!(
        (h.seq, h.flags & wire::NLM_F_MULTI),
        (44, 0),
        "one message, not a dump"
    );
    let info = check_group_message(&msgs[0]);
    assert_eq!(info.group, 17);
    assert!(!info.listeners, "nobody is in group 17");
    let (h, body) = recv_one(&sock);
    assert_eq!((h.ty, h.seq, h.pid), (wire::NLMSG_ERROR, 44, port));
    assert!(status_of(&h, &body).is_ack(), "then the ACK");
    // The library's do.
    let mut c = client();
    assert_eq!(c.group(17).unwrap().group, 17);
    assert_eq!(
        c.group(wire::DEFAULT_GROUPS).unwrap().group,
        wire::DEFAULT_GROUPS
    );
}

/// Receives a dump's datagrams on `sock` up to its `NLMSG_DONE`; checks
/// every message's flags, seq and pid, and the DONE; returns the groups
/// and how many datagrams they took.
fn receive_dump(sock: &Socket, seq: u32) -> (Vec<GroupInfo>, usize) {
    let port = sock.port().unwrap();
    let (mut groups, mut datagrams) = (Vec::new(), 0);
    loop {
        let got = sock.recv_owned().unwrap();
        assert_eq!((got.from_port, got.group), (0, None));
        datagrams += 1;
        let msgs: Vec<_> = Messages::new(&got.data).map(|m| m.unwrap()).collect();
        assert!(!msgs.is_empty());
        for (i, m) in msgs.iter().enumerate() {
            let h = m.header;
            assert_eq!(
                h.flags & wire::NLM_F_MULTI,
                wire::NLM_F_MULTI,
                "NLM_F_MULTI on every message"
            );
            assert_eq!(
                (h.seq, h.pid),
                (seq, port),
                "the request's seq, the requester's port"
            );
            if h.ty == wire::NLMSG_DONE {
                assert_eq!(m.payload, 0i32.to_ne_bytes(), "the dump ends with int 0");
                assert_eq!(i, msgs.len() - 1, "nothing after the DONE");
                return (groups, datagrams);
            }
            groups.push(check_group_message(m));
        }
    }
}

#[test]
fn get_group_dump_lists_every_group_then_done_and_no_ack() {
    let _shared = shared();
    let sock = raw_socket(0);
    for flags in [0, wire::NLM_F_ACK] {
        let request = message(
            wire::NLECHO_CMD_GET_GROUP,
            REQ | wire::NLM_F_DUMP | flags,
            91,
            &[],
        );
        sock.send_to(&request, 0).unwrap();
        let (groups, datagrams) = receive_dump(&sock, 91);
        let numbers: Vec<u32> = groups.iter().map(|g| g.group).collect();
        assert_eq!(numbers, (1..=wire::DEFAULT_GROUPS).collect::<Vec<_>>());
        assert!(datagrams >= 1);
        assert_silent(&sock, SILENCE);
    }
    // The library's dump says the same.
    let mut c = client();
    let dump = c.dump(wire::NLECHO_CMD_GET_GROUP, 0, &[]).unwrap();
    assert_eq!(dump.replies.len(), wire::DEFAULT_GROUPS as usize);
    assert!(!dump.interrupted);
    println!(
        "dump of {} groups: {} datagram(s)",
        dump.replies.len(),
        dump.datagrams
    );
    let groups = c.groups().unwrap();
    assert_eq!(groups.len(), wire::DEFAULT_GROUPS as usize);
    // Every user may dump.
    std::thread::spawn(|| {
        drop_net_admin_in_this_thread();
        assert_eq!(
            client().groups().unwrap().len(),
            wire::DEFAULT_GROUPS as usize
        );
        assert_eq!(client().group(1).unwrap().group, 1);
    })
    .join()
    .unwrap();
}

/// Needs nlecho loaded with `groups=1024`: tests/guest/suite.sh does so and
/// runs this test alone.
#[test]
fn with_groups_1024_the_dump_spans_several_datagrams_and_stays_consistent() {
    let _exclusive = exclusive();
    const GROUPS: u32 = 1024;
    let mut c = client();
    assert_eq!(
        kernel_errno(c.group(GROUPS + 1)),
        Errno::ERANGE,
        "loaded with groups={GROUPS}"
    );
    let before = c.group(700).unwrap().sent;
    // Broadcasts to group 700 run all along the dumps.
    let stop = AtomicBool::new(false);
    let (sent, (raw_datagrams, lib_datagrams, seen)) = std::thread::scope(|s| {
        let broadcaster = s.spawn(|| {
            let mut b = client();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                b.broadcast(700, b"meanwhile").unwrap();
                n += 1;
            }
            n
        });
        // A small receive buffer: the core fills the next datagram only
        // once the previous one is read.
        let sock = raw_socket(0);
        sock.set_recv_buffer(4096).unwrap();
        sock.send_to(
            &message(
                wire::NLECHO_CMD_GET_GROUP,
                REQ | wire::NLM_F_DUMP | wire::NLM_F_ACK,
                1024,
                &[],
            ),
            0,
        )
        .unwrap();
        let (groups, raw_datagrams) = receive_dump(&sock, 1024);
        let numbers: Vec<u32> = groups.iter().map(|g| g.group).collect();
        assert_eq!(
            numbers,
            (1..=GROUPS).collect::<Vec<_>>(),
            "each group once, in order"
        );
        assert_silent(&sock, SILENCE);
        let seen = groups[699].sent;
        let dump = c.dump(wire::NLECHO_CMD_GET_GROUP, 0, &[]).unwrap();
        assert_eq!(dump.replies.len(), GROUPS as usize);
        stop.store(true, Ordering::Relaxed);
        (
            broadcaster.join().unwrap(),
            (raw_datagrams, dump.datagrams, seen),
        )
    });
    let after = c.group(700).unwrap().sent;
    assert_eq!(after, before + sent);
    assert!(
        (before..=after).contains(&seen),
        "{before} <= {seen} <= {after}"
    );
    assert!(raw_datagrams >= 2, "{raw_datagrams} datagram(s)");
    assert!(lib_datagrams >= 2, "{lib_datagrams} datagram(s)");
    println!(
        "NLECHO_DUMP_DATAGRAMS={raw_datagrams} (SO_RCVBUF 4096), {lib_datagrams} (the client's), {sent} broadcasts meanwhile"
    );
}

#[test]
fn stats_reply_has_pad_attributes_and_aligned_u64s() {
    let _shared = shared();
    let sock = raw_socket(0);
    sock.send_to(&message(wire::NLECHO_CMD_STATS, REQ, 12, &[]), 0)
        .unwrap();
    let got = sock.recv_owned().unwrap();
    assert_eq!(got.data.len(), wire::NLMSG_HDRLEN + wire::STATS_PAYLOAD_LEN);
    assert_eq!(got.data.len() % 8, 0);
    let (h, payload) = only_message(&got.data);
    assert_eq!((h.ty, h.seq), (wire::NLECHO_CMD_STATS, 12));
    let mut attrs = Attrs::new(&payload);
    let (mut pads, mut counters) = (0, 0);
    while let Some(a) = attrs.next() {
        let a = a.unwrap();
        let at = wire::NLMSG_HDRLEN + attrs.last_offset();
        if a.ty == wire::NLECHO_A_PAD {
            assert!(a.value.is_empty());
            pads += 1;
        } else {
            assert_eq!(a.value.len(), 8, "attribute {}", a.ty);
            assert_eq!((at + wire::NLA_HDRLEN) % 8, 0, "attribute {} aligned", a.ty);
            counters += 1;
        }
    }
    assert_eq!((pads, counters), (wire::COUNTERS, wire::COUNTERS));
    wire::Stats::parse(&payload).unwrap();
}

#[test]
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
fn a_group_listener_gets_notify_with_the_group_and_the_data() {
    let _shared = shared();
    let sock = listener(&[14]);
    let mut c = client();
    for len in [0, 1, 3, 4, 5, 1000, wire::MAX_NOTIFY_DATA] {
        let data = pattern(len);
        let ex = c.broadcast(14, &data).unwrap();
        assert_eq!(ex.ack.map(|a| a.error), Some(0), "{len} bytes acknowledged");
        let got = sock.recv_owned().unwrap();
        assert_eq!((got.from_port, got.group), (0, Some(14)));
        let (h, payload) = only_message(&got.data);
        let (group, got_data) = notify_of(&h, &payload);
        assert_eq!(group, 14, "{len} bytes");
        assert!(got_data == data, "{len} bytes of data");
    }
}

#[test]
fn broadcast_reaches_every_member_of_its_group_only() {
    let _shared = shared();
    let members: Vec<Socket> = (0..3).map(|_| listener(&[5])).collect();
    // A classic listener joins with bind()'s mask instead.
    let classic = {
        let mut s = Socket::open(wire::NETLINK_NLECHO).unwrap();
        s.bind(0, 1 << (5 - 1)).unwrap();
        s.set_timeout(TIMEOUT);
        s
    };
    let other = listener(&[6]);
    let ex = client().broadcast(5, b"to group 5").unwrap();
    assert_eq!(ex.ack.map(|a| a.error), Some(0), "acknowledged");
    for m in &members {
        let got = m.recv_owned().unwrap();
        assert_eq!(got.from_port, 0);
        let (h, payload) = only_message(&got.data);
        assert_eq!(notify_of(&h, &payload), (5, b"to group 5".to_vec()));
        assert_silent(m, SILENCE);
    }
    let got = classic.recv_owned().unwrap();
    assert_eq!(notify_data(&got.data), b"to group 5");
    assert_silent(&other, SILENCE);
}

/// Needs nlecho loaded with `classic_notify=1`: tests/guest/suite.sh does
/// so and runs this test alone.
#[test]
fn with_classic_notify_1_notifications_are_classic_done() {
    let _shared = shared();
    let joined = listener(&[5]);
    let bound = Socket::open(wire::NETLINK_NLECHO).unwrap();
    bound.bind(0, 1 << (5 - 1)).unwrap();
    let ex = client().broadcast(5, b"Hello classic\0").unwrap();
    assert_eq!(ex.ack.map(|a| a.error), Some(0));
    for sock in [&joined, &bound] {
        let got = sock.recv_owned().unwrap();
        assert_eq!((got.from_port, got.group), (0, Some(5)));
        let (h, payload) = only_message(&got.data);
        assert_eq!((h.ty, h.flags, h.seq, h.pid), (wire::NLMSG_DONE, 0, 0, 0));
        assert_eq!(payload, b"Hello classic\0", "the raw data, as NLMSG_DATA()");
    }
    // Requests are answered as always.
    assert_eq!(client().group(5).unwrap().group, 5);
}

/// Receivers learn a multicast's group from `nl_groups` (groups 1-32) and
/// `NETLINK_PKTINFO`, both read from `NETLINK_CB(skb).dst_group`, which the
/// sender must set (`nlmsg_multicast()` does; bare `netlink_broadcast()`
/// does not).
#[test]
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
fn leaving_a_group_stops_its_messages() {
    let _shared = shared();
    let sock = listener(&[11]);
    client().broadcast(11, b"one").unwrap();
    assert_eq!(notify_data(&sock.recv_owned().unwrap().data), b"one");
    sock.leave(11).unwrap();
    client().broadcast(11, b"two").unwrap();
    assert_silent(&sock, SILENCE);
}

#[test]
fn groups_report_listeners_and_sent_after_broadcasts() {
    let _shared = shared();
    let mut c = client();
    let before = c.group(15).unwrap();
    assert_eq!(before.group, 15);
    assert!(!before.listeners, "nobody is in group 15 yet");
    let sock = listener(&[15]);
    assert!(c.group(15).unwrap().listeners, "joined");
    for i in 0..3 {
        c.broadcast(15, format!("n{i}").as_bytes()).unwrap();
        notify_data(&sock.recv_owned().unwrap().data);
    }
    let after = c.group(15).unwrap();
    assert_eq!(
        (after.listeners, after.sent, after.dropped),
        (true, before.sent + 3, before.dropped)
    );
    // The dump's entry for the group says the same.
    let dumped = c.groups().unwrap();
    assert_eq!(dumped[14], after);
    sock.leave(15).unwrap();
    assert!(!c.group(15).unwrap().listeners, "left");
    let also = listener(&[15]);
    drop(also);
    assert!(!c.group(15).unwrap().listeners, "closed");
}

/// Reads a flooded listener until it falls silent: how many overruns
/// (ENOBUFS) and how many 1000-byte 0x5a notifications it got.
fn drain_overrun(sock: &Socket) -> (u32, u64) {
    let (mut overruns, mut received) = (0, 0);
    loop {
        match sock.recv_owned_until(Some(Instant::now() + SILENCE)) {
            Ok(Some(got)) => {
                assert_eq!(notify_data(&got.data), [0x5a; 1000]);
                received += 1;
            }
            Err(Error::Overrun) => overruns += 1,
            Ok(None) => break,
            Err(e) => panic!("{e}"),
        }
    }
    (overruns, received)
}

#[test]
fn misses_of_a_listener_with_broadcast_error_count_as_dropped() {
    let _shared = shared();
    let mut c = client();
    let sent = 64;
    // Group 16: a listener with NETLINK_BROADCAST_ERROR that does not read.
    // Group 18: the same without it.
    let mut reported = listener(&[16]);
    reported.set_broadcast_error(true).unwrap();
    let mut unreported = listener(&[18]);
    for (group, sock) in [(16, &mut reported), (18, &mut unreported)] {
        sock.set_recv_buffer(1).unwrap(); // the kernel's minimum
        let stats_before = c.stats().unwrap();
        let before = c.group(group).unwrap();
        for _ in 0..sent {
            let ex = c.broadcast(group, &[0x5a; 1000]).unwrap();
            assert_eq!(ex.ack.map(|a| a.error), Some(0), "a miss is no error");
        }
        let after = c.group(group).unwrap();
        assert_eq!(after.sent, before.sent + sent, "group {group}");
        let dropped = after.dropped - before.dropped;
        if group == 16 {
            assert!(
                dropped >= 1 && dropped < sent,
                "group 16: {dropped} dropped"
            );
            // Other tests may drop replies meanwhile: at least these.
            let stats = c.stats().unwrap();
            assert!(stats.dropped >= stats_before.dropped + dropped);
        } else {
            assert_eq!(dropped, 0, "group 18: nobody reported the misses");
        }
        // Either listener sees the overrun itself.
        let (overruns, received) = drain_overrun(sock);
        assert_eq!(overruns, 1, "group {group}: ENOBUFS at the listener");
        if group == 16 {
            assert_eq!(received + dropped, sent, "group 16: got or reported");
        }
    }
}

#[test]
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
fn user_sockets_multicast_to_a_group() {
    let _shared = shared();
    let sender = raw_socket(0);
    let ps = sender.port().unwrap();
    let members: Vec<Socket> = (0..2).map(|_| listener(&[3])).collect();
    let outsider = listener(&[4]);
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
    for m in &members {
        let got = m.recv_owned().unwrap();
        assert_eq!((got.from_port, got.group), (ps, Some(3)));
        assert_eq!(got.data, msg);
    }
    assert_silent(&outsider, SILENCE);
    assert_silent(&sender, SILENCE);
}

#[test]
fn an_overrun_is_reported_once_and_the_listener_goes_on() {
    let _shared = shared();
    let sock = listener(&[9]);
    sock.set_recv_buffer(1).unwrap(); // the kernel's minimum
    let mut c = client();
    let sent = 64;
    for _ in 0..sent {
        c.broadcast(9, &[0x5a; 1000]).unwrap();
    }
    let (overruns, received) = drain_overrun(&sock);
    assert_eq!(overruns, 1, "ENOBUFS is reported once per overflow");
    assert!(
        received > 0 && received < sent,
        "received {received} of {sent}"
    );
    // The socket still works.
    c.broadcast(9, b"after").unwrap();
    assert_eq!(notify_data(&sock.recv_owned().unwrap().data), b"after");
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
fn without_cap_net_admin_privileged_commands_get_eperm() {
    let _shared = shared();
    let peer = raw_socket(0);
    let peer_port = peer.port().unwrap();
    std::thread::spawn(move || {
        drop_net_admin_in_this_thread();
        let mut c = client();
        let err = c.broadcast(5, b"x").unwrap_err();
        assert_eq!(err.to_string(), "Error: needs CAP_NET_ADMIN. (EPERM)");
        let eperm = (
            Errno::EPERM,
            Some(String::from("needs CAP_NET_ADMIN")),
            None,
            None,
        );
        assert_eq!(kernel_error(c.broadcast(5, b"x")), eperm);
        assert_eq!(kernel_error(c.reset_stats()), eperm);
        // Unprivileged commands still work.
        c.stats().unwrap();
        c.group(5).unwrap();
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
    // A policy failure is an error too.
    let mut w = AttrWriter::new();
    w.put_u32(wire::NLECHO_A_GROUP, 19).unwrap();
    c.exchange(wire::NLECHO_CMD_BROADCAST, REQ, &w.finish().unwrap())
        .unwrap_err();
    // One notification nobody receives; a GET_GROUP do and a dump.
    c.broadcast(19, b"nobody listens").unwrap();
    c.group(19).unwrap();
    c.groups().unwrap();
    let s = c.stats().unwrap();
    assert_eq!(
        s.received,
        1 + k as u64 + 2 + 3 + 1,
        "STATS, echoes, 2 errors, BROADCAST, GET_GROUP do and dump, STATS"
    );
    assert_eq!(s.echoed, k as u64);
    assert_eq!(s.bytes, bytes);
    assert_eq!(s.errors, 2);
    assert_eq!(s.notified, 1);
    assert_eq!((s.dropped, s.malformed), (0, 0));
    // RESET_STATS zeroes the groups' counters too.
    assert_eq!(c.group(19).unwrap().sent, 1);
    c.reset_stats().unwrap();
    assert_eq!(c.group(19).unwrap().sent, 0);
}

#[test]
fn a_capture_holds_every_datagram_sent_and_received() {
    let _shared = shared();
    let path = std::env::temp_dir().join(format!("nlecho-kernel-{}.pcap", std::process::id()));
    let mut c = client().map_transport(Tapped::new);
    let file = File::create(&path).unwrap();
    c.transport().add_tap(Box::new(
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
