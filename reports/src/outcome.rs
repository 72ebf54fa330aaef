//! What a scenario produced besides its status: expectation outcomes and findings, with their source locations.
//!
//! The harness defines the expectation kinds and the finding codes (`docs/scenarios.md`, `docs/findings.md`); this
//! model carries them as text so that a new kind or code needs no change here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A position in an input file (a scenario YAML, a BOSH manifest): 1-based line and column, as editors count.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceLocation {
    /// The file, as the user named it (relative paths stay relative, separators are `/`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    /// `file:line:column`, the form terminals and CI annotations turn into links.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The verdict on one expectation.
///
/// Serialised flattened into its [`ExpectationOutcome`] as `"result": "passed" | "failed" | "skipped"`, a skipped
/// one with `"reason"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Verdict {
    /// The observation matched the expectation.
    Passed,
    /// The observation did not match.
    Failed,
    /// The expectation was not evaluated.
    Skipped {
        /// Why (e.g. "kernel backend only", "scenario errored before t=2s").
        reason: String,
    },
}

impl Verdict {
    /// The lowercase name used in every output format.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Skipped { .. } => "skipped",
        }
    }
}

/// The outcome of one `expect` entry of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "crate::de::ExpectationWire")]
pub struct ExpectationOutcome {
    /// Stable identifier within the scenario: the entry's `id` if it has one, else its position (`expect[3]`).
    pub id: String,
    /// The expectation kind as written in the scenario (`reachable`, `route-get`, `finding-absent`, ...).
    pub kind: String,
    /// One line a person reads: "vm/0 reaches 2001:db8::1 by ping".
    pub description: String,
    /// Simulated time the expectation was evaluated at, in nanoseconds since the scenario started; `None` means at
    /// the end of the run.
    pub at_ns: Option<u64>,
    /// The verdict (flattened: `result`, and `reason` when skipped).
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the scenario expected, as text ("dev eth1 via fe80::1 src 2001:db8::10").
    pub expected: String,
    /// What the run observed, as text; `None` when nothing was observed (skipped).
    pub observed: Option<String>,
    /// Where the expectation is written.
    pub location: Option<SourceLocation>,
}

/// How serious a finding is. Ordered from most to least severe, which is the order reports list them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A defect that breaks connectivity or security (e.g. RA MITM exposure).
    Error,
    /// A risk or a configuration likely to break under other conditions.
    Warning,
    /// Worth knowing, not a defect.
    Info,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding applies: a place in an input file, a node and interface of the simulated network, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingLocation {
    /// The input line the finding is about (a manifest's `static:` range, a scenario's router).
    pub source: Option<SourceLocation>,
    /// The simulated node (`vm/0`, `router-v6`).
    pub node: Option<String>,
    /// The node's interface (`eth1`).
    pub interface: Option<String>,
}

impl fmt::Display for FindingLocation {
    /// `file:line:column` and/or `node` / `node interface`, joined by " at "; empty when nothing is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(source) = &self.source {
            write!(f, "{source}")?;
            wrote = true;
        }
        if let Some(node) = &self.node {
            if wrote {
                f.write_str(" at ")?;
            }
            f.write_str(node)?;
            if let Some(interface) = &self.interface {
                write!(f, " {interface}")?;
            }
        } else if let Some(interface) = &self.interface {
            if wrote {
                f.write_str(" at ")?;
            }
            write!(f, "interface {interface}")?;
        }
        Ok(())
    }
}

/// A problem an analyzer found in the configuration or the run (codes are documented in `docs/findings.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable code, never reused for another meaning (`DH-SLAAC-UNPLANNED`).
    pub code: String,
    /// How serious it is.
    pub severity: Severity,
    /// One line: "SLAAC address on an interface BOSH gave no IPv6".
    pub title: String,
    /// The explanation with the concrete values of this occurrence.
    pub message: String,
    /// Where it applies.
    pub location: FindingLocation,
    /// Lines of evidence, each self-contained (an `ip -6 addr` line, a captured RA summary).
    pub evidence: Vec<String>,
}

/// Formats a simulated duration in nanoseconds for people: `0 s`, `250 ns`, `1.5 µs`, `20 ms`, `2.125 s`.
///
/// Exact (integer arithmetic, trailing zeros dropped), so the same value always prints the same text.
pub fn format_ns(ns: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs")];
    if ns == 0 {
        return "0 s".to_owned();
    }
    for (scale, unit) in UNITS {
        if ns >= scale {
            let whole = ns / scale;
            let frac = ns % scale;
            if frac == 0 {
                return format!("{whole} {unit}");
            }
            let digits = scale.ilog10() as usize;
            let frac = format!("{frac:0digits$}");
            return format!("{whole}.{} {unit}", frac.trim_end_matches('0'));
        }
    }
    format!("{ns} ns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_ns_picks_the_largest_unit_and_keeps_exact_digits() {
        assert_eq!(format_ns(0), "0 s");
        assert_eq!(format_ns(250), "250 ns");
        assert_eq!(format_ns(1_500), "1.5 µs");
        assert_eq!(format_ns(20_000_000), "20 ms");
        assert_eq!(format_ns(2_125_000_000), "2.125 s");
        assert_eq!(format_ns(1_000_000_001), "1.000000001 s");
        assert_eq!(format_ns(u64::MAX), "18446744073.709551615 s");
    }

    #[test]
    fn severity_orders_most_severe_first_and_serialises_lowercase() {
        let mut all = vec![Severity::Info, Severity::Error, Severity::Warning];
        all.sort();
        assert_eq!(all, Severity::ALL);
        let json = serde_json::to_string(&Severity::ALL).unwrap();
        assert_eq!(json, r#"["error","warning","info"]"#);
    }

    #[test]
    fn verdict_flattens_into_the_outcome() {
        let outcome = ExpectationOutcome {
            id: "expect[0]".into(),
            kind: "reachable".into(),
            description: "vm/0 reaches director".into(),
            at_ns: Some(5),
            verdict: Verdict::Skipped {
                reason: "kernel only".into(),
            },
            expected: "reply".into(),
            observed: None,
            location: None,
        };
        let json = serde_json::to_string(&outcome).unwrap();
        assert!(json.contains(r#""result":"skipped","reason":"kernel only""#), "{json}");
        let back: ExpectationOutcome = serde_json::from_str(&json).unwrap();
        assert_eq!(back, outcome);
        let bad = json.replace("skipped", "maybe");
        assert!(serde_json::from_str::<ExpectationOutcome>(&bad).is_err());
    }

    #[test]
    fn finding_location_reads_as_file_then_node() {
        let source = SourceLocation {
            file: "m.yml".into(),
            line: 3,
            column: 7,
        };
        let both = FindingLocation {
            source: Some(source.clone()),
            node: Some("vm/0".into()),
            interface: Some("eth1".into()),
        };
        assert_eq!(both.to_string(), "m.yml:3:7 at vm/0 eth1");
        let only_file = FindingLocation {
            source: Some(source),
            ..FindingLocation::default()
        };
        assert_eq!(only_file.to_string(), "m.yml:3:7");
        assert_eq!(FindingLocation::default().to_string(), "");
        let only_iface = FindingLocation {
            interface: Some("eth0".into()),
            ..FindingLocation::default()
        };
        assert_eq!(only_iface.to_string(), "interface eth0");
    }
}
