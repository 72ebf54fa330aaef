//! Timeline actions carried out on the simulation at their time: pings, flows (ssh, http, heartbeat: [`flows`]),
//! links, sysctls, snapshots. Actions whose simulator part has not landed (attacker frames, on-demand RAs) are
//! errors naming the part they need, so a scenario using them fails
//! loudly instead of passing without its stimulus.

use super::attacks;
use super::convert;
use super::explain::all_tables;
use super::flows::{self, Flows};
use super::resolve::{node, resolve};
use super::world::World;
use super::RunError;
use crate::scenario::timeline::{Action, Link, SendRa};
use dualhome_sim::app::ping::PingConfig;
use dualhome_sim::attack::malformed::append_malformed_ra;
use dualhome_sim::host::addr::AddrFlags;
use dualhome_sim::radvd::advert::append_ra;
use dualhome_sim::radvd::{RaIfaceConfig, RaSend};
use dualhome_sim::time::Instant;
use std::net::IpAddr;
use std::time::Duration;

/// A `snapshot` taken during the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Its label.
    pub label: String,
    /// Simulated time in nanoseconds.
    pub at_ns: u64,
    /// The nodes' tables as `ip` prints them.
    pub text: String,
}

/// What actions write besides the simulation.
pub struct Effects<'a> {
    /// Flows started so far, by id.
    pub flows: &'a mut Flows,
    /// Snapshots taken so far.
    pub snapshots: &'a mut Vec<Snapshot>,
    /// The BOSH director's address, for heartbeats.
    pub director: Option<IpAddr>,
    /// The end of the run (`duration`).
    pub end: Instant,
}

/// Carries out timeline entry `index` now.
pub fn apply(world: &mut World, index: usize, action: &Action, fx: &mut Effects<'_>) -> Result<(), RunError> {
    match action {
        Action::Ping(p) => {
            let dst = resolve(world, &p.to.value, p.family)?;
            let from = node(world, &p.from.value)?.id;
            let mut cfg = PingConfig::new(dst, p.count.unwrap_or(1));
            if let Some(i) = p.interval {
                cfg.interval = i.0;
            }
            world
                .sim
                .with_host(from, |h, ctx| h.start_ping(ctx, cfg))
                .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", p.from.value)))?;
            Ok(())
        }
        Action::LinkDown(l) => link(world, l, false),
        Action::LinkUp(l) => link(world, l, true),
        Action::Sysctl(s) => {
            let id = node(world, &s.node.value)?.id;
            let value = s.value.value.to_string();
            world
                .sim
                .with_host(id, |h, ctx| h.set_sysctl(ctx, &s.key.value, &value))
                .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", s.node.value)))?
                .map(|_| ())
                .map_err(|e| RunError::Setup(format!("{}: sysctl {}={value}: {e}", s.node.value, s.key.value)))
        }
        Action::Snapshot(s) => {
            let only: Vec<String> = s.nodes.iter().map(|n| n.value.to_string()).collect();
            fx.snapshots.push(Snapshot {
                label: s.label.value.clone(),
                at_ns: world.sim.now().as_nanos(),
                text: all_tables(world, &only),
            });
            Ok(())
        }
        Action::Ssh(s) => flows::start_ssh(world, s, fx.end, fx.flows),
        Action::Http(h) => flows::start_http(world, h, index, fx.flows),
        Action::Heartbeat(h) => flows::heartbeat_action(world, h, index, fx.director, fx.end, fx.flows),
        Action::SendRa(r) => send_ra(world, r),
        Action::RogueRa(r) => attacks::rogue_ra(world, r),
        Action::KillRouter(k) => attacks::kill_router(world, k),
        Action::RaFlood(f) => attacks::ra_flood(world, f),
        Action::Redirect(r) => attacks::redirect(world, r),
        Action::NaSpoof(n) => attacks::na_spoof(world, n),
        Action::DadDos(d) => attacks::dad_dos(world, d),
    }
}

/// `send-ra`: one unsolicited multicast RA now from the router interface's link-local address and MAC, built by
/// the RA daemon's builder from the configuration of the daemon running there (every `ra:`/radvd.conf block starts
/// one at t = 0), else radvd's defaults, with the entry's fields written over it (RFC 4861 §6.2.4, §6.2.8); with
/// `malformed`, that RA broken in one RFC 4861 §6.1.2 check (`global-source` sends from the interface's first
/// global address).
fn send_ra(world: &mut World, r: &SendRa) -> Result<(), RunError> {
    let entry = node(world, &r.router.value)?;
    let iface = entry
        .iface(&r.iface.value)
        .ok_or_else(|| RunError::Unresolved(format!("`{}` has no interface `{}`", r.router.value, r.iface.value)))?;
    let (id, ifindex, ifname) = (entry.id, iface.ifindex, iface.name.clone());
    world
        .sim
        .with_host(id, |h, ctx| {
            let mut cfg = h
                .radvd
                .daemon(ifindex)
                .map_or_else(|| RaIfaceConfig::new(ifname.clone()), |d| d.config.clone());
            if let Some(o) = &r.ra {
                convert::apply_ra(&mut cfg, &o.value);
            }
            let usable = |ll: bool| {
                h.tables.addrs.on(ifindex, true).find_map(|a| match a.addr {
                    IpAddr::V6(x) if x.is_unicast_link_local() == ll && !a.flags.has(AddrFlags::TENTATIVE) => Some(x),
                    _ => None,
                })
            };
            let src = usable(true)
                .ok_or_else(|| RunError::Setup(format!("{ifname} has no usable link-local address yet")))?;
            let mut buf = Vec::new();
            append_ra(&mut buf, &cfg, RaSend::Multicast, src, h.mac(ifindex), ctx.now, ctx.now)
                .map_err(|e| RunError::Setup(format!("send-ra: {e:?}")))?;
            if let Some(m) = r.malformed {
                // The valid RA re-emitted with one validity check broken (sim attack::malformed).
                let m = convert::malformation(m, usable(false)).ok_or_else(|| {
                    RunError::Setup(format!(
                        "send-ra malformed: global-source: {ifname} has no global address"
                    ))
                })?;
                let mut bad = Vec::new();
                append_malformed_ra(&mut bad, &buf, m)
                    .map_err(|e| RunError::Setup(format!("send-ra malformed: {e:?}")))?;
                buf = bad;
            }
            ctx.send(ifindex, buf);
            Ok(())
        })
        .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", r.router.value)))?
}

/// `ip link set IF down|up`: the host's view (addresses flushed, neighbours dropped) and the carrier.
fn link(world: &mut World, l: &Link, up: bool) -> Result<(), RunError> {
    let entry = node(world, &l.node.value)?;
    let iface = entry
        .iface(&l.iface.value)
        .ok_or_else(|| RunError::Unresolved(format!("`{}` has no interface `{}`", l.node.value, l.iface.value)))?;
    let (id, ifindex) = (entry.id, iface.ifindex);
    world
        .sim
        .with_host(id, |h, ctx| h.set_link(ctx, ifindex, up))
        .ok_or_else(|| RunError::Setup(format!("`{}` is not a host", l.node.value)))?
        .map_err(|e| RunError::Setup(format!("{}: ip link set {}: {e}", l.node.value, l.iface.value)))?;
    if let Some((seg, port)) = world.sim.attachment(id, ifindex) {
        let now = world.sim.now();
        world.sim.schedule_carrier(now + Duration::ZERO, seg, port, up);
    }
    Ok(())
}
