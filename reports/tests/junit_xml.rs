//! The JUnit XML report, parsed back with an independent XML parser (roxmltree): counts, names, failure texts,
//! skip reasons, errors of scenarios that could not run, properties and findings.

mod common;

use dualhome_reports::junit::to_junit;
use dualhome_reports::{write_reports, Format, Formats};
use roxmltree::{Document, Node};

fn attr<'a>(node: Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no `{name}`", node.tag_name().name()))
}

fn count(node: Node<'_, '_>, name: &str) -> usize {
    attr(node, name).parse().unwrap()
}

fn children<'a, 'i>(node: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |n| n.has_tag_name(tag))
}

fn suite<'a, 'i>(doc: &'a Document<'i>, file: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(file))
        .unwrap_or_else(|| panic!("no testsuite {file}"))
}

#[test]
fn totals_count_tests_failures_errors_and_skips() {
    let xml = to_junit(&common::whole_run()).unwrap();
    let doc = Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(attr(root, "name"), "dualhome");
    // 3 + 2 + 1 + 2 expectations, + an error case for the errored scenario + a skip case for the skipped one.
    assert_eq!(count(root, "tests"), 10);
    assert_eq!(count(root, "failures"), 3);
    assert_eq!(count(root, "errors"), 1);
    assert_eq!(count(root, "skipped"), 3);

    // One suite per scenario file, in file order.
    let names: Vec<&str> = children(root, "testsuite").map(|s| attr(s, "name")).collect();
    assert_eq!(
        names,
        [
            "scenarios/ipam/large-reserved-range.yml",
            "scenarios/kernel/netns-parity.yml",
            "scenarios/ra/rogue-router.yml",
            "scenarios/seed/dual-nic-offlink.yml",
            "scenarios/transport/ssh-reset.yml",
        ]
    );
    // Per-suite counts agree with the cases each holds.
    for s in children(root, "testsuite") {
        let cases: Vec<Node> = children(s, "testcase").collect();
        let with = |tag: &str| cases.iter().filter(|c| children(**c, tag).next().is_some()).count();
        assert_eq!(count(s, "tests"), cases.len(), "{}", attr(s, "name"));
        assert_eq!(count(s, "failures"), with("failure"));
        assert_eq!(count(s, "errors"), with("error"));
        assert_eq!(count(s, "skipped"), with("skipped"));
    }
    // Deterministic: no wall-clock attributes anywhere.
    assert!(doc
        .descendants()
        .all(|n| n.attribute("time").is_none() && n.attribute("timestamp").is_none()));
}

#[test]
fn a_failed_expectation_says_expected_and_observed() {
    let xml = to_junit(&common::whole_run()).unwrap();
    let doc = Document::parse(&xml).unwrap();
    let rogue = suite(&doc, "scenarios/ra/rogue-router.yml");
    let case = children(rogue, "testcase")
        .find(|c| attr(*c, "name").starts_with("expect@66"))
        .unwrap();
    assert_eq!(
        attr(case, "name"),
        "expect@66: vm/0 routes 2001:db8:9::1 via the designated gateway"
    );
    assert_eq!(attr(case, "classname"), "scenarios/ra/rogue-router.yml");
    let failure = children(case, "failure").next().unwrap();
    assert_eq!(
        attr(failure, "message"),
        "expected dev eth1 via fe80::1 src 2001:db8:1::10, observed dev eth1 via fe80::bad src 2001:db8:1::10"
    );
    assert_eq!(attr(failure, "type"), "route-get");
    let text = failure.text().unwrap();
    assert!(text.contains("at: 4.5 s\n"), "{text}");
    assert!(
        text.contains("location: scenarios/ra/rogue-router.yml:66:5\n"),
        "{text}"
    );
    // The passing case has no failure child.
    let passed = children(rogue, "testcase")
        .find(|c| attr(*c, "name").starts_with("expect@61"))
        .unwrap();
    assert_eq!(passed.children().filter(|n| n.is_element()).count(), 0);
}

#[test]
fn markup_in_values_is_escaped_and_read_back_verbatim() {
    let xml = to_junit(&common::whole_run()).unwrap();
    let doc = Document::parse(&xml).unwrap();
    let ssh = suite(&doc, "scenarios/transport/ssh-reset.yml");
    let failure = ssh.descendants().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(
        attr(failure, "message"),
        "expected no RST | FIN before t=61 s, observed RST from 10.0.1.1 | seq=1 & `ack` <none>"
    );
    let skipped = ssh.descendants().find(|n| n.has_tag_name("skipped")).unwrap();
    assert_eq!(attr(skipped, "message"), "captures disabled by --format");
}

#[test]
fn scenarios_that_did_not_run_get_an_error_or_a_skip() {
    let xml = to_junit(&common::whole_run()).unwrap();
    let doc = Document::parse(&xml).unwrap();

    let hang = suite(&doc, "scenarios/ipam/large-reserved-range.yml");
    let error_case = children(hang, "testcase")
        .find(|c| children(*c, "error").next().is_some())
        .unwrap();
    assert_eq!(
        attr(error_case, "name"),
        "scenario: 2018 director hangs on a /64 reserved range"
    );
    let error = children(error_case, "error").next().unwrap();
    assert!(attr(error, "message").starts_with("deploy step `ipam` did not finish"));
    assert_eq!(attr(error, "type"), "scenario-error");
    // Its never-evaluated expectation is listed as skipped.
    assert_eq!(count(hang, "skipped"), 1);

    let kernel = suite(&doc, "scenarios/kernel/netns-parity.yml");
    let case = children(kernel, "testcase").next().unwrap();
    let skipped = children(case, "skipped").next().unwrap();
    assert_eq!(attr(skipped, "message"), "the kernel backend needs CAP_NET_ADMIN");
}

#[test]
fn suites_carry_run_facts_and_findings() {
    let xml = to_junit(&common::whole_run()).unwrap();
    let doc = Document::parse(&xml).unwrap();
    let rogue = suite(&doc, "scenarios/ra/rogue-router.yml");
    let properties: Vec<(&str, &str)> = rogue
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .map(|p| (attr(p, "name"), attr(p, "value")))
        .collect();
    assert_eq!(
        properties,
        [
            ("scenario", "rogue RA takes the default route"),
            ("seed", "18446744073709551615"),
            ("backend", "sim"),
            ("simulated_ns", "10000000000"),
            ("events", "18204"),
            ("frames", "3117"),
            ("tags", "ipv6,ra,security"),
            ("capture.v6-net", "ra/rogue-router/v6-net.pcapng"),
            ("capture.v4-net", "ra/rogue-router/v4-net.pcapng"),
            ("trace", "ra/rogue-router/trace.txt"),
        ]
    );
    let out = children(rogue, "system-out").next().unwrap().text().unwrap();
    assert!(out.starts_with(
        "error DH-RA-MITM: RAs accepted from a router that is not the designated gateway\n  \
         at scenarios/ra/rogue-router.yml:20:9 at vm/0 eth1\n"
    ));
    assert!(out.contains("  | default via fe80::bad dev eth1 proto ra metric 1024"));
    assert!(out.contains("warning DH-REDIRECT-ACCEPTED: ICMPv6 redirects accepted\n"));
    // A scenario without findings has no system-out.
    let kernel = suite(&doc, "scenarios/kernel/netns-parity.yml");
    assert!(children(kernel, "system-out").next().is_none());
}

#[test]
fn write_reports_puts_the_same_junit_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let report = common::whole_run();
    let formats = Formats::parse("junit").unwrap();
    let written = write_reports(&report, dir.path(), &formats).unwrap();
    assert_eq!(written, [dir.path().join(Format::Junit.file_name())]);
    let on_disk = std::fs::read_to_string(&written[0]).unwrap();
    assert_eq!(on_disk, to_junit(&report).unwrap());
    assert!(on_disk.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
}
