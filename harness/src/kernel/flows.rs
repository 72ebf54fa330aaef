//! TCP flows (`ssh`, `http` timeline actions) on both backends, reduced to how far the connection got: on the
//! kernel a real `connect()` from the client's namespace on a thread of its own (setns), held open for the run;
//! on the simulator the application's record (`AppReport`, run::flows). Bytes exchanged are not compared: the
//! kernel-side listeners accept the handshake in the kernel but run no application.

use super::netns::in_netns_detached;
use super::snapshot::FlowEntry;
use super::KernelError;
use crate::run::flows::Flows;
use crate::run::world::World;
use dualhome_sim::app::host_app::AppReport;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How far a connection got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still trying (SYN retransmissions).
    Pending,
    /// Handshake completed.
    Established,
    /// RST in answer (ECONNREFUSED/ECONNRESET).
    Refused,
    /// Another error (timeout, ICMP unreachable).
    Failed,
}

impl Outcome {
    /// The word used in [`FlowEntry`].
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Established => "established",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    /// The simulator's record read the same way.
    pub fn of_report(r: &AppReport) -> Outcome {
        if r.established_at.is_some() {
            Outcome::Established
        } else if r.reset_at.is_some() {
            Outcome::Refused
        } else if r.timed_out_at.is_some() || r.error.is_some() {
            Outcome::Failed
        } else {
            Outcome::Pending
        }
    }
}

/// One kernel-side flow: its id, client node and the outcome its thread reports.
#[derive(Debug)]
pub struct KernelFlow {
    /// Flow id.
    pub id: String,
    /// Client node.
    pub node: String,
    /// Outcome so far (the thread keeps the stream open until `hold` ends).
    pub outcome: Arc<Mutex<Outcome>>,
}

/// Starts a connection from namespace `ns` to `dst`, giving up after `give_up` and keeping an established
/// connection open for `hold`.
pub fn start(
    ns: &str,
    id: &str,
    node: &str,
    dst: SocketAddr,
    give_up: Duration,
    hold: Duration,
) -> Result<KernelFlow, KernelError> {
    let outcome = Arc::new(Mutex::new(Outcome::Pending));
    let shared = Arc::clone(&outcome);
    in_netns_detached(ns, move || {
        let result = TcpStream::connect_timeout(&dst, give_up.max(Duration::from_millis(1)));
        let o = match &result {
            Ok(_) => Outcome::Established,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                Outcome::Refused
            }
            Err(_) => Outcome::Failed,
        };
        if let Ok(mut g) = shared.lock() {
            *g = o;
        }
        if let Ok(stream) = result {
            std::thread::sleep(hold);
            drop(stream);
        }
    })?;
    Ok(KernelFlow {
        id: id.to_owned(),
        node: node.to_owned(),
        outcome,
    })
}

impl KernelFlow {
    /// The entry for the snapshot.
    pub fn entry(&self) -> FlowEntry {
        let o = self.outcome.lock().map_or(Outcome::Failed, |g| *g);
        FlowEntry {
            id: self.id.clone(),
            state: o.word().to_owned(),
        }
    }
}

/// The simulator's flows, per client node name.
pub fn sim_flows(w: &World, flows: &Flows) -> Vec<(String, FlowEntry)> {
    flows
        .iter()
        .filter(|(_, rec)| matches!(rec.kind, "ssh" | "http"))
        .filter_map(|(id, rec)| {
            let r = w.sim.host(rec.node)?.app_report(rec.app)?;
            let entry = FlowEntry {
                id: id.clone(),
                state: Outcome::of_report(&r).word().to_owned(),
            };
            Some((w.name_of(rec.node).to_owned(), entry))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_in_order_of_progress() {
        let mut r = AppReport::default();
        assert_eq!(Outcome::of_report(&r), Outcome::Pending);
        r.reset_at = Some(dualhome_sim::time::Instant::from_secs(1));
        assert_eq!(Outcome::of_report(&r), Outcome::Refused);
        r.established_at = Some(dualhome_sim::time::Instant::from_secs(1));
        assert_eq!(Outcome::of_report(&r).word(), "established");
    }
}
