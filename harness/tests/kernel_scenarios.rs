//! Every scenario in scenarios/kernel/ runs on the simulator and on the real kernel (network namespaces), and
//! the two agree at every step. Needs root or CAP_NET_ADMIN: without it each case prints `skipped: …`.

use dualhome::kernel::{check_privileges, compare, KernelOptions};
use dualhome::scenario::load_scenario;
use std::path::PathBuf;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/kernel")
}

fn run_one(file: &str) {
    if let Err(e) = check_privileges() {
        println!("skipped: {file}: {e}");
        return;
    }
    let path = scenario_dir().join(file);
    let scenario = match load_scenario(&path) {
        Ok(s) => s,
        Err(e) => panic!("{file} does not load: {e:?}"),
    };
    let source = std::fs::read_to_string(&path).ok();
    let run_id = format!("t{}-{}", std::process::id() % 100_000, file.trim_end_matches(".yml").len());
    let opts = KernelOptions { run_id: Some(run_id.clone()), source, ..KernelOptions::default() };
    let result = compare(&scenario, &opts);
    let left = dualhome::kernel::netns::list(&format!("dh-{run_id}-")).unwrap_or_default();
    assert!(left.is_empty(), "{file}: namespaces left behind: {left:?}");
    let cmp = match result {
        Ok(c) => c,
        Err(e) => panic!("{file}: {e}"),
    };
    if std::env::var_os("DH_KERNEL_DUMP").is_some() {
        for (s, k) in cmp.sim.iter().zip(&cmp.kernel.steps) {
            for (side, st) in [("sim", &s.state), ("kernel", &k.state)] {
                for (node, n) in &st.nodes {
                    println!("== {} {side} {node}", s.label);
                    n.addrs.iter().for_each(|a| println!("  addr {a}"));
                    n.routes.iter().filter(|r| r.table != 255).for_each(|r| println!("  route {r}"));
                    n.routers.iter().for_each(|r| println!("  neigh {r}"));
                }
            }
        }
    }
    assert_eq!(cmp.sim.len(), cmp.kernel.steps.len(), "{file}: step counts");
    let lines: Vec<String> = cmp.differences.iter().map(ToString::to_string).collect();
    assert!(lines.is_empty(), "{file}: backends disagree:\n{}", lines.join("\n"));
}

macro_rules! kernel_case {
    ($name:ident, $file:literal) => {
        #[test]
        fn $name() {
            run_one($file);
        }
    };
}

kernel_case!(ra_slaac, "ra-slaac.yml");
