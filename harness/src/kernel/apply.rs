//! Timeline actions on the kernel network: pings from raw ICMP sockets, link and sysctl changes, on-demand RAs,
//! attacker frames ([`super::attack`]), `dad-dos` and `na-spoof` answers ([`super::react`]) and TCP flows ([`super::flows`]), each the
//! kernel counterpart of what `run::actions::apply` does on the simulator.

use super::netns::write_sysctl;
use super::raw::{EchoSocket, FrameSocket};
use super::runner::{Echo, KernelNet, PingLog};
use super::KernelError;
use crate::run::convert::sim_mac;
use crate::run::resolve::resolve;
use crate::scenario::timeline::Action;
use dualhome_sim::attack::malformed::append_malformed_ra;
use dualhome_sim::host::iid::{eui64_iid, with_iid};
use dualhome_sim::radvd::advert::append_ra;
use dualhome_sim::radvd::config::RaIfaceConfig;
use dualhome_sim::radvd::daemon::RaSend;
use dualhome_sim::time::Instant as SimInstant;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

impl KernelNet {
    pub(super) fn echo_socket(&mut self, node: &str, v6: bool) -> Result<&EchoSocket, KernelError> {
        let ns = self
            .nodes
            .get(node)
            .ok_or_else(|| KernelError::Setup(format!("unknown node `{node}`")))?
            .clone();
        let key = (node.to_owned(), v6);
        if !self.echo.contains_key(&key) {
            let s = EchoSocket::open(&ns, v6)?;
            self.echo.insert(key.clone(), s);
        }
        self.echo
            .get(&key)
            .ok_or_else(|| KernelError::Setup("echo socket".into()))
    }

    /// A redirect victim's address on its first interface as the kernel has it now: a global one if any, else
    /// the link-local (run::attacks picks the same from the simulator's tables), and that interface's MAC.
    pub(super) fn victim_address(&self, victim: &str, seg: Option<&str>) -> Result<(Ipv6Addr, [u8; 6]), KernelError> {
        let entry = self.names.node(victim).map_err(|e| KernelError::Setup(e.to_string()))?;
        // The victim's NIC on the attacker's segment, as run::attacks::victim_nic picks it (else its first).
        let iface = entry
            .ifaces
            .iter()
            .find(|i| seg.is_none_or(|s| i.segment == s))
            .ok_or_else(|| KernelError::Setup(format!("`{victim}` has no interface on the attacker's segment")))?;
        let ns = self
            .nodes
            .get(victim)
            .ok_or_else(|| KernelError::Setup(format!("unknown node `{victim}`")))?;
        let addrs = super::observe::addrs(ns)?;
        let v6: Vec<Ipv6Addr> = addrs
            .iter()
            .filter(|a| a.dev == iface.name && !a.flags.iter().any(|f| f == "tentative" || f == "dadfailed"))
            .filter_map(|a| a.cidr.split('/').next().and_then(|x| x.parse::<Ipv6Addr>().ok()))
            .collect();
        let pick = v6.iter().find(|a| !a.is_unicast_link_local()).or(v6.first());
        let ip = pick
            .copied()
            .ok_or_else(|| KernelError::Setup(format!("`{victim}` has no usable IPv6 address")))?;
        Ok((ip, iface.mac))
    }

    /// A real TCP connection from `from` for the rest of the run.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_flow(
        &mut self,
        id: &str,
        from: &str,
        to: &crate::scenario::AddrRef,
        family: Option<crate::scenario::timeline::Family>,
        port: u16,
        now: Duration,
        hold: Duration,
    ) -> Result<Option<String>, KernelError> {
        let dst = resolve(&self.names, to, family).map_err(|e| KernelError::Setup(e.to_string()))?;
        let ns = self
            .nodes
            .get(from)
            .ok_or_else(|| KernelError::Setup(format!("unknown node `{from}`")))?;
        let give_up = self.end.saturating_sub(now);
        let flow = super::flows::start(ns, id, from, std::net::SocketAddr::new(dst, port), give_up, hold)?;
        self.flows.push(flow);
        Ok(None)
    }

    /// Sends the attacker frames due at scenario time `now`.
    pub(super) fn send_due_bursts(&mut self, now: Duration) -> Result<(), KernelError> {
        let due = self.bursts.iter().take_while(|b| b.at <= now).count();
        for b in self.bursts.drain(..due).collect::<Vec<_>>() {
            let key = (b.node.clone(), b.iface.clone());
            if !self.attack_socks.contains_key(&key) {
                let ns = self
                    .nodes
                    .get(&b.node)
                    .ok_or_else(|| KernelError::Setup(format!("unknown node `{}`", b.node)))?;
                let sock = FrameSocket::open(ns, &b.iface)?;
                self.attack_socks.insert(key.clone(), sock);
            }
            if let Some(sock) = self.attack_socks.get(&key) {
                for f in &b.frames {
                    sock.send(f)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn send_due_echoes(&mut self, now: Duration) -> Result<(), KernelError> {
        let (due, rest): (Vec<Echo>, Vec<Echo>) =
            std::mem::take(&mut self.pending).into_iter().partition(|e| e.at <= now);
        self.pending = rest;
        for e in due {
            let sock = self.echo_socket(&e.node, e.dst.is_ipv6())?;
            sock.send(e.dst, e.ident, e.seq)?;
            if let Some(p) = self.pings.iter_mut().find(|p| p.ident == e.ident) {
                p.sent += 1;
            }
        }
        Ok(())
    }

    /// Starts a ping run from `from` to `dst` under a fresh ident: `count` echo requests (seq 1, 2, …) from
    /// `first` on, `interval` apart, sent by [`Self::send_due_echoes`]. A timeline `ping` and a `reachable`
    /// probe (kernel/checks.rs, one request) both start here. Returns the ident, the key of its [`PingLog`].
    pub(super) fn start_ping(
        &mut self,
        from: &str,
        dst: IpAddr,
        first: Duration,
        count: u32,
        interval: Duration,
    ) -> u16 {
        let ident = self.next_ident;
        self.next_ident = self.next_ident.wrapping_add(1);
        self.pings.push(PingLog {
            node: from.to_owned(),
            dst,
            ident,
            sent: 0,
            got: Default::default(),
        });
        for seq in 0..count {
            let at = first + interval * seq;
            let seq = u16::try_from(seq + 1).unwrap_or(u16::MAX);
            self.pending.push(Echo {
                at,
                node: from.to_owned(),
                dst,
                ident,
                seq,
            });
        }
        ident
    }

    /// Applies one timeline action at scenario time `now`. Returns a note when the action was skipped.
    pub(super) fn apply(
        &mut self,
        index: usize,
        action: &Action,
        now: Duration,
    ) -> Result<Option<String>, KernelError> {
        let ns_of = |net: &KernelNet, n: &str| {
            net.nodes
                .get(n)
                .cloned()
                .ok_or_else(|| KernelError::Setup(format!("unknown node `{n}`")))
        };
        match action {
            Action::Ping(p) => {
                let dst = resolve(&self.names, &p.to.value, p.family).map_err(|e| KernelError::Setup(e.to_string()))?;
                let interval = p.interval.map_or(Duration::from_secs(1), |i| i.0);
                self.start_ping(&p.from.value.to_string(), dst, now, p.count.unwrap_or(1), interval);
                Ok(None)
            }
            Action::LinkDown(l) | Action::LinkUp(l) => {
                let ns = ns_of(self, &l.node.value.to_string())?;
                self.lab
                    .link(&ns, &l.iface.value, matches!(action, Action::LinkUp(_)))?;
                Ok(None)
            }
            Action::Sysctl(s) => {
                let ns = ns_of(self, &s.node.value.to_string())?;
                write_sysctl(&ns, &s.key.value, &s.value.value.to_string())?;
                Ok(None)
            }
            Action::Snapshot(_) => Ok(None),
            Action::Ssh(f) => {
                let hold = f.hold.as_ref().map_or(self.end.saturating_sub(now), |h| h.value.0);
                self.start_flow(
                    &f.id.value,
                    &f.from.value.to_string(),
                    &f.to.value,
                    f.family,
                    f.port.unwrap_or(22),
                    now,
                    hold,
                )
            }
            Action::Http(f) => {
                let id =
                    f.id.as_ref()
                        .map_or_else(|| format!("timeline[{index}]"), |i| i.value.clone());
                let hold = self.end.saturating_sub(now);
                self.start_flow(
                    &id,
                    &f.from.value.to_string(),
                    &f.to.value,
                    f.family,
                    f.port.unwrap_or(80),
                    now,
                    hold,
                )
            }
            Action::SendRa(s) => {
                // As run::actions::send_ra: the running daemon's configuration (else radvd's defaults) with the
                // entry's fields written over it, lifetimes not decremented, from the interface's link-local.
                let router = s.router.value.to_string();
                let ns = ns_of(self, &router)?;
                let (mac, ll, global) = {
                    let entry = self
                        .names
                        .node(&router)
                        .map_err(|e| KernelError::Setup(e.to_string()))?;
                    let i = entry.iface(&s.iface.value).ok_or_else(|| {
                        KernelError::Setup(format!("`{router}` has no interface `{}`", s.iface.value))
                    })?;
                    let mac = sim_mac(i.mac);
                    // `malformed: global-source` sends from the interface's first configured global address,
                    // as run::actions::send_ra does (a router has no SLAAC address before it).
                    let global = i.configured.iter().find_map(|n| match n.addr() {
                        IpAddr::V6(a) if !a.is_unicast_link_local() => Some(a),
                        _ => None,
                    });
                    (
                        mac,
                        with_iid(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), eui64_iid(mac)),
                        global,
                    )
                };
                let mut cfg = self
                    .radvds
                    .iter()
                    .find(|r| r.ns == ns && r.ifname == s.iface.value)
                    .map_or_else(
                        || RaIfaceConfig::new(s.iface.value.clone()),
                        |r| r.daemon.config.clone(),
                    );
                if let Some(o) = &s.ra {
                    crate::run::convert::apply_ra(&mut cfg, &o.value);
                }
                if !Self::ll_ready(&ns, &s.iface.value, ll) {
                    return Err(KernelError::Setup(format!(
                        "{}: no usable link-local address yet",
                        s.iface.value
                    )));
                }
                let now = SimInstant::from_nanos(u64::try_from(now.as_nanos()).unwrap_or(u64::MAX));
                let cfg = super::timescale::wire_config(&cfg, self.time_scale);
                let mut buf = Vec::new();
                append_ra(&mut buf, &cfg, RaSend::Multicast, ll, mac, now, now)
                    .map_err(|e| KernelError::Setup(format!("send-ra: {e:?}")))?;
                if let Some(m) = s.malformed {
                    // The same bytes the simulator sends: the valid RA with one validity check broken.
                    let m = crate::run::convert::malformation(m, global).ok_or_else(|| {
                        KernelError::Setup(format!(
                            "send-ra malformed: global-source: {} has no global address",
                            s.iface.value
                        ))
                    })?;
                    let mut bad = Vec::new();
                    append_malformed_ra(&mut bad, &buf, m)
                        .map_err(|e| KernelError::Setup(format!("send-ra malformed: {e:?}")))?;
                    buf = bad;
                }
                let key = (router, s.iface.value.clone());
                if !self.attack_socks.contains_key(&key) {
                    let sock = FrameSocket::open(&ns, &s.iface.value)?;
                    self.attack_socks.insert(key.clone(), sock);
                }
                if let Some(sock) = self.attack_socks.get(&key) {
                    sock.send(&buf)?;
                }
                Ok(None)
            }
            Action::DadDos(d) => self.start_dad_dos(d),
            Action::NaSpoof(n) => self.start_na_spoof(n, now),
            other => {
                let victim = match other {
                    Action::Redirect(r) => {
                        let attacker = self
                            .names
                            .node(&r.attacker.value.to_string())
                            .map_err(|e| KernelError::Setup(e.to_string()))?;
                        let nic = match &r.iface {
                            Some(n) => attacker.iface(&n.value),
                            None => attacker.ifaces.first(),
                        };
                        let seg = nic.map(|i| i.segment.clone());
                        self.victim_address(&r.victim.value.to_string(), seg.as_deref())?
                    }
                    _ => (Ipv6Addr::UNSPECIFIED, [0; 6]),
                };
                let Some(plan) = super::attack::plan(
                    &self.names,
                    victim,
                    other,
                    now,
                    (self.count_scale, self.time_scale),
                    &mut self.rng,
                )?
                else {
                    return Err(KernelError::Unsupported(format!(
                        "action `{}` on the kernel backend",
                        other.kind()
                    )));
                };
                if plan.forward {
                    if let Some(b) = plan.bursts.first() {
                        let (node, iface) = (b.node.clone(), b.iface.clone());
                        self.start_relay(&node, &iface)?;
                    }
                } else if plan.plays_router {
                    if let Some(b) = plan.bursts.first() {
                        super::mitm::play_router(&self.lab.node_ns(&b.node), &b.iface)?;
                    }
                }
                self.bursts.extend(plan.bursts);
                self.bursts.sort_by_key(|b| b.at);
                Ok(None)
            }
        }
    }
}
