//! What `doctor` checks that no command repairs by itself: the branches against the operation
//! log, the patch stack on upstream, the manifest against the files the store keeps, the review
//! list, and every stored object. It repairs what it safely can (the branches) and says for the
//! rest what to do.

use std::path::Path;

use anyhow::Result;

use crate::store::Store;

/// One finding: what was checked, and what became of it.
#[derive(Debug)]
pub enum Finding {
    Sound(String),
    Repaired(String),
    /// The problem, and what a person can do about it.
    Problem(String, String),
}

/// Examines a store a writer opened (and recovered); `dry_run` repairs nothing.
pub fn examine(root: &Path, store: &Store, dry_run: bool) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    findings.push(check_branches(root, store, dry_run)?);
    findings.push(match store.patches() {
        Ok(patches) => Finding::Sound(format!(
            "the patch stack: {} customisation(s) on upstream",
            patches.len()
        )),
        Err(e) => Finding::Problem(
            format!("the patch stack: {e:#}"),
            "`jitsi-custom log`, then `jitsi-custom rollback ID` to the last operation that is fine".into(),
        ),
    });
    findings.push(
        match store
            .load_manifest()
            .and_then(|m| store.check_manifest_covers(&m))
        {
            Ok(()) => Finding::Sound("the manifest lists every file the store keeps".into()),
            Err(e) => {
                let text = format!("{e:#}");
                let (problem, hint) = text
                    .split_once("\nhint: ")
                    .unwrap_or((&text, "restore the manifest"));
                Finding::Problem(problem.to_string(), hint.to_string())
            }
        },
    );
    findings.push(match store.review() {
        Ok(review) => match review
            .parked
            .iter()
            .find_map(|p| store.parked_blob(&p.base).and(store.parked_blob(&p.local)).err())
        {
            None => Finding::Sound(format!(
                "the review list: {} parked, {} notice(s)",
                review.parked.len(),
                review.notices.len()
            )),
            Some(e) => Finding::Problem(
                format!("the review list names content the store lacks: {e:#}"),
                "`jitsi-custom rollback ID` to an operation before the parking, then `jitsi-custom rebase`"
                    .into(),
            ),
        },
        Err(e) => Finding::Problem(
            format!("the review list: {e:#}"),
            "`jitsi-custom rollback` restores it from the last operation".into(),
        ),
    });
    findings.push(match crate::store::integrity::find_damaged_object(&store.dir().join("repo")) {
        None => Finding::Sound("every stored object reads back whole".into()),
        Some(damage) => Finding::Problem(
            format!("damaged object {}: {}", damage.object.display(), damage.reason),
            format!(
                "restore {} from a backup, or start a new store from the live files with `jitsi-custom init --force` (the damaged one is kept beside it)",
                store.dir().display()
            ),
        ),
    });
    Ok(findings)
}

/// The branches must be where the last operation left them: every change moves them together
/// with the log, so a difference is a hand edit of the repository or a state an older version
/// left. Puts them back where the log says.
fn check_branches(root: &Path, store: &Store, dry_run: bool) -> Result<Finding> {
    let Some(last) = store.operations()?.into_iter().next() else {
        return Ok(Finding::Problem(
            "the operation log is empty".into(),
            "`jitsi-custom init --force` starts over (the old state is kept as a backup)".into(),
        ));
    };
    if store.refs_now()? == last.after {
        return Ok(Finding::Sound(format!(
            "the branches are where the last operation ({}, {}) left them",
            last.short_id(),
            last.kind
        )));
    }
    if dry_run {
        return Ok(Finding::Problem(
            format!(
                "the branches differ from the last operation ({})",
                last.short_id()
            ),
            "run `jitsi-custom doctor` without --dry-run to put them back".into(),
        ));
    }
    let before = store.refs_now()?;
    store.restore_refs(&last.after)?;
    let manifest = store.load_manifest()?;
    store.log_operation(
        root,
        "doctor",
        &format!("branches put back where {} left them", last.short_id()),
        before,
        &crate::engine::live::snapshot(root, &manifest)?,
    )?;
    Ok(Finding::Repaired(format!(
        "the branches were not where the last operation ({}) left them; put back",
        last.short_id()
    )))
}
