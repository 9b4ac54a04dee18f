//! Checking that nothing arrives: the helper the socket tests share.

use std::time::Duration;

use nlecho::{Error, Socket};

/// Asserts that no datagram reaches `sock` within `wait`, then gives the
/// socket back its previous receive timeout.
pub fn assert_silent(sock: &mut Socket, wait: Duration) {
    // Never set is "wait forever", which a zero timeout restores.
    let before = sock.timeout().unwrap_or_default();
    sock.set_timeout(wait).unwrap();
    match sock.recv_owned() {
        Err(Error::Timeout { .. }) => {}
        other => panic!("expected no datagram, got {other:?}"),
    }
    sock.set_timeout(before).unwrap();
}
