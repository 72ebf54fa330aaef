//! The socket table: `socket(AF_INET|AF_INET6)`, `bind()` with Linux's conflict rules, `IPV6_V6ONLY` (default
//! `net.ipv6.bindv6only`), v4-mapped addresses, and the listener lookup an incoming segment or datagram goes
//! through.
//!
//! Conflicts follow `inet_csk_bind_conflict` → `inet_rcv_saddr_equal` / `ipv6_rcv_saddr_equal` (without
//! SO_REUSEPORT; SO_REUSEADDR does not let two listeners share an address): two sockets on one port conflict when
//! their address sets overlap. An AF_INET6 socket bound to `::` without V6ONLY also owns IPv4's `0.0.0.0`; one
//! bound to `::ffff:a.b.c.d` owns only that IPv4 address. Lookup prefers a socket bound to the exact address over
//! a wildcard one, and for IPv4 an AF_INET socket over an AF_INET6 one (`compute_score`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Address family of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// AF_INET.
    Inet,
    /// AF_INET6.
    Inet6,
}

impl Family {
    /// The family whose sockets carry `addr` natively (AF_INET6 for an IPv6 address, AF_INET for IPv4).
    pub fn of(addr: IpAddr) -> Family {
        if addr.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }
}

/// Transport protocol of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    /// SOCK_STREAM.
    Tcp,
    /// SOCK_DGRAM.
    Udp,
}

/// The errno a socket call fails with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SockError {
    /// Another socket owns an overlapping address on this port.
    #[error("EADDRINUSE: address already in use")]
    AddrInUse,
    /// The address is not local.
    #[error("EADDRNOTAVAIL: cannot assign requested address")]
    AddrNotAvail,
    /// Wrong family for the socket, or a v4-mapped address on a V6ONLY socket.
    #[error("EINVAL: invalid argument")]
    Invalid,
    /// The socket id is not open.
    #[error("EBADF: bad file descriptor")]
    BadFd,
    /// No ephemeral port left.
    #[error("EAGAIN: no ephemeral port available")]
    NoPort,
    /// No route to the destination.
    #[error("ENETUNREACH: network is unreachable")]
    NetUnreachable,
    /// A pending error from an ICMP error (`sk_err`, read by the next call or `SO_ERROR`).
    #[error("{0}")]
    Icmp(super::icmp_err::Errno),
}

/// A socket handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SockId(pub u32);

/// One socket's binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// Family.
    pub family: Family,
    /// Protocol.
    pub proto: Proto,
    /// `IPV6_V6ONLY` (AF_INET6 only).
    pub v6only: bool,
    /// Bound address as given to `bind()` (`::ffff:a.b.c.d` stays mapped) and port; `None` before bind.
    pub bound: Option<SocketAddr>,
    /// `listen()` called.
    pub listening: bool,
    /// The peer of a connected UDP socket (wire form).
    pub connected: Option<SocketAddr>,
    /// Pending error (`sk_err`).
    pub error: Option<SockError>,
}

/// The set of wire addresses a binding owns on its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owns {
    /// One IPv4 address, or every one (`None`).
    V4(Option<Ipv4Addr>),
    /// One IPv6 address, or every one.
    V6(Option<Ipv6Addr>),
    /// `::` without V6ONLY: every IPv6 and every IPv4 address.
    Dual,
}

/// The IPv4 address inside `::ffff:a.b.c.d`.
pub fn v4_mapped(a: Ipv6Addr) -> Option<Ipv4Addr> {
    a.to_ipv4_mapped()
}

/// Canonical wire form: `::ffff:a.b.c.d` becomes IPv4.
pub fn unmap(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(x) => v4_mapped(x).map_or(a, IpAddr::V4),
        v4 => v4,
    }
}

impl Socket {
    fn owns(&self) -> Option<Owns> {
        let b = self.bound?;
        Some(match (self.family, b.ip()) {
            (Family::Inet, IpAddr::V4(a)) => Owns::V4((!a.is_unspecified()).then_some(a)),
            (Family::Inet6, IpAddr::V6(a)) if a.is_unspecified() => {
                if self.v6only {
                    Owns::V6(None)
                } else {
                    Owns::Dual
                }
            }
            (Family::Inet6, IpAddr::V6(a)) => match v4_mapped(a) {
                Some(m) => Owns::V4((!m.is_unspecified()).then_some(m)),
                None => Owns::V6(Some(a)),
            },
            _ => return None,
        })
    }

    /// How well this socket matches a packet to `dst` (wire form): `None` if not at all, higher is better.
    fn score(&self, dst: IpAddr) -> Option<u8> {
        let fam_bonus = u8::from(matches!((self.family, dst), (Family::Inet, IpAddr::V4(_))));
        match (self.owns()?, dst) {
            (Owns::V4(Some(a)), IpAddr::V4(d)) if a == d => Some(4 + fam_bonus),
            (Owns::V4(None), IpAddr::V4(_)) => Some(2 + fam_bonus),
            (Owns::V6(Some(a)), IpAddr::V6(d)) if a == d => Some(4),
            (Owns::V6(None), IpAddr::V6(_)) | (Owns::Dual, _) => Some(2),
            _ => None,
        }
    }
}

fn overlap(a: Owns, b: Owns) -> bool {
    match (a, b) {
        (Owns::Dual, _) | (_, Owns::Dual) => true,
        (Owns::V4(x), Owns::V4(y)) => x.is_none() || y.is_none() || x == y,
        (Owns::V6(x), Owns::V6(y)) => x.is_none() || y.is_none() || x == y,
        _ => false,
    }
}

/// All sockets of a host. Ids are never reused, so results recorded against an id stay unambiguous.
#[derive(Debug, Clone, Default)]
pub struct SocketTable {
    socks: Vec<Option<Socket>>,
    next_ephemeral: u16,
}

/// Linux `ip_local_port_range` default.
pub const EPHEMERAL: std::ops::RangeInclusive<u16> = 32768..=60999;

impl SocketTable {
    /// An empty table.
    pub fn new() -> SocketTable {
        SocketTable {
            socks: Vec::new(),
            next_ephemeral: *EPHEMERAL.start(),
        }
    }

    /// `socket()`: V6ONLY starts from `bindv6only`.
    pub fn open(&mut self, family: Family, proto: Proto, bindv6only: bool) -> SockId {
        self.socks.push(Some(Socket {
            family,
            proto,
            v6only: family == Family::Inet6 && bindv6only,
            bound: None,
            listening: false,
            connected: None,
            error: None,
        }));
        SockId(self.socks.len() as u32 - 1)
    }

    /// The socket `id`.
    pub fn get(&self, id: SockId) -> Option<&Socket> {
        self.socks.get(id.0 as usize).and_then(Option::as_ref)
    }

    fn get_mut(&mut self, id: SockId) -> Result<&mut Socket, SockError> {
        self.socks
            .get_mut(id.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(SockError::BadFd)
    }

    /// `setsockopt(IPV6_V6ONLY)`: only before bind, only AF_INET6.
    pub fn set_v6only(&mut self, id: SockId, on: bool) -> Result<(), SockError> {
        let s = self.get_mut(id)?;
        if s.family != Family::Inet6 || s.bound.is_some() {
            return Err(SockError::Invalid);
        }
        s.v6only = on;
        Ok(())
    }

    /// Records a pending error on `id` (`sk_err = err; sk_error_report`).
    pub fn set_error(&mut self, id: SockId, err: SockError) {
        if let Ok(s) = self.get_mut(id) {
            s.error = Some(err);
        }
    }

    /// `getsockopt(SO_ERROR)`: the pending error, cleared by reading it.
    pub fn take_error(&mut self, id: SockId) -> Option<SockError> {
        self.get_mut(id).ok().and_then(|s| s.error.take())
    }

    /// `connect()` on a datagram socket: remembers the peer (wire form), so ICMP errors about datagrams to it
    /// are reported (`__udp4_lib_err` reports only to connected sockets without IP_RECVERR).
    pub fn connect_dgram(&mut self, id: SockId, peer: SocketAddr) -> Result<(), SockError> {
        let s = self.get_mut(id)?;
        if s.proto != Proto::Udp {
            return Err(SockError::Invalid);
        }
        s.connected = Some(SocketAddr::new(unmap(peer.ip()), peer.port()));
        Ok(())
    }

    /// `close()`.
    pub fn close(&mut self, id: SockId) {
        if let Some(slot) = self.socks.get_mut(id.0 as usize) {
            *slot = None;
        }
    }

    /// `bind()`. `is_local` says whether a wire address is configured on the host (inet_bind checks
    /// `inet_addr_type`, inet6_bind `ipv6_chk_addr`). Port 0 picks an ephemeral port.
    pub fn bind(&mut self, id: SockId, addr: SocketAddr, is_local: impl Fn(IpAddr) -> bool) -> Result<(), SockError> {
        let s = self.get(id).ok_or(SockError::BadFd)?.clone();
        if s.bound.is_some() {
            return Err(SockError::Invalid);
        }
        match (s.family, addr.ip()) {
            (Family::Inet, IpAddr::V4(a)) if !a.is_unspecified() && !is_local(IpAddr::V4(a)) => {
                return Err(SockError::AddrNotAvail)
            }
            (Family::Inet, IpAddr::V4(_)) => {}
            (Family::Inet6, IpAddr::V6(a)) => match v4_mapped(a) {
                // inet6_bind: "Binding to v4-mapped address on a v6-only socket makes no sense".
                Some(_) if s.v6only => return Err(SockError::Invalid),
                Some(m) if !m.is_unspecified() && !is_local(IpAddr::V4(m)) => return Err(SockError::AddrNotAvail),
                None if !a.is_unspecified() && !is_local(IpAddr::V6(a)) => return Err(SockError::AddrNotAvail),
                _ => {}
            },
            _ => return Err(SockError::Invalid),
        }
        let mut candidate = Socket { bound: Some(addr), ..s };
        let port = if addr.port() == 0 {
            self.pick_port(&candidate)?
        } else {
            addr.port()
        };
        candidate.bound = Some(SocketAddr::new(addr.ip(), port));
        if self.conflicts(id, &candidate) {
            return Err(SockError::AddrInUse);
        }
        *self.get_mut(id)? = candidate;
        Ok(())
    }

    fn conflicts(&self, id: SockId, cand: &Socket) -> bool {
        let (Some(mine), Some(b)) = (cand.owns(), cand.bound) else {
            return false;
        };
        self.socks.iter().enumerate().any(|(i, o)| {
            let Some(o) = o else { return false };
            i as u32 != id.0
                && o.proto == cand.proto
                && o.bound.is_some_and(|ob| ob.port() == b.port())
                && o.owns().is_some_and(|theirs| overlap(mine, theirs))
        })
    }

    fn pick_port(&mut self, cand: &Socket) -> Result<u16, SockError> {
        let span = u32::from(EPHEMERAL.end() - EPHEMERAL.start()) + 1;
        for _ in 0..span {
            let p = self.next_ephemeral;
            self.next_ephemeral = if p >= *EPHEMERAL.end() {
                *EPHEMERAL.start()
            } else {
                p + 1
            };
            let mut c = cand.clone();
            c.bound = c.bound.map(|b| SocketAddr::new(b.ip(), p));
            if !self.conflicts(SockId(u32::MAX), &c) {
                return Ok(p);
            }
        }
        Err(SockError::NoPort)
    }

    /// `listen()`.
    pub fn listen(&mut self, id: SockId) -> Result<(), SockError> {
        let s = self.get_mut(id)?;
        if s.proto != Proto::Tcp || s.bound.is_none() {
            return Err(SockError::Invalid);
        }
        s.listening = true;
        Ok(())
    }

    /// The socket that receives a TCP SYN (listening) or a UDP datagram (bound) to `dst`:`port` (wire form).
    pub fn lookup(&self, proto: Proto, dst: IpAddr, port: u16) -> Option<SockId> {
        let mut best: Option<(u8, SockId)> = None;
        for (i, s) in self.socks.iter().enumerate() {
            let Some(s) = s else { continue };
            if s.proto != proto || (proto == Proto::Tcp && !s.listening) {
                continue;
            }
            if s.bound.is_none_or(|b| b.port() != port) {
                continue;
            }
            if let Some(score) = s.score(dst) {
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, SockId(i as u32)));
                }
            }
        }
        best.map(|(_, id)| id)
    }

    /// How `addr` (wire form) looks to the application of socket `id`: v4-mapped on an AF_INET6 socket.
    pub fn app_view(&self, id: SockId, addr: SocketAddr) -> SocketAddr {
        match (self.get(id).map(|s| s.family), addr.ip()) {
            (Some(Family::Inet6), IpAddr::V4(a)) => SocketAddr::new(IpAddr::V6(a.to_ipv6_mapped()), addr.port()),
            _ => addr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
    const V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10);

    fn local(a: IpAddr) -> bool {
        a == IpAddr::V4(V4) || a == IpAddr::V6(V6)
    }

    fn sa(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
        SocketAddr::new(ip.into(), port)
    }

    fn listener(t: &mut SocketTable, fam: Family, v6only: bool, ip: IpAddr, port: u16) -> Result<SockId, SockError> {
        let id = t.open(fam, Proto::Tcp, false);
        if fam == Family::Inet6 {
            t.set_v6only(id, v6only)?;
        }
        t.bind(id, sa(ip, port), local)?;
        t.listen(id)?;
        Ok(id)
    }

    /// The full matrix: AF × V6ONLY × client family → which listener (if any) takes the connection.
    #[test]
    fn bind_matrix_af_v6only_client_family() {
        let any4 = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let any6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        let cases: [(Family, bool, IpAddr, bool, bool); 6] = [
            // family, v6only, bound, reaches v4 client, reaches v6 client
            (Family::Inet, false, any4, true, false),
            (Family::Inet6, false, any6, true, true),
            (Family::Inet6, true, any6, false, true),
            (Family::Inet, false, IpAddr::V4(V4), true, false),
            (Family::Inet6, false, IpAddr::V6(V4.to_ipv6_mapped()), true, false),
            (Family::Inet6, true, IpAddr::V6(V6), false, true),
        ];
        for (fam, v6only, ip, v4ok, v6ok) in cases {
            let mut t = SocketTable::new();
            let id = listener(&mut t, fam, v6only, ip, 22).unwrap();
            let case = format!("{fam:?} v6only={v6only} {ip}");
            assert_eq!(t.lookup(Proto::Tcp, IpAddr::V4(V4), 22) == Some(id), v4ok, "{case} v4");
            assert_eq!(t.lookup(Proto::Tcp, IpAddr::V6(V6), 22) == Some(id), v6ok, "{case} v6");
            assert_eq!(t.lookup(Proto::Tcp, IpAddr::V6(V6), 23), None);
        }
    }

    #[test]
    fn conflicts_follow_address_set_overlap() {
        let any4 = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let any6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        // Dual-stack :: takes 0.0.0.0 too: nginx `listen 80; listen [::]:80 ipv6only=off;` fails.
        let mut t = SocketTable::new();
        listener(&mut t, Family::Inet, false, any4, 80).unwrap();
        assert_eq!(
            listener(&mut t, Family::Inet6, false, any6, 80),
            Err(SockError::AddrInUse)
        );
        assert!(listener(&mut t, Family::Inet6, true, any6, 80).is_ok());
        // Specific v4 under the wildcard conflicts; mapped v4 too.
        assert_eq!(
            listener(&mut t, Family::Inet, false, IpAddr::V4(V4), 80),
            Err(SockError::AddrInUse)
        );
        let mapped = IpAddr::V6(V4.to_ipv6_mapped());
        assert_eq!(
            listener(&mut t, Family::Inet6, false, mapped, 80),
            Err(SockError::AddrInUse)
        );
        // Other protocol, other port: free.
        let u = t.open(Family::Inet, Proto::Udp, false);
        assert!(t.bind(u, sa(any4, 80), local).is_ok());
        assert!(listener(&mut t, Family::Inet6, false, any6, 81).is_ok());
    }

    #[test]
    fn exact_beats_wildcard_and_inet_beats_inet6_for_ipv4() {
        let mut t = SocketTable::new();
        let dual = listener(&mut t, Family::Inet6, false, IpAddr::V6(Ipv6Addr::UNSPECIFIED), 22).unwrap();
        assert_eq!(t.lookup(Proto::Tcp, IpAddr::V4(V4), 22), Some(dual));
        let exact6 = listener(&mut t, Family::Inet6, true, IpAddr::V6(V6), 22);
        assert_eq!(exact6, Err(SockError::AddrInUse), "dual :: owns every IPv6 address");
        let mut t = SocketTable::new();
        let w6 = listener(&mut t, Family::Inet6, true, IpAddr::V6(Ipv6Addr::UNSPECIFIED), 22).unwrap();
        let e6 = listener(&mut t, Family::Inet6, true, IpAddr::V6(V6), 22);
        assert_eq!(e6, Err(SockError::AddrInUse));
        let w4 = listener(&mut t, Family::Inet, false, IpAddr::V4(Ipv4Addr::UNSPECIFIED), 22).unwrap();
        assert_eq!(t.lookup(Proto::Tcp, IpAddr::V6(V6), 22), Some(w6));
        assert_eq!(t.lookup(Proto::Tcp, IpAddr::V4(V4), 22), Some(w4));
    }

    #[test]
    fn bind_errors() {
        let mut t = SocketTable::new();
        let s = t.open(Family::Inet, Proto::Tcp, false);
        assert_eq!(
            t.bind(s, sa(Ipv4Addr::new(198, 51, 100, 1), 1), local),
            Err(SockError::AddrNotAvail)
        );
        assert_eq!(t.bind(s, sa(V6, 1), local), Err(SockError::Invalid));
        let s6 = t.open(Family::Inet6, Proto::Tcp, true);
        assert!(t.get(s6).unwrap().v6only, "bindv6only=1 sets V6ONLY");
        assert_eq!(t.bind(s6, sa(V4.to_ipv6_mapped(), 1), local), Err(SockError::Invalid));
        assert_eq!(
            t.bind(s6, sa("2001:db8::99".parse::<Ipv6Addr>().unwrap(), 1), local),
            Err(SockError::AddrNotAvail)
        );
        assert!(t.bind(s6, sa(V6, 0), local).is_ok());
        assert!(EPHEMERAL.contains(&t.get(s6).unwrap().bound.unwrap().port()));
        assert_eq!(t.set_v6only(s6, false), Err(SockError::Invalid), "after bind");
        t.close(s6);
        assert_eq!(t.listen(s6), Err(SockError::BadFd));
    }

    #[test]
    fn app_view_maps_ipv4_peers_on_inet6_sockets() {
        let mut t = SocketTable::new();
        let s6 = t.open(Family::Inet6, Proto::Tcp, false);
        let s4 = t.open(Family::Inet, Proto::Tcp, false);
        let peer = sa(V4, 5000);
        assert_eq!(t.app_view(s6, peer).to_string(), "[::ffff:192.0.2.10]:5000");
        assert_eq!(t.app_view(s4, peer), peer);
        assert_eq!(unmap(IpAddr::V6(V4.to_ipv6_mapped())), IpAddr::V4(V4));
    }
}
