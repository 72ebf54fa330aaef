//! The RA daemon of one router interface as a sans-I/O state machine: when to send unsolicited multicast RAs,
//! how to answer Router Solicitations, and the final RA on shutdown (RFC 4861 §6.2.4–§6.2.6, radvd's
//! `send.c`/`process.c`). It decides *when* and *to whom*; [`super::advert`] builds the bytes.
//!
//! Time comes in as `now`, randomness from the simulation's seeded RNG, decisions go out as [`RaSend`] values,
//! so a run repeats exactly for a seed.

use std::net::Ipv6Addr;
use std::time::Duration;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::config::{
    RaIfaceConfig, MAX_INITIAL_RTR_ADVERTISEMENTS, MAX_INITIAL_RTR_ADVERT_INTERVAL, MAX_RA_DELAY_TIME,
};
use crate::id::IfIndex;
use crate::time::Instant;
use crate::wire::MacAddr;

/// How many unicast answers may wait at once; further RSs are counted and ignored, so an RS flood cannot grow
/// the daemon's memory (radvd keeps no queue at all: it answers inline).
pub const MAX_PENDING_UNICAST: usize = 1024;

/// One RA to send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaSend {
    /// A multicast RA to all-nodes (periodic, or an RS answer).
    Multicast,
    /// A unicast RA answering an RS (RFC 7772 §5.1, radvd `AdvRASolicitedUnicast`).
    Unicast {
        /// The soliciting host.
        dst: Ipv6Addr,
        /// Its link-layer address, from the RS's SLLA option.
        mac: MacAddr,
    },
    /// The final multicast RA with Router Lifetime 0 (RFC 4861 §6.2.5).
    Final,
}

/// What the daemon did, for tests, traces and the W3 benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RaStats {
    /// Multicast RAs sent (periodic and solicited), the final one excluded.
    pub multicast_sent: u64,
    /// Unicast RAs sent.
    pub unicast_sent: u64,
    /// Final RAs sent.
    pub final_sent: u64,
    /// Router Solicitations handed to the daemon.
    pub rs_received: u64,
    /// RSs ignored: invalid (SLLA with unspecified source, RFC 4861 §6.1.1), or over the unicast queue bound.
    pub rs_ignored: u64,
    /// RSs answered by moving the next multicast RA earlier, or covered by one already due.
    pub rs_multicast: u64,
}

/// The RA daemon state of one interface.
#[derive(Debug, Clone)]
pub struct RaDaemon {
    /// The interface it advertises on.
    pub ifindex: IfIndex,
    /// What it advertises.
    pub config: RaIfaceConfig,
    started_at: Instant,
    next_multicast: Instant,
    initial_left: u32,
    last_multicast: Option<Instant>,
    /// Unicast answers waiting for their random delay, in due order.
    pending: Vec<(Instant, Ipv6Addr, MacAddr)>,
    stopped: bool,
    /// Counters.
    pub stats: RaStats,
}

fn uniform(rng: &mut ChaCha8Rng, lo: Duration, hi: Duration) -> Duration {
    let (lo, hi) = (lo.as_nanos() as u64, hi.as_nanos() as u64);
    if hi <= lo {
        return Duration::from_nanos(lo);
    }
    Duration::from_nanos(rng.random_range(lo..=hi))
}

impl RaDaemon {
    /// Starts advertising at `now`: the first RA goes out at once (radvd sends one at start-up), the next
    /// [`MAX_INITIAL_RTR_ADVERTISEMENTS`] intervals are capped at 16 s (RFC 4861 §6.2.4).
    pub fn start(ifindex: IfIndex, config: RaIfaceConfig, now: Instant) -> RaDaemon {
        let periodic = config.send_advert && !config.unicast_only;
        RaDaemon {
            ifindex,
            config,
            started_at: now,
            next_multicast: if periodic { now } else { Instant::FAR_FUTURE },
            initial_left: MAX_INITIAL_RTR_ADVERTISEMENTS,
            last_multicast: None,
            pending: Vec::new(),
            stopped: false,
            stats: RaStats::default(),
        }
    }

    /// When the daemon started (for `DecrementLifetimes`).
    pub fn started_at(&self) -> Instant {
        self.started_at
    }

    /// True once [`RaDaemon::shutdown`] ran.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// When the next periodic or solicited multicast RA is due.
    pub fn next_multicast(&self) -> Instant {
        self.next_multicast
    }

    /// The earliest time [`RaDaemon::poll`] has work, or `FAR_FUTURE`.
    pub fn next_deadline(&self) -> Instant {
        let unicast = self.pending.first().map_or(Instant::FAR_FUTURE, |p| p.0);
        self.next_multicast.min(unicast)
    }

    /// The next unsolicited interval: uniform in [Min, Max]RtrAdvInterval, capped at 16 s for the first
    /// [`MAX_INITIAL_RTR_ADVERTISEMENTS`] RAs (RFC 4861 §6.2.4).
    fn next_interval(&mut self, rng: &mut ChaCha8Rng) -> Duration {
        let mut d = uniform(rng, self.config.effective_min_interval(), self.config.max_interval);
        if self.initial_left > 0 {
            self.initial_left -= 1;
            d = d.min(MAX_INITIAL_RTR_ADVERT_INTERVAL);
        }
        d
    }

    /// Emits what is due at `now` into `out`. With `can_send` false (no usable link-local source yet, link down)
    /// due RAs are put off by one second, as radvd retries an interface that is not ready.
    pub fn poll(&mut self, now: Instant, rng: &mut ChaCha8Rng, can_send: bool, out: &mut Vec<RaSend>) {
        if self.stopped {
            return;
        }
        if !can_send {
            let retry = now + Duration::from_secs(1);
            if self.next_multicast <= now {
                self.next_multicast = retry;
            }
            for p in self.pending.iter_mut().filter(|p| p.0 <= now) {
                p.0 = retry;
            }
            return;
        }
        let due = self.pending.iter().take_while(|p| p.0 <= now).count();
        for (_, dst, mac) in self.pending.drain(..due) {
            self.stats.unicast_sent += 1;
            out.push(RaSend::Unicast { dst, mac });
        }
        if self.next_multicast <= now {
            self.stats.multicast_sent += 1;
            self.last_multicast = Some(now);
            out.push(RaSend::Multicast);
            // Every multicast RA, solicited or not, restarts the periodic timer (RFC 4861 §6.2.6 last para).
            self.next_multicast = if self.config.unicast_only {
                Instant::FAR_FUTURE
            } else {
                now + self.next_interval(rng)
            };
        }
    }

    /// A valid Router Solicitation from `src` (with `slla` if it carried one) arrived at `now`
    /// (RFC 4861 §6.2.6): answer after a random delay in [0, MAX_RA_DELAY_TIME], unicast when RFC 7772
    /// unicast answers are on and the SLLA gives the link address, else by moving the next multicast RA
    /// earlier, but never sooner than MinDelayBetweenRAs after the previous multicast RA.
    ///
    /// radvd's `process_rs` sends its unicast answers at once; here they wait the random delay too, because
    /// RFC 4861 §6.2.6 says "in all cases" and a delay spreads the answers to an RS storm (W3 start-up).
    pub fn recv_rs(&mut self, now: Instant, rng: &mut ChaCha8Rng, src: Ipv6Addr, slla: Option<MacAddr>) {
        if self.stopped || !self.config.send_advert {
            return;
        }
        self.stats.rs_received += 1;
        // RFC 4861 §6.1.1: an RS from the unspecified address must not carry an SLLA.
        if src.is_unspecified() && slla.is_some() {
            self.stats.rs_ignored += 1;
            return;
        }
        let delay = uniform(rng, Duration::ZERO, MAX_RA_DELAY_TIME);
        let unicast = (self.config.solicited_unicast || self.config.unicast_only) && !src.is_unspecified();
        match (unicast, slla) {
            (true, Some(mac)) => {
                if self.pending.len() >= MAX_PENDING_UNICAST || self.pending.iter().any(|p| p.1 == src) {
                    self.stats.rs_ignored += 1;
                    return;
                }
                let at = now + delay;
                let i = self.pending.partition_point(|p| p.0 <= at);
                self.pending.insert(i, (at, src, mac));
            }
            (true, None) if self.config.unicast_only => {
                // Without a link-layer address and without multicast there is nobody to answer to.
                self.stats.rs_ignored += 1;
            }
            _ => {
                self.stats.rs_multicast += 1;
                let mut at = now + delay;
                if let Some(last) = self.last_multicast {
                    if now.saturating_since(last) < self.config.min_delay_between_ras {
                        at = last + self.config.min_delay_between_ras + delay;
                    }
                }
                // An RA already scheduled sooner answers this RS too.
                self.next_multicast = self.next_multicast.min(at);
            }
        }
    }

    /// Stops the daemon: one final multicast RA with Router Lifetime 0 (RFC 4861 §6.2.5; radvd sends one) if it
    /// was advertising; pending answers are dropped.
    pub fn shutdown(&mut self, out: &mut Vec<RaSend>) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.pending.clear();
        self.next_multicast = Instant::FAR_FUTURE;
        if self.config.send_advert {
            self.stats.final_sent += 1;
            out.push(RaSend::Final);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn daemon(max: u64) -> RaDaemon {
        let mut c = RaIfaceConfig::new("eth0");
        c.max_interval = Duration::from_secs(max);
        RaDaemon::start(IfIndex(2), c, Instant::ZERO)
    }

    fn run(d: &mut RaDaemon, rng: &mut ChaCha8Rng, until: Instant) -> Vec<(Instant, RaSend)> {
        let mut sent = Vec::new();
        let mut out = Vec::new();
        while d.next_deadline() <= until {
            let now = d.next_deadline();
            d.poll(now, rng, true, &mut out);
            sent.extend(out.drain(..).map(|s| (now, s)));
        }
        sent
    }

    #[test]
    fn first_intervals_are_capped_at_16s_rfc4861_6_2_4() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut d = daemon(600);
        let sent = run(&mut d, &mut rng, Instant::from_secs(3000));
        let t: Vec<_> = sent.iter().map(|s| s.0).collect();
        assert_eq!(t[0], Instant::ZERO);
        for w in t.windows(2).take(3) {
            assert!(w[1] - w[0] <= MAX_INITIAL_RTR_ADVERT_INTERVAL, "{w:?}");
        }
        for w in t.windows(2).skip(3) {
            let gap = w[1] - w[0];
            assert!(
                gap >= Duration::from_secs(198) && gap <= Duration::from_secs(600),
                "{gap:?}"
            );
        }
    }

    #[test]
    fn rs_answers_are_delayed_at_most_max_ra_delay_time_rfc4861_6_2_6() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut d = daemon(600);
        run(&mut d, &mut rng, Instant::from_secs(100));
        let now = Instant::from_secs(100);
        let host: Ipv6Addr = "fe80::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        d.recv_rs(now, &mut rng, host, Some(MacAddr([2, 0, 0, 0, 0, 1])));
        let due = d.next_deadline();
        assert!(due >= now && due - now <= MAX_RA_DELAY_TIME);
        let mut out = Vec::new();
        d.poll(due, &mut rng, true, &mut out);
        assert!(matches!(out[..], [RaSend::Unicast { dst, .. }] if dst == host));
    }

    #[test]
    fn multicast_answers_respect_min_delay_between_ras() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut d = daemon(600);
        d.config.solicited_unicast = false;
        let mut out = Vec::new();
        d.poll(Instant::ZERO, &mut rng, true, &mut out);
        let now = Instant::from_millis(500);
        d.recv_rs(now, &mut rng, Ipv6Addr::UNSPECIFIED, None);
        let at = d.next_multicast();
        assert!(
            at >= Instant::from_secs(3) && at <= Instant::from_millis(3500),
            "{at:?}"
        );
    }

    #[test]
    fn unicast_queue_is_bounded() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut d = daemon(600);
        for i in 0..1100u16 {
            let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, i + 1);
            d.recv_rs(Instant::ZERO, &mut rng, src, Some(MacAddr([2, 0, 0, 0, 0, 1])));
        }
        assert_eq!(d.pending.len(), MAX_PENDING_UNICAST);
        assert_eq!(d.stats.rs_ignored, 1100 - MAX_PENDING_UNICAST as u64);
    }

    #[test]
    fn shutdown_sends_one_final_and_stops() {
        let mut d = daemon(600);
        let mut out = Vec::new();
        d.shutdown(&mut out);
        d.shutdown(&mut out);
        assert_eq!(out, vec![RaSend::Final]);
        assert_eq!(d.next_deadline(), Instant::FAR_FUTURE);
    }
}
