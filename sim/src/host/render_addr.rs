//! `ip addr`, `ip -4 addr` and `ip -6 addr` text, byte-exact with iproute2 6.1 as captured in
//! /work/shared/reference/linux-exp/*.log (ipaddress.c:print_linkinfo, print_addrinfo, print_ifa_flags).

use std::fmt::Write;

use super::addr::{Addr, AddrFlags};
use super::iface::{Interface, LinkKind};
use super::tables::HostTables;
use crate::id::IfIndex;
use crate::time::Instant;

/// Which addresses `ip addr` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `ip addr`: every link, with its `link/…` line, then inet and inet6 addresses.
    Any,
    /// `ip -4 addr`: links with IPv4 addresses only.
    V4,
    /// `ip -6 addr`: links with IPv6 addresses only.
    V6,
}

/// The flag words in print_ifa_flags order; `dynamic` stands in the IFA_F_PERMANENT slot when that flag is absent.
/// The second field says whether iproute2 prints the word for IPv4 too.
const FLAG_WORDS: [(u32, &str, bool); 12] = [
    (AddrFlags::SECONDARY, "secondary", true),
    (AddrFlags::TEMPORARY, "temporary", false),
    (AddrFlags::NODAD, "nodad", false),
    (AddrFlags::OPTIMISTIC, "optimistic", false),
    (AddrFlags::DADFAILED, "dadfailed", false),
    (AddrFlags::HOMEADDRESS, "home", false),
    (AddrFlags::DEPRECATED, "deprecated", false),
    (AddrFlags::TENTATIVE, "tentative", false),
    (AddrFlags::PERMANENT, "dynamic", true),
    (AddrFlags::MNGTMPADDR, "mngtmpaddr", false),
    (AddrFlags::NOPREFIXROUTE, "noprefixroute", true),
    (AddrFlags::STABLE_PRIVACY, "stable-privacy", false),
];

/// Remaining lifetime as the kernel reports it: the stored lifetime minus whole elapsed seconds, i.e. the remaining
/// time rounded up (addrconf.c:inet6_fill_ifaddr, `tval = (jiffies - tstamp) / HZ`).
fn lft(now: Instant, until: Option<Instant>) -> String {
    match until {
        None => "forever".into(),
        Some(t) => {
            let nanos = t.as_nanos().saturating_sub(now.as_nanos());
            format!("{}sec", nanos.div_ceil(1_000_000_000))
        }
    }
}

fn mac_text(mac: [u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The link line(s). With a family filter and no device iproute2 prints the short form seen in E.log
/// (`mtu M state S qlen Q`); otherwise the long form of B1.log (`qdisc … state … group default qlen …`), and for
/// `ip addr` without a family the `link/ether` line follows.
fn link_header(out: &mut String, i: &Interface, short: bool, with_link: bool) {
    let _ = write!(out, "{}: {}: <{}> mtu {} ", i.ifindex, i.name, i.link_flags(), i.mtu);
    if short {
        let _ = writeln!(out, "state {} qlen {}", i.operstate(), i.txqlen);
    } else {
        let _ = writeln!(
            out,
            "qdisc {} state {} group default qlen {}",
            i.qdisc,
            i.operstate(),
            i.txqlen
        );
    }
    if with_link {
        match i.kind {
            LinkKind::Loopback => out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"),
            LinkKind::Ether => {
                let _ = writeln!(out, "    link/ether {} brd ff:ff:ff:ff:ff:ff", mac_text(i.mac));
            }
        }
    }
}

/// One address and its lifetime line (print_addrinfo).
fn addr_lines(out: &mut String, a: &Addr, ifname: &str, now: Instant) {
    let v6 = a.is_v6();
    let _ = write!(
        out,
        "    {} {}/{} ",
        if v6 { "inet6" } else { "inet" },
        a.addr,
        a.prefix_len
    );
    if let (false, Some(b)) = (v6, a.broadcast) {
        let _ = write!(out, "brd {b} ");
    }
    let _ = write!(out, "scope {} ", a.scope.name());
    for (bit, word, v4_too) in FLAG_WORDS {
        if !v6 && !v4_too {
            continue;
        }
        let set = a.flags.has(bit);
        // IFA_F_PERMANENT prints as `dynamic` when absent; the others when present.
        if (bit == AddrFlags::PERMANENT) != set {
            let _ = write!(out, "{word} ");
        }
    }
    if !v6 {
        out.push_str(ifname);
    }
    out.push('\n');
    let preferred = if a.flags.has(AddrFlags::DEPRECATED) {
        Some(now)
    } else {
        a.preferred_until
    };
    let _ = writeln!(
        out,
        "       valid_lft {} preferred_lft {}",
        lft(now, a.valid_until),
        lft(now, preferred)
    );
}

/// `ip [-4|-6] addr show [dev IF]` at `now`.
pub fn ip_addr_show(t: &HostTables, family: Family, dev: Option<IfIndex>, now: Instant) -> String {
    let mut out = String::new();
    for i in t.ifaces.iter() {
        if dev.is_some_and(|d| d != i.ifindex) {
            continue;
        }
        let want = |a: &&Addr| match family {
            Family::Any => true,
            Family::V4 => !a.is_v6(),
            Family::V6 => a.is_v6(),
        };
        let has_any = t.addrs.iter().filter(|a| a.ifindex == i.ifindex).any(|a| want(&a));
        if family != Family::Any && !has_any {
            continue;
        }
        link_header(
            &mut out,
            i,
            family != Family::Any && dev.is_none(),
            family == Family::Any,
        );
        // The kernel dumps inet before inet6; within a family, list order.
        for v6 in [false, true] {
            for a in t.addrs.on(i.ifindex, v6).filter(|a| want(a)) {
                addr_lines(&mut out, a, &i.name, now);
            }
        }
    }
    out
}

/// `ip link show [dev IF]` (print_linkinfo): `N: IF: <FLAGS> mtu M qdisc Q state S mode DEFAULT group default qlen L`
/// and the `link/…` line.
pub fn ip_link_show(t: &HostTables, dev: Option<IfIndex>) -> String {
    let mut out = String::new();
    for i in t.ifaces.iter().filter(|i| dev.is_none_or(|d| d == i.ifindex)) {
        let _ = writeln!(
            out,
            "{}: {}: <{}> mtu {} qdisc {} state {} mode DEFAULT group default qlen {}",
            i.ifindex,
            i.name,
            i.link_flags(),
            i.mtu,
            i.qdisc,
            i.operstate(),
            i.txqlen
        );
        match i.kind {
            LinkKind::Loopback => out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"),
            LinkKind::Ether => {
                let _ = writeln!(out, "    link/ether {} brd ff:ff:ff:ff:ff:ff", mac_text(i.mac));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::addr::AddrProto;

    #[test]
    fn c2_log_flag_lines() {
        // C2.log:76, :90, :115 and :42 (lifetimes from B1/C2).
        let now = Instant::from_secs(1000);
        let mut t = HostTables::new();
        let h0 = t.add_interface("h0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500).unwrap();
        t.set_link(h0, true).unwrap();
        let mut out = String::new();
        let ll = Addr::new(h0, "fe80::5054:ff:fe12:3456".parse().unwrap(), 64)
            .with_flags(AddrFlags::DADFAILED | AddrFlags::TENTATIVE)
            .with_proto(AddrProto::KernelLl);
        addr_lines(&mut out, &ll, "h0", now);
        assert_eq!(out, "    inet6 fe80::5054:ff:fe12:3456/64 scope link dadfailed tentative \n       valid_lft forever preferred_lft forever\n");
        out.clear();
        let tmp = Addr::new(h0, "2001:db8:8:0:2071:b2c1:5c97:175".parse().unwrap(), 64)
            .with_lifetimes(now, 86398, 14398)
            .with_flags(AddrFlags::TEMPORARY | AddrFlags::TENTATIVE);
        addr_lines(&mut out, &tmp, "h0", now + std::time::Duration::from_millis(300));
        assert_eq!(
            out,
            "    inet6 2001:db8:8:0:2071:b2c1:5c97:175/64 scope global temporary tentative dynamic \n       valid_lft 86398sec preferred_lft 14398sec\n"
        );
        out.clear();
        let sp = Addr::new(h0, "2001:db8:5:0:3aec:a4a8:ca8f:7273".parse().unwrap(), 64)
            .with_lifetimes(now, 86398, 14398)
            .with_flags(AddrFlags::TENTATIVE | AddrFlags::MNGTMPADDR | AddrFlags::STABLE_PRIVACY);
        addr_lines(&mut out, &sp, "h0", now);
        assert_eq!(
            out,
            "    inet6 2001:db8:5:0:3aec:a4a8:ca8f:7273/64 scope global tentative dynamic mngtmpaddr stable-privacy \n       valid_lft 86398sec preferred_lft 14398sec\n"
        );
    }

    #[test]
    fn ipv4_lines_and_full_listing() {
        let mut t = HostTables::new();
        let e = t
            .add_interface("eth0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500)
            .unwrap();
        t.set_link(e, true).unwrap();
        t.add_addr(Addr::new(e, "10.0.9.165".parse().unwrap(), 24)).unwrap();
        t.add_addr(Addr::new(e, "10.0.9.166".parse().unwrap(), 24)).unwrap();
        let s = ip_addr_show(&t, Family::V4, Some(e), Instant::ZERO);
        assert_eq!(
            s,
            "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n\
             \x20   inet 10.0.9.165/24 brd 10.0.9.255 scope global eth0\n\
             \x20      valid_lft forever preferred_lft forever\n\
             \x20   inet 10.0.9.166/24 brd 10.0.9.255 scope global secondary eth0\n\
             \x20      valid_lft forever preferred_lft forever\n"
        );
        let all = ip_addr_show(&t, Family::Any, None, Instant::ZERO);
        assert!(all.starts_with(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n\
             \x20   link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
             \x20   inet 127.0.0.1/8 scope host lo\n"
        ));
        assert!(all.contains("    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"));
        assert!(
            !ip_addr_show(&t, Family::V6, None, Instant::ZERO).contains("eth0"),
            "no inet6 on eth0"
        );
    }

    #[test]
    fn c_log_ip_link_show() {
        // C.log:100 (first line; `@if2` is the veth peer suffix the simulator's NICs do not have).
        let mut t = HostTables::new();
        let h0 = t.add_interface("h0", [0x52, 0x54, 0, 0x12, 0x34, 0x56], 1500).unwrap();
        t.ifaces.get_mut(h0).unwrap().qdisc = "noqueue";
        t.set_link(h0, true).unwrap();
        assert_eq!(
            ip_link_show(&t, Some(h0)),
            "2: h0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n\
             \x20   link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"
        );
        assert!(
            ip_link_show(&t, None).starts_with("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN")
        );
    }

    #[test]
    fn b2_deprecated_and_c2_optimistic_lines() {
        let now = Instant::from_secs(10);
        let h0 = IfIndex(2);
        let line = |a: &Addr| {
            let mut out = String::new();
            addr_lines(&mut out, a, "h0", now);
            out
        };
        // B2.log:58-59.
        let dep = Addr::new(h0, "2001:db8:1:0:5054:ff:fe12:3456".parse().unwrap(), 64)
            .with_lifetimes(now, 7198, 0)
            .with_flags(AddrFlags::MNGTMPADDR);
        assert_eq!(
            line(&dep),
            "    inet6 2001:db8:1:0:5054:ff:fe12:3456/64 scope global deprecated dynamic mngtmpaddr \n       valid_lft 7198sec preferred_lft 0sec\n"
        );
        // C2.log:129-130 (first line of each).
        let opt = AddrFlags::OPTIMISTIC | AddrFlags::TENTATIVE;
        let tmp = Addr::new(h0, "2001:db8:9:0:83c4:e0af:a8c1:d22".parse().unwrap(), 64)
            .with_lifetimes(now, 86400, 14400)
            .with_flags(opt | AddrFlags::TEMPORARY);
        let pubaddr = Addr::new(h0, "2001:db8:9:0:5054:ff:fe12:3456".parse().unwrap(), 64)
            .with_lifetimes(now, 86400, 14400)
            .with_flags(opt | AddrFlags::MNGTMPADDR);
        assert!(line(&tmp).starts_with(
            "    inet6 2001:db8:9:0:83c4:e0af:a8c1:d22/64 scope global temporary optimistic tentative dynamic \n"
        ));
        assert!(line(&pubaddr).starts_with(
            "    inet6 2001:db8:9:0:5054:ff:fe12:3456/64 scope global optimistic tentative dynamic mngtmpaddr \n"
        ));
    }
}
