//! Property test: the interval allocator against a brute-force oracle that expands every address, on small ranges
//! (IPv6 /120–/128, IPv4 /24–/32) with random gateways, reserved spans, static entries, director IPs and addresses
//! held by another deployment. Allocations must be exactly the oracle's: unique, in range, outside the
//! never-allocated set (bosh-networking.md §4.3) and lowest first (§4.4).

mod support;

use dualhome_ipam::{Addr, Family};
use proptest::prelude::*;
use std::collections::BTreeSet;
use support::try_plan;

#[derive(Debug, Clone)]
struct Case {
    v6: bool,
    host_bits: u8,
    base: u128,
    gateway: u128,
    reserved: Vec<(u128, u128)>,
    statics: Vec<u128>,
    director: Vec<u128>,
    used: Vec<u128>,
    instances: u64,
    expanded: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        0u8..=8,
        any::<u128>(),
        any::<u128>(),
        prop::collection::vec((any::<u16>(), 0u16..40), 0..4),
        prop::collection::vec(any::<u16>(), 0..3),
        prop::collection::vec(any::<u16>(), 0..3),
        prop::collection::vec(any::<u16>(), 0..3),
        1u64..12,
        any::<bool>(),
    )
        .prop_map(
            |(v6, host_bits, base, gw, reserved, statics, director, used, instances, expanded)| {
                let size = 1u128 << host_bits;
                let base = if v6 { base } else { base & u128::from(u32::MAX) };
                let base = base & !(size - 1);
                let off = |x: u16| base + u128::from(x) % size;
                Case {
                    v6,
                    host_bits,
                    base,
                    gateway: base + gw % size,
                    reserved: reserved
                        .into_iter()
                        .map(|(a, len)| (off(a), (off(a) + u128::from(len)).min(base + size - 1)))
                        .collect(),
                    statics: statics.into_iter().map(off).collect(),
                    director: director.into_iter().map(off).collect(),
                    used: used.into_iter().map(off).collect(),
                    instances,
                    expanded,
                }
            },
        )
}

impl Case {
    fn family(&self) -> Family {
        if self.v6 {
            Family::V6
        } else {
            Family::V4
        }
    }

    fn text(&self, v: u128) -> String {
        let a = Addr::new(self.family(), v).map_or_else(String::new, |a| {
            if self.expanded {
                a.expanded()
            } else {
                a.compressed()
            }
        });
        format!("'{a}'")
    }

    fn prefix(&self) -> u8 {
        self.family().bits() - self.host_bits
    }

    fn cloud_config(&self) -> String {
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        let reserved = list(
            self.reserved
                .iter()
                .map(|&(a, b)| {
                    format!(
                        "{} - {}",
                        self.text(a).trim_matches('\''),
                        self.text(b).trim_matches('\'')
                    )
                })
                .map(|s| format!("'{s}'"))
                .collect(),
        );
        let statics = list(self.statics.iter().map(|&s| self.text(s)).collect());
        format!(
            "networks:\n- name: net_a\n  subnets:\n  - range: {}/{}\n    gateway: {}\n    reserved: {reserved}\n    static: {statics}\n",
            self.text(self.base).trim_matches('\''),
            self.prefix(),
            self.text(self.gateway)
        )
    }

    fn state(&self) -> String {
        let instances: Vec<String> = self
            .used
            .iter()
            .enumerate()
            .map(|(i, &u)| {
                format!(
                    r#"{{"instance":"x/{i}","networks":{{"net_a":{{"type":"manual","ip":{},"cloud_properties":{{}}}}}}}}"#,
                    self.text(u).replace('\'', "\"")
                )
            })
            .collect();
        format!(
            r#"{{"deployment":"other","era":"2018","instances":[{}]}}"#,
            instances.join(",")
        )
    }

    /// Brute force: expand every address of the range, remove the never-allocated ones, take the lowest.
    fn oracle(&self) -> Result<Vec<u128>, &'static str> {
        let size = 1u128 << self.host_bits;
        let (first, last) = (self.base, self.base + size - 1);
        if size < 2 {
            return Err("range too small");
        }
        if self.gateway == first || self.gateway == last {
            return Err("gateway");
        }
        let mut restricted: BTreeSet<u128> = [first, last, self.gateway].into_iter().collect();
        for &(a, b) in &self.reserved {
            restricted.extend(a..=b);
        }
        restricted.extend(self.director.iter().copied());
        if self.statics.iter().any(|s| restricted.contains(s)) {
            return Err("static in reserved");
        }
        let blocked: BTreeSet<u128> = restricted
            .iter()
            .chain(&self.statics)
            .chain(&self.used)
            .copied()
            .collect();
        let free: Vec<u128> = (first..=last).filter(|a| !blocked.contains(a)).collect();
        let n = usize::try_from(self.instances).unwrap_or(usize::MAX);
        if free.len() < n {
            return Err("no more available");
        }
        Ok(free[..n].to_vec())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn allocations_match_the_brute_force_oracle(c in case()) {
        let manifest = format!("name: dep\ninstance_groups:\n- name: web\n  instances: {}\n  networks: [{{name: net_a}}]\n", c.instances);
        let director: Vec<String> = c.director.iter().map(|&d| c.text(d).trim_matches('\'').to_string()).collect();
        let director: Vec<&str> = director.iter().map(String::as_str).collect();
        let got = try_plan(&c.cloud_config(), &manifest, &director, Some(&c.state()));
        match (c.oracle(), got) {
            (Ok(want), Ok(plan)) => {
                let got: Vec<u128> = plan.instances.iter().filter_map(|i| i.networks[0].address.ip()).map(|a| a.value()).collect();
                let unique: BTreeSet<u128> = got.iter().copied().collect();
                prop_assert_eq!(unique.len(), got.len());
                prop_assert_eq!(got, want);
            }
            (Err(why), Err(err)) => {
                let text = err.kind.to_string();
                let expected = match why {
                    "range too small" => "should include at least 2 IPs",
                    "gateway" => "Invalid gateway",
                    "static in reserved" => "reserved range",
                    _ => "no more available",
                };
                prop_assert!(text.contains(expected), "{} vs {}", why, text);
            }
            (want, got) => prop_assert!(false, "oracle {:?} vs plan {:?}\n{}", want, got.map(|p| p.instances.len()), c.cloud_config()),
        }
    }
}
