//! Errors of loading a scenario: unreadable file, YAML/shape errors, and semantic problems found by validation.
//!
//! Every located error names the file, line and column in its message (so a log line or a JUnit failure is useful
//! on its own) and carries the source text and the byte span so miette draws a caret under the offending value.
//! Semantic problems carry the rule they break ([`Rule`], documented in docs/scenarios.md "Validation rules").

use super::located::Pos;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use std::fmt;
use std::sync::Arc;

/// A semantic rule a scenario can break. The code (`Rule::code`) is stable and documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Two nodes, two segments, or two services of a node share a name.
    DuplicateName,
    /// Two interfaces of one node share a name.
    DuplicateInterface,
    /// Two interfaces share a MAC address.
    DuplicateMac,
    /// A group (multicast) MAC on an interface.
    MulticastMac,
    /// Two flows share an id.
    DuplicateFlow,
    /// A reference to a segment that does not exist.
    UnknownSegment,
    /// A reference to a node that does not exist.
    UnknownNode,
    /// A reference to an interface the node does not have.
    UnknownInterface,
    /// A reference to a flow id no timeline action starts.
    UnknownFlow,
    /// A finding code no analyzer emits (checked when the caller supplies the codes).
    UnknownFinding,
    /// A node of the wrong kind (e.g. `attacker:` naming a host).
    WrongNodeKind,
    /// A BOSH VM index beyond the instance group's `instances`.
    InstanceOutOfRange,
    /// An address outside every prefix its segment declares.
    AddressOutsidePrefix,
    /// A time (`at`) after the scenario's `duration`.
    TimeAfterDuration,
    /// A timeline entry without `at`.
    MissingAt,
    /// A flow expectation checked (`at`) before its flow starts.
    CheckBeforeStart,
    /// A value this context requires is absent (a `tcp` probe's port, `dev` for a link-local next hop).
    MissingValue,
    /// A file referenced by path does not exist or cannot be read.
    FileNotFound,
    /// A referenced or inline BOSH document cannot be read as one.
    BadBoshInput,
    /// A radvd.conf that does not parse (or uses options the simulator does not model).
    BadRadvdConf,
    /// A cloud-config subnet's `cloud_properties.name` has no segment in `bosh.networks`, or a mapping names a
    /// port group no subnet uses.
    UnmappedNetwork,
    /// A manifest static IP outside its cloud-config network's subnets or static ranges.
    StaticIpOutsideCloudConfig,
    /// A value outside its allowed range (VLAN id, loss probability, scale factors, counts).
    OutOfRange,
    /// Router-advertisement parameters RFC 4861 §6.2.1 / RFC 4862 §5.5.3 forbid.
    RaParameters,
    /// `ra:` on a non-router interface, or both `ra:` and `radvd_conf` on one router.
    RaPlacement,
    /// A problem reported by an external check (the IPAM hook).
    External,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 26] = [
        Rule::DuplicateName,
        Rule::DuplicateInterface,
        Rule::DuplicateMac,
        Rule::MulticastMac,
        Rule::DuplicateFlow,
        Rule::UnknownSegment,
        Rule::UnknownNode,
        Rule::UnknownInterface,
        Rule::UnknownFlow,
        Rule::UnknownFinding,
        Rule::WrongNodeKind,
        Rule::InstanceOutOfRange,
        Rule::AddressOutsidePrefix,
        Rule::TimeAfterDuration,
        Rule::MissingAt,
        Rule::CheckBeforeStart,
        Rule::MissingValue,
        Rule::FileNotFound,
        Rule::BadBoshInput,
        Rule::BadRadvdConf,
        Rule::UnmappedNetwork,
        Rule::StaticIpOutsideCloudConfig,
        Rule::OutOfRange,
        Rule::RaParameters,
        Rule::RaPlacement,
        Rule::External,
    ];

    /// The stable kebab-case code (`unknown-segment`).
    pub fn code(self) -> &'static str {
        match self {
            Rule::DuplicateName => "duplicate-name",
            Rule::DuplicateInterface => "duplicate-interface",
            Rule::DuplicateMac => "duplicate-mac",
            Rule::MulticastMac => "multicast-mac",
            Rule::DuplicateFlow => "duplicate-flow",
            Rule::UnknownSegment => "unknown-segment",
            Rule::UnknownNode => "unknown-node",
            Rule::UnknownInterface => "unknown-interface",
            Rule::UnknownFlow => "unknown-flow",
            Rule::UnknownFinding => "unknown-finding",
            Rule::WrongNodeKind => "wrong-node-kind",
            Rule::InstanceOutOfRange => "instance-out-of-range",
            Rule::AddressOutsidePrefix => "address-outside-prefix",
            Rule::TimeAfterDuration => "time-after-duration",
            Rule::MissingAt => "missing-at",
            Rule::CheckBeforeStart => "check-before-start",
            Rule::MissingValue => "missing-value",
            Rule::FileNotFound => "file-not-found",
            Rule::BadBoshInput => "bad-bosh-input",
            Rule::BadRadvdConf => "bad-radvd-conf",
            Rule::UnmappedNetwork => "unmapped-network",
            Rule::StaticIpOutsideCloudConfig => "static-ip-outside-cloud-config",
            Rule::OutOfRange => "out-of-range",
            Rule::RaParameters => "ra-parameters",
            Rule::RaPlacement => "ra-placement",
            Rule::External => "external",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text of a scenario file, shared by all diagnostics about it.
#[derive(Clone)]
pub struct SourceFile {
    /// The name shown in messages (the path as given).
    pub name: String,
    /// The full text.
    pub text: Arc<str>,
    named: NamedSource<Arc<str>>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SourceFile {
    /// Wraps a file's name and text.
    pub fn new(name: &str, text: &str) -> SourceFile {
        let text: Arc<str> = Arc::from(text);
        SourceFile {
            name: name.to_owned(),
            named: NamedSource::new(name, Arc::clone(&text)),
            text,
        }
    }

    fn named(&self) -> NamedSource<Arc<str>> {
        self.named.clone()
    }

    fn span(&self, pos: &Pos) -> SourceSpan {
        let (start, len) = pos.byte_range(&self.text).unwrap_or((0, 0));
        SourceSpan::new(start.into(), len)
    }
}

/// One semantic problem: the rule broken, where, and what to do about it.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The rule broken.
    pub rule: Rule,
    /// The offending value's position.
    pub pos: Pos,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The short text under the caret.
    pub label: String,
    /// What to do about it.
    pub help: Option<String>,
    source: SourceFile,
}

impl Problem {
    /// A problem about the value at `pos` of `source`.
    pub fn new(source: &SourceFile, rule: Rule, pos: Pos, message: String, label: String) -> Problem {
        Problem {
            rule,
            pos,
            message,
            label,
            help: None,
            source: source.clone(),
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// The file name.
    pub fn file(&self) -> &str {
        &self.source.name
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.source.name, self.pos.line, self.pos.column, self.message
        )
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("scenario::{}", self.rule.code())))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.source.span(&self.pos);
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some(self.label.clone()),
            span,
        ))))
    }
}

/// A YAML syntax or shape error (boxed inside [`ScenarioError::Syntax`] to keep results small).
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
#[diagnostic(code(scenario::yaml))]
pub struct SyntaxError {
    /// The file name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// serde-saphyr's message, without its location suffix.
    pub message: String,
    /// The text, for the snippet.
    #[source_code]
    pub src: NamedSource<Arc<str>>,
    /// The offending token.
    #[label("here")]
    pub span: SourceSpan,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read scenario file: {source}")]
    #[diagnostic(code(scenario::io))]
    Io {
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Not YAML, or YAML of the wrong shape (unknown field, wrong type, malformed value).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(Box<SyntaxError>),

    /// Well-formed, but breaks semantic rules; every problem found is listed.
    #[error("{file}: {} problem{} in scenario", problems.len(), if problems.len() == 1 { "" } else { "s" })]
    #[diagnostic(code(scenario::invalid))]
    Invalid {
        /// The file name.
        file: String,
        /// The problems, in file order.
        #[related]
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// A YAML/shape error at `pos` of `source`.
    pub(crate) fn syntax(source: &SourceFile, pos: Pos, message: String) -> ScenarioError {
        ScenarioError::Syntax(Box::new(SyntaxError {
            file: source.name.clone(),
            line: pos.line,
            column: pos.column,
            message,
            src: source.named(),
            span: source.span(&pos),
        }))
    }

    /// The semantic problems, if this is a validation error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// Renders a diagnostic as miette's graphical report without colours at a fixed width — stable text for
/// snapshots, CI logs and JUnit failure messages.
pub fn render_plain(diagnostic: &dyn Diagnostic, width: usize) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        // Rendering into a String cannot fail on I/O; fall back to the one-line message if the handler refuses.
        out = diagnostic.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_codes_are_unique_and_kebab_case() {
        let mut codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Rule::ALL.len());
    }

    #[test]
    fn problem_renders_file_line_column_code_and_caret() {
        let text = "name: x\nsegment: vlan-z\n";
        let source = SourceFile::new("s.yml", text);
        let pos = Pos {
            line: 2,
            column: 10,
            offset: 17,
            len: 6,
        };
        let problem = Problem::new(
            &source,
            Rule::UnknownSegment,
            pos,
            "unknown segment `vlan-z`".into(),
            "no such segment".into(),
        );
        assert_eq!(problem.to_string(), "s.yml:2:10: unknown segment `vlan-z`");
        let rendered = render_plain(&problem, 80);
        assert!(rendered.contains("scenario::unknown-segment"), "{rendered}");
        assert!(rendered.contains("[s.yml:2:10]"), "{rendered}");
        assert!(rendered.contains("───┬──"), "{rendered}");
    }
}
