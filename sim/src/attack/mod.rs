//! Attacker nodes for the IPv6 first-hop attacks reviewers run with THC-IPv6 (linux-ipv6.md G10): `rogue-ra`,
//! `kill-router`, `ra-flood`, `redirect`, `na-spoof`, `dad-dos`, each with the RA-Guard evasion variants of
//! RFC 7113 §2, and `mitm: forward` to relay captured traffic and record the flows that crossed the attacker.
//!
//! - [`evasion`]: extension-header and fragment wrappings;
//! - [`packets`]: the tools' packets, built with the wire builders;
//! - [`malformed`]: RAs broken in one RFC 4861 §6.1.2 / RFC 6980 check, for the RA validity tests;
//! - [`action`]: what a timed attack sends, from which NIC;
//! - [`react`]: `dad-dos` and parasite6's NS answering, against a segment or one victim;
//! - [`mitm`]: the relay (also between the attacker's segments) and its flow record;
//! - [`node`]: the [`Attacker`] node, one or more NICs, with timed and reactive attacks.

pub mod action;
pub mod evasion;
pub mod malformed;
pub mod mitm;
pub mod node;
pub mod packets;
pub mod react;

pub use action::{Action, Attack};
pub use evasion::Evasion;
pub use mitm::{Mitm, Relayed, RelayedFlow};
pub use node::{AttackStats, Attacker, Nic};
pub use packets::{Delivery, RogueRa, Spoof, SpoofedRedirect};
pub use react::{DadDos, NsSpoof, Victim};

use crate::engine::Sim;
use crate::id::{IfIndex, NodeId, SegmentId};
use crate::node::Ctx;
use crate::segment::PortConfig;
use crate::wire::MacAddr;

impl Sim {
    /// Adds an attacker with `mac` plugged into `segment` through a port with `port` settings.
    pub fn add_attacker(&mut self, name: &str, mac: MacAddr, segment: SegmentId, port: PortConfig) -> NodeId {
        let id = self.add_node(Box::new(Attacker::new(name, mac)));
        self.connect(id, Attacker::IFINDEX, segment, port);
        id
    }

    /// Gives attacker `node` another NIC with `mac`, plugged into `segment`; its interface index, or `None` if
    /// the node is not an [`Attacker`] or the segment does not exist.
    pub fn add_attacker_nic(
        &mut self,
        node: NodeId,
        mac: MacAddr,
        segment: SegmentId,
        port: PortConfig,
    ) -> Option<IfIndex> {
        let ifindex = self.with_attacker(node, |a, _| a.add_nic(mac))?;
        self.connect(node, ifindex, segment, port).map(|_| ifindex)
    }

    /// Runs `f` on attacker `node` now (then sends what it queued and reschedules its timer); `None` if the
    /// node is not an [`Attacker`].
    pub fn with_attacker<R>(&mut self, node: NodeId, f: impl FnOnce(&mut Attacker, &mut Ctx<'_>) -> R) -> Option<R> {
        self.with_node(node, |n, ctx| {
            n.as_any_mut().downcast_mut::<Attacker>().map(|a| f(a, ctx))
        })
        .flatten()
    }

    /// Attacker `node`, read-only.
    pub fn attacker(&self, node: NodeId) -> Option<&Attacker> {
        self.node::<Attacker>(node)
    }
}
