//! Reading a scenario: text → YAML/shape errors (serde-saphyr, located) → model → semantic validation.

use super::error::{ScenarioError, SourceFile};
use super::located::Pos;
use super::model::Scenario;
use super::validate::{validate, BoshInputCheck};
use std::path::Path;

/// Options for loading: external checks to run besides the built-in rules.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// A deeper check of the BOSH inputs (the IPAM crate's planner), run after the built-in rules.
    pub bosh_check: Option<&'a dyn BoshInputCheck>,
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
    let problems = validate(&scenario, &source, options.bosh_check);
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
