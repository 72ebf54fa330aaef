//! Findings: analyzers over the configuration ([`config`]: the BOSH inputs and service listen lines, no simulation
//! needed — also what `dualhome lint` runs, with SARIF output) and over a run ([`state`]: a simulated network's tables, addresses and
//! agent probes). Every code is in [`CATALOG`] and documented in docs/findings.md; codes never change meaning.
//!
//! The IPAM's own lint codes (`IPAM-…`, ipam/FINDINGS.md) are collected as they are; the harness's codes are
//! kebab-case.

pub mod config;
pub mod profile;
pub mod state;

use dualhome_reports::{Finding, FindingLocation, Severity, SourceLocation};

/// A finding code's fixed facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code.
    pub code: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// One-line title.
    pub title: &'static str,
}

const fn code(code: &'static str, severity: Severity, title: &'static str) -> CodeInfo {
    CodeInfo { code, severity, title }
}

/// Every code the harness can report.
pub const CATALOG: &[CodeInfo] = &[
    code(
        dualhome_ipam::lint::ABBREVIATED_IPV6,
        Severity::Error,
        "abbreviated IPv6 in BOSH input (2018 director and agent compare strings)",
    ),
    code(
        dualhome_ipam::lint::LARGE_RESERVED_RANGE,
        Severity::Error,
        "reserved range over 1,024 addresses (2018 director hangs expanding it)",
    ),
    code(
        dualhome_ipam::lint::LARGE_STATIC_RANGE,
        Severity::Warning,
        "static range over 1,024 addresses (expanded per address)",
    ),
    code(
        dualhome_ipam::lint::GATEWAY_OUTSIDE_RANGE,
        Severity::Error,
        "subnet gateway outside its range",
    ),
    code(
        dualhome_ipam::lint::GATEWAY_IS_NETWORK_ID,
        Severity::Error,
        "subnet gateway is the network id",
    ),
    code(
        dualhome_ipam::lint::AMBIGUOUS_LOW_IPV6,
        Severity::Warning,
        "IPv6 value below 2^32 (taken for IPv4 by the 2018 director)",
    ),
    code(
        dualhome_ipam::lint::DIRECTOR_IP_FAMILY_MISMATCH,
        Severity::Warning,
        "director IP of the other family restricted in a subnet (redeploys every time)",
    ),
    code(DEPLOY_FAILED, Severity::Error, "the director refused the deployment"),
    code(
        BOOT_OP_REFUSED,
        Severity::Error,
        "a VM refused one of the agent's boot operations",
    ),
    code(
        AGENT_UNRESPONSIVE,
        Severity::Error,
        "a VM's agent cannot reach the director",
    ),
    code(
        SINGLE_DEFAULT_ROUTE_OFFLINK,
        Severity::Error,
        "off-link peer unreachable: the only default route is of the other family or on another NIC",
    ),
    code(
        SLAAC_ON_IPV4_INTERFACE,
        Severity::Warning,
        "SLAAC address on an interface BOSH gave no IPv6",
    ),
    code(
        RA_MITM_EXPOSURE,
        Severity::Warning,
        "VM interface accepts router advertisements (any host on the segment can become its router)",
    ),
    code(
        RA_FROM_NON_GATEWAY,
        Severity::Error,
        "default route learned from a router that is not the designated gateway",
    ),
    code(
        REDIRECTS_ACCEPTED,
        Severity::Warning,
        "VM interface accepts ICMPv6 redirects",
    ),
    code(
        GATEWAY_OFF_SUBNET,
        Severity::Error,
        "default route whose gateway is not on the interface's subnet",
    ),
    code(
        RA_ACCEPTED_WHILE_FORWARDING,
        Severity::Warning,
        "router advertisements accepted on a forwarding interface (accept_ra = 2)",
    ),
    code(DAD_FAILED, Severity::Error, "duplicate address detection failed"),
    code(
        SERVICE_FAMILY_MISMATCH,
        Severity::Error,
        "service not listening on an address family the VM has",
    ),
    code(
        ASYMMETRIC_TCP_FLOW,
        Severity::Error,
        "TCP flow leaves by another interface than it arrived on",
    ),
    code(
        MIDDLEBOX_RESET,
        Severity::Error,
        "flow reset or stalled by a stateful middlebox",
    ),
];

/// The director's IPAM refused the deployment.
pub const DEPLOY_FAILED: &str = "deploy-failed";
/// A boot op refused by the simulated kernel.
pub const BOOT_OP_REFUSED: &str = "boot-op-refused";
/// The agent's probe of the director got no answer (the deploy would time out).
pub const AGENT_UNRESPONSIVE: &str = "agent-unresponsive";
/// Seed "single default route": off-link peers of the other family are unreachable.
pub const SINGLE_DEFAULT_ROUTE_OFFLINK: &str = "single-default-route-offlink";
/// Seed footnote on SLAAC: the "IPv4" NIC got an IPv6 address from an RA.
pub const SLAAC_ON_IPV4_INTERFACE: &str = "slaac-on-ipv4-interface";
/// RA man-in-the-middle exposure (RFC 6104 §3, RFC 6105).
pub const RA_MITM_EXPOSURE: &str = "ra-mitm-exposure";
/// A default route from an RA whose sender is not the BOSH gateway's node.
pub const RA_FROM_NON_GATEWAY: &str = "ra-from-non-gateway";
/// accept_redirects effective on a VM interface (linux-ipv6.md A20).
pub const REDIRECTS_ACCEPTED: &str = "redirects-accepted";
/// Seed "same subnet as the gateway".
pub const GATEWAY_OFF_SUBNET: &str = "gateway-off-subnet";
/// forwarding = 1 with accept_ra = 2 (linux-ipv6.md A6).
pub const RA_ACCEPTED_WHILE_FORWARDING: &str = "ra-accepted-while-forwarding";
/// An address in state dadfailed (RFC 4862 §5.4.5).
pub const DAD_FAILED: &str = "dad-failed";
/// nginx `listen 80;` on a VM with IPv6 (seed §6).
pub const SERVICE_FAMILY_MISMATCH: &str = "service-family-mismatch";
/// Seed footnote: replies leave by the other NIC.
pub const ASYMMETRIC_TCP_FLOW: &str = "asymmetric-tcp-flow";
/// Seed footnote: pf `block return` resets the ssh session.
pub const MIDDLEBOX_RESET: &str = "middlebox-reset";

/// The catalogue entry of `code`.
pub fn info(code: &str) -> Option<&'static CodeInfo> {
    CATALOG.iter().find(|c| c.code == code)
}

/// A finding of a catalogued code about a node (and interface).
pub fn about_node(
    code: &'static str,
    node: &str,
    iface: Option<&str>,
    message: String,
    evidence: Vec<String>,
) -> Finding {
    let (severity, title) = info(code).map_or((Severity::Error, code), |i| (i.severity, i.title));
    Finding {
        code: code.to_owned(),
        severity,
        title: title.to_owned(),
        message,
        location: FindingLocation {
            source: None,
            node: Some(node.to_owned()),
            interface: iface.map(str::to_owned),
        },
        evidence,
    }
}

/// A finding of a catalogued code about a place in an input file.
pub fn about_source(code: &str, source: Option<SourceLocation>, message: String) -> Finding {
    let (severity, title) = info(code).map_or((Severity::Error, code), |i| (i.severity, i.title));
    Finding {
        code: code.to_owned(),
        severity,
        title: title.to_owned(),
        message,
        location: FindingLocation {
            source,
            node: None,
            interface: None,
        },
        evidence: Vec::new(),
    }
}

/// Sorts findings into their stable report order (code, location, message) and drops exact repeats.
pub fn normalize(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.code, a.location.to_string(), &a.message).cmp(&(&b.code, b.location.to_string(), &b.message))
    });
    findings.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let doc = include_str!("../../../docs/findings.md");
        for (i, c) in CATALOG.iter().enumerate() {
            assert!(CATALOG[..i].iter().all(|o| o.code != c.code), "duplicate {}", c.code);
            assert!(
                doc.contains(&format!("`{}`", c.code)),
                "{} is not in docs/findings.md",
                c.code
            );
        }
    }

    #[test]
    fn findings_take_severity_and_title_from_the_catalogue() {
        let f = about_node(DAD_FAILED, "vm/0", Some("eth1"), "m".into(), vec![]);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.title, "duplicate address detection failed");
        assert_eq!(f.location.to_string(), "vm/0 eth1");
        let mut list = vec![f.clone(), f];
        normalize(&mut list);
        assert_eq!(list.len(), 1);
    }
}
