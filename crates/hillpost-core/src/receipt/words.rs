//! The receipt's words, in English and Spanish. A signer whose language is neither gets
//! English. Times are given in UTC: hillpost does not know the signer's time zone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::LetterFacts;
use crate::delivery::{Channel, DeliveryState};
use crate::eligibility::Ineligible;

/// The languages receipts are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptLanguage {
    En,
    Es,
}

impl ReceiptLanguage {
    /// The signer's language if receipts are written in it, English otherwise.
    pub fn for_signer(language: Option<&str>) -> Self {
        match language.map(|l| l.to_ascii_lowercase()) {
            Some(l) if l == "es" || l.starts_with("es-") => ReceiptLanguage::Es,
            _ => ReceiptLanguage::En,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptLanguage::En => "en",
            ReceiptLanguage::Es => "es",
        }
    }

    pub fn subject(self, campaign_title: &str) -> String {
        match self {
            ReceiptLanguage::En => format!("Your letter: {campaign_title}"),
            ReceiptLanguage::Es => format!("Su carta: {campaign_title}"),
        }
    }

    /// `campaign_title` is already escaped for Markdown.
    pub(super) fn intro(self, campaign_title: &str) -> String {
        match self {
            ReceiptLanguage::En => format!(
                "Thank you for signing \u{201c}{campaign_title}\u{201d}. This is what became of your letter:"
            ),
            ReceiptLanguage::Es => format!(
                "Gracias por firmar \u{ab}{campaign_title}\u{bb}. Esto es lo que pasó con su carta:"
            ),
        }
    }

    pub(super) fn link_intro(self) -> &'static str {
        match self {
            ReceiptLanguage::En => "This receipt stays available at:",
            ReceiptLanguage::Es => "Este recibo queda disponible en:",
        }
    }

    pub(super) fn closing(self) -> &'static str {
        match self {
            ReceiptLanguage::En => "You receive this message because you asked for a receipt.",
            ReceiptLanguage::Es => "Recibe este mensaje porque pidió un recibo.",
        }
    }

    /// The title of the receipt page.
    pub fn page_title(self) -> &'static str {
        match self {
            ReceiptLanguage::En => "Your letter's receipt",
            ReceiptLanguage::Es => "El recibo de su carta",
        }
    }

    /// One letter's fate in words.
    pub(super) fn describe(self, letter: &LetterFacts, at: Option<DateTime<Utc>>) -> String {
        let when = at.map(|t| self.time(t)).unwrap_or_default();
        let office = &letter.office;
        let reason = || {
            letter
                .last_error
                .clone()
                .or_else(|| letter.last_remote_text.clone())
                .unwrap_or_else(|| self.no_reason().to_string())
        };
        let text = self.fate(letter, &when, office, reason);
        match (letter.passed_over.is_empty(), self) {
            (true, _) => text,
            (false, ReceiptLanguage::En) => format!(
                "{text} (first tried, and passed over: {})",
                letter.passed_over.join("; ")
            ),
            (false, ReceiptLanguage::Es) => format!(
                "{text} (antes se intentó, sin éxito: {})",
                letter.passed_over.join("; ")
            ),
        }
    }

    /// What became of the letter, in words, without the ways passed over.
    fn fate(
        self,
        letter: &LetterFacts,
        when: &str,
        office: &str,
        reason: impl Fn() -> String,
    ) -> String {
        match (self, letter.state) {
            (ReceiptLanguage::En, DeliveryState::Delivered) => {
                format!(
                    "accepted by {office}'s {} {when}",
                    self.channel(letter.channel)
                )
            }
            (ReceiptLanguage::Es, DeliveryState::Delivered) => {
                format!(
                    "aceptada por {} de {office} {when}",
                    self.channel(letter.channel)
                )
            }
            (ReceiptLanguage::En, DeliveryState::Unconfirmed) => format!(
                "sent to {office}'s {} {when}; it did not confirm receipt, so a person will check \
                 whether it arrived",
                self.channel(letter.channel)
            ),
            (ReceiptLanguage::Es, DeliveryState::Unconfirmed) => format!(
                "enviada a {} de {office} {when}; no confirmó la recepción, así que una persona \
                 comprobará si llegó",
                self.channel(letter.channel)
            ),
            (ReceiptLanguage::En, DeliveryState::Bounced) => format!(
                "accepted by {office}'s {}, then returned: {} ({when})",
                self.channel(letter.channel),
                reason()
            ),
            (ReceiptLanguage::Es, DeliveryState::Bounced) => format!(
                "aceptada por {} de {office} y luego devuelta: {} ({when})",
                self.channel(letter.channel),
                reason()
            ),
            (ReceiptLanguage::En, DeliveryState::Failed) => {
                format!("could not be delivered: {} ({when})", reason())
            }
            (ReceiptLanguage::Es, DeliveryState::Failed) => {
                format!("no se pudo entregar: {} ({when})", reason())
            }
            (ReceiptLanguage::En, DeliveryState::Dead) => format!(
                "could not be delivered after {} attempts: {} ({when})",
                letter.attempts,
                reason()
            ),
            (ReceiptLanguage::Es, DeliveryState::Dead) => format!(
                "no se pudo entregar tras {} intentos: {} ({when})",
                letter.attempts,
                reason()
            ),
            (ReceiptLanguage::En, DeliveryState::Cancelled) => {
                "not sent: the organizers cancelled the sending".to_string()
            }
            (ReceiptLanguage::Es, DeliveryState::Cancelled) => {
                "no enviada: los organizadores cancelaron el envío".to_string()
            }
            (ReceiptLanguage::En, DeliveryState::Skipped) => format!(
                "could not be delivered: {}",
                self.skip_reason(letter.skip_reason.as_deref())
            ),
            (ReceiptLanguage::Es, DeliveryState::Skipped) => format!(
                "no se pudo entregar: {}",
                self.skip_reason(letter.skip_reason.as_deref())
            ),
            (ReceiptLanguage::En, DeliveryState::Queued | DeliveryState::InFlight) => {
                "still being sent".to_string()
            }
            (ReceiptLanguage::Es, DeliveryState::Queued | DeliveryState::InFlight) => {
                "todavía en envío".to_string()
            }
        }
    }

    fn time(self, t: DateTime<Utc>) -> String {
        match self {
            ReceiptLanguage::En => {
                format!("at {} UTC on {}", t.format("%H:%M"), t.format("%Y-%m-%d"))
            }
            ReceiptLanguage::Es => format!(
                "el {} a las {} UTC",
                t.format("%d/%m/%Y"),
                t.format("%H:%M")
            ),
        }
    }

    fn channel(self, channel: Channel) -> &'static str {
        match (self, channel) {
            (ReceiptLanguage::En, Channel::Email) => "email server",
            (ReceiptLanguage::En, Channel::WebForm) => "web form",
            (ReceiptLanguage::En, Channel::Cwc) => "Communicating with Congress system",
            (ReceiptLanguage::En, Channel::None) => "office",
            (ReceiptLanguage::Es, Channel::Email) => "el servidor de correo",
            (ReceiptLanguage::Es, Channel::WebForm) => "el formulario web",
            (ReceiptLanguage::Es, Channel::Cwc) => "el sistema Communicating with Congress",
            (ReceiptLanguage::Es, Channel::None) => "la oficina",
        }
    }

    fn no_reason(self) -> &'static str {
        match self {
            ReceiptLanguage::En => "no reason was given",
            ReceiptLanguage::Es => "no se dio ningún motivo",
        }
    }

    /// Skip reasons as `batch status` words them, said to the signer. Reasons this list
    /// does not know are passed on as they are.
    fn skip_reason(self, reason: Option<&str>) -> String {
        let known = [
            Ineligible::NotAConstituent,
            Ineligible::NoAddress,
            Ineligible::OutsideUnitedStates,
            Ineligible::AmbiguousDistrict,
        ]
        .into_iter()
        .find(|i| Some(i.as_str()) == reason);
        let text = match (self, known) {
            (ReceiptLanguage::En, Some(Ineligible::NotAConstituent)) => {
                "the office accepts only constituents"
            }
            (ReceiptLanguage::Es, Some(Ineligible::NotAConstituent)) => {
                "la oficina solo acepta cartas de sus electores"
            }
            (ReceiptLanguage::En, Some(Ineligible::NoAddress)) => {
                "your address does not say where you live, and the office accepts only constituents"
            }
            (ReceiptLanguage::Es, Some(Ineligible::NoAddress)) => {
                "su dirección no indica dónde vive, y la oficina solo acepta cartas de sus electores"
            }
            (ReceiptLanguage::En, Some(Ineligible::OutsideUnitedStates)) => {
                "the office accepts letters only from people in the United States"
            }
            (ReceiptLanguage::Es, Some(Ineligible::OutsideUnitedStates)) => {
                "la oficina solo acepta cartas de personas en los Estados Unidos"
            }
            (ReceiptLanguage::En, Some(Ineligible::AmbiguousDistrict)) => {
                "your ZIP code spans several districts, so we could not tell which office is yours"
            }
            (ReceiptLanguage::Es, Some(Ineligible::AmbiguousDistrict)) => {
                "su código postal abarca varios distritos, así que no supimos cuál es su oficina"
            }
            (_, None) => return reason.unwrap_or_else(|| self.no_reason()).to_string(),
        };
        text.to_string()
    }
}
