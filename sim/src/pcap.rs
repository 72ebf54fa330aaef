//! pcapng capture per segment (being written).
