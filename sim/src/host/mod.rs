//! The Linux-like host stack.
//!
//! Control-plane tables (pure logic, no packets): sysctls ([`sysctl`], [`conf_keys`], [`conf_effective`]),
//! interfaces ([`iface`]), addresses ([`addr`]), routes and tables ([`route`], [`fib`]), policy rules ([`rule`]),
//! route lookup ([`lookup`]), source address selection ([`srcsel`]), IPv4 martian and reverse-path checks ([`rpf`]),
//! the route-table side of RA processing ([`ra_routes`]), the aggregate that keeps them consistent ([`tables`]) and
//! the `ip`-style renderers ([`render`], [`render_addr`]). Time comes in as `now`; nothing here reads a clock.
//!
//! Subnet-router anycast routes of forwarding interfaces live in [`anycast`].
//!
//! Every table carries a change stamp ([`version`]); the packet path caches route lookups per host
//! (`route_cache`) and the NIC's solicited-node filter (`input`) against those stamps, so a cache can never
//! outlive the state it was computed from.
//!
//! Not modelled in the tables: ECMP multipath (IPv6 siblings from `ip route append`, B16, stay separate routes and
//! the first wins; no `nexthop` rendering), VRFs/l3mdev,
//! IPv4 `fib_select_default` among several default routes, rule actions `goto`/`nop`, `tos`/realms selectors and
//! FIB_RULE_FIND_SADDR, and `ip addrlabel` edits (the default label table only).

pub mod addr;
pub mod anycast;
pub mod conf_effective;
pub mod conf_keys;
pub mod dad;
pub mod fib;
mod forward;
pub mod iface;
pub mod iid;
mod input;
pub mod lookup;
pub mod ndisc;
pub mod neigh;
pub mod node;
pub mod output;
pub mod ra;
pub mod ra_routes;
#[cfg(test)]
mod ra_testutil;
pub mod redirect;
pub mod render;
pub mod render_addr;
pub mod route;
mod route_cache;
pub mod rpf;
pub mod rs;
pub mod rule;
mod setup;
pub mod slaac;
pub mod srcsel;
pub mod sysctl;
pub mod tables;
pub mod version;
