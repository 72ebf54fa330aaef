//! A scenario's `conntrack` firewall as an nftables ruleset for the router's namespace, rule for rule what
//! `run::services::firewall` builds for the simulator (sim/src/firewall/nft.rs): on the forward hook, INVALID
//! first (drop, or TCP reset), then ESTABLISHED/RELATED accepted, then the scenario's rules in order (a `pass`
//! with state matches `ct state new` only), policy accept. `sloppy` is `nf_conntrack_tcp_loose`.
//! `direction` and `iface` are not matched, as on the simulator side.

use super::netns::{in_netns, write_sysctl};
use super::KernelError;
use crate::scenario::topology::{Firewall, InvalidAction, RuleAction, RuleProto};
use std::fmt::Write;
use std::process::Command;

/// The `nft -f` text of `fw`.
pub fn ruleset(fw: &Firewall) -> String {
    let mut out = String::new();
    out.push_str("table inet dualhome {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n");
    match fw.invalid {
        InvalidAction::Drop => out.push_str("    ct state invalid drop\n"),
        InvalidAction::RejectTcpReset => {
            out.push_str("    meta l4proto tcp ct state invalid reject with tcp reset\n    ct state invalid drop\n");
        }
    }
    out.push_str("    ct state established accept\n");
    for r in &fw.rules {
        let mut line = String::from("   ");
        let proto = match r.proto {
            RuleProto::Any => None,
            RuleProto::Tcp => Some("tcp"),
            RuleProto::Udp => Some("udp"),
            RuleProto::Icmp => Some("icmp"),
            RuleProto::Icmpv6 => Some("ipv6-icmp"),
        };
        if let Some(p) = proto {
            let _ = write!(line, " meta l4proto {p}");
        }
        for (field, net) in [("saddr", &r.from), ("daddr", &r.to)] {
            if let Some(n) = net {
                let fam = if n.value.0.addr().is_ipv6() { "ip6" } else { "ip" };
                let _ = write!(line, " {fam} {field} {}", n.value.0.trunc());
            }
        }
        if let Some(port) = r.port {
            let _ = write!(line, " th dport {port}");
        }
        if r.action == RuleAction::Pass && r.keep_state {
            line.push_str(" ct state new");
        }
        line.push_str(if r.action == RuleAction::Pass {
            " accept\n"
        } else {
            " drop\n"
        });
        out.push_str(&line);
    }
    out.push_str("  }\n}\n");
    out
}

/// Loads `fw` into namespace `ns` (and sets `nf_conntrack_tcp_loose` from `sloppy`).
pub fn install(ns: &str, fw: &Firewall) -> Result<(), KernelError> {
    let text = ruleset(fw);
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                std::io::Write::write_all(&mut stdin, text.as_bytes())?;
            }
            child.wait_with_output()
        })
        .map_err(|e| KernelError::Command {
            cmd: format!("ip netns exec {ns} nft -f -"),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(KernelError::Command {
            cmd: format!("ip netns exec {ns} nft -f -"),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    // The conntrack sysctls appear once nf_conntrack is in use in the namespace (the ruleset above uses it).
    let loose = if fw.sloppy { "1" } else { "0" };
    let ns2 = ns.to_owned();
    let exists = in_netns(&ns2, || {
        Ok(std::path::Path::new("/proc/sys/net/netfilter/nf_conntrack_tcp_loose").exists())
    })?;
    if exists {
        write_sysctl(ns, "net.netfilter.nf_conntrack_tcp_loose", loose)?;
    } else if fw.sloppy {
        return Err(KernelError::Setup(format!(
            "{ns}: nf_conntrack_tcp_loose missing; cannot honour `sloppy`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_translate_in_order_with_state_on_pass() {
        let text = "kind: conntrack\ninvalid: reject-tcp-reset\nrules:\n  - {action: pass, direction: forward, proto: icmpv6, from: \"2001:db8:1::/64\"}\n  - {action: block, direction: forward, proto: tcp, to: \"192.0.2.0/24\", port: 22}\n";
        let fw: Result<Firewall, _> = serde_saphyr::from_str(text);
        let Ok(fw) = fw else { panic!("firewall does not parse") };
        assert_eq!(
            ruleset(&fw),
            "table inet dualhome {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    meta l4proto tcp ct state invalid reject with tcp reset\n    ct state invalid drop\n    ct state established accept\n    meta l4proto ipv6-icmp ip6 saddr 2001:db8:1::/64 ct state new accept\n    meta l4proto tcp ip daddr 192.0.2.0/24 th dport 22 drop\n  }\n}\n"
        );
    }
}
