//! A small per-host cache of route lookups for the packet path, in the spirit of the kernel's per-socket
//! `dst_entry` cache (net/ipv6/ip6_output.c:ip6_sk_dst_lookup_flow checks `sk_dst_cache` with the FIB's serial
//! number, `fib6_sernum`): a flow that sends again to the same destination reuses the answer until a table changes.
//!
//! An answer is a pure function of the query, the tables and the reachability of the gateways the lookup asked
//! about (B15c). So an entry is valid while every table's [`super::version::Version`] stamp is unchanged and every
//! gateway it asked about still gets the same answer; those answers are re-asked on each hit (a handful of neighbour
//! lookups at most) instead of tracking every neighbour-state change. Answers are byte-identical to an uncached
//! [`HostTables::route_get`]; only the time to compute them differs.

use std::cell::Cell;
use std::net::{IpAddr, Ipv6Addr};

use super::lookup::{LookupError, RouteDecision, RouteQuery};
use super::route::RouteType;
use super::tables::HostTables;
use super::version::Version;
use crate::id::IfIndex;

/// Entries kept: a host's packet path talks to few destinations at once; replacement is round-robin.
const CAPACITY: usize = 8;
/// Gateways whose reachability one cached answer may depend on; a lookup that asked about more is not cached.
const MAX_ASKED: usize = 4;

/// The reachability answers a lookup depended on.
#[derive(Clone, Copy)]
struct Asked {
    len: u8,
    overflow: bool,
    answers: [(IfIndex, IpAddr, bool); MAX_ASKED],
}

impl Default for Asked {
    fn default() -> Self {
        Asked {
            len: 0,
            overflow: false,
            answers: [(IfIndex::LOOPBACK, IpAddr::V6(Ipv6Addr::UNSPECIFIED), false); MAX_ASKED],
        }
    }
}

impl Asked {
    fn record(&mut self, dev: IfIndex, gw: IpAddr, answer: bool) {
        if self.answers().iter().any(|&(d, g, _)| d == dev && g == gw) {
            return; // the same lookup asks again (backtracking, the retry without reachability): same answer
        }
        match self.answers.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = (dev, gw, answer);
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    fn answers(&self) -> &[(IfIndex, IpAddr, bool)] {
        &self.answers[..usize::from(self.len)]
    }

    fn still_hold(&self, reachable: &impl Fn(IfIndex, IpAddr) -> bool) -> bool {
        self.answers().iter().all(|&(d, g, a)| reachable(d, g) == a)
    }
}

struct Entry {
    query: RouteQuery,
    asked: Asked,
    answer: Result<RouteDecision, LookupError>,
}

/// Cached route lookups of one host (see the module notes).
#[derive(Default)]
pub(super) struct RouteCache {
    /// The table stamps the entries were computed under; any change empties the cache.
    versions: Option<[Version; 7]>,
    entries: Vec<Entry>,
    victim: usize,
}

/// What the send path needs from a lookup, copied out of the cached answer without cloning its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OutputRoute {
    /// Destination of the query.
    pub dst: IpAddr,
    /// Table the route came from.
    pub table: u32,
    /// Local, multicast or unicast.
    pub kind: RouteType,
    /// Device the packet leaves by.
    pub dev: IfIndex,
    /// Next hop; `None` is on-link.
    pub gateway: Option<IpAddr>,
    /// Chosen source.
    pub src: Option<IpAddr>,
    /// Path MTU.
    pub mtu: u32,
}

impl OutputRoute {
    /// The summary of a full decision.
    pub(super) fn of(d: &RouteDecision) -> OutputRoute {
        OutputRoute {
            dst: d.query.dst,
            table: d.table,
            kind: d.kind,
            dev: d.dev,
            gateway: d.gateway,
            src: d.src,
            mtu: d.mtu,
        }
    }

    /// The neighbour to resolve: the gateway, or the destination when on-link.
    pub(super) fn next_hop(&self) -> IpAddr {
        self.gateway.unwrap_or(self.dst)
    }
}

impl RouteCache {
    /// [`HostTables::route_get`], answered from the cache when the tables and the asked gateways are unchanged.
    pub(super) fn route_get(
        &mut self,
        tables: &HostTables,
        q: &RouteQuery,
        reachable: impl Fn(IfIndex, IpAddr) -> bool,
    ) -> Result<RouteDecision, LookupError> {
        self.lookup_with(tables, q, reachable, Result::clone)
    }

    /// [`RouteCache::route_get`] for the send path: only the fields it uses, without cloning the decision.
    pub(super) fn route_output(
        &mut self,
        tables: &HostTables,
        q: &RouteQuery,
        reachable: impl Fn(IfIndex, IpAddr) -> bool,
    ) -> Result<OutputRoute, LookupError> {
        self.lookup_with(tables, q, reachable, |a| {
            a.as_ref().map(OutputRoute::of).map_err(|e| *e)
        })
    }

    /// Runs `f` on the answer to `q`, cached or computed (and then cached).
    fn lookup_with<R>(
        &mut self,
        tables: &HostTables,
        q: &RouteQuery,
        reachable: impl Fn(IfIndex, IpAddr) -> bool,
        f: impl FnOnce(&Result<RouteDecision, LookupError>) -> R,
    ) -> R {
        let versions = tables.versions();
        if self.versions != Some(versions) {
            self.entries.clear();
            self.victim = 0;
            self.versions = Some(versions);
        }
        let slot = self.entries.iter().position(|e| e.query == *q);
        if let Some(e) = slot.and_then(|i| self.entries.get(i)) {
            if e.asked.still_hold(&reachable) {
                return f(&e.answer);
            }
        }
        let asked = Cell::new(Asked::default());
        let answer = tables.route_get(q, |dev, gw| {
            let a = reachable(dev, gw);
            let mut rec = asked.get();
            rec.record(dev, gw, a);
            asked.set(rec);
            a
        });
        let asked = asked.get();
        if asked.overflow {
            if let Some(i) = slot {
                self.entries.swap_remove(i);
                self.victim = 0;
            }
            return f(&answer);
        }
        let r = f(&answer);
        let entry = Entry {
            query: *q,
            asked,
            answer,
        };
        match slot {
            Some(i) => self.entries[i] = entry,
            None if self.entries.len() < CAPACITY => self.entries.push(entry),
            None => {
                let i = self.victim % CAPACITY;
                self.entries[i] = entry;
                self.victim = (i + 1) % CAPACITY;
            }
        }
        r
    }

    /// Entries held (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::{Addr, AddrFlags};
    use crate::host::route::{Pref, Proto, Route, RouteFlags};
    use std::cell::RefCell;

    fn host() -> (HostTables, IfIndex) {
        let mut t = HostTables::new();
        let h0 = t.add_interface("h0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        t.set_link(h0, true).unwrap();
        let a = Addr::new(h0, "2001:db8:1::10".parse().unwrap(), 64).with_flags(AddrFlags::NODAD);
        t.add_addr(a).unwrap();
        for (gw, pref) in [("fe80::1", Pref::Medium), ("fe80::2", Pref::High)] {
            let r = Route::new("::/0".parse().unwrap(), Some(gw.parse().unwrap()), h0)
                .with_proto(Proto::Ra)
                .with_pref(pref)
                .with_flags(RouteFlags::DEFAULT | RouteFlags::ADDRCONF);
            t.route_add_kernel(r).unwrap();
        }
        (t, h0)
    }

    fn gw(d: &Result<RouteDecision, LookupError>) -> Option<IpAddr> {
        d.as_ref().ok().and_then(|d| d.gateway)
    }

    #[test]
    fn hits_equal_uncached_answers_and_table_changes_invalidate() {
        let (mut t, h0) = host();
        let mut c = RouteCache::default();
        let q = RouteQuery::to("2001:db8:ffff::1".parse().unwrap());
        let first = c.route_get(&t, &q, |_, _| true);
        assert_eq!(first, t.route_get(&q, |_, _| true));
        assert_eq!(c.route_get(&t, &q, |_, _| true), first);
        assert_eq!(c.len(), 1);
        // A more specific route appears: the cached default must not be answered any more.
        let r = Route::new(
            "2001:db8:ff00::/40".parse().unwrap(),
            Some("fe80::9".parse().unwrap()),
            h0,
        );
        t.route_add(r).unwrap();
        let second = c.route_get(&t, &q, |_, _| true);
        assert_eq!(gw(&second), Some("fe80::9".parse().unwrap()));
        assert_eq!(second, t.route_get(&q, |_, _| true));
        // Source selection depends on the addresses: a removed address changes the cached source.
        t.del_addr(h0, "2001:db8:1::10".parse().unwrap()).unwrap();
        let third = c.route_get(&t, &q, |_, _| true);
        assert_eq!(third, t.route_get(&q, |_, _| true));
        assert_ne!(
            third.as_ref().ok().and_then(|d| d.src),
            second.as_ref().ok().and_then(|d| d.src)
        );
    }

    #[test]
    fn a_gateway_turning_failed_is_seen_on_the_next_hit() {
        let (t, _) = host();
        let mut c = RouteCache::default();
        let failed: RefCell<Vec<IpAddr>> = RefCell::new(Vec::new());
        let reach = |_: IfIndex, g: IpAddr| !failed.borrow().contains(&g);
        let q = RouteQuery::to("2001:db8:ffff::1".parse().unwrap());
        assert_eq!(gw(&c.route_get(&t, &q, reach)), Some("fe80::2".parse().unwrap()));
        failed.borrow_mut().push("fe80::2".parse().unwrap());
        let d = c.route_get(&t, &q, reach);
        assert_eq!(
            gw(&d),
            Some("fe80::1".parse().unwrap()),
            "B15c: the FAILED high-pref router is skipped"
        );
        failed.borrow_mut().clear();
        assert_eq!(gw(&c.route_get(&t, &q, reach)), Some("fe80::2".parse().unwrap()));
        assert_eq!(c.len(), 1, "the entry was replaced, not duplicated");
    }

    #[test]
    fn output_summaries_match_full_answers() {
        let (t, _) = host();
        let mut c = RouteCache::default();
        for d in ["2001:db8:ffff::1", "2001:db8:1::7", "2001:db8:1::10", "10.1.1.1"] {
            let q = RouteQuery::to(d.parse().unwrap());
            for _ in 0..2 {
                let full = t.route_get(&q, |_, _| true);
                assert_eq!(
                    c.route_output(&t, &q, |_, _| true),
                    full.as_ref().map(OutputRoute::of).map_err(|e| *e)
                );
                if let Ok(f) = &full {
                    assert_eq!(OutputRoute::of(f).next_hop(), f.next_hop());
                }
            }
        }
    }

    #[test]
    fn errors_are_cached_and_capacity_is_bounded() {
        let (t, _) = host();
        let mut c = RouteCache::default();
        let q = RouteQuery::to("10.9.9.9".parse().unwrap());
        assert_eq!(c.route_get(&t, &q, |_, _| true), Err(LookupError::NetUnreachable));
        assert_eq!(c.route_get(&t, &q, |_, _| true), Err(LookupError::NetUnreachable));
        for i in 0..3 * CAPACITY as u16 {
            let q = RouteQuery::to(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, i)));
            let d = c.route_get(&t, &q, |_, _| true);
            assert_eq!(d, t.route_get(&q, |_, _| true));
        }
        assert_eq!(c.len(), CAPACITY);
    }

    #[test]
    fn a_lookup_asking_about_many_gateways_is_not_cached() {
        let (mut t, h0) = host();
        for i in 3..=8u16 {
            let r = Route::new(
                "::/0".parse().unwrap(),
                Some(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, i))),
                h0,
            )
            .with_proto(Proto::Ra)
            .with_flags(RouteFlags::DEFAULT | RouteFlags::ADDRCONF);
            t.route_add_kernel(r).unwrap();
        }
        let mut c = RouteCache::default();
        let q = RouteQuery::to("2001:db8:ffff::1".parse().unwrap());
        let d = c.route_get(&t, &q, |_, _| false);
        assert_eq!(d, t.route_get(&q, |_, _| false));
        assert_eq!(c.len(), 0);
    }
}
