//! Bind semantics on both backends: every `listen` line of a scenario host becomes a real listening socket in
//! the host's namespace (the same [`ListenSocket`] the simulator's nginx parser yields: family, address,
//! IPV6_V6ONLY), and each of the host's configured addresses is probed on each service port — on the kernel
//! with a real `connect()` from inside the namespace, on the simulator with the socket table's demultiplexer
//! (`SocketTable::lookup`, what a SYN meets). `listen 80;` accepting only IPv4 is the seed's nginx problem.

use super::netns::in_netns;
use super::snapshot::AcceptEntry;
use super::KernelError;
use crate::scenario::topology::Host;
use dualhome_sim::transport::nginx::{parse_listen, ListenSocket};
use dualhome_sim::transport::socket::{Family, Proto, SocketTable};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// The listen sockets and the probe targets of one host.
pub fn host_listens(h: &Host) -> Result<Vec<ListenSocket>, KernelError> {
    let mut out = Vec::new();
    for svc in &h.services {
        for line in &svc.listen {
            let text = line.value.to_string();
            let s = parse_listen(&text).map_err(|e| KernelError::Setup(format!("{}: {text}: {e}", h.name.value)))?;
            out.push(s);
        }
    }
    Ok(out)
}

/// (address, port) pairs probed on `h`: every configured interface address × every distinct service port.
pub fn probe_targets(h: &Host, listens: &[ListenSocket]) -> Vec<SocketAddr> {
    let mut ports: Vec<u16> = listens.iter().map(|l| l.addr.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    let addrs = h.interfaces.iter().flat_map(|i| &i.addresses).map(|a| a.value.0.addr());
    addrs
        .flat_map(|a| ports.iter().map(move |&p| SocketAddr::new(a, p)))
        .collect()
}

/// The simulator's answer: whether a SYN to each target finds a listener.
pub fn sim_accepts(table: &SocketTable, targets: &[SocketAddr]) -> Vec<AcceptEntry> {
    targets
        .iter()
        .map(|t| AcceptEntry {
            target: t.to_string(),
            accepted: table.lookup(Proto::Tcp, t.ip(), t.port()).is_some(),
        })
        .collect()
}

fn os_err(what: String) -> KernelError {
    KernelError::Io {
        what,
        detail: std::io::Error::last_os_error().to_string(),
    }
}

fn setopt(fd: i32, level: i32, name: i32, on: bool) -> bool {
    let v: libc::c_int = i32::from(on);
    // SAFETY: a c_int option value with its exact size.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            std::ptr::addr_of!(v).cast(),
            std::mem::size_of_val(&v) as u32,
        ) == 0
    }
}

/// Opens the listening sockets of `listens` in namespace `ns`; they live as long as the returned fds.
/// No IP_FREEBIND: binding an IPv6 address still in DAD fails with EADDRNOTAVAIL, as it does for nginx at boot
/// and in the simulator's socket table.
pub fn open_listeners(ns: &str, listens: &[ListenSocket]) -> Result<Vec<OwnedFd>, KernelError> {
    let listens = listens.to_vec();
    let w = format!("listen in {ns}");
    in_netns(ns, move || {
        let mut fds = Vec::new();
        for l in &listens {
            let domain = if l.family == Family::Inet6 {
                libc::AF_INET6
            } else {
                libc::AF_INET
            };
            // SAFETY: checked syscall, owned at once.
            let raw = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
            if raw < 0 {
                return Err(os_err(format!("{w}: socket")));
            }
            // SAFETY: fresh valid fd.
            let fd = unsafe { OwnedFd::from_raw_fd(raw) };
            let ok = setopt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, true)
                && l.v6only
                    .is_none_or(|v| setopt(fd.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, v));
            if !ok {
                return Err(os_err(format!("{w}: setsockopt")));
            }
            // SAFETY: sockaddr built field by field with its exact length.
            let rc = unsafe {
                match l.addr {
                    SocketAddr::V6(a) => {
                        let mut s: libc::sockaddr_in6 = std::mem::zeroed();
                        s.sin6_family = libc::AF_INET6 as u16;
                        s.sin6_port = a.port().to_be();
                        s.sin6_addr.s6_addr = a.ip().octets();
                        libc::bind(
                            fd.as_raw_fd(),
                            std::ptr::addr_of!(s).cast(),
                            std::mem::size_of_val(&s) as u32,
                        )
                    }
                    SocketAddr::V4(a) => {
                        let mut s: libc::sockaddr_in = std::mem::zeroed();
                        s.sin_family = libc::AF_INET as u16;
                        s.sin_port = a.port().to_be();
                        s.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                        libc::bind(
                            fd.as_raw_fd(),
                            std::ptr::addr_of!(s).cast(),
                            std::mem::size_of_val(&s) as u32,
                        )
                    }
                }
            };
            // SAFETY: listen on a bound socket.
            if rc != 0 || unsafe { libc::listen(fd.as_raw_fd(), 16) } != 0 {
                return Err(os_err(format!("{w}: bind/listen {}", l.addr)));
            }
            fds.push(fd);
        }
        Ok(fds)
    })
}

/// The kernel's answer: a real `connect()` from inside `ns` to each target (refused = no listener).
pub fn kernel_accepts(ns: &str, targets: &[SocketAddr]) -> Result<Vec<AcceptEntry>, KernelError> {
    let targets = targets.to_vec();
    in_netns(ns, move || {
        Ok(targets
            .iter()
            .map(|t| AcceptEntry {
                target: t.to_string(),
                accepted: TcpStream::connect_timeout(t, Duration::from_millis(500)).is_ok(),
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_text, LoadOptions};

    #[test]
    fn targets_cross_addresses_with_ports_and_the_sim_demux_answers() {
        let text = "name: t\nduration: 1s\ntopology:\n  segments: [{name: lan}]\n  hosts:\n    - name: web\n      role: server\n      interfaces:\n        - {name: eth0, segment: lan, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.10/24, 2001:db8::10/64]}\n      services:\n        - {name: web, app: http, listen: [\"listen 80;\"]}\n";
        let s = load_text("t.yml", text, None, &LoadOptions::default());
        let Ok(s) = s else { panic!("scenario does not load") };
        let h = &s.topology.hosts[0];
        let l = host_listens(h);
        let Ok(l) = l else { panic!("listen lines do not parse") };
        let t = probe_targets(h, &l);
        assert_eq!(
            t.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["192.0.2.10:80", "[2001:db8::10]:80"]
        );
        let mut table = SocketTable::new();
        let id = table.open(Family::Inet, Proto::Tcp, false);
        assert!(table.bind(id, l[0].addr, |_| true).is_ok() && table.listen(id).is_ok());
        let got: Vec<bool> = sim_accepts(&table, &t).iter().map(|a| a.accepted).collect();
        assert_eq!(got, [true, false], "listen 80; is IPv4 only");
    }
}
