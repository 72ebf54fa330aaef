//! `bulk`: a TCP bulk sender (iperf-like, ns-3's BulkSend): connect, write `total` bytes as fast as the send
//! buffer takes them, close. The receiver is a [`crate::transport::Service::Discard`] listener. The record says
//! when the last byte was acknowledged and how many bytes were, which gives goodput in virtual time.

use std::net::SocketAddr;

use super::host_app::{AppReport, HostApp};
use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::transport::socket::Family;
use crate::transport::tcp::TcpState;
use crate::transport::ConnId;

/// The bytes written: a static block, so refilling the send buffer allocates nothing.
static BLOCK: [u8; 64 * 1024] = [0x5a; 64 * 1024];

/// One transfer.
#[derive(Debug, Clone)]
pub struct BulkSend {
    /// Receiver.
    pub dst: SocketAddr,
    /// Bytes to send.
    pub total: u64,
    /// The connection.
    pub conn: Option<ConnId>,
    written: u64,
    report: AppReport,
    closing: bool,
    done: bool,
}

impl BulkSend {
    /// Sends `total` bytes to `dst`.
    pub fn new(dst: SocketAddr, total: u64) -> BulkSend {
        BulkSend {
            dst,
            total,
            conn: None,
            written: 0,
            report: AppReport::default(),
            closing: false,
            done: false,
        }
    }

    /// Bytes handed to TCP so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl HostApp for BulkSend {
    fn poll_at(&self) -> Option<Instant> {
        (self.conn.is_none() && !self.done).then_some(Instant::ZERO)
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, me: usize) {
        if self.done {
            return;
        }
        let Some(id) = self.conn else {
            let fam = Family::of(self.dst.ip());
            match host.tcp_connect(ctx, fam, self.dst, None, Some(me)) {
                Ok(c) => self.conn = Some(c),
                Err(_) => {
                    self.report.failures += 1;
                    self.done = true;
                }
            }
            return;
        };
        let Some(c) = host.transport.conn(id) else { return };
        let (state, error, closed) = (c.tcb.state, c.tcb.error, c.tcb.closed_at);
        self.report.established_at = c.tcb.established_at;
        self.report.bytes_sent = c.tcb.bytes_acked;
        if self.report.bytes_sent >= self.total && self.report.finished_at.is_none() {
            self.report.finished_at = Some(ctx.now);
            self.report.successes = 1;
        }
        if state == TcpState::Closed {
            if let Some(e) = error {
                self.report.record_error(closed.unwrap_or(ctx.now), e);
            }
            self.done = true;
            return;
        }
        if !c.tcb.can_send() {
            return;
        }
        // Refill only when at least a block fits, so the per-ACK cost stays a comparison.
        let room = (host.transport.tcp_config.snd_buf as usize).saturating_sub(c.tcb.unacked());
        if self.written < self.total && room >= BLOCK.len() {
            let now = ctx.now;
            let mut left = self.total - self.written;
            let written = host
                .with_conn(ctx, id, |t, out| {
                    let mut n = 0u64;
                    while left > 0 {
                        let chunk = &BLOCK[..(left.min(BLOCK.len() as u64)) as usize];
                        let k = t.send(chunk) as u64;
                        if k == 0 {
                            break;
                        }
                        n += k;
                        left -= k;
                    }
                    t.output(now, out);
                    n
                })
                .unwrap_or(0);
            self.written += written;
        }
        if self.written >= self.total && !self.closing {
            self.closing = true;
            host.tcp_close(ctx, id);
        }
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
    fn starts_unconnected_and_wants_to_run() {
        let b = BulkSend::new(SocketAddr::from(([192, 0, 2, 1], 5001)), 10);
        assert_eq!((b.poll_at(), b.written(), b.conn), (Some(Instant::ZERO), 0, None));
        assert_eq!(BLOCK.len(), 65536);
    }
}
