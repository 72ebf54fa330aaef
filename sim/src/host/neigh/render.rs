//! `ip neigh` / `ip -6 neigh` text, byte-exact with iproute2's `print_neigh` (linux-exp/*.log: every field is
//! followed by one space, `dev` only when no device filter is given, `lladdr` only for valid states).

use std::fmt::Write;
use std::net::IpAddr;

use super::{Family, NeighTable, NudState};
use crate::id::IfIndex;

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
