//! The YAML documents as written: a BOSH cloud config and a deployment manifest, every value with its position.
//!
//! Shapes follow docs-bosh networks.md as summarised in bosh-networking.md §4.2 (cloud config) and §4.6 / §5.2
//! (manifest). Unknown keys are ignored like the director ignores them. Values are kept as the strings the user
//! wrote, so the linter can see abbreviated IPv6 forms that parsing would erase.

use crate::error::{At, ErrorKind, IpamError};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::sync::Arc;

/// A string value with its position.
pub type Text = Spanned<String>;

/// A parsed cloud config (`azs`, `networks`).
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// The file name used in error positions.
    pub file: Arc<str>,
    /// The document.
    pub doc: CloudConfigDoc,
}

/// A parsed deployment manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file name used in error positions.
    pub file: Arc<str>,
    /// The document.
    pub doc: ManifestDoc,
}

/// Top level of a cloud config.
#[derive(Debug, Clone, Deserialize)]
pub struct CloudConfigDoc {
    /// Availability zones; subnets and instance groups may only name these.
    #[serde(default)]
    pub azs: Vec<AzDoc>,
    /// Networks in file order (the order matters: subnets are tried in cloud-config order, §4.4).
    #[serde(default)]
    pub networks: Vec<NetworkDoc>,
}

/// One availability zone.
#[derive(Debug, Clone, Deserialize)]
pub struct AzDoc {
    /// Its name.
    pub name: Text,
}

/// One network of a cloud config.
#[derive(Debug, Clone, Deserialize)]
pub struct NetworkDoc {
    /// Network name.
    pub name: Text,
    /// `manual` (default), `dynamic` or `vip`.
    #[serde(rename = "type", default)]
    pub kind: Option<Text>,
    /// Subnets (manual and dynamic networks).
    #[serde(default)]
    pub subnets: Vec<Spanned<SubnetDoc>>,
    /// Network-level `dns` (dynamic networks without subnets).
    #[serde(default)]
    pub dns: Option<Vec<Text>>,
    /// Network-level `cloud_properties` (dynamic and vip networks).
    #[serde(default)]
    pub cloud_properties: Option<serde_json::Value>,
}

/// One subnet.
#[derive(Debug, Clone, Deserialize)]
pub struct SubnetDoc {
    /// The subnet CIDR.
    #[serde(default)]
    pub range: Option<Text>,
    /// The gateway.
    #[serde(default)]
    pub gateway: Option<Text>,
    /// DNS servers.
    #[serde(default)]
    pub dns: Option<Vec<Text>>,
    /// Never-allocated entries (single IP, CIDR or `A - B`).
    #[serde(default)]
    pub reserved: Vec<Text>,
    /// Entries available to instance-group `static_ips`.
    #[serde(default, rename = "static")]
    pub static_ips: Vec<Text>,
    /// One availability zone.
    #[serde(default)]
    pub az: Option<Text>,
    /// Several availability zones.
    #[serde(default)]
    pub azs: Option<Spanned<Vec<Text>>>,
    /// Passed through to the settings unchanged.
    #[serde(default)]
    pub cloud_properties: Option<serde_json::Value>,
    /// Delegated prefix length (director v282.x, RFC0038).
    #[serde(default)]
    pub prefix: Option<Spanned<PrefixValue>>,
}

/// A `prefix` written as a number or a string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PrefixValue {
    /// `prefix: 28`
    Number(u64),
    /// `prefix: "28"`
    Text(String),
}

impl PrefixValue {
    /// As written.
    pub fn as_text(&self) -> String {
        match self {
            PrefixValue::Number(n) => n.to_string(),
            PrefixValue::Text(s) => s.clone(),
        }
    }
}

/// Top level of a deployment manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestDoc {
    /// Deployment name.
    #[serde(default)]
    pub name: Option<Text>,
    /// Instance groups in manifest order.
    #[serde(default)]
    pub instance_groups: Vec<InstanceGroupDoc>,
}

/// One instance group.
#[derive(Debug, Clone, Deserialize)]
pub struct InstanceGroupDoc {
    /// Group name.
    pub name: Text,
    /// Number of instances.
    pub instances: Spanned<u64>,
    /// Availability zones.
    #[serde(default)]
    pub azs: Vec<Text>,
    /// Networks of the group.
    #[serde(default)]
    pub networks: Vec<GroupNetworkDoc>,
}

/// One network of an instance group.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupNetworkDoc {
    /// Cloud-config network name.
    pub name: Text,
    /// Static IP entries (single IP, CIDR or `A - B`).
    #[serde(default)]
    pub static_ips: Option<Spanned<Vec<Text>>>,
    /// `dns`, `gateway`, `addressable`.
    #[serde(default)]
    pub default: Option<Spanned<Vec<Text>>>,
    /// NIC group (passed through).
    #[serde(default)]
    pub nic_group: Option<Text>,
}

/// Converts a serde-saphyr location into an [`At`] in `file`.
pub fn at(file: &Arc<str>, loc: &serde_saphyr::Location) -> At {
    let span = loc.span();
    At {
        file: Arc::clone(file),
        line: loc.line(),
        column: loc.column(),
        offset: span.byte_offset().and_then(|o| usize::try_from(o).ok()),
        len: span.byte_len().and_then(|l| usize::try_from(l).ok()).unwrap_or(0),
    }
}

/// Position of a spanned value.
pub fn at_of<T>(file: &Arc<str>, value: &Spanned<T>) -> At {
    at(file, &value.referenced)
}

fn parse_yaml<T: for<'de> Deserialize<'de>>(file: &Arc<str>, text: &str) -> Result<T, IpamError> {
    serde_saphyr::from_str::<T>(text).map_err(|err| {
        let position = err
            .location()
            .map(|loc| at(file, &loc))
            .unwrap_or_else(|| At::argument(file));
        let message = err.without_snippet().to_string();
        IpamError::new(position, ErrorKind::Yaml(message))
    })
}

/// Parses a cloud config; `file` is the name errors will show.
pub fn parse_cloud_config(file: &str, text: &str) -> Result<CloudConfig, IpamError> {
    let file: Arc<str> = Arc::from(file);
    let doc = parse_yaml(&file, text)?;
    Ok(CloudConfig { file, doc })
}

/// Parses a deployment manifest; `file` is the name errors will show.
pub fn parse_manifest(file: &str, text: &str) -> Result<Manifest, IpamError> {
    let file: Arc<str> = Arc::from(file);
    let doc = parse_yaml(&file, text)?;
    Ok(Manifest { file, doc })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CC: &str = "azs:\n- name: z1\nnetworks:\n- name: ipv6\n  type: manual\n  subnets:\n  - range: \"2601:0646:0100:69f1:0000:0000:0000:0000/64\"\n    gateway: 2601:0646:0100:69f1:020d:b9ff:fe48:9249\n    azs: [z1]\n    prefix: 80\n    cloud_properties: {name: IPv6}\n";

    #[test]
    fn keeps_positions_and_raw_text() {
        let cc = parse_cloud_config("cc.yml", CC);
        let Ok(cc) = cc else { panic!("{cc:?}") };
        let subnet = &cc.doc.networks[0].subnets[0].value;
        let gw = subnet.gateway.as_ref().map(|g| (g.value.clone(), at_of(&cc.file, g)));
        let Some((text, pos)) = gw else { panic!("no gateway") };
        assert_eq!(text, "2601:0646:0100:69f1:020d:b9ff:fe48:9249");
        assert_eq!((pos.line, pos.column), (8, 14));
        assert_eq!(pos.offset.map(|o| &CC[o..o + pos.len]), Some(text.as_str()));
        assert!(matches!(
            subnet.prefix.as_ref().map(|p| p.value.as_text()).as_deref(),
            Some("80")
        ));
        assert_eq!(subnet.cloud_properties, Some(serde_json::json!({"name": "IPv6"})));
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_manifest("m.yml", "instance_groups:\n- name: a\n  instances: [\n");
        let Err(err) = err else { panic!("accepted") };
        assert_eq!(&*err.at.file, "m.yml");
        assert!(err.at.line >= 3, "{err}");
        assert_eq!(err.kind.rule(), "DualhomeYamlSyntax");
    }
}
