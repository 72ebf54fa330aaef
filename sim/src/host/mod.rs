//! The Linux-like host stack (being written).
