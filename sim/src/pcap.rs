//! pcapng capture (draft-ietf-opsawg-pcapng) of simulated segments, written with the `pcap-file` crate.
//!
//! One Section Header Block without options, one Interface Description Block per captured segment or port
//! (LINKTYPE_ETHERNET, `if_name`, `if_tsresol` = 9: nanoseconds), then one Enhanced Packet Block per frame with
//! the virtual time of the frame as its timestamp. Nothing depends on the host (no hostname, OS, application or
//! wall-clock option) and the byte order is always little-endian, so the same run gives the same file.

use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::blocks::section_header::SectionHeaderBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};
use thiserror::Error;

use crate::time::Instant;

/// `if_tsresol` = 9: timestamps count nanoseconds, as [`Instant`] does (pcapng §4.2, option code 9).
const TSRESOL_NANOS: u8 = 9;

/// Why a capture could not be written.
#[derive(Debug, Error)]
pub enum CaptureError {
    /// The underlying writer failed.
    #[error("pcapng write failed: {0}")]
    Write(#[from] pcap_file::PcapError),
    /// `write_frame` named an interface that `add_interface` did not return.
    #[error("unknown capture interface {0}")]
    UnknownInterface(u32),
    /// A frame longer than a pcapng length field (u32) can describe.
    #[error("frame of {0} bytes is too long to capture")]
    FrameTooLong(usize),
}

/// A pcapng writer whose interfaces are simulated segments and whose clock is virtual time.
pub struct PcapngWriter<W: Write> {
    inner: PcapNgWriter<W>,
    interfaces: u32,
    frames: u64,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block (little-endian, version 1.0, unknown section length, no options).
    pub fn new(writer: W) -> Result<Self, CaptureError> {
        let section = SectionHeaderBlock {
            endianness: Endianness::Little,
            major_version: 1,
            minor_version: 0,
            section_length: -1,
            options: vec![],
        };
        let inner = PcapNgWriter::with_section_header(writer, section)?;
        Ok(PcapngWriter {
            inner,
            interfaces: 0,
            frames: 0,
        })
    }

    /// Writes an Interface Description Block for a segment or port called `name` and returns its interface id
    /// (0, 1, … in the order of the calls).
    pub fn add_interface(&mut self, name: &str) -> Result<u32, CaptureError> {
        let block = InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: 0, // no limit
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed(name)),
                InterfaceDescriptionOption::IfTsResol(TSRESOL_NANOS),
            ],
        };
        self.inner.write_pcapng_block(block)?;
        let id = self.interfaces;
        self.interfaces += 1;
        Ok(id)
    }

    /// Writes an Enhanced Packet Block: `frame` (a whole Ethernet frame without FCS) seen on `interface` at
    /// virtual time `at`.
    pub fn write_frame(&mut self, interface: u32, at: Instant, frame: &[u8]) -> Result<(), CaptureError> {
        if interface >= self.interfaces {
            return Err(CaptureError::UnknownInterface(interface));
        }
        let original_len = u32::try_from(frame.len()).map_err(|_| CaptureError::FrameTooLong(frame.len()))?;
        let block = EnhancedPacketBlock {
            interface_id: interface,
            timestamp: Duration::from_nanos(at.as_nanos()),
            original_len,
            data: Cow::Borrowed(frame),
            options: vec![],
        };
        self.inner.write_pcapng_block(block)?;
        self.frames += 1;
        Ok(())
    }

    /// Number of interfaces described so far.
    pub fn interface_count(&self) -> u32 {
        self.interfaces
    }

    /// Number of frames written so far.
    pub fn frame_count(&self) -> u64 {
        self.frames
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> Result<W, CaptureError> {
        self.inner.get_mut().flush().map_err(pcap_file::PcapError::IoError)?;
        Ok(self.inner.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden, encoded by hand from draft-ietf-opsawg-pcapng §4.1–4.3 (little-endian): an SHB without options,
    // an IDB for "seg0" (linktype 1, snaplen 0, if_name, if_tsresol 9, opt_endofopt) and an EPB of 5 bytes at
    // 1.500000123 s (0x59682f7b ns) padded to 8.
    const GOLDEN: [u8; 108] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00, 0x00, //
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, //
        0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, //
        0x73, 0x65, 0x67, 0x30, 0x09, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x28, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x00, 0x7b, 0x2f, 0x68, 0x59, 0x05, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, //
        0x01, 0x02, 0x03, 0x04, 0x05, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn golden_capture() {
        let mut writer = PcapngWriter::new(Vec::new()).unwrap();
        assert_eq!(writer.add_interface("seg0").unwrap(), 0);
        writer
            .write_frame(0, Instant::from_nanos(1_500_000_123), &[1, 2, 3, 4, 5])
            .unwrap();
        assert_eq!((writer.interface_count(), writer.frame_count()), (1, 1));
        assert_eq!(writer.into_inner().unwrap(), GOLDEN);
    }

    #[test]
    fn unknown_interface_is_an_error() {
        let mut writer = PcapngWriter::new(Vec::new()).unwrap();
        writer.add_interface("a").unwrap();
        assert!(matches!(
            writer.write_frame(1, Instant::ZERO, &[0; 60]),
            Err(CaptureError::UnknownInterface(1))
        ));
    }

    #[test]
    fn same_input_same_bytes() {
        let run = || {
            let mut writer = PcapngWriter::new(Vec::new()).unwrap();
            for name in ["seg-v4", "seg-v6"] {
                writer.add_interface(name).unwrap();
            }
            for i in 0..10u64 {
                writer
                    .write_frame((i % 2) as u32, Instant::from_millis(i), &[i as u8; 60])
                    .unwrap();
            }
            writer.into_inner().unwrap()
        };
        assert_eq!(run(), run());
    }
}
