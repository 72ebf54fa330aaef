//! The 48-bit IEEE 802 MAC address, with the mappings IPv4 and IPv6 need: multicast MACs (RFC 1112 §6.4,
//! RFC 2464 §7) and the modified EUI-64 interface identifier (RFC 4291 §2.5.1, Appendix A).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::WireError;

/// A MAC address: six octets in transmission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `ff:ff:ff:ff:ff:ff`, where ARP requests go.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    /// `00:00:00:00:00:00`, the unknown target hardware address of an ARP request (RFC 826).
    pub const UNSPECIFIED: MacAddr = MacAddr([0; 6]);

    /// Reads a MAC from the first six bytes of `bytes`, or `Truncated`.
    pub fn from_bytes(bytes: &[u8]) -> Result<MacAddr, WireError> {
        let six: [u8; 6] = bytes
            .get(..6)
            .and_then(|b| b.try_into().ok())
            .ok_or(WireError::Truncated)?;
        Ok(MacAddr(six))
    }

    /// The six octets.
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// The I/G bit (least significant bit of the first octet) is set: a group address (IEEE 802 §8.2).
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// All ones.
    pub const fn is_broadcast(&self) -> bool {
        matches!(self.0, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    }

    /// An individual (unicast) address that is not all zeros.
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast() && !matches!(self.0, [0, 0, 0, 0, 0, 0])
    }

    /// The U/L bit (second least significant of the first octet) is set: locally administered.
    pub const fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// `33:33` followed by the low 32 bits of an IPv6 multicast group (RFC 2464 §7).
    pub const fn from_ipv6_multicast(group: Ipv6Addr) -> MacAddr {
        let o = group.octets();
        MacAddr([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }

    /// `01:00:5e` followed by the low 23 bits of an IPv4 multicast group (RFC 1112 §6.4).
    pub const fn from_ipv4_multicast(group: Ipv4Addr) -> MacAddr {
        let o = group.octets();
        MacAddr([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
    }

    /// Whether this is a `33:33:…` IPv6 multicast MAC (RFC 2464 §7).
    pub const fn is_ipv6_multicast(&self) -> bool {
        self.0[0] == 0x33 && self.0[1] == 0x33
    }

    /// The modified EUI-64 interface identifier: `ff:fe` inserted in the middle and the U/L bit flipped
    /// (RFC 4291 Appendix A; Linux `addrconf_ifid_eui48`: `eui[0] ^= 2`; linux-ipv6.md C1).
    pub const fn eui64_interface_id(&self) -> [u8; 8] {
        let m = self.0;
        [m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]
    }

    /// `prefix` (its first 64 bits) joined with [`MacAddr::eui64_interface_id`] (RFC 4862 §5.3, §5.5.3 d).
    pub const fn eui64_address(&self, prefix: Ipv6Addr) -> Ipv6Addr {
        let p = prefix.octets();
        let iid = self.eui64_interface_id();
        Ipv6Addr::new(
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
            u16::from_be_bytes([p[4], p[5]]),
            u16::from_be_bytes([p[6], p[7]]),
            u16::from_be_bytes([iid[0], iid[1]]),
            u16::from_be_bytes([iid[2], iid[3]]),
            u16::from_be_bytes([iid[4], iid[5]]),
            u16::from_be_bytes([iid[6], iid[7]]),
        )
    }

    /// The EUI-64 link-local address `fe80::IID` (RFC 4862 §5.3).
    pub const fn eui64_link_local(&self) -> Ipv6Addr {
        self.eui64_address(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0))
    }
}

impl From<[u8; 6]> for MacAddr {
    fn from(octets: [u8; 6]) -> Self {
        MacAddr(octets)
    }
}

impl From<smoltcp::wire::EthernetAddress> for MacAddr {
    fn from(addr: smoltcp::wire::EthernetAddress) -> Self {
        MacAddr(addr.0)
    }
}

impl From<MacAddr> for smoltcp::wire::EthernetAddress {
    fn from(addr: MacAddr) -> Self {
        smoltcp::wire::EthernetAddress(addr.0)
    }
}

impl fmt::Display for MacAddr {
    /// Lower-case, colon-separated, as `ip link` and `ip neigh` print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl FromStr for MacAddr {
    type Err = WireError;

    /// Parses `aa:bb:cc:dd:ee:ff` (case-insensitive); anything else is `BadField`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in out.iter_mut() {
            let part = parts.next().ok_or(WireError::BadField)?;
            if part.len() != 2 {
                return Err(WireError::BadField);
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| WireError::BadField)?;
        }
        if parts.next().is_some() {
            return Err(WireError::BadField);
        }
        Ok(MacAddr(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_flips_the_universal_local_bit() {
        // linux-ipv6.md C1, golden values from B1.log and E.log.
        let mac: MacAddr = "52:54:00:12:34:56".parse().unwrap();
        assert_eq!(
            mac.eui64_interface_id(),
            [0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56]
        );
        assert_eq!(
            mac.eui64_link_local(),
            "fe80::5054:ff:fe12:3456".parse::<Ipv6Addr>().unwrap()
        );
        let prefix: Ipv6Addr = "2001:db8:1::".parse().unwrap();
        assert_eq!(
            mac.eui64_address(prefix),
            "2001:db8:1:0:5054:ff:fe12:3456".parse::<Ipv6Addr>().unwrap()
        );
        let local: MacAddr = "02:5a:00:00:00:0a".parse().unwrap();
        assert_eq!(
            local.eui64_link_local(),
            "fe80::5a:ff:fe00:a".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn multicast_mappings() {
        let group: Ipv6Addr = "ff02::1:ff12:3456".parse().unwrap();
        let mac = MacAddr::from_ipv6_multicast(group);
        assert_eq!(mac.to_string(), "33:33:ff:12:34:56");
        assert!(mac.is_multicast() && mac.is_ipv6_multicast() && !mac.is_broadcast());
        let v4 = MacAddr::from_ipv4_multicast(Ipv4Addr::new(224, 129, 2, 3));
        assert_eq!(v4.to_string(), "01:00:5e:01:02:03");
        assert!(MacAddr::BROADCAST.is_broadcast() && MacAddr::BROADCAST.is_multicast());
        assert!(!MacAddr::UNSPECIFIED.is_unicast());
        assert!("02:00:00:00:00:01".parse::<MacAddr>().unwrap().is_local());
    }

    #[test]
    fn parse_rejects_malformed_text() {
        for bad in [
            "",
            "52:54:00:12:34",
            "52:54:00:12:34:56:78",
            "5:54:00:12:34:56",
            "zz:54:00:12:34:56",
        ] {
            assert_eq!(bad.parse::<MacAddr>(), Err(WireError::BadField), "{bad}");
        }
        assert_eq!(MacAddr::from_bytes(&[1, 2, 3]), Err(WireError::Truncated));
    }
}
