//! BOSH-director IP address management for manual networks, IPv4 and IPv6, at any range size.
//!
//! The model is the director's manual-network IPAM (`/work/shared/reference/bosh-networking.md` §4): parse a cloud
//! config and a deployment manifest ([`parse_cloud_config`], [`parse_manifest`]), then [`plan`] every instance
//! `group/index` and render the settings the director sends the agent ([`Plan::settings`], §2.1) in the current or
//! the 2018 form. Errors carry the director's text and the file, line and column of the offending value
//! ([`IpamError`]). Addresses are `u128` with a family ([`Addr`]); sets of addresses are intervals ([`IntervalSet`]),
//! so a reserved range of 2^63 addresses costs what one address costs.
//!
//! ```
//! use dualhome_ipam::{parse_cloud_config, parse_manifest, plan, Era, PlanInput};
//! let cc = parse_cloud_config("cc.yml", "networks:\n- name: n\n  subnets:\n  - {range: '2001:db8::/125', gateway: '2001:db8::1'}\n")?;
//! let m = parse_manifest("m.yml", "name: d\ninstance_groups:\n- {name: web, instances: 2, networks: [{name: n}]}\n")?;
//! let p = plan(&PlanInput { cloud_config: &cc, manifest: &m, director_ips: &[], state: None })?;
//! let json = p.settings(Era::Current);
//! assert_eq!(json.instances[1].networks["n"].ip.as_deref(), Some("2001:db8::3"));
//! # Ok::<(), dualhome_ipam::IpamError>(())
//! ```

#![warn(missing_docs)]

pub mod addr;
pub mod cloud_config;
pub mod error;
pub mod instance_group;
pub mod interval;
pub mod lint;
pub mod plan;
pub mod range_form;
pub mod settings;
pub mod source;
pub mod state;
pub mod subnet;
pub mod table;

pub use addr::{Addr, Era, Family};
pub use error::{At, ErrorKind, IpamError};
pub use interval::IntervalSet;
pub use lint::{lint, Finding};
pub use plan::{plan, Plan, PlanInput, PlannedAddress, PlannedInstance, PlannedNetwork};
pub use settings::{InstanceSettings, NetworkSettings, SettingsDocument};
pub use source::{parse_cloud_config, parse_manifest, CloudConfig, Manifest};
pub use state::{parse_state, State};
pub use table::render_table;
