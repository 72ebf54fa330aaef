//! Scalar value types written as strings in scenario files: durations, MAC addresses, CIDRs, IP literals, RA
//! lifetimes and sysctl values.
//!
//! Each parses in its `Deserialize` impl, so a malformed value is a YAML error located at the value itself, and
//! each serializes back to a canonical string that parses to the same value (the round-trip tests rely on it).

use ipnet::IpNet;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

/// Implements `Deserialize` (via `FromStr`), `Serialize` (via `Display`) and a string `JsonSchema` for a newtype.
macro_rules! string_value {
    ($ty:ident, $name:literal, $description:literal, $pattern:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = ScalarText::deserialize(deserializer)?;
                text.0.parse().map_err(de::Error::custom)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let pattern: Option<&str> = $pattern;
                match pattern {
                    Some(p) => json_schema!({"type": "string", "description": $description, "pattern": p}),
                    None => json_schema!({"type": "string", "description": $description}),
                }
            }
        }
    };
}

/// A scalar read as text whatever its YAML type, so `era: 2018`, `value: 1` and `value: "1"` all work.
pub(crate) struct ScalarText(pub(crate) String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A span of simulated time written the human way: `250ms`, `90s`, `10m`, `1h30m`.
///
/// Units: `ns`, `us`, `ms`, `s`, `m`, `h`, `d`; components are whole numbers, largest unit first, and may be combined
/// (`1m30s`). `0s` is zero. Displayed in the same compact form (`90s` displays as `1m30s`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub Duration);

const UNITS: [(&str, u128); 7] = [
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("malformed duration `{s}`: expected e.g. `250ms`, `90s`, `10m`, `1h30m`");
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        let mut total: u128 = 0;
        let mut last_rank = usize::MAX;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let count: u128 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let unit = &rest[..unit_len];
            let rank = UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(bad)?;
            // Units must be strictly decreasing so `1s1s` or `30s1m` cannot hide a typo.
            if last_rank != usize::MAX && rank <= last_rank {
                return Err(bad());
            }
            last_rank = rank;
            total = count
                .checked_mul(UNITS[rank].1)
                .and_then(|n| total.checked_add(n))
                .ok_or_else(bad)?;
            rest = &rest[unit_len..];
        }
        let secs = u64::try_from(total / 1_000_000_000).map_err(|_| bad())?;
        Ok(HumanDuration(Duration::new(secs, (total % 1_000_000_000) as u32)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0.as_nanos();
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, nanos) in UNITS {
            if rest >= nanos {
                write!(f, "{}{unit}", rest / nanos)?;
                rest %= nanos;
            }
        }
        Ok(())
    }
}

string_value!(
    HumanDuration,
    "Duration",
    "Simulated time: whole numbers with units d, h, m, s, ms, us, ns, largest first (`250ms`, `90s`, `1h30m`).",
    Some("^([0-9]+(d|h|m|s|ms|us|ns))+$")
);

/// An Ethernet MAC address: six two-digit hex octets separated by colons (`00:50:56:8c:86:a9`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// True for a group (multicast or broadcast) address: the I/G bit of the first octet (IEEE 802-2014 §8.2).
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl FromStr for MacAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("malformed MAC address `{s}`: expected six hex octets like `00:50:56:8c:86:a9`");
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let part = parts.next().ok_or_else(bad)?;
            if part.len() != 2 {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(MacAddr(out))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

string_value!(
    MacAddr,
    "MacAddr",
    "Ethernet MAC address, six colon-separated hex octets (`00:50:56:8c:86:a9`).",
    Some("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
);

/// An address with its prefix length (`10.0.9.1/24`, `2601:646:100:69f1::1/64`); host bits are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr(pub IpNet);

impl Cidr {
    /// The address part.
    pub fn addr(&self) -> IpAddr {
        self.0.addr()
    }

    /// True if `self` (address and prefix) lies within `outer`.
    pub fn is_within(&self, outer: &Cidr) -> bool {
        outer.0.trunc().contains(&self.0.trunc())
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<IpNet>().map(Cidr).map_err(|_| {
            format!("malformed CIDR `{s}`: expected ADDRESS/PREFIX-LENGTH like `10.0.9.1/24` or `2001:db8::1/64`")
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_value!(
    Cidr,
    "Cidr",
    "IPv4 or IPv6 address with prefix length (`10.0.9.1/24`, `2601:646:100:69f1::1/64`).",
    Some("^[0-9A-Fa-f:.]+/[0-9]{1,3}$")
);

/// A literal IPv4 or IPv6 address (any textual form the standard library accepts, including fully expanded IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpLit(pub IpAddr);

impl FromStr for IpLit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<IpAddr>()
            .map(IpLit)
            .map_err(|_| format!("malformed IP address `{s}`"))
    }
}

impl fmt::Display for IpLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_value!(IpLit, "IpAddress", "A literal IPv4 or IPv6 address.", None);

/// An IP address that remembers how it was written (`2601:0646:0100:69f1:0000:0000:0000:0165` stays expanded):
/// the `bosh instances` table is compared as text, because which form the director prints is the point.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpText {
    /// The address as written.
    pub text: String,
    /// The parsed address.
    pub addr: IpAddr,
}

impl FromStr for IpText {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let addr = s.parse::<IpAddr>().map_err(|_| format!("malformed IP address `{s}`"))?;
        Ok(IpText {
            text: s.to_owned(),
            addr,
        })
    }
}

impl fmt::Display for IpText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

string_value!(
    IpText,
    "IpText",
    "An IP address compared as written (expanded or abbreviated IPv6 are different texts).",
    None
);

/// A router-advertisement lifetime: a duration or `infinity` (all ones, RFC 4861 §4.6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lifetime {
    /// A finite lifetime.
    Finite(HumanDuration),
    /// 0xffffffff: never expires.
    Infinity,
}

impl FromStr for Lifetime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "infinity" {
            return Ok(Lifetime::Infinity);
        }
        s.parse()
            .map(Lifetime::Finite)
            .map_err(|e| format!("{e}, or `infinity`"))
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lifetime::Finite(d) => d.fmt(f),
            Lifetime::Infinity => f.write_str("infinity"),
        }
    }
}

string_value!(
    Lifetime,
    "Lifetime",
    "A lifetime: a duration (`30m`) or `infinity`.",
    Some("^(infinity|([0-9]+(d|h|m|s|ms|us|ns))+)$")
);

/// A sysctl value as written (`1`, `0`, `2`, `fe80::1`): kept verbatim, the node applies it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SysctlValue(pub String);

impl FromStr for SysctlValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("empty sysctl value".to_owned());
        }
        Ok(SysctlValue(s.to_owned()))
    }
}

impl fmt::Display for SysctlValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SysctlValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = ScalarText::deserialize(deserializer)?;
        text.0.parse().map_err(de::Error::custom)
    }
}

impl Serialize for SysctlValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Numbers stay numbers in re-serialized YAML so the file reads as it was written.
        match self.0.parse::<i64>() {
            Ok(n) => serializer.serialize_i64(n),
            Err(_) => serializer.serialize_str(&self.0),
        }
    }
}

impl JsonSchema for SysctlValue {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("SysctlValue")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "integer"], "description": "A sysctl value, as `sysctl -w` would take it."})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_display_canonically() {
        let cases = [
            ("250ms", 250_000_000u128),
            ("90s", 90_000_000_000),
            ("10m", 600_000_000_000),
        ];
        for (text, nanos) in cases {
            let d: HumanDuration = text.parse().unwrap_or_default();
            assert_eq!(d.0.as_nanos(), nanos, "{text}");
        }
        assert_eq!("1d".parse::<HumanDuration>().map(|d| d.0.as_secs()), Ok(86_400));
        let d: Result<HumanDuration, _> = "1h30m5s".parse();
        assert_eq!(d.map(|d| d.0.as_secs()), Ok(5405));
        assert_eq!(HumanDuration(Duration::from_secs(90)).to_string(), "1m30s");
        assert_eq!(HumanDuration(Duration::from_millis(1500)).to_string(), "1s500ms");
        assert_eq!(HumanDuration(Duration::ZERO).to_string(), "0s");
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for bad in [
            "",
            "10",
            "s",
            "10 s",
            "1.5s",
            "10sec",
            "30s1m",
            "1s1s",
            "-5s",
            "99999999999999999999h",
        ] {
            assert!(bad.parse::<HumanDuration>().is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn duration_display_round_trips() {
        for nanos in [
            1u64,
            999,
            1_000_000,
            61_000_000_000,
            3_600_000_000_001,
            7_322_000_000_000,
        ] {
            let d = HumanDuration(Duration::from_nanos(nanos));
            assert_eq!(d.to_string().parse::<HumanDuration>(), Ok(d));
        }
    }

    #[test]
    fn mac_addresses() {
        let mac: Result<MacAddr, _> = "00:50:56:8C:86:a9".parse();
        assert_eq!(mac, Ok(MacAddr([0x00, 0x50, 0x56, 0x8c, 0x86, 0xa9])));
        assert_eq!(mac.map(|m| m.to_string()), Ok("00:50:56:8c:86:a9".to_owned()));
        for bad in [
            "00:50:56:8c:86",
            "00:50:56:8c:86:a9:01",
            "0:50:56:8c:86:a9",
            "00-50-56-8c-86-a9",
            "zz:50:56:8c:86:a9",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
        assert!(MacAddr([0x33, 0x33, 0, 0, 0, 1]).is_multicast());
        assert!(!MacAddr([0x00, 0x50, 0x56, 0x8c, 0x86, 0xa9]).is_multicast());
    }

    #[test]
    fn cidrs_keep_host_bits_and_test_containment() {
        let addr: Cidr = "10.0.9.151/24".parse().unwrap_or(Cidr(IpNet::default()));
        assert_eq!(addr.addr().to_string(), "10.0.9.151");
        let net: Cidr = "10.0.9.0/24".parse().unwrap_or(Cidr(IpNet::default()));
        let other: Cidr = "10.0.8.1/24".parse().unwrap_or(Cidr(IpNet::default()));
        let wider: Cidr = "10.0.9.1/16".parse().unwrap_or(Cidr(IpNet::default()));
        assert!(addr.is_within(&net));
        assert!(!other.is_within(&net));
        assert!(!wider.is_within(&net));
        assert!("10.0.9.1".parse::<Cidr>().is_err());
        assert!("10.0.9.1/33".parse::<Cidr>().is_err());
    }

    #[test]
    fn ip_text_keeps_the_written_form() {
        let expanded: Result<IpText, _> = "2601:0646:0100:69f1:0000:0000:0000:0165".parse();
        let short: Result<IpText, _> = "2601:646:100:69f1::165".parse();
        assert!(matches!((&expanded, &short), (Ok(a), Ok(b)) if a.addr == b.addr && a != b));
        assert_eq!(
            expanded.map(|e| e.to_string()),
            Ok("2601:0646:0100:69f1:0000:0000:0000:0165".to_owned())
        );
        assert!("2601::0646::1".parse::<IpText>().is_err());
    }

    #[test]
    fn lifetimes() {
        assert_eq!("infinity".parse::<Lifetime>(), Ok(Lifetime::Infinity));
        assert_eq!(
            "0s".parse::<Lifetime>(),
            Ok(Lifetime::Finite(HumanDuration(Duration::ZERO)))
        );
        assert!("forever".parse::<Lifetime>().is_err());
    }

    #[test]
    fn scalars_of_any_type_become_sysctl_text() -> Result<(), serde_saphyr::Error> {
        let v: Vec<SysctlValue> = serde_saphyr::from_str("[1, '0', fe80::1, true]")?;
        let texts: Vec<&str> = v.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(texts, ["1", "0", "fe80::1", "true"]);
        Ok(())
    }
}
