//! The part of a Markdown text that GFM interprets as markup: everything outside fenced blocks and code spans.

/// The text of `markdown` outside fenced blocks and code spans, with backslash escapes kept as written.
pub fn outside_code(markdown: &str) -> String {
    let mut prose = String::new();
    let mut fence: Option<usize> = None;
    for line in markdown.lines() {
        let ticks = line.len() - line.trim_start_matches('`').len();
        match fence {
            Some(open) if ticks >= open && line.trim_start_matches('`').is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                strip_code_spans(line, &mut prose);
                prose.push('\n');
            }
        }
    }
    assert!(fence.is_none(), "unclosed fence");
    prose
}

/// Appends `line` without its code spans: a run of n unescaped backticks up to the next run of exactly n.
fn strip_code_spans(line: &str, prose: &mut String) {
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                prose.push(c);
                if let Some((_, next)) = chars.next() {
                    prose.push(next);
                }
            }
            '`' => {
                let run = line[i..].len() - line[i..].trim_start_matches('`').len();
                let after = i + run;
                let close = (after..line.len())
                    .filter(|&j| line.is_char_boundary(j))
                    .find(|&j| {
                        let rest = &line[j..];
                        let here = rest.len() - rest.trim_start_matches('`').len();
                        here == run && !line[..j].ends_with('`')
                    })
                    .unwrap_or_else(|| panic!("unclosed code span in {line:?}"));
                // Continue after the closing run.
                while chars.peek().is_some_and(|&(j, _)| j < close + run) {
                    chars.next();
                }
            }
            _ => prose.push(c),
        }
    }
}
