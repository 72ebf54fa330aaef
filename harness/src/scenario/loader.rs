//! Reading a scenario: text → YAML/shape errors (serde-saphyr, located) → model → semantic validation.

use super::error::{ScenarioError, SourceFile};
use super::located::Pos;
use super::model::Scenario;
use super::validate::{validate, BoshInputCheck};
use std::path::Path;

/// Options for loading: external knowledge the built-in rules do not have.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// A deeper check of the BOSH inputs (the IPAM crate's planner), run after the built-in rules.
    pub bosh_check: Option<&'a dyn BoshInputCheck>,
    /// The finding codes analyzers can emit; when given, `finding-present`/`finding-absent` must use one of them
    /// (rule `unknown-finding`).
    pub finding_codes: Option<&'a [&'a str]>,
}

/// Loads and validates the scenario file at `path`. Relative paths inside it resolve against its directory.
pub fn load_scenario(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
    load_scenario_with(path, &LoadOptions::default())
}

/// [`load_scenario`] with options.
pub fn load_scenario_with(path: impl AsRef<Path>, options: &LoadOptions<'_>) -> Result<Scenario, ScenarioError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: name.clone(),
        source,
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_text(&name, &text, Some(&base_dir), options)
}

/// Loads and validates scenario text. `name` is used in messages; relative paths resolve against the current
/// directory.
pub fn load_str(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    load_text(name, text, None, &LoadOptions::default())
}

/// The general form: text, its name, the directory relative paths resolve against, and options.
pub fn load_text(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
    options: &LoadOptions<'_>,
) -> Result<Scenario, ScenarioError> {
    let source = SourceFile::new(name, text);
    let mut scenario = parse(&source)?;
    scenario.base_dir = base_dir.map(Path::to_path_buf);
    let problems = validate(&scenario, &source, options);
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError::Invalid {
            file: name.to_owned(),
            problems,
        })
    }
}

/// Parses without semantic validation (for tools that want the model of a scenario with known problems).
pub fn parse(source: &SourceFile) -> Result<Scenario, ScenarioError> {
    serde_saphyr::from_str::<Scenario>(&source.text).map_err(|err| {
        let pos = err.location().map(|l| Pos::from_location(&l)).unwrap_or(Pos {
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        });
        let formatter = serde_saphyr::DefaultMessageFormatter;
        let message = serde_saphyr::MessageFormatter::format_message(&formatter, &err).into_owned();
        ScenarioError::syntax(source, pos, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_file_line_column_and_message_without_location_suffix() {
        let err = load_str("s.yml", "name: x\nduration: 10s\nseed: many\n");
        let Err(ScenarioError::Syntax(e)) = err else {
            panic!("expected a syntax error, got {err:?}")
        };
        assert_eq!((e.file.as_str(), e.line, e.column), ("s.yml", 3, 7));
        assert!(
            !e.message.contains("line 3"),
            "location is not repeated in the message: {}",
            e.message
        );
        assert_eq!(e.to_string(), format!("s.yml:3:7: {}", e.message));
    }

    #[test]
    fn empty_and_non_mapping_documents_are_syntax_errors() {
        for text in ["", "- a\n- b\n", "just a string\n"] {
            assert!(
                matches!(load_str("s.yml", text), Err(ScenarioError::Syntax(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn parse_skips_semantic_validation() {
        let text = "name: x\nduration: 10s\ntimeline:\n  - at: 1m\n    snapshot: {label: late}\n";
        assert!(matches!(load_str("s.yml", text), Err(ScenarioError::Invalid { .. })));
        let parsed = parse(&SourceFile::new("s.yml", text));
        assert!(parsed.is_ok_and(|s| s.timeline.len() == 1));
    }

    #[test]
    fn validation_problems_are_all_returned() {
        let text = "name: x\nduration: 10s\ntimeline:\n  - at: 1m\n    snapshot: {label: a}\n  - at: 2m\n    snapshot: {label: b}\n";
        let Err(err) = load_str("s.yml", text) else {
            panic!("accepted")
        };
        let lines: Vec<u32> = err.problems().iter().map(|p| p.pos.line).collect();
        assert_eq!(lines, [4, 6]);
        assert_eq!(err.to_string(), "s.yml: 2 problems in scenario");
    }

    #[test]
    fn load_scenario_sets_the_base_dir_and_reports_io_errors() {
        let dir = std::env::temp_dir().join(format!("dualhome-loader-test-{}", std::process::id()));
        let file = dir.join("s.yml");
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, "name: x\nduration: 1s\n"));
        assert!(written.is_ok());
        let loaded = load_scenario(&file);
        assert!(loaded.is_ok_and(|s| s.base_dir.as_deref() == Some(dir.as_path())));
        let missing = load_scenario(dir.join("missing.yml"));
        assert!(matches!(missing, Err(ScenarioError::Io { ref path, .. }) if path.ends_with("missing.yml")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
