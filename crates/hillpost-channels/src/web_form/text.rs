//! Making text acceptable to office forms, as real senders do: many Senate forms reject
//! "smart" punctuation (or mangle it into mojibake), and limit lengths.

/// Replaces typographic characters forms commonly reject with their ASCII forms, and
/// control characters other than line breaks and tabs with a line break or a space (see
/// [`hillpost_core::text::without_controls`]).
pub fn normalise(text: &str) -> String {
    let text = hillpost_core::text::without_controls(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => out.push('"'),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{2009}' | '\u{200A}' => out.push(' '),
            '\u{200B}' | '\u{FEFF}' => {}
            '\u{2022}' => out.push('*'),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Cuts `text` to at most `max_chars` characters, at the last word boundary that fits (a
/// hard cut only when one word is longer than the limit).
pub fn truncate_on_word(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let hard: String = text.chars().take(max_chars).collect();
    // The boundary may be the space right after the cut.
    let next_is_space = text.chars().nth(max_chars).is_some_and(char::is_whitespace);
    if next_is_space {
        return hard.trim_end().to_string();
    }
    match hard.rfind(char::is_whitespace) {
        Some(at) if at > 0 => hard[..at].trim_end().to_string(),
        _ => hard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_punctuation_becomes_ascii() {
        assert_eq!(
            normalise("\u{201C}Don\u{2019}t\u{201D} \u{2014} 1\u{2013}2\u{2026}\r\nok\u{00A0}"),
            "\"Don't\" - 1-2...\nok "
        );
        assert_eq!(normalise("Pérez"), "Pérez", "letters are kept");
    }

    #[test]
    fn truncation_stops_on_a_word_boundary() {
        assert_eq!(truncate_on_word("short", 10), "short");
        assert_eq!(truncate_on_word("one two three", 9), "one two");
        assert_eq!(truncate_on_word("one two three", 7), "one two");
        assert_eq!(truncate_on_word("abcdefghij", 4), "abcd");
        assert_eq!(truncate_on_word("déjà vu encore", 8), "déjà vu");
    }
}
