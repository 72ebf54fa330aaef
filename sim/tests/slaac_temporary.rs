//! RFC 8981 temporary addresses and the address-generation modes as C2.log shows them (linux-ipv6.md A22, A23,
//! C9, C11–C14): the `temporary dynamic` twin of each new `mngtmpaddr` address, its use as source with
//! use_tempaddr=2 but not 1, optimistic flags, and SLAAC without a link-local.

mod ra_support;

use std::net::IpAddr;

use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::render::ip_route_get;
use dualhome_sim::id::NodeId;
use ra_support::*;

/// The `ip -6 addr` text with every temporary address's IID replaced by `<tmp>` (it is random).
fn masked(lan: &Lan, h: NodeId) -> String {
    lan.addrs(h)
        .lines()
        .skip(1)
        .map(|l| {
            if l.contains(" temporary ") {
                let start = l.find("inet6 ").map_or(0, |i| i + 6);
                let prefix_end = l[start..]
                    .match_indices(':')
                    .nth(3)
                    .map_or(start, |(i, _)| start + i + 1);
                let slash = l.find('/').unwrap_or(l.len());
                format!("{}<tmp>{}", &l[..prefix_end], &l[slash..])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn get(lan: &Lan, h: NodeId, dst: &str) -> String {
    let host = lan.sim.host(h).expect("h");
    let d = host.route_get(&RouteQuery::to(IpAddr::V6(a6(dst)))).expect("route");
    ip_route_get(&host.tables, &d)
}

#[test]
fn c9_temporary_twin_and_source_choice() {
    let mut lan = Lan::new(81);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    lan.sim
        .with_host(h, |x, ctx| x.set_sysctl(ctx, "net.ipv6.conf.eth0.use_tempaddr", "2"))
        .expect("host")
        .expect("sysctl");
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:6::", 64, 86400, 14400));
    lan.send(r, adv.frame());
    lan.run_ms(3100);
    assert_eq!(
        masked(&lan, h),
        "    inet6 2001:db8:6:0:<tmp>/64 scope global temporary dynamic 
       valid_lft 86397sec preferred_lft 14397sec
    inet6 2001:db8:6:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft 86397sec preferred_lft 14397sec
    inet6 fe80::5054:ff:fe12:3456/64 scope link 
       valid_lft forever preferred_lft forever"
    );
    let temp = get(&lan, h, "2001:db8:ffff::1");
    assert!(
        temp.starts_with("2001:db8:ffff::1 from :: via fe80::1 dev eth0 proto ra src 2001:db8:6:0:"),
        "{temp}"
    );
    assert!(
        !temp.contains("5054:ff:fe12:3456"),
        "use_tempaddr=2 prefers the temporary: {temp}"
    );
    lan.sim
        .with_host(h, |x, ctx| x.set_sysctl(ctx, "net.ipv6.conf.eth0.use_tempaddr", "1"))
        .expect("host")
        .expect("sysctl");
    assert_eq!(
        get(&lan, h, "2001:db8:ffff::1"),
        "2001:db8:ffff::1 from :: via fe80::1 dev eth0 proto ra src 2001:db8:6:0:5054:ff:fe12:3456 metric 1024 hoplimit 64 pref medium\n"
    );
}

#[test]
fn c11_optimistic_public_and_temporary() {
    let mut lan = Lan::new(82);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[("use_tempaddr", "2"), ("optimistic_dad", "1")]);
    lan.run(3);
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:9::", 64, 86400, 14400));
    lan.send(r, adv.frame());
    lan.run_ms(100);
    let text = masked(&lan, h);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("2001:db8:9")).collect();
    assert_eq!(
        lines,
        [
            "    inet6 2001:db8:9:0:<tmp>/64 scope global temporary optimistic tentative dynamic ",
            "    inet6 2001:db8:9:0:5054:ff:fe12:3456/64 scope global optimistic tentative dynamic mngtmpaddr ",
        ]
    );
}

#[test]
fn c12_no_link_local_still_slaac_and_no_rs() {
    let mut lan = Lan::new(83);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[("addr_gen_mode", "1"), ("use_tempaddr", "2")]);
    lan.run(3);
    assert_eq!(lan.addrs(h), "", "no address, so `ip -6 addr` lists no link");
    assert!(lan.sim.host(h).expect("h").ra_state(ETH).is_none_or(|s| !s.rs.sent));
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:a::", 64, 86400, 14400));
    lan.send(r, adv.frame());
    lan.run_ms(2100);
    assert_eq!(
        masked(&lan, h),
        "    inet6 2001:db8:a:0:<tmp>/64 scope global temporary dynamic 
       valid_lft 86398sec preferred_lft 14398sec
    inet6 2001:db8:a:0:5054:ff:fe12:3456/64 scope global dynamic mngtmpaddr 
       valid_lft 86398sec preferred_lft 14398sec"
    );
}

#[test]
fn c14_token_replaces_the_iid() {
    let mut lan = Lan::new(84);
    let r = lan.router("r", 1, &[]);
    let h = lan.host("h", H_MAC, &[]);
    lan.run(3);
    lan.sim
        .with_host(h, |x, _| x.set_token(ETH, Some(a6("::1234:5678"))))
        .expect("host");
    let mut adv = ra(1);
    adv.opts.push(pio("2001:db8:c::", 64, 86400, 14400));
    lan.send(r, adv.frame());
    lan.run_ms(2100);
    assert!(lan.addrs(h).contains(
        "    inet6 2001:db8:c::1234:5678/64 scope global dynamic mngtmpaddr \n       valid_lft 86398sec preferred_lft 14398sec\n"
    ));
}
