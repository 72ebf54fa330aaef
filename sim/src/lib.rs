//! Deterministic discrete-event simulator of Ethernet segments and Linux-like hosts.
//!
//! Contract: sans-I/O and deterministic. Virtual time in nanoseconds ([`time::Instant`]), one seeded RNG per
//! simulation, no threads and no wall clock. The same scenario and seed give the same frames, byte for byte.

pub mod app;
pub mod attack;
pub mod engine;
pub mod firewall;
pub mod frame;
pub mod host;
pub mod id;
pub mod node;
pub mod pcap;
pub mod ra_guard;
pub mod radvd;
pub mod segment;
pub mod time;
pub mod trace;
pub mod transport;
pub mod wire;
