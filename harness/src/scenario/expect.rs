//! The `expect:` section: what must be true, optionally at a given time. Each entry is `{at?: <duration>,
//! <kind>: {...}}`; without `at` an expectation is checked at the end of the run (`duration`).

use super::located::{Located, Pos};
use super::reference::{AddrRef, NodeName};
use super::timed::{timed_entry, EntryKinds};
use super::timeline::Family;
use super::values::{HumanDuration, IpText};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One expectation entry.
#[derive(Clone, Debug)]
pub struct ExpectEntry {
    /// When to check (default: at the end of the run).
    pub at: Option<Located<HumanDuration>>,
    /// What to check.
    pub expectation: Expectation,
    /// Where the expectation's key was written.
    pub pos: Pos,
}

/// The probe used by reachability expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Probe {
    /// ICMP/ICMPv6 echo: a reply comes back.
    Ping,
    /// TCP: the handshake completes.
    Tcp,
    /// HTTP: a `200` response arrives.
    Http,
}

/// A reachability probe run by the harness at check time: `from` → `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// How to probe.
    pub probe: Probe,
    /// Source node.
    pub from: Located<NodeName>,
    /// Destination.
    pub to: Located<AddrRef>,
    /// Family when `to` names a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Destination port for tcp/http (default 80 for http; required for tcp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How long the probe may take (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<HumanDuration>,
}

/// A flow started by the timeline (`ssh`/`http` with an `id`) reached the established state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowEstablished {
    /// The flow id.
    pub flow: Located<String>,
}

/// A flow was reset (a RST reached the client) within a time of its start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowReset {
    /// The flow id.
    pub flow: Located<String>,
    /// Upper bound on the time from the flow's start to the reset.
    pub within: Located<HumanDuration>,
}

/// A flow stayed open (no reset, no stall) for a time after its start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSurvives {
    /// The flow id.
    pub flow: Located<String>,
    /// How long it must survive.
    #[serde(rename = "for")]
    pub for_: Located<HumanDuration>,
}

/// The answer `ip route get` must give.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteResult {
    /// Outgoing interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<Located<String>>,
    /// Next hop; omit for on-link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Located<AddrRef>>,
    /// Preferred source address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<Located<AddrRef>>,
    /// The lookup fails (`Network is unreachable`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreachable: bool,
}

/// `ip route get DST [from SRC]` on a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteGet {
    /// The node.
    pub node: Located<NodeName>,
    /// Destination.
    pub dst: Located<AddrRef>,
    /// Source address to look up from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<Located<AddrRef>>,
    /// The expected result.
    pub expect: RouteResult,
}

/// Flags of an address as `ip -6 addr` shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AddrFlag {
    /// Learned (SLAAC): `dynamic`.
    Dynamic,
    /// Configured: `permanent`.
    Permanent,
    /// DAD in progress.
    Tentative,
    /// DAD failed.
    Dadfailed,
    /// Preferred lifetime expired.
    Deprecated,
    /// `nodad`.
    Nodad,
    /// `mngtmpaddr`.
    Mngtmpaddr,
}

/// An address is (or is not) on a node's interface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressCheck {
    /// The node.
    pub node: Located<NodeName>,
    /// The interface.
    pub iface: Located<String>,
    /// The address (a literal, or a reference such as `nginx/0:eth0:slaac`).
    pub address: Located<AddrRef>,
    /// Prefix length it must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_len: Option<u8>,
    /// Flags it must carry (present checks only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<AddrFlag>,
}

/// The node's IPv6 default router list (RFC 4861 §6.3.6), as `ip -6 route show default` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultRouters {
    /// The node.
    pub node: Located<NodeName>,
    /// Family of the default routes (default ipv6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// The routers, in the order `ip -6 route show default` lists them (table order: lowest metric, then
    /// insertion); empty means "no default route". Which one is used is what `route-get` checks.
    pub routers: Vec<Located<AddrRef>>,
}

/// The nodes a flow or probe crossed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathCheck {
    /// A flow id from the timeline.
    pub flow: Located<String>,
    /// Nodes the flow must cross, in order (others may be in between).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<Located<NodeName>>,
    /// Nodes it must not cross.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub avoids: Vec<Located<NodeName>>,
    /// Whether it crossed any attacker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossed_attacker: Option<bool>,
}

/// A finding with a code was (or was not) reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingCheck {
    /// The finding code (docs/findings.md).
    pub code: Located<String>,
    /// Only findings about this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Located<NodeName>>,
}

/// A `bosh instances` process state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    /// The agent reported healthy jobs.
    Running,
    /// A job failed.
    Failing,
    /// The agent never answered (the deploy did not complete).
    UnresponsiveAgent,
    /// Stopped.
    Stopped,
}

/// One row of the `bosh instances` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceRow {
    /// The VM (`nginx/0`).
    pub instance: Located<NodeName>,
    /// Its process state.
    pub state: InstanceState,
    /// Its IPs exactly as the director prints them, compared as text (the 2018 director prints IPv6 expanded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<Located<IpText>>,
}

/// What kind of frames a capture count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FrameKind {
    /// Router Solicitation.
    Rs,
    /// Router Advertisement.
    Ra,
    /// Neighbor Solicitation.
    Ns,
    /// Neighbor Advertisement.
    Na,
    /// Redirect.
    Redirect,
    /// Any ICMPv6.
    Icmpv6,
    /// ARP.
    Arp,
    /// TCP segments with RST.
    TcpRst,
    /// Every frame.
    Any,
}

/// How many frames of a kind crossed a segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureCount {
    /// The segment.
    pub segment: Located<String>,
    /// What to count.
    pub kind: FrameKind,
    /// Only frames sent by this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Located<NodeName>>,
    /// Exactly this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Located<u64>>,
    /// At least this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Located<u64>>,
    /// At most this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Located<u64>>,
}

/// What a [`TableCount`] counts, as the `ip` command that lists it shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Countable {
    /// Addresses, as `ip addr` lists them (link-local, tentative, deprecated and `dadfailed` ones included).
    Addresses,
    /// Routes of the main table, as `ip route show` lists them (no cached exceptions).
    Routes,
    /// Default routes of the main table, as `ip route show default` lists them.
    DefaultRouters,
    /// Neighbour entries, as `ip neigh` lists them (`NOARP` and `NONE` entries hidden).
    Neighbours,
}

/// How many entries of a node's table there are: the bound a flood must not break.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableCount {
    /// The node.
    pub node: Located<NodeName>,
    /// What to count.
    pub what: Countable,
    /// Only entries on this interface (a route's or neighbour's device, an address's interface).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// Only this family (default: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Exactly this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Located<u64>>,
    /// At least this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Located<u64>>,
    /// At most this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Located<u64>>,
}

/// Everything an expectation can check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    /// The probe succeeds.
    Reachable(Reach),
    /// The probe fails.
    Unreachable(Reach),
    /// The flow was established.
    Established(FlowEstablished),
    /// The flow was reset within a time.
    ResetWithin(FlowReset),
    /// The flow survived for a time.
    Survives(FlowSurvives),
    /// `ip route get` answers this.
    RouteGet(Box<RouteGet>),
    /// The address is on the interface.
    AddressPresent(AddressCheck),
    /// The address is not on the interface.
    AddressAbsent(AddressCheck),
    /// The default router list is exactly this.
    DefaultRouters(DefaultRouters),
    /// The flow's path.
    Path(PathCheck),
    /// The finding was reported.
    FindingPresent(FindingCheck),
    /// The finding was not reported.
    FindingAbsent(FindingCheck),
    /// The `bosh instances` table has these rows.
    Instances(Vec<InstanceRow>),
    /// Frame counts on a segment.
    Capture(CaptureCount),
    /// Entry counts of a node's table (addresses, routes, default routers, neighbours).
    Count(TableCount),
}

impl Expectation {
    /// The entry key of this expectation (`reachable`, `route-get`, …), as written in scenario files.
    pub fn kind(&self) -> &'static str {
        match self {
            Expectation::Reachable(_) => "reachable",
            Expectation::Unreachable(_) => "unreachable",
            Expectation::Established(_) => "established",
            Expectation::ResetWithin(_) => "reset-within",
            Expectation::Survives(_) => "survives",
            Expectation::RouteGet(_) => "route-get",
            Expectation::AddressPresent(_) => "address-present",
            Expectation::AddressAbsent(_) => "address-absent",
            Expectation::DefaultRouters(_) => "default-routers",
            Expectation::Path(_) => "path",
            Expectation::FindingPresent(_) => "finding-present",
            Expectation::FindingAbsent(_) => "finding-absent",
            Expectation::Instances(_) => "instances",
            Expectation::Capture(_) => "capture",
            Expectation::Count(_) => "count",
        }
    }
}

impl EntryKinds for Expectation {
    const KINDS: &'static [&'static str] = &[
        "reachable",
        "unreachable",
        "established",
        "reset-within",
        "survives",
        "route-get",
        "address-present",
        "address-absent",
        "default-routers",
        "path",
        "finding-present",
        "finding-absent",
        "instances",
        "capture",
        "count",
    ];
    const WHAT: &'static str = "expectation";
}

timed_entry!(ExpectEntry, expectation, Expectation, at_required: false);
