//! What each profile leaves the seed's two-NIC VM with, computed by folding the boot's operations
//! (sysctl propagation per linux-ipv6.md A1/A2/A6/A20).

mod common;

use common::{boot, SEED_NICS};
use dualhome_agent::{apply, plan, Mac, Overrides, Profile, MAIN_TABLE};

fn mac(s: &str) -> Mac {
    s.parse().unwrap()
}

/// The seed: "IPv6 is enabled on all the VM's interfaces" and the stemcell "accept[s] IPv6 router
/// advertisements". Both NICs end with accept_ra=1 although the stemcell file says 0: the NICs
/// existed before `sysctl --system` (A1), and only `disable_ipv6` is pushed down from `all` (A2).
#[test]
fn trusty_2018_accepts_ras_and_redirects_on_both_nics() {
    for fixture in ["seed-2018.json", "seed-current.json"] {
        let (_, h) = boot(fixture, SEED_NICS, &Profile::trusty_2018());
        assert!(h.failures.is_empty(), "{:?}", h.failures);
        for m in ["00:50:56:8c:86:a9", "00:50:56:8c:69:f1"] {
            let i = h.interface_by_mac(mac(m)).unwrap();
            assert!(!i.ipv6.disabled, "{fixture} {}", i.name);
            assert!(i.ipv6.accept_ra, "{fixture} {}", i.name);
            assert!(i.ipv6.autoconf, "{fixture} {}: SLAAC on the IPv4 NIC", i.name);
            // Redirects too: the file's 0 went to all/default only (A20).
            assert!(i.ipv6.accept_redirects, "{fixture} {}", i.name);
        }
        assert_eq!(h.sysctl.get("net.ipv6.conf.eth0.accept_ra"), Some("1"));
        assert_eq!(h.sysctl.get("net.ipv6.conf.all.accept_ra"), Some("1"));
        assert_eq!(h.sysctl.get("net.ipv6.conf.default.accept_redirects"), Some("0"));
        // Exactly one default route, on the IPv6 NIC (the seed's `default: [dns, gateway]`).
        assert!(h.main_default_routes(false).is_empty());
        let v6 = h.main_default_routes(true);
        assert_eq!(v6.len(), 1);
        assert_eq!(
            v6[0].to_string(),
            "default via 2601:646:100:69f1:20d:b9ff:fe48:9249 dev eth1 proto boot metric 1024"
        );
    }
}

/// The two settings forms describe the same host: only the file texts differ (expanded vs
/// compressed IPv6, `prefix`), never the parsed state.
#[test]
fn both_settings_forms_give_the_same_host() {
    for profile in Profile::NAMES {
        let p = Profile::by_name(profile).unwrap();
        let (_, a) = boot("seed-2018.json", SEED_NICS, &p);
        let (_, b) = boot("seed-current.json", SEED_NICS, &p);
        assert_eq!(a.interfaces, b.interfaces, "{profile}");
        assert_eq!(a.routes, b.routes, "{profile}");
        assert_eq!(a.rules, b.rules, "{profile}");
        assert_eq!(a.dns, b.dns, "{profile}");
        assert_eq!(a.sysctl, b.sysctl, "{profile}");
    }
}

/// Jammy: `ipv6.disable=1` on the command line. The agent's Enable removes it from grub and
/// reboots; this boot ends with no IPv6 at all and nothing configured.
#[test]
fn jammy_first_boot_has_ipv6_disabled() {
    let (p, h) = boot("seed-current.json", SEED_NICS, &Profile::jammy());
    assert!(p.reboots());
    assert!(!h.kernel_ipv6);
    assert!(h.reboot_pending);
    assert_eq!(h.next_boot_removed_args, vec!["ipv6.disable=1".to_owned()]);
    for i in &h.interfaces {
        assert!(i.ipv6.disabled, "{}", i.name);
        assert!(!i.ipv6.accept_ra && !i.ipv6.accept_redirects, "{}", i.name);
        assert!(i.addresses.is_empty() && !i.up, "{}", i.name);
    }
    // `sysctl --system` could not write the IPv6 keys: there is no net.ipv6 tree.
    assert!(h.failures.iter().all(|f| f.reason.contains("No such file")));
    assert_eq!(h.failures.len(), 7);
}

/// Jammy, second boot: IPv6 in the kernel, the rewritten file keeps `accept_ra=0` for all/default
/// but Enable sets them to 1; the NICs keep the kernel default; networkd's IPv6AcceptRA=true is on
/// eth1. Same RA exposure as 2018, now from the other direction.
#[test]
fn jammy_second_boot_enables_ipv6() {
    let (_, h) = boot("seed-current.json", SEED_NICS, &Profile::jammy().after_reboot());
    assert!(h.kernel_ipv6 && !h.reboot_pending);
    assert!(h.failures.is_empty(), "{:?}", h.failures);
    let eth1 = h.interface("eth1").unwrap();
    assert!(!eth1.ipv6.disabled && eth1.ipv6.accept_ra);
    assert_eq!(eth1.addresses[0].to_string(), "2601:646:100:69f1::165/64");
    assert_eq!(h.main_default_routes(true).len(), 1);
    assert!(h.main_default_routes(false).is_empty());
}

/// Noble PoC: the lockdown is gone; RAs and redirects on everywhere; DNS via systemd-resolved.
#[test]
fn noble_poc_has_no_lockdown() {
    let (p, h) = boot("seed-current.json", SEED_NICS, &Profile::noble_poc());
    assert!(!p.reboots());
    for i in &h.interfaces {
        assert!(i.ipv6.accept_ra && i.ipv6.accept_redirects, "{}", i.name);
    }
    assert!(h.files.contains_key("/etc/systemd/resolved.conf.d/10-bosh.conf"));
    assert_eq!(h.dns.len(), 2);
}

/// Hardened: RAs, redirects and SLAAC off on every NIC; with `ipv6_gateway` each family has its
/// own default route; one policy table per interface with a rule per source address.
#[test]
fn hardened_turns_ras_off_and_routes_by_source() {
    let profile = Profile::hardened().with_overrides(Overrides {
        default_gateway_network: Some("default".into()),
        ipv6_gateway_network: Some("ipv6".into()),
        ..Overrides::default()
    });
    let (_, h) = boot("seed-current.json", SEED_NICS, &profile);
    assert!(h.failures.is_empty(), "{:?}", h.failures);
    for i in &h.interfaces {
        assert!(!i.ipv6.disabled, "{}", i.name);
        assert!(
            !i.ipv6.accept_ra && !i.ipv6.accept_redirects && !i.ipv6.autoconf,
            "{}",
            i.name
        );
    }
    assert_eq!(h.main_default_routes(false).len(), 1);
    assert_eq!(h.main_default_routes(true).len(), 1);
    assert_eq!(h.default_routes(false, 100).len(), 1);
    assert_eq!(h.default_routes(true, 101).len(), 1);
    // networkd's own RA client is off on every link, IPv4-only ones included.
    let networkd: Vec<&String> = h
        .files
        .iter()
        .filter(|(p, _)| p.ends_with(".network"))
        .map(|(_, c)| c)
        .collect();
    assert_eq!(networkd.len(), 2);
    assert!(networkd.iter().all(|c| c.contains("IPv6AcceptRA=false\n")));
    let rules: Vec<String> = h.rules.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        rules,
        [
            "1000: from 10.0.9.165 lookup 100",
            "1001: from 2601:646:100:69f1::165 lookup 101"
        ]
    );
    // Without ipv6_gateway, hardened keeps the BOSH model: one default route.
    let (_, h) = boot("seed-current.json", SEED_NICS, &Profile::hardened());
    assert_eq!(
        h.main_default_routes(false).len() + h.main_default_routes(true).len(),
        1
    );
}

/// Hardened dual-stack on one NIC: both addresses on eth0, both default routes, two rules into the
/// one table of eth0. The `ipv6_gateway` default comes from the settings' `default` list.
#[test]
fn hardened_dual_stack_nic() {
    let nics = common::nics("eth0=00:50:56:8c:86:a9");
    let p = plan(&common::fixture("dual-stack-nic.json"), &nics, &Profile::hardened()).unwrap();
    let h = apply(&p.ops);
    assert!(h.failures.is_empty(), "{:?}", h.failures);
    let eth0 = h.interface("eth0").unwrap();
    let addrs: Vec<String> = eth0.addresses.iter().map(|a| a.to_string()).collect();
    assert_eq!(addrs, ["10.0.9.165/24", "2601:646:100:69f0::165/64"]);
    assert_eq!(h.default_routes(false, MAIN_TABLE).len(), 1);
    assert_eq!(h.default_routes(true, MAIN_TABLE).len(), 1);
    assert!(h.rules.iter().all(|r| r.table == 100));
}
