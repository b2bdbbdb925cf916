//! Merge cases as tree fixtures: `tests/fixtures/<case>/{base,local,upstream,expected}` plus a
//! `case.toml` naming the install path the files stand for (which picks the strategy) and what the
//! merge must report. Every case runs through `jitsi-custom merge-file`'s library entry point.
//!
//! `FIXTURES=overwrite cargo test --test merge_fixtures` writes each case's result as its new
//! `expected` (review the diff before committing it).

use std::path::Path;

use jitsi_custom::merge::{self, Labels, Strategy};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The install path the files stand for; picks the strategy unless `strategy` is given.
    path: String,
    strategy: Option<Strategy>,
    /// How many conflicts the merge must report (0: clean).
    #[serde(default)]
    conflicts: usize,
    /// Words each conflict description (in order) must contain, e.g. the setting's name.
    #[serde(default)]
    conflict_mentions: Vec<String>,
    /// Words that must appear in the merge's notes (e.g. a fallback to text).
    #[serde(default)]
    notes_mention: Vec<String>,
    /// What the merge decided without a person: one entry per decision, in order, each a piece of
    /// its message (`kept your authentication`).
    #[serde(default)]
    decisions: Vec<String>,
    /// The kinds of those decisions, when given (`kept-yours`, `kept-removed`, `moved`,
    /// `overridden`).
    #[serde(default)]
    decision_kinds: Vec<merge::DecisionKind>,
}

fn run_case(dir: &Path) -> Result<(), String> {
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let case: Case =
        toml::from_str(&String::from_utf8_lossy(&read("case.toml")?)).map_err(|e| e.to_string())?;
    let path = case.path.trim_start_matches('/');
    let strategy = case
        .strategy
        .unwrap_or_else(|| jitsi_custom::profile::strategy_for_path(path));
    let merged = merge::merge(
        strategy,
        &read("base")?,
        &read("local")?,
        &read("upstream")?,
        &Labels {
            moved_settings: jitsi_custom::profile::moves::MOVES,
            ..Labels::default()
        },
    );
    if std::env::var("FIXTURES").as_deref() == Ok("overwrite") {
        std::fs::write(dir.join("expected"), &merged.content).map_err(|e| e.to_string())?;
    }
    let expected = read("expected")?;
    if merged.content != expected {
        return Err(format!(
            "content differs from expected (strategy {}):\n--- got ---\n{}\n--- expected ---\n{}",
            strategy.name(),
            String::from_utf8_lossy(&merged.content),
            String::from_utf8_lossy(&expected)
        ));
    }
    if merged.conflicts.len() != case.conflicts {
        return Err(format!(
            "expected {} conflicts, got {:?}",
            case.conflicts, merged.conflicts
        ));
    }
    for (conflict, word) in merged.conflicts.iter().zip(&case.conflict_mentions) {
        let text = format!("{} {}", conflict.what, conflict.hint.as_deref().unwrap_or(""));
        if !text.contains(word.as_str()) {
            return Err(format!("conflict {text:?} does not mention {word:?}"));
        }
    }
    let messages: Vec<&str> = merged.decisions.iter().map(|d| d.message.as_str()).collect();
    if messages.len() != case.decisions.len()
        || messages
            .iter()
            .zip(&case.decisions)
            .any(|(m, want)| !m.contains(want.as_str()))
    {
        return Err(format!(
            "decisions {messages:#?} do not match {:#?}",
            case.decisions
        ));
    }
    let kinds: Vec<merge::DecisionKind> = merged.decisions.iter().map(|d| d.kind).collect();
    if !case.decision_kinds.is_empty() && kinds != case.decision_kinds {
        return Err(format!(
            "decision kinds {kinds:?}, expected {:?}",
            case.decision_kinds
        ));
    }
    let notes = merged.notes.join("\n");
    for word in &case.notes_mention {
        if !notes.contains(word.as_str()) {
            return Err(format!("notes {notes:?} do not mention {word:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_fixture_case_merges_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixture cases under {}", root.display());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|dir| {
            run_case(dir)
                .err()
                .map(|e| format!("{}: {e}", dir.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
