//! Transport layer of the Linux-like host: the socket table ([`socket`]), TCP connections ([`tcp`]), the nginx
//! `listen` directive ([`nginx`]), and the glue that connects them to the host's input and output paths
//! ([`glue`]).
//!
//! Servers are reactive and live here ([`Service`]): a listener says what the accepted connections do with what
//! they receive (discard, echo, answer an HTTP request), so a scenario only needs to say how a service is
//! configured. Clients are applications ([`crate::app`]) that drive connections through the host's verbs.

pub mod glue;
pub mod icmp_err;
pub mod icmp_quote;
pub mod nginx;
pub mod socket;
pub mod tcp;
mod tcp_icmp;
mod tcp_input;
mod tcp_ofo;
mod tcp_output;
mod tcp_sack;
pub mod tcp_seg;
pub mod tcp_timer;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use socket::{SockId, SocketTable};
use tcp::{SegOut, Tcb, TcpConfig};

/// What an accepted connection (or a bound UDP socket) does with what it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Read and discard (a sink, `sshd` before authentication, a director's NATS port).
    Discard,
    /// Send every byte back (echo, port 7; an interactive shell echoing keystrokes).
    Echo,
    /// Answer each request ending in an empty line with `HTTP/1.1 <status>` and a body of `body_len` bytes.
    Http {
        /// Status code.
        status: u16,
        /// Body length.
        body_len: u32,
    },
}

/// A connection handle (index in [`Transport::conns`]; never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

/// One TCP connection and who owns it.
#[derive(Debug, Clone)]
pub struct Conn {
    /// The state machine.
    pub tcb: Tcb,
    /// The listener that accepted it (passive open).
    pub listener: Option<SockId>,
    /// The client application that opened it (index in the host's apps).
    pub owner: Option<usize>,
    /// The connection's socket as the application sees it (family decides v4-mapped views).
    pub sock: SockId,
    /// Interface pinned for a link-local peer (`sk_bound_dev_if` / the SYN's incoming interface).
    pub oif: Option<crate::id::IfIndex>,
    /// Bytes read by the service or application.
    pub read: u64,
    pub(crate) http_pending: Vec<u8>,
}

/// A UDP datagram waiting in a socket's receive queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Sender (as the socket's family sees it).
    pub from: SocketAddr,
    /// Our address it was sent to (wire form).
    pub to: SocketAddr,
    /// Payload.
    pub data: Vec<u8>,
}

/// Transport state of one host.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Sockets (listeners, UDP, and each connection's own socket).
    pub sockets: SocketTable,
    /// Connections, in creation order; closed ones stay for their records.
    pub conns: Vec<Conn>,
    /// Open connections by (local, remote) wire addresses.
    pub(crate) index: BTreeMap<(SocketAddr, SocketAddr), ConnId>,
    /// The last connection a segment was demultiplexed to: a bulk flow hits it on every segment and skips the
    /// tree walk (like the established-socket hash Linux looks up first). Cleared when that entry leaves.
    last_demux: Option<((SocketAddr, SocketAddr), ConnId)>,
    /// What each listener or UDP socket serves.
    pub services: BTreeMap<SockId, Service>,
    /// UDP receive queues of sockets without a service.
    pub udp_queues: BTreeMap<SockId, Vec<Datagram>>,
    /// TCP sysctls for new connections.
    pub tcp_config: TcpConfig,
    /// `TCP_MAXSEG` for new connections: caps the MSS announced and used (ns-3's `SegmentSize`).
    pub max_seg: Option<u16>,
    /// RSTs sent for segments that found no connection or listener.
    pub resets_sent: u64,
    pub(crate) scratch: Vec<SegOut>,
    /// Reused by the timer pass and the echo service so neither allocates per event.
    pub(crate) due_scratch: Vec<ConnId>,
    pub(crate) rx_scratch: Vec<u8>,
}

impl Transport {
    /// Empty, with Linux defaults.
    pub fn new() -> Transport {
        Transport {
            sockets: SocketTable::new(),
            ..Transport::default()
        }
    }

    /// The connection `id`.
    pub fn conn(&self, id: ConnId) -> Option<&Conn> {
        self.conns.get(id.0 as usize)
    }

    /// Connections a listener accepted, in order.
    pub fn accepted(&self, listener: SockId) -> impl Iterator<Item = (ConnId, &Conn)> {
        self.conns
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.listener == Some(listener))
            .map(|(i, c)| (ConnId(i as u32), c))
    }

    /// The open connection for (local, remote) wire addresses.
    pub(crate) fn lookup_conn(&mut self, local: SocketAddr, remote: SocketAddr) -> Option<ConnId> {
        if let Some((k, id)) = self.last_demux {
            if k == (local, remote) {
                return Some(id);
            }
        }
        let id = *self.index.get(&(local, remote))?;
        self.last_demux = Some(((local, remote), id));
        Some(id)
    }

    /// Removes a connection from the demultiplexing index.
    pub(crate) fn unindex(&mut self, key: &(SocketAddr, SocketAddr)) {
        self.index.remove(key);
        if self.last_demux.is_some_and(|(k, _)| k == *key) {
            self.last_demux = None;
        }
    }

    /// Earliest timer of any open connection.
    pub fn poll_at(&self) -> Option<crate::time::Instant> {
        self.index
            .values()
            .filter_map(|id| self.conns.get(id.0 as usize).and_then(|c| c.tcb.poll_at()))
            .min()
    }
}
