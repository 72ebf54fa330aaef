//! The agent's validation errors name the offending field (and, for parse errors, line and column).

mod common;

use common::{fixture, nics, SEED_NICS};
use dualhome_agent::{plan, AgentError, Overrides, Profile, Settings};
use rstest::rstest;

fn seed_with(edit: impl FnOnce(&mut serde_json::Value)) -> Settings {
    let text = std::fs::read_to_string(common::fixture_path("seed-current.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    Settings::from_json(&serde_json::to_string_pretty(&v).unwrap()).unwrap()
}

#[test]
fn mac_absent_on_the_vm() {
    let err = plan(
        &fixture("seed-current.json"),
        &nics("eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:00:01"),
        &Profile::jammy(),
    )
    .unwrap_err();
    assert_eq!(err.field(), "ipv6.mac");
    assert_eq!(
        err.to_string(),
        "`ipv6.mac`: No device found for network 'ipv6' with MAC address '00:50:56:8c:69:f1'"
    );
}

#[test]
fn two_networks_claim_the_default_gateway() {
    let s = seed_with(|v| v["default"]["default"] = serde_json::json!(["gateway"]));
    let err = plan(&s, &nics(SEED_NICS), &Profile::trusty_2018()).unwrap_err();
    assert_eq!(
        err,
        AgentError::TwoDefaultGateways {
            field: "ipv6.default".into(),
            first: "default".into(),
            second: "ipv6".into()
        }
    );
}

/// Cunnie's 2020 cloud-config gateway `…69f5:…` outside the `69f1::/64` range (bosh-networking.md §5.1).
#[test]
fn default_gateway_outside_its_subnet() {
    let s = seed_with(|v| v["ipv6"]["gateway"] = serde_json::json!("2601:646:100:69f5:225:90ff:fef5:182b"));
    let err = plan(&s, &nics(SEED_NICS), &Profile::trusty_2018()).unwrap_err();
    assert_eq!(err.field(), "ipv6.gateway");
    assert!(
        err.to_string()
            .contains("outside the network's subnet 2601:646:100:69f1::/64"),
        "{err}"
    );
}

#[rstest]
#[case("trusty-2018", false)]
#[case("jammy", false)]
#[case("noble-poc", false)]
#[case("hardened", true)]
fn dual_stack_nic_only_where_the_era_can(#[case] profile: &str, #[case] ok: bool) {
    let r = plan(
        &fixture("dual-stack-nic.json"),
        &nics("eth0=00:50:56:8c:86:a9"),
        &Profile::by_name(profile).unwrap(),
    );
    match (ok, r) {
        (true, Ok(_)) => {}
        (false, Err(e @ AgentError::DualStackNic { .. })) => {
            assert_eq!(e.field(), "v6.mac");
            assert!(e.to_string().contains(profile));
        }
        (_, other) => panic!("{profile}: unexpected {other:?}"),
    }
}

#[test]
fn ipv6_gateway_override_needs_a_profile_that_has_it() {
    let p = Profile::jammy().with_overrides(Overrides {
        ipv6_gateway_network: Some("ipv6".into()),
        ..Overrides::default()
    });
    let err = plan(&fixture("seed-current.json"), &nics(SEED_NICS), &p).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`overrides.ipv6_gateway_network`: profile 'jammy' has no ipv6_gateway"
    );
}

#[test]
fn overrides_must_name_existing_ipv6_networks() {
    let p = Profile::hardened().with_overrides(Overrides {
        ipv6_gateway_network: Some("nope".into()),
        ..Overrides::default()
    });
    let err = plan(&fixture("seed-current.json"), &nics(SEED_NICS), &p).unwrap_err();
    assert_eq!(err.field(), "overrides.ipv6_gateway_network");
    let p = Profile::hardened().with_overrides(Overrides {
        ipv6_gateway_network: Some("default".into()),
        ..Overrides::default()
    });
    let err = plan(&fixture("seed-current.json"), &nics(SEED_NICS), &p).unwrap_err();
    assert!(matches!(err, AgentError::NoGateway { family: "IPv6", .. }), "{err:?}");
    // ipv6_gateway on a second IPv6 network while the IPv6 one is the gateway default: two IPv6 defaults.
    let s = seed_with(|v| {
        let mut other = v["ipv6"].clone();
        other["ip"] = serde_json::json!("2001:db8::5");
        other["gateway"] = serde_json::json!("2001:db8::1");
        other["netmask"] = serde_json::json!("ffff:ffff:ffff:ffff::");
        other["default"] = serde_json::json!(["ipv6_gateway"]);
        other["mac"] = serde_json::json!("00:50:56:8c:00:03");
        v["other"] = other;
    });
    let err = plan(
        &s,
        &nics("eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:69:f1,eth2=00:50:56:8c:00:03"),
        &Profile::hardened(),
    )
    .unwrap_err();
    assert!(matches!(err, AgentError::TwoDefaultGateways { .. }), "{err:?}");
}

#[rstest]
#[case(
    "{\n  \"a\": {\n    \"ip\": \"2601:0646:0100:69f1:0000:0000:0000:01651\"\n  }\n}",
    "a.ip",
    3
)]
#[case(
    "{\n  \"a\": {\"ip\": \"10.0.0.1\", \"netmask\": \"255.0.255.0\"}\n}",
    "a.netmask",
    2
)]
#[case("{\n  \"a\": {\"dns\": [\"8.8.8.8\",\n \"8.8.8\"]}\n}", "a.dns[1]", 3)]
#[case("{\n  \"a\": {\"ip\": \"10.0.0.1\",\n  \"prefix\": \"x\"}}", "a.prefix", 3)]
#[case("{\n  \"a\": {\"ip\": 10}\n}", "a.ip", 2)]
#[case("{\n  \"a\": {\"ip\": \"10.0.0.1\",\n}", "a.?", 3)]
fn parse_errors_carry_field_and_line(#[case] text: &str, #[case] field: &str, #[case] line: usize) {
    match Settings::from_json(text) {
        Err(AgentError::Json {
            field: f,
            line: l,
            column,
            ..
        }) => {
            assert_eq!((f.as_str(), l), (field, line), "column {column}");
            assert!(column > 0);
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn family_mismatch_and_prefix() {
    let err = Settings::from_json(r#"{"a": {"ip": "10.0.0.1", "netmask": "ffff:ffff::"}}"#).unwrap_err();
    assert_eq!(err.field(), "a.netmask");
    let err = Settings::from_json(r#"{"a": {"ip": "10.0.0.1", "netmask": "255.0.0.0", "prefix": "64"}}"#).unwrap_err();
    assert_eq!(
        err,
        AgentError::PrefixTooLong {
            field: "a.prefix".into(),
            prefix: 64,
            max: 32
        }
    );
}

/// Settings text from outside never panics the parser, the planner or the fold: random edits of a
/// real settings file either parse and plan, or come back as an error that names a field.
#[test]
fn mutated_settings_never_panic() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let base = std::fs::read_to_string(common::fixture_path("seed-current.json")).unwrap();
    let len = base.len();
    let edits = proptest::collection::vec((0..len, any::<u8>(), 0u8..3), 1..6);
    let config = Config {
        cases: 2000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let seed_nics = nics(SEED_NICS);
    let result = runner.run(&edits, |edits| {
        let mut bytes = base.clone().into_bytes();
        for (pos, byte, kind) in edits {
            let pos = pos.min(bytes.len().saturating_sub(1));
            match kind {
                0 => bytes[pos] = byte,
                1 => bytes.insert(pos, byte),
                _ => {
                    bytes.remove(pos);
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        match Settings::from_json(&text) {
            Ok(s) => {
                for name in Profile::NAMES {
                    if let Ok(p) = plan(&s, &seed_nics, &Profile::by_name(name).unwrap()) {
                        let _ = dualhome_agent::apply(&p.ops);
                    }
                }
            }
            Err(e) => prop_assert!(!e.field().is_empty()),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
