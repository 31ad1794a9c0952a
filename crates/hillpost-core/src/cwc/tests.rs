//! The message as a whole: element order, escaping, each rule, a stable DeliveryId.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::*;
use crate::CampaignId;
use crate::delivery::{Channel, LetterCampaign, OutgoingLetter};
use crate::signer::{
    Country, Email, Language, NewSignature, OrganizationName, PersonName, PostalAddress,
    PostalCode, UsState,
};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn signer() -> NewSignature {
    NewSignature {
        email: Email::parse("ana.garcia@example.org").unwrap(),
        first_name: Some(PersonName::parse("Ana").unwrap()),
        last_name: Some(PersonName::parse("García & Sons <Ltd>").unwrap()),
        organization: OrganizationName::parse_optional("Friends of Peace").unwrap(),
        address: PostalAddress {
            line1: Some("1 Main St".into()),
            line2: None,
            city: Some("Richmond".into()),
            state: Some(UsState::parse("VA").unwrap()),
            postal_code: PostalCode::parse_optional("23219", Some(Country::US)).unwrap(),
            country: Some(Country::US),
        },
        district: Some(4),
        language: None,
        phone: Some("8045550100".into()),
        receipt_consent: false,
        signed_at: None,
        source: None,
    }
}

fn letter(signer: NewSignature) -> OutgoingLetter {
    OutgoingLetter {
        delivery_id: crate::DeliveryId::new(1),
        attempt_no: crate::AttemptNo::new(1),
        idempotency_key: KEY.into(),
        channel: Channel::Cwc,
        endpoint: "HVA04".into(),
        recipient_name: "Rep. Example".into(),
        sender_name: "Ana García".into(),
        reply_to: None,
        language: Language::parse("en").unwrap(),
        subject: "Bring the troops home".into(),
        body_markdown: "Dear Representative,\n\nPlease **bring** the troops home & <now>.\n".into(),
        attachments: Arc::from(Vec::new()),
        signer: Some(Arc::new(signer)),
        campaign: Some(Arc::new(LetterCampaign {
            id: CampaignId::parse("troops-home").unwrap(),
            organization: "Test Peace Coalition".into(),
        })),
    }
}

fn settings() -> MessageSettings {
    MessageSettings {
        agent: DeliveryAgent::new(
            "Hillpost Org",
            "acks@example.org",
            "Ops Person",
            "ops@example.org",
            "202-555-0100",
        )
        .unwrap(),
        topic: LocTopic::parse("International Affairs").unwrap(),
        campaign_topics: HashMap::new(),
        constituent_prefix: "Ms.".into(),
        body_element: BodyElement::OrganizationStatement,
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 7, 10).unwrap()
}

fn build(letter: &OutgoingLetter) -> Result<CwcMessage, FieldError> {
    CwcMessage::build(letter, &settings(), today())
}

/// Every element as its path, in document order, with its text.
fn elements(xml: &[u8]) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(std::str::from_utf8(xml).unwrap());
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<(String, String)> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                path.push(e.name().as_ref().to_string());
                out.push((path.join("/"), String::new()));
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if !out.is_empty() => {
                let raw = t.xml10_content().to_string();
                out.last_mut().unwrap().1.push_str(&raw);
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content().to_string();
                let c = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                out.last_mut().unwrap().1.push_str(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out.into_iter()
        .map(|(p, t)| (p, t.trim().to_string()))
        .collect()
}

#[test]
fn elements_come_in_the_fact_sheets_order() {
    let xml = build(&letter(signer())).unwrap().to_xml();
    assert!(xml.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let paths: Vec<String> = elements(&xml).into_iter().map(|(p, _)| p).collect();
    let expected = [
        "CWC",
        "CWC/CWCVersion",
        "CWC/Delivery",
        "CWC/Delivery/DeliveryId",
        "CWC/Delivery/DeliveryDate",
        "CWC/Delivery/DeliveryAgent",
        "CWC/Delivery/DeliveryAgentAckEmailAddress",
        "CWC/Delivery/DeliveryAgentContact",
        "CWC/Delivery/DeliveryAgentContact/DeliveryAgentContactName",
        "CWC/Delivery/DeliveryAgentContact/DeliveryAgentContactEmail",
        "CWC/Delivery/DeliveryAgentContact/DeliveryAgentContactPhone",
        "CWC/Delivery/Organization",
        "CWC/Delivery/CampaignId",
        "CWC/Recipient",
        "CWC/Recipient/MemberOffice",
        "CWC/Constituent",
        "CWC/Constituent/Prefix",
        "CWC/Constituent/FirstName",
        "CWC/Constituent/LastName",
        "CWC/Constituent/ConstituentOrganization",
        "CWC/Constituent/Address1",
        "CWC/Constituent/City",
        "CWC/Constituent/StateAbbreviation",
        "CWC/Constituent/Zip",
        "CWC/Constituent/Phone",
        "CWC/Constituent/Email",
        "CWC/Message",
        "CWC/Message/Subject",
        "CWC/Message/LibraryOfCongressTopics",
        "CWC/Message/LibraryOfCongressTopics/LibraryOfCongressTopic",
        "CWC/Message/OrganizationStatement",
    ];
    assert_eq!(paths, expected);
}

#[test]
fn values_are_mapped_and_escaped() {
    let xml = build(&letter(signer())).unwrap().to_xml();
    let text = String::from_utf8(xml.clone()).unwrap();
    assert!(text.contains("García &amp; Sons &lt;Ltd&gt;"), "{text}");
    let values: HashMap<String, String> = elements(&xml).into_iter().collect();
    let v = |p: &str| values[&format!("CWC/{p}")].as_str();
    assert_eq!(v("CWCVersion"), "2.0");
    assert_eq!(v("Delivery/DeliveryId"), KEY);
    assert_eq!(v("Delivery/DeliveryDate"), "20240710");
    assert_eq!(v("Delivery/Organization"), "Test Peace Coalition");
    assert_eq!(v("Delivery/CampaignId"), "troops-home");
    assert_eq!(v("Recipient/MemberOffice"), "HVA04");
    assert_eq!(v("Constituent/LastName"), "García & Sons <Ltd>");
    assert_eq!(v("Constituent/Phone"), "804-555-0100");
    assert_eq!(v("Constituent/StateAbbreviation"), "VA");
    assert_eq!(
        v("Message/LibraryOfCongressTopics/LibraryOfCongressTopic"),
        "International Affairs"
    );
    assert_eq!(
        v("Message/OrganizationStatement"),
        "Dear Representative,\n\nPlease bring the troops home & <now>."
    );
}

#[test]
fn the_delivery_id_is_the_same_on_every_attempt() {
    let first = build(&letter(signer())).unwrap();
    let retry = build(&OutgoingLetter {
        attempt_no: crate::AttemptNo::new(3),
        ..letter(signer())
    })
    .unwrap();
    assert_eq!(first.delivery_id().as_str(), KEY);
    assert_eq!(first.to_xml(), retry.to_xml(), "same bytes on the same day");
    let other = build(&OutgoingLetter {
        idempotency_key: "dryrun00000000000000000000000007".into(),
        ..letter(signer())
    })
    .unwrap();
    assert_ne!(other.delivery_id(), first.delivery_id());
}

#[test]
fn campaign_topics_and_the_body_element_come_from_settings() {
    let mut s = settings();
    s.campaign_topics.insert(
        "troops-home".into(),
        LocTopic::parse("Armed Forces and National Security").unwrap(),
    );
    s.body_element = BodyElement::ConstituentMessage;
    let xml = CwcMessage::build(&letter(signer()), &s, today())
        .unwrap()
        .to_xml();
    let values: HashMap<String, String> = elements(&xml).into_iter().collect();
    assert_eq!(
        values["CWC/Message/LibraryOfCongressTopics/LibraryOfCongressTopic"],
        "Armed Forces and National Security"
    );
    assert!(values.contains_key("CWC/Message/ConstituentMessage"));
    assert!(!values.contains_key("CWC/Message/OrganizationStatement"));
}

#[test]
fn a_foreign_phone_is_left_out_and_address2_kept() {
    let mut s = signer();
    s.phone = Some("+5115551234".into());
    s.address.line2 = Some("Apt 2".into());
    let xml = build(&letter(s)).unwrap().to_xml();
    let values: HashMap<String, String> = elements(&xml).into_iter().collect();
    assert!(!values.contains_key("CWC/Constituent/Phone"));
    assert_eq!(values["CWC/Constituent/Address2"], "Apt 2");
}

fn field_of(letter: OutgoingLetter) -> &'static str {
    build(&letter).unwrap_err().field
}

#[test]
fn each_rule_names_its_element() {
    let with = |f: &dyn Fn(&mut NewSignature)| {
        let mut s = signer();
        f(&mut s);
        letter(s)
    };
    assert_eq!(
        field_of(with(&|s| s.first_name = None)),
        "Constituent/FirstName"
    );
    assert_eq!(
        field_of(with(&|s| s.last_name = None)),
        "Constituent/LastName"
    );
    assert_eq!(
        field_of(with(&|s| s.address.line1 = None)),
        "Constituent/Address1"
    );
    assert_eq!(
        field_of(with(&|s| s.address.city = None)),
        "Constituent/City"
    );
    assert_eq!(
        field_of(with(&|s| s.address.state = None)),
        "Constituent/StateAbbreviation"
    );
    assert_eq!(
        field_of(with(
            &|s| s.address.state = Some(UsState::parse("MD").unwrap())
        )),
        "Constituent/StateAbbreviation",
        "not a constituent of a Virginia office"
    );
    assert_eq!(
        field_of(with(&|s| s.address.country = Country::parse("PE").ok())),
        "Constituent/StateAbbreviation"
    );
    assert_eq!(
        field_of(with(&|s| s.address.postal_code = None)),
        "Constituent/Zip"
    );
    assert_eq!(
        field_of(with(&|s| {
            s.address.country = None;
            s.address.postal_code = PostalCode::parse_optional("2321", None).unwrap();
        })),
        "Constituent/Zip"
    );

    let base = || letter(signer());
    assert_eq!(
        field_of(OutgoingLetter {
            subject: "Stop".into(),
            ..base()
        }),
        "Message/Subject"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            subject: "x".repeat(501),
            ..base()
        }),
        "Message/Subject"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            body_markdown: "Hi.".into(),
            ..base()
        }),
        "Message/OrganizationStatement"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            body_markdown: "word ".repeat(2_001),
            ..base()
        }),
        "Message/OrganizationStatement"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            endpoint: "HVA4".into(),
            ..base()
        }),
        "Recipient/MemberOffice"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            idempotency_key: "short".into(),
            ..base()
        }),
        "Delivery/DeliveryId"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            campaign: None,
            ..base()
        }),
        "Delivery/CampaignId"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            campaign: Some(Arc::new(LetterCampaign {
                id: CampaignId::parse("c").unwrap(),
                organization: "AB".into(),
            })),
            ..base()
        }),
        "Delivery/Organization"
    );
    assert_eq!(
        field_of(OutgoingLetter {
            signer: None,
            ..base()
        }),
        "Constituent"
    );
}

#[test]
fn the_senate_takes_only_its_prefixes() {
    let senate = || OutgoingLetter {
        endpoint: "SVA01".into(),
        ..letter(signer())
    };
    assert!(build(&senate()).is_ok(), "Ms. is on the Senate list");
    let mut s = settings();
    s.constituent_prefix = "Mx.".into();
    let error = CwcMessage::build(&senate(), &s, today()).unwrap_err();
    assert_eq!(error.field, "Constituent/Prefix");
    assert!(
        error.to_string().contains("Mr., Mrs., Miss, Ms., Dr."),
        "{error}"
    );
    assert!(
        CwcMessage::build(&letter(signer()), &s, today()).is_ok(),
        "the House has no such list"
    );
    s.constituent_prefix = " ".into();
    assert_eq!(
        CwcMessage::build(&letter(signer()), &s, today())
            .unwrap_err()
            .field,
        "Constituent/Prefix"
    );
}

#[test]
fn errors_do_not_repeat_signer_values() {
    let mut s = signer();
    s.address.state = Some(UsState::parse("MD").unwrap());
    let error = build(&letter(s)).unwrap_err().to_string();
    for pii in ["Ana", "García", "Main St", "Richmond", "23219"] {
        assert!(!error.contains(pii), "{error}");
    }
}
