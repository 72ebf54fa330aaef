//! The node index: every node, segment and interface the scenario defines, built once while checking names,
//! MACs, segment references and segment prefixes; later passes resolve references against it.

use super::Ctx;
use crate::scenario::bosh::ManifestView;
use crate::scenario::error::Rule;
use crate::scenario::located::{Located, Pos};
use crate::scenario::reference::{is_plain_name, NodeName};
use crate::scenario::topology::Interface;
use crate::scenario::values::{Cidr, MacAddr};
use std::collections::BTreeMap;

/// What a named node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Router,
    Host,
    Attacker,
    Director,
    /// A BOSH instance group; its VMs are `group/index`.
    BoshGroup,
}

impl NodeKind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            NodeKind::Router => "router",
            NodeKind::Host => "host",
            NodeKind::Attacker => "attacker",
            NodeKind::Director => "director",
            NodeKind::BoshGroup => "BOSH VM",
        }
    }
}

/// One node.
#[derive(Clone, Debug)]
pub(crate) struct NodeEntry {
    pub(crate) kind: NodeKind,
    /// Interface names in order (BOSH VMs: `eth0`… by the group's networks).
    pub(crate) ifaces: Vec<String>,
    /// Instance count of a BOSH group.
    pub(crate) instances: u32,
}

/// Every node and segment, by name.
#[derive(Debug, Default)]
pub(crate) struct NodeIndex {
    pub(crate) nodes: BTreeMap<String, NodeEntry>,
    /// Segment name → declared prefixes.
    pub(crate) segments: BTreeMap<String, Vec<Cidr>>,
    /// True when BOSH VMs exist but the manifest could not be read, so `group/index` references cannot be checked.
    pub(crate) bosh_unknown: bool,
}

impl NodeIndex {
    /// Builds the index, reporting duplicate names, interfaces and MACs, unknown segments, and addresses
    /// outside their segment's prefixes.
    pub(crate) fn build(ctx: &mut Ctx<'_>, manifest: Option<&ManifestView>) -> NodeIndex {
        let scenario = ctx.scenario;
        let mut index = NodeIndex::default();
        let mut first_pos: BTreeMap<String, Pos> = BTreeMap::new();
        for seg in &scenario.topology.segments {
            if let Some(prev) = first_pos.insert(seg.name.value.clone(), seg.name.pos) {
                report_duplicate(ctx, "segment", &seg.name, prev);
                continue;
            }
            check_name(ctx, &seg.name);
            index
                .segments
                .insert(seg.name.value.clone(), seg.prefixes.iter().map(|p| p.value).collect());
        }
        let mut names: BTreeMap<String, Pos> = BTreeMap::new();
        let mut macs: BTreeMap<MacAddr, Pos> = BTreeMap::new();
        let topo = &scenario.topology;
        let nodes = topo
            .routers
            .iter()
            .map(|r| (NodeKind::Router, &r.name, &r.interfaces))
            .chain(topo.hosts.iter().map(|h| (NodeKind::Host, &h.name, &h.interfaces)))
            .chain(
                topo.attackers
                    .iter()
                    .map(|a| (NodeKind::Attacker, &a.name, &a.interfaces)),
            );
        for (kind, name, interfaces) in nodes {
            check_name(ctx, name);
            if let Some(prev) = names.insert(name.value.clone(), name.pos) {
                report_duplicate(ctx, "node", name, prev);
                continue;
            }
            let ifaces = index.interfaces(ctx, interfaces, &mut macs);
            index.nodes.insert(
                name.value.clone(),
                NodeEntry {
                    kind,
                    ifaces,
                    instances: 0,
                },
            );
        }
        if let Some(bosh) = &scenario.bosh {
            let d = &bosh.director;
            check_name(ctx, &d.name);
            if let Some(prev) = names.insert(d.name.value.clone(), d.name.pos) {
                report_duplicate(ctx, "node", &d.name, prev);
            } else {
                index.nodes.insert(
                    d.name.value.clone(),
                    NodeEntry {
                        kind: NodeKind::Director,
                        ifaces: vec!["eth0".to_owned()],
                        instances: 0,
                    },
                );
            }
            index.check_segment(ctx, &d.segment);
            index.check_in_prefix(ctx, &d.segment.value, &d.address);
            if let Some(mac) = &d.mac {
                check_mac(ctx, mac, &mut macs);
            }
            for vm in &bosh.vm_macs {
                check_mac(ctx, &vm.mac, &mut macs);
            }
            match manifest {
                Some(m) => {
                    for g in &m.instance_groups {
                        let ifaces = (0..g.networks.len()).map(|i| format!("eth{i}")).collect();
                        let entry = NodeEntry {
                            kind: NodeKind::BoshGroup,
                            ifaces,
                            instances: g.instances,
                        };
                        index.nodes.entry(g.name.clone()).or_insert(entry);
                    }
                }
                None => index.bosh_unknown = true,
            }
        }
        index
    }

    fn interfaces(
        &self,
        ctx: &mut Ctx<'_>,
        interfaces: &[Interface],
        macs: &mut BTreeMap<MacAddr, Pos>,
    ) -> Vec<String> {
        let mut seen: BTreeMap<&str, Pos> = BTreeMap::new();
        let mut out = Vec::new();
        for iface in interfaces {
            check_name(ctx, &iface.name);
            if let Some(prev) = seen.insert(iface.name.value.as_str(), iface.name.pos) {
                ctx.report(
                    Rule::DuplicateInterface,
                    iface.name.pos,
                    format!(
                        "interface `{}` is defined twice on this node (first at line {})",
                        iface.name.value, prev.line
                    ),
                    "duplicate interface",
                );
            } else {
                out.push(iface.name.value.clone());
            }
            check_mac(ctx, &iface.mac, macs);
            if self.check_segment(ctx, &iface.segment) {
                for addr in &iface.addresses {
                    self.check_in_prefix(ctx, &iface.segment.value, addr);
                }
            }
        }
        out
    }

    /// Reports an unknown segment; true if it exists.
    pub(crate) fn check_segment(&self, ctx: &mut Ctx<'_>, seg: &Located<String>) -> bool {
        if self.segments.contains_key(&seg.value) {
            return true;
        }
        let known: Vec<&str> = self.segments.keys().map(String::as_str).collect();
        ctx.report_help(
            Rule::UnknownSegment,
            seg.pos,
            format!("unknown segment `{}`", seg.value),
            "no such segment",
            format!("defined segments: {}", list_or_none(&known)),
        );
        false
    }

    /// Reports an address that lies outside every prefix of its family the segment declares.
    pub(crate) fn check_in_prefix(&self, ctx: &mut Ctx<'_>, segment: &str, addr: &Located<Cidr>) {
        let Some(prefixes) = self.segments.get(segment) else {
            return;
        };
        let same_family: Vec<&Cidr> = prefixes
            .iter()
            .filter(|p| p.addr().is_ipv4() == addr.value.addr().is_ipv4())
            .collect();
        if same_family.is_empty() || same_family.iter().any(|p| addr.value.is_within(p)) {
            return;
        }
        let listed: Vec<String> = same_family.iter().map(|p| p.to_string()).collect();
        ctx.report_help(
            Rule::AddressOutsidePrefix,
            addr.pos,
            format!(
                "address `{}` is outside segment `{segment}`'s prefixes ({})",
                addr.value,
                listed.join(", ")
            ),
            "not on this segment",
            "use an address inside the segment's prefix, or add its prefix to the segment's `prefixes`",
        );
    }

    /// Looks up a node reference; `None` (and a problem) when it does not resolve.
    pub(crate) fn node<'i>(&'i self, ctx: &mut Ctx<'_>, name: &Located<NodeName>) -> Option<&'i NodeEntry> {
        let n = &name.value;
        match (self.nodes.get(&n.name), n.index) {
            (Some(e), Some(i)) if e.kind == NodeKind::BoshGroup => {
                if i < e.instances {
                    return Some(e);
                }
                ctx.report(
                    Rule::InstanceOutOfRange,
                    name.pos,
                    format!(
                        "`{n}`: instance group `{}` has {} instance(s), indices 0..{}",
                        n.name, e.instances, e.instances
                    ),
                    "no such instance",
                );
                None
            }
            (Some(e), None) if e.kind == NodeKind::BoshGroup => {
                ctx.report_help(
                    Rule::WrongNodeKind,
                    name.pos,
                    format!("`{n}` is a BOSH instance group, not a node"),
                    "needs an instance index",
                    format!("name one VM of it, e.g. `{n}/0`"),
                );
                None
            }
            (Some(e), Some(_)) => {
                ctx.report(
                    Rule::WrongNodeKind,
                    name.pos,
                    format!("`{n}`: `{}` is a {}, not a BOSH instance group", n.name, e.kind.noun()),
                    "not a BOSH VM",
                );
                None
            }
            (Some(e), None) => Some(e),
            (None, Some(_)) if self.bosh_unknown => None,
            (None, _) => {
                let known: Vec<String> = self
                    .nodes
                    .iter()
                    .map(|(k, e)| {
                        if e.kind == NodeKind::BoshGroup {
                            format!("{k}/<index>")
                        } else {
                            k.clone()
                        }
                    })
                    .collect();
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                ctx.report_help(
                    Rule::UnknownNode,
                    name.pos,
                    format!("unknown node `{n}`"),
                    "no such node",
                    format!("defined nodes: {}", list_or_none(&known)),
                );
                None
            }
        }
    }

    /// Resolves a node and checks it has `iface`.
    pub(crate) fn iface(&self, ctx: &mut Ctx<'_>, node: &Located<NodeName>, iface: &Located<String>) {
        if let Some(entry) = self.node(ctx, node) {
            check_iface_of(ctx, &node.value.to_string(), entry, &iface.value, iface.pos);
        }
    }
}

/// Reports `iface` (written at `pos`) if the node has no such interface.
pub(crate) fn check_iface_of(ctx: &mut Ctx<'_>, node: &str, entry: &NodeEntry, iface: &str, pos: Pos) {
    if entry.ifaces.iter().any(|i| i == iface) {
        return;
    }
    let known: Vec<&str> = entry.ifaces.iter().map(String::as_str).collect();
    ctx.report_help(
        Rule::UnknownInterface,
        pos,
        format!("{} `{node}` has no interface `{iface}`", entry.kind.noun()),
        "no such interface",
        format!("its interfaces: {}", list_or_none(&known)),
    );
}

fn check_mac(ctx: &mut Ctx<'_>, mac: &Located<MacAddr>, macs: &mut BTreeMap<MacAddr, Pos>) {
    if mac.value.is_multicast() {
        ctx.report_help(
            Rule::MulticastMac,
            mac.pos,
            format!("MAC `{}` is a group (multicast) address", mac.value),
            "I/G bit set",
            "an interface needs a unicast MAC: the first octet must be even",
        );
    }
    if let Some(prev) = macs.insert(mac.value, mac.pos) {
        ctx.report(
            Rule::DuplicateMac,
            mac.pos,
            format!(
                "MAC `{}` is already used by another interface (line {})",
                mac.value, prev.line
            ),
            "duplicate MAC",
        );
    }
}

fn check_name(ctx: &mut Ctx<'_>, name: &Located<String>) {
    if !is_plain_name(&name.value) {
        ctx.report(
            Rule::OutOfRange,
            name.pos,
            format!(
                "`{}` is not a valid name: a letter, then letters, digits, `_`, `.` or `-`",
                name.value
            ),
            "invalid name",
        );
    }
}

fn report_duplicate(ctx: &mut Ctx<'_>, what: &str, name: &Located<String>, prev: Pos) {
    ctx.report(
        Rule::DuplicateName,
        name.pos,
        format!("{what} name `{}` is already defined at line {}", name.value, prev.line),
        "duplicate name",
    );
}

/// `a, b, c`, or `(none)`.
pub(crate) fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}
