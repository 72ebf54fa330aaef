//! Expectations evaluated against the running simulation. A check either decides at once (tables, findings,
//! captures, the instances table) or starts a probe (a ping) whose answer is read `within` later.
//!
//! Probes: `ping` (ICMP echo), `tcp` (the handshake completes), `http` (a `200` arrives). Flow expectations read
//! the timeline's client applications ([`flows`]).

use super::deploy::DeployedVm;
use super::flows::{self, Flows};
use super::judge;
use super::resolve::{node, resolve};
use super::world::World;
use super::RunError;
use crate::findings;
use crate::scenario::expect::{
    AddrFlag, AddressCheck, CaptureCount, Countable, DefaultRouters, Expectation, FindingCheck, FrameKind, InstanceRow,
    InstanceState, Probe, Reach, RouteGet, TableCount,
};
use crate::scenario::timeline::Family;
use dualhome_reports::Finding;
use dualhome_sim::app::host_app::HostApp;
use dualhome_sim::app::http::HttpGet;
use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::app::ssh::{Ssh, SshConfig};
use dualhome_sim::host::addr::{Addr, AddrFlags};
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::neigh::NudState;
use dualhome_sim::host::render::{ip_route_get, ip_route_get_error};
use dualhome_sim::host::route::RouteFlags;
use dualhome_sim::id::NodeId;
use dualhome_sim::time::Instant;
use dualhome_sim::trace::{Actor, TraceEvent};
use dualhome_sim::wire::{L3View, L4View};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// What the run knows besides the simulation.
pub struct RunFacts<'a> {
    /// Deployed VMs.
    pub vms: &'a [DeployedVm],
    /// The director's address.
    pub director: Option<IpAddr>,
    /// Findings from the configuration analyzers.
    pub config_findings: &'a [Finding],
    /// Flows started by the timeline.
    pub flows: &'a Flows,
}

/// What a probe is waiting on.
#[derive(Clone, Copy, Debug)]
pub enum ProbeKind {
    /// A ping run (index in the node's pings).
    Ping(usize),
    /// A TCP connection (index in the node's apps): success is the handshake.
    Tcp(usize),
    /// An HTTP GET (index in the node's apps): success is a `200`.
    Http(usize),
}

/// The result of starting a check.
pub enum Eval {
    /// Decided now.
    Done {
        /// Whether it held.
        passed: bool,
        /// What was expected.
        expected: String,
        /// What was seen.
        observed: String,
    },
    /// A probe is under way; read it at `finish`.
    Probe {
        /// The sending node.
        node: NodeId,
        /// What to read.
        probe: ProbeKind,
        /// When to read the answer.
        finish: Instant,
        /// `reachable` (true) or `unreachable` (false).
        want_reply: bool,
        /// What was expected.
        expected: String,
    },
}

fn done(passed: bool, expected: impl Into<String>, observed: impl Into<String>) -> Eval {
    Eval::Done {
        passed,
        expected: expected.into(),
        observed: observed.into(),
    }
}

fn judged((passed, expected, observed): judge::Judged) -> Eval {
    done(passed, expected, observed)
}

fn decided(r: Result<judge::Judged, RunError>) -> Result<Eval, RunError> {
    r.map(judged)
}

/// Starts (or decides) one expectation at the current simulated time.
pub fn begin(world: &mut World, facts: &RunFacts<'_>, e: &Expectation) -> Result<Eval, RunError> {
    match e {
        Expectation::Reachable(r) => probe(world, r, true),
        Expectation::Unreachable(r) => probe(world, r, false),
        Expectation::Established(e) => decided(flows::established(world, facts.flows, e)),
        Expectation::ResetWithin(e) => decided(flows::reset_within(world, facts.flows, e)),
        Expectation::Survives(e) => decided(flows::survives(world, facts.flows, e)),
        Expectation::Path(p) => decided(flows::path(world, facts.flows, p)),
        Expectation::RouteGet(r) => route_get(world, r),
        Expectation::AddressPresent(a) => address(world, a, true),
        Expectation::AddressAbsent(a) => address(world, a, false),
        Expectation::DefaultRouters(d) => default_routers(world, d),
        Expectation::FindingPresent(f) => finding(world, facts, f, true),
        Expectation::FindingAbsent(f) => finding(world, facts, f, false),
        Expectation::Instances(rows) => instances(world, facts, rows),
        Expectation::Capture(c) => capture(world, c),
        Expectation::Count(c) => count(world, c),
    }
}

/// Reads a probe's answer.
pub fn finish(world: &World, node: NodeId, probe: ProbeKind, want_reply: bool) -> (bool, String) {
    let app = match probe {
        ProbeKind::Ping(i) => return finish_ping(world, node, i, want_reply),
        ProbeKind::Tcp(i) | ProbeKind::Http(i) => world.sim.host(node).and_then(|h| h.app_report(i)),
    };
    let Some(r) = app else {
        return (false, "the probe vanished".into());
    };
    let ok = match probe {
        ProbeKind::Http(_) => r.status == Some(200),
        _ => r.established_at.is_some(),
    };
    let observed = match (r.status, r.established_at, &r.error) {
        (Some(s), _, _) => format!("HTTP {s}"),
        (None, Some(_), _) => "connection established".to_owned(),
        (None, None, Some(e)) => format!("connection failed: {e:?}"),
        (None, None, None) => "no answer".to_owned(),
    };
    (ok == want_reply, observed)
}

fn finish_ping(world: &World, node: NodeId, ping: usize, want_reply: bool) -> (bool, String) {
    let Some(p) = world.sim.host(node).and_then(|h| h.pings.get(ping)) else {
        return (false, "the probe vanished".into());
    };
    let r = &p.report;
    let observed = if r.received > 0 {
        let from: Vec<String> = r.responders.iter().map(ToString::to_string).collect();
        format!("reply from {}", from.join(", "))
    } else {
        format!("no reply ({} sent, {} errors)", r.transmitted, r.errors)
    };
    ((r.received > 0) == want_reply, observed)
}

fn probe(world: &mut World, r: &Reach, want_reply: bool) -> Result<Eval, RunError> {
    let dst = resolve(world, &r.to.value, r.family)?;
    let from = node(world, &r.from.value)?.id;
    let within = r.within.map_or(Duration::from_secs(5), |w| w.0);
    let not_host = || RunError::Setup(format!("`{}` is not a host", r.from.value));
    let (probe, what) = match r.probe {
        Probe::Ping => {
            let mut cfg = PingConfig::new(dst, 1);
            cfg.timeout = within;
            let i = world
                .sim
                .with_host(from, |h, ctx| h.start_ping(ctx, cfg))
                .ok_or_else(not_host)?;
            (ProbeKind::Ping(i), format!("echo reply from {dst}"))
        }
        Probe::Tcp => {
            let port = r
                .port
                .ok_or_else(|| RunError::Setup("a tcp probe needs a port".into()))?;
            let mut cfg = SshConfig::new(dst);
            cfg.dst.set_port(port);
            cfg.duration = within;
            let app: Box<dyn HostApp> = Box::new(Ssh::new(cfg));
            let i = world
                .sim
                .with_host(from, |h, ctx| h.start_app(ctx, app))
                .ok_or_else(not_host)?;
            (
                ProbeKind::Tcp(i),
                format!("TCP handshake with {}", SocketAddr::new(dst, port)),
            )
        }
        Probe::Http => {
            let to = SocketAddr::new(dst, r.port.unwrap_or(80));
            let app: Box<dyn HostApp> = Box::new(HttpGet::new(to, "/"));
            let i = world
                .sim
                .with_host(from, |h, ctx| h.start_app(ctx, app))
                .ok_or_else(not_host)?;
            (ProbeKind::Http(i), format!("HTTP 200 from {to}"))
        }
    };
    Ok(Eval::Probe {
        node: from,
        probe,
        finish: world.sim.now() + within,
        want_reply,
        expected: judge::probe_expected(want_reply, within, &what),
    })
}

fn route_get(world: &World, r: &RouteGet) -> Result<Eval, RunError> {
    let entry = node(world, &r.node.value)?;
    let host = world
        .sim
        .host(entry.id)
        .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", r.node.value)))?;
    let dst = resolve(world, &r.dst.value, None)?;
    let mut q = RouteQuery::to(dst);
    if let Some(src) = &r.src {
        q = q.from(resolve(world, &src.value, None)?);
    }
    let answer = host.route_get(&q);
    let want = &r.expect;
    let via = want.via.as_ref().map(|v| resolve(world, &v.value, None)).transpose()?;
    let src = want.src.as_ref().map(|s| resolve(world, &s.value, None)).transpose()?;
    let expected = judge::route_get_expected(dst, want, via, src);
    Ok(match answer {
        Err(e) => done(want.unreachable, expected, ip_route_get_error(&e).trim_end().to_owned()),
        Ok(d) => {
            let t = &host.tables;
            let dev = Some(t.ifaces.name(d.dev));
            let passed = judge::route_get_passed(want, via, src, dev, d.gateway, d.src);
            let text = ip_route_get(t, &d);
            let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            done(passed, expected, lines.join(" "))
        }
    })
}

fn flag_bit(f: AddrFlag) -> (u32, bool) {
    match f {
        AddrFlag::Dynamic => (AddrFlags::PERMANENT, false),
        AddrFlag::Permanent => (AddrFlags::PERMANENT, true),
        AddrFlag::Tentative => (AddrFlags::TENTATIVE, true),
        AddrFlag::Dadfailed => (AddrFlags::DADFAILED, true),
        AddrFlag::Deprecated => (AddrFlags::DEPRECATED, true),
        AddrFlag::Nodad => (AddrFlags::NODAD, true),
        AddrFlag::Mngtmpaddr => (AddrFlags::MNGTMPADDR, true),
    }
}

/// The flags as `ip addr` names them (`permanent`/`dynamic` first).
fn flag_names(flags: AddrFlags) -> String {
    let mut out = vec![if flags.has(AddrFlags::PERMANENT) {
        "permanent"
    } else {
        "dynamic"
    }];
    for (bit, name) in [
        (AddrFlags::TENTATIVE, "tentative"),
        (AddrFlags::DADFAILED, "dadfailed"),
        (AddrFlags::DEPRECATED, "deprecated"),
        (AddrFlags::NODAD, "nodad"),
        (AddrFlags::MNGTMPADDR, "mngtmpaddr"),
    ] {
        if flags.has(bit) {
            out.push(name);
        }
    }
    out.join(" ")
}

fn address(world: &World, a: &AddressCheck, present: bool) -> Result<Eval, RunError> {
    let entry = node(world, &a.node.value)?;
    let iface = entry
        .iface(&a.iface.value)
        .ok_or_else(|| RunError::Unresolved(format!("`{}` has no interface `{}`", a.node.value, a.iface.value)))?;
    let host = world
        .sim
        .host(entry.id)
        .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", a.node.value)))?;
    let ip = match resolve(world, &a.address.value, None) {
        Ok(ip) => ip,
        // An address that cannot be formed (no SLAAC prefix yet) is absent.
        Err(RunError::Unresolved(why)) if !present => {
            return Ok(judged(judge::address_unformed(a, why)));
        }
        Err(e) => return Err(e),
    };
    let rows: Vec<&Addr> = host.tables.addrs.on(iface.ifindex, ip.is_ipv6()).collect();
    Ok(judged(judge::address(a, ip, present, &rows)))
}

impl judge::AddrRow for &Addr {
    fn net(&self) -> Option<(IpAddr, u8)> {
        Some((self.addr, self.prefix_len))
    }
    fn shown(&self) -> String {
        format!("{}/{} {}", self.addr, self.prefix_len, flag_names(self.flags))
    }
    fn holds(&self, f: AddrFlag) -> bool {
        let (bit, set) = flag_bit(f);
        self.flags.has(bit) == set
    }
}

fn default_routers(world: &World, d: &DefaultRouters) -> Result<Eval, RunError> {
    let entry = node(world, &d.node.value)?;
    let host = world
        .sim
        .host(entry.id)
        .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", d.node.value)))?;
    let v6 = d.family != Some(Family::Ipv4);
    let fib = if v6 { &host.tables.fib6 } else { &host.tables.fib4 };
    // In `ip -6 route show default` order (the struct's contract; the kernel picks among them by metric, then
    // RFC 4191 preference and reachability, route.c:rt6_select).
    let seen: Vec<String> = fib
        .dump(Some(254))
        .into_iter()
        .filter(|r| r.dst.prefix_len() == 0)
        .map(|r| {
            r.gateway
                .map_or_else(|| format!("dev {}", host.tables.ifaces.name(r.dev)), |g| g.to_string())
        })
        .collect();
    let want: Vec<String> = d
        .routers
        .iter()
        .map(|r| resolve(world, &r.value, Some(if v6 { Family::Ipv6 } else { Family::Ipv4 })).map(|ip| ip.to_string()))
        .collect::<Result<_, _>>()?;
    Ok(judged(judge::default_routers(&want, &seen)))
}

fn finding(world: &World, facts: &RunFacts<'_>, f: &FindingCheck, present: bool) -> Result<Eval, RunError> {
    let info = findings::info(&f.code.value)
        .ok_or_else(|| RunError::Setup(format!("unknown finding code `{}` (docs/findings.md)", f.code.value)))?;
    let mut all: Vec<Finding> = facts.config_findings.to_vec();
    all.extend(findings::state::analyze(world, facts.vms, facts.director));
    all.extend(findings::state::flow_findings(world, facts.flows));
    let node = f.node.as_ref().map(|n| n.value.to_string());
    let matching: Vec<&Finding> = all
        .iter()
        .filter(|x| x.code == info.code && node.as_ref().is_none_or(|n| x.location.node.as_ref() == Some(n)))
        .collect();
    let about = node.map_or_else(String::new, |n| format!(" about {n}"));
    let observed = match matching.first() {
        Some(x) => format!("{} reported: {}", info.code, x.message),
        None => format!("no {}{about}", info.code),
    };
    let expected = if present {
        format!("{}{about}", info.code)
    } else {
        format!("no {}{about}", info.code)
    };
    Ok(done(matching.is_empty() != present, expected, observed))
}

fn instances(world: &World, facts: &RunFacts<'_>, rows: &[InstanceRow]) -> Result<Eval, RunError> {
    Ok(judged(judge::instances(rows, |name| {
        let vm = facts.vms.iter().find(|v| v.name == name)?;
        Some((agent_state(world, vm), vm.director_ips.as_slice()))
    })))
}

/// `running` once the agent's heartbeat was answered; `unresponsive-agent` otherwise.
pub fn agent_state(world: &World, vm: &DeployedVm) -> InstanceState {
    let answered = world
        .nodes
        .get(&vm.name)
        .and_then(|e| world.sim.host(e.id))
        .zip(vm.agent_app)
        .and_then(|(h, i)| h.app_report(i))
        .is_some_and(|r| r.successes > 0);
    if answered {
        InstanceState::Running
    } else {
        InstanceState::UnresponsiveAgent
    }
}

/// Whether a captured frame is of `kind` (ICMPv6 types from RFC 4861 §4).
pub fn frame_is(kind: FrameKind, l3: &L3View) -> bool {
    let icmp6 =
        |t: u8| matches!(l3, L3View::Ipv6(v) if matches!(v.l4, L4View::Icmpv6 { msg_type, .. } if msg_type == t));
    match kind {
        FrameKind::Any => true,
        FrameKind::Arp => matches!(l3, L3View::Arp(_)),
        FrameKind::Rs => icmp6(133),
        FrameKind::Ra => icmp6(134),
        FrameKind::Ns => icmp6(135),
        FrameKind::Na => icmp6(136),
        FrameKind::Redirect => icmp6(137),
        FrameKind::Icmpv6 => matches!(l3, L3View::Ipv6(v) if matches!(v.l4, L4View::Icmpv6 { .. })),
        FrameKind::TcpRst => {
            let l4 = match l3 {
                L3View::Ipv6(v) => v.l4,
                L3View::Ipv4(v) => v.l4,
                _ => return false,
            };
            matches!(l4, L4View::Tcp { flags, .. } if flags.0 & 0x04 != 0)
        }
    }
}

fn capture(world: &World, c: &CaptureCount) -> Result<Eval, RunError> {
    let seg = world.segment(&c.segment.value)?;
    // "Sent by this node" is read from the trace, not from source MACs: attackers spoof them (kill-router,
    // redirect) or draw random ones (ra-flood).
    let sent: Option<std::collections::BTreeSet<u64>> = match &c.from {
        None => None,
        Some(f) => {
            let id = node(world, &f.value)?.id;
            Some(
                world
                    .sim
                    .trace()
                    .records()
                    .iter()
                    .filter_map(|r| match (&r.actor, &r.event) {
                        (Actor::Node(n), TraceEvent::FrameSent { frame, .. }) if *n == id => Some(*frame),
                        _ => None,
                    })
                    .collect(),
            )
        }
    };
    let n = world
        .sim
        .captured(seg)
        .iter()
        .filter(|f| sent.as_ref().is_none_or(|s| s.contains(&f.id)))
        .filter_map(|f| f.frame.view().ok())
        .filter(|v| frame_is(c.kind, &v.l3))
        .count() as u64;
    let (passed, bounds) = judge::bounds(n, c.count.as_ref(), c.min.as_ref(), c.max.as_ref());
    let what = format!("{:?} frames on {}", c.kind, c.segment.value).to_lowercase();
    Ok(done(passed, format!("{bounds} {what}"), format!("{n} {what}")))
}

/// `count`: the entries `ip addr` / `ip route show` / `ip route show default` / `ip neigh` would list on the node,
/// restricted to `iface` and `family`, read from the same tables those renderers read.
fn count(world: &World, c: &TableCount) -> Result<Eval, RunError> {
    let entry = node(world, &c.node.value)?;
    let host = world
        .sim
        .host(entry.id)
        .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", c.node.value)))?;
    let ifindex = match &c.iface {
        None => None,
        Some(i) => Some(
            entry
                .iface(&i.value)
                .ok_or_else(|| RunError::Unresolved(format!("`{}` has no interface `{}`", c.node.value, i.value)))?
                .ifindex,
        ),
    };
    let t = &host.tables;
    let on = |dev| ifindex.is_none_or(|i| i == dev);
    let v6_wanted = |v6: bool| c.family.is_none_or(|f| (f == Family::Ipv6) == v6);
    let fibs = [(false, &t.fib4), (true, &t.fib6)];
    let routes = || {
        fibs.into_iter()
            .filter(|(v6, _)| v6_wanted(*v6))
            .flat_map(|(_, fib)| fib.dump(Some(254)))
            .filter(|r| !r.flags.has(RouteFlags::CACHE) && on(r.dev))
    };
    let entries: Vec<String> = match c.what {
        Countable::Addresses => t
            .addrs
            .iter()
            .filter(|a| v6_wanted(a.is_v6()) && on(a.ifindex))
            .map(|a| format!("{}/{}", a.addr, a.prefix_len))
            .collect(),
        Countable::Routes => routes()
            .map(|r| match r.gateway {
                Some(g) => format!("{} via {g}", r.dst),
                None => format!("{} dev {}", r.dst, t.ifaces.name(r.dev)),
            })
            .collect(),
        Countable::DefaultRouters => routes()
            .filter(|r| r.dst.prefix_len() == 0)
            .map(|r| {
                r.gateway
                    .map_or_else(|| format!("dev {}", t.ifaces.name(r.dev)), |g| g.to_string())
            })
            .collect(),
        Countable::Neighbours => host
            .neigh
            .iter()
            .filter(|n| v6_wanted(n.ip.is_ipv6()) && on(n.ifindex))
            .filter(|n| !matches!(n.state, NudState::Noarp | NudState::None))
            .map(|n| format!("{} {}", n.ip, n.state.name()))
            .collect(),
    };
    Ok(judged(judge::count(c, &entries)))
}
