//! The director's own test vectors (bosh-networking.md appendix, §2.1, §4.3, §4.4, §4.6) and its error texts.

mod support;

use dualhome_ipam::range_form::RangeForm;
use dualhome_ipam::Era;
use rstest::rstest;
use support::{error_text, group, ips, one_subnet, settings, try_plan};

const V6_125: &str = "{range: 'fdab:d85c:118d:8a46::/125', gateway: 'fdab:d85c:118d:8a46::1'}";

/// Appendix: `/125`, gw `::1` → dynamic order `::2 … ::6`; `::7` (last) and `::0` never.
#[test]
fn v6_125_allocates_2_to_6_in_order() {
    let got = ips(&one_subnet(V6_125), &group(5, ""), "net_a");
    let want: Vec<String> = (2..=6).map(|i| format!("fdab:d85c:118d:8a46::{i}")).collect();
    assert_eq!(got, want);
    assert_eq!(
        error_text(&one_subnet(V6_125), &group(6, "")),
        "Failed to reserve IP for 'web/5' for manual network 'net_a': no more available"
    );
}

/// Appendix: `/126` + gw `::1` → exactly one allocatable (`::2`).
#[test]
fn v6_126_has_exactly_one_address() {
    let cc = one_subnet("{range: 'fdab:d85c:118d:8a46::/126', gateway: 'fdab:d85c:118d:8a46::1'}");
    assert_eq!(ips(&cc, &group(1, ""), "net_a"), vec!["fdab:d85c:118d:8a46::2"]);
    assert_eq!(
        error_text(&cc, &group(2, "")),
        "Failed to reserve IP for 'web/1' for manual network 'net_a': no more available"
    );
}

/// §4.3: reserved `::2, ::4` → allocations `::3`, `::5` (reserved written in three spellings).
#[test]
fn reserved_singles_are_skipped_whatever_the_spelling() {
    let cc = one_subnet(
        "{range: 'fdab:d85c:118d:8a46::/125', gateway: 'fdab:d85c:118d:8a46::1', reserved: ['fdab:d85c:118d:8a46:0:0:0:2', 'fdab:d85c:118d:8a46:0000:0000:0000:0004']}",
    );
    assert_eq!(
        ips(&cc, &group(2, ""), "net_a"),
        vec!["fdab:d85c:118d:8a46::3", "fdab:d85c:118d:8a46::5"]
    );
}

/// §4.3: reserved may include gateway, network and broadcast. A /31 or /127 passes the "at least 2 IPs" rule but
/// its gateway is then the network id or the broadcast address, so only `ignore_missing_gateway` could use it.
#[rstest]
#[case(
    "{range: 10.0.0.0/24, gateway: 10.0.0.1, reserved: [10.0.0.0 - 10.0.0.1, 10.0.0.255]}",
    Ok("10.0.0.2")
)]
#[case(
    "{range: 10.0.0.0/31, gateway: 10.0.0.1}",
    Err("Invalid gateway for network 'net_a': can't be the broadcast IP")
)]
#[case(
    "{range: '2001:db8::/127', gateway: '2001:db8::'}",
    Err("Invalid gateway for network 'net_a': can't be the network id")
)]
fn reserved_may_cover_special_addresses(#[case] subnet: &str, #[case] want: Result<&str, &str>) {
    let got = try_plan(&one_subnet(subnet), &group(1, ""), &[], None)
        .map(|p| {
            p.instances[0].networks[0]
                .address
                .ip()
                .map(|a| a.to_string())
                .unwrap_or_default()
        })
        .map_err(|e| e.kind.to_string());
    assert_eq!(got, want.map(str::to_string).map_err(str::to_string));
}

/// §2.1 (manual_network_spec.rb L166-180): settings of an IPv6 and an IPv4 reservation, current director.
#[rstest]
#[case(
    "{range: '2001:db8::/32', gateway: '2001:db8::1'}",
    "2001:db8::2",
    "128",
    "ffff:ffff:0000:0000:0000:0000:0000:0000",
    "2001:db8::1"
)]
#[case(
    "{range: 192.168.1.0/24, gateway: 192.168.1.1}",
    "192.168.1.2",
    "32",
    "255.255.255.0",
    "192.168.1.1"
)]
fn settings_of_a_reservation(
    #[case] subnet: &str,
    #[case] ip: &str,
    #[case] prefix: &str,
    #[case] netmask: &str,
    #[case] gateway: &str,
) {
    let doc = settings(&one_subnet(subnet), &group(1, ""), Era::Current);
    let net = &doc.instances[0].networks["net_a"];
    assert_eq!(net.kind, "manual");
    assert_eq!(net.ip.as_deref(), Some(ip));
    assert_eq!(net.prefix.as_deref(), Some(prefix));
    assert_eq!(net.netmask.as_deref(), Some(netmask));
    assert_eq!(net.gateway.as_deref(), Some(gateway));
    assert_eq!(net.default, vec!["dns", "gateway"]);
}

/// §2.1 (old spec bosh@681aa8701e L108-115): the 2018 director expands DNS and netmask and has no `prefix`.
#[test]
fn era_2018_expands_everything_and_drops_prefix() {
    let cc = one_subnet("{range: '2001:db8::/64', gateway: '2001:db8::1', dns: ['2001:4860:4860::8888']}");
    let old = settings(&cc, &group(1, ""), Era::Y2018);
    let net = &old.instances[0].networks["net_a"];
    assert_eq!(
        net.dns.as_deref(),
        Some(&["2001:4860:4860:0000:0000:0000:0000:8888".to_string()][..])
    );
    assert_eq!(net.netmask.as_deref(), Some("ffff:ffff:ffff:ffff:0000:0000:0000:0000"));
    assert_eq!(net.ip.as_deref(), Some("2001:0db8:0000:0000:0000:0000:0000:0002"));
    assert_eq!(net.prefix, None);
    let new = settings(&cc, &group(1, ""), Era::Current);
    assert_eq!(
        new.instances[0].networks["net_a"].dns.as_deref(),
        Some(&["2001:4860:4860::8888".to_string()][..])
    );
}

/// Appendix: `10.0.3.64 - 10.0.3.99` → blocks `10.0.3.64/27`, `10.0.3.96/30`, and none of it is allocated.
#[test]
fn reserved_span_blocks() {
    let blocks = RangeForm::parse("10.0.3.64 - 10.0.3.99")
        .map(|f| f.blocks().iter().map(ToString::to_string).collect::<Vec<_>>());
    assert_eq!(blocks, Ok(vec!["10.0.3.64/27".to_string(), "10.0.3.96/30".to_string()]));
    let cc = one_subnet("{range: 10.0.3.64/26, gateway: 10.0.3.100, reserved: [10.0.3.64 - 10.0.3.99]}");
    assert_eq!(ips(&cc, &group(1, ""), "net_a"), vec!["10.0.3.101"]);
}

/// Appendix: prefix 26 on a /24, static `[.64, .128, .191]` → static bases `.64`, `.128` (`.191` silently dropped).
#[rstest]
#[case("192.168.0.64", true)]
#[case("192.168.0.128", true)]
#[case("192.168.0.191", false)]
fn prefix_26_static_bases(#[case] ip: &str, #[case] accepted: bool) {
    let cc = one_subnet(
        "{range: 192.168.0.0/24, gateway: 192.168.0.1, prefix: 26, static: [192.168.0.64, 192.168.0.128, 192.168.0.191]}",
    );
    let got = try_plan(&cc, &group(1, &format!("static_ips: [{ip}]")), &[], None);
    if accepted {
        let net = got.map(|p| p.settings(Era::Current).instances[0].networks["net_a"].clone());
        assert_eq!(net.as_ref().ok().and_then(|n| n.ip.as_deref()), Some(ip));
        assert_eq!(net.as_ref().ok().and_then(|n| n.prefix.as_deref()), Some("26"));
    } else {
        assert_eq!(
            got.err().map(|e| e.kind.to_string()),
            Some(format!(
                "Instance group 'web' with network 'net_a' declares static ip '{ip}', which belongs to no subnet"
            ))
        );
    }
}

/// Appendix: static `['.30-.40', '.96/26']` with prefix 27 → `{.32, .64, .96}`.
#[test]
fn prefix_27_static_bases_from_ranges() {
    let cc = one_subnet("{range: 192.168.0.0/24, gateway: 192.168.0.1, prefix: 27, static: ['192.168.0.30-192.168.0.40', '192.168.0.96/26']}");
    let ok = try_plan(
        &cc,
        &group(3, "static_ips: [192.168.0.32, 192.168.0.64, 192.168.0.96]"),
        &[],
        None,
    );
    assert!(ok.is_ok(), "{ok:?}");
    for bad in ["192.168.0.0", "192.168.0.30", "192.168.0.128"] {
        let err = try_plan(&cc, &group(1, &format!("static_ips: [{bad}]")), &[], None);
        assert!(
            err.is_err_and(|e| e.kind.to_string().contains("belongs to no subnet")),
            "{bad}"
        );
    }
}

/// §4.4 docs example: range /24 prefix 28 → `10.10.0.0/28` skipped (network id, gateway), first `10.10.0.16/28`.
#[test]
fn prefix_28_first_block_is_16() {
    let cc = one_subnet("{range: 10.10.0.0/24, gateway: 10.10.0.1, prefix: 28}");
    let doc = settings(&cc, &group(2, ""), Era::Current);
    let got: Vec<(Option<String>, Option<String>)> = doc
        .instances
        .iter()
        .map(|i| (i.networks["net_a"].ip.clone(), i.networks["net_a"].prefix.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("10.10.0.16".into()), Some("28".into())),
            (Some("10.10.0.32".into()), Some("28".into()))
        ]
    );
}

/// §4.3 / PR #2631: director IPs are restricted only in subnets of their family.
#[test]
fn director_ips_restricted_by_family() {
    let cc = one_subnet("{range: 10.0.0.0/29, gateway: 10.0.0.1}");
    let p = try_plan(&cc, &group(1, ""), &["10.0.0.2", "2001:db8::3"], None);
    assert_eq!(
        p.ok()
            .and_then(|p| p.instances[0].networks[0].address.ip())
            .map(|a| a.to_string()),
        Some("10.0.0.3".into())
    );
}

/// §4.4: subnets in cloud-config order, filtered by the instance's AZ.
#[test]
fn subnets_in_order_filtered_by_az() {
    let cc = "azs: [{name: z1}, {name: z2}]\nnetworks:\n- name: net_a\n  subnets:\n  - {range: 10.0.1.0/30, gateway: 10.0.1.1, az: z2}\n  - {range: 10.0.0.0/29, gateway: 10.0.0.1, az: z1}\n  - {range: 10.0.2.0/29, gateway: 10.0.2.1, az: z1}\n";
    let m = "name: d\ninstance_groups:\n- name: web\n  instances: 6\n  azs: [z1]\n  networks: [{name: net_a}]\n";
    let got = ips(cc, m, "net_a");
    assert_eq!(
        got,
        vec!["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.2.2"]
    );
}
