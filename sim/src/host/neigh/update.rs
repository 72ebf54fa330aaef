//! `neigh_update` with the kernel's flag semantics, and the entry points the host calls after parsing an NS, NA,
//! RA, RS, Redirect or ARP packet (net/ipv6/ndisc.c, net/ipv4/arp.c). Each states which kernel call it mirrors.

use std::net::IpAddr;
use std::ops::BitOr;

use super::{arm, disarm, invalidate, Family, NeighAction, NeighTable, NudState, QueuedPacket};
use crate::id::IfIndex;
use crate::time::Instant;
use crate::wire::MacAddr;

/// `NEIGH_UPDATE_F_*` (include/net/neighbour.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateFlags(u8);

impl UpdateFlags {
    /// No flags: a different lladdr on a valid entry is ignored.
    pub const NONE: UpdateFlags = UpdateFlags(0);
    /// `OVERRIDE`: a different lladdr replaces the cached one.
    pub const OVERRIDE: UpdateFlags = UpdateFlags(1);
    /// `WEAK_OVERRIDE`: without OVERRIDE, a different lladdr only demotes a connected entry to STALE.
    pub const WEAK_OVERRIDE: UpdateFlags = UpdateFlags(2);
    /// `OVERRIDE_ISROUTER`: the router flag is set from `ISROUTER`.
    pub const OVERRIDE_ISROUTER: UpdateFlags = UpdateFlags(4);
    /// `ISROUTER`: the neighbour is a router.
    pub const ISROUTER: UpdateFlags = UpdateFlags(8);
    /// `ADMIN`: from `ip neigh`; may change NOARP/PERMANENT entries.
    pub const ADMIN: UpdateFlags = UpdateFlags(16);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: UpdateFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for UpdateFlags {
    type Output = UpdateFlags;
    fn bitor(self, rhs: UpdateFlags) -> UpdateFlags {
        UpdateFlags(self.0 | rhs.0)
    }
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateOutcome {
    /// An entry existed or was created.
    pub entry: bool,
    /// The state or the lladdr changed.
    pub changed: bool,
    /// `NTF_ROUTER` went from set to clear (router → host).
    pub router_cleared: bool,
    /// `NTF_ROUTER` went from clear to set.
    pub router_set: bool,
}

/// A received Neighbor Advertisement, already validated (linux-ipv6.md B43 checks are the host's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NaInput {
    /// Target address.
    pub target: IpAddr,
    /// Target link-layer address option.
    pub tlla: Option<MacAddr>,
    /// S flag.
    pub solicited: bool,
    /// O flag.
    pub override_flag: bool,
    /// R flag.
    pub router: bool,
    /// RFC 9131: the interface forwards and `accept_untracked_na` allows creating an entry for this NA
    /// (linux-ipv6.md B44 exception); computed by the host.
    pub create_untracked: bool,
}

/// What [`NeighTable::recv_na`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NaOutcome {
    /// No entry and none created (B44).
    NoEntry,
    /// The entry is FAILED; NAs do not revive it (B45).
    Failed,
    /// The update ran; `router_to_host` means the caller must delete RA default routes and redirect exceptions via
    /// the target (`rt6_clean_tohost`, B17).
    Updated {
        /// The update's outcome.
        outcome: UpdateOutcome,
        /// R went from 1 to 0.
        router_to_host: bool,
    },
}

/// A received ARP packet, as `arp_process` classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpInput {
    /// Sender protocol address.
    pub sender_ip: IpAddr,
    /// Sender hardware address.
    pub sender_mac: MacAddr,
    /// A request whose target is a local address that the host answers (`neigh_event_ns` path).
    pub request_for_us: bool,
    /// An ARP reply (opcode 2).
    pub is_reply: bool,
    /// The frame was unicast to this host (`PACKET_HOST`); broadcast replies do not confirm reachability.
    pub unicast_to_us: bool,
    /// Gratuitous ARP (`arp_is_garp`: sender IP equals target IP).
    pub is_garp: bool,
    /// `arp_accept` allows creating an entry from a gratuitous ARP or an unsolicited reply.
    pub arp_accept: bool,
}

impl<P: QueuedPacket> NeighTable<P> {
    /// `__neigh_update` (net/core/neighbour.c), on the entry for `(ifindex, ip)`, created first (in NONE) when
    /// `create`:
    /// - NOARP/PERMANENT entries change only with ADMIN;
    /// - a non-valid new state (INCOMPLETE/FAILED/NONE) stops the timer; INCOMPLETE/PROBE → FAILED invalidates;
    /// - no lladdr given: keep the cached one, or refuse if there is none;
    /// - a valid entry with a different lladdr and no OVERRIDE: with WEAK_OVERRIDE a connected entry becomes STALE
    ///   (lladdr kept), otherwise nothing changes (RFC 4861 §7.2.5 O=0);
    /// - same lladdr and new STALE: the state is kept (no REACHABLE → STALE demotion by an NS);
    /// - a connected new state sets `confirmed`; REACHABLE arms the timer at `reachable_time`;
    /// - an entry becoming valid releases its queue; OVERRIDE_ISROUTER sets the router flag from ISROUTER.
    #[allow(clippy::too_many_arguments)]
    pub fn neigh_update(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        ip: IpAddr,
        lladdr: Option<MacAddr>,
        new: NudState,
        flags: UpdateFlags,
        create: bool,
        out: &mut Vec<NeighAction<P>>,
    ) -> UpdateOutcome {
        let key = (ifindex, ip);
        let ip_parms = self.if_parms(ifindex, Family::of(ip));
        if self.lookup_or_create(now, key, create).is_none() {
            return UpdateOutcome::default();
        }
        let timers = &mut self.timers;
        let mut res = UpdateOutcome {
            entry: true,
            ..UpdateOutcome::default()
        };
        if let Some(e) = self.entries.get_mut(&key) {
            let old = e.state;
            let mut new = new;
            let admin = flags.contains(UpdateFlags::ADMIN);
            'update: {
                if !admin && matches!(old, NudState::Noarp | NudState::Permanent) {
                    break 'update;
                }
                if !new.is_valid() {
                    disarm(e);
                    e.state = new;
                    res.changed = old != new;
                    if matches!(old, NudState::Incomplete | NudState::Probe) && new == NudState::Failed {
                        invalidate(e, key, out);
                    }
                    break 'update;
                }
                let mut ll = match (lladdr, e.lladdr.filter(|_| old.is_valid())) {
                    (Some(l), _) => l,
                    (None, Some(cached)) => cached,
                    (None, None) => break 'update,
                };
                let cached = e.lladdr.filter(|_| old.is_valid());
                if new.is_connected() {
                    e.confirmed = Some(now);
                }
                let mut update_isrouter = flags.contains(UpdateFlags::OVERRIDE_ISROUTER);
                if old.is_valid() {
                    if Some(ll) != cached && !flags.contains(UpdateFlags::OVERRIDE) {
                        if flags.contains(UpdateFlags::WEAK_OVERRIDE) && old.is_connected() {
                            ll = cached.unwrap_or(ll);
                            new = NudState::Stale;
                        } else {
                            break 'update;
                        }
                        update_isrouter = false;
                    } else if Some(ll) == cached && new == NudState::Stale && !admin {
                        new = old;
                    }
                }
                let ll_changed = Some(ll) != cached;
                if new != old || ll_changed {
                    e.updated = now;
                    res.changed = true;
                }
                if new != old {
                    disarm(e);
                    if new == NudState::Probe {
                        e.probes = 0;
                    }
                    if new.in_timer() {
                        let delay = if new == NudState::Reachable {
                            ip_parms.reachable_time
                        } else {
                            Default::default()
                        };
                        arm(timers, e, key, now + delay);
                    }
                    e.state = new;
                }
                if ll_changed {
                    e.lladdr = Some(ll);
                    if !new.is_connected() {
                        e.confirmed = None;
                    }
                }
                if new != old && !old.is_valid() && new.is_valid() && !e.queue.is_empty() {
                    let packets = Vec::from(std::mem::take(&mut e.queue));
                    e.queue_bytes = 0;
                    out.push(NeighAction::Transmit {
                        ifindex,
                        neighbour: ip,
                        lladdr: ll,
                        packets,
                    });
                }
                if update_isrouter {
                    let router = flags.contains(UpdateFlags::ISROUTER);
                    res.router_cleared = e.router && !router;
                    res.router_set = !e.router && router;
                    e.router = router;
                }
            }
        }
        self.prune_timer_top();
        res
    }

    /// A non-DAD Neighbor Solicitation from `src` (`ndisc_recv_ns`): the entry is looked up, created when the NS
    /// was unicast or carried an SLLA, and updated to STALE with WEAK_OVERRIDE|OVERRIDE (linux-ipv6.md B42).
    /// Returns whether the host answers it (`if (neigh || !dev->header_ops)`: an entry exists). DAD NSes (from
    /// `::`) never touch the cache; they go to [`crate::host::dad`].
    pub fn recv_ns(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        src: IpAddr,
        slla: Option<MacAddr>,
        dst_multicast: bool,
        out: &mut Vec<NeighAction<P>>,
    ) -> bool {
        let create = !dst_multicast || slla.is_some();
        let flags = UpdateFlags::WEAK_OVERRIDE | UpdateFlags::OVERRIDE;
        self.neigh_update(now, ifindex, src, slla, NudState::Stale, flags, create, out)
            .entry
    }

    /// A Neighbor Advertisement (`ndisc_recv_na`, RFC 4861 §7.2.5): no entry → ignored unless RFC 9131 allows one
    /// (B44); FAILED → ignored (B45); else S → REACHABLE / STALE, WEAK_OVERRIDE, OVERRIDE from O, and the router flag
    /// from R, reporting R 1 → 0 (B17).
    pub fn recv_na(&mut self, now: Instant, ifindex: IfIndex, na: NaInput, out: &mut Vec<NeighAction<P>>) -> NaOutcome {
        let key = (ifindex, na.target);
        let mut new = if na.solicited {
            NudState::Reachable
        } else {
            NudState::Stale
        };
        match self.entries.get(&key) {
            None if na.create_untracked && na.tlla.is_some() => new = NudState::Stale,
            None => return NaOutcome::NoEntry,
            Some(e) if e.state == NudState::Failed => return NaOutcome::Failed,
            Some(_) => {}
        }
        let was_router = self.entries.get(&key).is_some_and(|e| e.router);
        let mut flags = UpdateFlags::WEAK_OVERRIDE | UpdateFlags::OVERRIDE_ISROUTER;
        if na.override_flag {
            flags = flags | UpdateFlags::OVERRIDE;
        }
        if na.router {
            flags = flags | UpdateFlags::ISROUTER;
        }
        let outcome = self.neigh_update(now, ifindex, na.target, na.tlla, new, flags, true, out);
        let is_router = self.entries.get(&key).is_some_and(|e| e.router);
        NaOutcome::Updated {
            outcome,
            router_to_host: was_router && !is_router,
        }
    }

    /// A Router Advertisement from `src` (`ndisc_router_discovery`): the entry is created and updated to STALE with
    /// WEAK_OVERRIDE|OVERRIDE|OVERRIDE_ISROUTER|ISROUTER, even when `accept_ra` ignores the RA (linux-ipv6.md A7,
    /// B18). Without SLLA a new entry stays NONE.
    pub fn recv_ra(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        src: IpAddr,
        slla: Option<MacAddr>,
        out: &mut Vec<NeighAction<P>>,
    ) -> UpdateOutcome {
        let flags =
            UpdateFlags::WEAK_OVERRIDE | UpdateFlags::OVERRIDE | UpdateFlags::OVERRIDE_ISROUTER | UpdateFlags::ISROUTER;
        self.neigh_update(now, ifindex, src, slla, NudState::Stale, flags, true, out)
    }

    /// A Router Solicitation with an SLLA on a forwarding interface (`ndisc_recv_rs`, B46): STALE, and the router
    /// flag cleared (OVERRIDE_ISROUTER without ISROUTER). The host skips this when forwarding is off or the source
    /// is `::`.
    pub fn recv_rs(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        src: IpAddr,
        slla: MacAddr,
        out: &mut Vec<NeighAction<P>>,
    ) -> UpdateOutcome {
        let flags = UpdateFlags::WEAK_OVERRIDE | UpdateFlags::OVERRIDE | UpdateFlags::OVERRIDE_ISROUTER;
        self.neigh_update(now, ifindex, src, Some(slla), NudState::Stale, flags, true, out)
    }

    /// An accepted Redirect (`rt6_do_redirect`): the target's entry is created and set STALE with the TLLA; when
    /// the target is not the destination itself (a better router) it is also flagged as a router.
    pub fn recv_redirect(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        target: IpAddr,
        tlla: Option<MacAddr>,
        on_link: bool,
        out: &mut Vec<NeighAction<P>>,
    ) -> UpdateOutcome {
        let mut flags = UpdateFlags::WEAK_OVERRIDE | UpdateFlags::OVERRIDE;
        if !on_link {
            flags = flags | UpdateFlags::OVERRIDE_ISROUTER | UpdateFlags::ISROUTER;
        }
        self.neigh_update(now, ifindex, target, tlla, NudState::Stale, flags, true, out)
    }

    /// An ARP packet (`arp_process`, net/ipv4/arp.c):
    /// - a request for a local address → `neigh_event_ns`: create, STALE, OVERRIDE;
    /// - otherwise only an existing entry is updated (or one created by `arp_accept` for a gratuitous ARP or a
    ///   reply): REACHABLE for a reply unicast to us, else STALE; the lladdr is overridden only when `locktime`
    ///   has passed since the last update or the packet is gratuitous (the first of several replies wins).
    pub fn recv_arp(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        arp: ArpInput,
        out: &mut Vec<NeighAction<P>>,
    ) -> UpdateOutcome {
        if arp.request_for_us {
            let flags = UpdateFlags::OVERRIDE;
            return self.neigh_update(
                now,
                ifindex,
                arp.sender_ip,
                Some(arp.sender_mac),
                NudState::Stale,
                flags,
                true,
                out,
            );
        }
        let key = (ifindex, arp.sender_ip);
        let create = arp.arp_accept && (arp.is_garp || arp.is_reply);
        let locktime = self.if_parms(ifindex, Family::V4).parms.locktime;
        let override_ok = match self.entries.get(&key) {
            Some(e) => now > e.updated + locktime || arp.is_garp,
            None if create => true,
            None => return UpdateOutcome::default(),
        };
        let state = if arp.is_reply && arp.unicast_to_us {
            NudState::Reachable
        } else {
            NudState::Stale
        };
        let flags = if override_ok {
            UpdateFlags::OVERRIDE
        } else {
            UpdateFlags::NONE
        };
        self.neigh_update(
            now,
            ifindex,
            arp.sender_ip,
            Some(arp.sender_mac),
            state,
            flags,
            create,
            out,
        )
    }

    /// `ip neigh replace IP lladdr L nud STATE [router]` (`neigh_add` with ADMIN|OVERRIDE|OVERRIDE_ISROUTER).
    #[allow(clippy::too_many_arguments)]
    pub fn set_admin(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        ip: IpAddr,
        lladdr: Option<MacAddr>,
        state: NudState,
        router: bool,
        out: &mut Vec<NeighAction<P>>,
    ) -> UpdateOutcome {
        let mut flags = UpdateFlags::ADMIN | UpdateFlags::OVERRIDE | UpdateFlags::OVERRIDE_ISROUTER;
        if router {
            flags = flags | UpdateFlags::ISROUTER;
        }
        self.neigh_update(now, ifindex, ip, lladdr, state, flags, true, out)
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::host::neigh::NeighFilter;
    use crate::id::IfIndex;
    use crate::time::Instant;
    use crate::wire::MacAddr;

    const IF: IfIndex = IfIndex(2);
    const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
    const M2: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn table() -> NeighTable<Vec<u8>> {
        NeighTable::new(&mut ChaCha8Rng::seed_from_u64(9))
    }

    #[test]
    fn ns_with_same_lladdr_does_not_demote_reachable() {
        let mut t = table();
        let mut out = Vec::new();
        let f = UpdateFlags::OVERRIDE;
        t.neigh_update(
            Instant::ZERO,
            IF,
            ip("fe80::2"),
            Some(M1),
            NudState::Reachable,
            f,
            true,
            &mut out,
        );
        assert!(t.recv_ns(Instant::ZERO, IF, ip("fe80::2"), Some(M1), true, &mut out));
        assert_eq!(t.get(IF, ip("fe80::2")).map(|v| v.state), Some(NudState::Reachable));
        t.recv_ns(Instant::ZERO, IF, ip("fe80::2"), Some(M2), true, &mut out);
        assert_eq!(
            t.get(IF, ip("fe80::2")).map(|v| (v.state, v.lladdr)),
            Some((NudState::Stale, Some(M2)))
        );
    }

    #[test]
    fn multicast_ns_without_slla_creates_nothing_unicast_creates_none_state() {
        let mut t = table();
        let mut out = Vec::new();
        assert!(!t.recv_ns(Instant::ZERO, IF, ip("fe80::3"), None, true, &mut out));
        assert!(t.get(IF, ip("fe80::3")).is_none());
        assert!(t.recv_ns(Instant::ZERO, IF, ip("fe80::3"), None, false, &mut out));
        assert_eq!(t.get(IF, ip("fe80::3")).map(|v| v.state), Some(NudState::None));
        assert_eq!(t.render(&NeighFilter::default(), |_| "h0"), "");
    }

    #[test]
    fn permanent_entries_change_only_by_admin() {
        let mut t = table();
        let mut out = Vec::new();
        t.set_admin(
            Instant::ZERO,
            IF,
            ip("10.0.0.9"),
            Some(M1),
            NudState::Permanent,
            false,
            &mut out,
        );
        let arp = ArpInput {
            sender_ip: ip("10.0.0.9"),
            sender_mac: M2,
            request_for_us: true,
            is_reply: false,
            unicast_to_us: false,
            is_garp: false,
            arp_accept: false,
        };
        t.recv_arp(Instant::from_secs(9), IF, arp, &mut out);
        assert_eq!(
            t.get(IF, ip("10.0.0.9")).map(|v| (v.state, v.lladdr)),
            Some((NudState::Permanent, Some(M1)))
        );
        assert_eq!(t.next_deadline(), Instant::FAR_FUTURE);
    }

    #[test]
    fn arp_first_reply_wins_within_locktime() {
        let mut t = table();
        let mut out = Vec::new();
        t.resolve(Instant::ZERO, IF, ip("10.0.0.1"), vec![1], &mut out);
        let reply = |mac| ArpInput {
            sender_ip: ip("10.0.0.1"),
            sender_mac: mac,
            request_for_us: false,
            is_reply: true,
            unicast_to_us: true,
            is_garp: false,
            arp_accept: false,
        };
        t.recv_arp(Instant::from_millis(100), IF, reply(M1), &mut out);
        t.recv_arp(Instant::from_millis(200), IF, reply(M2), &mut out);
        assert_eq!(
            t.get(IF, ip("10.0.0.1")).map(|v| (v.state, v.lladdr)),
            Some((NudState::Reachable, Some(M1)))
        );
        t.recv_arp(Instant::from_millis(1300), IF, reply(M2), &mut out);
        assert_eq!(t.get(IF, ip("10.0.0.1")).map(|v| v.lladdr), Some(Some(M2)));
        // An unsolicited reply for an unknown sender is not cached without arp_accept.
        t.recv_arp(
            Instant::from_secs(2),
            IF,
            ArpInput {
                sender_ip: ip("10.0.0.2"),
                ..reply(M2)
            },
            &mut out,
        );
        assert!(t.get(IF, ip("10.0.0.2")).is_none());
    }

    #[test]
    fn ra_without_slla_leaves_a_hidden_none_entry_and_with_slla_stale_router() {
        let mut t = table();
        let mut out = Vec::new();
        t.recv_ra(Instant::ZERO, IF, ip("fe80::7"), None, &mut out);
        assert_eq!(
            t.get(IF, ip("fe80::7")).map(|v| (v.state, v.router)),
            Some((NudState::None, false))
        );
        let o = t.recv_ra(
            Instant::ZERO,
            IF,
            ip("fe80::7"),
            Some(MacAddr([2, 0, 0, 0, 0, 0x77])),
            &mut out,
        );
        assert!(o.router_set);
        assert_eq!(
            t.render(
                &NeighFilter {
                    dev: Some(IF),
                    ..NeighFilter::default()
                },
                |_| "h0"
            ),
            "fe80::7 lladdr 02:00:00:00:00:77 router STALE \n"
        );
    }
}
