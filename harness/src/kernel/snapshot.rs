//! The state both backends are read into — addresses, routes (proto, metric, pref, expiry), redirect exceptions,
//! rules, router neighbours — and the diff between two of them, line by line in `ip` wording.
//!
//! Lifetimes are compared with a tolerance: the kernel runs in real time and counts down in whole seconds
//! (`ip` prints `expires 1799sec`), the simulator in nanoseconds. Neighbour entries are compared only for the
//! router flag (RFC 4861 §7.2.5, what RAs and NAs with R set change); NUD states depend on real-time jitter.

use std::collections::BTreeMap;
use std::fmt;

/// One address (`ip addr`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AddrEntry {
    /// Interface name.
    pub dev: String,
    /// `2001:db8::1/64`.
    pub cidr: String,
    /// `dynamic`, `tentative`, `dadfailed`, `deprecated`, `mngtmpaddr`, `noprefixroute`, `nodad`, `temporary`,
    /// `optimistic`, sorted.
    pub flags: Vec<String>,
    /// Seconds of valid lifetime left, `None` = forever.
    pub valid: Option<u64>,
    /// Seconds of preferred lifetime left, `None` = forever.
    pub preferred: Option<u64>,
}

/// One route (`ip route show table all`, and `ip -6 route show cache` with `cache` set).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteEntry {
    /// Table number.
    pub table: u32,
    /// An RTF_CACHE exception (a redirect or PMTU entry).
    pub cache: bool,
    /// Route type unless unicast (`local`, `multicast`, `anycast`, `unreachable`, …).
    pub kind: Option<String>,
    /// `default` or a prefix.
    pub dst: String,
    /// Gateway.
    pub via: Option<String>,
    /// Device.
    pub dev: Option<String>,
    /// `kernel`, `ra`, `static`, `redirect`… (`None` for cache entries and `boot`).
    pub proto: Option<String>,
    /// Metric (IPv4 routes with metric 0 carry `None`, as `ip` prints none).
    pub metric: Option<u32>,
    /// IPv6 router preference.
    pub pref: Option<String>,
    /// Seconds left.
    pub expires: Option<u64>,
}

/// One policy rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleEntry {
    /// IPv6 rule.
    pub v6: bool,
    /// `ip rule` line without the priority, e.g. `from all lookup main`.
    pub text: String,
    /// Priority.
    pub priority: u32,
}

/// One neighbour carrying the router flag.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouterNeigh {
    /// Interface.
    pub dev: String,
    /// Address.
    pub ip: String,
}

/// One ping a node started: how many echo requests went out and how many replies came back so far.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PingEntry {
    /// Destination.
    pub dst: String,
    /// Echo requests sent.
    pub sent: u32,
    /// Distinct echo replies received.
    pub received: u32,
}

impl fmt::Display for PingEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ping {}: {} sent, {} received", self.dst, self.sent, self.received)
    }
}

/// Whether a TCP SYN to one of the node's addresses on a service port meets a listener (bind semantics).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AcceptEntry {
    /// `192.0.2.10:80`, `[2001:db8::10]:80`.
    pub target: String,
    /// A listener took it (the kernel: `connect()` succeeded; the simulator: the socket demux found one).
    pub accepted: bool,
}

impl fmt::Display for AcceptEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tcp {} {}",
            self.target,
            if self.accepted { "accepted" } else { "refused" }
        )
    }
}

/// How far one TCP flow (`ssh`/`http` action) started by the node got.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowEntry {
    /// Flow id.
    pub id: String,
    /// `pending`, `established`, `refused`, `failed`.
    pub state: String,
}

impl fmt::Display for FlowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flow {}: {}", self.id, self.state)
    }
}

/// One node's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeState {
    /// Addresses.
    pub addrs: Vec<AddrEntry>,
    /// Routes (every table) and IPv6 cache exceptions.
    pub routes: Vec<RouteEntry>,
    /// Rules of both families.
    pub rules: Vec<RuleEntry>,
    /// Neighbours flagged as routers.
    pub routers: Vec<RouterNeigh>,
    /// Pings started by the node, in start order.
    pub pings: Vec<PingEntry>,
    /// TCP connection probes to the node's service ports.
    pub accepts: Vec<AcceptEntry>,
    /// TCP flows the node started.
    pub flows: Vec<FlowEntry>,
    /// Boot ops of a BOSH VM that failed (`op N: <op>`), at the first step only.
    pub boot: Vec<String>,
}

/// Every node's state at one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetState {
    /// By node name.
    pub nodes: BTreeMap<String, NodeState>,
}

/// State after one timeline step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepSnapshot {
    /// Scenario time of the step (unscaled), in milliseconds.
    pub at_ms: u64,
    /// What happened at that time (`send-ra`, `snapshot:label`, `end`).
    pub label: String,
    /// The state read right after the step.
    pub state: NetState,
}

impl fmt::Display for AddrEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} dev {}", self.cidr, self.dev)?;
        for fl in &self.flags {
            write!(f, " {fl}")?;
        }
        let life = |v: Option<u64>| v.map_or("forever".to_owned(), |s| format!("{s}sec"));
        write!(
            f,
            " valid_lft {} preferred_lft {}",
            life(self.valid),
            life(self.preferred)
        )
    }
}

impl fmt::Display for RouteEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = &self.kind {
            write!(f, "{k} ")?;
        }
        write!(f, "{}", self.dst)?;
        if let Some(v) = &self.via {
            write!(f, " via {v}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if self.table != 254 {
            write!(f, " table {}", self.table)?;
        }
        if self.cache {
            write!(f, " cache")?;
        }
        if let Some(p) = &self.proto {
            write!(f, " proto {p}")?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        if let Some(e) = self.expires {
            write!(f, " expires {e}sec")?;
        }
        if let Some(p) = &self.pref {
            write!(f, " pref {p}")?;
        }
        Ok(())
    }
}

/// One disagreement between the backends, at a step, on a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Step label.
    pub step: String,
    /// Node.
    pub node: String,
    /// `addr`, `route`, `rule`, `router-neigh`.
    pub table: &'static str,
    /// The kernel's entry, `None` when it has none.
    pub kernel: Option<String>,
    /// The simulator's entry.
    pub sim: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
        write!(
            f,
            "{} {} {}: kernel: {}; sim: {}",
            self.step,
            self.node,
            self.table,
            side(&self.kernel),
            side(&self.sim)
        )
    }
}

/// What the diff ignores.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// Largest lifetime difference (seconds) still counted as equal.
    pub lifetime_tolerance: u64,
    /// Compare lifetimes at all.
    pub lifetimes: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            lifetime_tolerance: 3,
            lifetimes: true,
        }
    }
}

fn close(a: Option<u64>, b: Option<u64>, o: &DiffOptions) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => !o.lifetimes || x.abs_diff(y) <= o.lifetime_tolerance,
        _ => !o.lifetimes,
    }
}

/// Pairs `kernel` and `sim` entries by `key`, reporting unmatched ones and matched ones that `same` rejects.
fn pair<T: fmt::Display, K: Ord>(
    kernel: &[T],
    sim: &[T],
    key: impl Fn(&T) -> K,
    same: impl Fn(&T, &T) -> bool,
    mut out: impl FnMut(Option<String>, Option<String>),
) {
    let mut s: BTreeMap<K, Vec<&T>> = BTreeMap::new();
    for e in sim {
        s.entry(key(e)).or_default().push(e);
    }
    for k in kernel {
        let slot = s.get_mut(&key(k));
        match slot.and_then(|v| if v.is_empty() { None } else { Some(v.remove(0)) }) {
            Some(m) if same(k, m) => {}
            Some(m) => out(Some(k.to_string()), Some(m.to_string())),
            None => out(Some(k.to_string()), None),
        }
    }
    for rest in s.into_values().flatten() {
        out(None, Some(rest.to_string()));
    }
}

impl fmt::Display for RuleEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}: {}",
            if self.v6 { "-6 " } else { "" },
            self.priority,
            self.text
        )
    }
}

impl fmt::Display for RouterNeigh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} dev {} router", self.ip, self.dev)
    }
}

/// Every difference between `sim` and `kernel` at step `step`, in node, table and entry order.
pub fn diff_states(step: &str, sim: &NetState, kernel: &NetState, o: &DiffOptions) -> Vec<Difference> {
    let mut out = Vec::new();
    let empty = NodeState::default();
    let names: std::collections::BTreeSet<&String> = sim.nodes.keys().chain(kernel.nodes.keys()).collect();
    for name in names {
        let k = kernel.nodes.get(name).unwrap_or(&empty);
        let s = sim.nodes.get(name).unwrap_or(&empty);
        let push = |table: &'static str| {
            let node = name.clone();
            let step = step.to_owned();
            move |kernel: Option<String>, sim: Option<String>| Difference {
                step: step.clone(),
                node: node.clone(),
                table,
                kernel,
                sim,
            }
        };
        let mut found = Vec::new();
        let mk = push("addr");
        pair(
            &k.addrs,
            &s.addrs,
            |a| (a.dev.clone(), a.cidr.clone()),
            |a, b| a.flags == b.flags && close(a.valid, b.valid, o) && close(a.preferred, b.preferred, o),
            |x, y| found.push(mk(x, y)),
        );
        let mk = push("route");
        pair(
            &k.routes,
            &s.routes,
            |r| {
                (
                    r.table,
                    r.cache,
                    r.kind.clone(),
                    r.dst.clone(),
                    r.via.clone(),
                    r.dev.clone(),
                )
            },
            |a, b| a.proto == b.proto && a.metric == b.metric && a.pref == b.pref && close(a.expires, b.expires, o),
            |x, y| found.push(mk(x, y)),
        );
        let mk = push("rule");
        pair(
            &k.rules,
            &s.rules,
            |r| (r.v6, r.priority, r.text.clone()),
            |_, _| true,
            |x, y| found.push(mk(x, y)),
        );
        let mk = push("router-neigh");
        pair(
            &k.routers,
            &s.routers,
            |r| (r.dev.clone(), r.ip.clone()),
            |_, _| true,
            |x, y| found.push(mk(x, y)),
        );
        let mk = push("ping");
        pair(
            &k.pings,
            &s.pings,
            |p| p.dst.clone(),
            |a, b| a == b,
            |x, y| found.push(mk(x, y)),
        );
        let mk = push("flow");
        pair(
            &k.flows,
            &s.flows,
            |f| f.id.clone(),
            |a, b| a == b,
            |x, y| found.push(mk(x, y)),
        );
        let mk = push("boot");
        pair(
            &k.boot,
            &s.boot,
            Clone::clone,
            |_, _| true,
            |x, y| found.push(mk(x.map(|t| format!("{t} refused")), y.map(|t| format!("{t} refused")))),
        );
        let mk = push("listen");
        pair(
            &k.accepts,
            &s.accepts,
            |a| a.target.clone(),
            |a, b| a == b,
            |x, y| found.push(mk(x, y)),
        );
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ra_default(pref: &str, expires: u64) -> RouteEntry {
        RouteEntry {
            table: 254,
            cache: false,
            kind: None,
            dst: "default".into(),
            via: Some("fe80::1".into()),
            dev: Some("eth1".into()),
            proto: Some("ra".into()),
            metric: Some(1024),
            pref: Some(pref.into()),
            expires: Some(expires),
        }
    }

    fn state(routes: Vec<RouteEntry>) -> NetState {
        let mut n = NetState::default();
        n.nodes.insert(
            "vm".into(),
            NodeState {
                routes,
                ..NodeState::default()
            },
        );
        n
    }

    #[test]
    fn a_missing_route_reads_like_ip() {
        let d = diff_states(
            "t=5s",
            &state(vec![]),
            &state(vec![ra_default("high", 1799)]),
            &DiffOptions::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "t=5s vm route: kernel: default via fe80::1 dev eth1 proto ra metric 1024 expires 1799sec pref high; sim: none"
        );
    }

    #[test]
    fn a_boot_op_refused_on_one_backend_only_is_a_difference() {
        let mut k = NetState::default();
        k.nodes.insert(
            "nginx/0".into(),
            NodeState {
                boot: vec!["op 9: ip route add default via 2001:db8:1::1 dev eth1".into()],
                ..NodeState::default()
            },
        );
        let mut s = NetState::default();
        s.nodes.insert("nginx/0".into(), NodeState::default());
        let d = diff_states("t=0s", &s, &k, &DiffOptions::default());
        assert_eq!(
            d.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["t=0s nginx/0 boot: kernel: op 9: ip route add default via 2001:db8:1::1 dev eth1 refused; sim: none"]
        );
        assert!(diff_states("t=0s", &k, &k, &DiffOptions::default()).is_empty());
    }

    #[test]
    fn lifetimes_within_tolerance_agree_and_preference_does_not() {
        let o = DiffOptions::default();
        let k = state(vec![ra_default("high", 1799)]);
        assert!(diff_states("s", &state(vec![ra_default("high", 1797)]), &k, &o).is_empty());
        assert_eq!(
            diff_states("s", &state(vec![ra_default("high", 1790)]), &k, &o).len(),
            1
        );
        let d = diff_states("s", &state(vec![ra_default("medium", 1799)]), &k, &o);
        assert!(
            d.len() == 1 && d[0].sim.as_deref().is_some_and(|s| s.ends_with("pref medium")),
            "{d:?}"
        );
    }
}
