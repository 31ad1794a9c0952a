//! The browser path on one of the four definitions that write their own form into the page
//! (`document.querySelector('.SiteLayout__main').innerHTML = '<form …>'`): Murphy's
//! (M001169), the one of the four with a confirmation text ("Contact Chris").
//!
//! The replica's page is the Senate CMS shell with nothing in `.SiteLayout__main` but a
//! "loading" notice — the CMS script that would build the form is gone, which is why the
//! definition carries the form's markup. Every field the server checks exists only once the
//! definition's script has run. The page's own script adds the CSRF token to whatever form
//! is submitted (a listener on the document, so it survives the innerHTML replacement), and
//! the session cookie must come back. The definition visits `http://`; as the real site
//! does, a plain-HTTP listener redirects to `https://`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::http::Uri;
use axum::response::Redirect;
use hillpost_channels::Channel;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings};
use hillpost_core::AttemptOutcome;
use hillpost_directory::forms::ExecutionPath;

use super::replica::{Expect, Replica, ReplicaSpec, TOKEN};
use super::support::{channel, letter, member_form, message_expected, shared_data, support};

const MURPHY_URL: &str = "https://www.murphy.senate.gov/contact";
const HOST: &str = "www.murphy.senate.gov";

/// The page as the CMS serves it when its form script does not run: no form at all.
fn murphy_html() -> String {
    let (token_start, token_end) = TOKEN.split_once('-').unwrap();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Contact | U.S. Senator Chris Murphy of Connecticut</title></head>
<body class="SiteLayout"><header class="SiteLayout__header"><a href="/">Senator Murphy</a></header>
<main class="SiteLayout__main"><div class="amend-form-container"><p>Loading the contact form&hellip;</p></div></main>
<footer class="SiteLayout__footer"><a href="/privacy">Privacy</a></footer>
<script>
  // The CMS's CSRF protection: a token added to any form as it is submitted.
  document.addEventListener('submit', (event) => {{
    const token = document.createElement('input');
    token.type = 'hidden';
    token.name = 'form_token';
    token.value = [{token_start:?}, {token_end:?}].join('-');
    event.target.appendChild(token);
  }}, true);
</script></body></html>"#
    )
}

/// Every control of the definition's form, as the signer's values fill it.
fn murphy_expected() -> BTreeMap<String, Expect> {
    let exact = |v: &str| Expect::Exact(v.to_string());
    // The definition strips double quotes from the message; a browser posts CRLF.
    let message = message_expected().replace('"', "").replace('\n', "\r\n");
    [
        // $TOPIC: the subject's closest topic, "Foreign Affairs", through the option map.
        (
            "input_0ABBAE0C-9635-FF04-6478-C0D0714750A0",
            exact("FORAFFS"),
        ),
        ("input_AB325C8C-EFA8-001B-B51C-2471B8E05D44", exact("")),
        ("input_021E6782-96D4-5780-E206-014F5E35C3F8", exact("Ms.")),
        ("input_0D9C1CBF-0FA9-F521-7BE3-D60FBF8BC532", exact("Ana")),
        ("input_021E6808-E024-5908-3F8C-F3A903888D3B", exact("")),
        ("input_021E6848-A43A-487E-E67F-09444047A2BC", exact("Pérez")),
        (
            "input_02A611A6-C6E3-A8FD-5992-EE40147D726A",
            exact("1210 W Franklin St"),
        ),
        ("input_02A611E7-D86B-7139-AD0F-692B62A62CD2", exact("")),
        ("input_02A61225-E09F-EA85-FAF0-D225ED392435", exact("Boise")),
        ("input_02A61263-CB93-EA3B-18F7-572F08EA57F4", exact("ID")),
        ("input_02A612A3-005B-4DF1-0308-92EB04712239", exact("83702")),
        (
            "input_02C9EBF2-9068-15B3-76C7-3DFE96C5D370",
            exact("208-555-0134"),
        ),
        (
            "input_02D398B4-9987-B172-DEA3-3191E1F79BE8",
            exact("ana.perez@example.org"),
        ),
        (
            "input_02D398F5-DCDB-34E1-6593-048598518F1D",
            exact("ana.perez@example.org"),
        ),
        (
            "input_02E0E441-9477-3987-8977-A4EC9BDD0DBD",
            exact(super::support::SUBJECT),
        ),
        (
            "input_02E45FD5-BD42-AF0E-8834-08C8C725558F",
            exact(&message),
        ),
        // The town-hall radio the markup checks.
        (
            "input_03C3FEAA-D043-3E98-4120-C55D4E189D16",
            exact("03C511B2-FF33-DDF3-C032-07DF65083425"),
        ),
        (
            "creativengine_form_identifier",
            exact("FE378C8B-ECA5-FC96-D7EE-18EE82AE3ABD"),
        ),
        ("email_address_validation_field", exact("")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `http://www.murphy.senate.gov/…` answers with a redirect to `https://`, as the site does.
async fn https_redirector() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let router = Router::new().fallback(|uri: Uri| async move {
        Redirect::permanent(&format!("https://{HOST}{}", uri.path()))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, task)
}

#[tokio::test]
async fn murphy_form_written_by_its_script_is_delivered_through_headless_chromium() {
    let test = "web_form::murphy_form_written_by_its_script_is_delivered_through_headless_chromium";
    let Some(data) = shared_data(test) else {
        return;
    };
    let Some((chromium, chromedriver)) = hillpost_testkit::browser::installed(test) else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "M001169", &support);
    let ExecutionPath::Browser { why } = form.execution_path() else {
        panic!("M001169 needs the browser: {:?}", form.execution_path());
    };
    assert!(why.contains("innerHTML"), "{why}");
    let html = murphy_html();
    assert!(
        !html.contains("<form") && !html.contains("issue-type"),
        "the page has no form until the definition's script writes it"
    );
    let mut spec = ReplicaSpec::new(MURPHY_URL, html, murphy_expected());
    spec.thank_you = "Contact Chris: thank you, your message was received".into();
    let replica = Replica::start(spec).await;
    let (plain_addr, redirector) = https_redirector().await;
    let mut egress = replica.egress();
    egress
        .resolve
        .insert(format!("{HOST}:80"), plain_addr.to_string());
    let browser = BrowserExecutor::new(BrowserSettings {
        chromium,
        chromedriver,
        page_timeout: Duration::from_secs(20),
        ..BrowserSettings::default()
    });
    let channel = channel(egress, vec![form], support).with_browser(browser);

    let report = channel.send(&letter("M001169")).await;
    redirector.abort();

    assert_eq!(
        replica.submissions(),
        [Vec::<String>::new()],
        "every field of the script's form, the page's token and the session cookie"
    );
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(report.remote_text.as_deref(), Some("Contact Chris"));
    assert_eq!(report.remote_code, Some(200), "from Navigation Timing");
    let note = report.note.clone().unwrap_or_default();
    assert!(
        note.starts_with(&format!("final URL {MURPHY_URL}")),
        "{note}"
    );
    assert!(report.sent_sha256.is_some());
}
