//! Semantic validation: everything a well-formed scenario can still get wrong.
//!
//! Contract: [`validate`] never stops at the first problem; it returns every problem it finds, sorted by position,
//! each naming the rule it breaks ([`Rule`]) and the offending value's position. It reads files the scenario
//! references (BOSH inputs, radvd.conf) but nothing else, and it never panics on user input.
//!
//! The passes: the node index (names, interfaces, MACs, segments, prefixes), BOSH inputs (files, port-group
//! mapping, static IPs, then the optional external [`BoshInputCheck`]), configuration values (RA parameters,
//! ranges, routes, firewalls, sysctls), then timeline and expectation references and times.

mod bosh;
mod config;
mod index;
mod refs;

pub use bosh::{BoshInputCheck, BoshInputProblem, BoshInputs};

use super::error::{Problem, Rule, SourceFile};
use super::expect::Expectation;
use super::loader::LoadOptions;
use super::located::{Located, Pos};
use super::model::Scenario;
use super::values::HumanDuration;
use index::NodeIndex;
use std::collections::BTreeMap;

/// Collects problems about one scenario text.
pub(crate) struct Ctx<'a> {
    pub(crate) source: &'a SourceFile,
    pub(crate) scenario: &'a Scenario,
    pub(crate) problems: Vec<Problem>,
}

impl Ctx<'_> {
    /// Records a problem.
    pub(crate) fn report(&mut self, rule: Rule, pos: Pos, message: String, label: impl Into<String>) {
        self.problems
            .push(Problem::new(self.source, rule, pos, message, label.into()));
    }

    /// Records a problem with a hint.
    pub(crate) fn report_help(
        &mut self,
        rule: Rule,
        pos: Pos,
        message: String,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.problems
            .push(Problem::new(self.source, rule, pos, message, label.into()).with_help(help));
    }
}

/// Validates a parsed scenario against its source text. Returns every problem, in file order.
pub fn validate(scenario: &Scenario, source: &SourceFile, options: &LoadOptions<'_>) -> Vec<Problem> {
    let mut ctx = Ctx {
        source,
        scenario,
        problems: Vec::new(),
    };
    let views = bosh::load_views(&mut ctx);
    let index = NodeIndex::build(&mut ctx, views.manifest.as_ref());
    bosh::check(&mut ctx, &index, &views, options.bosh_check);
    config::check(&mut ctx, &index);
    refs::check_vm_macs(&mut ctx, &index);
    refs::check_timeline(&mut ctx, &index);
    refs::check_expectations(&mut ctx, &index, options.finding_codes);
    check_times(&mut ctx);
    let mut problems = ctx.problems;
    problems.sort_by_key(|p| (p.pos.line, p.pos.column, p.rule));
    problems
}

/// Every `at` within `duration`; every timeline entry has an `at`.
fn check_times(ctx: &mut Ctx<'_>) {
    let scenario = ctx.scenario;
    let duration = &scenario.duration;
    let after = |at: &Located<HumanDuration>| at.value > duration.value;
    for entry in &scenario.timeline {
        match &entry.at {
            None => ctx.report_help(
                Rule::MissingAt,
                entry.pos,
                "timeline entry has no `at`".to_owned(),
                "when does this happen?",
                "add `at: <duration>` to the entry, e.g. `- at: 10s`",
            ),
            Some(at) if after(at) => report_late(ctx, at, duration),
            Some(_) => {}
        }
    }
    for entry in &scenario.expect {
        if let Some(at) = entry.at.as_ref().filter(|at| after(at)) {
            report_late(ctx, at, duration);
        }
    }
    check_flow_times(ctx);
}

/// Flow expectations must be observable: not checked before the flow starts, and a survival window that ends
/// inside the run.
fn check_flow_times(ctx: &mut Ctx<'_>) {
    let scenario = ctx.scenario;
    let starts: BTreeMap<&str, HumanDuration> = scenario
        .timeline
        .iter()
        .filter_map(|e| Some((e.action.flow_id()?.value.as_str(), e.at.as_ref()?.value)))
        .collect();
    for entry in &scenario.expect {
        let flow = match &entry.expectation {
            Expectation::Established(f) => &f.flow,
            Expectation::ResetWithin(f) => &f.flow,
            Expectation::Survives(f) => &f.flow,
            Expectation::Path(p) => &p.flow,
            _ => continue,
        };
        let Some(start) = starts.get(flow.value.as_str()) else {
            continue;
        };
        if let Some(at) = entry.at.as_ref().filter(|at| at.value < *start) {
            ctx.report_help(
                Rule::CheckBeforeStart,
                at.pos,
                format!(
                    "checked at {}, before flow `{}` starts at {start}",
                    at.value, flow.value
                ),
                "before the flow exists",
                "move `at` after the flow's start, or drop it to check at the end of the run",
            );
        }
        if let Expectation::Survives(f) = &entry.expectation {
            let end = HumanDuration(start.0.saturating_add(f.for_.value.0));
            if end > scenario.duration.value {
                ctx.report_help(
                    Rule::TimeAfterDuration,
                    f.for_.pos,
                    format!(
                        "flow `{}` starts at {start}; surviving {} ends at {end}, after `duration: {}`",
                        flow.value, f.for_.value, scenario.duration.value
                    ),
                    "window ends after the run",
                    "shorten `for` or raise `duration`",
                );
            }
        }
    }
}

fn report_late(ctx: &mut Ctx<'_>, at: &Located<HumanDuration>, duration: &Located<HumanDuration>) {
    ctx.report_help(
        Rule::TimeAfterDuration,
        at.pos,
        format!(
            "`at: {}` is after the scenario's `duration: {}`",
            at.value, duration.value
        ),
        "after the end of the run",
        format!("raise `duration` (line {}) or move this earlier", duration.pos.line),
    );
}
