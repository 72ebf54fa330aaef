//! The kernel backend cleans up after itself (drop guard, Ctrl-C, `dualhome kernel cleanup`) and refuses
//! scenarios with addresses outside documentation/ULA/link-local space before creating anything.
//! Needs root or CAP_NET_ADMIN; without it each test prints `skipped: …`.

use dualhome::kernel::netns::{ip, list, Lab};
use dualhome::kernel::{check_privileges, run, KernelError, KernelOptions};
use dualhome::scenario::{load_text, LoadOptions};
use std::process::Command;
use std::time::Duration;

fn privileged(test: &str) -> bool {
    match check_privileges() {
        Ok(()) => true,
        Err(e) => {
            println!("skipped: {test}: {e}");
            false
        }
    }
}

/// Deletes `dh-<run>-*` even when an assertion fails first.
struct Sweep(String);

impl Drop for Sweep {
    fn drop(&mut self) {
        let _ = dualhome::kernel::netns::cleanup(&format!("dh-{}-", self.0));
    }
}

fn run_id(tag: &str) -> String {
    format!("h{}{tag}", std::process::id() % 100_000)
}

#[test]
fn the_lab_guard_deletes_everything_it_created() {
    if !privileged("lab guard") {
        return;
    }
    let id = run_id("g");
    let _sweep = Sweep(id.clone());
    {
        let lab = Lab::new(&id);
        let Ok(mut lab) = lab else { panic!("run id refused") };
        let node = lab.node_ns("a");
        assert!(lab.add_segment("lan").is_ok());
        assert!(lab.add_ns(&node).is_ok());
        assert!(lab.add_nic(&node, "eth0", "02:00:00:00:00:01", "lan", 0).is_ok());
        let names = list(&format!("dh-{id}-")).unwrap_or_default();
        assert_eq!(names, [format!("dh-{id}-a"), format!("dh-{id}-br-lan")]);
        // The NIC is in the node namespace, its peer on the bridge; nothing in the initial namespace.
        let host_links = ip(&["-o", "link", "show"]).unwrap_or_default();
        assert!(!host_links.contains(&format!("dh-{id}")), "{host_links}");
    }
    assert_eq!(
        list(&format!("dh-{id}-")).ok(),
        Some(Vec::new()),
        "namespaces survive the guard"
    );
}

#[test]
fn unsafe_addresses_are_refused_before_anything_exists() {
    let text = "name: t\nduration: 2s\nkernel: {capable: true}\ntopology:\n  segments: [{name: lan}]\n  hosts:\n    - name: a\n      interfaces:\n        - name: eth0\n          segment: lan\n          mac: 02:00:00:00:00:01\n          addresses: [2001:db8::1/64]\n    - name: b\n      interfaces:\n        - name: eth0\n          segment: lan\n          mac: 02:00:00:00:00:02\n          addresses: [8.8.8.8/24]\n";
    let s = load_text("t.yml", text, None, &LoadOptions::default());
    let Ok(s) = s else { panic!("scenario does not load") };
    let id = run_id("u");
    let opts = KernelOptions {
        run_id: Some(id.clone()),
        source: Some(text.to_owned()),
        ..KernelOptions::default()
    };
    match run(&s, &opts) {
        Err(KernelError::Unsafe(e)) => {
            assert_eq!((e.address.as_str(), e.place.as_str()), ("8.8.8.8/24", "line 18"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    if check_privileges().is_ok() {
        assert_eq!(list(&format!("dh-{id}-")).ok(), Some(Vec::new()));
    }
}

#[test]
fn cleanup_command_removes_leftovers_of_one_run_only() {
    if !privileged("kernel cleanup") {
        return;
    }
    let id = run_id("c");
    let other = run_id("o");
    let _sweep = (Sweep(id.clone()), Sweep(other.clone()));
    for n in [format!("dh-{id}-x"), format!("dh-{id}-br-y"), format!("dh-{other}-z")] {
        assert!(ip(&["netns", "add", &n]).is_ok(), "{n}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dualhome"))
        .args(["kernel", "cleanup", "--run", &id])
        .output();
    let Ok(out) = out else {
        panic!("dualhome does not start")
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("deleted dh-{id}-x")) && stdout.contains("2 namespace(s) deleted"),
        "{stdout}"
    );
    assert_eq!(list(&format!("dh-{id}-")).ok(), Some(Vec::new()));
    assert_eq!(
        list(&format!("dh-{other}-")).ok(),
        Some(vec![format!("dh-{other}-z")]),
        "another run's namespace was touched"
    );
}

#[test]
fn ctrl_c_during_a_run_deletes_the_namespaces() {
    if !privileged("ctrl-c") {
        return;
    }
    let id = run_id("i");
    let _sweep = Sweep(id.clone());
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/kernel/ra-slaac.yml");
    let child = Command::new(env!("CARGO_BIN_EXE_dualhome"))
        .args(["kernel", "run", file, "--run-id", &id])
        .spawn();
    let Ok(mut child) = child else {
        panic!("dualhome does not start")
    };
    // Wait until the network exists, then interrupt.
    let mut seen = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        if list(&format!("dh-{id}-")).is_ok_and(|l| l.len() >= 3) {
            seen = true;
            break;
        }
    }
    assert!(seen, "the run never built its namespaces");
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling our own child by its pid.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    let status = child.wait();
    assert!(
        status.is_ok_and(|s| s.code() == Some(1)),
        "interrupted run should exit 1 after cleaning up"
    );
    assert_eq!(
        list(&format!("dh-{id}-")).ok(),
        Some(Vec::new()),
        "namespaces survive Ctrl-C"
    );
}

#[test]
fn seed_bosh_scenarios_stay_refused_now_that_bosh_runs_on_the_kernel() {
    // The seed corpus deploys on 10.0.9.0/24 and 2601:646:100::/48 (real addresses): even forced, the address
    // check stops it before a namespace exists, naming the first address of the file or of its BOSH inputs.
    for (file, first) in [
        ("seed/01-seed-deployment.yml", "10.0.9.151"),
        ("gotchas/07-slaac-on-ipv4-nic.yml", "2601:646:100:69f0::/64"),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios")
            .join(file);
        let s = dualhome::scenario::load_scenario(&path);
        let Ok(s) = s else { panic!("{file} does not load") };
        let id = run_id("s");
        let opts = KernelOptions {
            run_id: Some(id.clone()),
            source: std::fs::read_to_string(&path).ok(),
            force: true,
            ..KernelOptions::default()
        };
        match run(&s, &opts) {
            Err(KernelError::Unsafe(e)) => assert_eq!(e.address, first, "{file}: {e}"),
            other => panic!("{file}: expected a refusal, got {other:?}"),
        }
        if check_privileges().is_ok() {
            assert_eq!(list(&format!("dh-{id}-")).ok(), Some(Vec::new()));
        }
    }
}

#[test]
fn an_unsafe_prefix_in_a_radvd_conf_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir();
    let Ok(dir) = dir else { panic!("no temp dir") };
    let conf =
        "interface lan0 {\n    AdvSendAdvert on;\n    prefix 2001:db8:1::/64 { };\n    prefix 2600:1::/64 { };\n};\n";
    assert!(std::fs::write(dir.path().join("r.conf"), conf).is_ok());
    let text = "name: t\nduration: 2s\nkernel: {capable: true}\ntopology:\n  segments: [{name: lan}]\n  routers:\n    - name: rtr\n      radvd_conf: r.conf\n      interfaces:\n        - {name: lan0, segment: lan, mac: \"02:00:00:00:00:01\"}\n";
    let s = load_text("t.yml", text, Some(dir.path()), &LoadOptions::default());
    let Ok(s) = s else {
        panic!("scenario does not load: {s:?}")
    };
    let opts = KernelOptions {
        run_id: Some(run_id("r")),
        source: Some(text.to_owned()),
        ..KernelOptions::default()
    };
    match run(&s, &opts) {
        Err(KernelError::Unsafe(e)) => {
            assert_eq!(e.address, "2600:1::/64");
            assert!(
                e.place.starts_with("line 4 of ") && e.place.ends_with("r.conf"),
                "{}",
                e.place
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn real_radvd_refuses_inline_ra_blocks_and_leaves_nothing() {
    if !privileged("real radvd refusal") {
        return;
    }
    let text = "name: t\nduration: 2s\nkernel: {capable: true, real_radvd: true}\ntopology:\n  segments: [{name: lan}]\n  routers:\n    - name: rtr\n      interfaces:\n        - name: lan0\n          segment: lan\n          mac: \"02:00:00:00:00:01\"\n          ra: {max_interval: 10s}\n";
    let s = load_text("t.yml", text, None, &LoadOptions::default());
    let Ok(s) = s else {
        panic!("scenario does not load: {s:?}")
    };
    let id = run_id("x");
    let _sweep = Sweep(id.clone());
    let opts = KernelOptions {
        run_id: Some(id.clone()),
        source: Some(text.to_owned()),
        ..KernelOptions::default()
    };
    match run(&s, &opts) {
        Err(KernelError::Setup(m)) => assert!(m.contains("inline `ra:` block"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(list(&format!("dh-{id}-")).ok(), Some(Vec::new()));
}
