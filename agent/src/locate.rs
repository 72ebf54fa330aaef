//! Finding where a JSON path (`ipv6.gateway`, `default.dns[1]`) sits in a settings file, so that
//! errors found after parsing (a gateway outside its subnet, two default gateways) can point at a
//! line and column like the parse errors serde_json reports.
//!
//! A small scanner over text that already parsed: it never panics and gives up (`None`) on
//! anything unexpected. Keys containing `.` or `[` cannot be addressed by such a path.

/// One step of a path.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Splits `a.b[1].c` into steps; `None` for an empty or malformed path.
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && rest.is_empty() {
            return None;
        }
        if !key.is_empty() {
            steps.push(Step::Key(key.to_owned()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            steps.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(steps)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// A string token; escapes are decoded well enough to compare keys.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4)?;
                            let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            self.i += 4;
                            let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                            out.extend_from_slice(ch.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }

    /// Skips one value of any kind.
    fn skip(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while !matches!(self.peek(), None | Some(b',' | b'}' | b']')) {
                    self.i += 1;
                }
                Some(())
            }
        }
    }

    /// Byte offset of the value at `steps` below the current position.
    fn find(&mut self, steps: &[Step]) -> Option<usize> {
        self.ws();
        let Some((step, rest)) = steps.split_first() else {
            return Some(self.i);
        };
        match (step, self.peek()?) {
            (Step::Key(key), b'{') => {
                self.i += 1;
                loop {
                    let k = self.string()?;
                    self.eat(b':')?;
                    if &k == key {
                        return self.find(rest);
                    }
                    self.skip()?;
                    self.eat(b',')?;
                }
            }
            (Step::Index(n), b'[') => {
                self.i += 1;
                for _ in 0..*n {
                    self.skip()?;
                    self.eat(b',')?;
                }
                self.find(rest)
            }
            _ => None,
        }
    }
}

/// The 1-based line and column (in characters) where the value at `path` starts in `text`.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let steps = parse_path(path)?;
    let offset = Scanner {
        b: text.as_bytes(),
        i: 0,
    }
    .find(&steps)?;
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"default\": {\"ip\": \"10.0.9.165\", \"dns\": [\"8.8.8.8\", {\"x\": \"]\"}, \"9.9.9.9\"]},\n  \"ip\\\"v6\": {\n    \"gateway\": \"2001:db8::1\"\n  },\n  \"é\": {\"mac\": null}\n}";

    #[test]
    fn finds_nested_keys_and_indices() {
        assert_eq!(locate(TEXT, "default.ip"), Some((2, 21)));
        assert_eq!(locate(TEXT, "default.dns[2]"), Some((2, 66)));
        assert_eq!(locate(TEXT, "ip\"v6.gateway"), Some((4, 16)));
        assert_eq!(locate(TEXT, "é.mac"), Some((6, 16)));
        assert_eq!(locate(TEXT, "default"), Some((2, 14)));
    }

    #[test]
    fn gives_up_without_panicking() {
        assert_eq!(locate(TEXT, "nope.ip"), None);
        assert_eq!(locate(TEXT, "default.dns[9]"), None);
        assert_eq!(locate(TEXT, "default.ip.x"), None);
        assert_eq!(locate(TEXT, ""), None);
        assert_eq!(locate(TEXT, "a[x]"), None);
        assert_eq!(locate(TEXT, "a[1"), None);
        assert_eq!(locate("{\"a\": {\"b\": \"\\u12", "a.b.c"), None);
        assert_eq!(locate("{\"a\"", "a"), None);
        assert_eq!(locate("]]]", "a"), None);
        assert_eq!(
            parse_path("a.dns[1][2]"),
            Some(vec![
                Step::Key("a".into()),
                Step::Key("dns".into()),
                Step::Index(1),
                Step::Index(2)
            ])
        );
    }
}
