//! Robustness: thousands of deterministic mutations of the example scenarios (truncations, deleted, duplicated and
//! swapped lines, replaced characters) never panic the loader, and every error it returns renders with a location
//! inside the text. No RNG crate: a fixed linear congruential sequence makes every run identical.

use dualhome::scenario::{load_text, render_plain, LoadOptions, ScenarioError};
use std::path::{Path, PathBuf};

/// Knuth's MMIX LCG: deterministic, good enough to pick positions.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

const REPLACEMENTS: [&str; 12] = [":", "[", "{", "}", "- ", " ", "\n", "x", "9", "\"", "é", "#"];

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let chars: Vec<char> = text.chars().collect();
    match rng.next(5) {
        0 => chars[..rng.next(chars.len())].iter().collect(),
        1 => {
            let drop = rng.next(lines.len());
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, l)| format!("{l}\n"))
                .collect()
        }
        2 => {
            let dup = rng.next(lines.len());
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == dup {
                        format!("{l}\n{l}\n")
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect()
        }
        3 => {
            let (a, b) = (rng.next(lines.len()), rng.next(lines.len()));
            let mut swapped: Vec<&str> = lines.clone();
            swapped.swap(a, b);
            swapped.iter().map(|l| format!("{l}\n")).collect()
        }
        _ => {
            let at = rng.next(chars.len());
            let with = REPLACEMENTS[rng.next(REPLACEMENTS.len())];
            let mut out: String = chars[..at].iter().collect();
            out.push_str(with);
            out.extend(&chars[(at + 1).min(chars.len())..]);
            out
        }
    }
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples")
}

#[test]
fn mutated_examples_never_panic_and_errors_point_inside_the_text() {
    let dir = examples_dir();
    let mut rng = Lcg(0x5eed_2018);
    let (mut syntax, mut invalid, mut ok) = (0usize, 0usize, 0usize);
    for name in ["seed-nginx.yml", "ssh-reset.yml", "rogue-ra.yml"] {
        let original = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(!original.is_empty(), "{name} missing");
        let line_count = original.lines().count() as u32 + 2;
        for _ in 0..700 {
            let text = mutate(&original, &mut rng);
            let result = load_text("mutant.yml", &text, Some(&dir), &LoadOptions::default());
            let err = match result {
                Ok(_) => {
                    ok += 1;
                    continue;
                }
                Err(e) => e,
            };
            let rendered = render_plain(&err, 100);
            assert!(
                rendered.contains('×'),
                "unrendered error for mutant of {name}:\n{rendered}\n---\n{text}"
            );
            match &err {
                ScenarioError::Syntax(e) => {
                    syntax += 1;
                    assert!(
                        e.line >= 1 && e.line <= line_count,
                        "line {} outside the text:\n{text}",
                        e.line
                    );
                }
                ScenarioError::Invalid { problems, .. } => {
                    invalid += 1;
                    for p in problems {
                        assert!(
                            p.pos.line >= 1 && p.pos.line <= line_count,
                            "{p} outside the text:\n{text}"
                        );
                        assert!(rendered.contains(&format!("mutant.yml:{}:{}", p.pos.line, p.pos.column)));
                    }
                }
                ScenarioError::Io { .. } => panic!("no file I/O for the scenario itself here"),
            }
        }
    }
    // The mutations exercise all three outcomes, so the test is not vacuous.
    assert!(
        syntax > 100 && invalid > 20 && ok > 20,
        "syntax {syntax}, invalid {invalid}, ok {ok}"
    );
}
