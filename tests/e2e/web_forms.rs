//! Web forms end to end through the binary and its worker: a petition batch to Senator
//! Risch (R000584, his contact-congress form) and Senator Bennet (B001267, a form behind a
//! recaptcha). Risch's form is a loopback HTTPS replica reached under its real name through
//! `[web_forms.resolve]`; Bennet's delivery falls back to his office email (a real SMTP
//! server) with the reason in `batch status`. Senator Hirono's form (H001042) needs
//! JavaScript, and the worker delivers it through headless Chromium ([web_forms.browser]).
//! The President's White House form has a recaptcha step: letters go to the configured
//! White House email, and the form's replica is never contacted.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hillpost_testkit::https::serve_https;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::directory::import;
use crate::support::{Workspace, has_count};

const TOKEN: &str = "gf-7a1e";

fn risch_page() -> String {
    format!(
        r#"<html><body><div class="gform_wrapper" id="gform_wrapper_2">
<form method="post" enctype="application/x-www-form-urlencoded" id="gform_2" action="">
<select name="input_39" id="input_2_39"><option value="">Select</option><option value="Mr.">Mr.</option><option value="Ms.">Ms.</option><option value="Dr.">Dr.</option></select>
<input name="input_2" id="input_2_2" type="text"><input name="input_3" id="input_2_3" type="text">
<input type="text" name="input_6.1" id="input_2_6_1"><input type="text" name="input_6.3" id="input_2_6_3">
<input type="text" name="input_6.5" id="input_2_6_5"><input name="input_49" id="input_2_49" type="tel">
<input name="input_9" id="input_2_9" type="email"><textarea name="input_12" id="input_2_12"></textarea>
<input type="submit" id="gform_submit_button_2" value="Submit">
<input type="hidden" name="gform_submit" value="2"><input type="hidden" name="form_token" value="{TOKEN}">
</form></div></body></html>"#
    )
}

type Posts = Arc<Mutex<Vec<(Option<String>, Vec<(String, String)>)>>>;

async fn page() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        "session=s1; Path=/; Secure".parse().unwrap(),
    );
    (headers, Html(risch_page())).into_response()
}

async fn post(State(posts): State<Posts>, headers: HeaderMap, body: Bytes) -> Html<&'static str> {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .map(str::to_string);
    let fields = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    posts.lock().unwrap().push((cookie, fields));
    Html("<h2>Thank you for contacting my office</h2>")
}

fn config(replica_port: u16, cert: &std::path::Path) -> String {
    format!(
        r#"[directory.office_email]
B001267 = "b001267@senate.example"
R000584 = "r000584@senate.example"

[web_forms]
enabled = true
allowed_hosts = ["*.senate.gov"]
allow_private_addresses = true
extra_root_certs = ["{cert}"]
max_wait = "10ms"
name_prefix = "Ms."

[web_forms.resolve]
"www.risch.senate.gov:443" = "127.0.0.1:{replica_port}"

[web_forms.petition_sender]
first_name = "Ana"
last_name = "Perez"
email = "petitions@peace.example"
street = "1210 W Franklin St"
city = "Boise"
state = "ID"
zip = "83702"
phone = "208-555-0134"
"#,
        cert = cert.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petition_goes_through_a_web_form_and_a_recaptcha_form_falls_back_to_email() {
    let test = "e2e::web_forms::petition";
    let Some(data) = hillpost_testkit::shared_dir().map(|d| d.join("data")) else {
        hillpost_testkit::skip(test, "../shared/data", "Set HILLPOST_SHARED_DIR.");
        return;
    };
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let posts: Posts = Arc::default();
    let router = Router::new()
        .route("/contact/share-your-opinion/", get(page).post(post))
        .with_state(Arc::clone(&posts));
    let replica = serve_https(router, &["www.risch.senate.gov"]).await;

    let ws = Workspace::new()
        .smtp(smtp.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    ws.write(
        "hillpost.toml",
        &config(replica.addr.port(), &replica.cert_pem_file),
    );
    import(&ws, &data).ok();
    let mut campaign = hillpost_testkit::fixtures::campaign_toml("forms", "petition", &[]);
    campaign.push_str("\n[[targets]]\ntarget = \"member:R000584\"\n");
    campaign.push_str("\n[[targets]]\ntarget = \"member:B001267\"\n");
    let campaign = ws.write("campaign.toml", &campaign);
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    let signers = ws.write("signers.csv", &hillpost_testkit::fixtures::signers_csv(3));
    ws.run(&["signatures", "import", "forms", signers.to_str().unwrap()])
        .ok();
    ws.run(&["batch", "create", "forms"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();

    // Risch: his form, filled with the petition sender's details, once.
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let (cookie, fields) = &posts[0];
    assert_eq!(cookie.as_deref(), Some("session=s1"));
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("form_token"), Some(TOKEN));
    assert_eq!(field("gform_submit"), Some("2"));
    assert_eq!(field("input_39"), Some("Ms."));
    assert_eq!(field("input_2"), Some("Ana"));
    assert_eq!(field("input_3"), Some("Perez"));
    assert_eq!(field("input_6.5"), Some("83702"));
    assert_eq!(field("input_49"), Some("208-555-0134"));
    assert_eq!(field("input_9"), Some("petitions@peace.example"));
    assert!(
        field("input_12")
            .unwrap()
            .contains("Please bring the troops home."),
        "{fields:?}"
    );

    // Bennet: the recaptcha form is passed over for his office email.
    let messages = smtp.wait_for_messages(1).await;
    assert_eq!(
        messages[0].mailbox("To").unwrap().address,
        "b001267@senate.example"
    );
    let status = ws.run(&["batch", "status", "1"]).ok().stdout;
    assert!(has_count(&status, "delivered", 2), "{status}");
    assert!(status.contains("the form has a recaptcha step"), "{status}");
}

#[test]
fn forms_check_reports_each_definitions_path_and_the_totals() {
    let test = "e2e::web_forms::forms_check";
    let Some(data) = hillpost_testkit::shared_dir().map(|d| d.join("data")) else {
        hillpost_testkit::skip(test, "../shared/data", "Set HILLPOST_SHARED_DIR.");
        return;
    };
    let ws = Workspace::new();
    import(&ws, &data).ok();
    let out = ws.run(&["forms", "check"]).ok().stdout;
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} missing:\n{out}"))
            .to_string()
    };
    assert!(line("R000584").contains(" http"), "{out}");
    assert!(
        line("B001267").contains("unsupported the form has a recaptcha step"),
        "{out}"
    );
    assert!(line("H001042").contains("browser"), "{out}");
    assert!(
        line("H001042").contains("falls back to the next endpoint: [web_forms.browser] is off"),
        "{out}"
    );
    assert!(
        out.contains(" browser definition(s) fall back to the next endpoint"),
        "{out}"
    );
    assert!(
        line("whitehouse-president-2024").contains("recaptcha"),
        "{out}"
    );
    assert!(out.contains("494 definitions: "), "{out}");
    let with_browser = Workspace::new().env("HILLPOST__WEB_FORMS__BROWSER__ENABLED", "true");
    import(&with_browser, &data).ok();
    let out = with_browser.run(&["forms", "check", "H001042"]).ok().stdout;
    assert!(out.contains("— runs in headless Chromium"), "{out}");
    assert!(
        out.contains("1 browser definition(s) run in headless Chromium"),
        "{out}"
    );
    let only = ws.run(&["forms", "check", "S001181"]).ok().stdout;
    assert!(only.contains("1 definitions: 1 http"), "{only}");
}

/// Hirono's form as her site serves it: no form in the HTML, a script builds it and fills
/// the token, and a mask strips the phone number to digits.
fn hirono_page() -> String {
    let text = |id: &str| format!("<input type=\"text\" id=\"input-{id}\" name=\"input_{id}\">");
    let form = [
        "<form method=\"post\" action=\"/share-your-opinion\"><input type=\"hidden\" name=\"form_token\">".to_string(),
        "<select id=\"title\" name=\"title\"><option value=\"\">Title</option><option>Mr.</option><option>Ms.</option></select>".into(),
        text("B03E05C4-4040-F985-52CD-9CA44623DE5E"),
        text("B03E04BD-4040-F985-52CD-48E090E769DA"),
        text("B03E05F1-4040-F985-52CD-A580E72A7D41"),
        text("B03E0595-4040-F985-52CD-C572364023FE"),
        text("B03E04CC-4040-F985-52CD-4DDB58DA474A"),
        text("B03E046E-4040-F985-52CD-A2F10450D58D"),
        "<div id=\"B03E03FC-4040-F985-52CD-BCD7E00A8A6C\"><input id=\"email\" name=\"email\"></div>".into(),
        text("B03E05A4-4040-F985-52CD-730C08912F4F"),
        "<select id=\"input-B03E04DB-4040-F985-52CD-18F332336F99\" name=\"topic\"><option value=\"\">Topic</option><option>Foreign Affairs</option><option>Health</option></select>".into(),
        text("12E6845B-D83C-EBAC-69D8-8880243D4E21"),
        "<textarea id=\"input-B03E05B4-4040-F985-52CD-8DF0BC10EEE2\" name=\"message\"></textarea>".into(),
        "<button type=\"submit\" class=\"btn\">Submit</button></form>".into(),
    ]
    .concat();
    format!(
        r#"<html><body><main id="app"></main><script>
document.getElementById('app').innerHTML = {form:?};
document.querySelector('input[name=form_token]').value = {TOKEN:?};
const phone = document.getElementById('input-B03E046E-4040-F985-52CD-A2F10450D58D');
phone.addEventListener('change', () => {{ phone.value = phone.value.replace(/\D/g, ''); }});
</script></body></html>"#
    )
}

async fn hirono_post(
    State(posts): State<Posts>,
    headers: HeaderMap,
    body: Bytes,
) -> Html<&'static str> {
    let _recorded = post(State(posts), headers, body).await;
    Html("<h2>Thank You</h2><p>Thank you for sharing your opinion.</p>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_that_needs_javascript_is_delivered_by_the_worker_through_chromium() {
    let test = "e2e::web_forms::browser";
    let Some(data) = hillpost_testkit::shared_dir().map(|d| d.join("data")) else {
        hillpost_testkit::skip(test, "../shared/data", "Set HILLPOST_SHARED_DIR.");
        return;
    };
    let Some((chromium, chromedriver)) = hillpost_testkit::browser::installed(test) else {
        return;
    };
    let posts: Posts = Arc::default();
    let router = Router::new()
        .route(
            "/share-your-opinion",
            get(|| async { Html(hirono_page()) }).post(hirono_post),
        )
        .with_state(Arc::clone(&posts));
    let replica = serve_https(router, &["www.hirono.senate.gov"]).await;

    let ws = Workspace::new().env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    let mut config = config(replica.addr.port(), &replica.cert_pem_file)
        .replace("www.risch.senate.gov", "www.hirono.senate.gov")
        .replace("R000584 = ", "H001042 = ");
    config.push_str(&format!(
        "\n[web_forms.browser]\nenabled = true\nchromium = \"{}\"\nchromedriver = \"{}\"\npage_timeout = \"20s\"\n",
        chromium.display(),
        chromedriver.display()
    ));
    ws.write("hillpost.toml", &config);
    import(&ws, &data).ok();
    let mut campaign = hillpost_testkit::fixtures::campaign_toml("hirono", "petition", &[]);
    campaign.push_str("\n[[targets]]\ntarget = \"member:H001042\"\n");
    let campaign = ws.write("campaign.toml", &campaign);
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    let signers = ws.write("signers.csv", &hillpost_testkit::fixtures::signers_csv(3));
    ws.run(&["signatures", "import", "hirono", signers.to_str().unwrap()])
        .ok();
    ws.run(&["batch", "create", "hirono"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();

    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let (_, fields) = &posts[0];
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("form_token"), Some(TOKEN), "set by the page's script");
    assert_eq!(
        field("input_B03E046E-4040-F985-52CD-A2F10450D58D"),
        Some("208-555-0134"),
        "the definition's substr scripts ran after the page's mask"
    );
    assert_eq!(field("title"), Some("Ms."));
    assert!(field("topic").is_some_and(|t| !t.is_empty()), "{fields:?}");
    assert_eq!(field("email"), Some("petitions@peace.example"));
    let status = ws.run(&["batch", "status", "1"]).ok().stdout;
    assert!(has_count(&status, "delivered", 1), "{status}");
}

/// Counts every request to the White House replica: there must be none.
async fn white_house_request(State(requests): State<Arc<Mutex<usize>>>) -> Html<&'static str> {
    *requests.lock().unwrap() += 1;
    Html("<h1>Thank you for your submission!</h1>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presidents_recaptcha_form_falls_back_to_the_configured_white_house_email() {
    let test = "e2e::web_forms::president";
    let Some(data) = hillpost_testkit::shared_dir().map(|d| d.join("data")) else {
        hillpost_testkit::skip(test, "../shared/data", "Set HILLPOST_SHARED_DIR.");
        return;
    };
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let requests: Arc<Mutex<usize>> = Arc::default();
    let router = Router::new()
        .fallback(white_house_request)
        .with_state(Arc::clone(&requests));
    let replica = serve_https(router, &["www.whitehouse.gov"]).await;

    let ws = Workspace::new()
        .smtp(smtp.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    ws.write(
        "hillpost.toml",
        &format!(
            r#"[directory]
president_email = "comments@whitehouse.example"

[web_forms]
enabled = true
allowed_hosts = ["*.whitehouse.gov"]
allow_private_addresses = true
extra_root_certs = ["{cert}"]
max_wait = "10ms"

[web_forms.resolve]
"www.whitehouse.gov:443" = "127.0.0.1:{port}"
"#,
            cert = replica.cert_pem_file.display(),
            port = replica.addr.port()
        ),
    );
    import(&ws, &data).ok();
    let mut campaign = hillpost_testkit::fixtures::campaign_toml("potus", "individual", &[]);
    campaign.push_str("\n[[targets]]\ntarget = \"president\"\n");
    let campaign = ws.write("campaign.toml", &campaign);
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    let preview = ws.run(&["targets", "preview", "potus"]).ok().stdout;
    assert!(
        preview.contains(&format!("endpoint: web_form {ID_WHITE_HOUSE}"))
            && preview.contains("has a recaptcha step")
            && preview.contains("then email comments@whitehouse.example: configured email"),
        "{preview}"
    );
    let signers = ws.write("signers.csv", &hillpost_testkit::fixtures::signers_csv(2));
    ws.run(&["signatures", "import", "potus", signers.to_str().unwrap()])
        .ok();
    ws.run(&["batch", "create", "potus"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();

    // Each signer's letter went to the White House email, on the real SMTP server.
    let messages = smtp.wait_for_messages(2).await;
    for message in &messages {
        assert_eq!(
            message.mailbox("To").unwrap().address,
            "comments@whitehouse.example"
        );
    }
    assert_eq!(
        *requests.lock().unwrap(),
        0,
        "the form page was never contacted"
    );

    let status = ws.run(&["batch", "status", "1"]).ok().stdout;
    assert!(has_count(&status, "delivered", 2), "{status}");
    assert!(status.contains("the form has a recaptcha step"), "{status}");

    // The audit keeps, for each delivery, the form passed over as a route event (nothing
    // touched the network, so it is not an attempt), then the email attempt that was sent.
    let export = ws
        .run(&["audit", "export", "--batch", "1", "--format", "jsonl"])
        .ok()
        .stdout;
    let lines: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{export}");
    let passed_over: Vec<_> = lines.iter().filter(|l| l["record"] == "event").collect();
    assert_eq!(passed_over.len(), 2, "{export}");
    for line in passed_over {
        assert_eq!(line["event_kind"], "route");
        assert!(line["outcome"].is_null(), "not an attempt: {line}");
        let event = line["event"].as_str().unwrap();
        assert!(
            event.starts_with(&format!("web_form {ID_WHITE_HOUSE} passed over for email"))
                && event.contains("the form has a recaptcha step"),
            "{line}"
        );
    }
    let emailed: Vec<_> = lines.iter().filter(|l| l["record"] == "attempt").collect();
    assert_eq!(emailed.len(), 2, "{export}");
    for line in emailed {
        assert_eq!(line["endpoint"], "comments@whitehouse.example");
        assert_eq!(line["outcome"], "ok");
        assert_eq!(line["recipient_key"], "president");
    }
}

const ID_WHITE_HOUSE: &str = "whitehouse-president-2024";
