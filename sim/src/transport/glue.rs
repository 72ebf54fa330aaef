//! The host side of TCP and UDP: demultiplexing received segments and datagrams to connections, listeners and
//! sockets (`tcp_v6_rcv`, `udp_rcv`), RSTs for segments nobody wants (`tcp_v6_send_reset`), the socket verbs
//! (`listen`, `connect`, `send`, `close`, UDP `bind`/`sendto`), and the connection timers.
//!
//! Every segment of a connection leaves with the connection's local address as its source, whatever interface the
//! route picks (linux-ipv6.md E7a): the output path is asked with an explicit source and no `oif`.

use std::net::{IpAddr, SocketAddr};

use super::socket::{unmap, Family, Proto, SockError, SockId};
use super::tcp::{reset_for, SegIn, SegOut, Tcb, TcpState};
use super::{Conn, ConnId, Datagram, Service};
use crate::host::node::Host;
use crate::id::IfIndex;
use crate::node::Ctx;
use crate::wire::build::Upper;
use crate::wire::tcp::{TcpFlags, TcpOptions, TcpPacket, TcpRepr};
use crate::wire::udp::{UdpPacket, UdpRepr};

/// How a TCP segment for this host ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpDemux {
    /// An existing connection took it.
    Connection(ConnId),
    /// A listener accepted a SYN.
    Accepted(ConnId),
    /// Nobody wanted it; an RST went back (or none, for an RST).
    Reset,
    /// Malformed options: dropped.
    Dropped,
}

fn is_link_local(a: IpAddr) -> bool {
    matches!(a, IpAddr::V6(x) if x.is_unicast_link_local())
}

fn family_of(a: IpAddr) -> Family {
    match a {
        IpAddr::V4(_) => Family::Inet,
        IpAddr::V6(_) => Family::Inet6,
    }
}

impl Host {
    /// Sends one TCP segment from `src` to `dst` (wire addresses) with `payload`.
    /// `oif` is set only for link-local peers (`inet6_csk_route_req`: oif = the incoming interface).
    pub fn send_tcp_segment(
        &mut self,
        ctx: &mut Ctx<'_>,
        src: SocketAddr,
        dst: SocketAddr,
        oif: Option<IfIndex>,
        seg: &SegOut,
        payload: &[u8],
    ) -> Result<(), SockError> {
        let repr = TcpRepr {
            src_port: src.port(),
            dst_port: dst.port(),
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            window: seg.window,
            urgent: 0,
            options: TcpOptions {
                mss: seg.mss,
                window_scale: seg.wscale,
                sack_permitted: seg.sack_permitted,
                sack_blocks: seg.sack,
                ..TcpOptions::default()
            },
            payload,
        };
        let r = match (src.ip(), dst.ip()) {
            (IpAddr::V6(s), IpAddr::V6(d)) => self.send_ipv6(ctx, Some(s), d, oif, None, &Upper::Tcp(repr)),
            (IpAddr::V4(s), IpAddr::V4(d)) => self.send_ipv4(ctx, Some(s), d, None, &Upper::Tcp(repr)),
            _ => return Err(SockError::Invalid),
        };
        r.map_err(|_| SockError::NetUnreachable)
    }

    /// Sends what connection `id`'s state machine queued in the scratch list.
    pub(super) fn flush_conn(&mut self, ctx: &mut Ctx<'_>, id: ConnId) {
        let mut segs = std::mem::take(&mut self.transport.scratch);
        for seg in segs.drain(..) {
            let Some(c) = self.transport.conns.get_mut(id.0 as usize) else {
                break;
            };
            let (local, remote, oif) = (c.tcb.local, c.tcb.remote, c.oif);
            // The send buffer is lent to the output path for the duration of the send: no per-segment copy.
            let range = c.tcb.send_range(seg.data.clone());
            let buf = std::mem::take(&mut c.tcb.send_buf);
            let _ = self.send_tcp_segment(ctx, local, remote, oif, &seg, &buf[range]);
            if let Some(c) = self.transport.conns.get_mut(id.0 as usize) {
                c.tcb.send_buf = buf;
            }
        }
        self.transport.scratch = segs;
    }

    /// `tcp_v4_rcv` / `tcp_v6_rcv`: a segment whose checksum the frame parser verified.
    pub(crate) fn tcp_input(
        &mut self,
        ctx: &mut Ctx<'_>,
        iif: IfIndex,
        src: IpAddr,
        dst: IpAddr,
        l4: &[u8],
    ) -> TcpDemux {
        let Ok(p) = TcpPacket::new_checked(l4) else {
            return TcpDemux::Dropped;
        };
        // Bulk data carries no options: read them only when there are some (malformed ones drop the segment).
        let options = if p.options().is_empty() {
            TcpOptions::default()
        } else {
            match TcpOptions::parse(p.options()) {
                Ok(o) => o,
                Err(_) => return TcpDemux::Dropped,
            }
        };
        let seg = SegIn {
            seq: p.seq(),
            ack: p.ack(),
            flags: p.flags(),
            window: p.window(),
            mss: options.mss,
            wscale: options.window_scale,
            sack_permitted: options.sack_permitted,
            sack: options.sack_blocks,
            payload: &l4[p.header_len().min(l4.len())..],
        };
        let local = SocketAddr::new(dst, p.dst_port());
        let remote = SocketAddr::new(src, p.src_port());
        if let Some(id) = self.transport.lookup_conn(local, remote) {
            let mut out = std::mem::take(&mut self.transport.scratch);
            if let Some(c) = self.transport.conns.get_mut(id.0 as usize) {
                c.tcb.on_segment(ctx.now, &seg, &mut out);
            }
            self.transport.scratch = out;
            self.flush_conn(ctx, id);
            self.after_conn_event(ctx, id);
            return TcpDemux::Connection(id);
        }
        let f = seg.flags;
        if f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::ACK) && !f.contains(TcpFlags::RST) {
            if let Some(l) = self.transport.sockets.lookup(Proto::Tcp, dst, local.port()) {
                let oif = is_link_local(src).then_some(iif);
                return self.tcp_accept(ctx, l, local, remote, oif, &seg);
            }
        }
        self.transport.resets_sent += u64::from(!f.contains(TcpFlags::RST));
        if let Some(rst) = reset_for(&seg) {
            let oif = is_link_local(src).then_some(iif);
            let _ = self.send_tcp_segment(ctx, local, remote, oif, &rst, &[]);
        }
        TcpDemux::Reset
    }

    fn tcp_accept(
        &mut self,
        ctx: &mut Ctx<'_>,
        listener: SockId,
        local: SocketAddr,
        remote: SocketAddr,
        oif: Option<IfIndex>,
        syn: &SegIn<'_>,
    ) -> TcpDemux {
        let fam = self
            .transport
            .sockets
            .get(listener)
            .map_or(family_of(local.ip()), |s| s.family);
        let mut cfg = self.transport.tcp_config;
        cfg.mss = mss_for(local.ip()).min(self.transport.max_seg.unwrap_or(u16::MAX));
        let iss = rand::Rng::next_u32(ctx.rng);
        let mut out = std::mem::take(&mut self.transport.scratch);
        let mut tcb = Tcb::accept(cfg, local, remote, iss, syn, ctx.now, &mut out);
        self.transport.scratch = out;
        tcb.set_discard(self.transport.services.get(&listener) == Some(&Service::Discard));
        let sock = self.transport.sockets.open(fam, Proto::Tcp, false);
        let id = self.push_conn(tcb, Some(listener), None, sock, oif);
        self.flush_conn(ctx, id);
        TcpDemux::Accepted(id)
    }

    fn push_conn(
        &mut self,
        tcb: Tcb,
        listener: Option<SockId>,
        owner: Option<usize>,
        sock: SockId,
        oif: Option<IfIndex>,
    ) -> ConnId {
        let id = ConnId(self.transport.conns.len() as u32);
        self.transport.index.insert((tcb.local, tcb.remote), id);
        self.transport.conns.push(Conn {
            tcb,
            listener,
            owner,
            sock,
            oif,
            read: 0,
            http_pending: Vec::new(),
        });
        id
    }

    /// After input or a timer: the listener's service reacts, a closed connection leaves the table, the owning
    /// application runs.
    pub(super) fn after_conn_event(&mut self, ctx: &mut Ctx<'_>, id: ConnId) {
        let Some(c) = self.transport.conns.get(id.0 as usize) else {
            return;
        };
        let service = c.listener.and_then(|l| self.transport.services.get(&l).copied());
        if let Some(s) = service {
            self.serve(ctx, id, s);
        }
        let Some(c) = self.transport.conns.get(id.0 as usize) else {
            return;
        };
        let owner = c.owner;
        if c.tcb.state == TcpState::Closed {
            let (key, sock) = ((c.tcb.local, c.tcb.remote), c.sock);
            self.transport.unindex(&key);
            self.transport.sockets.close(sock);
        }
        if let Some(i) = owner {
            self.run_app(ctx, i);
        }
    }

    fn serve(&mut self, ctx: &mut Ctx<'_>, id: ConnId, service: Service) {
        let now = ctx.now;
        let mut out = std::mem::take(&mut self.transport.scratch);
        let Some(c) = self.transport.conns.get_mut(id.0 as usize) else {
            self.transport.scratch = out;
            return;
        };
        match service {
            Service::Discard => c.read += c.tcb.recv_discard() as u64,
            Service::Echo => {
                let data = &mut self.transport.rx_scratch;
                data.clear();
                c.tcb.recv(data);
                c.read += data.len() as u64;
                if !data.is_empty() {
                    c.tcb.send(data);
                }
            }
            Service::Http { status, body_len } => {
                let mut data = std::mem::take(&mut c.http_pending);
                c.tcb.recv(&mut data);
                c.read += data.len() as u64;
                while let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    data.drain(..end + 4);
                    let head = format!(
                        "HTTP/1.1 {status} {}\r\nContent-Length: {body_len}\r\n\r\n",
                        reason(status)
                    );
                    c.tcb.send(head.as_bytes());
                    c.tcb.send(&vec![b'x'; body_len as usize]);
                }
                c.http_pending = data;
            }
        }
        if c.tcb.peer_closed() && c.tcb.state == TcpState::CloseWait {
            c.tcb.close(now, &mut out);
        } else {
            c.tcb.output(now, &mut out);
        }
        self.transport.scratch = out;
        self.flush_conn(ctx, id);
    }

    /// `socket(); setsockopt(IPV6_V6ONLY); bind(); listen()` with a service for accepted connections.
    pub fn tcp_listen(
        &mut self,
        family: Family,
        addr: SocketAddr,
        v6only: Option<bool>,
        service: Service,
    ) -> Result<SockId, SockError> {
        let id = self.open_bound(family, Proto::Tcp, addr, v6only)?;
        self.transport.sockets.listen(id)?;
        self.transport.services.insert(id, service);
        Ok(id)
    }

    fn open_bound(
        &mut self,
        family: Family,
        proto: Proto,
        addr: SocketAddr,
        v6only: Option<bool>,
    ) -> Result<SockId, SockError> {
        let bindv6only = self.tables.sysctl.global.bindv6only != 0;
        let id = self.transport.sockets.open(family, proto, bindv6only);
        let r = (|| {
            if let Some(v) = v6only {
                self.transport.sockets.set_v6only(id, v)?;
            }
            let addrs = &self.tables.addrs;
            self.transport
                .sockets
                .bind(id, addr, |a| addrs.find_local(a).is_some() || a.is_loopback())
        })();
        if let Err(e) = r {
            self.transport.sockets.close(id);
            return Err(e);
        }
        Ok(id)
    }

    /// `connect()` from a socket of `family` (optionally bound to `bind`) to `dst`; a v4-mapped `dst` on AF_INET6
    /// goes out as IPv4. The source is the bound address or the route's preferred source. `owner` is the app to
    /// wake on events.
    pub fn tcp_connect(
        &mut self,
        ctx: &mut Ctx<'_>,
        family: Family,
        dst: SocketAddr,
        bind: Option<IpAddr>,
        owner: Option<usize>,
    ) -> Result<ConnId, SockError> {
        let wire_dst = SocketAddr::new(unmap(dst.ip()), dst.port());
        if family == Family::Inet && wire_dst.is_ipv6() {
            return Err(SockError::Invalid);
        }
        // A link-local peer needs its scope id (`connect` fails with EINVAL without one); it pins the interface.
        let oif = match dst {
            SocketAddr::V6(v6) if is_link_local(wire_dst.ip()) => match v6.scope_id() {
                0 => return Err(SockError::Invalid),
                i => Some(IfIndex(i)),
            },
            _ => None,
        };
        let src = match bind.map(unmap) {
            Some(b) => b,
            None => {
                let mut q = crate::host::lookup::RouteQuery::to(wire_dst.ip());
                if let Some(o) = oif {
                    q = q.oif(o);
                }
                let d = self.route_get(&q).map_err(|_| SockError::NetUnreachable)?;
                d.src.ok_or(SockError::NetUnreachable)?
            }
        };
        let bind_addr = match (family, src) {
            (Family::Inet6, IpAddr::V4(a)) => IpAddr::V6(a.to_ipv6_mapped()),
            _ => src,
        };
        let sock = self.open_bound(family, Proto::Tcp, SocketAddr::new(bind_addr, 0), None)?;
        let port = self
            .transport
            .sockets
            .get(sock)
            .and_then(|s| s.bound)
            .map_or(0, |b| b.port());
        let mut cfg = self.transport.tcp_config;
        cfg.mss = mss_for(src).min(self.transport.max_seg.unwrap_or(u16::MAX));
        let iss = rand::Rng::next_u32(ctx.rng);
        let mut out = std::mem::take(&mut self.transport.scratch);
        let tcb = Tcb::connect(cfg, SocketAddr::new(src, port), wire_dst, iss, ctx.now, &mut out);
        self.transport.scratch = out;
        let id = self.push_conn(tcb, None, owner, sock, oif);
        self.flush_conn(ctx, id);
        Ok(id)
    }

    /// Runs `f` on connection `id`'s state machine and sends what it queued.
    pub fn with_conn<R>(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: ConnId,
        f: impl FnOnce(&mut Tcb, &mut Vec<SegOut>) -> R,
    ) -> Option<R> {
        let mut out = std::mem::take(&mut self.transport.scratch);
        let r = self
            .transport
            .conns
            .get_mut(id.0 as usize)
            .map(|c| f(&mut c.tcb, &mut out));
        self.transport.scratch = out;
        self.flush_conn(ctx, id);
        if let Some(c) = self.transport.conns.get(id.0 as usize) {
            if c.tcb.state == TcpState::Closed {
                let (key, sock) = ((c.tcb.local, c.tcb.remote), c.sock);
                self.transport.unindex(&key);
                self.transport.sockets.close(sock);
            }
        }
        r
    }

    /// `send()` on a connection; returns the bytes accepted into the send buffer.
    pub fn tcp_send(&mut self, ctx: &mut Ctx<'_>, id: ConnId, data: &[u8]) -> usize {
        let now = ctx.now;
        self.with_conn(ctx, id, |t, out| {
            let n = t.send(data);
            t.output(now, out);
            n
        })
        .unwrap_or(0)
    }

    /// `close()` on a connection: FIN after the queued data.
    pub fn tcp_close(&mut self, ctx: &mut Ctx<'_>, id: ConnId) {
        let now = ctx.now;
        self.with_conn(ctx, id, |t, out| t.close(now, out));
    }

    /// Runs the connection timers due at `ctx.now`.
    pub(crate) fn transport_timers(&mut self, ctx: &mut Ctx<'_>) {
        let mut due = std::mem::take(&mut self.transport.due_scratch);
        due.clear();
        let now = ctx.now;
        let t = &self.transport;
        due.extend(
            t.index
                .values()
                .copied()
                .filter(|id| t.conn(*id).and_then(|c| c.tcb.poll_at()).is_some_and(|at| at <= now)),
        );
        for &id in &due {
            let mut out = std::mem::take(&mut self.transport.scratch);
            if let Some(c) = self.transport.conns.get_mut(id.0 as usize) {
                c.tcb.on_timer(ctx.now, &mut out);
            }
            self.transport.scratch = out;
            self.flush_conn(ctx, id);
            self.after_conn_event(ctx, id);
        }
        self.transport.due_scratch = due;
    }

    /// `socket(SOCK_DGRAM); bind()`; datagrams go to `service` or, with `None`, to the socket's queue.
    pub fn udp_bind(
        &mut self,
        family: Family,
        addr: SocketAddr,
        v6only: Option<bool>,
        service: Option<Service>,
    ) -> Result<SockId, SockError> {
        let id = self.open_bound(family, Proto::Udp, addr, v6only)?;
        match service {
            Some(s) => {
                self.transport.services.insert(id, s);
            }
            None => {
                self.transport.udp_queues.insert(id, Vec::new());
            }
        }
        Ok(id)
    }

    /// `sendto()` from `from` (wire form) to `to`.
    pub fn udp_send(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: SocketAddr,
        to: SocketAddr,
        data: &[u8],
    ) -> Result<(), SockError> {
        let to = SocketAddr::new(unmap(to.ip()), to.port());
        let repr = UdpRepr {
            src_port: from.port(),
            dst_port: to.port(),
            payload: data,
        };
        let src = (!from.ip().is_unspecified()).then_some(unmap(from.ip()));
        let r = match (src, to.ip()) {
            (Some(IpAddr::V6(s)), IpAddr::V6(d)) => self.send_ipv6(ctx, Some(s), d, None, None, &Upper::Udp(repr)),
            (None, IpAddr::V6(d)) => self.send_ipv6(ctx, None, d, None, None, &Upper::Udp(repr)),
            (Some(IpAddr::V4(s)), IpAddr::V4(d)) => self.send_ipv4(ctx, Some(s), d, None, &Upper::Udp(repr)),
            (None, IpAddr::V4(d)) => self.send_ipv4(ctx, None, d, None, &Upper::Udp(repr)),
            _ => return Err(SockError::Invalid),
        };
        r.map_err(|_| SockError::NetUnreachable)
    }

    /// `connect()` on a UDP socket (wire or v4-mapped peer): ICMP errors about datagrams to it are reported.
    pub fn udp_connect(&mut self, id: SockId, peer: SocketAddr) -> Result<(), SockError> {
        self.transport.sockets.connect_dgram(id, peer)
    }

    /// `getsockopt(SO_ERROR)` on a socket: the pending error (ECONNREFUSED after a port unreachable on a
    /// connected UDP socket), cleared by reading it.
    pub fn sock_take_error(&mut self, id: SockId) -> Option<SockError> {
        self.transport.sockets.take_error(id)
    }

    /// `udp_rcv`: false if no socket is bound (the caller answers port unreachable).
    pub(crate) fn udp_input(&mut self, ctx: &mut Ctx<'_>, src: IpAddr, dst: IpAddr, l4: &[u8]) -> bool {
        let Ok(p) = UdpPacket::new_checked(l4) else {
            return true;
        };
        let repr = UdpRepr::decode(&p);
        let Some(sock) = self.transport.sockets.lookup(Proto::Udp, dst, repr.dst_port) else {
            return false;
        };
        let from = SocketAddr::new(src, repr.src_port);
        let to = SocketAddr::new(dst, repr.dst_port);
        match self.transport.services.get(&sock).copied() {
            Some(Service::Echo) => {
                let data = repr.payload.to_vec();
                let _ = self.udp_send(ctx, to, from, &data);
            }
            Some(_) => {}
            None => {
                let view = self.transport.sockets.app_view(sock, from);
                if let Some(q) = self.transport.udp_queues.get_mut(&sock) {
                    q.push(Datagram {
                        from: view,
                        to,
                        data: repr.payload.to_vec(),
                    });
                }
            }
        }
        true
    }
}

/// The MSS Linux announces on a 1500-byte link: 1460 for IPv4, 1440 for IPv6 (F-*.log SYN-ACKs: `mss 1440`).
fn mss_for(a: IpAddr) -> u16 {
    match a {
        IpAddr::V4(_) => 1460,
        IpAddr::V6(_) => 1440,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
