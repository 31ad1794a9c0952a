//! Replicas of the forms whose steps a browser reads differently from a naive executor
//! (see `patterns.rs`), shared with the worker's tests, which deliver the same letters
//! end to end through the worker (they include this file by path).

use std::collections::BTreeMap;
use std::path::Path;

use hillpost_directory::SourceFile;
use hillpost_directory::forms::{
    FieldOptions, FormDefinition, FormKind, FormSupport, StepAction, parse_form,
};

use super::replica::{Expect, ReplicaSpec, TOKEN};
use super::support::{SUBJECT, message_expected};

/// The member's definition with its recaptcha steps cut out.
pub fn definition_without_recaptcha(
    data: &Path,
    id: &str,
    support: &FormSupport,
) -> FormDefinition {
    let yaml =
        std::fs::read_to_string(data.join(format!("contact-congress/members/{id}.yaml"))).unwrap();
    let cut = yaml.replace("    - recaptcha:\n        - value: true\n", "");
    assert_ne!(cut, yaml, "{id} has a recaptcha step to cut");
    let source = SourceFile::new(format!("{id}.yaml"), cut.into_bytes());
    parse_form(&source, FormKind::Member, support).unwrap()
}

/// The message as a form receives it after a definition strips double quotes; a browser
/// posts CRLF line breaks.
pub fn message_without_quotes() -> Expect {
    let lf = message_expected().replace('"', "");
    Expect::OneOf(vec![lf.replace('\n', "\r\n"), lf])
}

pub fn exact(text: &str) -> Expect {
    Expect::Exact(text.to_string())
}

pub const TONKO_URL: &str = "https://tonkoforms.house.gov/contact/";

pub fn tonko_spec() -> ReplicaSpec {
    let zip_page = r#"<!DOCTYPE html><html><body><div id="header">Congressman Paul Tonko</div>
<form class="zipform" method="get" action="/forms/writeyourrep/">
<input type="text" name="zip5" size="6"><input type="text" name="zip4" size="5">
<input type="submit" value="Submit"></form></body></html>"#;
    let prefixes: String = ["Mr.", "Mrs.", "Dr.", "Ms.", "The Reverend"]
        .iter()
        .map(|p| format!("<option value=\"{p}\">{p}</option>"))
        .collect();
    let text = |field: &str| {
        format!("<input type=\"text\" id=\"ctl00_ctl17_{field}\" name=\"ctl00$ctl17${field}\">")
    };
    let form_page = format!(
        r#"<!DOCTYPE html><html><body><div id="header">Congressman Paul Tonko</div>
<form method="post" action="/forms/writeyourrep/">
<input type="hidden" name="form_token" value="{TOKEN}">
<select id="ctl00_ctl17_PrefixList" name="ctl00$ctl17$PrefixList"><option value="">Prefix</option>{prefixes}</select>
{}{}{}{}{}{}{}
<textarea id="ctl00_ctl17_Body" name="ctl00$ctl17$Body"></textarea>
<input type="radio" id="ctl00_ctl17_ReplyChoice_0" name="ctl00$ctl17$ReplyChoice" value="yes"><label for="ctl00_ctl17_ReplyChoice_0">Yes, reply</label>
<input type="radio" id="ctl00_ctl17_ReplyChoice_1" name="ctl00$ctl17$ReplyChoice" value="no" checked><label for="ctl00_ctl17_ReplyChoice_1">No</label>
<input type="submit" id="ctl00_ctl17_SubmitButton" name="ctl00$ctl17$SubmitButton" value="Submit">
</form></body></html>"#,
        text("FirstName"),
        text("LastName"),
        text("Street"),
        text("City"),
        text("Zip"),
        text("Email"),
        text("Subject"),
    );
    let expected: BTreeMap<String, Expect> = [
        ("ctl00$ctl17$PrefixList", exact("Ms.")),
        ("ctl00$ctl17$FirstName", exact("Ana")),
        ("ctl00$ctl17$LastName", exact("Pérez")),
        ("ctl00$ctl17$Street", exact("1210 W Franklin St")),
        ("ctl00$ctl17$City", exact("Boise")),
        ("ctl00$ctl17$Zip", exact("83702")),
        ("ctl00$ctl17$Email", exact("ana.perez@example.org")),
        ("ctl00$ctl17$Subject", exact(SUBJECT)),
        ("ctl00$ctl17$Body", message_without_quotes()),
        // The label clicked chose "yes" over the "no" checked by default.
        ("ctl00$ctl17$ReplyChoice", exact("yes")),
        ("ctl00$ctl17$SubmitButton", exact("Submit")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut spec = ReplicaSpec::new(TONKO_URL, zip_page.to_string(), expected);
    spec.pages = vec![("/forms/writeyourrep/".into(), form_page)];
    spec.submit_path = Some("/forms/writeyourrep/".into());
    spec
}

pub const DUCKWORTH_URL: &str = "https://www.duckworth.senate.gov/connect/email-tammy";

/// The page: the form hidden until the "Share your opinion" tab is clicked; controls made
/// from the definition's own selectors and names, options from its maps.
pub fn duckworth_spec(form: &FormDefinition) -> ReplicaSpec {
    let values = super::support::signer_values();
    let mut controls = String::new();
    let mut expected = BTreeMap::new();
    for step in &form.steps {
        let (StepAction::FillIn { fields } | StepAction::Select { fields }) = &step.action else {
            continue;
        };
        for field in fields {
            let id = field.selector.rsplit('#').next().unwrap();
            let name = field.name.clone().unwrap();
            let wanted = match &field.value {
                Some(hillpost_directory::forms::FieldValue::Variable(v)) => {
                    values[v.as_str()].clone()
                }
                other => panic!("{other:?}"),
            };
            match &field.options {
                Some(FieldOptions::Labelled(choices)) => {
                    let options: String = choices
                        .iter()
                        .map(|c| format!("<option value=\"{}\">{}</option>", c.value, c.label))
                        .collect();
                    controls.push_str(&format!(
                        "<select id=\"{id}\" name=\"{name}\"><option value=\"\">--</option>{options}</select>\n"
                    ));
                }
                _ if id.ends_with("C9DB6C6B32A1") => {
                    controls.push_str(&format!(
                        "<textarea id=\"{id}\" name=\"{name}\"></textarea>\n"
                    ));
                }
                _ => controls.push_str(&format!(
                    "<input type=\"text\" id=\"{id}\" name=\"{name}\">\n"
                )),
            }
            let expect = match wanted.as_str() {
                "Ms." | "ID" => exact(&wanted),
                _ if field.value
                    == Some(hillpost_directory::forms::FieldValue::Variable(
                        "$TOPIC".into(),
                    )) =>
                {
                    exact("Foreign Relations")
                }
                _ if id.ends_with("C9DB6C6B32A1") => message_without_quotes(),
                _ => exact(&wanted),
            };
            expected.insert(name, expect);
        }
    }
    let html = format!(
        r##"<!DOCTYPE html><html><body><h1>Email Tammy</h1>
<ul class="tabs"><li class="opinion"><a href="#">Share your opinion</a></li><li class="help"><a href="#">Help with an agency</a></li></ul>
<form id="feedbackform" class="hide" method="post" action="/content/contact-senator" style="display:none">
<input type="hidden" name="form_token" value="{TOKEN}">
{controls}<input type="submit" class="btn" value="Submit"></form>
<script>
document.querySelector('.opinion a').addEventListener('click', (event) => {{
  event.preventDefault();
  document.getElementById('feedbackform').style.display = 'block';
}});
</script></body></html>"##
    );
    let mut spec = ReplicaSpec::new(DUCKWORTH_URL, html, expected);
    spec.thank_you = "Thank you for contacting my office.".into();
    spec.pages = vec![("/content/contact-senator".into(), String::new())];
    spec.submit_path = Some("/content/contact-senator".into());
    spec
}

pub const BUDD_URL: &str =
    "https://outreach.senate.gov/iqextranet/EForm.aspx?__cid=quorum_budd-iq&__fid=100007";

pub fn budd_spec(form: &FormDefinition) -> ReplicaSpec {
    let select = |name: &str| -> String {
        let choices = form
            .steps
            .iter()
            .find_map(|s| match &s.action {
                StepAction::Select { fields } => fields
                    .iter()
                    .find(|f| f.name.as_deref() == Some(name))
                    .and_then(|f| match &f.options {
                        Some(FieldOptions::Labelled(c)) => Some(c.clone()),
                        _ => None,
                    }),
                _ => None,
            })
            .unwrap();
        let options: String = choices
            .iter()
            .map(|c| format!("<option value=\"{}\">{}</option>", c.value, c.label))
            .collect();
        format!(
            "<select id=\"{name}\" name=\"{name}\"><option value=\"\">Select</option>{options}</select>"
        )
    };
    let text = |name: &str| format!("<input type=\"text\" id=\"{name}\" name=\"{name}\">");
    let html = format!(
        r#"<!DOCTYPE html><html><body><form method="post" action="">
<input type="hidden" name="form_token" value="{TOKEN}">
{}{}{}{}{}{}{}{}{}{}{}<textarea id="qi_4" name="qi_4"></textarea>
<input type="submit" id="btn_submit" name="btn_submit" value="Send"></form></body></html>"#,
        text("qi_1_prefix"),
        text("qi_1_first_name"),
        text("qi_1_last_name"),
        text("qi_1_addr_1"),
        text("qi_1_city"),
        select("qi_1_state"),
        text("qi_1_zip"),
        text("qi_1_email"),
        text("qi_1_hphone"),
        select("qi_2"),
        text("qi_3"),
    );
    let expected: BTreeMap<String, Expect> = [
        ("qi_1_prefix", exact("Ms.")),
        ("qi_1_first_name", exact("Ana")),
        ("qi_1_last_name", exact("Pérez")),
        ("qi_1_addr_1", exact("1210 W Franklin St")),
        ("qi_1_city", exact("Boise")),
        // `Idaho: 17_ID`: the signer's code is neither a value nor a label.
        ("qi_1_state", exact("17_ID")),
        ("qi_1_zip", exact("83702")),
        ("qi_1_email", exact("ana.perez@example.org")),
        ("qi_1_hphone", exact("208-555-0134")),
        ("qi_2", exact("17_FR")),
        ("qi_3", exact(SUBJECT)),
        ("qi_4", message_without_quotes()),
        ("btn_submit", exact("Send")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut spec = ReplicaSpec::new(BUDD_URL, html, expected);
    spec.thank_you = "Thank you for your message. LATEST NEWS".into();
    spec
}

pub const INNER_URL: &str = "https://www.inner.senate.gov/contact";

pub fn inner_definition(support: &FormSupport, script_tail: &str) -> FormDefinition {
    let states: String = [("Michigan", "22_MI"), ("Idaho", "13_ID"), ("Ohio", "35_OH")]
        .iter()
        .map(|(label, value)| format!("<option value=\\\"{value}\\\">{label}</option>"))
        .collect();
    let form = format!(
        "<form id=\\\"f\\\" action=\\\"/contact\\\" method=\\\"post\\\">\
         <input type=\\\"hidden\\\" name=\\\"form_token\\\" value=\\\"{TOKEN}\\\">\
         <input id=\\\"first\\\" name=\\\"first\\\"><textarea id=\\\"msg\\\" name=\\\"msg\\\"></textarea>\
         <select id=\\\"state\\\" name=\\\"state\\\" required><option value=\\\"\\\">Choose</option>{states}</select>\
         <button type=\\\"submit\\\" id=\\\"send\\\">Send</button></form>"
    );
    let yaml = format!(
        r##"bioguide: X000901
contact_form:
  method: post
  action: /contact
  steps:
    - visit: "{INNER_URL}"
    - javascript:
        - value: "document.querySelector('.SiteLayout__main').innerHTML = '{form}'{script_tail}"
    - fill_in:
        - name: first
          selector: "#first"
          value: $NAME_FIRST
          required: true
        - name: msg
          selector: "#msg"
          value: $MESSAGE
          required: true
    - select:
        - name: state
          selector: "#state"
          value: $ADDRESS_STATE_POSTAL_ABBREV
          required: true
    - click_on:
        - selector: "#send"
  success:
    body:
      contains: "Thank you for contacting"
"##
    );
    let source = SourceFile::new("X000901.yaml", yaml.into_bytes());
    parse_form(&source, FormKind::Member, support).unwrap()
}

pub fn inner_spec() -> ReplicaSpec {
    let html = r#"<!DOCTYPE html><html><body><main class="SiteLayout__main"><p>Loading&hellip;</p></main></body></html>"#;
    let expected: BTreeMap<String, Expect> = [
        ("first", exact("Ana")),
        (
            "msg",
            Expect::OneOf(vec![
                message_expected().replace('\n', "\r\n"),
                message_expected(),
            ]),
        ),
        ("state", exact("13_ID")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    ReplicaSpec::new(INNER_URL, html.to_string(), expected)
}

/// The definition of `which` (`T000469`, `D000622`, `B001305`, or anything else for the
/// innerHTML form) and its replica.
pub fn pattern(data: &Path, support: &FormSupport, which: &str) -> (FormDefinition, ReplicaSpec) {
    match which {
        "T000469" => (
            definition_without_recaptcha(data, "T000469", support),
            tonko_spec(),
        ),
        "D000622" => {
            let form = super::support::member_form(data, "D000622", support);
            let spec = duckworth_spec(&form);
            (form, spec)
        }
        "B001305" => {
            let form = definition_without_recaptcha(data, "B001305", support);
            let spec = budd_spec(&form);
            (form, spec)
        }
        _ => (inner_definition(support, ""), inner_spec()),
    }
}
