//! The endpoints of one office, in order of preference, each with the reason it is there:
//! CWC (House; Senate where active) → the contact-congress form definition → a configured
//! email. The `contact_form` URL from congress-legislators is never an endpoint (no step
//! definition runs it); it is listed among what was passed over.

use hillpost_core::batch::Endpoint;
use hillpost_core::campaign::Chamber;
use hillpost_core::delivery::Channel;
use hillpost_core::signer::Email;

use super::settings::{CWC_HOUSE_KEY, CWC_SENATE_KEY, ResolveSettings};
use crate::directory::Directory;
use crate::forms::FormDefinition;
use crate::legislators::Legislator;

/// An endpoint and why it was chosen.
pub(super) struct Choice {
    pub endpoint: Endpoint,
    pub why: String,
}

/// Where a reader sees why an office has no endpoint of some kind.
pub(super) struct Choices {
    pub chosen: Vec<Choice>,
    pub passed_over: Vec<String>,
}

pub(super) fn for_legislator(
    legislator: &Legislator,
    directory: &Directory,
    settings: &ResolveSettings,
) -> Choices {
    let mut choices = Choices {
        chosen: Vec::new(),
        passed_over: Vec::new(),
    };
    let office = &legislator.office_code;
    let (cwc, key, chamber) = match legislator.chamber() {
        Chamber::House => (&settings.house_cwc, CWC_HOUSE_KEY, "House"),
        Chamber::Senate => (&settings.senate_cwc, CWC_SENATE_KEY, "Senate"),
    };
    if cwc.includes(office) {
        choices.chosen.push(Choice {
            endpoint: Endpoint {
                channel: Channel::Cwc,
                address: office.to_string(),
                rate_key: key.into(),
            },
            why: format!("{chamber} CWC is active for office {office}"),
        });
    } else {
        choices
            .passed_over
            .push(format!("{chamber} CWC is not active for office {office}"));
    }
    match directory.form(&legislator.bioguide) {
        Some(form) if form.is_cwc_stub() => choices
            .passed_over
            .push("the form definition is a CWC stub (no form to fill in)".into()),
        Some(form) => match web_form(form) {
            Some(choice) => choices.chosen.push(choice),
            None => choices
                .passed_over
                .push("the form definition's page has no host".into()),
        },
        None => choices.passed_over.push("no form definition".into()),
    }
    // The bare contact-form URL is not an endpoint: without a step definition nothing can
    // fill it unattended, and "trying" it would only record a failure that never happened.
    if let Some(url) = legislator.term.contact_form.as_deref() {
        choices.passed_over.push(format!(
            "the contact form at {url} has no step definition, so it cannot be filled unattended"
        ));
    }
    match settings.office_emails.get(&legislator.bioguide) {
        Some(email) => choices
            .chosen
            .push(email_choice(email, "configured office email")),
        None => choices.passed_over.push("no configured email".into()),
    }
    choices
}

pub(super) fn for_president(directory: &Directory, settings: &ResolveSettings) -> Choices {
    let mut choices = Choices {
        chosen: Vec::new(),
        passed_over: Vec::new(),
    };
    match directory.form(&settings.president_form).and_then(web_form) {
        Some(choice) => choices.chosen.push(choice),
        None => choices.passed_over.push(format!(
            "no usable form definition `{}`",
            settings.president_form
        )),
    }
    match &settings.president_email {
        Some(email) => choices.chosen.push(email_choice(email, "configured email")),
        None => choices.passed_over.push("no configured email".into()),
    }
    choices
}

pub(super) fn email_choice(email: &Email, why: &str) -> Choice {
    Choice {
        endpoint: Endpoint::email(email),
        why: why.to_string(),
    }
}

/// A form definition as an endpoint: the address is the definition's id, the rate-limit key
/// the host of its page. A definition with steps no unattended executor performs is still
/// listed (the channel falls back at send time), and the reason says so.
fn web_form(form: &FormDefinition) -> Option<Choice> {
    let host = host(form.visit_url()?)?;
    let mut why = String::from("contact-congress form definition");
    let mut caveats = Vec::new();
    if form.needs_recaptcha() {
        caveats.push("has a recaptcha step");
    }
    if form.has_javascript() {
        caveats.push("has javascript steps");
    }
    if !form.has_success_text() {
        caveats.push("has no success text to confirm delivery");
    }
    if !caveats.is_empty() {
        why.push_str(&format!(" ({})", caveats.join(", ")));
    }
    Some(Choice {
        endpoint: Endpoint {
            channel: Channel::WebForm,
            address: form.id.clone(),
            rate_key: host,
        },
        why,
    })
}

fn host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https")
        .then(|| parsed.host_str().map(str::to_ascii_lowercase))
        .flatten()
}
