//! `dualhome run --backend kernel`: a scenario's expectations judged on the real kernel. The timeline runs in
//! the namespaces as for a comparison ([`super::runner`]); at each expectation's time (after that instant's
//! actions, the order `run::execute` uses) the kernel is asked directly: `ip -json addr`, `ip -json route show
//! default`, `ip -json route get`, `ip -json neigh` (`count`), an ICMP echo from the node's namespace, a real
//! `connect()`.
//!
//! `instances` reads the agents' connections to the director's namespace (super::bosh: `running` once the
//! handshake completed, the director's IPs from the same IPAM plan).
//!
//! What the kernel cannot answer is skipped with the reason, never passed: findings and `path` need the
//! simulator's analyzers and packet trace, `capture` its per-segment capture, `reset-within`/`survives` a flow's
//! life after the handshake (kernel flows record only how far the handshake got, super::flows), and `http`
//! probes a server application (kernel-side listeners accept connections and run none).

use super::observe::{addrs, json};
use super::runner::{advance, KernelNet};
use super::snapshot::AddrEntry;
use super::KernelError;
use crate::run::judge;
use crate::run::resolve::{configured, is_link_local};
use crate::scenario::expect::{
    AddrFlag, AddressCheck, Countable, DefaultRouters, Expectation, InstanceRow, InstanceState, Probe, Reach, RouteGet,
    TableCount,
};
use crate::scenario::reference::{AddrRef, AddrSelect};
use crate::scenario::timeline::Family;
use crate::scenario::Scenario;
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The kernel's verdict on one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelVerdict {
    /// It held on the kernel.
    Passed,
    /// It did not.
    Failed,
    /// The kernel backend cannot judge it; the reason.
    Skipped(String),
}

/// One expectation judged on the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelCheck {
    /// Index in the scenario's `expect` list.
    pub index: usize,
    /// The verdict.
    pub verdict: KernelVerdict,
    /// What was expected.
    pub expected: String,
    /// What the kernel showed (`None` when skipped).
    pub observed: Option<String>,
}

/// Why an expectation kind can only be judged by the simulator, or `None` when the kernel can answer it.
pub fn simulator_only(e: &Expectation) -> Option<&'static str> {
    match e {
        Expectation::AddressPresent(_)
        | Expectation::AddressAbsent(_)
        | Expectation::DefaultRouters(_)
        | Expectation::RouteGet(_)
        | Expectation::Count(_)
        | Expectation::Instances(_)
        | Expectation::Established(_) => None,
        Expectation::Reachable(r) | Expectation::Unreachable(r) => match r.probe {
            Probe::Ping | Probe::Tcp => None,
            Probe::Http => Some("an http probe needs a server application; kernel-side listeners run none"),
        },
        Expectation::ResetWithin(_) | Expectation::Survives(_) => {
            Some("kernel flows record only the handshake's outcome, not resets or stalls after it")
        }
        Expectation::Path(_) => Some("a flow's path is read from the simulator's packet trace"),
        Expectation::FindingPresent(_) | Expectation::FindingAbsent(_) => {
            Some("findings come from the simulator's analyzers")
        }
        Expectation::Capture(_) => Some("frame counts come from the simulator's per-segment capture"),
        #[allow(unreachable_patterns)]
        _ => Some("only the simulator evaluates this kind"),
    }
}

/// A probe under way.
enum Pending {
    Ping {
        ident: u16,
        want_reply: bool,
        expected: String,
    },
    Tcp {
        flow: usize,
        want_reply: bool,
        expected: String,
    },
}

fn ns_of(net: &KernelNet, node: &str) -> Result<String, KernelError> {
    net.nodes
        .get(node)
        .cloned()
        .ok_or_else(|| KernelError::Setup(format!("`{node}` has no namespace (attackers are not observed)")))
}

/// Resolves `r` against the kernel: configured addresses as the scenario and the IPAM plan give them (the same
/// on both backends), link-local and SLAAC addresses read from the namespace now (run/resolve.rs does the same
/// on the simulator's tables). Attackers have no namespace state to read: the simulator's view is used.
pub fn resolve(net: &KernelNet, r: &AddrRef, family: Option<Family>) -> Result<IpAddr, KernelError> {
    let unresolved = |why: &str| KernelError::Setup(format!("cannot resolve `{r}`: {why}"));
    let (name, iface, select) = match r {
        AddrRef::Literal(ip) => return Ok(*ip),
        AddrRef::Node { node, iface, select } => (node.to_string(), iface, select),
    };
    let Some(ns) = net.nodes.get(&name).filter(|_| !net.attackers.contains(&name)) else {
        return crate::run::resolve::resolve(&net.names, r, family).map_err(|e| unresolved(&e.to_string()));
    };
    let entry = net.names.node(&name).map_err(|e| unresolved(&e.to_string()))?;
    let ifaces: Vec<_> = match iface {
        Some(i) => vec![entry.iface(i).ok_or_else(|| unresolved("no such interface"))?],
        None => entry.ifaces.iter().collect(),
    };
    let live = match select {
        Some(AddrSelect::LinkLocal | AddrSelect::Slaac) => addrs(ns)?,
        _ => Vec::new(),
    };
    for i in ifaces {
        let on_dev = || {
            live.iter()
                .filter(|a| a.dev == i.name)
                .filter_map(|a| Some((a.cidr.split('/').next()?.parse::<IpAddr>().ok()?, &a.flags)))
        };
        let found = match select {
            None | Some(AddrSelect::V4 | AddrSelect::V6) => configured(i, *select, family),
            Some(AddrSelect::LinkLocal) => on_dev().map(|(a, _)| a).find(|a| is_link_local(*a)),
            Some(AddrSelect::Slaac) => on_dev()
                .find(|(a, f)| a.is_ipv6() && !is_link_local(*a) && f.iter().any(|x| x == "dynamic"))
                .map(|(a, _)| a),
        };
        if let Some(ip) = found {
            return Ok(ip);
        }
    }
    Err(unresolved(match select {
        Some(AddrSelect::Slaac) => "no SLAAC address on the kernel",
        Some(AddrSelect::LinkLocal) => "no link-local address on the kernel",
        _ => "no configured address of that family",
    }))
}

fn judged(index: usize, (passed, expected, observed): judge::Judged) -> KernelCheck {
    decided(index, passed, expected, observed)
}

fn decided(index: usize, passed: bool, expected: String, observed: String) -> KernelCheck {
    KernelCheck {
        index,
        verdict: if passed {
            KernelVerdict::Passed
        } else {
            KernelVerdict::Failed
        },
        expected,
        observed: Some(observed),
    }
}

/// `ip addr` flag names of an expectation flag: (name, whether it must be shown). `permanent` is the absence of
/// `dynamic` (iproute2 prints one or the other for IPv6, and `dynamic` only with a finite lifetime for IPv4).
fn flag_rule(f: AddrFlag) -> (&'static str, bool) {
    match f {
        AddrFlag::Dynamic => ("dynamic", true),
        AddrFlag::Permanent => ("dynamic", false),
        AddrFlag::Tentative => ("tentative", true),
        AddrFlag::Dadfailed => ("dadfailed", true),
        AddrFlag::Deprecated => ("deprecated", true),
        AddrFlag::Nodad => ("nodad", true),
        AddrFlag::Mngtmpaddr => ("mngtmpaddr", true),
    }
}

fn address(net: &KernelNet, index: usize, a: &AddressCheck, present: bool) -> Result<KernelCheck, KernelError> {
    let ns = ns_of(net, &a.node.value.to_string())?;
    let ip = match resolve(net, &a.address.value, None) {
        Ok(ip) => ip,
        // An address that cannot be formed (no SLAAC prefix) is absent, as on the simulator.
        Err(e) if !present => return Ok(judged(index, judge::address_unformed(a, e.to_string()))),
        Err(e) => return Err(e),
    };
    let on_dev: Vec<_> = addrs(&ns)?
        .into_iter()
        .filter(|x| {
            x.dev == a.iface.value
                && x.cidr
                    .parse::<ipnet::IpNet>()
                    .is_ok_and(|n| n.addr().is_ipv6() == ip.is_ipv6())
        })
        .collect();
    Ok(judged(index, judge::address(a, ip, present, &on_dev)))
}

/// An `ip -json addr` row; flags by [`flag_rule`].
impl judge::AddrRow for AddrEntry {
    fn net(&self) -> Option<(IpAddr, u8)> {
        self.cidr
            .parse::<ipnet::IpNet>()
            .ok()
            .map(|n| (n.addr(), n.prefix_len()))
    }
    fn shown(&self) -> String {
        format!("{} {}", self.cidr, self.flags.join(" ")).trim_end().to_owned()
    }
    fn holds(&self, f: AddrFlag) -> bool {
        let (name, shown) = flag_rule(f);
        self.flags.iter().any(|g| g == name) == shown
    }
}

fn default_routers(net: &KernelNet, index: usize, d: &DefaultRouters) -> Result<KernelCheck, KernelError> {
    let ns = ns_of(net, &d.node.value.to_string())?;
    let v6 = d.family != Some(Family::Ipv4);
    // `ip -6 route show default`: the main table, in the kernel's dump order (checks.rs reads the same order).
    let list = json(&ns, &[if v6 { "-6" } else { "-4" }, "route", "show", "default"])?;
    let seen: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
            s("gateway").unwrap_or_else(|| format!("dev {}", s("dev").unwrap_or_default()))
        })
        .collect();
    let fam = Some(if v6 { Family::Ipv6 } else { Family::Ipv4 });
    let want: Vec<String> = d
        .routers
        .iter()
        .map(|r| resolve(net, &r.value, fam).map(|ip| ip.to_string()))
        .collect::<Result<_, _>>()?;
    Ok(judged(index, judge::default_routers(&want, &seen)))
}

fn route_get(net: &KernelNet, index: usize, r: &RouteGet) -> Result<KernelCheck, KernelError> {
    let ns = ns_of(net, &r.node.value.to_string())?;
    let dst = resolve(net, &r.dst.value, None)?;
    let dst_text = dst.to_string();
    let src = r
        .src
        .as_ref()
        .map(|s| resolve(net, &s.value, None))
        .transpose()?
        .map(|s| s.to_string());
    let want = &r.expect;
    let via = want.via.as_ref().map(|v| resolve(net, &v.value, None)).transpose()?;
    let want_src = want.src.as_ref().map(|s| resolve(net, &s.value, None)).transpose()?;
    let expected = judge::route_get_expected(dst, want, via, want_src);
    let mut args = vec!["route", "get", dst_text.as_str()];
    if let Some(s) = &src {
        args.extend(["from", s.as_str()]);
    }
    let answer = match json(&ns, &args) {
        Ok(v) => v,
        Err(KernelError::Command { detail, .. }) => return Ok(decided(index, want.unreachable, expected, detail)),
        Err(e) => return Err(e),
    };
    let first = answer
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let field = |k: &str| first.get(k).and_then(Value::as_str).map(str::to_owned);
    let (dev, gw, prefsrc) = (field("dev"), field("gateway"), field("prefsrc"));
    let parsed = |s: &Option<String>| s.as_deref().and_then(|x| x.parse::<IpAddr>().ok());
    let passed = judge::route_get_passed(want, via, want_src, dev.as_deref(), parsed(&gw), parsed(&prefsrc));
    let mut observed = dst_text;
    if let Some(g) = gw {
        observed.push_str(&format!(" via {g}"));
    }
    if let Some(d) = dev {
        observed.push_str(&format!(" dev {d}"));
    }
    if let Some(s) = prefsrc {
        observed.push_str(&format!(" src {s}"));
    }
    Ok(decided(index, passed, expected, observed))
}

/// `bosh instances` as the kernel side shows it, worded as run/checks.rs `instances`.
fn instances(net: &KernelNet, index: usize, rows: &[InstanceRow]) -> KernelCheck {
    judged(
        index,
        judge::instances(rows, |name| {
            let agent = net.agents.iter().find(|a| a.vm == name)?;
            let state = if agent.answered() {
                InstanceState::Running
            } else {
                InstanceState::UnresponsiveAgent
            };
            Some((state, agent.director_ips.as_slice()))
        }),
    )
}

/// `count`: entries of the node's table as `ip` lists them (`lo` included, as on the simulator's tables), with
/// the simulator's wording (run/checks.rs `count`).
fn count(net: &KernelNet, index: usize, c: &TableCount) -> Result<KernelCheck, KernelError> {
    let ns = ns_of(net, &c.node.value.to_string())?;
    let iface = c.iface.as_ref().map(|i| i.value.as_str());
    let families: Vec<&str> = match c.family {
        None => vec!["-4", "-6"],
        Some(Family::Ipv4) => vec!["-4"],
        Some(Family::Ipv6) => vec!["-6"],
    };
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let on = |dev: Option<String>| iface.is_none_or(|i| dev.as_deref() == Some(i));
    let mut entries = Vec::new();
    for fam in families {
        match c.what {
            Countable::Addresses => {
                for link in json(&ns, &[fam, "addr", "show"])?.as_array().into_iter().flatten() {
                    if !on(s(link, "ifname")) {
                        continue;
                    }
                    for a in link.get("addr_info").and_then(Value::as_array).into_iter().flatten() {
                        if let (Some(l), Some(p)) = (s(a, "local"), a.get("prefixlen").and_then(Value::as_u64)) {
                            entries.push(format!("{l}/{p}"));
                        }
                    }
                }
            }
            Countable::Routes | Countable::DefaultRouters => {
                let mut args = vec![fam, "route", "show", "table", "main"];
                if c.what == Countable::DefaultRouters {
                    args.push("default");
                }
                for r in json(&ns, &args)?.as_array().into_iter().flatten() {
                    if !on(s(r, "dev")) {
                        continue;
                    }
                    let dev = s(r, "dev").unwrap_or_default();
                    entries.push(match (c.what, s(r, "gateway")) {
                        (Countable::DefaultRouters, Some(g)) => g,
                        (Countable::DefaultRouters, None) => format!("dev {dev}"),
                        (_, Some(g)) => format!("{} via {g}", s(r, "dst").unwrap_or_default()),
                        (_, None) => format!("{} dev {dev}", s(r, "dst").unwrap_or_default()),
                    });
                }
            }
            Countable::Neighbours => {
                for n in json(&ns, &[fam, "neigh", "show"])?.as_array().into_iter().flatten() {
                    let states: Vec<String> = n
                        .get("state")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect();
                    if !on(s(n, "dev")) || states.iter().any(|x| x == "NOARP" || x == "NONE") {
                        continue;
                    }
                    entries.push(format!("{} {}", s(n, "dst").unwrap_or_default(), states.join(",")));
                }
            }
        }
    }
    Ok(judged(index, judge::count(c, &entries)))
}

impl KernelNet {
    fn begin_probe(&mut self, r: &Reach, want_reply: bool, now: Duration) -> Result<Pending, KernelError> {
        let from = r.from.value.to_string();
        let ns = ns_of(self, &from)?;
        let dst = resolve(self, &r.to.value, r.family)?;
        let within = r.within.map_or(Duration::from_secs(5), |w| w.0);
        let word = |what: String| judge::probe_expected(want_reply, within, &what);
        match r.probe {
            Probe::Tcp => {
                let port = r
                    .port
                    .ok_or_else(|| KernelError::Setup("a tcp probe needs a port".into()))?;
                let to = SocketAddr::new(dst, port);
                let flow = super::flows::start(&ns, "probe", &from, to, within, within)?;
                self.probes_tcp.push(flow);
                Ok(Pending::Tcp {
                    flow: self.probes_tcp.len() - 1,
                    want_reply,
                    expected: word(format!("TCP handshake with {to}")),
                })
            }
            // `simulator_only` keeps http probes away; a ping for the rest.
            Probe::Ping | Probe::Http => {
                // One request: the answer is read `within` later (`finish_probe`).
                let ident = self.start_ping(&from, dst, now, 1, Duration::ZERO);
                Ok(Pending::Ping {
                    ident,
                    want_reply,
                    expected: word(format!("echo reply from {dst}")),
                })
            }
        }
    }

    fn finish_probe(&mut self, index: usize, p: Pending) -> KernelCheck {
        match p {
            Pending::Ping {
                ident,
                want_reply,
                expected,
            } => {
                self.drain_echo_replies();
                let (sent, got) = self
                    .pings
                    .iter()
                    .find(|x| x.ident == ident)
                    .map_or((0, 0), |x| (x.sent, x.got.len()));
                let observed = if got > 0 {
                    "echo reply".to_owned()
                } else {
                    format!("no reply ({sent} sent)")
                };
                decided(index, (got > 0) == want_reply, expected, observed)
            }
            Pending::Tcp {
                flow,
                want_reply,
                expected,
            } => {
                let state = self.probes_tcp.get(flow).map(|f| f.entry().state).unwrap_or_default();
                let ok = state == "established";
                decided(index, ok == want_reply, expected, format!("connection {state}"))
            }
        }
    }

    fn check_now(&mut self, index: usize, e: &Expectation, now: Duration) -> Result<CheckStep, KernelError> {
        if let Some(why) = simulator_only(e) {
            return Ok(CheckStep::Done(KernelCheck {
                index,
                verdict: KernelVerdict::Skipped(format!("simulator only: {why}")),
                expected: String::new(),
                observed: None,
            }));
        }
        let done = match e {
            Expectation::AddressPresent(a) => address(self, index, a, true)?,
            Expectation::AddressAbsent(a) => address(self, index, a, false)?,
            Expectation::DefaultRouters(d) => default_routers(self, index, d)?,
            Expectation::RouteGet(r) => route_get(self, index, r)?,
            Expectation::Count(c) => count(self, index, c)?,
            Expectation::Instances(rows) => instances(self, index, rows),
            Expectation::Established(f) => {
                let state = self
                    .flows
                    .iter()
                    .find(|k| k.id == f.flow.value)
                    .map(|k| k.entry().state)
                    .ok_or_else(|| KernelError::Setup(format!("no flow `{}` was started", f.flow.value)))?;
                decided(
                    index,
                    state == "established",
                    format!("flow {} established", f.flow.value),
                    format!("flow {}: {state}", f.flow.value),
                )
            }
            Expectation::Reachable(r) | Expectation::Unreachable(r) => {
                let want = matches!(e, Expectation::Reachable(_));
                let within = r.within.map_or(Duration::from_secs(5), |w| w.0);
                let p = self.begin_probe(r, want, now)?;
                return Ok(CheckStep::Probe(now + within, p));
            }
            _ => {
                return Err(KernelError::Unsupported(
                    "an expectation kind classified as kernel-observable without a kernel check".into(),
                ))
            }
        };
        Ok(CheckStep::Done(done))
    }
}

enum CheckStep {
    Done(KernelCheck),
    Probe(Duration, Pending),
}

/// Event order at one instant, as in `run::execute`: timeline actions, then checks, then probe answers.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Action(usize),
    Check(usize),
    Finish(usize),
}

/// Runs the timeline on `net` in real time and judges every expectation at its time; returns one
/// [`KernelCheck`] per expectation, in `expect` order, and the notes of skipped actions.
pub fn run_checks(
    net: &mut KernelNet,
    scenario: &Scenario,
    scale: f64,
) -> Result<(Vec<KernelCheck>, Vec<String>), KernelError> {
    let start = std::time::Instant::now();
    let end = scenario.duration.value.0;
    let at =
        |a: Option<&crate::scenario::Located<crate::scenario::values::HumanDuration>>| a.map_or(end, |x| x.value.0);
    let mut events: Vec<(Duration, Event)> = Vec::new();
    for (i, e) in scenario.timeline.iter().enumerate() {
        events.push((at(e.at.as_ref()), Event::Action(i)));
    }
    for (i, e) in scenario.expect.iter().enumerate() {
        events.push((at(e.at.as_ref()), Event::Check(i)));
    }
    let mut results: Vec<Option<KernelCheck>> = vec![None; scenario.expect.len()];
    let mut pending: Vec<Option<Pending>> = (0..scenario.expect.len()).map(|_| None).collect();
    let mut notes = Vec::new();
    while !events.is_empty() {
        events.sort();
        let (t, ev) = events.remove(0);
        advance(net, start, t, scale)?;
        match ev {
            Event::Action(i) => {
                if let Some(n) = net.apply(i, &scenario.timeline[i].action, t)? {
                    notes.push(n);
                }
            }
            Event::Check(i) => match net.check_now(i, &scenario.expect[i].expectation, t)? {
                CheckStep::Done(c) => results[i] = Some(c),
                CheckStep::Probe(finish, p) => {
                    pending[i] = Some(p);
                    events.push((finish, Event::Finish(i)));
                }
            },
            Event::Finish(i) => {
                if let Some(p) = pending[i].take() {
                    results[i] = Some(net.finish_probe(i, p));
                }
            }
        }
    }
    let checks = results
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            r.unwrap_or(KernelCheck {
                index,
                verdict: KernelVerdict::Skipped("not evaluated".into()),
                expected: String::new(),
                observed: None,
            })
        })
        .collect();
    Ok((checks, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::judge::tests::expectations;

    #[test]
    fn table_and_probe_kinds_are_judged_on_the_kernel_and_simulator_views_are_not() {
        let e = expectations(
            "  - address-present: {node: a, iface: eth0, address: \"2001:db8::1\"}\n  - default-routers: {node: a, routers: []}\n  - reachable: {probe: ping, from: a, to: \"2001:db8::2\"}\n  - reachable: {probe: http, from: a, to: \"2001:db8::2\"}\n  - finding-absent: {code: slaac-on-ipv4-interface}\n  - capture: {segment: lan, kind: ra, max: 0}\n",
        );
        let kinds: Vec<bool> = e.iter().map(|x| simulator_only(x).is_none()).collect();
        assert_eq!(kinds, [true, true, true, false, false, false]);
        assert!(simulator_only(&e[4]).is_some_and(|w| w.contains("analyzers")));
    }

    #[test]
    fn permanent_is_the_absence_of_dynamic() {
        assert_eq!(flag_rule(AddrFlag::Permanent), ("dynamic", false));
        assert_eq!(flag_rule(AddrFlag::Dynamic), ("dynamic", true));
        assert_eq!(flag_rule(AddrFlag::Dadfailed), ("dadfailed", true));
    }

    #[test]
    fn events_at_one_instant_run_actions_then_checks_then_answers() {
        let mut v = [Event::Finish(0), Event::Check(1), Event::Action(2), Event::Check(0)];
        v.sort();
        assert!(matches!(
            v[..],
            [Event::Action(2), Event::Check(0), Event::Check(1), Event::Finish(0)]
        ));
    }
}
