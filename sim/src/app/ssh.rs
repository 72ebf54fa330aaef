//! `ssh`: an interactive session as the network sees it. Connect to port 22, then a small write (a keystroke
//! packet) every `interval` for `duration`, with TCP_NODELAY as OpenSSH sets it; the server's shell echoes.
//!
//! The record says when the handshake completed, when the session was reset (ECONNRESET) or timed out, and when it
//! stalled: the first write that stayed unacknowledged longer than `stall_after`, which is what a user sees as a
//! frozen terminal before any error.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::host_app::{AppReport, HostApp};
use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::transport::socket::Family;
use crate::transport::tcp::TcpState;
use crate::transport::ConnId;

/// How the session is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshConfig {
    /// Server address (a v4-mapped address on an AF_INET6 client goes out as IPv4).
    pub dst: SocketAddr,
    /// Socket family (`ssh -4` / `-6`; default from the address).
    pub family: Family,
    /// Source address to bind (`ssh -b`).
    pub bind: Option<IpAddr>,
    /// Time between writes.
    pub interval: Duration,
    /// Bytes per write (an encrypted keystroke packet is 36 bytes with a 16-byte MAC; rounded here).
    pub write_len: usize,
    /// Session length; the client closes after it.
    pub duration: Duration,
    /// A write unacknowledged for this long marks the session stalled.
    pub stall_after: Duration,
}

impl SshConfig {
    /// `ssh dst` typing every 10 s for 10 minutes.
    pub fn new(dst: IpAddr) -> SshConfig {
        SshConfig {
            dst: SocketAddr::new(dst, 22),
            family: Family::of(dst),
            bind: None,
            interval: Duration::from_secs(10),
            write_len: 36,
            duration: Duration::from_secs(600),
            stall_after: Duration::from_secs(10),
        }
    }
}

/// A running session.
#[derive(Debug, Clone)]
pub struct Ssh {
    /// Configuration.
    pub config: SshConfig,
    /// The connection, once `connect()` was called.
    pub conn: Option<ConnId>,
    report: AppReport,
    started: Option<Instant>,
    next_write: Option<Instant>,
    writes: VecDeque<(u64, Instant)>,
    written: u64,
    done: bool,
}

impl Ssh {
    /// A session that connects when started.
    pub fn new(config: SshConfig) -> Ssh {
        Ssh {
            config,
            conn: None,
            report: AppReport::default(),
            started: None,
            next_write: None,
            writes: VecDeque::new(),
            written: 0,
            done: false,
        }
    }

    fn end(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, close: bool) {
        if close {
            if let Some(c) = self.conn {
                host.tcp_close(ctx, c);
            }
        }
        self.report.finished_at.get_or_insert(ctx.now);
        self.next_write = None;
        self.done = true;
    }
}

impl HostApp for Ssh {
    fn poll_at(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        match self.started {
            None => Some(Instant::ZERO),
            Some(_) => self.next_write,
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, me: usize) {
        if self.done {
            return;
        }
        let now = ctx.now;
        let Some(id) = self.conn else {
            self.started = Some(now);
            match host.tcp_connect(ctx, self.config.family, self.config.dst, self.config.bind, Some(me)) {
                Ok(c) => {
                    // OpenSSH sets TCP_NODELAY on interactive sessions.
                    host.with_conn(ctx, c, |t, _| t.set_nodelay(true));
                    self.conn = Some(c);
                }
                Err(_) => {
                    self.report.failures += 1;
                    self.end(ctx, host, false);
                }
            }
            return;
        };
        let Some(c) = host.transport.conn(id) else {
            return;
        };
        let (state, error, est, acked) = (c.tcb.state, c.tcb.error, c.tcb.established_at, c.tcb.bytes_acked);
        self.report.bytes_sent = acked;
        self.report.bytes_received = c.tcb.bytes_received;
        if let (Some(t), None) = (est, self.report.established_at) {
            self.report.established_at = Some(t);
            self.next_write = Some(t + self.config.interval);
        }
        while self.writes.front().is_some_and(|(end, _)| *end <= acked) {
            self.writes.pop_front();
        }
        if state == TcpState::Closed {
            if let Some(e) = error {
                self.report.record_error(c.tcb.closed_at.unwrap_or(now), e);
            }
            return self.end(ctx, host, false);
        }
        if let Some(&(_, at)) = self.writes.front() {
            if now.saturating_since(at) >= self.config.stall_after {
                self.report.stalled_at.get_or_insert(at);
            }
        }
        let Some(t) = self.next_write.filter(|t| *t <= now) else {
            return;
        };
        let started = self.started.unwrap_or(Instant::ZERO);
        if now.saturating_since(started) >= self.config.duration {
            return self.end(ctx, host, true);
        }
        // The shell reads what the server echoed; the client keeps typing.
        let _ = host.with_conn(ctx, id, |t, _| t.recv_discard());
        let data = vec![b'k'; self.config.write_len];
        let n = host.tcp_send(ctx, id, &data) as u64;
        self.written += n;
        self.writes.push_back((self.written, now));
        self.report.successes += 1;
        self.next_write = Some(t + self.config.interval);
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
    fn defaults_and_schedule_before_start() {
        let c = SshConfig::new("192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        assert_eq!(
            (c.dst.port(), c.family, c.interval, c.duration),
            (22, Family::Inet, Duration::from_secs(10), Duration::from_secs(600))
        );
        let c6 = SshConfig::new("2001:db8::1".parse().unwrap_or(IpAddr::from([0u16; 8])));
        assert_eq!(c6.family, Family::Inet6);
        let s = Ssh::new(c6);
        assert_eq!(s.poll_at(), Some(Instant::ZERO), "runs as soon as it is started");
        assert_eq!(s.report(), AppReport::default());
    }
}
