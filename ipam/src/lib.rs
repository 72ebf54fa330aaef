//! BOSH-director-style IP address management for manual networks.
