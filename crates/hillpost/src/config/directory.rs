//! `[directory]`: checking the configured addresses and turning them into what target
//! resolution needs.

use hillpost_core::campaign::CustomRecipient;
use hillpost_core::signer::Email;
use hillpost_directory::ResolveSettings;

use super::ConfigError;
use super::sections::DirectorySettings;

fn invalid(key: &'static str, problem: String) -> ConfigError {
    ConfigError::Invalid { key, problem }
}

/// A bioguide id: an upper-case letter and six digits.
fn is_bioguide(id: &str) -> bool {
    id.len() == 7
        && id.starts_with(|c: char| c.is_ascii_uppercase())
        && id[1..].chars().all(|c| c.is_ascii_digit())
}

impl DirectorySettings {
    /// Every key is an id of the right shape and every value an email address.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (id, email) in &self.office_email {
            let id = id.to_ascii_uppercase();
            if !is_bioguide(&id) {
                return Err(invalid(
                    "directory.office_email",
                    format!("`{id}` is not a bioguide id (a letter and six digits)"),
                ));
            }
            Email::parse(email)
                .map_err(|e| invalid("directory.office_email", format!("{id}: {e}")))?;
        }
        for (id, email) in &self.committee_mailbox {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(
                    "directory.committee_mailbox",
                    format!("`{id}` is not a committee id (e.g. HSFA)"),
                ));
            }
            Email::parse(email)
                .map_err(|e| invalid("directory.committee_mailbox", format!("{id}: {e}")))?;
        }
        if !self.president_email.is_empty() {
            Email::parse(&self.president_email)
                .map_err(|e| invalid("directory.president_email", e.to_string()))?;
        }
        Ok(())
    }

    /// The settings target resolution uses; ids are upper-cased (environment variables
    /// arrive lower-cased).
    pub fn resolve_settings(&self) -> ResolveSettings {
        let mut settings = ResolveSettings::default();
        for (id, email) in &self.office_email {
            if let Ok(email) = Email::parse(email) {
                settings
                    .office_emails
                    .insert(id.to_ascii_uppercase(), email);
            }
        }
        for (id, email) in &self.committee_mailbox {
            let id = id.to_ascii_uppercase();
            if let Ok(email) = Email::parse(email) {
                let mailbox = CustomRecipient {
                    key: format!("committee:{id}:staff"),
                    name: format!("{id} committee staff"),
                    email,
                };
                settings.committee_mailboxes.insert(id, mailbox);
            }
        }
        settings.president_email = Email::parse(&self.president_email).ok();
        settings
    }
}
