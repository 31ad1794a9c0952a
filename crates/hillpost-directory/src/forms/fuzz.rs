//! Property tests of the form-definition parser (contact-congress's step format): YAML
//! built from the format's own words, shuffled and broken, and plain noise. Nothing may
//! panic; a rejected file names its problem. See `hillpost_testkit::fuzz` to run longer.

use proptest::prelude::*;

use super::{FormKind, FormSupport, parse_form};
use crate::source::SourceFile;

/// One line of a form file, from the format's vocabulary and some noise.
fn line() -> impl Strategy<Value = String> {
    let indent = prop_oneof![
        Just(""),
        Just("  "),
        Just("    "),
        Just("      "),
        Just("\t")
    ];
    let body = prop_oneof![
        Just("bioguide: A000001".to_string()),
        Just("contact_form:".to_string()),
        Just("method: POST".to_string()),
        Just("method: get".to_string()),
        Just("action: \"/contact/send\"".to_string()),
        Just("steps:".to_string()),
        Just("- visit: \"https://www.example.senate.gov/contact\"".to_string()),
        Just("- fill_in:".to_string()),
        Just("- select:".to_string()),
        Just("- check:".to_string()),
        Just("- click_on:".to_string()),
        Just("- find:".to_string()),
        Just("- wait: 3".to_string()),
        Just("- javascript: \"document.forms[0].submit()\"".to_string()),
        Just("- recaptcha: true".to_string()),
        Just("- name: required-first".to_string()),
        Just("selector: \"#required-first\"".to_string()),
        Just("value: $NAME_FIRST".to_string()),
        Just("value: $MESSAGE".to_string()),
        Just("required: true".to_string()),
        Just("options:".to_string()),
        Just("- Mr.".to_string()),
        Just("US_STATES: US_STATES".to_string()),
        Just("success:".to_string()),
        Just("headers:".to_string()),
        Just("status: 200".to_string()),
        Just("body:".to_string()),
        Just("contains: \"Thank you\"".to_string()),
        Just("&anchor {a: *anchor}".to_string()),
        Just("? [1, 2]".to_string()),
        Just("!!binary aGk=".to_string()),
        "[a-z_:\\-\"$# ]{0,16}",
    ];
    (indent, body).prop_map(|(indent, body)| format!("{indent}{body}"))
}

proptest! {
    #![proptest_config(hillpost_testkit::fuzz::config(256))]

    #[test]
    fn form_files_never_panic_and_name_their_problem(lines in proptest::collection::vec(line(), 0..40)) {
        let text = lines.join("\n");
        for kind in [FormKind::Member, FormKind::Official] {
            let source = SourceFile::new("members/A000001.yaml", text.clone().into_bytes());
            if let Err(error) = parse_form(&source, kind, &FormSupport::default()) {
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }

    #[test]
    fn any_bytes_as_a_form_file_are_a_clear_error_or_a_form(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let source = SourceFile::new("members/A000001.yaml", bytes);
        if let Err(error) = parse_form(&source, FormKind::Member, &FormSupport::default()) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}
