//! `--lint`: values the 2018-era director or agent would mishandle, as findings with stable codes.
//!
//! The linter reads the documents as written (before validation), so it reports even inputs the current director
//! accepts or that fail validation later. Every code is documented in `ipam/FINDINGS.md`; the harness's findings
//! catalogue collects them, so codes never change meaning.

use crate::addr::{is_fully_expanded_v6, Addr, Family};
use crate::error::At;
use crate::range_form::RangeForm;
use crate::source::{at_of, CloudConfig, Manifest, Text};
use std::sync::Arc;

/// IPv6 written with `::` or without leading zeros (seed "Don't abbreviate"; bosh-networking.md §4.7).
pub const ABBREVIATED_IPV6: &str = "IPAM-ABBREVIATED-IPV6";
/// `reserved` entry over 1,024 addresses: the 2018 director expands it per address and hangs (seed Gotchas; §4.5).
pub const LARGE_RESERVED_RANGE: &str = "IPAM-LARGE-RESERVED-RANGE";
/// `static` / `static_ips` entry over 1,024 addresses: expanded per address even at HEAD (§4.5).
pub const LARGE_STATIC_RANGE: &str = "IPAM-LARGE-STATIC-RANGE";
/// Gateway outside the subnet range (cunnie 133dd70, §5.1): rejected by the director, passed verbatim by create-env.
pub const GATEWAY_OUTSIDE_RANGE: &str = "IPAM-GATEWAY-OUTSIDE-RANGE";
/// Gateway equal to the range's first address (cunnie d8d675f, §5.1): "can't be the network id".
pub const GATEWAY_IS_NETWORK_ID: &str = "IPAM-GATEWAY-IS-NETWORK-ID";
/// IPv6 value below 2^32: NetAddr-era integers `< 2**32` were taken for IPv4 (§4.7).
pub const AMBIGUOUS_LOW_IPV6: &str = "IPAM-AMBIGUOUS-LOW-IPV6";
/// Director IP of the other family than a manual subnet: before PR #2631 (v282.0.10) it was restricted there anyway,
/// causing redeploys every time and "No more IPs available" (§4.3, §4.8).
pub const DIRECTOR_IP_FAMILY_MISMATCH: &str = "IPAM-DIRECTOR-IP-FAMILY-MISMATCH";

/// Entries larger than this many addresses are "large" (seed Gotchas: "> 1k IP addresses").
pub const LARGE_RANGE_LIMIT: u128 = 1024;

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Where the offending value is.
    pub at: At,
    /// Stable code, one of the constants of this module.
    pub code: &'static str,
    /// What is wrong, with the value.
    pub message: String,
}

/// Lints the cloud config and the manifest; findings are sorted by file, position and code.
pub fn lint(cc: &CloudConfig, manifest: Option<&Manifest>, director_ips: &[Addr]) -> Vec<Finding> {
    let mut out = Vec::new();
    for network in &cc.doc.networks {
        for spanned in &network.subnets {
            let subnet = &spanned.value;
            let range = subnet.range.as_ref().and_then(|r| RangeForm::parse(&r.value).ok());
            for text in subnet
                .range
                .iter()
                .chain(&subnet.gateway)
                .chain(subnet.dns.iter().flatten())
            {
                check_literals(&cc.file, text, &mut out);
            }
            for text in &subnet.reserved {
                check_literals(&cc.file, text, &mut out);
                check_size(&cc.file, text, LARGE_RESERVED_RANGE, "reserved", &mut out);
            }
            for text in &subnet.static_ips {
                check_literals(&cc.file, text, &mut out);
                check_size(&cc.file, text, LARGE_STATIC_RANGE, "static", &mut out);
            }
            if let (Some(range), Some(gw_text)) = (range, &subnet.gateway) {
                check_gateway(&cc.file, range, gw_text, &mut out);
            }
            if let (Some(range), Some(range_text)) = (range, &subnet.range) {
                for ip in director_ips.iter().filter(|ip| ip.family() != range.family()) {
                    out.push(Finding {
                        at: at_of(&cc.file, range_text),
                        code: DIRECTOR_IP_FAMILY_MISMATCH,
                        message: format!(
                            "director IP {ip} is {} but subnet {} is {}; directors before v282.0.10 restrict it here anyway",
                            ip.family(),
                            range_text.value,
                            range.family()
                        ),
                    });
                }
            }
        }
    }
    if let Some(m) = manifest {
        for group in &m.doc.instance_groups {
            for net in &group.networks {
                for text in net.static_ips.iter().flat_map(|l| &l.value) {
                    check_literals(&m.file, text, &mut out);
                    check_size(&m.file, text, LARGE_STATIC_RANGE, "static_ips", &mut out);
                }
            }
        }
    }
    out.sort();
    out
}

/// Each IPv6 literal of a value (both ends of `A - B`, the address of a CIDR).
fn check_literals(file: &Arc<str>, text: &Text, out: &mut Vec<Finding>) {
    for piece in text.value.split('-') {
        let literal = piece.trim().split('/').next().unwrap_or("").trim();
        let Some(addr) = Addr::parse(literal).filter(|a| a.family() == Family::V6) else {
            continue;
        };
        if !is_fully_expanded_v6(literal) {
            out.push(Finding {
                at: at_of(file, text),
                code: ABBREVIATED_IPV6,
                message: format!(
                    "IPv6 '{literal}' is abbreviated; the 2018 director needs '{}'",
                    addr.expanded()
                ),
            });
        }
        if addr.value() <= u128::from(u32::MAX) {
            out.push(Finding {
                at: at_of(file, text),
                code: AMBIGUOUS_LOW_IPV6,
                message: format!("IPv6 '{literal}' is below 2^32; the NetAddr-era director reads it as IPv4"),
            });
        }
    }
}

fn check_size(file: &Arc<str>, text: &Text, code: &'static str, key: &str, out: &mut Vec<Finding>) {
    let Ok(form) = RangeForm::parse(&text.value) else {
        return;
    };
    let size = form.size();
    if size > LARGE_RANGE_LIMIT {
        out.push(Finding {
            at: at_of(file, text),
            code,
            message: format!(
                "{key} entry '{}' covers {} addresses (> {LARGE_RANGE_LIMIT}); the 2018 director expands it address by address",
                text.value,
                if size == u128::MAX { "2^128".to_string() } else { size.to_string() }
            ),
        });
    }
}

fn check_gateway(file: &Arc<str>, range: RangeForm, gw_text: &Text, out: &mut Vec<Finding>) {
    let Some(gw) = RangeForm::parse(&gw_text.value).ok().and_then(RangeForm::single) else {
        return;
    };
    let (lo, hi) = range.bounds();
    if gw.family() != range.family() || !(lo..=hi).contains(&gw.value()) {
        out.push(Finding {
            at: at_of(file, gw_text),
            code: GATEWAY_OUTSIDE_RANGE,
            message: format!("gateway {gw} is outside the subnet range"),
        });
    } else if gw.value() == lo {
        out.push(Finding {
            at: at_of(file, gw_text),
            code: GATEWAY_IS_NETWORK_ID,
            message: format!("gateway {gw} is the subnet's network id"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_cloud_config;

    #[test]
    fn cunnie_2020_and_2024_gateways() {
        let cc = parse_cloud_config(
            "cc.yml",
            "networks:\n- name: a\n  subnets:\n  - range: 2601:0646:0100:69f1:0000:0000:0000:0000/64\n    gateway: 2601:646:100:69f5:225:90ff:fef5:182b\n- name: b\n  subnets:\n  - range: 2601:0646:0100:69f2:0000:0000:0000:0000/64\n    gateway: 2601:646:100:69f2:0000:0000:0000:0000\n",
        );
        let Ok(cc) = cc else { panic!("{cc:?}") };
        let codes: Vec<(u64, &str)> = lint(&cc, None, &[]).into_iter().map(|f| (f.at.line, f.code)).collect();
        assert_eq!(
            codes,
            vec![
                (5, ABBREVIATED_IPV6),
                (5, GATEWAY_OUTSIDE_RANGE),
                (9, ABBREVIATED_IPV6),
                (9, GATEWAY_IS_NETWORK_ID)
            ]
        );
    }
}
