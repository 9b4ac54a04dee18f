//! Host tests of the wire format (the same file the kernel module runs)
//! and of the library's codec helpers around it.

use nlecho::ack::{self, BadStatus};
use nlecho::attr::{self, AttrWriter};
use nlecho::frame::{self, Batch};
use nlecho::wire::{
    self, Attr, AttrError, Attrs, BadAttr, Broadcast, ErrorPayload, GroupInfo, Header, Invalid,
    Malformed, Messages, Notify, Policy, Stats, POLICY_BROADCAST, POLICY_GET_GROUP, POLICY_NONE,
};

use common::rng::Rng;

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
fn broadcast_round_trips_and_is_read_through_its_policy() {
    let mut out = [0u8; 64];
    let b = Broadcast {
        group: 5,
        data: b"hello",
    };
    let n = b.put(&mut out).unwrap();
    assert_eq!(n, 8 + 12);
    for strict in [false, true] {
        assert_eq!(Broadcast::parse(&out[..n], strict), Ok(b));
    }
    let group = attr_bytes(wire::NLECHO_A_GROUP, &5u32.to_ne_bytes());
    let data = attr_bytes(wire::NLECHO_A_DATA, b"d");
    let unknown = attr_bytes(77, b"ignored");
    let with_unknown = [unknown.clone(), group.clone(), data.clone()].concat();
    assert_eq!(
        Broadcast::parse(&with_unknown, false),
        Ok(Broadcast {
            group: 5,
            data: b"d"
        }),
        "unknown attributes are ignored unless strict"
    );
    assert_eq!(
        invalid(Broadcast::parse(&with_unknown, true).unwrap_err()),
        ("unknown attribute type", Some(0), None)
    );
    assert_eq!(
        invalid(Broadcast::parse(&data, false).unwrap_err()),
        ("missing attribute", None, Some(wire::NLECHO_A_GROUP))
    );
    assert_eq!(
        invalid(Broadcast::parse(&group, false).unwrap_err()),
        ("missing attribute", None, Some(wire::NLECHO_A_DATA))
    );
    let short_group = attr_bytes(wire::NLECHO_A_GROUP, &[5, 0]);
    assert_eq!(
        invalid(Broadcast::parse(&[data.clone(), short_group].concat(), false).unwrap_err()),
        ("attribute must be a u32", Some(8), None)
    );
    let mut past = group.clone();
    past[0] = 40;
    assert_eq!(
        invalid(Broadcast::parse(&[data, past].concat(), false).unwrap_err()),
        (
            "malformed attribute: length below 4 or past the message",
            Some(8),
            None
        )
    );
    assert!(b.put(&mut [0u8; 10]).is_err(), "no room");
}

#[test]
fn counts_zip_with_pairs_each_counter_with_its_own() {
    let mut n = 0;
    let after = Stats::default().map(|_| {
        n += 10;
        n
    });
    let before = after.map(|v| v / 10);
    let moved = after.zip_with(&before, |a, b| a - b);
    assert_eq!(moved, after.map(|v| v - v / 10));
    assert_eq!((moved.received, moved.zero_copy), (9, 72));
}

#[test]
fn stats_round_trip_and_reject_wrong_sizes() {
    let s = Stats {
        received: 1,
        echoed: 2,
        notified: 3,
        dropped: 4,
        malformed: 5,
        errors: 6,
        bytes: u64::MAX - 1,
        zero_copy: u64::MAX,
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
            "bytes",
            "zero_copy"
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
    // netlink_ack() caps every acknowledgement.
    let ackp = ErrorPayload { error: 0, request }.to_bytes();
    let st = decode(&error_msg(wire::NLM_F_CAPPED, &ackp)).unwrap();
    assert!(st.is_ack());
    assert_eq!(st.request, request);
    assert!(st.capped);
    assert!(st.request_payload.is_empty());
    let errp = ErrorPayload {
        error: -95,
        request,
    }
    .to_bytes();
    let st = decode(&error_msg(wire::NLM_F_CAPPED, &errp)).unwrap();
    assert_eq!((st.error, st.capped), (-95, true));
    assert_eq!((st.message, st.offset, st.miss_type), (None, None, None));
    assert_eq!(
        decode(&error_msg(wire::NLM_F_CAPPED, &errp[..19])),
        Err(BadStatus::Short)
    );
    // Uncapped, the 14 bytes of the request's payload must follow.
    assert_eq!(decode(&error_msg(0, &errp)), Err(BadStatus::BadLayout));
    assert_eq!(
        decode(&msg(wire::NLMSG_DONE, 8, &errp)),
        Err(BadStatus::NotAnError)
    );
}

/// `struct nlmsgerr` with the request `header` and its payload `body`
/// echoed whole and padded, as `netlink_ack()` writes an uncapped error.
fn uncapped(error: i32, header: Header, body: &[u8]) -> Vec<u8> {
    let request = Header {
        len: (wire::NLMSG_HDRLEN + body.len()) as u32,
        ..header
    };
    let mut p = ErrorPayload { error, request }.to_bytes().to_vec();
    p.extend_from_slice(body);
    p.resize(4 + wire::msg_space(body.len()), 0);
    p
}

#[test]
fn decodes_extended_ack_attributes() {
    let request = Header {
        len: 16,
        ty: wire::NLECHO_CMD_BROADCAST,
        flags: 5,
        seq: 8,
        pid: 0,
    };
    let mut w = AttrWriter::new();
    w.put_str(wire::NLMSGERR_ATTR_MSG, "no such group").unwrap();
    w.put_u32(wire::NLMSGERR_ATTR_OFFS, 16).unwrap();
    w.put(3, b"cookie").unwrap(); // NLMSGERR_ATTR_COOKIE: skipped
    let tlvs = w.finish().unwrap();
    let capped = [
        ErrorPayload {
            error: -34,
            request,
        }
        .to_bytes()
        .to_vec(),
        tlvs.clone(),
    ]
    .concat();
    let st = decode(&error_msg(
        wire::NLM_F_CAPPED | wire::NLM_F_ACK_TLVS,
        &capped,
    ))
    .unwrap();
    assert_eq!(st.message.as_deref(), Some("no such group"));
    assert_eq!((st.offset, st.miss_type), (Some(16), None));
    // Uncapped: the whole request (header and 5 payload bytes, padded to
    // 8) comes first.
    let uncapped_tlvs = [uncapped(-34, request, b"12345"), tlvs.clone()].concat();
    let st = decode(&error_msg(wire::NLM_F_ACK_TLVS, &uncapped_tlvs)).unwrap();
    assert_eq!(st.message.as_deref(), Some("no such group"));
    assert_eq!(st.request_payload, b"12345");
    assert_eq!(st.request.len, 21);
    assert!(!st.capped);
    // A missing attribute: its type, and no offset.
    let mut w = AttrWriter::new();
    w.put_str(wire::NLMSGERR_ATTR_MSG, "missing attribute")
        .unwrap();
    w.put_u32(
        wire::NLMSGERR_ATTR_MISS_TYPE,
        u32::from(wire::NLECHO_A_DATA),
    )
    .unwrap();
    let body = [uncapped(-22, request, &[]), w.finish().unwrap()].concat();
    let st = decode(&error_msg(wire::NLM_F_ACK_TLVS, &body)).unwrap();
    assert_eq!(
        (st.error, st.message.as_deref(), st.offset, st.miss_type),
        (-22, Some("missing attribute"), None, Some(2))
    );
    // A claimed request longer than the message.
    let lying = ErrorPayload {
        error: -22,
        request: Header {
            len: 999,
            ..request
        },
    }
    .to_bytes();
    assert_eq!(
        decode(&error_msg(wire::NLM_F_ACK_TLVS, &lying)),
        Err(BadStatus::BadLayout)
    );
    // A claimed request shorter than a header.
    let short = ErrorPayload {
        error: -22,
        request: Header { len: 8, ..request },
    }
    .to_bytes();
    assert_eq!(decode(&error_msg(0, &short)), Err(BadStatus::BadLayout));
    // Attributes that run past the message.
    let mut bad = capped.clone();
    let at = wire::ERROR_PAYLOAD_LEN;
    bad[at..at + 2].copy_from_slice(&200u16.to_ne_bytes());
    assert_eq!(
        decode(&error_msg(wire::NLM_F_CAPPED | wire::NLM_F_ACK_TLVS, &bad)),
        Err(BadStatus::BadLayout)
    );
    // Without NLM_F_ACK_TLVS what follows is not read.
    let st = decode(&error_msg(wire::NLM_F_CAPPED, &bad)).unwrap();
    assert_eq!(st.message, None);
}

#[test]
fn decodes_the_done_that_ends_a_dump() {
    let done = |flags: u16, payload: &[u8]| {
        let mut out = vec![0; wire::msg_space(payload.len())];
        wire::put(
            &mut out,
            Header {
                ty: wire::NLMSG_DONE,
                flags,
                ..Header::default()
            },
            payload,
        )
        .unwrap();
        let m = Messages::new(&out).next().unwrap().unwrap();
        ack::decode_done(&m)
    };
    let multi = wire::NLM_F_MULTI;
    assert_eq!(
        done(multi, &0i32.to_ne_bytes()),
        Ok(ack::Done {
            error: 0,
            message: None
        })
    );
    let mut w = AttrWriter::new();
    w.put_str(wire::NLMSGERR_ATTR_MSG, "dump failed").unwrap();
    let failed = [(-105i32).to_ne_bytes().to_vec(), w.finish().unwrap()].concat();
    assert_eq!(
        done(multi | wire::NLM_F_ACK_TLVS, &failed),
        Ok(ack::Done {
            error: -105,
            message: Some("dump failed".into())
        })
    );
    assert_eq!(done(multi, &[0, 0, 0]), Err(BadStatus::Short));
    assert_eq!(
        done(multi | wire::NLM_F_ACK_TLVS, &[0, 0, 0, 0, 9, 0]),
        Err(BadStatus::BadLayout)
    );
    let m = msg(wire::NLMSG_ERROR, 1, &[0; 20]);
    let m = Messages::new(&m).next().unwrap().unwrap();
    assert_eq!(ack::decode_done(&m), Err(BadStatus::NotDone));
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

/// A random valid datagram: echoes, BROADCASTs, STATS and GET_GROUP
/// replies, NOTIFYs, errors.
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
        let payload = match rng.below(6) {
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
            3 => GroupInfo {
                group: rng.next() as u32,
                listeners: rng.below(2) == 0,
                sent: rng.next(),
                dropped: rng.next(),
            }
            .to_bytes()
            .to_vec(),
            4 => {
                let n = rng.below(40);
                let data = rng.bytes(n);
                let mut out = vec![0; Notify::len(data.len())];
                Notify {
                    group: rng.next() as u32,
                    data: &data,
                }
                .put(&mut out)
                .unwrap();
                out
            }
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
                    let _ = Broadcast::parse(m.payload, round % 2 == 0);
                    let _ = Notify::parse(m.payload);
                    let _ = GroupInfo::parse(m.payload);
                    let _ = Stats::parse(m.payload);
                    let _ = ErrorPayload::parse(m.payload);
                    let mut as_error = m;
                    as_error.header.ty = wire::NLMSG_ERROR;
                    if let Ok(st) = ack::decode(&as_error) {
                        if let Some(msg) = st.message {
                            assert!(msg.len() <= m.payload.len());
                        }
                        assert!(st.request_payload.len() <= m.payload.len());
                    }
                    let mut as_done = m;
                    as_done.header.ty = wire::NLMSG_DONE;
                    if let Ok(done) = ack::decode_done(&as_done) {
                        if let Some(msg) = done.message {
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

// ---- the request policy ----

/// An [`Invalid`] as plain values: its sentence, the offending attribute's
/// offset in the payload, the missing attribute's type.
fn invalid(inv: Invalid) -> (&'static str, Option<usize>, Option<u16>) {
    (inv.msg.to_str().unwrap(), inv.attr, inv.missing)
}

/// `policy.check()` as plain values.
fn checked(
    policy: &Policy,
    payload: &[u8],
    strict: bool,
) -> Result<(), (&'static str, Option<usize>, Option<u16>)> {
    policy.check(payload, strict).map(drop).map_err(invalid)
}

fn group_attr(g: u32) -> Vec<u8> {
    attr_bytes(wire::NLECHO_A_GROUP, &g.to_ne_bytes())
}

/// `a` with its `nla_len` replaced.
fn with_len(mut a: Vec<u8>, len: u16) -> Vec<u8> {
    a[0..2].copy_from_slice(&len.to_ne_bytes());
    a
}

/// `a` with `flags` added to its type.
fn with_flags(mut a: Vec<u8>, flags: u16) -> Vec<u8> {
    let ty = u16::from_ne_bytes([a[2], a[3]]) | flags;
    a[2..4].copy_from_slice(&ty.to_ne_bytes());
    a
}

#[test]
fn the_policy_refuses_each_violation_with_its_message_and_offset() {
    let group = group_attr(5);
    let data = attr_bytes(wire::NLECHO_A_DATA, b"abc");
    let ok = [group.clone(), data.clone()].concat();
    const MALFORMED: &str = "malformed attribute: length below 4 or past the message";
    // Too few bytes for another attribute: malformed too.
    const TRAILING: &str = MALFORMED;
    const NOT_NESTED: &str = "NLA_F_NESTED set on an attribute that is not nested";
    const NOT_U32: &str = "attribute must be a u32";
    const MISSING: &str = "missing attribute";
    type Case = (
        &'static str,
        Policy,
        Vec<u8>,
        (&'static str, Option<usize>, Option<u16>),
    );
    let b = POLICY_BROADCAST;
    let g = POLICY_GET_GROUP;
    let cases: Vec<Case> = vec![
        (
            "nla_len 0",
            b,
            with_len(group.clone(), 0),
            (MALFORMED, Some(0), None),
        ),
        (
            "nla_len 3, below its header",
            b,
            with_len(group.clone(), 3),
            (MALFORMED, Some(0), None),
        ),
        (
            "nla_len past the message",
            b,
            [group.clone(), with_len(data.clone(), 64)].concat(),
            (MALFORMED, Some(8), None),
        ),
        (
            "nla_len 0xffff",
            b,
            with_len(group.clone(), u16::MAX),
            (MALFORMED, Some(0), None),
        ),
        (
            "four zero bytes",
            b,
            [ok.clone(), vec![0; 4]].concat(),
            (MALFORMED, Some(16), None),
        ),
        (
            "one trailing byte",
            b,
            [ok.clone(), vec![0]].concat(),
            (TRAILING, Some(16), None),
        ),
        (
            "three trailing bytes",
            b,
            [ok.clone(), vec![1; 3]].concat(),
            (TRAILING, Some(16), None),
        ),
        (
            "three bytes and no attribute",
            b,
            vec![8, 0, 1],
            (TRAILING, Some(0), None),
        ),
        (
            "NLA_F_NESTED on GROUP",
            b,
            [with_flags(group.clone(), wire::NLA_F_NESTED), data.clone()].concat(),
            (NOT_NESTED, Some(0), None),
        ),
        (
            "NLA_F_NESTED on DATA",
            b,
            [group.clone(), with_flags(data.clone(), wire::NLA_F_NESTED)].concat(),
            (NOT_NESTED, Some(8), None),
        ),
        (
            "GROUP of 2 bytes",
            b,
            [attr_bytes(wire::NLECHO_A_GROUP, &[5, 0]), data.clone()].concat(),
            (NOT_U32, Some(0), None),
        ),
        (
            "GROUP of 8 bytes, after DATA",
            b,
            [data.clone(), attr_bytes(wire::NLECHO_A_GROUP, &[0; 8])].concat(),
            (NOT_U32, Some(8), None),
        ),
        (
            "GROUP of 0 bytes",
            b,
            [attr_bytes(wire::NLECHO_A_GROUP, &[]), data.clone()].concat(),
            (NOT_U32, Some(0), None),
        ),
        (
            "missing GROUP",
            b,
            data.clone(),
            (MISSING, None, Some(wire::NLECHO_A_GROUP)),
        ),
        (
            "missing DATA",
            b,
            group.clone(),
            (MISSING, None, Some(wire::NLECHO_A_DATA)),
        ),
        (
            "no attributes: the first required",
            b,
            vec![],
            (MISSING, None, Some(wire::NLECHO_A_GROUP)),
        ),
        (
            "the first violation wins",
            b,
            [
                with_flags(group.clone(), wire::NLA_F_NESTED),
                with_len(data.clone(), 2),
            ]
            .concat(),
            (NOT_NESTED, Some(0), None),
        ),
        (
            "GET_GROUP without GROUP",
            g,
            vec![],
            (MISSING, None, Some(wire::NLECHO_A_GROUP)),
        ),
        (
            "GET_GROUP, GROUP of 3 bytes",
            g,
            attr_bytes(wire::NLECHO_A_GROUP, &[1, 2, 3]),
            (NOT_U32, Some(0), None),
        ),
        (
            "STATS: garbage",
            POLICY_NONE,
            vec![0xff; 7],
            (MALFORMED, Some(0), None),
        ),
        (
            "STATS: two bytes",
            POLICY_NONE,
            vec![0; 2],
            (TRAILING, Some(0), None),
        ),
    ];
    for (what, policy, payload, want) in cases {
        for strict in [false, true] {
            assert_eq!(
                checked(&policy, &payload, strict),
                Err(want),
                "{what} (strict {strict})"
            );
        }
        if let (_, Some(at), _) = want {
            assert!(at < payload.len() && at % 4 == 0, "{what}: offset {at}");
        }
    }
    // Lenient, an unknown attribute is skipped, not the bad one after it.
    let after_unknown = [attr_bytes(77, b"x"), with_len(group.clone(), 1)].concat();
    assert_eq!(
        checked(&b, &after_unknown, false),
        Err((MALFORMED, Some(8), None))
    );
    assert_eq!(
        checked(&g, &data, false),
        Err((MISSING, None, Some(wire::NLECHO_A_GROUP))),
        "GET_GROUP with DATA only"
    );
    for strict in [false, true] {
        assert_eq!(checked(&b, &ok, strict), Ok(()));
        assert_eq!(checked(&g, &group, strict), Ok(()));
        assert_eq!(checked(&POLICY_NONE, &[], strict), Ok(()));
    }
    // The sentences the module sends are the ones docs/PROTOCOL.md names.
    let doc = include_str!("../../../docs/PROTOCOL.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for s in [
        MALFORMED,
        TRAILING,
        NOT_NESTED,
        NOT_U32,
        MISSING,
        "unknown attribute type",
    ] {
        assert!(doc.contains(&format!("`{s}`")), "PROTOCOL.md names {s:?}");
    }
}

#[test]
fn unknown_attributes_are_refused_only_when_strict() {
    let group = group_attr(5);
    let data = attr_bytes(wire::NLECHO_A_DATA, b"abc");
    let unknown = attr_bytes(77, b"newer peer");
    let unknown_nested = with_flags(attr_bytes(78, &group), wire::NLA_F_NESTED);
    let type_zero = attr_bytes(0, &[]);
    let stat = attr_bytes(wire::NLECHO_A_STAT_RECEIVED, &7u64.to_ne_bytes());
    const UNKNOWN: &str = "unknown attribute type";
    // Lenient: every one is skipped, even NLA_F_NESTED on an unknown type.
    let all = [
        unknown.clone(),
        group.clone(),
        unknown_nested.clone(),
        type_zero.clone(),
        stat.clone(),
        data.clone(),
    ]
    .concat();
    let table = POLICY_BROADCAST.check(&all, false).unwrap();
    assert_eq!(table.u32(wire::NLECHO_A_GROUP), Some(5));
    assert_eq!(table.bytes(wire::NLECHO_A_DATA), Some(&b"abc"[..]));
    assert_eq!(table.offset(wire::NLECHO_A_GROUP), Some(16));
    assert_eq!(table.get(wire::NLECHO_A_STAT_RECEIVED), None, "not taken");
    assert_eq!(table.get(77), None, "types above NLECHO_A_MAX have no slot");
    // Strict: the first one the command does not take, wherever it is.
    let cases: Vec<(&str, Policy, Vec<u8>, usize)> = vec![
        ("unknown type first", POLICY_BROADCAST, all.clone(), 0),
        (
            "unknown type last",
            POLICY_BROADCAST,
            [group.clone(), data.clone(), unknown.clone()].concat(),
            16,
        ),
        (
            "nested unknown type",
            POLICY_BROADCAST,
            [group.clone(), unknown_nested.clone(), data.clone()].concat(),
            8,
        ),
        (
            "type 0",
            POLICY_BROADCAST,
            [group.clone(), data.clone(), type_zero.clone()].concat(),
            16,
        ),
        (
            "a STATS attribute in BROADCAST",
            POLICY_BROADCAST,
            [stat.clone(), group.clone(), data.clone()].concat(),
            0,
        ),
        (
            "DATA in GET_GROUP",
            POLICY_GET_GROUP,
            [group.clone(), data.clone()].concat(),
            8,
        ),
        ("GROUP in the GET_GROUP dump", POLICY_NONE, group.clone(), 0),
        (
            "anything in STATS",
            POLICY_NONE,
            [vec![], unknown.clone()].concat(),
            0,
        ),
    ];
    for (what, policy, payload, at) in cases {
        assert_eq!(checked(&policy, &payload, false), Ok(()), "{what}: lenient");
        assert_eq!(
            checked(&policy, &payload, true),
            Err((UNKNOWN, Some(at), None)),
            "{what}: strict"
        );
    }
    // A malformed unknown attribute is malformed either way.
    let bad = [group.clone(), data.clone(), with_len(unknown, 200)].concat();
    for strict in [false, true] {
        assert_eq!(
            checked(&POLICY_BROADCAST, &bad, strict),
            Err((
                "malformed attribute: length below 4 or past the message",
                Some(16),
                None
            ))
        );
    }
    // NLA_F_NET_BYTEORDER is no part of the type.
    let flagged = [with_flags(group, wire::NLA_F_NET_BYTEORDER), data].concat();
    assert_eq!(checked(&POLICY_BROADCAST, &flagged, true), Ok(()));
}

#[test]
fn duplicate_attributes_last_one_wins() {
    let payload = [
        group_attr(99),
        group_attr(5),
        attr_bytes(wire::NLECHO_A_DATA, b"a"),
        attr_bytes(wire::NLECHO_A_DATA, b"bc"),
    ]
    .concat();
    for strict in [false, true] {
        let table = POLICY_BROADCAST.check(&payload, strict).unwrap();
        assert_eq!(table.u32(wire::NLECHO_A_GROUP), Some(5));
        assert_eq!(table.offset(wire::NLECHO_A_GROUP), Some(8));
        assert_eq!(table.bytes(wire::NLECHO_A_DATA), Some(&b"bc"[..]));
        assert_eq!(table.offset(wire::NLECHO_A_DATA), Some(24));
        assert_eq!(
            Broadcast::parse(&payload, strict),
            Ok(Broadcast {
                group: 5,
                data: b"bc"
            })
        );
    }
    // Each copy is checked: a bad second one is refused where it is.
    let bad = [group_attr(5), attr_bytes(wire::NLECHO_A_GROUP, &[1])].concat();
    assert_eq!(
        checked(&POLICY_GET_GROUP, &bad, false),
        Err(("attribute must be a u32", Some(8), None))
    );
}

// ---- NOTIFY, GET_GROUP, u64 alignment ----

#[test]
fn notify_round_trips_for_every_padding() {
    for n in 0..12 {
        let data: Vec<u8> = (0..n as u8).collect();
        let group = if n % 2 == 0 { 0 } else { 1024 };
        let mut out = vec![0xaa; Notify::len(n)];
        let used = Notify { group, data: &data }.put(&mut out).unwrap();
        assert_eq!(used, out.len(), "{n} bytes");
        assert_eq!(out.len(), wire::NOTIFY_OVERHEAD + wire::align(n));
        assert_eq!(
            Notify::parse(&out),
            Ok(Notify { group, data: &data }),
            "{n} bytes"
        );
        let attrs = collect_attrs(&out).unwrap();
        assert_eq!(
            attrs.iter().map(|a| a.ty).collect::<Vec<_>>(),
            [wire::NLECHO_A_GROUP, wire::NLECHO_A_DATA]
        );
        assert!(out[8 + 4 + n..].iter().all(|&b| b == 0), "zero padding");
    }
    // The largest notification fills the largest message exactly.
    assert_eq!(
        wire::msg_space(Notify::len(wire::MAX_NOTIFY_DATA)),
        wire::MAX_MSG_LEN
    );
    let group = group_attr(3);
    let data = attr_bytes(wire::NLECHO_A_DATA, b"d");
    let pad = attr_bytes(wire::NLECHO_A_PAD, &[]);
    assert_eq!(
        Notify::parse(&[pad, data.clone(), attr_bytes(99, b"?"), group.clone()].concat()),
        Ok(Notify {
            group: 3,
            data: b"d"
        }),
        "in any order, unknown attributes skipped"
    );
    assert_eq!(
        Notify::parse(&data),
        Err(AttrError::Missing(wire::NLECHO_A_GROUP))
    );
    assert_eq!(
        Notify::parse(&group),
        Err(AttrError::Missing(wire::NLECHO_A_DATA))
    );
    assert_eq!(
        Notify::parse(&[attr_bytes(wire::NLECHO_A_GROUP, &[3]), data.clone()].concat()),
        Err(AttrError::BadValue(wire::NLECHO_A_GROUP))
    );
    assert_eq!(
        Notify::parse(&[data, with_len(group, 9)].concat()),
        Err(AttrError::Malformed(BadAttr { offset: 8 }))
    );
}

/// Offsets, from the start of a message whose payload is `payload`, of the
/// values of its `u64` attributes; and the PAD attributes' offsets.
fn u64_and_pad_offsets(payload: &[u8], u64_types: &[u16]) -> (Vec<usize>, Vec<usize>) {
    let (mut values, mut pads) = (Vec::new(), Vec::new());
    let mut attrs = Attrs::new(payload);
    while let Some(a) = attrs.next() {
        let a = a.unwrap();
        let at = wire::NLMSG_HDRLEN + attrs.last_offset();
        if a.ty == wire::NLECHO_A_PAD {
            assert!(a.value.is_empty(), "PAD is empty");
            pads.push(at);
        } else if u64_types.contains(&a.ty) {
            assert_eq!(a.value.len(), 8);
            values.push(at + wire::NLA_HDRLEN);
        }
    }
    (values, pads)
}

#[test]
fn u64_values_are_8_byte_aligned_from_the_message_start() {
    // put_u64 `at` bytes into a payload that starts 16 bytes into an
    // 8-byte aligned message: a PAD exactly when the value would be 4 off.
    for at in (0..64).step_by(4) {
        let mut out = [0xaa; 32];
        let n = wire::put_u64(&mut out, at, wire::NLECHO_A_SENT, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(n, wire::u64_space(at), "at {at}");
        let padded = n == 16;
        assert_eq!(padded, (at + 4) % 8 != 0, "at {at}");
        let value_at = n - 8;
        assert_eq!((wire::NLMSG_HDRLEN + at + value_at) % 8, 0, "at {at}");
        if padded {
            assert_eq!(
                &out[..4],
                &[4, 0, wire::NLECHO_A_PAD as u8, 0],
                "PAD header"
            );
        }
        let attrs = collect_attrs(&out[..n]).unwrap();
        assert_eq!(attrs.last().unwrap().u64(), Some(0x0102_0304_0506_0708));
        // One byte short of the room it needs.
        let mut small = vec![0; n - 1];
        assert!(wire::put_u64(&mut small, at, wire::NLECHO_A_SENT, 1).is_err());
    }

    // STATS: eight u64 counters, each after a PAD; a 144-byte message.
    assert_eq!(wire::STATS_PAYLOAD_LEN, 128);
    assert_eq!(wire::msg_space(wire::STATS_PAYLOAD_LEN) % 8, 0);
    let s = Stats {
        received: 1,
        bytes: u64::MAX,
        zero_copy: 3,
        ..Stats::default()
    };
    let stat_types: Vec<u16> = s.fields().iter().map(|f| f.0).collect();
    let (values, pads) = u64_and_pad_offsets(&s.to_bytes(), &stat_types);
    assert_eq!(values.len(), 8);
    assert!(values.iter().all(|v| v % 8 == 0), "{values:?}");
    assert_eq!(pads, [16, 32, 48, 64, 80, 96, 112, 128]);
    assert_eq!(Stats::parse(&s.to_bytes()), Ok(s), "PADs are skipped");

    // GET_GROUP: GROUP, LISTENERS, then two u64 after a PAD each; a
    // 64-byte message.
    assert_eq!(wire::GROUP_PAYLOAD_LEN, 48);
    assert_eq!(
        wire::GROUP_PAYLOAD_LEN,
        2 * (wire::NLA_HDRLEN + 4) + wire::u64_space(16) + wire::u64_space(32)
    );
    assert_eq!(wire::msg_space(wire::GROUP_PAYLOAD_LEN), 64);
    let info = GroupInfo {
        group: 7,
        listeners: true,
        sent: 9,
        dropped: 1,
    };
    let bytes = info.to_bytes();
    let (values, pads) =
        u64_and_pad_offsets(&bytes, &[wire::NLECHO_A_SENT, wire::NLECHO_A_DROPPED]);
    assert_eq!(values, [40, 56]);
    assert_eq!(pads, [32, 48]);
    let types: Vec<u16> = collect_attrs(&bytes)
        .unwrap()
        .iter()
        .map(|a| a.ty)
        .collect();
    assert_eq!(
        types,
        [
            wire::NLECHO_A_GROUP,
            wire::NLECHO_A_LISTENERS,
            wire::NLECHO_A_PAD,
            wire::NLECHO_A_SENT,
            wire::NLECHO_A_PAD,
            wire::NLECHO_A_DROPPED
        ]
    );
}

#[test]
fn group_info_round_trips_and_rejects_wrong_sizes() {
    for info in [
        GroupInfo {
            group: 1,
            ..GroupInfo::default()
        },
        GroupInfo {
            group: 1024,
            listeners: true,
            sent: u64::MAX,
            dropped: u64::MAX - 1,
        },
    ] {
        assert_eq!(GroupInfo::parse(&info.to_bytes()), Ok(info));
    }
    // LISTENERS is 0 or 1 on the wire; anything else reads as true.
    let listeners = |v: u32| {
        [
            group_attr(2),
            attr_bytes(wire::NLECHO_A_LISTENERS, &v.to_ne_bytes()),
        ]
        .concat()
    };
    assert!(!GroupInfo::parse(&listeners(0)).unwrap().listeners);
    assert!(GroupInfo::parse(&listeners(2)).unwrap().listeners);
    assert_eq!(
        GroupInfo::parse(&[]),
        Err(AttrError::Missing(wire::NLECHO_A_GROUP))
    );
    let short_sent = [group_attr(2), attr_bytes(wire::NLECHO_A_SENT, &[0; 4])].concat();
    assert_eq!(
        GroupInfo::parse(&short_sent),
        Err(AttrError::BadValue(wire::NLECHO_A_SENT))
    );
    let short_listeners = [group_attr(2), attr_bytes(wire::NLECHO_A_LISTENERS, &[1])].concat();
    assert_eq!(
        GroupInfo::parse(&short_listeners),
        Err(AttrError::BadValue(wire::NLECHO_A_LISTENERS))
    );
    assert_eq!(
        frame::group_payload(9),
        group_attr(9),
        "the GET_GROUP do request"
    );
}

/// A random attribute list, valid or nearly: types around the policy's,
/// flags, lengths that are sometimes wrong, trailing bytes.
fn random_attrs(rng: &mut Rng) -> Vec<u8> {
    if rng.below(6) == 0 {
        let n = rng.below(40);
        return rng.bytes(n);
    }
    let mut out = Vec::new();
    for _ in 0..rng.below(6) {
        let ty = match rng.below(4) {
            0 => wire::NLECHO_A_GROUP,
            1 => wire::NLECHO_A_DATA,
            2 => rng.below(20) as u16,
            _ => rng.next() as u16,
        };
        let ty = match rng.below(8) {
            0 => ty | wire::NLA_F_NESTED,
            1 => ty | wire::NLA_F_NET_BYTEORDER,
            _ => ty & wire::NLA_TYPE_MASK,
        };
        let len = [0, 1, 2, 3, 4, 4, 4, 5, 8, 12][rng.below(10)];
        let value = rng.bytes(len);
        let mut a = attr_bytes(ty, &value);
        if rng.below(10) == 0 {
            let bad = [0u16, 1, 3, 5, 64, u16::MAX][rng.below(6)];
            a[0..2].copy_from_slice(&bad.to_ne_bytes());
        }
        out.extend(a);
    }
    if rng.below(5) == 0 {
        let n = 1 + rng.below(3);
        out.extend(rng.bytes(n));
    }
    if rng.below(5) == 0 && !out.is_empty() {
        out.truncate(rng.below(out.len()));
    }
    out
}

/// Whatever the payload, `check()` never panics; a refusal points inside
/// the payload, at an attribute boundary, or names a required attribute;
/// an acceptance holds only well-sized values inside the payload.
#[test]
fn policy_check_never_panics_and_points_inside_the_payload() {
    let rounds = if cfg!(debug_assertions) {
        50_000
    } else {
        200_000
    };
    let mut rng = Rng::new(0x706f_6c69_6379);
    let policies = [POLICY_BROADCAST, POLICY_GET_GROUP, POLICY_NONE];
    let (mut oks, mut errs) = (0, 0);
    for round in 0..rounds {
        let payload = random_attrs(&mut rng);
        for (p, policy) in policies.iter().enumerate() {
            for strict in [false, true] {
                match policy.check(&payload, strict) {
                    Ok(table) => {
                        oks += 1;
                        for rule in policy.rules {
                            let got = table.get(rule.ty);
                            if rule.required {
                                assert!(got.is_some(), "round {round}: policy {p}");
                            }
                            let Some((at, a)) = got else { continue };
                            assert!(inside(&payload, a.value), "round {round}");
                            assert_eq!(
                                a.value.as_ptr() as usize - payload.as_ptr() as usize,
                                at + wire::NLA_HDRLEN,
                                "round {round}: the offset is the attribute's"
                            );
                            assert!(!a.nested, "round {round}");
                            if rule.kind == wire::Kind::U32 {
                                assert_eq!(a.value.len(), 4, "round {round}");
                            }
                        }
                    }
                    Err(inv) => {
                        errs += 1;
                        let msg = inv.msg.to_str().unwrap();
                        assert!(!msg.is_empty());
                        match (inv.attr, inv.missing) {
                            (Some(at), None) => {
                                assert!(at < payload.len(), "round {round}: offset {at}");
                                assert_eq!(at % 4, 0, "round {round}");
                            }
                            (None, Some(ty)) => {
                                assert!(
                                    policy.rules.iter().any(|r| r.required && r.ty == ty),
                                    "round {round}: missing {ty}"
                                );
                                assert_eq!(msg, "missing attribute");
                            }
                            other => panic!("round {round}: {other:?}"),
                        }
                    }
                }
                if p == 0 {
                    assert_eq!(
                        Broadcast::parse(&payload, strict).is_ok(),
                        policy.check(&payload, strict).is_ok(),
                        "round {round}"
                    );
                }
            }
        }
        // Lenient never refuses what strict accepts.
        for policy in &policies {
            if policy.check(&payload, true).is_ok() {
                assert!(policy.check(&payload, false).is_ok(), "round {round}");
            }
        }
    }
    assert!(
        oks > rounds / 2 && errs > rounds,
        "{oks} accepted, {errs} refused"
    );
}
