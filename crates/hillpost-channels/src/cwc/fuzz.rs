//! Property tests of how a CWC gateway's answer is read: any status, any body (XML with
//! `<Error>` elements, broken XML, noise), any Retry-After. Nothing may panic, the text kept
//! is capped, and every status gets an outcome. See `hillpost_testkit::fuzz` to run longer.

use chrono::Utc;
use proptest::prelude::*;

use super::answer::{Answer, classify, error_texts};
use hillpost_core::delivery::SendReport;

fn body() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<?xml version=\"1.0\"?>".to_string()),
        Just("<Errors>".to_string()),
        Just("</Errors>".to_string()),
        Just("<Error>".to_string()),
        Just("</Error>".to_string()),
        Just("<Error/>".to_string()),
        Just("<![CDATA[".to_string()),
        Just("]]>".to_string()),
        Just("&amp;&lt;&#x0;&bogus;".to_string()),
        Just("<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]>".to_string()),
        Just("&a;&a;&a;".to_string()),
        Just("ZIP code is invalid".to_string()),
        Just("x".repeat(5000)),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(hillpost_testkit::fuzz::config(256))]

    #[test]
    fn any_answer_is_classified_and_its_text_capped(
        status in 100u16..600,
        body in body(),
        retry_after in proptest::option::of("[0-9A-Za-z ,:\\-]{0,40}"),
        validate_only in any::<bool>(),
    ) {
        let answer = Answer { status, retry_after: retry_after.as_deref(), body: &body };
        let report = classify(Utc::now(), &answer, validate_only, "00".repeat(32));
        prop_assert_eq!(report.remote_code, Some(i32::from(status)));
        if let Some(text) = &report.remote_text {
            prop_assert!(text.len() <= SendReport::MAX_REMOTE_TEXT);
        }
        for error in error_texts(&body) {
            prop_assert!(!error.is_empty());
        }
    }
}
