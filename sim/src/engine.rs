//! The discrete-event engine: virtual time, one ordered event queue, node and segment arenas.
//!
//! Events are ordered by (time, sequence number), so two events at the same instant run in the order they were
//! scheduled and every run of the same setup and seed is identical. Nodes are sans-I/O ([`crate::node::Node`]):
//! the engine hands them frames and timeouts and asks when they next need to run. A node's timer is a single
//! pending event at its earliest deadline; stale timer events are recognised and skipped, so timers never pile up.
//!
//! Switching (`engine/switching.rs`) happens when a frame is sent (learning and forwarding decision at the ingress
//! instant plus the ingress cable's delay); delivery is one event per receiving port at `sent + ingress delay +
//! egress delay`.

mod queue;
mod switching;

use crate::frame::Frame;
use crate::id::{IfIndex, NodeId, PortId, SegmentId};
use crate::node::{Ctx, Node};
use crate::pcap::{CaptureError, PcapngWriter};
use crate::segment::{PortConfig, Segment};
use crate::time::Instant;
use crate::trace::{Trace, TraceEvent};
use queue::EventQueue;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::rc::Rc;

/// A deferred call into a node (scenario actions: start a ping, write a sysctl, bring a link down).
pub type NodeCall = Box<dyn FnOnce(&mut dyn Node, &mut Ctx<'_>)>;

enum Event {
    Deliver {
        node: NodeId,
        ifindex: IfIndex,
        frame: Rc<Frame>,
        id: u64,
    },
    /// One flooded frame reaching every other port of a segment at the same instant (uniform, lossless
    /// ports): one event instead of one per port, delivered in port order — the order the per-port events
    /// would have run in.
    Flood {
        segment: SegmentId,
        in_port: PortId,
        frame: Rc<Frame>,
        tagged: Option<Rc<Frame>>,
        id: u64,
    },
    Timer {
        node: NodeId,
    },
    Carrier {
        segment: SegmentId,
        port: PortId,
        up: bool,
    },
    Call {
        node: NodeId,
        call: NodeCall,
    },
}

struct NodeSlot {
    node: Box<dyn Node>,
    /// Indexed by ifindex: the segment port the NIC is plugged into.
    ports: Vec<Option<(SegmentId, PortId)>>,
    /// Time of the pending timer event, `FAR_FUTURE` if none.
    timer_at: Instant,
    /// The node's [`Node::poll_timeout`] as of the last reschedule, valid while `deadline_fresh`: nothing can
    /// change a node between callbacks except [`Sim::node_mut`], which clears the flag. A timer event then
    /// decides whether it is due without asking the node again.
    deadline: Option<Instant>,
    deadline_fresh: bool,
}

/// A frame seen at a segment's switch, kept for pcapng (the bytes are shared, not copied).
#[derive(Debug, Clone)]
pub struct CapturedFrame {
    /// When it reached the switch.
    pub at: Instant,
    /// Engine frame number (matches the trace).
    pub id: u64,
    /// The frame as it crossed the switch (untagged).
    pub frame: Rc<Frame>,
}

/// Counters a benchmark or report prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events processed.
    pub events: u64,
    /// Frames put on a link by nodes.
    pub frames_sent: u64,
    /// Frames handed to a receiving NIC.
    pub frames_delivered: u64,
    /// Frames dropped by switches and links.
    pub frames_dropped: u64,
}

/// Simulation-wide settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the single RNG (ChaCha8).
    pub seed: u64,
    /// Record a packet trace.
    pub trace: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { seed: 1, trace: false }
    }
}

/// A simulation.
pub struct Sim {
    now: Instant,
    queue: EventQueue<Event>,
    rng: ChaCha8Rng,
    nodes: Vec<NodeSlot>,
    segments: Vec<Segment>,
    captures: Vec<Option<Vec<CapturedFrame>>>,
    trace: Trace,
    stats: Stats,
    next_frame: u64,
    outbox: Vec<(IfIndex, Rc<Frame>)>,
}

impl Sim {
    /// An empty simulation at time zero.
    pub fn new(config: SimConfig) -> Sim {
        Sim {
            now: Instant::ZERO,
            queue: EventQueue::default(),
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            nodes: Vec::new(),
            segments: Vec::new(),
            captures: Vec::new(),
            trace: Trace::new(config.trace),
            stats: Stats::default(),
            next_frame: 0,
            outbox: Vec::new(),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The packet trace (empty unless [`SimConfig::trace`]).
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The simulation's RNG, for setup code that must draw in a reproducible order (e.g. per-node secrets).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Adds a segment.
    pub fn add_segment(&mut self, segment: Segment) -> SegmentId {
        self.segments.push(segment);
        self.captures.push(None);
        SegmentId(self.segments.len() as u32 - 1)
    }

    /// A segment.
    pub fn segment(&self, id: SegmentId) -> Option<&Segment> {
        self.segments.get(id.index())
    }

    /// A segment, to change port settings.
    pub fn segment_mut(&mut self, id: SegmentId) -> Option<&mut Segment> {
        self.segments.get_mut(id.index())
    }

    /// All segments in creation order.
    pub fn segments(&self) -> impl Iterator<Item = (SegmentId, &Segment)> {
        self.segments.iter().enumerate().map(|(i, s)| (SegmentId(i as u32), s))
    }

    /// Starts keeping every frame that crosses `segment`, for pcapng.
    pub fn capture(&mut self, segment: SegmentId) {
        if let Some(slot) = self.captures.get_mut(segment.index()) {
            slot.get_or_insert_with(Vec::new);
        }
    }

    /// The frames captured on `segment`, in switch order.
    pub fn captured(&self, segment: SegmentId) -> &[CapturedFrame] {
        self.captures
            .get(segment.index())
            .and_then(|c| c.as_deref())
            .unwrap_or(&[])
    }

    /// Writes the captures of `segments` as one pcapng file: one interface per segment (named after it), frames in
    /// switch order across segments, timestamps in virtual nanoseconds. Same run, same bytes.
    pub fn write_pcapng<W: std::io::Write>(&self, segments: &[SegmentId], out: W) -> Result<W, CaptureError> {
        let mut w = PcapngWriter::new(out)?;
        let mut frames: Vec<(Instant, u64, u32, &Rc<Frame>)> = Vec::new();
        for &seg in segments {
            let name = self.segment(seg).map_or("?", |s| s.name.as_str());
            let iface = w.add_interface(name)?;
            frames.extend(self.captured(seg).iter().map(|c| (c.at, c.id, iface, &c.frame)));
        }
        frames.sort_by_key(|f| (f.0, f.1, f.2));
        for (at, _, iface, frame) in frames {
            w.write_frame(iface, at, frame.bytes())?;
        }
        w.into_inner()
    }

    /// Adds a node and schedules its first timeout, if it has one.
    pub fn add_node(&mut self, node: Box<dyn Node>) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(NodeSlot {
            node,
            ports: Vec::new(),
            timer_at: Instant::FAR_FUTURE,
            deadline: None,
            deadline_fresh: false,
        });
        self.reschedule(id);
        id
    }

    /// A node, downcast to its concrete type.
    pub fn node<T: Node>(&self, id: NodeId) -> Option<&T> {
        self.nodes.get(id.index())?.node.as_any().downcast_ref()
    }

    /// A node, downcast to its concrete type, for changes that send nothing (use [`Sim::with_node`] otherwise).
    pub fn node_mut<T: Node>(&mut self, id: NodeId) -> Option<&mut T> {
        let slot = self.nodes.get_mut(id.index())?;
        slot.deadline_fresh = false;
        slot.node.as_any_mut().downcast_mut()
    }

    /// Node ids and names in creation order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &dyn Node)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, s)| (NodeId(i as u32), s.node.as_ref()))
    }

    /// Plugs interface `ifindex` of `node` into a new port of `segment`.
    pub fn connect(
        &mut self,
        node: NodeId,
        ifindex: IfIndex,
        segment: SegmentId,
        config: PortConfig,
    ) -> Option<PortId> {
        let seg = self.segments.get_mut(segment.index())?;
        let slot = self.nodes.get_mut(node.index())?;
        let port = seg.add_port(node, ifindex, config);
        let i = ifindex.0 as usize;
        if slot.ports.len() <= i {
            slot.ports.resize(i + 1, None);
        }
        slot.ports[i] = Some((segment, port));
        Some(port)
    }

    /// The segment and port interface `ifindex` of `node` is plugged into.
    pub fn attachment(&self, node: NodeId, ifindex: IfIndex) -> Option<(SegmentId, PortId)> {
        *self.nodes.get(node.index())?.ports.get(ifindex.0 as usize)?
    }

    /// Schedules a carrier change on a port at `at` (the node sees `handle_link_change`).
    pub fn schedule_carrier(&mut self, at: Instant, segment: SegmentId, port: PortId, up: bool) {
        self.push(at, Event::Carrier { segment, port, up });
    }

    /// Schedules a call into `node` at `at`.
    pub fn schedule_call(&mut self, at: Instant, node: NodeId, call: NodeCall) {
        self.push(at, Event::Call { node, call });
    }

    /// Runs `f` on `node` now, then sends what it queued and reschedules its timer.
    pub fn with_node<R>(&mut self, node: NodeId, f: impl FnOnce(&mut dyn Node, &mut Ctx<'_>) -> R) -> Option<R> {
        let slot = self.nodes.get_mut(node.index())?;
        let mut ctx = Ctx {
            now: self.now,
            node,
            rng: &mut self.rng,
            outbox: &mut self.outbox,
            trace: &mut self.trace,
            timers_unchanged: false,
        };
        let r = f(slot.node.as_mut(), &mut ctx);
        self.flush(node, false);
        Some(r)
    }

    /// When the next event is due, if any.
    pub fn next_event_at(&self) -> Option<Instant> {
        self.queue.peek_at()
    }

    /// Processes one event. Returns false if the queue was empty.
    pub fn step(&mut self) -> bool {
        let Some((at, event)) = self.queue.pop() else {
            return false;
        };
        self.now = at;
        self.stats.events += 1;
        match event {
            Event::Deliver {
                node,
                ifindex,
                frame,
                id,
            } => {
                self.stats.frames_delivered += 1;
                self.trace
                    .push(at, node, TraceEvent::FrameReceived { frame: id, ifindex });
                self.run_node(node, |n, ctx| n.handle_frame(ctx, ifindex, &frame));
            }
            Event::Flood {
                segment,
                in_port,
                frame,
                tagged,
                id,
            } => {
                let count = self.segments.get(segment.index()).map_or(0, |s| s.ports().len());
                for p in 0..count {
                    if p == in_port.index() {
                        continue;
                    }
                    let Some(port) = self.segments.get(segment.index()).and_then(|s| s.ports().get(p)) else {
                        continue;
                    };
                    if !port.up {
                        continue;
                    }
                    let (node, ifindex, is_tagged) = (port.node, port.ifindex, port.config.tagged);
                    let f = match (&tagged, is_tagged) {
                        (Some(t), true) => t,
                        _ => &frame,
                    };
                    self.stats.frames_delivered += 1;
                    self.trace
                        .push(at, node, TraceEvent::FrameReceived { frame: id, ifindex });
                    self.run_node(node, |n, ctx| n.handle_frame(ctx, ifindex, f));
                }
            }
            Event::Timer { node } => {
                let Some(slot) = self.nodes.get_mut(node.index()) else {
                    return true;
                };
                if slot.timer_at != at {
                    return true; // superseded by an earlier or later deadline
                }
                slot.timer_at = Instant::FAR_FUTURE;
                let deadline = if slot.deadline_fresh {
                    slot.deadline
                } else {
                    slot.node.poll_timeout()
                };
                let due = deadline.is_some_and(|t| t <= at);
                if due {
                    self.run_node(node, |n, ctx| n.handle_timeout(ctx));
                } else {
                    self.reschedule(node);
                }
            }
            Event::Carrier { segment, port, up } => self.carrier(segment, port, up),
            Event::Call { node, call } => self.run_node(node, call),
        }
        true
    }

    /// Processes every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Instant) {
        while self.queue.peek_at().is_some_and(|at| at <= until) {
            self.step();
        }
        if until > self.now {
            self.now = until;
        }
    }

    fn push(&mut self, at: Instant, event: Event) {
        self.queue.push(at.max(self.now), event);
    }

    fn run_node(&mut self, node: NodeId, f: impl FnOnce(&mut dyn Node, &mut Ctx<'_>)) {
        let Some(slot) = self.nodes.get_mut(node.index()) else {
            return;
        };
        let mut ctx = Ctx {
            now: self.now,
            node,
            rng: &mut self.rng,
            outbox: &mut self.outbox,
            trace: &mut self.trace,
            timers_unchanged: false,
        };
        f(slot.node.as_mut(), &mut ctx);
        let unchanged = ctx.timers_unchanged;
        self.flush(node, unchanged);
    }

    /// Sends the frames a node queued, then makes sure its next deadline has a timer event (unless the node said
    /// its deadlines did not change and it sent nothing).
    fn flush(&mut self, node: NodeId, timers_unchanged: bool) {
        if timers_unchanged && self.outbox.is_empty() {
            return;
        }
        let mut outbox = std::mem::take(&mut self.outbox);
        for (ifindex, frame) in outbox.drain(..) {
            self.transmit(node, ifindex, frame);
        }
        self.outbox = outbox;
        self.reschedule(node);
    }

    fn reschedule(&mut self, node: NodeId) {
        let Some(slot) = self.nodes.get_mut(node.index()) else {
            return;
        };
        let deadline = slot.node.poll_timeout();
        slot.deadline = deadline;
        slot.deadline_fresh = true;
        if let Some(t) = deadline {
            let t = t.max(self.now);
            if t < slot.timer_at {
                slot.timer_at = t;
                self.push(t, Event::Timer { node });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Segment;
    use std::any::Any;
    use std::time::Duration;

    /// A test node: sends `to_send` frames at its deadline and answers every frame it gets with `reply`.
    struct Probe {
        name: &'static str,
        mac: [u8; 6],
        deadline: Option<Instant>,
        to: [u8; 6],
        received: Vec<(Instant, IfIndex, Vec<u8>)>,
        reply: bool,
    }

    impl Probe {
        fn frame(&self, dst: [u8; 6], tag: u8) -> Vec<u8> {
            let mut b = dst.to_vec();
            b.extend_from_slice(&self.mac);
            b.extend_from_slice(&[0x88, 0xb5, tag]);
            b
        }
    }

    impl Node for Probe {
        fn handle_frame(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &Rc<Frame>) {
            self.received.push((ctx.now, ifindex, frame.bytes().to_vec()));
            if self.reply {
                if let Some(src) = frame.src_mac() {
                    ctx.send(ifindex, self.frame(src, 2));
                }
            }
        }
        fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
            self.deadline = None;
            ctx.send(IfIndex(2), self.frame(self.to, 1));
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.deadline
        }
        fn name(&self) -> &str {
            self.name
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            self
        }
    }

    fn probe(name: &'static str, last: u8, deadline: Option<Instant>, to: [u8; 6], reply: bool) -> Box<Probe> {
        Box::new(Probe {
            name,
            mac: [2, 0, 0, 0, 0, last],
            deadline,
            to,
            received: Vec::new(),
            reply,
        })
    }

    fn lan(seed: u64, hosts: u8) -> (Sim, SegmentId, Vec<NodeId>) {
        let mut sim = Sim::new(SimConfig { seed, trace: true });
        let seg = sim.add_segment(Segment::new("lan", None));
        let mut ids = Vec::new();
        for i in 0..hosts {
            let first = i == 0;
            let node = probe(
                "h",
                i + 1,
                first.then_some(Instant::from_millis(1)),
                [2, 0, 0, 0, 0, 2],
                !first,
            );
            let id = sim.add_node(node);
            sim.connect(id, IfIndex(2), seg, PortConfig::default());
            ids.push(id);
        }
        (sim, seg, ids)
    }

    #[test]
    fn unicast_round_trip_takes_four_link_delays() {
        let (mut sim, seg, ids) = lan(1, 2);
        sim.capture(seg);
        sim.run_until(Instant::from_secs(1));
        let b: &Probe = sim.node(ids[1]).expect("probe");
        // 1 ms + ingress 10 µs + egress 10 µs
        assert_eq!(b.received[0].0, Instant::from_millis(1) + Duration::from_micros(20));
        let a: &Probe = sim.node(ids[0]).expect("probe");
        assert_eq!(a.received.len(), 1);
        assert_eq!(a.received[0].0, Instant::from_millis(1) + Duration::from_micros(40));
        assert_eq!(sim.captured(seg).len(), 2);
        assert_eq!(sim.stats().frames_delivered, 2);
        // The first frame was flooded (unknown unicast), the reply went straight back (learned).
        let switched: Vec<_> = sim
            .trace()
            .records()
            .iter()
            .filter_map(|r| match r.event {
                TraceEvent::Switched { flooded, .. } => Some(flooded),
                _ => None,
            })
            .collect();
        assert_eq!(switched, vec![true, false]);
    }

    #[test]
    fn flood_reaches_every_other_port_once() {
        let (mut sim, _, ids) = lan(1, 5);
        sim.run_until(Instant::from_secs(1));
        for id in &ids[1..] {
            let p: &Probe = sim.node(*id).expect("probe");
            assert_eq!(p.received.len(), 1, "each receiver sees the flood once");
        }
        // Only the addressed host (…:02) and the sender see more: host 2 replies, which is unicast to host 1.
        let a: &Probe = sim.node(ids[0]).expect("probe");
        assert_eq!(a.received.len(), 4, "every receiver replies");
    }

    #[test]
    fn link_down_stops_delivery_and_tells_the_node() {
        let (mut sim, seg, ids) = lan(1, 2);
        sim.schedule_carrier(Instant::ZERO, seg, PortId(1), false);
        sim.run_until(Instant::from_secs(1));
        let b: &Probe = sim.node(ids[1]).expect("probe");
        assert!(b.received.is_empty());
    }

    #[test]
    fn lossy_links_are_seeded() {
        let run = |seed| {
            let (mut sim, seg, _) = lan(seed, 8);
            for p in 1..8 {
                if let Some(port) = sim.segment_mut(seg).and_then(|s| s.port_mut(PortId(p))) {
                    port.config.loss = 0.5;
                }
            }
            sim.run_until(Instant::from_secs(1));
            (sim.stats(), sim.trace().records().to_vec())
        };
        assert_eq!(run(7), run(7));
        let (stats, _) = run(7);
        assert!(stats.frames_dropped > 0 && stats.frames_delivered > 0);
    }

    #[test]
    fn vlan_trunk_ports_tag_and_untag() {
        let mut sim = Sim::new(SimConfig::default());
        let seg = sim.add_segment(Segment::new("vlan-a", Some(100)));
        let a = sim.add_node(probe("a", 1, Some(Instant::ZERO), [2, 0, 0, 0, 0, 2], false));
        let b = sim.add_node(probe("b", 2, None, [0; 6], false));
        sim.connect(a, IfIndex(2), seg, PortConfig::default());
        let trunk = PortConfig {
            tagged: true,
            ..PortConfig::default()
        };
        sim.connect(b, IfIndex(2), seg, trunk);
        sim.run_until(Instant::from_secs(1));
        let got: &Probe = sim.node(b).expect("probe");
        assert_eq!(Frame::new(got.received[0].2.clone()).vlan_id(), Some(100));
    }

    #[test]
    fn call_runs_at_its_time_and_its_frames_are_sent() {
        let (mut sim, _, ids) = lan(1, 2);
        sim.schedule_call(
            Instant::from_secs(2),
            ids[1],
            Box::new(|n, ctx| {
                assert_eq!(ctx.now, Instant::from_secs(2));
                if let Some(p) = n.as_any_mut().downcast_mut::<Probe>() {
                    p.deadline = Some(ctx.now);
                }
            }),
        );
        sim.run_until(Instant::from_secs(3));
        assert_eq!(sim.now(), Instant::from_secs(3));
        let b: &Probe = sim.node(ids[1]).expect("probe");
        // It replied once to the flood at 1 ms and sent one frame of its own at 2 s (its timer).
        assert_eq!(b.received.len(), 1);
        assert_eq!(sim.stats().frames_sent, 3);
    }
}
