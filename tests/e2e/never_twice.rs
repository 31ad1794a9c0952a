//! Never twice, never dropped, through the binary and its worker, against a replica of
//! Senator Earp's contact form (the directory fixture's E000903) served over TLS under its
//! real name, with his office email on a real SMTP server next in line:
//!
//! - an answer the definition cannot judge, a 502 after the form was read, a connection cut
//!   after the post, and a worker killed while posting: one POST each, the letter
//!   `unconfirmed`, nothing sent again and nothing sent by email;
//! - a form that no longer matches its definition (a selector gone, an option missing):
//!   no POST, the letter goes to the office's email, and status, receipt and audit say why;
//! - `batch retry --failed` after the definition is fixed: delivered, once;
//! - a second batch leaves out what the first delivered, unless `--include-delivered`.
//!
//! Every scenario runs on SQLite and on PostgreSQL.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hillpost_core::delivery::{AttemptOutcome, DeliveryState};
use hillpost_testkit::https::{HttpsServer, serve_https};
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::directory::{fixture_dir, import};
use crate::support::{Workspace, has_count};

const OFFICE_EMAIL: &str = "earp@senate.example";
const SIGNERS: &str = "first_name,last_name,email,city,state,zip,country,can_be_emailed\n\
                       Ana,Doe,ana@example.org,Cheyenne,WY,82001,US,yes\n";

/// What the replica does once a form has been posted to it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum AfterPost {
    /// The definition's confirmation text.
    Thanks,
    /// A success page without the definition's text.
    Received,
    /// Reads the post, then answers 502.
    BadGateway,
    /// Reads the post, then drops the connection without an answer.
    HangUp,
    /// Reads the post, then takes a minute to answer.
    Stall,
}

/// How the form page differs from what the definition expects.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Page {
    AsDefined,
    /// The message box is gone.
    NoMessageBox,
    /// Wyoming is not among the state options.
    NoWyoming,
}

/// The fields of each form posted to the replica, in order.
type Posts = Arc<Mutex<Vec<Vec<(String, String)>>>>;

#[derive(Clone)]
struct Replica {
    posts: Posts,
    after_post: Arc<Mutex<AfterPost>>,
    page: Page,
}

fn page_html(page: Page) -> String {
    let states = ["PR", "TX", "VA", "WY"]
        .iter()
        .filter(|s| !(page == Page::NoWyoming && **s == "WY"))
        .map(|s| format!("<option value=\"{s}\">{s}</option>"))
        .collect::<String>();
    let message = match page {
        Page::NoMessageBox => "",
        _ => r#"<textarea id="message" name="message"></textarea>"#,
    };
    format!(
        r#"<html><body><form method="post" action="/contact/submit">
<select id="prefix" name="prefix"><option value="">-</option><option>Mr.</option><option>Ms.</option><option>Dr.</option></select>
<input id="first_name" name="first_name"><input id="last_name" name="last_name"><input id="email" name="email">
<select id="state" name="state"><option value="">-</option>{states}</select>
{message}
<input type="checkbox" id="newsletter" name="newsletter" value="yes">
<input type="submit" id="submit" value="Send">
</form></body></html>"#
    )
}

async fn form_page(State(replica): State<Replica>) -> Html<String> {
    Html(page_html(replica.page))
}

async fn form_post(State(replica): State<Replica>, body: Bytes) -> Response {
    let fields = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    replica.posts.lock().unwrap().push(fields);
    let after = *replica.after_post.lock().unwrap();
    match after {
        AfterPost::Thanks => Html("<h2>Thank you for contacting my office</h2>").into_response(),
        AfterPost::Received => Html("<p>Your message has been received.</p>").into_response(),
        AfterPost::BadGateway => (StatusCode::BAD_GATEWAY, "upstream failed").into_response(),
        // The connection's task ends without an answer: the client sees it closed after
        // its request went out.
        AfterPost::HangUp => panic!("replica hangs up after the post (on purpose)"),
        AfterPost::Stall => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Html("<h2>Thank you for contacting my office</h2>").into_response()
        }
    }
}

impl Replica {
    async fn start(page: Page, after_post: AfterPost) -> (Self, HttpsServer) {
        let replica = Replica {
            posts: Arc::default(),
            after_post: Arc::new(Mutex::new(after_post)),
            page,
        };
        let router = Router::new()
            .route("/contact", get(form_page))
            .route("/contact/submit", axum::routing::post(form_post))
            .with_state(replica.clone());
        let server = serve_https(router, &["www.earp.senate.gov"]).await;
        (replica, server)
    }

    fn posts(&self) -> usize {
        self.posts.lock().unwrap().len()
    }
}

/// E000903's definition with `success` as its confirmation text ("" in 11 of the 70 real
/// Senate files).
fn definition(success: &str) -> String {
    format!(
        r##"bioguide: E000903
contact_form:
  method: post
  action: "/contact/submit"
  steps:
    - visit: "https://www.earp.senate.gov/contact"
    - fill_in:
        - name: first_name
          selector: "#first_name"
          value: $NAME_FIRST
          required: true
        - name: last_name
          selector: "#last_name"
          value: $NAME_LAST
          required: true
        - name: email
          selector: "#email"
          value: $EMAIL
          required: true
        - name: message
          selector: "#message"
          value: $MESSAGE
          required: true
    - select:
        - name: state
          selector: "#state"
          value: $ADDRESS_STATE_POSTAL_ABBREV
          required: true
          options: US_STATES
    - click_on:
        - value: Send
          selector: "#submit"
  success:
    headers:
      status: 200
    body:
      contains: "{success}"
"##
    )
}

/// A workspace whose directory has E000903 with `definition`, the office email on the SMTP
/// server when `office_email`, receipts on, and one Wyoming signer of an individual
/// campaign to Senator Earp.
fn workspace(
    ws: Workspace,
    replica: &HttpsServer,
    smtp: &SmtpServer,
    definition: &str,
    office_email: bool,
) -> Workspace {
    let ws = ws
        .smtp(smtp.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    let email = match office_email {
        true => format!("[directory.office_email]\nE000903 = \"{OFFICE_EMAIL}\"\n"),
        false => String::new(),
    };
    ws.write(
        "hillpost.toml",
        &format!(
            r#"{email}
[web_forms]
enabled = true
allowed_hosts = ["*.senate.gov"]
allow_private_addresses = true
extra_root_certs = ["{cert}"]
max_wait = "10ms"
request_timeout = "3s"

[web_forms.resolve]
"www.earp.senate.gov:443" = "127.0.0.1:{port}"

[receipts]
enabled = true

[server]
public_url = "https://letters.example.org"
"#,
            cert = replica.cert_pem_file.display(),
            port = replica.addr.port()
        ),
    );
    install_definition(&ws, definition);
    let mut campaign = hillpost_testkit::fixtures::campaign_toml("earp", "individual", &[]);
    campaign.push_str("\n[[targets]]\ntarget = \"member:E000903\"\n");
    let campaign = ws.write("campaign.toml", &campaign);
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    let signers = ws.write("signers.csv", SIGNERS);
    ws.run(&["signatures", "import", "earp", signers.to_str().unwrap()])
        .ok();
    ws
}

/// (Re)imports the fixture directory with E000903's definition replaced.
fn install_definition(ws: &Workspace, definition: &str) {
    let data = ws.path().join("data");
    copy_dir(&fixture_dir(), &data);
    std::fs::write(
        data.join("contact-congress/members/E000903.yaml"),
        definition,
    )
    .unwrap();
    import(ws, &data).ok();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Messages the SMTP server got for the office (receipts go to the signer).
fn office_mail(smtp: &SmtpServer) -> usize {
    smtp.messages()
        .iter()
        .filter(|m| m.mailbox("To").is_some_and(|to| to.address == OFFICE_EMAIL))
        .count()
}

/// Where a scenario's databases live.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A fresh workspace on this backend (`None`: PostgreSQL is missing, the skip reported).
    async fn workspace(self, test: &str) -> Option<Workspace> {
        match self {
            Backend::Sqlite => Some(Workspace::new()),
            Backend::Postgres => {
                let schema = hillpost_testkit::postgres::schema(test).await?;
                Some(Workspace::with_database(schema.url.clone()))
            }
        }
    }
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test = concat!("e2e::never_twice::", stringify!($name), "::sqlite");
                super::$name(super::Backend::Sqlite, test).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = concat!("e2e::never_twice::", stringify!($name), "::postgres");
                super::$name(super::Backend::Postgres, test).await;
            }
        }
    };
}

on_both_backends!(an_answer_without_a_confirmation_is_posted_once_and_left_to_a_person);
async fn an_answer_without_a_confirmation_is_posted_once_and_left_to_a_person(
    backend: Backend,
    test: &str,
) {
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let Some(ws) = backend.workspace(test).await else {
        return;
    };
    let (replica, server) = Replica::start(Page::AsDefined, AfterPost::Received).await;
    let ws = workspace(ws, &server, &smtp, &definition(""), true);
    ws.run(&["batch", "create", "earp"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    // A restarted worker finds nothing to send.
    ws.run(&["worker", "--until-idle"]).ok();

    assert_eq!(replica.posts(), 1, "posted once");
    assert_eq!(office_mail(&smtp), 0, "never sent by email too");
    let store = ws.store().await;
    let delivery = &store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap()[0];
    assert_eq!(delivery.state, DeliveryState::Unconfirmed);
    let attempts = store.attempts(delivery.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, AttemptOutcome::Unconfirmed);
    assert!(
        attempts[0]
            .remote_text
            .as_deref()
            .unwrap()
            .contains("Your message has been received."),
        "the answer is kept as evidence"
    );
    let shown = ws.run(&["delivery", "show", "1"]).ok().stdout;
    assert!(shown.contains("state       unconfirmed"), "{shown}");
    assert!(shown.contains("no confirmation text"), "{shown}");

    // The signer's receipt says it plainly.
    let receipts = smtp.wait_for_messages(1).await;
    let receipt = receipts
        .iter()
        .find(|m| {
            m.mailbox("To")
                .is_some_and(|to| to.address == "ana@example.org")
        })
        .and_then(|m| m.text.clone())
        .expect("a receipt to the signer");
    assert!(
        receipt.contains("did not confirm receipt"),
        "the receipt: {receipt}"
    );

    // A person who knows it arrived says so; the record names them.
    let confirmed = ws
        .run(&[
            "delivery",
            "confirm",
            "1",
            "--reason",
            "the office confirmed by phone",
        ])
        .ok();
    assert!(
        confirmed.stdout.contains("now delivered"),
        "{}",
        confirmed.stdout
    );
    let shown = ws.run(&["delivery", "show", "1"]).ok().stdout;
    assert!(shown.contains("confirmed by cli"), "{shown}");
    ws.run(&["worker", "--until-idle"]).ok();
    assert_eq!(replica.posts(), 1);
    ws.run(&["audit", "verify"]).ok();
}

on_both_backends!(a_post_cut_off_or_refused_by_a_gateway_is_never_posted_again);
async fn a_post_cut_off_or_refused_by_a_gateway_is_never_posted_again(
    backend: Backend,
    test: &str,
) {
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    for after_post in [AfterPost::BadGateway, AfterPost::HangUp] {
        let Some(ws) = backend.workspace(test).await else {
            return;
        };
        let (replica, server) = Replica::start(Page::AsDefined, after_post).await;
        let ws = workspace(
            ws,
            &server,
            &smtp,
            &definition("Thank you for contacting"),
            true,
        );
        ws.run(&["batch", "create", "earp"]).ok();
        ws.run(&["worker", "--until-idle"]).ok();
        ws.run(&["worker", "--until-idle"]).ok();

        assert_eq!(replica.posts(), 1, "{after_post:?}: posted once");
        let store = ws.store().await;
        let delivery = &store
            .deliveries(hillpost_core::BatchId::new(1))
            .await
            .unwrap()[0];
        assert_eq!(delivery.state, DeliveryState::Unconfirmed, "{after_post:?}");
        assert!(delivery.possibly_accepted);
        let attempts = store.attempts(delivery.id).await.unwrap();
        assert_eq!(attempts.len(), 1, "{after_post:?}: {attempts:?}");
        assert_eq!(attempts[0].outcome, AttemptOutcome::PossiblyAccepted);
        assert!(attempts[0].sent_sha256.is_some());
    }
    assert_eq!(office_mail(&smtp), 0, "never sent by email too");
}

on_both_backends!(a_worker_killed_while_posting_leaves_one_post_for_a_person_to_decide);
async fn a_worker_killed_while_posting_leaves_one_post_for_a_person_to_decide(
    backend: Backend,
    test: &str,
) {
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let Some(ws) = backend.workspace(test).await else {
        return;
    };
    let (replica, server) = Replica::start(Page::AsDefined, AfterPost::Stall).await;
    let ws = workspace(
        ws,
        &server,
        &smtp,
        &definition("Thank you for contacting"),
        true,
    )
    .env("HILLPOST__WORKER__LEASE", "2s")
    .env("HILLPOST__WORKER__KEY_LEASE", "2s");
    ws.run(&["batch", "create", "earp"]).ok();
    let mut worker = ws.command(&["worker"]).spawn().expect("start a worker");
    hillpost_testkit::poll_until("the form to be posted", Duration::from_secs(20), || async {
        (replica.posts() == 1).then_some(())
    })
    .await;
    worker
        .kill()
        .expect("SIGKILL the worker while it waits for the answer");
    worker.wait().expect("reap the worker");
    // Another worker, after the lease ran out: it records what may have happened and stops.
    *replica.after_post.lock().unwrap() = AfterPost::Thanks;
    ws.run(&["worker", "--until-idle"]).ok();

    assert_eq!(replica.posts(), 1, "never posted a second time");
    assert_eq!(office_mail(&smtp), 0, "never sent by email too");
    let store = ws.store().await;
    let delivery = &store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap()[0];
    assert_eq!(delivery.state, DeliveryState::Unconfirmed);
    let attempts = store.attempts(delivery.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, AttemptOutcome::PossiblyAccepted);
    assert!(
        attempts[0]
            .note
            .as_deref()
            .unwrap()
            .contains("may have been sent"),
        "{attempts:?}"
    );
}

on_both_backends!(a_form_that_no_longer_matches_is_passed_over_for_the_offices_email);
async fn a_form_that_no_longer_matches_is_passed_over_for_the_offices_email(
    backend: Backend,
    test: &str,
) {
    for (page, why) in [(Page::NoMessageBox, "#message"), (Page::NoWyoming, "WY")] {
        let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
            return;
        };
        let Some(ws) = backend.workspace(test).await else {
            return;
        };
        let (replica, server) = Replica::start(page, AfterPost::Thanks).await;
        let ws = workspace(
            ws,
            &server,
            &smtp,
            &definition("Thank you for contacting"),
            true,
        );
        ws.run(&["batch", "create", "earp"]).ok();
        ws.run(&["worker", "--until-idle"]).ok();

        assert_eq!(replica.posts(), 0, "{page:?}: nothing was posted");
        assert_eq!(office_mail(&smtp), 1, "{page:?}: the office's email has it");
        let status = ws.run(&["batch", "status", "1"]).ok().stdout;
        assert!(
            status.contains("Senator Wyatt Earp (R-WY)                1 delivered"),
            "{status}"
        );
        assert!(
            status.contains("web_form E000903 passed over for email earp@senate.example")
                && status.contains(why),
            "{page:?}: {status}"
        );
        let receipt = smtp
            .messages()
            .into_iter()
            .find(|m| {
                m.mailbox("To")
                    .is_some_and(|to| to.address == "ana@example.org")
            })
            .and_then(|m| m.text)
            .expect("a receipt to the signer");
        assert!(
            receipt.contains("passed over") && receipt.contains(why),
            "{page:?}: the receipt: {receipt}"
        );
        let export = ws
            .run(&["audit", "export", "--batch", "1", "--format", "jsonl"])
            .ok()
            .stdout;
        let records: Vec<serde_json::Value> = export
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["recipient_key"] == "member:E000903")
            .collect();
        let kinds: Vec<(&str, &str)> = records
            .iter()
            .map(|r| {
                (
                    r["record"].as_str().unwrap(),
                    r["outcome"].as_str().or(r["event_kind"].as_str()).unwrap(),
                )
            })
            .collect();
        // The page was fetched (an attempt, permanent, nothing sent), the form passed
        // over (a route event), the email accepted.
        assert_eq!(
            kinds,
            [
                ("attempt", "permanent"),
                ("event", "route"),
                ("attempt", "ok")
            ],
            "{page:?}: {export}"
        );
        assert!(records[0]["sent_sha256"].is_null());
    }
}

on_both_backends!(retrying_failed_letters_after_the_definition_is_fixed_delivers_them_once);
async fn retrying_failed_letters_after_the_definition_is_fixed_delivers_them_once(
    backend: Backend,
    test: &str,
) {
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let Some(ws) = backend.workspace(test).await else {
        return;
    };
    let (replica, server) = Replica::start(Page::AsDefined, AfterPost::Thanks).await;
    // The definition names a selector the page does not have, and the office has no email.
    let broken = definition("Thank you for contacting").replace("#last_name", "#surname");
    let ws = workspace(ws, &server, &smtp, &broken, false);
    ws.run(&["batch", "create", "earp"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let status = ws.run(&["batch", "status", "1"]).ok().stdout;
    assert!(has_count(&status, "failed", 1), "{status}");
    assert!(status.contains("no endpoint left"), "{status}");
    assert_eq!(replica.posts(), 0);

    install_definition(&ws, &definition("Thank you for contacting"));
    let retried = ws
        .run(&[
            "batch",
            "retry",
            "1",
            "--failed",
            "--reason",
            "the definition was fixed",
        ])
        .ok();
    assert!(
        retried.stdout.contains("1 letter(s) planned again"),
        "{}",
        retried.stdout
    );
    ws.run(&["worker", "--until-idle"]).ok();
    // Nothing left to retry, and a second retry sends nothing.
    ws.run(&["batch", "retry", "1", "--failed", "--reason", "again"])
        .ok();
    ws.run(&["worker", "--until-idle"]).ok();

    assert_eq!(replica.posts(), 1, "delivered once");
    let store = ws.store().await;
    let deliveries = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    let letters: Vec<_> = deliveries
        .iter()
        .filter(|d| d.kind == hillpost_store::DeliveryKind::Letter)
        .collect();
    assert_eq!(letters.len(), 1, "the same delivery, not a new one");
    assert_eq!(letters[0].state, DeliveryState::Delivered);
    let shown = ws
        .run(&["delivery", "show", &letters[0].id.to_string()])
        .ok()
        .stdout;
    assert!(shown.contains("planned again by cli"), "{shown}");
}

on_both_backends!(a_second_batch_leaves_out_what_the_first_delivered);
async fn a_second_batch_leaves_out_what_the_first_delivered(backend: Backend, test: &str) {
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let Some(ws) = backend.workspace(test).await else {
        return;
    };
    let (replica, server) = Replica::start(Page::AsDefined, AfterPost::Thanks).await;
    let ws = workspace(
        ws,
        &server,
        &smtp,
        &definition("Thank you for contacting"),
        true,
    );
    ws.run(&["batch", "create", "earp"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    assert_eq!(replica.posts(), 1);

    // Everything was delivered: a second batch has nothing to send, and says so.
    let nothing = ws.run(&["batch", "create", "earp"]).failed();
    assert!(
        nothing.stderr.contains("nothing left to send")
            && nothing.stderr.contains("already delivered by batch 1"),
        "{}",
        nothing.stderr
    );
    // A new signer: only their letter goes.
    let more = ws.write(
        "more.csv",
        "first_name,last_name,email,city,state,zip,country
         Ben,Roe,ben@example.org,Casper,WY,82001,US
",
    );
    ws.run(&["signatures", "import", "earp", more.to_str().unwrap()])
        .ok();
    let second = ws.run(&["batch", "create", "earp"]).ok().stdout;
    assert!(
        second.contains("1 letter(s) left out") && second.contains("already delivered by batch 1"),
        "{second}"
    );
    ws.run(&["worker", "--until-idle"]).ok();
    assert_eq!(replica.posts(), 2, "only the new signer's letter");

    // On purpose, everything again: sent, and the record says it was asked for.
    ws.run(&["batch", "create", "earp", "--include-delivered"])
        .ok();
    ws.run(&["worker", "--until-idle"]).ok();
    assert_eq!(replica.posts(), 4);
    let store = ws.store().await;
    let third = store
        .deliveries(hillpost_core::BatchId::new(3))
        .await
        .unwrap();
    let letters: Vec<_> = third
        .iter()
        .filter(|d| d.kind == hillpost_store::DeliveryKind::Letter)
        .collect();
    assert_eq!(letters.len(), 2, "{third:#?}");
    assert!(letters.iter().all(|d| d.state == DeliveryState::Delivered));
    let created = batch_created_payloads(&ws).await;
    assert_eq!(created.len(), 3);
    assert_eq!(created[1]["include_delivered"], false);
    assert_eq!(created[1]["left_out"][0]["count"], 1);
    assert_eq!(created[2]["include_delivered"], true);
}

/// The payloads of the `batch.created` audit events, in order.
async fn batch_created_payloads(ws: &Workspace) -> Vec<serde_json::Value> {
    use sqlx::Connection;
    let sql = "SELECT payload FROM audit_events WHERE kind = 'batch.created' ORDER BY seq";
    let payloads: Vec<String> = if ws.database.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&ws.database).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&ws.database).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    };
    payloads
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect()
}
