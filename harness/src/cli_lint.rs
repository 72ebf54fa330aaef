//! `dualhome lint --cloud-config F --manifest F [--profile P] [--era E] [--director-ip IP] [--format F]`: the
//! configuration analyzers on real BOSH files, without a scenario (docs/findings.md). `--format sarif` lets code
//! scanning show the findings on the manifest and cloud-config lines.
//!
//! Exit codes: 0 no finding of severity error; 1 at least one; 2 the files cannot be read or parsed.

use clap::{Args, ValueEnum};
use dualhome::findings::config::{ipam_findings, service_findings, BoshTexts};
use dualhome::findings::profile::profile_findings;
use dualhome::findings::{about_source, normalize, DEPLOY_FAILED};
use dualhome::findings::{CodeInfo, CATALOG};
use dualhome_ipam::{Addr, Era};
use dualhome_reports::{Finding, Severity, SourceLocation};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::path::PathBuf;

/// Output format of `dualhome lint`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LintFormat {
    /// `file:line:column: CODE: message` (or `node: CODE: message`), one per line.
    Text,
    /// The findings as a JSON array (the report schema's finding objects).
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Which director generation to lint for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LintEra {
    /// The 2018 director (abbreviated IPv6 and large reserved ranges are findings).
    #[value(name = "2018")]
    Y2018,
    /// Today's director.
    Current,
}

/// Lint BOSH files.
#[derive(Args)]
pub struct LintCommand {
    /// The cloud config.
    #[arg(long)]
    pub cloud_config: PathBuf,
    /// The deployment manifest.
    #[arg(long)]
    pub manifest: PathBuf,
    /// Boot each instance on paper with this agent profile (trusty-2018, jammy, noble-poc, hardened) and report its
    /// exposures.
    #[arg(long)]
    pub profile: Option<String>,
    /// Director generation.
    #[arg(long, value_enum, default_value = "2018")]
    pub era: LintEra,
    /// The director's address (checked for a route from each instance; restricted in subnets by the IPAM).
    #[arg(long)]
    pub director_ip: Option<IpAddr>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: LintFormat,
}

fn read(p: &PathBuf) -> Result<String, u8> {
    std::fs::read_to_string(p).map_err(|e| {
        eprintln!("dualhome lint: cannot read {}: {e}", p.display());
        2
    })
}

/// The findings of the command's inputs.
fn findings(cmd: &LintCommand, cc: &str, manifest: &str) -> Result<Vec<Finding>, u8> {
    let cc_file = cmd.cloud_config.display().to_string();
    let m_file = cmd.manifest.display().to_string();
    let texts = BoshTexts {
        cloud_config_file: &cc_file,
        cloud_config: cc,
        manifest_file: &m_file,
        manifest,
    };
    let era = match cmd.era {
        LintEra::Y2018 => Era::Y2018,
        LintEra::Current => Era::Current,
    };
    let director: Vec<Addr> = cmd.director_ip.map(Addr::from).into_iter().collect();
    let mut out = ipam_findings(&texts, era, &director);
    let parsed = dualhome_ipam::parse_cloud_config(&cc_file, cc)
        .and_then(|c| dualhome_ipam::parse_manifest(&m_file, manifest).map(|m| (c, m)));
    let (c, m) = match parsed {
        Ok(x) => x,
        Err(e) => {
            eprintln!("dualhome lint: {e}");
            return Err(2);
        }
    };
    let input = dualhome_ipam::PlanInput {
        cloud_config: &c,
        manifest: &m,
        director_ips: &director,
        state: None,
    };
    match dualhome_ipam::plan(&input) {
        Ok(p) => {
            let settings = p.settings(era);
            out.extend(service_findings(&texts, &settings));
            if let Some(name) = &cmd.profile {
                let profile = dualhome_agent::Profile::by_name(name).map_err(|e| {
                    eprintln!("dualhome lint: {e}");
                    2
                })?;
                out.extend(profile_findings(&settings, &profile, cmd.director_ip));
            }
        }
        Err(e) => {
            let source = (e.at.line > 0).then(|| SourceLocation {
                file: e.at.file.to_string(),
                line: u32::try_from(e.at.line).unwrap_or(u32::MAX),
                column: u32::try_from(e.at.column).unwrap_or(u32::MAX),
            });
            out.push(about_source(DEPLOY_FAILED, source, e.to_string()));
        }
    }
    normalize(&mut out);
    Ok(out)
}

/// Runs the command and returns the exit code.
pub fn run(cmd: LintCommand) -> u8 {
    let (cc, manifest) = match (read(&cmd.cloud_config), read(&cmd.manifest)) {
        (Ok(c), Ok(m)) => (c, m),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let found = match findings(&cmd, &cc, &manifest) {
        Ok(f) => f,
        Err(code) => return code,
    };
    match cmd.format {
        LintFormat::Text => {
            for f in &found {
                println!("{}: {}: {}", f.location, f.code, f.message);
            }
        }
        LintFormat::Json => {
            let text = serde_json::to_string_pretty(&found).unwrap_or_else(|_| "[]".into());
            println!("{text}");
        }
        LintFormat::Sarif => print!("{}", to_sarif(&found, env!("CARGO_PKG_VERSION"))),
    }
    u8::from(found.iter().any(|f| f.severity == Severity::Error))
}

// SARIF 2.1.0 (OASIS SARIF v2.1.0 §3.13 sarifLog, §3.27 result, §3.28 location, §3.30 region): code scanning
// shows the findings on the manifest and cloud-config lines.

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(c: &CodeInfo) -> Value {
    json!({
        "id": c.code,
        "shortDescription": {"text": c.title},
        "helpUri": format!("docs/findings.md#{}", c.code.to_lowercase()),
        "defaultConfiguration": {"level": level(c.severity)},
    })
}

fn result(f: &Finding) -> Value {
    let mut r = json!({
        "ruleId": f.code,
        "level": level(f.severity),
        "message": {"text": f.message},
    });
    if let Some(src) = &f.location.source {
        r["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": src.file},
                "region": {"startLine": src.line.max(1), "startColumn": src.column.max(1)},
            }
        }]);
    }
    if let Some(node) = &f.location.node {
        let name = match &f.location.interface {
            Some(i) => format!("{node} {i}"),
            None => node.clone(),
        };
        r["locations"] = json!([{"logicalLocations": [{"name": name, "kind": "resource"}]}]);
    }
    r
}

/// The findings as a SARIF log (pretty JSON with a trailing newline); the catalogue's codes are the rules.
fn to_sarif(findings: &[Finding], tool_version: &str) -> String {
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dualhome",
                "version": tool_version,
                "informationUri": "https://github.com/dualhome/dualhome",
                "rules": CATALOG.iter().map(rule).collect::<Vec<_>>(),
            }},
            "results": findings.iter().map(result).collect::<Vec<_>>(),
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_point_at_file_lines_and_rules_cover_the_catalogue() -> Result<(), serde_json::Error> {
        let f = about_source(
            dualhome_ipam::lint::ABBREVIATED_IPV6,
            Some(SourceLocation {
                file: "cloud-config.yml".into(),
                line: 7,
                column: 14,
            }),
            "abbreviated".into(),
        );
        let v: Value = serde_json::from_str(&to_sarif(&[f], "0.1.0"))?;
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().map(Vec::len),
            Some(CATALOG.len())
        );
        let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(7), Some(14))
        );
        assert_eq!(run["results"][0]["level"], "error");
        Ok(())
    }
}
