//! Definitions from ../shared, a signer, letters and a channel pointed at a replica.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hillpost_channels::egress::EgressSettings;
use hillpost_channels::web_form::{FormDefaults, normalise};
use hillpost_channels::{WebFormChannel, WebFormSettings};
use hillpost_core::delivery::{Channel as ChannelKind, OutgoingLetter};
use hillpost_core::signer::{
    Country, Email, Language, NewSignature, PersonName, PostalAddress, PostalCode, UsState,
};
use hillpost_directory::SourceFile;
use hillpost_directory::forms::{
    FormDefinition, FormKind, FormSupport, parse_constants, parse_form, parse_variables,
};

/// ../shared/data, or a loud skip.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = hillpost_testkit::shared_dir().map(|d| d.join("data"));
    if dir.is_none() {
        hillpost_testkit::skip(
            test,
            "../shared/data",
            "Put the shared data next to the repository or set HILLPOST_SHARED_DIR.",
        );
    }
    dir
}

pub fn support(data: &std::path::Path) -> FormSupport {
    let read = |name: &str| {
        let path = data.join("contact-congress/support").join(name);
        SourceFile::new(name, std::fs::read(path).unwrap())
    };
    FormSupport {
        variables: parse_variables(&read("variables.yaml")).unwrap(),
        constants: parse_constants(&read("constants.yaml")).unwrap(),
    }
}

pub fn member_form(
    data: &std::path::Path,
    bioguide: &str,
    support: &FormSupport,
) -> FormDefinition {
    try_member_form(data, bioguide, support).unwrap()
}

/// Every member definition's id in ../shared, sorted.
pub fn member_ids(data: &std::path::Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(data.join("contact-congress/members"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(".yaml")
                .to_string()
        })
        .collect();
    ids.sort();
    ids
}

pub fn try_member_form(
    data: &std::path::Path,
    bioguide: &str,
    support: &FormSupport,
) -> Result<FormDefinition, hillpost_directory::SourceError> {
    let path = data.join(format!("contact-congress/members/{bioguide}.yaml"));
    let source = SourceFile::new(format!("{bioguide}.yaml"), std::fs::read(path).unwrap());
    parse_form(&source, FormKind::Member, support)
}

/// A contact-officials definition (`whitehouse-president-2024`), from its YAML text.
pub fn official_form(yaml: &str, id: &str, support: &FormSupport) -> FormDefinition {
    let source = SourceFile::new(format!("{id}.yaml"), yaml.as_bytes().to_vec());
    parse_form(&source, FormKind::Official, support).unwrap()
}

pub fn signer() -> NewSignature {
    NewSignature {
        email: Email::parse("ana.perez@example.org").unwrap(),
        first_name: Some(PersonName::parse("Ana").unwrap()),
        last_name: Some(PersonName::parse("Pérez").unwrap()),
        organization: None,
        address: PostalAddress {
            line1: Some("1210 W Franklin St".into()),
            line2: None,
            city: Some("Boise".into()),
            state: Some(UsState::parse("ID").unwrap()),
            postal_code: PostalCode::parse_optional("83702-5412", Some(Country::US)).unwrap(),
            country: Some(Country::US),
        },
        district: Some(2),
        language: None,
        phone: Some("+1 208 555 0134".into()),
        receipt_consent: false,
        signed_at: None,
        source: None,
    }
}

/// The values the test signer gives each variable (what a replica expects).
pub fn signer_values() -> BTreeMap<&'static str, String> {
    let message = message_expected();
    let pairs: [(&'static str, &str); 17] = [
        ("$NAME_PREFIX", "Ms."),
        ("$TOPIC", SUBJECT),
        ("$NAME_FIRST", "Ana"),
        ("$NAME_LAST", "Pérez"),
        ("$NAME_FULL", "Ana Pérez"),
        ("$ADDRESS_STREET", "1210 W Franklin St"),
        ("$ADDRESS_CITY", "Boise"),
        ("$ADDRESS_STATE_POSTAL_ABBREV", "ID"),
        ("$ADDRESS_STATE_FULL", "Idaho"),
        ("$ADDRESS_ZIP5", "83702"),
        ("$ADDRESS_ZIP4", "5412"),
        ("$ADDRESS_ZIP_PLUS_4", "83702-5412"),
        ("$PHONE", "208-555-0134"),
        ("$PHONE_PARENTHESES", "(208) 555-0134"),
        ("$EMAIL", "ana.perez@example.org"),
        ("$SUBJECT", SUBJECT),
        ("$MESSAGE", message.as_str()),
    ];
    pairs.into_iter().map(|(k, v)| (k, v.to_string())).collect()
}

/// The letter's text as a form receives it: plain text, typographic characters made ASCII.
pub fn message_expected() -> String {
    let text = normalise(&hillpost_core::markdown::to_plain_text(MESSAGE_MARKDOWN));
    assert!(text.contains("vote \"no\" - it's urgent"), "{text:?}");
    text
}

pub const SUBJECT: &str = "Foreign Relations: stop the arms sale";
/// The letter as Markdown, with the typographic characters real letters carry.
pub const MESSAGE_MARKDOWN: &str =
    "Dear Senator,\n\nWe ask you to vote \u{201C}no\u{201D} \u{2014} it\u{2019}s urgent.\n";

pub fn letter(form_id: &str) -> OutgoingLetter {
    OutgoingLetter {
        delivery_id: hillpost_core::DeliveryId::new(7),
        attempt_no: hillpost_core::AttemptNo::new(1),
        idempotency_key: "0123456789abcdef0123456789abcdef".into(),
        channel: ChannelKind::WebForm,
        endpoint: form_id.into(),
        recipient_name: "Senator".into(),
        sender_name: "Ana Pérez".into(),
        reply_to: None,
        language: Language::parse("en").unwrap(),
        subject: SUBJECT.into(),
        body_markdown: MESSAGE_MARKDOWN.into(),
        attachments: Arc::from(Vec::new()),
        signer: Some(Arc::new(signer())),
        campaign: None,
    }
}

pub fn defaults() -> FormDefaults {
    FormDefaults {
        name_prefix: "Ms.".into(),
        topic: "Other".into(),
        ..FormDefaults::default()
    }
}

pub fn channel(
    egress: EgressSettings,
    forms: Vec<FormDefinition>,
    support: FormSupport,
) -> WebFormChannel {
    WebFormChannel::new(
        egress.build().unwrap(),
        forms,
        support,
        WebFormSettings {
            max_wait: std::time::Duration::from_millis(20),
            defaults: defaults(),
            petition_sender: None,
        },
    )
}
