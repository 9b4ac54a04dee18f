//! Captures in the classic pcap format, link type `LINKTYPE_NETLINK`.
//!
//! As tcpdump's link-type registry defines it (and as libpcap writes nlmon
//! captures), each packet starts with a 16-byte header in the layout of
//! `LINKTYPE_LINUX_SLL`: packet type (unused by the spec; we store
//! `PACKET_HOST` or `PACKET_OUTGOING`, as libpcap does, so the direction
//! survives), `ARPHRD_NETLINK`, 10 unused bytes, and the netlink protocol,
//! both big-endian. The netlink datagram follows. Wireshark and tcpdump
//! read the result as netlink.
//!
//! The file and record headers are in host byte order, as libpcap writes
//! them: the datagrams are too, so the magic tells readers the order of both.

use std::io::{self, Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::tap::{Direction, Seen, Tap};

/// Magic of a pcap file with microsecond timestamps, as written in the
/// writer's byte order.
pub const MAGIC: u32 = 0xa1b2_c3d4;
/// Magic of a pcap file with nanosecond timestamps.
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
/// `LINKTYPE_NETLINK`.
pub const LINKTYPE_NETLINK: u32 = 253;
/// Largest record the writer stores whole.
pub const SNAPLEN: u32 = 262_144;
/// `ARPHRD_NETLINK`, the hardware type in each record's header.
pub const ARPHRD_NETLINK: u16 = 824;
/// Size of the header before each datagram.
pub const COOKED_HDRLEN: usize = 16;
/// Size of the file header.
pub const FILE_HDRLEN: usize = 24;
/// Size of a record header.
pub const RECORD_HDRLEN: usize = 16;

/// `PACKET_HOST`: the packet was for us.
const PACKET_HOST: u16 = 0;
/// `PACKET_OUTGOING`: the packet was sent by us.
const PACKET_OUTGOING: u16 = 4;

/// Writes a capture: the file header at once, then one record per datagram.
///
/// Each record goes out in a single `write_all`, so with an unbuffered
/// `File` every datagram is on disk as soon as it was seen, even if the
/// process is killed.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    protocol: u16,
}

impl<W: Write> PcapWriter<W> {
    /// Starts a capture of traffic on netlink `protocol`.
    pub fn new(mut out: W, protocol: u32) -> io::Result<Self> {
        let protocol = u16::try_from(protocol)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "protocol above 65535"))?;
        let mut h = Vec::with_capacity(FILE_HDRLEN);
        h.extend_from_slice(&MAGIC.to_ne_bytes());
        h.extend_from_slice(&2u16.to_ne_bytes());
        h.extend_from_slice(&4u16.to_ne_bytes());
        h.extend_from_slice(&0i32.to_ne_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_ne_bytes()); // sigfigs
        h.extend_from_slice(&SNAPLEN.to_ne_bytes());
        h.extend_from_slice(&LINKTYPE_NETLINK.to_ne_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, protocol })
    }

    /// Records `datagram`, stamped with the current time.
    pub fn write(&mut self, direction: Direction, datagram: &[u8]) -> io::Result<()> {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.write_at(since, direction, datagram)
    }

    /// Records `datagram` with a timestamp (time since the epoch). Data
    /// beyond [`SNAPLEN`] is cut; the record keeps the original length.
    pub fn write_at(
        &mut self,
        since_epoch: Duration,
        direction: Direction,
        datagram: &[u8],
    ) -> io::Result<()> {
        let orig = COOKED_HDRLEN + datagram.len();
        let incl = orig.min(SNAPLEN as usize);
        let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "datagram above 4 GiB");
        let secs = u32::try_from(since_epoch.as_secs()).unwrap_or(u32::MAX);
        let mut rec = Vec::with_capacity(RECORD_HDRLEN + incl);
        rec.extend_from_slice(&secs.to_ne_bytes());
        rec.extend_from_slice(&since_epoch.subsec_micros().to_ne_bytes());
        rec.extend_from_slice(&u32::try_from(incl).map_err(|_| too_big())?.to_ne_bytes());
        rec.extend_from_slice(&u32::try_from(orig).map_err(|_| too_big())?.to_ne_bytes());
        let pkttype = match direction {
            Direction::Sent => PACKET_OUTGOING,
            Direction::Received => PACKET_HOST,
        };
        rec.extend_from_slice(&pkttype.to_be_bytes());
        rec.extend_from_slice(&ARPHRD_NETLINK.to_be_bytes());
        rec.extend_from_slice(&[0; 10]);
        rec.extend_from_slice(&self.protocol.to_be_bytes());
        rec.extend_from_slice(&datagram[..incl - COOKED_HDRLEN]);
        self.out.write_all(&rec)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> Tap for PcapWriter<W> {
    fn datagram(&mut self, d: &Seen<'_>) -> Result<()> {
        self.write(d.direction, d.data)
            .map_err(Error::io("writing the capture"))
    }
}

/// One record of a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Timestamp, since the epoch.
    pub time: Duration,
    /// Which way the datagram went, from the packet type.
    pub direction: Direction,
    /// The netlink protocol.
    pub protocol: u16,
    /// The datagram, possibly cut at the snap length.
    pub datagram: Vec<u8>,
    /// The datagram's length before any cut.
    pub orig_len: usize,
}

/// Why a capture could not be read.
#[derive(Debug)]
pub enum PcapError {
    /// Reading failed.
    Io(io::Error),
    /// Not a pcap file.
    BadMagic(u32),
    /// A pcap file of another link type.
    LinkType(u32),
    /// The file ends inside a header or record.
    Truncated,
    /// A record that cannot be right.
    BadRecord(&'static str),
}

impl std::fmt::Display for PcapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PcapError::Io(e) => write!(f, "{e}"),
            PcapError::BadMagic(m) => write!(f, "not a pcap file (magic {m:#010x})"),
            PcapError::LinkType(t) => write!(f, "link type {t}, not LINKTYPE_NETLINK (253)"),
            PcapError::Truncated => write!(f, "the file ends inside a record"),
            PcapError::BadRecord(why) => write!(f, "bad record: {why}"),
        }
    }
}

impl std::error::Error for PcapError {}

/// Reads a `LINKTYPE_NETLINK` capture, in either byte order, with micro- or
/// nanosecond timestamps.
#[derive(Debug)]
pub struct PcapReader<R: Read> {
    inp: R,
    swapped: bool,
    nanos: bool,
}

/// Fills `buf`; `Ok(false)` at a clean end of file (nothing read).
fn read_exact_or_eof<R: Read>(r: &mut R, buf: &mut [u8]) -> std::result::Result<bool, PcapError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(PcapError::Truncated),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PcapError::Io(e)),
        }
    }
    Ok(true)
}

impl<R: Read> PcapReader<R> {
    /// Reads and checks the file header.
    pub fn new(mut inp: R) -> std::result::Result<Self, PcapError> {
        let mut h = [0u8; FILE_HDRLEN];
        if !read_exact_or_eof(&mut inp, &mut h)? {
            return Err(PcapError::Truncated);
        }
        let magic = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]);
        let (swapped, nanos) = match magic {
            MAGIC => (false, false),
            MAGIC_NANOS => (false, true),
            m if m.swap_bytes() == MAGIC => (true, false),
            m if m.swap_bytes() == MAGIC_NANOS => (true, true),
            m => return Err(PcapError::BadMagic(m)),
        };
        let r = PcapReader {
            inp,
            swapped,
            nanos,
        };
        let linktype = r.u32_at(&h, 20);
        if linktype != LINKTYPE_NETLINK {
            return Err(PcapError::LinkType(linktype));
        }
        Ok(r)
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let v = u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_packet(&mut self) -> std::result::Result<Option<Packet>, PcapError> {
        let mut h = [0u8; RECORD_HDRLEN];
        if !read_exact_or_eof(&mut self.inp, &mut h)? {
            return Ok(None);
        }
        let secs = self.u32_at(&h, 0);
        let frac = self.u32_at(&h, 4);
        let incl = self.u32_at(&h, 8) as usize;
        let orig = self.u32_at(&h, 12) as usize;
        // A hostile length must not make us allocate gigabytes; the file's
        // own snap length is as untrusted as the record, so it is no bound.
        if incl > SNAPLEN as usize {
            return Err(PcapError::BadRecord(
                "captured length above the snap length",
            ));
        }
        if incl < COOKED_HDRLEN || orig < incl {
            return Err(PcapError::BadRecord(
                "length below the netlink header or above the original length",
            ));
        }
        let mut data = vec![0u8; incl];
        if !read_exact_or_eof(&mut self.inp, &mut data)? {
            return Err(PcapError::Truncated);
        }
        let hatype = u16::from_be_bytes([data[2], data[3]]);
        if hatype != ARPHRD_NETLINK {
            return Err(PcapError::BadRecord("hardware type is not ARPHRD_NETLINK"));
        }
        let direction = match u16::from_be_bytes([data[0], data[1]]) {
            PACKET_OUTGOING => Direction::Sent,
            _ => Direction::Received,
        };
        let protocol = u16::from_be_bytes([data[14], data[15]]);
        let nanos = if self.nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        data.drain(..COOKED_HDRLEN);
        Ok(Some(Packet {
            time: Duration::new(u64::from(secs), nanos.min(999_999_999)),
            direction,
            protocol,
            datagram: data,
            orig_len: orig - COOKED_HDRLEN,
        }))
    }
}

impl<R: Read> Iterator for PcapReader<R> {
    type Item = std::result::Result<Packet, PcapError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_packet().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(records: &[(Direction, Vec<u8>)]) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), 30).unwrap();
        for (i, (dir, data)) in records.iter().enumerate() {
            w.write_at(
                Duration::new(1_700_000_000 + i as u64, 123_456_000),
                *dir,
                data,
            )
            .unwrap();
        }
        w.into_inner()
    }

    #[test]
    fn file_header_is_classic_pcap_for_linktype_netlink() {
        let file = capture(&[]);
        assert_eq!(file.len(), FILE_HDRLEN);
        // Host byte order, like the datagrams.
        assert_eq!(&file[..4], &0xa1b2_c3d4u32.to_ne_bytes());
        assert_eq!(&file[4..6], &2u16.to_ne_bytes(), "version 2.x");
        assert_eq!(&file[6..8], &4u16.to_ne_bytes(), "version x.4");
        assert_eq!(&file[16..20], &SNAPLEN.to_ne_bytes());
        assert_eq!(&file[20..24], &253u32.to_ne_bytes());
        #[cfg(target_endian = "little")]
        assert_eq!(&file[..8], &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    }

    #[test]
    fn records_round_trip_with_direction_and_protocol() {
        let records = vec![
            (Direction::Sent, b"request bytes".to_vec()),
            (Direction::Received, vec![]),
            (Direction::Received, (0..=255).collect()),
        ];
        let file = capture(&records);
        let first = &file[FILE_HDRLEN..FILE_HDRLEN + RECORD_HDRLEN + COOKED_HDRLEN];
        assert_eq!(&first[8..12], &(16u32 + 13).to_ne_bytes(), "incl_len");
        assert_eq!(&first[16..18], &[0, 4], "PACKET_OUTGOING, big-endian");
        assert_eq!(&first[18..20], &[0x03, 0x38], "ARPHRD_NETLINK 824");
        assert_eq!(&first[30..32], &[0, 30], "protocol 30, big-endian");
        let got: Vec<Packet> = PcapReader::new(&file[..])
            .unwrap()
            .map(|p| p.unwrap())
            .collect();
        assert_eq!(got.len(), records.len());
        for (i, (p, (dir, data))) in got.iter().zip(&records).enumerate() {
            assert_eq!(p.direction, *dir);
            assert_eq!(&p.datagram, data);
            assert_eq!(p.orig_len, data.len());
            assert_eq!(p.protocol, 30);
            assert_eq!(p.time, Duration::new(1_700_000_000 + i as u64, 123_456_000));
        }
    }

    #[test]
    fn datagrams_above_the_snap_length_are_cut_but_keep_their_length() {
        let big = vec![7u8; SNAPLEN as usize + 100];
        let file = capture(&[(Direction::Received, big.clone())]);
        let p = PcapReader::new(&file[..]).unwrap().next().unwrap().unwrap();
        assert_eq!(p.orig_len, big.len());
        assert_eq!(p.datagram.len(), SNAPLEN as usize - COOKED_HDRLEN);
    }

    #[test]
    fn reads_big_endian_files() {
        let mut file = capture(&[(Direction::Sent, b"abc".to_vec())]);
        for at in [0, 16, 20, 24, 28, 32, 36] {
            file[at..at + 4].reverse();
        }
        file[4..6].reverse();
        file[6..8].reverse();
        let p = PcapReader::new(&file[..]).unwrap().next().unwrap().unwrap();
        assert_eq!(p.datagram, b"abc");
    }

    #[test]
    fn rejects_bad_files() {
        let good = capture(&[(Direction::Sent, b"abcd".to_vec())]);
        assert!(matches!(
            PcapReader::new(&good[..10]),
            Err(PcapError::Truncated)
        ));
        let mut bad = good.clone();
        bad[0] = 0;
        assert!(matches!(
            PcapReader::new(&bad[..]),
            Err(PcapError::BadMagic(_))
        ));
        let mut bad = good.clone();
        bad[20..24].copy_from_slice(&1u32.to_ne_bytes());
        assert!(matches!(
            PcapReader::new(&bad[..]),
            Err(PcapError::LinkType(1))
        ));
        let cut = &good[..good.len() - 1];
        let mut r = PcapReader::new(cut).unwrap();
        assert!(matches!(r.next(), Some(Err(PcapError::Truncated))));
        let mut huge = good.clone();
        huge[32..36].copy_from_slice(&u32::MAX.to_ne_bytes());
        let mut r = PcapReader::new(&huge[..]).unwrap();
        assert!(matches!(r.next(), Some(Err(PcapError::BadRecord(_)))));
        let mut short = good;
        short[32..36].copy_from_slice(&8u32.to_ne_bytes());
        let mut r = PcapReader::new(&short[..]).unwrap();
        assert!(matches!(r.next(), Some(Err(PcapError::BadRecord(_)))));
    }

    #[test]
    fn a_hostile_snap_length_does_not_raise_the_record_bound() {
        let mut file = capture(&[(Direction::Received, b"abcd".to_vec())]);
        file[16..20].copy_from_slice(&u32::MAX.to_ne_bytes());
        // Just above SNAPLEN, and near 4 GiB: both within the file's snap
        // length, both refused before any buffer is allocated. Reading them
        // would end in Truncated (or an allocation failure) instead.
        for incl in [SNAPLEN + 1, u32::MAX - 1] {
            let mut hostile = file.clone();
            hostile[32..36].copy_from_slice(&incl.to_ne_bytes());
            hostile[36..40].copy_from_slice(&u32::MAX.to_ne_bytes());
            let mut r = PcapReader::new(&hostile[..]).unwrap();
            assert!(
                matches!(
                    r.next(),
                    Some(Err(PcapError::BadRecord(
                        "captured length above the snap length"
                    )))
                ),
                "incl_len {incl}"
            );
        }
        // A normal record still reads: the file's snap length is just ignored.
        let p = PcapReader::new(&file[..]).unwrap().next().unwrap().unwrap();
        assert_eq!(p.datagram, b"abcd");
    }
}
