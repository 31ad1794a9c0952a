//! The browser path against a replica that only works with JavaScript: Hirono's form
//! (H001042, whose definition reformats the phone number with `substr`), delivered through
//! headless Chromium; the same definition falls back without a browser.
//!
//! The replica's page has no form in its HTML: a script builds it (as the Senate's CMS
//! pages do) and fills the hidden token, and an input mask strips the phone number to
//! digits on `change`. Only the definition's own scripts, run after the mask, give the
//! `208-555-0134` the server checks, so a path that skipped them would be refused.

use std::collections::BTreeMap;
use std::time::Duration;

use hillpost_channels::Channel;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings};
use hillpost_core::AttemptOutcome;
use sha2::{Digest, Sha256};

use super::replica::{Expect, Replica, ReplicaSpec, TOKEN};
use super::support::{channel, letter, member_form, message_expected, shared_data, support};

const HIRONO_URL: &str = "https://www.hirono.senate.gov/share-your-opinion";

/// The page: an empty `<main>` and the script that builds the form into it.
fn hirono_html() -> String {
    let titles = ["Mr.", "Mrs.", "Ms.", "Miss", "Mx.", "Dr.", "none"];
    let title_options: String = titles
        .iter()
        .map(|t| format!("<option value=\"{t}\">{t}</option>"))
        .collect();
    let topics = [
        ("Agriculture", "Agriculture"),
        ("Foreign Affairs", "Foreign Affairs"),
        ("Health", "Health"),
        ("Economy - Budget", "Economy - Budget"),
        ("Veterans", "Veterans"),
    ];
    let topic_options: String = topics
        .iter()
        .map(|(label, value)| format!("<option value=\"{value}\">{label}</option>"))
        .collect();
    let text = |id: &str, label: &str| {
        format!(
            "<label for=\"input-{id}\">{label}</label><input type=\"text\" id=\"input-{id}\" name=\"input_{id}\">"
        )
    };
    let form = [
        "<form id=\"share\" method=\"post\" action=\"/share-your-opinion\">".to_string(),
        "<input type=\"hidden\" name=\"form_token\" value=\"\">".into(),
        format!("<select id=\"title\" name=\"input_12C28095-E145-948E-6B6B-B0F8C75A80D2\"><option value=\"\">Title</option>{title_options}</select>"),
        text("B03E05C4-4040-F985-52CD-9CA44623DE5E", "First Name"),
        text("B03E04BD-4040-F985-52CD-48E090E769DA", "Last Name"),
        text("B03E05F1-4040-F985-52CD-A580E72A7D41", "Street"),
        text("B03E0595-4040-F985-52CD-C572364023FE", "City"),
        text("B03E04CC-4040-F985-52CD-4DDB58DA474A", "ZIP"),
        text("B03E046E-4040-F985-52CD-A2F10450D58D", "Phone"),
        "<div id=\"B03E03FC-4040-F985-52CD-BCD7E00A8A6C\"><input type=\"email\" id=\"email\" name=\"input_B03E0536-4040-F985-52CD-AFE12CDE8D31\"></div>".into(),
        text("B03E05A4-4040-F985-52CD-730C08912F4F", "Confirm Email"),
        format!("<select id=\"input-B03E04DB-4040-F985-52CD-18F332336F99\" name=\"input_B03E04DB-4040-F985-52CD-18F332336F99\"><option value=\"\">Topic</option>{topic_options}</select>"),
        text("12E6845B-D83C-EBAC-69D8-8880243D4E21", "Subject"),
        "<textarea id=\"input-B03E05B4-4040-F985-52CD-8DF0BC10EEE2\" name=\"input_B03E05B4-4040-F985-52CD-8DF0BC10EEE2\"></textarea>".into(),
        "<button type=\"submit\" class=\"btn btn-primary\">Submit</button>".into(),
        "</form>".into(),
    ]
    .concat();
    // The token exists only once the script has run.
    let (token_start, token_end) = TOKEN.split_once('-').unwrap();
    format!(
        r#"<!DOCTYPE html><html><head><title>Share Your Opinion | U.S. Senator Mazie Hirono</title></head>
<body><header class="site-header"><a href="/">Home</a></header>
<main id="app"><p>Loading the form&hellip;</p></main>
<script>
  document.getElementById('app').innerHTML = {form:?};
  document.querySelector('input[name=form_token]').value = [{token_start:?}, {token_end:?}].join('-');
  const phone = document.getElementById('input-B03E046E-4040-F985-52CD-A2F10450D58D');
  phone.addEventListener('change', () => {{ phone.value = phone.value.replace(/\D/g, ''); }});
</script></body></html>"#
    )
}

fn hirono_expected() -> BTreeMap<String, Expect> {
    let exact = |v: &str| Expect::Exact(v.to_string());
    // The definition's first script strips double quotes from the message, and a browser
    // posts a textarea's line breaks as CRLF (the HTML form-submission rules).
    let message = message_expected().replace('"', "").replace('\n', "\r\n");
    [
        ("input_12C28095-E145-948E-6B6B-B0F8C75A80D2", exact("Ms.")),
        ("input_B03E05C4-4040-F985-52CD-9CA44623DE5E", exact("Ana")),
        ("input_B03E04BD-4040-F985-52CD-48E090E769DA", exact("Pérez")),
        (
            "input_B03E05F1-4040-F985-52CD-A580E72A7D41",
            exact("1210 W Franklin St"),
        ),
        ("input_B03E0595-4040-F985-52CD-C572364023FE", exact("Boise")),
        ("input_B03E04CC-4040-F985-52CD-4DDB58DA474A", exact("83702")),
        (
            "input_B03E046E-4040-F985-52CD-A2F10450D58D",
            exact("208-555-0134"),
        ),
        (
            "input_B03E0536-4040-F985-52CD-AFE12CDE8D31",
            exact("ana.perez@example.org"),
        ),
        (
            "input_B03E05A4-4040-F985-52CD-730C08912F4F",
            exact("ana.perez@example.org"),
        ),
        (
            "input_B03E04DB-4040-F985-52CD-18F332336F99",
            exact("Foreign Affairs"),
        ),
        (
            "input_12E6845B-D83C-EBAC-69D8-8880243D4E21",
            exact(super::support::SUBJECT),
        ),
        (
            "input_B03E05B4-4040-F985-52CD-8DF0BC10EEE2",
            exact(&message),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn hirono_spec() -> ReplicaSpec {
    let mut spec = ReplicaSpec::new(HIRONO_URL, hirono_html(), hirono_expected());
    // The definition finds `h2` "Thank You" after submitting and its success text is
    // "Thank you".
    spec.thank_you = "Thank You! Thank you for contacting my office".into();
    spec
}

/// A browser for `test`, or `None` after a loud skip when chromium is not installed.
fn browser(test: &str) -> Option<BrowserExecutor> {
    let (chromium, chromedriver) = hillpost_testkit::browser::installed(test)?;
    Some(BrowserExecutor::new(BrowserSettings {
        chromium,
        chromedriver,
        page_timeout: Duration::from_secs(20),
        ..BrowserSettings::default()
    }))
}

#[tokio::test]
async fn hirono_form_is_delivered_through_headless_chromium() {
    let test = "web_form::hirono_form_is_delivered_through_headless_chromium";
    let Some(data) = shared_data(test) else {
        return;
    };
    let Some(browser) = browser(test) else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "H001042", &support);
    assert_eq!(form.execution_path().name(), "browser");
    let replica = Replica::start(hirono_spec()).await;
    let channel = channel(replica.egress(), vec![form], support).with_browser(browser);

    let report = channel.send(&letter("H001042")).await;

    assert_eq!(
        replica.submissions(),
        [Vec::<String>::new()],
        "every field as expected, the token from the page's script, the phone from the \
         definition's substr"
    );
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(report.remote_text.as_deref(), Some("Thank you"));
    assert_eq!(report.remote_code, Some(200), "from Navigation Timing");
    let note = report.note.clone().unwrap_or_default();
    assert!(
        note.starts_with(&format!("final URL {HIRONO_URL}")),
        "{note}"
    );
    assert!(note.contains("browser path"), "{note}");
    assert!(!note.contains("refused"), "{note}");
    // The hash covers the values hillpost filled in, in the definition's order.
    let filled = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("input_B03E05C4-4040-F985-52CD-9CA44623DE5E", "Ana"),
            ("input_B03E04BD-4040-F985-52CD-48E090E769DA", "Pérez"),
            (
                "input_B03E05F1-4040-F985-52CD-A580E72A7D41",
                "1210 W Franklin St",
            ),
            ("input_B03E0595-4040-F985-52CD-C572364023FE", "Boise"),
            ("input_B03E04CC-4040-F985-52CD-4DDB58DA474A", "83702"),
            ("input_B03E046E-4040-F985-52CD-A2F10450D58D", "208-555-0134"),
            (
                "input_B03E0536-4040-F985-52CD-AFE12CDE8D31",
                "ana.perez@example.org",
            ),
            (
                "input_B03E05A4-4040-F985-52CD-730C08912F4F",
                "ana.perez@example.org",
            ),
            (
                "input_12E6845B-D83C-EBAC-69D8-8880243D4E21",
                super::support::SUBJECT,
            ),
            (
                "input_B03E05B4-4040-F985-52CD-8DF0BC10EEE2",
                message_expected().as_str(),
            ),
            ("input_12C28095-E145-948E-6B6B-B0F8C75A80D2", "Ms."),
            (
                "input_B03E04DB-4040-F985-52CD-18F332336F99",
                "Foreign Affairs",
            ),
        ])
        .finish();
    assert_eq!(
        report.sent_sha256.as_deref(),
        Some(hex::encode(Sha256::digest(filled.as_bytes())).as_str())
    );
}

#[tokio::test]
async fn hirono_form_falls_back_without_a_browser() {
    let Some(data) = shared_data("web_form::hirono_form_falls_back_without_a_browser") else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "H001042", &support);
    let replica = Replica::start(hirono_spec()).await;
    let channel = channel(replica.egress(), vec![form], support);

    let report = channel.send(&letter("H001042")).await;

    let reason = report
        .passed_over()
        .map(str::to_string)
        .expect("falls back");
    assert!(reason.contains("needs a browser"), "{reason}");
    assert!(
        reason.contains("line 108"),
        "names the script's step: {reason}"
    );
    assert!(reason.contains("[web_forms.browser]"), "{reason}");
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert!(replica.submissions().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_browser_submission_redirected_off_the_list_may_have_arrived() {
    let test = "web_form::a_browser_submission_redirected_off_the_list_may_have_arrived";
    let Some(data) = shared_data(test) else {
        return;
    };
    let Some(browser) = browser(test) else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "H001042", &support);
    let mut spec = hirono_spec();
    spec.redirect_after_post = Some("https://thanks.example.org/done".into());
    let replica = Replica::start(spec).await;
    let channel = channel(replica.egress(), vec![form], support).with_browser(browser);

    let report = channel.send(&letter("H001042")).await;

    assert_eq!(
        replica.submissions(),
        [Vec::<String>::new()],
        "it was posted"
    );
    assert_eq!(
        report.outcome,
        AttemptOutcome::PossiblyAccepted,
        "{report:?}"
    );
    let note = report.note.unwrap_or_default();
    assert!(note.contains("thanks.example.org"), "{note}");
    assert!(note.contains("not on the egress allow-list"), "{note}");
    assert!(report.sent_sha256.is_some());
}
