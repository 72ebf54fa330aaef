//! BOSH-director-style IP address management for manual networks.
pub mod addr;
pub mod error;
pub mod interval;
pub mod range_form;
pub mod source;
