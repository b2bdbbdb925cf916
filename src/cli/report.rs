//! The report that reaches a person after an unattended run that needs one: the same text by
//! mail (`mail_to` in the manifest) and in the system journal, with the review list appended.

use crate::tr;

use crate::store::Store;
use crate::system::notify;

use super::Ctx;

/// What a report is about: its mail's subject names it.
#[derive(Clone, Copy)]
pub enum Occasion {
    AptRun,
    MaintenanceWindow,
}

impl Occasion {
    fn subject(self, host: &str) -> String {
        match self {
            Occasion::AptRun => tr!("jitsi-custom on {host}: apt run needs attention", host),
            Occasion::MaintenanceWindow => {
                tr!("jitsi-custom on {host}: maintenance window needs attention", host)
            }
        }
    }
}

/// Sends `body` (plus the review list) by mail and to the journal. Never fails the run: a
/// report that cannot be delivered is a warning.
pub fn deliver(ctx: &Ctx, store: &Store, occasion: Occasion, body: &str) {
    let mut text = body.to_string();
    if let Ok(review) = store.review()
        && !review.is_empty()
    {
        text.push_str(&format!("\n{}\n", tr!("waiting for review:")));
        for parked in &review.parked {
            text.push_str(&format!(
                "  {}  ({:?}): {}; {}\n",
                parked.path,
                parked.patch,
                super::shown_joined(&parked.reasons),
                crate::i18n::shown(&parked.fallback.describe())
            ));
        }
        for notice in review
            .notices
            .iter()
            .filter(|n| n.kind != crate::store::parked::NoticeKind::Parked)
        {
            text.push_str(&format!(
                "  {}  ({:?}): {}\n",
                notice.path,
                notice.customisation,
                crate::i18n::shown(&notice.message)
            ));
        }
    }
    text.push_str(&format!(
        "\n{}\n",
        tr!("hint: `jitsi-custom status` shows it all; `jitsi-custom resolve` works through it")
    ));
    notify::to_journal(&ctx.root, &text);
    let mail_to = store.load_manifest().ok().and_then(|m| m.mail_to);
    if let Some(to) = mail_to {
        let host = hostname();
        let subject = occasion.subject(&host);
        if let Err(e) = notify::send_mail(&ctx.sendmail, &to, &subject, &text) {
            ctx.warn(tr!(
                "cannot mail the report: {error}",
                error = crate::i18n::shown_chain(&e)
            ));
        }
    }
}

fn hostname() -> String {
    rustix::system::uname().nodename().to_string_lossy().into_owned()
}
