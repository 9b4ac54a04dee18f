// SPDX-License-Identifier: GPL-2.0

//! `nlecho.h`, which C callers include, states the helpers' limits as
//! numbers: the build fails unless they are the wire format's.
//!
//! The check and its parser live in one anonymous constant: rustc 1.85
//! (trixie's) counts items used only by an anonymous constant as dead code.

use crate::wire;

const _: () = {
    const HEADER: &[u8] = include_bytes!("../nlecho.h");
    assert!(
        matches!(c_define(HEADER, b"NLECHO_MAX_PAYLOAD"), Some(v) if v == wire::MAX_PAYLOAD),
        "nlecho.h: NLECHO_MAX_PAYLOAD is not wire::MAX_PAYLOAD"
    );
    assert!(
        matches!(c_define(HEADER, b"NLECHO_MAX_DATA"), Some(v) if v == wire::MAX_NOTIFY_DATA),
        "nlecho.h: NLECHO_MAX_DATA is not wire::MAX_NOTIFY_DATA"
    );

    /// The decimal value of the first `#define NAME VALUE` line of the C source
    /// `text`, if it has one. Evaluated at build time.
    const fn c_define(text: &[u8], name: &[u8]) -> Option<usize> {
        let mut rest = text;
        while let [_, tail @ ..] = rest {
            if let Some(line) = strip_prefix(rest, b"#define ") {
                if let Some(value) = strip_prefix(line, name) {
                    if let [b' ', value @ ..] = value {
                        return decimal(value);
                    }
                }
            }
            rest = tail;
        }
        None
    }

    /// `text` without `prefix`, if it starts with it.
    const fn strip_prefix<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
        let (mut text, mut prefix) = (text, prefix);
        loop {
            match (text, prefix) {
                (_, []) => return Some(text),
                ([a, text_tail @ ..], [b, prefix_tail @ ..]) if *a == *b => {
                    text = text_tail;
                    prefix = prefix_tail;
                }
                _ => return None,
            }
        }
    }

    /// The decimal number at the start of `text`, if there is one.
    const fn decimal(text: &[u8]) -> Option<usize> {
        let (mut rest, mut value, mut digits) = (text, 0usize, 0);
        while let [digit @ b'0'..=b'9', tail @ ..] = rest {
            value = value
                .wrapping_mul(10)
                .wrapping_add(digit.wrapping_sub(b'0') as usize);
            digits += 1;
            rest = tail;
        }
        if digits > 0 {
            Some(value)
        } else {
            None
        }
    }
};
