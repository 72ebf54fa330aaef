//! nginx-style `listen` lines for services: `listen 80;`, `listen [::]:80 ipv6only=off;`, `listen 10.0.9.165:22;`.
//!
//! The seed's point is that the address family a service binds is explicit: `listen 80;` binds only 0.0.0.0 (IPv4),
//! `listen [::]:80;` binds IPv6 only (nginx sets IPV6_V6ONLY by default since 1.3.4), and only
//! `listen [::]:80 ipv6only=off;` serves both families on one socket (v4-mapped, RFC 4291 §2.5.5.2).

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// One parsed `listen` directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListenLine {
    /// The bound address: `0.0.0.0` for `listen 80;` and `*:80`, `::` for `[::]:80`.
    pub addr: IpAddr,
    /// The TCP port.
    pub port: u16,
    /// `ipv6only=on|off` as written; `None` means nginx's default (on).
    pub ipv6only: Option<bool>,
    /// `default_server` was given.
    pub default_server: bool,
}

impl ListenLine {
    /// Whether the socket accepts IPv4 connections (directly, or v4-mapped on `[::]` with `ipv6only=off`).
    pub fn accepts_ipv4(&self) -> bool {
        match self.addr {
            IpAddr::V4(_) => true,
            IpAddr::V6(a) => a.is_unspecified() && self.ipv6only == Some(false),
        }
    }

    /// Whether the socket accepts IPv6 connections.
    pub fn accepts_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }
}

impl FromStr for ListenLine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("malformed listen line `{s}`: {why}");
        let body = s.trim().trim_end_matches(';').trim_end();
        let body = body.strip_prefix("listen").map_or(body, str::trim_start);
        let mut words = body.split_whitespace();
        let target = words
            .next()
            .ok_or_else(|| bad("expected `listen [ADDRESS:]PORT [ipv6only=on|off];`"))?;
        let (addr, port) = parse_target(target).ok_or_else(|| bad("expected PORT, ADDRESS:PORT or [IPV6]:PORT"))?;
        let mut line = ListenLine {
            addr,
            port,
            ipv6only: None,
            default_server: false,
        };
        for word in words {
            match word {
                "ipv6only=on" => line.ipv6only = Some(true),
                "ipv6only=off" => line.ipv6only = Some(false),
                "default_server" | "default" => line.default_server = true,
                _ => {
                    return Err(bad(&format!(
                        "unsupported parameter `{word}` (supported: ipv6only=on|off, default_server)"
                    )))
                }
            }
        }
        // nginx: "the ipv6only parameter … can only be set for the [::] wildcard" (ngx_http_core_module, listen).
        let wildcard_v6 = matches!(line.addr, IpAddr::V6(a) if a.is_unspecified());
        if line.ipv6only.is_some() && !wildcard_v6 {
            return Err(bad("`ipv6only` applies only to `[::]`"));
        }
        Ok(line)
    }
}

fn parse_target(target: &str) -> Option<(IpAddr, u16)> {
    if let Ok(port) = target.parse::<u16>() {
        return Some((IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
    }
    if let Some(rest) = target.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let addr: Ipv6Addr = inside.parse().ok()?;
        let port = match after {
            "" => 80,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        return Some((IpAddr::V6(addr), port));
    }
    let (host, port) = target.rsplit_once(':')?;
    let addr = if host == "*" {
        Ipv4Addr::UNSPECIFIED
    } else {
        host.parse().ok()?
    };
    Some((IpAddr::V4(addr), port.parse().ok()?))
}

impl fmt::Display for ListenLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) if a.is_unspecified() => write!(f, "listen {}", self.port)?,
            IpAddr::V4(a) => write!(f, "listen {a}:{}", self.port)?,
            IpAddr::V6(a) => write!(f, "listen [{a}]:{}", self.port)?,
        }
        if self.default_server {
            f.write_str(" default_server")?;
        }
        match self.ipv6only {
            Some(true) => f.write_str(" ipv6only=on")?,
            Some(false) => f.write_str(" ipv6only=off")?,
            None => {}
        }
        f.write_str(";")
    }
}

impl<'de> Deserialize<'de> for ListenLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = super::values::ScalarText::deserialize(deserializer)?;
        text.0.parse().map_err(de::Error::custom)
    }
}

impl Serialize for ListenLine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for ListenLine {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("ListenLine")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "nginx listen directive: `listen 80;`, `listen [::]:80 ipv6only=off;`, `listen 10.0.9.165:22;`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ListenLine, String> {
        s.parse()
    }

    #[test]
    fn plain_port_is_ipv4_only() {
        let l = parse("listen 80;");
        assert!(l.is_ok_and(|l| l.accepts_ipv4() && !l.accepts_ipv6() && l.port == 80));
    }

    #[test]
    fn v6_wildcard_is_v6_only_unless_ipv6only_off() {
        assert!(parse("listen [::]:80;").is_ok_and(|l| !l.accepts_ipv4() && l.accepts_ipv6()));
        assert!(parse("listen [::]:80 ipv6only=on;").is_ok_and(|l| !l.accepts_ipv4()));
        assert!(parse("listen [::]:80 ipv6only=off;").is_ok_and(|l| l.accepts_ipv4() && l.accepts_ipv6()));
    }

    #[test]
    fn specific_addresses_and_keyword_optional() {
        let l = parse("10.0.9.165:22");
        assert!(l.is_ok_and(|l| l.addr == IpAddr::V4(Ipv4Addr::new(10, 0, 9, 165)) && l.port == 22));
        assert!(parse("listen [2601:646:100:69f1::165]:443 default_server;").is_ok_and(|l| l.default_server));
        assert!(parse("listen *:8080;").is_ok_and(|l| l.port == 8080 && l.accepts_ipv4()));
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "listen 80;",
            "listen [::]:80 ipv6only=off;",
            "listen 10.0.9.165:22;",
            "listen [::1]:80;",
        ] {
            assert_eq!(parse(text).map(|l| l.to_string()), Ok(text.to_owned()));
        }
    }

    #[test]
    fn malformed_lines() {
        for bad in [
            "",
            "listen;",
            "listen 80 ssl;",
            "listen 10.0.9.165:80 ipv6only=off;",
            "listen [::]:x;",
            "listen 70000;",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
