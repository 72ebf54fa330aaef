//! `http`: one `GET` (curl-like). Connect, send the request, read the status line, headers and a
//! `Content-Length` body, close. The record carries the status, the body length, and when the response completed;
//! a refused, reset or timed-out connection is a failure with its time.

use std::net::SocketAddr;

use super::host_app::{AppReport, HostApp};
use crate::host::node::Host;
use crate::node::Ctx;
use crate::time::Instant;
use crate::transport::socket::Family;
use crate::transport::tcp::TcpState;
use crate::transport::ConnId;

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code.
    pub status: u16,
    /// Content-Length (0 when absent).
    pub content_length: u64,
    /// Bytes of the head including the blank line.
    pub head_len: usize,
}

/// Parses `HTTP/1.x NNN …\r\n…\r\n\r\n`; `None` until the head is complete or if it is not HTTP.
pub fn parse_response_head(buf: &[u8]) -> Option<ResponseHead> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let content_length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    Some(ResponseHead {
        status,
        content_length,
        head_len: end,
    })
}

/// One GET.
#[derive(Debug, Clone)]
pub struct HttpGet {
    /// Server.
    pub dst: SocketAddr,
    /// Path.
    pub path: String,
    /// The connection.
    pub conn: Option<ConnId>,
    report: AppReport,
    buf: Vec<u8>,
    sent: bool,
    done: bool,
}

impl HttpGet {
    /// `curl http://dst/path`.
    pub fn new(dst: SocketAddr, path: &str) -> HttpGet {
        HttpGet {
            dst,
            path: path.to_string(),
            conn: None,
            report: AppReport::default(),
            buf: Vec::new(),
            sent: false,
            done: false,
        }
    }

    fn finish(&mut self, now: Instant) {
        self.report.finished_at.get_or_insert(now);
        self.done = true;
    }
}

impl HostApp for HttpGet {
    fn poll_at(&self) -> Option<Instant> {
        (self.conn.is_none() && !self.done).then_some(Instant::ZERO)
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, host: &mut Host, me: usize) {
        if self.done {
            return;
        }
        let Some(id) = self.conn else {
            let fam = Family::of(self.dst.ip());
            match host.tcp_connect(ctx, fam, self.dst, None, Some(me)) {
                Ok(c) => self.conn = Some(c),
                Err(_) => {
                    self.report.failures += 1;
                    self.finish(ctx.now);
                }
            }
            return;
        };
        let Some(c) = host.transport.conn(id) else { return };
        let (state, error, est, closed) = (c.tcb.state, c.tcb.error, c.tcb.established_at, c.tcb.closed_at);
        self.report.established_at = est;
        if state == TcpState::Closed {
            if let Some(e) = error {
                self.report.record_error(closed.unwrap_or(ctx.now), e);
                self.report.failures += 1;
            }
            return self.finish(ctx.now);
        }
        if state == TcpState::Established && !self.sent {
            let req = format!(
                "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: curl\r\n\r\n",
                self.path,
                self.dst.ip()
            );
            host.tcp_send(ctx, id, req.as_bytes());
            self.sent = true;
        }
        let mut buf = std::mem::take(&mut self.buf);
        host.with_conn(ctx, id, |t, _| t.recv(&mut buf));
        self.buf = buf;
        if let Some(h) = parse_response_head(&self.buf) {
            let body = (self.buf.len() - h.head_len) as u64;
            if body >= h.content_length {
                self.report.status = Some(h.status);
                self.report.bytes_received = body;
                self.report.successes += 1;
                host.tcp_close(ctx, id);
                self.finish(ctx.now);
            }
        }
    }

    fn report(&self) -> AppReport {
        self.report.clone()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_heads() {
        let h = parse_response_head(b"HTTP/1.1 404 Not Found\r\ncontent-length: 12\r\n\r\nbody").unwrap();
        assert_eq!((h.status, h.content_length, h.head_len), (404, 12, 46));
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r\n"), None, "incomplete");
        assert_eq!(parse_response_head(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        let h = parse_response_head(b"HTTP/1.0 204 No Content\r\n\r\n").unwrap();
        assert_eq!(h.content_length, 0);
    }
}
