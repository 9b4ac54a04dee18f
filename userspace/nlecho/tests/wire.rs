//! Host tests of the wire format (the same file the kernel module runs)
//! and of the library's codec helpers around it.

use nlecho::ack::{self, BadStatus};
use nlecho::attr::{self, AttrWriter};
use nlecho::frame::{self, Batch};
use nlecho::wire::{
    self, Attr, AttrError, Attrs, BadAttr, Broadcast, ErrorPayload, Header, Malformed, Messages,
    Stats,
};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// Every attribute of `payload`, or the first malformed one.
fn collect_attrs(payload: &[u8]) -> Result<Vec<Attr<'_>>, BadAttr> {
    Attrs::new(payload).collect()
}

/// The last attribute of type `ty` (as `nla_parse()` keeps the last), after
/// checking that the whole list is well-formed.
fn find_attr(payload: &[u8], ty: u16) -> Result<Option<Attr<'_>>, BadAttr> {
    Ok(collect_attrs(payload)?
        .into_iter()
        .rev()
        .find(|a| a.ty == ty))
}

/// A required `u32` attribute.
fn require_u32(payload: &[u8], ty: u16) -> Result<u32, AttrError> {
    let attr = find_attr(payload, ty)?.ok_or(AttrError::Missing(ty))?;
    attr.u32().ok_or(AttrError::BadValue(ty))
}

/// A required attribute's raw value.
fn require_bytes(payload: &[u8], ty: u16) -> Result<&[u8], AttrError> {
    Ok(find_attr(payload, ty)?.ok_or(AttrError::Missing(ty))?.value)
}

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
fn commands_are_type_0_and_requests_from_nlmsg_min_type() {
    let h = |ty, flags| Header {
        ty,
        flags,
        ..Header::default()
    };
    assert!(h(wire::NLECHO_CLASSIC, 0).is_command());
    assert!(h(wire::NLECHO_CLASSIC, wire::NLM_F_REQUEST).is_command());
    assert!(h(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST).is_command());
    assert!(h(0xffff, wire::NLM_F_REQUEST | wire::NLM_F_ACK).is_command());
    assert!(!h(wire::NLECHO_CMD_ECHO, 0).is_command(), "not a request");
    assert!(!h(wire::NLECHO_CMD_ECHO, wire::NLM_F_ACK).is_command());
    for ty in 1..wire::NLMSG_MIN_TYPE {
        assert!(
            !h(ty, wire::NLM_F_REQUEST).is_command(),
            "control type {ty}"
        );
    }
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

#[test]
fn truncated_header_is_malformed_at_every_length() {
    let full = msg(wire::NLECHO_CMD_ECHO, 1, b"");
    for cut in 1..wire::NLMSG_HDRLEN {
        let got: Vec<_> = Messages::new(&full[..cut]).collect();
        assert_eq!(
            got,
            vec![Err(Malformed::Truncated { avail: cut })],
            "{cut} bytes"
        );
    }
    assert_eq!(
        Messages::new(&[]).count(),
        0,
        "an empty datagram has no messages"
    );
}

#[test]
fn frame_encode_and_batch_match_wire_put() {
    let h = Header {
        ty: wire::NLECHO_CMD_ECHO,
        flags: wire::NLM_F_REQUEST,
        seq: 3,
        pid: 9,
        len: 0,
    };
    assert_eq!(frame::encode(h, b"Hello").unwrap(), {
        let mut m = msg(wire::NLECHO_CMD_ECHO, 3, b"Hello");
        m[6..8].copy_from_slice(&wire::NLM_F_REQUEST.to_ne_bytes());
        m[12..16].copy_from_slice(&9u32.to_ne_bytes());
        m
    });
    let mut b = Batch::new();
    for i in 0..5u32 {
        b.push(
            Header {
                seq: i,
                ..Header::default()
            },
            &vec![i as u8; i as usize],
        )
        .unwrap();
    }
    assert_eq!(b.count(), 5);
    let got: Vec<_> = Messages::new(b.as_bytes()).map(|m| m.unwrap()).collect();
    assert_eq!(got.len(), 5);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.header.seq, i as u32);
        assert_eq!(m.payload, vec![i as u8; i]);
        assert_eq!(m.offset % 4, 0, "messages start aligned");
    }
    let too_big = vec![0; wire::MAX_PAYLOAD + 1];
    assert!(matches!(
        frame::encode(Header::default(), &too_big),
        Err(nlecho::Error::TooLarge { .. })
    ));
}

// ---- attributes ----

fn attr_bytes(ty: u16, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0xaa; wire::align(wire::NLA_HDRLEN + value.len())];
    let n = wire::put_attr(&mut out, ty, value).unwrap();
    assert_eq!(n, out.len());
    out
}

#[test]
fn put_attr_writes_length_type_value_and_zero_padding() {
    let a = attr_bytes(wire::NLECHO_A_DATA, b"abcde");
    assert_eq!(a.len(), 12);
    assert_eq!(&a[0..2], &9u16.to_ne_bytes(), "nla_len excludes padding");
    assert_eq!(&a[2..4], &wire::NLECHO_A_DATA.to_ne_bytes());
    assert_eq!(&a[4..9], b"abcde");
    assert_eq!(&a[9..], &[0, 0, 0]);
    let mut small = [0u8; 8];
    assert_eq!(
        wire::put_attr(&mut small, 1, b"abcde"),
        Err(wire::NoRoom { need: 12, have: 8 })
    );
    let mut big = vec![0u8; 70_000];
    assert!(
        wire::put_attr(&mut big, 1, &[0; 65_532]).is_err(),
        "nla_len is a u16"
    );
}

#[test]
fn attributes_round_trip_with_flags_and_alignment() {
    let mut w = AttrWriter::new();
    w.put_u32(wire::NLECHO_A_GROUP, 7).unwrap();
    w.put(wire::NLECHO_A_DATA, b"xyz").unwrap();
    w.put_u64(40, u64::MAX - 1).unwrap();
    w.put_str(41, "name").unwrap();
    w.put(42 | wire::NLA_F_NET_BYTEORDER, &[]).unwrap();
    let buf = w.finish().unwrap();
    let attrs = collect_attrs(&buf).unwrap();
    assert_eq!(attrs.len(), 5);
    assert_eq!(attrs[0].u32(), Some(7));
    assert_eq!(attrs[1].value, b"xyz");
    assert_eq!(attrs[1].u32(), None, "3 bytes are no u32");
    assert_eq!(attrs[2].u64(), Some(u64::MAX - 1));
    assert_eq!(attr::as_str(&attrs[3]), Some("name"));
    assert_eq!(attrs[4].ty, 42, "flags are not part of the type");
    assert!(!attrs[4].nested);
    assert_eq!(require_u32(&buf, wire::NLECHO_A_GROUP), Ok(7));
    assert_eq!(require_bytes(&buf, wire::NLECHO_A_DATA), Ok(&b"xyz"[..]));
    assert_eq!(
        require_u32(&buf, 99),
        Err(AttrError::Missing(99)),
        "missing required attribute"
    );
    assert_eq!(
        require_u32(&buf, wire::NLECHO_A_DATA),
        Err(AttrError::BadValue(wire::NLECHO_A_DATA)),
        "wrong-size u32"
    );
}

#[test]
fn nested_attributes_round_trip() {
    let mut w = AttrWriter::new();
    w.put_u32(1, 1).unwrap();
    w.begin_nested(2).unwrap();
    w.put_u32(3, 33).unwrap();
    w.begin_nested(4).unwrap();
    w.put(5, b"deep").unwrap();
    w.end_nested().unwrap();
    w.end_nested().unwrap();
    w.put_u32(6, 6).unwrap();
    let buf = w.finish().unwrap();
    let top = collect_attrs(&buf).unwrap();
    assert_eq!(top.iter().map(|a| a.ty).collect::<Vec<_>>(), [1, 2, 6]);
    assert!(top[1].nested);
    let inner: Vec<Attr> = top[1].attrs().map(|a| a.unwrap()).collect();
    assert_eq!(inner.len(), 2);
    assert_eq!(inner[0].u32(), Some(33));
    assert!(inner[1].nested);
    let deepest: Vec<Attr> = inner[1].attrs().map(|a| a.unwrap()).collect();
    assert_eq!(deepest[0].value, b"deep");

    let mut open = AttrWriter::new();
    open.begin_nested(1).unwrap();
    assert!(open.finish().is_err(), "an unclosed nest");
    assert!(
        AttrWriter::new().end_nested().is_err(),
        "a close without an open"
    );
}

#[test]
fn rejects_every_malformed_attribute() {
    let good = attr_bytes(wire::NLECHO_A_GROUP, &5u32.to_ne_bytes());
    let data = attr_bytes(wire::NLECHO_A_DATA, b"x");
    let with_len = |len: u16| {
        let mut a = good.clone();
        a[0..2].copy_from_slice(&len.to_ne_bytes());
        a
    };
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("nla_len 0", with_len(0), 0),
        ("nla_len 3, below its header", with_len(3), 0),
        ("nla_len past the end", with_len(9), 0),
        ("nla_len 0xffff", with_len(u16::MAX), 0),
        ("3 bytes: less than a header", vec![8, 0, 1], 0),
        (
            "a good one, then nla_len past the end",
            [good.clone(), with_len(64)].concat(),
            8,
        ),
        (
            "a good one, then a fragment",
            [good.clone(), vec![0; 2]].concat(),
            8,
        ),
    ];
    for (what, buf, offset) in cases {
        let got: Vec<_> = Attrs::new(&buf).collect();
        assert_eq!(got.last(), Some(&Err(BadAttr { offset })), "{what}");
        assert_eq!(
            got.iter().filter(|a| a.is_err()).count(),
            1,
            "{what}: nothing after the first error"
        );
        assert_eq!(collect_attrs(&buf), Err(BadAttr { offset }), "{what}");
        assert!(find_attr(&buf, wire::NLECHO_A_GROUP).is_err(), "{what}");
    }
    // Nested: a child running past its parent fails inside the parent even
    // though the bytes after the parent would cover it.
    let mut child = data.clone();
    child[0..2].copy_from_slice(&32u16.to_ne_bytes());
    let parent = attr_bytes(2 | wire::NLA_F_NESTED, &child);
    let buf = [parent, vec![0; 64]].concat();
    let top: Vec<_> = Attrs::new(&buf).collect();
    let nested = top[0].unwrap();
    assert!(nested.nested);
    assert_eq!(
        nested.attrs().collect::<Vec<_>>(),
        vec![Err(BadAttr { offset: 0 })]
    );
    // The last attribute may omit its padding.
    let unpadded = &data[..5];
    assert_eq!(collect_attrs(unpadded).unwrap()[0].value, b"x");
}

#[test]
fn broadcast_round_trips_and_rejects_bad_requests() {
    let mut out = [0u8; 64];
    let b = Broadcast {
        group: 5,
        data: b"hello",
    };
    let n = b.put(&mut out).unwrap();
    assert_eq!(n, 8 + 12);
    assert_eq!(Broadcast::parse(&out[..n]), Ok(b));
    let group = attr_bytes(wire::NLECHO_A_GROUP, &5u32.to_ne_bytes());
    let data = attr_bytes(wire::NLECHO_A_DATA, b"d");
    let unknown = attr_bytes(77, b"ignored");
    assert_eq!(
        Broadcast::parse(&[unknown.clone(), group.clone(), data.clone()].concat()),
        Ok(Broadcast {
            group: 5,
            data: b"d"
        }),
        "unknown attributes are ignored"
    );
    assert_eq!(
        Broadcast::parse(&data),
        Err(AttrError::Missing(wire::NLECHO_A_GROUP))
    );
    assert_eq!(
        Broadcast::parse(&group),
        Err(AttrError::Missing(wire::NLECHO_A_DATA))
    );
    assert_eq!(
        Broadcast::parse(&[]),
        Err(AttrError::Missing(wire::NLECHO_A_GROUP))
    );
    let short_group = attr_bytes(wire::NLECHO_A_GROUP, &[5, 0]);
    assert_eq!(
        Broadcast::parse(&[short_group, data.clone()].concat()),
        Err(AttrError::BadValue(wire::NLECHO_A_GROUP))
    );
    let mut past = group.clone();
    past[0] = 40;
    assert_eq!(
        Broadcast::parse(&[data, past].concat()),
        Err(AttrError::Malformed(BadAttr { offset: 8 }))
    );
    assert!(b.put(&mut [0u8; 10]).is_err(), "no room");
}

#[test]
fn stats_round_trip_and_reject_wrong_sizes() {
    let s = Stats {
        received: 1,
        echoed: 2,
        broadcast: 3,
        dropped: 4,
        malformed: 5,
        errors: 6,
        bytes: u64::MAX,
    };
    let bytes = s.to_bytes();
    assert_eq!(bytes.len(), wire::STATS_PAYLOAD_LEN);
    assert_eq!(Stats::parse(&bytes), Ok(s));
    let names: Vec<_> = s.fields().iter().map(|f| f.1).collect();
    assert_eq!(
        names,
        [
            "received",
            "echoed",
            "broadcast",
            "dropped",
            "malformed",
            "errors",
            "bytes"
        ]
    );
    assert_eq!(
        Stats::parse(&[]),
        Ok(Stats::default()),
        "missing counters read 0"
    );
    let short = attr_bytes(wire::NLECHO_A_STAT_ECHOED, &7u32.to_ne_bytes());
    assert_eq!(
        Stats::parse(&short),
        Err(AttrError::BadValue(wire::NLECHO_A_STAT_ECHOED))
    );
}

// ---- NLMSG_ERROR ----

fn error_msg(flags: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0; wire::msg_space(payload.len())];
    wire::put(
        &mut out,
        Header {
            ty: wire::NLMSG_ERROR,
            flags,
            seq: 8,
            ..Header::default()
        },
        payload,
    )
    .unwrap();
    out
}

fn decode(dgram: &[u8]) -> Result<ack::Status, BadStatus> {
    let m = Messages::new(dgram).next().unwrap().unwrap();
    ack::decode(&m)
}

#[test]
fn decodes_acks_and_capped_errors() {
    let request = Header {
        len: 30,
        ty: 0x1f,
        flags: 5,
        seq: 8,
        pid: 77,
    };
    let ackp = ErrorPayload { error: 0, request }.to_bytes();
    let st = decode(&error_msg(0, &ackp)).unwrap();
    assert!(st.is_ack());
    assert_eq!(st.request, request);
    assert!(!st.capped);
    let errp = ErrorPayload {
        error: -95,
        request,
    }
    .to_bytes();
    let st = decode(&error_msg(wire::NLM_F_CAPPED, &errp)).unwrap();
    assert_eq!((st.error, st.capped), (-95, true));
    assert_eq!(st.message, None);
    assert_eq!(decode(&error_msg(0, &errp[..19])), Err(BadStatus::Short));
    assert_eq!(
        decode(&msg(wire::NLMSG_DONE, 8, &errp)),
        Err(BadStatus::NotAnError)
    );
}

#[test]
fn decodes_extended_ack_attributes() {
    let request = Header {
        len: 16,
        ty: 0x10,
        flags: 5,
        seq: 8,
        pid: 0,
    };
    let mut w = AttrWriter::new();
    w.put_str(ack::NLMSGERR_ATTR_MSG, "bad group").unwrap();
    w.put_u32(ack::NLMSGERR_ATTR_OFFS, 20).unwrap();
    let tlvs = w.finish().unwrap();
    let capped = [
        ErrorPayload {
            error: -22,
            request,
        }
        .to_bytes()
        .to_vec(),
        tlvs.clone(),
    ]
    .concat();
    let st = decode(&error_msg(
        wire::NLM_F_CAPPED | ack::NLM_F_ACK_TLVS,
        &capped,
    ))
    .unwrap();
    assert_eq!(st.message.as_deref(), Some("bad group"));
    assert_eq!(st.offset, Some(20));
    // Uncapped: the whole request (header and 5 payload bytes) comes first.
    let long = Header { len: 21, ..request };
    let uncapped = [
        ErrorPayload {
            error: -22,
            request: long,
        }
        .to_bytes()
        .to_vec(),
        vec![1, 2, 3, 4, 5, 0, 0, 0],
        tlvs,
    ]
    .concat();
    let st = decode(&error_msg(ack::NLM_F_ACK_TLVS, &uncapped)).unwrap();
    assert_eq!(st.message.as_deref(), Some("bad group"));
    // A claimed request longer than the message.
    let lying = [ErrorPayload {
        error: -22,
        request: Header {
            len: 999,
            ..request
        },
    }
    .to_bytes()
    .to_vec()]
    .concat();
    assert_eq!(
        decode(&error_msg(ack::NLM_F_ACK_TLVS, &lying)),
        Err(BadStatus::BadLayout)
    );
}

// ---- property test ----

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

/// Walks `buf` as attributes, recursing into every value as if nested, and
/// checks that each attribute lies inside its container, in order, with at
/// most one error, last.
fn check_attrs(buf: &[u8], depth: usize, round: usize) {
    let mut last_end = 0;
    let mut seen_err = false;
    for item in Attrs::new(buf) {
        assert!(!seen_err, "round {round}: attribute after an error");
        match item {
            Ok(a) => {
                assert!(
                    inside(buf, a.value),
                    "round {round}: attribute outside its container"
                );
                let start = a.value.as_ptr() as usize - buf.as_ptr() as usize - wire::NLA_HDRLEN;
                assert!(
                    start >= last_end && start % 4 == 0,
                    "round {round}: misplaced attribute"
                );
                last_end = start + wire::NLA_HDRLEN + a.value.len();
                if depth < 3 {
                    check_attrs(a.value, depth + 1, round);
                }
            }
            Err(BadAttr { offset }) => {
                assert!(
                    offset <= buf.len(),
                    "round {round}: error offset past the buffer"
                );
                seen_err = true;
            }
        }
    }
}

/// A random valid datagram: echoes, BROADCASTs, STATS replies, errors.
fn random_datagram(rng: &mut Rng) -> Vec<u8> {
    let mut b = Batch::new();
    for _ in 0..rng.below(5) {
        let h = Header {
            ty: rng.next() as u16,
            flags: rng.next() as u16,
            seq: rng.next() as u32,
            pid: rng.next() as u32,
            len: 0,
        };
        let payload = match rng.below(4) {
            0 => {
                let n = rng.below(64);
                rng.bytes(n)
            }
            1 => {
                let mut w = AttrWriter::new();
                w.put_u32(wire::NLECHO_A_GROUP, rng.next() as u32).unwrap();
                let n = rng.below(40);
                w.put(wire::NLECHO_A_DATA, &rng.bytes(n)).unwrap();
                if rng.below(2) == 0 {
                    w.begin_nested(rng.next() as u16 & wire::NLA_TYPE_MASK)
                        .unwrap();
                    w.put_u64(3, rng.next()).unwrap();
                    w.end_nested().unwrap();
                }
                w.finish().unwrap()
            }
            2 => Stats {
                received: rng.next(),
                ..Stats::default()
            }
            .to_bytes()
            .to_vec(),
            _ => ErrorPayload {
                error: -(rng.below(130) as i32),
                request: Header::parse(&rng.bytes(16)).unwrap(),
            }
            .to_bytes()
            .to_vec(),
        };
        b.push(h, &payload).unwrap();
    }
    b.into_vec()
}

/// Whatever the bytes, every decoder stays inside the buffer, moves
/// forward, yields at most one error (last), and never panics.
#[test]
fn decoders_never_leave_the_buffer_on_random_and_mutated_input() {
    // Either takes about a second at most.
    let rounds = if cfg!(debug_assertions) {
        100_000
    } else {
        300_000
    };
    let mut rng = Rng::new(0x6e6c_6563_686f);
    let (mut oks, mut errs) = (0, 0);
    for round in 0..rounds {
        let mut dgram = if rng.below(5) == 0 {
            let n = rng.below(128);
            rng.bytes(n)
        } else {
            random_datagram(&mut rng)
        };
        for _ in 0..rng.below(4) {
            if dgram.is_empty() {
                break;
            }
            let at = rng.below(dgram.len());
            match rng.below(3) {
                0 => dgram[at] = rng.next() as u8,
                1 => dgram[at] ^= 1 << rng.below(8),
                // Lengths are where parsers break: hit them on purpose.
                _ => {
                    let at = at & !3;
                    let v = [0u8, 1, 3, 4, 15, 16, 17, 0xff][rng.below(8)];
                    dgram[at] = v;
                }
            }
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
                    oks += 1;
                    check_attrs(m.payload, 0, round);
                    let _ = Broadcast::parse(m.payload);
                    let _ = Stats::parse(m.payload);
                    let _ = ErrorPayload::parse(m.payload);
                    let mut as_error = m;
                    as_error.header.ty = wire::NLMSG_ERROR;
                    if let Ok(st) = ack::decode(&as_error) {
                        if let Some(msg) = st.message {
                            assert!(msg.len() <= m.payload.len());
                        }
                    }
                }
                Err(_) => {
                    errs += 1;
                    seen_err = true;
                }
            }
        }
    }
    // The input mix must exercise both paths, or the test proves nothing.
    assert!(
        oks > rounds && errs > rounds / 10,
        "{oks} messages, {errs} errors"
    );
}
