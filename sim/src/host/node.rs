//! The Linux-like host as a simulator node: its tables, neighbour cache, DAD runs and applications, and the
//! configuration verbs (`ip link set up`, `ip addr add`, `ip route add`, `sysctl -w`) that change them.
//!
//! A router is the same host with forwarding on. The receive path lives in `host::input`, Neighbour Discovery
//! in `host::ndisc`, the send, error and forwarding paths in `host::output`. Everything takes `now` from the
//! [`Ctx`]; [`Node::poll_timeout`] is the earliest deadline of every component.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;
use std::time::Duration;

use super::addr::{Addr, AddrError, AddrFlags, AddrProto};
use super::dad::{DadAction, DadConfig, DadStart, DadTable, Disposition, Regenerate};
use super::fib::FibError;
use super::iface::IfaceError;
use super::iid::{self, AddrGenMode, IidInputs, IidSource, StableSecret};
use super::lookup::{LookupError, RouteDecision, RouteQuery};
use super::neigh::{NeighAction, NeighTable, NudState};
use super::route::Route;
use super::rule::Rule;
use super::sysctl::{SysctlEffect, SysctlError};
use super::tables::{DadNeed, HostTables};
use crate::app::ping::{Ping, PingConfig};
use crate::frame::Frame;
use crate::id::IfIndex;
use crate::node::{Ctx, Node};
use crate::time::Instant;
use crate::wire::MacAddr;

/// A frame built before its next hop was resolved: destination MAC still zero, patched on resolution.
pub type PendingFrame = Vec<u8>;

/// Errors of the configuration verbs, with the text `ip` or `sysctl` would print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// An interface problem (unknown device, duplicate name).
    #[error(transparent)]
    Iface(#[from] IfaceError),
    /// An address problem (exists, IPv6 disabled, …).
    #[error(transparent)]
    Addr(#[from] AddrError),
    /// A route problem (exists, no such route, …).
    #[error(transparent)]
    Fib(#[from] FibError),
    /// A sysctl problem (unknown key, bad value).
    #[error(transparent)]
    Sysctl(#[from] SysctlError),
    /// A rule problem.
    #[error("RTNETLINK answers: {0}")]
    Rule(String),
}

/// Linux-style counters (`nstat` names), for traces, findings and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostCounters {
    /// Ip6InReceives + IpInReceives: IP packets handed to the stack.
    pub ip_in_receives: u64,
    /// Ip6InHdrErrors / IpInHdrErrors: malformed headers, hop limit, bad checksums.
    pub ip_in_hdr_errors: u64,
    /// Ip6InAddrErrors / IpInAddrErrors: not for us and not forwarded.
    pub ip_in_addr_errors: u64,
    /// Ip6InNoRoutes / IpInNoRoutes.
    pub ip_in_no_routes: u64,
    /// Ip6OutNoRoutes / IpOutNoRoutes: local sends without a route.
    pub ip_out_no_routes: u64,
    /// Packets delivered to a local protocol.
    pub ip_in_delivers: u64,
    /// Packets forwarded.
    pub ip_forwarded: u64,
    /// Icmp6InCsumErrors / IcmpInCsumErrors.
    pub icmp_in_csum_errors: u64,
    /// ICMP/ICMPv6 errors sent.
    pub icmp_out_errors: u64,
    /// ND messages dropped by validation (hop limit, fragment, bad option, source rules).
    pub ndisc_dropped: u64,
    /// Redirects sent.
    pub redirects_sent: u64,
    /// Frames dropped at layer 2 (not our MAC, runt, unknown ethertype).
    pub l2_dropped: u64,
    /// Packets dropped because neighbour resolution failed or its queue overflowed.
    pub neigh_dropped: u64,
    /// DAD failures seen.
    pub dad_failures: u64,
    /// Packets for a local port nobody listens on.
    pub no_listener: u64,
}

/// A Linux-like host (or router: a host with forwarding on).
pub struct Host {
    pub(super) name: String,
    /// Interfaces, sysctls, addresses, routes and rules.
    pub tables: HostTables,
    /// The neighbour cache (ND and ARP).
    pub neigh: NeighTable<PendingFrame>,
    pub(super) dad: DadTable,
    /// Counters.
    pub counters: HostCounters,
    /// Ping runs, in start order.
    pub pings: Vec<Ping>,
    /// Secret for `addr_gen_mode` 3 when no `stable_secret` is set (drawn from the simulation's seed).
    pub(super) random_secret: StableSecret,
    /// Frames sent to our own addresses, delivered after the current handler (Linux loopback is a softirq too).
    pub(super) loopback: Vec<Rc<Frame>>,
    /// Scratch buffers reused across events so the hot path does not allocate them.
    pub(super) neigh_out: Vec<NeighAction<PendingFrame>>,
    /// The build buffer of the send path, reused from one locally generated packet to the next.
    pub(super) tx_buf: Vec<u8>,
    pub(super) dad_out: Vec<DadAction>,
    pub(super) next_ping_ident: u16,
    pub(super) ipv4_ident: u16,
    /// ICMP error token buckets per destination (`inet_peer`), for the rate limit.
    pub(super) icmp_peers: BTreeMap<IpAddr, (u64, Instant)>,
    /// RA daemons on advertising interfaces (a router running radvd, [`crate::radvd`]).
    pub radvd: crate::radvd::Radvd,
    /// Sockets and TCP connections.
    pub transport: crate::transport::Transport,
    /// Client applications (ssh, http, heartbeat, bulk, echo), in start order; a slot is empty while it runs.
    pub apps: Vec<Option<Box<dyn crate::app::host_app::HostApp>>>,
    /// The stateful firewall on the forward path (routers), if any.
    pub firewall: Option<crate::firewall::Firewall>,
    /// RA, SLAAC, RS and redirect state ([`super::ra`]).
    pub(super) ra: super::ra::RaHostState,
    /// Route lookups of the packet path, reused while the tables are unchanged ([`super::route_cache`]).
    route_cache: std::cell::RefCell<super::route_cache::RouteCache>,
    /// The NIC multicast filters, snapshot of the tables ([`super::input`]).
    pub(super) mc_filter: std::cell::Cell<super::input::McFilter>,
}

impl Host {
    /// A host with only `lo`. `secret` seeds `addr_gen_mode = 3` (draw it from the simulation's RNG).
    pub fn new(name: impl Into<String>, neigh_rng: &mut impl rand::Rng, secret: StableSecret) -> Host {
        Host {
            name: name.into(),
            tables: HostTables::new(),
            neigh: NeighTable::new(neigh_rng),
            dad: DadTable::new(),
            counters: HostCounters::default(),
            pings: Vec::new(),
            random_secret: secret,
            loopback: Vec::new(),
            neigh_out: Vec::new(),
            tx_buf: Vec::new(),
            dad_out: Vec::new(),
            next_ping_ident: 0x4000,
            ipv4_ident: 1,
            icmp_peers: BTreeMap::new(),
            radvd: crate::radvd::Radvd::default(),
            transport: crate::transport::Transport::new(),
            apps: Vec::new(),
            firewall: None,
            ra: super::ra::RaHostState::default(),
            route_cache: Default::default(),
            mc_filter: Default::default(),
        }
    }

    /// The node name.
    pub fn host_name(&self) -> &str {
        &self.name
    }

    /// `ip link add NAME type ether address MAC mtu MTU`: a new interface, down, with `default` sysctls.
    pub fn add_interface(&mut self, name: &str, mac: MacAddr, mtu: u32) -> Result<IfIndex, HostError> {
        Ok(self.tables.add_interface(name, mac.0, mtu)?)
    }

    /// The interface named `name`.
    pub fn ifindex(&self, name: &str) -> Option<IfIndex> {
        self.tables.ifaces.by_name(name).map(|i| i.ifindex)
    }

    /// The MAC of an interface (zero for `lo` or an unknown index).
    pub fn mac(&self, ifindex: IfIndex) -> MacAddr {
        MacAddr(self.tables.ifaces.get(ifindex).map_or([0; 6], |i| i.mac))
    }

    /// `ip link set IF up|down`. Up generates the link-local address per `addr_gen_mode` and starts DAD
    /// (addrconf.c:addrconf_dev_config → addrconf_addr_gen); down flushes the interface's IPv6 state and
    /// neighbours (addrconf_ifdown, neigh_ifdown).
    pub fn set_link(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, up: bool) -> Result<(), HostError> {
        let removed = self.tables.set_link(ifindex, up)?;
        for a in &removed {
            if let IpAddr::V6(x) = a.addr {
                self.dad.cancel(ifindex, x);
            }
        }
        if up {
            self.add_link_local(ctx, ifindex);
        } else {
            self.dad.cancel_interface(ifindex);
            self.neigh.flush_interface(ifindex, false);
        }
        Ok(())
    }

    pub(super) fn iid_inputs(&self, ifindex: IfIndex) -> IidInputs<'static> {
        let conf = self.tables.sysctl.v6(ifindex);
        let mode = AddrGenMode::from_sysctl(i64::from(conf.addr_gen_mode)).unwrap_or(AddrGenMode::Eui64);
        let set = conf
            .stable_secret
            .or(self.tables.sysctl.default6.stable_secret)
            .map(|a| StableSecret(a.octets()));
        let secret = match (mode, set) {
            (_, Some(s)) => Some(s),
            (AddrGenMode::Random, None) => Some(self.random_secret),
            _ => None,
        };
        IidInputs {
            mode,
            mac: self.mac(ifindex),
            // A simulated NIC's MAC is its permanent MAC (iid.rs: stable privacy hashes dev->perm_addr).
            perm_addr: &[],
            secret,
            idgen_retries: 3,
        }
    }

    fn add_link_local(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex) {
        if ifindex == IfIndex::LOOPBACK || !self.ipv6_enabled(ifindex) {
            return;
        }
        let mut inputs = self.iid_inputs(ifindex);
        let mac = inputs.mac.0;
        inputs.perm_addr = &mac;
        let Some((ll, source)) = iid::link_local(&inputs) else {
            return;
        };
        let mut flags = AddrFlags::PERMANENT;
        if matches!(source, IidSource::StablePrivacy { .. }) {
            flags |= AddrFlags::STABLE_PRIVACY;
        }
        let a = Addr::new(ifindex, IpAddr::V6(ll), 64)
            .with_flags(flags)
            .with_proto(AddrProto::KernelLl);
        if let Ok(DadNeed::Start) = self.tables.add_addr_kernel(a) {
            self.start_dad(ctx, ifindex, ll);
        }
    }

    pub(super) fn ipv6_enabled(&self, ifindex: IfIndex) -> bool {
        self.tables.sysctl.v6(ifindex).disable_ipv6 == 0 && self.tables.sysctl.all6.disable_ipv6 == 0
    }

    /// `ip addr add ADDR/LEN dev IF [flags]`: IPv6 addresses start DAD unless `nodad` or accept_dad = 0.
    pub fn add_address(&mut self, ctx: &mut Ctx<'_>, addr: Addr) -> Result<(), HostError> {
        let (ifindex, ip) = (addr.ifindex, addr.addr);
        if let (DadNeed::Start, IpAddr::V6(x)) = (self.tables.add_addr(addr)?, ip) {
            self.start_dad(ctx, ifindex, x);
        }
        Ok(())
    }

    /// `ip addr del ADDR dev IF`.
    pub fn del_address(&mut self, ifindex: IfIndex, addr: IpAddr) -> Result<(), HostError> {
        if let IpAddr::V6(x) = addr {
            self.dad.cancel(ifindex, x);
        }
        self.tables.del_addr(ifindex, addr)?;
        Ok(())
    }

    /// `ip route add`.
    pub fn add_route(&mut self, route: Route) -> Result<(), HostError> {
        Ok(self.tables.route_add(route)?)
    }

    /// `ip rule add [priority P]`: without a priority the rule goes just before the first non-zero one.
    pub fn add_rule(&mut self, rule: Rule, priority: Option<u32>, v6: bool) -> Result<u32, HostError> {
        let set = if v6 {
            &mut self.tables.rules6
        } else {
            &mut self.tables.rules4
        };
        set.add(rule, priority).map_err(|e| HostError::Rule(e.to_string()))
    }

    /// `sysctl -w KEY=VALUE`, with the side effects Linux applies (forwarding purges RA default routes,
    /// disable_ipv6 flushes and restores, A2–A5, A26).
    pub fn set_sysctl(&mut self, ctx: &mut Ctx<'_>, key: &str, value: &str) -> Result<SysctlEffect, HostError> {
        let effect = self.tables.set_sysctl(key, value)?;
        match &effect {
            SysctlEffect::Ipv6Disabled(ifs) => {
                for &i in ifs {
                    self.dad.cancel_interface(i);
                }
            }
            SysctlEffect::Ipv6Enabled(ifs) => {
                for &i in ifs.clone().iter() {
                    if self.tables.ifaces.is_up(i) {
                        self.add_link_local(ctx, i);
                    }
                }
            }
            SysctlEffect::Ipv6ForwardingEnabled(ifs) => {
                // A router sends no RS (A4, A6: addrconf_rs_timer stops once ipv6_accept_ra() is false).
                for &i in ifs.clone().iter() {
                    if !self.tables.sysctl.accept_ra(i) {
                        self.rs_stop(i);
                    }
                }
            }
            _ => {}
        }
        Ok(effect)
    }

    /// [`Host::route_get`] for the send path: the fields it uses, from the cache without cloning the decision.
    pub(super) fn route_output(&self, q: &RouteQuery) -> Result<super::route_cache::OutputRoute, LookupError> {
        let neigh = &self.neigh;
        let reachable = |dev, gw| neigh.get(dev, gw).is_none_or(|n| n.state != NudState::Failed);
        match self.route_cache.try_borrow_mut() {
            Ok(mut cache) => cache.route_output(&self.tables, q, reachable),
            Err(_) => self
                .tables
                .route_get(q, reachable)
                .map(|d| super::route_cache::OutputRoute::of(&d)),
        }
    }

    /// `ip route get`, with the neighbour cache answering reachability (B15c).
    /// Answered from the host's route cache while nothing it depends on changed (same answer, less work).
    pub fn route_get(&self, q: &RouteQuery) -> Result<RouteDecision, LookupError> {
        let neigh = &self.neigh;
        let reachable = |dev, gw| neigh.get(dev, gw).is_none_or(|n| n.state != NudState::Failed);
        match self.route_cache.try_borrow_mut() {
            Ok(mut cache) => cache.route_get(&self.tables, q, reachable),
            Err(_) => self.tables.route_get(q, reachable),
        }
    }

    /// Starts `ping` at `ctx.now`; returns its index in [`Host::pings`].
    pub fn start_ping(&mut self, ctx: &mut Ctx<'_>, config: PingConfig) -> usize {
        let ident = self.next_ping_ident;
        self.next_ping_ident = self.next_ping_ident.wrapping_add(1);
        self.pings.push(Ping::new(config, ident, ctx.now));
        self.run_pings(ctx);
        self.pings.len() - 1
    }

    fn dad_config(&self, ifindex: IfIndex) -> DadConfig {
        let conf = self.tables.sysctl.v6(ifindex);
        let n = self.tables.sysctl.neigh6(ifindex);
        let mac = self.mac(ifindex);
        DadConfig {
            dad_transmits: u32::try_from(conf.dad_transmits).unwrap_or(0),
            retrans_time: Duration::from_millis(u64::try_from(n.retrans_time_ms).unwrap_or(1000)),
            rtr_solicit_delay: Duration::from_secs(u64::try_from(conf.router_solicitation_delay).unwrap_or(1)),
            accept_dad: super::dad::effective_accept_dad(self.tables.sysctl.all6.accept_dad, conf.accept_dad),
            enhanced_dad: self.tables.sysctl.enhanced_dad(ifindex),
            idgen_retries: 3,
            idgen_delay: Duration::from_secs(1),
            mac_link_local: Some(mac.eui64_address(iid::LINK_LOCAL_PREFIX)),
            noarp: false,
        }
    }

    pub(super) fn start_dad(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, addr: Ipv6Addr) {
        let Some(a) = self.tables.addrs.get(ifindex, IpAddr::V6(addr)) else {
            return;
        };
        let kind = super::dad::AddrKind {
            permanent: a.flags.has(AddrFlags::PERMANENT),
            temporary: a.flags.has(AddrFlags::TEMPORARY),
            stable_privacy: a.flags.has(AddrFlags::STABLE_PRIVACY).then_some(0),
            nodad: a.flags.has(AddrFlags::NODAD),
            optimistic: a.flags.has(AddrFlags::OPTIMISTIC),
        };
        let req = DadStart {
            ifindex,
            addr,
            kind,
            cfg: self.dad_config(ifindex),
        };
        let mut out = std::mem::take(&mut self.dad_out);
        self.dad.start(ctx.now, req, ctx.rng, &mut out);
        self.apply_dad(ctx, &mut out);
        self.dad_out = out;
    }

    /// Carries out what the DAD engine decided (RFC 4862 §5.4.5, linux-ipv6.md C5–C10).
    pub(super) fn apply_dad(&mut self, ctx: &mut Ctx<'_>, actions: &mut Vec<DadAction>) {
        for action in actions.drain(..) {
            match action {
                DadAction::SendNs {
                    ifindex,
                    target,
                    dst,
                    dst_mac,
                    nonce,
                } => self.send_dad_ns(ctx, ifindex, target, dst, dst_mac, nonce),
                DadAction::Succeeded { ifindex, addr } => {
                    let _ = self.tables.dad_completed(ifindex, addr);
                    self.rs_start(ctx, ifindex, addr);
                }
                DadAction::Failed { ifindex, addr, failure } => {
                    self.counters.dad_failures += 1;
                    match failure.disposition {
                        Disposition::KeepDadFailed => {
                            let _ = self.tables.dad_failed(ifindex, addr);
                        }
                        Disposition::Delete => {
                            let _ = self.tables.del_addr(ifindex, IpAddr::V6(addr));
                            self.tempaddr_dad_failed(ctx, ifindex, addr);
                        }
                    }
                    if failure.disable_ipv6 {
                        let key = format!("net.ipv6.conf.{}.disable_ipv6", self.tables.ifaces.name(ifindex));
                        let _ = self.tables.set_sysctl(&key, "1");
                        self.dad.cancel_interface(ifindex);
                    }
                    if let Regenerate::StablePrivacy { dad_count, begin_at } = failure.regenerate {
                        self.regenerate_stable(ctx, ifindex, addr, dad_count, begin_at);
                    }
                }
            }
        }
    }

    /// A stable-privacy address that failed DAD is replaced by the next `dad_count` (addrconf_dad_failure, C9).
    fn regenerate_stable(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, old: Ipv6Addr, dad_count: u8, at: Instant) {
        let inputs = self.iid_inputs(ifindex);
        let Some(secret) = inputs.secret else { return };
        let mac = inputs.mac.0;
        let Some((new, count)) = iid::stable_privacy_address(old, secret, &mac, dad_count, inputs.idgen_retries) else {
            return;
        };
        let prefix_len = 64;
        let template = self.tables.addrs.get(ifindex, IpAddr::V6(old)).cloned();
        let (flags, proto) = template
            .as_ref()
            .map_or((AddrFlags::STABLE_PRIVACY, AddrProto::KernelRa), |t| {
                (t.flags.0 & !(AddrFlags::DADFAILED | AddrFlags::TENTATIVE), t.proto)
            });
        let _ = self.tables.del_addr(ifindex, IpAddr::V6(old));
        let a = Addr::new(ifindex, IpAddr::V6(new), prefix_len)
            .with_flags(flags | AddrFlags::STABLE_PRIVACY)
            .with_proto(proto);
        if let Ok(DadNeed::Start) = self.tables.add_addr_kernel(a) {
            let mut req = DadStart {
                ifindex,
                addr: new,
                kind: super::dad::AddrKind {
                    stable_privacy: Some(count),
                    ..Default::default()
                },
                cfg: self.dad_config(ifindex),
            };
            req.kind.permanent = flags & AddrFlags::PERMANENT != 0;
            let mut out = Vec::new();
            self.dad.start_at(ctx.now, at, req, ctx.rng, &mut out);
            self.apply_dad(ctx, &mut out);
        }
    }

    fn run_pings(&mut self, ctx: &mut Ctx<'_>) {
        for i in 0..self.pings.len() {
            while let Some(t) = self.pings[i].poll_timeout() {
                if t > ctx.now {
                    break;
                }
                match self.pings[i].on_timeout(ctx.now) {
                    Some(seq) => self.send_ping(ctx, i, seq),
                    None => break,
                }
            }
        }
    }

    /// Delivers frames queued for our own addresses (bounded: each pass handles what the previous queued).
    fn drain_loopback(&mut self, ctx: &mut Ctx<'_>) {
        for _ in 0..8 {
            if self.loopback.is_empty() {
                return;
            }
            let frames = std::mem::take(&mut self.loopback);
            for f in &frames {
                self.receive(ctx, IfIndex::LOOPBACK, f);
            }
        }
        self.loopback.clear();
    }
}

impl Node for Host {
    fn handle_frame(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &Rc<Frame>) {
        self.receive(ctx, ifindex, frame);
        self.drain_loopback(ctx);
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.tables.next_deadline().is_some_and(|t| t <= now) {
            let expired = self.tables.expire(now);
            self.flush_exceptions(&expired.routes);
        }
        if self.rs_next_deadline().is_some_and(|t| t <= now) {
            self.rs_poll(ctx);
        }
        if self.slaac_next_deadline().is_some_and(|t| t <= now) {
            self.slaac_poll(ctx);
        }
        if self.neigh.next_deadline() <= now {
            let mut out = std::mem::take(&mut self.neigh_out);
            self.neigh.poll(now, ctx.rng, &mut out);
            self.apply_neigh(ctx, &mut out);
            self.neigh_out = out;
        }
        if self.dad.next_deadline() <= now {
            let mut out = std::mem::take(&mut self.dad_out);
            self.dad.poll(now, ctx.rng, &mut out);
            self.apply_dad(ctx, &mut out);
            self.dad_out = out;
        }
        if self.radvd.next_deadline() <= now {
            self.radvd_poll(ctx);
        }
        self.run_pings(ctx);
        self.transport_timers(ctx);
        self.run_due_apps(ctx);
        self.drain_loopback(ctx);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let mut t = self
            .neigh
            .next_deadline()
            .min(self.dad.next_deadline())
            .min(self.radvd.next_deadline());
        if let Some(d) = self.tables.next_deadline() {
            t = t.min(d);
        }
        for d in [self.rs_next_deadline(), self.slaac_next_deadline()]
            .into_iter()
            .flatten()
        {
            t = t.min(d);
        }
        for p in &self.pings {
            if let Some(d) = p.poll_timeout() {
                t = t.min(d);
            }
        }
        for d in [self.transport.poll_at(), self.apps_poll_at()].into_iter().flatten() {
            t = t.min(d);
        }
        (t != Instant::FAR_FUTURE).then_some(t)
    }

    fn handle_link_change(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, up: bool) {
        let _ = self.tables.set_carrier(ifindex, up);
        if !up {
            // neigh_carrier_down: entries go, permanent ones stay.
            self.neigh.flush_interface(ifindex, true);
        }
        let _ = ctx;
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
