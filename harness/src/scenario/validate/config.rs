//! Configuration values: ranges (VLAN, loss, scale factors), RA parameters, where RA config may appear, radvd.conf
//! files, and interface names inside routes, rules, firewall rules and sysctl keys.

use super::index::{check_iface_of, NodeEntry, NodeIndex, NodeKind};
use super::Ctx;
use crate::scenario::error::Rule;
use crate::scenario::located::{Located, Pos};
use crate::scenario::ra::RaConfig;
use crate::scenario::radvd::parse_radvd_conf;
use crate::scenario::topology::{Interface, Route, Sysctls};
use crate::scenario::values::{HumanDuration, Lifetime};
use std::collections::BTreeSet;
use std::time::Duration;

/// Runs every configuration rule.
pub(crate) fn check(ctx: &mut Ctx<'_>, index: &NodeIndex) {
    let scenario = ctx.scenario;
    for seg in &scenario.topology.segments {
        if let Some(vlan) = seg.vlan.as_ref().filter(|v| !(1..=4094).contains(&v.value)) {
            // IEEE 802.1Q §9.6: VIDs 0 and 4095 are reserved.
            ctx.report(
                Rule::OutOfRange,
                vlan.pos,
                format!("VLAN id {} is outside 1–4094", vlan.value),
                "reserved VLAN id",
            );
        }
        if let Some(loss) = seg.loss.as_ref().filter(|l| !(0.0..=1.0).contains(&l.value)) {
            ctx.report(
                Rule::OutOfRange,
                loss.pos,
                format!("loss {} is not a probability in 0.0–1.0", loss.value),
                "not in 0.0–1.0",
            );
        }
    }
    if let Some(kernel) = &scenario.kernel {
        if let Some(scale) = kernel
            .time_scale
            .as_ref()
            .filter(|s| !(s.value.is_finite() && s.value > 0.0))
        {
            ctx.report(
                Rule::OutOfRange,
                scale.pos,
                format!("time_scale {} must be a positive number", scale.value),
                "must be > 0",
            );
        }
        if let Some(scale) = kernel.count_scale.as_ref().filter(|s| s.value == 0) {
            ctx.report(
                Rule::OutOfRange,
                scale.pos,
                "count_scale must be at least 1".to_owned(),
                "must be ≥ 1",
            );
        }
    }
    for router in &scenario.topology.routers {
        let name = &router.name.value;
        check_routes(ctx, index, name, &router.routes);
        check_sysctls(ctx, index, name, &router.sysctls);
        if let Some(fw) = &router.firewall {
            for iface in fw.rules.iter().filter_map(|r| r.iface.as_ref()) {
                check_local_iface(ctx, index, name, iface);
            }
        }
        let inline = router
            .interfaces
            .iter()
            .filter_map(|i| i.ra.as_ref())
            .collect::<Vec<_>>();
        if let Some(path) = &router.radvd_conf {
            if check_file(ctx, path, "radvd_conf") {
                check_radvd(ctx, index, name, path);
            }
            if let Some(first) = inline.first() {
                ctx.report_help(
                    Rule::RaPlacement,
                    first.pos,
                    format!(
                        "router `{name}` has both `radvd_conf` (line {}) and inline `ra:`",
                        path.pos.line
                    ),
                    "second RA configuration",
                    "use one: inline `ra:` per interface, or one radvd.conf",
                );
            }
        }
        for ra in inline {
            check_ra(ctx, &ra.value, "");
        }
    }
    check_override_sysctls(ctx, index);
    if let Some(d) = scenario.bosh.as_ref().map(|b| &b.director) {
        if let Some(gw) = d.gateway.as_ref().filter(|g| !d.address.value.0.contains(&g.value.0)) {
            ctx.report(
                Rule::OutOfRange,
                gw.pos,
                format!(
                    "director gateway `{}` is not on the director's subnet `{}`",
                    gw.value,
                    d.address.value.0.trunc()
                ),
                "off-link gateway",
            );
        }
    }
    for host in &scenario.topology.hosts {
        let name = &host.name.value;
        check_routes(ctx, index, name, &host.routes);
        check_sysctls(ctx, index, name, &host.sysctls);
        for rule in &host.rules {
            for iface in [&rule.iif, &rule.oif].into_iter().flatten() {
                check_local_iface(ctx, index, name, iface);
            }
        }
        check_no_ra(ctx, name, &host.interfaces);
        let mut services = BTreeSet::new();
        for svc in &host.services {
            if !services.insert(svc.name.value.as_str()) {
                ctx.report(
                    Rule::DuplicateName,
                    svc.name.pos,
                    format!("service name `{}` is used twice on host `{name}`", svc.name.value),
                    "duplicate service",
                );
            }
        }
    }
    for attacker in &scenario.topology.attackers {
        check_sysctls(ctx, index, &attacker.name.value, &attacker.sysctls);
        check_no_ra(ctx, &attacker.name.value, &attacker.interfaces);
    }
}

fn check_no_ra(ctx: &mut Ctx<'_>, node: &str, interfaces: &[Interface]) {
    for ra in interfaces.iter().filter_map(|i| i.ra.as_ref()) {
        ctx.report_help(
            Rule::RaPlacement,
            ra.pos,
            format!("`ra:` on an interface of `{node}`, which is not a router"),
            "only routers advertise",
            "attackers send RAs with timeline actions (`rogue-ra`); hosts never do",
        );
    }
}

/// Reports a missing file; true if it exists.
fn check_file(ctx: &mut Ctx<'_>, path: &Located<String>, what: &str) -> bool {
    let full = ctx.scenario.resolve_path(&path.value);
    if std::fs::metadata(&full).map(|m| m.is_file()).unwrap_or(false) {
        return true;
    }
    ctx.report_help(
        Rule::FileNotFound,
        path.pos,
        format!("{what} file `{}` does not exist", path.value),
        "file not found",
        "paths are relative to the scenario file's directory",
    );
    false
}

/// A router's radvd.conf: it parses, configures only interfaces the router has, and its values are legal.
fn check_radvd(ctx: &mut Ctx<'_>, index: &NodeIndex, router: &str, path: &Located<String>) {
    let text = std::fs::read_to_string(ctx.scenario.resolve_path(&path.value)).unwrap_or_default();
    let configs = match parse_radvd_conf(&text, path.pos) {
        Ok(c) => c,
        Err(e) => {
            let message = format!("radvd_conf `{}`, {e}", path.value);
            ctx.report(Rule::BadRadvdConf, path.pos, message, "malformed radvd.conf");
            return;
        }
    };
    for (iface, ra) in &configs {
        if let Some(entry) = index.nodes.get(router) {
            if !entry.ifaces.iter().any(|i| i == iface) {
                ctx.report_help(
                    Rule::UnknownInterface,
                    path.pos,
                    format!(
                        "radvd_conf `{}` configures interface `{iface}`, which router `{router}` does not have",
                        path.value
                    ),
                    "names a missing interface",
                    format!("its interfaces: {}", entry.ifaces.join(", ")),
                );
            }
        }
        check_ra(ctx, ra, &format!("radvd_conf `{}` interface `{iface}`: ", path.value));
    }
}

fn check_local_iface(ctx: &mut Ctx<'_>, index: &NodeIndex, node: &str, iface: &Located<String>) {
    if let Some(entry) = index.nodes.get(node) {
        check_iface_of(ctx, node, entry, &iface.value, iface.pos);
    }
}

fn check_routes(ctx: &mut Ctx<'_>, index: &NodeIndex, node: &str, routes: &[Route]) {
    for route in routes {
        if let Some(dev) = &route.dev {
            check_local_iface(ctx, index, node, dev);
        }
        if let Some(via) = &route.via {
            // A link-local gateway is ambiguous without the link it is on (`ip route` refuses it without `dev`).
            let link_local = matches!(via.value.0, std::net::IpAddr::V6(a) if a.is_unicast_link_local());
            if link_local && route.dev.is_none() {
                ctx.report_help(
                    Rule::MissingValue,
                    via.pos,
                    format!("next hop `{}` is link-local but the route has no `dev`", via.value),
                    "which link?",
                    "add `dev: <interface>` to the route",
                );
            }
            if via.value.0.is_ipv4() != route.dst.value.addr().is_ipv4() {
                ctx.report(
                    Rule::OutOfRange,
                    via.pos,
                    format!(
                        "next hop `{}` is not of the same family as destination `{}`",
                        via.value, route.dst.value
                    ),
                    "wrong address family",
                );
            }
        }
    }
}

/// Interface names embedded in per-interface sysctl keys (`net.ipv6.conf.eth0.accept_ra`) must exist.
fn check_sysctls(ctx: &mut Ctx<'_>, index: &NodeIndex, node: &str, sysctls: &Sysctls) {
    let Some(entry) = index.nodes.get(node) else { return };
    for (key, value) in sysctls {
        check_sysctl_key(ctx, node, entry, key, value.pos);
    }
}

/// Reports a per-interface sysctl key naming an interface `entry` lacks (`all`, `default` and `lo` always exist).
pub(crate) fn check_sysctl_key(ctx: &mut Ctx<'_>, node: &str, entry: &NodeEntry, key: &str, pos: Pos) {
    let Some(iface) = sysctl_iface(key) else { return };
    if matches!(iface, "all" | "default" | "lo") || entry.ifaces.iter().any(|i| i == iface) {
        return;
    }
    ctx.report_help(
        Rule::UnknownInterface,
        pos,
        format!(
            "sysctl `{key}` names interface `{iface}`, which {} `{node}` does not have",
            entry.kind.noun()
        ),
        "for a missing interface",
        format!("its interfaces: {} (or all, default, lo)", entry.ifaces.join(", ")),
    );
}

/// `bosh.overrides.sysctls` apply to every VM: an interface must exist on at least one of them.
fn check_override_sysctls(ctx: &mut Ctx<'_>, index: &NodeIndex) {
    let Some(bosh) = &ctx.scenario.bosh else { return };
    if index.bosh_unknown {
        return;
    }
    let widest = index
        .nodes
        .values()
        .filter(|e| e.kind == NodeKind::BoshGroup)
        .max_by_key(|e| e.ifaces.len())
        .cloned();
    let Some(entry) = widest else { return };
    for (key, value) in &bosh.overrides.sysctls {
        check_sysctl_key(ctx, "(every BOSH VM)", &entry, key, value.pos);
    }
}

/// The interface part of `net.ipv{4,6}.conf.<if>.*` and `net.ipv{4,6}.neigh.<if>.*` keys.
pub(crate) fn sysctl_iface(key: &str) -> Option<&str> {
    let mut parts = key.split('.');
    let (Some("net"), Some(fam), Some(kind), Some(iface), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (matches!(fam, "ipv4" | "ipv6") && matches!(kind, "conf" | "neigh")).then_some(iface)
}

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// RFC 4861 §6.2.1 interval and lifetime bounds; RFC 4862 §5.5.3 (c) preferred ≤ valid; RFC 8200 §5 MTU ≥ 1280.
/// `origin` prefixes messages about values that came from a radvd.conf.
fn check_ra(ctx: &mut Ctx<'_>, ra: &RaConfig, origin: &str) {
    let max = ra.max_interval.as_ref().map(|m| m.value.0);
    if let Some(m) = ra
        .max_interval
        .as_ref()
        .filter(|m| m.value.0 < secs(4) || m.value.0 > secs(1800))
    {
        ra_problem(
            ctx,
            origin,
            m,
            format!("max_interval {} is outside 4s–1800s (RFC 4861 §6.2.1)", m.value),
        );
    }
    if let Some(m) = &ra.min_interval {
        let upper = max.unwrap_or(secs(600)).mul_f64(0.75);
        if m.value.0 < secs(3) || m.value.0 > upper {
            let upper = HumanDuration(upper);
            ra_problem(
                ctx,
                origin,
                m,
                format!(
                    "min_interval {} is outside 3s–{upper} (0.75 × max_interval, RFC 4861 §6.2.1)",
                    m.value
                ),
            );
        }
    }
    if let Some(d) = &ra.default_lifetime {
        let lower = max.unwrap_or(secs(600));
        if d.value.0 != Duration::ZERO && (d.value.0 < lower || d.value.0 > secs(9000)) {
            let lower = HumanDuration(lower);
            ra_problem(
                ctx,
                origin,
                d,
                format!(
                    "default_lifetime {} must be 0 or within {lower}–2h30m (RFC 4861 §6.2.1)",
                    d.value
                ),
            );
        }
    }
    if let Some(mtu) = ra.mtu.as_ref().filter(|m| m.value < 1280) {
        ra_problem(
            ctx,
            origin,
            mtu,
            format!(
                "mtu {} is below the IPv6 minimum link MTU 1280 (RFC 8200 §5)",
                mtu.value
            ),
        );
    }
    for p in &ra.prefixes {
        if p.prefix.value.addr().is_ipv4() {
            ra_problem(
                ctx,
                origin,
                &p.prefix,
                format!("prefix `{}` is not IPv6", p.prefix.value),
            );
        }
        if let (Some(pref), Some(valid)) = (&p.preferred_lifetime, &p.valid_lifetime) {
            let longer = match (pref.value, valid.value) {
                (Lifetime::Infinity, Lifetime::Finite(_)) => true,
                (Lifetime::Finite(a), Lifetime::Finite(b)) => a > b,
                _ => false,
            };
            if longer {
                let msg = format!(
                    "preferred_lifetime {} exceeds valid_lifetime {}: hosts ignore this prefix (RFC 4862 §5.5.3 c)",
                    pref.value, valid.value
                );
                ra_problem(ctx, origin, pref, msg);
            }
        }
    }
}

fn ra_problem<T>(ctx: &mut Ctx<'_>, origin: &str, at: &Located<T>, message: String) {
    ctx.report(
        Rule::RaParameters,
        at.pos,
        format!("{origin}{message}"),
        "invalid RA parameter",
    );
}

#[cfg(test)]
mod tests {
    use super::sysctl_iface;

    #[test]
    fn sysctl_keys_name_their_interface() {
        assert_eq!(sysctl_iface("net.ipv6.conf.eth0.accept_ra"), Some("eth0"));
        assert_eq!(sysctl_iface("net.ipv4.neigh.eth1.gc_stale_time"), Some("eth1"));
        assert_eq!(sysctl_iface("net.ipv6.conf.all.forwarding"), Some("all"));
        assert_eq!(sysctl_iface("net.ipv6.route.max_size"), None);
        assert_eq!(sysctl_iface("kernel.hostname"), None);
    }
}
