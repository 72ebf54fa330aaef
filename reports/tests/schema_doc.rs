//! `docs/reports.md` documents exactly the fields the JSON report has: every key the writer emits has a row in the
//! right table, and every row names a key the writer emits.

mod common;

use std::collections::BTreeSet;

use dualhome_reports::json::to_json;
use serde_json::Value;

/// The doc sections holding field tables, and the JSON path prefix each table's names are relative to.
const SECTIONS: [(&str, &str); 5] = [
    ("Run", ""),
    ("Scenario (`scenarios[]`)", "scenarios[]."),
    (
        "Expectation (`scenarios[].expectations[]`)",
        "scenarios[].expectations[].",
    ),
    ("Finding (`scenarios[].findings[]`)", "scenarios[].findings[]."),
    ("Location", "@location."),
];

/// Every key path in `value`, arrays written `[]`; the fields of a source location are reported once as
/// `@location.FIELD`, since one table documents them wherever they appear.
fn key_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            let is_location = map.len() == 3 && ["file", "line", "column"].iter().all(|k| map.contains_key(*k));
            for (key, child) in map {
                let path = if is_location {
                    format!("@location.{key}")
                } else {
                    format!("{prefix}{key}")
                };
                out.insert(path.clone());
                key_paths(child, &format!("{path}."), out);
            }
        }
        Value::Array(items) => {
            let element = format!("{}[].", prefix.trim_end_matches('.'));
            for item in items {
                key_paths(item, &element, out);
            }
        }
        _ => {}
    }
}

/// The documented paths: each table row's first cell, prefixed by its section's path.
fn documented() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reports.md")).unwrap();
    let schema = &doc[doc.find("## JSON schema").unwrap()..];
    let schema = &schema[..schema.find("\n## JUnit").unwrap()];
    let mut paths = BTreeSet::new();
    for section in schema.split("\n### ").skip(1) {
        let title = section.lines().next().unwrap();
        let (_, prefix) = SECTIONS
            .iter()
            .find(|(name, _)| *name == title)
            .unwrap_or_else(|| panic!("unexpected section {title:?}"));
        for row in section.lines().filter(|l| l.starts_with("| `")) {
            let name = row[3..].split('`').next().unwrap();
            paths.insert(format!("{prefix}{name}"));
        }
    }
    paths
}

#[test]
fn every_json_field_is_documented_and_every_documented_field_exists() {
    let json: Value = serde_json::from_str(&to_json(&common::whole_run()).unwrap()).unwrap();
    let mut emitted = BTreeSet::new();
    key_paths(&json, "", &mut emitted);
    let documented = documented();
    let undocumented: Vec<&String> = emitted.difference(&documented).collect();
    let stale: Vec<&String> = documented.difference(&emitted).collect();
    assert!(
        undocumented.is_empty(),
        "fields missing from docs/reports.md: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/reports.md documents fields the report lacks: {stale:?}"
    );
}
