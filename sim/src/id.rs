//! Typed ids for the arenas the simulator keeps: nodes, segments, switch ports and interfaces.

use std::fmt;

macro_rules! arena_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The arena index this id stands for.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

arena_id!(
    /// A node (host, router, attacker) in the simulation's node arena.
    NodeId
);
arena_id!(
    /// An Ethernet segment (a learning switch).
    SegmentId
);
arena_id!(
    /// A port of one segment's switch.
    PortId
);

/// A node's interface index, as Linux numbers them: `lo` is 1, `eth0` is 2, and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfIndex(pub u32);

impl IfIndex {
    /// The loopback interface.
    pub const LOOPBACK: IfIndex = IfIndex(1);
}

impl fmt::Display for IfIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
