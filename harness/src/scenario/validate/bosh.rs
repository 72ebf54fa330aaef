//! BOSH inputs: reading the cloud config and manifest (inline or by path), checking the port-group → segment
//! mapping and manifest static IPs against the cloud config, and the hook through which the IPAM crate's planner
//! can add its own problems without this crate depending on its internals.

use super::index::NodeIndex;
use super::Ctx;
use crate::scenario::bosh::{Bosh, BoshInput, BoshSource, CloudConfigView, Era, ManifestView, Profile, SubnetView};
use crate::scenario::error::Rule;
use crate::scenario::located::{Located, Pos};
use crate::scenario::values::Cidr;
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// The BOSH inputs as YAML text, for external checks.
#[derive(Clone, Debug)]
pub struct BoshInputs<'a> {
    /// The cloud config (file content, or the inline mapping re-serialized).
    pub cloud_config: &'a str,
    /// The manifest.
    pub manifest: &'a str,
    /// The IPAM era.
    pub era: Era,
    /// The agent profile.
    pub profile: Profile,
}

/// A problem an external check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoshInputProblem {
    /// The input it is about.
    pub input: BoshInput,
    /// What is wrong.
    pub message: String,
    /// Text to point at (e.g. the offending IP as written); the first occurrence in an inline input gets the
    /// caret, otherwise the input's `cloud_config:`/`manifest:` value does.
    pub needle: Option<String>,
}

/// A deeper check of the BOSH inputs (e.g. the IPAM crate planning the deployment). Implement it where the IPAM
/// is available and pass it in [`crate::scenario::LoadOptions`]; its problems are reported under rule `external`.
///
/// ```
/// use dualhome::scenario::{load_text, BoshInput, BoshInputCheck, BoshInputProblem, BoshInputs, LoadOptions};
///
/// /// Refuses abbreviated IPv6 (`::`) for the 2018 director, pointing at the first one.
/// struct NoAbbreviations;
///
/// impl BoshInputCheck for NoAbbreviations {
///     fn check(&self, inputs: &BoshInputs<'_>) -> Vec<BoshInputProblem> {
///         let word = inputs.cloud_config.split_whitespace().find(|w| w.contains("::"));
///         word.map(|w| BoshInputProblem {
///             input: BoshInput::CloudConfig,
///             message: format!("abbreviated IPv6 `{w}`"),
///             needle: Some(w.to_owned()),
///         })
///         .into_iter()
///         .collect()
///     }
/// }
///
/// let text = "name: t\nduration: 1m\ntopology: {segments: [{name: lan}]}\nbosh:\n  director: {segment: lan, address: 10.0.0.6/24}\n  cloud_config:\n    networks:\n      - name: v6\n        subnets: [{range: 2001:db8::/64, cloud_properties: {name: V6}}]\n  manifest: {instance_groups: []}\n  networks: {V6: lan}\n  profile: trusty-2018\n  era: 2018\n";
/// let err = load_text("t.yml", text, None, &LoadOptions { bosh_check: Some(&NoAbbreviations), ..LoadOptions::default() });
/// let problems = err.as_ref().err().map(|e| e.problems().len());
/// assert_eq!(problems, Some(1));
/// # let rendered = dualhome::scenario::render_plain(&err.err().unwrap(), 100);
/// # assert!(rendered.contains("t.yml:9:27"), "{rendered}");
/// ```
pub trait BoshInputCheck {
    /// Returns the problems found; an empty list means the inputs are acceptable.
    fn check(&self, inputs: &BoshInputs<'_>) -> Vec<BoshInputProblem>;
}

/// The BOSH inputs read so far; `None` where the input is missing or unreadable (already reported).
#[derive(Default)]
pub(crate) struct Views {
    pub(crate) cloud: Option<(String, CloudConfigView)>,
    pub(crate) manifest: Option<ManifestView>,
    manifest_text: Option<String>,
}

/// Reads both BOSH inputs, reporting missing files and unreadable documents.
pub(crate) fn load_views(ctx: &mut Ctx<'_>) -> Views {
    let Some(bosh) = &ctx.scenario.bosh else {
        return Views::default();
    };
    let cloud = load_one::<CloudConfigView>(ctx, &bosh.cloud_config, "cloud_config");
    let manifest = load_one::<ManifestView>(ctx, &bosh.manifest, "manifest");
    let (manifest_text, manifest) = match manifest {
        Some((t, v)) => (Some(t), Some(v)),
        None => (None, None),
    };
    Views {
        cloud,
        manifest,
        manifest_text,
    }
}

fn load_one<T: DeserializeOwned>(ctx: &mut Ctx<'_>, src: &Located<BoshSource>, what: &str) -> Option<(String, T)> {
    match &src.value {
        BoshSource::Path(path) => {
            let full = ctx.scenario.resolve_path(path);
            let text = match std::fs::read_to_string(&full) {
                Ok(t) => t,
                Err(e) => {
                    ctx.report_help(
                        Rule::FileNotFound,
                        src.pos,
                        format!("{what} file `{path}` cannot be read: {}", io_reason(&e)),
                        "file not found",
                        "paths are relative to the scenario file's directory",
                    );
                    return None;
                }
            };
            match serde_saphyr::from_str::<T>(&text) {
                Ok(view) => Some((text, view)),
                Err(e) => {
                    let formatter = serde_saphyr::DefaultMessageFormatter;
                    let msg = serde_saphyr::MessageFormatter::format_message(&formatter, &e);
                    let at = e
                        .location()
                        .map(|l| format!(" (line {}, column {})", l.line(), l.column()));
                    let message = format!(
                        "{what} file `{path}` is not a valid {what}: {msg}{}",
                        at.unwrap_or_default()
                    );
                    ctx.report(Rule::BadBoshInput, src.pos, message, "unreadable BOSH document");
                    None
                }
            }
        }
        BoshSource::Inline(value) => {
            let view = match serde_json::from_value::<T>(value.clone()) {
                Ok(v) => v,
                Err(e) => {
                    let message = format!("inline {what} is not a valid {what}: {e}");
                    ctx.report(Rule::BadBoshInput, src.pos, message, "unreadable BOSH document");
                    return None;
                }
            };
            // Re-serialized for external checks that parse YAML themselves.
            let text = serde_saphyr::to_string(value).unwrap_or_default();
            Some((text, view))
        }
    }
}

fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "unreadable",
    }
}

/// Port-group mapping, instance-group networks and static IPs; then the external check.
pub(crate) fn check(ctx: &mut Ctx<'_>, index: &NodeIndex, views: &Views, hook: Option<&dyn BoshInputCheck>) {
    let Some(bosh) = &ctx.scenario.bosh else { return };
    for segment in bosh.networks.values() {
        index.check_segment(ctx, segment);
    }
    let Some((cloud_text, cloud)) = &views.cloud else {
        return;
    };
    check_port_groups(ctx, index, bosh, cloud);
    if let Some(manifest) = &views.manifest {
        check_group_networks(ctx, bosh, cloud, manifest);
    }
    if let (Some(hook), Some(manifest_text)) = (hook, &views.manifest_text) {
        let inputs = BoshInputs {
            cloud_config: cloud_text,
            manifest: manifest_text,
            era: bosh.era,
            profile: bosh.profile,
        };
        for p in hook.check(&inputs) {
            let src = match p.input {
                BoshInput::CloudConfig => &bosh.cloud_config,
                BoshInput::Manifest => &bosh.manifest,
            };
            let pos = p.needle.as_deref().map_or(src.pos, |n| needle_pos(ctx, src, n));
            ctx.report(Rule::External, pos, p.message, "reported by the IPAM check");
        }
    }
}

fn check_port_groups(ctx: &mut Ctx<'_>, index: &NodeIndex, bosh: &Bosh, cloud: &CloudConfigView) {
    let used = cloud.port_groups();
    for group in &used {
        if !bosh.networks.contains_key(*group) {
            let pos = needle_pos(ctx, &bosh.cloud_config, group);
            ctx.report_help(
                Rule::UnmappedNetwork,
                pos,
                format!("cloud-config port group `{group}` is not mapped to a segment"),
                "unmapped port group",
                format!("add `{group}: <segment>` under `bosh.networks`"),
            );
        }
    }
    for (group, segment) in &bosh.networks {
        if !used.contains(&group.as_str()) {
            ctx.report_help(
                Rule::UnmappedNetwork,
                segment.pos,
                format!("`bosh.networks` maps port group `{group}`, which no cloud-config subnet uses"),
                "unused mapping",
                format!("subnets' cloud_properties.name values: {}", used.join(", ")),
            );
        }
    }
    // Each subnet's range must lie on the segment it is mapped to (when the segment declares prefixes).
    for subnet in cloud.networks.iter().flat_map(|n| &n.subnets) {
        let Some(name) = subnet.cloud_properties.as_ref().and_then(|c| c.name.as_deref()) else {
            continue;
        };
        let (Some(segment), Some(range)) = (bosh.networks.get(name), subnet.range.as_deref()) else {
            continue;
        };
        let Ok(cidr) = range.parse::<Cidr>() else { continue };
        let pos = needle_pos(ctx, &bosh.cloud_config, range);
        index.check_in_prefix(ctx, &segment.value, &Located::at(cidr, pos));
    }
}

fn check_group_networks(ctx: &mut Ctx<'_>, bosh: &Bosh, cloud: &CloudConfigView, manifest: &ManifestView) {
    for group in &manifest.instance_groups {
        for net in &group.networks {
            let Some(network) = cloud.network(&net.name) else {
                let pos = needle_pos(ctx, &bosh.manifest, &net.name);
                let known: Vec<&str> = cloud.networks.iter().map(|n| n.name.as_str()).collect();
                ctx.report_help(
                    Rule::BadBoshInput,
                    pos,
                    format!(
                        "instance group `{}` uses network `{}`, which the cloud config does not define",
                        group.name, net.name
                    ),
                    "unknown network",
                    format!("cloud-config networks: {}", known.join(", ")),
                );
                continue;
            };
            // The director's check (bosh: "has N instances but was allocated M static IPs").
            if !net.static_ips.is_empty() && net.static_ips.len() != group.instances as usize {
                let pos = needle_pos(ctx, &bosh.manifest, &net.static_ips[0]);
                ctx.report(
                    Rule::BadBoshInput,
                    pos,
                    format!(
                        "instance group `{}` has {} instance(s) but {} static IP(s) on network `{}`",
                        group.name,
                        group.instances,
                        net.static_ips.len(),
                        net.name
                    ),
                    "static IP count differs from `instances`",
                );
            }
            for ip_text in &net.static_ips {
                let pos = needle_pos(ctx, &bosh.manifest, ip_text);
                let Ok(ip) = ip_text.parse::<IpAddr>() else {
                    ctx.report(
                        Rule::BadBoshInput,
                        pos,
                        format!("static IP `{ip_text}` is not an IP address"),
                        "malformed IP",
                    );
                    continue;
                };
                if !network.subnets.iter().any(|s| allows_static(s, ip)) {
                    ctx.report_help(
                        Rule::StaticIpOutsideCloudConfig,
                        pos,
                        format!(
                            "static IP `{ip_text}` of instance group `{}` is outside network `{}`'s subnets or their static ranges",
                            group.name, net.name
                        ),
                        "not allowed by the cloud config",
                        "the director refuses to deploy it: add it to a subnet's `static` list, or pick one that is",
                    );
                }
            }
        }
    }
}

/// True if the subnet's range contains `ip` and, when the subnet lists `static` entries, one of them does.
fn allows_static(subnet: &SubnetView, ip: IpAddr) -> bool {
    let in_range = subnet
        .range
        .as_deref()
        .and_then(|r| r.parse::<Cidr>().ok())
        .is_some_and(|c| c.0.contains(&ip));
    if !in_range {
        return false;
    }
    if subnet.static_ranges.is_empty() {
        return true;
    }
    subnet.static_ranges.iter().any(|entry| match entry.split_once('-') {
        Some((lo, hi)) => match (lo.trim().parse::<IpAddr>(), hi.trim().parse::<IpAddr>()) {
            (Ok(lo), Ok(hi)) => lo <= ip && ip <= hi,
            _ => false,
        },
        None => entry.trim().parse::<IpAddr>() == Ok(ip),
    })
}

/// The position of `needle`'s first occurrence inside an inline BOSH input, else the input's own position.
fn needle_pos(ctx: &Ctx<'_>, src: &Located<BoshSource>, needle: &str) -> Pos {
    if !matches!(src.value, BoshSource::Inline(_)) || needle.is_empty() {
        return src.pos;
    }
    let text = &ctx.source.text;
    let Some((start, _)) = src.pos.byte_range(text) else {
        return src.pos;
    };
    let Some(found) = text[start..].find(needle).map(|i| start + i) else {
        return src.pos;
    };
    let line_start = text[..found].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..found].matches('\n').count() + 1;
    let column = text[line_start..found].chars().count() + 1;
    let offset = text[..found].chars().count();
    let len = needle.chars().count();
    let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Pos {
        line: clamp(line),
        column: clamp(column),
        offset: clamp(offset),
        len: clamp(len),
    }
}
