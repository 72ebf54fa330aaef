//! Scenario files: the model, the loader and the semantic validator.
//!
//! A scenario is one YAML file (format reference: docs/scenarios.md; JSON Schema: `dualhome schema`). Loading is
//! two passes over one parse: serde-saphyr deserializes the text into [`Scenario`] (unknown fields rejected, scalar
//! values such as durations, MACs and CIDRs parsed and located), then [`validate()`] checks what the shape cannot
//! express — references, duplicates, prefixes, times, files — and reports *every* problem with the rule it breaks.
//! Errors ([`ScenarioError`]) render with miette: file, line, column and a caret under the offending value.
//!
//! ```
//! let text = "name: tiny\nduration: 10s\ntopology:\n  segments: [{name: lan}]\n";
//! let scenario = dualhome::scenario::load_str("tiny.yml", text)?;
//! assert_eq!(scenario.duration.value.to_string(), "10s");
//! # Ok::<(), dualhome::scenario::ScenarioError>(())
//! ```

pub mod bosh;
pub mod error;
pub mod expect;
pub mod listen;
pub mod loader;
pub mod located;
pub mod model;
pub mod ra;
pub mod radvd;
pub mod reference;
pub mod schema;
mod timed;
pub mod timeline;
pub mod topology;
pub mod validate;
pub mod values;

pub use bosh::{BoshInput, BoshTextError};
pub use error::{render_plain, Problem, Rule, ScenarioError, SourceFile, SyntaxError};
pub use loader::{load_scenario, load_scenario_with, load_str, load_text, parse, LoadOptions};
pub use located::{Located, Pos};
pub use model::{Kernel, Scenario};
pub use radvd::{parse_radvd_conf, router_ra_configs, RadvdError, RouterRaError};
pub use reference::{AddrRef, AddrSelect, NodeName};
pub use schema::{scenario_schema, scenario_schema_json};
pub use timed::EntryKinds;
pub use validate::{validate, BoshInputCheck, BoshInputProblem, BoshInputs};
