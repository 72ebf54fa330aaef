//! The DNS payloads of the RDNSS and DNSSL options (RFC 8106 §5): address lists and domain-name lists, readable
//! from the wire without allocation and writable from plain values.

use std::fmt;
use std::net::Ipv6Addr;

use super::WireError;

/// The addresses of an RDNSS option (RFC 8106 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrList<'a> {
    /// As received: a multiple of 16 bytes.
    Wire(&'a [u8]),
    /// As built.
    Addrs(&'a [Ipv6Addr]),
}

impl<'a> AddrList<'a> {
    /// Number of addresses.
    pub fn len(&self) -> usize {
        match self {
            AddrList::Wire(b) => b.len() / 16,
            AddrList::Addrs(a) => a.len(),
        }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The addresses in order.
    pub fn iter(&self) -> impl Iterator<Item = Ipv6Addr> + 'a {
        let (wire, addrs): (&'a [u8], &'a [Ipv6Addr]) = match *self {
            AddrList::Wire(b) => (b, &[]),
            AddrList::Addrs(a) => (&[], a),
        };
        wire.chunks_exact(16)
            .map(|c| {
                let mut o = [0u8; 16];
                o.copy_from_slice(c);
                Ipv6Addr::from(o)
            })
            .chain(addrs.iter().copied())
    }

    /// Bytes on the wire: 16 per address.
    pub fn buffer_len(&self) -> usize {
        self.len() * 16
    }

    /// Writes the addresses into the start of `buf` (at least `buffer_len` bytes).
    pub(crate) fn emit(&self, buf: &mut [u8]) {
        for (chunk, addr) in buf.chunks_exact_mut(16).zip(self.iter()) {
            chunk.copy_from_slice(&addr.octets());
        }
    }
}

/// One domain name of a DNSSL option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainName<'a> {
    /// DNS wire encoding (RFC 1035 §3.1), labels and the final zero octet, validated.
    Wire(&'a [u8]),
    /// Dotted text, as built.
    Text(&'a str),
}

impl fmt::Display for DomainName<'_> {
    /// Dotted form without the trailing dot (`example.com`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainName::Text(s) => f.write_str(s.trim_end_matches('.')),
            DomainName::Wire(mut b) => {
                let mut first = true;
                while let Some((&len, rest)) = b.split_first() {
                    let Some(label) = rest.get(..usize::from(len)).filter(|_| len != 0) else {
                        break;
                    };
                    if !first {
                        f.write_str(".")?;
                    }
                    first = false;
                    for &c in label {
                        write!(f, "{}", char::from(c))?;
                    }
                    b = &rest[usize::from(len)..];
                }
                Ok(())
            }
        }
    }
}

/// The domain names of a DNSSL option (RFC 8106 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainList<'a> {
    /// As received: encoded names followed by zero padding, validated by [`DomainList::parse`].
    Wire(&'a [u8]),
    /// Dotted names, as built.
    Names(&'a [&'a str]),
}

/// Length of the encoded name at the start of `b` (labels and the zero octet). Compression pointers are not
/// allowed in DNSSL (RFC 8106 §5.2) and labels are at most 63 octets (RFC 1035 §2.3.4).
fn encoded_name_len(b: &[u8]) -> Result<usize, WireError> {
    let mut i = 0;
    loop {
        let len = usize::from(*b.get(i).ok_or(WireError::Truncated)?);
        if len == 0 {
            return Ok(i + 1);
        }
        if len > 63 {
            return Err(WireError::BadField);
        }
        i += 1 + len;
    }
}

impl<'a> DomainList<'a> {
    /// Validates the encoded names: each ends inside the option; zero octets after the last are padding.
    pub fn parse(bytes: &'a [u8]) -> Result<DomainList<'a>, WireError> {
        let mut rest = bytes;
        while rest.first().is_some_and(|&b| b != 0) {
            let len = encoded_name_len(rest)?;
            rest = &rest[len..];
        }
        if rest.iter().any(|&b| b != 0) {
            return Err(WireError::BadField);
        }
        Ok(DomainList::Wire(bytes))
    }

    /// The names in order.
    pub fn iter(&self) -> impl Iterator<Item = DomainName<'a>> + 'a {
        let (mut wire, names): (&'a [u8], &'a [&'a str]) = match *self {
            DomainList::Wire(b) => (b, &[]),
            DomainList::Names(n) => (&[], n),
        };
        std::iter::from_fn(move || {
            if wire.first().is_none_or(|&b| b == 0) {
                return None;
            }
            let len = encoded_name_len(wire).ok()?;
            let (name, rest) = wire.split_at(len);
            wire = rest;
            Some(DomainName::Wire(name))
        })
        .chain(names.iter().map(|n| DomainName::Text(n)))
    }

    /// Encoded length of the names, before padding.
    pub fn encoded_len(&self) -> usize {
        match self {
            DomainList::Wire(b) => b.len(),
            DomainList::Names(names) => names
                .iter()
                .map(|n| {
                    let n = n.trim_end_matches('.');
                    if n.is_empty() {
                        1
                    } else {
                        n.len() + 2
                    }
                })
                .sum(),
        }
    }

    /// Writes the encoded names into the start of `buf` (at least `encoded_len` bytes); a label that is empty or
    /// longer than 63 octets is `BadField`.
    pub(crate) fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        match self {
            DomainList::Wire(b) => buf[..b.len()].copy_from_slice(b),
            DomainList::Names(names) => {
                let mut i = 0;
                for name in names.iter() {
                    let name = name.trim_end_matches('.');
                    if !name.is_empty() {
                        for label in name.split('.') {
                            if label.is_empty() || label.len() > 63 {
                                return Err(WireError::BadField);
                            }
                            buf[i] = label.len() as u8;
                            buf[i + 1..i + 1 + label.len()].copy_from_slice(label.as_bytes());
                            i += 1 + label.len();
                        }
                    }
                    buf[i] = 0;
                    i += 1;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_round_trip() {
        let names = DomainList::Names(&["example.com", "corp.example."]);
        let mut buf = vec![0u8; names.encoded_len() + 3];
        names.emit(&mut buf).unwrap();
        assert_eq!(&buf[..13], b"\x07example\x03com\x00");
        let parsed = DomainList::parse(&buf).unwrap();
        let text: Vec<String> = parsed.iter().map(|n| n.to_string()).collect();
        assert_eq!(text, ["example.com", "corp.example"]);
    }

    #[test]
    fn malformed_names() {
        assert_eq!(DomainList::parse(b"\x07exam"), Err(WireError::Truncated));
        assert_eq!(DomainList::parse(b"\xc0\x0c\x00"), Err(WireError::BadField));
        assert_eq!(DomainList::parse(b"\x01a\x00\x00\x05"), Err(WireError::BadField));
        let mut buf = [0u8; 8];
        assert_eq!(DomainList::Names(&["a..b"]).emit(&mut buf), Err(WireError::BadField));
    }

    #[test]
    fn address_lists() {
        let addrs = ["2001:db8::53".parse().unwrap(), "2001:db8::54".parse().unwrap()];
        let list = AddrList::Addrs(&addrs);
        let mut buf = [0u8; 32];
        list.emit(&mut buf);
        let wire = AddrList::Wire(&buf);
        assert_eq!(wire.len(), 2);
        assert!(wire.iter().eq(addrs.iter().copied()));
    }
}
