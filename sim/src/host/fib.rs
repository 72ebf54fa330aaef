//! Routing tables of one address family: `ip route add/replace/del` semantics, expiry and the kernel's dump order.
//!
//! Each table is a `Vec<Route>` in insertion order; selection and dumps order by (prefix, metric, insertion), which is
//! the order of a fib6 node's route list (route.c:fib6_add_rt2node inserts after routes of equal metric) and of an
//! IPv4 fib_alias list. A re-added route gets a new sequence number and therefore goes last (linux-ipv6.md B15b).

use std::cell::Cell;
use std::cmp::Ordering;
use std::net::IpAddr;

use ipnet::IpNet;

use super::route::{Proto, Route, RouteType};
use super::version::Version;
use crate::id::IfIndex;
use crate::time::Instant;

/// Why a route operation failed (the errno `ip route` prints after "RTNETLINK answers:").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FibError {
    /// EEXIST.
    #[error("RTNETLINK answers: File exists")]
    Exists,
    /// ESRCH: no route matched a delete.
    #[error("RTNETLINK answers: No such process")]
    NotFound,
    /// EINVAL: e.g. a prefix of the wrong family.
    #[error("RTNETLINK answers: Invalid argument")]
    Invalid,
}

/// Which route(s) `ip route del` means: unset fields match anything (ip6_route_del, fib_table_delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSelector {
    /// Table.
    pub table: u32,
    /// Exact prefix.
    pub dst: IpNet,
    /// Next hop, if given.
    pub gateway: Option<IpAddr>,
    /// Device, if given.
    pub dev: Option<IfIndex>,
    /// Metric, if given.
    pub metric: Option<u32>,
    /// Protocol, if given.
    pub proto: Option<Proto>,
    /// Type, if given.
    pub kind: Option<RouteType>,
}

impl RouteSelector {
    /// Selects by table and prefix only.
    pub fn new(table: u32, dst: IpNet) -> RouteSelector {
        RouteSelector {
            table,
            dst: dst.trunc(),
            gateway: None,
            dev: None,
            metric: None,
            proto: None,
            kind: None,
        }
    }

    /// Whether `r` is selected.
    pub fn matches(&self, r: &Route) -> bool {
        r.table == self.table
            && r.dst == self.dst
            && self.gateway.is_none_or(|g| r.gateway == Some(g))
            && self.dev.is_none_or(|d| r.dev == d)
            && self.metric.is_none_or(|m| r.metric == m)
            && self.proto.is_none_or(|p| r.proto == p)
            && self.kind.is_none_or(|k| r.kind == k)
    }
}

/// The routing tables of one family.
#[derive(Debug, Clone, Default)]
pub struct Fib {
    /// (table id, routes in insertion order), sorted by the kernel's table iteration order.
    tables: Vec<(u32, Vec<Route>)>,
    next_seq: u64,
    /// The earliest expiry, cached: the host asks after every event, the tables change rarely. `None` = stale;
    /// every `&mut` path into `tables` clears it.
    deadline: Cell<Option<Option<Instant>>>,
    /// Whether any table holds a redirect exception (RTF_CACHE), cached like `deadline`: most hosts have none, and
    /// the lookup then skips its exception scan.
    has_cache: Cell<Option<bool>>,
    /// Change stamp for the route cache; every `&mut` path into `tables` takes a fresh one, like `deadline`.
    version: Version,
    /// Each table's earliest expiry, cached (parallel to `tables`; `None` = stale): a change to one route
    /// re-scans only its own table, so an RA refreshing its default route does not walk the `local` table.
    table_deadlines: Vec<Cell<Option<Option<Instant>>>>,
}

/// The order the kernel walks its table hash for dumps: bucket `id & 0xff` (fib6_table_hash / fib_table_hash), so
/// numbered tables, then `default`, `main`, `local`.
fn table_order(id: u32) -> (u32, u32) {
    (id & 0xff, id)
}

impl Fib {
    /// An empty set of tables.
    pub fn new() -> Fib {
        Fib::default()
    }

    fn table_mut(&mut self, id: u32) -> &mut Vec<Route> {
        self.deadline.set(None);
        self.has_cache.set(None);
        self.version = Version::fresh();
        let pos = match self
            .tables
            .binary_search_by_key(&table_order(id), |(t, _)| table_order(*t))
        {
            Ok(p) => p,
            Err(p) => {
                self.tables.insert(p, (id, Vec::new()));
                self.table_deadlines.insert(p, Cell::new(None));
                p
            }
        };
        if let Some(c) = self.table_deadlines.get(pos) {
            c.set(None);
        }
        &mut self.tables[pos].1
    }

    /// The change stamp: equal stamps, equal routes.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The routes of one table in insertion order (lookups scan this; no allocation).
    pub fn table(&self, id: u32) -> &[Route] {
        self.tables
            .iter()
            .find(|(t, _)| *t == id)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// Ids of the tables that hold routes, in kernel iteration order.
    pub fn table_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.tables.iter().filter(|(_, v)| !v.is_empty()).map(|(t, _)| *t)
    }

    fn stamp(&mut self, mut r: Route) -> Route {
        self.next_seq += 1;
        r.seq = self.next_seq;
        r
    }

    /// `ip route add` (NLM_F_CREATE|NLM_F_EXCL): EEXIST if the table already has a route with the same prefix and
    /// metric, whatever its next hop. IPv6: fib6_add_rt2node returns EEXIST for NLM_F_EXCL at "same priority level";
    /// a second path needs `ip route append`. IPv4: fib_table_insert, same prefix, tos and priority.
    pub fn add(&mut self, route: Route) -> Result<(), FibError> {
        let route = Route {
            dst: route.dst.trunc(),
            ..route
        };
        let t = self.table_mut(route.table);
        if t.iter().any(|r| r.dst == route.dst && r.metric == route.metric) {
            return Err(FibError::Exists);
        }
        let r = self.stamp(route);
        self.table_mut(r.table).push(r);
        Ok(())
    }

    /// `ip route append` (NLM_F_CREATE|NLM_F_APPEND): EEXIST only for the same next hop (rt6_duplicate_nexthop /
    /// fib_table_insert's fa_match). The new path goes after the existing ones. Linux merges IPv6 gateway routes
    /// that qualify for ECMP into one multipath route (B16); here they stay separate routes (see the module notes).
    pub fn append(&mut self, route: Route) -> Result<(), FibError> {
        let route = Route {
            dst: route.dst.trunc(),
            ..route
        };
        let t = self.table_mut(route.table);
        if t.iter()
            .any(|r| r.dst == route.dst && r.metric == route.metric && r.same_nexthop(&route))
        {
            return Err(FibError::Exists);
        }
        let r = self.stamp(route);
        self.table_mut(r.table).push(r);
        Ok(())
    }

    /// The kernel's own installs (address routes, fib_magic, addrconf_prefix_route, RA routes: no NLM_F_EXCL). A
    /// route with the same prefix, metric and next hop is not added again; if that one expires, it takes the new
    /// expiry (fib6_add_rt2node's duplicate branch). Returns whether a route was added.
    pub fn ensure(&mut self, route: Route) -> bool {
        let route = Route {
            dst: route.dst.trunc(),
            ..route
        };
        let t = self.table_mut(route.table);
        if let Some(old) = t
            .iter_mut()
            .find(|r| r.dst == route.dst && r.metric == route.metric && r.same_nexthop(&route))
        {
            if old.expires.is_some() {
                old.expires = route.expires;
            }
            return false;
        }
        let r = self.stamp(route);
        self.table_mut(r.table).push(r);
        true
    }

    /// `ip route replace`: replaces, in place, the first route with the same prefix and metric (IPv6:
    /// fib6_add_rt2node with NLM_F_REPLACE; IPv4: fib_table_insert replaces the matching alias), else adds.
    pub fn replace(&mut self, route: Route) {
        let route = Route {
            dst: route.dst.trunc(),
            ..route
        };
        let t = self.table_mut(route.table);
        if let Some(old) = t.iter_mut().find(|r| r.dst == route.dst && r.metric == route.metric) {
            let seq = old.seq;
            *old = Route { seq, ..route };
            return;
        }
        let r = self.stamp(route);
        self.table_mut(r.table).push(r);
    }

    /// `ip route del`: removes the first selected route in dump order (ip6_route_del / fib_table_delete); ESRCH if
    /// none.
    pub fn del(&mut self, sel: &RouteSelector) -> Result<Route, FibError> {
        let t = self.table_mut(sel.table);
        let pos = t
            .iter()
            .enumerate()
            .filter(|(_, r)| sel.matches(r))
            .min_by_key(|(_, r)| (r.metric, r.seq))
            .map(|(i, _)| i)
            .ok_or(FibError::NotFound)?;
        Ok(t.remove(pos))
    }

    /// Removes every route for which `pred` holds; returns them (interface down, address removal, A5 purge).
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Route) -> bool) -> Vec<Route> {
        self.deadline.set(None);
        self.has_cache.set(None);
        self.version = Version::fresh();
        let mut out = Vec::new();
        for ((_, t), cached) in self.tables.iter_mut().zip(&self.table_deadlines) {
            let before = out.len();
            let mut i = 0;
            while i < t.len() {
                if pred(&t[i]) {
                    out.push(t.remove(i));
                } else {
                    i += 1;
                }
            }
            if out.len() != before {
                cached.set(None);
            }
        }
        out
    }

    /// Mutable access to routes (RA refreshes update expiry and preference in place, B11).
    pub fn find_mut(&mut self, mut pred: impl FnMut(&Route) -> bool) -> Option<&mut Route> {
        self.deadline.set(None);
        self.has_cache.set(None);
        self.version = Version::fresh();
        for ((_, t), cached) in self.tables.iter_mut().zip(&self.table_deadlines) {
            if let Some(r) = t.iter_mut().find(|r| pred(r)) {
                cached.set(None);
                return Some(r);
            }
        }
        None
    }

    /// Drops routes whose expiry has come (fib6 GC, B13) and returns them.
    pub fn expire(&mut self, now: Instant) -> Vec<Route> {
        self.remove_where(|r| r.expires.is_some_and(|e| e <= now))
    }

    /// Whether any route is a redirect exception (`RTF_CACHE`).
    pub fn has_exceptions(&self) -> bool {
        if let Some(h) = self.has_cache.get() {
            return h;
        }
        let h = self
            .tables
            .iter()
            .flat_map(|(_, t)| t.iter())
            .any(|r| r.flags.has(super::route::RouteFlags::CACHE));
        self.has_cache.set(Some(h));
        h
    }

    /// The earliest route expiry, so the engine knows when to wake the host.
    pub fn next_deadline(&self) -> Option<Instant> {
        if let Some(d) = self.deadline.get() {
            return d;
        }
        let mut d: Option<Instant> = None;
        for ((_, t), cached) in self.tables.iter().zip(&self.table_deadlines) {
            let td = match cached.get() {
                Some(td) => td,
                None => {
                    let td = t.iter().filter_map(|r| r.expires).min();
                    cached.set(Some(td));
                    td
                }
            };
            d = match (d, td) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        self.deadline.set(Some(d));
        d
    }

    /// All routes of `table` (or every table with `None`) in the kernel's dump order.
    pub fn dump(&self, table: Option<u32>) -> Vec<&Route> {
        let mut out = Vec::new();
        for (id, t) in &self.tables {
            if table.is_some_and(|want| want != *id) {
                continue;
            }
            let start = out.len();
            out.extend(t.iter());
            out[start..].sort_by(|a, b| dump_cmp(a, b));
        }
        out
    }
}

/// Dump order inside one table. IPv6: post-order walk of the fib6 radix tree (fib6_walk_continue visits left = bit 0,
/// right = bit 1, then the node), so more specific prefixes come before the prefix that contains them and `default`
/// is last. IPv4: fib_trie leaves by key ascending, longer prefixes first within a key. Then metric, then insertion.
pub fn dump_cmp(a: &Route, b: &Route) -> Ordering {
    let by_prefix = match (a.dst, b.dst) {
        (IpNet::V6(x), IpNet::V6(y)) => trie_postorder(
            u128::from(x.network()),
            x.prefix_len(),
            u128::from(y.network()),
            y.prefix_len(),
            128,
        ),
        (IpNet::V4(x), IpNet::V4(y)) => u32::from(x.network())
            .cmp(&u32::from(y.network()))
            .then(y.prefix_len().cmp(&x.prefix_len())),
        (IpNet::V4(_), IpNet::V6(_)) => Ordering::Less,
        (IpNet::V6(_), IpNet::V4(_)) => Ordering::Greater,
    };
    by_prefix.then(a.metric.cmp(&b.metric)).then(a.seq.cmp(&b.seq))
}

/// Post-order comparison of two prefixes in a binary trie of `width` bits.
fn trie_postorder(a: u128, la: u8, b: u128, lb: u8, width: u32) -> Ordering {
    let common = u32::from(la.min(lb));
    let diff = a ^ b;
    let first_diff = diff.leading_zeros() - (128 - width);
    if diff != 0 && first_diff < common {
        // Diverge inside both prefixes: the 0 branch is visited first.
        let bit = 1u128 << (width - 1 - first_diff);
        return if a & bit == 0 {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // One contains the other (or equal): the more specific one is in a child subtree, visited first.
    lb.cmp(&la)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::route::table;

    fn r6(dst: &str, gw: Option<&str>, dev: u32) -> Route {
        Route::new(dst.parse().unwrap(), gw.map(|g| g.parse().unwrap()), IfIndex(dev))
    }

    #[test]
    fn ipv6_add_is_exclusive_append_and_kernel_adds_are_not() {
        let mut f = Fib::new();
        f.add(r6("::/0", Some("fe80::1"), 2)).unwrap();
        assert_eq!(
            f.add(r6("::/0", Some("fe80::2"), 2)),
            Err(FibError::Exists),
            "same priority level with EXCL"
        );
        f.add(r6("::/0", Some("fe80::1"), 2).with_metric(100)).unwrap();
        assert_eq!(
            f.append(r6("::/0", Some("fe80::1"), 2)),
            Err(FibError::Exists),
            "same next hop"
        );
        f.append(r6("::/0", Some("fe80::2"), 2)).unwrap();
        assert!(
            f.ensure(r6("::/0", Some("fe80::3"), 2)),
            "RA routes coexist at the same metric (E.log E4)"
        );
        assert!(!f.ensure(r6("::/0", Some("fe80::3"), 2)));
        assert_eq!(f.table(table::MAIN).len(), 4);
    }

    #[test]
    fn ipv4_eexist_for_same_prefix_and_metric() {
        let mut f = Fib::new();
        let gw = |g: &str| Some(g.parse().unwrap());
        f.add(Route::new("0.0.0.0/0".parse().unwrap(), gw("10.0.0.1"), IfIndex(2)))
            .unwrap();
        let other = Route::new("0.0.0.0/0".parse().unwrap(), gw("10.0.0.2"), IfIndex(2));
        assert_eq!(f.add(other.clone()), Err(FibError::Exists));
        f.add(other.with_metric(10)).unwrap();
    }

    #[test]
    fn replace_in_place_and_readd_goes_last() {
        let mut f = Fib::new();
        f.add(r6("::/0", Some("fe80::1"), 2)).unwrap();
        f.append(r6("::/0", Some("fe80::3"), 2)).unwrap();
        f.replace(r6("::/0", Some("fe80::9"), 2));
        let gws: Vec<String> = f.dump(None).iter().map(|r| r.gateway.unwrap().to_string()).collect();
        assert_eq!(gws, ["fe80::9", "fe80::3"]);
        f.del(&RouteSelector {
            gateway: Some("fe80::9".parse().unwrap()),
            ..RouteSelector::new(254, "::/0".parse().unwrap())
        })
        .unwrap();
        f.append(r6("::/0", Some("fe80::9"), 2)).unwrap();
        let gws: Vec<String> = f.dump(None).iter().map(|r| r.gateway.unwrap().to_string()).collect();
        assert_eq!(gws, ["fe80::3", "fe80::9"]);
        assert_eq!(
            f.del(&RouteSelector::new(254, "2001:db8::/64".parse().unwrap())),
            Err(FibError::NotFound)
        );
    }

    #[test]
    fn ipv6_dump_is_trie_postorder() {
        // Order from E.log `ip -6 route show` and B3.log.
        let mut f = Fib::new();
        f.add(r6("::/0", Some("2001:db8:b::1"), 3)).unwrap();
        f.add(r6("fe80::/64", None, 2).with_metric(256)).unwrap();
        f.add(r6("2001:db8:99::/48", None, 2)).unwrap();
        f.add(r6("2001:db8:98:1::/64", None, 2)).unwrap();
        f.append(r6("fe80::/64", None, 3).with_metric(256)).unwrap();
        f.add(r6("2001:db8:1::/64", None, 2)).unwrap();
        f.add(r6("2001:db8::/32", None, 2)).unwrap();
        let order: Vec<String> = f.dump(Some(254)).iter().map(|r| r.dst.to_string()).collect();
        assert_eq!(
            order,
            [
                "2001:db8:1::/64",
                "2001:db8:98:1::/64",
                "2001:db8:99::/48",
                "2001:db8::/32",
                "fe80::/64",
                "fe80::/64",
                "::/0"
            ]
        );
    }

    #[test]
    fn expiry_and_deadline() {
        let mut f = Fib::new();
        f.add(r6("::/0", Some("fe80::1"), 2).with_expires(Instant::from_secs(30)))
            .unwrap();
        f.append(r6("::/0", Some("fe80::2"), 2).with_expires(Instant::from_secs(10)))
            .unwrap();
        assert_eq!(f.next_deadline(), Some(Instant::from_secs(10)));
        assert!(f.expire(Instant::from_secs(9)).is_empty());
        assert_eq!(f.expire(Instant::from_secs(10)).len(), 1);
        assert_eq!(f.next_deadline(), Some(Instant::from_secs(30)));
    }

    #[test]
    fn deadline_follows_changes_in_any_table() {
        let mut f = Fib::new();
        f.add(r6("::/0", Some("fe80::1"), 2).with_expires(Instant::from_secs(30)))
            .unwrap();
        let local = r6("2001:db8::5/128", None, 2)
            .with_table(super::super::route::table::LOCAL)
            .with_expires(Instant::from_secs(50));
        f.add(local).unwrap();
        assert_eq!(f.next_deadline(), Some(Instant::from_secs(30)));
        // Refreshing the earliest route (an RA) moves the deadline to the other table's route.
        if let Some(r) = f.find_mut(|r| r.dst.prefix_len() == 0) {
            r.expires = Some(Instant::from_secs(90));
        }
        assert_eq!(f.next_deadline(), Some(Instant::from_secs(50)));
        if let Some(r) = f.find_mut(|r| r.dst.prefix_len() == 128) {
            r.expires = None;
        }
        assert_eq!(f.next_deadline(), Some(Instant::from_secs(90)));
        f.remove_where(|r| r.dst.prefix_len() == 0);
        assert_eq!(f.next_deadline(), None);
        f.add(r6("2001:db8:7::/48", None, 2).with_expires(Instant::from_secs(5)))
            .unwrap();
        assert_eq!(f.next_deadline(), Some(Instant::from_secs(5)));
    }
}
