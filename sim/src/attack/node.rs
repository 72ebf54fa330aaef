//! The attacker node: one or more NICs (each with its own MAC and EUI-64 link-local address, on its own
//! segment), a list of timed attacks (each a THC-IPv6 tool, linux-ipv6.md G10, sent from one NIC) and, per NIC,
//! the reactive behaviours of [`super::react`] (`dad-dos`, parasite6's NS answering) and `mitm: forward`
//! ([`super::mitm`], which can also relay between the NICs' segments).
//!
//! It is not a Linux host: it sends exactly the frames its tools build, answers NSs for its own addresses so
//! victims can reach it, and otherwise ignores what it receives.

use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;
use std::time::Duration;

use super::action::{Action, Attack};
use super::evasion::Evasion;
use super::mitm::Mitm;
use super::packets::{
    append_flood_ra, append_kill_router, append_redirect, append_rogue_ra, append_spoofed_na, Delivery, Spoof,
};
use super::react::{DadDos, NsSpoof};
use crate::frame::Frame;
use crate::id::IfIndex;
use crate::node::{Ctx, Node};
use crate::time::Instant;
use crate::trace::TraceEvent;
use crate::wire::{Icmpv6Repr, L3View, MacAddr, NaFlags, NdiscRepr, WireError};

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

/// One NIC of the attacker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// Its interface index (2 for the first, as `eth0` on Linux, then 3, …).
    pub ifindex: IfIndex,
    /// Its MAC.
    pub mac: MacAddr,
    /// `dad-dos` on this NIC's segment.
    pub dad_dos: Option<DadDos>,
    /// parasite6's NS answering on this NIC's segment.
    pub ns_spoof: Option<NsSpoof>,
    /// We play a router on this segment (a rogue RA went out of this NIC): our own NAs carry R = 1, else a host
    /// that took us as its router would drop us from its default router list (RFC 4861 §7.2.5).
    pub router: bool,
}

impl Nic {
    fn new(ifindex: IfIndex, mac: MacAddr) -> Nic {
        Nic {
            ifindex,
            mac,
            dad_dos: None,
            ns_spoof: None,
            router: false,
        }
    }

    /// Its link-local address.
    pub fn link_local(&self) -> Ipv6Addr {
        self.mac.eui64_link_local()
    }
}

#[derive(Debug, Clone)]
struct Job {
    attack: Attack,
    next_at: Instant,
    sent: u32,
}

/// An attacker with NICs on one or more Ethernet segments.
#[derive(Debug)]
pub struct Attacker {
    name: String,
    nics: Vec<Nic>,
    /// Our addresses, answered on any NIC: each NIC's link-local address (EUI-64 of its MAC) and any others.
    pub addrs: Vec<Ipv6Addr>,
    /// `mitm: forward`: relay frames sent to us for others (on the NICs it is enabled for).
    pub mitm: Option<Mitm>,
    /// Counters.
    pub stats: AttackStats,
    jobs: Vec<Job>,
    next_ident: u32,
    pub(super) buf: Vec<u8>,
}

impl Attacker {
    /// The first NIC's interface index (1 would be `lo` on a host).
    pub const IFINDEX: IfIndex = IfIndex(2);

    /// An attacker with one NIC of MAC `mac` (and its EUI-64 link-local address), doing nothing yet.
    pub fn new(name: impl Into<String>, mac: MacAddr) -> Attacker {
        Attacker {
            name: name.into(),
            nics: vec![Nic::new(Self::IFINDEX, mac)],
            addrs: vec![mac.eui64_link_local()],
            mitm: None,
            stats: AttackStats::default(),
            jobs: Vec::new(),
            next_ident: 0x6600_0000,
            buf: Vec::new(),
        }
    }

    /// Adds a NIC with MAC `mac`; returns its interface index (the next after the last one).
    pub fn add_nic(&mut self, mac: MacAddr) -> IfIndex {
        let last = self.nics.last().map_or(Self::IFINDEX.0 - 1, |n| n.ifindex.0);
        let ifindex = IfIndex(last + 1);
        self.nics.push(Nic::new(ifindex, mac));
        self.addrs.push(mac.eui64_link_local());
        ifindex
    }

    /// The NICs, first one first.
    pub fn nics(&self) -> &[Nic] {
        &self.nics
    }

    /// The NIC with interface index `ifindex`.
    pub fn nic(&self, ifindex: IfIndex) -> Option<&Nic> {
        self.nics.iter().find(|n| n.ifindex == ifindex)
    }

    /// The NIC with interface index `ifindex`, to change its reactive behaviours.
    pub fn nic_mut(&mut self, ifindex: IfIndex) -> Option<&mut Nic> {
        self.nics.iter_mut().find(|n| n.ifindex == ifindex)
    }

    /// The first NIC's MAC.
    pub fn mac(&self) -> MacAddr {
        self.nics.first().map_or(MacAddr([0; 6]), |n| n.mac)
    }

    /// The first NIC's link-local address.
    pub fn link_local(&self) -> Ipv6Addr {
        self.mac().eui64_link_local()
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

    pub(super) fn delivery(&mut self, evasion: Evasion) -> Delivery {
        self.next_ident = self.next_ident.wrapping_add(1);
        Delivery {
            evasion,
            ident: self.next_ident,
            ..Delivery::all_nodes()
        }
    }

    fn fire(&mut self, ctx: &mut Ctx<'_>, attack: &Attack) -> Result<(), WireError> {
        // An attack naming a NIC we do not have sends nothing (the harness checks names before).
        let Some(mac) = self.nic(attack.ifindex).map(|n| n.mac) else {
            return Ok(());
        };
        let me = Spoof {
            mac,
            ip: mac.eui64_link_local(),
        };
        let mut to = self.delivery(attack.evasion);
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let ranges = match &attack.action {
            Action::RogueRa(ra) => {
                if let Some(n) = self.nic_mut(attack.ifindex) {
                    n.router |= ra.router_lifetime > 0;
                }
                append_rogue_ra(&mut buf, me, to, ra)
            }
            Action::KillRouter {
                router,
                router_mac,
                spoof_mac,
            } => {
                let mac = if *spoof_mac { *router_mac } else { mac };
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
            Action::NaSpoof {
                targets,
                router,
                override_,
                victim,
            } => {
                let flags = NaFlags {
                    router: *router,
                    solicited: false,
                    override_: *override_,
                };
                if let Some((ip, mac)) = victim {
                    to.dst = *ip;
                    to.dst_mac = *mac;
                }
                let mut all = Vec::new();
                for &t in targets {
                    let from = Spoof { mac, ip: t };
                    all.extend(append_spoofed_na(&mut buf, from, to, t, mac, flags)?);
                }
                Ok(all)
            }
        };
        let result = ranges.map(|ranges| {
            for r in ranges {
                self.stats.attack_frames += 1;
                ctx.send(attack.ifindex, buf[r].to_vec());
            }
        });
        self.buf = buf;
        result
    }

    /// Relays `frame` under `mitm: forward` if it was attracted on a relaying NIC; true if it was.
    fn relay(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        frame: &Rc<Frame>,
        view: &crate::wire::FrameView<'_>,
    ) -> bool {
        let Some(m) = self.mitm.as_mut() else {
            return false;
        };
        let (nics, addrs) = (&self.nics, &self.addrs);
        m.learn(view, ifindex, |mac| nics.iter().any(|n| n.mac == mac));
        let mac_of = |i: IfIndex| nics.iter().find(|n| n.ifindex == i).map(|n| n.mac);
        let is_own = |ip: IpAddr| match ip {
            IpAddr::V6(a) => addrs.contains(&a),
            IpAddr::V4(_) => false,
        };
        let Some(out) = m.relay(frame.bytes(), view, ifindex, mac_of, is_own) else {
            return false;
        };
        self.stats.relayed += 1;
        // The trace shows the packet crossing the attacker: a forwarding step by this node out of the NIC it
        // leaves by, with no routing table (table 0) because the relay is a layer-2 rewrite.
        ctx.trace(|| TraceEvent::Routed {
            dst: out.dst,
            dev: out.ifindex,
            via: None,
            table: 0,
            forwarded: true,
        });
        ctx.send(out.ifindex, out.frame);
        true
    }
}

impl Node for Attacker {
    fn handle_frame(&mut self, ctx: &mut Ctx<'_>, ifindex: IfIndex, frame: &Rc<Frame>) {
        if self.nic(ifindex).is_none() {
            return;
        }
        let Ok(view) = frame.view() else {
            return; // malformed: dropped, as by any receiver
        };
        if self.relay(ctx, ifindex, frame, &view) {
            return;
        }
        let L3View::Ipv6(ip) = view.l3 else {
            return;
        };
        if ip.repr.hop_limit != 255 {
            return;
        }
        if let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target, .. }))) = view.icmpv6() {
            self.on_ns(ctx, ifindex, ip.repr.src, view.src, target);
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
    use crate::attack::packets::RogueRa;
    use crate::attack::react::Victim;
    use crate::id::NodeId;
    use crate::trace::Trace;
    use crate::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
    use crate::wire::ipv6::solicited_node;
    use crate::wire::NdOptions;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Runs `f` on the attacker with a context at `now` and returns the frames it queued.
    fn run(
        a: &mut Attacker,
        now: Instant,
        rng: &mut ChaCha8Rng,
        f: impl FnOnce(&mut Attacker, &mut Ctx<'_>),
    ) -> Vec<(IfIndex, Rc<Frame>)> {
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
        f(a, &mut ctx);
        outbox
    }

    /// Runs the attacker's timer at `now` and returns the frames it queued.
    fn tick(a: &mut Attacker, now: Instant, rng: &mut ChaCha8Rng) -> Vec<(IfIndex, Rc<Frame>)> {
        run(a, now, rng, |a, ctx| a.handle_timeout(ctx))
    }

    /// An address-resolution NS for `target` from `src` / `mac` (to the solicited-node group).
    fn ns_from(mac: MacAddr, src: Ipv6Addr, target: Ipv6Addr) -> Rc<Frame> {
        let dst = solicited_node(target);
        let l2 = L2 {
            src: mac,
            dst: MacAddr::from_ipv6_multicast(dst),
            vlan: None,
        };
        let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target,
            options: NdOptions::Reprs(&[]),
        });
        Frame::new(ipv6_frame(l2, &Ipv6Params::new(src, dst, 255), &Upper::Icmpv6(ns)).unwrap_or_default())
    }

    /// A DAD probe for `target` from `mac` (source ::, RFC 4862 §5.4.2).
    fn dad_probe(mac: MacAddr, target: Ipv6Addr) -> Rc<Frame> {
        ns_from(mac, Ipv6Addr::UNSPECIFIED, target)
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

    #[test]
    fn each_nic_sends_its_own_attacks_and_answers_only_its_own_segments_probes() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mac_a, mac_b) = (MacAddr([2, 0xaa, 0, 0, 0, 1]), MacAddr([2, 0xaa, 0, 0, 0, 2]));
        let mut a = Attacker::new("m", mac_a);
        let b = a.add_nic(mac_b);
        assert_eq!((b, a.nics().len()), (IfIndex(3), 2));
        let rogue = Action::RogueRa(RogueRa::new(Ipv6Addr::new(0x2001, 0xdb8, 0xbad, 0, 0, 0, 0, 0)));
        a.launch(Instant::ZERO, Attack::once(rogue).on(b));
        let sent = tick(&mut a, Instant::ZERO, &mut rng);
        assert_eq!(sent.len(), 1);
        let view = sent[0].1.view().expect("parses");
        assert_eq!((sent[0].0, view.src), (b, mac_b), "from NIC b with b's MAC");
        assert_eq!(view.ipv6_addrs().map(|x| x.0), Some(mac_b.eui64_link_local()));
        // dos-new-ip6 on NIC b against one prober: its probes are answered there, nobody else's, nothing on a.
        let (victim, other) = (MacAddr([2, 0, 0, 0, 0, 0x10]), MacAddr([2, 0, 0, 0, 0, 0x20]));
        if let Some(n) = a.nic_mut(b) {
            n.dad_dos = Some(DadDos {
                victim: Victim::Mac(victim),
                evasion: Evasion::None,
            });
        }
        let t = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7);
        let on = |a: &mut Attacker, rng: &mut ChaCha8Rng, nic: IfIndex, from: MacAddr| {
            run(a, Instant::ZERO, rng, |a, ctx| {
                a.handle_frame(ctx, nic, &dad_probe(from, t))
            })
        };
        assert!(
            on(&mut a, &mut rng, Attacker::IFINDEX, victim).is_empty(),
            "nic a has no dad-dos"
        );
        assert!(on(&mut a, &mut rng, b, other).is_empty(), "not the victim");
        let answer = on(&mut a, &mut rng, b, victim);
        assert_eq!(answer.len(), 1);
        let view = answer[0].1.view().expect("parses");
        let Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { target, flags, .. }))) = view.icmpv6() else {
            panic!("not an NA");
        };
        assert_eq!(
            (answer[0].0, target, view.ipv6_addrs()),
            (b, t, Some((t, crate::wire::ipv6::ALL_NODES)))
        );
        assert!(flags.override_ && !flags.solicited);
        assert_eq!(a.stats.dad_answered, 1);
        // Address resolution of our own link-locals: R = 1 only where we sent a rogue RA (RFC 4861 §7.2.5).
        let resolve = |a: &mut Attacker, rng: &mut ChaCha8Rng, nic: IfIndex, mac: MacAddr| {
            let src = victim.eui64_link_local();
            let ns = ns_from(victim, src, mac.eui64_link_local());
            let out = run(a, Instant::ZERO, rng, |a, ctx| a.handle_frame(ctx, nic, &ns));
            let view = out.first().and_then(|(_, f)| f.view().ok());
            match view.as_ref().and_then(|v| v.icmpv6()) {
                Some(Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { flags, .. }))) => Some(flags.router),
                _ => None,
            }
        };
        assert_eq!(resolve(&mut a, &mut rng, b, mac_b), Some(true));
        assert_eq!(resolve(&mut a, &mut rng, Attacker::IFINDEX, mac_a), Some(false));
        assert_eq!(a.stats.ns_answered, 2);
    }
}
