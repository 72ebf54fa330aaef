//! The real radvd(8) on the kernel side (`kernel: {real_radvd: true}`): instead of the simulator's RA daemon
//! writing its bytes to an AF_PACKET socket, each router with a `radvd_conf` runs `radvd --nodaemon` on that
//! file inside its namespace, so a scenario can check the simulator against the daemon users actually run.
//!
//! The process is killed when the run ends (this value's `Drop`, which `KernelNet` runs before deleting the
//! namespaces: a process left inside one would keep it alive after `ip netns del`).

use super::KernelError;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One radvd process in a router's namespace.
pub(super) struct RealRadvd {
    child: Child,
    pid_file: PathBuf,
    log_file: PathBuf,
}

/// How long radvd gets to read its configuration and open its sockets before the run starts: a configuration it
/// refuses makes it exit within this.
const STARTUP: Duration = Duration::from_millis(300);

impl RealRadvd {
    /// Checks `conf` (`radvd --configtest`), then starts radvd in namespace `ns`.
    pub(super) fn start(ns: &str, conf: &Path) -> Result<RealRadvd, KernelError> {
        let conf_text = conf.display().to_string();
        let test = Command::new("ip")
            .args(["netns", "exec", ns, "radvd", "--configtest", "--config", &conf_text])
            .output()
            .map_err(|e| KernelError::Setup(format!("radvd (is the radvd package installed?): {e}")))?;
        if !test.status.success() {
            return Err(KernelError::Setup(format!(
                "radvd refuses {conf_text}: {}",
                String::from_utf8_lossy(&test.stderr).trim()
            )));
        }
        let tmp = std::env::temp_dir();
        let pid_file = tmp.join(format!("{ns}-radvd.pid"));
        let log_file = tmp.join(format!("{ns}-radvd.log"));
        let log = std::fs::File::create(&log_file).map_err(|e| KernelError::Setup(format!("radvd log: {e}")))?;
        let pid_text = pid_file.display().to_string();
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "radvd", "--nodaemon", "--logmethod", "stderr"])
            .args(["--config", &conf_text, "--pidfile", &pid_text])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| KernelError::Setup(format!("radvd: {e}")))?;
        std::thread::sleep(STARTUP);
        if let Ok(Some(status)) = child.try_wait() {
            let said = std::fs::read_to_string(&log_file).unwrap_or_default();
            let _ = std::fs::remove_file(&log_file);
            return Err(KernelError::Setup(format!(
                "radvd exited at start ({status}): {}",
                said.trim()
            )));
        }
        Ok(RealRadvd {
            child,
            pid_file,
            log_file,
        })
    }
}

impl Drop for RealRadvd {
    fn drop(&mut self) {
        // SIGKILL rather than radvd's SIGTERM path: its final RA with lifetime 0 would change the hosts' state
        // after the last step was read, and nothing observes it any more.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pid_file);
        let _ = std::fs::remove_file(&self.log_file);
    }
}
