//! Reading a namespace's state back: `ip -json addr`, `ip -json route show table all`, `ip -json -6 route show
//! cache`, `ip rule` and `ip -json neigh`, into the common [`NodeState`] the simulator side is read into too.

use super::netns::ip;
use super::snapshot::{AddrEntry, NodeState, RouteEntry, RouterNeigh, RuleEntry};
use super::KernelError;
use serde_json::Value;

/// `INFINITY_LIFE_TIME` as `ip -json` prints it.
const FOREVER: u64 = 0xffff_ffff;

/// Address flags `ip -json` prints as `"name": true`, in the order kept in [`AddrEntry::flags`] (sorted).
const ADDR_FLAGS: [&str; 9] = [
    "dadfailed",
    "deprecated",
    "dynamic",
    "mngtmpaddr",
    "nodad",
    "noprefixroute",
    "optimistic",
    "temporary",
    "tentative",
];

/// `ip -n NS -json ARGS`, parsed (no output is an empty list); kernel/checks.rs asks through it too.
pub(super) fn json(ns: &str, args: &[&str]) -> Result<Value, KernelError> {
    let mut full = vec!["-n", ns, "-json"];
    full.extend_from_slice(args);
    let text = ip(&full)?;
    if text.trim().is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    serde_json::from_str(&text).map_err(|e| KernelError::Parse {
        what: format!("ip {}", full.join(" ")),
        detail: e.to_string(),
    })
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn life(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64).filter(|&s| s != FOREVER)
}

/// Addresses of every interface of `ns` except `lo` (the simulator has none).
pub fn addrs(ns: &str) -> Result<Vec<AddrEntry>, KernelError> {
    let mut out = Vec::new();
    for link in json(ns, &["addr", "show"])?.as_array().into_iter().flatten() {
        let dev = str_of(link, "ifname").unwrap_or_default();
        if dev == "lo" {
            continue;
        }
        for a in link.get("addr_info").and_then(Value::as_array).into_iter().flatten() {
            let (Some(local), Some(plen)) = (str_of(a, "local"), a.get("prefixlen").and_then(Value::as_u64)) else {
                continue;
            };
            let flags = ADDR_FLAGS
                .iter()
                .filter(|f| a.get(**f).and_then(Value::as_bool).unwrap_or(false))
                .map(|f| (*f).to_owned())
                .collect();
            out.push(AddrEntry {
                dev: dev.clone(),
                cidr: format!("{local}/{plen}"),
                flags,
                valid: life(a, "valid_life_time"),
                preferred: life(a, "preferred_life_time"),
            });
        }
    }
    out.sort();
    Ok(out)
}

/// The table number of `ip -json`'s `table` field (absent = main).
fn table_number(v: &Value) -> u32 {
    match v.get("table").and_then(Value::as_str) {
        None | Some("main") => 254,
        Some("local") => 255,
        Some("default") => 253,
        Some(n) => n.parse().unwrap_or(0),
    }
}

fn route(v: &Value, v6: bool, cache: bool) -> RouteEntry {
    let kind = str_of(v, "type").filter(|t| t != "unicast");
    let proto = str_of(v, "protocol").filter(|p| p != "boot");
    let metric = v
        .get("metric")
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok());
    RouteEntry {
        table: table_number(v),
        cache,
        kind,
        dst: str_of(v, "dst").unwrap_or_else(|| "default".into()),
        via: str_of(v, "gateway"),
        dev: str_of(v, "dev"),
        proto: if cache { None } else { proto },
        metric: if v6 {
            Some(metric.unwrap_or(0))
        } else {
            metric.filter(|&m| m != 0)
        },
        pref: if v6 { str_of(v, "pref") } else { None },
        expires: if cache {
            None
        } else {
            v.get("expires").and_then(Value::as_u64)
        },
    }
}

/// Routes of both families in every table, plus IPv6 cache exceptions (redirects), without `lo`'s.
pub fn routes(ns: &str) -> Result<Vec<RouteEntry>, KernelError> {
    let mut out = Vec::new();
    for (fam, v6) in [("-4", false), ("-6", true)] {
        for r in json(ns, &[fam, "route", "show", "table", "all"])?
            .as_array()
            .into_iter()
            .flatten()
        {
            out.push(route(r, v6, false));
        }
    }
    for r in json(ns, &["-6", "route", "show", "cache"])?
        .as_array()
        .into_iter()
        .flatten()
    {
        out.push(route(r, true, true));
    }
    out.retain(|r| r.dev.as_deref() != Some("lo"));
    Ok(out)
}

/// Parses `ip rule` text (`PRIO:\tSELECTOR lookup T`) — the same text the simulator's `ip_rule_show` renders.
pub fn parse_rules(text: &str, v6: bool) -> Vec<RuleEntry> {
    text.lines()
        .filter_map(|l| {
            let (prio, rest) = l.split_once(':')?;
            Some(RuleEntry {
                v6,
                priority: prio.trim().parse().ok()?,
                text: rest.split_whitespace().collect::<Vec<_>>().join(" "),
            })
        })
        .collect()
}

/// Rules of both families.
pub fn rules(ns: &str) -> Result<Vec<RuleEntry>, KernelError> {
    let mut out = parse_rules(&ip(&["-n", ns, "-4", "rule", "show"])?, false);
    out.extend(parse_rules(&ip(&["-n", ns, "-6", "rule", "show"])?, true));
    Ok(out)
}

/// Neighbours with the router flag.
pub fn routers(ns: &str) -> Result<Vec<RouterNeigh>, KernelError> {
    let mut out: Vec<RouterNeigh> = json(ns, &["neigh", "show"])?
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n.get("router").is_some())
        .filter_map(|n| {
            Some(RouterNeigh {
                dev: str_of(n, "dev")?,
                ip: str_of(n, "dst")?,
            })
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The whole state of namespace `ns`.
pub fn node_state(ns: &str) -> Result<NodeState, KernelError> {
    Ok(NodeState {
        addrs: addrs(ns)?,
        routes: routes(ns)?,
        rules: rules(ns)?,
        routers: routers(ns)?,
        pings: Vec::new(),
        accepts: Vec::new(),
        flows: Vec::new(),
        boot: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_json_maps_to_the_entry() {
        let v: Value = serde_json::from_str(
            r#"{"dst":"default","gateway":"fe80::1","dev":"eth0","protocol":"ra","metric":1024,"flags":[],"expires":97,"pref":"high"}"#,
        )
        .unwrap_or(Value::Null);
        let r = route(&v, true, false);
        assert_eq!(
            r.to_string(),
            "default via fe80::1 dev eth0 proto ra metric 1024 expires 97sec pref high"
        );
        let v: Value = serde_json::from_str(
            r#"{"type":"local","dst":"192.0.2.1","dev":"eth0","table":"local","protocol":"kernel","scope":"host"}"#,
        )
        .unwrap_or(Value::Null);
        assert_eq!(
            route(&v, false, false).to_string(),
            "local 192.0.2.1 dev eth0 table 255 proto kernel"
        );
    }

    #[test]
    fn rule_text_parses() {
        let r = parse_rules(
            "0:\tfrom all lookup local\n10:\tfrom 192.0.2.0/24 iif eth0 lookup 100\n",
            false,
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].to_string(), "10: from 192.0.2.0/24 iif eth0 lookup 100");
    }
}
