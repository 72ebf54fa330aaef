//! `dualhome run --backend kernel` as a process: kernel-capable scenarios run on Linux alone and their
//! expectations are judged there (one that does not hold fails the run, exit 1); kinds only the simulator can
//! judge, scenarios that are not kernel-capable, and everything without CAP_NET_ADMIN are skipped with the
//! reason (exit 0), never passed.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A two-host LAN with expectations of every kind the kernel judges, one of them false, one simulator-only.
const JUDGED: &str = r#"name: k-cli-judged
duration: 3s
kernel: {capable: true}
topology:
  segments:
    - name: lan
  hosts:
    - name: a
      interfaces:
        - {name: eth0, segment: lan, mac: "02:00:00:00:0c:01", addresses: [2001:db8:5::1/64, 198.51.100.1/24]}
    - name: b
      interfaces:
        - {name: eth0, segment: lan, mac: "02:00:00:00:0c:02", addresses: [2001:db8:5::2/64, 198.51.100.2/24]}
expect:
  - address-present: {node: a, iface: eth0, address: "2001:db8:5::1", prefix_len: 64, flags: [permanent]}
  - address-present: {node: a, iface: eth0, address: "2001:db8:5::99"}
  - reachable: {probe: ping, from: a, to: 198.51.100.2}
  - unreachable: {probe: ping, from: a, to: 198.51.100.77, within: 2s}
  - route-get: {node: a, dst: "2001:db8:5::2", expect: {dev: eth0}}
  - finding-absent: {code: slaac-on-ipv4-interface}
  - count: {node: a, what: addresses, iface: eth0, count: 3}
"#;

const NOT_CAPABLE: &str = r#"name: k-cli-sim-only
duration: 1s
topology:
  segments:
    - name: lan
  hosts:
    - name: a
      interfaces:
        - {name: eth0, segment: lan, mac: "02:00:00:00:0c:01", addresses: [2001:db8:5::1/64]}
expect:
  - address-present: {node: a, iface: eth0, address: "2001:db8:5::1"}
"#;

fn repo_scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/kernel")
        .join(name)
}

/// Runs `dualhome run --backend kernel FILES` (after `prefix`, a wrapper command) in `dir`; returns its output,
/// the JSON report and the namespace prefix of its runs (`dh-r<pid>-`).
fn run(prefix: &[&str], files: &[&Path], dir: &Path) -> (Output, Value, String) {
    let bin = env!("CARGO_BIN_EXE_dualhome");
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(["run", "--backend", "kernel", "--format", "json", "--report-dir"])
        .arg(dir.join("out"))
        .args(files)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run dualhome: {e}"));
    // setpriv execs dualhome in place, so the pid is dualhome's either way.
    let ns_prefix = format!("dh-r{}-", child.id() % 100_000);
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("dualhome did not finish: {e}"));
    let text = std::fs::read_to_string(dir.join("out/report.json")).unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (out, json, ns_prefix)
}

fn scenario<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["scenarios"]
        .as_array()
        .and_then(|l| l.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no scenario {name} in {report}"))
}

fn results(s: &Value) -> Vec<String> {
    s["expectations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["id"].as_str().is_some_and(|i| i.starts_with("expect[")))
        .map(|e| e["result"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[test]
fn expectations_are_judged_on_linux_and_a_false_one_fails_the_run() {
    if let Err(e) = dualhome::kernel::check_privileges() {
        println!("skipped: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let judged = dir.path().join("judged.yml");
    assert!(std::fs::write(&judged, JUDGED).is_ok());
    let jammy = repo_scenario("bosh-jammy-ra-default.yml");
    let (out, report, ns_prefix) = run(&[], &[&judged, &jammy], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = scenario(&report, "k-cli-judged");
    assert_eq!(
        (j["backend"].as_str(), j["status"].as_str()),
        (Some("kernel"), Some("failed"))
    );
    assert_eq!(
        results(j),
        ["passed", "failed", "passed", "passed", "passed", "skipped", "passed"],
        "{j}"
    );
    let missing = &j["expectations"][1];
    assert!(
        missing["observed"]
            .as_str()
            .is_some_and(|o| o.contains("2001:db8:5::1/64")),
        "the kernel's addresses are shown: {missing}"
    );
    assert!(
        j["expectations"][5]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("simulator only")),
        "{j}"
    );
    // A BOSH VM booted by the jammy agent's ops in its namespace; its RA default and static addresses hold.
    let b = scenario(&report, "k-bosh-jammy-ra-default");
    assert_eq!(b["status"].as_str(), Some("passed"), "{b}");
    assert!(results(b).iter().all(|r| r == "passed"), "{b}");
    let left = dualhome::kernel::netns::list(&ns_prefix).unwrap_or_default();
    assert!(left.is_empty(), "namespaces left behind: {left:?}");
}

#[test]
fn a_scenario_that_is_not_kernel_capable_is_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("sim-only.yml");
    assert!(std::fs::write(&file, NOT_CAPABLE).is_ok());
    let (out, report, _) = run(&[], &[&file], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let s = scenario(&report, "k-cli-sim-only");
    assert_eq!(s["status"].as_str(), Some("skipped"), "{s}");
    assert_eq!(results(s), ["skipped"]);
    assert!(
        s["expectations"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not kernel-capable")),
        "{s}"
    );
}

#[test]
fn without_cap_net_admin_every_scenario_is_skipped_and_the_exit_code_is_0() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jammy = repo_scenario("bosh-jammy-ra-default.yml");
    // As root, drop CAP_NET_ADMIN from the bounding set so the child has it nowhere; otherwise run as we are.
    let prefix: &[&str] = if dualhome::kernel::check_privileges().is_ok() {
        &[
            "setpriv",
            "--bounding-set",
            "-net_admin",
            "--inh-caps",
            "-net_admin",
            "--",
        ]
    } else {
        &[]
    };
    let (out, report, _) = run(prefix, &[&jammy], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let s = scenario(&report, "k-bosh-jammy-ra-default");
    assert_eq!(s["status"].as_str(), Some("skipped"), "{s}");
    assert!(results(s).iter().all(|r| r == "skipped"), "{s}");
    assert!(
        s["expectations"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("CAP_NET_ADMIN")),
        "{s}"
    );
}
