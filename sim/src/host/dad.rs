//! Duplicate Address Detection (RFC 4862 §5.4) as Linux runs it (net/ipv6/addrconf.c `addrconf_dad_*`,
//! linux-ipv6.md A24–A25, C4–C11), sans-I/O: one state machine per tentative address, actions out, and
//! [`DadTable::next_deadline`] for the engine.
//!
//! The host owns the address list and its flags; this module says when to send each DAD NS, when DAD succeeded,
//! and what a failure means for the address ([`DadFailure`]), which the host applies.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;
use std::time::Duration;

use crate::host::iid::{solicited_node, solicited_node_mac};
use crate::id::IfIndex;
use crate::time::Instant;
use crate::wire::MacAddr;

/// The interface settings DAD reads, resolved by the host (linux-ipv6.md A3, A24, A25, A27, A28).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DadConfig {
    /// `dad_transmits` (default 1).
    pub dad_transmits: u32,
    /// ND `retrans_time` (default 1 s; an RA may change it).
    pub retrans_time: Duration,
    /// `router_solicitation_delay` (default 1 s): the start delay is random in [0, this).
    pub rtr_solicit_delay: Duration,
    /// Effective `accept_dad` = max(all, IF) ([`effective_accept_dad`]).
    pub accept_dad: u8,
    /// `enhanced_dad` of all OR IF (default 1): send an RFC 7527 nonce.
    pub enhanced_dad: bool,
    /// `net.ipv6.idgen_retries` (default 3).
    pub idgen_retries: u32,
    /// `net.ipv6.idgen_delay` (default 1 s).
    pub idgen_delay: Duration,
    /// `fe80::` + the EUI-64 of the current MAC, if the device has one: the address accept_dad=2 guards.
    pub mac_link_local: Option<Ipv6Addr>,
    /// The device is loopback or NOARP: DAD is skipped (`addrconf_dad_begin`).
    pub noarp: bool,
}

impl Default for DadConfig {
    /// Linux defaults for an Ethernet interface.
    fn default() -> Self {
        DadConfig {
            dad_transmits: 1,
            retrans_time: Duration::from_secs(1),
            rtr_solicit_delay: Duration::from_secs(1),
            accept_dad: 1,
            enhanced_dad: true,
            idgen_retries: 3,
            idgen_delay: Duration::from_secs(1),
            mac_link_local: None,
            noarp: false,
        }
    }
}

/// `accept_dad` as the kernel reads it: max(all, IF) (linux-ipv6.md A3, A25).
pub fn effective_accept_dad(all: i32, iface: i32) -> u8 {
    u8::try_from(all.max(iface).clamp(0, 2)).unwrap_or(0)
}

/// The address flags that decide what a DAD failure does (`IFA_F_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrKind {
    /// `IFA_F_PERMANENT`: added by hand or the link-local (C7).
    pub permanent: bool,
    /// `IFA_F_TEMPORARY`: an RFC 8981 temporary address (C8).
    pub temporary: bool,
    /// `IFA_F_STABLE_PRIVACY` with its `stable_privacy_retry` (the dad_count it was generated with) (C9).
    pub stable_privacy: Option<u8>,
    /// `IFA_F_NODAD`: skip DAD.
    pub nodad: bool,
    /// `IFA_F_OPTIMISTIC` (RFC 4429, C11): start without delay; the address is usable while tentative.
    pub optimistic: bool,
}

/// What the host does with an address whose DAD failed (`addrconf_dad_stop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Permanent (manual, link-local): keep it as `dadfailed tentative`, never used (C7).
    KeepDadFailed,
    /// Anything else (SLAAC, temporary, stable-privacy SLAAC): delete it; the prefix route stays (C6).
    Delete,
}

/// Whether a replacement address is to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regenerate {
    /// None.
    No,
    /// A new temporary address from the same public one (`ipv6_create_tempaddr`, C8).
    Temporary,
    /// A stable-privacy address with this `dad_count`, whose DAD starts after `idgen_delay`
    /// (`addrconf_dad_failure`, C9); the host computes it with `iid::stable_privacy_address` and calls
    /// [`DadTable::start_at`].
    StablePrivacy {
        /// `stable_privacy_retry + 1`.
        dad_count: u8,
        /// When the new address's DAD begins.
        begin_at: Instant,
    },
    /// `idgen_retries` exhausted: "privacy stable address generation failed because of DAD conflicts".
    StablePrivacyGaveUp,
}

/// The outcome of a failed DAD, applied by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DadFailure {
    /// Keep as dadfailed or delete.
    pub disposition: Disposition,
    /// Make a replacement.
    pub regenerate: Regenerate,
    /// accept_dad=2 and the MAC-derived link-local failed: set `disable_ipv6=1` and remove every address of the
    /// interface (`addrconf_dad_work` → `addrconf_ifdown`, C10).
    pub disable_ipv6: bool,
}

/// What the host must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DadAction {
    /// Send a DAD NS: source `::`, destination the solicited-node group, no SLLA, the nonce option if any
    /// (`ndisc_send_ns(dev, addr, mcaddr, &in6addr_any, nonce)`).
    SendNs {
        /// Interface.
        ifindex: IfIndex,
        /// The tentative address.
        target: Ipv6Addr,
        /// Its solicited-node group.
        dst: Ipv6Addr,
        /// `33:33:ff:…` of that group.
        dst_mac: MacAddr,
        /// RFC 7527 nonce.
        nonce: Option<[u8; 6]>,
    },
    /// DAD is over without conflict: clear `tentative`/`optimistic` and run `addrconf_dad_completed` (first RS
    /// after the link-local, C4).
    Succeeded {
        /// Interface.
        ifindex: IfIndex,
        /// The address.
        addr: Ipv6Addr,
    },
    /// A duplicate was detected.
    Failed {
        /// Interface.
        ifindex: IfIndex,
        /// The address.
        addr: Ipv6Addr,
        /// What to do with it.
        failure: DadFailure,
    },
}

/// What a DAD NS for one of our addresses means ([`DadTable::recv_ns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DadNsVerdict {
    /// No DAD runs for that target on that interface.
    NotTracked,
    /// The address waits for its DAD to begin (`PREDAD`): the NS is ignored, not answered.
    Ignored,
    /// Our own NS looped back (same nonce): ignored (RFC 7527, C5).
    LoopedBack,
    /// Another node is doing DAD for it: our DAD failed; the action was emitted.
    Conflict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `INET6_IFADDR_STATE_PREDAD`: DAD begins at the timer.
    PreDad,
    /// `INET6_IFADDR_STATE_DAD`: random delay, then probes.
    Dad,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    phase: Phase,
    kind: AddrKind,
    cfg: DadConfig,
    probes_left: u32,
    nonce: Option<[u8; 6]>,
    timer: Instant,
}

/// One address to run DAD for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DadStart {
    /// Interface.
    pub ifindex: IfIndex,
    /// The tentative address.
    pub addr: Ipv6Addr,
    /// Its flags.
    pub kind: AddrKind,
    /// The interface settings at start.
    pub cfg: DadConfig,
}

/// The DAD state of one node: every address whose DAD runs, keyed by (interface, address).
#[derive(Debug, Default)]
pub struct DadTable {
    runs: BTreeMap<(IfIndex, Ipv6Addr), Run>,
}

impl DadTable {
    /// An empty table.
    pub fn new() -> DadTable {
        DadTable::default()
    }

    /// Starts DAD for a new tentative address now (`addrconf_dad_start` → `addrconf_dad_begin`).
    pub fn start<R: rand::Rng + ?Sized>(&mut self, now: Instant, req: DadStart, rng: &mut R, out: &mut Vec<DadAction>) {
        self.start_at(now, now, req, rng, out);
    }

    /// Starts DAD at `begin` (a regenerated stable-privacy address waits `idgen_delay`, C9). Until then a DAD NS
    /// for the address is ignored.
    ///
    /// `addrconf_dad_begin`: no DAD for NOARP devices, `accept_dad` = 0 or NODAD: success at once (A25). Otherwise
    /// `addrconf_dad_kick`: a random delay in [0, `rtr_solicitation_delay`) (0 when optimistic, C11), a 6-byte
    /// non-zero nonce when `enhanced_dad`, and `dad_transmits` probes.
    pub fn start_at<R: rand::Rng + ?Sized>(
        &mut self,
        now: Instant,
        begin: Instant,
        req: DadStart,
        rng: &mut R,
        out: &mut Vec<DadAction>,
    ) {
        let DadStart {
            ifindex,
            addr,
            kind,
            cfg,
        } = req;
        let key = (ifindex, addr);
        if begin > now {
            let run = Run {
                phase: Phase::PreDad,
                kind,
                cfg,
                probes_left: 0,
                nonce: None,
                timer: begin,
            };
            self.runs.insert(key, run);
            return;
        }
        self.begin(now, key, kind, cfg, rng, out);
    }

    fn begin<R: rand::Rng + ?Sized>(
        &mut self,
        now: Instant,
        key: (IfIndex, Ipv6Addr),
        kind: AddrKind,
        cfg: DadConfig,
        rng: &mut R,
        out: &mut Vec<DadAction>,
    ) {
        if cfg.noarp || cfg.accept_dad == 0 || kind.nodad {
            self.runs.remove(&key);
            out.push(DadAction::Succeeded {
                ifindex: key.0,
                addr: key.1,
            });
            return;
        }
        let delay = if kind.optimistic {
            Duration::ZERO
        } else {
            let ms = u64::try_from(cfg.rtr_solicit_delay.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
            Duration::from_millis((u64::from(rng.next_u32()) * ms.min(u64::from(u32::MAX))) >> 32)
        };
        let nonce = cfg.enhanced_dad.then(|| loop {
            let mut n = [0u8; 6];
            rng.fill_bytes(&mut n);
            if n != [0; 6] {
                break n;
            }
        });
        let run = Run {
            phase: Phase::Dad,
            kind,
            cfg,
            probes_left: cfg.dad_transmits,
            nonce,
            timer: now + delay,
        };
        self.runs.insert(key, run);
    }

    /// Forgets the DAD of an address (deleted, or the interface went down).
    pub fn cancel(&mut self, ifindex: IfIndex, addr: Ipv6Addr) -> bool {
        self.runs.remove(&(ifindex, addr)).is_some()
    }

    /// Forgets every DAD of an interface.
    pub fn cancel_interface(&mut self, ifindex: IfIndex) {
        self.runs.retain(|(i, _), _| *i != ifindex);
    }

    /// DAD runs (or waits to begin) for this address: it is tentative.
    pub fn is_running(&self, ifindex: IfIndex, addr: Ipv6Addr) -> bool {
        self.runs.contains_key(&(ifindex, addr))
    }

    /// The address is optimistic and under DAD: usable, and a unicast NS for it is answered (B41, C11).
    pub fn is_optimistic(&self, ifindex: IfIndex, addr: Ipv6Addr) -> bool {
        self.runs.get(&(ifindex, addr)).is_some_and(|r| r.kind.optimistic)
    }

    /// The nonce of the running DAD, if any.
    pub fn nonce(&self, ifindex: IfIndex, addr: Ipv6Addr) -> Option<[u8; 6]> {
        self.runs.get(&(ifindex, addr)).and_then(|r| r.nonce)
    }

    /// When [`DadTable::poll`] must next run.
    pub fn next_deadline(&self) -> Instant {
        self.runs.values().map(|r| r.timer).min().unwrap_or(Instant::FAR_FUTURE)
    }

    /// `addrconf_dad_work` for every address due: PREDAD → begin; then, while probes remain, send one and wait
    /// `retrans_time`; after the last wait (or at once with `dad_transmits` = 0), success (RFC 4862 §5.4.3, A24).
    pub fn poll<R: rand::Rng + ?Sized>(&mut self, now: Instant, rng: &mut R, out: &mut Vec<DadAction>) {
        while let Some((key, run)) = self
            .runs
            .iter()
            .filter(|(_, r)| r.timer <= now)
            .min_by_key(|(k, r)| (r.timer, **k))
        {
            let (key, run) = (*key, *run);
            match run.phase {
                Phase::PreDad => self.begin(now, key, run.kind, run.cfg, rng, out),
                Phase::Dad if run.probes_left == 0 => {
                    self.runs.remove(&key);
                    out.push(DadAction::Succeeded {
                        ifindex: key.0,
                        addr: key.1,
                    });
                }
                Phase::Dad => {
                    let next = run.timer + run.cfg.retrans_time.max(Duration::from_millis(10));
                    if let Some(r) = self.runs.get_mut(&key) {
                        r.probes_left -= 1;
                        r.timer = next;
                    }
                    out.push(DadAction::SendNs {
                        ifindex: key.0,
                        target: key.1,
                        dst: solicited_node(key.1),
                        dst_mac: solicited_node_mac(key.1),
                        nonce: run.nonce,
                    });
                }
            }
        }
    }

    /// A DAD NS (source `::`) for `target` (`ndisc_recv_ns`, C5): our nonce → looped back; otherwise a conflict
    /// while DAD runs; ignored while the address waits in PREDAD (`addrconf_dad_end`).
    pub fn recv_ns(
        &mut self,
        now: Instant,
        ifindex: IfIndex,
        target: Ipv6Addr,
        nonce: Option<[u8; 6]>,
        out: &mut Vec<DadAction>,
    ) -> DadNsVerdict {
        let Some(run) = self.runs.get(&(ifindex, target)) else {
            return DadNsVerdict::NotTracked;
        };
        if run.phase == Phase::PreDad {
            return DadNsVerdict::Ignored;
        }
        if nonce.is_some() && nonce == run.nonce {
            return DadNsVerdict::LoopedBack;
        }
        self.fail(now, ifindex, target, out);
        DadNsVerdict::Conflict
    }

    /// An NA for `target` that was not looped back (`ndisc_recv_na`, C5): DAD fails if it runs. Returns whether
    /// it did.
    pub fn recv_na(&mut self, now: Instant, ifindex: IfIndex, target: Ipv6Addr, out: &mut Vec<DadAction>) -> bool {
        match self.runs.get(&(ifindex, target)) {
            Some(run) if run.phase == Phase::Dad => {
                self.fail(now, ifindex, target, out);
                true
            }
            _ => false,
        }
    }

    /// `addrconf_dad_failure` + `addrconf_dad_work` (DAD_ABORT) + `addrconf_dad_stop`.
    fn fail(&mut self, now: Instant, ifindex: IfIndex, addr: Ipv6Addr, out: &mut Vec<DadAction>) {
        let Some(run) = self.runs.remove(&(ifindex, addr)) else {
            return;
        };
        let failure = failure_outcome(now, addr, run.kind, &run.cfg);
        out.push(DadAction::Failed { ifindex, addr, failure });
    }
}

/// The outcome rules (linux-ipv6.md C6–C10):
/// - stable privacy: a new address with `dad_count + 1` after `idgen_delay`, unless that exceeds `idgen_retries`;
/// - permanent: stays `dadfailed tentative`; temporary: deleted and a new temporary made; others deleted;
/// - accept_dad ≥ 2, not stable privacy, and the address is the MAC-derived link-local: disable IPv6.
pub fn failure_outcome(now: Instant, addr: Ipv6Addr, kind: AddrKind, cfg: &DadConfig) -> DadFailure {
    let disable_ipv6 = cfg.accept_dad >= 2 && kind.stable_privacy.is_none() && cfg.mac_link_local == Some(addr);
    let regenerate = match kind.stable_privacy {
        Some(retry) => {
            let dad_count = retry.saturating_add(1);
            if u32::from(dad_count) > cfg.idgen_retries {
                Regenerate::StablePrivacyGaveUp
            } else {
                Regenerate::StablePrivacy {
                    dad_count,
                    begin_at: now + cfg.idgen_delay,
                }
            }
        }
        None if kind.temporary && !kind.permanent => Regenerate::Temporary,
        None => Regenerate::No,
    };
    let disposition = if kind.permanent {
        Disposition::KeepDadFailed
    } else {
        Disposition::Delete
    };
    DadFailure {
        disposition,
        regenerate,
        disable_ipv6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const IF: IfIndex = IfIndex(2);

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn run_until(t: &mut DadTable, end: Instant, rng: &mut ChaCha8Rng) -> Vec<(Instant, DadAction)> {
        let mut log = Vec::new();
        loop {
            let d = t.next_deadline();
            if d > end {
                return log;
            }
            let mut out = Vec::new();
            t.poll(d, rng, &mut out);
            log.extend(out.into_iter().map(|x| (d, x)));
        }
    }

    #[test]
    fn three_transmits_one_retrans_apart_then_success() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut t = DadTable::new();
        let cfg = DadConfig {
            dad_transmits: 3,
            ..DadConfig::default()
        };
        let mut out = Vec::new();
        t.start(
            Instant::ZERO,
            DadStart {
                ifindex: IF,
                addr: a("2001:db8::5"),
                kind: AddrKind::default(),
                cfg,
            },
            &mut rng,
            &mut out,
        );
        assert!(out.is_empty() && t.is_running(IF, a("2001:db8::5")));
        let start = t.next_deadline();
        assert!(
            start < Instant::from_secs(1),
            "random start delay below rtr_solicitation_delay"
        );
        let log = run_until(&mut t, Instant::from_secs(10), &mut rng);
        let times: Vec<u64> = log.iter().map(|(t, _)| (*t - start).as_millis() as u64).collect();
        assert_eq!(times, vec![0, 1000, 2000, 3000]);
        let nonce = t.nonce(IF, a("2001:db8::5"));
        assert!(nonce.is_none(), "run finished");
        match log[0].1 {
            DadAction::SendNs {
                dst, dst_mac, nonce, ..
            } => {
                assert_eq!(dst, a("ff02::1:ff00:5"));
                assert_eq!(dst_mac, MacAddr([0x33, 0x33, 0xff, 0, 0, 5]));
                assert!(nonce.is_some_and(|n| n != [0; 6]));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            log[3].1,
            DadAction::Succeeded {
                ifindex: IF,
                addr: a("2001:db8::5")
            }
        );
    }

    #[test]
    fn zero_transmits_still_waits_the_random_delay() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut t = DadTable::new();
        let cfg = DadConfig {
            dad_transmits: 0,
            ..DadConfig::default()
        };
        let mut out = Vec::new();
        t.start(
            Instant::ZERO,
            DadStart {
                ifindex: IF,
                addr: a("2001:db8::6"),
                kind: AddrKind::default(),
                cfg,
            },
            &mut rng,
            &mut out,
        );
        let log = run_until(&mut t, Instant::from_secs(5), &mut rng);
        assert_eq!(log.len(), 1);
        assert!(matches!(log[0].1, DadAction::Succeeded { .. }));
        assert!(log[0].0 < Instant::from_secs(1));
    }

    #[test]
    fn accept_dad_zero_and_nodad_succeed_at_once() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut t = DadTable::new();
        let mut out = Vec::new();
        let cfg = DadConfig {
            accept_dad: effective_accept_dad(0, 0),
            ..DadConfig::default()
        };
        t.start(
            Instant::ZERO,
            DadStart {
                ifindex: IF,
                addr: a("2001:db8::7"),
                kind: AddrKind::default(),
                cfg,
            },
            &mut rng,
            &mut out,
        );
        let nodad = AddrKind {
            nodad: true,
            ..AddrKind::default()
        };
        t.start(
            Instant::ZERO,
            DadStart {
                ifindex: IF,
                addr: a("2001:db8::8"),
                kind: nodad,
                cfg: DadConfig::default(),
            },
            &mut rng,
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|x| matches!(x, DadAction::Succeeded { .. })));
        assert_eq!(t.next_deadline(), Instant::FAR_FUTURE);
        assert_eq!(effective_accept_dad(0, 1), 1);
        assert_eq!(effective_accept_dad(2, 1), 2);
    }

    #[test]
    fn looped_back_nonce_is_ignored_foreign_nonce_conflicts() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut t = DadTable::new();
        let mut out = Vec::new();
        let target = a("2001:db8::9");
        t.start(
            Instant::ZERO,
            DadStart {
                ifindex: IF,
                addr: target,
                kind: AddrKind::default(),
                cfg: DadConfig::default(),
            },
            &mut rng,
            &mut out,
        );
        let ours = t.nonce(IF, target);
        assert_eq!(
            t.recv_ns(Instant::ZERO, IF, target, ours, &mut out),
            DadNsVerdict::LoopedBack
        );
        assert_eq!(
            t.recv_ns(Instant::ZERO, IF, a("2001:db8::10"), None, &mut out),
            DadNsVerdict::NotTracked
        );
        assert!(out.is_empty());
        assert_eq!(
            t.recv_ns(Instant::ZERO, IF, target, Some([1; 6]), &mut out),
            DadNsVerdict::Conflict
        );
        assert!(matches!(
            out[0],
            DadAction::Failed {
                failure: DadFailure {
                    disposition: Disposition::Delete,
                    ..
                },
                ..
            }
        ));
        assert!(!t.is_running(IF, target));
    }

    #[test]
    fn optimistic_starts_without_delay() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut t = DadTable::new();
        let mut out = Vec::new();
        let kind = AddrKind {
            optimistic: true,
            ..AddrKind::default()
        };
        t.start(
            Instant::from_secs(3),
            DadStart {
                ifindex: IF,
                addr: a("2001:db8::11"),
                kind,
                cfg: DadConfig::default(),
            },
            &mut rng,
            &mut out,
        );
        assert_eq!(t.next_deadline(), Instant::from_secs(3));
        assert!(t.is_optimistic(IF, a("2001:db8::11")));
    }

    #[test]
    fn predad_ignores_conflicts_until_it_begins() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let mut t = DadTable::new();
        let mut out = Vec::new();
        let target = a("2001:db8::12");
        let kind = AddrKind {
            stable_privacy: Some(1),
            ..AddrKind::default()
        };
        t.start_at(
            Instant::ZERO,
            Instant::from_secs(1),
            DadStart {
                ifindex: IF,
                addr: target,
                kind,
                cfg: DadConfig::default(),
            },
            &mut rng,
            &mut out,
        );
        assert_eq!(
            t.recv_ns(Instant::ZERO, IF, target, None, &mut out),
            DadNsVerdict::Ignored
        );
        assert!(!t.recv_na(Instant::ZERO, IF, target, &mut out));
        let mut out = Vec::new();
        t.poll(Instant::from_secs(1), &mut rng, &mut out);
        assert!(t.next_deadline() >= Instant::from_secs(1) && t.next_deadline() < Instant::from_secs(2));
        assert!(t.recv_na(Instant::from_secs(1), IF, target, &mut out));
    }
}
