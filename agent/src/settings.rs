//! The director's network settings as the agent receives them (bosh-networking.md §2): a JSON map
//! network-name → `{type, ip, netmask, prefix?, gateway, dns, default, cloud_properties, mac?, …}`.
//!
//! Both forms are accepted: the 2018 (NetAddr) form with fully expanded IPv6 and no `prefix`, and the
//! current form with compressed IPv6 and `prefix` (§2.1). Every address is parsed into `std::net` types
//! while deserializing, so a bad value is reported with its JSON path, line and column; the original
//! text is kept for the renderers, which reproduce the agent's verbatim copying (§1.5).

use crate::addr::{max_len, netmask_len, Prefix};
use crate::error::{family_name, AgentError};
use indexmap::IndexMap;
use serde::de::Visitor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;

/// An IP address with the exact text the director sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpText {
    /// Parsed value: the only thing ever compared.
    pub addr: IpAddr,
    /// Text as given (expanded or compressed), for the renderers.
    pub text: String,
}

impl IpText {
    /// From a parsed address, written in its canonical (compressed) form.
    pub fn canonical(addr: IpAddr) -> IpText {
        IpText {
            addr,
            text: addr.to_string(),
        }
    }
}

impl ParseText for IpText {
    fn parse_text(text: &str) -> Result<Self, String> {
        let addr = text
            .parse::<IpAddr>()
            .map_err(|_| format!("'{text}' is not an IP address"))?;
        Ok(IpText {
            addr,
            text: text.to_owned(),
        })
    }
}

impl<'de> Deserialize<'de> for IpText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(PhantomData))
    }
}

impl Serialize for IpText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A netmask with its prefix length; non-contiguous masks are rejected like the agent's
/// `NetmaskToCIDR` ("netmask cannot be converted to CIDR", bosh-networking.md §1.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Netmask {
    /// The mask as an address (`255.255.255.0`, `ffff:ffff:…`).
    pub mask: IpText,
    /// Number of leading one bits.
    pub len: u8,
}

impl Serialize for Netmask {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.mask.serialize(s)
    }
}

impl ParseText for Netmask {
    fn parse_text(text: &str) -> Result<Self, String> {
        let mask = IpText::parse_text(text)?;
        let len = netmask_len(mask.addr).ok_or_else(|| format!("netmask '{text}' cannot be converted to CIDR"))?;
        Ok(Netmask { mask, len })
    }
}

impl<'de> Deserialize<'de> for Netmask {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(PhantomData))
    }
}

impl ParseText for String {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

/// A value written as a JSON string.
trait ParseText: Sized {
    fn parse_text(text: &str) -> Result<Self, String>;
}

/// Parses inside `visit_str`, so serde_json positions an error at the string itself (an error
/// raised after the value was read is positioned at the end of the enclosing object).
struct TextVisitor<T>(PhantomData<T>);

impl<'de, T: ParseText> Visitor<'de> for TextVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        T::parse_text(v).map_err(E::custom)
    }
}

/// Like [`TextVisitor`], with `null` and `""` meaning absent.
struct OptTextVisitor<T>(PhantomData<T>);

impl<'de, T: ParseText> Visitor<'de> for OptTextVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_str(self)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<T>, E> {
        if v.is_empty() {
            return Ok(None);
        }
        T::parse_text(v).map(Some).map_err(E::custom)
    }
}

/// Empty string or null means "absent": the agent treats `ip: ""` as no address (`IsDHCP`, §1.3).
fn opt_nonempty<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: ParseText,
{
    d.deserialize_option(OptTextVisitor(PhantomData))
}

/// `prefix` is a string of digits ("128"); the director always sends it as a string (§2.1).
fn opt_prefix<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => s
            .parse::<u8>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("prefix '{s}' is not a number"))),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("prefix {n} is out of range"))),
        Some(other) => Err(serde::de::Error::custom(format!("prefix {other} is not a string"))),
    }
}

/// `null` lists are empty lists (Go's `nil` slices marshal as `null`).
fn null_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A CPI-provided static route (`routes`, Go field names matched case-insensitively, §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct StaticRoute {
    /// Destination network address.
    #[serde(alias = "Destination")]
    pub destination: IpText,
    /// Next hop.
    #[serde(alias = "Gateway")]
    pub gateway: IpText,
    /// Destination netmask.
    #[serde(alias = "Netmask")]
    pub netmask: Netmask,
}

impl StaticRoute {
    /// The destination as a prefix.
    pub fn prefix(&self) -> Prefix {
        Prefix::network_of(self.destination.addr, self.netmask.len)
    }
}

/// One network of the settings (`settings.Network` in bosh-agent, §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Network {
    /// Map key; filled in after parsing.
    #[serde(skip_deserializing)]
    pub name: String,
    /// `manual`, `dynamic`, `vip`, … (anything else is static-capable, §2.2).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The address.
    #[serde(default, deserialize_with = "opt_nonempty", skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpText>,
    /// The subnet mask.
    #[serde(default, deserialize_with = "opt_nonempty", skip_serializing_if = "Option::is_none")]
    pub netmask: Option<Netmask>,
    /// Reservation prefix length (current form only; absent in 2018).
    #[serde(default, deserialize_with = "opt_prefix", skip_serializing_if = "Option::is_none")]
    pub prefix: Option<u8>,
    /// The subnet gateway.
    #[serde(default, deserialize_with = "opt_nonempty", skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpText>,
    /// DNS servers.
    #[serde(default, deserialize_with = "null_list")]
    pub dns: Vec<IpText>,
    /// Which defaults this network provides: `dns`, `gateway`, `addressable` (and `ipv6_gateway`, the
    /// property the seed proposes; honoured by the `hardened` profile only).
    #[serde(default, deserialize_with = "null_list")]
    pub default: Vec<String>,
    /// The NIC's MAC as the CPI wrote it (compared as a string by the agent, §1.3).
    #[serde(default, deserialize_with = "opt_nonempty", skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// CPI asks for DHCP.
    #[serde(default)]
    pub use_dhcp: bool,
    /// Already configured by the IaaS.
    #[serde(default)]
    pub preconfigured: bool,
    /// Agent-internal: was resolved via DHCP.
    #[serde(default)]
    pub resolved: bool,
    /// CPI static routes.
    #[serde(default, deserialize_with = "null_list")]
    pub routes: Vec<StaticRoute>,
}

impl Network {
    /// VIP networks are removed before interface configuration (§1.3).
    pub fn is_vip(&self) -> bool {
        self.kind == "vip"
    }

    /// The agent's `IsDHCP()`: not VIP and (dynamic or use_dhcp or resolved or missing ip/netmask) (§1.3).
    pub fn is_dhcp(&self) -> bool {
        !self.is_vip()
            && (self.kind == "dynamic" || self.use_dhcp || self.resolved || self.ip.is_none() || self.netmask.is_none())
    }

    /// Whether `default` lists `what` (exact membership, `IsDefaultFor`, §1.6).
    pub fn is_default_for(&self, what: &str) -> bool {
        self.default.iter().any(|d| d == what)
    }

    /// Whether the network's address is IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.ip.as_ref().is_some_and(|ip| ip.addr.is_ipv6())
    }

    /// The subnet (ip masked by netmask), for static networks.
    pub fn subnet(&self) -> Option<Prefix> {
        let ip = self.ip.as_ref()?;
        let mask = self.netmask.as_ref()?;
        Some(Prefix::network_of(ip.addr, mask.len))
    }
}

/// The parsed settings: networks in name order (deterministic, unlike the agent's map iteration).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct Settings {
    /// All networks, sorted by name.
    pub networks: Vec<Network>,
    /// Network names in the order the JSON listed them (the instance group's order, which a CPI
    /// follows when it creates one NIC per network).
    pub document_order: Vec<String>,
}

/// serde_json's error without its " at line L column C" suffix (the position is kept in fields).
fn json_error(field: String, e: &serde_json::Error) -> AgentError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    AgentError::Json {
        field,
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Deserializes `text` as `T`; errors carry the JSON path, line and column.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, AgentError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        json_error(field, &e.into_inner())
    })?;
    de.end().map_err(|e| json_error(".".into(), &e))?;
    Ok(value)
}

impl Settings {
    /// Parses and validates settings JSON. Syntax and value errors carry path, line and column.
    pub fn from_json(text: &str) -> Result<Settings, AgentError> {
        let map: IndexMap<String, Network> = parse_json(text)?;
        Settings::from_networks(map)
    }

    /// Builds and validates settings from networks in document order (kept in
    /// [`Settings::document_order`]; `networks` is sorted by name).
    pub fn from_networks(map: IndexMap<String, Network>) -> Result<Settings, AgentError> {
        let document_order: Vec<String> = map.keys().cloned().collect();
        let mut networks: Vec<Network> = map
            .into_iter()
            .map(|(name, mut n)| {
                n.name = name;
                n
            })
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        let settings = Settings {
            networks,
            document_order,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// The network called `name`.
    pub fn network(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }

    /// Per-network consistency: families agree, the gateway lies in the subnet, `prefix` fits.
    pub fn validate(&self) -> Result<(), AgentError> {
        for n in &self.networks {
            validate_network(n)?;
        }
        Ok(())
    }
}

fn validate_network(n: &Network) -> Result<(), AgentError> {
    let Some(ip) = &n.ip else { return Ok(()) };
    let v6 = ip.addr.is_ipv6();
    let same_family = |field: String, value: IpAddr| -> Result<(), AgentError> {
        if value.is_ipv6() == v6 {
            Ok(())
        } else {
            Err(AgentError::FamilyMismatch {
                field,
                value,
                expected: family_name(v6),
                got: family_name(value.is_ipv6()),
            })
        }
    };
    if let Some(mask) = &n.netmask {
        same_family(format!("{}.netmask", n.name), mask.mask.addr)?;
    }
    if let Some(p) = n.prefix {
        if p > max_len(ip.addr) {
            return Err(AgentError::PrefixTooLong {
                field: format!("{}.prefix", n.name),
                prefix: p,
                max: max_len(ip.addr),
            });
        }
    }
    // Whether the gateway lies in the subnet matters only if it is used for a route: checked by
    // the layout for the networks that install one (the agent's own tests give non-default networks
    // an off-subnet gateway, bosh-networking.md §1.4).
    if let Some(gw) = &n.gateway {
        same_family(format!("{}.gateway", n.name), gw.addr)?;
    }
    for (i, r) in n.routes.iter().enumerate() {
        same_family(format!("{}.routes[{i}].gateway", n.name), r.gateway.addr)?;
        same_family(format!("{}.routes[{i}].destination", n.name), r.destination.addr)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_NETS_2018: &str = r#"{
  "default": {"type": "manual", "ip": "10.0.9.165", "netmask": "255.255.255.0",
              "gateway": "10.0.9.1", "dns": ["10.0.9.1"], "cloud_properties": {"name": "VM Network"}},
  "ipv6": {"type": "manual", "ip": "2601:0646:0100:69f1:0000:0000:0000:0165",
           "netmask": "ffff:ffff:ffff:ffff:0000:0000:0000:0000",
           "gateway": "2601:0646:0100:69f1:020d:b9ff:fe48:9249",
           "dns": ["2001:4860:4860:0000:0000:0000:0000:8888"], "default": ["dns", "gateway"]}
}"#;

    #[test]
    fn parses_2018_form_keeping_text() {
        let s = Settings::from_json(TWO_NETS_2018).unwrap();
        assert_eq!(s.networks.len(), 2);
        let v6 = s.network("ipv6").unwrap();
        assert_eq!(
            v6.ip.as_ref().unwrap().addr,
            "2601:646:100:69f1::165".parse::<IpAddr>().unwrap()
        );
        assert_eq!(v6.ip.as_ref().unwrap().text, "2601:0646:0100:69f1:0000:0000:0000:0165");
        assert_eq!(v6.netmask.as_ref().unwrap().len, 64);
        assert!(v6.is_default_for("gateway"));
        assert!(!v6.is_dhcp());
        assert_eq!(v6.prefix, None);
    }

    #[test]
    fn bad_ip_reports_path_line_and_column() {
        let text =
            "{\n  \"a\": {\"ip\": \"10.0.0.1\", \"netmask\": \"255.255.255.0\",\n  \"gateway\": \"10.0.0.300\"}\n}";
        match Settings::from_json(text) {
            Err(AgentError::Json { field, line, .. }) => {
                assert_eq!(field, "a.gateway");
                assert_eq!(line, 3);
            }
            other => panic!("expected a JSON error, got {other:?}"),
        }
    }

    #[test]
    fn noncontiguous_netmask_is_rejected() {
        let text = r#"{"a": {"ip": "10.0.0.1", "netmask": "255.0.255.0"}}"#;
        let err = Settings::from_json(text).unwrap_err();
        assert_eq!(err.field(), "a.netmask");
        assert!(err.to_string().contains("cannot be converted to CIDR"), "{err}");
    }

    #[test]
    fn family_mismatch_names_the_field() {
        let fam = r#"{"a": {"ip": "10.0.0.2", "netmask": "255.255.255.0", "gateway": "2001:db8::1"}}"#;
        assert!(matches!(
            Settings::from_json(fam),
            Err(AgentError::FamilyMismatch { ref field, .. }) if field == "a.gateway"
        ));
    }

    #[test]
    fn empty_ip_means_dhcp_and_prefix_is_a_string() {
        let text = r#"{"d": {"type": "dynamic", "ip": "", "prefix": "32", "dns": null}}"#;
        let s = Settings::from_json(text).unwrap();
        let d = s.network("d").unwrap();
        assert!(d.is_dhcp());
        assert_eq!(d.prefix, Some(32));
        assert!(Settings::from_json(r#"{"d": {"ip": "10.0.0.1", "prefix": "x"}}"#).is_err());
        assert!(Settings::from_json(r#"{"d": {"ip": "10.0.0.1", "prefix": "33"}}"#).is_err());
        assert!(Settings::from_json(r#"{"d": {}} trailing"#).is_err());
    }
}
