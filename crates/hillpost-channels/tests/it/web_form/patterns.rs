//! The step patterns a browser reads differently from a naive executor, on replicas built
//! from the shared definitions that show them, over HTTP and in headless Chromium (every
//! form can run in the browser with `all_forms`):
//!
//! - T000469: a ZIP lookup form posted on the way to the real form, and a `click_on` on a
//!   `label[for=…]` that chooses a radio button (its recaptcha step cut, as the White House
//!   test does, since a machine may not solve it);
//! - D000622: a `click_on` on a tab (`.opinion a`) that reveals the form before any field
//!   is filled, and the submit done by a script (`document.querySelector("input.btn")
//!   .click()`);
//! - B001305: a state `select` whose options map labels to values that are not the code
//!   (`Idaho: 17_ID`), and a topic map (recaptcha cut likewise);
//! - a form a script writes with innerHTML, with a required state select (browser only).
//!
//! Each replica checks every posted field, the hidden token and the session cookie; the
//! report must be `ok` with the answer page (and, in the browser, a screenshot) as evidence.

use std::time::Duration;

use hillpost_channels::Channel;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{EvidenceKind, SendReport};
use hillpost_directory::forms::{ExecutionPath, FormDefinition, FormSupport};

use super::pattern_replicas::*;
use super::replica::{Replica, ReplicaSpec};
use super::support::{channel, letter, shared_data, support};

/// Which executor runs the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path_ {
    Http,
    Browser,
}

/// Delivers `form` to the replica `spec` describes on `path`; `None` after a loud skip
/// when the browser is not installed.
async fn deliver(
    test: &str,
    path: Path_,
    form: FormDefinition,
    support: FormSupport,
    spec: ReplicaSpec,
) -> Option<(Replica, SendReport)> {
    let id = form.id.clone();
    let replica = Replica::start(spec).await;
    let mut channel = channel(replica.egress(), vec![form], support);
    if path == Path_::Browser {
        let (chromium, chromedriver) = hillpost_testkit::browser::installed(test)?;
        channel = channel.with_browser(BrowserExecutor::new(BrowserSettings {
            chromium,
            chromedriver,
            page_timeout: Duration::from_secs(20),
            all_forms: true,
            ..BrowserSettings::default()
        }));
    }
    let report = channel.send(&letter(&id)).await;
    Some((replica, report))
}

/// Accepted with every field, `ok`, and the answer page (and a screenshot) kept.
fn assert_delivered(path: Path_, replica: &Replica, report: &SendReport) {
    assert_eq!(
        replica.submissions(),
        [Vec::<String>::new()],
        "{path:?}: {report:?}"
    );
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{path:?}: {report:?}");
    assert!(report.sent_sha256.is_some());
    let kinds: Vec<EvidenceKind> = report.evidence.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EvidenceKind::AnswerPage), "{kinds:?}");
    let page = report
        .evidence
        .iter()
        .find(|e| e.kind == EvidenceKind::AnswerPage)
        .unwrap();
    assert!(String::from_utf8_lossy(&page.content).contains("We read every message"));
    if path == Path_::Browser {
        let shot = report
            .evidence
            .iter()
            .find(|e| e.kind == EvidenceKind::ScreenshotAfterSubmit)
            .expect("a screenshot after submit");
        assert!(shot.content.starts_with(b"\x89PNG"), "a PNG");
    }
}

// ── T000469: a ZIP lookup on the way, a label that chooses a radio button ──────────────

/// Delivers the pattern `which` on `path`, checked by its replica; `None` after a skip.
async fn member_pattern(path: Path_, which: &str) -> Option<(Replica, SendReport)> {
    let test = "web_form::patterns::member_pattern";
    let data = shared_data(test)?;
    let support = support(&data);
    let (form, spec) = pattern(&data, &support, which);
    assert_eq!(form.execution_path(), ExecutionPath::Http, "{which}");
    let (replica, report) = deliver(test, path, form, support, spec).await?;
    assert_delivered(path, &replica, &report);
    Some((replica, report))
}

async fn tonko(path: Path_) {
    let Some((replica, _)) = member_pattern(path, "T000469").await else {
        return;
    };
    let queries = replica.state.page_queries.lock().unwrap().clone();
    assert_eq!(queries, ["zip5=83702&zip4=5412"], "the ZIP lookup, once");
}

#[tokio::test]
async fn tonko_zip_lookup_and_label_click_over_http() {
    tonko(Path_::Http).await;
}

#[tokio::test]
async fn tonko_zip_lookup_and_label_click_in_the_browser() {
    tonko(Path_::Browser).await;
}

// ── D000622: a tab that reveals the form, a script that submits it ───────────────────────

async fn duckworth(path: Path_) {
    let Some((_, report)) = member_pattern(path, "D000622").await else {
        return;
    };
    let note = report.note.clone().unwrap_or_default();
    assert!(
        note.contains("`.opinion a`"),
        "the tab click is noted: {note}"
    );
}

#[tokio::test]
async fn duckworth_tab_click_and_script_submit_over_http() {
    duckworth(Path_::Http).await;
}

#[tokio::test]
async fn duckworth_tab_click_and_script_submit_in_the_browser() {
    duckworth(Path_::Browser).await;
}

// ── B001305: state options whose values are not the code ────────────────────────────────

#[tokio::test]
async fn budd_state_options_ending_in_the_code_over_http() {
    member_pattern(Path_::Http, "B001305").await;
}

#[tokio::test]
async fn budd_state_options_ending_in_the_code_in_the_browser() {
    member_pattern(Path_::Browser, "B001305").await;
}

// ── A form written with innerHTML, with a required state select ──────────────────────────

#[tokio::test]
async fn a_form_written_by_script_gets_its_required_select_in_the_browser() {
    let test =
        "web_form::patterns::a_form_written_by_script_gets_its_required_select_in_the_browser";
    let Some(data) = shared_data(test) else {
        return;
    };
    let support = support(&data);
    let form = inner_definition(&support, "");
    assert_eq!(form.execution_path().name(), "browser");
    let Some((replica, report)) = deliver(test, Path_::Browser, form, support, inner_spec()).await
    else {
        return;
    };
    assert_delivered(Path_::Browser, &replica, &report);
}

#[tokio::test]
async fn a_script_that_throws_before_the_submit_sends_nothing_and_keeps_the_page() {
    let test = "web_form::patterns::a_script_that_throws_before_the_submit_sends_nothing_and_keeps_the_page";
    let Some(data) = shared_data(test) else {
        return;
    };
    let support = support(&data);
    // The definition's own script is broken: it throws after writing the form.
    let form = inner_definition(&support, "; document.querySelector('#gone').value = 1");
    let Some((replica, report)) = deliver(test, Path_::Browser, form, support, inner_spec()).await
    else {
        return;
    };
    assert!(replica.submissions().is_empty(), "nothing posted");
    assert_eq!(report.outcome, AttemptOutcome::Permanent, "{report:?}");
    assert_eq!(report.sent_sha256, None);
    let note = report.note.clone().unwrap_or_default();
    assert!(
        note.contains("line 7") && note.contains("the script failed"),
        "{note}"
    );
    let kinds: Vec<EvidenceKind> = report.evidence.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EvidenceKind::FailurePage, EvidenceKind::ScreenshotAtFailure],
        "{note}"
    );
}

#[tokio::test]
async fn a_selector_missing_before_the_submit_sends_nothing_over_http() {
    let test = "web_form::patterns::a_selector_missing_before_the_submit_sends_nothing_over_http";
    let Some(data) = shared_data(test) else {
        return;
    };
    let support = support(&data);
    let form = super::support::member_form(&data, "D000622", &support);
    let mut spec = duckworth_spec(&form);
    // The office renamed its first-name field.
    spec.html = spec.html.replace("EC0FF52F-A150", "EC0FF52F-B150");
    let Some((replica, report)) = deliver(test, Path_::Http, form, support, spec).await else {
        return;
    };
    assert!(replica.submissions().is_empty(), "nothing posted");
    assert_eq!(report.outcome, AttemptOutcome::Permanent, "{report:?}");
    assert_eq!(report.sent_sha256, None);
    let note = report.note.clone().unwrap_or_default();
    assert!(
        note.contains("line 9") && note.contains("#input-EC0FF52F-A150"),
        "{note}"
    );
    assert_eq!(report.evidence.len(), 1);
    assert_eq!(report.evidence[0].kind, EvidenceKind::FailurePage);
}
