//! The `{at: <duration>, <kind>: {...}}` entries shared by `timeline:` and `expect:`.
//!
//! serde's `flatten` would express this shape, but it buffers the value and loses every source position inside it
//! (and `deny_unknown_fields` stops working), so entries are read with a small map visitor instead: `at` is read
//! directly, and the one other key is handed, with the live YAML map, to the kind enum's own derived
//! (externally tagged) `Deserialize`. Positions inside the payload survive, unknown fields in the payload are still
//! rejected, and the JSON Schema is the enum's schema with `at` added to every variant.

use super::located::{Located, Pos};
use super::values::HumanDuration;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// An enum of entry kinds (`ping`, `reachable`, …) whose variant names are known up front for error messages.
pub trait EntryKinds {
    /// The kebab-case keys, in declaration order.
    const KINDS: &'static [&'static str];
    /// What one entry is called in messages ("action", "expectation").
    const WHAT: &'static str;
}

/// The parts of one entry: its `at`, its payload, and where the payload's key was written.
pub(crate) struct TimedParts<A> {
    pub(crate) at: Option<Located<HumanDuration>>,
    pub(crate) item: A,
    pub(crate) pos: Pos,
}

/// Reads one `{at?, <kind>: payload}` mapping.
pub(crate) fn deserialize_timed<'de, D, A>(deserializer: D) -> Result<TimedParts<A>, D::Error>
where
    D: de::Deserializer<'de>,
    A: Deserialize<'de> + EntryKinds,
{
    deserializer.deserialize_map(TimedVisitor(PhantomData))
}

struct TimedVisitor<A>(PhantomData<A>);

impl<'de, A: Deserialize<'de> + EntryKinds> de::Visitor<'de> for TimedVisitor<A> {
    type Value = TimedParts<A>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a mapping with `at` and one {} ({})", A::WHAT, A::KINDS.join(", "))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<TimedParts<A>, M::Error> {
        let mut at: Option<Located<HumanDuration>> = None;
        let mut item: Option<(A, Pos, String)> = None;
        while let Some(key) = map.next_key::<Located<String>>()? {
            if key.value == "at" {
                if at.is_some() {
                    return Err(de::Error::duplicate_field("at"));
                }
                at = Some(map.next_value()?);
                continue;
            }
            if let Some((_, _, first)) = &item {
                let msg = format!(
                    "`{}` after `{first}`: an entry holds exactly one {}; start a new `- at:` entry",
                    key.value,
                    A::WHAT
                );
                return Err(map
                    .next_value_seed(Fail(msg))
                    .err()
                    .unwrap_or_else(|| de::Error::custom("")));
            }
            if !A::KINDS.contains(&key.value.as_str()) {
                let msg = format!(
                    "unknown {} `{}`, expected `at` or one of: {}",
                    A::WHAT,
                    key.value,
                    A::KINDS.join(", ")
                );
                return Err(map
                    .next_value_seed(Fail(msg))
                    .err()
                    .unwrap_or_else(|| de::Error::custom("")));
            }
            let name = key.value.clone();
            let one = OneEntry {
                key: Some(key.value),
                map: &mut map,
            };
            item = Some((A::deserialize(MapAccessDeserializer::new(one))?, key.pos, name));
        }
        match item {
            Some((item, pos, _)) => Ok(TimedParts { at, item, pos }),
            None => Err(de::Error::custom(format!(
                "missing the {}: one of {}",
                A::WHAT,
                A::KINDS.join(", ")
            ))),
        }
    }
}

/// A seed that fails with its message as soon as it is handed a value: serde-saphyr then locates the error at that
/// value, which is right next to the offending key (a plain `de::Error::custom` here would point at the entry start).
struct Fail(String);

impl<'de> DeserializeSeed<'de> for Fail {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, _deserializer: D) -> Result<(), D::Error> {
        Err(de::Error::custom(self.0))
    }
}

/// A map access that yields one already-read key, then the value from the live YAML map.
struct OneEntry<'a, M> {
    key: Option<String>,
    map: &'a mut M,
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for OneEntry<'_, M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, M::Error> {
        match self.key.take() {
            Some(k) => seed.deserialize(k.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, M::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Writes `at` (when present) followed by the payload's single `kind: {...}` entry, as one mapping.
pub(crate) fn serialize_timed<S: Serializer, A: Serialize>(
    serializer: S,
    at: Option<&HumanDuration>,
    item: &A,
) -> Result<S::Ok, S::Error> {
    let value = serde_json::to_value(item).map_err(serde::ser::Error::custom)?;
    let entries = match value {
        serde_json::Value::Object(map) => map,
        other => {
            return Err(serde::ser::Error::custom(format!(
                "entry kind serialized as {other}, not a mapping"
            )))
        }
    };
    let mut out = serializer.serialize_map(Some(entries.len() + usize::from(at.is_some())))?;
    if let Some(at) = at {
        out.serialize_entry("at", at)?;
    }
    for (k, v) in &entries {
        out.serialize_entry(k, v)?;
    }
    out.end()
}

/// The schema of an entry: `A`'s externally tagged schema with an `at` property added to every variant.
pub(crate) fn timed_schema<A: JsonSchema>(generator: &mut SchemaGenerator, at_required: bool) -> Schema {
    let mut schema = A::json_schema(generator);
    let at = generator.subschema_for::<HumanDuration>().to_value();
    if let Some(variants) = schema.get_mut("oneOf").and_then(|v| v.as_array_mut()) {
        for variant in variants.iter_mut() {
            if let Some(props) = variant.get_mut("properties").and_then(|p| p.as_object_mut()) {
                props.insert("at".to_owned(), at.clone());
            }
            if at_required {
                if let Some(required) = variant.get_mut("required").and_then(|r| r.as_array_mut()) {
                    required.insert(0, serde_json::Value::String("at".to_owned()));
                }
            }
        }
    }
    schema
}

/// The trait impls of an entry struct `{at, <field>: <kind enum>, pos}` (`TimelineEntry`, `ExpectEntry`):
/// equality ignoring `pos`, reading by [`deserialize_timed`], writing by [`serialize_timed`], and the schema of
/// [`timed_schema`], `at` required when `at_required`.
macro_rules! timed_entry {
    ($entry:ident, $field:ident, $kind:ty, at_required: $at_required:expr) => {
        /// Equality ignores where the entry was written, like [`Located`](crate::scenario::Located).
        impl PartialEq for $entry {
            fn eq(&self, other: &Self) -> bool {
                self.at == other.at && self.$field == other.$field
            }
        }

        impl<'de> serde::Deserialize<'de> for $entry {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let parts = $crate::scenario::timed::deserialize_timed::<D, $kind>(deserializer)?;
                Ok($entry {
                    at: parts.at,
                    $field: parts.item,
                    pos: parts.pos,
                })
            }
        }

        impl serde::Serialize for $entry {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::scenario::timed::serialize_timed(serializer, self.at.as_ref().map(|a| &a.value), &self.$field)
            }
        }

        impl schemars::JsonSchema for $entry {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($entry))
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::scenario::timed::timed_schema::<$kind>(generator, $at_required)
            }
        }
    };
}
pub(crate) use timed_entry;
