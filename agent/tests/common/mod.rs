//! Shared helpers for the behaviour tests: fixtures, NIC lists and a stable text report.

#![allow(dead_code)] // Each test crate uses a subset.

use dualhome_agent::{apply, parse_nics, plan, BootOp, BootPlan, HostConfig, Nic, Profile, Settings};
use std::fmt::Write as _;
use std::path::PathBuf;

/// NICs of the seed's VM: eth0 carries the IPv4 network (its MAC is the one in the seed's SLAAC
/// address 2601:646:100:69f0:250:56ff:fe8c:86a9), eth1 the IPv6 network.
pub const SEED_NICS: &str = "eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:69:f1";
/// NICs of the reference's appendix vectors (the agent tests' `ethstaticN`).
pub const APPENDIX_NICS: &str =
    "ethstatic1=02:00:00:00:00:01,ethstatic2=02:00:00:00:00:02,ethstatic3=02:00:00:00:00:03";

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Settings {
    let text = std::fs::read_to_string(fixture_path(name)).expect("fixture exists");
    Settings::from_json(&text).expect("fixture parses")
}

pub fn nics(spec: &str) -> Vec<Nic> {
    parse_nics(spec).expect("nic list parses")
}

pub fn boot(fixture_name: &str, nic_spec: &str, profile: &Profile) -> (BootPlan, HostConfig) {
    let p = plan(&fixture(fixture_name), &nics(nic_spec), profile).expect("plan succeeds");
    let h = apply(&p.ops);
    (p, h)
}

/// Ops (numbered), every file written (last contents), then the host summary.
pub fn report(p: &BootPlan, h: &HostConfig) -> String {
    let mut s = format!("profile: {}\n\n## ops\n", p.profile);
    for (i, op) in p.ops.iter().enumerate() {
        let _ = writeln!(s, "{i:>3} {op}");
    }
    s.push_str("\n## files\n");
    for (path, contents) in &h.files {
        let _ = write!(s, "--- {path}\n{contents}\n--- end\n");
    }
    let _ = write!(s, "\n## host\n{h}");
    s
}

/// The sysctl writes of a plan, `key=value`.
pub fn sysctl_writes(p: &BootPlan) -> Vec<String> {
    p.ops
        .iter()
        .filter_map(|o| match o {
            BootOp::SysctlWrite { key, value } => Some(format!("{key}={value}")),
            _ => None,
        })
        .collect()
}
