//! Checking that nothing arrives: the helper the socket tests share.

use std::time::{Duration, Instant};

use nlecho::{Socket, Transport};

/// Asserts that no datagram reaches `sock` within `wait`.
pub fn assert_silent(sock: &Socket, wait: Duration) {
    match sock.recv_owned_until(Some(Instant::now() + wait)) {
        Ok(None) => {}
        other => panic!("expected no datagram, got {other:?}"),
    }
}
