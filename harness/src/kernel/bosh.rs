//! The BOSH deploy on the kernel side: the director's IPAM plan, one veth per network on the segment its port
//! group maps to, and the agent's boot operations replayed into the VM's namespace — the same
//! [`run::deploy::boot_plans`](crate::run::deploy::boot_plans) list, in the same order, that
//! `run::deploy::deploy` replays on the simulated host (bosh-networking.md §1–§2). The simulator's side of a
//! comparison is built by [`sim_world`], which deploys exactly as `dualhome run` does.
//!
//! Ops go through `ip` and `/proc/sys` like the rest of the backend (netns.rs): a NIC is a veth created down, a
//! sysctl a write in the VM's namespace, an address or route an `ip … add`. A refused op is recorded, not fatal,
//! as on the simulator ([`dualhome_agent::replay()`]); the two backends' refused ops are compared op by op.
//!
//! The agent's first contact: on the simulator a heartbeat app (NATS to the director's 4222, echoed, every 20 s);
//! on the kernel one real TCP connection from the VM's namespace to the director's 4222 listener, kept for the
//! run (`KernelAgent`). `bosh instances` shows `running` once it got through — the simulator: a beat answered;
//! the kernel: the handshake completed (the listener runs no NATS, so nothing is echoed).

use super::netns::{ip, write_sysctl, Lab};
use super::runner::KernelNet;
use super::KernelError;
use crate::run::deploy::{self, DeployedVm, VmBoot};
use crate::run::world::{self, World};
use crate::run::RunError;
use crate::scenario::Scenario;
use dualhome_agent::addr::Mac;
use dualhome_agent::{replay, BootTarget, OpFailure};
use dualhome_sim::transport::nginx::ListenSocket;
use std::net::IpAddr;

/// The simulated network of `scenario` with its BOSH deployment (director, IPAM plan, VMs booted by the agent's
/// ops, services, heartbeats), as `run::execute` builds it before the timeline starts. A director that refuses
/// the deployment leaves the VMs out, as in `dualhome run`.
pub fn sim_world(scenario: &Scenario, seed: u64) -> Result<(World, Vec<DeployedVm>), RunError> {
    let mut w = world::build(scenario, seed)?;
    let Some(bosh) = &scenario.bosh else {
        return Ok((w, Vec::new()));
    };
    let end = dualhome_sim::time::Instant::from_nanos(
        u64::try_from(scenario.duration.value.0.as_nanos()).unwrap_or(u64::MAX),
    );
    deploy::add_director(scenario, &mut w, bosh, seed)?;
    match deploy::plan_deployment(scenario, bosh) {
        Ok(planned) => {
            let vms = deploy::deploy(scenario, &mut w, bosh, &planned, seed, end)?;
            Ok((w, vms))
        }
        Err(RunError::Deploy(msg)) => {
            w.deploy_error = Some(msg);
            Ok((w, Vec::new()))
        }
        Err(e) => Err(e),
    }
}

/// One deployed VM's agent as the kernel side sees it: the director's view of its IPs and its connection.
pub(super) struct KernelAgent {
    /// `group/index`.
    pub(super) vm: String,
    /// IPs as the director prints them (the era's form).
    pub(super) director_ips: Vec<String>,
    /// The agent's TCP connection to the director's NATS port.
    pub(super) conn: super::flows::KernelFlow,
}

impl KernelAgent {
    /// Whether the director heard from the agent: the connection is established.
    pub(super) fn answered(&self) -> bool {
        self.conn.entry().state == super::flows::Outcome::Established.word()
    }
}

/// A boot op one backend refused: `op N: <op>` (the reason is kept apart, the backends word errors differently).
pub fn failure_text(f: &OpFailure) -> String {
    format!("op {}: {}", f.index, f.op)
}

/// sshd on both families (as `run::services::vm_services`) and the job's nginx `listen` sockets.
fn vm_listens(scenario: &Scenario, instance: &str) -> Result<Vec<ListenSocket>, KernelError> {
    let mut out = crate::run::services::SSHD_LISTENS.to_vec();
    out.extend(deploy::job_listens(scenario, instance).map_err(|e| KernelError::Setup(e.to_string()))?);
    Ok(out)
}

impl KernelNet {
    /// Adds the director and every planned VM to the kernel network (after the topology, as on the simulator).
    /// Returns each VM's refused boot ops.
    pub(super) fn deploy_bosh(
        &mut self,
        scenario: &Scenario,
        seed: u64,
        port: &mut usize,
    ) -> Result<Vec<(String, Vec<OpFailure>)>, KernelError> {
        let Some(bosh) = &scenario.bosh else {
            return Ok(Vec::new());
        };
        self.add_director(bosh, port)?;
        let planned = match deploy::plan_deployment(scenario, bosh) {
            Ok(p) => p,
            // Refused by the director: no VMs on either side (sim_world).
            Err(RunError::Deploy(_)) => return Ok(Vec::new()),
            Err(e) => return Err(KernelError::Setup(e.to_string())),
        };
        let boots =
            deploy::boot_plans(scenario, bosh, &planned, seed).map_err(|e| KernelError::Setup(e.to_string()))?;
        let mut out = Vec::new();
        let director = std::net::SocketAddr::new(bosh.director.address.value.0.addr(), 4222);
        for vm in &boots {
            let failures = self.boot_vm(vm, port)?;
            let ns = self.lab.node_ns(&vm.instance);
            let fds = super::sockets::open_listeners(&ns, &vm_listens(scenario, &vm.instance)?)?;
            self.listeners.extend(fds);
            // SYN retransmissions stand in for the simulator's beat every 20 s, until the end of the run.
            let conn = super::flows::start(&ns, "agent", &vm.instance, director, self.end, self.end)?;
            self.agents.push(KernelAgent {
                vm: vm.instance.clone(),
                director_ips: vm.director_ips.clone(),
                conn,
            });
            out.push((vm.instance.clone(), failures));
        }
        Ok(out)
    }

    /// The director: one NIC with the MAC the simulator gave it, its address, its default route, and its NATS
    /// and API listeners (`run::deploy::add_director`, `run::services::director_services`).
    fn add_director(&mut self, bosh: &crate::scenario::bosh::Bosh, port: &mut usize) -> Result<(), KernelError> {
        let d = &bosh.director;
        let name = d.name.value.clone();
        let mac = self
            .names
            .node(&name)
            .ok()
            .and_then(|n| n.ifaces.first())
            .map(|i| i.mac)
            .ok_or_else(|| KernelError::Setup(format!("director `{name}` missing from the simulator's world")))?;
        let ns = self.lab.node_ns(&name);
        self.lab.add_ns(&ns)?;
        self.lab
            .add_nic(&ns, "eth0", &super::runner::mac_text(mac), &d.segment.value, *port)?;
        *port += 1;
        self.lab.link(&ns, "eth0", true)?;
        let net = d.address.value.0;
        ip(&["-n", &ns, "addr", "add", &net.to_string(), "dev", "eth0"])?;
        if let Some(gw) = &d.gateway {
            let dst = if gw.value.0.is_ipv6() { "::/0" } else { "0.0.0.0/0" };
            ip(&[
                "-n",
                &ns,
                "route",
                "add",
                dst,
                "via",
                &gw.value.0.to_string(),
                "dev",
                "eth0",
            ])?;
        }
        let listens = crate::run::services::director_listens(net.addr());
        let fds = super::sockets::open_listeners(&ns, &listens)?;
        self.listeners.extend(fds);
        self.nodes.insert(name, ns);
        Ok(())
    }

    /// One VM: a fresh namespace, then the agent's ops in order.
    fn boot_vm(&mut self, vm: &VmBoot, port: &mut usize) -> Result<Vec<OpFailure>, KernelError> {
        let ns = self.lab.node_ns(&vm.instance);
        self.lab.add_ns(&ns)?;
        self.nodes.insert(vm.instance.clone(), ns.clone());
        let mut target = KernelBoot {
            lab: &mut self.lab,
            ns,
            segments: &vm.segments,
            port,
        };
        Ok(replay(&vm.ops, &mut target))
    }
}

/// A VM's namespace as the agent's boot target.
struct KernelBoot<'a> {
    lab: &'a mut Lab,
    ns: String,
    /// NIC name → segment name, from the CPI.
    segments: &'a [(String, String)],
    port: &'a mut usize,
}

/// `ip`'s complaint, as the op's failure reason.
fn reason(e: KernelError) -> String {
    match e {
        KernelError::Command { detail, .. } => detail,
        other => other.to_string(),
    }
}

impl KernelBoot<'_> {
    fn ip(&self, args: &[&str]) -> Result<(), String> {
        let mut full = vec!["-n", self.ns.as_str()];
        full.extend_from_slice(args);
        ip(&full).map(|_| ()).map_err(reason)
    }
}

impl BootTarget for KernelBoot<'_> {
    fn kernel_cmdline(&mut self, args: &[String]) -> Result<(), String> {
        if args.iter().any(|a| a == "ipv6.disable=1") {
            // A namespace cannot boot without the IPv6 module; IPv6 disabled on every interface, present and
            // future, is what the simulator models it as too (run/deploy.rs SimBoot).
            for key in ["net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"] {
                write_sysctl(&self.ns, key, "1").map_err(reason)?;
            }
        }
        Ok(())
    }

    fn nic_created(&mut self, name: &str, mac: Mac) -> Result<(), String> {
        let segment = self
            .segments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| format!("no CPI NIC {name}"))?;
        self.lab
            .add_nic(&self.ns, name, &super::runner::mac_text(mac.0), &segment, *self.port)
            .map_err(reason)?;
        *self.port += 1;
        Ok(())
    }

    fn sysctl_write(&mut self, key: &str, value: &str) -> Result<(), String> {
        write_sysctl(&self.ns, key, value).map_err(reason)
    }

    fn link_up(&mut self, dev: &str) -> Result<(), String> {
        self.ip(&["link", "set", dev, "up"])
    }

    fn address_added(&mut self, dev: &str, addr: IpAddr, prefix_len: u8) -> Result<(), String> {
        self.ip(&["addr", "add", &format!("{addr}/{prefix_len}"), "dev", dev])
    }

    fn route_added(&mut self, route: &dualhome_agent::Route) -> Result<(), String> {
        let dst = format!("{}/{}", route.dst.addr, route.dst.len);
        let (metric, table, proto) = (
            route.metric.to_string(),
            route.table.to_string(),
            route.proto.to_string(),
        );
        let mut args = vec!["route", "add", dst.as_str()];
        let gw = route.gateway.map(|g| g.to_string());
        if let Some(g) = &gw {
            args.extend(["via", g.as_str()]);
        }
        args.extend([
            "dev",
            route.dev.as_str(),
            "metric",
            &metric,
            "table",
            &table,
            "proto",
            &proto,
        ]);
        self.ip(&args)
    }

    fn rule_added(&mut self, rule: &dualhome_agent::Rule) -> Result<(), String> {
        let fam = if rule.from.addr.is_ipv6() { "-6" } else { "-4" };
        let (prio, from, table) = (
            rule.priority.to_string(),
            format!("{}/{}", rule.from.addr, rule.from.len),
            rule.table.to_string(),
        );
        self.ip(&[fam, "rule", "add", "priority", &prio, "from", &from, "lookup", &table])
    }

    fn reboot(&mut self) -> Result<(), String> {
        Err("reboot inside a replay: the deploy replans with the after-reboot profile instead".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_compared_without_their_wording() {
        let f = OpFailure {
            index: 7,
            op: "ip route add default via 2001:db8:1::1 dev eth1".into(),
            reason: "RTNETLINK answers: File exists".into(),
        };
        assert_eq!(
            failure_text(&f),
            "op 7: ip route add default via 2001:db8:1::1 dev eth1"
        );
    }

    #[test]
    fn vms_listen_for_ssh_on_both_families() {
        let Ok(s) = crate::scenario::load_text(
            "t.yml",
            "name: t\nduration: 1s\n",
            None,
            &crate::scenario::LoadOptions::default(),
        ) else {
            panic!("scenario does not load")
        };
        let l = vm_listens(&s, "nginx/0");
        let Ok(l) = l else { panic!("no listens") };
        assert_eq!(l.len(), 2);
        assert!(l.iter().all(|x| x.addr.port() == 22));
        assert_eq!(l[1].v6only, Some(true));
    }
}
