//! `cargo xtask bench ipam` = `cargo bench -p dualhome-ipam --bench ipam_plan`.
//!
//! 1. `interval_plan_1000_on_slash64`: plan 1,000 instances on a /64 whose upper half (2^63 addresses) and 10,000
//!    single addresses are reserved (target: under 5 ms). The singles are every other address from `::2`, so every
//!    allocation lands between two reserved addresses and merges intervals: the worst case for the interval set.
//!    `parse_and_plan_1000_on_slash64` adds YAML parsing of the same documents.
//! 2. For comparison, the 2018 director's algorithm (bosh-networking.md §4.4/§4.5, NetAddr era
//!    `find_first_available_address`): every reserved address expanded into a set of integers, the set sorted at each
//!    allocation. It lives here only, as a yardstick: `naive_expand_reserved_2_20` on a reserved range of 2^20
//!    addresses, next to `interval_plan_reserved_2_20` for the same input through the real planner.
//!
//! The allocation profiler shows memory: the interval planner's allocations do not grow with range sizes.

use dualhome_ipam::{parse_cloud_config, parse_manifest, plan, Addr, CloudConfig, Manifest, PlanInput};
use std::collections::BTreeSet;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

const BASE: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0000;

fn v6(value: u128) -> String {
    Addr::new(dualhome_ipam::Family::V6, value).map_or_else(String::new, |a| a.compressed())
}

fn slash64_documents() -> (String, String) {
    let mut cc = String::from(
        "networks:\n- name: big\n  subnets:\n  - range: '2001:db8::/64'\n    gateway: '2001:db8::1'\n    reserved:\n",
    );
    cc.push_str(&format!(
        "    - '{} - {}'\n",
        v6(BASE + (1 << 63)),
        v6(BASE + u128::from(u64::MAX))
    ));
    for i in 1..=10_000u128 {
        cc.push_str(&format!("    - '{}'\n", v6(BASE + 2 * i)));
    }
    let manifest =
        "name: bench\ninstance_groups:\n- name: web\n  instances: 1000\n  networks: [{name: big}]\n".to_string();
    (cc, manifest)
}

fn parsed(cc: &str, manifest: &str) -> (CloudConfig, Manifest) {
    match (
        parse_cloud_config("bench-cc.yml", cc),
        parse_manifest("bench-m.yml", manifest),
    ) {
        (Ok(c), Ok(m)) => (c, m),
        (c, m) => panic!("bench documents do not parse: {:?} {:?}", c.err(), m.err()),
    }
}

fn run_plan(cc: &CloudConfig, m: &Manifest) -> usize {
    let input = PlanInput {
        cloud_config: cc,
        manifest: m,
        director_ips: &[],
        state: None,
    };
    match plan(&input) {
        Ok(p) => p.instances.len(),
        Err(e) => panic!("{e}"),
    }
}

#[divan::bench]
fn interval_plan_1000_on_slash64(bencher: divan::Bencher) {
    let (cc, m) = slash64_documents();
    let (cc, m) = parsed(&cc, &m);
    bencher.bench(|| {
        let n = run_plan(divan::black_box(&cc), divan::black_box(&m));
        assert_eq!(n, 1000);
    });
}

#[divan::bench(sample_count = 20)]
fn parse_and_plan_1000_on_slash64(bencher: divan::Bencher) {
    let (cc, m) = slash64_documents();
    bencher.bench(|| {
        let (cc, m) = parsed(divan::black_box(&cc), divan::black_box(&m));
        run_plan(&cc, &m)
    });
}

/// Instances allocated in the 2^20 comparison (the naive one sorts 2^20 integers per allocation).
const SMALL_INSTANCES: usize = 10;
const RESERVED_2_20: u128 = 1 << 20;

/// The 2018 director: restricted addresses as a set of integers, sorted at each allocation; the first `a` whose
/// successor is free gives `a + 1`.
fn naive_allocate(first: u128, last: u128, reserved: (u128, u128), gateway: u128, count: usize) -> Vec<u128> {
    let mut used: BTreeSet<u128> = BTreeSet::new();
    used.extend(reserved.0..=reserved.1);
    used.insert(gateway);
    used.insert(last);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut entries: Vec<u128> = used.iter().copied().collect();
        entries.push(first); // range.first - 1 stand-in: start the walk at the network id, which is never free
        entries.sort_unstable();
        let found = entries
            .iter()
            .filter(|&&a| a >= first)
            .map(|&a| a + 1)
            .find(|candidate| !used.contains(candidate) && *candidate <= last && *candidate != first);
        let Some(ip) = found else { break };
        used.insert(ip);
        out.push(ip);
    }
    out
}

#[divan::bench(sample_count = 3)]
fn naive_expand_reserved_2_20() -> Vec<u128> {
    let first = BASE;
    let last = BASE + u128::from(u64::MAX);
    naive_allocate(
        first,
        last,
        (first + 2, first + 1 + RESERVED_2_20),
        first + 1,
        SMALL_INSTANCES,
    )
}

#[divan::bench]
fn interval_plan_reserved_2_20(bencher: divan::Bencher) {
    let cc = format!(
        "networks:\n- name: big\n  subnets:\n  - range: '2001:db8::/64'\n    gateway: '2001:db8::1'\n    reserved: ['{} - {}']\n",
        v6(BASE + 2),
        v6(BASE + 1 + RESERVED_2_20)
    );
    let m = format!(
        "name: bench\ninstance_groups:\n- name: web\n  instances: {SMALL_INSTANCES}\n  networks: [{{name: big}}]\n"
    );
    let (cc, m) = parsed(&cc, &m);
    bencher.bench(|| run_plan(divan::black_box(&cc), divan::black_box(&m)));
}
