//! NUD states and the per-interface neighbour parameters (`/proc/sys/net/{ipv4,ipv6}/neigh/IF/*`) with Linux's
//! defaults for the ARP and ND tables.

use std::net::IpAddr;
use std::time::Duration;

use crate::time::Instant;

/// The address family of a neighbour entry: ARP (`arp_tbl`) or ND (`nd_tbl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4, resolved by ARP (RFC 826).
    V4,
    /// IPv6, resolved by Neighbor Discovery (RFC 4861).
    V6,
}

impl Family {
    /// The family of `ip`.
    pub fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// Neighbour Unreachability Detection state (RFC 4861 §7.3.2, Linux `NUD_*` in `include/uapi/linux/neighbour.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NudState {
    /// `NUD_NONE`: created without a link-layer address (e.g. an RA without SLLA); hidden by `ip neigh`.
    None,
    /// Resolution in progress, multicast/broadcast probes being sent, packets queued.
    Incomplete,
    /// Confirmed within `reachable_time`.
    Reachable,
    /// Address known but unconfirmed; the first use starts `Delay`.
    Stale,
    /// Used while stale: waiting `delay_first_probe_time` for an upper-layer confirmation.
    Delay,
    /// Unicast probes being sent.
    Probe,
    /// Resolution or probing failed.
    Failed,
    /// No resolution needed (admin); hidden by `ip neigh` unless `nud all`.
    Noarp,
    /// Admin entry that never changes.
    Permanent,
}

impl NudState {
    /// `NUD_VALID`: the entry has a usable link-layer address.
    pub fn is_valid(self) -> bool {
        matches!(
            self,
            NudState::Reachable
                | NudState::Stale
                | NudState::Delay
                | NudState::Probe
                | NudState::Noarp
                | NudState::Permanent
        )
    }

    /// `NUD_CONNECTED`: usable without any NUD work.
    pub fn is_connected(self) -> bool {
        matches!(self, NudState::Reachable | NudState::Noarp | NudState::Permanent)
    }

    /// `NUD_IN_TIMER`: the state runs the entry timer.
    pub fn in_timer(self) -> bool {
        matches!(
            self,
            NudState::Incomplete | NudState::Reachable | NudState::Delay | NudState::Probe
        )
    }

    /// The name iproute2 prints (`print_nud_state`).
    pub fn name(self) -> &'static str {
        match self {
            NudState::None => "NONE",
            NudState::Incomplete => "INCOMPLETE",
            NudState::Reachable => "REACHABLE",
            NudState::Stale => "STALE",
            NudState::Delay => "DELAY",
            NudState::Probe => "PROBE",
            NudState::Failed => "FAILED",
            NudState::Noarp => "NOARP",
            NudState::Permanent => "PERMANENT",
        }
    }
}

/// `SKB_TRUESIZE` overhead on x86-64: `sizeof(struct sk_buff)` and `sizeof(struct skb_shared_info)` rounded to the
/// cache line (256 + 320). With it `unres_qlen` = 212992 / (1514 + 576) = 101, the value Linux reports.
pub const SKB_OVERHEAD: usize = 576;

/// The bytes a queued packet charges against `unres_qlen_bytes` (Linux `skb->truesize`).
pub trait QueuedPacket {
    /// `skb->truesize`: the packet length plus [`SKB_OVERHEAD`].
    fn truesize(&self) -> usize;
}

impl QueuedPacket for Vec<u8> {
    fn truesize(&self) -> usize {
        self.len() + SKB_OVERHEAD
    }
}

impl QueuedPacket for Box<[u8]> {
    fn truesize(&self) -> usize {
        self.len() + SKB_OVERHEAD
    }
}

/// One interface's neighbour parameters (`struct neigh_parms`). Defaults are `nd_tbl` / `arp_tbl` in
/// net/ipv6/ndisc.c and net/ipv4/arp.c (linux-ipv6.md B38).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighParms {
    /// `base_reachable_time_ms` (30 s); `reachable_time` is drawn from 0.5–1.5× of it.
    pub base_reachable_time: Duration,
    /// `retrans_time_ms` (1 s): probe interval.
    pub retrans_time: Duration,
    /// `delay_first_probe_time` (5 s).
    pub delay_probe_time: Duration,
    /// `gc_stale_time` (60 s): unused entries older than this are garbage once the table is over `gc_thresh1`.
    pub gc_stale_time: Duration,
    /// `ucast_solicit` (3): unicast probes in PROBE.
    pub ucast_probes: u32,
    /// `mcast_solicit` (3): multicast/broadcast probes in INCOMPLETE.
    pub mcast_probes: u32,
    /// `mcast_resolicit` (0): multicast probes added after the unicast ones in PROBE.
    pub mcast_reprobes: u32,
    /// `app_solicit` (0): probes delegated to a userspace daemon.
    pub app_probes: u32,
    /// `unres_qlen_bytes` (212992 = `SK_WMEM_MAX` on x86-64): bytes queued per INCOMPLETE entry.
    pub queue_len_bytes: usize,
    /// `locktime`: ARP replies within this time of the last update do not override the lladdr (ARP 1 s, ND 0).
    pub locktime: Duration,
}

impl NeighParms {
    /// `nd_tbl` defaults (net/ipv6/ndisc.c).
    pub const fn nd() -> NeighParms {
        NeighParms {
            base_reachable_time: Duration::from_secs(30),
            retrans_time: Duration::from_secs(1),
            delay_probe_time: Duration::from_secs(5),
            gc_stale_time: Duration::from_secs(60),
            ucast_probes: 3,
            mcast_probes: 3,
            mcast_reprobes: 0,
            app_probes: 0,
            queue_len_bytes: 212_992,
            locktime: Duration::ZERO,
        }
    }

    /// `arp_tbl` defaults (net/ipv4/arp.c): as ND but with a 1 s `locktime`.
    pub const fn arp() -> NeighParms {
        NeighParms {
            locktime: Duration::from_secs(1),
            ..NeighParms::nd()
        }
    }

    /// The defaults of `family`'s table.
    pub const fn for_family(family: Family) -> NeighParms {
        match family {
            Family::V4 => NeighParms::arp(),
            Family::V6 => NeighParms::nd(),
        }
    }

    /// `neigh_max_probes`: probes before FAILED; in PROBE the multicast part is `mcast_reprobes`.
    pub fn max_probes(&self, state: NudState) -> u32 {
        let mcast = if state == NudState::Probe {
            self.mcast_reprobes
        } else {
            self.mcast_probes
        };
        self.ucast_probes.saturating_add(self.app_probes).saturating_add(mcast)
    }

    /// The probe interval, at least one centisecond (`max(RETRANS_TIME, HZ/100)` in `neigh_timer_handler`).
    pub fn probe_interval(&self) -> Duration {
        self.retrans_time.max(Duration::from_millis(10))
    }
}

/// `neigh_rand_reach_time`: uniform in [base/2, 3·base/2), drawn from the simulation's RNG (millisecond grain).
pub fn random_reachable_time<R: rand::Rng + ?Sized>(base: Duration, rng: &mut R) -> Duration {
    let base_ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    if base_ms == 0 {
        return Duration::ZERO;
    }
    // Multiply-shift maps a u32 onto 0..base_ms without a modulo.
    let offset = (u64::from(rng.next_u32()) * base_ms.min(u64::from(u32::MAX))) >> 32;
    Duration::from_millis(base_ms / 2 + offset)
}

/// An interface's parameters together with the `reachable_time` drawn for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IfParms {
    pub(crate) parms: NeighParms,
    pub(crate) reachable_time: Duration,
}

impl IfParms {
    pub(crate) fn new<R: rand::Rng + ?Sized>(parms: NeighParms, rng: &mut R) -> IfParms {
        IfParms {
            parms,
            reachable_time: random_reachable_time(parms.base_reachable_time, rng),
        }
    }
}

/// How often Linux's `neigh_periodic_work` re-draws every `reachable_time`.
pub(crate) const RERANDOMISE_INTERVAL: Duration = Duration::from_secs(300);

/// `true` when `at` is at most `window` before `now` (`time_before_eq(now, at + window)`).
pub(crate) fn within(now: Instant, at: Option<Instant>, window: Duration) -> bool {
    at.is_some_and(|t| now <= t + window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn linux_defaults() {
        let nd = NeighParms::nd();
        assert_eq!(nd.max_probes(NudState::Incomplete), 6);
        assert_eq!(nd.max_probes(NudState::Probe), 3);
        assert_eq!(NeighParms::arp().locktime, Duration::from_secs(1));
        assert_eq!(nd.queue_len_bytes / (1514 + SKB_OVERHEAD), 101);
    }

    #[test]
    fn reachable_time_is_randomised_within_half_to_one_and_a_half() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let base = Duration::from_secs(30);
        let draws: Vec<Duration> = (0..200).map(|_| random_reachable_time(base, &mut rng)).collect();
        assert!(draws
            .iter()
            .all(|d| *d >= Duration::from_secs(15) && *d < Duration::from_secs(45)));
        assert!(draws.iter().any(|d| *d < Duration::from_secs(20)));
        assert!(draws.iter().any(|d| *d > Duration::from_secs(40)));
        let mut again = ChaCha8Rng::seed_from_u64(7);
        assert_eq!(random_reachable_time(base, &mut again), draws[0]);
    }

    #[test]
    fn state_classes() {
        assert!(NudState::Delay.is_valid() && !NudState::Delay.is_connected());
        assert!(NudState::Permanent.is_connected() && !NudState::Permanent.in_timer());
        assert!(!NudState::Failed.is_valid() && !NudState::Incomplete.is_valid());
        assert_eq!(NudState::Reachable.name(), "REACHABLE");
    }
}
