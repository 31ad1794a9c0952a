use chrono::NaiveDate;
use hillpost_core::import::{CsvRow, SignatureCsv};
use hillpost_core::{Campaign, NewSignature};

pub const CAMPAIGN: &str = r#"
id = "peru"
title = "Bring U.S. troops home from Peru"
organization = "Example Coalition"
mode = "petition"
default_language = "en"

[letters.en]
subject = "Withdraw U.S. troops from Peru"
body = """
Dear {{ recipient.name }},

We, the {{ signature_count }} undersigned, ask you to bring the troops home.

1. suspend military assistance;
2. review the agreements in public.
"""

[letters.es]
subject = "Retiren las tropas del Perú"
body = """
{{ recipient.name }}:

Los {{ signature_count }} abajo firmantes les pedimos que retiren las tropas.
"""

[[targets]]
target = "custom"
name = "Committee staff"
email = "staff@example.org"
"#;

pub fn campaign() -> Campaign {
    Campaign::from_toml(CAMPAIGN).expect("the test campaign is valid")
}

pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// Every accepted row of a signature CSV; panics on a rejected one.
pub fn signatures(csv: &str) -> Vec<NewSignature> {
    SignatureCsv::new(csv.as_bytes())
        .expect("the CSV header is valid")
        .map(|row| match row {
            CsvRow::Accepted { signature, .. } => *signature,
            other => panic!("row rejected: {other:?}"),
        })
        .collect()
}

/// The PDF's text, one string per page.
pub fn pages(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    pdf_extract::extract_text_from_mem_by_pages(pdf).expect("the PDF parses")
}
