//! The `bosh:` section: the director, the cloud config and manifest (inline or real files), how BOSH networks map
//! onto segments, the agent profile and the IPAM era — and the small read-only views of the cloud config and
//! manifest the validator needs to check references (`nginx/0:eth1`) without running the IPAM.

use super::located::Located;
use super::reference::AddrRef;
use super::topology::Sysctls;
use super::values::{Cidr, IpLit, MacAddr};
use indexmap::IndexMap;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::value::MapAccessDeserializer;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// The BOSH side of the scenario; the harness runs the deploy from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bosh {
    /// The director node (IPv4-only in the seed).
    pub director: Director,
    /// The cloud config: an inline mapping, or a path relative to the scenario file.
    pub cloud_config: Located<BoshSource>,
    /// The deployment manifest: an inline mapping, or a path relative to the scenario file.
    pub manifest: Located<BoshSource>,
    /// Which segment each cloud-config subnet lands on, keyed by the subnet's `cloud_properties.name`.
    pub networks: IndexMap<String, Located<String>>,
    /// The stemcell/agent behaviour deployed VMs get.
    pub profile: Profile,
    /// Changes on top of the profile.
    #[serde(default, skip_serializing_if = "AgentOverrides::is_empty")]
    pub overrides: AgentOverrides,
    /// Which director IPAM behaviour plans the addresses.
    pub era: Era,
    /// MACs for BOSH VM NICs (vSphere assigns them; SLAAC addresses derive from them). Unlisted NICs get MACs
    /// derived from the scenario seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vm_macs: Vec<VmMac>,
}

/// The MAC of one BOSH VM NIC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmMac {
    /// The NIC, as `group/index:ethN` (`nginx/0:eth0`).
    pub nic: Located<AddrRef>,
    /// Its MAC (the seed's `nginx/0:eth0` is `00:50:56:8c:86:a9`).
    pub mac: Located<MacAddr>,
}

/// The BOSH director node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Director {
    /// Node name (default `director`).
    #[serde(default = "director_name")]
    pub name: Located<String>,
    /// Segment the director is on.
    pub segment: Located<String>,
    /// Its address with prefix length (`10.0.9.151/24`).
    pub address: Located<Cidr>,
    /// Its MAC (default: derived from the scenario seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<Located<MacAddr>>,
    /// Its default gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Located<IpLit>>,
}

fn director_name() -> Located<String> {
    Located::new("director".to_owned())
}

/// Agent behaviour by stemcell era (implemented by the agent crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The seed's agent: accept_ra=1 and redirects on every IPv6-enabled interface, one default route.
    #[serde(rename = "trusty-2018")]
    Trusty2018,
    /// A current Jammy stemcell: redirects off (stemcell sysctl file), but the agent turns `accept_ra` on for IPv6
    /// and networkd sets `IPv6AcceptRA=true`, so RAs are accepted.
    Jammy,
    /// A Noble proof-of-concept agent.
    NoblePoc,
    /// Locked down: RAs and redirects off, `ipv6_gateway`, policy routing per interface.
    Hardened,
}

/// Director IPAM behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Era {
    /// The 2018 director: string compares of IPv6 addresses, per-address reserved ranges.
    #[serde(rename = "2018")]
    Y2018,
    /// Today's IPAM: normalised addresses, interval sets.
    #[serde(rename = "current")]
    Current,
}

/// Written by hand so editors accept the bare YAML number `2018` as well as the string `"2018"`.
impl JsonSchema for Era {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Era")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Director IPAM behaviour.",
            "oneOf": [
                {"const": "2018", "description": "The 2018 director: string compares of IPv6 addresses, per-address reserved ranges."},
                {"const": 2018, "description": "The same, written as a bare YAML number."},
                {"const": "current", "description": "Today's IPAM: normalised addresses, interval sets."}
            ]
        })
    }
}

/// Changes applied on top of the agent profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentOverrides {
    /// Extra sysctls written after the profile's.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub sysctls: Sysctls,
    /// The seed's proposed `ipv6_gateway` property: an IPv6 default route next to the IPv4 one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_gateway: Option<Located<IpLit>>,
}

impl AgentOverrides {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.sysctls.is_empty() && self.ipv6_gateway.is_none()
    }
}

/// A BOSH input: written inline as a YAML mapping, or a path to a real file relative to the scenario file.
#[derive(Clone, Debug, PartialEq)]
pub enum BoshSource {
    /// A path relative to the scenario file's directory.
    Path(String),
    /// The document itself.
    Inline(serde_json::Value),
}

impl<'de> Deserialize<'de> for BoshSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = BoshSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path (string) or an inline YAML mapping")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BoshSource, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("empty path"));
                }
                Ok(BoshSource::Path(v.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<BoshSource, A::Error> {
                serde_json::Value::deserialize(MapAccessDeserializer::new(map)).map(BoshSource::Inline)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Serialize for BoshSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            BoshSource::Path(p) => serializer.serialize_str(p),
            BoshSource::Inline(v) => v.serialize(serializer),
        }
    }
}

impl JsonSchema for BoshSource {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("BoshSource")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A path relative to the scenario file, or the BOSH document inline.",
            "oneOf": [{"type": "string", "minLength": 1}, {"type": "object"}]
        })
    }
}

/// Which BOSH input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoshInput {
    /// `bosh.cloud_config`.
    CloudConfig,
    /// `bosh.manifest`.
    Manifest,
}

/// Why a BOSH input's text could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum BoshTextError {
    /// The file a path names could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The resolved path.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The inline mapping could not be written back as YAML.
    #[error("cannot serialize the inline document: {0}")]
    Serialize(String),
}

impl BoshSource {
    /// The document's YAML text: the file read (relative paths against `base_dir`), or the inline mapping
    /// serialized. File text is returned verbatim, so the IPAM sees IPv6 addresses exactly as written.
    pub fn text(&self, base_dir: Option<&std::path::Path>) -> Result<String, BoshTextError> {
        match self {
            BoshSource::Path(p) => {
                let path = base_dir.map_or_else(|| p.into(), |d| d.join(p));
                std::fs::read_to_string(&path).map_err(|source| BoshTextError::Read { path, source })
            }
            BoshSource::Inline(v) => serde_saphyr::to_string(v).map_err(|e| BoshTextError::Serialize(e.to_string())),
        }
    }
}

/// What the validator reads from a manifest: instance groups, their sizes and networks.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ManifestView {
    /// `instance_groups`.
    #[serde(default)]
    pub instance_groups: Vec<InstanceGroupView>,
}

/// One instance group.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct InstanceGroupView {
    /// `name`.
    pub name: String,
    /// `instances`.
    #[serde(default)]
    pub instances: u32,
    /// `networks`, in order: NIC `eth<i>` is network `i`.
    #[serde(default)]
    pub networks: Vec<GroupNetworkView>,
}

/// One network of an instance group.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct GroupNetworkView {
    /// `name` (a cloud-config network).
    pub name: String,
    /// `static_ips`.
    #[serde(default)]
    pub static_ips: Vec<String>,
}

/// What the validator reads from a cloud config: networks and their subnets' `cloud_properties.name`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CloudConfigView {
    /// `networks`.
    #[serde(default)]
    pub networks: Vec<NetworkView>,
}

/// One cloud-config network.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct NetworkView {
    /// `name`.
    pub name: String,
    /// `subnets` (manual networks).
    #[serde(default)]
    pub subnets: Vec<SubnetView>,
}

/// One subnet.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SubnetView {
    /// `range` as written (possibly abbreviated or not).
    #[serde(default)]
    pub range: Option<String>,
    /// `static`: addresses and `A - B` ranges the manifest may assign statically.
    #[serde(default, rename = "static")]
    pub static_ranges: Vec<String>,
    /// `cloud_properties`.
    #[serde(default)]
    pub cloud_properties: Option<CloudPropertiesView>,
}

/// A subnet's `cloud_properties`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CloudPropertiesView {
    /// vSphere port group name.
    #[serde(default)]
    pub name: Option<String>,
}

impl ManifestView {
    /// The instance group called `name`.
    pub fn group(&self, name: &str) -> Option<&InstanceGroupView> {
        self.instance_groups.iter().find(|g| g.name == name)
    }
}

impl CloudConfigView {
    /// Every `cloud_properties.name` used by a subnet, in file order, without repeats.
    pub fn port_groups(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let names = self
            .networks
            .iter()
            .flat_map(|n| &n.subnets)
            .filter_map(|s| s.cloud_properties.as_ref());
        for name in names.filter_map(|c| c.name.as_deref()) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// The cloud-config network called `name`.
    pub fn network(&self, name: &str) -> Option<&NetworkView> {
        self.networks.iter().find(|n| n.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_paths_or_inline_mappings() -> Result<(), serde_saphyr::Error> {
        let path: BoshSource = serde_saphyr::from_str("cloud-config.yml")?;
        assert_eq!(path, BoshSource::Path("cloud-config.yml".into()));
        let inline: BoshSource = serde_saphyr::from_str("networks:\n- name: ipv6\n  type: manual\n")?;
        assert!(matches!(inline, BoshSource::Inline(serde_json::Value::Object(_))));
        assert!(serde_saphyr::from_str::<BoshSource>("[1, 2]").is_err());
        Ok(())
    }

    #[test]
    fn inline_text_keeps_expanded_ipv6_as_written() -> Result<(), String> {
        let src: BoshSource = serde_saphyr::from_str(
            "networks:\n- name: ipv6\n  subnets:\n  - range: \"2601:0646:0100:69f1:0000:0000:0000:0000/64\"\n",
        )
        .map_err(|e| e.to_string())?;
        let text = src.text(None).map_err(|e| e.to_string())?;
        assert!(text.contains("2601:0646:0100:69f1:0000:0000:0000:0000/64"), "{text}");
        let view: CloudConfigView = serde_saphyr::from_str(&text).map_err(|e| e.to_string())?;
        assert_eq!(view.networks[0].name, "ipv6");
        let missing = BoshSource::Path("no-such-file.yml".into()).text(Some(std::path::Path::new("/nonexistent")));
        assert!(matches!(missing, Err(BoshTextError::Read { .. })));
        Ok(())
    }

    #[test]
    fn era_reads_bare_and_quoted_years() -> Result<(), serde_saphyr::Error> {
        assert_eq!(serde_saphyr::from_str::<Era>("2018")?, Era::Y2018);
        assert_eq!(serde_saphyr::from_str::<Era>("\"2018\"")?, Era::Y2018);
        assert_eq!(serde_saphyr::from_str::<Era>("current")?, Era::Current);
        assert!(serde_saphyr::from_str::<Era>("2019").is_err());
        assert_eq!(serde_saphyr::from_str::<Profile>("trusty-2018")?, Profile::Trusty2018);
        assert_eq!(serde_saphyr::from_str::<Profile>("noble-poc")?, Profile::NoblePoc);
        Ok(())
    }

    #[test]
    fn views_ignore_the_rest_of_bosh_documents() -> Result<(), serde_saphyr::Error> {
        let text = "networks:\n- name: ipv6\n  type: manual\n  subnets:\n  - range: 2601::/64\n    azs: [z1]\n    cloud_properties: {name: IPv6}\n  - range: 2602::/64\n    cloud_properties: {name: IPv6}\n";
        let view: CloudConfigView = serde_saphyr::from_str(text)?;
        assert_eq!(view.port_groups(), ["IPv6"]);
        let manifest = "name: nginx\ninstance_groups:\n- name: nginx\n  instances: 1\n  jobs: []\n  networks:\n  - name: default\n  - name: ipv6\n    default: [dns, gateway]\n";
        let view: ManifestView = serde_saphyr::from_str(manifest)?;
        assert_eq!(view.group("nginx").map(|g| g.networks.len()), Some(2));
        Ok(())
    }
}
