//! An Ethernet segment: a learning switch with per-port links.
//!
//! Model: each port is one cable between a node's NIC and the switch, with its own one-way delay (default 10 µs),
//! seeded loss and up/down state. Known unicast goes to one port; unknown unicast, multicast and broadcast are
//! flooded to every other port that is up (no MLD/IGMP snooping, as on an unmanaged switch or a Linux bridge with
//! snooping off). Learned MACs age out after 300 s, the Linux bridge default (`ageing_time`).
//! A segment may be an 802.1Q VLAN: frames are kept untagged inside and tagged on `tagged` (trunk) ports.

use crate::frame::{is_group_mac, Frame, MacBytes};
use crate::id::{IfIndex, NodeId, PortId};
pub use crate::ra_guard::RaGuard;
use crate::time::Instant;
use crate::trace::DropReason;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Duration;

/// Hashes a MAC (six bytes, already well mixed by vendors and our generators) with one multiply: the MAC table
/// is looked up once per frame, and SipHash showed up in profiles. Only lookups, never iteration order, use it.
#[derive(Default)]
struct MacHasher(u64);

impl Hasher for MacHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
}

/// The MAC table, keyed by the MAC packed into a `u64` ([`mac_key`]): one hash write instead of a length prefix
/// and six byte writes.
type MacMap<V> = HashMap<u64, V, BuildHasherDefault<MacHasher>>;

fn mac_key(m: &MacBytes) -> u64 {
    u64::from_be_bytes([0, 0, m[0], m[1], m[2], m[3], m[4], m[5]])
}

fn mac_of_key(k: u64) -> MacBytes {
    let b = k.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// Default one-way delay of a link between a NIC and the switch.
pub const DEFAULT_LINK_DELAY: Duration = Duration::from_micros(10);
/// Linux bridge default `ageing_time`.
pub const DEFAULT_MAC_AGEING: Duration = Duration::from_secs(300);

/// What sits behind a port; RA-Guard (RFC 6105) lets RAs in only on router ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PortRole {
    /// An end host (the default).
    #[default]
    Host,
    /// A router: RA-Guard passes RAs arriving here.
    Router,
}

/// Per-port settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PortConfig {
    /// One-way delay of the cable.
    pub delay: Duration,
    /// Probability in [0, 1] that a frame crossing this cable (either way) is lost; drawn from the seeded RNG.
    pub loss: f64,
    /// Trunk port: frames leave with the segment's 802.1Q tag and must arrive with it.
    pub tagged: bool,
    /// What is attached, for RA-Guard.
    pub role: PortRole,
}

impl Default for PortConfig {
    fn default() -> Self {
        PortConfig {
            delay: DEFAULT_LINK_DELAY,
            loss: 0.0,
            tagged: false,
            role: PortRole::Host,
        }
    }
}

/// One switch port and the NIC on its other end.
#[derive(Debug, Clone)]
pub struct Port {
    /// The node whose NIC is plugged in.
    pub node: NodeId,
    /// That NIC's interface index on the node.
    pub ifindex: IfIndex,
    /// Settings.
    pub config: PortConfig,
    /// Carrier: false after a link-down event.
    pub up: bool,
}

/// Where the switch sends a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// Known unicast: one port.
    Unicast(PortId),
    /// Unknown unicast, multicast or broadcast: every other port that is up.
    Flood,
    /// The destination was learned on the ingress port itself: the switch filters it.
    Filtered,
}

/// A learning switch.
#[derive(Debug)]
pub struct Segment {
    /// The segment's name (scenario name, pcapng interface name).
    pub name: String,
    /// The 802.1Q VLAN id, if the segment is a VLAN.
    pub vlan: Option<u16>,
    /// MAC ageing time.
    pub ageing: Duration,
    /// RA-Guard on host ports (RFC 6105); router ports always pass RAs.
    pub ra_guard: RaGuard,
    ra_guard_drops: u64,
    ports: Vec<Port>,
    // Only looked up, never iterated into an output, so hash order cannot leak.
    macs: MacMap<(PortId, Instant)>,
}

impl Segment {
    /// An empty switch.
    pub fn new(name: impl Into<String>, vlan: Option<u16>) -> Segment {
        Segment {
            name: name.into(),
            vlan,
            ageing: DEFAULT_MAC_AGEING,
            ra_guard: RaGuard::Off,
            ra_guard_drops: 0,
            ports: Vec::new(),
            macs: MacMap::default(),
        }
    }

    /// Plugs a NIC into a new port.
    pub fn add_port(&mut self, node: NodeId, ifindex: IfIndex, config: PortConfig) -> PortId {
        let id = PortId(self.ports.len() as u32);
        self.ports.push(Port {
            node,
            ifindex,
            config,
            up: true,
        });
        id
    }

    /// The ports, in the order they were added.
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    /// One port.
    pub fn port(&self, id: PortId) -> Option<&Port> {
        self.ports.get(id.index())
    }

    /// One port, for changing its settings or carrier.
    pub fn port_mut(&mut self, id: PortId) -> Option<&mut Port> {
        self.ports.get_mut(id.index())
    }

    /// Learns the source MAC and decides where the frame goes (IEEE 802.1D §7.7, §7.8).
    pub fn switch(&mut self, now: Instant, in_port: PortId, frame: &Frame) -> Result<Forwarding, DropReason> {
        let (Some(dst), Some(src)) = (frame.dst_mac(), frame.src_mac()) else {
            return Err(DropReason::RuntFrame);
        };
        if frame.len() < 14 {
            return Err(DropReason::RuntFrame);
        }
        // RA-Guard filters at ingress, before learning: a dropped rogue RA teaches the switch nothing.
        if self.ra_guard != RaGuard::Off
            && self
                .ports
                .get(in_port.index())
                .is_some_and(|p| p.config.role == PortRole::Host)
            && self.ra_guard.blocks(frame.bytes())
        {
            self.ra_guard_drops += 1;
            return Err(DropReason::RaGuard);
        }
        // A group source address is invalid and never learned.
        if !is_group_mac(&src) {
            self.macs.insert(mac_key(&src), (in_port, now));
        }
        if is_group_mac(&dst) {
            return Ok(Forwarding::Flood);
        }
        match self.macs.get(&mac_key(&dst)) {
            Some(&(port, learned)) if now.saturating_since(learned) < self.ageing => {
                if port == in_port {
                    Ok(Forwarding::Filtered)
                } else {
                    Ok(Forwarding::Unicast(port))
                }
            }
            _ => Ok(Forwarding::Flood),
        }
    }

    /// Frames RA-Guard dropped so far.
    pub fn ra_guard_drops(&self) -> u64 {
        self.ra_guard_drops
    }

    /// Forgets every MAC learned on `port` (its link went down).
    pub fn flush_port(&mut self, port: PortId) {
        self.macs.retain(|_, (p, _)| *p != port);
    }

    /// The MAC table as `bridge fdb` would list it, sorted by MAC: (MAC, port, seconds since learned).
    pub fn fdb(&self, now: Instant) -> Vec<(MacBytes, PortId, u64)> {
        let mut rows: Vec<_> = self
            .macs
            .iter()
            .filter(|(_, (_, at))| now.saturating_since(*at) < self.ageing)
            .map(|(&mac, (port, at))| (mac_of_key(mac), *port, now.saturating_since(*at).as_secs()))
            .collect();
        rows.sort();
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_keys_round_trip() {
        let m = [0x02, 0xff, 0x10, 0x20, 0x30, 0x40];
        assert_eq!(mac_of_key(mac_key(&m)), m);
        assert_ne!(mac_key(&m), mac_key(&[0x02, 0xff, 0x10, 0x20, 0x30, 0x41]));
    }

    fn frame(dst: MacBytes, src: MacBytes) -> std::rc::Rc<Frame> {
        let mut b = Vec::new();
        b.extend_from_slice(&dst);
        b.extend_from_slice(&src);
        b.extend_from_slice(&[0x86, 0xdd, 0, 0]);
        Frame::new(b)
    }

    const A: MacBytes = [2, 0, 0, 0, 0, 0xa];
    const B: MacBytes = [2, 0, 0, 0, 0, 0xb];

    fn two_port() -> Segment {
        let mut s = Segment::new("lan", None);
        s.add_port(NodeId(0), IfIndex(2), PortConfig::default());
        s.add_port(NodeId(1), IfIndex(2), PortConfig::default());
        s
    }

    #[test]
    fn unknown_unicast_floods_then_learned_goes_direct() {
        let mut s = two_port();
        let t = Instant::ZERO;
        assert_eq!(s.switch(t, PortId(0), &frame(B, A)), Ok(Forwarding::Flood));
        assert_eq!(s.switch(t, PortId(1), &frame(A, B)), Ok(Forwarding::Unicast(PortId(0))));
        assert_eq!(s.switch(t, PortId(0), &frame(B, A)), Ok(Forwarding::Unicast(PortId(1))));
        assert_eq!(s.fdb(t).len(), 2);
    }

    #[test]
    fn multicast_floods_and_is_not_learned_as_source() {
        let mut s = two_port();
        let mcast = [0x33, 0x33, 0, 0, 0, 1];
        assert_eq!(
            s.switch(Instant::ZERO, PortId(0), &frame(mcast, A)),
            Ok(Forwarding::Flood)
        );
        assert_eq!(
            s.switch(Instant::ZERO, PortId(0), &frame(A, mcast)),
            Ok(Forwarding::Filtered)
        );
        assert!(s.fdb(Instant::ZERO).iter().all(|(mac, _, _)| *mac != mcast));
    }

    #[test]
    fn entries_age_out_after_300s() {
        let mut s = two_port();
        s.switch(Instant::ZERO, PortId(1), &frame(A, B)).ok();
        let later = Instant::from_secs(299);
        assert_eq!(
            s.switch(later, PortId(0), &frame(B, A)),
            Ok(Forwarding::Unicast(PortId(1)))
        );
        let aged = Instant::from_secs(300);
        assert_eq!(s.switch(aged, PortId(0), &frame(B, A)), Ok(Forwarding::Flood));
    }

    #[test]
    fn runt_frames_are_dropped() {
        let mut s = two_port();
        assert_eq!(
            s.switch(Instant::ZERO, PortId(0), &Frame::new(vec![0; 13])),
            Err(DropReason::RuntFrame)
        );
    }

    #[test]
    fn ra_guard_drops_ras_from_host_ports_only_rfc6105() {
        use crate::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
        use crate::wire::{Icmpv6Repr, MacAddr, NdOptions, NdiscRepr, RaFlags};
        let mac = MacAddr(A);
        let all_nodes = crate::wire::ipv6::ALL_NODES;
        let ra = Upper::Icmpv6(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: RaFlags::default(),
            router_lifetime: 1800,
            reachable_time: 0,
            retrans_time: 0,
            options: NdOptions::NONE,
        }));
        let l2 = L2 {
            src: mac,
            dst: MacAddr::from_ipv6_multicast(all_nodes),
            vlan: None,
        };
        let bytes = ipv6_frame(l2, &Ipv6Params::new(mac.eui64_link_local(), all_nodes, 255), &ra).unwrap_or_default();
        let f = Frame::new(bytes);
        let mut s = two_port();
        s.ra_guard = RaGuard::FullChain;
        if let Some(p) = s.port_mut(PortId(1)) {
            p.config.role = PortRole::Router;
        }
        assert_eq!(s.switch(Instant::ZERO, PortId(0), &f), Err(DropReason::RaGuard));
        assert_eq!(s.switch(Instant::ZERO, PortId(1), &f), Ok(Forwarding::Flood));
        assert_eq!(s.ra_guard_drops(), 1);
        // Dropped before learning: the rogue's MAC is only known from the router port's frame.
        assert_eq!(s.fdb(Instant::ZERO)[0].1, PortId(1));
    }

    #[test]
    fn flush_forgets_a_port() {
        let mut s = two_port();
        s.switch(Instant::ZERO, PortId(1), &frame(A, B)).ok();
        s.flush_port(PortId(1));
        assert_eq!(s.switch(Instant::ZERO, PortId(0), &frame(B, A)), Ok(Forwarding::Flood));
    }
}
