//! The `topology:` section: segments (VLANs), routers, hosts and attackers, their interfaces, routes, rules,
//! sysctls, firewalls and services.

use super::listen::ListenLine;
use super::located::Located;
use super::ra::RaConfig;
use super::values::{Cidr, HumanDuration, IpLit, MacAddr, SysctlValue};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Sysctls in the order written (order matters: `all.forwarding` resets per-interface values, linux-ipv6.md).
pub type Sysctls = IndexMap<String, Located<SysctlValue>>;

/// The simulated network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Layer-2 segments (one switch/VLAN each).
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Routers: forwarding nodes that may send router advertisements and filter traffic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routers: Vec<Router>,
    /// Workstations and servers not deployed by BOSH.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<Host>,
    /// Attacker nodes; what they do is in the timeline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attackers: Vec<Attacker>,
}

impl Topology {
    /// Every node's interfaces: routers', then hosts', then attackers', each in file order.
    pub fn interfaces(&self) -> impl Iterator<Item = &Interface> {
        let routers = self.routers.iter().flat_map(|r| &r.interfaces);
        let hosts = self.hosts.iter().flat_map(|h| &h.interfaces);
        routers
            .chain(hosts)
            .chain(self.attackers.iter().flat_map(|a| &a.interfaces))
    }
}

/// RA-Guard on a segment's switch (RFC 6105; RFC 7113 for the extension-header evasions it must resist).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RaGuard {
    /// No filtering: any port may send router advertisements.
    #[default]
    Off,
    /// Drops RAs from non-router ports by looking at the first next header only (evaded by HBH/DstOpt/fragments).
    Naive,
    /// Walks the whole extension-header chain and drops fragmented RAs whose first fragment lacks the ICMPv6
    /// header (RFC 7113 §5).
    FullChain,
}

/// A layer-2 segment: a learning switch on one VLAN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Unique segment name, referenced by interfaces.
    pub name: Located<String>,
    /// 802.1Q VLAN id (1–4094); informational, shown in reports and pcap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<Located<u16>>,
    /// RA-Guard mode of the segment's switch.
    #[serde(default)]
    pub ra_guard: RaGuard,
    /// One-way delay added to every frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<HumanDuration>,
    /// Probability (0.0–1.0) that a frame is dropped, drawn from the scenario's seeded RNG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<Located<f64>>,
    /// On-link prefixes of the segment; when given, every interface address on it must fall in one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<Located<Cidr>>,
}

/// A network interface of a router, host or attacker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Interface name, unique within the node (`eth0`).
    pub name: Located<String>,
    /// The segment it is plugged into.
    pub segment: Located<String>,
    /// Its MAC address; unique in the scenario.
    pub mac: Located<MacAddr>,
    /// Static addresses with prefix length.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Located<Cidr>>,
    /// Whether the switch port is a trusted router port for RA-Guard (default: true on routers, false elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_port: Option<bool>,
    /// Router advertisements sent on this interface (routers only; or use the router's `radvd_conf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ra: Option<Located<RaConfig>>,
}

/// A static route (`ip route add DST [via GW] [dev IFACE] [metric N] [table T]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Destination prefix; `default` is written as `0.0.0.0/0` or `::/0`.
    pub dst: Located<Cidr>,
    /// Next hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Located<IpLit>>,
    /// Outgoing interface (required when `via` is link-local or absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<Located<String>>,
    /// Route metric (kernel default 1024 for IPv6, 0 for IPv4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
    /// Routing table number (default: main, 254).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
}

/// A policy-routing rule (`ip rule add priority P [from SRC] [to DST] [iif I] [oif O] table T`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// Rule priority (lower first).
    pub priority: u32,
    /// Source prefix selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Located<Cidr>>,
    /// Destination prefix selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Located<Cidr>>,
    /// Incoming interface selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iif: Option<Located<String>>,
    /// Outgoing interface selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oif: Option<Located<String>>,
    /// Table to look up.
    pub table: u32,
}

/// What a stateful firewall is modelled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallKind {
    /// Linux netfilter conntrack (nf_conntrack_tcp: window tracking, `ct state invalid`).
    Conntrack,
    /// OpenBSD/FreeBSD pf (state keyed on both directions; `block return` answers TCP with RST).
    Pf,
}

/// What a conntrack firewall does with packets of state INVALID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidAction {
    /// Silently drop (`ct state invalid drop`).
    #[default]
    Drop,
    /// Answer TCP with a RST (`ct state invalid reject with tcp reset`).
    RejectTcpReset,
}

/// What pf's `block` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BlockPolicy {
    /// `set block-policy drop`.
    #[default]
    Drop,
    /// `set block-policy return`: TCP RST / ICMP unreachable — the seed's 60-second ssh reset.
    Return,
}

/// A firewall rule's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuleAction {
    /// Accept (and create state when the firewall is stateful).
    Pass,
    /// Drop or return according to the block policy.
    Block,
}

/// Direction of a firewall rule relative to the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Packets entering an interface.
    In,
    /// Packets leaving an interface.
    Out,
    /// Packets being forwarded (conntrack's FORWARD chain).
    Forward,
}

/// The transport a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuleProto {
    /// Any protocol.
    Any,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMPv4.
    Icmp,
    /// ICMPv6.
    Icmpv6,
}

/// One firewall rule, evaluated in order; the first match wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallRule {
    /// Verdict.
    pub action: RuleAction,
    /// Direction.
    pub direction: Direction,
    /// Interface the rule is bound to (any when absent; pf `on IFACE`; conntrack rules, one forward chain, ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// Protocol matched.
    #[serde(default = "any_proto")]
    pub proto: RuleProto,
    /// Source prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Located<Cidr>>,
    /// Destination prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Located<Cidr>>,
    /// Destination port (TCP/UDP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Keep state for passed flows (pf `keep state`, conntrack `ct state new accept`); default true.
    #[serde(default = "yes")]
    pub keep_state: bool,
}

fn any_proto() -> RuleProto {
    RuleProto::Any
}

fn yes() -> bool {
    true
}

/// A router's stateful firewall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Firewall {
    /// Which implementation it behaves like.
    pub kind: FirewallKind,
    /// Rules, first match wins; a packet matching none is passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<FirewallRule>,
    /// Conntrack: verdict for INVALID packets.
    #[serde(default)]
    pub invalid: InvalidAction,
    /// pf: what `block` does.
    #[serde(default)]
    pub block: BlockPolicy,
    /// pf `sloppy` state / conntrack `nf_conntrack_tcp_loose`: accept packets of a flow seen in one direction only.
    #[serde(default)]
    pub sloppy: bool,
}

/// A router.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Router {
    /// Unique node name.
    pub name: Located<String>,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Static routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Sysctls applied at boot, in order (forwarding is on for routers unless set here).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub sysctls: Sysctls,
    /// A radvd.conf file (relative to the scenario file) instead of inline `ra:` blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radvd_conf: Option<Located<String>>,
    /// Stateful firewall on the router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Option<Firewall>,
}

/// The role of a host, for reports only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// An end-user machine that starts flows.
    #[default]
    Workstation,
    /// A machine that mostly serves.
    Server,
}

/// The application behind a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    /// An HTTP server answering `200 OK` to GET.
    Http,
    /// An ssh server: TCP session with periodic keepalives.
    Ssh,
    /// TCP echo.
    Echo,
}

/// A listening service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service name, unique within the node.
    pub name: Located<String>,
    /// What answers.
    pub app: AppKind,
    /// nginx-style listen lines; one socket each.
    pub listen: Vec<Located<ListenLine>>,
}

/// A workstation or server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Unique node name.
    pub name: Located<String>,
    /// Workstation or server.
    #[serde(default)]
    pub role: HostRole,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Static routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Policy-routing rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RoutingRule>,
    /// Sysctls applied at boot, in order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub sysctls: Sysctls,
    /// Listening services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
}

/// An attacker: a node with raw-frame powers. Its actions are timeline entries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attacker {
    /// Unique node name.
    pub name: Located<String>,
    /// Interfaces, one NIC each, on one or several segments; each attack names the one it uses (`iface`, default
    /// the first).
    pub interfaces: Vec<Interface>,
    /// Sysctls (e.g. forwarding for `mitm: forward`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub sysctls: Sysctls,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_yaml_1_1_words_read_as_the_enum_values() -> Result<(), serde_saphyr::Error> {
        let seg: Segment = serde_saphyr::from_str("name: lan\nra_guard: off\n")?;
        assert_eq!(seg.ra_guard, RaGuard::Off);
        let seg: Segment = serde_saphyr::from_str("name: lan\nra_guard: full-chain\nloss: 0.25\ndelay: 5ms\n")?;
        assert_eq!(
            (seg.ra_guard, seg.loss.map(|l| l.value)),
            (RaGuard::FullChain, Some(0.25))
        );
        Ok(())
    }

    #[test]
    fn firewall_defaults() -> Result<(), serde_saphyr::Error> {
        let fw: Firewall = serde_saphyr::from_str("kind: conntrack\nrules:\n  - {action: pass, direction: forward}\n")?;
        assert_eq!(
            (fw.invalid, fw.block, fw.sloppy),
            (InvalidAction::Drop, BlockPolicy::Drop, false)
        );
        assert_eq!((fw.rules[0].proto, fw.rules[0].keep_state), (RuleProto::Any, true));
        let fw: Firewall = serde_saphyr::from_str("kind: conntrack\ninvalid: reject-tcp-reset\n")?;
        assert_eq!(fw.invalid, InvalidAction::RejectTcpReset);
        assert!(serde_saphyr::from_str::<Firewall>("kind: iptables\n").is_err());
        assert!(serde_saphyr::from_str::<FirewallRule>("{action: pass, direction: in, dport: 22}").is_err());
        Ok(())
    }

    #[test]
    fn hosts_default_to_workstations_and_keep_sysctl_order() -> Result<(), serde_saphyr::Error> {
        let text = "name: ws\ninterfaces: []\nsysctls:\n  net.ipv6.conf.all.forwarding: 0\n  net.ipv6.conf.eth0.accept_ra: 2\n  net.ipv6.conf.all.accept_ra: 0\n";
        let host: Host = serde_saphyr::from_str(text)?;
        assert_eq!(host.role, HostRole::Workstation);
        let keys: Vec<&str> = host.sysctls.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "net.ipv6.conf.all.forwarding",
                "net.ipv6.conf.eth0.accept_ra",
                "net.ipv6.conf.all.accept_ra"
            ]
        );
        Ok(())
    }
}
