//! The per-entry NUD timer (`neigh_timer_handler`), probing (`neigh_probe`) and invalidation
//! (`neigh_invalidate`) of net/core/neighbour.c.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use super::parms::{within, IfParms};
use super::{Entry, NeighAction, NeighKey, NeighParms, NudState, Probe};
use crate::time::Instant;

/// Arms the entry timer (`neigh_add_timer`); an older heap item becomes stale.
pub(crate) fn arm<P>(
    timers: &mut BinaryHeap<Reverse<(Instant, NeighKey)>>,
    e: &mut Entry<P>,
    key: NeighKey,
    at: Instant,
) {
    e.timer = Some(at);
    timers.push(Reverse((at, key)));
}

/// Cancels the entry timer (`neigh_del_timer`).
pub(crate) fn disarm<P>(e: &mut Entry<P>) {
    e.timer = None;
}

/// `neigh_probe` → `ndisc_solicit` / `arp_solicit`: the first `ucast_probes` go unicast to the cached lladdr, then
/// `app_probes` to userspace, then multicast; `probes` counts them.
pub(crate) fn probe<P>(e: &mut Entry<P>, key: NeighKey, p: &NeighParms, out: &mut Vec<NeighAction<P>>) {
    let kind = if e.probes < p.ucast_probes {
        // An INCOMPLETE entry starts at ucast_probes, so a unicast probe always has a cached lladdr.
        e.lladdr
            .filter(|_| e.state.is_valid())
            .map_or(Probe::Multicast, Probe::Unicast)
    } else if e.probes - p.ucast_probes < p.app_probes {
        Probe::Application
    } else {
        Probe::Multicast
    };
    out.push(NeighAction::Solicit {
        ifindex: key.0,
        target: key.1,
        probe: kind,
    });
    e.probes = e.probes.saturating_add(1);
}

/// `neigh_invalidate`: report the queued packets unreachable.
pub(crate) fn invalidate<P>(e: &mut Entry<P>, key: NeighKey, out: &mut Vec<NeighAction<P>>) {
    if !e.queue.is_empty() {
        let packets = Vec::from(std::mem::take(&mut e.queue));
        out.push(NeighAction::Unreachable {
            ifindex: key.0,
            neighbour: key.1,
            packets,
        });
    }
    e.queue_bytes = 0;
}

/// `neigh_timer_handler` (net/core/neighbour.c), RFC 4861 §7.3.3 and Appendix C:
/// - REACHABLE: still confirmed within `reachable_time` → re-arm at `confirmed + reachable_time`; used within
///   `delay_first_probe_time` → DELAY; otherwise → STALE (no timer).
/// - DELAY: confirmed within `delay_first_probe_time` → REACHABLE; otherwise → PROBE with `probes = 0`.
/// - INCOMPLETE/PROBE: `neigh_max_probes` reached → FAILED and `neigh_invalidate`; else another probe after
///   `retrans_time`.
pub(crate) fn timer_handler<P>(
    now: Instant,
    key: NeighKey,
    e: &mut Entry<P>,
    ip: &IfParms,
    timers: &mut BinaryHeap<Reverse<(Instant, NeighKey)>>,
    out: &mut Vec<NeighAction<P>>,
) {
    let p = &ip.parms;
    let mut next = now + Duration::from_secs(1);
    match e.state {
        NudState::Reachable => {
            if within(now, e.confirmed, ip.reachable_time) {
                next = e.confirmed.map_or(now, |c| c + ip.reachable_time);
            } else if now <= e.used + p.delay_probe_time {
                e.state = NudState::Delay;
                e.updated = now;
                next = now + p.delay_probe_time;
            } else {
                e.state = NudState::Stale;
                e.updated = now;
            }
        }
        NudState::Delay => {
            if within(now, e.confirmed, p.delay_probe_time) {
                e.state = NudState::Reachable;
                e.updated = now;
                next = e.confirmed.map_or(now, |c| c + ip.reachable_time);
            } else {
                e.state = NudState::Probe;
                e.updated = now;
                e.probes = 0;
                next = now + p.probe_interval();
            }
        }
        NudState::Incomplete | NudState::Probe => next = now + p.probe_interval(),
        _ => return,
    }
    if matches!(e.state, NudState::Incomplete | NudState::Probe) && e.probes >= p.max_probes(e.state) {
        e.state = NudState::Failed;
        e.updated = now;
        invalidate(e, key, out);
        return;
    }
    if e.state.in_timer() {
        arm(timers, e, key, next.max(now + Duration::from_millis(10)));
    }
    if matches!(e.state, NudState::Incomplete | NudState::Probe) {
        probe(e, key, p, out);
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use crate::host::neigh::{Family, NeighParms, NeighTable, NudState, Probe, UpdateFlags};
    use crate::id::IfIndex;
    use crate::time::Instant;
    use crate::wire::MacAddr;

    const IF: IfIndex = IfIndex(2);
    const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

    fn probes_until_failed(parms: NeighParms, start_stale: bool) -> Vec<(u64, Probe)> {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut t: NeighTable<Vec<u8>> = NeighTable::new(&mut rng);
        t.set_parms(IF, Family::V6, parms, &mut rng);
        let target: IpAddr = "fe80::1".parse().unwrap();
        let mut out = Vec::new();
        if start_stale {
            t.neigh_update(
                Instant::ZERO,
                IF,
                target,
                Some(M1),
                NudState::Stale,
                UpdateFlags::OVERRIDE,
                true,
                &mut out,
            );
        }
        t.resolve(Instant::ZERO, IF, target, vec![1], &mut out);
        let mut log: Vec<(u64, Probe)> = Vec::new();
        let collect = |out: &mut Vec<_>, now: Instant, log: &mut Vec<(u64, Probe)>| {
            for a in out.drain(..) {
                if let super::NeighAction::Solicit { probe, .. } = a {
                    log.push((now.as_nanos() / 1_000_000, probe));
                }
            }
        };
        collect(&mut out, Instant::ZERO, &mut log);
        while t.next_deadline() < Instant::from_secs(60) {
            let now = t.next_deadline();
            t.poll(now, &mut rng, &mut out);
            collect(&mut out, now, &mut log);
        }
        assert_eq!(t.get(IF, target).map(|v| v.state), Some(NudState::Failed));
        log
    }

    #[test]
    fn app_probes_come_between_unicast_and_multicast_in_incomplete() {
        // INCOMPLETE starts at probes = ucast_probes, so it sends app probes, then multicast ones.
        let p = NeighParms {
            app_probes: 2,
            ..NeighParms::nd()
        };
        let log = probes_until_failed(p, false);
        let kinds: Vec<Probe> = log.iter().map(|x| x.1).collect();
        assert_eq!(
            kinds,
            vec![
                Probe::Application,
                Probe::Application,
                Probe::Multicast,
                Probe::Multicast,
                Probe::Multicast
            ]
        );
        assert_eq!(
            log.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![0, 1000, 2000, 3000, 4000]
        );
    }

    #[test]
    fn mcast_reprobes_follow_the_unicast_probes_in_probe_state() {
        let p = NeighParms {
            mcast_reprobes: 1,
            retrans_time: std::time::Duration::from_millis(500),
            ..NeighParms::nd()
        };
        let log = probes_until_failed(p, true);
        assert_eq!(
            log,
            vec![
                (5000, Probe::Unicast(M1)),
                (5500, Probe::Unicast(M1)),
                (6000, Probe::Unicast(M1)),
                (6500, Probe::Multicast)
            ]
        );
    }

    #[test]
    fn retrans_time_is_floored_at_ten_milliseconds() {
        let p = NeighParms {
            retrans_time: std::time::Duration::from_millis(1),
            ..NeighParms::nd()
        };
        let log = probes_until_failed(p, false);
        assert_eq!(log.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 10, 20]);
    }
}
