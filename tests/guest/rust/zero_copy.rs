//! The zero-copy echo against the live module: which datagrams take it
//! (the `zero_copy` counter says), that its replies are those of the copy
//! path, and that the request a multicast listener shares is not rewritten.
//! They need nlecho.ko loaded on protocol 30 with `copy_echo=0` and root,
//! and read exact counter deltas, so tests/guest/suite.sh runs them one at
//! a time (`--test-threads=1`), after the other tests.

use std::time::Duration;

use nlecho::wire::{self, Header, Messages, Stats};
use nlecho::{frame, Client, Error, Socket, Transport};

use common::message::message;
use common::silence::assert_silent;

const TIMEOUT: Duration = Duration::from_secs(5);
const REQ: u16 = wire::NLM_F_REQUEST;
const COPY_ECHO: &str = "/sys/module/nlecho/parameters/copy_echo";

fn client() -> Client {
    Client::connect(wire::NETLINK_NLECHO, TIMEOUT).expect("nlecho.ko must be loaded on protocol 30")
}

fn raw_socket() -> Socket {
    let mut sock = Socket::open(wire::NETLINK_NLECHO).unwrap();
    sock.bind(0, 0).unwrap();
    sock.set_timeout(TIMEOUT);
    sock
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 + len) as u8).collect()
}

/// How the counters moved while `f` ran, less the STATS request that reads
/// them afterwards.
fn counted(c: &mut Client, f: impl FnOnce()) -> Stats {
    let before = c.stats().unwrap();
    f();
    let mut moved = c.stats().unwrap().zip_with(&before, |a, b| a - b);
    moved.received -= 1;
    moved
}

/// Sends `datagram` to the kernel and returns the one datagram that comes
/// back, whole.
fn round_trip(sock: &Socket, datagram: &[u8]) -> Vec<u8> {
    sock.send_to(datagram, 0).unwrap();
    let got = sock.recv_owned().unwrap();
    assert_eq!(got.from_port, 0, "replies come from the kernel");
    assert_eq!(got.group, None, "a unicast");
    got.data
}

/// A datagram of one message with the sender's `pid`, padded to its
/// alignment with `pad` bytes, or not padded at all.
fn datagram(ty: u16, flags: u16, seq: u32, pid: u32, payload: &[u8], pad: Option<u8>) -> Vec<u8> {
    let len = wire::NLMSG_HDRLEN + payload.len();
    let mut d = Header {
        len: len as u32,
        ty,
        flags,
        seq,
        pid,
    }
    .to_bytes()
    .to_vec();
    d.extend_from_slice(payload);
    if let Some(byte) = pad {
        d.resize(wire::align(len), byte);
    }
    d
}

/// Sets `copy_echo` for as long as the value lives, then sets it back to 0.
struct CopyEcho;

impl CopyEcho {
    fn on() -> Self {
        std::fs::write(COPY_ECHO, "1").expect("copy_echo is writable by root");
        assert_eq!(std::fs::read_to_string(COPY_ECHO).unwrap(), "Y\n");
        CopyEcho
    }
}

impl Drop for CopyEcho {
    fn drop(&mut self) {
        std::fs::write(COPY_ECHO, "0").expect("copy_echo is writable by root");
    }
}

#[test]
fn copy_echo_is_off_by_default() {
    assert_eq!(std::fs::read_to_string(COPY_ECHO).unwrap(), "N\n");
}

#[test]
fn one_echo_per_datagram_is_answered_without_copying_at_every_size() {
    let mut c = client();
    let sock = raw_socket();
    // Either side of the `kvmalloc()` threshold of the request's head, and
    // the largest payload.
    for (seq, len) in [0, 4, 16, 1024, 3760, 3780, 8192, wire::MAX_PAYLOAD]
        .into_iter()
        .enumerate()
    {
        let payload = pattern(len);
        let sent = datagram(
            wire::NLECHO_CMD_ECHO,
            REQ,
            seq as u32,
            4242,
            &payload,
            Some(0),
        );
        let mut got = Vec::new();
        let d = counted(&mut c, || got = round_trip(&sock, &sent));
        let want = datagram(wire::NLECHO_CMD_ECHO, 0, seq as u32, 0, &payload, Some(0));
        assert!(
            got == want,
            "{len} B: the reply of the copy path, byte for byte"
        );
        assert_eq!(
            (d.received, d.echoed, d.zero_copy, d.bytes, d.dropped),
            (1, 1, 1, len as u64, 0),
            "{len} B: one zero-copy echo"
        );
    }
}

#[test]
fn classic_messages_are_answered_without_copying_with_done() {
    let mut c = client();
    let sock = raw_socket();
    // As the tutorials' clients send: nlmsg_pid is their pid, flags 0.
    let payload = pattern(1024);
    let sent = datagram(wire::NLECHO_CLASSIC, 0, 7, 31337, &payload, Some(0));
    let mut got = Vec::new();
    let d = counted(&mut c, || got = round_trip(&sock, &sent));
    assert!(got == datagram(wire::NLMSG_DONE, 0, 7, 0, &payload, Some(0)));
    assert_eq!((d.echoed, d.zero_copy), (1, 1));
}

#[test]
fn a_message_comes_back_with_its_padding_or_without() {
    let mut c = client();
    let sock = raw_socket();
    let payload = b"hello";
    // Padding is the sender's: it comes back as sent.
    let padded = datagram(wire::NLECHO_CMD_ECHO, REQ, 1, 0, payload, Some(0xa5));
    let mut got = Vec::new();
    let d = counted(&mut c, || got = round_trip(&sock, &padded));
    assert!(got == datagram(wire::NLECHO_CMD_ECHO, 0, 1, 0, payload, Some(0xa5)));
    assert_eq!(d.zero_copy, 1);
    // A datagram that ends with the message gets a reply that does too.
    let bare = datagram(wire::NLECHO_CMD_ECHO, REQ, 2, 0, payload, None);
    let d = counted(&mut c, || got = round_trip(&sock, &bare));
    assert!(got == datagram(wire::NLECHO_CMD_ECHO, 0, 2, 0, payload, None));
    assert_eq!(d.zero_copy, 1);
}

#[test]
fn with_copy_echo_1_the_same_echo_is_copied() {
    let mut c = client();
    let sock = raw_socket();
    let payload = b"hello";
    let padded = datagram(wire::NLECHO_CMD_ECHO, REQ, 3, 0, payload, Some(0xa5));
    let mut got = Vec::new();
    let copy = CopyEcho::on();
    let d = counted(&mut c, || got = round_trip(&sock, &padded));
    drop(copy);
    assert!(
        got == datagram(wire::NLECHO_CMD_ECHO, 0, 3, 0, payload, Some(0)),
        "a new skb, zeroed padding"
    );
    assert_eq!((d.echoed, d.zero_copy), (1, 0));
    let d = counted(&mut c, || got = round_trip(&sock, &padded));
    assert_eq!((d.echoed, d.zero_copy), (1, 1), "switched back at run time");
}

/// Receives everything `sock` gets for one request: all datagrams until
/// the socket stays silent.
fn all_messages(sock: &Socket) -> Vec<(Header, Vec<u8>)> {
    let mut out = Vec::new();
    let mut first = true;
    loop {
        let deadline = std::time::Instant::now()
            + if first {
                TIMEOUT
            } else {
                Duration::from_millis(300)
            };
        first = false;
        let Some(got) = sock.recv_owned_until(Some(deadline)).unwrap() else {
            return out;
        };
        for m in Messages::new(&got.data) {
            let m = m.unwrap();
            out.push((m.header, m.payload.to_vec()));
        }
    }
}

#[test]
fn an_echo_asking_for_an_ack_is_copied_and_acked_with_its_own_header() {
    let mut c = client();
    let sock = raw_socket();
    let flags = REQ | wire::NLM_F_ACK;
    let sent = datagram(wire::NLECHO_CMD_ECHO, flags, 4, 777, b"ack me", Some(0));
    let mut got = Vec::new();
    let d = counted(&mut c, || {
        sock.send_to(&sent, 0).unwrap();
        got = all_messages(&sock);
    });
    assert_eq!(got.len(), 2, "the echo, then the ACK");
    assert_eq!(
        (got[0].0.ty, got[0].1.as_slice()),
        (wire::NLECHO_CMD_ECHO, &b"ack me"[..])
    );
    assert_eq!(got[1].0.ty, wire::NLMSG_ERROR);
    let acked = Header::parse(&got[1].1[4..]).unwrap();
    assert_eq!(
        (acked.ty, acked.flags, acked.seq, acked.pid),
        (wire::NLECHO_CMD_ECHO, flags, 4, 777),
        "the ACK carries the request's header as sent"
    );
    assert_eq!((d.echoed, d.zero_copy), (1, 0));
}

#[test]
fn a_batch_is_copied() {
    let mut c = client();
    let sock = raw_socket();
    let mut batch = frame::Batch::new();
    for seq in [5, 6] {
        let header = Header {
            ty: wire::NLECHO_CMD_ECHO,
            flags: REQ,
            seq,
            ..Header::default()
        };
        batch.push(header, b"two in one").unwrap();
    }
    let mut got = Vec::new();
    let d = counted(&mut c, || {
        sock.send_to(&batch.into_vec(), 0).unwrap();
        got = all_messages(&sock);
    });
    let seqs: Vec<u32> = got.iter().map(|(h, _)| h.seq).collect();
    assert_eq!(seqs, [5, 6]);
    assert_eq!((d.echoed, d.zero_copy), (2, 0));
}

#[test]
fn trailing_bytes_after_the_message_are_not_echoed() {
    let mut c = client();
    let sock = raw_socket();
    let mut sent = message(wire::NLECHO_CMD_ECHO, REQ, 8, b"12345678");
    sent.extend_from_slice(&[0xee; 8]); // too short for a header
    let mut got = Vec::new();
    let d = counted(&mut c, || {
        sock.send_to(&sent, 0).unwrap();
        got = all_messages(&sock);
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, b"12345678");
    assert_eq!((d.echoed, d.zero_copy, d.malformed), (1, 0, 1));
}

#[test]
fn a_request_shared_with_a_group_listener_reaches_it_unchanged() {
    let mut c = client();
    let sender = raw_socket();
    let listener = raw_socket();
    listener.join(5).unwrap();
    let payload = pattern(2000);
    let sent = datagram(wire::NLECHO_CMD_ECHO, REQ, 9, 4242, &payload, Some(0));
    let mut reply = Vec::new();
    // Multicast shares the request's data with the listener's copy: the
    // module must not rewrite it, so it copies.
    let d = counted(&mut c, || {
        sender.send_to_group(&sent, 5).unwrap();
        reply = sender.recv_owned().unwrap().data;
    });
    let got = listener.recv_owned().unwrap();
    assert_eq!(got.group, Some(5));
    assert!(got.data == sent, "the listener gets the request as sent");
    assert!(reply == datagram(wire::NLECHO_CMD_ECHO, 0, 9, 0, &payload, Some(0)));
    assert_eq!((d.echoed, d.zero_copy), (1, 0));
    assert_silent(&listener, Duration::from_millis(300));
}

#[test]
fn a_full_receive_queue_drops_the_zero_copy_reply_and_the_sender_goes_on() {
    let mut c = client();
    let sock = raw_socket();
    sock.set_recv_buffer(1).unwrap(); // the kernel's minimum
    let payload = pattern(wire::MAX_PAYLOAD);
    let sent = datagram(wire::NLECHO_CMD_ECHO, REQ, 10, 0, &payload, Some(0));
    let d = counted(&mut c, || {
        for _ in 0..8 {
            sock.send_to(&sent, 0).unwrap();
        }
    });
    assert_eq!(d.received, 8);
    assert_eq!(d.echoed + d.dropped, 8, "each reply taken or dropped");
    assert!(
        d.dropped > 0,
        "a minimal receive buffer takes one reply at most"
    );
    assert_eq!(d.zero_copy, d.echoed);
    // The kernel reports the loss (ENOBUFS) before the reply it kept.
    assert!(matches!(sock.recv_owned(), Err(Error::Overrun)));
    let got = sock.recv_owned().unwrap();
    assert!(got.data == datagram(wire::NLECHO_CMD_ECHO, 0, 10, 0, &payload, Some(0)));
    assert_silent(&sock, Duration::from_millis(300));
}
