use serde::{Deserialize, Serialize};

/// One language's letter: a subject line and a Markdown body, both templates whose
/// `{{placeholders}}` are filled per recipient (and per signer in individual mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

impl Letter {
    /// A subject is one line; offices and CWC cap it well below this.
    pub const MAX_SUBJECT_CHARS: usize = 200;
    /// Bodies are letters, not books: CWC takes 10,000 characters, forms fewer. This bound
    /// stops a pasted file early with a clear message; channels apply their own limits.
    pub const MAX_BODY_BYTES: usize = 100_000;
}

/// The placeholders a letter may use. Anything else is refused when the campaign is added,
/// so a typo can't reach an office as literal braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    CampaignTitle,
    CampaignOrganization,
    RecipientName,
    SignatureCount,
    Date,
    SignerFullName,
    SignerFirstName,
    SignerLastName,
    SignerOrganization,
    SignerCity,
    SignerState,
    SignerPostalCode,
    SignerCountry,
}

impl Placeholder {
    pub const ALL: [Placeholder; 13] = [
        Placeholder::CampaignTitle,
        Placeholder::CampaignOrganization,
        Placeholder::RecipientName,
        Placeholder::SignatureCount,
        Placeholder::Date,
        Placeholder::SignerFullName,
        Placeholder::SignerFirstName,
        Placeholder::SignerLastName,
        Placeholder::SignerOrganization,
        Placeholder::SignerCity,
        Placeholder::SignerState,
        Placeholder::SignerPostalCode,
        Placeholder::SignerCountry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::CampaignTitle => "campaign.title",
            Placeholder::CampaignOrganization => "campaign.organization",
            Placeholder::RecipientName => "recipient.name",
            Placeholder::SignatureCount => "signature_count",
            Placeholder::Date => "date",
            Placeholder::SignerFullName => "signer.full_name",
            Placeholder::SignerFirstName => "signer.first_name",
            Placeholder::SignerLastName => "signer.last_name",
            Placeholder::SignerOrganization => "signer.organization",
            Placeholder::SignerCity => "signer.city",
            Placeholder::SignerState => "signer.state",
            Placeholder::SignerPostalCode => "signer.postal_code",
            Placeholder::SignerCountry => "signer.country",
        }
    }

    /// Signer placeholders only make sense when each letter has one signer.
    pub fn is_per_signer(self) -> bool {
        self.name().starts_with("signer.")
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}
