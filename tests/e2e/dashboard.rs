//! The organizer dashboard in a real browser: headless Chromium (through chromedriver) signs
//! in to `hillpost serve --with-worker`, previews a campaign, starts a batch and watches it
//! finish against the test SMTP server. Leaves a screenshot in
//! `target/test-artifacts/dashboard-batch.png`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use hillpost_testkit::browser::fantoccini::Locator;
use hillpost_testkit::browser::{Browser, artifact_path};
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::Workspace;

const TEST: &str = "e2e::dashboard::a_campaigner_sends_a_batch_from_the_browser";
const OFFICE: (&str, &str) = ("Committee staff", "staff@committee.example.org");

/// `hillpost serve`, stopped when the test ends (passing or not).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaigner_sends_a_batch_from_the_browser() {
    let Some(browser) = Browser::start(TEST).await else {
        return;
    };
    // Each letter takes a moment to be accepted, so the batch is still sending when its page
    // first shows, and only the page's own refreshing can show it complete.
    let Some(smtp) = SmtpServer::start(TEST, Faults::delay(Duration::from_millis(400))) else {
        return;
    };
    let ws = Workspace::new()
        .smtp(smtp.port())
        .env("HILLPOST__SERVER__LISTEN", "127.0.0.1:0")
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    ws.seed("individual", 3, OFFICE);
    let secret = ws
        .run(&[
            "tokens",
            "create",
            "--role",
            "organizer",
            "--organization",
            "Test Peace Coalition",
            "--label",
            "browser",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();

    let mut child = ws
        .command(&["serve", "--with-worker"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hillpost serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the listening line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();

    let client = &browser.client;
    let wait = Duration::from_secs(20);

    // Sign in with the token, as a campaigner pastes it.
    client
        .goto(&format!("{base}/dashboard/login"))
        .await
        .unwrap();
    client
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(&secret)
        .await
        .unwrap();
    client
        .find(Locator::Css("#login-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // The campaign list, then the campaign.
    let link = client
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("a.campaign-link"))
        .await
        .expect("the campaign list after signing in");
    assert_eq!(link.text().await.unwrap(), "Bring the troops home");
    link.click().await.unwrap();
    let count = client
        .wait()
        .at_most(wait)
        .for_element(Locator::Id("signature-count"))
        .await
        .expect("the campaign page");
    assert_eq!(count.text().await.unwrap(), "3");

    // The preview: the office, the endpoint chosen, nobody left out.
    client
        .find(Locator::Id("preview-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let recipients = client
        .wait()
        .at_most(wait)
        .for_element(Locator::Id("recipients"))
        .await
        .expect("the preview page");
    let table = recipients.text().await.unwrap();
    assert!(table.contains("Committee staff"), "{table}");
    assert!(
        table.contains("Email: staff@committee.example.org"),
        "{table}"
    );
    let summary = client
        .find(Locator::Id("preview-summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(summary.starts_with("3 letters to 1 office"), "{summary}");
    client.find(Locator::Id("nobody-skipped")).await.unwrap();

    // Start it, and watch the batch page update itself until the batch is complete.
    client
        .find(Locator::Id("start-now"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(wait)
        .for_element(Locator::Id("batch-state"))
        .await
        .expect("the batch page");
    let url = client.current_url().await.unwrap();
    assert!(url.path().starts_with("/dashboard/batches/"), "{url}");
    let first = client
        .find(Locator::Id("batch-state"))
        .await
        .unwrap()
        .attr("data-state")
        .await
        .unwrap();
    assert_eq!(first.as_deref(), Some("running"), "the batch is under way");
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("#batch-state[data-state=completed]"))
        .await
        .expect("the batch page to show the batch completed");
    let delivered = client
        .find(Locator::Id("delivered-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(delivered, "3");
    let in_state = client
        .find(Locator::Css("#states tr[data-state=delivered] td"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(in_state, "3");
    client
        .find(Locator::Css("svg.chart polyline.delivered"))
        .await
        .unwrap();

    let screenshot = artifact_path("dashboard-batch.png");
    browser.screenshot(&screenshot).await;
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");

    // What the page says is what the SMTP server got.
    let messages = smtp.wait_for_messages(3).await;
    assert_eq!(messages.len(), 3);
    for entry in smtp.log() {
        assert_eq!(entry.rcpt_tos, vec![OFFICE.1.to_string()]);
    }
    let subjects: Vec<_> = messages
        .iter()
        .map(|m| m.header("Subject").unwrap_or_default().to_string())
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Bring the troops home")),
        "{subjects:?}"
    );

    browser.close().await;
    drop(server);
}
