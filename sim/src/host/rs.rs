//! Router Solicitations from the host (linux-ipv6.md A27; RFC 4861 §6.3.7), as `net/ipv6/addrconf.c` sends them:
//! the first RS right after the link-local address passes DAD (`addrconf_dad_completed`, no extra delay since DAD
//! already waited), from that link-local with an SLLA, to ff02::2; retransmissions with the RFC 3315 §14 backoff
//! (`rfc3315_s14_backoff_init/update`: RT = IRT·[0.9, 1.1], then RT = 2·RT·[0.95, 1.05] capped at
//! MRT·[0.9, 1.1]) until an accepted RA arrives or `router_solicitations` are spent (−1 = unlimited; Linux wins
//! over RFC 4861's MAX_RTR_SOLICITATIONS = 3 here). Only while `ipv6_accept_ra()` holds (A6).

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use rand::RngExt;

use super::addr::AddrFlags;
use super::node::Host;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::time::Instant;
use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use crate::wire::{Icmpv6Repr, MacAddr, NdOptionRepr, NdOptions, NdiscRepr};

/// All-routers multicast ff02::2 (RFC 4291 §2.7.1).
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

/// Per-interface RS state (`idev->rs_probes`, `rs_interval`, IF_RS_SENT, IF_RA_RCVD, `rs_timer`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RsState {
    /// RSs sent so far in this run.
    pub probes: u32,
    /// Current retransmission interval, ms.
    pub interval_ms: u64,
    /// When the timer fires next; `None` when stopped.
    pub next: Option<Instant>,
    /// IF_RS_SENT.
    pub sent: bool,
    /// IF_RA_RCVD: an accepted RA arrived after an RS.
    pub ra_received: bool,
}

/// `rfc3315_s14_backoff_init`: IRT × [0.9, 1.1] (ms).
pub fn backoff_init<R: RngExt + ?Sized>(irt_ms: u64, rng: &mut R) -> u64 {
    irt_ms * u64::from(rng.random_range(900_000u32..=1_100_000)) / 1_000_000
}

/// `rfc3315_s14_backoff_update`: RT × [1.9, 2.1], and if above MRT, MRT × [0.9, 1.1] (ms).
pub fn backoff_update<R: RngExt + ?Sized>(rt_ms: u64, mrt_ms: u64, rng: &mut R) -> u64 {
    let t = rt_ms * u64::from(rng.random_range(1_900_000u32..=2_100_000)) / 1_000_000;
    if t > mrt_ms {
        mrt_ms * u64::from(rng.random_range(900_000u32..=1_100_000)) / 1_000_000
    } else {
        t
    }
}

fn secs_ms(s: i32) -> u64 {
    u64::try_from(s).unwrap_or(0) * 1000
}

impl Host {
    /// `addrconf_dad_completed` for a link-local address: send the first RS now when RAs are accepted and
    /// `router_solicitations` ≠ 0 (A27), and arm the retransmission timer.
    pub(super) fn rs_start(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, completed: Ipv6Addr) {
        let link_local = completed.is_unicast_link_local();
        if ifindex == IfIndex::LOOPBACK || !link_local {
            return;
        }
        let conf = self.tables.sysctl.v6(ifindex);
        let (solicits, interval) = (conf.router_solicitations, conf.router_solicitation_interval);
        if !self.tables.sysctl.accept_ra(ifindex) || solicits == 0 {
            return;
        }
        let Some(src) = self.usable_link_local(ifindex) else {
            return;
        };
        self.send_rs(ctx, ifindex, src);
        let interval_ms = backoff_init(secs_ms(interval), ctx.rng);
        let st = &mut self.ra.ifs.entry(ifindex).or_default().rs;
        *st = RsState {
            probes: 1,
            interval_ms,
            next: Some(ctx.now + Duration::from_millis(interval_ms)),
            sent: true,
            ra_received: false,
        };
        self.refresh_rs_next();
    }

    fn refresh_rs_next(&mut self) {
        self.ra.rs_next = self.ra.ifs.values().filter_map(|s| s.rs.next).min();
    }

    /// Stops the RS timer (forwarding turned on, link down).
    pub(super) fn rs_stop(&mut self, ifindex: IfIndex) {
        if let Some(st) = self.ra.ifs.get_mut(&ifindex) {
            st.rs.next = None;
        }
        self.refresh_rs_next();
    }

    /// The earliest RS timer.
    pub(super) fn rs_next_deadline(&self) -> Option<Instant> {
        self.ra.rs_next
    }

    /// `addrconf_rs_timer` for every interface whose timer is due.
    pub(super) fn rs_poll(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let due: Vec<IfIndex> = self
            .ra
            .ifs
            .iter()
            .filter(|(_, s)| s.rs.next.is_some_and(|t| t <= now))
            .map(|(i, _)| *i)
            .collect();
        for ifindex in due {
            self.rs_timer(ctx, ifindex);
        }
        self.refresh_rs_next();
    }

    fn rs_timer(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex) {
        let conf = self.tables.sysctl.v6(ifindex);
        let (solicits, delay, max_interval) = (
            conf.router_solicitations,
            conf.router_solicitation_delay,
            conf.router_solicitation_max_interval,
        );
        let accept = self.tables.sysctl.accept_ra(ifindex);
        let src = self.usable_link_local(ifindex);
        let Some(st) = self.ra.ifs.get_mut(&ifindex) else {
            return;
        };
        st.rs.next = None;
        if !accept || st.rs.ra_received {
            return;
        }
        let old = st.rs.probes;
        st.rs.probes += 1;
        if !(solicits < 0 || i64::from(old) < i64::from(solicits)) {
            return; // "no IPv6 routers present"
        }
        let Some(src) = src else { return };
        st.rs.interval_ms = backoff_update(st.rs.interval_ms, secs_ms(max_interval), ctx.rng);
        // "The wait after the last probe can be shorter": router_solicitation_delay.
        let wait = if i64::from(st.rs.probes) == i64::from(solicits) {
            secs_ms(delay)
        } else {
            st.rs.interval_ms
        };
        st.rs.next = Some(ctx.now + Duration::from_millis(wait));
        self.send_rs(ctx, ifindex, src);
    }

    /// `ipv6_get_lladdr(dev, IFA_F_TENTATIVE)`: a link-local that is not tentative, on an up interface.
    fn usable_link_local(&self, ifindex: IfIndex) -> Option<Ipv6Addr> {
        if !self.tables.ifaces.is_up(ifindex) {
            return None;
        }
        self.tables.addrs.on(ifindex, true).find_map(|a| match a.addr {
            IpAddr::V6(x) if x.is_unicast_link_local() && !a.flags.has(AddrFlags::TENTATIVE) => Some(x),
            _ => None,
        })
    }

    /// `ndisc_send_rs`: from `src` with our SLLA, to ff02::2, hop limit 255.
    fn send_rs(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, src: Ipv6Addr) {
        let mac = self.mac(ifindex);
        let opts = [NdOptionRepr::SourceLinkLayerAddr(mac)];
        let rs = Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit {
            options: NdOptions::Reprs(&opts),
        });
        let l2 = L2 {
            src: mac,
            dst: MacAddr([0x33, 0x33, 0, 0, 0, 2]),
            vlan: None,
        };
        let params = Ipv6Params::new(src, ALL_ROUTERS, 255);
        let mut buf = Vec::new();
        if append_ipv6(&mut buf, l2, &params, &Upper::Icmpv6(rs)).is_ok() {
            ctx.send(ifindex, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ra_testutil::*;
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a27_backoff_bounds_rfc3315_s14() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let i = backoff_init(4000, &mut rng);
            assert!((3600..=4400).contains(&i));
            let u = backoff_update(i, 3_600_000, &mut rng);
            assert!(u >= i * 19 / 10 - 1 && u <= i * 21 / 10 + 1);
            let capped = backoff_update(3_000_000, 3_600_000, &mut rng);
            assert!((3_240_000..=3_960_000).contains(&capped));
        }
    }

    #[test]
    fn a27_first_rs_after_link_local_dad_then_backoff_until_ra() {
        let mut o = one(&[]);
        o.run(3);
        let st = o.host().ra_state(o.h0).unwrap().rs;
        assert!(st.sent && st.probes == 1, "{st:?}");
        o.run(40);
        let st = o.host().ra_state(o.h0).unwrap().rs;
        // ~4 + ~8 + ~16 s: three or four RSs by 43 s.
        assert!((3..=4).contains(&st.probes), "{st:?}");
        o.send_ra(&ra("fe80::1"));
        let before = o.host().ra_state(o.h0).unwrap().rs.probes;
        o.run(200);
        assert_eq!(
            o.host().ra_state(o.h0).unwrap().rs.probes,
            before,
            "the pending timer sees the RA and stops"
        );
        assert_eq!(o.host().ra_state(o.h0).unwrap().rs.next, None);
    }

    #[test]
    fn a27_router_solicitations_limit_and_a6_accept_ra_zero_sends_none() {
        let mut o = one(&[("router_solicitations", "2")]);
        o.run(100);
        assert_eq!(
            o.host().ra_state(o.h0).unwrap().rs.probes,
            3,
            "2 sent, third timer run gives up"
        );
        let mut o = one(&[("accept_ra", "0")]);
        o.run(10);
        assert!(o.host().ra_state(o.h0).is_none_or(|s| !s.rs.sent));
        let mut o = one(&[("addr_gen_mode", "1")]);
        o.run(10);
        assert!(
            o.host().ra_state(o.h0).is_none_or(|s| !s.rs.sent),
            "no link-local, no RS (C13)"
        );
    }
}
