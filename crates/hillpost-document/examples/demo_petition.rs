//! Renders the bundled demo's 2,000 signers as a petition PDF and prints how long it took.
//!
//! cargo run --release -p hillpost-document --example demo_petition [-- OUT.pdf]

use std::time::Instant;

use hillpost_core::Campaign;
use hillpost_core::import::{CsvRow, SignatureCsv};

const CAMPAIGN: &str = include_str!("../../hillpost/demo/campaign.toml");
const SIGNERS: &str = include_str!("../../hillpost/demo/signers.csv");

fn main() {
    // The demo runs in individual mode; as a petition its letters must not name one signer.
    let toml = CAMPAIGN
        .replace("mode = \"individual\"", "mode = \"petition\"")
        .replace("{{ signer.full_name }}", "The undersigned")
        .replace(
            "{% if signer.city %}{{ signer.city }}, {% endif %}{{ signer.country }}",
            "",
        );
    let campaign = Campaign::from_toml(&toml).expect("the demo campaign is valid");
    let signatures: Vec<_> = SignatureCsv::new(SIGNERS.as_bytes())
        .expect("the demo CSV has a valid header")
        .filter_map(|row| match row {
            CsvRow::Accepted { signature, .. } => Some(*signature),
            _ => None,
        })
        .collect();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a valid date");
    let started = Instant::now();
    let pdf = hillpost_document::petition_pdf(&campaign, &signatures, "Members of Congress", date)
        .expect("the petition renders");
    let elapsed = started.elapsed();
    println!(
        "{} signers: {} bytes in {:.0} ms",
        signatures.len(),
        pdf.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    if let Some(out) = std::env::args().nth(1) {
        std::fs::write(&out, &pdf).expect("write the PDF");
        println!("written to {out}");
    }
}
