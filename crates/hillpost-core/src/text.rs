//! Checks shared by every piece of text that ends up in a header, a form field or an XML
//! element: a value that exists has no control characters and a bounded length, so header
//! injection (a CRLF in a name) is impossible by construction, not by escaping later.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("is empty")]
    Empty,
    #[error("contains a line break")]
    LineBreak,
    #[error("contains a control character (U+{0:04X})")]
    Control(u32),
    #[error("is {len} characters long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
}

/// Trims `raw`, collapses runs of spaces to one, and checks it is a single line of at most
/// `max_chars` characters. Returns `Ok(None)` for a value that is empty after trimming.
pub fn single_line(raw: &str, max_chars: usize) -> Result<Option<String>, TextError> {
    for c in raw.chars() {
        if c == '\r' || c == '\n' || c == '\u{2028}' || c == '\u{2029}' {
            return Err(TextError::LineBreak);
        }
        if c.is_control() && c != '\t' {
            return Err(TextError::Control(c as u32));
        }
    }
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Ok(None);
    }
    let len = collapsed.chars().count();
    if len > max_chars {
        return Err(TextError::TooLong {
            len,
            max: max_chars,
        });
    }
    Ok(Some(collapsed))
}

/// Like [`single_line`] but the value must be present.
pub fn required_line(raw: &str, max_chars: usize) -> Result<String, TextError> {
    single_line(raw, max_chars)?.ok_or(TextError::Empty)
}

/// Checks a multi-line text (a letter body): line breaks and tabs are fine, other control
/// characters are not, and its length is bounded in bytes (what a 10 MB paste would exceed).
pub fn multi_line(raw: &str, max_bytes: usize) -> Result<String, TextError> {
    if raw.len() > max_bytes {
        return Err(TextError::TooLong {
            len: raw.len(),
            max: max_bytes,
        });
    }
    if let Some(c) = raw
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::Control(c as u32));
    }
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    if normalised.trim().is_empty() {
        return Err(TextError::Empty);
    }
    Ok(normalised)
}

/// What a control character a letter cannot carry becomes where it must go (XML, a form
/// field, a PDF line): a line break for the ones that separate lines or pages (vertical tab,
/// form feed, NEL, the Unicode line and paragraph separators: what word processors paste),
/// a space for the rest. Dropping them instead ran words together ("processor\u{b}manual"
/// became "processormanual"). Tab, line feed and carriage return are kept as they are.
pub fn without_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let carried = |c: char| matches!(c, '\t' | '\n' | '\r') || !is_breaking_control(c);
    if text.chars().all(carried) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => '\n',
                c if !carried(c) => ' ',
                c => c,
            })
            .collect(),
    )
}

fn is_breaking_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_spaces_or_line_breaks_never_nothing() {
        assert_eq!(
            without_controls("processor\u{b}manual"),
            "processor\nmanual"
        );
        assert_eq!(without_controls("page\u{c}two"), "page\ntwo");
        assert_eq!(without_controls("bell\u{7}ring"), "bell ring");
        assert_eq!(without_controls("a\u{2028}b"), "a\nb");
        assert_eq!(without_controls("tab\there\r\nok"), "tab\there\r\nok");
        assert!(matches!(
            without_controls("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn single_line_rejects_crlf_and_controls() {
        assert_eq!(
            single_line("Ana\r\nBcc: x@y.z", 100),
            Err(TextError::LineBreak)
        );
        assert_eq!(single_line("Ana\u{0}", 100), Err(TextError::Control(0)));
        assert_eq!(
            single_line("  Ana   María  ", 100),
            Ok(Some("Ana María".into()))
        );
        assert_eq!(single_line("   ", 100), Ok(None));
        assert_eq!(
            single_line("ñandú", 4),
            Err(TextError::TooLong { len: 5, max: 4 })
        );
    }

    #[test]
    fn multi_line_normalises_line_endings_and_bounds_size() {
        assert_eq!(multi_line("a\r\nb\rc", 100).unwrap(), "a\nb\nc");
        assert!(matches!(
            multi_line(&"x".repeat(101), 100),
            Err(TextError::TooLong { .. })
        ));
        assert_eq!(multi_line(" \n ", 100), Err(TextError::Empty));
        assert_eq!(multi_line("a\u{7}", 100), Err(TextError::Control(7)));
    }
}
