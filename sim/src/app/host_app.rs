//! The client-application contract: an application on a host says when it next wants to run, runs with the host's
//! verbs in hand (connect, send, close), and keeps a record ([`AppReport`]) the harness asserts on.
//!
//! The host runs an application at its deadline and whenever one of its connections changes (a segment arrived,
//! a timer fired), so a reset is recorded at the instant it happens.

use std::any::Any;
use std::time::Duration;

use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::transport::tcp::TcpError;

/// What a client application observed, in virtual time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppReport {
    /// Handshake completed.
    pub established_at: Option<Instant>,
    /// ECONNRESET or ECONNREFUSED seen.
    pub reset_at: Option<Instant>,
    /// The first write that was never acknowledged, if the session stopped making progress.
    pub stalled_at: Option<Instant>,
    /// ETIMEDOUT seen.
    pub timed_out_at: Option<Instant>,
    /// The application finished (its duration ran out, or its exchange completed).
    pub finished_at: Option<Instant>,
    /// The error that ended the session, if any.
    pub error: Option<TcpError>,
    /// Bytes written and acknowledged by the peer.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Successful exchanges (heartbeats answered, HTTP responses, echoes).
    pub successes: u32,
    /// Failed attempts.
    pub failures: u32,
    /// HTTP status of the last response.
    pub status: Option<u16>,
}

impl AppReport {
    /// Records a connection's terminal error at `at`.
    pub fn record_error(&mut self, at: Instant, e: TcpError) {
        match e {
            TcpError::Reset | TcpError::Refused | TcpError::Unreachable(_) => {
                self.reset_at.get_or_insert(at);
            }
            TcpError::TimedOut | TcpError::SoftError(_) => {
                self.timed_out_at.get_or_insert(at);
            }
        }
        self.error.get_or_insert(e);
    }

    /// How long after the handshake the session was reset.
    pub fn reset_after_handshake(&self) -> Option<Duration> {
        Some(self.reset_at?.saturating_since(self.established_at?))
    }
}

/// A client application.
pub trait HostApp: Any {
    /// Earliest time it wants to run.
    fn poll_at(&self) -> Option<Instant>;
    /// Runs at `ctx.now`; `me` is its index in [`Host::apps`].
    fn run(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, me: usize);
    /// Its record so far.
    fn report(&self) -> AppReport;
    /// For downcasting to the concrete application.
    fn as_any(&self) -> &dyn Any;
}

impl Host {
    /// Starts `app` now; returns its index.
    pub fn start_app(&mut self, ctx: &mut Ctx<'_>, app: Box<dyn HostApp>) -> usize {
        self.apps.push(Some(app));
        let i = self.apps.len() - 1;
        self.run_app(ctx, i);
        i
    }

    /// Runs application `i` (re-entrant calls while it runs are ignored).
    pub(crate) fn run_app(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let Some(mut app) = self.apps.get_mut(i).and_then(Option::take) else {
            return;
        };
        app.run(ctx, self, i);
        if let Some(slot) = self.apps.get_mut(i) {
            *slot = Some(app);
        }
    }

    /// Runs every application whose deadline has come.
    pub(crate) fn run_due_apps(&mut self, ctx: &mut Ctx<'_>) {
        for i in 0..self.apps.len() {
            let due = self.apps[i]
                .as_ref()
                .and_then(|a| a.poll_at())
                .is_some_and(|t| t <= ctx.now);
            if due {
                self.run_app(ctx, i);
            }
        }
    }

    /// Earliest application deadline.
    pub(crate) fn apps_poll_at(&self) -> Option<Instant> {
        self.apps.iter().flatten().filter_map(|a| a.poll_at()).min()
    }

    /// Application `i`'s record.
    pub fn app_report(&self, i: usize) -> Option<AppReport> {
        self.apps.get(i)?.as_ref().map(|a| a.report())
    }

    /// Application `i` as its concrete type.
    pub fn app<T: HostApp>(&self, i: usize) -> Option<&T> {
        self.apps.get(i)?.as_ref()?.as_any().downcast_ref::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_recorded_once_with_their_kind() {
        let mut r = AppReport {
            established_at: Some(Instant::from_secs(5)),
            ..AppReport::default()
        };
        r.record_error(Instant::from_secs(41), TcpError::Reset);
        r.record_error(Instant::from_secs(50), TcpError::TimedOut);
        assert_eq!(r.reset_at, Some(Instant::from_secs(41)));
        assert_eq!(r.timed_out_at, Some(Instant::from_secs(50)));
        assert_eq!(r.error, Some(TcpError::Reset), "the first error ended the session");
        assert_eq!(r.reset_after_handshake(), Some(Duration::from_secs(36)));
        let mut refused = AppReport::default();
        refused.record_error(Instant::from_secs(1), TcpError::Refused);
        assert_eq!(
            (refused.reset_at, refused.reset_after_handshake()),
            (Some(Instant::from_secs(1)), None)
        );
    }
}
