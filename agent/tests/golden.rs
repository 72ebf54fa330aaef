//! Golden files (insta) for every profile on the seed's two-network VM (both settings forms) and on
//! the reference's appendix vectors: the numbered op list, every file written, and the host summary.
//! Review changes with `INSTA_UPDATE=always cargo test -p dualhome-agent --test golden` and `git diff`.

mod common;

use common::{boot, report, APPENDIX_NICS, SEED_NICS};
use dualhome_agent::{Overrides, Profile};

fn profiles() -> Vec<Profile> {
    Profile::NAMES.iter().map(|n| Profile::by_name(n).unwrap()).collect()
}

fn snapshot_all(fixture: &str, nics: &str, tag: &str) {
    for profile in profiles() {
        let (p, h) = boot(fixture, nics, &profile);
        insta::assert_snapshot!(format!("{tag}__{}", profile.name), report(&p, &h));
    }
}

#[test]
fn seed_2018_form() {
    snapshot_all("seed-2018.json", SEED_NICS, "seed_2018");
}

#[test]
fn seed_current_form() {
    snapshot_all("seed-current.json", SEED_NICS, "seed_current");
}

#[test]
fn appendix_networkd_vectors() {
    snapshot_all("appendix-networkd.json", APPENDIX_NICS, "appendix_networkd");
}

#[test]
fn appendix_ifupdown_vectors() {
    snapshot_all("appendix-ifupdown.json", APPENDIX_NICS, "appendix_ifupdown");
}

/// Jammy's second boot (after the agent's reboot) and hardened with an IPv6 gateway.
#[test]
fn seed_variants() {
    let (p, h) = boot("seed-2018.json", SEED_NICS, &Profile::jammy().after_reboot());
    insta::assert_snapshot!("seed_2018__jammy_after_reboot", report(&p, &h));
    let hardened = Profile::hardened().with_overrides(Overrides {
        default_gateway_network: Some("default".into()),
        ipv6_gateway_network: Some("ipv6".into()),
        extra_sysctls: vec![("net.ipv6.conf.all.forwarding".into(), "0".into())],
    });
    let (p, h) = boot("seed-current.json", SEED_NICS, &hardened);
    insta::assert_snapshot!("seed_current__hardened_ipv6_gateway", report(&p, &h));
    let (p, h) = boot("dual-stack-nic.json", "eth0=00:50:56:8c:86:a9", &Profile::hardened());
    insta::assert_snapshot!("dual_stack_nic__hardened", report(&p, &h));
}
