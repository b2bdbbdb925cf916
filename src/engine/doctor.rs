//! What `doctor` checks that no command repairs by itself: the branches against the operation
//! log, the patch stack on upstream, the manifest against the files the store keeps, the review
//! list, and every stored object. It repairs what it safely can (the branches) and says for the
//! rest what to do.

use std::path::Path;

use crate::tr;
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
        Ok(patches) => Finding::Sound(tr!("the patch stack: {n} customisation(s) on upstream"
            | "the patch stack: {n} customisation(s) on upstream" % patches.len())),
        Err(e) => Finding::Problem(
            tr!("the patch stack: {error}", error = format!("{e:#}")),
            tr!("`jitsi-custom log`, then `jitsi-custom rollback ID` to the last operation that is fine"),
        ),
    });
    findings.push(
        match store
            .load_manifest()
            .and_then(|m| store.check_manifest_covers(&m))
        {
            Ok(()) => Finding::Sound(tr!("the manifest lists every file the store keeps")),
            Err(e) => {
                let text = format!("{e:#}");
                // The error's own hint, in English or in the reader's language.
                let hint_line = format!("\n{} ", tr!("hint:"));
                match text
                    .split_once(hint_line.as_str())
                    .or_else(|| text.split_once("\nhint: "))
                {
                    Some((problem, hint)) => Finding::Problem(problem.to_string(), hint.to_string()),
                    None => Finding::Problem(text.clone(), tr!("restore the manifest")),
                }
            }
        },
    );
    findings.push(match store.review() {
        Ok(review) => match review
            .parked
            .iter()
            .find_map(|p| store.parked_blob(&p.base).and(store.parked_blob(&p.local)).err())
        {
            None => Finding::Sound(tr!(
                "the review list: {parked} parked, {n} notice"
                    | "the review list: {parked} parked, {n} notices"
                    % review.notices.len(),
                parked = review.parked.len()
            )),
            Some(e) => Finding::Problem(
                tr!(
                    "the review list names content the store lacks: {error}",
                    error = format!("{e:#}")
                ),
                tr!("`jitsi-custom rollback ID` to an operation before the parking, then `jitsi-custom rebase`"),
            ),
        },
        Err(e) => Finding::Problem(
            tr!("the review list: {error}", error = format!("{e:#}")),
            tr!("`jitsi-custom rollback` restores it from the last operation"),
        ),
    });
    findings.push(match crate::store::integrity::find_damaged_object(&store.dir().join("repo")) {
        None => Finding::Sound(tr!("every stored object reads back whole")),
        Some(damage) => Finding::Problem(
            tr!(
                "damaged object {object}: {reason}",
                object = damage.object.display(),
                reason = crate::i18n::shown(&damage.reason)
            ),
            tr!(
                "restore {state} from a backup, or start a new store from the live files with `jitsi-custom init --force` (the damaged one is kept beside it)",
                state = store.dir().display()
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
            tr!("the operation log is empty"),
            tr!("`jitsi-custom init --force` starts over (the old state is kept as a backup)"),
        ));
    };
    if store.refs_now()? == last.after {
        return Ok(Finding::Sound(tr!(
            "the branches are where the last operation ({operation}, {kind}) left them",
            operation = last.short_id(),
            kind = last.kind
        )));
    }
    if dry_run {
        return Ok(Finding::Problem(
            tr!(
                "the branches differ from the last operation ({operation})",
                operation = last.short_id()
            ),
            tr!("run `jitsi-custom doctor` without --dry-run to put them back"),
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
    Ok(Finding::Repaired(tr!(
        "the branches were not where the last operation ({operation}) left them; put back",
        operation = last.short_id()
    )))
}
