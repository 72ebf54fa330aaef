//! The address check that must pass before anything is created on the real kernel: every address a scenario
//! mentions lies in documentation, ULA or link-local space (issue 9, "Safety and hygiene"), so a namespace can
//! never talk to, or route towards, a real network even if it were wired to one by mistake.
//!
//! The walk covers the whole scenario as serialized (topology, RA options, timeline, expectations) plus the text of
//! the BOSH inputs, token by token, so a field added later is covered without touching this file. Positions come
//! from the scenario source text when the caller has it, else from the first `Located` field that holds the value.

use crate::scenario::bosh::BoshInput;
use crate::scenario::Scenario;
use ipnet::IpNet;
use std::net::IpAddr;

/// The ranges a kernel-backend scenario may use (RFC 3849, RFC 4193, RFC 4291 §2.5.6, RFC 5737).
pub const ALLOWED: [&str; 6] = [
    "2001:db8::/32",
    "fd00::/8",
    "fe80::/10",
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
];

/// An address outside [`ALLOWED`], with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{address} ({place}) lies outside documentation/ULA/link-local space ({allowed}); refusing to run on the kernel", allowed = ALLOWED.join(", "))]
pub struct UnsafeAddress {
    /// The address or prefix as written.
    pub address: String,
    /// `line N` of the scenario file, `line N of the cloud config`, or `line unknown`.
    pub place: String,
}

/// Whether `net` is allowed: inside one of [`ALLOWED`], or one of the address-less forms that cannot reach
/// anything (a default route `::/0`/`0.0.0.0/0`, the unspecified and loopback addresses, link-scope multicast).
pub fn is_allowed(net: IpNet) -> bool {
    if net.prefix_len() == 0 {
        return true;
    }
    let addr = net.addr();
    let special = match addr {
        IpAddr::V6(a) => a.is_unspecified() || a.is_loopback() || (a.segments()[0] & 0xff0f) == 0xff02,
        IpAddr::V4(a) => a.is_unspecified() || a.is_loopback(),
    };
    special
        || ALLOWED
            .iter()
            .filter_map(|r| r.parse::<IpNet>().ok())
            .any(|r| r.contains(&net))
}

/// The addresses and prefixes in `text`: tokens of hex digits, `.`, `:` and `/` that parse as one.
pub fn addresses_in(text: &str) -> Vec<(String, IpNet)> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/')))
        .filter(|t| t.contains('.') || t.contains(':'))
        .filter_map(|t| {
            let net = t
                .parse::<IpNet>()
                .ok()
                .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from));
            net.map(|n| (t.to_owned(), n))
        })
        .collect()
}

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn line_of(text: &str, token: &str) -> Option<usize> {
    text.lines()
        .position(|l| addresses_in(l).iter().any(|(t, _)| t == token))
        .map(|i| i + 1)
}

/// Checks `scenario` (whose file text is `source`, when known). Returns the first offending address in file order
/// when `source` is given, else in the scenario's serialized order.
pub fn check(scenario: &Scenario, source: Option<&str>) -> Result<(), UnsafeAddress> {
    if let Some(text) = source {
        if let Some((token, _)) = addresses_in(text).into_iter().find(|(_, n)| !is_allowed(*n)) {
            let place = line_of(text, &token).map_or("line unknown".to_owned(), |l| format!("line {l}"));
            return Err(UnsafeAddress { address: token, place });
        }
    }
    let json = serde_json::to_value(scenario).unwrap_or(serde_json::Value::Null);
    let mut all = Vec::new();
    strings(&json, &mut all);
    for s in &all {
        if let Some((token, _)) = addresses_in(s).into_iter().find(|(_, n)| !is_allowed(*n)) {
            let place = located_line(scenario, &token).map_or("line unknown".to_owned(), |l| format!("line {l}"));
            return Err(UnsafeAddress { address: token, place });
        }
    }
    for (which, what) in [
        (BoshInput::CloudConfig, "cloud config"),
        (BoshInput::Manifest, "manifest"),
    ] {
        if let Some(Ok(text)) = scenario.bosh_text(which) {
            if let Some((token, _)) = addresses_in(&text).into_iter().find(|(_, n)| !is_allowed(*n)) {
                let place = line_of(&text, &token).map_or(format!("the {what}"), |l| format!("line {l} of the {what}"));
                return Err(UnsafeAddress { address: token, place });
            }
        }
    }
    // A router's radvd.conf advertises prefixes, routes and DNS servers on the kernel side too.
    for conf in scenario.topology.routers.iter().filter_map(|r| r.radvd_conf.as_ref()) {
        let path = scenario.resolve_path(&conf.value);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some((token, _)) = addresses_in(&text).into_iter().find(|(_, n)| !is_allowed(*n)) {
            let file = path.display();
            let place = line_of(&text, &token).map_or(format!("{file}"), |l| format!("line {l} of {file}"));
            return Err(UnsafeAddress { address: token, place });
        }
    }
    Ok(())
}

/// The line of the first interface address, route or rule field holding `token` (these are `Located`).
fn located_line(s: &Scenario, token: &str) -> Option<u32> {
    let t = &s.topology;
    let mut found = t
        .interfaces()
        .flat_map(|i| &i.addresses)
        .find(|a| a.value.0.to_string() == token)
        .map(|a| a.pos.line);
    let routes = t
        .routers
        .iter()
        .flat_map(|r| &r.routes)
        .chain(t.hosts.iter().flat_map(|h| &h.routes));
    for r in routes {
        if found.is_some() {
            break;
        }
        if r.dst.value.0.to_string() == token {
            found = Some(r.dst.pos.line);
        } else if let Some(v) = r.via.as_ref().filter(|v| v.value.0.to_string() == token) {
            found = Some(v.pos.line);
        }
    }
    found.filter(|&l| l > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_text, LoadOptions};

    fn net(s: &str) -> IpNet {
        s.parse()
            .unwrap_or_else(|_| IpNet::from(s.parse::<IpAddr>().unwrap_or(IpAddr::from([0u8; 4]))))
    }

    #[test]
    fn documentation_ula_and_link_local_pass_others_do_not() {
        for ok in [
            "2001:db8:1::a/64",
            "fd12::1",
            "fe80::1",
            "192.0.2.7/24",
            "198.51.100.1",
            "203.0.113.9",
            "::/0",
            "ff02::1",
        ] {
            assert!(is_allowed(net(ok)), "{ok}");
        }
        for bad in [
            "2001:4860::8888",
            "10.0.0.1/24",
            "2001:db8::/31",
            "192.0.3.1",
            "8.8.8.8",
            "2601:646::1",
        ] {
            assert!(!is_allowed(net(bad)), "{bad}");
        }
    }

    #[test]
    fn tokens_skip_macs_names_and_ports() {
        let found: Vec<String> = addresses_in("mac 02:00:00:00:00:01 nginx/0:eth0 [::]:80 2001:db8::1/64 x 192.0.2.1")
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(found, ["::", "2001:db8::1/64", "192.0.2.1"]);
    }

    const TEXT: &str = "name: t\nduration: 5s\ntopology:\n  segments: [{name: lan}]\n  hosts:\n    - name: a\n      interfaces:\n        - name: eth0\n          segment: lan\n          mac: 02:00:00:00:00:01\n          addresses: [2001:db8::1/64, 10.1.2.3/24]\n";

    #[test]
    fn the_first_offender_is_named_with_its_line() {
        let s = load_text("t.yml", TEXT, None, &LoadOptions::default());
        let Ok(s) = s else { panic!("scenario does not load") };
        let with_text = check(&s, Some(TEXT));
        assert_eq!(
            with_text,
            Err(UnsafeAddress {
                address: "10.1.2.3/24".into(),
                place: "line 11".into()
            })
        );
        let without = check(&s, None);
        assert!(
            matches!(&without, Err(e) if e.address == "10.1.2.3/24" && e.place == "line 11"),
            "{without:?}"
        );
        let msg = without.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(
            msg.contains("10.1.2.3/24 (line 11)") && msg.contains("refusing"),
            "{msg}"
        );
    }

    #[test]
    fn a_clean_scenario_passes() {
        let text = TEXT.replace("10.1.2.3/24", "192.0.2.3/24");
        let s = load_text("t.yml", &text, None, &LoadOptions::default());
        assert!(s.is_ok_and(|s| check(&s, Some(&text)).is_ok() && check(&s, None).is_ok()));
    }
}
