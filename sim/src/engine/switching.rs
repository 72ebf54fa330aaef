//! Switching: what happens to a frame between the sender's NIC and the receivers' — the segment's learning and
//! forwarding decision at the ingress instant, seeded loss, 802.1Q tagging, delivery events (one per port, or one
//! `Event::Flood` for uniform ports), drops, and carrier changes. Split from `engine.rs` so the event loop and the
//! wire between nodes each read on their own.

use super::{CapturedFrame, Event, Sim};
use crate::frame::Frame;
use crate::id::{IfIndex, NodeId, PortId, SegmentId};
use crate::segment::Forwarding;
use crate::trace::{DropReason, TraceEvent};
use rand::RngExt;
use std::rc::Rc;

impl Sim {
    pub(super) fn lost(&mut self, loss: f64) -> bool {
        // Draw only on lossy links, so adding a lossless port never shifts the RNG sequence.
        loss > 0.0 && self.rng.random::<f64>() < loss
    }

    pub(super) fn transmit(&mut self, node: NodeId, ifindex: IfIndex, frame: Rc<Frame>) {
        let id = self.next_frame;
        self.next_frame += 1;
        self.stats.frames_sent += 1;
        let now = self.now;
        self.trace.push(
            now,
            node,
            TraceEvent::FrameSent {
                frame: id,
                ifindex,
                len: frame.len(),
            },
        );
        let Some((seg_id, in_port)) = self.attachment(node, ifindex) else {
            // An interface plugged into nothing: the frame goes nowhere, like a NIC without a cable.
            self.stats.frames_dropped += 1;
            let event = TraceEvent::Dropped {
                frame: Some(id),
                reason: DropReason::LinkDown,
            };
            self.trace.push(now, node, event);
            return;
        };
        let Some(seg) = self.segments.get(seg_id.index()) else {
            return;
        };
        let Some(port) = seg.port(in_port) else {
            return;
        };
        if !port.up {
            self.drop_frame(seg_id, id, DropReason::LinkDown);
            return;
        }
        let (in_delay, in_loss, in_tagged, vlan) = (port.config.delay, port.config.loss, port.config.tagged, seg.vlan);
        if self.lost(in_loss) {
            self.drop_frame(seg_id, id, DropReason::LinkLoss);
            return;
        }
        // Inside the switch frames are untagged; trunk ports must carry the segment's tag.
        let frame = match (in_tagged, frame.vlan_id()) {
            (false, None) => frame,
            (true, Some(v)) if Some(v) == vlan => frame.without_vlan_tag(),
            _ => {
                self.drop_frame(seg_id, id, DropReason::VlanMismatch);
                return;
            }
        };
        let at_switch = now + in_delay;
        let Some(seg) = self.segments.get_mut(seg_id.index()) else {
            return;
        };
        let decision = match seg.switch(at_switch, in_port, &frame) {
            Ok(d) => d,
            Err(reason) => {
                self.drop_frame(seg_id, id, reason);
                return;
            }
        };
        if let Some(Some(cap)) = self.captures.get_mut(seg_id.index()) {
            cap.push(CapturedFrame {
                at: at_switch,
                id,
                frame: frame.clone(),
            });
        }
        let mut delivered = 0u32;
        let port_count = self.segments.get(seg_id.index()).map_or(0, |s| s.ports().len());
        let (first, last) = match decision {
            Forwarding::Unicast(p) => (p.index(), p.index() + 1),
            Forwarding::Flood => (0, port_count),
            Forwarding::Filtered => (0, 0),
        };
        let mut tagged_copy: Option<Rc<Frame>> = None;
        if decision == Forwarding::Flood {
            if let Some((delay, delivered)) = self.uniform_flood(seg_id, in_port) {
                if let (Some(v), true) = (vlan, self.any_tagged(seg_id)) {
                    tagged_copy = Some(frame.with_vlan_tag(v));
                }
                self.trace.push_segment(
                    at_switch,
                    seg_id,
                    TraceEvent::Switched {
                        frame: id,
                        in_port,
                        out_ports: delivered,
                        flooded: true,
                    },
                );
                self.push(
                    at_switch + delay,
                    Event::Flood {
                        segment: seg_id,
                        in_port,
                        frame,
                        tagged: tagged_copy,
                        id,
                    },
                );
                return;
            }
        }
        for p in first..last {
            if p == in_port.index() {
                continue;
            }
            let Some(out) = self.segments.get(seg_id.index()).and_then(|s| s.ports().get(p)) else {
                continue;
            };
            if !out.up {
                continue;
            }
            let (to_node, to_if, out_delay, out_loss, out_tagged) = (
                out.node,
                out.ifindex,
                out.config.delay,
                out.config.loss,
                out.config.tagged,
            );
            if self.lost(out_loss) {
                self.drop_frame(seg_id, id, DropReason::LinkLoss);
                continue;
            }
            let f = match (out_tagged, vlan) {
                (true, Some(v)) => tagged_copy.get_or_insert_with(|| frame.with_vlan_tag(v)).clone(),
                _ => frame.clone(),
            };
            delivered += 1;
            self.push(
                at_switch + out_delay,
                Event::Deliver {
                    node: to_node,
                    ifindex: to_if,
                    frame: f,
                    id,
                },
            );
        }
        self.trace.push_segment(
            at_switch,
            seg_id,
            TraceEvent::Switched {
                frame: id,
                in_port,
                out_ports: delivered,
                flooded: decision == Forwarding::Flood,
            },
        );
    }

    /// If every other port that is up has the same egress delay and no loss, that delay and the port count:
    /// the flood can then be one event (see `Event::Flood`), and no RNG draw is skipped.
    pub(super) fn uniform_flood(&self, seg: SegmentId, in_port: PortId) -> Option<(std::time::Duration, u32)> {
        let ports = self.segments.get(seg.index())?.ports();
        let mut delay = None;
        let mut count = 0u32;
        for (i, p) in ports.iter().enumerate() {
            if i == in_port.index() || !p.up {
                continue;
            }
            if p.config.loss > 0.0 || delay.is_some_and(|d| d != p.config.delay) {
                return None;
            }
            delay = Some(p.config.delay);
            count += 1;
        }
        delay.map(|d| (d, count))
    }

    pub(super) fn any_tagged(&self, seg: SegmentId) -> bool {
        self.segments
            .get(seg.index())
            .is_some_and(|s| s.ports().iter().any(|p| p.config.tagged))
    }

    pub(super) fn drop_frame(&mut self, segment: SegmentId, id: u64, reason: DropReason) {
        self.stats.frames_dropped += 1;
        let event = TraceEvent::Dropped {
            frame: Some(id),
            reason,
        };
        self.trace.push_segment(self.now, segment, event);
    }

    pub(super) fn carrier(&mut self, segment: SegmentId, port: PortId, up: bool) {
        let Some(seg) = self.segments.get_mut(segment.index()) else {
            return;
        };
        let Some(p) = seg.port_mut(port) else {
            return;
        };
        if p.up == up {
            return;
        }
        p.up = up;
        let (node, ifindex) = (p.node, p.ifindex);
        if !up {
            seg.flush_port(port);
        }
        self.run_node(node, |n, ctx| n.handle_link_change(ctx, ifindex, up));
    }
}
