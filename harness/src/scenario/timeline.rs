//! The `timeline:` section: what happens when. Each entry is `{at: <duration>, <action>: {...}}`.

use super::located::{Located, Pos};
use super::ra::{Malformed, Preference, RaConfig, RaPrefix};
use super::reference::{AddrRef, NodeName};
use super::timed::{timed_entry, EntryKinds};
use super::values::{HumanDuration, SysctlValue};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One timeline entry.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    /// When it happens (simulated time from the start of the scenario).
    pub at: Option<Located<HumanDuration>>,
    /// What happens.
    pub action: Action,
    /// Where the action's key was written.
    pub pos: Pos,
}

/// IP family selector for actions and expectations that name a node rather than an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// Echo requests (ICMP or ICMPv6 by the destination's family).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    /// Sender.
    pub from: Located<NodeName>,
    /// Destination.
    pub to: Located<AddrRef>,
    /// Family when `to` names a node without an address selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Number of echo requests (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Gap between requests (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<HumanDuration>,
}

/// An ssh session: TCP connect, then keepalives until `hold` elapses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ssh {
    /// Flow id, referenced by flow expectations; unique in the scenario.
    pub id: Located<String>,
    /// Client.
    pub from: Located<NodeName>,
    /// Server address.
    pub to: Located<AddrRef>,
    /// Family when `to` names a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Server port (default 22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How long the client keeps the session open (default: until the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Located<HumanDuration>>,
    /// Keepalive period while idle (default 15s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<HumanDuration>,
}

/// An HTTP GET.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// Flow id, referenced by flow expectations; unique in the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Located<String>>,
    /// Client.
    pub from: Located<NodeName>,
    /// Server address.
    pub to: Located<AddrRef>,
    /// Family when `to` names a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Server port (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Request path (default `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A BOSH agent heartbeat to the director (NATS over IPv4 in the seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The VM sending it (`nginx/0`).
    pub from: Located<NodeName>,
}

/// An unsolicited RA from a router interface, optionally overriding its configuration for this one RA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRa {
    /// The router.
    pub router: Located<NodeName>,
    /// Its interface.
    pub iface: Located<String>,
    /// Fields replacing the interface's `ra:` for this advertisement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ra: Option<Located<RaConfig>>,
    /// Send the RA broken this way (RA validity tests); the receiver must ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Malformed>,
}

/// How an attacker's RA tries to get past RA-Guard (RFC 7113 §2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Evasion {
    /// A plain RA.
    #[default]
    None,
    /// A Hop-by-Hop Options header before ICMPv6.
    Hbh,
    /// A Destination Options header before ICMPv6.
    Dstopt,
    /// Fragmented so the first fragment carries no ICMPv6 header.
    Fragment,
}

/// What an attacker does with traffic it attracts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mitm {
    /// Nothing: attracted traffic is dropped (denial of service).
    #[default]
    Drop,
    /// Forward it to the real router (a silent man in the middle).
    Forward,
}

/// An RA from the attacker advertising itself as a router.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RogueRa {
    /// The attacker.
    pub attacker: Located<NodeName>,
    /// Its interface (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// Default router preference advertised (default high).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<Preference>,
    /// Router lifetime advertised (default 30m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_lifetime: Option<Located<HumanDuration>>,
    /// Prefixes advertised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<RaPrefix>,
    /// RA-Guard evasion.
    #[serde(default)]
    pub evasion: Evasion,
    /// What to do with attracted traffic.
    #[serde(default)]
    pub mitm: Mitm,
    /// Number of RAs (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Gap between RAs (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<HumanDuration>,
}

/// A spoofed RA with router lifetime 0 from a real router's link-local address (RFC 4861 §6.3.4: the host
/// removes it from its default router list).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KillRouter {
    /// The attacker.
    pub attacker: Located<NodeName>,
    /// The attacker's interface it is sent from (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// The router being impersonated (usually `rtr:eth1:ll`).
    pub router: Located<AddrRef>,
    /// Evasion.
    #[serde(default)]
    pub evasion: Evasion,
}

/// Many RAs with random prefixes and source addresses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaFlood {
    /// The attacker.
    pub attacker: Located<NodeName>,
    /// The attacker's interface it is sent from (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// Number of RAs.
    pub count: u32,
    /// Over how long they are spread (default: back to back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<Located<HumanDuration>>,
    /// Prefix Information options per RA (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefixes_per_ra: Option<u32>,
    /// Evasion.
    #[serde(default)]
    pub evasion: Evasion,
}

/// A forged ICMPv6 Redirect (RFC 4861 §4.5) sent to a victim in the name of its router.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    /// The attacker.
    pub attacker: Located<NodeName>,
    /// The attacker's interface it is sent from (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// The victim (receiver of the redirect).
    pub victim: Located<NodeName>,
    /// The destination whose route is redirected.
    pub destination: Located<AddrRef>,
    /// The new first hop (default: the attacker's link-local address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Located<AddrRef>>,
    /// The router the redirect pretends to come from (must be the victim's current first hop to be accepted).
    pub spoof: Located<AddrRef>,
    /// What to do with redirected traffic.
    #[serde(default)]
    pub mitm: Mitm,
}

/// Unsolicited Neighbor Advertisements claiming someone else's address (ND spoofing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NaSpoof {
    /// The attacker.
    pub attacker: Located<NodeName>,
    /// The attacker's interface it is sent from (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// The address claimed (the NAs' target).
    pub address: Located<AddrRef>,
    /// Attack this victim only: a node or `node:iface` (its NIC on the attacker's segment, by MAC) or an address
    /// (NSs from it). The NAs go to it alone and only its NSs are answered (default: all-nodes multicast, every
    /// NS answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim: Option<Located<AddrRef>>,
    /// Set the Override flag on the unsolicited NAs (default true); without it a victim keeps a MAC it has cached.
    /// Answers to NSs always carry it, as parasite6's do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_flag: Option<bool>,
    /// What to do with attracted traffic.
    #[serde(default)]
    pub mitm: Mitm,
    /// Number of unsolicited NAs (default 1); the router's own RAs restore its MAC, parasite6 keeps sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Gap between NAs (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<HumanDuration>,
}

/// Answer every Duplicate Address Detection probe so the victim never gets an address (RFC 4862 §5.4.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DadDos {
    /// The attacker.
    pub attacker: Located<NodeName>,
    /// The attacker's interface whose segment is attacked (default: its first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<Located<String>>,
    /// Only probes from this node or `node:iface` (by its NIC's MAC), or only probes for this address (a literal
    /// or `node:iface:v6`, the tentative address) (default: every probe on the segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim: Option<Located<AddrRef>>,
}

/// An interface going down or up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The node.
    pub node: Located<NodeName>,
    /// Its interface.
    pub iface: Located<String>,
}

/// A sysctl written at run time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSysctl {
    /// The node.
    pub node: Located<NodeName>,
    /// The key (`net.ipv6.conf.eth0.accept_ra`).
    pub key: Located<String>,
    /// The value.
    pub value: Located<SysctlValue>,
}

/// Record nodes' tables (addresses, routes, neighbours, default routers) into the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Label in the report.
    pub label: Located<String>,
    /// Nodes (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<Located<NodeName>>,
}

/// Everything a timeline entry can do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Echo requests.
    Ping(Ping),
    /// An ssh session (a flow).
    Ssh(Ssh),
    /// An HTTP GET (a flow).
    Http(Http),
    /// An agent heartbeat to the director.
    Heartbeat(Heartbeat),
    /// A router sends an RA now.
    SendRa(SendRa),
    /// Attacker: rogue RA.
    RogueRa(RogueRa),
    /// Attacker: lifetime-0 RA impersonating the router.
    KillRouter(KillRouter),
    /// Attacker: RA flood.
    RaFlood(RaFlood),
    /// Attacker: forged redirect.
    Redirect(Redirect),
    /// Attacker: spoofed neighbor advertisements.
    NaSpoof(NaSpoof),
    /// Attacker: DAD denial of service.
    DadDos(DadDos),
    /// Interface down.
    LinkDown(Link),
    /// Interface up.
    LinkUp(Link),
    /// Write a sysctl.
    Sysctl(SetSysctl),
    /// Record tables into the report.
    Snapshot(Snapshot),
}

impl EntryKinds for Action {
    const KINDS: &'static [&'static str] = &[
        "ping",
        "ssh",
        "http",
        "heartbeat",
        "send-ra",
        "rogue-ra",
        "kill-router",
        "ra-flood",
        "redirect",
        "na-spoof",
        "dad-dos",
        "link-down",
        "link-up",
        "sysctl",
        "snapshot",
    ];
    const WHAT: &'static str = "action";
}

impl Action {
    /// The entry key of this action (`ping`, `send-ra`, …), as written in scenario files.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Ping(_) => "ping",
            Action::Ssh(_) => "ssh",
            Action::Http(_) => "http",
            Action::Heartbeat(_) => "heartbeat",
            Action::SendRa(_) => "send-ra",
            Action::RogueRa(_) => "rogue-ra",
            Action::KillRouter(_) => "kill-router",
            Action::RaFlood(_) => "ra-flood",
            Action::Redirect(_) => "redirect",
            Action::NaSpoof(_) => "na-spoof",
            Action::DadDos(_) => "dad-dos",
            Action::LinkDown(_) => "link-down",
            Action::LinkUp(_) => "link-up",
            Action::Sysctl(_) => "sysctl",
            Action::Snapshot(_) => "snapshot",
        }
    }

    /// The attacker's interface an attacker action names, if any (`None`: its first).
    pub fn attacker_iface(&self) -> Option<&Located<String>> {
        match self {
            Action::RogueRa(a) => a.iface.as_ref(),
            Action::KillRouter(a) => a.iface.as_ref(),
            Action::RaFlood(a) => a.iface.as_ref(),
            Action::Redirect(a) => a.iface.as_ref(),
            Action::NaSpoof(a) => a.iface.as_ref(),
            Action::DadDos(a) => a.iface.as_ref(),
            _ => None,
        }
    }

    /// The attacker performing this action, if it is an attacker action.
    pub fn attacker(&self) -> Option<&Located<NodeName>> {
        match self {
            Action::RogueRa(a) => Some(&a.attacker),
            Action::KillRouter(a) => Some(&a.attacker),
            Action::RaFlood(a) => Some(&a.attacker),
            Action::Redirect(a) => Some(&a.attacker),
            Action::NaSpoof(a) => Some(&a.attacker),
            Action::DadDos(a) => Some(&a.attacker),
            _ => None,
        }
    }

    /// The flow id this action starts, if any.
    pub fn flow_id(&self) -> Option<&Located<String>> {
        match self {
            Action::Ssh(s) => Some(&s.id),
            Action::Http(h) => h.id.as_ref(),
            _ => None,
        }
    }
}

timed_entry!(TimelineEntry, action, Action, at_required: true);
