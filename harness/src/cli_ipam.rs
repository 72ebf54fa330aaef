//! `dualhome ipam plan`: the director's manual-network IPAM on a cloud config and a manifest.
//!
//! Exit codes: 0 planned, 2 invalid input (the error names file, line, column and rule, with a caret under the
//! value). Output is built completely before anything is printed, so an error never leaves half a table or half a
//! JSON document on stdout. `--lint` findings go to stderr, so `--format json` stays parseable.

use dualhome_ipam::{
    lint, parse_cloud_config, parse_manifest, parse_state, plan, render_table, Addr, At, Era, ErrorKind, IpamError,
    PlanInput,
};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::path::PathBuf;

/// `dualhome ipam` subcommands.
#[derive(clap::Subcommand)]
pub enum IpamCommand {
    /// Plan every instance's IPs and settings like the BOSH director does.
    Plan(PlanArgs),
}

/// Settings form to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EraArg {
    /// Director ≤ v280.1.3: IPv6 fully expanded, no `prefix`.
    #[value(name = "2018")]
    Y2018,
    /// Current director: IPv6 compressed, `prefix` present.
    Current,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Like `bosh instances`: Instance, AZ, IPs.
    Table,
    /// The director's settings JSON per instance.
    Json,
}

/// Arguments of `dualhome ipam plan`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanArgs {
    /// BOSH cloud config (YAML).
    #[arg(long)]
    pub cloud_config: PathBuf,
    /// Deployment manifest (YAML).
    #[arg(long)]
    pub manifest: PathBuf,
    /// An address of the director itself (never allocated in subnets of its family); repeatable.
    #[arg(long = "director-ip")]
    pub director_ips: Vec<String>,
    /// Previous allocations (a `--format json` output, or an array of them) to keep on redeploy.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Settings form.
    #[arg(long, value_enum, default_value = "current")]
    pub era: EraArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,
    /// Also report values the 2018 director or agent would mishandle (stderr).
    #[arg(long)]
    pub lint: bool,
}

/// Runs a `dualhome ipam` subcommand and returns the process exit code.
pub fn run(cmd: IpamCommand) -> u8 {
    let outcome = match cmd {
        IpamCommand::Plan(args) => execute(&args),
    };
    print!("{}", outcome.stdout);
    eprint!("{}", outcome.stderr);
    outcome.code
}

/// What a run prints and returns.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Complete standard output.
    pub stdout: String,
    /// Complete standard error.
    pub stderr: String,
    /// Exit code.
    pub code: u8,
}

/// Plans without printing.
pub fn execute(args: &PlanArgs) -> Outcome {
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut out = Outcome::default();
    match plan_to_text(args, &mut sources, &mut out.stderr) {
        Ok(text) => out.stdout = text,
        Err(Failure::Read(message)) => {
            out.stderr.push_str(&format!("error: {message}\n"));
            out.code = 2;
        }
        Err(Failure::Ipam(err)) => {
            out.stderr.push_str(&render_error(&err, &sources));
            out.code = 2;
        }
    }
    out
}

enum Failure {
    Read(String),
    Ipam(IpamError),
}

impl From<IpamError> for Failure {
    fn from(err: IpamError) -> Failure {
        Failure::Ipam(err)
    }
}

fn read(path: &PathBuf, sources: &mut Vec<(String, String)>) -> Result<(String, String), Failure> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Failure::Read(format!("cannot read {name}: {e}")))?;
    sources.push((name.clone(), text.clone()));
    Ok((name, text))
}

fn plan_to_text(args: &PlanArgs, sources: &mut Vec<(String, String)>, stderr: &mut String) -> Result<String, Failure> {
    let (cc_name, cc_text) = read(&args.cloud_config, sources)?;
    let (m_name, m_text) = read(&args.manifest, sources)?;
    let cloud_config = parse_cloud_config(&cc_name, &cc_text)?;
    let manifest = parse_manifest(&m_name, &m_text)?;
    let director_ips = args
        .director_ips
        .iter()
        .map(|text| {
            Addr::parse(text).ok_or_else(|| {
                let kind =
                    ErrorKind::RangeForm(dualhome_ipam::range_form::RangeFormError::InvalidIpOrCidr(text.clone()));
                IpamError::new(At::argument("--director-ip"), kind)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let state = match &args.state {
        None => None,
        Some(path) => {
            let (name, text) = read(path, sources)?;
            Some(parse_state(&name, &text)?)
        }
    };
    if args.lint {
        for finding in lint(&cloud_config, Some(&manifest), &director_ips) {
            stderr.push_str(&format!("{}: {}: {}\n", finding.at, finding.code, finding.message));
        }
    }
    let planned = plan(&PlanInput {
        cloud_config: &cloud_config,
        manifest: &manifest,
        director_ips: &director_ips,
        state: state.as_ref(),
    })?;
    let era = match args.era {
        EraArg::Y2018 => Era::Y2018,
        EraArg::Current => Era::Current,
    };
    Ok(match args.format {
        FormatArg::Table => render_table(&planned, era),
        FormatArg::Json => planned.settings(era).to_json(),
    })
}

/// A located error as a miette diagnostic: director text, rule as code, caret under the value.
#[derive(Debug)]
struct Located {
    err: IpamError,
    source: Option<NamedSource<String>>,
    span: Option<(usize, usize)>,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.err.at, self.err.kind)
    }
}

impl std::error::Error for Located {}

impl Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.err.kind.rule()))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (offset, len) = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some("here".into()),
            offset,
            len,
        ))))
    }
}

fn render_error(err: &IpamError, sources: &[(String, String)]) -> String {
    let text = sources.iter().find(|(name, _)| **name == *err.at.file).map(|(_, t)| t);
    let span = text.and_then(|t| span_of(&err.at, t));
    let diagnostic = Located {
        err: err.clone(),
        source: text.map(|t| NamedSource::new(&*err.at.file, t.clone())),
        span,
    };
    let mut rendered = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
    if handler.render_report(&mut rendered, &diagnostic).is_err() {
        rendered = format!("{diagnostic} [{}]\n", err.kind.rule());
    }
    rendered
}

/// Byte span of the offending value: the parser's offset, or one computed from line and column.
fn span_of(at: &At, text: &str) -> Option<(usize, usize)> {
    if let Some(offset) = at.offset.filter(|&o| o <= text.len()) {
        return Some((offset, at.len.min(text.len() - offset)));
    }
    let line = usize::try_from(at.line).ok()?.checked_sub(1)?;
    let column = usize::try_from(at.column).ok()?.checked_sub(1)?;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let line_text = text.get(line_start..)?.lines().next()?;
    let offset = line_start + line_text.char_indices().nth(column).map_or(line_text.len(), |(i, _)| i);
    Some((offset, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_args(format: FormatArg, era: EraArg) -> PlanArgs {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/seed");
        PlanArgs {
            cloud_config: root.join("cloud-config.yml"),
            manifest: root.join("manifest.yml"),
            director_ips: vec!["10.0.9.151".into()],
            state: None,
            era,
            format,
            lint: false,
        }
    }

    #[test]
    fn seed_table_matches_the_blog_post() {
        let out = execute(&seed_args(FormatArg::Table, EraArg::Y2018));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout
                .contains("nginx/0   z1  10.0.9.165\n              2601:0646:0100:69f1:0000:0000:0000:0165\n"),
            "{}",
            out.stdout
        );
    }

    #[test]
    fn json_is_the_settings_document() {
        let out = execute(&seed_args(FormatArg::Json, EraArg::Current));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let doc: Result<dualhome_ipam::SettingsDocument, _> = serde_json::from_str(&out.stdout);
        let ip = doc.ok().and_then(|d| d.instances[0].networks["ipv6"].ip.clone());
        assert_eq!(ip.as_deref(), Some("2601:646:100:69f1::165"));
    }

    #[test]
    fn invalid_input_exits_2_with_position_rule_and_caret_and_no_stdout() {
        let dir = std::env::temp_dir().join(format!("dualhome-cli-ipam-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let cc = dir.join("cc.yml");
        let m = dir.join("m.yml");
        let written = std::fs::write(
            &cc,
            "networks:\n- name: net_a\n  subnets:\n  - range: 192.168.0.0/24\n    gateway: 192.168.0.1\n    reserved: [192.168.0.5 - 192.168.0.10]\n    static: [192.168.0.5]\n",
        )
        .and_then(|()| std::fs::write(&m, "name: d\ninstance_groups: []\n"));
        assert!(written.is_ok());
        let mut args = seed_args(FormatArg::Table, EraArg::Current);
        args.cloud_config = cc.clone();
        args.manifest = m;
        let out = execute(&args);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(out.code, 2);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr
                .contains("Static IP '192.168.0.5/32' is in network 'net_a' reserved range"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("NetworkStaticIpOutOfRange 160006"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(&format!("{}:7:14", cc.display())), "{}", out.stderr);
    }

    #[test]
    fn missing_file_and_bad_director_ip_exit_2() {
        let mut args = seed_args(FormatArg::Table, EraArg::Current);
        args.manifest = PathBuf::from("/nonexistent/manifest.yml");
        assert_eq!(execute(&args).code, 2);
        let mut args = seed_args(FormatArg::Table, EraArg::Current);
        args.director_ips = vec!["10.0.9.300".into()];
        let out = execute(&args);
        assert_eq!((out.code, out.stdout.as_str()), (2, ""));
        assert!(
            out.stderr.contains("Invalid IP or CIDR format: 10.0.9.300"),
            "{}",
            out.stderr
        );
    }

    #[test]
    fn state_round_trip_keeps_the_plan_and_lint_goes_to_stderr() {
        let first = execute(&seed_args(FormatArg::Json, EraArg::Y2018));
        assert_eq!(first.code, 0, "{}", first.stderr);
        let path = std::env::temp_dir().join(format!("dualhome-cli-ipam-state-{}.json", std::process::id()));
        assert!(std::fs::write(&path, &first.stdout).is_ok());
        let mut args = seed_args(FormatArg::Json, EraArg::Y2018);
        args.state = Some(path.clone());
        args.lint = true;
        let again = execute(&args);
        let _ = std::fs::remove_file(&path);
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert_eq!(again.stdout, first.stdout);
        assert!(
            again.stderr.ends_with(": IPAM-DIRECTOR-IP-FAMILY-MISMATCH: director IP 10.0.9.151 is IPv4 but subnet 2601:0646:0100:69f1:0000:0000:0000:0000/64 is IPv6; directors before v282.0.10 restrict it here anyway\n"),
            "{}",
            again.stderr
        );
    }

    #[test]
    fn span_from_line_and_column() {
        let at = At {
            file: "f".into(),
            line: 2,
            column: 3,
            offset: None,
            len: 0,
        };
        assert_eq!(span_of(&at, "ab\ncdef\n"), Some((5, 1)));
    }
}
