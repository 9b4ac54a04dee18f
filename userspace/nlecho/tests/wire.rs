//! Host tests of the wire format: the same file the kernel module runs.

use nlecho::wire::{self, ErrorPayload, Header, Malformed, Messages};

fn msg(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xaa; wire::msg_space(payload.len())];
    let used = wire::put(
        &mut out,
        Header {
            ty,
            seq,
            ..Header::default()
        },
        payload,
    )
    .unwrap();
    assert_eq!(used, out.len());
    out
}

fn raw_header(len: u32) -> Vec<u8> {
    Header {
        len,
        ..Header::default()
    }
    .to_bytes()
    .to_vec()
}

#[test]
fn align_matches_nlmsg_align() {
    let cases = [(0, 0), (1, 4), (3, 4), (4, 4), (5, 8), (16, 16), (29, 32)];
    for (len, aligned) in cases {
        assert_eq!(wire::align(len), aligned, "NLMSG_ALIGN({len})");
    }
    assert_eq!(wire::msg_space(1024), 1040, "NLMSG_SPACE(1024)");
    assert_eq!(wire::msg_space(0), wire::NLMSG_HDRLEN);
}

#[test]
fn header_round_trips_in_host_byte_order() {
    let h = Header {
        len: 0x0102_0304,
        ty: 0x0506,
        flags: 0x0708,
        seq: 0x090a_0b0c,
        pid: 0x0d0e_0f10,
    };
    let b = h.to_bytes();
    assert_eq!(&b[0..4], &0x0102_0304u32.to_ne_bytes());
    assert_eq!(&b[4..6], &0x0506u16.to_ne_bytes());
    assert_eq!(Header::parse(&b), Some(h));
    assert_eq!(Header::parse(&b[..15]), None);
}

#[test]
fn put_writes_length_payload_and_zero_padding() {
    let out = msg(wire::NLECHO_CMD_ECHO, 7, b"Hello");
    assert_eq!(out.len(), 24);
    let h = Header::parse(&out).unwrap();
    assert_eq!((h.len, h.ty, h.seq), (21, wire::NLECHO_CMD_ECHO, 7));
    assert_eq!(&out[16..21], b"Hello");
    assert_eq!(&out[21..], &[0, 0, 0], "padding must be zeroed");
}

#[test]
fn put_refuses_a_short_buffer_and_oversized_payload() {
    let mut small = [0u8; 20];
    assert_eq!(
        wire::put(&mut small, Header::default(), b"Hello"),
        Err(wire::NoRoom { need: 24, have: 20 })
    );
    let big = vec![0u8; wire::MAX_PAYLOAD + 1];
    let mut out = vec![0u8; wire::msg_space(big.len())];
    assert!(wire::put(&mut out, Header::default(), &big).is_err());
    let max = vec![1u8; wire::MAX_PAYLOAD];
    let mut out = vec![0u8; wire::MAX_MSG_LEN];
    assert_eq!(
        wire::put(&mut out, Header::default(), &max),
        Ok(wire::MAX_MSG_LEN)
    );
}

#[test]
fn walks_several_messages_in_order() {
    let mut dgram = msg(0, 1, b"a");
    dgram.extend(msg(wire::NLECHO_CMD_ECHO, 2, b""));
    dgram.extend(msg(wire::NLECHO_CMD_ECHO, 3, &[9; 100]));
    let got: Vec<_> = Messages::new(&dgram).map(|m| m.unwrap()).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(
        got.iter().map(|m| m.header.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(got[0].payload, b"a");
    assert_eq!(got[1].payload, b"");
    assert_eq!(got[2].payload, &[9; 100]);
    assert_eq!(
        got.iter().map(|m| m.offset).collect::<Vec<_>>(),
        [0, 20, 36]
    );
}

#[test]
fn last_message_may_omit_its_padding() {
    // Classic clients send NLMSG_LENGTH(n) bytes, not NLMSG_SPACE(n).
    let mut dgram = msg(0, 1, b"Hello kernel\0");
    dgram.truncate(16 + 13);
    let got: Vec<_> = Messages::new(&dgram).collect();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].unwrap().payload, b"Hello kernel\0");
}

#[test]
fn rejects_every_malformed_form() {
    let cases: Vec<(&str, Vec<u8>, Malformed)> = vec![
        (
            "shorter than a header",
            vec![1, 2, 3],
            Malformed::Truncated { avail: 3 },
        ),
        (
            "nlmsg_len 0",
            raw_header(0),
            Malformed::LengthTooSmall { len: 0 },
        ),
        (
            "nlmsg_len below 16",
            raw_header(15),
            Malformed::LengthTooSmall { len: 15 },
        ),
        (
            "nlmsg_len past the end",
            raw_header(17),
            Malformed::LengthPastEnd { len: 17, avail: 16 },
        ),
        (
            "nlmsg_len 0xffffffff",
            raw_header(u32::MAX),
            Malformed::LengthPastEnd {
                len: u32::MAX,
                avail: 16,
            },
        ),
    ];
    for (what, dgram, want) in cases {
        let got: Vec<_> = Messages::new(&dgram).collect();
        assert_eq!(got, vec![Err(want)], "{what}");
    }
}

#[test]
fn stops_at_the_first_malformed_message() {
    let mut dgram = msg(0, 1, b"ok");
    dgram.extend(raw_header(4096));
    dgram.extend(msg(0, 3, b"never reached"));
    let got: Vec<_> = Messages::new(&dgram).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].unwrap().header.seq, 1);
    assert!(matches!(
        got[1],
        Err(Malformed::LengthPastEnd { len: 4096, .. })
    ));
}

#[test]
fn trailing_fragment_is_malformed() {
    let mut dgram = msg(0, 1, b"ok");
    dgram.extend([0u8; 8]);
    let got: Vec<_> = Messages::new(&dgram).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], Err(Malformed::Truncated { avail: 8 }));
}

#[test]
fn error_payload_round_trips() {
    let e = ErrorPayload {
        error: -90,
        request: Header {
            len: 99,
            ty: 16,
            flags: 5,
            seq: 4,
            pid: 3,
        },
    };
    assert_eq!(ErrorPayload::parse(&e.to_bytes()), Some(e));
    assert_eq!(ErrorPayload::parse(&e.to_bytes()[..19]), None);
}

/// xorshift64*: a fixed-seed generator, so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Whatever the bytes, the walk stays inside the buffer, moves forward, and
/// yields at most one error, last.
#[test]
fn walking_random_and_mutated_datagrams_never_leaves_the_buffer() {
    let mut rng = Rng(0x6e6c_6563_686f);
    for round in 0..20_000 {
        let mut dgram = Vec::new();
        for _ in 0..rng.below(5) {
            let payload: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            dgram.extend(msg(rng.next() as u16, rng.next() as u32, &payload));
        }
        for _ in 0..rng.below(4) {
            if dgram.is_empty() {
                break;
            }
            let at = rng.below(dgram.len());
            dgram[at] = rng.next() as u8;
        }
        if rng.below(4) == 0 {
            dgram.truncate(rng.below(dgram.len() + 1));
        }
        let mut last_end = 0;
        let mut seen_err = false;
        for item in Messages::new(&dgram) {
            assert!(!seen_err, "round {round}: item after an error");
            match item {
                Ok(m) => {
                    assert!(m.offset >= last_end, "round {round}: walk went backwards");
                    let end = m.offset + m.header.len as usize;
                    assert!(end <= dgram.len(), "round {round}: message past the buffer");
                    assert_eq!(m.payload, &dgram[m.offset + 16..end]);
                    last_end = end;
                }
                Err(_) => seen_err = true,
            }
        }
    }
}
