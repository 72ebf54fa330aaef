//! What an attacker's timed attacks send (each a THC-IPv6 tool, linux-ipv6.md G10), from which NIC, how often.

use std::net::Ipv6Addr;
use std::time::Duration;

use super::evasion::Evasion;
use super::node::Attacker;
use super::packets::{RogueRa, Spoof, SpoofedRedirect};
use crate::id::IfIndex;
use crate::wire::MacAddr;

/// What one timed attack sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `rogue-ra` (fake_router6): RAs from our link-local and MAC.
    RogueRa(RogueRa),
    /// `kill-router` (kill_router6): RA lifetime 0 from `router`'s link-local; with `spoof_mac` the Ethernet
    /// source and SLLA are the router's MAC too, else ours.
    KillRouter {
        /// The real router's link-local address.
        router: Ipv6Addr,
        /// The real router's MAC.
        router_mac: MacAddr,
        /// Send with the router's MAC as Ethernet source and SLLA.
        spoof_mac: bool,
    },
    /// `ra-flood` (flood_router26): each send is one RA from a new random router with `prefixes` random /64s.
    RaFlood {
        /// PIOs per RA.
        prefixes: u8,
        /// Router Lifetime.
        lifetime: u16,
    },
    /// `redirect` (redir6): a Redirect spoofed from `first_hop` to `victim`.
    Redirect {
        /// The victim's current first hop (IP source and, spoofed or not, the Ethernet source).
        first_hop: Spoof,
        /// The victim's address.
        victim: Ipv6Addr,
        /// The victim's MAC.
        victim_mac: MacAddr,
        /// What the Redirect says.
        redirect: SpoofedRedirect,
    },
    /// `na-spoof` (parasite6, unsolicited part): NAs claiming each target for our MAC, O = 1, to all-nodes or,
    /// against one victim, to that victim only (its address and MAC), so no other node's cache changes.
    NaSpoof {
        /// Addresses to take over.
        targets: Vec<Ipv6Addr>,
        /// Claim to be a router (R = 1), when impersonating one.
        router: bool,
        /// Set the Override flag (parasite6 does). Without it Linux keeps a cached link-layer address and only
        /// marks a REACHABLE entry STALE; it takes ours only for an entry still INCOMPLETE (RFC 4861 §7.2.5).
        override_: bool,
        /// The one victim (IPv6 destination, Ethernet destination); `None` = ff02::1.
        victim: Option<(Ipv6Addr, MacAddr)>,
    },
}

/// A timed attack: what, from which NIC, how wrapped, how often, how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attack {
    /// What is sent.
    pub action: Action,
    /// The attacker's NIC it is sent from ([`Attacker::IFINDEX`], the first, unless set with [`Attack::on`]).
    pub ifindex: IfIndex,
    /// RA-Guard evasion for every packet.
    pub evasion: Evasion,
    /// Time between sends.
    pub every: Duration,
    /// Number of sends; `None` = until the end of the run.
    pub count: Option<u32>,
}

impl Attack {
    /// Sends `action` once, plain.
    pub fn once(action: Action) -> Attack {
        Attack {
            action,
            ifindex: Attacker::IFINDEX,
            evasion: Evasion::None,
            every: Duration::from_secs(1),
            count: Some(1),
        }
    }

    /// Sends `action` every `every`, plain, forever.
    pub fn repeat(action: Action, every: Duration) -> Attack {
        Attack {
            action,
            ifindex: Attacker::IFINDEX,
            evasion: Evasion::None,
            every,
            count: None,
        }
    }

    /// `flood_router26` at `per_second` RAs per second for `seconds` seconds.
    pub fn ra_flood(per_second: u32, seconds: u32, prefixes: u8) -> Attack {
        let per_second = per_second.max(1);
        Attack {
            action: Action::RaFlood {
                prefixes,
                lifetime: 1800,
            },
            ifindex: Attacker::IFINDEX,
            evasion: Evasion::None,
            every: Duration::from_secs(1) / per_second,
            count: Some(per_second.saturating_mul(seconds)),
        }
    }

    /// The same attack sent from NIC `ifindex`.
    pub fn on(mut self, ifindex: IfIndex) -> Attack {
        self.ifindex = ifindex;
        self
    }

    /// The same attack wrapped per `evasion`.
    pub fn with_evasion(mut self, evasion: Evasion) -> Attack {
        self.evasion = evasion;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_spreads_its_count_over_the_seconds_and_attacks_default_to_the_first_nic() {
        let f = Attack::ra_flood(4, 3, 1);
        assert_eq!((f.every, f.count), (Duration::from_millis(250), Some(12)));
        assert_eq!(Attack::ra_flood(0, 1, 1).count, Some(1), "at least one per second");
        assert_eq!(f.ifindex, Attacker::IFINDEX);
        let on_b = f.on(IfIndex(3)).with_evasion(Evasion::HopByHop);
        assert_eq!((on_b.ifindex, on_b.evasion), (IfIndex(3), Evasion::HopByHop));
    }
}
