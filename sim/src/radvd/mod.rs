//! The router side of Neighbour Discovery: a radvd-like RA daemon per router interface (RFC 4861 §6.2,
//! RFC 4191 preferences and Route Information, RFC 8106 RDNSS/DNSSL), configured in code or from a real
//! `radvd.conf` file, and attached to a router [`crate::host::node::Host`] so that it sends from the router's own
//! link-local address and MAC.
//!
//! - [`config`]: what an interface advertises, with radvd's defaults;
//! - [`conf_file`]: the radvd.conf(5) reader with `file:line:column` errors;
//! - [`daemon`]: the sans-I/O timing state machine (intervals with seeded jitter, fast initial RAs, RS answers
//!   with the RFC 4861 §6.2.6 delay and rate limit, the final RA);
//! - [`advert`]: the RA bytes;
//! - [`on_host`]: the glue that runs daemons inside a host.

pub mod advert;
pub mod conf_file;
pub mod config;
pub mod daemon;
pub mod on_host;

pub use conf_file::{parse_radvd_conf, ConfError};
pub use config::{DnsslConfig, PrefixConfig, RaIfaceConfig, RdnssConfig, RouteConfig};
pub use daemon::{RaDaemon, RaSend, RaStats};
pub use on_host::{Radvd, RadvdError};
