//! Sockets inside namespaces: AF_PACKET for frames the simulator's packet code built (RAs, redirects, attacker
//! packets — byte for byte what the simulated segment carries), and raw ICMP sockets for echo requests from a
//! node's own stack. Each socket is created on a thread that entered the namespace ([`in_netns`]) and keeps
//! that namespace when used from the run loop's thread.

use super::netns::in_netns;
use super::KernelError;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

fn os_err(what: String) -> KernelError {
    KernelError::Io {
        what,
        detail: std::io::Error::last_os_error().to_string(),
    }
}

/// An AF_PACKET socket bound to one interface of one namespace.
#[derive(Debug)]
pub struct FrameSocket {
    fd: OwnedFd,
    ifindex: i32,
    what: String,
}

impl FrameSocket {
    /// Opens a non-blocking `SOCK_RAW` packet socket on `ifname` in `ns`, receiving every protocol.
    pub fn open(ns: &str, ifname: &str) -> Result<FrameSocket, KernelError> {
        let what = format!("AF_PACKET {ns}/{ifname}");
        let (name, w) = (ifname.to_owned(), what.clone());
        in_netns(ns, move || {
            let cname = std::ffi::CString::new(name).map_err(|e| KernelError::Refused(e.to_string()))?;
            // SAFETY: plain syscalls on values we own; the result is checked before use.
            unsafe {
                let ifindex = libc::if_nametoindex(cname.as_ptr()) as i32;
                if ifindex == 0 {
                    return Err(os_err(format!("{w}: if_nametoindex")));
                }
                let proto = (libc::ETH_P_ALL as u16).to_be() as i32;
                let raw = libc::socket(
                    libc::AF_PACKET,
                    libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                    proto,
                );
                if raw < 0 {
                    return Err(os_err(format!("{w}: socket")));
                }
                let fd = OwnedFd::from_raw_fd(raw);
                let mut sll: libc::sockaddr_ll = std::mem::zeroed();
                sll.sll_family = libc::AF_PACKET as u16;
                sll.sll_protocol = proto as u16;
                sll.sll_ifindex = ifindex;
                let rc = libc::bind(
                    fd.as_raw_fd(),
                    std::ptr::addr_of!(sll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                );
                if rc != 0 {
                    return Err(os_err(format!("{w}: bind")));
                }
                Ok(FrameSocket { fd, ifindex, what: w })
            }
        })
        .map(|mut s| {
            s.what = what;
            s
        })
    }

    /// Sends one complete Ethernet frame.
    pub fn send(&self, frame: &[u8]) -> Result<(), KernelError> {
        // SAFETY: the buffer outlives the call; the fd is bound to an interface.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
        if n < 0 || n as usize != frame.len() {
            return Err(os_err(format!("{}: send", self.what)));
        }
        Ok(())
    }

    /// The next received frame, if one is waiting (frames this socket sent are skipped).
    pub fn recv(&self) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 2048];
        loop {
            // SAFETY: zeroed sockaddr_ll is valid; lengths match the buffers.
            let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    0,
                    std::ptr::addr_of_mut!(sll).cast(),
                    &mut len,
                )
            };
            if n <= 0 {
                return None;
            }
            if sll.sll_pkttype == libc::PACKET_OUTGOING || sll.sll_ifindex != self.ifindex {
                continue;
            }
            buf.truncate(n as usize);
            return Some(buf);
        }
    }
}

/// A raw ICMP (IPv4) or ICMPv6 socket in a namespace, for echo requests from the node's own stack.
#[derive(Debug)]
pub struct EchoSocket {
    fd: OwnedFd,
    v6: bool,
}

/// The Internet checksum (RFC 1071) of `data`, for ICMPv4 (ICMPv6 raw sockets have the kernel compute theirs).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request: type, code 0, checksum, identifier, sequence, 8 bytes of payload.
pub fn echo_request(v6: bool, ident: u16, seq: u16) -> Vec<u8> {
    let mut m = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    m.extend_from_slice(&ident.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(b"dualhome");
    if !v6 {
        let c = checksum(&m);
        m[2..4].copy_from_slice(&c.to_be_bytes());
    }
    m
}

impl EchoSocket {
    /// Opens a non-blocking raw socket of the family of `v6` in `ns`.
    pub fn open(ns: &str, v6: bool) -> Result<EchoSocket, KernelError> {
        let w = format!("raw ICMP socket in {ns}");
        in_netns(ns, move || {
            let (domain, proto) = if v6 {
                (libc::AF_INET6, libc::IPPROTO_ICMPV6)
            } else {
                (libc::AF_INET, libc::IPPROTO_ICMP)
            };
            // SAFETY: checked syscall; the fd is owned right away.
            let raw = unsafe { libc::socket(domain, libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, proto) };
            if raw < 0 {
                return Err(os_err(w));
            }
            // SAFETY: raw is a fresh valid fd.
            Ok(EchoSocket {
                fd: unsafe { OwnedFd::from_raw_fd(raw) },
                v6,
            })
        })
    }

    /// Sends echo request `seq` to `dst`; the kernel picks source and route as for any application.
    pub fn send(&self, dst: IpAddr, ident: u16, seq: u16) -> Result<(), KernelError> {
        let msg = echo_request(self.v6, ident, seq);
        let sa = SocketAddr::new(dst, 0);
        // SAFETY: sockaddr storage built from a std SocketAddr with its exact length.
        let n = unsafe {
            match sa {
                SocketAddr::V6(a) => {
                    let mut s: libc::sockaddr_in6 = std::mem::zeroed();
                    s.sin6_family = libc::AF_INET6 as u16;
                    s.sin6_addr.s6_addr = a.ip().octets();
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        msg.as_ptr().cast(),
                        msg.len(),
                        0,
                        std::ptr::addr_of!(s).cast(),
                        std::mem::size_of_val(&s) as u32,
                    )
                }
                SocketAddr::V4(a) => {
                    let mut s: libc::sockaddr_in = std::mem::zeroed();
                    s.sin_family = libc::AF_INET as u16;
                    s.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        msg.as_ptr().cast(),
                        msg.len(),
                        0,
                        std::ptr::addr_of!(s).cast(),
                        std::mem::size_of_val(&s) as u32,
                    )
                }
            }
        };
        if n < 0 {
            // An unreachable destination is a ping outcome, not a harness failure.
            return Ok(());
        }
        Ok(())
    }

    /// (identifier, sequence) of the echo replies received since the last call (drains the socket).
    pub fn replies(&self) -> Vec<(u16, u16)> {
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        loop {
            // SAFETY: the buffer is valid for its length.
            let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n <= 0 {
                return out;
            }
            let n = n as usize;
            // IPv4 raw sockets deliver the IP header; IPv6 ones do not (RFC 3542 §3).
            let off = if self.v6 { 0 } else { usize::from(buf[0] & 0x0f) * 4 };
            let Some(icmp) = buf.get(off..n) else { continue };
            let reply = if self.v6 { 129 } else { 0 };
            if icmp.len() >= 8 && icmp[0] == reply {
                out.push((
                    u16::from_be_bytes([icmp[4], icmp[5]]),
                    u16::from_be_bytes([icmp[6], icmp[7]]),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmpv4_echo_checksums_to_zero() {
        let m = echo_request(false, 0x1234, 7);
        assert_eq!(checksum(&m), 0);
        assert_eq!(&m[4..8], &[0x12, 0x34, 0, 7]);
        assert_eq!(echo_request(true, 1, 1)[0], 128);
    }
}
