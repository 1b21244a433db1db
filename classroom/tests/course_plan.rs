//! The book's course plan adds up: every teaching page's time estimate matches its own
//! minute-by-minute plan, and the sessions of the kit's README match the pages.
//!
//! The estimates are the first thing a teacher plans a term with; a page edited without
//! its plan (or the README without the pages) would quietly promise a course that does not
//! fit. These tests read the Markdown sources in `docs/src/classroom/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

fn kit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/src/classroom")
}

fn page(name: &str) -> String {
    let path = kit_dir().join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The pages that teach one chapter each (everything but the kit's shared pages).
fn teaching_pages() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(kit_dir())
        .expect("the kit's folder exists")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .filter(|name| !["README.md", "faq.md", "solutions.md"].contains(&name.as_str()))
        .collect();
    names.sort();
    names
}

/// The first number in the page's italic opening line: `*50 minutes. ...` or `*About 20 ...`.
fn estimate(text: &str) -> u32 {
    let line = text
        .lines()
        .find(|line| line.starts_with('*'))
        .expect("an italic opening line with the time");
    let digits: String = line
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a number of minutes")
}

/// For each plan table (rows like `| 40–50 | ... |`), the end minute of its last row.
fn plan_table_ends(text: &str) -> Vec<u32> {
    let mut ends = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let range = line
            .strip_prefix("| ")
            .and_then(|rest| rest.split_once(" |"))
            .and_then(|(cell, _)| cell.split_once('–'))
            .and_then(|(_, end)| end.parse::<u32>().ok());
        match (range, in_table) {
            (Some(end), true) => *ends.last_mut().expect("inside a table") = end,
            (Some(end), false) => ends.push(end),
            (None, _) => {}
        }
        in_table = range.is_some();
    }
    ends
}

#[test]
fn every_teaching_page_plan_ends_at_its_estimate() {
    let mut checked = 0;
    for name in teaching_pages() {
        let text = page(&name);
        let ends = plan_table_ends(&text);
        if ends.is_empty() {
            continue; // a page without a minute-by-minute plan (Spot the bug)
        }
        assert_eq!(
            ends.iter().sum::<u32>(),
            estimate(&text),
            "{name}: the plan's tables end at {ends:?}"
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} pages have a plan: one per chapter expected"
    );
}

#[test]
fn the_course_plan_sessions_add_up_and_match_the_pages() {
    let readme = page("README.md");
    let mut planned: BTreeMap<String, u32> = BTreeMap::new();
    let mut sessions_total = 0;
    let mut stated_total = None;
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | session | pages with (minutes) | minutes |
        let [_, session, contents, minutes, _] = cells.as_slice() else {
            continue;
        };
        if session.parse::<u32>().is_ok() {
            let minutes: u32 = minutes.parse().expect("a session's minutes");
            let mut sum = 0;
            let mut last_link: Option<String> = None;
            let mut rest = *contents;
            while let Some(open) = rest.find('(') {
                let after = &rest[open + 1..];
                let close = after.find(')').expect("a closing parenthesis");
                let inside = &after[..close];
                if let Some(link) = inside.strip_suffix(".md") {
                    last_link = Some(format!("{link}.md"));
                } else if let Ok(n) = inside.parse::<u32>() {
                    sum += n;
                    // A number belongs to the link just before it, if there is one.
                    if let Some(link) = last_link.take() {
                        *planned.entry(link).or_default() += n;
                    }
                }
                rest = &after[close + 1..];
            }
            assert_eq!(sum, minutes, "session {session}: its parts do not add up");
            sessions_total += minutes;
        } else if *contents == "**total**" {
            stated_total = Some(minutes.trim_matches('*').parse::<u32>().expect("a total"));
        }
    }
    assert_eq!(stated_total, Some(sessions_total), "the total row");
    for name in teaching_pages() {
        let minutes = planned.get(&name).copied();
        assert_eq!(
            minutes,
            Some(estimate(&page(&name))),
            "{name} in the course plan"
        );
    }
}

#[test]
fn every_lesson_chapter_has_a_teaching_page_of_the_same_name() {
    let summary_path = kit_dir().join("../SUMMARY.md");
    let summary = fs::read_to_string(&summary_path).expect("the book's SUMMARY.md");
    // Pages that teach no lesson of their own: the book's front matter (the tour and the
    // workbook among it) and its reference part (the glossary, the appendix for maintainers).
    let front_matter = ["introduction.md", "tour.md", "workbook.md", "glossary.md"];
    let chapters: Vec<&str> = summary
        .lines()
        .filter_map(|line| {
            line.split_once("](")?
                .1
                .split_once(')')
                .map(|(link, _)| link)
        })
        .filter(|link| {
            !link.starts_with("classroom/")
                && !link.starts_with("appendix/")
                && !front_matter.contains(link)
        })
        .collect();
    assert!(
        chapters.len() >= 10,
        "found only {chapters:?} in SUMMARY.md"
    );
    let teaching = teaching_pages();
    for chapter in chapters {
        assert!(
            teaching.iter().any(|page| page == chapter),
            "{chapter} has no teaching page in docs/src/classroom/ (and no place in the plan)"
        );
    }
}
