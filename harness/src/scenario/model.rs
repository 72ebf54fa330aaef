//! The scenario root: metadata, kernel capability, topology, BOSH deployment, timeline and expectations.

use super::bosh::{Bosh, BoshInput, BoshTextError};
use super::expect::ExpectEntry;
use super::located::Located;
use super::timeline::TimelineEntry;
use super::topology::Topology;
use super::values::HumanDuration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short unique name (used for report file names and test names).
    pub name: Located<String>,
    /// What the scenario shows, and which seed section it reproduces.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Free-form tags for `--filter` (`seed`, `attack`, `ipv6-ready`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Seed of the scenario's RNG (MACs not given, loss, jitter); `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Simulated run time; every `at` must fall within it.
    pub duration: Located<HumanDuration>,
    /// Whether the scenario can also run on the kernel (network namespace) backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<Kernel>,
    /// The network.
    #[serde(default)]
    pub topology: Topology,
    /// The BOSH deployment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bosh: Option<Bosh>,
    /// Actions at times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
    /// What must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<ExpectEntry>,
    /// Directory of the scenario file; relative paths (`radvd_conf`, BOSH sources) resolve against it.
    #[serde(skip)]
    #[schemars(skip)]
    pub base_dir: Option<PathBuf>,
}

/// Kernel-backend capability and how to scale the scenario for real time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kernel {
    /// The scenario only uses behaviour a real Linux kernel in a network namespace reproduces.
    pub capable: bool,
    /// Multiply every time (`at`, `duration`, RA intervals) by this on the kernel backend (default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<Located<f64>>,
    /// Divide frame counts (floods) by this on the kernel backend (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_scale: Option<Located<u32>>,
    /// Why it is not capable, for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Run the real radvd(8) in each router's namespace on the router's `radvd_conf` instead of sending the
    /// simulator's RAs (routers with inline `ra:` blocks are refused; `time_scale` must stay 1).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub real_radvd: bool,
}

impl Scenario {
    /// A path written in the scenario, resolved against the scenario file's directory.
    pub fn resolve_path(&self, written: &str) -> PathBuf {
        match &self.base_dir {
            Some(dir) => dir.join(written),
            None => PathBuf::from(written),
        }
    }

    /// The YAML text of a BOSH input (`None` when the scenario has no `bosh:` section), for the IPAM and agent.
    pub fn bosh_text(&self, which: BoshInput) -> Option<Result<String, BoshTextError>> {
        let bosh = self.bosh.as_ref()?;
        let src = match which {
            BoshInput::CloudConfig => &bosh.cloud_config,
            BoshInput::Manifest => &bosh.manifest,
        };
        Some(src.value.text(self.base_dir.as_deref()))
    }

    /// The latest time the scenario mentions (`duration`, timeline and expectation `at`s) — what a runner needs
    /// to bound its event queue. Equals `duration` in a valid scenario.
    pub fn latest_time(&self) -> std::time::Duration {
        let ats = self
            .timeline
            .iter()
            .filter_map(|e| e.at.as_ref())
            .chain(self.expect.iter().filter_map(|e| e.at.as_ref()));
        ats.map(|a| a.value.0).fold(self.duration.value.0, std::cmp::max)
    }

    /// The scenario's directory, if it was loaded from a file.
    pub fn base_dir(&self) -> Option<&Path> {
        self.base_dir.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_text;
    use crate::scenario::LoadOptions;

    const TEXT: &str = "name: t\nduration: 1m\ntopology:\n  segments: [{name: lan}]\nbosh:\n  director: {segment: lan, address: 10.0.0.6/24}\n  cloud_config: cc.yml\n  manifest: {instance_groups: []}\n  networks: {}\n  profile: jammy\n  era: current\n";

    #[test]
    fn paths_resolve_against_the_scenario_directory() {
        let dir = std::env::temp_dir().join(format!("dualhome-model-test-{}", std::process::id()));
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("cc.yml"), "networks: []\n"));
        assert!(written.is_ok(), "{written:?}");
        let loaded = load_text("t.yml", TEXT, Some(&dir), &LoadOptions::default());
        let scenario = match loaded {
            Ok(s) => s,
            Err(e) => panic!("{}", crate::scenario::render_plain(&e, 100)),
        };
        assert_eq!(scenario.resolve_path("cc.yml"), dir.join("cc.yml"));
        let cc = scenario
            .bosh_text(BoshInput::CloudConfig)
            .map(|r| r.map_err(|e| e.to_string()));
        assert_eq!(cc, Some(Ok("networks: []\n".to_owned())));
        let manifest = scenario
            .bosh_text(BoshInput::Manifest)
            .map(|r| r.map_err(|e| e.to_string()));
        assert!(
            matches!(manifest, Some(Ok(ref t)) if t.contains("instance_groups")),
            "{manifest:?}"
        );
        assert_eq!(scenario.latest_time(), std::time::Duration::from_secs(60));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn without_bosh_there_is_no_bosh_text() {
        let loaded = load_text("t.yml", "name: t\nduration: 5s\n", None, &LoadOptions::default());
        assert!(loaded.is_ok_and(|s| s.bosh_text(BoshInput::Manifest).is_none() && s.base_dir().is_none()));
    }
}
