//! nginx's `listen` directive (ngx_http_core_module, `ngx_parse_url` + `ngx_http_core_listen`) mapped to the
//! sockets nginx opens, so a scenario can say how a service is configured.
//!
//! `listen 80;` and `listen *:80;` open AF_INET 0.0.0.0:80; `listen [::]:80;` opens AF_INET6 with `IPV6_V6ONLY`
//! on (nginx's default since 1.3.4, whatever `bindv6only` says); `ipv6only=off` turns it off, making the socket
//! dual-stack, which then conflicts with a separate `listen 80;` (EADDRINUSE at start-up). A bare address means
//! port 80. Host names are not resolved here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::socket::Family;

/// One socket nginx opens for a `listen` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenSocket {
    /// Family.
    pub family: Family,
    /// Address and port to bind.
    pub addr: SocketAddr,
    /// `IPV6_V6ONLY` for AF_INET6 (`None` for AF_INET).
    pub v6only: Option<bool>,
}

/// Why a directive does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenError {
    /// Not a `listen …;` directive.
    #[error("not a listen directive: {0:?}")]
    NotListen(String),
    /// Address or port invalid.
    #[error("invalid address or port in \"{0}\"")]
    BadAddress(String),
    /// `ipv6only` with a non-IPv6 address, or a bad value.
    #[error("invalid parameter \"{0}\"")]
    BadParameter(String),
    /// A host name: nginx would resolve it; this model does not.
    #[error("host names are not resolved: \"{0}\"")]
    HostName(String),
}

fn parse_port(s: &str, whole: &str) -> Result<u16, ListenError> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ListenError::BadAddress(whole.to_string())),
    }
}

/// Parses one `listen` directive (with or without the trailing `;`).
pub fn parse_listen(directive: &str) -> Result<ListenSocket, ListenError> {
    let d = directive.trim().trim_end_matches(';').trim();
    let mut words = d.split_whitespace();
    if words.next() != Some("listen") {
        return Err(ListenError::NotListen(directive.to_string()));
    }
    let target = words
        .next()
        .ok_or_else(|| ListenError::NotListen(directive.to_string()))?;
    let addr: SocketAddr = if let Some(rest) = target.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| ListenError::BadAddress(target.to_string()))?;
        let ip: Ipv6Addr = host.parse().map_err(|_| ListenError::BadAddress(target.to_string()))?;
        let port = match tail.strip_prefix(':') {
            Some(p) => parse_port(p, target)?,
            None if tail.is_empty() => 80,
            None => return Err(ListenError::BadAddress(target.to_string())),
        };
        SocketAddr::new(IpAddr::V6(ip), port)
    } else if let Ok(port) = target.parse::<u16>() {
        if port == 0 {
            return Err(ListenError::BadAddress(target.to_string()));
        }
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
    } else {
        let (host, port) = match target.rsplit_once(':') {
            Some((h, p)) => (h, parse_port(p, target)?),
            None => (target, 80),
        };
        let ip = if host == "*" {
            Ipv4Addr::UNSPECIFIED
        } else {
            host.parse::<Ipv4Addr>()
                .map_err(|_| ListenError::HostName(host.to_string()))?
        };
        SocketAddr::new(IpAddr::V4(ip), port)
    };
    let mut v6only = addr.is_ipv6().then_some(true);
    for w in words {
        if let Some(v) = w.strip_prefix("ipv6only=") {
            if !addr.is_ipv6() {
                return Err(ListenError::BadParameter(w.to_string()));
            }
            v6only = Some(match v {
                "on" => true,
                "off" => false,
                _ => return Err(ListenError::BadParameter(w.to_string())),
            });
        }
        // Other parameters (default_server, ssl, http2, reuseport, backlog=…) do not change the socket's address.
    }
    let family = Family::of(addr.ip());
    Ok(ListenSocket { family, addr, v6only })
}

/// Parses every `listen` line of a server block, in order; other lines are ignored.
pub fn parse_server_listens(config: &str) -> Result<Vec<ListenSocket>, ListenError> {
    config
        .split(';')
        // A statement starts after the last brace before it (`server {`, `}`).
        .map(|piece| piece.rsplit(['{', '}']).next().unwrap_or(piece).trim())
        .filter(|l| l.starts_with("listen ") || l.starts_with("listen\t"))
        .map(parse_listen)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::socket::{Proto, SockError, SocketTable};

    #[test]
    fn the_three_issue_forms() {
        let a = parse_listen("listen 80;").unwrap();
        assert_eq!(
            (a.family, a.addr.to_string(), a.v6only),
            (Family::Inet, "0.0.0.0:80".into(), None)
        );
        let b = parse_listen("listen [::]:80;").unwrap();
        assert_eq!(
            (b.family, b.addr.to_string(), b.v6only),
            (Family::Inet6, "[::]:80".into(), Some(true))
        );
        let c = parse_listen("listen [::]:80 ipv6only=off;").unwrap();
        assert_eq!(c.v6only, Some(false));
    }

    #[test]
    fn addresses_defaults_and_errors() {
        assert_eq!(
            parse_listen("listen 10.0.0.1;").unwrap().addr.to_string(),
            "10.0.0.1:80"
        );
        assert_eq!(parse_listen("listen *:8080 default_server").unwrap().addr.port(), 8080);
        assert_eq!(
            parse_listen("listen [2001:db8::1]:443 ssl http2;").unwrap().addr.port(),
            443
        );
        assert_eq!(parse_listen("listen [2001:db8::1];").unwrap().addr.port(), 80);
        assert!(matches!(
            parse_listen("listen localhost:80;"),
            Err(ListenError::HostName(_))
        ));
        assert!(matches!(
            parse_listen("listen 80 ipv6only=off;"),
            Err(ListenError::BadParameter(_))
        ));
        assert!(matches!(
            parse_listen("listen [::]:0;"),
            Err(ListenError::BadAddress(_))
        ));
        assert!(matches!(
            parse_listen("listen [::]:70000;"),
            Err(ListenError::BadAddress(_))
        ));
        assert!(matches!(parse_listen("server_name x;"), Err(ListenError::NotListen(_))));
    }

    /// nginx's classic mistake: `listen 80; listen [::]:80 ipv6only=off;` → bind() EADDRINUSE; the default
    /// `[::]:80` (V6ONLY on) coexists with `listen 80`.
    #[test]
    fn server_blocks_bind_like_nginx() {
        let bind_all = |cfg: &str| -> Result<(), SockError> {
            let mut t = SocketTable::new();
            for l in parse_server_listens(cfg).unwrap() {
                let id = t.open(l.family, Proto::Tcp, false);
                if let Some(v) = l.v6only {
                    t.set_v6only(id, v)?;
                }
                t.bind(id, l.addr, |_| true)?;
                t.listen(id)?;
            }
            Ok(())
        };
        assert_eq!(bind_all("listen 80; listen [::]:80; server_name a;"), Ok(()));
        let block = "http {\n server {\n  listen 80;\n  listen [::]:80;\n }\n}";
        assert_eq!(parse_server_listens(block).unwrap().len(), 2);
        assert_eq!(
            bind_all("listen 80;\n listen [::]:80 ipv6only=off;"),
            Err(SockError::AddrInUse)
        );
        assert_eq!(bind_all("listen [::]:80 ipv6only=off;"), Ok(()));
    }
}
