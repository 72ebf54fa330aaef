//! RA-Guard keeps switching allocation-free: classifying and dropping RAs (plain, behind extension headers,
//! fragmented) and passing other traffic on a guarded segment allocates nothing once the MAC table is warm.
//! Counted with a global allocator wrapper, per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dualhome_sim::attack::evasion::{append_evasive, Evasion};
use dualhome_sim::frame::Frame;
use dualhome_sim::id::{IfIndex, NodeId};
use dualhome_sim::segment::{Forwarding, PortConfig, PortRole, RaGuard, Segment};
use dualhome_sim::time::Instant;
use dualhome_sim::trace::DropReason;
use dualhome_sim::wire::build::{ipv6_frame, Ipv6Params, Upper, L2};
use dualhome_sim::wire::ipv6::ALL_NODES;
use dualhome_sim::wire::{Icmpv6Repr, MacAddr, NdOptions, NdiscRepr, RaFlags};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

const ROGUE: MacAddr = MacAddr([2, 0xaa, 0, 0, 0, 1]);
const PEER: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn rogue_frames() -> Vec<std::rc::Rc<Frame>> {
    let ra = Upper::Icmpv6(Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RaFlags::default(),
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_time: 0,
        options: NdOptions::NONE,
    }));
    let l2 = L2 {
        src: ROGUE,
        dst: MacAddr::from_ipv6_multicast(ALL_NODES),
        vlan: None,
    };
    let ip = Ipv6Params::new(ROGUE.eui64_link_local(), ALL_NODES, 255);
    let mut out = Vec::new();
    for evasion in Evasion::ALL {
        let mut buf = Vec::new();
        let ranges = append_evasive(&mut buf, l2, &ip, &ra, evasion, 1).expect("builds");
        // The first frame of each packet is the one the guard must see.
        out.push(Frame::new(buf[ranges[0].clone()].to_vec()));
    }
    out
}

fn unicast_echo() -> std::rc::Rc<Frame> {
    let l2 = L2 {
        src: ROGUE,
        dst: PEER,
        vlan: None,
    };
    let echo = Icmpv6Repr::EchoRequest {
        ident: 1,
        seq_no: 1,
        data: &[0; 56],
    };
    let ip = Ipv6Params::new(ROGUE.eui64_link_local(), PEER.eui64_link_local(), 64);
    Frame::new(ipv6_frame(l2, &ip, &Upper::Icmpv6(echo)).expect("builds"))
}

#[test]
fn guarded_switching_does_not_allocate() {
    let mut seg = Segment::new("lan", None);
    seg.ra_guard = RaGuard::FullChain;
    let host_port = seg.add_port(NodeId(0), IfIndex(2), PortConfig::default());
    let router_port = seg.add_port(
        NodeId(1),
        IfIndex(2),
        PortConfig {
            role: PortRole::Router,
            ..PortConfig::default()
        },
    );
    let ras = rogue_frames();
    let echo = unicast_echo();
    // Warm-up: the MAC table learns both ends (the only allocation switching may make).
    let reply = Frame::new({
        let mut b = echo.bytes().to_vec();
        b[0..6].copy_from_slice(&ROGUE.0);
        b[6..12].copy_from_slice(&PEER.0);
        b
    });
    assert_eq!(seg.switch(Instant::ZERO, router_port, &reply), Ok(Forwarding::Flood));
    assert_eq!(
        seg.switch(Instant::ZERO, host_port, &echo),
        Ok(Forwarding::Unicast(router_port))
    );
    let before = allocs();
    for i in 0..1000u64 {
        let now = Instant::from_millis(i);
        for f in &ras {
            assert_eq!(seg.switch(now, host_port, f), Err(DropReason::RaGuard));
            assert_eq!(seg.switch(now, router_port, f), Ok(Forwarding::Flood));
        }
        assert_eq!(seg.switch(now, host_port, &echo), Ok(Forwarding::Unicast(router_port)));
    }
    assert_eq!(allocs() - before, 0);
    assert_eq!(seg.ra_guard_drops(), 5000);
}
