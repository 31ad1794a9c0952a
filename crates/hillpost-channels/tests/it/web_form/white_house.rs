//! The White House contact page (contact-officials `whitehouse-president-2024`): a replica
//! shaped like its definition — a session cookie, hidden tokens, the required fields, the
//! hidden `recaptcha` input that reCAPTCHA v3's script fills on submit, and the "Thank you
//! for your submission!" page. The definition has a `recaptcha` step, so hillpost never
//! submits it: the delivery falls back without a single request to the page. That the
//! replica is faithful is shown by the same definition with its recaptcha steps cut out:
//! the replica accepts every field it fills when the page carries a token, and refuses the
//! submission when it does not — what would happen if hillpost posted the form anyway.

use std::collections::BTreeMap;

use hillpost_channels::Channel;
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::{ExecutionPath, FormDefinition, FormSupport};

use super::replica::{Expect, Replica, ReplicaSpec, TOKEN};
use super::support::{channel, letter, message_expected, official_form, shared_data, support};

const ID: &str = "whitehouse-president-2024";
const PAGE_URL: &str = "https://www.whitehouse.gov/contact/share/";
const THANK_YOU: &str = "Thank you for your submission!";
const RECAPTCHA_TOKEN: &str = "03AFcWeA5v-replica-token";

fn definition_yaml(data: &std::path::Path) -> String {
    std::fs::read_to_string(data.join(format!("contact-officials/{ID}.yaml"))).unwrap()
}

/// The definition without the steps that prepare and solve the reCAPTCHA (the four
/// javascript steps, the `find` and the `recaptcha` step); the rest is unchanged.
fn without_recaptcha_steps(yaml: &str) -> String {
    let start = yaml
        .find("        # The following logic")
        .expect("the recaptcha preparation");
    let recaptcha = yaml
        .find("        - recaptcha:")
        .expect("the recaptcha step");
    let end = recaptcha
        + yaml[recaptcha..]
            .find("        - wait:")
            .expect("a wait after");
    format!("{}{}", &yaml[..start], &yaml[end..])
}

/// The contact page as whitehouse.gov serves it (2024), reduced to the form. `token` is what
/// reCAPTCHA's script would have put in the hidden `recaptcha` input (empty: no script ran).
fn white_house_html(token: &str) -> String {
    let options = |values: &[&str]| -> String {
        values
            .iter()
            .map(|v| format!(r#"<option value="{v}">{v}</option>"#))
            .collect()
    };
    let subjects = options(&[
        "Contact the President",
        "Contact the Vice President",
        "Help with a Federal Agency",
        "Question about the Website",
    ]);
    let prefixes = options(&["Mr.", "Mrs.", "Ms.", "Miss", "Dr.", "Rev."]);
    let states = options(&[
        "Alabama",
        "Alaska",
        "District of Columbia",
        "Hawaii",
        "Idaho",
        "Montana",
        "Oregon",
        "Washington",
        "Wyoming",
    ]);
    format!(
        r#"<!DOCTYPE html><html lang="en-US"><head><title>Contact Us | The White House</title>
<script src="https://www.google.com/recaptcha/api.js?render=6Lf_3G4dAAAAAFUmrvkYbR5Fw5DugtBiIODi9DPf"></script></head>
<body><header class="header"><a href="/">The White House</a></header>
<main id="main-content"><h1>Contact Us</h1>
<form id="contact-form" class="wh-form" method="post" action="/contact/share/">
<input type="hidden" name="form_token" value="{TOKEN}">
<input type="hidden" name="_wp_http_referer" value="/contact/share/">
<label for="Subject">Topic<span class="required">*</span></label>
<select id="Subject" name="Subject" required><option value="">Select a topic</option>{subjects}</select>
<label for="Prefix">Prefix</label>
<select id="Prefix" name="Prefix"><option value="">--</option>{prefixes}</select>
<label for="FirstName">First Name*</label><input id="FirstName" name="FirstName" type="text" maxlength="40" required>
<label for="lastName">Last Name*</label><input id="lastName" name="lastName" type="text" maxlength="80" required>
<label for="email_address">Email*</label><input id="email_address" name="email_address" type="email" maxlength="80" required>
<label for="phone">Phone*</label><input id="phone" name="phone" type="tel" maxlength="40" required>
<label for="country">Country*</label>
<select id="country" name="country" required><option value="">Select a country</option><option value="CA">Canada</option><option value="USA">United States</option><option value="MX">Mexico</option></select>
<label for="Street">Mailing Address*</label><textarea id="Street" name="Street" maxlength="255" required></textarea>
<label for="City">City*</label><input id="City" name="City" type="text" maxlength="40" required>
<label for="State">State*</label><select id="State" name="State" required><option value="">Select a state</option>{states}</select>
<label for="zipcode">Zip Code*</label><input id="zipcode" name="zipcode" type="text" maxlength="5" required>
<label for="message">Message*</label><textarea id="message" name="message" maxlength="2000" required></textarea>
<label><input type="checkbox" name="Optin_code" value="1" checked> Sign up for updates from the White House</label>
<input type="hidden" name="recaptcha" value="{token}">
<input type="submit" class="button" value="Send">
</form></main></body></html>"#
    )
}

/// Every field the definition fills, as the test signer's values give it.
fn expected() -> BTreeMap<String, Expect> {
    let exact = |v: &str| Expect::Exact(v.to_string());
    [
        ("Subject", exact("Contact the President")),
        ("Prefix", exact("Ms.")),
        ("FirstName", exact("Ana")),
        ("lastName", exact("Pérez")),
        ("email_address", exact("ana.perez@example.org")),
        ("phone", exact("208-555-0134")),
        ("country", exact("USA")),
        ("Street", exact("1210 W Franklin St")),
        ("City", exact("Boise")),
        ("State", exact("Idaho")),
        ("zipcode", exact("83702")),
        ("message", exact(&message_expected())),
        ("_wp_http_referer", exact("/contact/share/")),
        // The definition unchecks the newsletter box.
        ("Optin_code", Expect::Absent),
        // The server verifies the reCAPTCHA v3 token; without one it refuses the message.
        ("recaptcha", Expect::NonEmpty),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn replica(token: &str) -> Replica {
    let mut spec = ReplicaSpec::new(PAGE_URL, white_house_html(token), expected());
    spec.thank_you = THANK_YOU.into();
    Replica::start(spec).await
}

async fn send_through(replica: &Replica, form: FormDefinition, support: FormSupport) -> SendReport {
    let channel = channel(replica.egress(), vec![form], support);
    channel.send(&letter(ID)).await
}

#[tokio::test]
async fn the_white_house_form_falls_back_without_a_request_to_the_page() {
    let Some(data) =
        shared_data("web_form::the_white_house_form_falls_back_without_a_request_to_the_page")
    else {
        return;
    };
    let support = support(&data);
    let form = official_form(&definition_yaml(&data), ID, &support);
    assert!(
        matches!(form.execution_path(), ExecutionPath::Unsupported { .. }),
        "{:?}",
        form.execution_path()
    );
    let replica = replica(RECAPTCHA_TOKEN).await;

    let report = send_through(&replica, form, support).await;

    assert_eq!(report.outcome, AttemptOutcome::Permanent, "{report:?}");
    assert_eq!(report.passed_over(), Some("the form has a recaptcha step"));
    assert_eq!(report.sent_sha256, None, "nothing was posted");
    assert_eq!(report.remote_code, None);
    assert_eq!(replica.visits(), 0, "not even the page was fetched");
    assert!(replica.submissions().is_empty(), "no POST reached the page");
}

#[tokio::test]
async fn the_white_house_replica_checks_every_field_the_definition_fills() {
    let Some(data) =
        shared_data("web_form::the_white_house_replica_checks_every_field_the_definition_fills")
    else {
        return;
    };
    let support = support(&data);
    let yaml = without_recaptcha_steps(&definition_yaml(&data));
    let form = official_form(&yaml, ID, &support);
    assert_eq!(
        form.execution_path(),
        ExecutionPath::Http,
        "only the final click script is left"
    );

    // With the token reCAPTCHA's script would have set, every field is as the page expects.
    let with_token = replica(RECAPTCHA_TOKEN).await;
    let report = send_through(&with_token, form.clone(), support.clone()).await;
    assert_eq!(with_token.submissions(), [Vec::<String>::new()]);
    assert_eq!(with_token.visits(), 1);
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(report.remote_text.as_deref(), Some(THANK_YOU));
    let posted = with_token.state.posted.lock().unwrap()[0].clone();
    let names: Vec<&str> = posted.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"recaptcha") && !names.contains(&"Optin_code"),
        "{names:?}"
    );

    // Without it — the form as hillpost alone could post it — the page refuses the message.
    let without_token = replica("").await;
    let report = send_through(&without_token, form, support).await;
    assert_eq!(
        without_token.submissions(),
        [vec![format!(
            "recaptcha: got \"\", expected {:?}",
            Expect::NonEmpty
        )]]
    );
    assert_eq!(report.outcome, AttemptOutcome::Permanent, "{report:?}");
    assert_eq!(report.remote_code, Some(422));
}
