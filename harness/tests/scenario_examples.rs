//! The example scenarios load, validate, and survive a round trip through serialization unchanged; specific values
//! land where the format reference says they do.

use dualhome::scenario::bosh::{BoshSource, Era, Profile};
use dualhome::scenario::expect::Expectation;
use dualhome::scenario::reference::{AddrRef, AddrSelect};
use dualhome::scenario::timeline::{Action, Evasion, Mitm};
use dualhome::scenario::topology::{BlockPolicy, FirewallKind, RaGuard};
use dualhome::scenario::{load_scenario, load_text, render_plain, LoadOptions, Scenario, ScenarioError};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples")
}

fn load(name: &str) -> Result<Scenario, String> {
    load_scenario(examples_dir().join(name)).map_err(|e| render_plain(&e, 100))
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    files
}

#[test]
fn every_example_loads_and_round_trips() -> Result<(), String> {
    let files = example_files();
    assert!(files.len() >= 3, "expected at least three examples, found {files:?}");
    for path in files {
        let scenario = load_scenario(&path).map_err(|e| render_plain(&e, 100))?;
        let text = serde_saphyr::to_string(&scenario).map_err(|e| format!("{}: serialize: {e}", path.display()))?;
        let again = load_text(
            "round-trip.yml",
            &text,
            scenario.base_dir.as_deref(),
            &LoadOptions::default(),
        )
        .map_err(|e| {
            format!(
                "{}: re-load failed:\n{}\n--- text ---\n{text}",
                path.display(),
                render_plain(&e, 100)
            )
        })?;
        assert_eq!(
            scenario,
            again,
            "{} changed in the round trip; serialized:\n{text}",
            path.display()
        );
        // A second serialization is byte-identical: the canonical form is a fixed point.
        let text2 = serde_saphyr::to_string(&again).map_err(|e| e.to_string())?;
        assert_eq!(text, text2, "{}", path.display());
    }
    Ok(())
}

#[test]
fn examples_also_load_from_json() -> Result<(), String> {
    // The model does not depend on serde-saphyr to deserialize: tools may hand it JSON (positions are then unknown).
    for path in example_files() {
        let scenario = load_scenario(&path).map_err(|e| render_plain(&e, 100))?;
        let json = serde_json::to_value(&scenario).map_err(|e| e.to_string())?;
        let mut back: Scenario = serde_json::from_value(json).map_err(|e| format!("{}: {e}", path.display()))?;
        back.base_dir = scenario.base_dir.clone();
        assert_eq!(scenario, back, "{}", path.display());
        assert!(!back.name.pos.is_known());
    }
    Ok(())
}

/// The key an entry serializes under (`ping`, `route-get`, …).
fn kind_of<T: serde::Serialize>(item: &T) -> Option<String> {
    serde_json::to_value(item).ok()?.as_object()?.keys().next().cloned()
}

#[test]
fn examples_cover_every_action_and_expectation_kind() -> Result<(), String> {
    use dualhome::scenario::EntryKinds;
    use std::collections::BTreeSet;
    let (mut actions, mut expectations) = (BTreeSet::new(), BTreeSet::new());
    for path in example_files() {
        let s = load_scenario(&path).map_err(|e| render_plain(&e, 100))?;
        for e in &s.timeline {
            assert_eq!(
                kind_of(&e.action).as_deref(),
                Some(e.action.kind()),
                "Action::kind agrees with serde"
            );
            actions.insert(e.action.kind().to_owned());
        }
        for e in &s.expect {
            let kind = e.expectation.kind();
            assert_eq!(
                kind_of(&e.expectation).as_deref(),
                Some(kind),
                "Expectation::kind agrees with serde"
            );
            expectations.insert(kind.to_owned());
        }
    }
    let want = |kinds: &[&str]| kinds.iter().map(|k| k.to_string()).collect::<BTreeSet<String>>();
    assert_eq!(actions, want(Action::KINDS), "so the round trip covers every action");
    assert_eq!(
        expectations,
        want(Expectation::KINDS),
        "so the round trip covers every expectation"
    );
    Ok(())
}

#[test]
fn seed_example_values() -> Result<(), String> {
    let s = load("seed-nginx.yml")?;
    assert_eq!(s.name.value, "seed-nginx");
    assert_eq!(s.duration.value.0, Duration::from_secs(120));
    assert_eq!(s.seed, 2018);
    let bosh = s.bosh.as_ref().ok_or("bosh section missing")?;
    assert_eq!(bosh.era, Era::Y2018);
    assert_eq!(bosh.profile, Profile::Trusty2018);
    assert_eq!(bosh.director.name.value, "director");
    assert!(matches!(bosh.manifest.value, BoshSource::Inline(_)));
    assert_eq!(bosh.networks.get("IPv6").map(|s| s.value.as_str()), Some("vlan-b"));
    let rtr = &s.topology.routers[0];
    let ra = rtr.interfaces[1].ra.as_ref().ok_or("ra missing on rtr eth1")?;
    assert_eq!(
        ra.value.max_interval.as_ref().map(|d| d.value.0),
        Some(Duration::from_secs(10))
    );
    assert_eq!(ra.value.prefixes[0].autonomous, Some(false));
    let Some(Expectation::Instances(rows)) = s.expect.first().map(|e| &e.expectation) else {
        return Err("first expectation should be `instances`".into());
    };
    // Compared as written: the expanded form the 2018 director prints.
    assert_eq!(rows[0].ips[1].value.text, "2601:0646:0100:69f1:0000:0000:0000:0165");
    assert_eq!(rows[0].ips[1].value.addr.to_string(), "2601:646:100:69f1::165");
    let reach = s.expect.iter().find_map(|e| match &e.expectation {
        Expectation::Reachable(r) => Some(r),
        _ => None,
    });
    let to = reach.map(|r| r.to.value.clone());
    assert!(matches!(to, Some(AddrRef::Node { ref iface, select: None, .. }) if iface.as_deref() == Some("eth1")));
    Ok(())
}

#[test]
fn file_based_example_resolves_paths_and_firewall() -> Result<(), String> {
    let s = load("ssh-reset.yml")?;
    let bosh = s.bosh.as_ref().ok_or("bosh missing")?;
    assert_eq!(
        bosh.cloud_config.value,
        BoshSource::Path("files/cloud-config.yml".into())
    );
    let fw = s.topology.routers[0].firewall.as_ref().ok_or("firewall missing")?;
    assert_eq!((fw.kind, fw.block), (FirewallKind::Pf, BlockPolicy::Return));
    assert!(
        !fw.rules[1].keep_state && fw.rules[0].keep_state,
        "keep_state defaults to true"
    );
    let ra = dualhome::scenario::router_ra_configs(&s, &s.topology.routers[0]).map_err(|e| e.to_string())?;
    assert_eq!(ra.len(), 1);
    assert_eq!(ra[0].0, "eth0");
    assert_eq!(ra[0].1.prefixes[0].prefix.value.to_string(), "2601:646:100:69f0::/64");
    let listen = &s.topology.hosts[0].services[0].listen[0].value;
    assert!(listen.accepts_ipv4() && listen.accepts_ipv6());
    let Some(Action::Ssh(ssh)) = s.timeline.get(2).map(|e| &e.action) else {
        return Err("third action should be ssh".into());
    };
    assert!(matches!(
        ssh.to.value,
        AddrRef::Node {
            select: Some(AddrSelect::Slaac),
            ..
        }
    ));
    Ok(())
}

#[test]
fn attack_example_values() -> Result<(), String> {
    let s = load("rogue-ra.yml")?;
    assert_eq!(s.topology.segments[0].ra_guard, RaGuard::Naive);
    let Some(Action::RogueRa(ra)) = s.timeline.get(1).map(|e| &e.action) else {
        return Err("second action should be rogue-ra".into());
    };
    assert_eq!((ra.evasion, ra.mitm, ra.count), (Evasion::Hbh, Mitm::Forward, Some(3)));
    assert_eq!(
        s.timeline[1].at.as_ref().map(|a| a.value.0),
        Some(Duration::from_secs(10))
    );
    assert!(s.kernel.as_ref().is_some_and(|k| !k.capable));
    Ok(())
}

#[test]
fn loading_from_another_directory_reports_missing_relative_files() {
    // The same text loaded without its directory cannot find `files/…`: the paths are relative to the file.
    let path = examples_dir().join("ssh-reset.yml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let err = load_text(
        "moved.yml",
        &text,
        Some(Path::new("/nonexistent")),
        &LoadOptions::default(),
    );
    let Err(ScenarioError::Invalid { problems, .. }) = err else {
        panic!("expected validation errors, got {err:?}");
    };
    let codes: Vec<&str> = problems.iter().map(|p| p.rule.code()).collect();
    assert_eq!(
        codes,
        ["file-not-found", "file-not-found", "file-not-found"],
        "{problems:?}"
    );
}
