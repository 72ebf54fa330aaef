//! The contract between the engine and every simulated node (host, router, attacker).
//!
//! A node is a sans-I/O state machine: it is handed a frame or a timeout together with a [`Ctx`] that carries
//! `now`, the simulation's RNG and an output queue, and it says through [`Node::poll_timeout`] when it next needs
//! to run. The engine owns time, links and delivery; a node never sees another node.

use crate::frame::Frame;
use crate::id::{IfIndex, NodeId};
use crate::time::Instant;
use crate::trace::{Trace, TraceEvent};
use rand_chacha::ChaCha8Rng;
use std::any::Any;
use std::rc::Rc;

/// What a node may touch while it runs: the clock, the RNG, its outbox and the trace.
pub struct Ctx<'a> {
    /// The current virtual time.
    pub now: Instant,
    /// The node being run.
    pub node: NodeId,
    /// The simulation's single seeded RNG; draws happen in event order, so runs repeat exactly.
    pub rng: &'a mut ChaCha8Rng,
    pub(crate) outbox: &'a mut Vec<(IfIndex, Rc<Frame>)>,
    pub(crate) trace: &'a mut Trace,
    /// Set by [`Ctx::timers_unchanged`]: the engine may skip asking [`Node::poll_timeout`] after this callback.
    pub(crate) timers_unchanged: bool,
}

impl Ctx<'_> {
    /// Queues `frame` for transmission on the node's interface `ifindex` (sent when the callback returns).
    pub fn send(&mut self, ifindex: IfIndex, frame: Vec<u8>) {
        self.outbox.push((ifindex, Frame::new(frame)));
    }

    /// Queues an already shared frame (e.g. a relayed one) without copying it.
    pub fn send_shared(&mut self, ifindex: IfIndex, frame: Rc<Frame>) {
        self.outbox.push((ifindex, frame));
    }

    /// Records a trace event if tracing is on. The closure runs only then, so the hot path pays nothing otherwise.
    #[inline]
    pub fn trace(&mut self, event: impl FnOnce() -> TraceEvent) {
        if self.trace.enabled() {
            let e = event();
            self.trace.push(self.now, self.node, e);
        }
    }

    /// Tells the engine this callback changed none of the node's deadlines (a frame dropped on arrival), so it
    /// need not recompute [`Node::poll_timeout`]: on a segment of ten thousand hosts most multicast frames are
    /// dropped by most receivers, and recomputing every receiver's deadline dominated the flood cost.
    pub fn timers_unchanged(&mut self) {
        self.timers_unchanged = true;
    }

    /// True if a trace is being recorded (to skip work that only feeds the trace).
    pub fn tracing(&self) -> bool {
        self.trace.enabled()
    }
}

/// A simulated node.
pub trait Node: Any {
    /// A frame arrived on interface `ifindex`. The frame is shared with other receivers: never assume ownership.
    fn handle_frame(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &Rc<Frame>);

    /// The deadline reported by [`Node::poll_timeout`] has been reached (or passed).
    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>);

    /// The earliest time this node needs [`Node::handle_timeout`], if any.
    fn poll_timeout(&self) -> Option<Instant>;

    /// The carrier of interface `ifindex` changed (link up/down on the segment side).
    fn handle_link_change(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, up: bool) {
        let _ = (ctx, ifindex, up);
    }

    /// The node's name as scenarios and traces print it.
    fn name(&self) -> &str;

    /// Upcast for [`crate::engine::Sim::node`] downcasts.
    fn as_any(&self) -> &dyn Any;

    /// Upcast for [`crate::engine::Sim::node_mut`] downcasts.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}
