//! Property: under every profile the boot installs at most one default route per family in the main
//! table, and at most one in total (the BOSH model, the seed's Routing footnote) except `hardened`
//! with an `ipv6_gateway`, where each family may have its own. Generated settings go through the
//! JSON parser like real ones; plans the agent rejects are fine, crashes are not.

use dualhome_agent::{apply, parse_nics, plan, Overrides, Profile, Settings};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
struct NetSpec {
    v6: bool,
    nic: usize,
    defaults: Vec<&'static str>,
    with_gateway: bool,
    expanded: bool,
}

fn net_spec() -> impl Strategy<Value = NetSpec> {
    (
        any::<bool>(),
        0usize..3,
        proptest::sample::subsequence(vec!["dns", "gateway", "ipv6_gateway"], 0..=3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(v6, nic, defaults, with_gateway, expanded)| NetSpec {
            v6,
            nic,
            defaults,
            with_gateway,
            expanded,
        })
}

fn settings_json(nets: &[NetSpec]) -> String {
    let mut m = Map::new();
    for (i, n) in nets.iter().enumerate() {
        let mut o = Map::new();
        o.insert("type".into(), json!("manual"));
        if n.v6 {
            let ip = if n.expanded {
                format!("2001:0db8:0000:{i:04x}:0000:0000:0000:0005")
            } else {
                format!("2001:db8:0:{i:x}::5")
            };
            o.insert("ip".into(), json!(ip));
            o.insert("netmask".into(), json!("ffff:ffff:ffff:ffff:0000:0000:0000:0000"));
            if n.with_gateway {
                o.insert("gateway".into(), json!(format!("2001:db8:0:{i:x}::1")));
            }
        } else {
            o.insert("ip".into(), json!(format!("10.0.{i}.5")));
            o.insert("netmask".into(), json!("255.255.255.0"));
            if n.with_gateway {
                o.insert("gateway".into(), json!(format!("10.0.{i}.1")));
            }
        }
        o.insert("default".into(), json!(n.defaults));
        o.insert("dns".into(), json!(["8.8.8.8"]));
        o.insert("mac".into(), json!(format!("02:00:00:00:00:0{}", n.nic + 1)));
        m.insert(format!("net{i}"), Value::Object(m_obj(o)));
    }
    Value::Object(m).to_string()
}

fn m_obj(o: Map<String, Value>) -> Map<String, Value> {
    o
}

proptest! {
    #[test]
    fn at_most_one_default_route_per_family(
        nets in proptest::collection::vec(net_spec(), 1..4),
        profile_idx in 0usize..4,
        after_reboot in any::<bool>(),
        gw_override in proptest::option::of(0usize..4),
    ) {
        let settings = Settings::from_json(&settings_json(&nets)).unwrap();
        let nics = parse_nics("eth0=02:00:00:00:00:01,eth1=02:00:00:00:00:02,eth2=02:00:00:00:00:03").unwrap();
        let mut profile = Profile::by_name(Profile::NAMES[profile_idx]).unwrap();
        if after_reboot {
            profile = profile.after_reboot();
        }
        if let Some(i) = gw_override {
            profile = profile.with_overrides(Overrides {
                default_gateway_network: Some(format!("net{i}")),
                ..Overrides::default()
            });
        }
        let Ok(boot) = plan(&settings, &nics, &profile) else { return Ok(()) };
        let host = apply(&boot.ops);
        let v4 = host.main_default_routes(false).len();
        let v6 = host.main_default_routes(true).len();
        prop_assert!(v4 <= 1 && v6 <= 1, "v4={v4} v6={v6}\n{host}");
        let ipv6_gateway = boot.layout.ipv6_gateway_network.is_some();
        if profile.name == "hardened" && ipv6_gateway {
            prop_assert_eq!(v6, 1, "ipv6_gateway installs the IPv6 default\n{}", host);
        } else {
            prop_assert!(v4 + v6 <= 1, "v4={} v6={}\n{}", v4, v6, host);
        }
        // Policy tables (hardened) each hold at most one default per family too.
        for t in 100..104 {
            prop_assert!(host.default_routes(false, t).len() <= 1);
            prop_assert!(host.default_routes(true, t).len() <= 1);
        }
    }
}
