//! Values that remember where they were written.
//!
//! Parsing only proves a scenario is well-formed YAML of the right shape; most of its mistakes are *semantic* (an
//! unknown segment, a time after `duration`). To point a caret at the offending value, every value a semantic rule
//! inspects is a [`Located<T>`]: the value plus its [`Pos`] in the scenario text, captured by serde-saphyr's
//! `Spanned<T>` during the single deserialization pass. Equality, ordering, serialization and JSON Schema ignore
//! the position, so a re-serialized scenario compares equal to the original.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// Where a value was written: 1-based line and column, and its character span in the source text.
///
/// Positions are kept as serde-saphyr reports them (character offsets); [`Pos::byte_range`] converts them to byte
/// offsets of a given text for rendering. `Pos::UNKNOWN` marks values built in code rather than parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pos {
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column (in characters); 0 when unknown.
    pub column: u32,
    /// Character offset of the value's first character.
    pub offset: u32,
    /// Length of the value in characters (0 for a block mapping or sequence start).
    pub len: u32,
}

impl Pos {
    /// The position of a value that was not parsed from a file.
    pub const UNKNOWN: Pos = Pos {
        line: 0,
        column: 0,
        offset: 0,
        len: 0,
    };

    /// True when the position came from a parse.
    pub fn is_known(&self) -> bool {
        self.line != 0
    }

    /// Builds a position from a serde-saphyr location (character based; byte offsets are not needed here).
    pub fn from_location(loc: &serde_saphyr::Location) -> Pos {
        if loc.line() == 0 {
            return Pos::UNKNOWN;
        }
        let span = loc.span();
        // `Span::UNKNOWN` stores u32::MAX sentinels; treat them as "no extent".
        let clamp = |v: u64| u32::try_from(v).ok().filter(|v| *v != u32::MAX);
        Pos {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            // An unknown offset stays u32::MAX: `byte_range` then derives it from line and column.
            offset: clamp(span.offset()).unwrap_or(u32::MAX),
            len: clamp(span.len()).unwrap_or(0),
        }
    }

    /// The byte range of this position within `text` (the text it was parsed from).
    ///
    /// A zero-length span is widened to the rest of the token (up to the end of the line, at most 1 char) so the
    /// caret has something to stand under. Returns `None` for an unknown position.
    pub fn byte_range(&self, text: &str) -> Option<(usize, usize)> {
        if !self.is_known() {
            return None;
        }
        let start = char_to_byte(text, self.offset as usize).or_else(|| line_col_to_byte(text, self))?;
        let end = char_to_byte(text, self.offset as usize + self.len as usize).unwrap_or(text.len());
        let len = end.saturating_sub(start);
        if len == 0 {
            let next = text[start..]
                .chars()
                .next()
                .filter(|c| *c != '\n')
                .map_or(0, char::len_utf8);
            return Some((start, next));
        }
        Some((start, len))
    }
}

fn char_to_byte(text: &str, char_offset: usize) -> Option<usize> {
    if char_offset == u32::MAX as usize {
        return None;
    }
    if char_offset == text.chars().count() {
        return Some(text.len());
    }
    text.char_indices().nth(char_offset).map(|(b, _)| b)
}

fn line_col_to_byte(text: &str, pos: &Pos) -> Option<usize> {
    let line_start = if pos.line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(pos.line as usize - 2)
            .map(|(i, _)| i + 1)?
    };
    let col = (pos.column as usize).saturating_sub(1);
    Some(
        text[line_start..]
            .char_indices()
            .nth(col)
            .map_or(text.len(), |(b, _)| line_start + b),
    )
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value and the [`Pos`] it was written at. Transparent for equality, serialization and schema.
#[derive(Clone, Debug, Default)]
pub struct Located<T> {
    /// The parsed value.
    pub value: T,
    /// Where it was written (`Pos::UNKNOWN` when built in code).
    pub pos: Pos,
}

impl<T> Located<T> {
    /// A value without a source position (built in code or in tests).
    pub fn new(value: T) -> Self {
        Located {
            value,
            pos: Pos::UNKNOWN,
        }
    }

    /// A value at a known position.
    pub fn at(value: T, pos: Pos) -> Self {
        Located { value, pos }
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Located<T> {}

impl<T: PartialOrd> PartialOrd for Located<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        Ok(Located {
            value: spanned.value,
            pos: Pos::from_location(&spanned.referenced),
        })
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        name: Located<String>,
        list: Vec<Located<u32>>,
    }

    #[test]
    fn located_values_carry_line_column_and_extent() -> Result<(), serde_saphyr::Error> {
        let text = "name: héllo\nlist:\n  - 42\n";
        let doc: Doc = serde_saphyr::from_str(text)?;
        assert_eq!((doc.name.pos.line, doc.name.pos.column), (1, 7));
        assert_eq!(doc.name.pos.byte_range(text), Some((6, 6)));
        assert_eq!(&text[6..12], "héllo");
        let item = &doc.list[0];
        assert_eq!((item.pos.line, item.pos.column), (3, 5));
        let (start, len) = item.pos.byte_range(text).unwrap_or((0, 0));
        assert_eq!(&text[start..start + len], "42");
        Ok(())
    }

    #[test]
    fn equality_ignores_position() {
        let a = Located::at(
            3u8,
            Pos {
                line: 1,
                column: 1,
                offset: 0,
                len: 1,
            },
        );
        assert_eq!(a, Located::new(3u8));
        assert_ne!(a, Located::new(4u8));
    }

    #[test]
    fn zero_length_span_is_widened_to_one_char() {
        let pos = Pos {
            line: 2,
            column: 3,
            offset: 6,
            len: 0,
        };
        assert_eq!(pos.byte_range("ab\n  cd\n"), Some((6, 1)));
        assert_eq!(Pos::UNKNOWN.byte_range("x"), None);
    }
}
