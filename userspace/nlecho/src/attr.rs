//! Attribute helpers on top of [`wire`]: a growable writer with nesting,
//! and reading a string attribute.

use crate::error::{Error, Result};
use crate::wire::{self, Attr};

/// Builds a list of attributes, nested ones included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrWriter {
    buf: Vec<u8>,
    /// Offsets of the nests not yet closed.
    open: Vec<usize>,
}

fn too_large(len: usize) -> Error {
    Error::TooLarge { len }
}

impl AttrWriter {
    /// An empty list.
    pub fn new() -> Self {
        AttrWriter::default()
    }

    /// Appends an attribute with a raw value.
    pub fn put(&mut self, ty: u16, value: &[u8]) -> Result<&mut Self> {
        let at = self.buf.len();
        self.buf
            .resize(at + wire::align(wire::NLA_HDRLEN + value.len()), 0);
        wire::put_attr(&mut self.buf[at..], ty, value).map_err(|e| {
            self.buf.truncate(at);
            too_large(e.need)
        })?;
        Ok(self)
    }

    /// Appends a `u32` attribute.
    pub fn put_u32(&mut self, ty: u16, value: u32) -> Result<&mut Self> {
        self.put(ty, &value.to_ne_bytes())
    }

    /// Appends a `u64` attribute.
    pub fn put_u64(&mut self, ty: u16, value: u64) -> Result<&mut Self> {
        self.put(ty, &value.to_ne_bytes())
    }

    /// Appends a NUL-terminated string attribute (`NLA_NUL_STRING`).
    pub fn put_str(&mut self, ty: u16, value: &str) -> Result<&mut Self> {
        let mut v = Vec::with_capacity(value.len() + 1);
        v.extend_from_slice(value.as_bytes());
        v.push(0);
        self.put(ty, &v)
    }

    /// Opens a nested attribute (`NLA_F_NESTED` set); what follows goes
    /// inside it until [`AttrWriter::end_nested`].
    pub fn begin_nested(&mut self, ty: u16) -> Result<&mut Self> {
        let at = self.buf.len();
        self.put(ty | wire::NLA_F_NESTED, &[])?;
        self.open.push(at);
        Ok(self)
    }

    /// Closes the innermost open nest, fixing its length.
    pub fn end_nested(&mut self) -> Result<&mut Self> {
        let at = self.open.pop().ok_or(Error::Build {
            what: "end_nested without begin_nested",
        })?;
        let len = self.buf.len() - at;
        let len16 = u16::try_from(len).map_err(|_| too_large(len))?;
        self.buf[at..at + 2].copy_from_slice(&len16.to_ne_bytes());
        Ok(self)
    }

    /// The encoded list; fails if a nest is still open.
    pub fn finish(self) -> Result<Vec<u8>> {
        if !self.open.is_empty() {
            return Err(Error::Build {
                what: "a nested attribute was not closed",
            });
        }
        Ok(self.buf)
    }
}

/// A string attribute's value up to its first NUL (or all of it), if UTF-8.
pub fn as_str<'a>(attr: &Attr<'a>) -> Option<&'a str> {
    let v = attr.value;
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    std::str::from_utf8(&v[..end]).ok()
}
