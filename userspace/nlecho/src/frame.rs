//! Building datagrams on the heap: one message, or several in a batch,
//! each padded to the netlink alignment by [`wire::put`].

use crate::error::{Error, Result};
use crate::wire::{self, Header};

/// One message as it goes on the wire: `header` (its length set from the
/// payload), `payload`, zero padding.
pub fn encode(header: Header, payload: &[u8]) -> Result<Vec<u8>> {
    let mut batch = Batch::new();
    batch.push(header, payload)?;
    Ok(batch.into_vec())
}

/// The payload of an `NLECHO_CMD_BROADCAST` request of `data` to `group`:
/// its GROUP and DATA attributes.
pub fn broadcast_payload(group: u32, data: &[u8]) -> Result<Vec<u8>> {
    let mut payload =
        vec![0; wire::align(wire::NLA_HDRLEN + 4) + wire::align(wire::NLA_HDRLEN + data.len())];
    // Sized exactly, so only a DATA too long for `nla_len` fails.
    wire::Broadcast { group, data }
        .put(&mut payload)
        .map_err(|e| Error::TooLarge { len: e.need })?;
    Ok(payload)
}

/// The payload of an `NLECHO_CMD_GET_GROUP` request for `group` (a do):
/// its GROUP attribute.
pub fn group_payload(group: u32) -> Vec<u8> {
    let mut payload = vec![0; wire::NLA_HDRLEN + 4];
    // Sized exactly for one u32 attribute: cannot fail.
    let _ = wire::put_u32(&mut payload, wire::NLECHO_A_GROUP, group);
    payload
}

/// Several messages in one datagram, answered in order by the module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    buf: Vec<u8>,
    count: usize,
}

impl Batch {
    /// An empty datagram.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Appends a message; its length comes from `payload`.
    pub fn push(&mut self, header: Header, payload: &[u8]) -> Result<&mut Self> {
        if payload.len() > wire::MAX_PAYLOAD {
            return Err(Error::TooLarge { len: payload.len() });
        }
        let at = self.buf.len();
        self.buf.resize(at + wire::msg_space(payload.len()), 0);
        wire::put(&mut self.buf[at..], header, payload)
            .map_err(|_| Error::TooLarge { len: payload.len() })?;
        self.count += 1;
        Ok(self)
    }

    /// Messages in the datagram.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The datagram so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The datagram.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}
