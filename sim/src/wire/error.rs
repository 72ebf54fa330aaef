//! The one error of the packet layer: why a frame was malformed. Callers drop the frame and count the reason.

use thiserror::Error;

/// Why bytes could not be parsed (or a `Repr` could not be emitted). `Copy` and small, so that a drop counter can be
/// an array indexed by [`WireError::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Error)]
pub enum WireError {
    /// The buffer ends before a header or a length field says it should.
    #[error("truncated")]
    Truncated,
    /// An IPv4 header checksum or an ICMP/UDP/TCP checksum does not verify.
    #[error("bad checksum")]
    BadChecksum,
    /// The IP version nibble is not the one the ethertype announced.
    #[error("bad IP version")]
    BadVersion,
    /// A header length field is below the fixed header (IPv4 IHL < 5, TCP data offset < 5).
    #[error("bad header length")]
    BadHeaderLength,
    /// A total/payload length field disagrees with the buffer or with the header.
    #[error("bad length field")]
    BadLength,
    /// An option (ND, TCP, IPv6 TLV) has length 0 or runs past the end of its container (RFC 4861 §4.6).
    #[error("bad option length")]
    BadOptionLength,
    /// The IPv6 extension-header chain is malformed: hop-by-hop not first, or the first fragment does not hold the
    /// whole chain (RFC 8200 §4, RFC 7112).
    #[error("malformed extension header chain")]
    BadExtensionChain,
    /// A field holds a value the protocol forbids (ND code ≠ 0, ARP hardware type ≠ Ethernet, …).
    #[error("bad field value")]
    BadField,
    /// A well-formed message of a kind this layer does not represent (unknown ethertype, ICMP type, option kind).
    #[error("unsupported")]
    Unsupported,
    /// The buffer given to `emit` is shorter than `buffer_len()`.
    #[error("buffer too small")]
    BufferTooSmall,
}

impl WireError {
    /// Every reason, in [`WireError::index`] order, for drop-counter tables.
    pub const ALL: [WireError; 10] = [
        WireError::Truncated,
        WireError::BadChecksum,
        WireError::BadVersion,
        WireError::BadHeaderLength,
        WireError::BadLength,
        WireError::BadOptionLength,
        WireError::BadExtensionChain,
        WireError::BadField,
        WireError::Unsupported,
        WireError::BufferTooSmall,
    ];

    /// A dense index in `0..ALL.len()`, for counting drops in a fixed array without hashing.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl From<smoltcp::wire::Error> for WireError {
    /// smoltcp's error carries no reason; its codecs fail on truncation or on an inconsistent header.
    fn from(_: smoltcp::wire::Error) -> Self {
        WireError::Truncated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_dense_and_matches_all() {
        for (i, reason) in WireError::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
        assert_eq!(WireError::BadChecksum.to_string(), "bad checksum");
    }
}
