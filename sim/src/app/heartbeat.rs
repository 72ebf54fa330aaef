//! `heartbeat`: a VM's BOSH agent reaching its director (NATS, port 4222) every `interval`. Each beat opens a
//! connection, sends a `PING`, and counts as a success when the echoed bytes come back; a refused, reset or
//! timed-out connection, or one still unanswered when the next beat is due, is a failure ("the agent cannot
//! reach the director").

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::host_app::{AppReport, HostApp};
use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::transport::socket::Family;
use crate::transport::tcp::TcpState;
use crate::transport::ConnId;

const PING: &[u8] = b"PING\r\n";

/// How the agent is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatConfig {
    /// The director (`mbus` URL host and port).
    pub dst: SocketAddr,
    /// Source address to bind, if the agent binds one.
    pub bind: Option<IpAddr>,
    /// Time between beats.
    pub interval: Duration,
    /// Number of beats.
    pub count: u32,
}

impl HeartbeatConfig {
    /// Port 4222, a beat every 20 s (the agent's heartbeat interval is 20 s in its default config), `count` beats.
    pub fn new(director: IpAddr, count: u32) -> HeartbeatConfig {
        HeartbeatConfig {
            dst: SocketAddr::new(director, 4222),
            bind: None,
            interval: Duration::from_secs(20),
            count,
        }
    }
}

/// A running agent.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// Configuration.
    pub config: HeartbeatConfig,
    /// When each successful beat was answered.
    pub answered: Vec<Instant>,
    report: AppReport,
    next: Option<Instant>,
    beats: u32,
    current: Option<ConnId>,
    pinged: bool,
    echoed: usize,
}

impl Heartbeat {
    /// An agent that beats from its start.
    pub fn new(config: HeartbeatConfig) -> Heartbeat {
        Heartbeat {
            config,
            answered: Vec::new(),
            report: AppReport::default(),
            next: Some(Instant::ZERO),
            beats: 0,
            current: None,
            pinged: false,
            echoed: 0,
        }
    }

    fn fail(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, id: ConnId) {
        self.report.failures += 1;
        let now = ctx.now;
        host.with_conn(ctx, id, |t, out| t.abort(now, out));
        self.current = None;
    }

    fn check(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, id: ConnId) {
        let Some(c) = host.transport.conn(id) else { return };
        let (state, error, est, closed) = (c.tcb.state, c.tcb.error, c.tcb.established_at, c.tcb.closed_at);
        if state == TcpState::Closed {
            if let Some(e) = error {
                self.report.record_error(closed.unwrap_or(ctx.now), e);
                self.report.failures += 1;
            }
            self.current = None;
            return;
        }
        if let (Some(t), None) = (est, self.report.established_at) {
            self.report.established_at = Some(t);
        }
        if state == TcpState::Established && !self.pinged {
            host.tcp_send(ctx, id, PING);
            self.pinged = true;
        }
        let got = host.with_conn(ctx, id, |t, _| t.recv_discard()).unwrap_or(0);
        self.echoed += got;
        self.report.bytes_received += got as u64;
        if self.echoed >= PING.len() {
            self.report.successes += 1;
            self.report.bytes_sent += PING.len() as u64;
            self.answered.push(ctx.now);
            host.tcp_close(ctx, id);
            self.current = None;
        }
    }
}

impl HostApp for Heartbeat {
    fn poll_at(&self) -> Option<Instant> {
        self.next
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, me: usize) {
        if let Some(id) = self.current {
            self.check(ctx, host, id);
        }
        let Some(t) = self.next.filter(|t| *t <= ctx.now) else {
            return;
        };
        if let Some(id) = self.current {
            self.fail(ctx, host, id);
        }
        if self.beats == self.config.count {
            self.next = None;
            self.report.finished_at = Some(ctx.now);
            return;
        }
        self.beats += 1;
        let start = if t == Instant::ZERO { ctx.now } else { t };
        self.next = Some(start + self.config.interval);
        let fam = Family::of(self.config.dst.ip());
        self.echoed = 0;
        self.pinged = false;
        match host.tcp_connect(ctx, fam, self.config.dst, self.config.bind, Some(me)) {
            Ok(c) => self.current = Some(c),
            Err(_) => self.report.failures += 1,
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
    fn director_defaults() {
        let c = HeartbeatConfig::new(IpAddr::from([10, 0, 0, 6]), 3);
        assert_eq!(
            (c.dst.to_string(), c.interval, c.count),
            ("10.0.0.6:4222".to_string(), Duration::from_secs(20), 3)
        );
        let h = Heartbeat::new(c);
        assert_eq!((h.poll_at(), h.answered.len()), (Some(Instant::ZERO), 0));
    }
}
