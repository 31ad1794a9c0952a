//! The organizer dashboard over plain HTTP (no browser): sign-in, sessions, visibility,
//! CSRF, escaping, preview and batch controls. The browser test is in tests/e2e/dashboard.rs.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};

use crate::support::{Api, ORG, OTHER_ORG, client};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

/// A cookie-keeping client that does not follow redirects, so tests see them.
struct Visitor {
    client: reqwest::Client,
    base: String,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the first `<input name="{name}" value="…">` on the page.
    fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').expect("closing quote") + start;
        self.body[start..end].to_string()
    }
}

impl Visitor {
    fn new(api: &Api) -> Self {
        let _ = client(); // installs the crypto provider
        Visitor {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: api.base.clone(),
        }
    }

    async fn read(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        Self::read(response).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("POST");
        Self::read(response).await
    }

    /// Signs in through the form, as a person would.
    async fn sign_in(&self, token: &str) -> Page {
        let form = self.get("/dashboard/login").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let check = form.field("login_check");
        self.post(
            "/dashboard/login",
            &[("token", token), ("login_check", check.as_str())],
        )
        .await
    }

    /// Signs in and returns the session's CSRF token (from the page's sign-out form).
    async fn signed_in(api: &Api, token: &str) -> (Visitor, String) {
        let visitor = Visitor::new(api);
        let answer = visitor.sign_in(token).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.location(), "/dashboard/campaigns");
        let page = visitor.get("/dashboard/campaigns").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = page.field("csrf");
        (visitor, csrf)
    }
}

fn sqlite() -> hillpost_testkit::sqlite::TestDatabase {
    hillpost_testkit::sqlite::database()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_with_a_wrong_token_fails() {
    let db = sqlite();
    let api = Api::start(&db.url, &[]).await;
    let visitor = Visitor::new(&api);

    let refused = visitor.sign_in("hp_0000not-a-token").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.body.contains("That token is not valid"),
        "{}",
        refused.body
    );
    let page = visitor.get("/dashboard/campaigns").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/dashboard/login");

    // A sign-in posted without the form's own check (from another site) is refused even
    // with a good token.
    let forged = Visitor::new(&api)
        .post("/dashboard/login", &[("token", api.organizer.as_str())])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);

    let ok = visitor.sign_in(&api.organizer).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let cookie = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("hillpost_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/dashboard"), "{cookie}");
    assert!(
        !cookie.contains(&api.organizer),
        "the token is never in the cookie"
    );
    assert_eq!(
        visitor.get("/dashboard/campaigns").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_without_a_session_redirect_to_sign_in() {
    let db = sqlite();
    let api = Api::start(&db.url, &[]).await;
    api.seed("ours", ORG, 2, &[STAFF]).await;
    let stranger = Visitor::new(&api);
    for path in [
        "/dashboard",
        "/dashboard/campaigns",
        "/dashboard/campaigns/ours",
        "/dashboard/campaigns/ours/preview",
        "/dashboard/campaigns/ours/petition.pdf",
        "/dashboard/batches/1",
        "/dashboard/batches/1/progress",
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "GET {path}");
        assert!(page.location().starts_with("/dashboard"), "GET {path}");
        if path != "/dashboard" {
            assert_eq!(page.location(), "/dashboard/login", "GET {path}");
        }
    }
    for path in [
        "/dashboard/campaigns/ours/batches",
        "/dashboard/batches/1/pause",
        "/dashboard/logout",
    ] {
        let page = stranger.post(path, &[("csrf", "x"), ("when", "now")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(page.location(), "/dashboard/login", "POST {path}");
    }
    assert!(api.store.batches(None).await.unwrap().is_empty());

    // A session whose token is revoked ends with it.
    let (visitor, csrf) = Visitor::signed_in(&api, &api.organizer).await;
    let tokens = api.store.tokens().await.unwrap();
    let ours = tokens
        .iter()
        .find(|t| t.organization.as_deref() == Some(ORG))
        .expect("the organizer token");
    api.store.revoke_token(ours.id).await.unwrap();
    let page = visitor.get("/dashboard/campaigns").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(!csrf.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_see_only_their_organization_and_auditors_only_look() {
    let db = sqlite();
    let api = Api::start(&db.url, &[]).await;
    api.seed("ours", ORG, 2, &[STAFF]).await;
    api.seed("theirs", OTHER_ORG, 2, &[STAFF]).await;
    let (status, theirs) = api
        .post_json(
            "/api/v1/campaigns/theirs/batches",
            &api.other,
            serde_json::json!({ "at": "+1h" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    let their_batch = theirs["batch"]["id"].as_i64().unwrap();

    let (organizer, csrf) = Visitor::signed_in(&api, &api.organizer).await;
    let list = organizer.get("/dashboard/campaigns").await;
    assert!(
        list.body.contains("/dashboard/campaigns/ours\""),
        "{}",
        list.body
    );
    assert!(
        !list.body.contains("/dashboard/campaigns/theirs"),
        "{}",
        list.body
    );
    for path in [
        "/dashboard/campaigns/theirs".to_string(),
        "/dashboard/campaigns/theirs/preview".to_string(),
        format!("/dashboard/batches/{their_batch}"),
        format!("/dashboard/batches/{their_batch}/progress"),
        "/dashboard/campaigns/nonexistent".to_string(),
        "/dashboard/batches/not-a-number".to_string(),
    ] {
        let page = organizer.get(&path).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "GET {path}: {}",
            page.body
        );
        assert!(page.body.contains("Not found"), "{}", page.body);
    }
    let pause = organizer
        .post(
            &format!("/dashboard/batches/{their_batch}/pause"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(pause.status, StatusCode::NOT_FOUND);
    let page = organizer.get("/dashboard/campaigns/ours").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Start sending now"), "{}", page.body);

    let (auditor, auditor_csrf) = Visitor::signed_in(&api, &api.auditor).await;
    let list = auditor.get("/dashboard/campaigns").await;
    assert!(
        list.body.contains("/dashboard/campaigns/theirs\""),
        "{}",
        list.body
    );
    let page = auditor
        .get(&format!("/dashboard/batches/{their_batch}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Pause sending"), "{}", page.body);
    let page = auditor.get("/dashboard/campaigns/ours").await;
    assert!(!page.body.contains("Start sending now"), "{}", page.body);
    let refused = auditor
        .post(
            "/dashboard/campaigns/ours/batches",
            &[("csrf", auditor_csrf.as_str()), ("when", "now")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let refused = auditor
        .post(
            &format!("/dashboard/batches/{their_batch}/cancel"),
            &[("csrf", auditor_csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(api.store.batches(None).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_sessions_csrf_token_are_refused() {
    let db = sqlite();
    let api = Api::start(&db.url, &[]).await;
    api.seed("ours", ORG, 2, &[STAFF]).await;
    let (visitor, csrf) = Visitor::signed_in(&api, &api.organizer).await;
    let (other_visitor, other_csrf) = Visitor::signed_in(&api, &api.organizer).await;
    assert_ne!(csrf, other_csrf, "each session has its own");

    for form in [
        vec![("when", "now")],
        vec![("when", "now"), ("csrf", "")],
        vec![("when", "now"), ("csrf", "0123abcd")],
        vec![("when", "now"), ("csrf", other_csrf.as_str())],
    ] {
        let refused = visitor
            .post("/dashboard/campaigns/ours/batches", &form)
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{form:?}");
        assert!(refused.body.contains("Reload the page"), "{}", refused.body);
    }
    let refused = visitor.post("/dashboard/logout", &[("csrf", "nope")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(api.store.batches(None).await.unwrap().is_empty());

    // Next New Year's Day: always within the year a batch may be scheduled ahead.
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let at = format!("{year}-01-01T09:00");
    let created = visitor
        .post(
            "/dashboard/campaigns/ours/batches",
            &[
                ("csrf", csrf.as_str()),
                ("when", "schedule"),
                ("at", at.as_str()),
                ("timezone", "America/New_York"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let batches = api.store.batches(None).await.unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        created.location(),
        format!("/dashboard/batches/{}", batches[0].id)
    );
    assert_eq!(
        batches[0].start_at.to_rfc3339(),
        format!("{year}-01-01T14:00:00+00:00")
    );
    let page = visitor.get(created.location()).await;
    assert!(page.body.contains("Scheduled"), "{}", page.body);

    // A time that does not parse is shown on the campaign page, in words.
    let refused = visitor
        .post(
            "/dashboard/campaigns/ours/batches",
            &[
                ("csrf", csrf.as_str()),
                ("when", "schedule"),
                ("at", "next tuesday"),
                ("timezone", "UTC"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("That start time does not work"),
        "{}",
        refused.body
    );

    let out = other_visitor
        .post("/dashboard/logout", &[("csrf", other_csrf.as_str())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/dashboard/login");
    assert_eq!(
        other_visitor.get("/dashboard/campaigns").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        visitor.get("/dashboard/campaigns").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_text_is_html_escaped() {
    let db = sqlite();
    let api = Api::start(&db.url, &[]).await;
    let toml = hillpost_testkit::fixtures::campaign_toml("xss", "individual", &[STAFF])
        .replace(
            "title = \"Bring the troops home\"",
            "title = \"<script>alert('title')</script> & co\"",
        )
        .replace(
            "subject = \"Bring the troops home",
            "subject = \"<img src=x onerror=alert(1)> Bring the troops home",
        );
    let (status, body) = api
        .post_text(
            "/api/v1/campaigns",
            &api.organizer,
            "application/toml",
            &toml,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (visitor, _) = Visitor::signed_in(&api, &api.organizer).await;
    for path in ["/dashboard/campaigns", "/dashboard/campaigns/xss"] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body
                .contains("&lt;script&gt;alert(&#x27;title&#x27;)&lt;&#x2f;script&gt; &amp; co"),
            "{path}: {}",
            page.body
        );
    }
    let page = visitor.get("/dashboard/campaigns/xss").await;
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
}

// On both backends: the pages read batch status, deliveries and attempts from the store.
both_backends!(preview_pdf_and_batch_controls);
async fn preview_pdf_and_batch_controls(url: String) {
    let api = Api::start(&url, &[]).await;
    let toml = hillpost_testkit::fixtures::campaign_toml("petition", "petition", &[STAFF]);
    let (status, body) = api
        .post_text(
            "/api/v1/campaigns",
            &api.organizer,
            "application/toml",
            &toml,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let csv = hillpost_testkit::fixtures::signers_csv(3);
    let (status, body) = api
        .post_text(
            "/api/v1/campaigns/petition/signatures/import",
            &api.organizer,
            "text/csv",
            &csv,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (visitor, csrf) = Visitor::signed_in(&api, &api.organizer).await;

    let preview = visitor.get("/dashboard/campaigns/petition/preview").await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Committee staff"), "{}", preview.body);
    assert!(
        preview.body.contains("Email: staff@committee.example.org"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("petition.pdf"), "{}", preview.body);
    let pdf = visitor
        .get("/dashboard/campaigns/petition/petition.pdf")
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers.get("content-type").unwrap(), "application/pdf");
    assert!(pdf.body.starts_with("%PDF"));
    assert!(
        api.store.batches(None).await.unwrap().is_empty(),
        "a preview stores nothing"
    );

    let created = visitor
        .post(
            "/dashboard/campaigns/petition/batches",
            &[("csrf", csrf.as_str()), ("when", "now")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let batch_page = created.location().to_string();
    let paused = visitor
        .post(&format!("{batch_page}/pause"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    let page = visitor.get(&batch_page).await;
    assert!(page.body.contains("data-state=\"paused\""), "{}", page.body);
    assert!(page.body.contains("Continue sending"), "{}", page.body);
    let progress = visitor.get(&format!("{batch_page}/progress")).await;
    let update: serde_json::Value = serde_json::from_str(&progress.body).expect("JSON");
    assert_eq!(update["state"], "paused");
    assert_eq!(update["final"], false);
    assert!(
        update["html"].as_str().unwrap().contains("<svg"),
        "{update}"
    );
    let twice = visitor
        .post(&format!("{batch_page}/pause"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.body
    );
    let cancelled = visitor
        .post(&format!("{batch_page}/cancel"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let page = visitor.get(&batch_page).await;
    assert!(
        page.body.contains("data-state=\"cancelled\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-final=\"true\""), "{}", page.body);
    assert!(!page.body.contains("Pause sending"), "{}", page.body);
}

// A letter that may have reached the office without a confirmation is listed with the
// office's answer; organizers decide, auditors only look.
both_backends!(unconfirmed_letters_are_listed_for_a_decision);
async fn unconfirmed_letters_are_listed_for_a_decision(url: String) {
    use std::time::Duration;

    use hillpost_core::delivery::{AttemptOutcome, DeliveryState, Transition};
    use hillpost_store::{AttemptRecord, ClaimRequest, RateKeyPolicy};

    let api = Api::start(&url, &[]).await;
    api.seed("ours", ORG, 1, &[STAFF]).await;
    let (status, created) = api
        .post_json(
            "/api/v1/campaigns/ours/batches",
            &api.organizer,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let batch = created["batch"]["id"].as_i64().expect("batch id");
    // A worker's attempt that ended without a confirmation.
    let policy = RateKeyPolicy::default();
    let claim = api
        .store
        .claim(&ClaimRequest {
            worker_id: "w1",
            limit: 1,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .unwrap();
    let d = &claim.deliveries[0];
    let now = chrono::Utc::now();
    api.store
        .record_attempts(
            "w1",
            &[AttemptRecord {
                delivery_id: d.id,
                attempt_no: d.attempt_no,
                started_at: now,
                finished_at: now,
                outcome: AttemptOutcome::Unconfirmed,
                endpoint: d.endpoint.clone(),
                remote_code: Some(200),
                remote_text: Some("Your message has been received.".into()),
                sent_sha256: Some("ab".repeat(32)),
                receiver_id: None,
                note: Some("the definition has no confirmation text".into()),
                transition: Transition::finish(DeliveryState::Unconfirmed),
            }],
        )
        .await
        .unwrap();
    let batch_page = format!("/dashboard/batches/{batch}");

    let (auditor, _) = Visitor::signed_in(&api, &api.auditor).await;
    let page = auditor.get(&batch_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Letters that need a decision"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("id=\"letter-{}\"", d.id)),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("The office answered: Your message has been received."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("It arrived"), "auditors only look");
    let (other, other_csrf) = Visitor::signed_in(&api, &api.other).await;
    let refused = other
        .post(
            &format!("/dashboard/deliveries/{}/confirm", d.id),
            &[("csrf", other_csrf.as_str()), ("reason", "not theirs")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);

    let (organizer, csrf) = Visitor::signed_in(&api, &api.organizer).await;
    let page = organizer.get(&batch_page).await;
    assert!(page.body.contains("It arrived"), "{}", page.body);
    let no_reason = organizer
        .post(
            &format!("/dashboard/deliveries/{}/confirm", d.id),
            &[("csrf", csrf.as_str()), ("reason", "  ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confirmed = organizer
        .post(
            &format!("/dashboard/deliveries/{}/confirm", d.id),
            &[
                ("csrf", csrf.as_str()),
                ("reason", "the office confirmed by phone"),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let detail = api.store.delivery_detail(d.id).await.unwrap().unwrap();
    assert_eq!(detail.delivery.state, DeliveryState::Delivered);
    assert_eq!(detail.events[0].reason, "the office confirmed by phone");
    let page = organizer.get(&batch_page).await;
    assert!(
        !page.body.contains("Letters that need a decision"),
        "{}",
        page.body
    );
}

/// A form attempt's page and screenshot on the batch page and the delivery page, for the
/// campaign's organizer; another organization gets 404 for both and for the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deliverys_evidence_is_shown_to_its_organization_only() {
    let db = sqlite();
    let api = Api::start(&db.url, &[]).await;
    let (batch, delivery) = api.delivered_batch().await;
    let page = hillpost_core::delivery::Evidence::page(
        hillpost_core::delivery::EvidenceKind::AnswerPage,
        "<h2>Thank you</h2><script>document.title = 'pwned'</script>",
    );
    let shot = hillpost_core::delivery::Evidence::screenshot(
        hillpost_core::delivery::EvidenceKind::ScreenshotAfterSubmit,
        b"\x89PNG\r\n\x1a\nshot".to_vec(),
    )
    .expect("small");
    let rows = api.keep_evidence(delivery, &[&page, &shot]).await;

    let (ours, _) = Visitor::signed_in(&api, &api.organizer).await;
    let batch_page = ours.get(&format!("/dashboard/batches/{batch}")).await;
    assert_eq!(batch_page.status, StatusCode::OK);
    let link = format!("/dashboard/batches/{batch}/deliveries/{delivery}");
    assert!(batch_page.body.contains(&link), "{}", batch_page.body);
    let delivery_page = ours.get(&link).await;
    assert_eq!(
        delivery_page.status,
        StatusCode::OK,
        "{}",
        delivery_page.body
    );
    for row in &rows {
        assert!(
            delivery_page.body.contains(&row.sha256),
            "{}",
            delivery_page.body
        );
    }
    assert!(
        delivery_page.body.contains("<img src=\""),
        "the screenshot is shown"
    );
    let file = format!("/dashboard/batches/{batch}/evidence/{}", rows[0].id);
    let served = ours.get(&file).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body.as_bytes(), page.content.as_slice());
    let csp = served.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("sandbox"), "{csp}");

    let (theirs, _) = Visitor::signed_in(&api, &api.other).await;
    for path in [link.as_str(), file.as_str()] {
        let refused = theirs.get(path).await;
        assert_eq!(
            refused.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            refused.body
        );
    }
}
