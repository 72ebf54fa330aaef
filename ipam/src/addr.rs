//! Family-agnostic addresses: an IPv4 or IPv6 address as a `u128` plus its family.
//!
//! The director compares addresses as integers (`IPAddr#==` coerces via `to_i`, bosh-networking.md §4.7), never as
//! strings; this type does the same, so `2601:0646::0165`, `2601:646::165` and the fully expanded form are one value.
//! Two renderings exist because the director changed: the NetAddr era (≤ v280.1.3, "2018") emitted every IPv6 string
//! fully expanded with leading zeros, the current director emits RFC 5952 compressed strings (§2.1).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address family of an [`Addr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Family {
    /// IPv4: 32-bit addresses.
    V4,
    /// IPv6: 128-bit addresses.
    V6,
}

impl Family {
    /// Number of address bits (32 or 128).
    pub const fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// Largest address value of the family (all ones).
    pub const fn max_value(self) -> u128 {
        match self {
            Family::V4 => u32::MAX as u128,
            Family::V6 => u128::MAX,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

/// How IPv6 strings are rendered in settings and tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// Director ≤ v280.1.3 (NetAddr gem, e.g. the 2018 seed): IPv6 fully expanded, no `prefix` key (§2.1).
    Y2018,
    /// Current director: IPv6 compressed (netmask still expanded), `prefix` key present (§2.1).
    Current,
}

/// One IPv4 or IPv6 address, ordered by family then numeric value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    family: Family,
    value: u128,
}

impl Addr {
    /// Builds an address; `None` if `value` does not fit the family.
    pub fn new(family: Family, value: u128) -> Option<Addr> {
        (value <= family.max_value()).then_some(Addr { family, value })
    }

    /// The address family.
    pub const fn family(self) -> Family {
        self.family
    }

    /// The numeric value (IPv4 in the low 32 bits).
    pub const fn value(self) -> u128 {
        self.value
    }

    /// Parses any textual form `std::net` accepts: dotted IPv4, and expanded, zero-stripped or `::`-compressed IPv6.
    pub fn parse(text: &str) -> Option<Addr> {
        text.trim().parse::<IpAddr>().ok().map(Addr::from)
    }

    /// The `std::net` form.
    pub fn to_ip(self) -> IpAddr {
        match self.family {
            // The constructor guarantees a V4 value fits 32 bits.
            Family::V4 => IpAddr::V4(Ipv4Addr::from(self.value as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(self.value)),
        }
    }

    /// Rendering for the given era: IPv6 compressed (current) or expanded (2018); IPv4 always dotted.
    pub fn render(self, era: Era) -> String {
        match era {
            Era::Current => self.compressed(),
            Era::Y2018 => self.expanded(),
        }
    }

    /// RFC 5952 text (`2601:646:100:69f1::165`), what the current director's `IPAddr#to_s` prints.
    pub fn compressed(self) -> String {
        self.to_ip().to_string()
    }

    /// Eight groups of four hex digits (`2601:0646:0100:69f1:0000:0000:0000:0165`), the NetAddr-era form and the
    /// form the agent's `fmtIP` validates against (bosh-networking.md §1.5). IPv4 stays dotted.
    pub fn expanded(self) -> String {
        match self.family {
            Family::V4 => self.compressed(),
            Family::V6 => {
                let mut out = String::with_capacity(39);
                for group in 0..8 {
                    if group > 0 {
                        out.push(':');
                    }
                    let shift = 112 - 16 * group;
                    out.push_str(&format!("{:04x}", (self.value >> shift) & 0xffff));
                }
                out
            }
        }
    }

    /// The subnet mask of `prefix` bits in this family: dotted IPv4, expanded IPv6 (both eras expand the netmask,
    /// `IPAddr#netmask` / NetAddr `wildcard_mask`, §2.1).
    pub fn netmask(family: Family, prefix: u8) -> Addr {
        let bits = family.bits();
        let host_bits = bits.saturating_sub(prefix);
        let value = family.max_value() & !low_mask(host_bits);
        Addr { family, value }
    }

    /// The address `delta` above this one, if it stays inside the family.
    pub fn checked_add(self, delta: u128) -> Option<Addr> {
        self.value.checked_add(delta).and_then(|v| Addr::new(self.family, v))
    }
}

/// A mask of the lowest `bits` bits (`bits` may be 128).
pub(crate) const fn low_mask(bits: u8) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

impl From<IpAddr> for Addr {
    fn from(ip: IpAddr) -> Addr {
        match ip {
            IpAddr::V4(v4) => Addr {
                family: Family::V4,
                value: u128::from(u32::from(v4)),
            },
            IpAddr::V6(v6) => Addr {
                family: Family::V6,
                value: u128::from(v6),
            },
        }
    }
}

impl fmt::Display for Addr {
    /// Compressed (current director) form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_ip(), f)
    }
}

/// Whether an IPv6 literal is written in the fully expanded form the 2018 docs demand ("All IPv6 address *must* be
/// specified in expanded format, leading zeroes, no double-colons", bosh-networking.md §4.7).
pub fn is_fully_expanded_v6(text: &str) -> bool {
    let groups: Vec<&str> = text.trim().split(':').collect();
    groups.len() == 8
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_ipv6_spellings_are_one_value() {
        let a = Addr::parse("2601:0646:0100:69f1:0000:0000:0000:0165");
        let b = Addr::parse("2601:646:100:69f1:0:0:0:165");
        let c = Addr::parse("2601:646:100:69f1::165");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn renders_both_eras() {
        let a = Addr::parse("2601:646:100:69f1::165").map(|a| (a.render(Era::Y2018), a.render(Era::Current)));
        assert_eq!(
            a,
            Some((
                "2601:0646:0100:69f1:0000:0000:0000:0165".to_string(),
                "2601:646:100:69f1::165".to_string()
            ))
        );
        let v4 = Addr::parse("10.0.9.165").map(|a| a.render(Era::Y2018));
        assert_eq!(v4.as_deref(), Some("10.0.9.165"));
    }

    #[test]
    fn netmasks() {
        assert_eq!(Addr::netmask(Family::V4, 24).to_string(), "255.255.255.0");
        assert_eq!(Addr::netmask(Family::V4, 0).to_string(), "0.0.0.0");
        assert_eq!(
            Addr::netmask(Family::V6, 64).expanded(),
            "ffff:ffff:ffff:ffff:0000:0000:0000:0000"
        );
        assert_eq!(
            Addr::netmask(Family::V6, 128).expanded(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
    }

    #[test]
    fn rejects_garbage_and_orders_by_family() {
        assert_eq!(Addr::parse("10.0.0.256"), None);
        assert_eq!(Addr::parse("2601::69f1::1"), None);
        assert_eq!(Addr::parse("not-an-ip"), None);
        let v4 = Addr::parse("255.255.255.255");
        let v6 = Addr::parse("::");
        assert!(v4 < v6);
        assert_eq!(Addr::new(Family::V4, 1 << 32), None);
    }

    #[test]
    fn expanded_form_detection() {
        assert!(is_fully_expanded_v6("2601:0646:0100:69f1:0000:0000:0000:0165"));
        assert!(!is_fully_expanded_v6("2601:646:100:69f1:0000:0000:0000:0165"));
        assert!(!is_fully_expanded_v6("2601:0646:0100:69f1::0165"));
    }
}
