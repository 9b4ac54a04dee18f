//! Tests against the real module. They need nlecho.ko loaded on protocol 30,
//! so they are ignored on the host; `make test` runs them in the QEMU guest
//! with `--ignored`.

use std::time::Duration;

use nix::errno::Errno;
use nlecho::wire::{self, ErrorPayload, Header, Messages};
use nlecho::{Client, Error, Socket};

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for something that must not arrive.
const SILENCE: Duration = Duration::from_millis(300);

fn client() -> Client {
    Client::connect(wire::NETLINK_NLECHO, TIMEOUT).expect("nlecho.ko must be loaded on protocol 30")
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + len) as u8).collect()
}

fn encode(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0; wire::msg_space(payload.len())];
    wire::put(
        &mut out,
        Header {
            ty,
            flags,
            seq,
            ..Header::default()
        },
        payload,
    )
    .unwrap();
    out
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

fn assert_silent(sock: &mut Socket) {
    sock.set_timeout(SILENCE).unwrap();
    let mut buf = vec![0; wire::MAX_MSG_LEN];
    match sock.recv(&mut buf) {
        Err(Error::Timeout { .. }) => {}
        other => panic!("expected no datagram, got {other:?}"),
    }
    sock.set_timeout(TIMEOUT).unwrap();
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn hello_round_trip() {
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
    let sock = raw_socket(0);
    for seq in [0, 1, 0xdead_beef, u32::MAX] {
        sock.send_to(
            &encode(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, seq, b"x"),
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
    let sock = raw_socket(0);
    let mut dgram = Vec::new();
    let count = 16u32;
    for seq in 0..count {
        let ty = if seq % 2 == 0 {
            wire::NLECHO_CMD_ECHO
        } else {
            wire::NLECHO_CLASSIC
        };
        dgram.extend(encode(
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
    let sock = raw_socket(0);
    let flags = wire::NLM_F_REQUEST | wire::NLM_F_ACK;
    sock.send_to(&encode(wire::NLECHO_CMD_ECHO, flags, 9, b"ack me"), 0)
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
    let mut c = client();
    match c.request(0x7777, wire::NLM_F_REQUEST, b"?") {
        Err(Error::Kernel { errno }) => assert_eq!(errno, Errno::EOPNOTSUPP),
        other => panic!("expected EOPNOTSUPP, got {other:?}"),
    }
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn oversized_request_gets_emsgsize_and_only_the_header_back() {
    let sock = raw_socket(0);
    let payload = pattern(wire::MAX_PAYLOAD + 1);
    let mut dgram = vec![0; wire::msg_space(payload.len())];
    dgram[..16].copy_from_slice(
        &Header {
            len: (16 + payload.len()) as u32,
            ty: wire::NLECHO_CMD_ECHO,
            flags: wire::NLM_F_REQUEST,
            seq: 77,
            pid: 0,
        }
        .to_bytes(),
    );
    dgram[16..16 + payload.len()].copy_from_slice(&payload);
    sock.send_to(&dgram, 0).unwrap();
    let got = recv_all(&sock).unwrap();
    let (h, body) = &got[0];
    assert_eq!((h.ty, h.seq), (wire::NLMSG_ERROR, 77));
    assert_eq!(h.flags & wire::NLM_F_CAPPED, wire::NLM_F_CAPPED);
    assert_eq!(
        body.len(),
        wire::ERROR_PAYLOAD_LEN,
        "the error carries the header only"
    );
    let err = ErrorPayload::parse(body).unwrap();
    assert_eq!(err.error, -(Errno::EMSGSIZE as i32));
    assert_eq!(err.request.seq, 77);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn replies_go_to_the_sending_socket_not_to_nlmsg_pid() {
    let victim = {
        let mut s = raw_socket(0);
        s.set_timeout(SILENCE).unwrap();
        s
    };
    let victim_port = victim.port().unwrap();
    let sender = raw_socket(0);
    let mut dgram = encode(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, 5, b"spoof");
    dgram[12..16].copy_from_slice(&victim_port.to_ne_bytes());
    sender.send_to(&dgram, 0).unwrap();
    let got = recv_all(&sender).unwrap();
    assert_eq!(got[0].1, b"spoof");
    let mut victim = victim;
    assert_silent(&mut victim);
}

#[test]
#[ignore = "needs nlecho.ko; run in QEMU by make test"]
fn fixed_port_binding_works_like_classic_clients() {
    let sock = raw_socket(4242);
    assert_eq!(sock.port().unwrap(), 4242);
    sock.send_to(&encode(0, 0, 0, b"fixed"), 0).unwrap();
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
    let mut sock = raw_socket(0);
    let header = |len: u32| {
        Header {
            len,
            ..Header::default()
        }
        .to_bytes()
        .to_vec()
    };
    let mut prefixed = encode(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, 1, b"before");
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
        assert_silent(&mut sock);
        // The module still answers afterwards.
        let seq = 1000 + i as u32;
        sock.send_to(
            &encode(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, seq, b"after"),
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
