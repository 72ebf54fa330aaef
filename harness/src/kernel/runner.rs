//! The kernel side of a run: the scenario's topology built into namespaces in the order `run::world::build`
//! uses on the simulator, RA daemons (the simulator's own [`RaDaemon`] and RA bytes) driven in real time through
//! AF_PACKET sockets, the timeline applied at its (scaled) times, and the state read at every step.
//!
//! A step is a distinct timeline time, plus the scenario's end; the state is read just before the step's
//! actions run, so a step shows what the previous actions led to (the simulator side does the same,
//! [`super::sim_steps`]).

use super::netns::{ip, write_sysctl, Lab};
use super::observe::node_state;
use super::raw::{EchoSocket, FrameSocket};
use super::snapshot::{NetState, PingEntry, StepSnapshot};
use super::{interrupted, step_label, step_times, KernelError, KernelOptions};
use crate::run::convert::{ra_config, sim_mac};
use crate::run::world::World;
use crate::scenario::radvd::router_ra_configs;
use crate::scenario::topology::{FirewallKind, Interface, Route as ScRoute, RoutingRule, Sysctls};
use crate::scenario::Scenario;
use dualhome_sim::host::iid::{eui64_iid, with_iid};
use dualhome_sim::radvd::advert::append_ra;
use dualhome_sim::radvd::daemon::RaDaemon;
use dualhome_sim::time::Instant as SimInstant;
use dualhome_sim::wire::MacAddr;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// One RA daemon on a router interface of the kernel network.
pub(super) struct KernelRadvd {
    pub(super) ns: String,
    pub(super) ifname: String,
    pub(super) daemon: RaDaemon,
    pub(super) sock: FrameSocket,
    pub(super) mac: MacAddr,
    pub(super) ll: Ipv6Addr,
}

/// An echo request due at a scenario time.
pub(super) struct Echo {
    pub(super) at: Duration,
    pub(super) node: String,
    pub(super) dst: IpAddr,
    pub(super) ident: u16,
    pub(super) seq: u16,
}

/// A ping a node started, as the kernel side counts it.
pub(super) struct PingLog {
    pub(super) node: String,
    pub(super) dst: IpAddr,
    pub(super) ident: u16,
    pub(super) sent: u32,
    pub(super) got: std::collections::BTreeSet<u16>,
}

/// The kernel network of one run.
pub struct KernelNet {
    /// Real radvd processes (`kernel.real_radvd`); first, so they are killed before `lab` deletes the namespaces.
    real_radvd: Vec<super::real_radvd::RealRadvd>,
    pub(super) lab: Lab,
    pub(super) nodes: BTreeMap<String, String>,
    pub(super) radvds: Vec<KernelRadvd>,
    pub(super) echo: BTreeMap<(String, bool), EchoSocket>,
    pub(super) pending: Vec<Echo>,
    pub(super) pings: Vec<PingLog>,
    /// Listening sockets of the hosts' services (kept open for the run).
    pub(super) listeners: Vec<std::os::fd::OwnedFd>,
    /// Attacker frames waiting for their time.
    pub(super) bursts: Vec<super::attack::Burst>,
    /// AF_PACKET sockets of attacker interfaces, opened on first use.
    pub(super) attack_socks: BTreeMap<(String, String), FrameSocket>,
    /// Attacker nodes (not observed: the simulator's attackers are not hosts).
    pub(super) attackers: Vec<String>,
    /// TCP flows started by `ssh`/`http` actions.
    pub(super) flows: Vec<super::flows::KernelFlow>,
    /// Relaying attacker NICs (`mitm: forward`, super::mitm).
    pub(super) relays: Vec<super::mitm::KernelRelay>,
    /// Attacker NICs answering solicitations (`dad-dos`, `na-spoof`; super::react).
    pub(super) responders: Vec<super::react::KernelResponder>,
    /// Connections of `tcp` reachability probes (super::checks), kept apart from the timeline's flows.
    pub(super) probes_tcp: Vec<super::flows::KernelFlow>,
    /// The scenario's end (`duration`).
    pub(super) end: Duration,
    /// `kernel.count_scale` of the scenario.
    pub(super) count_scale: u32,
    /// `kernel.time_scale`: real seconds per scenario second (super::timescale).
    pub(super) time_scale: f64,
    /// Bind-semantics probes: node → targets.
    pub(super) probes: BTreeMap<String, Vec<std::net::SocketAddr>>,
    pub(super) next_ident: u16,
    pub(super) rng: ChaCha8Rng,
    /// Names resolved against the simulator's view of the same topology (configured and link-local addresses).
    pub(super) names: World,
    /// The BOSH VMs' agents (super::bosh).
    pub(super) agents: Vec<super::bosh::KernelAgent>,
    /// Boot ops each BOSH VM refused (`super::bosh`).
    pub(super) boot_failures: Vec<(String, Vec<dualhome_agent::OpFailure>)>,
}

fn is_interface_key(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    parts.len() >= 5 && matches!(parts[2], "conf" | "neigh") && !matches!(parts[3], "all" | "default")
}

/// `aa:bb:cc:dd:ee:ff`, as `ip link … address` takes it.
pub(super) fn mac_text(m: [u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

impl KernelNet {
    /// Builds the topology: bridges, then routers, hosts, attackers, each as in `run::world::build`, then the BOSH
    /// director and VMs (super::bosh).
    pub fn build(scenario: &Scenario, opts: &KernelOptions, run_id: &str) -> Result<KernelNet, KernelError> {
        let seed = opts.seed.unwrap_or(scenario.seed);
        let (names, _) = super::bosh::sim_world(scenario, seed).map_err(|e| KernelError::Setup(e.to_string()))?;
        let mut net = KernelNet {
            real_radvd: Vec::new(),
            lab: Lab::new(run_id)?,
            nodes: BTreeMap::new(),
            radvds: Vec::new(),
            echo: BTreeMap::new(),
            pending: Vec::new(),
            pings: Vec::new(),
            listeners: Vec::new(),
            probes: BTreeMap::new(),
            bursts: Vec::new(),
            attack_socks: BTreeMap::new(),
            attackers: Vec::new(),
            flows: Vec::new(),
            probes_tcp: Vec::new(),
            responders: Vec::new(),
            relays: Vec::new(),
            end: scenario.duration.value.0,
            count_scale: scenario
                .kernel
                .as_ref()
                .and_then(|k| k.count_scale.as_ref())
                .map_or(1, |c| c.value),
            time_scale: scenario
                .kernel
                .as_ref()
                .and_then(|k| k.time_scale.as_ref())
                .map_or(1.0, |s| s.value),
            next_ident: 0x4400,
            rng: ChaCha8Rng::seed_from_u64(seed),
            names,
            boot_failures: Vec::new(),
            agents: Vec::new(),
        };
        let mut port = 0usize;
        for s in &scenario.topology.segments {
            net.lab.add_segment(&s.name.value)?;
        }
        let t = &scenario.topology;
        for r in &t.routers {
            let mut sysctls = r.sysctls.clone();
            for key in ["net.ipv6.conf.all.forwarding", "net.ipv4.ip_forward"] {
                if !sysctls.contains_key(key) {
                    let one = "1".parse().map_err(KernelError::Setup)?;
                    sysctls.insert(key.to_owned(), crate::scenario::Located::new(one));
                }
            }
            net.add_node(&r.name.value, &r.interfaces, &sysctls, &r.routes, &[], &mut port)?;
            if let Some(fw) = r.firewall.as_ref().filter(|f| f.kind == FirewallKind::Conntrack) {
                super::nft::install(&net.lab.node_ns(&r.name.value), fw)?;
            }
        }
        for h in &t.hosts {
            net.add_node(&h.name.value, &h.interfaces, &h.sysctls, &h.routes, &h.rules, &mut port)?;
            if !h.services.is_empty() {
                let listens = super::sockets::host_listens(h)?;
                let fds = super::sockets::open_listeners(&net.lab.node_ns(&h.name.value), &listens)?;
                net.listeners.extend(fds);
                net.probes
                    .insert(h.name.value.clone(), super::sockets::probe_targets(h, &listens));
            }
        }
        for a in &t.attackers {
            // The simulator's attacker is not a host: it sends no RS and processes no RA. Its namespace's stack
            // is made as quiet (before its NICs exist, so they inherit `default`); its state is not observed.
            let mut sysctls = Sysctls::new();
            for key in [
                "net.ipv6.conf.default.accept_ra",
                "net.ipv6.conf.default.router_solicitations",
            ] {
                sysctls.insert(
                    key.to_owned(),
                    crate::scenario::Located::new("0".parse().map_err(KernelError::Setup)?),
                );
            }
            sysctls.extend(a.sysctls.iter().map(|(k, v)| (k.clone(), v.clone())));
            net.add_node(&a.name.value, &a.interfaces, &sysctls, &[], &[], &mut port)?;
            super::mitm::quiet(&net.lab.node_ns(&a.name.value))?;
            net.attackers.push(a.name.value.clone());
        }
        // The BOSH deploy comes after the topology, as `run::execute` does it after `world::build`.
        net.boot_failures = net.deploy_bosh(scenario, seed, &mut port)?;
        if scenario.kernel.as_ref().is_some_and(|k| k.real_radvd) {
            net.start_real_radvd(scenario)?;
            return Ok(net);
        }
        for r in &t.routers {
            let ns = net.lab.node_ns(&r.name.value);
            let configs = router_ra_configs(scenario, r).map_err(|e| KernelError::Setup(e.to_string()))?;
            for (ifname, ra) in configs {
                let Some(iface) = r.interfaces.iter().find(|i| i.name.value == ifname) else {
                    return Err(KernelError::Setup(format!(
                        "{}: radvd interface `{ifname}` missing",
                        r.name.value
                    )));
                };
                let mac = sim_mac(iface.mac.value.0);
                let ll = with_iid(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), eui64_iid(mac));
                let sock = FrameSocket::open(&ns, &ifname)?;
                let daemon = RaDaemon::start(dualhome_sim::id::IfIndex(0), ra_config(&ifname, &ra), SimInstant::ZERO);
                net.radvds.push(KernelRadvd {
                    ns: ns.clone(),
                    ifname,
                    daemon,
                    sock,
                    mac,
                    ll,
                });
            }
        }
        Ok(net)
    }

    /// `kernel.real_radvd`: radvd(8) on each router's `radvd_conf`, in its namespace. The simulator side reads
    /// the same file (`scenario::radvd`), so both backends advertise one configuration. Lifetimes are the file's,
    /// which cannot be scaled, and an inline `ra:` block has no file to give radvd.
    fn start_real_radvd(&mut self, scenario: &Scenario) -> Result<(), KernelError> {
        if self.time_scale != 1.0 {
            return Err(KernelError::Setup(
                "kernel.real_radvd: radvd's lifetimes and intervals cannot be scaled; time_scale must be 1".into(),
            ));
        }
        for r in &scenario.topology.routers {
            if let Some(i) = r.interfaces.iter().find(|i| i.ra.is_some()) {
                return Err(KernelError::Setup(format!(
                    "kernel.real_radvd: router `{}` interface `{}` has an inline `ra:` block; give radvd a `radvd_conf`",
                    r.name.value, i.name.value
                )));
            }
            if let Some(conf) = &r.radvd_conf {
                let ns = self.lab.node_ns(&r.name.value);
                // radvd cannot send from a tentative link-local: started before DAD ends, its first RA and its
                // answers to the hosts' first RSs are lost and the hosts learn the router seconds after the
                // simulator's do. Wait for every interface's link-local (DAD takes ~1 s) first.
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                for i in &r.interfaces {
                    let ll = with_iid(
                        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
                        eui64_iid(sim_mac(i.mac.value.0)),
                    );
                    while !Self::ll_ready(&ns, &i.name.value, ll) && std::time::Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                let path = scenario.resolve_path(&conf.value);
                self.real_radvd.push(super::real_radvd::RealRadvd::start(&ns, &path)?);
            }
        }
        Ok(())
    }

    fn add_node(
        &mut self,
        name: &str,
        interfaces: &[Interface],
        sysctls: &Sysctls,
        routes: &[ScRoute],
        rules: &[RoutingRule],
        port: &mut usize,
    ) -> Result<(), KernelError> {
        let ns = self.lab.node_ns(name);
        self.lab.add_ns(&ns)?;
        let (early, late): (Vec<_>, Vec<_>) = sysctls.iter().partition(|(k, _)| !is_interface_key(k));
        for (k, v) in &early {
            write_sysctl(&ns, k, &v.value.to_string())?;
        }
        for i in interfaces {
            self.lab
                .add_nic(&ns, &i.name.value, &mac_text(i.mac.value.0), &i.segment.value, *port)?;
            *port += 1;
            self.lab.link(&ns, &i.name.value, true)?;
        }
        for (k, v) in &late {
            write_sysctl(&ns, k, &v.value.to_string())?;
        }
        for i in interfaces {
            for a in &i.addresses {
                ip(&["-n", &ns, "addr", "add", &a.value.0.to_string(), "dev", &i.name.value])?;
            }
        }
        for r in routes {
            let dst = r.dst.value.0.to_string();
            let mut args: Vec<String> = vec!["-n".into(), ns.clone(), "route".into(), "add".into(), dst];
            if let Some(v) = &r.via {
                args.extend(["via".into(), v.value.0.to_string()]);
            }
            if let Some(d) = &r.dev {
                args.extend(["dev".into(), d.value.clone()]);
            }
            if let Some(m) = r.metric {
                args.extend(["metric".into(), m.to_string()]);
            }
            if let Some(t) = r.table {
                args.extend(["table".into(), t.to_string()]);
            }
            ip(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        for rule in rules {
            let v6 = rule
                .from
                .as_ref()
                .or(rule.to.as_ref())
                .is_none_or(|c| c.value.0.addr().is_ipv6());
            let mut args: Vec<String> = vec![
                "-n".into(),
                ns.clone(),
                if v6 { "-6" } else { "-4" }.into(),
                "rule".into(),
                "add".into(),
            ];
            args.extend(["priority".into(), rule.priority.to_string()]);
            if let Some(f) = &rule.from {
                args.extend(["from".into(), f.value.0.to_string()]);
            }
            if let Some(t) = &rule.to {
                args.extend(["to".into(), t.value.0.to_string()]);
            }
            if let Some(i) = &rule.iif {
                args.extend(["iif".into(), i.value.clone()]);
            }
            if let Some(o) = &rule.oif {
                args.extend(["oif".into(), o.value.clone()]);
            }
            args.extend(["lookup".into(), rule.table.to_string()]);
            ip(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        self.nodes.insert(name.to_owned(), ns);
        Ok(())
    }

    /// Whether the router interface's link-local address is usable (radvd cannot send from a tentative one).
    pub(super) fn ll_ready(ns: &str, ifname: &str, ll: Ipv6Addr) -> bool {
        super::observe::addrs(ns).is_ok_and(|a| {
            a.iter().any(|e| {
                e.dev == ifname
                    && e.cidr == format!("{ll}/64")
                    && !e.flags.iter().any(|f| f == "tentative" || f == "dadfailed")
            })
        })
    }

    /// Feeds received RSs to the daemons and sends what they have due at scenario time `now`.
    pub(super) fn poll_radvd(&mut self, now: SimInstant) -> Result<(), KernelError> {
        for r in &mut self.radvds {
            while let Some(frame) = r.sock.recv() {
                if let Some((src, slla)) = parse_rs(&frame) {
                    r.daemon.recv_rs(now, &mut self.rng, src, slla);
                }
            }
            if r.daemon.next_deadline() > now {
                continue;
            }
            let ready = Self::ll_ready(&r.ns, &r.ifname, r.ll);
            let mut out = Vec::new();
            r.daemon.poll(now, &mut self.rng, ready, &mut out);
            // Lifetimes in real seconds; the decrement (DecrementLifetimes) counted in real time too.
            let wire = super::timescale::wire_config(&r.daemon.config, self.time_scale);
            let real = |t: SimInstant| SimInstant::from_nanos((t.as_nanos() as f64 * self.time_scale) as u64);
            for kind in out {
                let mut buf = Vec::new();
                if append_ra(
                    &mut buf,
                    &wire,
                    kind,
                    r.ll,
                    r.mac,
                    real(r.daemon.started_at()),
                    real(now),
                )
                .is_ok()
                {
                    r.sock.send(&buf)?;
                }
            }
        }
        Ok(())
    }

    /// Counts the echo replies waiting on the sockets into their pings.
    pub(super) fn drain_echo_replies(&mut self) {
        for ((node, _), sock) in &self.echo {
            for (ident, seq) in sock.replies() {
                if let Some(p) = self.pings.iter_mut().find(|p| &p.node == node && p.ident == ident) {
                    p.got.insert(seq);
                }
            }
        }
    }

    /// Every node's state now (echo replies waiting on the sockets are counted first).
    pub fn observe(&mut self) -> Result<NetState, KernelError> {
        self.drain_echo_replies();
        let mut out = NetState::default();
        for (name, ns) in self.nodes.iter().filter(|(n, _)| !self.attackers.contains(n)) {
            let mut state = node_state(ns)?;
            if !self.real_radvd.is_empty() {
                // radvd's raw socket loops its multicast RAs back into the router's own stack (IPV6_MULTICAST_LOOP
                // stays on), whose ndisc then lists its own link-local as a `router` neighbour; the simulator's
                // radvd model, like dualhome's AF_PACKET sender, does not loop. Such an entry carries no traffic.
                let own: Vec<&str> = state.addrs.iter().filter_map(|a| a.cidr.split('/').next()).collect();
                state.routers.retain(|r| !own.contains(&r.ip.as_str()));
            }
            super::timescale::to_scenario_time(&mut state, self.time_scale);
            state.pings = self
                .pings
                .iter()
                .filter(|p| &p.node == name)
                .map(|p| PingEntry {
                    dst: p.dst.to_string(),
                    sent: p.sent,
                    received: u32::try_from(p.got.len()).unwrap_or(u32::MAX),
                })
                .collect();
            state.flows = self
                .flows
                .iter()
                .filter(|f| &f.node == name)
                .map(|f| f.entry())
                .collect();
            if let Some(targets) = self.probes.get(name) {
                state.accepts = super::sockets::kernel_accepts(ns, targets)?;
            }
            out.nodes.insert(name.clone(), state);
        }
        Ok(out)
    }

    /// Deletes the namespaces now, reporting failures (also done on drop).
    pub fn teardown(mut self) -> Result<(), KernelError> {
        match self.lab.teardown().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The source and SLLA of a Router Solicitation frame without extension headers; anything else is `None`
/// (malformed frames are ignored, RFC 4861 §6.1.1 validity is the daemon's and the sender kernel's business).
pub fn parse_rs(frame: &[u8]) -> Option<(Ipv6Addr, Option<MacAddr>)> {
    if frame.get(12..14)? != [0x86, 0xdd] || *frame.get(20)? != 58 || *frame.get(54)? != 133 {
        return None;
    }
    let src: [u8; 16] = frame.get(22..38)?.try_into().ok()?;
    let mut slla = None;
    let mut off = 62;
    while let (Some(&kind), Some(&len)) = (frame.get(off), frame.get(off + 1)) {
        if len == 0 {
            break;
        }
        if kind == 1 {
            let m: [u8; 6] = frame.get(off + 2..off + 8)?.try_into().ok()?;
            slla = Some(sim_mac(m));
        }
        off += usize::from(len) * 8;
    }
    Some((Ipv6Addr::from(src), slla))
}

/// Lets real time pass until scenario time `at` (`start` is scenario time 0, `scale` real seconds per scenario
/// second), serving the RA daemons, sending the echo requests and attacker frames that fall due, answering
/// solicitations under `dad-dos`/`na-spoof` and relaying under `mitm: forward`.
pub(super) fn advance(
    net: &mut KernelNet,
    start: std::time::Instant,
    at: Duration,
    scale: f64,
) -> Result<(), KernelError> {
    loop {
        if interrupted() {
            return Err(KernelError::Interrupted);
        }
        let now = start.elapsed().div_f64(scale);
        net.poll_radvd(SimInstant::from_nanos(
            u64::try_from(now.as_nanos()).unwrap_or(u64::MAX),
        ))?;
        net.send_due_echoes(now)?;
        net.send_due_bursts(now)?;
        net.answer_solicitations()?;
        net.relay_frames()?;
        if now >= at {
            return Ok(());
        }
        std::thread::sleep((at - now).mul_f64(scale).min(Duration::from_millis(10)));
    }
}

/// Runs the timeline on `net` in real time, returning the state at every step.
pub fn run_timeline(
    net: &mut KernelNet,
    scenario: &Scenario,
    scale: f64,
) -> Result<(Vec<StepSnapshot>, Vec<String>), KernelError> {
    let start = std::time::Instant::now();
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let times = step_times(scenario);
    for at in times {
        advance(net, start, at, scale)?;
        let state = net.observe()?;
        steps.push(StepSnapshot {
            at_ms: u64::try_from(at.as_millis()).unwrap_or(u64::MAX),
            label: step_label(at),
            state,
        });
        for (i, e) in scenario.timeline.iter().enumerate() {
            if e.at.as_ref().map(|a| a.value.0) != Some(at) {
                continue;
            }
            if let Some(note) = net.apply(i, &e.action, at)? {
                notes.push(note);
            }
        }
    }
    Ok((steps, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rs_frames_parse_and_others_do_not() {
        let mut f = vec![0u8; 70];
        f[12] = 0x86;
        f[13] = 0xdd;
        f[20] = 58;
        f[22] = 0xfe;
        f[23] = 0x80;
        f[37] = 7;
        f[54] = 133;
        f[62] = 1;
        f[63] = 1;
        f[64..70].copy_from_slice(&[2, 0, 0, 0, 0, 9]);
        let parsed = parse_rs(&f);
        assert_eq!(
            parsed.map(|p| p.0),
            Some("fe80::7".parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED))
        );
        assert!(parsed.is_some_and(|p| p.1.is_some()));
        f[54] = 134;
        assert!(parse_rs(&f).is_none());
        assert!(parse_rs(&f[..30]).is_none());
        f[54] = 133;
        f[63] = 0;
        assert!(parse_rs(&f).is_some_and(|p| p.1.is_none()));
    }
}
