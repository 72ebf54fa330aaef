//! Network namespaces, bridges and veth pairs on the real kernel, and the guard that deletes them.
//!
//! Configuration goes through `ip` (iproute2) run with `-n <ns>` / `ip netns exec`, and `/proc/sys` written from a
//! thread that entered the namespace with `setns(2)`. `ip` rather than the `rtnetlink` crate: it is installed
//! everywhere this runs, its `-json` output is what the golden data in reference/linux-exp was taken with, and it
//! keeps tokio out of the harness; the cost (a fork per verb, ~2 ms) is small next to real-time RA timers.
//!
//! Layout: node `n` of run `r` is namespace `dh-r-n`; segment `s` is a bridge `br0` inside namespace `dh-r-br-s`;
//! each NIC is a veth pair, the scenario's name and MAC in the node namespace, `pN` enslaved to the bridge. Nothing
//! is ever moved into or out of the initial namespace, so no real interface is reachable. Bridges carry no IP
//! addresses and `br_netfilter` never sees them (bridge-nf-call-* are set to 0 in the bridge namespace when the
//! module happens to be loaded).

use super::KernelError;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;

/// Prefix of every namespace dualhome creates.
pub const PREFIX: &str = "dh-";

/// Runs `ip ARGS…`, returning stdout; a non-zero exit is an error carrying the command and its stderr.
pub fn ip(args: &[&str]) -> Result<String, KernelError> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| KernelError::Command {
            cmd: format!("ip {}", args.join(" ")),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(KernelError::Command {
            cmd: format!("ip {}", args.join(" ")),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `f` on a fresh thread that entered namespace `ns` (so `/proc/sys/net` and new sockets belong to it).
/// Sockets created there keep their namespace when the file descriptor is used from another thread.
pub fn in_netns<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> Result<T, KernelError> + Send + 'static,
) -> Result<T, KernelError> {
    let path = format!("/var/run/netns/{ns}");
    let file = File::open(&path).map_err(|e| KernelError::Io {
        what: path.clone(),
        detail: e.to_string(),
    })?;
    let handle = std::thread::spawn(move || {
        // SAFETY: setns on this thread only; the fd is valid for the duration of the call.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        if rc != 0 {
            return Err(KernelError::Io {
                what: format!("setns {path}"),
                detail: std::io::Error::last_os_error().to_string(),
            });
        }
        f()
    });
    handle.join().map_err(|_| KernelError::Io {
        what: format!("thread in {ns}"),
        detail: "panicked".into(),
    })?
}

/// Runs `f` on a detached thread that entered namespace `ns` (for connections that outlive the call); setns
/// errors are returned before the thread runs `f`.
pub fn in_netns_detached(ns: &str, f: impl FnOnce() + Send + 'static) -> Result<(), KernelError> {
    let path = format!("/var/run/netns/{ns}");
    let file = File::open(&path).map_err(|e| KernelError::Io {
        what: path.clone(),
        detail: e.to_string(),
    })?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // SAFETY: setns on this thread only; the fd is valid for the duration of the call.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        let ok = rc == 0;
        let _ = tx.send(if ok {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().to_string())
        });
        if ok {
            f();
        }
    });
    match rx.recv() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(detail)) => Err(KernelError::Io {
            what: format!("setns {path}"),
            detail,
        }),
        Err(_) => Err(KernelError::Io {
            what: format!("thread in {ns}"),
            detail: "ended early".into(),
        }),
    }
}

/// Writes `value` to sysctl `key` (dotted) inside namespace `ns` through `/proc/sys`.
pub fn write_sysctl(ns: &str, key: &str, value: &str) -> Result<(), KernelError> {
    let (key, value) = (key.to_owned(), value.to_owned());
    in_netns(ns, move || {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        std::fs::write(&path, format!("{value}\n")).map_err(|e| KernelError::Io {
            what: format!("sysctl {key}={value}"),
            detail: e.to_string(),
        })
    })
}

/// The namespaces that exist now whose names start with `prefix`, sorted.
pub fn list(prefix: &str) -> Result<Vec<String>, KernelError> {
    let text = ip(&["netns", "list"])?;
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    names.sort();
    Ok(names)
}

/// Deletes every namespace whose name starts with `prefix` (which must itself start with [`PREFIX`]); returns
/// the names deleted. Deleting a namespace deletes the veths and bridges in it.
pub fn cleanup(prefix: &str) -> Result<Vec<String>, KernelError> {
    if !prefix.starts_with(PREFIX) {
        return Err(KernelError::Refused(format!(
            "namespace prefix `{prefix}` does not start with `{PREFIX}`"
        )));
    }
    let names = list(prefix)?;
    for n in &names {
        ip(&["netns", "del", n])?;
    }
    Ok(names)
}

/// The namespaces of one run; deletes them all when dropped (success, error, unwinding).
#[derive(Debug)]
pub struct Lab {
    run: String,
    created: Vec<String>,
}

impl Lab {
    /// An empty lab for run id `run` (letters, digits and `-`, so names stay valid).
    pub fn new(run: &str) -> Result<Lab, KernelError> {
        if run.is_empty() || !run.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(KernelError::Refused(format!(
                "run id `{run}` must be letters, digits and `-`"
            )));
        }
        Ok(Lab {
            run: run.to_owned(),
            created: Vec::new(),
        })
    }

    /// The namespace name of node `node` (`dh-<run>-<node>`, `/` in BOSH names becomes `-`).
    pub fn node_ns(&self, node: &str) -> String {
        format!("{PREFIX}{}-{}", self.run, node.replace('/', "-"))
    }

    /// The namespace holding segment `segment`'s bridge.
    pub fn bridge_ns(&self, segment: &str) -> String {
        format!("{PREFIX}{}-br-{segment}", self.run)
    }

    /// Creates namespace `name` with `lo` up; recorded for deletion before it exists so a failure half-way
    /// still cleans up.
    pub fn add_ns(&mut self, name: &str) -> Result<(), KernelError> {
        if !name.starts_with(PREFIX) {
            return Err(KernelError::Refused(format!(
                "namespace `{name}` does not start with `{PREFIX}`"
            )));
        }
        self.created.push(name.to_owned());
        ip(&["netns", "add", name])?;
        ip(&["-n", name, "link", "set", "lo", "up"])?;
        Ok(())
    }

    /// Creates the bridge namespace of `segment` with a bridge `br0` that forwards immediately (no STP, no
    /// forward delay, no multicast snooping: a plain learning switch like sim/src/segment.rs).
    pub fn add_segment(&mut self, segment: &str) -> Result<(), KernelError> {
        let ns = self.bridge_ns(segment);
        self.add_ns(&ns)?;
        ip(&[
            "-n",
            &ns,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
            "mcast_snooping",
            "0",
        ])?;
        for key in [
            "bridge-nf-call-ip6tables",
            "bridge-nf-call-iptables",
            "bridge-nf-call-arptables",
        ] {
            // Present only when br_netfilter is loaded; keep it out of the path then.
            let _ = write_sysctl(&ns, &format!("net.bridge.{key}"), "0");
        }
        // No IPv6 on the bridge's ports: their link-local addresses would send ND/MLD onto the segment, which the
        // simulated switch does not do (`default` for ports created later, `all` for br0).
        write_sysctl(&ns, "net.ipv6.conf.default.disable_ipv6", "1")?;
        write_sysctl(&ns, "net.ipv6.conf.all.disable_ipv6", "1")?;
        ip(&["-n", &ns, "link", "set", "br0", "up"])?;
        Ok(())
    }

    /// Adds NIC `ifname` with `mac` to node namespace `node_ns`, its peer `pN` enslaved to `segment`'s bridge.
    /// The NIC stays down; [`Lab::link`] brings it up once sysctls are written.
    pub fn add_nic(
        &mut self,
        node_ns: &str,
        ifname: &str,
        mac: &str,
        segment: &str,
        port: usize,
    ) -> Result<(), KernelError> {
        let br = self.bridge_ns(segment);
        let peer = format!("p{port}");
        ip(&[
            "-n", node_ns, "link", "add", ifname, "address", mac, "type", "veth", "peer", "name", &peer, "netns", &br,
        ])?;
        ip(&["-n", &br, "link", "set", &peer, "master", "br0"])?;
        ip(&["-n", &br, "link", "set", &peer, "up"])?;
        Ok(())
    }

    /// `ip link set IF up|down` in `ns`.
    pub fn link(&self, ns: &str, ifname: &str, up: bool) -> Result<(), KernelError> {
        ip(&["-n", ns, "link", "set", ifname, if up { "up" } else { "down" }]).map(|_| ())
    }

    /// Deletes every namespace of this lab (also done on drop).
    pub fn teardown(&mut self) -> Vec<KernelError> {
        let mut errors = Vec::new();
        for ns in self.created.drain(..).rev() {
            if let Err(e) = ip(&["netns", "del", &ns]) {
                if list(&ns).is_ok_and(|l| l.contains(&ns)) {
                    errors.push(e);
                }
            }
        }
        errors
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prefixed_and_sanitized() {
        let lab = Lab::new("t1");
        let Ok(lab) = lab else { panic!("valid run id refused") };
        assert_eq!(lab.node_ns("nginx/0"), "dh-t1-nginx-0");
        assert_eq!(lab.bridge_ns("lan"), "dh-t1-br-lan");
        assert!(Lab::new("a b").is_err() && Lab::new("").is_err());
    }

    #[test]
    fn cleanup_refuses_foreign_prefixes() {
        assert!(matches!(cleanup("prod-"), Err(KernelError::Refused(_))));
    }
}
