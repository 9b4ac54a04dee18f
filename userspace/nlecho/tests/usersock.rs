//! Host tests of the socket layer on NETLINK_USERSOCK, the protocol every
//! kernel has for user-to-user netlink (unprivileged sends and joins
//! allowed): peer unicast and multicast, group reporting, buffer sizing,
//! overruns, timeouts, deadlines, signals and taps, without the module.
//!
//! Tests run in parallel, so each uses kernel-chosen ports and a group of
//! its own.

use std::io::Write;
use std::os::unix::thread::JoinHandleExt;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::pthread::pthread_kill;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nlecho::pcap::{PcapReader, PcapWriter};
use nlecho::wire::{self, Header};
use nlecho::{frame, Client, Direction, Error, Socket, Tapped, Transport};

const USERSOCK: u32 = libc::NETLINK_USERSOCK as u32;
const TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for something that must not arrive.
const SILENCE: Duration = Duration::from_millis(100);

use common::silence::assert_silent;

fn open(groups: &[u32]) -> Socket {
    let mut s = Socket::open(USERSOCK).expect("NETLINK_USERSOCK socket");
    s.bind(0, 0).unwrap();
    s.set_timeout(TIMEOUT);
    for &g in groups {
        s.join(g).unwrap();
    }
    s
}

fn message(seq: u32, payload: &[u8]) -> Vec<u8> {
    let h = Header {
        ty: wire::NLECHO_CMD_ECHO,
        seq,
        ..Header::default()
    };
    frame::encode(h, payload).unwrap()
}

#[test]
fn unicast_reports_the_sender_port_and_no_group() {
    let (a, b) = (open(&[]), open(&[]));
    let msg = message(1, b"a to b");
    a.send_to(&msg, b.port().unwrap()).unwrap();
    let got = b.recv_owned().unwrap();
    assert_eq!(got.data, msg);
    assert_eq!((got.from_port, got.group), (a.port().unwrap(), None));
}

#[test]
fn multicast_reports_the_group_joined_or_bound() {
    let sender = open(&[]);
    let joined = open(&[21]);
    // bind()'s mask, as classic listeners do: no NETLINK_PKTINFO.
    let bound = Socket::open(USERSOCK).unwrap();
    bound.bind(0, 1 << (21 - 1)).unwrap();
    let other = open(&[22]);
    let msg = message(2, b"to 21");
    sender.send_to_group(&msg, 21).unwrap();
    for s in [&joined, &bound] {
        let got = s.recv_owned().unwrap();
        assert_eq!(got.data, msg);
        assert_eq!(
            (got.from_port, got.group),
            (sender.port().unwrap(), Some(21))
        );
    }
    assert_silent(&other, SILENCE);
}

#[test]
fn leaving_a_group_stops_delivery() {
    let sender = open(&[]);
    let s = open(&[23]);
    sender.send_to_group(&message(1, b"in"), 23).unwrap();
    assert_eq!(s.recv_owned().unwrap().group, Some(23));
    s.leave(23).unwrap();
    sender.send_to_group(&message(2, b"out"), 23).unwrap();
    assert_silent(&s, SILENCE);
}

#[test]
fn groups_outside_the_mask_are_refused_before_any_syscall() {
    let s = open(&[]);
    for g in [0, 33, u32::MAX] {
        assert!(
            matches!(s.send_to_group(b"x", g), Err(Error::BadGroup { .. })),
            "group {g}"
        );
    }
    assert!(matches!(s.join(0), Err(Error::BadGroup { .. })));
}

#[test]
fn recv_owned_takes_datagrams_of_any_size_and_recv_never_cuts() {
    let (a, b) = (open(&[]), open(&[]));
    // Larger than anything the module sends: only peeking sizes this.
    let big = message(3, &vec![0x42; wire::MAX_PAYLOAD]);
    let huge: Vec<u8> = big.iter().chain(big.iter()).copied().collect();
    a.send_to(&huge, b.port().unwrap()).unwrap();
    assert_eq!(b.peek_len().unwrap(), huge.len());
    let got = b.recv_owned().unwrap();
    assert_eq!(got.data.len(), 2 * wire::MAX_MSG_LEN);
    assert!(got.data == huge);
    a.send_to(&huge, b.port().unwrap()).unwrap();
    let mut buf = vec![0; wire::MAX_MSG_LEN];
    assert!(matches!(
        b.recv(&mut buf),
        Err(Error::Truncated { len }) if len == wire::MAX_MSG_LEN
    ));
}

#[test]
fn an_overrun_is_its_own_error_and_the_socket_goes_on() {
    let sender = open(&[]);
    let s = open(&[24]);
    s.set_recv_buffer(1).unwrap();
    let msg = message(4, &[7; 1000]);
    for _ in 0..64 {
        sender.send_to_group(&msg, 24).unwrap();
    }
    let (mut overruns, mut got) = (0, 0);
    loop {
        match s.recv_owned_until(Some(Instant::now() + SILENCE)) {
            Ok(Some(r)) => {
                assert_eq!(r.data, msg);
                got += 1;
            }
            Err(Error::Overrun) => overruns += 1,
            Ok(None) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(overruns, 1);
    assert!(got > 0 && got < 64, "{got} of 64");
    sender.send_to_group(&message(5, b"after"), 24).unwrap();
    assert_eq!(s.recv_owned().unwrap().data, message(5, b"after"));
}

#[test]
fn a_receive_times_out() {
    let mut s = open(&[]);
    s.set_timeout(Duration::from_millis(50));
    match s.recv_owned() {
        Err(Error::Timeout { after }) => assert_eq!(after, Duration::from_millis(50)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_receive_until_a_deadline_ends_there_but_takes_what_is_queued() {
    let (a, b) = (open(&[]), open(&[]));
    let wait = Duration::from_millis(100);
    let started = Instant::now();
    assert_eq!(b.recv_owned_until(Some(started + wait)).unwrap(), None);
    let waited = started.elapsed();
    assert!(
        waited >= wait && waited < wait + Duration::from_millis(200),
        "waited {waited:?}"
    );
    // A deadline already passed: what is queued is still taken, at once.
    let msg = message(6, b"queued");
    a.send_to(&msg, b.port().unwrap()).unwrap();
    let passed = Some(Instant::now());
    let got = b.recv_owned_until(passed).unwrap();
    assert_eq!(got.map(|r| r.data), Some(msg));
    assert_eq!(b.recv_owned_until(passed).unwrap(), None);
}

#[test]
fn a_signal_ends_a_wait_with_interrupted() {
    extern "C" fn nothing(_: libc::c_int) {}
    // As `nlecho listen` installs its handlers: without SA_RESTART.
    let action = SigAction::new(
        SigHandler::Handler(nothing),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler does nothing, so it is async-signal-safe, and no
    // other test uses SIGUSR1.
    unsafe { sigaction(Signal::SIGUSR1, &action) }.unwrap();
    let s = open(&[]);
    let waiter = thread::spawn(move || {
        let started = Instant::now();
        let got = s.recv_owned_until(Some(started + TIMEOUT));
        (got, started.elapsed())
    });
    // Until one lands inside the wait: one sent before it would be missed.
    while !waiter.is_finished() {
        pthread_kill(waiter.as_pthread_t(), Signal::SIGUSR1).unwrap();
        thread::sleep(Duration::from_millis(50));
    }
    let (got, waited) = waiter.join().unwrap();
    assert!(matches!(got, Err(Error::Interrupted)), "{got:?}");
    assert!(waited < TIMEOUT, "waited {waited:?}");
}

/// A `Write` whose bytes the test can read after the writer moved into a tap.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_pcap_tap_records_both_directions_in_order() {
    let (a, b) = (Tapped::new(open(&[])), open(&[25]));
    let capture = Shared::default();
    a.add_tap(Box::new(
        PcapWriter::new(capture.clone(), USERSOCK).unwrap(),
    ));
    let (pa, pb) = (a.socket().port().unwrap(), b.port().unwrap());
    let first = message(1, b"unicast");
    let second = message(2, b"multicast");
    let answer = message(3, b"answer");
    a.send_to(&first, pb).unwrap();
    a.send_to_group(&second, 25).unwrap();
    b.recv_owned().unwrap();
    b.recv_owned().unwrap();
    b.send_to(&answer, pa).unwrap();
    a.recv_owned().unwrap();
    let bytes = capture.0.lock().unwrap().clone();
    let packets: Vec<_> = PcapReader::new(&bytes[..])
        .unwrap()
        .map(|p| p.unwrap())
        .collect();
    let got: Vec<_> = packets
        .iter()
        .map(|p| (p.direction, p.datagram.clone(), p.protocol))
        .collect();
    assert_eq!(
        got,
        [
            (Direction::Sent, first, 2),
            (Direction::Sent, second, 2),
            (Direction::Received, answer, 2),
        ]
    );
}

#[test]
fn netlink_options_round_trip() {
    let s = open(&[]);
    assert!(!s.ext_ack().unwrap() && !s.cap_ack().unwrap() && !s.strict_check().unwrap());
    s.set_ext_ack(true).unwrap();
    s.set_cap_ack(true).unwrap();
    s.set_strict_check(true).unwrap();
    s.set_broadcast_error(true).unwrap();
    assert!(s.ext_ack().unwrap() && s.cap_ack().unwrap() && s.strict_check().unwrap());
    s.set_cap_ack(false).unwrap();
    s.set_strict_check(false).unwrap();
    assert!(!s.cap_ack().unwrap() && !s.strict_check().unwrap());
    assert!(s.ext_ack().unwrap());
}

#[test]
fn a_client_asks_for_extended_acks_and_full_errors() {
    let c = Client::connect(USERSOCK, TIMEOUT).unwrap();
    let s = c.socket();
    assert!(s.ext_ack().unwrap(), "NETLINK_EXT_ACK on");
    assert!(
        !s.cap_ack().unwrap(),
        "NETLINK_CAP_ACK off: errors echo the request"
    );
    assert!(!s.strict_check().unwrap(), "lenient unless asked");
}

#[test]
fn requests_and_dumps_to_a_protocol_without_a_kernel_socket_are_refused() {
    // NETLINK_USERSOCK has no kernel socket: nothing is bound to port 0.
    let mut c = Client::connect(USERSOCK, TIMEOUT).unwrap();
    for got in [
        c.groups().map(drop),
        c.group(1).map(drop),
        c.stats().map(drop),
    ] {
        match got {
            Err(Error::Sys { errno, .. }) => assert_eq!(errno, Errno::ECONNREFUSED),
            other => panic!("{other:?}"),
        }
    }
}
