//! Property tests that feed the parsers of this crate hostile input: the signature CSV
//! importer, the campaign file and the letter templates it carries. Nothing may panic,
//! every rejection must say why, and a letter never renders past its limits. Seeded and
//! short in `cargo test`; see `hillpost_testkit::fuzz` to run them longer.

use proptest::prelude::*;

use crate::Campaign;
use crate::import::{CsvRow, SignatureCsv};
use crate::render::{
    LetterContext, LetterTemplates, MAX_RENDERED_BODY_BYTES, MAX_RENDERED_SUBJECT_CHARS,
};

/// Pieces spreadsheets, exports and attackers put into CSV cells.
fn cell() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(String::new()),
        Just("\"".to_string()),
        Just("\"\"".to_string()),
        Just(",".to_string()),
        Just("\r\n".to_string()),
        Just("\n".to_string()),
        Just("=HYPERLINK(\"http://x\")".to_string()),
        Just("\u{FEFF}".to_string()),
        Just("\u{0}".to_string()),
        Just("ana@example.org".to_string()),
        Just("US".to_string()),
        Just("02139-1234".to_string()),
        Just("x".repeat(300)),
        "[a-zA-Z@.\\- ]{0,12}",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

/// A CSV file: a header of known and unknown columns, then rows of hostile cells.
fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    let column = prop_oneof![
        Just("email"),
        Just("first_name"),
        Just("last_name"),
        Just("name"),
        Just("city"),
        Just("state"),
        Just("zip_code"),
        Just("country"),
        Just("language"),
        Just("organization"),
        Just("can_be_emailed"),
        Just("Email Address"),
        Just("unknown"),
    ];
    let header = proptest::collection::vec(column, 0..8);
    let rows = proptest::collection::vec(proptest::collection::vec(cell(), 0..9), 0..12);
    (header, rows).prop_map(|(header, rows)| {
        let mut text = header.join(",");
        for row in rows {
            text.push('\n');
            text.push_str(&row.join(","));
        }
        text.into_bytes()
    })
}

/// Template text made of the pieces of minijinja's syntax and the letter placeholders.
fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{{ ".to_string()),
        Just(" }}".to_string()),
        Just("{% ".to_string()),
        Just(" %}".to_string()),
        Just("{# ".to_string()),
        Just("signer.full_name".to_string()),
        Just("recipient.name".to_string()),
        Just("signature_count".to_string()),
        Just("date | long_date(\"es\")".to_string()),
        Just("set s = \"ab\" * 60000".to_string()),
        Just("for c in \"xyz\" * 1000".to_string()),
        Just("endfor".to_string()),
        Just("s ~ s ~ s".to_string()),
        Just("if".to_string()),
        Just("endif".to_string()),
        Just(" * 99999999".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        "[a-z ]{0,8}",
    ];
    proptest::collection::vec(piece, 1..24).prop_map(|pieces| pieces.concat())
}

/// A campaign file around `subject` and `body`, each a TOML string.
fn campaign_toml(mode: &str, subject: &str, body: &str) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        "id = \"fuzz\"\ntitle = \"Fuzz\"\norganization = \"Org\"\nmode = \"{mode}\"\n\
         default_language = \"en\"\n\n[letters.en]\nsubject = {}\nbody = {}\n\n\
         [[targets]]\ntarget = \"custom\"\nname = \"Staff\"\nemail = \"staff@example.org\"\n",
        quote(subject),
        quote(body)
    )
}

fn check_renders_within_limits(campaign: &Campaign) -> Result<(), TestCaseError> {
    let Ok(templates) = LetterTemplates::compile(campaign) else {
        return Ok(());
    };
    let signers: Vec<_> = SignatureCsv::new(
        "first_name,last_name,email,city,country\nAna,=cmd,ana@example.org,Lima,PE\n".as_bytes(),
    )
    .expect("a header")
    .filter_map(|row| match row {
        CsvRow::Accepted { signature, .. } => Some(*signature),
        _ => None,
    })
    .collect();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let context = LetterContext::new(campaign, "Staff", 1, date).with_signer(&signers[0]);
    for language in campaign.letters.keys() {
        match templates.render(language, &context) {
            Ok(letter) => {
                prop_assert!(letter.subject.chars().count() <= MAX_RENDERED_SUBJECT_CHARS);
                prop_assert!(letter.body_markdown.len() <= MAX_RENDERED_BODY_BYTES);
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(hillpost_testkit::fuzz::config(256))]

    #[test]
    fn the_signature_importer_never_panics_and_names_every_rejection(bytes in csv_file()) {
        match SignatureCsv::new(bytes.as_slice()) {
            Err(error) => prop_assert!(!error.to_string().is_empty()),
            Ok(rows) => {
                for row in rows {
                    if let CsvRow::Rejected { line, error } = row {
                        prop_assert!(line >= 1);
                        prop_assert!(!error.to_string().is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn the_signature_importer_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(rows) = SignatureCsv::new(bytes.as_slice()) {
            for row in rows {
                if let CsvRow::Rejected { error, .. } = row {
                    prop_assert!(!error.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn campaign_templates_never_panic_nor_render_past_the_limits(
        subject in template(),
        body in template(),
        petition in any::<bool>(),
    ) {
        let mode = if petition { "petition" } else { "individual" };
        match Campaign::from_toml(&campaign_toml(mode, &subject, &body)) {
            Err(error) => prop_assert!(!error.to_string().is_empty()),
            Ok(campaign) => check_renders_within_limits(&campaign)?,
        }
    }

    #[test]
    fn any_text_as_a_campaign_file_is_a_clear_error_or_a_campaign(text in any::<String>()) {
        if let Err(error) = Campaign::from_toml(&text) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}
