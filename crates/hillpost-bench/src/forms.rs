//! Web-form deliveries per second through the web-form channel against a loopback HTTPS
//! replica (a form page with a session cookie and a hidden token, and a thank-you page), on
//! each path: plain HTTP (several deliveries at once, as a worker sends them), and headless
//! Chromium (`--browser-sessions` at once), first with a fresh browser per delivery, then
//! with each session's browser kept and cleaned between deliveries (`reuse_sessions`), in
//! the same run so the two compare as a ratio. The two
//! definitions fill the same form; the browser one adds a `substr` phone reformat, which is
//! what sends it down the browser path. Skipped (loudly) without Chromium for that half.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use hillpost_channels::Channel;
use hillpost_channels::egress::EgressSettings;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings, FormDefaults};
use hillpost_channels::{WebFormChannel, WebFormSettings};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{Channel as ChannelKind, OutgoingLetter};
use hillpost_core::signer::{
    Country, Email, Language, NewSignature, PersonName, PostalAddress, PostalCode, UsState,
};
use hillpost_directory::SourceFile;
use hillpost_directory::forms::{ExecutionPath, FormDefinition, FormKind, FormSupport, parse_form};
use hillpost_testkit::https::serve_https;

use crate::Args;
use crate::report::Report;

const HOST: &str = "www.bench.senate.gov";
const TOKEN: &str = "bench-token";
/// Deliveries at once on the HTTP path (a worker's default capacity is larger; forms are
/// rate limited per office long before this matters).
const HTTP_CONCURRENCY: usize = 8;

/// The steps both definitions share.
const STEPS: &str = r##"
    - visit: "https://www.bench.senate.gov/contact"
    - fill_in:
        - name: first
          selector: "#first"
          value: $NAME_FIRST
          required: true
        - name: last
          selector: "#last"
          value: $NAME_LAST
          required: true
        - name: email
          selector: "#email"
          value: $EMAIL
          required: true
        - name: phone
          selector: "#phone"
          value: $PHONE
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
"##;

const SUBMIT: &str = r##"
    - click_on:
        - selector: "#send"
  success:
    body:
      contains: "Thank you for contacting"
"##;

/// What makes the second definition a browser one (H001042's phone reformat).
const SUBSTR: &str = r##"
    - javascript:
        - value: document.querySelector("#phone").value=document.querySelector("#phone").value.replace(/\D/g,'').substr(0, 3)+'-'+document.querySelector("#phone").value.replace(/\D/g,'').substr(3);
"##;

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let posts = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route("/contact", get(page).post(thanks))
        .with_state(Arc::clone(&posts));
    let replica = serve_https(router, &[HOST]).await;
    let egress = EgressSettings {
        allowed_hosts: vec!["*.senate.gov".into()],
        allow_private_addresses: true,
        resolve: [(format!("{HOST}:443"), replica.addr.to_string())].into(),
        extra_root_certs: vec![replica.cert_pem_file.clone()],
        ..EgressSettings::default()
    };
    let http_form = definition("X000001", "")?;
    let browser_form = definition("X000002", SUBSTR)?;
    anyhow::ensure!(http_form.execution_path() == ExecutionPath::Http);
    anyhow::ensure!(browser_form.execution_path().name() == "browser");
    let channel = WebFormChannel::new(
        egress.build()?,
        [http_form, browser_form],
        FormSupport::default(),
        settings(),
    );

    let count = args.form_deliveries;
    let elapsed = deliver(&channel, "X000001", count, HTTP_CONCURRENCY).await?;
    report.rate(
        &format!("web forms, HTTP path ({HTTP_CONCURRENCY} at once)"),
        count,
        elapsed,
    );

    let browser = BrowserSettings {
        max_sessions: args.browser_sessions,
        ..BrowserSettings::default()
    };
    if !browser.chromium.exists() || !browser.chromedriver.exists() {
        report.skipped(
            "forms (browser path)",
            "no /usr/bin/chromium or /usr/bin/chromedriver (apt-get install chromium chromium-driver)",
        );
        return Ok(());
    }
    let count = args.browser_deliveries;
    let mut rates = Vec::new();
    let mut channel = channel;
    for reuse in [false, true] {
        let executor = BrowserExecutor::new(BrowserSettings {
            reuse_sessions: reuse,
            ..browser.clone()
        });
        channel = channel.with_browser(executor);
        // The first deliveries start chromedriver (and, reused, the session browsers): not
        // part of the figure.
        deliver(
            &channel,
            "X000002",
            args.browser_sessions,
            args.browser_sessions,
        )
        .await?;
        let elapsed = deliver(&channel, "X000002", count, args.browser_sessions).await?;
        let how = if reuse {
            "a kept browser per session, cleaned between deliveries"
        } else {
            "a fresh browser per delivery"
        };
        rates.push(report.rate(
            &format!(
                "web forms, browser path ({} sessions, {how})",
                args.browser_sessions
            ),
            count,
            elapsed,
        ));
        channel.close_browser().await;
    }
    report.note(format!(
        "browser path: {:.1}x the deliveries/s with kept browsers",
        rates[1] / rates[0]
    ));
    let expected = args.form_deliveries + 2 * (args.browser_sessions + count);
    let posted = posts.load(Ordering::Relaxed);
    anyhow::ensure!(
        posted == expected,
        "{posted} posts for {expected} deliveries"
    );
    Ok(())
}

/// Sends `count` letters to `form`, `at_once` at a time; every one must be confirmed.
async fn deliver(
    channel: &WebFormChannel,
    form: &str,
    count: usize,
    at_once: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let reports: Vec<_> = futures::stream::iter(0..count)
        .map(|i| async move { channel.send(&letter(form, i)).await })
        .buffer_unordered(at_once.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    if let Some(bad) = reports.iter().find(|r| r.outcome != AttemptOutcome::Ok) {
        anyhow::bail!("a {form} delivery was not confirmed: {bad:?}");
    }
    Ok(elapsed)
}

fn definition(id: &str, extra: &str) -> anyhow::Result<FormDefinition> {
    let yaml = format!(
        "bioguide: {id}\ncontact_form:\n  method: post\n  action: \"https://{HOST}/contact\"\n  steps:{STEPS}{extra}{SUBMIT}"
    );
    let source = SourceFile::new(format!("{id}.yaml"), yaml.into_bytes());
    Ok(parse_form(
        &source,
        FormKind::Member,
        &FormSupport::default(),
    )?)
}

fn settings() -> WebFormSettings {
    WebFormSettings {
        max_wait: Duration::from_millis(10),
        defaults: FormDefaults {
            name_prefix: "Ms.".into(),
            topic: "Other".into(),
            ..FormDefaults::default()
        },
        petition_sender: None,
    }
}

async fn page() -> Response {
    let states = ["ID", "HI", "VA", "CA"]
        .iter()
        .map(|s| format!("<option value=\"{s}\">{s}</option>"))
        .collect::<String>();
    let html = format!(
        r#"<!DOCTYPE html><html><head><title>Contact</title></head><body>
<form method="post" action="/contact">
<input type="hidden" name="token" value="{TOKEN}">
<input id="first" name="first"><input id="last" name="last">
<input id="email" name="email" type="email"><input id="phone" name="phone">
<select id="state" name="state"><option value="">--</option>{states}</select>
<textarea id="message" name="message"></textarea>
<button id="send" type="submit">Send</button>
</form></body></html>"#
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        "session=bench; Path=/; Secure".parse().expect("a header"),
    );
    (headers, Html(html)).into_response()
}

async fn thanks(State(posts): State<Arc<AtomicUsize>>, body: Bytes) -> Html<&'static str> {
    let token = url::form_urlencoded::parse(&body).any(|(k, v)| k == "token" && v == TOKEN);
    if token {
        posts.fetch_add(1, Ordering::Relaxed);
        Html("<h2>Thank you for contacting my office</h2>")
    } else {
        Html("<h2>Your session expired</h2>")
    }
}

fn letter(form: &str, i: usize) -> OutgoingLetter {
    let signer = NewSignature {
        email: Email::parse(&format!("signer{i}@example.org")).expect("an email"),
        first_name: Some(PersonName::parse("Ana").expect("a name")),
        last_name: Some(PersonName::parse("Perez").expect("a name")),
        organization: None,
        address: PostalAddress {
            line1: Some("1210 W Franklin St".into()),
            line2: None,
            city: Some("Boise".into()),
            state: Some(UsState::parse("ID").expect("a state")),
            postal_code: PostalCode::parse_optional("83702", Some(Country::US)).expect("a ZIP"),
            country: Some(Country::US),
        },
        district: Some(2),
        language: None,
        phone: Some("+1 208 555 0134".into()),
        receipt_consent: false,
        signed_at: None,
        source: None,
    };
    OutgoingLetter {
        delivery_id: (i as i64).into(),
        attempt_no: hillpost_core::AttemptNo::new(1),
        idempotency_key: format!("{i:032}"),
        channel: ChannelKind::WebForm,
        endpoint: form.into(),
        recipient_name: "Senator".into(),
        sender_name: "Ana Perez".into(),
        reply_to: None,
        language: Language::parse("en").expect("a language"),
        subject: "Stop the arms sale".into(),
        body_markdown: "Dear Senator,\n\nPlease vote no on the arms sale.\n".into(),
        attachments: Arc::from(Vec::new()),
        signer: Some(Arc::new(signer)),
        campaign: None,
    }
}
