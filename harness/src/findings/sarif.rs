//! SARIF 2.1.0 output of findings, so code scanning (GitHub, GitLab) shows them on the manifest and cloud-config
//! lines (OASIS SARIF v2.1.0 §3.13 sarifLog, §3.27 result, §3.28 location, §3.30 region).

use super::{CodeInfo, CATALOG};
use dualhome_reports::{Finding, Severity};
use serde_json::{json, Value};

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
pub fn to_sarif(findings: &[Finding], tool_version: &str) -> String {
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
    use dualhome_reports::SourceLocation;

    #[test]
    fn results_point_at_file_lines_and_rules_cover_the_catalogue() -> Result<(), serde_json::Error> {
        let f = super::super::about_source(
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
