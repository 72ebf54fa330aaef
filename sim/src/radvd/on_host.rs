//! Running RA daemons inside a router [`Host`]: the daemons live in the host's `radvd` field, their timers join
//! the host's `poll_timeout`, Router Solicitations reach them from the host's ND input, and their RAs leave
//! through the host's own interface with its link-local source and MAC, as radvd's raw ICMPv6 socket does.

use std::net::{IpAddr, Ipv6Addr};

use super::advert::append_ra;
use super::config::RaIfaceConfig;
use super::daemon::{RaDaemon, RaSend, RaStats};
use crate::host::addr::AddrFlags;
use crate::host::node::Host;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::time::Instant;
use crate::wire::MacAddr;

/// Errors attaching or stopping a daemon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RadvdError {
    /// The configuration names an interface the host does not have.
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    /// A daemon already runs on the interface.
    #[error("radvd already runs on {0}")]
    AlreadyRunning(String),
    /// No daemon runs on the interface.
    #[error("radvd does not run on {0}")]
    NotRunning(String),
}

/// The RA daemons of one host, one per advertising interface, in start order.
#[derive(Debug, Default)]
pub struct Radvd {
    daemons: Vec<RaDaemon>,
    /// Scratch, reused across events.
    out: Vec<RaSend>,
}

impl Radvd {
    /// The daemons, in start order.
    pub fn daemons(&self) -> &[RaDaemon] {
        &self.daemons
    }

    /// The daemon of `ifindex`.
    pub fn daemon(&self, ifindex: IfIndex) -> Option<&RaDaemon> {
        self.daemons.iter().find(|d| d.ifindex == ifindex)
    }

    /// The counters summed over every interface.
    pub fn stats(&self) -> RaStats {
        let mut s = RaStats::default();
        for d in &self.daemons {
            s.multicast_sent += d.stats.multicast_sent;
            s.unicast_sent += d.stats.unicast_sent;
            s.final_sent += d.stats.final_sent;
            s.rs_received += d.stats.rs_received;
            s.rs_ignored += d.stats.rs_ignored;
            s.rs_multicast += d.stats.rs_multicast;
        }
        s
    }

    /// The earliest deadline of any daemon, `FAR_FUTURE` if none.
    pub fn next_deadline(&self) -> Instant {
        self.daemons
            .iter()
            .map(RaDaemon::next_deadline)
            .min()
            .unwrap_or(Instant::FAR_FUTURE)
    }
}

/// The interface's usable link-local address: radvd needs one to send from (tentative ones cannot be bound).
fn link_local(host: &Host, ifindex: IfIndex) -> Option<Ipv6Addr> {
    host.tables.addrs.on(ifindex, true).find_map(|a| match a.addr {
        IpAddr::V6(x) if x.is_unicast_link_local() && !a.flags.has(AddrFlags::TENTATIVE) => Some(x),
        _ => None,
    })
}

impl Host {
    /// Starts an RA daemon on the interface `config.ifname` (radvd's start-up: the first RA is due now).
    /// The interface should have `forwarding = 1` for hosts to accept the RA and for RSs to reach the daemon.
    pub fn start_radvd(&mut self, ctx: &mut Ctx<'_>, config: RaIfaceConfig) -> Result<(), RadvdError> {
        let ifindex = self
            .ifindex(&config.ifname)
            .ok_or_else(|| RadvdError::NoSuchInterface(config.ifname.clone()))?;
        if self.radvd.daemon(ifindex).is_some_and(|d| !d.is_stopped()) {
            return Err(RadvdError::AlreadyRunning(config.ifname));
        }
        // A stopped daemon is replaced (its counters go with it), as restarting radvd starts afresh.
        self.radvd.daemons.retain(|d| d.ifindex != ifindex);
        self.radvd.daemons.push(RaDaemon::start(ifindex, config, ctx.now));
        self.radvd_poll(ctx);
        Ok(())
    }

    /// Stops the daemon on `ifname`, sending its final RA (Router Lifetime 0, RFC 4861 §6.2.5) first.
    pub fn stop_radvd(&mut self, ctx: &mut Ctx<'_>, ifname: &str) -> Result<(), RadvdError> {
        let ifindex = self
            .ifindex(ifname)
            .ok_or_else(|| RadvdError::NoSuchInterface(ifname.into()))?;
        let i = self
            .radvd
            .daemons
            .iter()
            .position(|d| d.ifindex == ifindex && !d.is_stopped())
            .ok_or_else(|| RadvdError::NotRunning(ifname.into()))?;
        let mut out = std::mem::take(&mut self.radvd.out);
        self.radvd.daemons[i].shutdown(&mut out);
        self.radvd_send(ctx, i, &mut out);
        self.radvd.out = out;
        Ok(())
    }

    /// Runs every daemon whose deadline has come (called from the host's `handle_timeout`).
    pub(crate) fn radvd_poll(&mut self, ctx: &mut Ctx<'_>) {
        let mut out = std::mem::take(&mut self.radvd.out);
        for i in 0..self.radvd.daemons.len() {
            let d = &self.radvd.daemons[i];
            if d.next_deadline() > ctx.now {
                continue;
            }
            let ifindex = d.ifindex;
            let ready = self.tables.ifaces.is_up(ifindex) && link_local(self, ifindex).is_some();
            self.radvd.daemons[i].poll(ctx.now, ctx.rng, ready, &mut out);
            self.radvd_send(ctx, i, &mut out);
        }
        self.radvd.out = out;
    }

    /// A Router Solicitation that passed ND validation arrived on `ifindex` (called from the host's ND input).
    pub(crate) fn radvd_recv_rs(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, src: Ipv6Addr, slla: Option<MacAddr>) {
        if let Some(d) = self.radvd.daemons.iter_mut().find(|d| d.ifindex == ifindex) {
            d.recv_rs(ctx.now, ctx.rng, src, slla);
        }
    }

    fn radvd_send(&mut self, ctx: &mut Ctx<'_>, i: usize, out: &mut Vec<RaSend>) {
        let d = &self.radvd.daemons[i];
        let ifindex = d.ifindex;
        let (Some(src), mac) = (link_local(self, ifindex), self.mac(ifindex)) else {
            out.clear();
            return;
        };
        for kind in out.drain(..) {
            let mut buf = Vec::new();
            if append_ra(&mut buf, &d.config, kind, src, mac, d.started_at(), ctx.now).is_ok() {
                ctx.send(ifindex, buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_daemon_means_no_deadline_and_zero_counters() {
        let r = Radvd::default();
        assert_eq!(r.next_deadline(), Instant::FAR_FUTURE);
        assert_eq!(r.stats(), RaStats::default());
        assert!(r.daemon(IfIndex(2)).is_none());
    }

    #[test]
    fn counters_add_up_over_interfaces_and_the_earliest_deadline_wins() {
        let mut r = Radvd::default();
        for (i, at) in [(2u32, 5u64), (3, 2)] {
            let mut d = RaDaemon::start(
                IfIndex(i),
                RaIfaceConfig::new(format!("eth{i}")),
                Instant::from_secs(at),
            );
            let mut out = Vec::new();
            d.shutdown(&mut out);
            r.daemons
                .push(RaDaemon::start(IfIndex(i), d.config.clone(), Instant::from_secs(at)));
            r.daemons.push(d);
        }
        assert_eq!(r.next_deadline(), Instant::from_secs(2));
        assert_eq!(r.stats().final_sent, 2);
    }
}
