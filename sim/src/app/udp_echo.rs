//! `udp-echo`: a UDP echo client (ns-3's UdpEchoClient): `count` datagrams of `size` bytes, `interval` apart, to
//! an echo service ([`crate::transport::Service::Echo`] on a UDP socket). Replies land in the client's socket
//! queue; the record counts them (`successes`) and the datagrams never answered by the end (`failures`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::host_app::{AppReport, HostApp};
use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::transport::socket::{Family, SockId};

/// One echo run.
#[derive(Debug, Clone)]
pub struct UdpEcho {
    /// Echo server.
    pub dst: SocketAddr,
    /// Datagrams to send.
    pub count: u32,
    /// Bytes per datagram.
    pub size: usize,
    /// Time between datagrams.
    pub interval: Duration,
    /// How long to wait for replies after the last datagram.
    pub linger: Duration,
    sock: Option<(SockId, SocketAddr)>,
    sent: u32,
    next: Option<Instant>,
    report: AppReport,
}

impl UdpEcho {
    /// `count` datagrams of `size` bytes every `interval`.
    pub fn new(dst: SocketAddr, count: u32, size: usize, interval: Duration) -> UdpEcho {
        UdpEcho {
            dst,
            count,
            size,
            interval,
            linger: Duration::from_secs(1),
            sock: None,
            sent: 0,
            next: Some(Instant::ZERO),
            report: AppReport::default(),
        }
    }

    fn collect(&mut self, host: &mut Host) {
        if let Some((id, _)) = self.sock {
            if let Some(q) = host.transport.udp_queues.get_mut(&id) {
                for d in q.drain(..) {
                    self.report.successes += 1;
                    self.report.bytes_received += d.data.len() as u64;
                }
            }
        }
    }
}

impl HostApp for UdpEcho {
    fn poll_at(&self) -> Option<Instant> {
        self.next
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, _me: usize) {
        let Some(t) = self.next.filter(|t| *t <= ctx.now) else {
            return;
        };
        self.collect(host);
        if self.sent == self.count {
            self.report.failures = self.count.saturating_sub(self.report.successes);
            self.report.finished_at = Some(ctx.now);
            self.next = None;
            return;
        }
        let (id, local) = match self.sock {
            Some(s) => s,
            None => {
                // Bind to the source the route picks, on an ephemeral port.
                let src = host
                    .route_get(&crate::host::lookup::RouteQuery::to(self.dst.ip()))
                    .ok()
                    .and_then(|d| d.src)
                    .unwrap_or(match self.dst {
                        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                    });
                let fam = Family::of(src);
                let Ok(id) = host.udp_bind(fam, SocketAddr::new(src, 0), None, None) else {
                    self.report.failures = self.count;
                    self.next = None;
                    return;
                };
                let local = host
                    .transport
                    .sockets
                    .get(id)
                    .and_then(|s| s.bound)
                    .unwrap_or(SocketAddr::new(src, 0));
                self.sock = Some((id, local));
                (id, local)
            }
        };
        let _ = id;
        let payload = vec![0u8; self.size];
        if host.udp_send(ctx, local, self.dst, &payload).is_ok() {
            self.report.bytes_sent += self.size as u64;
        }
        self.sent += 1;
        let base = if t == Instant::ZERO { ctx.now } else { t };
        self.next = Some(if self.sent == self.count {
            base + self.linger
        } else {
            base + self.interval
        });
    }

    fn report(&self) -> AppReport {
        self.report.clone()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_starts_now_with_a_one_second_linger() {
        let u = UdpEcho::new(SocketAddr::from(([192, 0, 2, 1], 7)), 3, 64, Duration::from_millis(5));
        assert_eq!(
            (u.poll_at(), u.linger, u.report().successes),
            (Some(Instant::ZERO), Duration::from_secs(1), 0)
        );
    }
}
