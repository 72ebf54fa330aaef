//! ICMP errors delivered to sockets, as Linux does: the errno tables (`icmp_err_convert` in net/ipv4/icmp.c,
//! `icmpv6_err_convert` in net/ipv6/icmp.c), the TCP side (`tcp_v4_err`, `tcp_v6_err`: a connection still
//! opening is aborted, an established one records a soft error that becomes the error if it later times out,
//! Packet Too Big / Fragmentation Needed lower the MSS) and the UDP side (`__udp4_lib_err`, `__udp6_lib_err`: a
//! connected socket gets hard errors such as ECONNREFUSED). The quoted header is parsed once
//! ([`super::icmp_quote::Quote`]); nothing here allocates.

use std::net::SocketAddr;

use super::icmp_quote::Quote;
use super::socket::{unmap, Proto, SockError};
use super::tcp::TcpState;
use crate::host::node::Host;
use crate::node::Ctx;

/// The errno an ICMP error converts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum Errno {
    /// ENETUNREACH.
    #[error("ENETUNREACH: network is unreachable")]
    NetUnreach,
    /// EHOSTUNREACH.
    #[error("EHOSTUNREACH: no route to host")]
    HostUnreach,
    /// ECONNREFUSED.
    #[error("ECONNREFUSED: connection refused")]
    ConnRefused,
    /// EACCES (administratively prohibited, policy, reject route).
    #[error("EACCES: permission denied")]
    Access,
    /// EPROTO (parameter problem).
    #[error("EPROTO: protocol error")]
    Proto,
    /// EMSGSIZE (packet too big).
    #[error("EMSGSIZE: message too long")]
    MsgSize,
    /// ENOPROTOOPT (protocol unreachable).
    #[error("ENOPROTOOPT: protocol not available")]
    NoProtoOpt,
    /// EOPNOTSUPP (source route failed).
    #[error("EOPNOTSUPP: operation not supported")]
    OpNotSupp,
    /// EHOSTDOWN (host unknown).
    #[error("EHOSTDOWN: host is down")]
    HostDown,
    /// ENONET (host isolated).
    #[error("ENONET: machine is not on the network")]
    NoNet,
}

/// What one ICMP error means for a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpErr {
    /// The errno.
    pub errno: Errno,
    /// A hard error (`fatal` in the tables): aborts what RFC 1122 §4.2.3.9 lets it abort.
    pub fatal: bool,
    /// The next-hop MTU of Packet Too Big / Fragmentation Needed.
    pub mtu: Option<u32>,
}

/// `icmp_err_convert[]` and the type switch of `tcp_v4_err` / `__udp4_lib_err`; `None` for what sockets ignore
/// (source quench, redirect, unknown types and codes). `info` is the next-hop MTU word.
pub fn convert_v4(msg_type: u8, code: u8, info: u32) -> Option<IcmpErr> {
    use Errno::*;
    let (errno, fatal) = match (msg_type, code) {
        (3, 4) => {
            return Some(IcmpErr {
                errno: MsgSize,
                fatal: false,
                mtu: Some(info),
            })
        }
        (3, c) => match c {
            0 => (NetUnreach, false),
            1 => (HostUnreach, false),
            2 => (NoProtoOpt, true),
            3 => (ConnRefused, true),
            5 => (OpNotSupp, false),
            6 => (NetUnreach, true),
            7 => (HostDown, true),
            8 => (NoNet, true),
            9 => (NetUnreach, true),
            10 => (HostUnreach, true),
            11 => (NetUnreach, false),
            12 => (HostUnreach, false),
            13..=15 => (HostUnreach, true),
            _ => return None,
        },
        (11, _) => (HostUnreach, false),
        (12, _) => (Proto, true),
        _ => return None,
    };
    Some(IcmpErr {
        errno,
        fatal,
        mtu: None,
    })
}

/// `icmpv6_err_convert` (`tab_unreach`); `None` for informational types and unknown unreachable codes.
pub fn convert_v6(msg_type: u8, code: u8, info: u32) -> Option<IcmpErr> {
    use Errno::*;
    let (errno, fatal) = match (msg_type, code) {
        (1, 0) => (NetUnreach, false),
        (1, 1) => (Access, true),
        (1, 2) | (1, 3) => (HostUnreach, false),
        (1, 4) => (ConnRefused, true),
        (1, 5) | (1, 6) => (Access, true),
        (2, _) => {
            return Some(IcmpErr {
                errno: MsgSize,
                fatal: false,
                mtu: Some(info),
            })
        }
        (3, _) => (HostUnreach, false),
        (4, _) => (Proto, true),
        _ => return None,
    };
    Some(IcmpErr {
        errno,
        fatal,
        mtu: None,
    })
}

/// Where an error went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrDelivery {
    /// No socket owns the quoted packet, or its sequence number is outside `snd_una..=snd_nxt`
    /// (`LINUX_MIB_OUTOFWINDOWICMPS`).
    Ignored,
    /// A TCP connection took it (aborted, soft error, or MSS lowered).
    Tcp,
    /// A connected UDP socket recorded it.
    Udp,
}

impl Host {
    /// The hook of the host's ICMP error input: converts (`icmp_err_convert` / `icmpv6_err_convert`) and
    /// hands the error to the socket that sent the quoted packet; errors sockets ignore go nowhere.
    pub(crate) fn icmp_err_to_socket(
        &mut self,
        ctx: &mut Ctx<'_>,
        v6: bool,
        msg_type: u8,
        code: u8,
        info: u32,
        invoking: &[u8],
    ) -> ErrDelivery {
        let err = if v6 {
            convert_v6(msg_type, code, info)
        } else {
            convert_v4(msg_type, code, info)
        };
        match err {
            Some(e) => self.transport_icmp_error(ctx, e, invoking),
            None => ErrDelivery::Ignored,
        }
    }

    /// `icmp_unreach` → `tcp_v4_err` / `__udp4_lib_err` and `icmpv6_notify` → `tcp_v6_err` / `__udp6_lib_err`:
    /// hands an ICMP error about one of our packets to the socket that sent it. `invoking` is the quoted packet.
    pub fn transport_icmp_error(&mut self, ctx: &mut Ctx<'_>, err: IcmpErr, invoking: &[u8]) -> ErrDelivery {
        let Some(q) = Quote::parse(invoking) else {
            return ErrDelivery::Ignored;
        };
        match q.proto {
            6 => self.tcp_icmp_error(ctx, err, &q),
            17 => self.udp_icmp_error(err, &q),
            _ => ErrDelivery::Ignored,
        }
    }

    fn tcp_icmp_error(&mut self, ctx: &mut Ctx<'_>, err: IcmpErr, q: &Quote) -> ErrDelivery {
        let local = SocketAddr::new(q.src, q.sport);
        let remote = SocketAddr::new(q.dst, q.dport);
        let Some(&id) = self.transport.index.get(&(local, remote)) else {
            return ErrDelivery::Ignored;
        };
        let mut out = std::mem::take(&mut self.transport.scratch);
        let taken = self
            .transport
            .conns
            .get_mut(id.0 as usize)
            .is_some_and(|c| c.tcb.on_icmp_error(ctx.now, err, q.seq, &mut out));
        self.transport.scratch = out;
        if !taken {
            return ErrDelivery::Ignored;
        }
        self.flush_conn(ctx, id);
        self.after_conn_event(ctx, id);
        ErrDelivery::Tcp
    }

    /// `__udp4_lib_err` without IP_RECVERR: only a hard error on a connected socket is reported (`sk_err`).
    fn udp_icmp_error(&mut self, err: IcmpErr, q: &Quote) -> ErrDelivery {
        let Some(id) = self.transport.sockets.lookup(Proto::Udp, q.src, q.sport) else {
            return ErrDelivery::Ignored;
        };
        let connected = self
            .transport
            .sockets
            .get(id)
            .and_then(|s| s.connected)
            .is_some_and(|r| unmap(r.ip()) == q.dst && r.port() == q.dport);
        // Fragmentation needed / packet too big is hard for UDP with PMTU discovery on (EMSGSIZE).
        let hard = err.fatal || err.mtu.is_some();
        if !connected || !hard {
            return ErrDelivery::Ignored;
        }
        self.transport.sockets.set_error(id, SockError::Icmp(err.errno));
        ErrDelivery::Udp
    }
}

/// Is the TCP state one whose ICMP errors abort the connection (`TCP_SYN_SENT`, `TCP_SYN_RECV`)?
pub(super) fn opening(state: TcpState) -> bool {
    matches!(state, TcpState::SynSent | TcpState::SynReceived)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_table_matches_icmp_err_convert() {
        let c = |t, c| convert_v4(t, c, 0).map(|e| (e.errno, e.fatal));
        assert_eq!(c(3, 3), Some((Errno::ConnRefused, true)));
        assert_eq!(c(3, 1), Some((Errno::HostUnreach, false)));
        assert_eq!(c(3, 0), Some((Errno::NetUnreach, false)));
        assert_eq!(c(3, 13), Some((Errno::HostUnreach, true)), "admin prohibited");
        assert_eq!(c(3, 2), Some((Errno::NoProtoOpt, true)));
        assert_eq!(c(11, 0), Some((Errno::HostUnreach, false)));
        assert_eq!(c(12, 0), Some((Errno::Proto, true)));
        assert_eq!(c(3, 16), None, "code > NR_ICMP_UNREACH");
        assert_eq!(c(4, 0), None, "source quench is ignored");
        assert_eq!(convert_v4(3, 4, 1400).and_then(|e| e.mtu), Some(1400));
    }

    #[test]
    fn ipv6_table_matches_icmpv6_err_convert() {
        let c = |t, c| convert_v6(t, c, 0).map(|e| (e.errno, e.fatal));
        assert_eq!(c(1, 4), Some((Errno::ConnRefused, true)));
        assert_eq!(c(1, 1), Some((Errno::Access, true)));
        assert_eq!(c(1, 3), Some((Errno::HostUnreach, false)));
        assert_eq!(c(1, 0), Some((Errno::NetUnreach, false)));
        assert_eq!(c(1, 6), Some((Errno::Access, true)));
        assert_eq!(c(3, 0), Some((Errno::HostUnreach, false)));
        assert_eq!(c(4, 1), Some((Errno::Proto, true)));
        assert_eq!(c(1, 7), None);
        assert_eq!(c(128, 0), None);
        assert_eq!(
            convert_v6(2, 0, 1280).map(|e| (e.errno, e.mtu)),
            Some((Errno::MsgSize, Some(1280)))
        );
    }
}
