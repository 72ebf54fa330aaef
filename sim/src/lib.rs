//! Deterministic discrete-event simulator of Ethernet segments and Linux-like hosts.
