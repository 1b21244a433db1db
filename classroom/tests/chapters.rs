//! The book keeps its own rules: reader chapters short enough to read, each ending with its
//! key points and opening with a summary for the notes' Chinese readers, and no link or
//! included piece of code that leads nowhere.
//!
//! A chapter grows one paragraph at a time, and nobody counts words by hand; a renamed file
//! or a moved `// ANCHOR:` breaks a page that nobody is looking at. These tests read the
//! Markdown sources in `docs/src/` and say which page breaks which rule.

use std::fs;
use std::path::{Path, PathBuf};

/// The chapters a learner reads, one per lesson (the front matter, the appendix and the
/// teachers' pages have other jobs and other rules).
const READER_CHAPTERS: [&str; 10] = [
    "tcp.md",
    "handshake.md",
    "teardown.md",
    "states.md",
    "watching-states.md",
    "sliding-window.md",
    "udp.md",
    "args.md",
    "file-transfer.md",
    "socks.md",
];

/// Words of prose a reader chapter may have: code blocks and included code not counted.
const WORD_BUDGET: usize = 3_000;

/// At most this many bullets under "Key points".
const MAX_KEY_POINTS: usize = 5;

/// How the Chinese summary at the head of a chapter begins.
const SUMMARY_START: &str = "> **中文摘要：**";

fn book_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/src")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every Markdown page of the book, with its path relative to `docs/src`.
fn book_pages() -> Vec<(String, String)> {
    fn walk(dir: &Path, base: &Path, pages: &mut Vec<(String, String)>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|entry| entry.expect("a folder entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, pages);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                let name = path
                    .strip_prefix(base)
                    .expect("under the book's folder")
                    .to_string_lossy()
                    .replace('\\', "/");
                pages.push((name, read(&path)));
            }
        }
    }
    let base = book_dir();
    let mut pages = Vec::new();
    walk(&base, &base, &mut pages);
    assert!(pages.len() >= 20, "found only {} pages", pages.len());
    pages
}

/// The lines of prose: outside fenced code blocks, and not an `{{#include}}` line. The same
/// rule as `awk '/^```/{c=!c; next} !c && !/\{\{#/' FILE | wc -w`.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut in_code = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && !line.contains("{{#") {
            lines.push(line);
        }
    }
    lines
}

fn prose_words(text: &str) -> usize {
    prose_lines(text)
        .iter()
        .map(|line| line.split_whitespace().count())
        .sum()
}

/// The line with a level-2 heading that contains "Key points", and the bullets under it.
fn key_points(text: &str) -> Result<usize, String> {
    let lines = prose_lines(text);
    let headings: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("## "))
        .collect();
    let Some(&at) = headings
        .iter()
        .find(|&&i| lines[i].to_lowercase().contains("key points"))
    else {
        return Err("no \"## Key points\" heading".into());
    };
    if headings.last() != Some(&at) {
        return Err("\"Key points\" is not the chapter's last section".into());
    }
    let bullets = lines[at + 1..]
        .iter()
        .filter(|line| line.starts_with("- ") || line.starts_with("* "))
        .count();
    match bullets {
        0 => Err("\"Key points\" has no bullets".into()),
        n if n > MAX_KEY_POINTS => Err(format!(
            "\"Key points\" has {n} bullets, at most {MAX_KEY_POINTS}"
        )),
        n => Ok(n),
    }
}

/// The summary must come right after the title: the first non-empty line after it (the
/// teachers' "In class" note may stand between them).
fn has_summary_at_head(text: &str) -> bool {
    text.lines()
        .skip_while(|line| !line.starts_with("# "))
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .filter(|line| !line.starts_with("> **In class:**"))
        .take(1)
        .any(|line| line.starts_with(SUMMARY_START))
}

fn fail_with(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_reader_chapter_fits_in_its_word_budget() {
    let mut problems = Vec::new();
    for chapter in READER_CHAPTERS {
        let words = prose_words(&read(&book_dir().join(chapter)));
        if words > WORD_BUDGET {
            problems.push(format!(
                "{chapter}: {words} words of prose, over the budget of {WORD_BUDGET}: move \
                 engineering detail to its appendix page"
            ));
        }
    }
    fail_with(&problems);
}

#[test]
fn every_reader_chapter_ends_with_its_key_points() {
    let problems: Vec<String> = READER_CHAPTERS
        .iter()
        .filter_map(|chapter| {
            key_points(&read(&book_dir().join(chapter)))
                .err()
                .map(|why| format!("{chapter}: {why}"))
        })
        .collect();
    fail_with(&problems);
}

#[test]
fn every_reader_chapter_opens_with_a_chinese_summary() {
    let problems: Vec<String> = READER_CHAPTERS
        .iter()
        .filter(|chapter| !has_summary_at_head(&read(&book_dir().join(chapter))))
        .map(|chapter| {
            format!("{chapter}: no blockquote starting `{SUMMARY_START}` right after the title")
        })
        .collect();
    fail_with(&problems);
}

/// Removes inline code spans, whose text is code, not Markdown links.
fn without_code_spans(line: &str) -> String {
    line.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect()
}

/// The targets of the Markdown links and images on a line: `[text](target)`.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut targets = Vec::new();
    let mut rest = line.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.to_string());
        rest = &after[end..];
    }
    targets
}

#[test]
fn every_internal_link_of_the_book_leads_to_a_file() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (page, text) in book_pages() {
        let folder = book_dir().join(&page);
        let folder = folder.parent().expect("a page is in a folder");
        for line in prose_lines(&text) {
            for target in link_targets(line) {
                let external = target.contains("://") || target.starts_with("mailto:");
                let path = target.split('#').next().unwrap_or("");
                if external || path.is_empty() {
                    continue; // another site, or an anchor on the same page
                }
                checked += 1;
                if let Some(problem) = other_edition_problem(path) {
                    problems.push(format!("{page}: the link `{target}` {problem}"));
                    continue;
                }
                if edition_of(path).is_none() && !folder.join(path).is_file() {
                    problems.push(format!("{page}: the link `{target}` leads to no file"));
                }
            }
        }
    }
    assert!(checked >= 50, "only {checked} internal links found");
    fail_with(&problems);
}

/// The edition a link leads to, for links to the Chinese editions (`zh-TW/introduction.html`),
/// which are built beside the English book from `docs/po/<edition>.po`.
fn edition_of(path: &str) -> Option<(&str, &str)> {
    let (edition, page) = path.split_once('/')?;
    ["zh-TW", "zh-CN"]
        .contains(&edition)
        .then_some((edition, page))
}

/// Why a link to another edition leads nowhere: no PO file, or no such page in the source.
fn other_edition_problem(path: &str) -> Option<String> {
    let (edition, page) = edition_of(path)?;
    let po = book_dir()
        .join("..")
        .join("po")
        .join(format!("{edition}.po"));
    let source = book_dir().join(page.replace(".html", ".md"));
    if !po.is_file() {
        Some(format!(
            "leads to the {edition} edition, which has no {}",
            po.display()
        ))
    } else if !page.ends_with(".html") || !source.is_file() {
        Some(format!("leads to no page of the {edition} edition"))
    } else {
        None
    }
}

/// `{{#include path}}` or `{{#include path:anchor}}` (or line numbers), anywhere on a line.
fn includes(text: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("{{#include ") {
            let after = &rest[at + "{{#include ".len()..];
            let Some(end) = after.find("}}") else { break };
            let spec = after[..end].trim();
            let (path, anchor) = match spec.split_once(':') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (spec, None),
            };
            // A number or a range of numbers selects lines, not an anchor.
            let anchor = anchor
                .filter(|a| !a.chars().all(|c| c.is_ascii_digit() || c == ':'))
                .map(str::to_string);
            found.push((path.to_string(), anchor));
            rest = &after[end..];
        }
    }
    found
}

/// Whether `source` marks the anchor `name` with `ANCHOR: name` and `ANCHOR_END: name`,
/// read as mdBook reads them: the name is the word after the colon, so `// ANCHOR: x` and
/// `<!-- ANCHOR: x -->` both count.
fn has_anchor(source: &str, name: &str) -> bool {
    let marks = |mark: &str| {
        source.lines().any(|line| {
            line.split_once(mark).is_some_and(|(_, rest)| {
                let word: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                word == name
            })
        })
    };
    marks("ANCHOR:") && marks("ANCHOR_END:")
}

#[test]
fn every_include_of_the_book_finds_its_file_and_anchor() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (page, text) in book_pages() {
        let folder = book_dir().join(&page);
        let folder = folder.parent().expect("a page is in a folder");
        for (path, anchor) in includes(&text) {
            checked += 1;
            let file = folder.join(&path);
            let Ok(source) = fs::read_to_string(&file) else {
                problems.push(format!("{page}: `{path}` cannot be read"));
                continue;
            };
            if let Some(anchor) = anchor
                && !has_anchor(&source, &anchor)
            {
                problems.push(format!("{page}: `{path}` has no anchor `{anchor}`"));
            }
        }
    }
    assert!(checked >= 50, "only {checked} includes found");
    fail_with(&problems);
}

/// The rules above, tried on small pages, so that a check that can never fail is noticed.
#[test]
fn the_checks_catch_what_they_are_meant_to_catch() {
    let page = "# T\n\n> **中文摘要：** 這是摘要。\n\nOne two three.\n\n```rust\nnot counted\n```\n\
                {{#include x.rs:a}}\n\n## Key points\n\n- one\n- two\n";
    assert_eq!(prose_words(page), 2 + 3 + 3 + 3 + 2 + 2);
    assert!(has_summary_at_head(page));
    assert_eq!(key_points(page), Ok(2));
    assert!(!has_summary_at_head(
        "# T\n\nText.\n\n> **中文摘要：** late.\n"
    ));
    assert!(key_points("# T\n\n## Key points\n\n- a\n\n## Exercises\n").is_err());
    assert!(key_points("# T\n\n## Key points\n\n- a\n- b\n- c\n- d\n- e\n- f\n").is_err());
    assert!(key_points("# T\n\n## Pitfalls\n").is_err());
    assert_eq!(
        link_targets("see [a](x.md#b), `[not](code.md)` and ![i](images/y.svg \"t\")"),
        ["x.md#b", "images/y.svg"]
    );
    assert_eq!(
        includes("{{#include ../a.rs:anchor}} {{#include b.rs}} {{#include c.rs:3:9}}"),
        [
            ("../a.rs".to_string(), Some("anchor".to_string())),
            ("b.rs".to_string(), None),
            ("c.rs".to_string(), None),
        ]
    );
    assert!(has_anchor("// ANCHOR: a\nx\n// ANCHOR_END: a\n", "a"));
    assert!(!has_anchor("// ANCHOR: ab\nx\n// ANCHOR_END: ab\n", "a"));
    assert!(has_anchor(
        "<!-- ANCHOR: a -->\nx\n<!-- ANCHOR_END: a -->\n",
        "a"
    ));
}
