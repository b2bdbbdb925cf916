//! The report that reaches a person after an unattended run that needs one: the same text by
//! mail (`mail_to` in the manifest) and in the system journal, with the review list appended.

use crate::store::Store;
use crate::system::notify;

use super::Ctx;

/// Sends `body` (plus the review list) by mail and to the journal. Never fails the run: a
/// report that cannot be delivered is a warning.
pub fn deliver(ctx: &Ctx, store: &Store, what: &str, body: &str) {
    let mut text = body.to_string();
    if let Ok(review) = store.review()
        && !review.is_empty()
    {
        text.push_str("\nwaiting for review:\n");
        for parked in &review.parked {
            text.push_str(&format!(
                "  {}  ({:?}): {}; {}\n",
                parked.path,
                parked.patch,
                parked.reasons.join("; "),
                parked.fallback.describe()
            ));
        }
        for notice in review
            .notices
            .iter()
            .filter(|n| n.kind != crate::store::parked::NoticeKind::Parked)
        {
            text.push_str(&format!(
                "  {}  ({:?}): {}\n",
                notice.path, notice.customisation, notice.message
            ));
        }
    }
    text.push_str("\nhint: `jitsi-custom status` shows it all; `jitsi-custom resolve` works through it\n");
    notify::to_journal(&ctx.root, &text);
    let mail_to = store.load_manifest().ok().and_then(|m| m.mail_to);
    if let Some(to) = mail_to {
        let host = hostname();
        let subject = format!("jitsi-custom on {host}: {what} needs attention");
        if let Err(e) = notify::send_mail(&ctx.sendmail, &to, &subject, &text) {
            ctx.warn(format_args!("cannot mail the report: {e:#}"));
        }
    }
}

fn hostname() -> String {
    rustix::system::uname().nodename().to_string_lossy().into_owned()
}
