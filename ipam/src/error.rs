//! Errors: the director's texts, each with the file, line and column of the offending value.
//!
//! Texts are copied from bosh-networking.md §4.2, §4.4 and §4.6 (director HEAD, with the director's error class and
//! number as the rule code). A few situations the reference gives no text for use a text of ours in the director's
//! style; their rule codes start with `Dualhome` so nobody mistakes them for the director's. Texts are always the
//! HEAD director's (static IPs printed `'<ip>/<prefix>'`), whatever `--era` the settings are rendered in; the
//! NetAddr-era director printed the address alone, IPv6 expanded (§4.6).

use crate::range_form::RangeFormError;
use std::fmt;
use std::sync::Arc;

/// A position in an input file (1-based line and column, byte span for a caret).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At {
    /// File name as given by the caller (e.g. `examples/seed/cloud-config.yml`).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// Byte offset of the value in the file, when known.
    pub offset: Option<usize>,
    /// Byte length of the value (0 when unknown).
    pub len: usize,
}

impl At {
    /// A position for values that did not come from a file (command-line arguments).
    pub fn argument(name: &str) -> At {
        At {
            file: Arc::from(name),
            line: 0,
            column: 0,
            offset: None,
            len: 0,
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// What went wrong, in the director's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // each variant's doc is its text and rule code
pub enum ErrorKind {
    #[error("{0}")]
    Yaml(String),
    #[error("Required property '{property}' was not specified in {object}")]
    MissingProperty { property: String, object: String },
    #[error("{0}")]
    RangeForm(#[from] RangeFormError),
    #[error("Invalid network range '{range}', should include at least 2 IPs")]
    NetworkTooSmall { range: String },
    #[error("Invalid gateway for network '{network}': {reason}")]
    InvalidGateway { network: String, reason: &'static str },
    #[error("Invalid DNS for network '{network}': must be a single IP")]
    InvalidDns { network: String },
    #[error("Reserved IP '{ip}' is out of network '{network}' range")]
    ReservedOutOfRange { ip: String, network: String },
    #[error("Static IP '{ip}' is in network '{network}' reserved range")]
    StaticInReserved { ip: String, network: String },
    #[error("Static IP '{ip}' is out of network '{network}' range")]
    StaticOutOfRange { ip: String, network: String },
    #[error("Network '{network}' has overlapping subnets")]
    OverlappingSubnets { network: String },
    #[error("Network '{network}' has subnets that define different prefixes")]
    DifferentPrefixes { network: String },
    #[error("Prefix size '{prefix}' is larger than range prefix '{range_prefix}'")]
    PrefixLargerThanRange { prefix: String, range_prefix: u8 },
    #[error("Invalid prefix '{prefix}' for network '{network}'")]
    InvalidPrefix { network: String, prefix: String },
    #[error("Network '{network}' contains both 'az' and 'azs'. Choose one.")]
    BothAzAndAzs { network: String },
    #[error("Network '{network}' refers to an empty 'azs' array")]
    EmptyAzs { network: String },
    #[error("Network '{network}' refers to an unknown availability zone '{az}'")]
    UnknownSubnetAz { network: String, az: String },
    #[error("Subnets on network '{network}' must all either specify availability zone or not")]
    MixedAzs { network: String },
    #[error("Prefix property is not supported for dynamic networks.")]
    DynamicPrefix,
    #[error("Duplicate network name '{network}'")]
    DuplicateNetwork { network: String },
    #[error("Invalid network type '{kind}' for network '{network}', must be one of: manual, dynamic, vip")]
    UnknownNetworkType { network: String, kind: String },
    #[error("Instance group '{group}' references an unknown network '{network}'")]
    UnknownNetwork { group: String, network: String },
    #[error("Instance group '{group}' references an unknown availability zone '{az}'")]
    UnknownGroupAz { group: String, az: String },
    #[error("Instance group '{group}' specifies static IP '{ip}' more than once")]
    StaticIpTwice { group: String, ip: String },
    #[error("Instance group '{group}' has {instances} instances but was allocated {count} static IPs in network '{network}'")]
    StaticIpCount {
        group: String,
        instances: u64,
        count: u128,
        network: String,
    },
    #[error("Instance group '{group}' with network '{network}' declares static ip '{ip}', which belongs to no subnet")]
    StaticIpNoSubnet { group: String, network: String, ip: String },
    #[error("Instance group '{group}' declares static ip '{ip}' which does not belong to any of the instance group's availability zones.")]
    StaticIpWrongAz { group: String, ip: String },
    #[error("Failed to evenly distribute static IPs between zones for instance group '{group}'")]
    StaticIpUneven { group: String },
    #[error("Too many instances in instance group '{group}': {instances} (at most {limit} are planned)")]
    TooManyInstances { group: String, instances: u64, limit: u64 },
    #[error("Instance group '{group}' must specify which network is default for {missing}, since it has more than one network configured")]
    DefaultMissing { group: String, missing: String },
    #[error("Instance group '{group}' specified more than one network to contain default. '{property}' has default networks: {networks}.")]
    DefaultTwice {
        group: String,
        property: String,
        networks: String,
    },
    #[error("Instance group '{group}' specified an invalid default network property '{property}', valid properties are: addressable, dns, gateway")]
    InvalidDefault { group: String, property: String },
    #[error("Can't provide any defaults since this is a VIP network")]
    VipDefault,
    #[error("Failed to reserve IP for '{instance}' for manual network '{network}': no more available")]
    NoMoreIps { instance: String, network: String },
    #[error("Failed to reserve IP '{ip}' for instance '{instance}': already reserved by instance '{other}' from deployment '{deployment}'")]
    AlreadyReserved {
        ip: String,
        instance: String,
        other: String,
        deployment: String,
    },
    #[error("Invalid state file: {0}")]
    InvalidState(String),
}

impl ErrorKind {
    /// The rule: the director's error class and/or number, `Bosh…` for director texts without a number in the
    /// reference, or `Dualhome…` where the text is ours.
    pub fn rule(&self) -> &'static str {
        use ErrorKind::*;
        // Class names and numbers where bosh-networking.md §4 gives them; only the number where it gives only that.
        match self {
            Yaml(_) => "DualhomeYamlSyntax",
            MissingProperty { .. } => "DualhomeMissingProperty",
            RangeForm(_) => "NetworkInvalidIpRangeFormat 160010",
            NetworkTooSmall { .. } => "bosh 160002",
            InvalidGateway { .. } => "bosh 160003",
            InvalidDns { .. } => "bosh 160004",
            ReservedOutOfRange { .. } => "NetworkReservedIpOutOfRange 160005",
            StaticInReserved { .. } | StaticOutOfRange { .. } => "NetworkStaticIpOutOfRange 160006",
            OverlappingSubnets { .. } => "bosh 160001",
            DifferentPrefixes { .. } => "bosh 16014",
            PrefixLargerThanRange { .. } => "bosh 16013",
            InvalidPrefix { .. } => "DualhomeInvalidPrefix",
            BothAzAndAzs { .. } | EmptyAzs { .. } | UnknownSubnetAz { .. } | MixedAzs { .. } => "BoshNetworkAz",
            DynamicPrefix => "BoshDynamicNetworkPrefix",
            DuplicateNetwork { .. } => "DualhomeDuplicateNetwork",
            UnknownNetworkType { .. } => "DualhomeUnknownNetworkType",
            UnknownNetwork { .. } => "DualhomeUnknownNetwork",
            UnknownGroupAz { .. } => "DualhomeUnknownGroupAz",
            StaticIpTwice { .. } => "JobInvalidStaticIPs 150009",
            StaticIpCount { .. } | StaticIpNoSubnet { .. } => "bosh 150002",
            StaticIpWrongAz { .. } => "bosh 150007",
            StaticIpUneven { .. } => "BoshStaticIpDistribution",
            TooManyInstances { .. } => "DualhomeTooManyInstances",
            DefaultMissing { .. } => "bosh 150005",
            DefaultTwice { .. } => "bosh 150004",
            InvalidDefault { .. } => "bosh 150003",
            VipDefault => "BoshVipDefault",
            NoMoreIps { .. } => "NetworkReservationNotEnoughCapacity 130011",
            AlreadyReserved { .. } => "bosh 130008",
            InvalidState(_) => "DualhomeInvalidState",
        }
    }
}

/// An IPAM error: the director's text plus where the offending value was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpamError {
    /// Where the offending value is.
    pub at: At,
    /// The director's text (boxed: keeps `Result<_, IpamError>` small on the happy path).
    pub kind: Box<ErrorKind>,
}

impl IpamError {
    /// Builds an error at a position.
    pub fn new(at: At, kind: ErrorKind) -> IpamError {
        IpamError {
            at,
            kind: Box::new(kind),
        }
    }
}

impl fmt::Display for IpamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.at, self.kind, self.kind.rule())
    }
}

impl std::error::Error for IpamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_and_rule() {
        let at = At {
            file: Arc::from("cc.yml"),
            line: 7,
            column: 12,
            offset: Some(80),
            len: 11,
        };
        let err = IpamError::new(
            at,
            ErrorKind::StaticInReserved {
                ip: "192.168.0.5/32".into(),
                network: "net_a".into(),
            },
        );
        assert_eq!(
            err.to_string(),
            "cc.yml:7:12: Static IP '192.168.0.5/32' is in network 'net_a' reserved range \
             [NetworkStaticIpOutOfRange 160006]"
        );
        assert_eq!(
            IpamError::new(At::argument("--director-ip"), ErrorKind::VipDefault).to_string(),
            "--director-ip: Can't provide any defaults since this is a VIP network \
             [BoshVipDefault]"
        );
    }
}
