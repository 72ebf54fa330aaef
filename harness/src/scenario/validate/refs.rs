//! References from the timeline and expectations: nodes (of the right kind), interfaces, addresses, segments and
//! flow ids; and value constraints of individual entries (capture and count bounds).

use super::index::{check_iface_of, NodeIndex, NodeKind};
use super::Ctx;
use crate::scenario::error::Rule;
use crate::scenario::expect::{Expectation, Probe};
use crate::scenario::located::{Located, Pos};
use crate::scenario::reference::{AddrRef, NodeName};
use crate::scenario::timeline::Action;
use std::collections::BTreeMap;

/// Checks a node reference; with `kinds` non-empty, the node must be one of them.
fn node(ctx: &mut Ctx<'_>, index: &NodeIndex, name: &Located<NodeName>, kinds: &[NodeKind], role: &str) {
    let Some(entry) = index.node(ctx, name) else { return };
    if kinds.is_empty() || kinds.contains(&entry.kind) {
        return;
    }
    let wanted: Vec<&str> = kinds.iter().map(|k| k.noun()).collect();
    let wanted = wanted.join(" or ");
    let message = format!(
        "`{}` is {}, but `{role}` must name {}",
        name.value,
        a(entry.kind.noun()),
        a(&wanted)
    );
    ctx.report(Rule::WrongNodeKind, name.pos, message, format!("not {}", a(&wanted)));
}

/// "a router", "an attacker".
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

fn iface(ctx: &mut Ctx<'_>, index: &NodeIndex, name: &Located<NodeName>, iface: &Located<String>) {
    index.iface(ctx, name, iface);
}

/// An address reference: literals always pass; node references must name an existing node and interface.
fn addr(ctx: &mut Ctx<'_>, index: &NodeIndex, r: &Located<AddrRef>) {
    let AddrRef::Node { node, iface, .. } = &r.value else {
        return;
    };
    let located = Located::at(node.clone(), r.pos);
    let Some(entry) = index.node(ctx, &located) else { return };
    if let Some(i) = iface {
        // Point at the interface part of `node:iface`, past an opening quote if the scalar is quoted.
        let text = &ctx.source.text;
        let quoted = r
            .pos
            .byte_range(text)
            .is_some_and(|(start, _)| text[start..].starts_with(['"', '\'']));
        let skip = u32::try_from(node.to_string().chars().count()).unwrap_or(0) + 1 + u32::from(quoted);
        let pos = Pos {
            column: r.pos.column.saturating_add(skip),
            offset: r.pos.offset.saturating_add(skip),
            len: u32::try_from(i.chars().count()).unwrap_or(0),
            ..r.pos
        };
        check_iface_of(ctx, &node.to_string(), entry, i, pos);
    }
}

fn segment(ctx: &mut Ctx<'_>, index: &NodeIndex, seg: &Located<String>) {
    index.check_segment(ctx, seg);
}

const ATTACKER: &[NodeKind] = &[NodeKind::Attacker];
const ANY: &[NodeKind] = &[];
const VM: &[NodeKind] = &[NodeKind::BoshGroup];

/// Timeline references and flow-id uniqueness.
pub(crate) fn check_timeline(ctx: &mut Ctx<'_>, index: &NodeIndex) {
    let mut flows: BTreeMap<&str, Pos> = BTreeMap::new();
    for entry in &ctx.scenario.timeline {
        if let Some(id) = entry.action.flow_id() {
            if let Some(prev) = flows.insert(id.value.as_str(), id.pos) {
                ctx.report(
                    Rule::DuplicateFlow,
                    id.pos,
                    format!("flow id `{}` is already used at line {}", id.value, prev.line),
                    "duplicate flow id",
                );
            }
        }
        match &entry.action {
            Action::Ping(p) => {
                node(ctx, index, &p.from, ANY, "from");
                addr(ctx, index, &p.to);
            }
            Action::Ssh(s) => {
                node(ctx, index, &s.from, ANY, "from");
                addr(ctx, index, &s.to);
            }
            Action::Http(h) => {
                node(ctx, index, &h.from, ANY, "from");
                addr(ctx, index, &h.to);
            }
            Action::Heartbeat(h) => node(ctx, index, &h.from, VM, "from"),
            Action::SendRa(s) => {
                node(ctx, index, &s.router, &[NodeKind::Router], "router");
                iface(ctx, index, &s.router, &s.iface);
            }
            Action::RogueRa(r) => node(ctx, index, &r.attacker, ATTACKER, "attacker"),
            Action::KillRouter(k) => {
                node(ctx, index, &k.attacker, ATTACKER, "attacker");
                addr(ctx, index, &k.router);
            }
            Action::RaFlood(f) => node(ctx, index, &f.attacker, ATTACKER, "attacker"),
            Action::Redirect(r) => {
                node(ctx, index, &r.attacker, ATTACKER, "attacker");
                node(ctx, index, &r.victim, ANY, "victim");
                addr(ctx, index, &r.destination);
                addr(ctx, index, &r.spoof);
                if let Some(t) = &r.target {
                    addr(ctx, index, t);
                }
            }
            Action::NaSpoof(n) => {
                node(ctx, index, &n.attacker, ATTACKER, "attacker");
                addr(ctx, index, &n.address);
                if let Some(v) = &n.victim {
                    addr(ctx, index, v);
                }
            }
            Action::DadDos(d) => {
                node(ctx, index, &d.attacker, ATTACKER, "attacker");
                if let Some(v) = &d.victim {
                    addr(ctx, index, v);
                }
            }
            Action::LinkDown(l) | Action::LinkUp(l) => iface(ctx, index, &l.node, &l.iface),
            Action::Sysctl(s) => {
                if let Some(entry) = index.node(ctx, &s.node) {
                    let label = s.node.value.to_string();
                    super::config::check_sysctl_key(ctx, &label, entry, &s.key.value, s.key.pos);
                }
            }
            Action::Snapshot(s) => {
                for n in &s.nodes {
                    node(ctx, index, n, ANY, "nodes");
                }
            }
        }
        // The attacker's NIC an attack is sent from.
        if let (Some(a), Some(i)) = (entry.action.attacker(), entry.action.attacker_iface()) {
            iface(ctx, index, a, i);
        }
    }
}

fn flow(ctx: &mut Ctx<'_>, id: &Located<String>) {
    let known: Vec<&str> = ctx
        .scenario
        .timeline
        .iter()
        .filter_map(|e| e.action.flow_id())
        .map(|f| f.value.as_str())
        .collect();
    if known.contains(&id.value.as_str()) {
        return;
    }
    let list = super::index::list_or_none(&known);
    ctx.report_help(
        Rule::UnknownFlow,
        id.pos,
        format!("no timeline action starts a flow with id `{}`", id.value),
        "unknown flow",
        format!("flows are started by `ssh`/`http` actions with an `id`; defined: {list}"),
    );
}

/// Expectation references and bounds.
pub(crate) fn check_expectations(ctx: &mut Ctx<'_>, index: &NodeIndex, finding_codes: Option<&[&str]>) {
    for entry in &ctx.scenario.expect {
        match &entry.expectation {
            Expectation::Reachable(r) | Expectation::Unreachable(r) => {
                node(ctx, index, &r.from, ANY, "from");
                addr(ctx, index, &r.to);
                if r.probe == Probe::Tcp && r.port.is_none() {
                    ctx.report_help(
                        Rule::MissingValue,
                        entry.pos,
                        "a `tcp` probe needs a `port`".to_owned(),
                        "no port",
                        "add `port: <n>` (http probes default to 80)",
                    );
                }
            }
            Expectation::Established(f) => flow(ctx, &f.flow),
            Expectation::ResetWithin(f) => flow(ctx, &f.flow),
            Expectation::Survives(f) => flow(ctx, &f.flow),
            Expectation::RouteGet(r) => {
                node(ctx, index, &r.node, ANY, "node");
                addr(ctx, index, &r.dst);
                for a in [&r.src, &r.expect.via, &r.expect.src].into_iter().flatten() {
                    addr(ctx, index, a);
                }
                if let Some(dev) = &r.expect.dev {
                    iface(ctx, index, &r.node, dev);
                }
            }
            Expectation::AddressPresent(a) | Expectation::AddressAbsent(a) => {
                iface(ctx, index, &a.node, &a.iface);
                addr(ctx, index, &a.address);
            }
            Expectation::DefaultRouters(d) => {
                node(ctx, index, &d.node, ANY, "node");
                for r in &d.routers {
                    addr(ctx, index, r);
                }
            }
            Expectation::Path(p) => {
                flow(ctx, &p.flow);
                for n in p.via.iter().chain(&p.avoids) {
                    node(ctx, index, n, ANY, "via/avoids");
                }
            }
            Expectation::FindingPresent(f) | Expectation::FindingAbsent(f) => {
                if let Some(n) = &f.node {
                    node(ctx, index, n, ANY, "node");
                }
                if let Some(codes) = finding_codes.filter(|codes| !codes.contains(&f.code.value.as_str())) {
                    ctx.report_help(
                        Rule::UnknownFinding,
                        f.code.pos,
                        format!("unknown finding code `{}`", f.code.value),
                        "no analyzer emits this",
                        format!("codes (docs/findings.md): {}", codes.join(", ")),
                    );
                }
            }
            Expectation::Instances(rows) => {
                for row in rows {
                    node(ctx, index, &row.instance, VM, "instance");
                }
            }
            Expectation::Capture(c) => {
                segment(ctx, index, &c.segment);
                if let Some(from) = &c.from {
                    node(ctx, index, from, ANY, "from");
                }
                bounds(ctx, &c.count, &c.min, &c.max);
            }
            Expectation::Count(c) => {
                node(ctx, index, &c.node, ANY, "node");
                if let Some(i) = &c.iface {
                    iface(ctx, index, &c.node, i);
                }
                if c.count.is_none() && c.min.is_none() && c.max.is_none() {
                    ctx.report_help(
                        Rule::MissingValue,
                        entry.pos,
                        "a `count` expectation needs `count`, `min` or `max`".to_owned(),
                        "no bound",
                        "add `max: <n>` (or `min`, or an exact `count`)",
                    );
                }
                bounds(ctx, &c.count, &c.min, &c.max);
            }
        }
    }
}

/// Count bounds (`capture`, `count`): an exact `count` excludes `min`/`max`, and `min` may not exceed `max`.
fn bounds(ctx: &mut Ctx<'_>, count: &Option<Located<u64>>, min: &Option<Located<u64>>, max: &Option<Located<u64>>) {
    if let (Some(count), Some(bound)) = (count, min.as_ref().or(max.as_ref())) {
        ctx.report(
            Rule::OutOfRange,
            bound.pos,
            format!(
                "`count: {}` is exact; it cannot be combined with `min`/`max`",
                count.value
            ),
            "drop this bound or `count`",
        );
    }
    if let (Some(min), Some(max)) = (min, max) {
        if min.value > max.value {
            ctx.report(
                Rule::OutOfRange,
                max.pos,
                format!("`max: {}` is below `min: {}`", max.value, min.value),
                "empty range",
            );
        }
    }
}

/// `bosh.vm_macs`: each entry names one NIC of an existing BOSH VM (`group/index:ethN`), once.
pub(crate) fn check_vm_macs(ctx: &mut Ctx<'_>, index: &NodeIndex) {
    let Some(bosh) = &ctx.scenario.bosh else { return };
    let mut seen: BTreeMap<String, Pos> = BTreeMap::new();
    for vm in &bosh.vm_macs {
        let shape_ok =
            matches!(&vm.nic.value, AddrRef::Node { node, iface: Some(_), select: None } if node.is_bosh_vm());
        if !shape_ok {
            ctx.report_help(
                Rule::WrongNodeKind,
                vm.nic.pos,
                format!("`{}` is not a BOSH VM NIC", vm.nic.value),
                "expected group/index:ethN",
                "write the NIC as `nginx/0:eth0`",
            );
            continue;
        }
        addr(ctx, index, &vm.nic);
        if let Some(prev) = seen.insert(vm.nic.value.to_string(), vm.nic.pos) {
            ctx.report(
                Rule::DuplicateName,
                vm.nic.pos,
                format!("NIC `{}` already has a MAC (line {})", vm.nic.value, prev.line),
                "listed twice",
            );
        }
    }
}
