//! BOSH-agent-style network configuration: director settings to boot-time operations.
