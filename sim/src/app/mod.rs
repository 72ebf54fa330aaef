//! Applications that run on simulated hosts and record results the harness asserts on.
//!
//! An application is sans-I/O like everything else: it says when it next wants to act, asks its host to send
//! packets, and is told what came back. The host owns sockets and routing; an application owns only its schedule
//! and its record.

pub mod bulk;
pub mod heartbeat;
pub mod host_app;
pub mod http;
pub mod ping;
pub mod ssh;
pub mod udp_echo;
