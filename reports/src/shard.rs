//! A shard designation `K/N`: this run covers the K-th of N slices of the scenario corpus (`dualhome run --shard`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ReportError;

/// The K-th of N shards, 1-based, with 1 ≤ K ≤ N. Written and read as the text `K/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// The K-th (`index`, 1-based) of `count` shards; `None` unless 1 ≤ index ≤ count.
    pub fn new(index: u32, count: u32) -> Option<Self> {
        (index >= 1 && index <= count).then_some(Self { index, count })
    }

    /// The whole corpus as one shard (`1/1`): what an unsharded run is.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// K, 1-based.
    pub fn index(self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether the scenario at `position` (0-based, in the corpus sorted by file path) belongs to this shard.
    ///
    /// Round-robin over the sorted list, so every shard gets a similar mix and the union of all N shards is the corpus
    /// with no overlap.
    pub fn selects(self, position: usize) -> bool {
        // u32 → usize is lossless on every platform Rust supports with std.
        position % self.count as usize == (self.index - 1) as usize
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ReportError;

    /// Parses `K/N` (decimal, no spaces), as given to `--shard`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || ReportError::InvalidShard(text.to_owned());
        let (k, n) = text.split_once('/').ok_or_else(invalid)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(k) || !digits(n) {
            return Err(invalid());
        }
        let k = k.parse().map_err(|_| invalid())?;
        let n = n.parse().map_err(|_| invalid())?;
        Shard::new(k, n).ok_or_else(invalid)
    }
}

impl Serialize for Shard {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_k_of_n() {
        let shard: Shard = "2/4".parse().unwrap();
        assert_eq!((shard.index(), shard.count()), (2, 4));
        assert_eq!(shard.to_string(), "2/4");
        assert_eq!("1/1".parse::<Shard>().unwrap(), Shard::WHOLE);
    }

    #[test]
    fn rejects_anything_but_k_of_n_in_range() {
        for bad in [
            "",
            "2",
            "0/4",
            "5/4",
            "1/0",
            "-1/4",
            "+1/4",
            "1 /4",
            "1/4/5",
            "a/b",
            "99999999999/99999999999",
        ] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid shard `{bad}`: expected K/N with 1 <= K <= N (e.g. 2/4)")
            );
        }
    }

    #[test]
    fn shards_partition_the_corpus() {
        let count = 3;
        let shards: Vec<Shard> = (1..=count).map(|k| Shard::new(k, count).unwrap()).collect();
        for position in 0..10 {
            let owners = shards.iter().filter(|s| s.selects(position)).count();
            assert_eq!(owners, 1, "position {position}");
        }
        assert!((0..10).all(|p| Shard::WHOLE.selects(p)));
    }

    #[test]
    fn serde_uses_the_text_form() {
        let shard = Shard::new(3, 8).unwrap();
        assert_eq!(serde_json::to_string(&shard).unwrap(), r#""3/8""#);
        assert_eq!(serde_json::from_str::<Shard>(r#""3/8""#).unwrap(), shard);
        assert!(serde_json::from_str::<Shard>(r#""9/8""#).is_err());
    }
}
