//! Property tests over arbitrary reports, with text full of markup, quotes, control characters and non-ASCII:
//! JSON reads back equal, JUnit always parses with the counts the totals imply, the Markdown stays within its limit
//! and renders no HTML, and any split into shards merges back to the whole.

use dualhome_reports::json::{from_json, to_json};
use dualhome_reports::junit::to_junit;
use dualhome_reports::markdown::{to_markdown, to_markdown_within};
use dualhome_reports::{
    merge, Artifacts, Backend, Capture, ExpectationOutcome, Finding, FindingLocation, RunReport, ScenarioReport,
    ScenarioStatus, Severity, Shard, SourceLocation, ToolInfo, Verdict,
};
use proptest::prelude::*;

mod common;

/// Text that stresses every writer: printable Unicode, markup characters, control characters, newlines.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ./:-]{0,16}",
        "\\PC{0,12}",
        "[`|<>&\"'*_\\[\\]#\\\\\n\t\u{1b}\u{0}\u{7}]{0,8}",
        Just("]]><!-- `a` | <b>&amp;\n1. x".to_owned()),
    ]
}

fn location() -> impl Strategy<Value = Option<SourceLocation>> {
    proptest::option::of(
        (text(), 1u32..5000, 1u32..200).prop_map(|(file, line, column)| SourceLocation { file, line, column }),
    )
}

fn verdict(evaluated: bool) -> impl Strategy<Value = Verdict> {
    let skipped = text().prop_map(|reason| Verdict::Skipped { reason });
    if evaluated {
        prop_oneof![Just(Verdict::Passed), Just(Verdict::Failed), skipped].boxed()
    } else {
        skipped.boxed()
    }
}

fn outcome(evaluated: bool) -> impl Strategy<Value = ExpectationOutcome> {
    (
        (text(), text(), text()),
        proptest::option::of(any::<u64>()),
        verdict(evaluated),
        (text(), proptest::option::of(text()), location()),
    )
        .prop_map(
            |((id, kind, description), at_ns, verdict, (expected, observed, location))| ExpectationOutcome {
                id,
                kind,
                description,
                at_ns,
                verdict,
                expected,
                observed,
                location,
            },
        )
}

fn finding() -> impl Strategy<Value = Finding> {
    (
        (text(), prop::sample::select(Severity::ALL.to_vec()), text(), text()),
        (location(), proptest::option::of(text()), proptest::option::of(text())),
        prop::collection::vec(text(), 0..3),
    )
        .prop_map(
            |((code, severity, title, message), (source, node, interface), evidence)| Finding {
                code,
                severity,
                title,
                message,
                location: FindingLocation {
                    source,
                    node,
                    interface,
                },
                evidence,
            },
        )
}

/// How a generated scenario ended; the outcomes are generated to fit it.
#[derive(Clone, Debug)]
enum Ending {
    Ran,
    Error(String),
    Skipped(String),
}

fn scenario() -> impl Strategy<Value = ScenarioReport> {
    prop_oneof![
        Just(Ending::Ran),
        text().prop_map(Ending::Error),
        text().prop_map(Ending::Skipped)
    ]
    .prop_flat_map(|ending| {
        let evaluated = !matches!(ending, Ending::Skipped(_));
        (
            Just(ending),
            (text(), text(), prop::collection::vec(text(), 0..3), any::<u64>()),
            (any::<bool>(), any::<u64>(), any::<u64>(), any::<u64>()),
            prop::collection::vec(outcome(evaluated), 0..5),
            prop::collection::vec(finding(), 0..4),
            (
                prop::collection::vec((text(), text()), 0..2),
                proptest::option::of(text()),
            ),
        )
    })
    .prop_map(
        |(
            ending,
            (name, description, tags, seed),
            (kernel, simulated_ns, events, frames),
            expectations,
            findings,
            (captures, trace),
        )| {
            let status = match ending {
                Ending::Ran => ScenarioStatus::from_outcomes(&expectations),
                Ending::Error(message) => ScenarioStatus::Error { message },
                Ending::Skipped(reason) => ScenarioStatus::Skipped { reason },
            };
            ScenarioReport {
                file: String::new(), // Made unique by `run`.
                name,
                description,
                tags,
                seed,
                backend: if kernel { Backend::Kernel } else { Backend::Sim },
                simulated_ns,
                events,
                frames,
                status,
                expectations,
                findings,
                artifacts: Artifacts {
                    captures: captures
                        .into_iter()
                        .map(|(segment, path)| Capture { segment, path })
                        .collect(),
                    trace,
                },
            }
        },
    )
}

fn run() -> impl Strategy<Value = RunReport> {
    (
        prop::collection::vec((text(), scenario()), 0..6),
        prop::collection::vec(text(), 0..3),
    )
        .prop_map(|(scenarios, args)| {
            let scenarios = scenarios
                .into_iter()
                .enumerate()
                .map(|(i, (prefix, mut s))| {
                    // A unique file per scenario, with arbitrary text in front to stress the sort and the writers.
                    s.file = format!("{prefix}/{i}.yml");
                    s
                })
                .collect();
            let tool = ToolInfo {
                name: "dualhome".into(),
                version: "0.1.0".into(),
            };
            RunReport::new(tool, args, None, scenarios).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn json_reads_back_equal(report in run()) {
        let text = to_json(&report).unwrap();
        let back = from_json(&text, std::path::Path::new("p.json")).unwrap();
        prop_assert_eq!(&back, &report);
        prop_assert_eq!(to_json(&back).unwrap(), text);
    }

    #[test]
    fn junit_parses_with_the_counts_the_totals_imply(report in run()) {
        let xml = to_junit(&report).unwrap();
        let doc = roxmltree::Document::parse(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        let root = doc.root_element();
        let attr = |name: &str| root.attribute(name).and_then(|v| v.parse::<usize>().ok());
        let t = &report.totals;
        let bare_skips = report
            .scenarios
            .iter()
            .filter(|s| matches!(s.status, ScenarioStatus::Skipped { .. }) && s.expectations.is_empty())
            .count();
        prop_assert_eq!(attr("tests"), Some(t.expectations.total + t.scenarios.error + bare_skips));
        prop_assert_eq!(attr("failures"), Some(t.expectations.failed));
        prop_assert_eq!(attr("errors"), Some(t.scenarios.error));
        prop_assert_eq!(attr("skipped"), Some(t.expectations.skipped + bare_skips));
        let suites: Vec<&str> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .filter_map(|n| n.attribute("name"))
            .collect();
        prop_assert_eq!(suites.len(), report.scenarios.len());
    }

    #[test]
    fn markdown_is_a_prefix_within_its_limit(report in run(), limit in 500usize..6000) {
        let full = to_markdown(&report).unwrap();
        let cut = to_markdown_within(&report, limit).unwrap();
        let head_len = full.find("\n\n").map_or(full.len(), |i| i + 2);
        let head_len = full[head_len..].find("\n\n").map_or(full.len(), |i| head_len + i + 2);
        // Within the limit, unless the heading and totals (always written) are alone over it.
        prop_assert!(cut.len() <= limit.max(head_len + 400), "{} > {}", cut.len(), limit);
        let shown = cut.split_once("\n---\n\n").map_or(cut.as_str(), |(shown, _)| shown);
        prop_assert!(full.starts_with(shown));
    }

    #[test]
    fn any_split_into_shards_merges_back(report in run(), count in 1u32..5) {
        let shards: Vec<RunReport> = (1..=count)
            .filter_map(|k| Shard::new(k, count))
            .map(|shard| {
                let scenarios = report
                    .scenarios
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| shard.selects(*i))
                    .map(|(_, s)| s.clone())
                    .collect();
                RunReport::new(report.tool.clone(), report.args.clone(), Some(shard), scenarios).unwrap()
            })
            .collect();
        prop_assert_eq!(merge(shards).unwrap(), report);
    }

    #[test]
    fn markdown_renders_no_html(report in run()) {
        let prose = common::prose::outside_code(&to_markdown(&report).unwrap());
        for (i, c) in prose.match_indices(['<', '&']) {
            prop_assert!(prose[..i].ends_with('\\'), "unescaped {} in {:?}", c, prose);
        }
    }
}
