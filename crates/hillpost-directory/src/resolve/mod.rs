//! From a campaign's targets to the offices that receive its letters.
//!
//! ```text
//! committee:SSFR (chair|ranking|leadership|members) ─▶ members' offices per scope (+ staff mailbox)
//! member:R000584                                     ─▶ that office
//! chamber:senate | chamber:house                     ─▶ every office of the chamber
//! president                                          ─▶ the White House (form definition, email)
//! custom                                             ─▶ its own email
//! ```
//!
//! Each office becomes a [`Recipient`] with endpoints in order of preference and the
//! eligibility rule of its kind (member offices: constituents only), plus the words
//! `hillpost targets preview` shows: why the office is addressed, and why that endpoint.
//! An office reached by several targets appears once, where it first appeared.

mod committee;
mod endpoints;
mod preview;
mod settings;

use hillpost_core::batch::{Eligibility, Recipient};
use hillpost_core::campaign::{Chamber, CustomRecipient, Target};
use serde::Serialize;
use thiserror::Error;

pub use settings::{CWC_HOUSE_KEY, CWC_SENATE_KEY, CwcOffices, ResolveSettings};

use crate::directory::Directory;
use crate::legislators::{Legislator, Seat};
use endpoints::Choices;

/// A recipient with the reasons a person reads in the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRecipient {
    pub recipient: Recipient,
    /// Why this office is addressed, one entry per target that reached it.
    pub because: Vec<String>,
    /// Why the first endpoint was chosen, what follows it, and what was passed over.
    pub why_endpoint: String,
}

impl ResolvedRecipient {
    pub fn is_reachable(&self) -> bool {
        !self.recipient.endpoints.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum ResolveError {
    #[error("committee `{0}` is not in the directory")]
    UnknownCommittee(String),
    #[error("committee `{0}` has no membership in the directory")]
    NoMembership(String),
    #[error("committee `{committee}` has no {role}")]
    NoLeader { committee: String, role: String },
    #[error("member `{0}` is not a current legislator")]
    UnknownMember(String),
    #[error("the directory has no executive record (import executive.yaml)")]
    NoPresident,
}

/// Resolves every target, in order, merging offices reached more than once.
pub fn resolve(
    directory: &Directory,
    targets: &[Target],
    settings: &ResolveSettings,
) -> Result<Vec<ResolvedRecipient>, ResolveError> {
    let mut resolved: Vec<ResolvedRecipient> = Vec::new();
    for target in targets {
        for next in resolve_target(directory, target, settings)? {
            match resolved
                .iter_mut()
                .find(|r| r.recipient.key == next.recipient.key)
            {
                Some(existing) => existing.because.extend(next.because),
                None => resolved.push(next),
            }
        }
    }
    Ok(resolved)
}

/// Resolves one target, in a stable order (see each kind).
pub fn resolve_target(
    directory: &Directory,
    target: &Target,
    settings: &ResolveSettings,
) -> Result<Vec<ResolvedRecipient>, ResolveError> {
    match target {
        Target::Committee { id, scope } => committee::resolve(directory, id, *scope, settings),
        Target::Member { bioguide } => {
            let legislator = directory
                .legislator(bioguide)
                .ok_or_else(|| ResolveError::UnknownMember(bioguide.clone()))?;
            Ok(vec![member_office(
                legislator,
                format!("named in the campaign (member:{bioguide})"),
                directory,
                settings,
            )])
        }
        Target::Chamber { chamber } => Ok(whole_chamber(directory, *chamber, settings)),
        Target::President => president(directory, settings).map(|r| vec![r]),
        Target::Custom(custom) => Ok(vec![custom_office(custom, "custom recipient".into())]),
    }
}

/// Every office of a chamber, by state, then Senate class or House district.
fn whole_chamber(
    directory: &Directory,
    chamber: Chamber,
    settings: &ResolveSettings,
) -> Vec<ResolvedRecipient> {
    let mut members: Vec<&Legislator> = directory
        .legislators
        .values()
        .filter(|l| l.chamber() == chamber)
        .collect();
    members.sort_by_key(|l| {
        let seat = match l.term.seat {
            Seat::Senate { class } => class,
            Seat::House { district } => district,
        };
        (l.term.state.code(), seat, l.bioguide.clone())
    });
    let words = match chamber {
        Chamber::Senate => "member of the Senate (chamber:senate)",
        Chamber::House => "member of the House (chamber:house)",
    };
    members
        .into_iter()
        .map(|l| member_office(l, words.to_string(), directory, settings))
        .collect()
}

pub(super) fn member_office(
    legislator: &Legislator,
    because: String,
    directory: &Directory,
    settings: &ResolveSettings,
) -> ResolvedRecipient {
    let choices = endpoints::for_legislator(legislator, directory, settings);
    let eligibility = legislator.eligibility();
    finish(
        format!("member:{}", legislator.bioguide),
        format!(
            "{} ({})",
            legislator.addressed_as(),
            legislator.party_and_seat()
        ),
        eligibility,
        because,
        choices,
    )
}

fn president(
    directory: &Directory,
    settings: &ResolveSettings,
) -> Result<ResolvedRecipient, ResolveError> {
    let executive = directory
        .executive
        .as_ref()
        .ok_or(ResolveError::NoPresident)?;
    let choices = endpoints::for_president(directory, settings);
    Ok(finish(
        "president".into(),
        format!("President {}", executive.president.name),
        Eligibility::Anyone,
        "the President".into(),
        choices,
    ))
}

pub(super) fn custom_office(custom: &CustomRecipient, because: String) -> ResolvedRecipient {
    let choices = Choices {
        chosen: vec![endpoints::email_choice(
            &custom.email,
            "the organizer's address",
        )],
        passed_over: Vec::new(),
    };
    finish(
        custom.key.clone(),
        custom.name.clone(),
        Eligibility::Anyone,
        because,
        choices,
    )
}

fn finish(
    key: String,
    name: String,
    eligibility: Eligibility,
    because: String,
    choices: Choices,
) -> ResolvedRecipient {
    let why_endpoint = preview::EndpointReason(&choices).to_string();
    ResolvedRecipient {
        recipient: Recipient {
            key,
            name,
            endpoints: choices.chosen.into_iter().map(|c| c.endpoint).collect(),
            eligibility,
            passed_over: choices.passed_over,
        },
        because: vec![because],
        why_endpoint,
    }
}
