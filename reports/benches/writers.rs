//! `cargo bench -p dualhome-reports --bench writers`: the writers on a large corpus.
//!
//! 1,000 scenarios × 20 expectations (one in ten failed, one in twenty skipped) × 3 findings with evidence: what a
//! sharded CI run over a big scenario corpus merges and writes. Each writer is measured alone, plus reading the JSON
//! back and merging four shards, so a regression points at one format.

use dualhome_reports::json::{from_json, to_json};
use dualhome_reports::junit::to_junit;
use dualhome_reports::markdown::to_markdown;
use dualhome_reports::{
    merge, Artifacts, Backend, Capture, ExpectationOutcome, Finding, FindingLocation, RunReport, ScenarioReport,
    ScenarioStatus, Severity, Shard, SourceLocation, ToolInfo, Verdict,
};

fn main() {
    // Output sizes, so a change in verbosity shows next to a change in speed.
    let report = run(None);
    let sizes = [
        ("json", to_json(&report)),
        ("junit", to_junit(&report)),
        ("markdown", to_markdown(&report)),
    ];
    for (name, text) in sizes {
        match text {
            Ok(text) => eprintln!("{name}: {} bytes for {SCENARIOS} scenarios", text.len()),
            Err(err) => eprintln!("{name}: {err}"),
        }
    }
    divan::main();
}

const SCENARIOS: usize = 1_000;
const EXPECTATIONS: usize = 20;

fn scenario(index: usize) -> ScenarioReport {
    let file = format!("scenarios/bulk/s{index:04}.yml");
    let expectations: Vec<ExpectationOutcome> = (0..EXPECTATIONS)
        .map(|e| {
            let verdict = match (index * EXPECTATIONS + e) % 20 {
                0 | 10 => Verdict::Failed,
                5 => Verdict::Skipped {
                    reason: "kernel backend only".into(),
                },
                _ => Verdict::Passed,
            };
            ExpectationOutcome {
                id: format!("expect[{e}]"),
                kind: "route-get".into(),
                description: format!("vm/{e} routes 2001:db8:{e:x}::1 via the designated gateway"),
                at_ns: Some(e as u64 * 250_000_000),
                verdict,
                expected: "dev eth1 via fe80::1 src 2001:db8:1::10".into(),
                observed: Some("dev eth1 via fe80::bad src 2001:db8:1::10".into()),
                location: Some(SourceLocation {
                    file: file.clone(),
                    line: 40 + e as u32,
                    column: 5,
                }),
            }
        })
        .collect();
    let findings = Severity::ALL
        .iter()
        .map(|&severity| Finding {
            code: "DH-RA-MITM".into(),
            severity,
            title: "RAs accepted from a router that is not the designated gateway".into(),
            message: "vm/0 eth1 accepted an RA from fe80::bad, which is not the gateway BOSH configured.".into(),
            location: FindingLocation {
                source: None,
                node: Some("vm/0".into()),
                interface: Some("eth1".into()),
            },
            evidence: vec!["default via fe80::bad dev eth1 proto ra metric 1024 expires 1799sec".into(); 3],
        })
        .collect();
    ScenarioReport {
        status: ScenarioStatus::from_outcomes(&expectations),
        file,
        name: format!("bulk scenario {index}"),
        description: "generated for the writer benchmark".into(),
        tags: vec!["bulk".into()],
        seed: index as u64,
        backend: Backend::Sim,
        simulated_ns: 10_000_000_000,
        events: 20_000,
        frames: 3_000,
        expectations,
        findings,
        artifacts: Artifacts {
            captures: vec![Capture {
                segment: "v6-net".into(),
                path: format!("bulk/s{index:04}/v6-net.pcapng"),
            }],
            trace: None,
        },
    }
}

fn tool() -> ToolInfo {
    ToolInfo {
        name: "dualhome".into(),
        version: "0.1.0".into(),
    }
}

fn run(shard: Option<Shard>) -> RunReport {
    let scenarios = (0..SCENARIOS)
        .filter(|&i| shard.is_none_or(|s| s.selects(i)))
        .map(scenario)
        .collect();
    match RunReport::new(tool(), vec!["run".into()], shard, scenarios) {
        Ok(report) => report,
        Err(err) => panic!("benchmark corpus is inconsistent: {err}"),
    }
}

#[divan::bench]
fn json_1000(bencher: divan::Bencher) {
    let report = run(None);
    bencher.bench(|| to_json(divan::black_box(&report)).map(|text| text.len()));
}

#[divan::bench]
fn junit_1000(bencher: divan::Bencher) {
    let report = run(None);
    bencher.bench(|| to_junit(divan::black_box(&report)).map(|text| text.len()));
}

#[divan::bench]
fn markdown_1000(bencher: divan::Bencher) {
    let report = run(None);
    bencher.bench(|| to_markdown(divan::black_box(&report)).map(|text| text.len()));
}

#[divan::bench]
fn read_json_1000(bencher: divan::Bencher) {
    let text = to_json(&run(None)).unwrap_or_default();
    bencher.bench(|| from_json(divan::black_box(&text), std::path::Path::new("bench.json")).is_ok());
}

#[divan::bench]
fn merge_4_shards_1000(bencher: divan::Bencher) {
    let shards: Vec<RunReport> = (1..=4).filter_map(|k| Shard::new(k, 4)).map(|s| run(Some(s))).collect();
    bencher
        .with_inputs(|| shards.clone())
        .bench_values(|shards| merge(shards).map(|r| r.scenarios.len()));
}
