//! One framed netlink message, the building block of the kernel tests.

use nlecho::frame;
use nlecho::wire::Header;

/// A datagram holding one message with this type, flags, seq and payload.
pub fn message(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let header = Header {
        ty,
        flags,
        seq,
        ..Header::default()
    };
    frame::encode(header, payload).unwrap()
}
