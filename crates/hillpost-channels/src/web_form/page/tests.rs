use super::*;

const FORM: &str = r#"<html><body>
<form id="f" action="/contact/submit" method="post">
  <input type="hidden" name="token" value="abc123">
  <input id="first" name="first" type="text">
  <textarea id="msg" name="message">old</textarea>
  <select id="topic" name="topic"><option value="">--</option><option value="FOR">Foreign Relations</option><option value="BUD">Budget</option></select>
  <input type="checkbox" id="news" name="newsletter" value="yes" checked>
  <input type="radio" name="reply" value="email" checked><input type="radio" id="post" name="reply" value="post">
  <input type="text" name="off" value="x" disabled>
  <button type="submit" name="op" value="Send" class="btn">Send</button>
  <input type="submit" name="other" value="Other">
</form>
<form id="search" action="/search"><input name="q"></form>
</body></html>"#;

fn page_url() -> Url {
    Url::parse("https://www.example.senate.gov/contact/").unwrap()
}

#[test]
fn a_click_submits_the_enclosing_form_with_every_field() {
    let doc = Html::parse_document(FORM);
    let mut state = FormState::default();
    state.fill(&doc, "#first", "Ana".into()).unwrap();
    state.fill(&doc, "#msg", "Hello".into()).unwrap();
    let sent = state
        .select(
            &doc,
            "#topic",
            "Foreign Relations",
            &[],
            Matching::Exact,
            None,
        )
        .unwrap();
    assert_eq!(sent, "FOR");
    state.set_checked(&doc, "#news", false).unwrap();
    state
        .choose_radio(&doc, "input[name=reply]", Some("post"))
        .unwrap();
    let submission = state
        .submission(&doc, &page_url(), ".btn", None, None)
        .unwrap();
    assert_eq!(submission.method, reqwest::Method::POST);
    assert_eq!(
        submission.url.as_str(),
        "https://www.example.senate.gov/contact/submit"
    );
    let pairs: Vec<(&str, &str)> = submission
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("token", "abc123"),
            ("first", "Ana"),
            ("message", "Hello"),
            ("topic", "FOR"),
            ("reply", "post"),
            ("op", "Send"),
        ]
    );
}

#[test]
fn missing_selectors_and_texts_fail_clearly() {
    let doc = Html::parse_document(FORM);
    assert_eq!(
        find(&doc, "#nothing", None).unwrap_err(),
        "`#nothing` is not on the page"
    );
    assert!(find(&doc, "button", Some("Send")).is_ok());
    assert_eq!(
        find(&doc, "button", Some("Thanks")).unwrap_err(),
        "`button` does not contain \"Thanks\""
    );
    let mut state = FormState::default();
    assert!(
        state
            .select(&doc, "#topic", "Guam", &[], Matching::Exact, None)
            .unwrap_err()
            .contains("not an option")
    );
    assert!(selector("input[").is_err());
}

#[test]
fn enabling_a_disabled_field_submits_it_and_values_can_be_rewritten() {
    let doc = Html::parse_document(FORM);
    let mut state = FormState::default();
    assert_eq!(state.current_value(&doc, "#msg").unwrap(), "old");
    state.enable(&doc, "input[name=off]").unwrap();
    let submission = state
        .submission(&doc, &page_url(), "input[name=other]", None, None)
        .unwrap();
    assert!(submission.fields.contains(&("off".into(), "x".into())));
    assert!(
        submission
            .fields
            .contains(&("other".into(), "Other".into()))
    );
    assert!(!submission.fields.iter().any(|(n, _)| n == "op"));
}

const TABS_AND_LABELS: &str = r##"<html><body>
<ul class="opinion"><li><a href="#write">Share your opinion</a></li></ul>
<a id="help" href="/contact/help">Help with a federal agency</a>
<button id="reveal" type="button">Write to me</button>
<form id="f" action="/contact/submit" method="post">
  <input id="zip" name="zip">
  <input type="radio" id="reply_0" name="reply" value="yes"><label for="reply_0">Yes, reply</label>
  <input type="checkbox" id="news" name="news" value="on"><label for="news">Newsletter</label>
  <label for="zip">ZIP code</label>
  <textarea id="msg" name="msg"></textarea>
  <a class="btn" href="javascript:void(0)">Send</a>
  <button type="submit" id="go">Send</button>
</form>
<button id="stray">Outside any form</button>
</body></html>"##;

#[test]
fn clicks_do_what_a_browser_does_before_the_final_submit() {
    let doc = Html::parse_document(TABS_AND_LABELS);
    let url = page_url();
    let mut state = FormState::default();
    // A tab that reveals the form, a reveal button, a stray button: the page only.
    for css in [".opinion a", "#reveal", "#stray", "label[for='zip']"] {
        let clicked = state.click(&doc, css, &url, false).unwrap();
        assert!(
            matches!(clicked, Clicked::PageOnly(_)),
            "{css}: {clicked:?}"
        );
    }
    // A label chooses or toggles its control.
    assert_eq!(
        state
            .click(&doc, "label[for='reply_0']", &url, false)
            .unwrap(),
        Clicked::Changed
    );
    assert_eq!(
        state.click(&doc, "label[for='news']", &url, false).unwrap(),
        Clicked::Changed
    );
    // A link to another page is followed.
    assert_eq!(
        state.click(&doc, "#help", &url, false).unwrap(),
        Clicked::Follows(Url::parse("https://www.example.senate.gov/contact/help").unwrap())
    );
    // A submit button submits even before the end; a styled link only when it is the last.
    assert_eq!(
        state.click(&doc, "#go", &url, false).unwrap(),
        Clicked::Submits
    );
    assert!(matches!(
        state.click(&doc, "a.btn", &url, false).unwrap(),
        Clicked::PageOnly(_)
    ));
    assert_eq!(
        state.click(&doc, "a.btn", &url, true).unwrap(),
        Clicked::Submits
    );
    state.fill(&doc, "#msg", "Hello".into()).unwrap();
    let without_letter = state.submission(&doc, &url, "#go", None, None).unwrap();
    assert!(!without_letter.carries_letter);
    state.mark_letter(&doc, "#msg");
    let submission = state.submission(&doc, &url, "#go", None, None).unwrap();
    assert!(submission.carries_letter);
    let pairs: Vec<(&str, &str)> = submission
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("zip", ""),
            ("reply", "yes"),
            ("news", "on"),
            ("msg", "Hello")
        ]
    );
    // A script's `form.submit()` names the form: no submit button is sent.
    let by_script = state.submission(&doc, &url, "#f", None, None).unwrap();
    assert_eq!(by_script.fields.len(), 4);
}
