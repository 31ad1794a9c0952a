//! hillpost's documents: the petition PDF that travels with every petition letter (next to
//! the CSV) and that `hillpost batch preview` writes for the organizer to read first.
//!
//! ```text
//! campaign + signatures ──render each language──▶ letters ─┐
//!                        └──organizations first──▶ rows ───┴─▶ layout (pages as data)
//!                                                               │ page count known
//!                                                               ▼
//!                                         krilla: draw, footers "page n of N", subset font
//! ```
//!
//! Everything here is pure: bytes in (the bundled font), bytes out, no files or clock; the
//! caller passes the date. Kept out of hillpost-core so the domain crate does not carry a
//! PDF writer and a font.

mod fonts;
mod layout;
mod letters;
mod pdf;
mod signers;

use chrono::NaiveDate;
use hillpost_core::render::{LetterContext, LetterTemplates, RenderError, RenderedLetter};
use hillpost_core::{Campaign, NewSignature, petition};

pub use fonts::REPLACEMENT;

pub const PDF_FILENAME: &str = "signatures.pdf";
pub const PDF_CONTENT_TYPE: &str = "application/pdf";

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the petition PDF could not be written: {0}")]
    Pdf(String),
}

/// What the title block and the footers say.
pub(crate) struct Summary {
    pub title: String,
    pub organization: String,
    pub signatures: usize,
    pub date: NaiveDate,
}

/// The petition as a PDF: the letter in each of the campaign's languages, addressed to
/// `addressed_to` (the same document goes to every recipient of a batch, so the caller names
/// them all), then every signer. Called once per petition batch, and by `batch preview`.
pub fn petition_pdf<'a>(
    campaign: &Campaign,
    signatures: impl IntoIterator<Item = &'a NewSignature>,
    addressed_to: &str,
    date: NaiveDate,
) -> Result<Vec<u8>, DocumentError> {
    let signers = petition::ordered(signatures);
    let letters = render_letters(campaign, addressed_to, signers.len(), date)?;
    let summary = Summary {
        title: campaign.title.clone(),
        organization: campaign.organization.clone(),
        signatures: signers.len(),
        date,
    };
    let fonts = fonts::Fonts::load();
    let mut pages = layout::Pages::new();
    letters::lay_out(&mut pages, &fonts, &summary, &letters);
    signers::lay_out(&mut pages, &fonts, &summary, &signers);
    let pages = pages.finish();
    let footer = format!(
        "{}: {}",
        summary.title,
        count(summary.signatures, "signature", "signatures")
    );
    pdf::write(&pages, &fonts, &summary.title, &footer)
        .map_err(|e| DocumentError::Pdf(e.to_string()))
}

/// Every language's letter, the campaign's default language first.
fn render_letters(
    campaign: &Campaign,
    addressed_to: &str,
    count: usize,
    date: NaiveDate,
) -> Result<Vec<RenderedLetter>, RenderError> {
    let templates = LetterTemplates::compile(campaign)?;
    let context = LetterContext::new(campaign, addressed_to, count as u64, date);
    let mut languages: Vec<_> = campaign.letters.keys().collect();
    languages.sort_by_key(|l| **l != campaign.default_language);
    languages
        .into_iter()
        .map(|language| templates.render(language, &context))
        .collect()
}

/// "1 signature", "2,000 signatures".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// 12345 → "12,345".
pub(crate) fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::grouped(7), "7");
        assert_eq!(super::grouped(2000), "2,000");
        assert_eq!(super::grouped(1_234_567), "1,234,567");
        assert_eq!(super::count(1, "person", "people"), "1 person");
        assert_eq!(super::count(1000, "person", "people"), "1,000 people");
    }
}
