//! Servers and middleboxes: listening services from nginx-style `listen` lines (sim/src/transport/nginx.rs maps
//! each to the sockets nginx opens), the daemons every BOSH VM and director run, and router firewalls.
//!
//! - Topology services: `http` answers `200` (nginx's default page, 612 bytes), `ssh` and `echo` echo what they
//!   read (an interactive shell echoing keystrokes).
//! - BOSH VMs: sshd as stemcells configure it (`AddressFamily any`: `0.0.0.0:22` and `[::]:22` v6only), plus the
//!   `listen` directives found in their jobs' properties (nginx), answering HTTP `200`.
//! - The director: NATS on 4222 (the agent's heartbeat is echoed) and the API on 25555.
//! - Firewalls: `kind: pf` becomes pf with every scenario rule `quick` (the scenario's first match wins) — `pass`
//!   rules are `pass [in|out] [proto P] [from A] [to B [port N]] [flags S/SA keep state [(sloppy)] | no state]`,
//!   `block` rules `block drop|return [in|out] …` (sim/src/firewall/pf_rule.rs);
//!   `kind: conntrack` becomes an nftables forward chain: `ct state invalid drop|reject`, `ct state established
//!   accept`, then the rules in order (`pass` with `keep_state` matches `ct state new`), policy accept. Both see
//!   forwarded packets at the forward hook only. pf distinguishes `in` and `out` (a forwarded packet is checked
//!   inbound on its arrival interface, then outbound on the routed one) and binds a rule with `iface` to that
//!   interface (`pass in on eth0 …`); conntrack rules match neither `direction` nor `iface` (one forward chain).

use super::world::World;
use super::RunError;
use crate::scenario::topology::{
    AppKind, BlockPolicy, Direction, Firewall, FirewallKind, FirewallRule, InvalidAction, RuleAction, RuleProto,
};
use dualhome_sim::firewall::conntrack::{CtConfig, CtInfo};
use dualhome_sim::firewall::nft::{Action as NftAction, NftFirewall, NftRule};
use dualhome_sim::firewall::pf::{Pf, PfAction, PfDir, PfRule};
use dualhome_sim::id::NodeId;
use dualhome_sim::transport::nginx::{parse_listen, ListenSocket};
use dualhome_sim::transport::socket::Family as SockFamily;
use dualhome_sim::transport::Service;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// nginx's default index page: `200`, 612 bytes.
pub const HTTP_OK: Service = Service::Http {
    status: 200,
    body_len: 612,
};

fn listen(world: &mut World, node: NodeId, name: &str, s: ListenSocket, service: Service) -> Result<(), RunError> {
    world
        .sim
        .with_host(node, |h, _| h.tcp_listen(s.family, s.addr, s.v6only, service))
        .ok_or_else(|| RunError::Setup(format!("`{name}` is not a host")))?
        .map(|_| ())
        .map_err(|e| RunError::Setup(format!("{name}: listen {}: {e:?}", s.addr)))
}

/// A topology host's services.
pub fn host_services(world: &mut World, h: &crate::scenario::topology::Host) -> Result<(), RunError> {
    let node = world.node(&h.name.value)?.id;
    for svc in &h.services {
        let service = match svc.app {
            AppKind::Http => HTTP_OK,
            AppKind::Ssh | AppKind::Echo => Service::Echo,
        };
        for line in &svc.listen {
            let text = line.value.to_string();
            let sock = parse_listen(&text)
                .map_err(|e| RunError::Setup(format!("{}: service {}: {e}", h.name.value, svc.name.value)))?;
            listen(world, node, &h.name.value, sock, service)?;
        }
    }
    Ok(())
}

/// sshd on every deployed VM, the same on both backends (kernel/bosh.rs): port 22 on IPv4 and, `v6only`, on IPv6.
pub const SSHD_LISTENS: [ListenSocket; 2] = [
    ListenSocket {
        family: SockFamily::Inet,
        addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 22),
        v6only: None,
    },
    ListenSocket {
        family: SockFamily::Inet6,
        addr: SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 22),
        v6only: Some(true),
    },
];

/// sshd and the jobs' nginx `listen` directives on a deployed VM.
pub fn vm_services(world: &mut World, vm: &str, listens: &[ListenSocket]) -> Result<(), RunError> {
    let node = world.node(vm)?.id;
    for s in SSHD_LISTENS {
        listen(world, node, vm, s, Service::Echo)?;
    }
    for s in listens {
        listen(world, node, vm, *s, HTTP_OK)?;
    }
    Ok(())
}

/// The director's listening sockets on `addr`: NATS (4222) and the API (25555), on its address's family — the
/// same on both backends.
pub fn director_listens(addr: IpAddr) -> [ListenSocket; 2] {
    [4222, 25555].map(|port| ListenSocket {
        family: SockFamily::of(addr),
        addr: SocketAddr::new(addr, port),
        v6only: addr.is_ipv6().then_some(true),
    })
}

/// The director's NATS (4222, echoed) and API (25555) listeners, on its address's family.
pub fn director_services(world: &mut World, name: &str, addr: IpAddr) -> Result<(), RunError> {
    let node = world.node(name)?.id;
    for (s, service) in director_listens(addr).into_iter().zip([Service::Echo, HTTP_OK]) {
        listen(world, node, name, s, service)?;
    }
    Ok(())
}

/// One scenario rule as a pf rule: `quick`, so the scenario's first match wins; `direction: forward` matches
/// both directions; `iface` binds the rule to that interface (`on eth0`).
fn pf_rule(fw: &Firewall, r: &FirewallRule) -> PfRule {
    let action = match r.action {
        RuleAction::Pass => PfAction::Pass {
            keep_state: r.keep_state,
            sloppy: fw.sloppy,
        },
        RuleAction::Block => PfAction::Block {
            ret: fw.block == BlockPolicy::Return,
        },
    };
    let mut rule = PfRule::new(action);
    rule.quick = true;
    rule.dir = match r.direction {
        Direction::In => Some(PfDir::In),
        Direction::Out => Some(PfDir::Out),
        Direction::Forward => None,
    };
    rule.iface = r.iface.as_ref().map(|i| i.value.clone());
    rule.proto = proto_number(r.proto);
    rule.from = r.from.as_ref().map(|c| c.value.0.trunc());
    rule.to = r.to.as_ref().map(|c| c.value.0.trunc());
    rule.port = r.port;
    rule
}

fn proto_number(p: RuleProto) -> Option<u8> {
    match p {
        RuleProto::Any => None,
        RuleProto::Tcp => Some(6),
        RuleProto::Udp => Some(17),
        RuleProto::Icmp => Some(1),
        RuleProto::Icmpv6 => Some(58),
    }
}

/// The simulator firewall a scenario firewall describes (module docs). Every rule the schema allows can be built
/// now; the router name stays in the signature for errors a future rule kind may need.
pub fn firewall(_router: &str, fw: &Firewall) -> Result<dualhome_sim::firewall::Firewall, RunError> {
    match fw.kind {
        FirewallKind::Pf => {
            let mut pf = Pf::default();
            pf.rules = fw.rules.iter().map(|r| pf_rule(fw, r)).collect();
            Ok(dualhome_sim::firewall::Firewall::Pf(pf))
        }
        FirewallKind::Conntrack => {
            let config = CtConfig {
                loose: fw.sloppy,
                ..CtConfig::default()
            };
            let invalid = match fw.invalid {
                InvalidAction::Drop => NftAction::Drop,
                InvalidAction::RejectTcpReset => NftAction::RejectTcpReset,
            };
            let mut rules = vec![
                NftRule::new(invalid).ct(&[CtInfo::Invalid]),
                NftRule::new(NftAction::Accept).ct(&[CtInfo::Established]),
            ];
            for r in &fw.rules {
                let mut rule = NftRule::new(match r.action {
                    RuleAction::Pass => NftAction::Accept,
                    RuleAction::Block => NftAction::Drop,
                });
                rule.l4proto = proto_number(r.proto);
                rule.dport = r.port;
                rule.saddr = r.from.as_ref().map(|c| c.value.0.trunc());
                rule.daddr = r.to.as_ref().map(|c| c.value.0.trunc());
                if r.action == RuleAction::Pass && r.keep_state {
                    rule = rule.ct(&[CtInfo::New]);
                }
                rules.push(rule);
            }
            let mut nft = NftFirewall::invalid_only(invalid, config);
            nft.rules = rules;
            nft.policy_accept = true;
            Ok(dualhome_sim::firewall::Firewall::Conntrack(nft))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw(text: &str) -> Result<Firewall, serde_saphyr::Error> {
        serde_saphyr::from_str(text)
    }

    #[test]
    fn pf_rules_become_quick_so_the_first_match_wins() -> Result<(), serde_saphyr::Error> {
        let f = fw("kind: pf\nblock: return\nrules:\n  - {action: pass, direction: in, iface: eth0, proto: tcp, port: 22}\n  - {action: block, direction: in}\n")?;
        let mut pass = PfRule::pass_tcp(Some(22), false, true);
        pass.dir = Some(PfDir::In);
        pass.iface = Some("eth0".into());
        let mut block = PfRule::block_all(true, true);
        block.dir = Some(PfDir::In);
        match firewall("rtr", &f) {
            Ok(dualhome_sim::firewall::Firewall::Pf(pf)) => assert_eq!(pf.rules, vec![pass, block]),
            other => panic!("{other:?}"),
        }
        let with_addr = fw("kind: pf\nrules:\n  - {action: block, direction: forward, proto: udp, from: 10.0.0.0/8, to: 192.0.2.0/24}\n  - {action: pass, direction: out, proto: icmp, keep_state: false}\n")?;
        match firewall("rtr", &with_addr) {
            Ok(dualhome_sim::firewall::Firewall::Pf(pf)) => {
                let (b, p) = (&pf.rules[0], &pf.rules[1]);
                assert_eq!(
                    (b.dir, b.proto, b.from, b.to),
                    (None, Some(17), "10.0.0.0/8".parse().ok(), "192.0.2.0/24".parse().ok())
                );
                assert_eq!(
                    (p.dir, p.proto, p.action),
                    (
                        Some(PfDir::Out),
                        Some(1),
                        PfAction::Pass {
                            keep_state: false,
                            sloppy: false
                        }
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        Ok(())
    }

    #[test]
    fn conntrack_chain_starts_with_invalid_and_established() -> Result<(), serde_saphyr::Error> {
        let f = fw("kind: conntrack\ninvalid: reject-tcp-reset\nrules:\n  - {action: pass, direction: forward, proto: tcp, port: 22}\n")?;
        match firewall("rtr", &f) {
            Ok(dualhome_sim::firewall::Firewall::Conntrack(n)) => {
                assert_eq!(n.rules.len(), 3);
                assert_eq!(n.rules[0].action, NftAction::RejectTcpReset);
                assert_eq!(n.rules[2].dport, Some(22));
                assert!(n.policy_accept);
            }
            other => panic!("{other:?}"),
        }
        Ok(())
    }
}
