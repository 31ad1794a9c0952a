//! Letter bodies are Markdown. Email carries them as plain text and HTML; web forms and CWC
//! take plain text. Raw HTML in a letter is shown as text, never passed through.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Backslash-escapes every ASCII punctuation character so `value` is literal text in Markdown.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    })
}

/// HTML for the email's `text/html` part. A link or image whose address is not web, mail
/// or telephone (`javascript:`, `data:`, `vbscript:` …) keeps its text and loses the link.
pub fn to_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 5 / 4);
    // For each open link or image: whether it was kept (so its end is kept too).
    let mut open: Vec<bool> = Vec::new();
    let events = events(markdown).filter(|event| match event {
        Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
            let keep = safe_link(dest_url);
            open.push(keep);
            keep
        }
        Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => open.pop().unwrap_or(true),
        _ => true,
    });
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// Whether a link address may stay a link in a letter: no scheme (a relative address), or
/// http, https, mailto or tel. Browsers ignore tabs, line breaks and leading spaces in an
/// address ("java\tscript:"), so those are ignored here too before the scheme is read.
fn safe_link(address: &str) -> bool {
    let cleaned: String = address
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let Some(colon) = cleaned.find(':') else {
        return true;
    };
    if cleaned[..colon].contains(['/', '?', '#']) {
        return true; // the colon is past the path's start: no scheme
    }
    let scheme = cleaned[..colon].to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
}

/// Plain text: paragraphs separated by a blank line, list items with "- " or "1. ", links as
/// "text (url)", emphasis markers dropped.
pub fn to_plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    for event in events(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::List(start)) => {
                if !out.is_empty() && !out.ends_with("\n\n") && lists.is_empty() {
                    out.push('\n');
                }
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                let depth = lists.len().saturating_sub(1);
                out.push_str(&"  ".repeat(depth));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop()
                    && !out.ends_with(url.as_str())
                {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if lists.is_empty() {
                    out.push_str("\n\n");
                } else {
                    out.push('\n');
                }
            }
            Event::End(TagEnd::Heading(level)) => {
                if level == HeadingLevel::H1 {
                    out.push('\n');
                }
                out.push_str("\n\n");
            }
            Event::End(TagEnd::CodeBlock) | Event::End(TagEnd::BlockQuote(_)) => out.push('\n'),
            Event::Rule => out.push_str("----\n\n"),
            _ => {}
        }
    }
    let trimmed = out.trim_end();
    let mut text = trimmed.replace("\n\n\n", "\n\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_values_stay_literal() {
        let name = escape("[prize](https://evil.example) <b>*x*</b>");
        let md = format!("Signed, {name}");
        assert_eq!(
            to_plain_text(&md),
            "Signed, [prize](https://evil.example) <b>*x*</b>\n"
        );
        let html = to_html(&md);
        assert!(!html.contains("<a "), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn organizer_markdown_renders() {
        let md = "Dear Chair,\n\nWe ask you to:\n\n1. **suspend** military aid;\n2. withdraw the troops.\n\nSee [the petition](https://example.org/p).\n";
        assert_eq!(
            to_plain_text(md),
            "Dear Chair,\n\nWe ask you to:\n\n1. suspend military aid;\n2. withdraw the troops.\n\nSee the petition (https://example.org/p).\n"
        );
        let html = to_html(md);
        assert!(html.contains("<strong>suspend</strong>"));
        assert!(html.contains("<a href=\"https://example.org/p\">"));
    }

    #[test]
    fn script_links_keep_their_text_and_lose_the_link() {
        for address in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " java\tscript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
        ] {
            let html = to_html(&format!(
                "Read [the report](<{address}>) and ![logo](<{address}>)."
            ));
            assert!(!html.contains("href"), "{address}: {html}");
            assert!(!html.contains("<img"), "{address}: {html}");
            assert!(html.contains("the report"), "{html}");
        }
        let html = to_html("[ok](https://example.org/a:b) [mail](mailto:a@b.org) [rel](/x:y)");
        assert_eq!(html.matches("<a href").count(), 3, "{html}");
    }

    #[test]
    fn raw_html_is_shown_not_executed() {
        let html = to_html("<script>alert(1)</script>\n\nhi");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }
}
