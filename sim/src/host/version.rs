//! Change stamps for the control-plane tables, so per-packet caches (the host's route cache, its NIC multicast
//! filter) can tell in one comparison whether anything they depend on changed.
//!
//! Every `&mut` method of a table takes a [`Version::fresh`] stamp. Stamps come from one process-wide counter, so
//! two tables that were never clones of each other never share a stamp: a cache keyed by stamps cannot mistake a
//! replaced table for the one it saw. A clone keeps its original's stamp, which is right: same stamp, same content.

use std::sync::atomic::{AtomicU64, Ordering};

/// The process-wide source of stamps. Only equality of stamps is ever used, never their values, so the order in
/// which threads draw them cannot reach any output.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A table's change stamp: equal stamps mean equal contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version(u64);

impl Version {
    /// A stamp no table has had before.
    pub fn fresh() -> Version {
        Version(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for Version {
    /// A new table gets a new stamp (two empty tables may differ later, and a cache must not confuse them).
    fn default() -> Self {
        Version::fresh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_stamps_differ_and_copies_are_equal() {
        let a = Version::fresh();
        let b = Version::fresh();
        assert_ne!(a, b);
        let c = a;
        assert_eq!(a, c);
        assert_ne!(Version::default(), Version::default());
    }
}
