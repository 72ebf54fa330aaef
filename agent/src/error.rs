//! The agent's errors. Every variant names the offending field as a JSON path into the settings
//! (`ipv6.gateway`, `default.dns[1]`) or the command-line option (`--nics`), so a reader can find it.

use crate::addr::Prefix;
use std::net::IpAddr;

/// Something in the settings, the VM's NIC list or the profile that the agent cannot configure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The settings text is not valid JSON of the expected shape, or a value in it does not parse
    /// (an IP address, a netmask). Line and column come from serde_json.
    #[error("line {line}, column {column}: `{field}`: {message}")]
    Json {
        /// JSON path of the value (`.` for the document itself).
        field: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde's description.
        message: String,
    },
    /// An address of the wrong family for its network (an IPv6 gateway on an IPv4 network).
    #[error("`{field}`: {value} is {got}, but the network's ip is {expected}")]
    FamilyMismatch {
        /// JSON path.
        field: String,
        /// The offending address.
        value: IpAddr,
        /// "IPv4" or "IPv6" (the network's family).
        expected: &'static str,
        /// "IPv4" or "IPv6" (the value's family).
        got: &'static str,
    },
    /// The gateway is not inside the subnet given by ip/netmask. The kernel refuses such a route
    /// without `onlink` ("Nexthop has invalid gateway"), and the director rejects it at cloud-config
    /// time ("must be inside the range", bosh-networking.md §4.2).
    #[error("`{field}`: gateway {gateway} is outside the network's subnet {subnet}")]
    GatewayOutsideSubnet {
        /// JSON path.
        field: String,
        /// The gateway.
        gateway: IpAddr,
        /// The subnet computed from ip and netmask.
        subnet: Prefix,
    },
    /// `prefix` longer than the address family allows.
    #[error("`{field}`: prefix {prefix} is longer than {max}")]
    PrefixTooLong {
        /// JSON path.
        field: String,
        /// The value given.
        prefix: u8,
        /// 32 or 128.
        max: u8,
    },
    /// A network lists a MAC that no NIC of the VM has. Message as the agent's
    /// `CreateInterfaceConfigurations` (bosh-networking.md §1.3).
    #[error("`{field}`: No device found for network '{network}' with MAC address '{mac}'{hint}")]
    MacNotFound {
        /// JSON path (`<network>.mac`).
        field: String,
        /// Network name.
        network: String,
        /// The MAC text from the settings.
        mac: String,
        /// Explains a near miss (same bytes, other spelling: the agent compares strings exactly).
        hint: String,
    },
    /// More than one network claims the default gateway (the director forbids it, bosh-networking.md
    /// §4.6 error 150004; the agent would install two default routes).
    #[error("`{field}`: networks '{first}' and '{second}' both claim the default gateway")]
    TwoDefaultGateways {
        /// JSON path of the second claim.
        field: String,
        /// First claimant (name order).
        first: String,
        /// Second claimant.
        second: String,
    },
    /// Two static networks share one NIC in an era whose agent writes one address per interface
    /// (ifupdown template; networkd before PR #470, bosh-networking.md §1.8).
    #[error(
        "`{field}`: networks {networks:?} share interface {interface}; profile '{profile}' cannot \
         configure dual-stack on one NIC"
    )]
    DualStackNic {
        /// JSON path of the second network's `mac`.
        field: String,
        /// Interface name.
        interface: String,
        /// The networks on it.
        networks: Vec<String>,
        /// Profile name.
        profile: String,
    },
    /// A profile override names a network that is not in the settings.
    #[error("`{field}`: no network named '{name}' in the settings")]
    UnknownNetwork {
        /// The override field.
        field: String,
        /// The name given.
        name: String,
    },
    /// An override the profile cannot honour (`ipv6_gateway` outside `hardened`).
    #[error("`{field}`: profile '{profile}' has no {what}")]
    NotInProfile {
        /// The override field.
        field: String,
        /// Profile name.
        profile: String,
        /// The missing capability.
        what: &'static str,
    },
    /// The network chosen for a default route has no usable gateway of the needed family.
    #[error("`{field}`: network '{network}' has no {family} gateway")]
    NoGateway {
        /// JSON path or override field.
        field: String,
        /// Network name.
        network: String,
        /// "IPv4" or "IPv6".
        family: &'static str,
    },
    /// The IPAM plan document has no instance of that name.
    #[error("`--instance`: no instance '{name}' in the plan (instances: {known:?})")]
    UnknownInstance {
        /// The name asked for.
        name: String,
        /// The instances the plan has.
        known: Vec<String>,
    },
    /// The `--nics` list does not parse or repeats a name or a MAC.
    #[error("`--nics`: {0}")]
    NicList(String),
    /// No profile of that name.
    #[error("`--profile`: unknown profile '{0}' (known: trusty-2018, jammy, noble-poc, hardened)")]
    UnknownProfile(String),
}

impl AgentError {
    /// The offending field: a JSON path into the settings or a command-line option.
    pub fn field(&self) -> &str {
        match self {
            AgentError::Json { field, .. }
            | AgentError::FamilyMismatch { field, .. }
            | AgentError::GatewayOutsideSubnet { field, .. }
            | AgentError::PrefixTooLong { field, .. }
            | AgentError::MacNotFound { field, .. }
            | AgentError::TwoDefaultGateways { field, .. }
            | AgentError::DualStackNic { field, .. }
            | AgentError::UnknownNetwork { field, .. }
            | AgentError::NotInProfile { field, .. }
            | AgentError::NoGateway { field, .. } => field,
            AgentError::NicList(_) => "--nics",
            AgentError::UnknownInstance { .. } => "--instance",
            AgentError::UnknownProfile(_) => "--profile",
        }
    }
}

/// "IPv4" or "IPv6", for messages.
pub(crate) fn family_name(v6: bool) -> &'static str {
    if v6 {
        "IPv6"
    } else {
        "IPv4"
    }
}
