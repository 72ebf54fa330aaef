//! Read-only views of the neighbour table for `explain`, traces and tests, and `ip neigh` / `ip -6 neigh` text, byte-exact with iproute2's `print_neigh` (linux-exp/*.log: every field is
//! followed by one space, `dev` only when no device filter is given, `lladdr` only for valid states).

use std::fmt::Write;
use std::net::IpAddr;

use super::{Entry, Family, NeighKey, NeighTable, NudState, QueuedPacket};
use crate::id::IfIndex;
use crate::wire::MacAddr;

/// A read-only view of one entry, for `explain`, traces and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighView {
    /// Interface.
    pub ifindex: IfIndex,
    /// Protocol address.
    pub ip: IpAddr,
    /// NUD state.
    pub state: NudState,
    /// Link-layer address, reported only while the state is valid (as `neigh_fill_info` does).
    pub lladdr: Option<MacAddr>,
    /// `NTF_ROUTER`.
    pub router: bool,
    /// Packets waiting for resolution.
    pub queued: usize,
}

/// The arguments of `ip [-4|-6] neigh show [ADDR] [dev IF] [nud all]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeighFilter {
    /// `-4` / `-6`; `None` lists IPv4 (ARP table) first, then IPv6, as the kernel dumps its tables.
    pub family: Option<Family>,
    /// `dev IF`: only that interface, and the `dev` field is left out.
    pub dev: Option<IfIndex>,
    /// A single address.
    pub addr: Option<IpAddr>,
    /// `nud all`: also NOARP and NONE entries, which iproute2 hides by default.
    pub all_states: bool,
}

impl<P> NeighTable<P> {
    /// Renders the table as `ip neigh show` prints it; `ifname` names interfaces (`h0`, `eth0`).
    /// Within a family, entries come in (ifindex, address) order; the kernel's hash order is not reproduced.
    pub fn render<'n>(&self, filter: &NeighFilter, ifname: impl Fn(IfIndex) -> &'n str) -> String {
        let mut s = String::new();
        for family in [Family::V4, Family::V6] {
            if filter.family.is_some_and(|f| f != family) {
                continue;
            }
            for ((ifindex, ip), e) in &self.entries {
                if Family::of(*ip) != family
                    || filter.dev.is_some_and(|d| d != *ifindex)
                    || filter.addr.is_some_and(|a| a != *ip)
                    || (!filter.all_states && matches!(e.state, NudState::Noarp | NudState::None))
                {
                    continue;
                }
                let _ = write!(s, "{ip} ");
                if filter.dev.is_none() {
                    let _ = write!(s, "dev {} ", ifname(*ifindex));
                }
                if let Some(ll) = e.lladdr.filter(|_| e.state.is_valid()) {
                    let _ = write!(s, "lladdr {ll} ");
                }
                if e.router {
                    s.push_str("router ");
                }
                s.push_str(e.state.name());
                s.push_str(" \n");
            }
        }
        s
    }
}

impl<P: QueuedPacket> NeighTable<P> {
    /// A view of one entry.
    pub fn get(&self, ifindex: IfIndex, ip: IpAddr) -> Option<NeighView> {
        self.entries.get(&(ifindex, ip)).map(|e| view((ifindex, ip), e))
    }

    /// Every entry in key order.
    pub fn iter(&self) -> impl Iterator<Item = NeighView> + '_ {
        self.entries.iter().map(|(k, e)| view(*k, e))
    }

    /// The newest packet queued for `ip` (what `ndisc_solicit` reads the probe's source address from).
    pub fn last_queued(&self, ifindex: IfIndex, ip: IpAddr) -> Option<&P> {
        self.entries.get(&(ifindex, ip)).and_then(|e| e.queue.back())
    }
}

fn view<P>(key: NeighKey, e: &Entry<P>) -> NeighView {
    NeighView {
        ifindex: key.0,
        ip: key.1,
        state: e.state,
        lladdr: if e.state.is_valid() { e.lladdr } else { None },
        router: e.router,
        queued: e.queue.len(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::host::neigh::UpdateFlags;
    use crate::id::IfIndex;
    use crate::time::Instant;
    use crate::wire::MacAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn table() -> NeighTable<Vec<u8>> {
        NeighTable::new(&mut ChaCha8Rng::seed_from_u64(9))
    }

    #[test]
    fn render_matches_iproute2_shapes() {
        let mut t = table();
        let mut out = Vec::new();
        let c0 = IfIndex(3);
        t.neigh_update(
            Instant::ZERO,
            c0,
            ip("fe80::5a:ff:fe00:a"),
            Some(MacAddr([2, 0x5a, 0, 0, 0, 0x0a])),
            NudState::Reachable,
            UpdateFlags::OVERRIDE,
            true,
            &mut out,
        );
        t.recv_ra(
            Instant::ZERO,
            c0,
            ip("fe80::ec12:6cff:fe15:d79e"),
            Some(MacAddr([0xee, 0x12, 0x6c, 0x15, 0xd7, 0x9e])),
            &mut out,
        );
        t.neigh_update(
            Instant::ZERO,
            c0,
            ip("fe80::ec12:6cff:fe15:d79e"),
            None,
            NudState::Reachable,
            UpdateFlags::NONE,
            false,
            &mut out,
        );
        t.resolve(Instant::ZERO, c0, ip("10.0.9.151"), vec![1], &mut out);
        let names = |i: IfIndex| if i == c0 { "c0" } else { "h0" };
        let all = t.render(&NeighFilter::default(), names);
        assert_eq!(
            all,
            "10.0.9.151 dev c0 INCOMPLETE \n\
             fe80::5a:ff:fe00:a dev c0 lladdr 02:5a:00:00:00:0a REACHABLE \n\
             fe80::ec12:6cff:fe15:d79e dev c0 lladdr ee:12:6c:15:d7:9e router REACHABLE \n"
        );
        let v6 = t.render(
            &NeighFilter {
                family: Some(Family::V6),
                addr: Some(ip("fe80::5a:ff:fe00:a")),
                ..NeighFilter::default()
            },
            names,
        );
        assert_eq!(v6, "fe80::5a:ff:fe00:a dev c0 lladdr 02:5a:00:00:00:0a REACHABLE \n");
    }
}
