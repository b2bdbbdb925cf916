//! The rebase engine's decisions in-process, with a scripted resolver instead of a person (the
//! same decisions through a real terminal are in `tests/prompts.rs`): what each answer puts live,
//! what the report and the review list say.

mod common;

use common::*;
use jitsi_custom::InstallPath;
use jitsi_custom::engine::rebase::{self, Fate, Options, Resolution, Scripted};
use jitsi_custom::store::Store;
use jitsi_custom::store::parked::{Fallback, NoticeKind};
use jitsi_custom::system::dpkg::Dpkg;

/// The guide's customisations carried onto 1.0.2, then jitsi-meet-web 1.0.3 installed: the card
/// conflicts.
fn conflict_world() -> World {
    let w = World::jitsi_customised();
    w.install("1.0.2-1");
    w.cmd(&["--non-interactive", "rebase", "--no-restart"])
        .assert()
        .code(0);
    w.install("1.0.3-1");
    w
}

fn rebase_with(w: &World, answers: Vec<Resolution>) -> (rebase::Report, Vec<(String, InstallPath)>) {
    let store = Store::open_for_writing(&w.state).unwrap();
    let manifest = store.load_manifest().unwrap();
    let dpkg = Dpkg::read(&w.root).unwrap();
    let resolver = Scripted::new(answers);
    let opts = Options {
        changed_by_packages: Vec::new(),
        pending_upstream: Default::default(),
        resolver: &resolver,
        dry_run: false,
        docker: None,
        replace: None,
    };
    let report = rebase::rebase(&w.root, &store, &manifest, &dpkg, &opts).unwrap();
    let asked = resolver.asked.borrow().clone();
    (report, asked)
}

fn card_fate(report: &rebase::Report) -> &Fate {
    &report
        .fates
        .iter()
        .find(|f| f.path.to_string() == CARD)
        .expect("the card was replayed")
        .fate
}

#[test]
fn only_the_conflicting_file_is_asked_about() {
    let w = conflict_world();
    let (report, asked) = rebase_with(&w, vec![Resolution::Park]);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].0, "guide");
    assert_eq!(asked[0].1.to_string(), CARD);
    assert!(
        report
            .fates
            .iter()
            .filter(|f| f.path.to_string() != CARD)
            .all(|f| !matches!(f.fate, Fate::Parked { .. }))
    );
}

#[test]
fn parking_keeps_the_practices_side_live_and_lists_it() {
    let w = conflict_world();
    let (report, _) = rebase_with(&w, vec![Resolution::Park]);
    assert!(
        matches!(
            card_fate(&report),
            Fate::Parked {
                fallback: Fallback::Yours,
                ..
            }
        ),
        "{:?}",
        card_fate(&report)
    );
    let card = w.read_string(CARD);
    assert!(card.contains("Logopädische Praxis Sommer"), "{card}");
    assert!(card.contains("displayed when"), "upstream's other change: {card}");
    assert!(
        report.notices.iter().any(|n| n.kind == NoticeKind::Parked
            && n.customisation == "guide"
            && n.path.to_string() == CARD)
    );
    assert!(report.written.iter().any(|p| p.to_string() == CARD));
}

#[test]
fn keeping_the_whole_file_is_a_choice_the_review_list_remembers() {
    let w = conflict_world();
    let (report, _) = rebase_with(&w, vec![Resolution::KeepLocal]);
    assert_eq!(card_fate(&report), &Fate::Resolved);
    assert!(
        !w.read_string(CARD).contains("displayed when"),
        "the whole customised file"
    );
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::UpstreamDropped && n.path.to_string() == CARD),
        "{:?}",
        report.notices
    );
}

#[test]
fn taking_upstream_drops_the_customisation_for_that_file_only() {
    let w = conflict_world();
    let (report, _) = rebase_with(&w, vec![Resolution::TakeUpstream]);
    assert_eq!(card_fate(&report), &Fate::Resolved);
    assert_eq!(w.read(CARD), shipped("jitsi-meet-web", "1.0.3-1", CARD));
    assert!(
        w.read_string(INTERFACE)
            .contains("APP_NAME: 'Praxis Videosprechstunde'")
    );
    assert!(report.notices.is_empty(), "{:?}", report.notices);
}

#[test]
fn a_persons_own_result_goes_live_as_given() {
    let w = conflict_world();
    let own = shipped("jitsi-meet-web", "1.0.3-1", CARD);
    let own = String::from_utf8(own)
        .unwrap()
        .replace("<h2>Jitsi Meet</h2>", "<h2>Praxis Sommer</h2>");
    let (report, _) = rebase_with(&w, vec![Resolution::Content(own.clone().into_bytes())]);
    assert_eq!(card_fate(&report), &Fate::Resolved);
    assert_eq!(w.read_string(CARD), own);
}

/// The engine's init, track and untrack in-process: explicit inputs, a report out, the store
/// changed as one operation each.
mod tracked_set {
    use super::*;
    use jitsi_custom::engine::init::{self, InitOptions};
    use jitsi_custom::engine::track;
    use jitsi_custom::store::upstream::Source;
    use jitsi_custom::ui::prompt::NoPrompt;

    const LOGO: &str = "/usr/share/jitsi-meet/images/praxis-logo.png";

    fn initialised() -> World {
        let w = World::new();
        w.install("1.0.1-1");
        w.write(CARD, "<div>Willkommen in der Praxis</div>\n");
        let dpkg = Dpkg::read(&w.root).unwrap();
        let opts = InitOptions {
            domain: None,
            adopt_bkp: true,
            force: false,
            dry_run: false,
            prompt: &NoPrompt,
            docker: None,
        };
        let report = init::init(&w.root, &w.state, &dpkg, &opts).unwrap();
        assert_eq!(report.domain.as_deref(), Some("tele.praxis.de"));
        let card = report
            .files
            .iter()
            .find(|f| f.path.to_string() == CARD)
            .expect("the card is tracked");
        assert!(card.customised, "the edit made before init is found");
        assert_eq!(
            card.source,
            Source::DebCache,
            "the pristine card comes from apt's cache"
        );
        w
    }

    #[test]
    fn init_records_edits_made_before_it_as_the_first_customisations() {
        let w = initialised();
        let store = Store::open(&w.state).unwrap();
        let names: Vec<String> = store.patches().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["found at init: welcomePageAdditionalCard.html"]);
        let ops = store.operations().unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind, "init");
    }

    #[test]
    fn track_then_untrack_is_one_operation_each_and_leaves_the_live_file() {
        let w = initialised();
        w.write(LOGO, b"\x89PNG\r\n\x1a\nlogo");
        let logo = InstallPath::parse(LOGO).unwrap();
        let just_logo = vec![logo.clone()];
        let dpkg = Dpkg::read(&w.root).unwrap();
        {
            let store = Store::open_for_writing(&w.state).unwrap();
            let dry = track::track(&w.root, &store, &dpkg, std::slice::from_ref(&logo), true).unwrap();
            assert_eq!(dry.tracked, just_logo);
            assert!(
                !store.load_manifest().unwrap().is_tracked(&logo),
                "a dry run tracks nothing"
            );
            let report = track::track(&w.root, &store, &dpkg, std::slice::from_ref(&logo), false).unwrap();
            assert_eq!(report.tracked, just_logo);
            assert_eq!(
                report.unrecorded, just_logo,
                "no package ships it: all of it is the admin's"
            );
            let again = track::track(&w.root, &store, &dpkg, std::slice::from_ref(&logo), false).unwrap();
            assert_eq!(again.already, just_logo);
            assert!(again.tracked.is_empty());
        }
        w.cmd(&["record", "-m", "practice logo"]).assert().code(0);
        let store = Store::open_for_writing(&w.state).unwrap();
        let refused = track::untrack(&w.root, &store, std::slice::from_ref(&logo), false, false);
        let err = format!("{:#}", refused.unwrap_err());
        assert!(err.contains("\"practice logo\""), "{err}");
        let report = track::untrack(&w.root, &store, std::slice::from_ref(&logo), true, false).unwrap();
        assert_eq!(report.untracked, just_logo);
        assert_eq!(
            report.dropped,
            [(logo.clone(), vec!["\"practice logo\"".to_string()])]
        );
        assert!(!store.load_manifest().unwrap().is_tracked(&logo));
        assert_eq!(w.read(LOGO), b"\x89PNG\r\n\x1a\nlogo", "the live file stays");
        let kinds: Vec<String> = store.operations().unwrap().into_iter().map(|o| o.kind).collect();
        assert_eq!(kinds[..3], ["untrack", "record", "track"]);
    }
}

/// `pull` through the engine with a person answering: a shared customisation meets a local one
/// on the card's heading; the person is asked about exactly that, and the answer goes live.
#[test]
fn a_pull_asks_about_a_conflict_with_a_local_customisation_and_the_answer_goes_live() {
    use jitsi_custom::engine::fleet::{self, Change, PullOptions, PullOutcome};
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("fleet.git");
    assert!(
        std::process::Command::new("git")
            .args(["init", "--bare", "-q"])
            .arg(&remote)
            .status()
            .unwrap()
            .success()
    );
    let template = World::jitsi_customised();
    template
        .cmd(&["remote", "add", "origin", remote.to_str().unwrap()])
        .assert()
        .code(0);
    template.cmd(&["push"]).assert().code(0);

    let w = World::new();
    w.install("1.0.1-1");
    w.cmd(&["init"]).assert().code(0);
    w.write(
        CARD,
        w.read_string(CARD)
            .replace("<h2>Welcome to Jitsi Meet</h2>", "<h2>Praxis Nord</h2>"),
    );
    w.cmd(&["record", "-m", "Nord card"]).assert().code(0);
    w.cmd(&["remote", "add", "origin", remote.to_str().unwrap()])
        .assert()
        .code(0);

    let store = Store::open_for_writing(&w.state).unwrap();
    let manifest = store.load_manifest().unwrap();
    let dpkg = Dpkg::read(&w.root).unwrap();
    let remote = fleet::choose_remote(&store, None).unwrap();
    // The person takes the group's card over the local heading.
    let resolver = Scripted::new([Resolution::TakeUpstream]);
    let opts = PullOptions {
        resolver: &resolver,
        dry_run: false,
    };
    let PullOutcome::Pulled(report) = fleet::pull(&w.root, &store, &manifest, &dpkg, &remote, &opts).unwrap()
    else {
        panic!("refused")
    };
    let asked = resolver.asked.borrow().clone();
    assert_eq!(
        asked,
        vec![("Nord card".to_string(), InstallPath::parse(CARD).unwrap())]
    );
    let changes: Vec<(String, Change)> = report
        .customisations
        .iter()
        .map(|c| (c.name.clone(), c.change))
        .collect();
    assert_eq!(
        changes,
        [
            ("guide".to_string(), Change::Added),
            ("Nord card".to_string(), Change::Removed)
        ]
    );
    assert_eq!(report.rebase.as_ref().unwrap().emptied, ["Nord card"]);
    drop(store);
    assert_eq!(w.read(CARD), template.read(CARD));
    w.cmd(&["status"]).assert().code(0);
}
