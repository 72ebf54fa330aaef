//! Policy routing rules (`ip rule` / `ip -6 rule`): priority, selectors (from, to, iif, oif, fwmark) and an action.
//!
//! Defaults per family (net/core/fib_rules.c users): IPv4 `0: lookup local`, `32766: lookup main`,
//! `32767: lookup default` (fib_rules.c:fib_default_rules_init); IPv6 `0: lookup local`, `32766: lookup main`
//! only (ipv6/fib6_rules.c:fib6_rules_net_init adds no `default` rule).

use std::net::IpAddr;

use ipnet::IpNet;

use super::route::table;

/// What a matching rule does (FR_ACT_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    /// FR_ACT_TO_TBL: look the destination up in this table.
    Lookup(u32),
    /// FR_ACT_UNREACHABLE: EHOSTUNREACH.
    Unreachable,
    /// FR_ACT_BLACKHOLE: EINVAL.
    Blackhole,
    /// FR_ACT_PROHIBIT: EACCES.
    Prohibit,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Priority; lower runs first.
    pub priority: u32,
    /// Source prefix (`from`); `None` is `all`.
    pub from: Option<IpNet>,
    /// Destination prefix (`to`).
    pub to: Option<IpNet>,
    /// Input interface (`iif`), by name as the kernel stores it.
    pub iif: Option<String>,
    /// Output interface (`oif`).
    pub oif: Option<String>,
    /// Firewall mark and mask (`fwmark M/MASK`).
    pub fwmark: Option<(u32, u32)>,
    /// `not`: invert the selector match (FIB_RULE_INVERT).
    pub invert: bool,
    /// Action.
    pub action: RuleAction,
}

impl Rule {
    /// `from all lookup T` at `priority`.
    pub fn lookup(priority: u32, table: u32) -> Rule {
        Rule {
            priority,
            from: None,
            to: None,
            iif: None,
            oif: None,
            fwmark: None,
            invert: false,
            action: RuleAction::Lookup(table),
        }
    }

    /// Builder: source prefix.
    pub fn from(mut self, net: IpNet) -> Rule {
        self.from = Some(net.trunc());
        self
    }

    /// Builder: destination prefix.
    pub fn to(mut self, net: IpNet) -> Rule {
        self.to = Some(net.trunc());
        self
    }

    /// Builder: input interface name.
    pub fn iif(mut self, name: &str) -> Rule {
        self.iif = Some(name.to_string());
        self
    }

    /// Builder: output interface name.
    pub fn oif(mut self, name: &str) -> Rule {
        self.oif = Some(name.to_string());
        self
    }

    /// Whether the rule selects a flow (fib_rules.c:fib_rule_match + fib4_rule_match / fib6_rule_match).
    ///
    /// A `from` prefix is compared with the flow's source; with no source yet (`None`, an unbound socket), only
    /// `from all` matches — IPv6 defers that check only with FIB_RULE_FIND_SADDR, which iproute2 never sets. `iif`
    /// matches the input device; output lookups run with iif = `lo` (ip6_route_output_flags sets
    /// LOOPBACK_IFINDEX, ip_route_output_key_hash sets flowi4_iif = LOOPBACK), so `iif lo` selects locally
    /// generated traffic.
    pub fn matches(&self, flow: &RuleFlow<'_>) -> bool {
        let hit = self.selectors_match(flow);
        hit != self.invert
    }

    fn selectors_match(&self, flow: &RuleFlow<'_>) -> bool {
        if let Some(iif) = &self.iif {
            if flow.iif_name != iif.as_str() {
                return false;
            }
        }
        if let Some(oif) = &self.oif {
            if flow.oif_name != Some(oif.as_str()) {
                return false;
            }
        }
        if let Some((mark, mask)) = self.fwmark {
            if (flow.fwmark ^ mark) & mask != 0 {
                return false;
            }
        }
        if let Some(from) = &self.from {
            match flow.src {
                Some(src) if from.contains(&src) => {}
                _ if from.prefix_len() == 0 => {}
                _ => return false,
            }
        }
        if let Some(to) = &self.to {
            if !to.contains(&flow.dst) {
                return false;
            }
        }
        true
    }
}

/// The flow a rule is matched against.
#[derive(Debug, Clone, Copy)]
pub struct RuleFlow<'a> {
    /// Destination.
    pub dst: IpAddr,
    /// Source, if known.
    pub src: Option<IpAddr>,
    /// Input interface name (`lo` for locally generated traffic).
    pub iif_name: &'a str,
    /// Output interface name, if the flow is bound to one.
    pub oif_name: Option<&'a str>,
    /// Packet mark.
    pub fwmark: u32,
}

/// Errors from `ip rule add/del`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// ENOENT: no rule matched a delete.
    #[error("RTNETLINK answers: No such file or directory")]
    NotFound,
    /// EEXIST: an identical rule exists (iproute2 sends NLM_F_EXCL, fib_rules.c:rule_exists).
    #[error("RTNETLINK answers: File exists")]
    Exists,
}

/// The rules of one family, sorted by priority; equal priorities keep insertion order.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Change stamp for the route cache; `add` and `del` take a fresh one.
    version: super::version::Version,
}

impl PartialEq for RuleSet {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
    }
}
impl Eq for RuleSet {}

impl RuleSet {
    /// IPv4 defaults: 0 local, 32766 main, 32767 default (fib_default_rules_init).
    pub fn default_v4() -> RuleSet {
        RuleSet {
            rules: vec![
                Rule::lookup(0, table::LOCAL),
                Rule::lookup(32766, table::MAIN),
                Rule::lookup(32767, table::DEFAULT),
            ],
            version: super::version::Version::fresh(),
        }
    }

    /// IPv6 defaults: 0 local, 32766 main (fib6_rules_net_init).
    pub fn default_v6() -> RuleSet {
        RuleSet {
            rules: vec![Rule::lookup(0, table::LOCAL), Rule::lookup(32766, table::MAIN)],
            version: super::version::Version::fresh(),
        }
    }

    /// The change stamp: equal stamps, equal rules.
    pub fn version(&self) -> super::version::Version {
        self.version
    }

    /// Rules in evaluation order.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    /// `ip rule add`. Without an explicit priority (`priority == None`) the kernel picks one less than the
    /// priority of the second rule in the list, i.e. just before `main` with the defaults
    /// (fib_rules.c:fib_default_rule_pref). A new rule goes after existing rules of the same priority.
    pub fn add(&mut self, mut rule: Rule, priority: Option<u32>) -> Result<u32, RuleError> {
        self.version = super::version::Version::fresh();
        rule.priority = match priority {
            Some(p) => p,
            None => self.rules.get(1).map_or(0, |r| r.priority.saturating_sub(1)),
        };
        if self.rules.contains(&rule) {
            return Err(RuleError::Exists);
        }
        let pos = self
            .rules
            .iter()
            .position(|r| r.priority > rule.priority)
            .unwrap_or(self.rules.len());
        let p = rule.priority;
        self.rules.insert(pos, rule);
        Ok(p)
    }

    /// `ip rule del`: removes the first rule equal to `rule` in its selectors and action; with `priority == None`
    /// any priority matches (fib_nl_delrule compares only the attributes given).
    pub fn del(&mut self, rule: &Rule, priority: Option<u32>) -> Result<Rule, RuleError> {
        self.version = super::version::Version::fresh();
        let pos = self
            .rules
            .iter()
            .position(|r| {
                priority.is_none_or(|p| r.priority == p)
                    && r.from == rule.from
                    && r.to == rule.to
                    && r.iif == rule.iif
                    && r.oif == rule.oif
                    && r.fwmark == rule.fwmark
                    && r.action == rule.action
                    && r.invert == rule.invert
            })
            .ok_or(RuleError::NotFound)?;
        Ok(self.rules.remove(pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(dst: &str, src: Option<&str>) -> RuleFlow<'static> {
        RuleFlow {
            dst: dst.parse().unwrap(),
            src: src.map(|s| s.parse().unwrap()),
            iif_name: "lo",
            oif_name: None,
            fwmark: 0,
        }
    }

    #[test]
    fn defaults_per_family() {
        let v4: Vec<u32> = RuleSet::default_v4().iter().map(|r| r.priority).collect();
        assert_eq!(v4, [0, 32766, 32767]);
        let v6: Vec<u32> = RuleSet::default_v6().iter().map(|r| r.priority).collect();
        assert_eq!(v6, [0, 32766]);
    }

    #[test]
    fn from_rule_needs_a_matching_source() {
        let r = Rule::lookup(100, 100).from("10.0.9.165/32".parse().unwrap());
        assert!(r.matches(&flow("8.8.8.8", Some("10.0.9.165"))));
        assert!(!r.matches(&flow("8.8.8.8", Some("10.0.9.166"))));
        assert!(
            !r.matches(&flow("8.8.8.8", None)),
            "no source yet: only `from all` matches"
        );
        let all = Rule::lookup(100, 100);
        assert!(all.matches(&flow("8.8.8.8", None)));
    }

    #[test]
    fn iif_oif_fwmark_to_and_not() {
        let mut r = Rule::lookup(10, 7).iif("eth0").to("2001:db8::/32".parse().unwrap());
        let mut f = flow("2001:db8::1", None);
        assert!(!r.matches(&f));
        f.iif_name = "eth0";
        assert!(r.matches(&f));
        r.invert = true;
        assert!(!r.matches(&f));
        let m = Rule {
            fwmark: Some((1, 0xff)),
            ..Rule::lookup(5, 5)
        };
        assert!(!m.matches(&f));
        f.fwmark = 0x101;
        assert!(m.matches(&f));
        let o = Rule::lookup(5, 5).oif("eth1");
        assert!(!o.matches(&f));
        f.oif_name = Some("eth1");
        assert!(o.matches(&f));
    }

    #[test]
    fn add_default_priority_and_delete() {
        let mut rs = RuleSet::default_v4();
        let p = rs
            .add(Rule::lookup(0, 100).from("10.0.9.165/32".parse().unwrap()), None)
            .unwrap();
        assert_eq!(p, 32765);
        let p2 = rs.add(Rule::lookup(0, 101), None).unwrap();
        assert_eq!(p2, 32764);
        let order: Vec<u32> = rs.iter().map(|r| r.priority).collect();
        assert_eq!(order, [0, 32764, 32765, 32766, 32767]);
        assert_eq!(rs.add(Rule::lookup(0, 101), Some(32764)), Err(RuleError::Exists));
        rs.del(&Rule::lookup(0, 100).from("10.0.9.165/32".parse().unwrap()), None)
            .unwrap();
        assert_eq!(rs.del(&Rule::lookup(0, 100), None), Err(RuleError::NotFound));
    }
}
