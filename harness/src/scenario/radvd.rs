//! radvd.conf files (`radvd_conf:` on a router), read into the same [`RaConfig`] as inline `ra:` blocks so the
//! simulator sees one representation.
//!
//! The subset of radvd.conf(5) understood: `interface NAME { … };` blocks with the interface options that have an
//! `RaConfig` field, `prefix`, `route`, `RDNSS` and `DNSSL` sub-blocks, `#` comments. Times are radvd's units
//! (seconds; `AdvReachableTime`/`AdvRetransTimer` in milliseconds). Options without a model here are rejected rather
//! than silently ignored, except `IgnoreIfMissing`, `AdvSourceLLAddress` and `AdvRouterAddr`, which do not change what
//! is sent in the simulation. An interface with `AdvSendAdvert off` is left out (radvd does not advertise on it).

use super::located::{Located, Pos};
use super::model::Scenario;
use super::ra::{Preference, RaConfig, RaDnssl, RaPrefix, RaRdnss, RaRoute};
use super::topology::Router;
use super::values::{Cidr, HumanDuration, IpLit, Lifetime};
use std::time::Duration;

/// A syntax or option error in a radvd.conf, with its 1-based position in that file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RadvdError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
struct Token<'a> {
    text: &'a str,
    line: usize,
    column: usize,
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let mut start: Option<usize> = None;
        for (col, ch) in line.char_indices().chain(std::iter::once((line.len(), ' '))) {
            let is_punct = matches!(ch, '{' | '}' | ';');
            if ch.is_whitespace() || is_punct {
                if let Some(s) = start.take() {
                    out.push(Token {
                        text: &line[s..col],
                        line: i + 1,
                        column: line[..s].chars().count() + 1,
                    });
                }
                if is_punct {
                    out.push(Token {
                        text: &line[col..col + 1],
                        line: i + 1,
                        column: line[..col].chars().count() + 1,
                    });
                }
            } else if start.is_none() {
                start = Some(col);
            }
        }
    }
    out
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    pos: Pos,
}

impl<'a> Parser<'a> {
    fn err(&self, tok: Option<&Token<'_>>, message: String) -> RadvdError {
        let (line, column) = tok.or(self.tokens.last()).map_or((1, 1), |t| (t.line, t.column));
        RadvdError { line, column, message }
    }

    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn take(&mut self, what: &str) -> Result<Token<'a>, RadvdError> {
        let tok = self
            .tokens
            .get(self.next)
            .cloned()
            .ok_or_else(|| self.err(None, format!("expected {what}, found end of file")))?;
        self.next += 1;
        Ok(tok)
    }

    fn expect(&mut self, punct: &str) -> Result<(), RadvdError> {
        let tok = self.take(&format!("`{punct}`"))?;
        if tok.text == punct {
            Ok(())
        } else {
            Err(self.err(Some(&tok), format!("expected `{punct}`, found `{}`", tok.text)))
        }
    }

    /// `NAME VALUE ;` → (name token, value token).
    fn option(&mut self) -> Result<(Token<'a>, Token<'a>), RadvdError> {
        let name = self.take("an option")?;
        let value = self.take("a value")?;
        self.expect(";")?;
        Ok((name, value))
    }

    /// Words up to `{` (the arguments of `prefix`, `RDNSS`, …).
    fn words_until_brace(&mut self) -> Result<Vec<Token<'a>>, RadvdError> {
        let mut words = Vec::new();
        while let Some(t) = self.peek() {
            if t.text == "{" {
                break;
            }
            words.push(self.take("a word")?);
        }
        self.expect("{")?;
        Ok(words)
    }

    fn at<T>(&self, value: T) -> Located<T> {
        Located::at(value, self.pos)
    }
}

fn flag(p: &Parser<'_>, tok: &Token<'_>) -> Result<bool, RadvdError> {
    match tok.text {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(p.err(Some(tok), format!("expected `on` or `off`, found `{other}`"))),
    }
}

fn seconds(p: &Parser<'_>, tok: &Token<'_>, scale: f64) -> Result<HumanDuration, RadvdError> {
    let v: f64 = tok
        .text
        .parse()
        .map_err(|_| p.err(Some(tok), format!("expected a number, found `{}`", tok.text)))?;
    if !(v.is_finite() && v >= 0.0 && v * scale < 1e9) {
        return Err(p.err(Some(tok), format!("`{}` is out of range", tok.text)));
    }
    // Millisecond resolution is all radvd.conf can express.
    Ok(HumanDuration(
        Duration::from_millis((v * scale * 1000.0).round() as u64),
    ))
}

fn lifetime(p: &Parser<'_>, tok: &Token<'_>) -> Result<Lifetime, RadvdError> {
    if tok.text == "infinity" {
        return Ok(Lifetime::Infinity);
    }
    seconds(p, tok, 1.0).map(Lifetime::Finite)
}

fn preference(p: &Parser<'_>, tok: &Token<'_>) -> Result<Preference, RadvdError> {
    match tok.text {
        "low" => Ok(Preference::Low),
        "medium" => Ok(Preference::Medium),
        "high" => Ok(Preference::High),
        other => Err(p.err(Some(tok), format!("expected low, medium or high, found `{other}`"))),
    }
}

fn number<T: std::str::FromStr>(p: &Parser<'_>, tok: &Token<'_>) -> Result<T, RadvdError> {
    tok.text
        .parse()
        .map_err(|_| p.err(Some(tok), format!("expected an integer, found `{}`", tok.text)))
}

fn cidr(p: &Parser<'_>, tok: &Token<'_>) -> Result<Cidr, RadvdError> {
    tok.text.parse().map_err(|e: String| p.err(Some(tok), e))
}

fn unsupported(p: &Parser<'_>, tok: &Token<'_>, block: &str) -> RadvdError {
    p.err(Some(tok), format!("unsupported {block} option `{}`", tok.text))
}

/// Parses a radvd.conf. Values get `pos` (the `radvd_conf:` value in the scenario) as their position, so problems
/// found later point at the reference to the file. Returns `(interface, config)` pairs in file order.
pub fn parse_radvd_conf(text: &str, pos: Pos) -> Result<Vec<(String, RaConfig)>, RadvdError> {
    let mut p = Parser {
        tokens: tokenize(text),
        next: 0,
        pos,
    };
    let mut out = Vec::new();
    while let Some(tok) = p.peek().cloned() {
        if tok.text != "interface" {
            return Err(p.err(Some(&tok), format!("expected `interface`, found `{}`", tok.text)));
        }
        p.next += 1;
        let name = p.take("an interface name")?;
        p.expect("{")?;
        let (config, send) = interface_body(&mut p)?;
        p.expect(";")?;
        if send {
            out.push((name.text.to_owned(), config));
        }
    }
    Ok(out)
}

fn interface_body(p: &mut Parser<'_>) -> Result<(RaConfig, bool), RadvdError> {
    let mut ra = RaConfig::default();
    let mut send = true;
    loop {
        let Some(tok) = p.peek().cloned() else {
            return Err(p.err(None, "expected `}`, found end of file".into()));
        };
        match tok.text {
            "}" => {
                p.next += 1;
                return Ok((ra, send));
            }
            "prefix" | "route" | "RDNSS" | "DNSSL" => {
                p.next += 1;
                sub_block(p, &tok, &mut ra)?;
                continue;
            }
            _ => {}
        }
        let (name, value) = p.option()?;
        match name.text {
            "AdvSendAdvert" => send = flag(p, &value)?,
            "MinRtrAdvInterval" => ra.min_interval = Some(p.at(seconds(p, &value, 1.0)?)),
            "MaxRtrAdvInterval" => ra.max_interval = Some(p.at(seconds(p, &value, 1.0)?)),
            "AdvDefaultLifetime" => ra.default_lifetime = Some(p.at(seconds(p, &value, 1.0)?)),
            "AdvDefaultPreference" => ra.preference = Some(preference(p, &value)?),
            "AdvCurHopLimit" => ra.cur_hop_limit = Some(number(p, &value)?),
            "AdvManagedFlag" => ra.managed = Some(flag(p, &value)?),
            "AdvOtherConfigFlag" => ra.other_config = Some(flag(p, &value)?),
            "AdvReachableTime" => ra.reachable_time = Some(seconds(p, &value, 0.001)?),
            "AdvRetransTimer" => ra.retrans_timer = Some(seconds(p, &value, 0.001)?),
            // radvd: 0 means "no MTU option".
            "AdvLinkMTU" => ra.mtu = Some(number::<u32>(p, &value)?).filter(|m| *m != 0).map(|m| p.at(m)),
            "IgnoreIfMissing" | "AdvSourceLLAddress" => {
                flag(p, &value)?;
            }
            _ => return Err(unsupported(p, &name, "interface")),
        }
    }
}

fn sub_block(p: &mut Parser<'_>, kind: &Token<'_>, ra: &mut RaConfig) -> Result<(), RadvdError> {
    let args = p.words_until_brace()?;
    let first = args
        .first()
        .cloned()
        .ok_or_else(|| p.err(Some(kind), format!("`{}` needs an argument", kind.text)))?;
    let mut prefix = RaPrefix {
        prefix: p.at(Cidr(ipnet::IpNet::default())),
        on_link: None,
        autonomous: None,
        valid_lifetime: None,
        preferred_lifetime: None,
    };
    let mut route = RaRoute {
        prefix: p.at(Cidr(ipnet::IpNet::default())),
        preference: Preference::Medium,
        lifetime: None,
    };
    let mut block_lifetime = None;
    match kind.text {
        "prefix" => prefix.prefix = p.at(cidr(p, &first)?),
        "route" => route.prefix = p.at(cidr(p, &first)?),
        _ => {}
    }
    while p.peek().is_some_and(|t| t.text != "}") {
        let (name, value) = p.option()?;
        match (kind.text, name.text) {
            ("prefix", "AdvOnLink") => prefix.on_link = Some(flag(p, &value)?),
            ("prefix", "AdvAutonomous") => prefix.autonomous = Some(flag(p, &value)?),
            ("prefix", "AdvValidLifetime") => prefix.valid_lifetime = Some(p.at(lifetime(p, &value)?)),
            ("prefix", "AdvPreferredLifetime") => prefix.preferred_lifetime = Some(p.at(lifetime(p, &value)?)),
            ("prefix", "AdvRouterAddr") => {
                flag(p, &value)?;
            }
            ("route", "AdvRoutePreference") => route.preference = preference(p, &value)?,
            ("route", "AdvRouteLifetime") => route.lifetime = Some(lifetime(p, &value)?),
            ("RDNSS", "AdvRDNSSLifetime") | ("DNSSL", "AdvDNSSLLifetime") => {
                block_lifetime = Some(lifetime(p, &value)?)
            }
            _ => return Err(unsupported(p, &name, kind.text)),
        }
    }
    p.expect("}")?;
    p.expect(";")?;
    match kind.text {
        "prefix" => ra.prefixes.push(prefix),
        "route" => ra.routes.push(route),
        "RDNSS" => {
            let servers = args
                .iter()
                .map(|t| {
                    t.text
                        .parse::<IpLit>()
                        .map(|ip| p.at(ip))
                        .map_err(|e| p.err(Some(t), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            ra.rdnss.push(RaRdnss {
                servers,
                lifetime: block_lifetime,
            });
        }
        _ => ra.dnssl.push(RaDnssl {
            domains: args.iter().map(|t| t.text.to_owned()).collect(),
            lifetime: block_lifetime,
        }),
    }
    Ok(())
}

/// Why a router's RA configuration could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RouterRaError {
    /// The radvd.conf could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The resolved path.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The radvd.conf is malformed.
    #[error("{path}: {source}")]
    Parse {
        /// The path as written.
        path: String,
        /// The error.
        #[source]
        source: RadvdError,
    },
}

/// A router's RA configuration per interface, from its inline `ra:` blocks or its `radvd_conf`.
pub fn router_ra_configs(scenario: &Scenario, router: &Router) -> Result<Vec<(String, RaConfig)>, RouterRaError> {
    if let Some(path) = &router.radvd_conf {
        let full = scenario.resolve_path(&path.value);
        let text = std::fs::read_to_string(&full).map_err(|source| RouterRaError::Read { path: full, source })?;
        return parse_radvd_conf(&text, path.pos).map_err(|source| RouterRaError::Parse {
            path: path.value.clone(),
            source,
        });
    }
    let inline = router
        .interfaces
        .iter()
        .filter_map(|i| i.ra.as_ref().map(|ra| (i.name.value.clone(), ra.value.clone())));
    Ok(inline.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "# lab router\ninterface eth1 {\n    AdvSendAdvert on;\n    MinRtrAdvInterval 3;\n    MaxRtrAdvInterval 10;\n    AdvDefaultLifetime 0;\n    AdvDefaultPreference high;\n    AdvReachableTime 30000;\n    AdvLinkMTU 1500;\n    prefix 2601:646:100:69f0::/64 {\n        AdvOnLink on;\n        AdvAutonomous on;\n        AdvValidLifetime infinity;\n        AdvPreferredLifetime 3600;\n    };\n    route 2001:db8::/32 { AdvRoutePreference low; AdvRouteLifetime 1800; };\n    RDNSS 2001:4860:4860::8888 2001:4860:4860::8844 { AdvRDNSSLifetime 600; };\n    DNSSL example.net lab.example.net { };\n};\ninterface eth2 { AdvSendAdvert off; };\n";

    #[test]
    fn parses_interface_prefix_route_rdnss_dnssl() -> Result<(), RadvdError> {
        let parsed = parse_radvd_conf(CONF, Pos::UNKNOWN)?;
        assert_eq!(parsed.len(), 1, "AdvSendAdvert off leaves eth2 out");
        let (name, ra) = &parsed[0];
        assert_eq!(name, "eth1");
        assert_eq!(
            ra.max_interval.as_ref().map(|d| d.value.0),
            Some(Duration::from_secs(10))
        );
        assert_eq!(ra.default_lifetime.as_ref().map(|d| d.value.0), Some(Duration::ZERO));
        assert_eq!(ra.preference, Some(Preference::High));
        assert_eq!(ra.reachable_time, Some(HumanDuration(Duration::from_secs(30))));
        assert_eq!(ra.mtu.as_ref().map(|m| m.value), Some(1500));
        let pfx = &ra.prefixes[0];
        assert_eq!(pfx.prefix.value.to_string(), "2601:646:100:69f0::/64");
        assert_eq!(pfx.valid_lifetime.as_ref().map(|l| l.value), Some(Lifetime::Infinity));
        assert_eq!(
            (
                ra.routes[0].preference,
                ra.rdnss[0].servers.len(),
                ra.dnssl[0].domains.len()
            ),
            (Preference::Low, 2, 2)
        );
        Ok(())
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = parse_radvd_conf("interface eth0 {\n  AdvSendAdvert maybe;\n};\n", Pos::UNKNOWN);
        assert_eq!(err.map_err(|e| (e.line, e.column)), Err((2, 17)));
        let err = parse_radvd_conf("interface eth0 {\n  AdvHomeAgentFlag on;\n};\n", Pos::UNKNOWN);
        assert!(err.is_err_and(|e| e.message.contains("unsupported interface option `AdvHomeAgentFlag`")));
        let err = parse_radvd_conf("interface eth0 {\n  prefix 10.0.0/8 { };\n};\n", Pos::UNKNOWN);
        assert!(err.is_err_and(|e| e.line == 2 && e.message.contains("malformed CIDR")));
        assert!(parse_radvd_conf("interface eth0 {\n", Pos::UNKNOWN).is_err());
        assert!(parse_radvd_conf("eth0 { };", Pos::UNKNOWN).is_err());
    }
}
