//! Golden test: the seed's dual-homed nginx VM (bosh-ipv6-on-vsphere.md §4-§6, bosh-networking.md §5).
//!
//! The blog's `bosh instances` shows `10.0.9.165` and `2601:0646:0100:69f1:0000:0000:0000:0165` (2018 director);
//! the current director prints the compressed `2601:646:100:69f1::165`. The IPv6 network is the default for dns and
//! gateway, so the IPv4 network carries no `default`.

use dualhome_ipam::{
    lint, parse_cloud_config, parse_manifest, plan, render_table, Addr, Era, PlanInput, SettingsDocument,
};

const CLOUD_CONFIG: &str = include_str!("../../examples/seed/cloud-config.yml");
const MANIFEST: &str = include_str!("../../examples/seed/manifest.yml");

fn seed(era: Era) -> (SettingsDocument, String) {
    let cc = parse_cloud_config("examples/seed/cloud-config.yml", CLOUD_CONFIG);
    let m = parse_manifest("examples/seed/manifest.yml", MANIFEST);
    let (Ok(cc), Ok(m)) = (cc, m) else {
        panic!("seed does not parse")
    };
    let director: Vec<Addr> = Addr::parse("10.0.9.151").into_iter().collect();
    let p = plan(&PlanInput {
        cloud_config: &cc,
        manifest: &m,
        director_ips: &director,
        state: None,
    });
    let Ok(p) = p else { panic!("{p:?}") };
    (p.settings(era), render_table(&p, era))
}

#[test]
fn seed_vm_gets_the_blog_addresses_in_2018_form() {
    let (doc, table) = seed(Era::Y2018);
    let vm = &doc.instances[0];
    assert_eq!(vm.instance, "nginx/0");
    assert_eq!(vm.az.as_deref(), Some("z1"));
    assert_eq!(vm.networks["default"].ip.as_deref(), Some("10.0.9.165"));
    assert_eq!(
        vm.networks["ipv6"].ip.as_deref(),
        Some("2601:0646:0100:69f1:0000:0000:0000:0165")
    );
    assert_eq!(
        vm.networks["ipv6"].gateway.as_deref(),
        Some("2601:0646:0100:69f1:020d:b9ff:fe48:9249")
    );
    assert_eq!(vm.networks["ipv6"].default, vec!["dns", "gateway"]);
    assert!(vm.networks["default"].default.is_empty());
    assert_eq!(vm.networks["ipv6"].prefix, None);
    // Network order is the manifest's, not alphabetical.
    assert_eq!(vm.networks.keys().collect::<Vec<_>>(), vec!["default", "ipv6"]);
    insta::assert_snapshot!("seed_table_2018", table);
    insta::assert_snapshot!("seed_settings_2018", doc.to_json());
}

#[test]
fn seed_vm_in_current_form_is_compressed() {
    let (doc, table) = seed(Era::Current);
    let v6 = &doc.instances[0].networks["ipv6"];
    assert_eq!(v6.ip.as_deref(), Some("2601:646:100:69f1::165"));
    assert_eq!(v6.prefix.as_deref(), Some("128"));
    assert_eq!(v6.netmask.as_deref(), Some("ffff:ffff:ffff:ffff:0000:0000:0000:0000"));
    assert_eq!(
        v6.dns.as_deref(),
        Some(&["2001:4860:4860::8888".to_string(), "2001:4860:4860::8844".to_string()][..])
    );
    insta::assert_snapshot!("seed_table_current", table);
    insta::assert_snapshot!("seed_settings_current", doc.to_json());
}

#[test]
fn seed_as_written_has_no_2018_findings_but_the_2020_gateway_has() {
    let cc = parse_cloud_config("cc.yml", CLOUD_CONFIG);
    let Ok(cc) = cc else { panic!("{cc:?}") };
    assert_eq!(lint(&cc, None, &[]), vec![]);
    // cunnie 133dd70 (2020): gateway moved outside the 69f1::/64 range, zero-stripped.
    let moved = CLOUD_CONFIG.replace(
        "\"2601:0646:0100:69f1:020d:b9ff:fe48:9249\"",
        "2601:646:100:69f5:225:90ff:fef5:182b",
    );
    let cc = parse_cloud_config("cc.yml", &moved);
    let Ok(cc) = cc else { panic!("{cc:?}") };
    let codes: Vec<&str> = lint(&cc, None, &[]).iter().map(|f| f.code).collect();
    assert_eq!(codes, vec!["IPAM-ABBREVIATED-IPV6", "IPAM-GATEWAY-OUTSIDE-RANGE"]);
}

#[test]
fn json_is_byte_stable() {
    let (a, _) = seed(Era::Current);
    let (b, _) = seed(Era::Current);
    assert_eq!(a.to_json(), b.to_json());
}
