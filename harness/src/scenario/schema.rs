//! The JSON Schema of scenario files, generated from the model with schemars (what `dualhome schema` prints).
//!
//! Editors (VS Code's YAML extension, IntelliJ) use it for completion and on-the-fly checking; the doc-drift test
//! compares its definitions with docs/scenarios.md.

use super::model::Scenario;
use schemars::{generate::SchemaSettings, Schema};

/// The `$id` of the schema.
pub const SCHEMA_ID: &str = "https://dualhome.dev/schema/scenario.json";

/// The schema of a scenario file (draft 2020-12).
pub fn scenario_schema() -> Schema {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Scenario>();
    schema.insert("$id".to_owned(), SCHEMA_ID.into());
    schema.insert("title".to_owned(), "dualhome scenario".into());
    schema
}

/// The schema as pretty-printed JSON with a trailing newline.
pub fn scenario_schema_json() -> String {
    let mut text =
        serde_json::to_string_pretty(&scenario_schema()).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
