//! Request/reply exchanges with the kernel socket of a protocol.

use std::time::Duration;

use nix::errno::Errno;

use crate::error::{Error, Result};
use crate::socket::Socket;
use crate::wire::{self, ErrorPayload, Header};

/// A reply from the kernel: its header and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Header as received.
    pub header: Header,
    /// Payload, exactly `header.len - NLMSG_HDRLEN` bytes.
    pub payload: Vec<u8>,
}

/// A socket bound to a kernel-chosen port that sends requests to the kernel
/// and matches replies by sequence number and sender port, as libmnl does.
#[derive(Debug)]
pub struct Client {
    socket: Socket,
    port: u32,
    seq: u32,
    buf: Vec<u8>,
}

impl Client {
    /// Opens a socket on `protocol`, binds it, and waits at most `timeout`
    /// for each reply.
    pub fn connect(protocol: u32, timeout: Duration) -> Result<Self> {
        let mut socket = Socket::open(protocol)?;
        socket.bind(0, 0)?;
        socket.set_timeout(timeout)?;
        let port = socket.port()?;
        Ok(Client {
            socket,
            port,
            seq: 0,
            // The largest reply the protocol allows fits whole.
            buf: vec![0; wire::MAX_MSG_LEN],
        })
    }

    /// The port id the kernel gave this client.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// The underlying socket, for exchanges this type does not model.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Sends one message of type `ty` and returns the kernel's reply with
    /// the same sequence number.
    ///
    /// An `NLMSG_ERROR` with a negative errno becomes [`Error::Kernel`]; one
    /// with error 0 (an acknowledgement) is returned as a reply.
    pub fn request(&mut self, ty: u16, flags: u16, payload: &[u8]) -> Result<Reply> {
        if payload.len() > wire::MAX_PAYLOAD {
            return Err(Error::TooLarge { len: payload.len() });
        }
        self.seq = self.seq.wrapping_add(1);
        let header = Header {
            ty,
            flags,
            seq: self.seq,
            pid: self.port,
            ..Header::default()
        };
        let mut out = vec![0; wire::msg_space(payload.len())];
        wire::put(&mut out, header, payload).map_err(|_| Error::TooLarge { len: payload.len() })?;
        self.socket.send_to(&out, 0)?;
        self.wait_for(self.seq)
    }

    /// Receives until a message from the kernel carries `seq`; anything else
    /// (late replies to earlier requests) is skipped.
    fn wait_for(&mut self, seq: u32) -> Result<Reply> {
        loop {
            let got = self.socket.recv(&mut self.buf)?;
            if got.from_port != 0 {
                continue;
            }
            for msg in wire::Messages::new(&self.buf[..got.len]) {
                let msg = msg.map_err(Error::Malformed)?;
                if msg.header.seq != seq {
                    continue;
                }
                if msg.header.ty == wire::NLMSG_ERROR {
                    let err = ErrorPayload::parse(msg.payload)
                        .ok_or(Error::UnexpectedReply { ty: msg.header.ty })?;
                    if err.error < 0 {
                        return Err(Error::Kernel {
                            errno: Errno::from_raw(-err.error),
                        });
                    }
                }
                return Ok(Reply {
                    header: msg.header,
                    payload: msg.payload.to_vec(),
                });
            }
        }
    }
}
