//! The attacker node: one NIC, its own MAC and link-local address, a list of timed attacks (each a THC-IPv6 tool,
//! linux-ipv6.md G10) and three reactive behaviours: `dad-dos` (answer every DAD probe, dos-new-ip6),
//! `na-spoof` answering (answer every address-resolution NS with our MAC, parasite6) and `mitm: forward`.
//!
//! It is not a Linux host: it sends exactly the frames its tools build, answers NSs for its own addresses so
//! victims can reach it, and otherwise ignores what it receives.

use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;
use std::time::Duration;

use super::evasion::Evasion;
use super::mitm::Mitm;
use super::packets::{
    append_flood_ra, append_kill_router, append_redirect, append_rogue_ra, append_spoofed_na, Delivery, RogueRa, Spoof,
    SpoofedRedirect,
};
use crate::frame::Frame;
use crate::id::IfIndex;
use crate::node::{Ctx, Node};
use crate::time::Instant;
use crate::trace::TraceEvent;
use crate::wire::{Icmpv6Repr, L3View, MacAddr, NaFlags, NdiscRepr, WireError};

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
    /// `na-spoof` (parasite6, unsolicited part): NAs to all-nodes claiming each target for our MAC, O = 1.
    NaSpoof {
        /// Addresses to take over.
        targets: Vec<Ipv6Addr>,
        /// Claim to be a router (R = 1), when impersonating one.
        router: bool,
    },
}

/// A timed attack: what, how wrapped, how often, how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attack {
    /// What is sent.
    pub action: Action,
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
            evasion: Evasion::None,
            every: Duration::from_secs(1),
            count: Some(1),
        }
    }

    /// Sends `action` every `every`, plain, forever.
    pub fn repeat(action: Action, every: Duration) -> Attack {
        Attack {
            action,
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
            evasion: Evasion::None,
            every: Duration::from_secs(1) / per_second,
            count: Some(per_second.saturating_mul(seconds)),
        }
    }

    /// The same attack wrapped per `evasion`.
    pub fn with_evasion(mut self, evasion: Evasion) -> Attack {
        self.evasion = evasion;
        self
    }
}

/// The attacker's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttackStats {
    /// Frames sent by timed attacks.
    pub attack_frames: u64,
    /// DAD probes answered (`dad-dos`).
    pub dad_answered: u64,
    /// Address-resolution NSs answered with our MAC for someone else's address (`na-spoof`).
    pub ns_spoofed: u64,
    /// NSs for our own addresses answered.
    pub ns_answered: u64,
    /// Frames relayed (`mitm: forward`).
    pub relayed: u64,
}

#[derive(Debug, Clone)]
struct Job {
    attack: Attack,
    next_at: Instant,
    sent: u32,
}

/// An attacker on one Ethernet segment.
#[derive(Debug)]
pub struct Attacker {
    name: String,
    /// The NIC's MAC.
    pub mac: MacAddr,
    /// Our link-local address (EUI-64 of the MAC) and any others we answer for.
    pub addrs: Vec<Ipv6Addr>,
    /// `dad-dos`: answer every DAD probe, wrapped per this evasion.
    pub dad_dos: Option<Evasion>,
    /// `na-spoof`: answer every address-resolution NS for another node's address with our MAC.
    pub answer_ns: bool,
    /// `mitm: forward`: relay frames sent to us for others.
    pub mitm: Option<Mitm>,
    /// Counters.
    pub stats: AttackStats,
    jobs: Vec<Job>,
    next_ident: u32,
    buf: Vec<u8>,
}

impl Attacker {
    /// The attacker's only interface index (1 would be `lo` on a host).
    pub const IFINDEX: IfIndex = IfIndex(2);

    /// An attacker with MAC `mac` and its EUI-64 link-local address, doing nothing yet.
    pub fn new(name: impl Into<String>, mac: MacAddr) -> Attacker {
        Attacker {
            name: name.into(),
            mac,
            addrs: vec![mac.eui64_link_local()],
            dad_dos: None,
            answer_ns: false,
            mitm: None,
            stats: AttackStats::default(),
            jobs: Vec::new(),
            next_ident: 0x6600_0000,
            buf: Vec::new(),
        }
    }

    /// Our link-local address.
    pub fn link_local(&self) -> Ipv6Addr {
        self.mac.eui64_link_local()
    }

    fn me(&self) -> Spoof {
        Spoof {
            mac: self.mac,
            ip: self.link_local(),
        }
    }

    /// Starts `attack` with its first send at `at`.
    pub fn launch(&mut self, at: Instant, attack: Attack) {
        self.jobs.push(Job {
            attack,
            next_at: at,
            sent: 0,
        });
    }

    /// Stops every timed attack.
    pub fn stop_all(&mut self) {
        self.jobs.clear();
    }

    fn delivery(&mut self, evasion: Evasion) -> Delivery {
        self.next_ident = self.next_ident.wrapping_add(1);
        Delivery {
            evasion,
            ident: self.next_ident,
            ..Delivery::all_nodes()
        }
    }

    fn fire(&mut self, ctx: &mut Ctx<'_>, attack: &Attack) -> Result<(), WireError> {
        let mut to = self.delivery(attack.evasion);
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let ranges = match &attack.action {
            Action::RogueRa(ra) => append_rogue_ra(&mut buf, self.me(), to, ra),
            Action::KillRouter {
                router,
                router_mac,
                spoof_mac,
            } => {
                let mac = if *spoof_mac { *router_mac } else { self.mac };
                append_kill_router(&mut buf, Spoof { mac, ip: *router }, to)
            }
            Action::RaFlood { prefixes, lifetime } => {
                append_flood_ra(&mut buf, ctx.rng, to, *prefixes, *lifetime).map(|(_, r)| r)
            }
            Action::Redirect {
                first_hop,
                victim,
                victim_mac,
                redirect,
            } => {
                to.dst = *victim;
                to.dst_mac = *victim_mac;
                append_redirect(&mut buf, *first_hop, to, redirect)
            }
            Action::NaSpoof { targets, router } => {
                let flags = NaFlags {
                    router: *router,
                    solicited: false,
                    override_: true,
                };
                let mut all = Vec::new();
                for &t in targets {
                    let from = Spoof { mac: self.mac, ip: t };
                    all.extend(append_spoofed_na(&mut buf, from, to, t, self.mac, flags)?);
                }
                Ok(all)
            }
        };
        let result = ranges.map(|ranges| {
            for r in ranges {
                self.stats.attack_frames += 1;
                ctx.send(Self::IFINDEX, buf[r].to_vec());
            }
        });
        self.buf = buf;
        result
    }

    /// Answers an NS: DAD probes under `dad-dos` (dos-new-ip6), our own addresses always, anyone else's under
    /// `na-spoof` (parasite6).
    fn on_ns(&mut self, ctx: &mut Ctx<'_>, src: Ipv6Addr, src_mac: MacAddr, target: Ipv6Addr) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let ours = self.addrs.contains(&target);
        let (to, flags, evasion_count) = if src.is_unspecified() {
            let Some(evasion) = self.dad_dos.filter(|_| !ours) else {
                self.buf = buf;
                return;
            };
            // A DAD answer goes to all-nodes, S = 0 (RFC 4861 §7.2.4): the prober fails DAD (RFC 4862 §5.4.4).
            let to = self.delivery(evasion);
            (
                to,
                NaFlags {
                    router: false,
                    solicited: false,
                    override_: true,
                },
                &mut self.stats.dad_answered,
            )
        } else if ours || self.answer_ns {
            let to = Delivery {
                dst: src,
                dst_mac: src_mac,
                ..Delivery::all_nodes()
            };
            let flags = NaFlags {
                router: self.mitm.is_some(),
                solicited: true,
                override_: true,
            };
            let counter = if ours {
                &mut self.stats.ns_answered
            } else {
                &mut self.stats.ns_spoofed
            };
            (to, flags, counter)
        } else {
            self.buf = buf;
            return;
        };
        *evasion_count += 1;
        let from = Spoof {
            mac: self.mac,
            ip: target,
        };
        if let Ok(ranges) = append_spoofed_na(&mut buf, from, to, target, self.mac, flags) {
            for r in ranges {
                ctx.send(Self::IFINDEX, buf[r].to_vec());
            }
        }
        self.buf = buf;
    }
}

impl Node for Attacker {
    fn handle_frame(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &Rc<Frame>) {
        if ifindex != Self::IFINDEX {
            return;
        }
        let Ok(view) = frame.view() else {
            return; // malformed: dropped, as by any receiver
        };
        if let Some(m) = self.mitm.as_mut() {
            m.learn(&view, self.mac);
            let addrs = &self.addrs;
            if let Some(out) = m.relay(frame.bytes(), &view, self.mac, |ip| match ip {
                IpAddr::V6(a) => addrs.contains(&a),
                IpAddr::V4(_) => false,
            }) {
                self.stats.relayed += 1;
                // The trace shows the packet crossing the attacker: a forwarding step by this node, with no
                // routing table (table 0) because the relay is a layer-2 rewrite.
                if let Some(dst) = view
                    .ipv6_addrs()
                    .map(|a| IpAddr::V6(a.1))
                    .or(view.ipv4_addrs().map(|a| IpAddr::V4(a.1)))
                {
                    ctx.trace(|| TraceEvent::Routed {
                        dst,
                        dev: Self::IFINDEX,
                        via: None,
                        table: 0,
                        forwarded: true,
                    });
                }
                ctx.send(Self::IFINDEX, out);
                return;
            }
        }
        let L3View::Ipv6(ip) = view.l3 else {
            return;
        };
        if ip.repr.hop_limit != 255 {
            return;
        }
        if let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target, .. }))) = view.icmpv6() {
            self.on_ns(ctx, ip.repr.src, view.src, target);
        }
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let mut jobs = std::mem::take(&mut self.jobs);
        for job in jobs.iter_mut() {
            while job.next_at <= now && job.attack.count.is_none_or(|c| job.sent < c) {
                // A packet the builders refuse (e.g. too long) is skipped, the schedule goes on.
                let _ = self.fire(ctx, &job.attack);
                job.sent += 1;
                job.next_at += job.attack.every.max(Duration::from_nanos(1));
            }
        }
        jobs.retain(|j| j.attack.count.is_none_or(|c| j.sent < c));
        // Attacks launched while firing (none today) would be in self.jobs: keep both.
        jobs.append(&mut self.jobs);
        self.jobs = jobs;
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.jobs.iter().map(|j| j.next_at).min()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;
    use crate::trace::Trace;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Runs the attacker's timer at `now` and returns the frames it queued.
    fn tick(a: &mut Attacker, now: Instant, rng: &mut ChaCha8Rng) -> Vec<(IfIndex, Rc<Frame>)> {
        let mut outbox = Vec::new();
        let mut trace = Trace::default();
        let mut ctx = Ctx {
            now,
            node: NodeId(0),
            rng,
            outbox: &mut outbox,
            trace: &mut trace,
            timers_unchanged: false,
        };
        a.handle_timeout(&mut ctx);
        outbox
    }

    #[test]
    fn a_repeated_attack_fires_on_schedule_and_a_counted_one_ends() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut a = Attacker::new("m", MacAddr([2, 0xaa, 0, 0, 0, 1]));
        assert_eq!(a.poll_timeout(), None);
        a.launch(Instant::from_secs(1), Attack::ra_flood(4, 1, 1));
        assert_eq!(Attack::ra_flood(4, 1, 1).every, Duration::from_millis(250));
        assert_eq!(a.poll_timeout(), Some(Instant::from_secs(1)));
        // Late by half a second: the three sends that were due go out at once, the fourth stays scheduled.
        let sent = tick(&mut a, Instant::from_millis(1500), &mut rng);
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|(i, _)| *i == Attacker::IFINDEX));
        assert_eq!(a.poll_timeout(), Some(Instant::from_millis(1750)));
        assert_eq!(tick(&mut a, Instant::from_secs(2), &mut rng).len(), 1);
        assert_eq!(a.poll_timeout(), None, "count reached: the job is gone");
        assert_eq!(a.stats.attack_frames, 4);
    }

    #[test]
    fn the_split_evasion_sends_several_frames_per_packet() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut a = Attacker::new("m", MacAddr([2, 0xaa, 0, 0, 0, 1]));
        let rogue = Action::RogueRa(RogueRa::new(Ipv6Addr::new(0x2001, 0xdb8, 0xbad, 0, 0, 0, 0, 0)));
        a.launch(
            Instant::ZERO,
            Attack::once(rogue).with_evasion(Evasion::FragmentedDestOpts),
        );
        let sent = tick(&mut a, Instant::ZERO, &mut rng);
        assert!(sent.len() >= 2, "{}", sent.len());
        a.stop_all();
        assert_eq!(a.poll_timeout(), None);
    }
}
