//! The scenario root: metadata, kernel capability, topology, BOSH deployment, timeline and expectations.

use super::bosh::Bosh;
use super::expect::ExpectEntry;
use super::located::Located;
use super::timeline::TimelineEntry;
use super::topology::Topology;
use super::values::HumanDuration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
}
