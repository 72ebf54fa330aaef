//! The JSON report: `serde_json` pretty-printed with a trailing newline; the schema is documented in
//! `docs/reports.md`. Reading checks the schema version first, then every field (with the JSON path of the first
//! misfit), then the report's invariants ([`RunReport::check`]).

use std::path::Path;

use serde::Deserialize;

use crate::error::ReportError;
use crate::run::{RunReport, SCHEMA_VERSION};

/// Renders `report` as pretty JSON ending in a newline, after checking it.
pub fn to_json(report: &RunReport) -> Result<String, ReportError> {
    report.check()?;
    let mut text = serde_json::to_string_pretty(report).map_err(ReportError::JsonWrite)?;
    text.push('\n');
    Ok(text)
}

/// Only the version, read before the rest so that a newer report fails with "unsupported version" rather than with
/// whichever new field it happens to contain first.
#[derive(Deserialize)]
struct VersionProbe {
    schema_version: Option<u32>,
}

/// Parses a JSON report; `origin` names the input in error messages (the file path, or `-` for standard input).
pub fn from_json(text: &str, origin: &Path) -> Result<RunReport, ReportError> {
    let json_error = |at: String, err: serde_json::Error| ReportError::JsonRead {
        path: origin.to_path_buf(),
        at,
        message: err.to_string(),
    };
    let probe: VersionProbe = serde_json::from_str(text).map_err(|err| json_error(String::from("."), err))?;
    if let Some(found) = probe.schema_version.filter(|v| *v != SCHEMA_VERSION) {
        return Err(ReportError::SchemaVersion {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let report: RunReport = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let at = err.path().to_string();
        json_error(at, err.into_inner())
    })?;
    deserializer.end().map_err(|err| json_error(String::from("."), err))?;
    report.check()?;
    Ok(report)
}

/// Reads and parses the JSON report at `path`.
pub fn read_json(path: &Path) -> Result<RunReport, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|err| ReportError::io(path, err))?;
    from_json(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::ToolInfo;

    fn empty() -> RunReport {
        let tool = ToolInfo {
            name: "dualhome".into(),
            version: "0.1.0".into(),
        };
        RunReport::new(tool, vec!["run".into()], None, vec![]).unwrap()
    }

    #[test]
    fn writes_pretty_json_with_a_trailing_newline_in_field_order() {
        let text = to_json(&empty()).unwrap();
        assert!(text.ends_with("}\n"));
        let keys: Vec<usize> = ["schema_version", "tool", "args", "shard", "totals", "scenarios"]
            .iter()
            .map(|k| text.find(&format!("\"{k}\"")).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(from_json(&text, Path::new("r.json")).unwrap(), empty());
    }

    #[test]
    fn names_the_json_path_of_a_misfit() {
        let text = to_json(&empty()).unwrap().replace("\"0.1.0\"", "7");
        let err = from_json(&text, Path::new("r.json")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("r.json: invalid report at `tool.version`: invalid type"),
            "{message}"
        );
    }

    #[test]
    fn rejects_unknown_fields_other_versions_and_trailing_text() {
        let text = to_json(&empty()).unwrap();
        let extra = text.replacen("\"args\"", "\"colour\": 1,\n  \"args\"", 1);
        let err = from_json(&extra, Path::new("r.json")).unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");

        let newer = text.replace("\"schema_version\": 1", "\"schema_version\": 9");
        let err = from_json(&newer, Path::new("r.json")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "report schema version 9 is not supported (this build reads version 1)"
        );

        let trailing = format!("{text}{{}}");
        assert!(from_json(&trailing, Path::new("r.json")).is_err());
        assert!(from_json("not json", Path::new("r.json")).is_err());
    }

    #[test]
    fn read_json_names_a_missing_file() {
        let err = read_json(Path::new("/nonexistent/dualhome.json")).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/dualhome.json: "), "{err}");
    }
}
