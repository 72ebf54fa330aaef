//! A `radvd.conf` reader (radvd.conf(5), radvd's `scanner.l`/`gram.y`): `interface NAME { … };` blocks with the
//! interface options, `prefix`, `route`, `RDNSS` and `DNSSL` blocks, `#` comments. Keywords are case-sensitive
//! as in radvd. Every error carries `file:line:column`, and a value radvd would reject (ranges of RFC 4861
//! §6.2.1) is rejected here too, pointing at the interface block.
//!
//! Not supported (an error names them): `clients`, `AdvRASrcAddress`, `Base6Interface`/`Base6to4Interface`,
//! `abro`, `lowpanco`, `nat64prefix`, `AdvIntervalOpt`, `AdvHomeAgentInfo` and the other Mobile IPv6 timers.

use std::net::Ipv6Addr;
use std::time::Duration;

use super::config::{DnsslConfig, PrefixConfig, RaIfaceConfig, RdnssConfig, RouteConfig, INFINITY};
use crate::wire::RouterPreference;

/// A radvd.conf error with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {msg}")]
pub struct ConfError {
    /// The file name as given.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub col: u32,
    /// What is wrong.
    pub msg: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: u32,
    col: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Open,
    Close,
    Semi,
}

struct Lexer<'a> {
    toks: Vec<(Tok<'a>, Pos)>,
    at: usize,
    end: Pos,
    file: &'a str,
}

fn lex<'a>(file: &'a str, text: &'a str) -> Lexer<'a> {
    let mut toks = Vec::new();
    let (mut line, mut col) = (1u32, 1u32);
    let mut word: Option<(usize, Pos)> = None;
    let mut comment = false;
    for (i, c) in text.char_indices() {
        let pos = Pos { line, col };
        let special = c.is_whitespace() || matches!(c, '{' | '}' | ';' | '#');
        if !comment && special {
            if let Some((start, p)) = word.take() {
                toks.push((Tok::Word(&text[start..i]), p));
            }
        }
        if comment {
            comment = c != '\n';
        } else {
            match c {
                '#' => comment = true,
                '{' => toks.push((Tok::Open, pos)),
                '}' => toks.push((Tok::Close, pos)),
                ';' => toks.push((Tok::Semi, pos)),
                c if c.is_whitespace() => {}
                _ => {
                    if word.is_none() {
                        word = Some((i, pos));
                    }
                }
            }
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    if let Some((start, p)) = word {
        toks.push((Tok::Word(&text[start..]), p));
    }
    Lexer {
        toks,
        at: 0,
        end: Pos { line, col },
        file,
    }
}

impl<'a> Lexer<'a> {
    fn err(&self, pos: Pos, msg: impl Into<String>) -> ConfError {
        ConfError {
            file: self.file.to_string(),
            line: pos.line,
            col: pos.col,
            msg: msg.into(),
        }
    }

    fn peek(&self) -> Option<&(Tok<'a>, Pos)> {
        self.toks.get(self.at)
    }

    fn next(&mut self, what: &str) -> Result<(Tok<'a>, Pos), ConfError> {
        let t = self
            .toks
            .get(self.at)
            .cloned()
            .ok_or_else(|| self.err(self.end, format!("unexpected end of file, expected {what}")))?;
        self.at += 1;
        Ok(t)
    }

    fn word(&mut self, what: &str) -> Result<(&'a str, Pos), ConfError> {
        match self.next(what)? {
            (Tok::Word(w), p) => Ok((w, p)),
            (t, p) => Err(self.err(p, format!("expected {what}, found {}", show(&t)))),
        }
    }

    fn expect(&mut self, want: Tok<'static>) -> Result<Pos, ConfError> {
        let what = show(&want);
        let (t, p) = self.next(what)?;
        if t == want {
            Ok(p)
        } else {
            Err(self.err(p, format!("expected {what}, found {}", show(&t))))
        }
    }

    /// `value ;`
    fn value(&mut self, key: &str) -> Result<(&'a str, Pos), ConfError> {
        let v = self.word(&format!("a value for {key}"))?;
        self.expect(Tok::Semi)?;
        Ok(v)
    }
}

fn show(t: &Tok<'_>) -> &'static str {
    match t {
        Tok::Word(_) => "a word",
        Tok::Open => "'{'",
        Tok::Close => "'}'",
        Tok::Semi => "';'",
    }
}

fn boolean(lx: &Lexer<'_>, (v, p): (&str, Pos)) -> Result<bool, ConfError> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(lx.err(p, format!("expected on or off, found {v:?}"))),
    }
}

fn number<T: std::str::FromStr>(lx: &Lexer<'_>, (v, p): (&str, Pos)) -> Result<T, ConfError> {
    v.parse()
        .map_err(|_| lx.err(p, format!("expected a number in range, found {v:?}")))
}

fn seconds(lx: &Lexer<'_>, (v, p): (&str, Pos)) -> Result<Duration, ConfError> {
    let s: f64 = number(lx, (v, p))?;
    Duration::try_from_secs_f64(s).map_err(|_| lx.err(p, format!("expected a number of seconds, found {v:?}")))
}

fn lifetime(lx: &Lexer<'_>, (v, p): (&str, Pos)) -> Result<u32, ConfError> {
    if v == "infinity" {
        return Ok(INFINITY);
    }
    number(lx, (v, p))
}

fn preference(lx: &Lexer<'_>, (v, p): (&str, Pos)) -> Result<RouterPreference, ConfError> {
    match v {
        "low" => Ok(RouterPreference::Low),
        "medium" => Ok(RouterPreference::Medium),
        "high" => Ok(RouterPreference::High),
        _ => Err(lx.err(p, format!("expected low, medium or high, found {v:?}"))),
    }
}

fn boolean_of(lx: &mut Lexer<'_>, key: &str) -> Result<bool, ConfError> {
    let v = lx.value(key)?;
    boolean(lx, v)
}

fn number_of<T: std::str::FromStr>(lx: &mut Lexer<'_>, key: &str) -> Result<T, ConfError> {
    let v = lx.value(key)?;
    number(lx, v)
}

fn seconds_of(lx: &mut Lexer<'_>, key: &str) -> Result<Duration, ConfError> {
    let v = lx.value(key)?;
    seconds(lx, v)
}

fn lifetime_of(lx: &mut Lexer<'_>, key: &str) -> Result<u32, ConfError> {
    let v = lx.value(key)?;
    lifetime(lx, v)
}

fn preference_of(lx: &mut Lexer<'_>, key: &str) -> Result<RouterPreference, ConfError> {
    let v = lx.value(key)?;
    preference(lx, v)
}

fn prefix(lx: &Lexer<'_>, (v, p): (&str, Pos), max_len: u8) -> Result<(Ipv6Addr, u8), ConfError> {
    let bad = || lx.err(p, format!("expected an IPv6 prefix ADDR/LEN, found {v:?}"));
    let (a, l) = v.split_once('/').ok_or_else(bad)?;
    let addr: Ipv6Addr = a.parse().map_err(|_| bad())?;
    let len: u8 = l.parse().map_err(|_| bad())?;
    if len > max_len {
        return Err(lx.err(p, format!("prefix length {len} is over {max_len}")));
    }
    Ok((addr, len))
}

/// Reads the `{ KEY VALUE; … };` body of a prefix/route/RDNSS/DNSSL block, handing each option to `set`.
fn block<'a>(
    lx: &mut Lexer<'a>,
    mut set: impl FnMut(&mut Lexer<'a>, &'a str, Pos) -> Result<(), ConfError>,
) -> Result<(), ConfError> {
    lx.expect(Tok::Open)?;
    loop {
        match lx.next("an option or '}'")? {
            (Tok::Close, _) => break,
            (Tok::Word(key), p) => set(lx, key, p)?,
            (t, p) => return Err(lx.err(p, format!("expected an option, found {}", show(&t)))),
        }
    }
    lx.expect(Tok::Semi)?;
    Ok(())
}

fn prefix_block(lx: &mut Lexer<'_>) -> Result<PrefixConfig, ConfError> {
    let w = lx.word("a prefix")?;
    let (addr, len) = prefix(lx, w, 128)?;
    let mut p = PrefixConfig::new(addr, len);
    block(lx, |lx, key, kp| {
        match key {
            "AdvOnLink" => p.on_link = boolean_of(lx, key)?,
            "AdvAutonomous" => p.autonomous = boolean_of(lx, key)?,
            "AdvRouterAddr" => p.router_addr = boolean_of(lx, key)?,
            "AdvValidLifetime" => p.valid_lifetime = lifetime_of(lx, key)?,
            "AdvPreferredLifetime" => p.preferred_lifetime = lifetime_of(lx, key)?,
            "DeprecatePrefix" => p.deprecate_on_shutdown = boolean_of(lx, key)?,
            "DecrementLifetimes" => p.decrement_lifetimes = boolean_of(lx, key)?,
            _ => return Err(lx.err(kp, format!("unknown or unsupported prefix option {key:?}"))),
        }
        Ok(())
    })?;
    Ok(p)
}

fn route_block(lx: &mut Lexer<'_>) -> Result<RouteConfig, ConfError> {
    let w = lx.word("a route prefix")?;
    let (addr, len) = prefix(lx, w, 128)?;
    let mut r = RouteConfig {
        prefix: addr,
        len,
        preference: RouterPreference::Medium,
        lifetime: None,
        remove_on_shutdown: true,
    };
    block(lx, |lx, key, kp| {
        match key {
            "AdvRoutePreference" => r.preference = preference_of(lx, key)?,
            "AdvRouteLifetime" => r.lifetime = Some(lifetime_of(lx, key)?),
            "RemoveRoute" => r.remove_on_shutdown = boolean_of(lx, key)?,
            _ => return Err(lx.err(kp, format!("unknown or unsupported route option {key:?}"))),
        }
        Ok(())
    })?;
    Ok(r)
}

/// The words before a block's `{` (RDNSS addresses, DNSSL names).
fn list<'a>(lx: &mut Lexer<'a>, what: &str) -> Result<Vec<(&'a str, Pos)>, ConfError> {
    let mut out = Vec::new();
    while let Some((Tok::Word(w), p)) = lx.peek() {
        out.push((*w, *p));
        lx.at += 1;
    }
    if out.is_empty() {
        let (t, p) = lx.next(what)?;
        return Err(lx.err(p, format!("expected {what}, found {}", show(&t))));
    }
    Ok(out)
}

fn rdnss_block(lx: &mut Lexer<'_>) -> Result<RdnssConfig, ConfError> {
    let mut servers = Vec::new();
    for (w, p) in list(lx, "DNS server addresses")? {
        servers.push(
            w.parse::<Ipv6Addr>()
                .map_err(|_| lx.err(p, format!("expected an IPv6 address, found {w:?}")))?,
        );
    }
    let mut r = RdnssConfig {
        servers,
        lifetime: None,
        flush_on_shutdown: true,
    };
    block(lx, |lx, key, kp| {
        match key {
            "AdvRDNSSLifetime" => r.lifetime = Some(lifetime_of(lx, key)?),
            "FlushRDNSS" => r.flush_on_shutdown = boolean_of(lx, key)?,
            _ => return Err(lx.err(kp, format!("unknown or unsupported RDNSS option {key:?}"))),
        }
        Ok(())
    })?;
    Ok(r)
}

fn dnssl_block(lx: &mut Lexer<'_>) -> Result<DnsslConfig, ConfError> {
    let mut domains = Vec::new();
    for (w, p) in list(lx, "search domains")? {
        let ok = w.len() <= 253
            && w.trim_end_matches('.')
                .split('.')
                .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !ok {
            return Err(lx.err(p, format!("invalid domain name {w:?}")));
        }
        domains.push(w.trim_end_matches('.').to_string());
    }
    let mut d = DnsslConfig {
        domains,
        lifetime: None,
        flush_on_shutdown: true,
    };
    block(lx, |lx, key, kp| {
        match key {
            "AdvDNSSLLifetime" => d.lifetime = Some(lifetime_of(lx, key)?),
            "FlushDNSSL" => d.flush_on_shutdown = boolean_of(lx, key)?,
            _ => return Err(lx.err(kp, format!("unknown or unsupported DNSSL option {key:?}"))),
        }
        Ok(())
    })?;
    Ok(d)
}

fn interface_option(lx: &mut Lexer<'_>, c: &mut RaIfaceConfig, key: &str, kp: Pos) -> Result<(), ConfError> {
    match key {
        "prefix" => c.prefixes.push(prefix_block(lx)?),
        "route" => c.routes.push(route_block(lx)?),
        "RDNSS" => c.rdnss.push(rdnss_block(lx)?),
        "DNSSL" => c.dnssl.push(dnssl_block(lx)?),
        "AdvSendAdvert" => c.send_advert = boolean_of(lx, key)?,
        "MaxRtrAdvInterval" => c.max_interval = seconds_of(lx, key)?,
        "MinRtrAdvInterval" => c.min_interval = Some(seconds_of(lx, key)?),
        "MinDelayBetweenRAs" => c.min_delay_between_ras = seconds_of(lx, key)?,
        "AdvManagedFlag" => c.managed = boolean_of(lx, key)?,
        "AdvOtherConfigFlag" => c.other_config = boolean_of(lx, key)?,
        "AdvHomeAgentFlag" => c.home_agent = boolean_of(lx, key)?,
        "AdvLinkMTU" => c.link_mtu = number_of(lx, key)?,
        "AdvReachableTime" => c.reachable_time = number_of(lx, key)?,
        "AdvRetransTimer" => c.retrans_timer = number_of(lx, key)?,
        "AdvCurHopLimit" => c.cur_hop_limit = number_of(lx, key)?,
        "AdvDefaultLifetime" => c.default_lifetime = Some(number_of(lx, key)?),
        "AdvDefaultPreference" => c.default_preference = preference_of(lx, key)?,
        "AdvSourceLLAddress" => c.source_ll_address = boolean_of(lx, key)?,
        "UnicastOnly" => c.unicast_only = boolean_of(lx, key)?,
        "AdvRASolicitedUnicast" => c.solicited_unicast = boolean_of(lx, key)?,
        // Whether the interface exists at start-up is the daemon attach's business, not the RA's.
        "IgnoreIfMissing" => {
            boolean_of(lx, key)?;
        }
        _ => return Err(lx.err(kp, format!("unknown or unsupported interface option {key:?}"))),
    }
    Ok(())
}

/// Parses radvd.conf text; `file` names it in errors. Returns the interface blocks in file order.
pub fn parse_radvd_conf(file: &str, text: &str) -> Result<Vec<RaIfaceConfig>, ConfError> {
    let mut lx = lex(file, text);
    let mut out: Vec<RaIfaceConfig> = Vec::new();
    while lx.peek().is_some() {
        let (kw, p) = lx.word("'interface'")?;
        if kw != "interface" {
            return Err(lx.err(p, format!("expected 'interface', found {kw:?}")));
        }
        let (name, np) = lx.word("an interface name")?;
        if name.len() > 15 || name.contains('/') {
            return Err(lx.err(np, format!("invalid interface name {name:?}")));
        }
        if out.iter().any(|c| c.ifname == name) {
            return Err(lx.err(np, format!("interface {name} is configured twice")));
        }
        // radvd's default for AdvSendAdvert is off; a file must turn it on.
        let mut c = RaIfaceConfig::new(name);
        c.send_advert = false;
        block(&mut lx, |lx, key, kp| interface_option(lx, &mut c, key, kp))?;
        if let Some(problem) = c.problems().into_iter().next() {
            return Err(lx.err(np, format!("interface {name}: {problem}")));
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file() {
        let c = parse_radvd_conf(
            "r.conf",
            "interface eth0 { AdvSendAdvert on; prefix 2001:db8::/64 { }; };",
        )
        .expect("parses");
        assert_eq!(c.len(), 1);
        assert!(c[0].send_advert);
        assert_eq!(c[0].prefixes[0].len, 64);
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = parse_radvd_conf("r.conf", "interface eth0 {\n  AdvSendAdvert maybe;\n};").unwrap_err();
        assert_eq!((e.line, e.col), (2, 17));
        assert_eq!(e.to_string(), "r.conf:2:17: expected on or off, found \"maybe\"");
    }

    #[test]
    fn comments_and_end_of_file() {
        let e = parse_radvd_conf("r.conf", "# radvd\ninterface eth0 { # open\n").unwrap_err();
        assert!(e.msg.contains("unexpected end of file"), "{e}");
        assert_eq!(e.line, 3);
    }
}
