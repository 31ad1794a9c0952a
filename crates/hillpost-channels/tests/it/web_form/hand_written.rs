//! Hand-written replicas with realistic markup: Risch (R000584, Gravity Forms) and Shaheen
//! (S001181, with value-setting and clicking javascript steps), and what goes wrong.

use std::collections::BTreeMap;

use hillpost_channels::Channel;
use hillpost_core::AttemptOutcome;
use sha2::{Digest, Sha256};

use super::replica::{Expect, Replica, ReplicaSpec, TOKEN};
use super::support::{channel, letter, member_form, message_expected, shared_data, support};

const RISCH_URL: &str = "https://www.risch.senate.gov/contact/share-your-opinion/";

fn risch_html() -> String {
    let prefixes = [
        "Mr.",
        "Mrs.",
        "M.",
        "Ms.",
        "Miss",
        "Professor",
        "Dean",
        "The Honorable",
        "Dr.",
    ];
    let options: String = prefixes
        .iter()
        .map(|p| format!("<option value='{p}'>{p}</option>"))
        .collect();
    format!(
        r#"<!DOCTYPE html><html><head><title>Share Your Opinion | Senator Jim Risch</title>
<link rel="stylesheet" href="/wp-content/themes/risch/style.css"></head><body>
<header class="site-header"><nav><a href="/">Home</a></nav></header>
<div class="gf_browser_chrome gform_wrapper" id="gform_wrapper_2">
<form method="post" enctype="application/x-www-form-urlencoded" id="gform_2" action="">
<div class="gform_body"><ul id="gform_fields_2" class="gform_fields top_label">
<li id="field_2_39"><label for="input_2_39">Prefix<span class="gfield_required">*</span></label>
  <select name="input_39" id="input_2_39" class="medium gfield_select" aria-required="true"><option value="" selected>Select</option>{options}</select></li>
<li><label for="input_2_2">First Name</label><input name="input_2" id="input_2_2" type="text" value="" aria-required="true"></li>
<li><label for="input_2_3">Last Name</label><input name="input_3" id="input_2_3" type="text" value=""></li>
<li><span class="ginput_full"><input type="text" name="input_6.1" id="input_2_6_1" value=""></span>
  <span class="ginput_right"><input type="text" name="input_6.3" id="input_2_6_3" value=""></span>
  <span class="ginput_right"><input type="text" name="input_6.5" id="input_2_6_5" value=""></span>
  <input type="hidden" name="input_6.6" value="United States"></li>
<li><input name="input_49" id="input_2_49" type="tel" value=""></li>
<li><input name="input_9" id="input_2_9" type="email" value=""></li>
<li><textarea name="input_12" id="input_2_12" rows="10" cols="50" maxlength="1500"></textarea></li>
<li class="gform_validation_container"><input name="input_50" id="input_2_50" type="text" value=""></li>
</ul></div>
<div class="gform_footer top_label">
  <input type="submit" id="gform_submit_button_2" class="gform_button button" value="Submit">
  <input type="hidden" class="gform_hidden" name="is_submit_2" value="1">
  <input type="hidden" class="gform_hidden" name="gform_submit" value="2">
  <input type="hidden" name="form_token" value="{TOKEN}">
  <input type="hidden" class="gform_hidden" name="state_2" value="WyJbXSIsIjZkOTdhY2Yx">
  <input type="hidden" class="gform_hidden" name="gform_target_page_number_2" id="gform_target_page_number_2" value="0">
</div></form></div></body></html>"#
    )
}

fn risch_expected() -> BTreeMap<String, Expect> {
    let exact = |v: &str| Expect::Exact(v.to_string());
    [
        ("input_2", exact("Ana")),
        ("input_3", exact("Pérez")),
        ("input_6.1", exact("1210 W Franklin St")),
        ("input_6.3", exact("Boise")),
        ("input_6.5", exact("83702")),
        ("input_6.6", exact("United States")),
        ("input_49", exact("208-555-0134")),
        ("input_9", exact("ana.perez@example.org")),
        ("input_12", exact(&message_expected())),
        ("input_39", exact("Ms.")),
        ("input_50", exact("")),
        ("is_submit_2", exact("1")),
        ("gform_submit", exact("2")),
        ("state_2", exact("WyJbXSIsIjZkOTdhY2Yx")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[tokio::test]
async fn risch_form_is_filled_and_confirmed() {
    let Some(data) = shared_data("web_form::risch_form_is_filled_and_confirmed") else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "R000584", &support);
    let replica = Replica::start(ReplicaSpec::new(RISCH_URL, risch_html(), risch_expected())).await;
    let channel = channel(replica.egress(), vec![form], support);

    let report = channel.send(&letter("R000584")).await;

    assert_eq!(
        replica.submissions(),
        [Vec::<String>::new()],
        "every field as expected"
    );
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(report.remote_code, Some(200));
    assert_eq!(
        report.remote_text.as_deref(),
        Some("Thank you for contacting my office")
    );
    assert_eq!(
        report.note.as_deref(),
        Some(format!("final URL {RISCH_URL}").as_str())
    );
    let posted = replica.state.posted.lock().unwrap()[0].clone();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(posted.iter())
        .finish();
    assert_eq!(
        report.sent_sha256.as_deref(),
        Some(hex::encode(Sha256::digest(body.as_bytes())).as_str()),
        "the hash covers exactly the body posted"
    );
}

#[tokio::test]
async fn a_long_message_is_cut_on_a_word_boundary() {
    let Some(data) = shared_data("web_form::a_long_message_is_cut_on_a_word_boundary") else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "R000584", &support);
    let long = "Please act now on this matter. ".repeat(80);
    let mut expected = risch_expected();
    expected.insert(
        "input_12".into(),
        Expect::Truncated {
            of: long.trim_end().to_string(),
            max: 1500,
        },
    );
    let replica = Replica::start(ReplicaSpec::new(RISCH_URL, risch_html(), expected)).await;
    let channel = channel(replica.egress(), vec![form], support);
    let mut letter = letter("R000584");
    letter.body_markdown = long.clone();

    let report = channel.send(&letter).await;

    assert_eq!(
        report.outcome,
        AttemptOutcome::Ok,
        "{:?}",
        replica.submissions()
    );
    let posted = replica.state.posted.lock().unwrap()[0].clone();
    let message = &posted.iter().find(|(n, _)| n == "input_12").unwrap().1;
    let length = message.chars().count();
    assert!((1480..=1500).contains(&length), "{length}");
    assert!(
        long.starts_with(&format!("{message} ")),
        "cut after a whole word: {message:?}"
    );
}

#[tokio::test]
async fn a_form_that_drops_its_thank_you_text_is_unconfirmed() {
    let Some(data) = shared_data("web_form::a_form_that_drops_its_thank_you_text_is_unconfirmed")
    else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "R000584", &support);
    let mut spec = ReplicaSpec::new(RISCH_URL, risch_html(), risch_expected());
    spec.thank_you = "Your submission was received".into();
    let replica = Replica::start(spec).await;
    let channel = channel(replica.egress(), vec![form], support);

    let report = channel.send(&letter("R000584")).await;

    assert_eq!(report.outcome, AttemptOutcome::Unconfirmed, "{report:?}");
    assert!(
        report
            .remote_text
            .as_deref()
            .unwrap()
            .contains("Your submission was received"),
        "the answer is kept"
    );
    assert!(
        report
            .note
            .as_deref()
            .unwrap()
            .contains("\"Thank you for contacting my office\" was not in the answer")
    );
    assert!(report.sent_sha256.is_some());
}

#[tokio::test]
async fn a_redirect_off_the_allow_list_is_refused() {
    let Some(data) = shared_data("web_form::a_redirect_off_the_allow_list_is_refused") else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "R000584", &support);
    let mut spec = ReplicaSpec::new(RISCH_URL, risch_html(), risch_expected());
    spec.redirect_after_post = Some("https://collector.example.com/thanks".into());
    let replica = Replica::start(spec).await;
    let channel = channel(replica.egress(), vec![form], support);

    let report = channel.send(&letter("R000584")).await;

    assert_eq!(
        report.outcome,
        AttemptOutcome::PossiblyAccepted,
        "the form was posted; its answer could not be followed: {report:?}"
    );
    assert!(
        report.note.as_deref().unwrap().contains(
            "a redirect to https://collector.example.com/thanks was refused: its host is not on the egress allow-list"
        ),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_busy_office_is_retried_after_the_time_it_asks() {
    let Some(data) = shared_data("web_form::a_busy_office_is_retried_after_the_time_it_asks")
    else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "R000584", &support);
    let mut spec = ReplicaSpec::new(RISCH_URL, risch_html(), risch_expected());
    spec.busy_for = Some(90);
    let replica = Replica::start(spec).await;
    let channel = channel(replica.egress(), vec![form], support);

    let report = channel.send(&letter("R000584")).await;

    assert_eq!(report.outcome, AttemptOutcome::Transient);
    assert_eq!(report.remote_code, Some(503));
    assert_eq!(report.retry_after, Some(std::time::Duration::from_secs(90)));
    assert!(replica.submissions().is_empty(), "nothing was posted");
}

const SHAHEEN_URL: &str = "https://www.shaheen.senate.gov/contact/contact-jeanne";

fn shaheen_html(topics: &[(&str, &str)]) -> String {
    let topic_options: String = topics
        .iter()
        .map(|(label, value)| format!(r#"<option value="{value}">{label}</option>"#))
        .collect();
    let input = |id: &str, label: &str| {
        format!(
            r#"<div class="control-group"><label class="control-label" for="input-{id}">{label}<span class="required">*</span></label><div class="controls"><input id="input-{id}" name="input_{id}" type="text" placeholder="Required"></div></div>"#
        )
    };
    format!(
        r#"<!DOCTYPE html><html><head><title>Contact Jeanne | U.S. Senator Jeanne Shaheen</title></head><body>
<div class="SiteLayout__main"><form id="9247EE5E-F6A4-D5A6-2C1C-C3E2C8A3A8D4" action="https://www.shaheen.senate.gov/contact/contact-jeanne" method="post">
<fieldset><legend>Your Information</legend>
<div class="control-group"><label for="title">Prefix</label><div class="controls"><select id="title" name="input_924B81DD-D019-B4B7-74E7-5EB4A61040B0"><option value="">--</option><option value="Mr.">Mr.</option><option value="Ms.">Ms.</option><option value="Mrs.">Mrs.</option><option value="Dr.">Dr.</option></select></div></div>
{first}{last}{street}{city}{zip}{phone}
<div class="control-group"><label for="email">Email</label><div class="controls"><input id="email" name="input_9247F040-FA2E-BA23-EFDE-E0864E33884B" type="text"></div></div>
{verify}
</fieldset><fieldset><legend>Your Message</legend>
<div class="control-group"><div class="controls"><select id="input-9247F04B-B300-2960-1735-92912EC4FED3" name="input_9247F04B-B300-2960-1735-92912EC4FED3"><option value=""></option>{topic_options}</select></div></div>
<div class="control-group"><input id="input-9247EF55-B6B9-E31D-C39F-7267C2C291B0" name="input_9247EF55-B6B9-E31D-C39F-7267C2C291B0" type="checkbox" value="yes"><label for="input-9247EF55-B6B9-E31D-C39F-7267C2C291B0">I would like a response</label></div>
<div class="control-group"><div class="controls"><textarea id="input-9247EFB0-D80E-364B-1BEF-EF0705DF9E0F" name="input_9247EFB0-D80E-364B-1BEF-EF0705DF9E0F"></textarea></div></div>
</fieldset>
<div><input type="hidden" name="form_token" value="{TOKEN}"><input type="hidden" name="email_address_validation_field" value=""></div>
<div class="control-group"><div class="controls"><button type="submit" class="btn">Send My Message</button></div></div>
</form></div></body></html>"#,
        first = input("9247EFE3-AE07-B24E-99DB-FC001CEF0DBE", "First Name"),
        last = input("9247EF17-9167-46F0-812B-5EC75B70D025", "Last Name"),
        street = input("9247EFFC-92B9-414F-CDA1-178DDBE9D8BC", "Street Address"),
        city = input("9247F061-AC87-D22D-78EF-C2742D4457FE", "City"),
        zip = input("9247EF21-B31D-5378-69F7-85D87D8998AD", "ZIP"),
        phone = input("9247EFF0-C0E7-CF35-E353-27FD713EF00B", "Phone"),
        verify = input("9247EF5F-BF82-650E-BD26-F20DF5FF5880", "Verify Email"),
    )
}

/// S001181 has a label → value topic map and two javascript steps: one clicks the
/// "I would like a response" checkbox, one strips double quotes from the message.
#[tokio::test]
async fn shaheen_form_runs_its_javascript_over_http() {
    let Some(data) = shared_data("web_form::shaheen_form_runs_its_javascript_over_http") else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "S001181", &support);
    assert_eq!(
        form.execution_path(),
        hillpost_directory::forms::ExecutionPath::Http
    );
    let topics = [
        ("Budget", "BUD"),
        ("Foreign Relations", "FOR"),
        ("Healthcare", "HEA"),
        ("Small Business", "BUS"),
    ];
    let exact = |v: &str| Expect::Exact(v.to_string());
    let id = |suffix: &str| format!("input_{suffix}");
    let expected: BTreeMap<String, Expect> = [
        (id("924B81DD-D019-B4B7-74E7-5EB4A61040B0"), exact("Ms.")),
        (id("9247EFE3-AE07-B24E-99DB-FC001CEF0DBE"), exact("Ana")),
        (id("9247EF17-9167-46F0-812B-5EC75B70D025"), exact("Pérez")),
        (
            id("9247EFFC-92B9-414F-CDA1-178DDBE9D8BC"),
            exact("1210 W Franklin St"),
        ),
        (id("9247F061-AC87-D22D-78EF-C2742D4457FE"), exact("Boise")),
        (id("9247EF21-B31D-5378-69F7-85D87D8998AD"), exact("83702")),
        (
            id("9247EFF0-C0E7-CF35-E353-27FD713EF00B"),
            exact("208-555-0134"),
        ),
        (
            id("9247F040-FA2E-BA23-EFDE-E0864E33884B"),
            exact("ana.perez@example.org"),
        ),
        (
            id("9247EF5F-BF82-650E-BD26-F20DF5FF5880"),
            exact("ana.perez@example.org"),
        ),
        // The subject names foreign relations: the closest topic.
        (id("9247F04B-B300-2960-1735-92912EC4FED3"), exact("FOR")),
        // Clicked by javascript.
        (id("9247EF55-B6B9-E31D-C39F-7267C2C291B0"), exact("yes")),
        // Quotes removed by javascript.
        (
            id("9247EFB0-D80E-364B-1BEF-EF0705DF9E0F"),
            exact(&message_expected().replace('"', "")),
        ),
        ("email_address_validation_field".into(), exact("")),
    ]
    .into_iter()
    .collect();
    let mut spec = ReplicaSpec::new(SHAHEEN_URL, shaheen_html(&topics), expected);
    spec.thank_you = "Thank you for contacting Senator Shaheen".into();
    let replica = Replica::start(spec).await;
    let channel = channel(replica.egress(), vec![form], support);

    let report = channel.send(&letter("S001181")).await;

    assert_eq!(replica.submissions(), [Vec::<String>::new()]);
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(
        report.remote_text.as_deref(),
        Some("Thank you for contacting")
    );
}

#[tokio::test]
async fn a_recaptcha_form_falls_back_without_a_request() {
    let Some(data) = shared_data("web_form::a_recaptcha_form_falls_back_without_a_request") else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "B001267", &support);
    let channel = channel(
        hillpost_channels::egress::EgressSettings::default(),
        vec![form],
        support,
    );
    let report = channel.send(&letter("B001267")).await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert_eq!(report.passed_over(), Some("the form has a recaptcha step"));
    assert_eq!(report.sent_sha256, None);
}

#[tokio::test]
async fn a_petition_letter_without_a_petition_sender_falls_back() {
    let Some(data) =
        shared_data("web_form::a_petition_letter_without_a_petition_sender_falls_back")
    else {
        return;
    };
    let support = support(&data);
    let form = member_form(&data, "R000584", &support);
    let channel = channel(
        hillpost_channels::egress::EgressSettings::default(),
        vec![form],
        support,
    );
    let mut petition = letter("R000584");
    petition.signer = None;
    let report = channel.send(&petition).await;
    assert!(
        report
            .passed_over()
            .unwrap()
            .contains("no petition_sender is configured")
    );
    let unknown = channel.send(&letter("X000000")).await;
    assert_eq!(
        unknown.passed_over(),
        Some("no form definition `X000000` in the stored directory")
    );
}
