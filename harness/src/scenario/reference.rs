//! Names of nodes and references to addresses, as written in timelines and expectations.
//!
//! Grammar (documented in docs/scenarios.md, "Names and references"):
//!
//! ```text
//! NAME      := [A-Za-z][A-Za-z0-9_.-]*            a router, host, attacker, segment or the director
//! NODE      := NAME | NAME "/" INDEX                 INDEX: decimal; `nginx/0` is a BOSH VM (instance group/index)
//! ADDR-REF  := IP-LITERAL | NODE [":" IFACE [":" SELECT]]
//! SELECT    := "v4" | "v6" | "ll" | "slaac"
//! ```
//!
//! An IP literal wins: anything that parses as an IPv4 or IPv6 address is one. Otherwise the reference names a node,
//! optionally one of its interfaces (BOSH VMs have `eth0`, `eth1`, … in the order of the instance group's
//! `networks`), and optionally which of the interface's addresses. References are resolved when the scenario runs
//! (SLAAC addresses exist only then); the validator checks that the node and interface exist.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// True if `s` is a plain name: a letter, then letters, digits, `_`, `.` or `-`.
pub fn is_plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A node by name: a topology node (`ws1`, `rtr`) or a BOSH VM as `group/index` (`nginx/0`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeName {
    /// The plain name, or the instance group's name.
    pub name: String,
    /// The instance index for a BOSH VM.
    pub index: Option<u32>,
}

impl NodeName {
    /// A plain (non-BOSH) node name.
    pub fn plain(name: &str) -> NodeName {
        NodeName {
            name: name.to_owned(),
            index: None,
        }
    }

    /// True for a BOSH VM reference (`group/index`).
    pub fn is_bosh_vm(&self) -> bool {
        self.index.is_some()
    }
}

impl FromStr for NodeName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("malformed node name `{s}`: expected `name` or `group/index` (e.g. `ws1`, `nginx/0`)");
        match s.split_once('/') {
            None if is_plain_name(s) => Ok(NodeName::plain(s)),
            Some((group, index))
                if is_plain_name(group) && !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(NodeName {
                    name: group.to_owned(),
                    index: Some(index.parse().map_err(|_| bad())?),
                })
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}/{i}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Which address of an interface a reference means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddrSelect {
    /// The interface's first configured (static or BOSH-assigned) IPv4 address.
    V4,
    /// The interface's first configured global IPv6 address.
    V6,
    /// The interface's link-local address (fe80::/64 + modified EUI-64 of its MAC, RFC 4291 §2.5.6).
    LinkLocal,
    /// The address SLAAC forms from the prefix advertised on the interface's segment and the MAC (RFC 4862 §5.5.3).
    Slaac,
}

impl AddrSelect {
    const ALL: [(&'static str, AddrSelect); 4] = [
        ("v4", AddrSelect::V4),
        ("v6", AddrSelect::V6),
        ("ll", AddrSelect::LinkLocal),
        ("slaac", AddrSelect::Slaac),
    ];

    fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, v)| *v == self).map_or("v6", |(s, _)| s)
    }
}

/// An address as written in a scenario: a literal, or a node/interface reference resolved at run time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddrRef {
    /// A literal address.
    Literal(IpAddr),
    /// A node, optionally an interface of it and which of its addresses.
    Node {
        /// The node.
        node: NodeName,
        /// The interface (`eth1`); `None` means the node's first configured address.
        iface: Option<String>,
        /// Which address of the interface; `None` means its first configured address.
        select: Option<AddrSelect>,
    },
}

impl AddrRef {
    /// The node this reference names, if it is not a literal.
    pub fn node(&self) -> Option<&NodeName> {
        match self {
            AddrRef::Literal(_) => None,
            AddrRef::Node { node, .. } => Some(node),
        }
    }
}

impl FromStr for AddrRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(AddrRef::Literal(ip));
        }
        let bad = |why: &str| format!("malformed address reference `{s}`: {why}");
        let mut parts = s.split(':');
        let node_text = parts.next().unwrap_or_default();
        let node: NodeName = node_text
            .parse()
            .map_err(|_| bad("expected an IP address or NODE[:IFACE[:v4|v6|ll|slaac]] (e.g. `nginx/0:eth1`)"))?;
        let iface = match parts.next() {
            None => None,
            Some(i) if is_plain_name(i) => Some(i.to_owned()),
            Some(_) => return Err(bad("the interface must be a name like `eth0`")),
        };
        let select = match parts.next() {
            None => None,
            Some(sel) => Some(
                AddrSelect::ALL
                    .iter()
                    .find(|(name, _)| *name == sel)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| bad("the address selector must be one of v4, v6, ll, slaac"))?,
            ),
        };
        if parts.next().is_some() {
            return Err(bad("too many `:`-separated parts (not an IP literal either)"));
        }
        Ok(AddrRef::Node { node, iface, select })
    }
}

impl fmt::Display for AddrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrRef::Literal(ip) => ip.fmt(f),
            AddrRef::Node { node, iface, select } => {
                node.fmt(f)?;
                if let Some(i) = iface {
                    write!(f, ":{i}")?;
                }
                if let Some(s) = select {
                    write!(f, ":{}", s.as_str())?;
                }
                Ok(())
            }
        }
    }
}

macro_rules! string_ref {
    ($ty:ident, $name:literal, $description:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = super::values::ScalarText::deserialize(deserializer)?;
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
                json_schema!({"type": "string", "description": $description})
            }
        }
    };
}

string_ref!(
    NodeName,
    "NodeName",
    "A node: `name`, or `group/index` for a BOSH VM (`nginx/0`)."
);
string_ref!(
    AddrRef,
    "AddrRef",
    "An IP literal, or NODE[:IFACE[:v4|v6|ll|slaac]] resolved at run time (`nginx/0:eth1`, `rtr:eth1:ll`)."
);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<AddrRef, String> {
        s.parse()
    }

    #[test]
    fn literals_win_even_when_they_look_like_names() {
        assert_eq!(
            parse("fe80::1"),
            Ok(AddrRef::Literal("fe80::1".parse().unwrap_or(IpAddr::from([0u8; 4]))))
        );
        let expanded = "2601:0646:0100:69f1:0000:0000:0000:0165";
        assert!(matches!(parse(expanded), Ok(AddrRef::Literal(IpAddr::V6(_)))));
    }

    #[test]
    fn node_references() {
        let r = parse("nginx/0:eth1");
        assert_eq!(
            r,
            Ok(AddrRef::Node {
                node: NodeName {
                    name: "nginx".into(),
                    index: Some(0)
                },
                iface: Some("eth1".into()),
                select: None
            })
        );
        let r = parse("rtr:eth1:ll");
        assert!(matches!(
            r,
            Ok(AddrRef::Node {
                select: Some(AddrSelect::LinkLocal),
                ..
            })
        ));
        assert_eq!(parse("ws1").map(|r| r.to_string()), Ok("ws1".to_owned()));
        for text in ["nginx/0:eth0:slaac", "director", "rtr:eth0:v4"] {
            assert_eq!(parse(text).map(|r| r.to_string()), Ok(text.to_owned()));
        }
    }

    #[test]
    fn malformed_references() {
        for bad in [
            "",
            "0ws",
            "nginx/",
            "nginx/x",
            "a:b:c:d",
            "ws1:eth0:global",
            "ws 1",
            "ws1:",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn node_names() {
        assert_eq!("nginx/12".parse::<NodeName>().map(|n| n.index), Ok(Some(12)));
        assert!("nginx/0/1".parse::<NodeName>().is_err());
        assert!("ws1".parse::<NodeName>().is_ok_and(|n| !n.is_bosh_vm()));
    }
}
