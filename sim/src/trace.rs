//! The packet trace: for each frame, where it went and why (switch port, route chosen, neighbour state, drop).
//!
//! Recording is off by default; when it is on, every record is a small `Copy`-free-of-heap value, so a traced run
//! stays close to an untraced one. `explain` and the tests read the records; nothing here formats on the hot path.

use crate::id::{IfIndex, NodeId, PortId, SegmentId};
use crate::time::Instant;
use std::net::IpAddr;

/// Who produced a trace record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A node (host, router, attacker).
    Node(NodeId),
    /// A segment's switch.
    Segment(SegmentId),
}

/// Why a frame or packet was dropped. The names follow the Linux counters or drop reasons they model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The switch's seeded loss on the ingress or egress link.
    LinkLoss,
    /// The port, link or interface is down.
    LinkDown,
    /// A frame without a complete Ethernet header.
    RuntFrame,
    /// A tagged frame on an untagged port, or a tag for another VLAN.
    VlanMismatch,
    /// Filtered by RA-Guard on a host port (RFC 6105).
    RaGuard,
    /// The destination MAC is neither ours nor a group we listen to.
    OtherHost,
    /// The packet failed validation (Linux: InHdrErrors, InCsumErrors, ...).
    Malformed,
    /// No route to the destination (Linux: InNoRoutes / ENETUNREACH).
    NoRoute,
    /// Hop limit or TTL ran out while forwarding.
    HopLimitExceeded,
    /// Neighbour resolution failed (Linux: address unreachable).
    NeighbourFailed,
    /// The neighbour queue overflowed while resolution was pending (unres_qlen).
    NeighbourQueueFull,
    /// IPv6 is disabled on the interface.
    Ipv6Disabled,
    /// Not addressed to us and forwarding is off.
    NotForwarding,
    /// A protocol rule rejected it (ND validation, a sysctl gate, a firewall rule).
    Policy,
    /// No socket or service wanted it.
    NoListener,
}

/// One step of a frame's or packet's life.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEvent {
    /// A node put frame `frame` on interface `ifindex`.
    FrameSent {
        /// Engine-assigned frame number, unique per run.
        frame: u64,
        /// The sending interface.
        ifindex: IfIndex,
        /// Bytes on the wire.
        len: usize,
    },
    /// A switch forwarded a frame from one port to `out` ports (1 for known unicast, more when flooding).
    Switched {
        /// The frame.
        frame: u64,
        /// The ingress port.
        in_port: PortId,
        /// How many ports it left on.
        out_ports: u32,
        /// True if the destination was unknown, multicast or broadcast.
        flooded: bool,
    },
    /// A frame reached a node's interface.
    FrameReceived {
        /// The frame.
        frame: u64,
        /// The receiving interface.
        ifindex: IfIndex,
    },
    /// A node chose a route for a packet it sends or forwards.
    Routed {
        /// Destination address.
        dst: IpAddr,
        /// Outgoing interface.
        dev: IfIndex,
        /// Next hop if not on-link.
        via: Option<IpAddr>,
        /// The routing table the route came from.
        table: u32,
        /// True when forwarding someone else's packet.
        forwarded: bool,
    },
    /// A node looked up the next hop's link-layer address before sending (`neigh_resolve_output`).
    Neighbour {
        /// The interface.
        dev: IfIndex,
        /// The next hop.
        next_hop: IpAddr,
        /// The entry's state after the lookup (`INCOMPLETE` means the packet waits for resolution).
        state: &'static str,
    },
    /// Something was dropped.
    Dropped {
        /// The frame number if it was a frame on a link; `None` for a packet inside a node.
        frame: Option<u64>,
        /// Why.
        reason: DropReason,
    },
}

/// A trace record: when, who, what.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRecord {
    /// Virtual time of the step.
    pub at: Instant,
    /// Who took the step.
    pub actor: Actor,
    /// The step.
    pub event: TraceEvent,
}

/// The run's trace. Disabled traces cost one branch per step.
#[derive(Debug, Default)]
pub struct Trace {
    enabled: bool,
    records: Vec<TraceRecord>,
}

impl Trace {
    /// A trace that records (`true`) or ignores (`false`) events.
    pub fn new(enabled: bool) -> Trace {
        Trace {
            enabled,
            records: Vec::new(),
        }
    }

    /// True if events are being recorded.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records a node's event.
    pub fn push(&mut self, at: Instant, node: NodeId, event: TraceEvent) {
        if self.enabled {
            self.records.push(TraceRecord {
                at,
                actor: Actor::Node(node),
                event,
            });
        }
    }

    /// Records a switch's event.
    pub fn push_segment(&mut self, at: Instant, segment: SegmentId, event: TraceEvent) {
        if self.enabled {
            self.records.push(TraceRecord {
                at,
                actor: Actor::Segment(segment),
                event,
            });
        }
    }

    /// Every record so far, in event order.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// The records about frame number `frame`, in order: its path across the network.
    pub fn frame_path(&self, frame: u64) -> impl Iterator<Item = &TraceRecord> {
        self.records.iter().filter(move |r| match r.event {
            TraceEvent::FrameSent { frame: f, .. }
            | TraceEvent::Switched { frame: f, .. }
            | TraceEvent::FrameReceived { frame: f, .. } => f == frame,
            TraceEvent::Dropped { frame: Some(f), .. } => f == frame,
            _ => false,
        })
    }
}
