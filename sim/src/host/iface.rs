//! Network interfaces of one host: name, ifindex, MAC, MTU, admin state and carrier.
//!
//! `lo` (ifindex 1) always exists; Ethernet interfaces get the next ifindex in creation order, as a fresh namespace
//! numbers them (`eth0` = 2, …).

use crate::id::IfIndex;

/// What kind of device an interface is (decides the `ip link` flags and `link/…` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// The loopback device.
    Loopback,
    /// An Ethernet NIC.
    Ether,
}

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Kernel interface index.
    pub ifindex: IfIndex,
    /// Interface name (`eth0`).
    pub name: String,
    /// Kind of device.
    pub kind: LinkKind,
    /// Hardware address.
    pub mac: [u8; 6],
    /// Link MTU.
    pub mtu: u32,
    /// `ip link set up` (IFF_UP).
    pub admin_up: bool,
    /// Carrier present (IFF_LOWER_UP).
    pub carrier: bool,
    /// Queueing discipline name shown by `ip link` (`noqueue`, `fq_codel`).
    pub qdisc: &'static str,
    /// Transmit queue length shown as `qlen`.
    pub txqlen: u32,
}

impl Interface {
    /// Whether the device can pass packets (IFF_UP and carrier; `netif_running` + `netif_carrier_ok`).
    pub fn is_running(&self) -> bool {
        self.admin_up && self.carrier
    }

    /// The flags in `ip link` order, as iproute2 prints them between `<` and `>` (ipaddress.c:print_link_flags).
    pub fn link_flags(&self) -> String {
        let mut f: Vec<&str> = Vec::with_capacity(5);
        if self.admin_up && !self.carrier {
            f.push("NO-CARRIER");
        }
        match self.kind {
            LinkKind::Loopback => f.push("LOOPBACK"),
            LinkKind::Ether => {
                f.push("BROADCAST");
                f.push("MULTICAST");
            }
        }
        if self.admin_up {
            f.push("UP");
            if self.carrier {
                f.push("LOWER_UP");
            }
        }
        f.join(",")
    }

    /// RFC 2863 operstate as `ip link` prints it: loopback is `UNKNOWN` while up (it never reports operstate).
    pub fn operstate(&self) -> &'static str {
        match (self.kind, self.admin_up, self.carrier) {
            (_, false, _) => "DOWN",
            (LinkKind::Loopback, true, _) => "UNKNOWN",
            (LinkKind::Ether, true, true) => "UP",
            (LinkKind::Ether, true, false) => "DOWN",
        }
    }
}

/// Errors from interface operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IfaceError {
    /// No interface has that index or name (ENODEV).
    #[error("Cannot find device \"{0}\"")]
    NoDevice(String),
    /// The name is taken (EEXIST).
    #[error("RTNETLINK answers: File exists")]
    Exists,
}

/// The interfaces of one host, in ifindex order.
#[derive(Debug, Clone)]
pub struct Interfaces {
    list: Vec<Interface>,
    /// Change stamp for the route cache; every `&mut` method takes a fresh one.
    version: super::version::Version,
}

impl PartialEq for Interfaces {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}
impl Eq for Interfaces {}

impl Default for Interfaces {
    fn default() -> Self {
        Interfaces::new()
    }
}

impl Interfaces {
    /// A host with only `lo`, up (a booted VM; a bare netns would have it down).
    pub fn new() -> Interfaces {
        Interfaces {
            list: vec![Interface {
                ifindex: IfIndex::LOOPBACK,
                name: "lo".to_string(),
                kind: LinkKind::Loopback,
                mac: [0; 6],
                mtu: 65536,
                admin_up: true,
                carrier: true,
                qdisc: "noqueue",
                txqlen: 1000,
            }],
            version: super::version::Version::fresh(),
        }
    }

    /// The change stamp: equal stamps, equal interfaces.
    pub fn version(&self) -> super::version::Version {
        self.version
    }

    /// Adds an Ethernet interface, down and with carrier, and returns its ifindex (the next free one).
    pub fn add_ether(&mut self, name: &str, mac: [u8; 6], mtu: u32) -> Result<IfIndex, IfaceError> {
        if self.by_name(name).is_some() {
            return Err(IfaceError::Exists);
        }
        self.version = super::version::Version::fresh();
        let next = self.list.iter().map(|i| i.ifindex.0).max().unwrap_or(0) + 1;
        let ifindex = IfIndex(next);
        self.list.push(Interface {
            ifindex,
            name: name.to_string(),
            kind: LinkKind::Ether,
            mac,
            mtu,
            admin_up: false,
            carrier: true,
            qdisc: "fq_codel",
            txqlen: 1000,
        });
        Ok(ifindex)
    }

    /// The interface with this index.
    pub fn get(&self, ifindex: IfIndex) -> Option<&Interface> {
        // Interfaces are dense in creation order, so the index is usually the position.
        match self.list.get((ifindex.0 as usize).wrapping_sub(1)) {
            Some(i) if i.ifindex == ifindex => Some(i),
            _ => self.list.iter().find(|i| i.ifindex == ifindex),
        }
    }

    /// Mutable access to one interface.
    pub fn get_mut(&mut self, ifindex: IfIndex) -> Option<&mut Interface> {
        self.version = super::version::Version::fresh();
        self.list.iter_mut().find(|i| i.ifindex == ifindex)
    }

    /// The interface with this name.
    pub fn by_name(&self, name: &str) -> Option<&Interface> {
        self.list.iter().find(|i| i.name == name)
    }

    /// The name of an interface, or `"?"` for an unknown index (renderers only).
    pub fn name(&self, ifindex: IfIndex) -> &str {
        self.get(ifindex).map_or("?", |i| i.name.as_str())
    }

    /// All interfaces in ifindex order (the kernel's dev_base order, `lo` first).
    pub fn iter(&self) -> impl Iterator<Item = &Interface> {
        self.list.iter()
    }

    /// Whether the device exists and is administratively up (routes through a down device are dead).
    pub fn is_up(&self, ifindex: IfIndex) -> bool {
        self.get(ifindex).is_some_and(|i| i.admin_up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lo_first_then_eth_in_order() {
        let mut t = Interfaces::new();
        let e0 = t.add_ether("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        let e1 = t.add_ether("eth1", [2, 0, 0, 0, 0, 2], 1500).unwrap();
        assert_eq!((e0, e1), (IfIndex(2), IfIndex(3)));
        assert_eq!(t.add_ether("eth0", [0; 6], 1500), Err(IfaceError::Exists));
        assert_eq!(t.get(IfIndex(1)).map(|i| i.name.as_str()), Some("lo"));
        assert_eq!(t.name(e1), "eth1");
    }

    #[test]
    fn flags_and_operstate_follow_iproute2() {
        let mut t = Interfaces::new();
        let e0 = t.add_ether("eth0", [2, 0, 0, 0, 0, 1], 1500).unwrap();
        assert_eq!(t.get(IfIndex::LOOPBACK).unwrap().link_flags(), "LOOPBACK,UP,LOWER_UP");
        assert_eq!(t.get(IfIndex::LOOPBACK).unwrap().operstate(), "UNKNOWN");
        assert_eq!(t.get(e0).unwrap().link_flags(), "BROADCAST,MULTICAST");
        assert_eq!(t.get(e0).unwrap().operstate(), "DOWN");
        let i = t.get_mut(e0).unwrap();
        i.admin_up = true;
        assert_eq!(i.link_flags(), "BROADCAST,MULTICAST,UP,LOWER_UP");
        assert_eq!(i.operstate(), "UP");
        i.carrier = false;
        assert_eq!(i.link_flags(), "NO-CARRIER,BROADCAST,MULTICAST,UP");
        assert!(!i.is_running());
    }
}
