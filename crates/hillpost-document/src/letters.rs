//! The first part of the petition: its title, who runs it and how many signed, then the
//! letter in each of the campaign's languages (the default language first), each on its own
//! page, so an office can read it in the language it prefers.

use hillpost_core::markdown;
use hillpost_core::render::RenderedLetter;

use crate::fonts::{Fonts, Weight};
use crate::layout::{CONTENT_WIDTH, MARGIN, Pages, wrap};
use crate::{Summary, count};

const TITLE_SIZE: f32 = 18.0;
const SUBJECT_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 11.0;
const BODY_LEADING: f32 = 15.0;

pub fn lay_out(pages: &mut Pages, fonts: &Fonts, summary: &Summary, letters: &[RenderedLetter]) {
    paragraph(pages, fonts, Weight::Bold, &summary.title, TITLE_SIZE, 24.0);
    let byline = format!(
        "{} · {} · {}",
        summary.organization,
        count(summary.signatures, "signature", "signatures"),
        summary.date
    );
    paragraph(pages, fonts, Weight::Regular, &byline, 10.0, 14.0);
    pages.gap(18.0);
    for (index, letter) in letters.iter().enumerate() {
        if index > 0 {
            pages.new_page();
        }
        let tag = format!("Letter ({})", letter.language);
        paragraph(pages, fonts, Weight::Regular, &tag, 9.0, 13.0);
        paragraph(
            pages,
            fonts,
            Weight::Bold,
            &letter.subject,
            SUBJECT_SIZE,
            17.0,
        );
        pages.gap(8.0);
        for line in markdown::to_plain_text(&letter.body_markdown).lines() {
            if line.trim().is_empty() {
                pages.gap(BODY_LEADING / 2.0);
            } else {
                paragraph(pages, fonts, Weight::Regular, line, BODY_SIZE, BODY_LEADING);
            }
        }
    }
}

/// `text` wrapped to the content width, one line after another.
fn paragraph(
    pages: &mut Pages,
    fonts: &Fonts,
    weight: Weight,
    text: &str,
    size: f32,
    leading: f32,
) {
    let text = fonts.printable(weight, text);
    for line in wrap(fonts, weight, &text, size, CONTENT_WIDTH) {
        pages.line(MARGIN, size, leading, weight, line);
    }
}
