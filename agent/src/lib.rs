//! BOSH-agent-style network configuration: director settings → ordered boot-time operations →
//! host configuration, for each stemcell era, plus a `hardened` profile.
//!
//! ```
//! use dualhome_agent::{apply, parse_nics, plan, Profile, Settings};
//!
//! let settings = Settings::from_json(r#"{
//!   "default": {"type": "manual", "ip": "10.0.9.165", "netmask": "255.255.255.0",
//!               "gateway": "10.0.9.1", "mac": "00:50:56:8c:86:a9"},
//!   "ipv6": {"type": "manual", "ip": "2601:0646:0100:69f1:0000:0000:0000:0165",
//!            "netmask": "ffff:ffff:ffff:ffff:0000:0000:0000:0000",
//!            "gateway": "2601:0646:0100:69f1:020d:b9ff:fe48:9249",
//!            "default": ["dns", "gateway"], "mac": "00:50:56:8c:00:02"}
//! }"#).unwrap();
//! let nics = parse_nics("eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:00:02").unwrap();
//! let boot = plan(&settings, &nics, &Profile::trusty_2018()).unwrap();
//! let host = apply(&boot.ops);
//! // The seed's world: both NICs accept Router Advertisements.
//! assert!(host.interface("eth0").unwrap().ipv6.accept_ra);
//! assert!(host.interface("eth1").unwrap().ipv6.accept_ra);
//! ```
//!
//! The verbs:
//! - [`Settings::from_json`] parses the director's settings (2018 expanded or current compressed
//!   form); [`cpi::settings_from_plan`] takes one instance from `dualhome ipam plan --format json`
//!   and [`cpi::assign_macs`] adds the MACs a CPI would.
//! - [`plan()`] places networks on NICs by MAC ([`layout::layout`]) and lists the boot's [`BootOp`]s for a
//!   [`Profile`] (`trusty-2018`, `jammy`, `noble-poc`, `hardened`, each with [`Overrides`]).
//! - [`replay()`] applies the ops to any [`BootTarget`] (the simulator, the kernel backend);
//!   [`apply()`] folds them into a [`HostConfig`] with Linux's sysctl propagation rules
//!   ([`sysctl`], linux-ipv6.md §A).
//! - [`render`] produces the files: `/etc/network/interfaces`, `10_<if>.network`, sysctl lines,
//!   resolv.conf, byte-compatible with the agent's templates.
//!
//! Not modelled: agent `alias` networks, virtual `ethX:N` interfaces, `preconfigured` networks,
//! `env.bosh.ipv6.enable`, DHCP leases (a DHCP interface is only brought up), networkd's
//! userspace RA client beyond its net effect on the interface's `accept_ra`.

#![warn(missing_docs, unreachable_pub)]

pub mod addr;
pub mod cpi;
pub mod error;
pub mod host;
pub mod layout;
pub mod locate;
pub mod ops;
pub mod plan;
pub mod policy;
pub mod profile;
pub mod render;
pub mod replay;
pub mod settings;
pub mod sysctl;

pub use addr::{Mac, Prefix};
pub use error::AgentError;
pub use host::{apply, HostConfig, InterfaceState};
pub use layout::{parse_nics, Layout, Nic};
pub use ops::{BootOp, Route, RouteProto, Rule, MAIN_TABLE};
pub use plan::{plan, BootPlan};
pub use profile::{Overrides, Profile};
pub use replay::{replay, BootTarget, OpFailure};
pub use settings::{Network, Settings};
pub use sysctl::{Ipv6Effective, SysctlTree};
