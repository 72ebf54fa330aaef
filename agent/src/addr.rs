//! Address value types: MAC addresses, IP prefixes and netmasks.
//!
//! IP addresses are always held as `std::net` values and compared as such; the text the director sent is
//! kept beside them only so the renderers can reproduce the agent's files byte for byte (the agent writes
//! settings strings verbatim, bosh-networking.md §1.5 "`Address=<ip as given>`").

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An Ethernet MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The text Linux shows in `/sys/class/net/<if>/address`: lower-case, colon-separated. The agent
    /// compares the settings `mac` with exactly this text (bosh-networking.md §1.3).
    pub fn sysfs_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Why a MAC address text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a MAC address (six colon-separated hex octets)")]
pub struct MacParseError(pub String);

impl FromStr for Mac {
    type Err = MacParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in &mut out {
            let part = parts.next().ok_or_else(|| MacParseError(s.to_owned()))?;
            if part.is_empty() || part.len() > 2 {
                return Err(MacParseError(s.to_owned()));
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| MacParseError(s.to_owned()))?;
        }
        if parts.next().is_some() {
            return Err(MacParseError(s.to_owned()));
        }
        Ok(Mac(out))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An IP prefix (`addr/len`), host bits kept as given (`ip rule from 10.0.9.165/32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    /// The address part.
    pub addr: IpAddr,
    /// The prefix length (≤ 32 for IPv4, ≤ 128 for IPv6).
    pub len: u8,
}

impl Prefix {
    /// The default route of a family: `0.0.0.0/0` or `::/0`.
    pub fn default_for(v6: bool) -> Prefix {
        if v6 {
            Prefix {
                addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                len: 0,
            }
        } else {
            Prefix {
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                len: 0,
            }
        }
    }

    /// A single-address prefix (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Prefix {
        Prefix {
            addr,
            len: max_len(addr),
        }
    }

    /// The network containing `addr` with `len` bits (host bits cleared), as `ip addr add` derives the
    /// connected route.
    pub fn network_of(addr: IpAddr, len: u8) -> Prefix {
        Prefix {
            addr: mask_addr(addr, len),
            len,
        }
    }

    /// Whether this is a default route destination (`/0`).
    pub fn is_default(&self) -> bool {
        self.len == 0
    }

    /// Whether `ip` lies inside this prefix (same family, equal masked bits).
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv6() == self.addr.is_ipv6() && mask_addr(ip, self.len) == mask_addr(self.addr, self.len)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// Why a prefix text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an IP prefix (addr/len)")]
pub struct PrefixParseError(pub String);

impl FromStr for Prefix {
    type Err = PrefixParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PrefixParseError(s.to_owned());
        let (a, l) = s.split_once('/').ok_or_else(err)?;
        let addr: IpAddr = a.parse().map_err(|_| err())?;
        let len: u8 = l.parse().map_err(|_| err())?;
        if len > max_len(addr) {
            return Err(err());
        }
        Ok(Prefix { addr, len })
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// 32 for IPv4, 128 for IPv6.
pub fn max_len(addr: IpAddr) -> u8 {
    if addr.is_ipv6() {
        128
    } else {
        32
    }
}

/// `addr` with all bits after the first `len` cleared.
pub fn mask_addr(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

/// The IPv4 broadcast address of `addr/len` (all host bits set), as the agent's
/// `CalculateNetworkAndBroadcast` computes it for the `broadcast` line (bosh-networking.md §1.4).
pub fn ipv4_broadcast(addr: Ipv4Addr, len: u8) -> Ipv4Addr {
    let host = if len >= 32 { 0 } else { u32::MAX >> u32::from(len) };
    Ipv4Addr::from(u32::from(addr) | host)
}

/// The prefix length of a contiguous netmask, or `None` for a non-contiguous one. Mirrors the agent's
/// `NetmaskToCIDR` (`net.IPMask.Size()`), which fails with "netmask cannot be converted to CIDR"
/// (bosh-networking.md §1.5).
pub fn netmask_len(mask: IpAddr) -> Option<u8> {
    let (bits, width) = match mask {
        IpAddr::V4(m) => (u128::from(u32::from(m)) << 96, 32u32),
        IpAddr::V6(m) => (u128::from(m), 128u32),
    };
    let ones = bits.leading_ones();
    // Contiguous: after the leading ones, nothing else is set.
    let rest = if ones >= 128 { 0 } else { bits << ones };
    if rest != 0 || ones > width {
        return None;
    }
    u8::try_from(ones).ok()
}

/// IPv6 written the way the 2018 director wrote it: eight groups of four zero-padded hex digits
/// (NetAddr's `ip_int_to_str`, bosh-networking.md §2.1).
pub fn expanded_ipv6(addr: Ipv6Addr) -> String {
    let s = addr.segments();
    format!(
        "{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}",
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mac_parses_and_prints_sysfs_form() {
        let m: Mac = "00:50:56:8C:86:A9".parse().unwrap();
        assert_eq!(m.sysfs_text(), "00:50:56:8c:86:a9");
        assert!("00:50:56:8c:86".parse::<Mac>().is_err());
        assert!("00:50:56:8c:86:a9:01".parse::<Mac>().is_err());
        assert!("00:50:56:8c:86:zz".parse::<Mac>().is_err());
        assert!("00:50:56:8c:86:".parse::<Mac>().is_err());
    }

    #[test]
    fn netmask_lengths_match_net_ipmask_size() {
        assert_eq!(netmask_len(ip("255.255.255.0")), Some(24));
        assert_eq!(netmask_len(ip("0.0.0.0")), Some(0));
        assert_eq!(netmask_len(ip("255.255.255.255")), Some(32));
        assert_eq!(netmask_len(ip("255.0.255.0")), None);
        assert_eq!(netmask_len(ip("ffff:ffff:ffff:ffff:0000:0000:0000:0000")), Some(64));
        assert_eq!(netmask_len(ip("ffff:ffff:ffff:ffff:ffff::")), Some(80));
        assert_eq!(netmask_len(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), Some(128));
        assert_eq!(netmask_len(ip("ffff::ffff")), None);
    }

    #[test]
    fn prefixes_contain_by_bits_not_text() {
        let p = Prefix::network_of(ip("2601:0646:0100:69f1:0000:0000:0000:0165"), 64);
        assert_eq!(p.to_string(), "2601:646:100:69f1::/64");
        assert!(p.contains(ip("2601:646:100:69f1:20d:b9ff:fe48:9249")));
        assert!(!p.contains(ip("2601:646:100:69f5::1")));
        assert!(!p.contains(ip("10.0.9.1")));
        let v4 = Prefix::network_of(ip("10.0.9.165"), 24);
        assert_eq!(v4.to_string(), "10.0.9.0/24");
        assert!(Prefix::default_for(true).is_default());
        assert_eq!(
            "10.0.9.165/32".parse::<Prefix>().unwrap(),
            Prefix::host(ip("10.0.9.165"))
        );
        assert!("10.0.9.165/33".parse::<Prefix>().is_err());
    }

    #[test]
    fn broadcast_and_expanded_forms() {
        assert_eq!(ipv4_broadcast("1.2.3.4".parse().unwrap(), 24).to_string(), "1.2.3.255");
        assert_eq!(ipv4_broadcast("1.2.3.4".parse().unwrap(), 32).to_string(), "1.2.3.4");
        assert_eq!(
            expanded_ipv6("2001:db8::1".parse().unwrap()),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
    }
}
