//! The attacker's reactive behaviours, per NIC: `dad-dos` (dos-new-ip6: answer DAD probes) and parasite6's
//! NS answering (answer address resolution with our MAC), each against everyone on the segment or one victim,
//! and the answers for the attacker's own addresses so victims can reach it.
//!
//! What Linux does with the answers (linux-ipv6.md §C): an NA for a tentative address fails DAD
//! (`ndisc_recv_na` → `addrconf_dad_failure`, RFC 4862 §5.4.4); a solicited NA with Override replaces the
//! neighbour entry's link-layer address (`ndisc_recv_na` → `neigh_update` with `NEIGH_UPDATE_F_OVERRIDE`,
//! RFC 4861 §7.2.5).

use std::net::Ipv6Addr;

use super::evasion::Evasion;
use super::node::Attacker;
use super::packets::{append_spoofed_na, Delivery, Spoof};
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::wire::{MacAddr, NaFlags};

/// Whose frames a reactive attack answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Victim {
    /// Everyone on the segment (the tools' behaviour).
    #[default]
    All,
    /// Frames whose Ethernet source is this MAC: one NIC of one node.
    Mac(MacAddr),
    /// One IPv6 address: the NS's source for parasite6, the probed (tentative) address for dos-new-ip6 (a DAD
    /// probe's source is `::`, RFC 4862 §5.4.2, so the target is what names it).
    Addr(Ipv6Addr),
}

/// `dad-dos` on one NIC: which probes are answered and how the answers are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DadDos {
    /// Whose probes.
    pub victim: Victim,
    /// RA-Guard style wrapping of the answers.
    pub evasion: Evasion,
}

impl DadDos {
    /// dos-new-ip6 against everyone, plain.
    pub fn all() -> DadDos {
        DadDos::default()
    }

    /// Whether a DAD probe for `target` sent from `src_mac` is answered.
    pub fn answers(&self, src_mac: MacAddr, target: Ipv6Addr) -> bool {
        match self.victim {
            Victim::All => true,
            Victim::Mac(m) => m == src_mac,
            Victim::Addr(a) => a == target,
        }
    }
}

/// parasite6's NS answering on one NIC: every address-resolution NS from the victim, whatever its target, is
/// answered with our MAC (Solicited and Override set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NsSpoof {
    /// Whose NSs.
    pub victim: Victim,
    /// Set the Router flag (when impersonating a router, so the victim keeps it as one, RFC 4861 §7.2.5).
    pub router: bool,
}

impl NsSpoof {
    /// parasite6 against everyone.
    pub fn all() -> NsSpoof {
        NsSpoof::default()
    }

    /// Whether an NS from `src` / `src_mac` is answered.
    pub fn answers(&self, src_mac: MacAddr, src: Ipv6Addr) -> bool {
        match self.victim {
            Victim::All => true,
            Victim::Mac(m) => m == src_mac,
            Victim::Addr(a) => a == src,
        }
    }
}

/// Which counter an answer counts in.
enum Answer {
    Dad,
    Own,
    Spoofed,
}

impl Attacker {
    /// Answers an NS for `target` received on NIC `ifindex`: DAD probes under `dad-dos` (dos-new-ip6: an NA to
    /// all-nodes from the target, Override set, S = 0 as RFC 4861 §7.2.4 says for a `::` source; the tool also
    /// sends it twice with a random TLLA, which changes nothing for Linux, the first NA fails DAD), our own
    /// addresses always (R = 1 when we play a router there), anyone else's under `na-spoof` (parasite6: to the
    /// soliciter, S = O = 1).
    pub(super) fn on_ns(
        &mut self,
        ctx: &mut Ctx<'_>,
        ifindex: IfIndex,
        src: Ipv6Addr,
        src_mac: MacAddr,
        target: Ipv6Addr,
    ) {
        let Some(nic) = self.nic(ifindex) else { return };
        let (mac, ours) = (nic.mac, self.addrs.contains(&target));
        let (dad_dos, ns_spoof) = (nic.dad_dos, nic.ns_spoof);
        let relaying = self.mitm.as_ref().is_some_and(|m| m.relays_on(ifindex));
        let plays_router = nic.router || relaying;
        let (to, flags, answer) = if src.is_unspecified() {
            let Some(dos) = dad_dos.filter(|d| !ours && d.answers(src_mac, target)) else {
                return;
            };
            let to = self.delivery(dos.evasion);
            let flags = NaFlags {
                router: false,
                solicited: false,
                override_: true,
            };
            (to, flags, Answer::Dad)
        } else {
            let spoof = ns_spoof.filter(|s| s.answers(src_mac, src));
            if !ours && spoof.is_none() {
                return;
            }
            let to = Delivery {
                dst: src,
                dst_mac: src_mac,
                ..Delivery::all_nodes()
            };
            let flags = NaFlags {
                router: if ours {
                    plays_router
                } else {
                    spoof.is_some_and(|s| s.router)
                },
                solicited: true,
                override_: true,
            };
            (to, flags, if ours { Answer::Own } else { Answer::Spoofed })
        };
        match answer {
            Answer::Dad => self.stats.dad_answered += 1,
            Answer::Own => self.stats.ns_answered += 1,
            Answer::Spoofed => self.stats.ns_spoofed += 1,
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let from = Spoof { mac, ip: target };
        if let Ok(ranges) = append_spoofed_na(&mut buf, from, to, target, mac, flags) {
            for r in ranges {
                ctx.send(ifindex, buf[r].to_vec());
            }
        }
        self.buf = buf;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x10]);
    const N: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x20]);

    fn ip(s: &str) -> Ipv6Addr {
        s.parse().unwrap_or(Ipv6Addr::LOCALHOST)
    }

    #[test]
    fn dad_dos_names_its_victim_by_the_probers_mac_or_the_tentative_address() {
        let (x, y) = (ip("2001:db8::1"), ip("2001:db8::2"));
        assert!(DadDos::all().answers(M, x) && DadDos::all().answers(N, y));
        let by_mac = DadDos {
            victim: Victim::Mac(M),
            ..DadDos::all()
        };
        assert!(by_mac.answers(M, x) && by_mac.answers(M, y) && !by_mac.answers(N, x));
        let by_addr = DadDos {
            victim: Victim::Addr(x),
            ..DadDos::all()
        };
        assert!(by_addr.answers(M, x) && by_addr.answers(N, x) && !by_addr.answers(M, y));
    }

    #[test]
    fn parasite6_names_its_victim_by_the_soliciters_mac_or_source_address() {
        let (x, y) = (ip("fe80::1"), ip("fe80::2"));
        assert!(NsSpoof::all().answers(N, y));
        let by_mac = NsSpoof {
            victim: Victim::Mac(M),
            router: false,
        };
        assert!(by_mac.answers(M, y) && !by_mac.answers(N, x));
        let by_addr = NsSpoof {
            victim: Victim::Addr(x),
            router: false,
        };
        assert!(by_addr.answers(N, x) && !by_addr.answers(M, y));
    }
}
