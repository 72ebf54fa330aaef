//! A run report with every shape the writers must handle: passed, failed, errored and skipped scenarios; passed,
//! failed and skipped expectations; findings of every severity, with and without locations and evidence; captures;
//! and text that is hostile to Markdown and XML.

#![allow(dead_code)] // Each test binary uses a different part of the fixture.

pub mod prose;

use dualhome_reports::{
    Artifacts, Backend, Capture, ExpectationOutcome, Finding, FindingLocation, RunReport, ScenarioReport,
    ScenarioStatus, Severity, Shard, SourceLocation, ToolInfo, Verdict,
};

pub fn tool() -> ToolInfo {
    ToolInfo {
        name: "dualhome".into(),
        version: "0.1.0".into(),
    }
}

pub fn args() -> Vec<String> {
    vec![
        "run".into(),
        "scenarios/".into(),
        "--format".into(),
        "junit,json,md".into(),
    ]
}

fn at(file: &str, line: u32, column: u32) -> Option<SourceLocation> {
    Some(SourceLocation {
        file: file.into(),
        line,
        column,
    })
}

fn expect(
    file: &str,
    line: u32,
    kind: &str,
    description: &str,
    verdict: Verdict,
    expected: &str,
    observed: Option<&str>,
) -> ExpectationOutcome {
    ExpectationOutcome {
        id: format!("expect@{line}"),
        kind: kind.into(),
        description: description.into(),
        at_ns: None,
        verdict,
        expected: expected.into(),
        observed: observed.map(str::to_owned),
        location: at(file, line, 5),
    }
}

/// Sets the simulated time an expectation was evaluated at.
fn at_time(mut outcome: ExpectationOutcome, ns: u64) -> ExpectationOutcome {
    outcome.at_ns = Some(ns);
    outcome
}

fn finding(code: &str, severity: Severity, title: &str, message: &str, location: FindingLocation) -> Finding {
    Finding {
        code: code.into(),
        severity,
        title: title.into(),
        message: message.into(),
        location,
        evidence: vec![],
    }
}

fn node(node: &str, interface: Option<&str>) -> FindingLocation {
    FindingLocation {
        source: None,
        node: Some(node.into()),
        interface: interface.map(str::to_owned),
    }
}

fn base(file: &str, name: &str, status: ScenarioStatus) -> ScenarioReport {
    ScenarioReport {
        file: file.into(),
        name: name.into(),
        description: format!("{name}, as in the seed write-up"),
        tags: vec!["ipv6".into()],
        seed: 42,
        backend: Backend::Sim,
        simulated_ns: 10_000_000_000,
        events: 18_204,
        frames: 3_117,
        status,
        expectations: vec![],
        findings: vec![],
        artifacts: Artifacts::default(),
    }
}

/// Failed: a rogue router's RA wins the IPv6 default route.
pub fn rogue_router() -> ScenarioReport {
    let file = "scenarios/ra/rogue-router.yml";
    let mut s = base(file, "rogue RA takes the default route", ScenarioStatus::Failed);
    s.tags = vec!["ipv6".into(), "ra".into(), "security".into()];
    s.seed = u64::MAX; // Seeds use the full u64 range; JSON must keep every digit.
    s.expectations = vec![
        at_time(
            expect(
                file,
                61,
                "reachable",
                "vm/0 reaches 2001:db8:1::10 by ping",
                Verdict::Passed,
                "echo reply",
                Some("echo reply after 2 ms"),
            ),
            1_000_000_000,
        ),
        at_time(
            expect(
                file,
                66,
                "route-get",
                "vm/0 routes 2001:db8:9::1 via the designated gateway",
                Verdict::Failed,
                "dev eth1 via fe80::1 src 2001:db8:1::10",
                Some("dev eth1 via fe80::bad src 2001:db8:1::10"),
            ),
            4_500_000_000,
        ),
        expect(
            file,
            72,
            "path",
            "ssh vm/0 -> workstation avoids the attacker",
            Verdict::Failed,
            "vm/0, router-v6, workstation",
            Some("vm/0, attacker, router-v6, workstation"),
        ),
    ];
    let mut mitm = finding(
        "DH-RA-MITM",
        Severity::Error,
        "RAs accepted from a router that is not the designated gateway",
        "vm/0 eth1 accepted an RA from fe80::bad (attacker), which is not the gateway 2001:db8:1::1 BOSH configured.\n\
         Its default route now points at the attacker.",
        node("vm/0", Some("eth1")),
    );
    mitm.location.source = at(file, 20, 9);
    mitm.evidence = vec![
        "t=4.2 s RA fe80::bad -> ff02::1 router-lifetime 1800 prefix 2001:db8:1::/64".into(),
        "default via fe80::bad dev eth1 proto ra metric 1024 expires 1799sec pref high".into(),
    ];
    s.findings = vec![
        mitm,
        finding(
            "DH-REDIRECT-ACCEPTED",
            Severity::Warning,
            "ICMPv6 redirects accepted",
            "net.ipv6.conf.eth1.accept_redirects=1",
            node("vm/0", Some("eth1")),
        ),
    ];
    s.artifacts = Artifacts {
        captures: vec![
            Capture {
                segment: "v6-net".into(),
                path: "ra/rogue-router/v6-net.pcapng".into(),
            },
            Capture {
                segment: "v4-net".into(),
                path: "ra/rogue-router/v4-net.pcapng".into(),
            },
        ],
        trace: Some("ra/rogue-router/trace.txt".into()),
    };
    s
}

/// Passed, with a warning and an info finding located in BOSH input.
pub fn seed_offlink() -> ScenarioReport {
    let file = "scenarios/seed/dual-nic-offlink.yml";
    let mut s = base(file, "dual NIC VM reaches its director", ScenarioStatus::Passed);
    s.expectations = vec![
        expect(
            file,
            80,
            "reachable",
            "vm/0 reaches director 10.0.0.6 by tcp/25555",
            Verdict::Passed,
            "established",
            Some("established"),
        ),
        at_time(
            expect(
                file,
                84,
                "addresses",
                "vm/0 eth1 has 2001:db8:1::10/64 (permanent)",
                Verdict::Passed,
                "2001:db8:1::10/64 scope global",
                Some("2001:db8:1::10/64 scope global"),
            ),
            2_000_000_000,
        ),
    ];
    let mut slaac = finding(
        "DH-SLAAC-UNPLANNED",
        Severity::Warning,
        "SLAAC address on an interface BOSH gave no IPv6",
        "eth0 formed 2001:db8:2:0:250:56ff:fe00:1/64 from an RA although its BOSH network is IPv4 only.",
        node("vm/0", Some("eth0")),
    );
    slaac.location.source = at("examples/seed/manifest.yml", 14, 7);
    slaac.evidence = vec!["inet6 2001:db8:2:0:250:56ff:fe00:1/64 scope global dynamic mngtmpaddr".into()];
    let mut info = finding(
        "DH-ABBREVIATED-IPV6",
        Severity::Info,
        "Abbreviated IPv6 in BOSH input",
        "`2001:db8:1::10` is abbreviated; the 2018 director compares addresses as strings.",
        FindingLocation::default(),
    );
    info.location.source = at("examples/seed/cloud-config.yml", 9, 15);
    s.findings = vec![slaac, info];
    s
}

/// Errored: the 2018 IPAM era hangs on a large reserved range; its expectation was never evaluated.
pub fn ipam_hang() -> ScenarioReport {
    let file = "scenarios/ipam/large-reserved-range.yml";
    let message = "deploy step `ipam` did not finish: event budget of 10000000 events exceeded at t=3 s\n\
                   while expanding reserved range 2001:db8::/64 (18446744073709551616 addresses)";
    let mut s = base(
        file,
        "2018 director hangs on a /64 reserved range",
        ScenarioStatus::Error {
            message: message.into(),
        },
    );
    s.simulated_ns = 3_000_000_000;
    s.expectations = vec![expect(
        file,
        30,
        "instances",
        "bosh instances lists web/0 running",
        Verdict::Skipped {
            reason: "scenario errored before evaluation".into(),
        },
        "web/0 running 2001:db8::10",
        None,
    )];
    s.findings = vec![finding(
        "DH-IPAM-LARGE-RANGE",
        Severity::Error,
        "Reserved range over 1,024 addresses",
        "reserved: [2001:db8::/64] covers 2^64 addresses; the 2018 director enumerates them.",
        FindingLocation {
            source: at("scenarios/ipam/cloud-config.yml", 12, 11),
            node: None,
            interface: None,
        },
    )];
    s
}

/// Skipped: needs the kernel backend.
pub fn kernel_parity() -> ScenarioReport {
    let mut s = base(
        "scenarios/kernel/netns-parity.yml",
        "kernel and simulator agree",
        ScenarioStatus::Skipped {
            reason: "the kernel backend needs CAP_NET_ADMIN".into(),
        },
    );
    s.backend = Backend::Kernel;
    s.simulated_ns = 0;
    s.events = 0;
    s.frames = 0;
    s
}

/// Failed, with a skipped expectation and text hostile to Markdown and XML.
pub fn ssh_reset() -> ScenarioReport {
    let file = "scenarios/transport/ssh-reset.yml";
    let mut s = base(file, "ssh *survives* a <stateful> firewall", ScenarioStatus::Failed);
    s.expectations = vec![
        at_time(
            expect(
                file,
                50,
                "survives",
                "ssh workstation -> vm/0 survives 60 s idle",
                Verdict::Failed,
                "no RST | FIN before t=61 s",
                Some("RST from 10.0.1.1 | seq=1 & `ack` <none>"),
            ),
            61_000_000_000,
        ),
        expect(
            file,
            55,
            "capture-count",
            "2 RAs seen on v6-net",
            Verdict::Skipped {
                reason: "captures disabled by --format".into(),
            },
            "2",
            None,
        ),
    ];
    s.findings = vec![Finding {
        code: "DH-FLOW-ASYMMETRIC".into(),
        severity: Severity::Error,
        title: "Asymmetric TCP flow".into(),
        message: "SYN left by eth0 but the SYN-ACK arrived on eth1.".into(),
        location: node("vm/0", None),
        evidence: vec!["```".into(), "eth0 > SYN; eth1 < SYN-ACK".into()],
    }];
    s
}

/// All five scenarios, deliberately not in file order.
pub fn corpus() -> Vec<ScenarioReport> {
    vec![
        ssh_reset(),
        seed_offlink(),
        ipam_hang(),
        rogue_router(),
        kernel_parity(),
    ]
}

/// The unsharded run over the corpus.
pub fn whole_run() -> RunReport {
    match RunReport::new(tool(), args(), None, corpus()) {
        Ok(report) => report,
        Err(err) => panic!("fixture is inconsistent: {err}"),
    }
}

/// Shard `shard` of the corpus, selected the way `dualhome run --shard` selects (round-robin over sorted files).
pub fn shard_run(shard: Shard) -> RunReport {
    let mut scenarios = corpus();
    scenarios.sort_by(|a, b| a.file.cmp(&b.file));
    let selected = scenarios
        .into_iter()
        .enumerate()
        .filter(|(position, _)| shard.selects(*position))
        .map(|(_, s)| s)
        .collect();
    match RunReport::new(tool(), args(), Some(shard), selected) {
        Ok(report) => report,
        Err(err) => panic!("fixture shard is inconsistent: {err}"),
    }
}
