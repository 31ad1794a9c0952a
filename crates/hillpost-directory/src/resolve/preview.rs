//! The words `hillpost targets preview` shows for each recipient.

use std::fmt;

use hillpost_core::batch::Eligibility;

use super::ResolvedRecipient;
use super::endpoints::Choices;

/// The preview's paragraph for one recipient:
///
/// ```text
/// member:E000903  Senator Wyatt Earp (R-WY)
///   because: chair of SSFR (Senate Committee on Foreign Relations)
///   accepts: constituents of WY
///   endpoint: web_form E000903: contact-congress form definition; then …
/// ```
impl fmt::Display for ResolvedRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}  {}", self.recipient.key, self.recipient.name)?;
        for because in &self.because {
            writeln!(f, "  because: {because}")?;
        }
        let accepts = match &self.recipient.eligibility {
            Eligibility::Anyone => "anyone".to_string(),
            Eligibility::State { state } => format!("constituents of {state}"),
            Eligibility::District { district } => format!("constituents of {district}"),
        };
        writeln!(f, "  accepts: {accepts}")?;
        writeln!(f, "  endpoint: {}", self.why_endpoint)
    }
}

/// "web_form R000584: contact-congress form definition; then web_form https://…: …;
/// passed over: Senate CWC is not active for office SID02".
pub(super) struct EndpointReason<'a>(pub(super) &'a Choices);

impl fmt::Display for EndpointReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Choices {
            chosen,
            passed_over,
        } = self.0;
        if chosen.is_empty() {
            f.write_str("no endpoint")?;
        }
        for (i, choice) in chosen.iter().enumerate() {
            if i > 0 {
                f.write_str("; then ")?;
            }
            write!(
                f,
                "{} {}: {}",
                choice.endpoint.channel.as_str(),
                choice.endpoint.address,
                choice.why
            )?;
        }
        if !passed_over.is_empty() {
            write!(f, "; passed over: {}", passed_over.join(", "))?;
        }
        Ok(())
    }
}
