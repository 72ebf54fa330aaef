//! The pass/fail rules and the wording of the expectation kinds both backends judge. The simulator
//! ([`super::checks`]) and the kernel (`crate::kernel::checks`) each read their own view (the simulator's tables,
//! `ip -json` in a namespace) into the rows these functions take, so a kind's rule and its `expected`/`observed`
//! text live here once and the two backends cannot drift apart.
//!
//! Each judge returns `(passed, expected, observed)`, the shape the flow judges of [`super::flows`] return too.

use crate::scenario::expect::{AddrFlag, AddressCheck, InstanceRow, InstanceState, RouteResult, TableCount};
use crate::scenario::timeline::Family;
use crate::scenario::values::HumanDuration;
use crate::scenario::Located;
use serde::Serialize;
use std::net::IpAddr;
use std::time::Duration;

/// A judged expectation: whether it held, what was expected, what was seen.
pub(crate) type Judged = (bool, String, String);

/// A value's name as a scenario spells it (the serde kebab-case name: `unresponsive-agent`, `default-routers`).
pub(crate) fn scenario_name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `count` / `min` / `max` bounds on `n`: whether all hold, and their wording (`exactly 2, at most 3`).
pub(crate) fn bounds(
    n: u64,
    count: Option<&Located<u64>>,
    min: Option<&Located<u64>>,
    max: Option<&Located<u64>>,
) -> (bool, String) {
    let mut words = Vec::new();
    if let Some(x) = count {
        words.push(format!("exactly {}", x.value));
    }
    if let Some(x) = min {
        words.push(format!("at least {}", x.value));
    }
    if let Some(x) = max {
        words.push(format!("at most {}", x.value));
    }
    let held =
        count.is_none_or(|x| n == x.value) && min.is_none_or(|x| n >= x.value) && max.is_none_or(|x| n <= x.value);
    (held, words.join(", "))
}

/// What a `reachable` (`want_reply`) or `unreachable` probe expects, `what` being the answer it waits for.
pub(crate) fn probe_expected(want_reply: bool, within: Duration, what: &str) -> String {
    if want_reply {
        format!("{what} within {}", HumanDuration(within))
    } else {
        format!("no {what}")
    }
}

/// One address of the checked interface and family, as a backend observed it.
pub(crate) trait AddrRow {
    /// The address and its prefix length (`None` when the backend's text does not parse).
    fn net(&self) -> Option<(IpAddr, u8)>;
    /// The row as the observation lists it (`2001:db8::1/64 dynamic`).
    fn shown(&self) -> String;
    /// Whether the expectation flag `f` holds for the address.
    fn holds(&self, f: AddrFlag) -> bool;
}

/// `address-absent` of an address that cannot be formed (no SLAAC prefix yet): absent, `why` being the reason.
pub(crate) fn address_unformed(a: &AddressCheck, why: String) -> Judged {
    (true, format!("{} absent", a.address.value), why)
}

/// `address-present` / `address-absent` of `ip` among `rows` (the interface's addresses of `ip`'s family):
/// present with the prefix length and every flag asked for, or not there at all.
pub(crate) fn address<R: AddrRow>(a: &AddressCheck, ip: IpAddr, present: bool, rows: &[R]) -> Judged {
    let found = rows.iter().find(|x| x.net().is_some_and(|(addr, _)| addr == ip));
    let observed = if rows.is_empty() {
        format!("no addresses on {}", a.iface.value)
    } else {
        rows.iter().map(AddrRow::shown).collect::<Vec<_>>().join(", ")
    };
    if !present {
        return (found.is_none(), format!("{ip} not on {}", a.iface.value), observed);
    }
    let mut expected = ip.to_string();
    if let Some(p) = a.prefix_len {
        expected.push_str(&format!("/{p}"));
    }
    expected.push_str(&format!(" on {}", a.iface.value));
    if !a.flags.is_empty() {
        let names: Vec<String> = a.flags.iter().map(scenario_name).filter(|n| !n.is_empty()).collect();
        expected.push_str(&format!(" with {}", names.join(" ")));
    }
    let passed = found.is_some_and(|x| {
        a.prefix_len.is_none_or(|p| x.net().is_some_and(|(_, l)| l == p)) && a.flags.iter().all(|f| x.holds(*f))
    });
    (passed, expected, observed)
}

/// `default-routers`: the default routes' gateways (`dev X` for one without), in dump order, are `want`.
pub(crate) fn default_routers(want: &[String], seen: &[String]) -> Judged {
    let show = |l: &[String]| if l.is_empty() { "none".to_owned() } else { l.join(", ") };
    (seen == want, show(want), show(seen))
}

/// What `route-get` expects: `ip route get DST: [unreachable] [dev D] [via V] [src S]`, `via` and `src` resolved.
pub(crate) fn route_get_expected(dst: IpAddr, want: &RouteResult, via: Option<IpAddr>, src: Option<IpAddr>) -> String {
    let mut words = Vec::new();
    if want.unreachable {
        words.push("unreachable".to_owned());
    }
    if let Some(d) = &want.dev {
        words.push(format!("dev {}", d.value));
    }
    if let Some(v) = via {
        words.push(format!("via {v}"));
    }
    if let Some(s) = src {
        words.push(format!("src {s}"));
    }
    format!("ip route get {dst}: {}", words.join(" "))
}

/// Whether a route lookup's answer (`dev`, `gateway`, preferred source) is what `route-get` expects (`via` and
/// `src` resolved); an unreachable expectation never matches an answer.
pub(crate) fn route_get_passed(
    want: &RouteResult,
    via: Option<IpAddr>,
    src: Option<IpAddr>,
    dev: Option<&str>,
    gateway: Option<IpAddr>,
    prefsrc: Option<IpAddr>,
) -> bool {
    !want.unreachable
        && want.dev.as_ref().is_none_or(|x| dev == Some(x.value.as_str()))
        && via.is_none_or(|v| gateway == Some(v))
        && src.is_none_or(|s| prefsrc == Some(s))
}

/// Entries listed in a count's observation at most, on either backend (a flood's 2,000 routers are summarised by
/// their number).
const COUNT_LISTED: usize = 6;

/// `instances`: each row's VM in the state asked for, with exactly the director IPs listed (when some are).
/// `observe` gives a VM's state and director IPs, `None` when it is not deployed.
pub(crate) fn instances<'a>(
    rows: &[InstanceRow],
    observe: impl Fn(&str) -> Option<(InstanceState, &'a [String])>,
) -> Judged {
    let (mut expected, mut observed, mut passed) = (Vec::new(), Vec::new(), true);
    for row in rows {
        let name = row.instance.value.to_string();
        let want_ips: Vec<&str> = row.ips.iter().map(|i| i.value.text.as_str()).collect();
        expected.push(format!("{name} {} [{}]", scenario_name(row.state), want_ips.join(", ")));
        let Some((state, ips)) = observe(&name) else {
            observed.push(format!("{name} not deployed"));
            passed = false;
            continue;
        };
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        observed.push(format!("{name} {} [{}]", scenario_name(state), ips.join(", ")));
        passed &= state == row.state && (want_ips.is_empty() || want_ips == ips);
    }
    (passed, expected.join("; "), observed.join("; "))
}

/// `count`: the number of `entries` (as `ip` would list them) within the bounds; the observation lists the
/// first [`COUNT_LISTED`] of them.
pub(crate) fn count(c: &TableCount, entries: &[String]) -> Judged {
    let listed = COUNT_LISTED;
    let n = entries.len() as u64;
    let (passed, bounds) = bounds(n, c.count.as_ref(), c.min.as_ref(), c.max.as_ref());
    let family = match c.family {
        None => "",
        Some(Family::Ipv4) => "ipv4 ",
        Some(Family::Ipv6) => "ipv6 ",
    };
    let place = c
        .iface
        .as_ref()
        .map_or_else(|| c.node.value.to_string(), |i| format!("{} {}", c.node.value, i.value));
    let what = format!("{family}{} on {place}", scenario_name(c.what));
    let mut observed = format!("{n} {what}");
    if !entries.is_empty() {
        let shown: Vec<&str> = entries.iter().take(listed).map(String::as_str).collect();
        let more = if entries.len() > listed { ", …" } else { "" };
        observed.push_str(&format!(": {}{more}", shown.join(", ")));
    }
    (passed, format!("{bounds} {what}"), observed)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::expect::{Countable, Expectation};
    use crate::scenario::{load_text, LoadOptions};

    struct Row(IpAddr, u8, &'static [AddrFlag]);

    impl AddrRow for Row {
        fn net(&self) -> Option<(IpAddr, u8)> {
            Some((self.0, self.1))
        }
        fn shown(&self) -> String {
            format!("{}/{}", self.0, self.1)
        }
        fn holds(&self, f: AddrFlag) -> bool {
            self.2.contains(&f)
        }
    }

    /// The expectations `yaml` lists (indented list items), in a one-host scenario (`a`, `eth0`, 2001:db8::1/64).
    pub(crate) fn expectations(yaml: &str) -> Vec<Expectation> {
        let text = format!("name: t\nduration: 1s\ntopology:\n  segments: [{{name: lan}}]\n  hosts:\n    - name: a\n      interfaces: [{{name: eth0, segment: lan, mac: \"02:00:00:00:00:01\", addresses: [2001:db8::1/64]}}]\nexpect:\n{yaml}");
        match load_text("t.yml", &text, None, &LoadOptions::default()) {
            Ok(s) => s.expect.into_iter().map(|e| e.expectation).collect(),
            Err(e) => panic!("does not load: {e:?}"),
        }
    }

    #[test]
    fn bounds_hold_only_together_and_are_worded_in_order() {
        let l = |v| Some(Located::new(v));
        assert_eq!(bounds(3, None, None, None), (true, String::new()));
        let (held, words) = bounds(3, l(3).as_ref(), l(1).as_ref(), l(2).as_ref());
        assert!(!held);
        assert_eq!(words, "exactly 3, at least 1, at most 2");
        assert!(bounds(2, None, l(1).as_ref(), l(2).as_ref()).0);
    }

    #[test]
    fn an_address_needs_its_prefix_and_every_flag_asked_for() {
        let e = expectations(
            "  - address-present: {node: a, iface: eth0, address: \"2001:db8::1\", prefix_len: 64, flags: [dynamic]}\n",
        );
        let Some(Expectation::AddressPresent(a)) = e.first() else {
            panic!("not an address-present: {e:?}");
        };
        let ip: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::from([0; 4]));
        let (passed, expected, observed) = address(a, ip, true, &[Row(ip, 64, &[AddrFlag::Dynamic])]);
        assert!(passed);
        assert_eq!(expected, "2001:db8::1/64 on eth0 with dynamic");
        assert_eq!(observed, "2001:db8::1/64");
        assert!(!address(a, ip, true, &[Row(ip, 64, &[AddrFlag::Permanent])]).0);
        assert!(!address(a, ip, true, &[Row(ip, 48, &[AddrFlag::Dynamic])]).0);
        let none: [Row; 0] = [];
        assert_eq!(
            address(a, ip, false, &none),
            (true, "2001:db8::1 not on eth0".into(), "no addresses on eth0".into())
        );
    }

    #[test]
    fn a_count_lists_at_most_the_entries_asked_for() {
        let e = expectations("  - count: {node: a, what: routes, family: ipv6, max: 2}\n");
        let Some(Expectation::Count(c)) = e.first() else {
            panic!("not a count: {e:?}");
        };
        assert_eq!(c.what, Countable::Routes);
        let entries: Vec<String> = (1..=COUNT_LISTED + 1).map(|i| format!("r{i}")).collect();
        let (passed, expected, observed) = count(c, &entries);
        assert!(!passed);
        assert_eq!(expected, "at most 2 ipv6 routes on a");
        assert_eq!(observed, "7 ipv6 routes on a: r1, r2, r3, r4, r5, r6, …");
        assert!(count(c, &entries[..2]).0);
    }

    #[test]
    fn an_unreachable_route_get_matches_no_answer() {
        let mut want = RouteResult {
            dev: Some(Located::new("eth0".to_owned())),
            via: None,
            src: None,
            unreachable: false,
        };
        assert!(route_get_passed(&want, None, None, Some("eth0"), None, None));
        assert!(!route_get_passed(&want, None, None, Some("eth1"), None, None));
        want.unreachable = true;
        assert!(!route_get_passed(&want, None, None, Some("eth0"), None, None));
        let dst: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(
            route_get_expected(dst, &want, None, None),
            "ip route get 10.0.0.1: unreachable dev eth0"
        );
    }

    #[test]
    fn default_routers_compare_in_order_and_say_none() {
        let a = vec!["fe80::1".to_owned(), "fe80::2".to_owned()];
        let b = vec!["fe80::2".to_owned(), "fe80::1".to_owned()];
        assert!(!default_routers(&a, &b).0);
        assert_eq!(default_routers(&[], &[]), (true, "none".into(), "none".into()));
    }
}
