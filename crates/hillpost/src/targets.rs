//! A campaign's targets → the offices a batch addresses, through the stored directory.
//!
//! ```text
//! targets ──hillpost_directory::resolve──▶ ResolvedRecipient (every endpoint, in preference order)
//!                                               │ keep the endpoints on channels this hillpost sends
//!                                               ▼
//!                                         Recipient (first endpoint = the one the batch uses)
//! ```
//!
//! The preview shows both: every endpoint the office has and the one chosen, so an operator
//! sees why a member office without a configured email cannot be reached yet.

use hillpost_core::batch::Recipient;
use hillpost_core::delivery::Channel;
use hillpost_core::{Campaign, Target};
use hillpost_directory::{Directory, ResolveError, ResolveSettings, ResolvedRecipient};

use crate::config::Settings;

/// The channels this hillpost has senders for (see `channels::for_worker`): email always,
/// web forms when `[web_forms]` is enabled, CWC when `[cwc]` is. Which endpoint a recipient
/// gets first is the recipient's own order of preference; this only says which are usable.
pub fn sendable_channels(settings: &Settings) -> Vec<Channel> {
    let mut channels = vec![Channel::Email];
    if settings.web_forms.enabled {
        channels.push(Channel::WebForm);
    }
    if settings.cwc.enabled {
        channels.push(Channel::Cwc);
    }
    channels
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "target `{0}` needs the recipient directory, which this database does not have yet \
         (import it with `hillpost directory import`)"
    )]
    NeedsDirectory(String),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(
        "{} office(s) have no endpoint hillpost can send through (it sends {}): {}. Give          each an address in [directory.office_email] (members) or          [directory.committee_mailbox], enable [web_forms] or [cwc], or leave them out of the          targets",
        .offices.len(), .channels, .offices.join(", ")
    )]
    Unreachable {
        offices: Vec<String>,
        channels: String,
    },
}

fn sendable_words(sendable: &[Channel]) -> String {
    sendable
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every office the campaign addresses, with all its endpoints and the reasons. Without a
/// stored directory only custom targets resolve.
pub fn resolve_all(
    campaign: &Campaign,
    directory: Option<&Directory>,
    settings: &ResolveSettings,
) -> Result<Vec<ResolvedRecipient>, TargetError> {
    let empty = Directory::default();
    let directory = match directory {
        Some(directory) => directory,
        None => {
            if let Some(target) = campaign
                .targets
                .iter()
                .find(|t| !matches!(t, Target::Custom(_)))
            {
                return Err(TargetError::NeedsDirectory(target.to_string()));
            }
            &empty
        }
    };
    Ok(hillpost_directory::resolve(
        directory,
        &campaign.targets,
        settings,
    )?)
}

/// The endpoint a batch would use: the first on a channel this hillpost sends.
pub fn chosen<'a>(
    resolved: &'a ResolvedRecipient,
    sendable: &[Channel],
) -> Option<&'a hillpost_core::batch::Endpoint> {
    resolved
        .recipient
        .endpoints
        .iter()
        .find(|e| sendable.contains(&e.channel))
}

/// The recipients a batch is planned for: each keeps only the endpoints it can be sent
/// through. An office with none is an error naming every such office, before anything is
/// stored.
pub fn sendable(
    resolved: Vec<ResolvedRecipient>,
    sendable: &[Channel],
) -> Result<Vec<Recipient>, TargetError> {
    let unreachable: Vec<String> = resolved
        .iter()
        .filter(|r| chosen(r, sendable).is_none())
        .map(|r| format!("{} ({})", r.recipient.key, r.recipient.name))
        .collect();
    if !unreachable.is_empty() {
        return Err(TargetError::Unreachable {
            offices: unreachable,
            channels: sendable_words(sendable),
        });
    }
    Ok(resolved.into_iter().map(|r| usable(r, sendable)).collect())
}

/// An office with only the endpoints on channels this hillpost sends; the others are listed
/// among what was passed over, with why.
pub fn usable(resolved: ResolvedRecipient, sendable: &[Channel]) -> Recipient {
    let mut recipient = resolved.recipient;
    let (kept, unsendable): (Vec<_>, Vec<_>) = recipient
        .endpoints
        .into_iter()
        .partition(|e| sendable.contains(&e.channel));
    recipient.endpoints = kept;
    recipient
        .passed_over
        .extend(unsendable.into_iter().map(|e| {
            format!(
                "{} {}: this hillpost does not send by {} (see [web_forms] and [cwc])",
                e.channel, e.address, e.channel
            )
        }));
    recipient
}
