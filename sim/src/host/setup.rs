//! Building hosts into a simulation: `ip link add` + plugging the cable + `ip link set up`, and running a
//! configuration closure on a host with a proper [`Ctx`] so its effects (DAD probes, pings) are sent.

use super::iid::StableSecret;
use super::node::{Host, HostError};
use crate::engine::Sim;
use crate::id::{IfIndex, NodeId, SegmentId};
use crate::node::Ctx;
use crate::segment::PortConfig;
use crate::wire::MacAddr;

impl Sim {
    /// Adds a Linux-like host with only `lo`. Its neighbour-timer randomness and its `addr_gen_mode = 3` secret are
    /// drawn from the simulation's RNG, so they depend on the seed and on creation order only.
    pub fn add_host(&mut self, name: &str) -> NodeId {
        let secret = StableSecret::random(self.rng());
        let host = Host::new(name, self.rng(), secret);
        self.add_node(Box::new(host))
    }

    /// Adds interface `ifname` with `mac` to host `node`, plugs it into `segment` and brings it up (link-local
    /// address and DAD start now). Sysctls written to `default` before this call apply to the new interface.
    pub fn add_nic(
        &mut self,
        node: NodeId,
        ifname: &str,
        mac: MacAddr,
        segment: SegmentId,
        port: PortConfig,
    ) -> Result<IfIndex, HostError> {
        let ifindex = self
            .with_host(node, |h, _| h.add_interface(ifname, mac, 1500))
            .ok_or_else(|| HostError::Rule(format!("no host {node:?}")))??;
        self.connect(node, ifindex, segment, port);
        self.with_host(node, |h, ctx| h.set_link(ctx, ifindex, true))
            .ok_or_else(|| HostError::Rule(format!("no host {node:?}")))??;
        Ok(ifindex)
    }

    /// Runs `f` on host `node` now; `None` if the node is not a [`Host`].
    pub fn with_host<R>(&mut self, node: NodeId, f: impl FnOnce(&mut Host, &mut Ctx<'_>) -> R) -> Option<R> {
        self.with_node(node, |n, ctx| n.as_any_mut().downcast_mut::<Host>().map(|h| f(h, ctx)))
            .flatten()
    }

    /// Host `node`, read-only.
    pub fn host(&self, node: NodeId) -> Option<&Host> {
        self.node::<Host>(node)
    }
}
