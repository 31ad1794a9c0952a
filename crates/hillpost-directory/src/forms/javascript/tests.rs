//! Real snippets from the Senate definitions in ../shared (file named per case).

use super::*;

#[test]
fn quote_stripping_sets_a_value() {
    // S001181 and 86 others
    let effect = classify_script(
        r##"document.querySelector("#input-9247EFB0-D80E-364B-1BEF-EF0705DF9E0F").value = document.querySelector("#input-9247EFB0-D80E-364B-1BEF-EF0705DF9E0F").value.replace(/"/g, '');"##,
    );
    let ScriptEffect::SetValue { selector, value } = effect else {
        panic!("{effect:?}")
    };
    assert_eq!(selector, "#input-9247EFB0-D80E-364B-1BEF-EF0705DF9E0F");
    assert_eq!(
        value.evaluate(r##"He said "no" twice"##),
        "He said no twice"
    );
}

#[test]
fn selectors_with_quotes_inside_and_get_element_by_id() {
    let effect = classify_script(
        r##"document.querySelector("form.zipform[name='contact'] textarea[name='required-message']").value = document.querySelector("form.zipform[name='contact'] textarea[name='required-message']").value.replace(/"/g, '');"##,
    );
    assert!(
        matches!(&effect, ScriptEffect::SetValue { selector, .. }
            if selector == "form.zipform[name='contact'] textarea[name='required-message']"),
        "{effect:?}"
    );
    let phone = classify_script(
        r##"document.getElementById('input-EC0FF53D-FF45-B6C1-C68C-21B35BDC0880').value = document.getElementById('input-EC0FF53D-FF45-B6C1-C68C-21B35BDC0880').value.replace(/(\d{3})(\d{3})(\d+)/, '($1) $2-$3')"##,
    );
    let ScriptEffect::SetValue { selector, value } = phone else {
        panic!("{phone:?}")
    };
    assert_eq!(
        selector,
        "[id=\"input-EC0FF53D-FF45-B6C1-C68C-21B35BDC0880\"]"
    );
    assert_eq!(value.evaluate("2025551234"), "(202) 555-1234");
}

#[test]
fn digit_filters_and_groups() {
    let digits = classify_script(
        r##"document.querySelector("#input-B03E046E-4040-F985-52CD-A2F10450D58D").value = document.querySelector("#input-B03E046E-4040-F985-52CD-A2F10450D58D").value.replace(/\D/g,'');"##,
    );
    let ScriptEffect::SetValue { value, .. } = digits else {
        panic!("{digits:?}")
    };
    assert_eq!(value.evaluate("202-555-1234"), "2025551234");
    let leading_one = classify_script(
        r##"document.querySelector("#input-AB67BC2F-4040-F985-52CD-007A86DA4D47").value = document.querySelector("#input-AB67BC2F-4040-F985-52CD-007A86DA4D47").value.replace(/1(\d{10})/, '$1')"##,
    );
    let ScriptEffect::SetValue { value, .. } = leading_one else {
        panic!("{leading_one:?}")
    };
    assert_eq!(value.evaluate("12025551234"), "2025551234");
}

#[test]
fn clicks_and_enables() {
    assert_eq!(
        classify_script(
            r##"document.querySelector("#input-9247EF55-B6B9-E31D-C39F-7267C2C291B0").click()"##
        ),
        ScriptEffect::Click {
            selector: "#input-9247EF55-B6B9-E31D-C39F-7267C2C291B0".into(),
            optional: false
        }
    );
    assert_eq!(
        classify_script(
            "document.querySelector('#side-search-btn') && document.querySelector('#side-search-btn').click();"
        ),
        ScriptEffect::Click {
            selector: "#side-search-btn".into(),
            optional: true
        }
    );
    assert_eq!(
        classify_script(r##"document.querySelector('.btn[type="submit"]').disabled = false;"##),
        ScriptEffect::Enable {
            selector: r##".btn[type="submit"]"##.into()
        }
    );
}

#[test]
fn cosmetic_changes() {
    for script in [
        r##"Array.prototype.forEach.call(document.querySelectorAll('style,[rel="stylesheet"],[type="text/css"]'), function(element){ try{ element.parentNode.removeChild(element) } catch(err){} });"##,
        "document.querySelector('.elementor-location-header')?.remove()",
        r##"document.querySelector("nav").remove()"##,
        "document.querySelector('#gform_wrapper_2').style.display = 'block'",
        r##"if (document.querySelector(".elementor-message-success")) { document.querySelector(".elementor-message-success").style.display = "block"; }"##,
        "document.querySelector('#elementor-tab-content-1151').removeAttribute('hidden');",
        r##"document.querySelector("#feedbackform").removeClass("hide")"##,
        r##"el = document.getElementsByClassName("SiteLayout__header"); el[0]?.remove();"##,
        "document.querySelector('#section-footer').parentNode.removeChild(document.querySelector('#section-footer'));",
    ] {
        assert_eq!(classify_script(script), ScriptEffect::Cosmetic, "{script}");
    }
}

#[test]
fn what_http_cannot_interpret() {
    for script in [
        r##"document.querySelector('.SiteLayout__main').innerHTML = '<form id="B03E03FC" action="https://www.hassan.senate.gov/contact/email" method="post"></form>'"##,
        r##"document.querySelector("#input-B03E046E-4040-F985-52CD-A2F10450D58D").value=document.querySelector("#input-B03E046E-4040-F985-52CD-A2F10450D58D").value.substr(0, 3)+'-'+document.querySelector("#input-B03E046E-4040-F985-52CD-A2F10450D58D").value.substr(3);"##,
        r##"document.querySelector('input[name="recaptcha"]').insertAdjacentHTML("afterend", "<input id='g-recaptcha-response' type='textarea'></input>");"##,
    ] {
        assert!(
            matches!(classify_script(script), ScriptEffect::Other { .. }),
            "{script}"
        );
    }
}

#[test]
fn scripts_that_submit_a_form_are_submits() {
    // What definitions write when the form has no button to click (Gravity Forms sites
    // submit through jQuery with an argument for their own handler).
    let cases = [
        ("jQuery('#gform_1').trigger('submit', [true]);", "#gform_1"),
        ("$(\"#contact-form\").submit();", "#contact-form"),
        (
            "jQuery('form.contact').first().trigger(\"submit\")",
            "form.contact",
        ),
        ("document.querySelector('#gform_2').submit()", "#gform_2"),
        (
            "document.getElementById('f').requestSubmit();",
            "[id=\"f\"]",
        ),
        ("document.forms[0].submit();", "form:nth-of-type(1)"),
        (
            "document.forms['contact'].submit()",
            "form[name=\"contact\"], form[id=\"contact\"]",
        ),
    ];
    for (script, expected) in cases {
        let effect = classify_script(script);
        assert_eq!(
            effect,
            ScriptEffect::Submit {
                selector: expected.into(),
                optional: false
            },
            "{script}"
        );
    }
    assert_eq!(
        classify_script("document.querySelector('#f') && document.querySelector('#f').submit()"),
        ScriptEffect::Submit {
            selector: "#f".into(),
            optional: true
        }
    );
}

#[test]
fn clicks_written_every_way_are_clicks() {
    let cases = [
        (
            "document.querySelector('.opinion #show_form_btn').click()",
            ".opinion #show_form_btn",
            false,
        ),
        ("jQuery('#send').trigger('click');", "#send", false),
        ("$('#send').click()", "#send", false),
        ("document.querySelector('#x')?.click()", "#x", true),
        (
            "document.querySelectorAll('button.go')[0].click();",
            "button.go",
            false,
        ),
    ];
    for (script, selector, optional) in cases {
        assert_eq!(
            classify_script(script),
            ScriptEffect::Click {
                selector: selector.into(),
                optional
            },
            "{script}"
        );
    }
    // Other events are not interpreted.
    assert!(matches!(
        classify_script("jQuery('#zip').trigger('change')"),
        ScriptEffect::Other { .. }
    ));
    assert_eq!(
        classify_script("jQuery('#topic').val('Other')"),
        ScriptEffect::SetValue {
            selector: "#topic".into(),
            value: ValueSource::Literal {
                text: "Other".into()
            }
        }
    );
}
