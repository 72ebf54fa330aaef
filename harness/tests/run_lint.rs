//! `dualhome lint` on BOSH files: IPAM codes located on the lines, era filtering, profile exposures, SARIF.

use std::path::Path;
use std::process::{Command, Output};

const CC: &str = "networks:
- name: default
  type: manual
  subnets:
  - range: 10.0.8.0/24
    gateway: 10.0.8.1
    static: [10.0.8.10]
- name: ipv6
  type: manual
  subnets:
  - range: 2601:646:100:69f1::/64
    gateway: 2601:646:100:69f1::1
    reserved: [2601:646:100:69f1::2 - 2601:646:100:69f1::ffff]
";

const MANIFEST: &str = "name: web
instance_groups:
- name: web
  instances: 1
  jobs:
  - name: nginx
    properties:
      nginx_conf: 'server { listen 80; }'
  networks:
  - name: default
    static_ips: [10.0.8.10]
  - name: ipv6
    default: [dns, gateway]
";

fn lint(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dualhome"))
        .arg("lint")
        .args(["--cloud-config", "cc.yml", "--manifest", "m.yml"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run dualhome: {e}"))
}

fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert!(std::fs::write(dir.path().join("cc.yml"), CC).is_ok());
    assert!(std::fs::write(dir.path().join("m.yml"), MANIFEST).is_ok());
    dir
}

#[test]
fn text_findings_are_located_and_errors_exit_1() {
    let dir = files();
    let out = lint(&[], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("cc.yml:11:12: IPAM-ABBREVIATED-IPV6"), "{text}");
    assert!(text.contains("cc.yml:13:16: IPAM-LARGE-RESERVED-RANGE"), "{text}");
    assert!(text.contains("web/0: service-family-mismatch"), "{text}");
    let current = lint(&["--era", "current"], dir.path());
    let text = String::from_utf8_lossy(&current.stdout);
    assert!(
        !text.contains("IPAM-ABBREVIATED-IPV6") && !text.contains("IPAM-LARGE-RESERVED-RANGE"),
        "{text}"
    );
}

#[test]
fn profiles_show_exposures_and_the_offlink_director() {
    let dir = files();
    let out = lint(
        &[
            "--era",
            "current",
            "--profile",
            "trusty-2018",
            "--director-ip",
            "10.0.9.151",
        ],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("web/0 eth1: ra-mitm-exposure"), "{text}");
    assert!(text.contains("web/0: single-default-route-offlink"), "{text}");
    let out = lint(&["--era", "current", "--profile", "hardened"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("ra-mitm-exposure") && !text.contains("redirects-accepted"),
        "{text}"
    );
    assert_eq!(lint(&["--profile", "windows-95"], dir.path()).status.code(), Some(2));
}

#[test]
fn sarif_places_results_on_lines() -> Result<(), serde_json::Error> {
    let dir = files();
    let out = lint(&["--format", "sarif"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    let abbreviated = results.iter().find(|r| r["ruleId"] == "IPAM-ABBREVIATED-IPV6");
    let region = abbreviated.map(|r| r["locations"][0]["physicalLocation"]["region"].clone());
    assert_eq!(
        region.map(|r| (r["startLine"].as_u64(), r["startColumn"].as_u64())),
        Some((Some(11), Some(12)))
    );
    let json = lint(&["--format", "json"], dir.path());
    let list: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert!(list.as_array().is_some_and(|a| a.len() == results.len()));
    Ok(())
}

#[test]
fn unreadable_or_refused_inputs() {
    let dir = files();
    let out = Command::new(env!("CARGO_BIN_EXE_dualhome"))
        .args(["lint", "--cloud-config", "nope.yml", "--manifest", "m.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let bad = CC.replace("gateway: 10.0.8.1", "gateway: 10.0.7.1");
    assert!(std::fs::write(dir.path().join("cc.yml"), bad).is_ok());
    let out = lint(&["--era", "current"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("IPAM-GATEWAY-OUTSIDE-RANGE") && text.contains("deploy-failed"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}
