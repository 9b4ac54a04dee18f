//! The traffic `nlecho-bench` measures: echo round trips and multicast
//! fan-out.
//!
//! Three kinds of target answer the same traffic: a module serving a
//! protocol (nlecho.ko, or the C twin `c_echo.ko` on another protocol), and
//! the floor, a user-space peer thread that echoes over the same protocol,
//! so the path without any module work. Every figure comes from the
//! caller's side: wall time around `sendmsg()`/`recvmsg()`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::socket::{setsockopt, sockopt};
use nlecho::frame::{self, Batch};
use nlecho::wire::{self, Header, Messages};
use nlecho::{Error, Socket, Transport};

/// Socket buffers large enough for a batch of 32 maximum-size messages.
const BUFFER: usize = 8 << 20;
/// How long a receiver waits before deciding nothing more will come.
const IDLE: Duration = Duration::from_millis(500);

/// Who answers the echoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A kernel module serving `protocol`.
    Module {
        /// Its protocol number.
        protocol: u32,
    },
    /// A user-space peer on `protocol`: the floor.
    Floor {
        /// The protocol both sockets use.
        protocol: u32,
    },
}

/// Latency and throughput of one echo run.
#[derive(Clone, Debug, PartialEq)]
pub struct EchoResult {
    /// Round trips of one datagram (all its replies back), sorted, in µs.
    pub rtt_us: Vec<f64>,
    /// Messages echoed.
    pub messages: u64,
    /// Payload bytes echoed.
    pub bytes: u64,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Of the replies, those nlecho.ko sent without copying (its
    /// `zero_copy` counter across the run); `None` for a target that is not
    /// nlecho.ko or where the counter could not be read.
    pub zero_copy: Option<u64>,
}

impl EchoResult {
    /// The `q` quantile of the round trips, in µs.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.rtt_us.len();
        if n == 0 {
            return 0.0;
        }
        let at = ((n - 1) as f64 * q).round() as usize;
        self.rtt_us[at.min(n - 1)]
    }

    /// Messages echoed per second.
    pub fn msgs_per_s(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    /// Payload megabytes (10^6 bytes) echoed per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    /// Merges runs of the same configuration. The zero-copy count is known
    /// only if it is for every run.
    pub fn merge(runs: &[EchoResult]) -> EchoResult {
        let mut all = EchoResult {
            rtt_us: Vec::new(),
            messages: 0,
            bytes: 0,
            elapsed: Duration::ZERO,
            zero_copy: Some(0),
        };
        for run in runs {
            all.rtt_us.extend_from_slice(&run.rtt_us);
            all.messages += run.messages;
            all.bytes += run.bytes;
            all.elapsed += run.elapsed;
            all.zero_copy = all.zero_copy.zip(run.zero_copy).map(|(a, b)| a + b);
        }
        all.rtt_us.sort_by(f64::total_cmp);
        all
    }
}

/// Fan-out of one multicast run.
#[derive(Clone, Debug, PartialEq)]
pub struct FanoutResult {
    /// Messages sent to the group.
    pub sent: u64,
    /// Messages each listener received, per listener.
    pub received: Vec<u64>,
    /// From the first send to the last message received.
    pub elapsed: Duration,
}

impl FanoutResult {
    /// Mean messages per second delivered to one listener.
    pub fn per_listener_per_s(&self) -> f64 {
        let total: u64 = self.received.iter().sum();
        let secs = self.elapsed.as_secs_f64();
        if secs == 0.0 {
            return 0.0;
        }
        total as f64 / self.received.len().max(1) as f64 / secs
    }

    /// Messages sent but not received, summed over the listeners.
    pub fn drops(&self) -> u64 {
        self.received
            .iter()
            .map(|r| self.sent - r.min(&self.sent))
            .sum()
    }
}

fn open(protocol: u32, groups: u32) -> Result<Socket> {
    let mut sock = Socket::open(protocol)?;
    sock.bind(0, groups)?;
    // Root may exceed rmem_max/wmem_max; the benchmark runs as root.
    setsockopt(&sock, sockopt::SndBufForce, &BUFFER).context("setsockopt(SO_SNDBUFFORCE)")?;
    setsockopt(&sock, sockopt::RcvBufForce, &BUFFER).context("setsockopt(SO_RCVBUFFORCE)")?;
    sock.set_timeout(IDLE);
    Ok(sock)
}

/// `batch` ECHO requests of `payload` bytes in one datagram.
fn echo_datagram(payload: usize, batch: usize) -> Result<Vec<u8>> {
    let body: Vec<u8> = (0..payload).map(|i| i as u8).collect();
    let mut out = Batch::new();
    for seq in 0..batch {
        let header = Header {
            ty: wire::NLECHO_CMD_ECHO,
            flags: wire::NLM_F_REQUEST,
            seq: seq as u32,
            ..Header::default()
        };
        out.push(header, &body)?;
    }
    Ok(out.into_vec())
}

/// A user-space echo peer: sends every message it receives back to its
/// sender, one datagram each, as the module does. Runs until `stop`.
fn floor_peer(sock: Socket, stop: &AtomicBool) -> Result<()> {
    let mut buf = vec![0; BUFFER];
    while !stop.load(Ordering::Relaxed) {
        let got = match sock.recv(&mut buf) {
            Ok(got) => got,
            Err(Error::Timeout { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        for msg in Messages::new(&buf[..got.len]) {
            let msg = msg.map_err(Error::Malformed)?;
            let end = msg.offset + wire::align(msg.header.len as usize).min(got.len - msg.offset);
            sock.send_to(&buf[msg.offset..end], got.from_port)?;
        }
    }
    Ok(())
}

/// `count` round trips of `batch` echoes of `payload` bytes each.
pub fn echo(target: Target, payload: usize, batch: usize, count: usize) -> Result<EchoResult> {
    match target {
        Target::Module { protocol } => echo_with(&open(protocol, 0)?, 0, payload, batch, count),
        Target::Floor { protocol } => {
            let peer = open(protocol, 0)?;
            let peer_port = peer.port()?;
            let client = open(protocol, 0)?;
            let stop = AtomicBool::new(false);
            thread::scope(|s| {
                let handle = s.spawn(|| floor_peer(peer, &stop));
                let result = echo_with(&client, peer_port, payload, batch, count);
                stop.store(true, Ordering::Relaxed);
                handle.join().unwrap_or(Ok(())).and(result)
            })
        }
    }
}

fn echo_with(
    sock: &Socket,
    to: u32,
    payload: usize,
    batch: usize,
    count: usize,
) -> Result<EchoResult> {
    let datagram = echo_datagram(payload, batch)?;
    let mut buf = vec![0; wire::MAX_MSG_LEN];
    let mut rtt_us = Vec::with_capacity(count);
    let started = Instant::now();
    for _ in 0..count {
        let t = Instant::now();
        sock.send_to(&datagram, to)?;
        for _ in 0..batch {
            sock.recv(&mut buf)?;
        }
        rtt_us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let elapsed = started.elapsed();
    rtt_us.sort_by(f64::total_cmp);
    let messages = (count * batch) as u64;
    Ok(EchoResult {
        rtt_us,
        messages,
        bytes: messages * payload as u64,
        elapsed,
        zero_copy: None,
    })
}

/// Sends `count` messages of `payload` bytes to multicast `group` (1-32)
/// and counts what each of `listeners` sockets receives. A module target
/// is asked with BROADCAST requests; the floor sends to the group itself.
pub fn fanout(
    target: Target,
    group: u32,
    listeners: usize,
    payload: usize,
    count: usize,
) -> Result<FanoutResult> {
    let (protocol, request) = match target {
        Target::Module { protocol } => (protocol, true),
        Target::Floor { protocol } => (protocol, false),
    };
    let socks = (0..listeners)
        .map(|_| open(protocol, 1 << (group - 1)))
        .collect::<Result<Vec<_>>>()?;
    let sender = open(protocol, 0)?;
    let data = vec![0x5a; payload];
    let datagram = if request {
        let header = Header {
            ty: wire::NLECHO_CMD_BROADCAST,
            flags: wire::NLM_F_REQUEST,
            ..Header::default()
        };
        frame::encode(header, &frame::broadcast_payload(group, &data)?)?
    } else {
        let header = Header {
            ty: wire::NLMSG_DONE,
            ..Header::default()
        };
        frame::encode(header, &data)?
    };
    // The clock starts once every listener runs: thread start-up is slow
    // under emulation and is no part of the path measured.
    let ready = Barrier::new(listeners + 1);
    thread::scope(|s| {
        let handles: Vec<_> = socks
            .iter()
            .map(|sock| {
                let ready = &ready;
                s.spawn(move || {
                    ready.wait();
                    listen(sock, count)
                })
            })
            .collect();
        ready.wait();
        let started = Instant::now();
        let mut result: Result<()> = Ok(());
        for _ in 0..count {
            let sent = if request {
                sender.send_to(&datagram, 0)
            } else {
                sender.send_to_group(&datagram, group)
            };
            if let Err(e) = sent {
                result = Err(e.into());
                break;
            }
        }
        let mut received = Vec::new();
        let mut last = started;
        for h in handles {
            let (n, at) = h.join().unwrap_or((0, started));
            received.push(n);
            last = last.max(at);
        }
        result.map(|()| FanoutResult {
            sent: count as u64,
            received,
            elapsed: last.saturating_duration_since(started),
        })
    })
}

/// Receives until `count` messages came or the socket stayed idle; returns
/// how many came and when the last one did. Overruns (`ENOBUFS`) are the
/// drops the caller counts, so they do not stop the listener.
fn listen(sock: &Socket, count: usize) -> (u64, Instant) {
    let mut buf = vec![0; wire::MAX_MSG_LEN];
    let (mut got, mut last) = (0, Instant::now());
    while got < count as u64 {
        match sock.recv(&mut buf) {
            Ok(_) => {
                got += 1;
                last = Instant::now();
            }
            // An overrun: the drops the caller counts.
            Err(Error::Overrun) => {}
            Err(_) => break,
        }
    }
    (got, last)
}
