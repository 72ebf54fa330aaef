//! Shared pieces of the RA, SLAAC and redirect behaviour tests: a LAN of Linux-like hosts, RA / NA / Redirect
//! frames built with the wire builders (as `nd.py` from linux-exp builds them), and table dumps.
#![allow(dead_code)] // each test crate uses a different subset

use std::net::{IpAddr, Ipv6Addr};

use dualhome_sim::engine::{Sim, SimConfig};
use dualhome_sim::host::addr::Addr;
use dualhome_sim::host::lookup::RouteQuery;
use dualhome_sim::host::render::{ip_route_show, ip_route_show_cache, TableFilter};
use dualhome_sim::host::render_addr::{ip_addr_show, Family};
use dualhome_sim::host::route::table;
use dualhome_sim::id::{IfIndex, NodeId, SegmentId};
use dualhome_sim::segment::{PortConfig, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use dualhome_sim::wire::{
    Icmpv6Repr, Ipv6ExtRepr, MacAddr, NaFlags, NdOptionRepr, NdOptions, NdiscRepr, PrefixInfo, RaFlags,
};

/// The first NIC of every host (1 is `lo`).
pub const ETH: IfIndex = IfIndex(2);

pub fn a6(s: &str) -> Ipv6Addr {
    s.parse().expect("test address")
}

/// The host under test's MAC, as in the experiments (h0 = 52:54:00:12:34:56).
pub const H_MAC: MacAddr = MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]);

/// A router MAC 02:00:00:00:00:NN, as nd.py uses.
pub fn rmac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

pub struct Lan {
    pub sim: Sim,
    pub seg: SegmentId,
}

impl Lan {
    pub fn new(seed: u64) -> Lan {
        let mut sim = Sim::new(SimConfig { seed, trace: false });
        let seg = sim.add_segment(Segment::new("lan", None));
        Lan { sim, seg }
    }

    /// A host with `sysctls` written to `conf/default` first, one NIC on the LAN.
    pub fn host(&mut self, name: &str, mac: MacAddr, sysctls: &[(&str, &str)]) -> NodeId {
        let h = self.sim.add_host(name);
        for (k, v) in sysctls {
            self.sim
                .with_host(h, |x, ctx| x.set_sysctl(ctx, &format!("net.ipv6.conf.default.{k}"), v))
                .expect("host")
                .expect("sysctl");
        }
        self.sim
            .add_nic(h, "eth0", mac, self.seg, PortConfig::default())
            .expect("nic");
        h
    }

    /// A router: forwarding on, fe80::N and `globals` without DAD (the experiments' `nodad`).
    pub fn router(&mut self, name: &str, n: u8, globals: &[&str]) -> NodeId {
        let r = self.host(name, rmac(n), &[("forwarding", "1"), ("accept_ra", "0")]);
        self.sim
            .with_host(r, |x, ctx| x.set_sysctl(ctx, "net.ipv6.conf.all.forwarding", "1"))
            .expect("host")
            .expect("sysctl");
        let ll = format!("fe80::{n:x}");
        for a in std::iter::once(ll.as_str()).chain(globals.iter().copied()) {
            let addr = Addr::new(ETH, IpAddr::V6(a6(a)), 64).with_flags(dualhome_sim::host::addr::AddrFlags::NODAD);
            self.sim
                .with_host(r, |x, ctx| x.add_address(ctx, addr))
                .expect("host")
                .expect("addr");
        }
        r
    }

    /// Sends raw frame bytes out of `node`'s first NIC now.
    pub fn send(&mut self, node: NodeId, bytes: Vec<u8>) {
        self.sim.with_host(node, |_, ctx| ctx.send(ETH, bytes)).expect("host");
    }

    pub fn run(&mut self, secs: u64) {
        let t = self.sim.now() + std::time::Duration::from_secs(secs);
        self.sim.run_until(t);
    }

    pub fn run_ms(&mut self, ms: u64) {
        let t = self.sim.now() + std::time::Duration::from_millis(ms);
        self.sim.run_until(t);
    }

    pub fn now(&self) -> Instant {
        self.sim.now()
    }

    /// `ip -6 route show`.
    pub fn routes(&self, h: NodeId) -> String {
        ip_route_show(
            &self.sim.host(h).expect("host").tables,
            true,
            TableFilter::Only(table::MAIN),
            self.now(),
        )
    }

    /// `ip -6 route show default`, one line each.
    pub fn defaults(&self, h: NodeId) -> Vec<String> {
        self.routes(h)
            .lines()
            .filter(|l| l.starts_with("default"))
            .map(str::to_string)
            .collect()
    }

    /// `ip -6 route show cache`.
    pub fn cache(&self, h: NodeId) -> String {
        ip_route_show_cache(&self.sim.host(h).expect("host").tables, self.now())
    }

    /// `ip -6 addr show dev eth0`.
    pub fn addrs(&self, h: NodeId) -> String {
        ip_addr_show(
            &self.sim.host(h).expect("host").tables,
            Family::V6,
            Some(ETH),
            self.now(),
        )
    }

    /// The gateway `ip -6 route get DST` picks (`None`: on-link or no route).
    pub fn via(&self, h: NodeId, dst: &str) -> Option<Ipv6Addr> {
        let d = self
            .sim
            .host(h)
            .expect("host")
            .route_get(&RouteQuery::to(IpAddr::V6(a6(dst))))
            .ok()?;
        match d.gateway {
            Some(IpAddr::V6(g)) => Some(g),
            _ => None,
        }
    }
}

/// An RA as `nd.py ra` builds it: from fe80::N with SLLA 02:00:00:00:00:NN, to ff02::1, hop limit 255,
/// CurHopLimit 64, router lifetime 1800.
pub struct Ra<'a> {
    pub src: Ipv6Addr,
    pub src_mac: MacAddr,
    pub hlim: u8,
    pub chlim: u8,
    pub flags: RaFlags,
    pub rl: u16,
    pub reach: u32,
    pub retrans: u32,
    pub opts: Vec<NdOptionRepr<'a>>,
    pub exts: Vec<Ipv6ExtRepr<'a>>,
}

pub fn ra<'a>(n: u8) -> Ra<'a> {
    Ra {
        src: a6(&format!("fe80::{n:x}")),
        src_mac: rmac(n),
        hlim: 255,
        chlim: 64,
        flags: RaFlags::default(),
        rl: 1800,
        reach: 0,
        retrans: 0,
        opts: vec![NdOptionRepr::SourceLinkLayerAddr(rmac(n))],
        exts: Vec::new(),
    }
}

/// A PIO with L and A set unless told otherwise.
pub fn pio(prefix: &str, len: u8, valid: u32, preferred: u32) -> NdOptionRepr<'static> {
    NdOptionRepr::PrefixInformation(PrefixInfo {
        prefix_len: len,
        on_link: true,
        autonomous: true,
        other_flags: 0,
        valid_lifetime: valid,
        preferred_lifetime: preferred,
        prefix: a6(prefix),
    })
}

fn l2_to(src: MacAddr, dst: Ipv6Addr) -> L2 {
    let d = dst.octets();
    let dst = if dst.is_multicast() {
        MacAddr([0x33, 0x33, d[12], d[13], d[14], d[15]])
    } else {
        H_MAC
    };
    L2 { src, dst, vlan: None }
}

impl Ra<'_> {
    pub fn frame(&self) -> Vec<u8> {
        let msg = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: self.chlim,
            flags: self.flags,
            router_lifetime: self.rl,
            reachable_time: self.reach,
            retrans_time: self.retrans,
            options: NdOptions::Reprs(&self.opts),
        });
        let dst = a6("ff02::1");
        let mut p = Ipv6Params::new(self.src, dst, self.hlim);
        p.exts = &self.exts;
        let mut buf = Vec::new();
        append_ipv6(&mut buf, l2_to(self.src_mac, dst), &p, &Upper::Icmpv6(msg)).expect("build RA");
        buf
    }
}

/// An unsolicited NA from router N for its own link-local, with the given R flag and override set.
pub fn na(n: u8, router: bool) -> Vec<u8> {
    let src = a6(&format!("fe80::{n:x}"));
    let opts = [NdOptionRepr::TargetLinkLayerAddr(rmac(n))];
    let msg = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NaFlags {
            router,
            solicited: false,
            override_: true,
        },
        target: src,
        options: NdOptions::Reprs(&opts),
    });
    let dst = a6("ff02::1");
    let p = Ipv6Params::new(src, dst, 255);
    let mut buf = Vec::new();
    append_ipv6(&mut buf, l2_to(rmac(n), dst), &p, &Upper::Icmpv6(msg)).expect("build NA");
    buf
}

/// The IPv6 packet (no L2) of an echo request from `src` to `dst`, as a Redirected Header quotes it.
pub fn echo_packet(src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
    let msg = Icmpv6Repr::EchoRequest {
        ident: 1,
        seq_no: 1,
        data: &[0u8; 8],
    };
    let p = Ipv6Params::new(src, dst, 64);
    let mut buf = Vec::new();
    append_ipv6(&mut buf, l2_to(H_MAC, dst), &p, &Upper::Icmpv6(msg)).expect("build echo");
    buf.split_off(14)
}

/// A Redirect from `src` (with MAC `src_mac`) to the host's link-local: `dest` is better reached via `target`.
pub fn redirect(src: &str, src_mac: MacAddr, target: &str, dest: &str, tlla: MacAddr, inner: &[u8]) -> Vec<u8> {
    let src = a6(src);
    let opts = [
        NdOptionRepr::TargetLinkLayerAddr(tlla),
        NdOptionRepr::RedirectedHeader(inner),
    ];
    let msg = Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
        target: a6(target),
        dest: a6(dest),
        options: NdOptions::Reprs(&opts),
    });
    let dst = a6("fe80::5054:ff:fe12:3456");
    let p = Ipv6Params::new(src, dst, 255);
    let mut buf = Vec::new();
    append_ipv6(&mut buf, l2_to(src_mac, dst), &p, &Upper::Icmpv6(msg)).expect("build redirect");
    buf
}

/// The ICMPv6 checksum over the IPv6 pseudo-header, for tests that edit a built frame (RFC 8200 §8.1).
pub fn fix_icmpv6_checksum(frame: &mut [u8], l4: usize) {
    frame[l4 + 2] = 0;
    frame[l4 + 3] = 0;
    let len = frame.len() - l4;
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0]) << 8
            };
            sum += u32::from(w);
        }
    };
    add(&frame[22..54]);
    add(&(len as u32).to_be_bytes());
    add(&[0, 0, 0, 58]);
    add(&frame[l4..]);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    frame[l4 + 2..l4 + 4].copy_from_slice(&ck.to_be_bytes());
}
