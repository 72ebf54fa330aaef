//! Flows: the timeline's `ssh`, `http` and `heartbeat` clients (sim/src/app), the register that names them by id,
//! and the checks on them — `established`, `reset-within`, `survives`, `path` — read from each application's record
//! ([`AppReport`]) and, for paths, from the trace of the flow's TCP segments.

use super::resolve::{node, resolve};
use super::world::{NodeKind, World};
use super::RunError;
use crate::scenario::expect::{FlowEstablished, FlowReset, FlowSurvives, PathCheck};
use crate::scenario::timeline::{Heartbeat as ScHeartbeat, Http as ScHttp, Ssh as ScSsh};
use dualhome_sim::app::heartbeat::{Heartbeat, HeartbeatConfig};
use dualhome_sim::app::host_app::{AppReport, HostApp};
use dualhome_sim::app::http::HttpGet;
use dualhome_sim::app::ssh::{Ssh, SshConfig};
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::time::Instant;
use dualhome_sim::trace::{Actor, TraceEvent};
use dualhome_sim::transport::ConnId;
use dualhome_sim::wire::{L3View, L4View};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// One client application the run started.
#[derive(Clone, Debug)]
pub struct FlowRec {
    /// The client node.
    pub node: NodeId,
    /// Its index in the node's applications.
    pub app: usize,
    /// When it started.
    pub start: Instant,
    /// What it is (`ssh`, `http`, `heartbeat`).
    pub kind: &'static str,
}

/// Flows by id, in id order.
pub type Flows = BTreeMap<String, FlowRec>;

fn start(world: &mut World, from: NodeId, name: &str, app: Box<dyn HostApp>) -> Result<usize, RunError> {
    world
        .sim
        .with_host(from, |h, ctx| h.start_app(ctx, app))
        .ok_or_else(|| RunError::Setup(format!("`{name}` is not a host")))
}

/// `ssh`: a session typing every `keepalive` (default 15 s) for `hold` (default: until the end).
pub fn start_ssh(world: &mut World, s: &ScSsh, end: Instant, flows: &mut Flows) -> Result<(), RunError> {
    let dst = resolve(world, &s.to.value, s.family)?;
    let from = node(world, &s.from.value)?.id;
    let now = world.sim.now();
    let mut cfg = SshConfig::new(dst);
    cfg.dst.set_port(s.port.unwrap_or(22));
    cfg.interval = s.keepalive.map_or(Duration::from_secs(15), |k| k.0);
    cfg.duration = s.hold.as_ref().map_or_else(|| end - now, |h| h.value.0);
    let app = start(world, from, &s.from.value.to_string(), Box::new(Ssh::new(cfg)))?;
    flows.insert(
        s.id.value.clone(),
        FlowRec {
            node: from,
            app,
            start: now,
            kind: "ssh",
        },
    );
    Ok(())
}

/// `http`: one GET.
pub fn start_http(world: &mut World, h: &ScHttp, index: usize, flows: &mut Flows) -> Result<(), RunError> {
    let dst = resolve(world, &h.to.value, h.family)?;
    let from = node(world, &h.from.value)?.id;
    let get = HttpGet::new(
        SocketAddr::new(dst, h.port.unwrap_or(80)),
        h.path.as_deref().unwrap_or("/"),
    );
    let app = start(world, from, &h.from.value.to_string(), Box::new(get))?;
    let id =
        h.id.as_ref()
            .map_or_else(|| format!("timeline[{index}]"), |i| i.value.clone());
    flows.insert(
        id,
        FlowRec {
            node: from,
            app,
            start: world.sim.now(),
            kind: "http",
        },
    );
    Ok(())
}

/// An agent heartbeat app on a VM towards `director` (every 20 s, enough beats to reach `end`).
pub fn start_heartbeat(
    world: &mut World,
    vm: NodeId,
    name: &str,
    director: IpAddr,
    end: Instant,
) -> Result<usize, RunError> {
    let left = (end - world.sim.now()).as_secs();
    let count = u32::try_from(left / 20 + 1).unwrap_or(u32::MAX);
    start(
        world,
        vm,
        name,
        Box::new(Heartbeat::new(HeartbeatConfig::new(director, count))),
    )
}

/// A timeline `heartbeat`: one more agent beat series, named `timeline[i]`.
pub fn heartbeat_action(
    world: &mut World,
    h: &ScHeartbeat,
    index: usize,
    director: Option<IpAddr>,
    end: Instant,
    flows: &mut Flows,
) -> Result<(), RunError> {
    let director = director.ok_or_else(|| RunError::Setup("heartbeat without a BOSH director".into()))?;
    let vm = node(world, &h.from.value)?.id;
    let now = world.sim.now();
    let app = start_heartbeat(world, vm, &h.from.value.to_string(), director, end)?;
    flows.insert(
        format!("timeline[{index}]"),
        FlowRec {
            node: vm,
            app,
            start: now,
            kind: "heartbeat",
        },
    );
    Ok(())
}

/// The record of a flow.
pub fn report(world: &World, flows: &Flows, id: &str) -> Result<(FlowRec, AppReport), RunError> {
    let rec = flows
        .get(id)
        .ok_or_else(|| RunError::Unresolved(format!("flow `{id}`: not started (yet)")))?;
    let r = world
        .sim
        .host(rec.node)
        .and_then(|h| h.app_report(rec.app))
        .ok_or_else(|| RunError::Unresolved(format!("flow `{id}`: no record")))?;
    Ok((rec.clone(), r))
}

fn since(t: Option<Instant>, start: Instant) -> String {
    t.map_or_else(|| "never".to_owned(), |t| format!("{:?} after start", t - start))
}

/// What happened to a flow, in one line.
pub fn describe(rec: &FlowRec, r: &AppReport) -> String {
    let mut parts = vec![format!("established {}", since(r.established_at, rec.start))];
    if r.reset_at.is_some() {
        parts.push(format!("reset {}", since(r.reset_at, rec.start)));
    }
    if r.stalled_at.is_some() {
        parts.push(format!("stalled {}", since(r.stalled_at, rec.start)));
    }
    if r.timed_out_at.is_some() {
        parts.push(format!("timed out {}", since(r.timed_out_at, rec.start)));
    }
    if let Some(e) = &r.error {
        parts.push(format!("error {e:?}"));
    }
    if let Some(s) = r.status {
        parts.push(format!("HTTP {s}"));
    }
    parts.join(", ")
}

/// `established`.
pub fn established(world: &World, flows: &Flows, e: &FlowEstablished) -> Result<(bool, String, String), RunError> {
    let (rec, r) = report(world, flows, &e.flow.value)?;
    Ok((r.established_at.is_some(), "established".into(), describe(&rec, &r)))
}

/// `reset-within`: a RST (ECONNRESET/ECONNREFUSED) reached the client no later than `within` after the start.
pub fn reset_within(world: &World, flows: &Flows, e: &FlowReset) -> Result<(bool, String, String), RunError> {
    let (rec, r) = report(world, flows, &e.flow.value)?;
    let passed = r.reset_at.is_some_and(|t| t - rec.start <= e.within.value.0);
    Ok((passed, format!("reset within {}", e.within.value), describe(&rec, &r)))
}

/// `survives`: established, and no reset, stall or timeout before `for` after the start.
pub fn survives(world: &World, flows: &Flows, e: &FlowSurvives) -> Result<(bool, String, String), RunError> {
    let (rec, r) = report(world, flows, &e.flow.value)?;
    let window_end = rec.start + e.for_.value.0;
    let broke = [r.reset_at, r.stalled_at, r.timed_out_at]
        .into_iter()
        .flatten()
        .any(|t| t <= window_end);
    let passed = r.established_at.is_some() && !broke;
    Ok((passed, format!("open for {}", e.for_.value), describe(&rec, &r)))
}

/// The TCP connection of a flow.
fn conn_of(world: &World, rec: &FlowRec) -> Option<ConnId> {
    let host = world.sim.host(rec.node)?;
    match rec.kind {
        "ssh" => host.app::<Ssh>(rec.app)?.conn,
        "http" => host.app::<HttpGet>(rec.app)?.conn,
        _ => None,
    }
}

/// One captured frame of a flow's TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowFrame {
    /// The segment carries RST.
    pub rst: bool,
    /// Its destination MAC: a node that received the frame took it in only if this is its interface's MAC (a
    /// switch floods a unicast frame to every port until it has learnt the destination).
    pub dst: [u8; 6],
}

/// Did `node` take in, on `ifindex`, a unicast frame sent to `dst` (the NIC's MAC filter), rather than merely
/// receive a copy flooded by the switch?
pub fn accepted(world: &World, node: NodeId, ifindex: IfIndex, dst: [u8; 6]) -> bool {
    world
        .nodes
        .get(world.name_of(node))
        .and_then(|e| e.iface_by_index(ifindex))
        .is_some_and(|i| i.mac == dst)
}

/// The captured frames of a flow's TCP connection (both directions) by trace id, and the server node.
pub fn flow_frames(world: &World, rec: &FlowRec) -> Option<(BTreeMap<u64, FlowFrame>, Option<NodeId>)> {
    let host = world.sim.host(rec.node)?;
    let conn = host.transport.conns.get(conn_of(world, rec)?.0 as usize)?;
    let (a, b) = (conn.tcb.local, conn.tcb.remote);
    let ours = |s: IpAddr, sp: u16, d: IpAddr, dp: u16| {
        let (x, y) = (SocketAddr::new(s, sp), SocketAddr::new(d, dp));
        (x == a && y == b) || (x == b && y == a)
    };
    let mut frames = BTreeMap::new();
    for (_, seg) in &world.segments {
        for c in world.sim.captured(*seg) {
            let Ok(v) = c.frame.view() else { continue };
            let tcp = match v.l3 {
                L3View::Ipv6(p) => Some((IpAddr::V6(p.repr.src), IpAddr::V6(p.repr.dst), p.l4)),
                L3View::Ipv4(p) => Some((IpAddr::V4(p.repr.src), IpAddr::V4(p.repr.dst), p.l4)),
                _ => None,
            };
            if let Some((
                s,
                d,
                L4View::Tcp {
                    src_port,
                    dst_port,
                    flags,
                },
            )) = tcp
            {
                if ours(s, src_port, d, dst_port) {
                    let frame = FlowFrame {
                        rst: flags.0 & 0x04 != 0,
                        dst: v.dst.0,
                    };
                    frames.insert(c.id, frame);
                }
            }
        }
    }
    let server = world.nodes.values().find_map(|e| {
        let h = world.sim.host(e.id)?;
        h.tables.addrs.find_local(b.ip()).map(|_| e.id)
    });
    Some((frames, server))
}

/// The nodes that took in a flow's segments, in order of first appearance (both directions). A copy flooded to a
/// node whose MAC it does not carry is not a crossing: only what the node's NIC accepted counts.
pub fn crossed(world: &World, rec: &FlowRec) -> Option<Vec<String>> {
    let (frames, _) = flow_frames(world, rec)?;
    let mut out: Vec<String> = vec![world.name_of(rec.node).to_owned()];
    for r in world.sim.trace().records() {
        if let (Actor::Node(n), TraceEvent::FrameReceived { frame, ifindex }) = (&r.actor, &r.event) {
            let Some(f) = frames.get(frame) else { continue };
            let name = world.name_of(*n);
            if accepted(world, *n, *ifindex, f.dst) && !out.iter().any(|o| o == name) {
                out.push(name.to_owned());
            }
        }
    }
    Some(out)
}

/// `path`: the nodes in `via` were crossed in that order, none of `avoids`, and attackers as asked.
pub fn path(world: &World, flows: &Flows, p: &PathCheck) -> Result<(bool, String, String), RunError> {
    let (rec, _) = report(world, flows, &p.flow.value)?;
    let nodes = crossed(world, &rec)
        .ok_or_else(|| RunError::Unresolved(format!("flow `{}`: no TCP connection to follow", p.flow.value)))?;
    let mut it = nodes.iter();
    let in_order = p.via.iter().all(|v| {
        let want = v.value.to_string();
        it.any(|n| *n == want)
    });
    let avoided = p.avoids.iter().all(|a| !nodes.contains(&a.value.to_string()));
    let attacker = nodes
        .iter()
        .any(|n| world.nodes.get(n).is_some_and(|e| e.kind == NodeKind::Attacker));
    let attacker_ok = p.crossed_attacker.is_none_or(|want| want == attacker);
    let mut expected = Vec::new();
    if !p.via.is_empty() {
        let v: Vec<String> = p.via.iter().map(|v| v.value.to_string()).collect();
        expected.push(format!("via {}", v.join(" → ")));
    }
    if !p.avoids.is_empty() {
        let v: Vec<String> = p.avoids.iter().map(|v| v.value.to_string()).collect();
        expected.push(format!("avoiding {}", v.join(", ")));
    }
    if let Some(c) = p.crossed_attacker {
        expected.push(
            if c {
                "crossing an attacker"
            } else {
                "crossing no attacker"
            }
            .to_owned(),
        );
    }
    Ok((
        in_order && avoided && attacker_ok,
        expected.join(", "),
        format!("crossed {}", nodes.join(" → ")),
    ))
}
