//! The BOSH deploy: the director's IPAM plans every instance, a CPI gives each VM one NIC per network on the
//! segment its subnet's `cloud_properties.name` maps to, and the agent's boot operations are replayed onto the
//! simulated host through [`BootTarget`] (bosh-networking.md §1–§2).
//!
//! The agent's first contact is its heartbeat (NATS, sim/src/app/heartbeat.rs): a VM whose beats are answered is
//! `running` in `bosh instances`, one whose beats never are is `unresponsive agent` (the deploy times out).
//!
//! MACs: `bosh.vm_macs` when listed, else `00:50:56` (VMware's OUI, as vSphere assigns) followed by three bytes
//! mixed from the scenario seed, the instance name and the NIC index — deterministic, and re-drawn on a collision.

use super::convert::{agent_route, agent_rule, sim_mac};
use super::world::{IfaceEntry, NodeEntry, NodeKind, World};
use super::RunError;
use crate::scenario::bosh::{Bosh, BoshInput, Era as ScEra, Profile as ScProfile};
use crate::scenario::reference::AddrRef;
use crate::scenario::Scenario;
use dualhome_agent::addr::Mac;
use dualhome_agent::{replay, BootTarget, Nic, OpFailure, Profile, Settings};
use dualhome_ipam::{parse_cloud_config, parse_manifest, plan, Addr, Era, PlanInput, SettingsDocument};
use dualhome_sim::id::{NodeId, SegmentId};
use dualhome_sim::transport::nginx::{parse_server_listens, ListenSocket};
use ipnet::IpNet;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// One deployed VM: what the director planned and what the boot did.
#[derive(Clone, Debug)]
pub struct DeployedVm {
    /// `group/index`.
    pub name: String,
    /// IPs as the director prints them in `bosh instances` (the era's form: 2018 expands IPv6).
    pub director_ips: Vec<String>,
    /// Networks in the group's order: (network name, NIC name, planned address, gateway, has IPv6).
    pub networks: Vec<VmNetwork>,
    /// Boot ops the simulated host refused.
    pub failures: Vec<OpFailure>,
    /// Index of the agent's heartbeat application on the VM.
    pub agent_app: Option<usize>,
}

/// One network of a deployed VM.
#[derive(Clone, Debug)]
pub struct VmNetwork {
    /// BOSH network name.
    pub network: String,
    /// The NIC (`eth0`).
    pub nic: String,
    /// The planned address with the subnet's prefix length.
    pub address: Option<IpNet>,
    /// The subnet gateway.
    pub gateway: Option<IpAddr>,
    /// `default: [gateway]` on this network.
    pub default_gateway: bool,
}

/// The IPAM's view of the deployment: the settings document in the era's form.
pub struct Planned {
    /// What the director sends the agents.
    pub settings: SettingsDocument,
    /// Which era.
    pub era: Era,
}

fn era(e: ScEra) -> Era {
    match e {
        ScEra::Y2018 => Era::Y2018,
        ScEra::Current => Era::Current,
    }
}

fn profile_name(p: ScProfile) -> &'static str {
    match p {
        ScProfile::Trusty2018 => "trusty-2018",
        ScProfile::Jammy => "jammy",
        ScProfile::NoblePoc => "noble-poc",
        ScProfile::Hardened => "hardened",
    }
}

/// Runs the director's IPAM on the scenario's BOSH inputs.
pub fn plan_deployment(scenario: &Scenario, bosh: &Bosh) -> Result<Planned, RunError> {
    let text = |which| -> Result<String, RunError> {
        scenario
            .bosh_text(which)
            .ok_or_else(|| RunError::Setup("no bosh section".into()))?
            .map_err(|e| RunError::Setup(e.to_string()))
    };
    let cc_name = bosh_file_name(scenario, BoshInput::CloudConfig);
    let m_name = bosh_file_name(scenario, BoshInput::Manifest);
    let cc = parse_cloud_config(&cc_name, &text(BoshInput::CloudConfig)?).map_err(ipam_err)?;
    let manifest = parse_manifest(&m_name, &text(BoshInput::Manifest)?).map_err(ipam_err)?;
    let director_ips = [Addr::from(bosh.director.address.value.addr())];
    let p = plan(&PlanInput {
        cloud_config: &cc,
        manifest: &manifest,
        director_ips: &director_ips,
        state: None,
    })
    .map_err(ipam_err)?;
    let era = era(bosh.era);
    Ok(Planned {
        settings: p.settings(era),
        era,
    })
}

/// The name a BOSH input is reported under: its path as the scenario resolves it, or `<input> (inline)`.
pub fn bosh_file_name(scenario: &Scenario, which: BoshInput) -> String {
    let (src, what) = match (&scenario.bosh, which) {
        (Some(b), BoshInput::CloudConfig) => (&b.cloud_config.value, "cloud_config"),
        (Some(b), BoshInput::Manifest) => (&b.manifest.value, "manifest"),
        (None, _) => return String::new(),
    };
    match src {
        crate::scenario::bosh::BoshSource::Path(p) => super::batch::display_path(&scenario.resolve_path(p)),
        crate::scenario::bosh::BoshSource::Inline(_) => format!("bosh.{what} (inline)"),
    }
}

fn ipam_err(e: dualhome_ipam::IpamError) -> RunError {
    RunError::Deploy(format!("director: {e}"))
}

/// splitmix64: a fixed, well-mixed function of the seed (no RNG state shared with the simulation).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A vSphere-style MAC for NIC `nic` of `instance`, not in `taken`.
pub fn derived_mac(seed: u64, instance: &str, nic: usize, taken: &BTreeSet<[u8; 6]>) -> [u8; 6] {
    let mut h = seed;
    for b in instance.bytes().chain(std::iter::once(nic as u8)) {
        h = mix(h ^ u64::from(b));
    }
    loop {
        let b = h.to_be_bytes();
        // 00:50:56:00-3f is VMware's range for vCenter-generated MACs; keep the 4th byte in it.
        let mac = [0x00, 0x50, 0x56, b[0] & 0x3f, b[1], b[2]];
        if !taken.contains(&mac) {
            return mac;
        }
        h = mix(h);
    }
}

/// The director node: one NIC, its address, its default route.
pub fn add_director(scenario: &Scenario, world: &mut World, bosh: &Bosh, seed: u64) -> Result<(), RunError> {
    let d = &bosh.director;
    let name = d.name.value.clone();
    let taken = all_macs(scenario);
    let mac = d
        .mac
        .as_ref()
        .map_or_else(|| derived_mac(seed, &name, 0, &taken), |m| m.value.0);
    let segment = world.segment(&d.segment.value)?;
    let id = world.sim.add_host(&name);
    let port = World::port_config(scenario, &d.segment.value, false);
    let ifindex = world
        .sim
        .add_nic(id, "eth0", sim_mac(mac), segment, port)
        .map_err(|e| RunError::Setup(format!("{name}: {e}")))?;
    let net = d.address.value.0;
    super::world::add_address(world, id, &name, ifindex, net)?;
    if let Some(gw) = &d.gateway {
        let dst: IpNet = if gw.value.0.is_ipv4() {
            "0.0.0.0/0".parse().map_err(|_| RunError::Setup("default".into()))?
        } else {
            "::/0".parse().map_err(|_| RunError::Setup("default".into()))?
        };
        let metric = if gw.value.0.is_ipv6() { 1024 } else { 0 };
        let route = dualhome_sim::host::route::Route::new(dst, Some(gw.value.0), ifindex).with_metric(metric);
        world
            .sim
            .with_host(id, |h, _| h.add_route(route))
            .ok_or_else(|| RunError::Setup("director is not a host".into()))?
            .map_err(|e| RunError::Setup(format!("{name}: ip route add default: {e}")))?;
    }
    world.nodes.insert(
        name.clone(),
        NodeEntry {
            id,
            kind: NodeKind::Director,
            ifaces: vec![IfaceEntry {
                name: "eth0".into(),
                ifindex,
                segment: d.segment.value.clone(),
                mac,
                configured: vec![net],
            }],
        },
    );
    super::services::director_services(world, &name, net.addr())
}

fn all_macs(scenario: &Scenario) -> BTreeSet<[u8; 6]> {
    let mut set: BTreeSet<[u8; 6]> = scenario.topology.interfaces().map(|i| i.mac.value.0).collect();
    if let Some(b) = &scenario.bosh {
        set.extend(b.vm_macs.iter().map(|m| m.mac.value.0));
        set.extend(b.director.mac.iter().map(|m| m.value.0));
    }
    set
}

/// One VM's boot as the agent plans it: the CPI's NICs and the ordered operations the simulator replays on its
/// host and the kernel backend replays into the VM's namespace (kernel/bosh.rs), so both boot the same way.
#[derive(Clone, Debug)]
pub struct VmBoot {
    /// `group/index`.
    pub instance: String,
    /// The agent's settings with the CPI's MACs.
    pub settings: Settings,
    /// NICs in CPI order (`eth0`, `eth1`, …).
    pub nics: Vec<Nic>,
    /// NIC name → segment name (the subnet's port group through `bosh.networks`).
    pub segments: Vec<(String, String)>,
    /// The boot operations (after the reboot, when the profile reboots once).
    pub ops: Vec<dualhome_agent::BootOp>,
    /// IPs as the director prints them.
    pub director_ips: Vec<String>,
}

/// The boot of every planned instance, in plan order: MACs (`bosh.vm_macs` or derived), segments, agent ops.
pub fn boot_plans(scenario: &Scenario, bosh: &Bosh, planned: &Planned, seed: u64) -> Result<Vec<VmBoot>, RunError> {
    let mut taken = all_macs(scenario);
    let base = Profile::by_name(profile_name(bosh.profile)).map_err(|e| RunError::Deploy(e.to_string()))?;
    let mut out = Vec::new();
    for inst in &planned.settings.instances {
        let json = serde_json::to_string(&serde_json::json!({
            "deployment": planned.settings.deployment,
            "era": planned.settings.era,
            "instances": [inst],
        }))
        .map_err(|e| RunError::Deploy(e.to_string()))?;
        let mut settings = dualhome_agent::cpi::settings_from_plan(&json, &inst.instance)
            .map_err(|e| RunError::Deploy(format!("{}: agent settings: {e}", inst.instance)))?;
        let mut nics = Vec::new();
        let mut segments = Vec::new();
        for (i, (net_name, net)) in inst.networks.iter().enumerate() {
            let nic_name = format!("eth{i}");
            let listed = bosh.vm_macs.iter().find(|m| match &m.nic.value {
                AddrRef::Node { node, iface, .. } => {
                    node.to_string() == inst.instance && iface.as_deref() == Some(nic_name.as_str())
                }
                AddrRef::Literal(_) => false,
            });
            let mac = listed.map_or_else(|| derived_mac(seed, &inst.instance, i, &taken), |m| m.mac.value.0);
            taken.insert(mac);
            let port_group = net.cloud_properties.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let seg_name = bosh.networks.get(port_group).map(|s| s.value.clone()).ok_or_else(|| {
                RunError::Deploy(format!(
                    "{}: network `{net_name}` has port group `{port_group}`, which `bosh.networks` does not map",
                    inst.instance
                ))
            })?;
            segments.push((nic_name.clone(), seg_name));
            nics.push(Nic {
                name: nic_name,
                mac: Mac(mac),
            });
        }
        dualhome_agent::cpi::assign_macs(&mut settings, &nics)
            .map_err(|e| RunError::Deploy(format!("{}: {e}", inst.instance)))?;
        let profile = base.clone().with_overrides(overrides(bosh, &settings));
        let mut boot = dualhome_agent::plan(&settings, &nics, &profile)
            .map_err(|e| RunError::Deploy(format!("{}: agent: {e}", inst.instance)))?;
        if boot.reboots() {
            // The first boot only rewrites grub; the VM comes back with the after-reboot profile (a fresh kernel).
            boot = dualhome_agent::plan(&settings, &nics, &profile.after_reboot())
                .map_err(|e| RunError::Deploy(format!("{}: agent after reboot: {e}", inst.instance)))?;
        }
        out.push(VmBoot {
            instance: inst.instance.clone(),
            settings,
            nics,
            segments,
            ops: boot.ops,
            director_ips: inst.networks.values().filter_map(|n| n.ip.clone()).collect(),
        });
    }
    Ok(out)
}

/// Deploys every planned instance: NICs, boot ops, then the agent's first contact with the director.
pub fn deploy(
    scenario: &Scenario,
    world: &mut World,
    bosh: &Bosh,
    planned: &Planned,
    seed: u64,
    end: dualhome_sim::time::Instant,
) -> Result<Vec<DeployedVm>, RunError> {
    let director = world.node(&bosh.director.name.value)?.clone();
    let director_ip = director.ifaces[0].configured[0].addr();
    let mut out = Vec::new();
    for vm in boot_plans(scenario, bosh, planned, seed)? {
        let mut segments = Vec::new();
        for (nic, seg_name) in &vm.segments {
            segments.push((nic.clone(), world.segment(seg_name)?, seg_name.clone()));
        }
        let id = world.sim.add_host(&vm.instance);
        let mut target = SimBoot {
            scenario,
            world,
            node: id,
            segments: &segments,
            ifaces: Vec::new(),
        };
        let failures = replay(&vm.ops, &mut target);
        let ifaces = target.ifaces;
        let networks = vm_networks(&vm.settings, &vm.nics);
        let mut entry = NodeEntry {
            id,
            kind: NodeKind::Vm,
            ifaces,
        };
        for n in &networks {
            if let (Some(a), Some(i)) = (n.address, entry.ifaces.iter_mut().find(|i| i.name == n.nic)) {
                i.configured.push(a);
            }
        }
        world.nodes.insert(vm.instance.clone(), entry);
        let listens = job_listens(scenario, &vm.instance)?;
        super::services::vm_services(world, &vm.instance, &listens)?;
        let agent_app = Some(super::flows::start_heartbeat(
            world,
            id,
            &vm.instance,
            director_ip,
            end,
        )?);
        out.push(DeployedVm {
            name: vm.instance,
            director_ips: vm.director_ips,
            networks,
            failures,
            agent_app,
        });
    }
    Ok(out)
}

/// The nginx `listen` directives in the job properties of `instance`'s group (sim/src/transport/nginx.rs).
pub fn job_listens(scenario: &Scenario, instance: &str) -> Result<Vec<ListenSocket>, RunError> {
    let Some(Ok(text)) = scenario.bosh_text(BoshInput::Manifest) else {
        return Ok(Vec::new());
    };
    let doc: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| RunError::Deploy(format!("manifest: {e}")))?;
    let group = instance.split('/').next().unwrap_or_default();
    let jobs = doc
        .get("instance_groups")
        .and_then(|g| g.as_array())
        .and_then(|groups| {
            groups
                .iter()
                .find(|g| g.get("name").and_then(|n| n.as_str()) == Some(group))
        })
        .and_then(|g| g.get("jobs"));
    let mut texts = Vec::new();
    if let Some(jobs) = jobs {
        collect_strings(jobs, &mut texts);
    }
    let mut out = Vec::new();
    for t in texts.iter().filter(|t| t.contains("listen")) {
        let found = parse_server_listens(t).map_err(|e| RunError::Deploy(format!("{instance}: nginx: {e}")))?;
        out.extend(found);
    }
    Ok(out)
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn overrides(bosh: &Bosh, settings: &Settings) -> dualhome_agent::Overrides {
    let ipv6_gateway_network = bosh.overrides.ipv6_gateway.as_ref().and_then(|gw| {
        settings
            .networks
            .iter()
            .find(|n| n.gateway.as_ref().is_some_and(|g| g.addr == gw.value.0))
            .map(|n| n.name.clone())
    });
    dualhome_agent::Overrides {
        extra_sysctls: bosh
            .overrides
            .sysctls
            .iter()
            .map(|(k, v)| (k.clone(), v.value.to_string()))
            .collect(),
        default_gateway_network: None,
        ipv6_gateway_network,
    }
}

fn vm_networks(settings: &Settings, nics: &[Nic]) -> Vec<VmNetwork> {
    settings
        .document_order
        .iter()
        .filter_map(|name| settings.network(name))
        .map(|n| {
            let nic = n
                .mac
                .as_ref()
                .and_then(|m| nics.iter().find(|nic| &nic.mac.sysfs_text() == m))
                .map_or_else(String::new, |nic| nic.name.clone());
            let address =
                n.ip.as_ref()
                    .and_then(|ip| n.subnet().and_then(|p| IpNet::new(ip.addr, p.len).ok()));
            VmNetwork {
                network: n.name.clone(),
                nic,
                address,
                gateway: n.gateway.as_ref().map(|g| g.addr),
                default_gateway: n.is_default_for("gateway"),
            }
        })
        .collect()
}

/// The simulated VM as the agent's boot target.
struct SimBoot<'a> {
    scenario: &'a Scenario,
    world: &'a mut World,
    node: NodeId,
    /// NIC name → segment, from the CPI.
    segments: &'a [(String, SegmentId, String)],
    ifaces: Vec<IfaceEntry>,
}

impl SimBoot<'_> {
    fn with<R>(
        &mut self,
        f: impl FnOnce(&mut dualhome_sim::host::node::Host, &mut dualhome_sim::node::Ctx<'_>) -> R,
    ) -> Result<R, String> {
        self.world
            .sim
            .with_host(self.node, f)
            .ok_or_else(|| "the VM is not a host".to_owned())
    }

    fn ifindex(&self, dev: &str) -> Result<dualhome_sim::id::IfIndex, String> {
        self.ifaces
            .iter()
            .find(|i| i.name == dev)
            .map(|i| i.ifindex)
            .ok_or_else(|| format!("Cannot find device \"{dev}\""))
    }
}

impl BootTarget for SimBoot<'_> {
    fn kernel_cmdline(&mut self, args: &[String]) -> Result<(), String> {
        if args.iter().any(|a| a == "ipv6.disable=1") {
            // No IPv6 module: modelled as IPv6 disabled on every interface, present and future.
            for key in ["net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"] {
                self.with(|h, ctx| h.set_sysctl(ctx, key, "1").map(|_| ()))?
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn nic_created(&mut self, name: &str, mac: Mac) -> Result<(), String> {
        let (_, segment, seg_name) = self
            .segments
            .iter()
            .find(|(n, _, _)| n == name)
            .ok_or_else(|| format!("no CPI NIC {name}"))?
            .clone();
        let ifindex = self
            .with(|h, _| h.add_interface(name, sim_mac(mac.0), 1500))?
            .map_err(|e| e.to_string())?;
        let port = World::port_config(self.scenario, &seg_name, false);
        self.world.sim.connect(self.node, ifindex, segment, port);
        self.ifaces.push(IfaceEntry {
            name: name.to_owned(),
            ifindex,
            segment: seg_name,
            mac: mac.0,
            configured: Vec::new(),
        });
        Ok(())
    }

    fn sysctl_write(&mut self, key: &str, value: &str) -> Result<(), String> {
        if key == "net.ipv6.route.flush" {
            return Ok(());
        }
        self.with(|h, ctx| h.set_sysctl(ctx, key, value).map(|_| ()))?
            .map_err(|e| e.to_string())
    }

    fn link_up(&mut self, dev: &str) -> Result<(), String> {
        let i = self.ifindex(dev)?;
        self.with(|h, ctx| h.set_link(ctx, i, true))?.map_err(|e| e.to_string())
    }

    fn address_added(&mut self, dev: &str, addr: IpAddr, prefix_len: u8) -> Result<(), String> {
        let i = self.ifindex(dev)?;
        let a = dualhome_sim::host::addr::Addr::new(i, addr, prefix_len);
        self.with(|h, ctx| h.add_address(ctx, a))?.map_err(|e| e.to_string())
    }

    fn route_added(&mut self, route: &dualhome_agent::Route) -> Result<(), String> {
        let i = self.ifindex(&route.dev)?;
        let r = agent_route(route, i)?;
        self.with(|h, _| h.add_route(r))?.map_err(|e| e.to_string())
    }

    fn rule_added(&mut self, rule: &dualhome_agent::Rule) -> Result<(), String> {
        let r = agent_rule(rule)?;
        let v6 = rule.from.addr.is_ipv6();
        let prio = Some(rule.priority);
        self.with(|h, _| h.add_rule(r, prio, v6))?
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn reboot(&mut self) -> Result<(), String> {
        Err("reboot inside a replay: the deploy replans with the after-reboot profile instead".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_macs_are_stable_vmware_macs_and_avoid_taken_ones() {
        let none = BTreeSet::new();
        let a = derived_mac(7, "nginx/0", 0, &none);
        assert_eq!(a, derived_mac(7, "nginx/0", 0, &none));
        assert_eq!(&a[..3], &[0x00, 0x50, 0x56]);
        assert!(a[3] <= 0x3f);
        assert_ne!(a, derived_mac(7, "nginx/0", 1, &none));
        assert_ne!(a, derived_mac(8, "nginx/0", 0, &none));
        let taken: BTreeSet<[u8; 6]> = [a].into_iter().collect();
        assert_ne!(derived_mac(7, "nginx/0", 0, &taken), a);
    }
}
