//! Planning a batch: which letters go to which endpoints, rendered up front so that a batch
//! that is created can be sent, and so the whole batch is enqueued in one transaction.
//!
//! Petition mode: one letter per recipient, carrying the signature count and the signature
//! list as an attachment. Individual mode: one letter per signer per recipient, in the
//! signer's language; a signer the recipient does not accept is planned as `skipped` with the
//! reason, so `batch status` shows them instead of silently leaving them out.

mod left_out;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::campaign::{Campaign, Mode};
use crate::delivery::Channel;
pub use crate::eligibility::{
    DistrictLookup, Eligibility, NoDistrictTable, SignerLocation, SkipReason,
};
use crate::ids::SignatureId;
use crate::petition;
use crate::render::{LetterContext, LetterTemplates, RenderError, RenderedLetter};
use crate::signer::NewSignature;
pub use left_out::{LeftOut, SentBefore, count_left_out, leave_out_sent};

/// One way to reach a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub channel: Channel,
    /// The email address, form id or CWC office code.
    pub address: String,
    /// Rate limits apply per key: the mail domain, the form's host, the CWC gateway.
    pub rate_key: String,
}

impl Endpoint {
    pub fn email(address: &crate::signer::Email) -> Self {
        Self {
            channel: Channel::Email,
            address: address.to_string(),
            rate_key: address.domain().to_string(),
        }
    }
}

/// A concrete office, resolved from a target, with its endpoints in order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub key: String,
    pub name: String,
    pub endpoints: Vec<Endpoint>,
    pub eligibility: Eligibility,
    /// Ways to reach the office that are not endpoints, each with why (a contact-form URL
    /// with no step definition, a channel this hillpost does not send by): the record keeps
    /// them so a failed letter says why each way was passed over.
    pub passed_over: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRecipient {
    pub key: String,
    pub name: String,
    /// Every endpoint the batch may use for this office, in order of preference: a delivery
    /// starts at the first and moves to the next when an endpoint can never take it (see
    /// [`next_endpoint`]).
    pub endpoints: Vec<Endpoint>,
    /// See [`Recipient::passed_over`].
    pub passed_over: Vec<String>,
}

/// The endpoint after `current` in `endpoints` (the office's endpoints in order of
/// preference), for a delivery that `current` can never take; `None` when `current` was the
/// last, or is not in the list at all (the list changed, so nothing after it is known).
pub fn next_endpoint<'a>(
    endpoints: &'a [Endpoint],
    current_channel: Channel,
    current_address: &str,
) -> Option<&'a Endpoint> {
    let position = endpoints
        .iter()
        .position(|e| e.channel == current_channel && e.address == current_address)?;
    endpoints.get(position + 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMessage {
    /// SHA-256 (hex) of language, subject and body: identical letters are stored once.
    pub sha256: String,
    pub letter: RenderedLetter,
}

/// The signature list a petition batch attaches (see [`crate::petition`]).
pub const SIGNATURE_LIST_FILENAME: &str = "signatures.csv";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAttachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Send { message: usize, endpoint: Endpoint },
    Skip(SkipReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDelivery {
    /// Index into [`BatchPlan::recipients`].
    pub recipient: usize,
    /// The signer's stored id in individual mode.
    pub signature_id: Option<SignatureId>,
    pub route: Route,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    pub mode: Mode,
    pub signature_count: u32,
    /// The largest signature id planning read: a petition carries the campaign's
    /// signatures up to it, and a signer imported later is not among them.
    pub signers_through: SignatureId,
    pub recipients: Vec<PlannedRecipient>,
    pub messages: Vec<PlannedMessage>,
    pub attachments: Vec<PlannedAttachment>,
    pub deliveries: Vec<PlannedDelivery>,
    /// Letters not sent because an earlier batch of the campaign delivered them (see
    /// [`leave_out_sent`]).
    pub left_out: Vec<LeftOut>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the campaign has no signatures yet; import some first")]
    NoSignatures,
    #[error("no recipients: the campaign's targets resolved to no office")]
    NoRecipients,
    #[error("recipient `{0}` has no endpoint hillpost can send to")]
    NoEndpoint(String),
}

/// A signed, stored signature.
pub type StoredSignature = (SignatureId, NewSignature);

/// Plans a batch placing signers by their own state and district only (no ZIP table).
pub fn plan_batch(
    campaign: &Campaign,
    templates: &LetterTemplates,
    signatures: &[StoredSignature],
    recipients: &[Recipient],
    date: NaiveDate,
) -> Result<BatchPlan, PlanError> {
    plan_batch_with_districts(
        campaign,
        templates,
        signatures,
        recipients,
        date,
        &NoDistrictTable,
    )
}

/// Plans a batch; in individual mode each signer is placed once (their own state and district
/// first, then `districts`, the ZIP table) and checked against every recipient's eligibility.
pub fn plan_batch_with_districts(
    campaign: &Campaign,
    templates: &LetterTemplates,
    signatures: &[StoredSignature],
    recipients: &[Recipient],
    date: NaiveDate,
    districts: &dyn DistrictLookup,
) -> Result<BatchPlan, PlanError> {
    if signatures.is_empty() {
        return Err(PlanError::NoSignatures);
    }
    if recipients.is_empty() {
        return Err(PlanError::NoRecipients);
    }
    let signature_count = u32::try_from(signatures.len()).unwrap_or(u32::MAX);
    let locations: Vec<SignerLocation> = match campaign.mode {
        Mode::Individual => signatures
            .iter()
            .map(|(_, signature)| SignerLocation::locate(signature, districts))
            .collect(),
        Mode::Petition => Vec::new(),
    };
    let mut messages = MessageSet::default();
    let mut deliveries = Vec::new();
    for (index, recipient) in recipients.iter().enumerate() {
        let endpoint = recipient
            .endpoints
            .first()
            .ok_or_else(|| PlanError::NoEndpoint(recipient.key.clone()))?;
        let context =
            LetterContext::new(campaign, &recipient.name, u64::from(signature_count), date);
        match campaign.mode {
            Mode::Petition => {
                let (language, _) = campaign.letter_for(None);
                let letter = templates.render(language, &context)?;
                let message = messages.add(letter);
                deliveries.push(PlannedDelivery {
                    recipient: index,
                    signature_id: None,
                    route: Route::Send {
                        message,
                        endpoint: endpoint.clone(),
                    },
                });
            }
            Mode::Individual => {
                for ((signature_id, signature), location) in signatures.iter().zip(&locations) {
                    let route = match recipient.eligibility.check(location) {
                        Err(reason) => Route::Skip(reason),
                        Ok(()) => {
                            let (language, _) = campaign.letter_for(signature.language.as_ref());
                            let letter = templates
                                .render(language, &context.clone().with_signer(signature))?;
                            Route::Send {
                                message: messages.add(letter),
                                endpoint: endpoint.clone(),
                            }
                        }
                    };
                    deliveries.push(PlannedDelivery {
                        recipient: index,
                        signature_id: Some(*signature_id),
                        route,
                    });
                }
            }
        }
    }
    let attachments = match campaign.mode {
        Mode::Petition => vec![PlannedAttachment {
            filename: SIGNATURE_LIST_FILENAME.into(),
            content_type: "text/csv; charset=utf-8".into(),
            content: petition::signature_list_csv(signatures.iter().map(|(_, s)| s)),
        }],
        Mode::Individual => Vec::new(),
    };
    Ok(BatchPlan {
        mode: campaign.mode,
        signature_count,
        signers_through: signatures
            .iter()
            .map(|(id, _)| *id)
            .max()
            .unwrap_or(SignatureId::new(0)),
        recipients: recipients
            .iter()
            .map(|r| PlannedRecipient {
                key: r.key.clone(),
                name: r.name.clone(),
                endpoints: r.endpoints.clone(),
                passed_over: r.passed_over.clone(),
            })
            .collect(),
        messages: messages.list,
        attachments,
        deliveries,
        left_out: Vec::new(),
    })
}

/// Rendered letters, each distinct one kept once.
#[derive(Default)]
struct MessageSet {
    list: Vec<PlannedMessage>,
    by_hash: HashMap<String, usize>,
}

impl MessageSet {
    fn add(&mut self, letter: RenderedLetter) -> usize {
        let sha256 = message_sha256(&letter);
        if let Some(index) = self.by_hash.get(&sha256) {
            return *index;
        }
        self.list.push(PlannedMessage {
            sha256: sha256.clone(),
            letter,
        });
        self.by_hash.insert(sha256, self.list.len() - 1);
        self.list.len() - 1
    }
}

pub fn message_sha256(letter: &RenderedLetter) -> String {
    let mut hasher = Sha256::new();
    for part in [
        letter.language.as_str(),
        &letter.subject,
        &letter.body_markdown,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::BatchId;
    use crate::import::{CsvRow, SignatureCsv};

    const CAMPAIGN: &str = r#"
id = "t"
title = "No troops"
organization = "Example Coalition"
mode = "individual"
[letters.en]
subject = "A letter from {{ signer.city }}"
body = "Dear {{ recipient.name }},\n\n{{ signer.full_name }} ({{ signature_count }} signers)\n"
[letters.es]
subject = "Una carta desde {{ signer.city }}"
body = "Estimado/a {{ recipient.name }}:\n\n{{ signer.full_name }}\n"
[[targets]]
target = "custom"
name = "Staff"
email = "staff@example.org"
"#;

    fn signatures() -> Vec<StoredSignature> {
        let csv = "first_name,last_name,email,city,country,language\n\
                   Ana,López,ana@example.org,Lima,PE,es\n\
                   Bob,[x](https://evil.example),bob@example.org,Boston,US,en\n\
                   Carl,Doe,carl@example.org,Lima,PE,fr\n";
        SignatureCsv::new(csv.as_bytes())
            .unwrap()
            .filter_map(|r| match r {
                CsvRow::Accepted { signature, .. } => Some(*signature),
                _ => None,
            })
            .enumerate()
            .map(|(i, s)| (SignatureId::new(i as i64 + 1), s))
            .collect()
    }

    fn recipient() -> Recipient {
        let email = crate::signer::Email::parse("staff@example.org").unwrap();
        Recipient {
            key: "custom:staff".into(),
            name: "Staff".into(),
            endpoints: vec![Endpoint::email(&email)],
            eligibility: Eligibility::Anyone,
            passed_over: Vec::new(),
        }
    }

    #[test]
    fn a_delivery_moves_to_the_next_endpoint_in_order() {
        let form = Endpoint {
            channel: Channel::WebForm,
            address: "S001181".into(),
            rate_key: "www.shaheen.senate.gov".into(),
        };
        let email = Endpoint::email(&crate::signer::Email::parse("staff@example.org").unwrap());
        let endpoints = [form.clone(), email.clone()];
        assert_eq!(
            next_endpoint(&endpoints, Channel::WebForm, "S001181"),
            Some(&email)
        );
        assert_eq!(
            next_endpoint(&endpoints, Channel::Email, "staff@example.org"),
            None
        );
        // Same address on another channel is another endpoint.
        assert_eq!(next_endpoint(&endpoints, Channel::Cwc, "S001181"), None);
        let plan_recipient = plan_batch(
            &Campaign::from_toml(CAMPAIGN).unwrap(),
            &LetterTemplates::compile(&Campaign::from_toml(CAMPAIGN).unwrap()).unwrap(),
            &signatures(),
            &[Recipient {
                endpoints: endpoints.to_vec(),
                ..recipient()
            }],
            NaiveDate::from_ymd_opt(2023, 7, 19).unwrap(),
        )
        .unwrap()
        .recipients
        .remove(0);
        assert_eq!(plan_recipient.endpoints, endpoints);
    }

    #[test]
    fn letters_an_earlier_batch_delivered_are_left_out_with_the_reason() {
        use crate::delivery::DeliveryState;
        let campaign = Campaign::from_toml(CAMPAIGN).unwrap();
        let templates = LetterTemplates::compile(&campaign).unwrap();
        let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
        let mut plan =
            plan_batch(&campaign, &templates, &signatures(), &[recipient()], date).unwrap();
        let earlier = |signature_id, batch_id, state| SentBefore {
            recipient_key: "custom:staff".into(),
            signature_id: Some(SignatureId::new(signature_id)),
            batch_id: BatchId::new(batch_id),
            state,
        };
        leave_out_sent(
            &mut plan,
            &[
                earlier(1, 1, DeliveryState::Delivered),
                earlier(2, 1, DeliveryState::Unconfirmed),
                // A failed letter does not stand in the way; a later delivery does.
                earlier(3, 1, DeliveryState::Failed),
                earlier(2, 2, DeliveryState::Delivered),
                // Another office's letter is another letter.
                SentBefore {
                    recipient_key: "custom:other".into(),
                    ..earlier(3, 2, DeliveryState::Delivered)
                },
            ],
        );
        let kept: Vec<Option<SignatureId>> =
            plan.deliveries.iter().map(|d| d.signature_id).collect();
        assert_eq!(kept, [Some(SignatureId::new(3))]);
        let reasons: Vec<(Option<SignatureId>, &str)> = plan
            .left_out
            .iter()
            .map(|l| (l.signature_id, l.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (Some(SignatureId::new(1)), "already delivered by batch 1"),
                (Some(SignatureId::new(2)), "already delivered by batch 2"),
            ]
        );
        assert_eq!(
            count_left_out(&plan.left_out),
            [
                (
                    "custom:staff".into(),
                    "already delivered by batch 1".into(),
                    1
                ),
                (
                    "custom:staff".into(),
                    "already delivered by batch 2".into(),
                    1
                ),
            ]
        );
    }

    #[test]
    fn individual_letters_follow_the_signer() {
        let campaign = Campaign::from_toml(CAMPAIGN).unwrap();
        let templates = LetterTemplates::compile(&campaign).unwrap();
        let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
        let plan = plan_batch(&campaign, &templates, &signatures(), &[recipient()], date).unwrap();
        assert_eq!(plan.deliveries.len(), 3);
        assert_eq!(plan.messages.len(), 3);
        assert!(plan.attachments.is_empty());
        let letter = |i: usize| match &plan.deliveries[i].route {
            Route::Send { message, endpoint } => {
                assert_eq!(endpoint.rate_key, "example.org");
                &plan.messages[*message].letter
            }
            Route::Skip(r) => panic!("skipped: {r:?}"),
        };
        assert_eq!(letter(0).subject, "Una carta desde Lima");
        assert_eq!(letter(0).body_markdown, "Estimado/a Staff:\n\nAna López\n");
        assert!(
            letter(1)
                .body_markdown
                .contains(r"Bob \[x\]\(https\:\/\/evil\.example\)")
        );
        assert_eq!(
            letter(2).language.as_str(),
            "en",
            "no French letter: the default is used"
        );
        assert!(letter(2).body_markdown.contains("(3 signers)"));
    }

    #[test]
    fn a_petition_is_one_letter_per_recipient_with_the_list() {
        let toml = CAMPAIGN
            .replace("individual", "petition")
            .replace("{{ signer.city }}", "everywhere")
            .replace("{{ signer.full_name }}", "The undersigned");
        let campaign = Campaign::from_toml(&toml).unwrap();
        let templates = LetterTemplates::compile(&campaign).unwrap();
        let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
        let mut second = recipient();
        second.key = "custom:other".into();
        let plan = plan_batch(
            &campaign,
            &templates,
            &signatures(),
            &[recipient(), second],
            date,
        )
        .unwrap();
        assert_eq!(plan.deliveries.len(), 2);
        assert_eq!(plan.messages.len(), 1, "identical letters are stored once");
        assert_eq!(plan.attachments[0].filename, "signatures.csv");
        let list = String::from_utf8(plan.attachments[0].content.clone()).unwrap();
        assert_eq!(list.lines().count(), 4);
        assert!(plan.deliveries.iter().all(|d| d.signature_id.is_none()));
    }

    struct ZipTable(Vec<(&'static str, Vec<crate::eligibility::District>)>);

    impl DistrictLookup for ZipTable {
        fn districts(&self, zip5: &str) -> &[crate::eligibility::District] {
            self.0
                .iter()
                .find(|(zip, _)| *zip == zip5)
                .map_or(&[], |(_, d)| d.as_slice())
        }
    }

    #[test]
    fn member_offices_receive_only_constituents() {
        use crate::eligibility::District;
        use crate::signer::UsState;
        let ma = UsState::parse("MA").unwrap();
        let district = |number| District { state: ma, number };
        let table = ZipTable(vec![
            ("02134", vec![district(7)]),
            ("02138", vec![district(5), district(7)]),
        ]);
        let csv = "first_name,last_name,email,city,state,zip,district,country\n\
                   Ana,Allston,ana@example.org,Boston,MA,02134,,US\n\
                   Ben,Cambridge,ben@example.org,Cambridge,MA,02138,,US\n\
                   Cy,Cambridge,cy@example.org,Cambridge,MA,02138,7,US\n\
                   Di,Lima,di@example.org,Lima,,,,PE\n\
                   Ed,Nowhere,ed@example.org,,,,,US\n\
                   Flo,Richmond,flo@example.org,Richmond,VA,23219,,US\n";
        let signatures: Vec<StoredSignature> = SignatureCsv::new(csv.as_bytes())
            .unwrap()
            .map(|r| match r {
                CsvRow::Accepted { signature, .. } => *signature,
                other => panic!("{other:?}"),
            })
            .enumerate()
            .map(|(i, s)| (SignatureId::new(i as i64 + 1), s))
            .collect();
        let mut member = recipient();
        member.key = "member:P000617".into();
        member.eligibility = Eligibility::District {
            district: district(7),
        };
        let campaign = Campaign::from_toml(CAMPAIGN).unwrap();
        let templates = LetterTemplates::compile(&campaign).unwrap();
        let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
        let plan = plan_batch_with_districts(
            &campaign,
            &templates,
            &signatures,
            &[member.clone(), recipient()],
            date,
            &table,
        )
        .unwrap();
        let outcome = |recipient: usize| -> Vec<String> {
            plan.deliveries
                .iter()
                .filter(|d| d.recipient == recipient)
                .map(|d| match &d.route {
                    Route::Send { .. } => "send".to_string(),
                    Route::Skip(SkipReason(reason)) => reason.clone(),
                })
                .collect()
        };
        assert_eq!(
            outcome(0),
            [
                "send",
                "ambiguous district",
                "send",
                "outside the United States",
                "no address",
                "not a constituent"
            ]
        );
        assert!(outcome(1).iter().all(|o| o == "send"), "staff take anyone");
        // Without the table only the signer's own district places them.
        let plan = plan_batch(&campaign, &templates, &signatures, &[member], date).unwrap();
        let sent: Vec<Option<SignatureId>> = plan
            .deliveries
            .iter()
            .filter(|d| matches!(d.route, Route::Send { .. }))
            .map(|d| d.signature_id)
            .collect();
        assert_eq!(sent, [Some(SignatureId::new(3))]);
    }

    #[test]
    fn nothing_to_send_is_an_error() {
        let campaign = Campaign::from_toml(CAMPAIGN).unwrap();
        let templates = LetterTemplates::compile(&campaign).unwrap();
        let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
        assert!(matches!(
            plan_batch(&campaign, &templates, &[], &[recipient()], date),
            Err(PlanError::NoSignatures)
        ));
        assert!(matches!(
            plan_batch(&campaign, &templates, &signatures(), &[], date),
            Err(PlanError::NoRecipients)
        ));
    }
}
