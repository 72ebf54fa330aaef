//! One validated manual subnet: range, gateway, DNS, the never-allocated set and the static set.
//!
//! Follows `ManualNetworkSubnet.parse` (bosh-networking.md §4.2, §4.3, §4.6), in its order: range, prefix, gateway,
//! DNS, reserved, then static (the reserved check of a static address comes before its range check). The restricted
//! set holds the gateway, the first and last address of the range (IPv4 network id and broadcast; IPv6 subnet-router
//! anycast and all-ones, for both families, §4.3), every reserved entry and every director IP of the same family
//! (the family filter of PR #2631). All sets are intervals, so a reserved /65 costs one entry (§4.5).

use crate::addr::{low_mask, Addr, Family};
use crate::error::{At, ErrorKind, IpamError};
use crate::interval::IntervalSet;
use crate::range_form::{Block, RangeForm};
use crate::source::{at_of, SubnetDoc, Text};
use serde_saphyr::Spanned;
use std::sync::Arc;

/// A manual subnet after validation.
#[derive(Clone, Debug)]
pub struct ManualSubnet {
    /// The subnet CIDR.
    pub range: Block,
    /// Where `range` was written.
    pub range_at: At,
    /// The gateway (required by the director unless `ignore_missing_gateway`).
    pub gateway: Addr,
    /// DNS servers in file order.
    pub dns: Option<Vec<Addr>>,
    /// Availability zones (empty: the subnet is not AZ-bound).
    pub azs: Vec<String>,
    /// `cloud_properties`, `{}` when absent.
    pub cloud_properties: serde_json::Value,
    /// Allocation prefix: `prefix` if set, else the family width (single addresses).
    pub prefix: u8,
    /// The `prefix` value as written, if any (compared across subnets of a network).
    pub declared_prefix: Option<u8>,
    /// Never allocated: gateway, first, last, reserved, director IPs (§4.3).
    pub restricted: IntervalSet,
    /// Addresses (or, with a prefix, the blocks whose bases are) listed in `static`.
    pub statics: IntervalSet,
}

impl ManualSubnet {
    /// The family of the range.
    pub fn family(&self) -> Family {
        self.range.base.family()
    }

    /// Inclusive numeric bounds of the range.
    pub fn bounds(&self) -> (u128, u128) {
        (self.range.base.value(), self.range.last())
    }

    /// Whether `addr` is inside the range.
    pub fn contains(&self, addr: Addr) -> bool {
        let (lo, hi) = self.bounds();
        addr.family() == self.family() && (lo..=hi).contains(&addr.value())
    }

    /// Whether the subnet serves `az` (`None`: the instance has no AZ).
    pub fn serves(&self, az: Option<&str>) -> bool {
        match az {
            None => self.azs.is_empty(),
            Some(az) => self.azs.iter().any(|a| a == az),
        }
    }

    /// Whether `addr` may be given to an instance of this subnet as a static IP (listed in `static`; with a
    /// prefix, only base addresses of the prefix count, §4.6).
    pub fn is_static(&self, addr: Addr) -> bool {
        self.contains(addr)
            && self.statics.contains(addr.value())
            && addr.value() & low_mask(self.family().bits() - self.prefix) == 0
    }

    /// Whether `addr` can be kept by an existing instance: inside the range and outside every restricted block
    /// (`is_reservable?`, §4.4).
    pub fn is_reservable(&self, addr: Addr) -> bool {
        self.contains(addr) && !self.restricted.contains(addr.value())
    }
}

/// Inputs of [`parse_subnet`] that come from outside the subnet.
pub struct SubnetContext<'a> {
    /// File of the cloud config.
    pub file: &'a Arc<str>,
    /// Network name, for error texts.
    pub network: &'a str,
    /// AZ names the cloud config declares.
    pub known_azs: &'a [String],
    /// The director's own addresses.
    pub director_ips: &'a [Addr],
}

/// Validates one subnet of a manual network.
pub fn parse_subnet(ctx: &SubnetContext<'_>, spanned: &Spanned<SubnetDoc>) -> Result<ManualSubnet, IpamError> {
    let doc = &spanned.value;
    let network = ctx.network.to_string();
    let here = |text: &Text| at_of(ctx.file, text);
    let missing = |property: &str| {
        IpamError::new(
            at_of(ctx.file, spanned),
            ErrorKind::MissingProperty {
                property: property.to_string(),
                object: format!("subnet of network '{network}'"),
            },
        )
    };

    let range_text = doc.range.as_ref().ok_or_else(|| missing("range"))?;
    let range = match RangeForm::parse(&range_text.value).map_err(|e| IpamError::new(here(range_text), e.into()))? {
        RangeForm::Single(a) => Block {
            base: a,
            prefix: a.family().bits(),
        },
        RangeForm::Cidr(b) => b,
        RangeForm::Span(..) => {
            let kind = crate::range_form::RangeFormError::InvalidIpOrCidr(range_text.value.clone());
            return Err(IpamError::new(here(range_text), kind.into()));
        }
    };
    let family = range.base.family();
    let bits = family.bits();
    if range.prefix >= bits {
        let kind = ErrorKind::NetworkTooSmall {
            range: range_text.value.clone(),
        };
        return Err(IpamError::new(here(range_text), kind));
    }
    let (lo, hi) = (range.base.value(), range.last());

    let declared_prefix = match &doc.prefix {
        None => None,
        Some(p) => {
            let text = p.value.as_text();
            let at = at_of(ctx.file, p);
            let value: u8 = text.trim().parse().ok().filter(|&v| v <= bits).ok_or_else(|| {
                let kind = ErrorKind::InvalidPrefix {
                    network: network.clone(),
                    prefix: text.clone(),
                };
                IpamError::new(at.clone(), kind)
            })?;
            if value < range.prefix {
                let kind = ErrorKind::PrefixLargerThanRange {
                    prefix: text,
                    range_prefix: range.prefix,
                };
                return Err(IpamError::new(at, kind));
            }
            Some(value)
        }
    };

    let gateway_text = doc.gateway.as_ref().ok_or_else(|| missing("gateway"))?;
    let gateway =
        parse_gateway(gateway_text, family, (lo, hi), &network).map_err(|k| IpamError::new(here(gateway_text), k))?;

    let dns = match &doc.dns {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|d| match RangeForm::parse(&d.value).ok().and_then(RangeForm::single) {
                    Some(a) => Ok(a),
                    None => Err(IpamError::new(
                        here(d),
                        ErrorKind::InvalidDns {
                            network: network.clone(),
                        },
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };

    let mut restricted = IntervalSet::new();
    restricted.insert(gateway.value(), gateway.value());
    restricted.insert(lo, lo);
    restricted.insert(hi, hi);
    for ip in ctx.director_ips.iter().filter(|ip| ip.family() == family) {
        restricted.insert(ip.value(), ip.value());
    }
    for entry in &doc.reserved {
        let form = RangeForm::parse(&entry.value).map_err(|e| IpamError::new(here(entry), e.into()))?;
        let (a, b) = form.bounds();
        let inside = form.family() == family && lo <= a && b <= hi;
        // Only an entry that sticks out needs its CIDR blocks, to name the first block outside (§4.5 HEAD form).
        // The whole block must be inside: HEAD's `include?` checks only a block's base address (§4.5), we do not.
        let outside = if inside {
            None
        } else {
            form.blocks()
                .into_iter()
                .find(|b| b.base.family() != family || b.base.value() < lo || b.last() > hi)
        };
        if let Some(block) = outside {
            let kind = ErrorKind::ReservedOutOfRange {
                ip: block.to_string(),
                network: network.clone(),
            };
            return Err(IpamError::new(here(entry), kind));
        }
        restricted.insert(a, b);
    }

    let prefix = declared_prefix.unwrap_or(bits);
    let block_mask = low_mask(bits - prefix);
    let mut statics = IntervalSet::new();
    for entry in &doc.static_ips {
        let form = RangeForm::parse(&entry.value).map_err(|e| IpamError::new(here(entry), e.into()))?;
        check_static(form, &restricted, (family, lo, hi), &network).map_err(|k| IpamError::new(here(entry), k))?;
        // With a prefix only base addresses count (non-bases are silently dropped, §4.6); the blocks of the bases
        // inside the entry form one contiguous interval.
        let (a, b) = form.bounds();
        let first_base = a.checked_add(block_mask).map(|v| v & !block_mask);
        if let Some(first) = first_base.filter(|&f| f <= b) {
            let last_block_end = (b & !block_mask) | block_mask;
            statics.insert(first, last_block_end);
        }
    }

    let azs = parse_azs(ctx, doc)?;
    Ok(ManualSubnet {
        range,
        range_at: here(range_text),
        gateway,
        dns,
        azs,
        cloud_properties: doc.cloud_properties.clone().unwrap_or_else(|| serde_json::json!({})),
        prefix,
        declared_prefix,
        restricted,
        statics,
    })
}

/// Gateway rules (160003, §4.2): single IP, inside the range, not the network id, not the broadcast (last) address.
fn parse_gateway(text: &Text, family: Family, (lo, hi): (u128, u128), network: &str) -> Result<Addr, ErrorKind> {
    let invalid = |reason| ErrorKind::InvalidGateway {
        network: network.to_string(),
        reason,
    };
    let Some(gateway) = RangeForm::parse(&text.value)?.single() else {
        return Err(invalid("must be a single IP"));
    };
    if gateway.family() != family || !(lo..=hi).contains(&gateway.value()) {
        return Err(invalid("must be inside the range"));
    }
    if gateway.value() == lo {
        return Err(invalid("can't be the network id"));
    }
    if gateway.value() == hi {
        return Err(invalid("can't be the broadcast IP"));
    }
    Ok(gateway)
}

/// Static entry rules (160006, §4.6): the director walks the entry address by address and reports the first one
/// that is restricted ("in … reserved range", checked first) or outside the range. Here both candidates are found
/// with interval lookups and the lower one wins. Addresses are printed with their prefix, as HEAD does.
fn check_static(
    form: RangeForm,
    restricted: &IntervalSet,
    (family, lo, hi): (Family, u128, u128),
    network: &str,
) -> Result<(), ErrorKind> {
    let (a, b) = form.bounds();
    let bits = form.family().bits();
    let first_restricted = if form.family() == family {
        restricted.first_in(a, b)
    } else {
        None
    };
    let first_outside = if form.family() != family || a < lo {
        Some(a)
    } else if b > hi {
        Some(a.max(hi + 1))
    } else {
        None
    };
    let shown = |v: u128| Addr::new(form.family(), v).map_or_else(|| v.to_string(), |addr| format!("{addr}/{bits}"));
    match (first_restricted, first_outside) {
        (Some(r), o) if o.is_none_or(|o| r <= o) => Err(ErrorKind::StaticInReserved {
            ip: shown(r),
            network: network.to_string(),
        }),
        (_, Some(o)) => Err(ErrorKind::StaticOutOfRange {
            ip: shown(o),
            network: network.to_string(),
        }),
        _ => Ok(()),
    }
}

/// `az` / `azs` rules (§4.2).
fn parse_azs(ctx: &SubnetContext<'_>, doc: &SubnetDoc) -> Result<Vec<String>, IpamError> {
    let network = ctx.network.to_string();
    let names: Vec<&Text> = match (&doc.az, &doc.azs) {
        (Some(az), Some(_)) => {
            return Err(IpamError::new(at_of(ctx.file, az), ErrorKind::BothAzAndAzs { network }));
        }
        (Some(az), None) => vec![az],
        (None, Some(list)) if list.value.is_empty() => {
            return Err(IpamError::new(at_of(ctx.file, list), ErrorKind::EmptyAzs { network }));
        }
        (None, Some(list)) => list.value.iter().collect(),
        (None, None) => Vec::new(),
    };
    names
        .into_iter()
        .map(|name| {
            if ctx.known_azs.contains(&name.value) {
                Ok(name.value.clone())
            } else {
                let kind = ErrorKind::UnknownSubnetAz {
                    network: network.clone(),
                    az: name.value.clone(),
                };
                Err(IpamError::new(at_of(ctx.file, name), kind))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_cloud_config;

    fn subnet(body: &str, director: &[&str]) -> Result<ManualSubnet, String> {
        let text = format!("azs: [{{name: z1}}]\nnetworks:\n- name: net_a\n  subnets:\n  - {body}\n");
        let cc = parse_cloud_config("cc.yml", &text).map_err(|e| e.to_string())?;
        let known = vec!["z1".to_string()];
        let director_ips: Vec<Addr> = director.iter().filter_map(|d| Addr::parse(d)).collect();
        let ctx = SubnetContext {
            file: &cc.file,
            network: "net_a",
            known_azs: &known,
            director_ips: &director_ips,
        };
        parse_subnet(&ctx, &cc.doc.networks[0].subnets[0]).map_err(|e| e.kind.to_string())
    }

    #[test]
    fn restricted_holds_gateway_ends_reserved_and_same_family_director_ips() {
        let s = subnet(
            "{range: 10.0.0.0/24, gateway: 10.0.0.1, reserved: [10.0.0.10 - 10.0.0.20]}",
            &["10.0.0.6", "2001:db8::6"],
        );
        let got = s.map(|s| s.restricted.intervals().collect::<Vec<_>>());
        let base = 0x0a00_0000u128;
        assert_eq!(
            got,
            Ok(vec![
                (base, base + 1),
                (base + 6, base + 6),
                (base + 10, base + 20),
                (base + 255, base + 255)
            ])
        );
    }

    #[test]
    fn gateway_reasons() {
        let err = |gw: &str| subnet(&format!("{{range: 10.0.0.0/24, gateway: '{gw}'}}"), &[]).err();
        let text = |r: &str| Some(format!("Invalid gateway for network 'net_a': {r}"));
        assert_eq!(err("10.0.0.0/30"), text("must be a single IP"));
        assert_eq!(err("10.0.1.1"), text("must be inside the range"));
        assert_eq!(err("::1"), text("must be inside the range"));
        assert_eq!(err("10.0.0.0"), text("can't be the network id"));
        assert_eq!(err("10.0.0.255"), text("can't be the broadcast IP"));
        assert_eq!(err("10.0.0.254"), None);
    }

    #[test]
    fn static_checks_report_the_first_offending_address() {
        let err = |body: &str| subnet(body, &[]).err();
        assert_eq!(
            err("{range: 10.0.0.0/24, gateway: 10.0.0.1, reserved: [10.0.0.50], static: [10.0.0.40 - 10.0.1.5]}"),
            Some("Static IP '10.0.0.50/32' is in network 'net_a' reserved range".to_string())
        );
        assert_eq!(
            err("{range: 10.0.0.0/24, gateway: 10.0.0.1, static: [10.0.0.240 - 10.0.1.5]}"),
            Some("Static IP '10.0.0.255/32' is in network 'net_a' reserved range".to_string())
        );
        assert_eq!(
            err("{range: '2001:db8::/120', gateway: '2001:db8::1', static: ['2001:db8::1:5']}"),
            Some("Static IP '2001:db8::1:5/128' is out of network 'net_a' range".to_string())
        );
    }

    #[test]
    fn az_rules() {
        let err = |body: &str| subnet(body, &[]).err();
        assert_eq!(
            err("{range: 10.0.0.0/24, gateway: 10.0.0.1, az: z1, azs: [z1]}"),
            Some("Network 'net_a' contains both 'az' and 'azs'. Choose one.".to_string())
        );
        assert_eq!(
            err("{range: 10.0.0.0/24, gateway: 10.0.0.1, azs: []}"),
            Some("Network 'net_a' refers to an empty 'azs' array".to_string())
        );
        assert_eq!(
            err("{range: 10.0.0.0/24, gateway: 10.0.0.1, az: z9}"),
            Some("Network 'net_a' refers to an unknown availability zone 'z9'".to_string())
        );
    }

    #[test]
    fn missing_and_tiny_ranges() {
        let err = |body: &str| subnet(body, &[]).err();
        assert_eq!(
            err("{gateway: 10.0.0.1}"),
            Some("Required property 'range' was not specified in subnet of network 'net_a'".to_string())
        );
        assert_eq!(
            err("{range: 10.0.0.7/32, gateway: 10.0.0.7}"),
            Some("Invalid network range '10.0.0.7/32', should include at least 2 IPs".to_string())
        );
        assert_eq!(
            err("{range: 10.0.0.0/24, gateway: 10.0.0.1, dns: [8.8.8.0/24]}"),
            Some("Invalid DNS for network 'net_a': must be a single IP".to_string())
        );
    }
}
