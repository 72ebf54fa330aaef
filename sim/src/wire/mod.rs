//! The packet layer (being written): zero-copy `Packet` views and validated `Repr`s per protocol.
