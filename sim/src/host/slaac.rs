//! Prefix Information options: on-link routes and stateless address autoconfiguration, as
//! `net/ipv6/addrconf.c:addrconf_prefix_rcv` and `addrconf_prefix_rcv_add_addr` do them (linux-ipv6.md A10–A11,
//! A16, A18–A19, A23, B21–B31, C12, C13), with RFC 8981 temporary addresses (`manage_tempaddrs`,
//! `ipv6_create_tempaddr`).
//!
//! Lifetimes run in virtual time: the tables' `expire` deprecates at the preferred deadline and deletes at the valid
//! one (B30), from [`super::node::Host`]'s timer.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use ipnet::Ipv6Net;
use rand::{Rng, RngExt};

use super::addr::{Addr, AddrFlags, AddrProto};
use super::iid::{self, IidSource};
use super::node::Host;
use super::tables::DadNeed;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::time::Instant;
use crate::wire::PrefixInfo;

/// RFC 4862 §5.5.3(e) MIN_VALID_LIFETIME: two hours (B21).
pub const MIN_VALID_LIFETIME: u32 = 2 * 3600;

/// The PIO P flag (RFC 9762), among [`PrefixInfo::other_flags`] (A19).
pub const PIO_FLAG_P: u8 = 0x10;

/// A temporary address and the public SLAAC address it was made for (`ifp->ifpub`, C12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TempAddr {
    /// Interface.
    pub ifindex: IfIndex,
    /// The temporary address.
    pub temp: Ipv6Addr,
    /// Its public (`mngtmpaddr`) address.
    pub public: Ipv6Addr,
    /// Creation time (`cstamp`), for the temp_valid_lft / temp_prefered_lft caps.
    pub created: Instant,
    /// `regen_count`: a successor was already made for this one (addrconf_verify_rtnl makes one per address).
    pub regenerated: bool,
}

/// Remaining whole seconds until `until` (`None` = forever → 0xffffffff), as the kernel's
/// `valid_lft - (now - tstamp)/HZ`: the age is floored, so a fractional remainder rounds up.
fn remaining(until: Option<Instant>, now: Instant) -> u32 {
    match until {
        None => u32::MAX,
        Some(t) if t <= now => 0,
        Some(t) => {
            let d = t - now;
            let up = u64::from(d.subsec_nanos() > 0);
            u32::try_from(d.as_secs() + up).unwrap_or(u32::MAX)
        }
    }
}

fn deadline(now: Instant, secs: u32) -> Option<Instant> {
    (secs != u32::MAX).then(|| now + Duration::from_secs(u64::from(secs)))
}

/// Sets kernel-managed lifetimes without touching IFA_F_PERMANENT (SLAAC addresses are never permanent, so they
/// print `dynamic` even with an infinite lifetime); a preferred lifetime of 0 deprecates at once (B30).
fn set_lifetimes(a: &mut Addr, now: Instant, valid: u32, preferred: u32) {
    a.valid_until = deadline(now, valid);
    a.preferred_until = deadline(now, preferred.min(valid));
    a.flags.0 &= !AddrFlags::DEPRECATED;
    if preferred == 0 {
        a.flags.0 |= AddrFlags::DEPRECATED;
    }
}

/// RFC 4862 §5.5.3(e) for an existing address (B21), as the 6.18 kernel behaves in B2.log: `Some((valid,
/// preferred))` to store, `None` to leave the address alone (stored lifetime already 0). New valid =
/// max(received, min(stored, 2 h)); the preferred lifetime is always the received one (capped at the valid one).
/// Linux adds `ra_honor_pio_life` (A18), which takes the received lifetime as is.
pub fn two_hour_rule(stored: u32, valid: u32, preferred: u32, honor_pio_life: bool) -> Option<(u32, u32)> {
    if stored == 0 {
        return None;
    }
    let v = if honor_pio_life {
        valid
    } else {
        valid.max(stored.min(MIN_VALID_LIFETIME))
    };
    Some((v, preferred.min(v)))
}

/// Whether a PIO is used at all (addrconf_prefix_rcv): not link-local or multicast (B24), preferred ≤ valid (B23),
/// a non-zero valid lifetime not below `accept_ra_min_lft` (A16), a representable prefix.
pub fn pio_usable(pi: &PrefixInfo, min_lft: i32) -> Option<Ipv6Net> {
    let p = pi.prefix;
    let link_local = p.is_unicast_link_local();
    if link_local || p.is_multicast() || pi.preferred_lifetime > pi.valid_lifetime {
        return None;
    }
    if super::ra::below_min_lft(pi.valid_lifetime, min_lft) {
        return None;
    }
    Ipv6Net::new(p, pi.prefix_len).ok().map(|n| n.trunc())
}

impl Host {
    /// `addrconf_prefix_rcv`: the on-link route for L=1 (B22, B25; any prefix length, B27), then for A=1 with
    /// autoconf on (A11) and P not honoured (A19) a SLAAC address for /64 prefixes only (B26–B28).
    pub(super) fn prefix_rcv(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, pi: &PrefixInfo, sllao: bool) {
        let conf = self.tables.sysctl.v6(ifindex);
        let (min_lft, autoconf, pflag) = (conf.accept_ra_min_lft, conf.autoconf, conf.ra_honor_pio_pflag);
        let Some(net) = pio_usable(pi, min_lft) else {
            return;
        };
        let now = ctx.now;
        if pi.on_link {
            self.tables.ra_prefix_route(ifindex, net, pi.valid_lifetime, now);
        }
        let p_honoured = pi.other_flags & PIO_FLAG_P != 0 && pflag != 0;
        if !pi.autonomous || autoconf == 0 || p_honoured || pi.prefix_len != 64 {
            return; // B27: "prefix with wrong length" for A=1 and len ≠ 64
        }
        let mut inputs = self.iid_inputs(ifindex);
        let mac = inputs.mac.0;
        inputs.perm_addr = &mac;
        let token = self.ra.ifs.get(&ifindex).and_then(|s| s.token);
        let (addr, source) = iid::slaac_address(net.network(), token, &inputs);
        let stable = matches!(source, IidSource::StablePrivacy { .. });
        self.prefix_rcv_add_addr(ctx, ifindex, addr, stable, sllao, pi);
    }

    /// `addrconf_prefix_rcv_add_addr` (B21, B28–B30, C11, C12).
    fn prefix_rcv_add_addr(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        addr: Ipv6Addr,
        stable: bool,
        sllao: bool,
        pi: &PrefixInfo,
    ) {
        let now = ctx.now;
        let (mut valid, mut preferred) = (pi.valid_lifetime, pi.preferred_lifetime);
        let conf = self.tables.sysctl.v6(ifindex);
        let (max_addresses, honor_life) = (conf.max_addresses, conf.ra_honor_pio_life != 0);
        let existing = self.tables.addrs.get(ifindex, IpAddr::V6(addr)).is_some();
        let mut create = false;
        if !existing {
            if valid == 0 {
                return; // B29
            }
            // "Do not allow to create too much of autoconfigured addresses" (B28): every address counts.
            if max_addresses > 0 && self.count_addresses(ifindex) >= max_addresses as usize {
                return;
            }
            let mut flags = AddrFlags::MNGTMPADDR;
            if stable {
                flags |= AddrFlags::STABLE_PRIVACY;
            }
            // C11: optimistic when asked, not forwarding, and the RA carried an SLLA.
            if self.tables.sysctl.optimistic_dad(ifindex) && !self.tables.sysctl.ipv6_forwarding_all() && sllao {
                flags |= AddrFlags::OPTIMISTIC;
            }
            let mut a = Addr::new(ifindex, IpAddr::V6(addr), 64)
                .with_flags(flags)
                .with_proto(AddrProto::KernelRa);
            a.flags.0 &= !AddrFlags::PERMANENT;
            set_lifetimes(&mut a, now, valid, preferred);
            match self.tables.add_addr_kernel(a) {
                Ok(DadNeed::Start) => self.start_dad(ctx, ifindex, addr),
                Ok(DadNeed::None) => {}
                Err(_) => return,
            }
            create = true;
        } else {
            let Some(a) = self.tables.addrs.get_mut(ifindex, IpAddr::V6(addr)) else {
                return;
            };
            if a.flags.has(AddrFlags::PERMANENT) {
                return; // a manually configured address with the same value keeps its lifetimes
            }
            let stored = remaining(a.valid_until, now);
            if let Some((v, p)) = two_hour_rule(stored, valid, preferred, honor_life) {
                (valid, preferred) = (v, p);
                set_lifetimes(a, now, valid, preferred);
            }
        }
        self.manage_tempaddrs(ctx, ifindex, addr, valid, preferred, create);
    }

    /// `ipv6_count_addresses`: every IPv6 address of the interface, link-local and tentative ones included.
    fn count_addresses(&self, ifindex: IfIndex) -> usize {
        self.tables.addrs.on(ifindex, true).count()
    }

    /// `manage_tempaddrs` (C12): extend the temporaries of `public` within temp_valid_lft / temp_prefered_lft −
    /// desync counted from their creation, and create one when this is a new public address (or none exists) and
    /// use_tempaddr > 0.
    fn manage_tempaddrs(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        public: Ipv6Addr,
        valid: u32,
        preferred: u32,
        create: bool,
    ) {
        let now = ctx.now;
        let conf = self.tables.sysctl.v6(ifindex);
        let (temp_valid, temp_pref, use_temp) = (conf.temp_valid_lft, conf.temp_prefered_lft, conf.use_tempaddr);
        let desync = self.desync_factor(ctx, ifindex);
        // Forget temporaries that are gone (expired, DAD failure).
        let addrs = &self.tables.addrs;
        self.ra
            .temps
            .retain(|t| addrs.get(t.ifindex, IpAddr::V6(t.temp)).is_some());
        let mut any_temp = false;
        for t in self.ra.temps.iter().filter(|t| t.ifindex == ifindex) {
            any_temp = true;
            if t.public != public {
                continue;
            }
            let age = i64::try_from((now - t.created).as_secs()).unwrap_or(i64::MAX);
            let max_valid = (i64::from(temp_valid) - age).max(0);
            let max_pref = (i64::from(temp_pref) - i64::from(desync) - age).max(0);
            let v = u32::try_from(i64::from(valid).min(max_valid)).unwrap_or(0);
            let p = u32::try_from(i64::from(preferred).min(max_pref)).unwrap_or(0);
            if let Some(a) = self.tables.addrs.get_mut(ifindex, IpAddr::V6(t.temp)) {
                set_lifetimes(a, now, v, p);
            }
        }
        if (create || !any_temp) && use_temp > 0 {
            self.create_tempaddr(ctx, ifindex, public, desync);
        }
    }

    /// The interface's DESYNC_FACTOR, drawn once in [0, max_desync_factor) from the simulation RNG.
    fn desync_factor(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex) -> u32 {
        // Drawn once per interface; every later RA only reads it (without recomputing the bound).
        if let Some(d) = self.ra.ifs.get(&ifindex).and_then(|st| st.desync_factor) {
            return d;
        }
        let c = self.tables.sysctl.v6(ifindex);
        // ipv6_create_tempaddr: the factor stays below temp_prefered_lft − REGEN_ADVANCE.
        let cap = i64::from(c.temp_prefered_lft) - self.regen_advance(ifindex);
        let max = u32::try_from(i64::from(c.max_desync_factor).min(cap)).unwrap_or(0);
        let st = self.ra.ifs.entry(ifindex).or_default();
        *st.desync_factor
            .get_or_insert_with(|| if max > 0 { ctx.rng.random_range(0..max) } else { 0 })
    }

    /// `ipv6_create_tempaddr` (C12): a random IID (not a reserved one), valid = min(public's, temp_valid_lft),
    /// preferred = min(public's, temp_prefered_lft − desync, valid); none when the preferred lifetime would not
    /// exceed REGEN_ADVANCE or the interface is at max_addresses.
    fn create_tempaddr(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, public: Ipv6Addr, desync: u32) {
        let now = ctx.now;
        let conf = self.tables.sysctl.v6(ifindex);
        let (temp_valid, temp_pref, max_addresses) = (conf.temp_valid_lft, conf.temp_prefered_lft, conf.max_addresses);
        if conf.use_tempaddr <= 0 {
            return; // "use_tempaddr is disabled"
        }
        let regen_advance = self.regen_advance(ifindex);
        if max_addresses > 0 && self.count_addresses(ifindex) >= max_addresses as usize {
            return;
        }
        let Some(pub_addr) = self.tables.addrs.get(ifindex, IpAddr::V6(public)) else {
            return;
        };
        let pub_valid = remaining(pub_addr.valid_until, now);
        let pub_pref = remaining(pub_addr.preferred_until, now);
        let optimistic = pub_addr.flags.0 & AddrFlags::OPTIMISTIC;
        let valid = pub_valid.min(u32::try_from(temp_valid).unwrap_or(0));
        let pref_cap = (i64::from(temp_pref) - i64::from(desync)).max(0);
        let preferred = u32::try_from(i64::from(pub_pref).min(pref_cap)).unwrap_or(0).min(valid);
        if i64::from(preferred) <= regen_advance {
            return;
        }
        let mut iid_bytes = [0u8; 8];
        loop {
            ctx.rng.fill_bytes(&mut iid_bytes);
            if iid_bytes != [0; 8] && !iid::is_reserved_iid(iid_bytes) {
                break;
            }
        }
        let temp = iid::with_iid(public, iid_bytes);
        let mut a = Addr::new(ifindex, IpAddr::V6(temp), 64)
            .with_flags(AddrFlags::TEMPORARY | optimistic)
            .with_proto(AddrProto::KernelRa);
        a.flags.0 &= !AddrFlags::PERMANENT;
        set_lifetimes(&mut a, now, valid, preferred);
        match self.tables.add_addr_kernel(a) {
            Ok(DadNeed::Start) => self.start_dad(ctx, ifindex, temp),
            Ok(DadNeed::None) => {}
            Err(_) => return,
        }
        self.ra.temps.push(TempAddr {
            ifindex,
            temp,
            public,
            created: now,
            regenerated: false,
        });
    }

    /// `addrconf_dad_stop` for a temporary address (C8): it is gone (deleted by the caller) and its public address
    /// gets a new one, until `regen_max_retry` successive failures turn temporary addresses off (use_tempaddr = −1,
    /// "regeneration time exceeded").
    pub(super) fn tempaddr_dad_failed(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, addr: Ipv6Addr) {
        let Some(pos) = self
            .ra
            .temps
            .iter()
            .position(|t| t.ifindex == ifindex && t.temp == addr)
        else {
            return;
        };
        let public = self.ra.temps.remove(pos).public;
        let counts = &mut self.ra.regen_counts;
        let count = match counts.iter_mut().find(|(i, p, _)| *i == ifindex && *p == public) {
            Some(c) => {
                c.2 += 1;
                c.2
            }
            None => {
                counts.push((ifindex, public, 1));
                1
            }
        };
        let max_retry = self.tables.sysctl.v6(ifindex).regen_max_retry;
        if i64::from(count) > i64::from(max_retry) {
            if let Some(c) = self.tables.sysctl.v6_mut(ifindex) {
                c.use_tempaddr = -1;
            }
            return;
        }
        let desync = self.desync_factor(ctx, ifindex);
        self.create_tempaddr(ctx, ifindex, public, desync);
    }

    /// `ipv6_get_regen_advance`: regen_max_retry × dad_transmits × retrans_time, in seconds (REGEN_ADVANCE).
    fn regen_advance(&self, ifindex: IfIndex) -> i64 {
        let c = self.tables.sysctl.v6(ifindex);
        let retrans_s = i64::from(self.tables.sysctl.neigh6(ifindex).retrans_time_ms.max(0)) / 1000;
        i64::from(c.regen_max_retry) * i64::from(c.dad_transmits.max(0)) * retrans_s
    }

    /// When a temporary address is REGEN_ADVANCE from its preferred end and needs a successor (RFC 8981 §3.4).
    fn regen_at(&self, t: &TempAddr) -> Option<Instant> {
        let a = self.tables.addrs.get(t.ifindex, IpAddr::V6(t.temp))?;
        if t.regenerated || a.flags.has(AddrFlags::TENTATIVE) {
            return None;
        }
        let advance = Duration::from_secs(u64::try_from(self.regen_advance(t.ifindex)).unwrap_or(0));
        let pref = a.preferred_until?.saturating_since(Instant::ZERO);
        Some(Instant::ZERO + pref.saturating_sub(advance))
    }

    /// The next temporary-address regeneration deadline.
    pub(super) fn slaac_next_deadline(&self) -> Option<Instant> {
        self.ra.temps.iter().filter_map(|t| self.regen_at(t)).min()
    }

    /// `addrconf_verify_rtnl` for temporaries: one successor per temporary address that reached its
    /// regeneration time, made from its public address (`ipv6_create_tempaddr(ifpub, true)`).
    pub(super) fn slaac_poll(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let mut i = 0;
        while i < self.ra.temps.len() {
            let t = self.ra.temps[i];
            if self.regen_at(&t).is_some_and(|at| at <= now) {
                self.ra.temps[i].regenerated = true;
                // ifpub->regen_count = 0 before a regular regeneration.
                self.ra
                    .regen_counts
                    .retain(|(x, p, _)| !(*x == t.ifindex && *p == t.public));
                if self.tables.addrs.get(t.ifindex, IpAddr::V6(t.public)).is_some() {
                    let desync = self.desync_factor(ctx, t.ifindex);
                    self.create_tempaddr(ctx, t.ifindex, t.public, desync);
                }
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ra_testutil::*;
    use super::*;
    use crate::host::render_addr::ip_addr_show;
    use crate::wire::NdOptionRepr;

    fn pio(p: &str, len: u8, valid: u32, pref: u32, l: bool, a: bool) -> NdOptionRepr<'static> {
        NdOptionRepr::PrefixInformation(PrefixInfo {
            prefix_len: len,
            on_link: l,
            autonomous: a,
            other_flags: 0,
            valid_lifetime: valid,
            preferred_lifetime: pref,
            prefix: v6(p),
        })
    }

    fn send_pio(o: &mut One, opt: NdOptionRepr<'static>) {
        let mut r = ra("fe80::1");
        r.opts.push(opt);
        o.send_ra(&r);
    }

    fn lifetimes(o: &One, a: &str) -> (u32, u32, bool) {
        let x = o.host().tables.addrs.get(o.h0, IpAddr::V6(v6(a))).unwrap();
        (
            remaining(x.valid_until, o.now()),
            remaining(x.preferred_until, o.now()),
            x.flags.has(AddrFlags::DEPRECATED),
        )
    }

    const A1: &str = "2001:db8:1:0:5054:ff:fe12:3456";

    #[test]
    fn b21_two_hour_rule_sequence_from_b2_log() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:1::", 64, 86400, 14400, true, true));
        o.run(2);
        send_pio(&mut o, pio("2001:db8:1::", 64, 60, 60, true, true));
        assert_eq!(lifetimes(&o, A1), (7200, 60, false), "received 60 → 7200");
        o.run(2);
        send_pio(&mut o, pio("2001:db8:1::", 64, 7000, 0, true, true));
        assert_eq!(
            lifetimes(&o, A1),
            (7198, 0, true),
            "stored ≤ 2 h: valid kept, preferred taken"
        );
        send_pio(&mut o, pio("2001:db8:1::", 64, 10000, 5000, true, true));
        assert_eq!(lifetimes(&o, A1), (10000, 5000, false));
        send_pio(&mut o, pio("2001:db8:1::", 64, 0, 0, true, true));
        assert_eq!(lifetimes(&o, A1), (7200, 0, true), "valid 0 → 2 h and deprecated");
        assert!(
            !o.routes().contains("2001:db8:1::/64"),
            "B22: valid 0 deletes the prefix route"
        );
        assert_eq!(
            two_hour_rule(86400, 30, 30, true),
            Some((30, 30)),
            "A18 ra_honor_pio_life"
        );
    }

    #[test]
    fn b22_prefix_route_takes_received_lifetime_directly() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:1::", 64, 86400, 14400, true, true));
        send_pio(&mut o, pio("2001:db8:1::", 64, 60, 60, true, true));
        assert!(o
            .routes()
            .contains("2001:db8:1::/64 dev h0 proto kernel metric 256 expires 60sec pref medium"));
    }

    #[test]
    fn b23_b24_preferred_above_valid_and_link_local_prefix_ignored() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:10::", 64, 100, 200, true, true));
        send_pio(&mut o, pio("fe80::", 64, 100, 50, true, true));
        send_pio(&mut o, pio("ff02::", 64, 100, 50, true, true));
        let r = o.routes();
        assert!(
            !r.contains("2001:db8:10::") && r.matches("fe80::/64").count() == 1,
            "{r}"
        );
        assert_eq!(o.host().tables.addrs.on(o.h0, true).count(), 1, "only the link-local");
    }

    #[test]
    fn b25_infinite_valid_has_no_expires() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:14::", 64, u32::MAX, u32::MAX, true, false));
        assert!(o
            .routes()
            .contains("2001:db8:14::/64 dev h0 proto kernel metric 256 pref medium\n"));
    }

    #[test]
    fn b26_l0_a1_address_without_route_b27_len48_route_without_address() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:12::", 64, 86400, 14400, false, true));
        send_pio(&mut o, pio("2001:db8:48::", 48, 86400, 14400, true, true));
        assert!(o.has_addr("2001:db8:12::5054:ff:fe12:3456"));
        let r = o.routes();
        assert!(!r.contains("2001:db8:12::/64"));
        assert!(r.contains("2001:db8:48::/48 dev h0 proto kernel metric 256"));
        assert!(!o.has_addr("2001:db8:48::5054:ff:fe12:3456"));
    }

    #[test]
    fn b28_address_text_as_b1_log_and_b29_valid0_creates_nothing() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:1::", 64, 86400, 14400, true, true));
        send_pio(&mut o, pio("2001:db8:29::", 64, 0, 0, true, true));
        o.run(3);
        let text = ip_addr_show(
            &o.host().tables,
            crate::host::render_addr::Family::V6,
            Some(o.h0),
            o.now(),
        );
        assert!(
            text.contains("    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr \n       valid_lft 86397sec preferred_lft 14397sec\n"),
            "{text}"
        );
        assert!(!o.has_addr("2001:db8:29::5054:ff:fe12:3456"));
    }

    #[test]
    fn b28_max_addresses_bounds_slaac() {
        let mut o = one(&[("max_addresses", "4")]);
        for i in 0..10u16 {
            send_pio(&mut o, pio(&format!("2001:db8:{i:x}::"), 64, 600, 600, true, true));
        }
        assert_eq!(o.host().tables.addrs.on(o.h0, true).count(), 4, "link-local + 3 SLAAC");
    }

    #[test]
    fn b30_deprecated_then_deleted_in_virtual_time() {
        let mut o = one(&[]);
        send_pio(&mut o, pio("2001:db8:30::", 64, 20, 10, false, true));
        o.run(11);
        assert!(lifetimes(&o, "2001:db8:30::5054:ff:fe12:3456").2);
        o.run(10);
        assert!(!o.has_addr("2001:db8:30::5054:ff:fe12:3456"));
    }

    #[test]
    fn b31_token_and_c13_addr_gen_mode_none_still_eui64() {
        let mut o = one(&[]);
        let h0 = o.h0;
        o.sim.with_host(o.h, |h, _| h.set_token(h0, Some(v6("::1234:5678"))));
        send_pio(&mut o, pio("2001:db8:c::", 64, 600, 600, true, true));
        assert!(o.has_addr("2001:db8:c::1234:5678"));
        let mut o = one(&[("addr_gen_mode", "1")]);
        send_pio(&mut o, pio("2001:db8:d::", 64, 600, 600, true, true));
        assert!(o.has_addr("2001:db8:d::5054:ff:fe12:3456"));
    }

    #[test]
    fn a10_pinfo_off_a11_autoconf_off_a19_pflag() {
        let mut o = one(&[("accept_ra_pinfo", "0")]);
        send_pio(&mut o, pio("2001:db8:20::", 64, 600, 600, true, true));
        assert!(!o.routes().contains("2001:db8:20::"));
        let mut o = one(&[("autoconf", "0")]);
        send_pio(&mut o, pio("2001:db8:20::", 64, 600, 600, true, true));
        assert!(o.routes().contains("2001:db8:20::/64") && !o.has_addr("2001:db8:20::5054:ff:fe12:3456"));
        let mut o = one(&[("ra_honor_pio_pflag", "1")]);
        let mut p = pio("2001:db8:21::", 64, 600, 600, true, true);
        if let NdOptionRepr::PrefixInformation(ref mut pi) = p {
            pi.other_flags = PIO_FLAG_P;
        }
        send_pio(&mut o, p);
        assert!(o.routes().contains("2001:db8:21::/64") && !o.has_addr("2001:db8:21::5054:ff:fe12:3456"));
    }

    #[test]
    fn c3_stable_privacy_flag_for_mode_3() {
        let mut o = one(&[("addr_gen_mode", "3")]);
        send_pio(&mut o, pio("2001:db8:4::", 64, 600, 600, true, true));
        let a = o
            .host()
            .tables
            .addrs
            .on(o.h0, true)
            .find(|a| a.proto == AddrProto::KernelRa)
            .cloned();
        let a = a.unwrap();
        assert!(a.flags.has(AddrFlags::STABLE_PRIVACY | AddrFlags::MNGTMPADDR));
        assert_ne!(a.addr, IpAddr::V6(v6("2001:db8:4::5054:ff:fe12:3456")));
    }

    #[test]
    fn rfc8981_s3_4_temporary_regenerated_regen_advance_before_deprecation() {
        let mut o = one(&[
            ("use_tempaddr", "2"),
            ("temp_prefered_lft", "60"),
            ("max_desync_factor", "0"),
        ]);
        send_pio(&mut o, pio("2001:db8:8::", 64, 86400, 14400, true, true));
        let temps = |o: &One| {
            o.host()
                .tables
                .addrs
                .on(o.h0, true)
                .filter(|a| a.flags.has(AddrFlags::TEMPORARY))
                .map(|a| (a.addr, a.flags.has(AddrFlags::DEPRECATED)))
                .collect::<Vec<_>>()
        };
        o.run(56);
        assert_eq!(temps(&o).len(), 1);
        o.run(2); // 58 s: 60 − REGEN_ADVANCE (3 × 1 × 1 s) has passed
        let t = temps(&o);
        assert_eq!(t.len(), 2, "{t:?}");
        o.run(3);
        let t = temps(&o);
        assert_eq!(
            t.iter().filter(|(_, dep)| *dep).count(),
            1,
            "the old one is deprecated at 60 s: {t:?}"
        );
        o.run(60);
        assert_eq!(temps(&o).len(), 3, "each temporary gets exactly one successor");
    }

    #[test]
    fn c8_duplicate_temporary_replaced_until_regen_max_retry() {
        let mut o = one(&[("use_tempaddr", "2")]);
        o.run(3);
        send_pio(&mut o, pio("2001:db8:8::", 64, 86400, 14400, true, true));
        let temp = |o: &One| {
            o.host()
                .tables
                .addrs
                .on(o.h0, true)
                .find(|a| a.flags.has(AddrFlags::TEMPORARY))
                .map(|a| a.addr)
        };
        let mut seen = Vec::new();
        for _ in 0..4 {
            let Some(IpAddr::V6(t)) = temp(&o) else { break };
            seen.push(t);
            // Someone already owns it: an NA for our tentative temporary (C5a).
            o.deliver(na_for(t));
        }
        assert_eq!(seen.len(), 4, "the first and three replacements: {seen:?}");
        assert_eq!(temp(&o), None, "the fourth failure exceeded regen_max_retry = 3");
        assert_eq!(o.host().tables.sysctl.v6(o.h0).use_tempaddr, -1);
        assert!(
            o.has_addr("2001:db8:8::5054:ff:fe12:3456"),
            "the public address is unaffected"
        );
    }

    /// An unsolicited NA with O=1 from 02:00:00:00:00:99 for `target`.
    fn na_for(target: Ipv6Addr) -> Vec<u8> {
        use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
        use crate::wire::{Icmpv6Repr, MacAddr, NaFlags, NdOptions, NdiscRepr};
        let opts = [NdOptionRepr::TargetLinkLayerAddr(MacAddr([2, 0, 0, 0, 0, 0x99]))];
        let msg = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
            flags: NaFlags {
                router: false,
                solicited: false,
                override_: true,
            },
            target,
            options: NdOptions::Reprs(&opts),
        });
        let l2 = L2 {
            src: MacAddr([2, 0, 0, 0, 0, 0x99]),
            dst: MacAddr([0x33, 0x33, 0, 0, 0, 1]),
            vlan: None,
        };
        let p = Ipv6Params::new(v6("fe80::99"), v6("ff02::1"), 255);
        let mut buf = Vec::new();
        append_ipv6(&mut buf, l2, &p, &Upper::Icmpv6(msg)).unwrap();
        buf
    }

    #[test]
    fn c12_temporary_address_capped_by_temp_lifetimes_and_extended() {
        let mut o = one(&[("use_tempaddr", "2")]);
        send_pio(&mut o, pio("2001:db8:8::", 64, 86400, 14400, true, true));
        let temps: Vec<Addr> = o
            .host()
            .tables
            .addrs
            .on(o.h0, true)
            .filter(|a| a.flags.has(AddrFlags::TEMPORARY))
            .cloned()
            .collect();
        assert_eq!(temps.len(), 1);
        let t = &temps[0];
        assert_eq!(remaining(t.valid_until, o.now()), 86400);
        assert_eq!(remaining(t.preferred_until, o.now()), 14400);
        // A PIO extending the public address extends the temporary only up to temp_valid_lft (604800).
        send_pio(&mut o, pio("2001:db8:8::", 64, 700_000, 100_000, true, true));
        let t = o.host().tables.addrs.get(o.h0, t.addr).unwrap();
        assert_eq!(remaining(t.valid_until, o.now()), 604_800);
        assert!(remaining(t.preferred_until, o.now()) <= 86400 && remaining(t.preferred_until, o.now()) > 85_800);
        assert_eq!(
            o.host().ra.temps.len(),
            1,
            "no second temporary for the same public address"
        );
    }
}
