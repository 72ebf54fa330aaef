//! DAD outcomes per address kind (linux-ipv6.md A24, A25, C4–C10) and the interface-identifier vectors (C1, C3),
//! including the kernel's stable-privacy regeneration chain from linux-exp/C2.log.

use std::net::Ipv6Addr;
use std::time::Duration;

use dualhome_sim::host::dad::{
    AddrKind, DadAction, DadConfig, DadFailure, DadNsVerdict, DadStart, DadTable, Disposition, Regenerate,
};
use dualhome_sim::host::iid::{self, AddrGenMode, IidInputs, IidSource, StableSecret};
use dualhome_sim::id::IfIndex;
use dualhome_sim::time::Instant;
use dualhome_sim::wire::MacAddr;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const H0: IfIndex = IfIndex(2);
const H0_MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn cfg(accept_dad: u8) -> DadConfig {
    DadConfig {
        accept_dad,
        mac_link_local: Some(a("fe80::5054:ff:fe12:3456")),
        ..DadConfig::default()
    }
}

/// Starts DAD for `addr`, lets the first NS go out, then a defender answers with an NA.
fn conflict(addr: Ipv6Addr, kind: AddrKind, cfg: DadConfig) -> DadFailure {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut t = DadTable::new();
    let mut out = Vec::new();
    t.start(
        Instant::ZERO,
        DadStart {
            ifindex: H0,
            addr,
            kind,
            cfg,
        },
        &mut rng,
        &mut out,
    );
    let first = t.next_deadline();
    t.poll(first, &mut rng, &mut out);
    assert!(matches!(out.as_slice(), [DadAction::SendNs { target, .. }] if *target == addr));
    out.clear();
    assert!(t.recv_na(first + Duration::from_millis(1), H0, addr, &mut out));
    match out.as_slice() {
        [DadAction::Failed {
            ifindex,
            addr: failed,
            failure,
        }] if *ifindex == H0 && *failed == addr => *failure,
        other => panic!("{other:?}"),
    }
}

#[test]
fn slaac_duplicate_is_deleted_c6() {
    let f = conflict(a("2001:db8:2:0:5054:ff:fe12:3456"), AddrKind::default(), cfg(1));
    assert_eq!(
        f,
        DadFailure {
            disposition: Disposition::Delete,
            regenerate: Regenerate::No,
            disable_ipv6: false
        }
    );
}

#[test]
fn manual_duplicate_stays_dadfailed_c7() {
    let manual = AddrKind {
        permanent: true,
        ..AddrKind::default()
    };
    let f = conflict(a("2001:db8:3::5"), manual, cfg(1));
    assert_eq!(
        f,
        DadFailure {
            disposition: Disposition::KeepDadFailed,
            regenerate: Regenerate::No,
            disable_ipv6: false
        }
    );
}

#[test]
fn eui64_link_local_duplicate_dadfailed_or_disables_ipv6_c8_c10() {
    let ll = AddrKind {
        permanent: true,
        ..AddrKind::default()
    };
    let f = conflict(a("fe80::5054:ff:fe12:3456"), ll, cfg(1));
    assert_eq!(
        (f.disposition, f.disable_ipv6),
        (Disposition::KeepDadFailed, false),
        "C8: accept_dad=1"
    );
    let f = conflict(a("fe80::5054:ff:fe12:3456"), ll, cfg(2));
    assert!(f.disable_ipv6, "C10: accept_dad=2 and the MAC-derived link-local");
    // accept_dad=2 only guards the MAC-derived link-local.
    let f = conflict(a("fe80::1"), ll, cfg(2));
    assert!(!f.disable_ipv6);
}

#[test]
fn stable_privacy_link_local_regenerates_instead_of_disabling_c10() {
    let ll = AddrKind {
        permanent: true,
        stable_privacy: Some(0),
        ..AddrKind::default()
    };
    let f = conflict(a("fe80::c56c:4425:2d0d:841f"), ll, cfg(2));
    assert!(!f.disable_ipv6);
    assert_eq!(f.disposition, Disposition::KeepDadFailed);
    assert!(matches!(f.regenerate, Regenerate::StablePrivacy { dad_count: 1, .. }));
}

#[test]
fn temporary_duplicate_is_replaced_c8() {
    let tmp = AddrKind {
        temporary: true,
        ..AddrKind::default()
    };
    let f = conflict(a("2001:db8:9::1234"), tmp, cfg(1));
    assert_eq!(
        f,
        DadFailure {
            disposition: Disposition::Delete,
            regenerate: Regenerate::Temporary,
            disable_ipv6: false
        }
    );
}

#[test]
fn foreign_dad_ns_fails_ours_looped_back_does_not() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut t = DadTable::new();
    let mut out = Vec::new();
    let addr = a("2001:db8:1::5");
    let req = DadStart {
        ifindex: H0,
        addr,
        kind: AddrKind::default(),
        cfg: cfg(1),
    };
    t.start(Instant::ZERO, req, &mut rng, &mut out);
    let d = t.next_deadline();
    t.poll(d, &mut rng, &mut out);
    let Some(DadAction::SendNs { nonce, .. }) = out.first().copied() else {
        panic!("{out:?}")
    };
    out.clear();
    assert_eq!(t.recv_ns(d, H0, addr, nonce, &mut out), DadNsVerdict::LoopedBack);
    assert!(t.is_running(H0, addr));
    assert_eq!(t.recv_ns(d, H0, addr, None, &mut out), DadNsVerdict::Conflict);
    assert!(!t.is_running(H0, addr));
    assert_eq!(out.len(), 1);
}

#[test]
fn three_transmits_tentative_at_two_seconds_done_by_four_c2_c10() {
    // linux-ipv6.md A24: dad_transmits=3 → still tentative 2.2 s after the start, done by 4.2 s.
    for seed in 0..20 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut t = DadTable::new();
        let mut out = Vec::new();
        let addr = a("2001:db8:1::7");
        let req = DadStart {
            ifindex: H0,
            addr,
            kind: AddrKind::default(),
            cfg: DadConfig {
                dad_transmits: 3,
                ..cfg(1)
            },
        };
        t.start(Instant::ZERO, req, &mut rng, &mut out);
        let mut sent = 0;
        let mut done = None;
        while t.next_deadline() <= Instant::from_secs(10) {
            let d = t.next_deadline();
            t.poll(d, &mut rng, &mut out);
            for act in out.drain(..) {
                match act {
                    DadAction::SendNs { .. } => sent += 1,
                    DadAction::Succeeded { .. } => done = Some(d),
                    DadAction::Failed { .. } => panic!("no conflict here"),
                }
            }
        }
        let done = done.expect("DAD finished");
        assert_eq!(sent, 3);
        assert!(
            done > Instant::from_millis(2200) && done <= Instant::from_millis(4200),
            "seed {seed}: {done}"
        );
    }
}

/// linux-exp/C2.log C6: a defender answers every DAD for 2001:db8:5::/64; the host regenerates with dad_count+1
/// after idgen_delay; the fourth address (dad_count 3) is the last one idgen_retries=3 allows.
#[test]
fn stable_privacy_regeneration_chain_matches_the_kernel_c9() {
    let secret = StableSecret::from(a("2001:db8:1234::1"));
    let prefix = a("2001:db8:5::");
    let veth_perm_addr = [0u8; 6];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut t = DadTable::new();
    let mut out = Vec::new();
    let (mut addr, mut count) = iid::stable_privacy_address(prefix, secret, &veth_perm_addr, 0, 3).unwrap();
    let mut kind = AddrKind {
        stable_privacy: Some(count),
        ..AddrKind::default()
    };
    t.start(
        Instant::ZERO,
        DadStart {
            ifindex: H0,
            addr,
            kind,
            cfg: cfg(1),
        },
        &mut rng,
        &mut out,
    );
    let mut generated = vec![addr];
    let mut now;
    loop {
        // Run to the first NS, then the defender's NA arrives 1 ms later.
        now = t.next_deadline();
        t.poll(now, &mut rng, &mut out);
        if out.iter().all(|x| !matches!(x, DadAction::SendNs { .. })) {
            out.clear();
            continue;
        }
        out.clear();
        now += Duration::from_millis(1);
        assert!(t.recv_na(now, H0, addr, &mut out));
        let Some(DadAction::Failed { failure, .. }) = out.pop() else {
            panic!()
        };
        assert_eq!(failure.disposition, Disposition::Delete);
        match failure.regenerate {
            Regenerate::StablePrivacy { dad_count, begin_at } => {
                assert_eq!(begin_at, now + Duration::from_secs(1), "idgen_delay");
                (addr, count) = iid::stable_privacy_address(prefix, secret, &veth_perm_addr, dad_count, 3).unwrap();
                kind.stable_privacy = Some(count);
                t.start_at(
                    now,
                    begin_at,
                    DadStart {
                        ifindex: H0,
                        addr,
                        kind,
                        cfg: cfg(1),
                    },
                    &mut rng,
                    &mut out,
                );
                generated.push(addr);
            }
            Regenerate::StablePrivacyGaveUp => break,
            other => panic!("{other:?}"),
        }
    }
    let want: Vec<Ipv6Addr> = [
        "f1fd:6628:4d1:afb6",
        "aa96:286e:abbb:442d",
        "1532:5c87:d901:e96c",
        "3aec:a4a8:ca8f:7273",
    ]
    .iter()
    .map(|iid| a(&format!("2001:db8:5:0:{iid}")))
    .collect();
    assert_eq!(generated, want);
    assert!(now < Instant::from_secs(10));
}

#[test]
fn interface_identifier_vectors() {
    // C1 and the seed VM's MAC.
    assert_eq!(
        iid::with_iid(a("fe80::"), iid::eui64_iid(H0_MAC)),
        a("fe80::5054:ff:fe12:3456")
    );
    let seed_mac = MacAddr([0x00, 0x50, 0x56, 0x8c, 0x86, 0xa9]);
    let inputs = IidInputs {
        mode: AddrGenMode::Eui64,
        mac: seed_mac,
        perm_addr: &seed_mac.0,
        secret: None,
        idgen_retries: 3,
    };
    assert_eq!(
        iid::slaac_address(a("2601:646:100:69f0::"), None, &inputs),
        (a("2601:646:100:69f0:250:56ff:fe8c:86a9"), IidSource::Eui64)
    );
    // C3 / C2.log: stable-privacy link-local and SLAAC address with stable_secret=2001:db8:1234::1 on a veth.
    let sp = IidInputs {
        mode: AddrGenMode::StablePrivacy,
        mac: H0_MAC,
        perm_addr: &[0; 6],
        secret: Some(StableSecret::from(a("2001:db8:1234::1"))),
        idgen_retries: 3,
    };
    assert_eq!(iid::link_local(&sp).map(|x| x.0), Some(a("fe80::c56c:4425:2d0d:841f")));
    assert_eq!(
        iid::slaac_address(a("2001:db8:4::"), None, &sp).0,
        a("2001:db8:4:0:3306:83e7:789:c947")
    );
    assert_eq!(
        iid::solicited_node_mac(a("fe80::5054:ff:fe12:3456")),
        MacAddr([0x33, 0x33, 0xff, 0x12, 0x34, 0x56])
    );
}
