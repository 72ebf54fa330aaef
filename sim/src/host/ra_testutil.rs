//! A one-host simulation and RA frame builders for the RA, SLAAC, RS and redirect unit tests (test-only).

use std::net::{IpAddr, Ipv6Addr};

use crate::engine::{Sim, SimConfig};
use crate::frame::Frame;
use crate::host::node::Host;
use crate::host::render::{ip_route_show, TableFilter};
use crate::host::route::table;
use crate::id::{IfIndex, NodeId};
use crate::node::Node;
use crate::segment::{PortConfig, Segment};
use crate::time::Instant;
use crate::wire::build::{append_ipv6, Ipv6Params, Upper, L2};
use crate::wire::{Icmpv6Repr, Ipv6ExtRepr, MacAddr, NdOptionRepr, NdOptions, NdiscRepr, RaFlags};

/// The host of the B-series experiments: h0 with 52:54:00:12:34:56.
pub struct One {
    pub sim: Sim,
    pub h: NodeId,
    pub h0: IfIndex,
}

pub fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// A host with `h0` up; `sysctls` are written to `default` before the NIC exists.
pub fn one(sysctls: &[(&str, &str)]) -> One {
    let mut sim = Sim::new(SimConfig { seed: 7, trace: false });
    let seg = sim.add_segment(Segment::new("lan", None));
    let h = sim.add_host("h");
    for (k, v) in sysctls {
        sim.with_host(h, |host, ctx| {
            host.set_sysctl(ctx, &format!("net.ipv6.conf.default.{k}"), v)
        })
        .unwrap()
        .unwrap();
    }
    let h0 = sim
        .add_nic(
            h,
            "h0",
            MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            seg,
            PortConfig::default(),
        )
        .unwrap();
    One { sim, h, h0 }
}

/// An RA as `nd.py ra` builds it: from `src` with MAC 02:00:00:00:00:<last byte>, to ff02::1.
pub struct Ra<'a> {
    pub src: Ipv6Addr,
    pub hlim: u8,
    pub chlim: u8,
    pub flags: RaFlags,
    pub rl: u16,
    pub reach: u32,
    pub retrans: u32,
    pub opts: Vec<NdOptionRepr<'a>>,
    pub exts: Vec<Ipv6ExtRepr<'a>>,
    pub dst: Ipv6Addr,
}

pub fn ra<'a>(src: &str) -> Ra<'a> {
    let src = v6(src);
    let mac = MacAddr([2, 0, 0, 0, 0, src.octets()[15]]);
    Ra {
        src,
        hlim: 255,
        chlim: 64,
        flags: RaFlags::default(),
        rl: 1800,
        reach: 0,
        retrans: 0,
        opts: vec![NdOptionRepr::SourceLinkLayerAddr(mac)],
        exts: Vec::new(),
        dst: v6("ff02::1"),
    }
}

impl Ra<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        let msg = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: self.chlim,
            flags: self.flags,
            router_lifetime: self.rl,
            reachable_time: self.reach,
            retrans_time: self.retrans,
            options: NdOptions::Reprs(&self.opts),
        });
        let d = self.dst.octets();
        let dst = if self.dst.is_multicast() {
            MacAddr([0x33, 0x33, d[12], d[13], d[14], d[15]])
        } else {
            MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56])
        };
        let l2 = L2 {
            src: MacAddr([2, 0, 0, 0, 0, self.src.octets()[15]]),
            dst,
            vlan: None,
        };
        let mut p = Ipv6Params::new(self.src, self.dst, self.hlim);
        p.exts = &self.exts;
        let mut buf = Vec::new();
        append_ipv6(&mut buf, l2, &p, &Upper::Icmpv6(msg)).unwrap();
        buf
    }
}

impl One {
    pub fn host(&self) -> &Host {
        self.sim.host(self.h).unwrap()
    }

    /// Delivers raw frame bytes to h0 now.
    pub fn deliver(&mut self, bytes: Vec<u8>) {
        let h0 = self.h0;
        let f = Frame::new(bytes);
        self.sim.with_host(self.h, |h, ctx| h.handle_frame(ctx, h0, &f));
    }

    pub fn send_ra(&mut self, r: &Ra<'_>) {
        self.deliver(r.bytes());
    }

    pub fn run(&mut self, secs: u64) {
        let t = self.sim.now() + std::time::Duration::from_secs(secs);
        self.sim.run_until(t);
    }

    pub fn routes(&self) -> String {
        ip_route_show(
            &self.host().tables,
            true,
            TableFilter::Only(table::MAIN),
            self.sim.now(),
        )
    }

    pub fn defaults(&self) -> Vec<String> {
        self.routes()
            .lines()
            .filter(|l| l.starts_with("default"))
            .map(str::to_string)
            .collect()
    }

    pub fn has_addr(&self, a: &str) -> bool {
        self.host().tables.addrs.get(self.h0, IpAddr::V6(v6(a))).is_some()
    }

    pub fn now(&self) -> Instant {
        self.sim.now()
    }
}
