//! The JSON Schema: it is generated, it agrees with the parser (every example validates against it, broken files do
//! not), and docs/scenarios.md documents exactly what it contains — so neither the schema nor the doc can drift.

use dualhome::scenario::expect::Expectation;
use dualhome::scenario::timeline::Action;
use dualhome::scenario::{load_str, render_plain, scenario_schema, scenario_schema_json, EntryKinds, Rule};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> Value {
    scenario_schema().to_value()
}

fn defs(schema: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

// ---------------------------------------------------------------------------------------------------------------
// A small JSON Schema checker covering what schemars emits here: $ref, type, properties, required,
// additionalProperties, items, oneOf, const. (Patterns are not checked: the parser checks those values.)

fn check(schema: &Value, root: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else { return };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        match defs(root).get(name) {
            Some(def) => check(def, root, value, path, errors),
            None => errors.push(format!("{path}: dangling $ref {r}")),
        }
    }
    if let Some(c) = obj.get("const") {
        if c != value {
            errors.push(format!("{path}: {value} is not {c}"));
        }
    }
    if let Some(t) = obj.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{path}: {value} is not of type {t}"));
            return;
        }
    }
    if let (Some(props), Some(map)) = (obj.get("properties").and_then(Value::as_object), value.as_object()) {
        for (k, v) in map {
            match props.get(k) {
                Some(s) => check(s, root, v, &format!("{path}.{k}"), errors),
                None if obj.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{path}: unknown property `{k}`"))
                }
                None => {}
            }
        }
        for req in obj
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(req) {
                errors.push(format!("{path}: missing `{req}`"));
            }
        }
    }
    if let (Some(items), Some(list)) = (obj.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check(items, root, v, &format!("{path}[{i}]"), errors);
        }
    }
    if let (Some(ap @ Value::Object(_)), Some(map)) = (obj.get("additionalProperties"), value.as_object()) {
        for (k, v) in map {
            check(ap, root, v, &format!("{path}.{k}"), errors);
        }
    }
    for (key, want_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = obj.get(key).and_then(Value::as_array) {
            let passing = alts
                .iter()
                .filter(|alt| {
                    let mut e = Vec::new();
                    check(alt, root, value, path, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (want_one && passing > 1) {
                errors.push(format!("{path}: {passing} alternatives of {key} match {value}"));
            }
        }
    }
}

fn schema_errors(yaml: &str) -> Vec<String> {
    let value: Value = match serde_saphyr::from_str(yaml) {
        Ok(v) => v,
        Err(e) => return vec![format!("not YAML: {e}")],
    };
    let root = schema();
    let mut errors = Vec::new();
    check(&root, &root, &value, "$", &mut errors);
    errors
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios/examples"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    files
}

#[test]
fn schema_is_generated_with_id_and_closed_objects() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["$id"], "https://dualhome.dev/schema/scenario.json");
    assert_eq!(s["required"], serde_json::json!(["name", "duration"]));
    for (name, def) in defs(&s)
        .iter()
        .chain([("Scenario".to_owned(), s.clone())].iter().map(|(k, v)| (k, v)))
    {
        if def.get("properties").is_some() {
            assert_eq!(
                def["additionalProperties"],
                Value::Bool(false),
                "{name} must reject unknown fields"
            );
        }
    }
    let json = scenario_schema_json();
    assert!(json.ends_with("}\n"));
    assert_eq!(serde_json::from_str::<Value>(&json).ok(), Some(s));
}

#[test]
fn every_example_satisfies_the_schema() {
    let files = examples();
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(schema_errors(&text), Vec::<String>::new(), "{}", path.display());
    }
}

#[test]
fn schema_rejects_what_the_parser_rejects() {
    let ok = "name: x\nduration: 10s\n";
    assert!(schema_errors(ok).is_empty());
    let bosh = "name: x\nduration: 10s\ntopology: {segments: [{name: lan}]}\nbosh:\n  director: {segment: lan, address: 10.0.0.6/24}\n  cloud_config: {networks: []}\n  manifest: {instance_groups: []}\n  networks: {}\n  profile: jammy\n  era: ERA\n";
    for era in ["2018", "\"2018\"", "current"] {
        let text = bosh.replace("ERA", era);
        assert_eq!(schema_errors(&text), Vec::<String>::new(), "era: {era}");
        assert!(load_str("x.yml", &text).is_ok(), "era: {era}");
    }
    let cases = [
        "name: x\nduration: 10s\nextra: 1\n",
        "name: x\n",
        "name: x\nduration: 10s\ntimeline:\n  - ping: {from: a, to: b}\n",
        "name: x\nduration: 10s\ntimeline:\n  - at: 1s\n    pingg: {from: a, to: b}\n",
        "name: x\nduration: 10s\nexpect:\n  - reachable: {probe: smoke, from: a, to: b}\n",
        "name: x\nduration: 10s\ntopology:\n  segments: [{name: s, ra_guard: strict}]\n",
    ];
    for text in cases {
        assert!(!schema_errors(text).is_empty(), "schema accepted:\n{text}");
        assert!(load_str("x.yml", text).is_err(), "parser accepted:\n{text}");
    }
}

#[test]
fn entry_kind_lists_match_the_schema() {
    let s = schema();
    for (def, kinds) in [("TimelineEntry", Action::KINDS), ("ExpectEntry", Expectation::KINDS)] {
        let keys: Vec<String> = s["$defs"][def]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|v| v["required"].as_array().cloned().unwrap_or_default())
            .filter_map(|k| k.as_str().map(str::to_owned))
            .filter(|k| k != "at")
            .collect();
        assert_eq!(keys, kinds, "{def}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// docs/scenarios.md

/// `### \`Name\`` sections and the first-column backticked entries of their tables.
fn doc_sections(doc: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in doc.lines() {
        if let Some(name) = line.strip_prefix("### `").and_then(|r| r.strip_suffix('`')) {
            out.push((name.to_owned(), BTreeSet::new()));
        } else if line.starts_with("## ") || line.starts_with("# ") {
            out.push((String::new(), BTreeSet::new()));
        } else if let (Some(cell), Some(last)) = (line.strip_prefix("| `"), out.last_mut()) {
            if let Some((name, _)) = cell.split_once("` |") {
                last.1.insert(name.to_owned());
            }
        }
    }
    out.retain(|(n, _)| !n.is_empty());
    out
}

/// What a definition's documentation table must list: property names, enum values, or entry kinds.
fn documented_names(def: &Value) -> Option<BTreeSet<String>> {
    if let Some(props) = def.get("properties").and_then(Value::as_object) {
        return Some(props.keys().cloned().collect());
    }
    let alts = def.get("oneOf").and_then(Value::as_array)?;
    let names: BTreeSet<String> = alts
        .iter()
        .flat_map(|a| {
            let consts = a.get("const").and_then(Value::as_str).map(str::to_owned);
            let keys = a
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>());
            consts.into_iter().chain(keys.into_iter().flatten())
        })
        .filter(|k| k != "at")
        .collect();
    (!names.is_empty()).then_some(names)
}

#[test]
fn docs_document_exactly_the_schema() {
    let doc = std::fs::read_to_string(repo().join("docs/scenarios.md")).unwrap_or_default();
    let sections = doc_sections(&doc);
    let documented: BTreeSet<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
    let s = schema();
    let mut all: Vec<(String, &Value)> = defs(&s).iter().map(|(k, v)| (k.clone(), v)).collect();
    all.push(("Scenario".to_owned(), &s));
    let mut problems = Vec::new();
    for (name, def) in &all {
        let Some((_, rows)) = sections.iter().find(|(n, _)| n == name) else {
            problems.push(format!(
                "`{name}` is in the schema but has no `### `{name}`` section in docs/scenarios.md"
            ));
            continue;
        };
        if let Some(want) = documented_names(def) {
            for missing in want.difference(rows) {
                problems.push(format!("`{name}.{missing}` is in the schema but not in its docs table"));
            }
            for extra in rows.difference(&want) {
                problems.push(format!("`{name}.{extra}` is documented but not in the schema"));
            }
        }
    }
    for name in documented {
        if !all.iter().any(|(n, _)| n == name) {
            problems.push(format!(
                "docs/scenarios.md documents `{name}`, which the schema does not define"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/scenarios.md drifted from the schema:\n{}",
        problems.join("\n")
    );
}

#[test]
fn docs_tables_are_well_formed() {
    let doc = std::fs::read_to_string(repo().join("docs/scenarios.md")).unwrap_or_default();
    let broken: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with("| ") && !l.trim_end().ends_with('|'))
        .collect();
    assert!(broken.is_empty(), "table rows split across lines: {broken:#?}");
    // Every row has as many cells as its table's header (a `|` inside a cell would split it).
    let mut header_cells = 0;
    for line in doc.lines() {
        if !line.starts_with('|') {
            header_cells = 0;
            continue;
        }
        let cells = line.matches('|').count();
        if header_cells == 0 {
            header_cells = cells;
        }
        assert_eq!(cells, header_cells, "row with a different number of cells: {line}");
    }
}

#[test]
fn docs_list_every_validation_rule() {
    let doc = std::fs::read_to_string(repo().join("docs/scenarios.md")).unwrap_or_default();
    let section = doc.split("## Validation rules").nth(1).unwrap_or_default();
    let section = section.split("\n# ").next().unwrap_or_default();
    let rows: BTreeSet<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `").and_then(|r| r.split_once('`')).map(|(c, _)| c))
        .collect();
    let codes: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(rows, codes);
}

#[test]
fn yaml_examples_in_the_docs_load() {
    let doc = std::fs::read_to_string(repo().join("docs/scenarios.md")).unwrap_or_default();
    let blocks: Vec<&str> = doc
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(!blocks.is_empty(), "docs/scenarios.md has no yaml example");
    for (i, block) in blocks.iter().enumerate() {
        if let Err(e) = load_str(&format!("docs-example-{i}.yml"), block) {
            panic!(
                "example {i} in docs/scenarios.md does not load:\n{}",
                render_plain(&e, 100)
            );
        }
        assert!(
            schema_errors(block).is_empty(),
            "example {i}: {:?}",
            schema_errors(block)
        );
    }
}
