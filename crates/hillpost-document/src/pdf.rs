//! Drawing laid-out pages with krilla, adding the footer ("page 3 of 41" and the signature
//! count) now that the number of pages is known. krilla embeds only the glyphs used (a
//! subset of the font), with a ToUnicode map so the text can be searched and copied.

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::TextDirection;

use crate::fonts::{Fonts, Weight};
use crate::layout::{CONTENT_WIDTH, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, Page, Text, wrap};

const FOOTER_SIZE: f32 = 8.0;

pub fn write(
    pages: &[Page],
    fonts: &Fonts,
    title: &str,
    footer: &str,
) -> Result<Vec<u8>, krilla::error::KrillaError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator("hillpost".to_string()),
    );
    let settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("US Letter has a positive size");
    let footer = footer_text(fonts, footer);
    for (index, page) in pages.iter().enumerate() {
        let mut pdf_page = document.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();
        surface.set_fill(Some(Fill::default()));
        for text in &page.texts {
            draw(&mut surface, fonts, text);
        }
        let y = PAGE_HEIGHT - MARGIN + FOOTER_SIZE;
        draw(&mut surface, fonts, &footer_line(MARGIN, y, footer.clone()));
        let number = format!("page {} of {}", index + 1, pages.len());
        let x = MARGIN + CONTENT_WIDTH - fonts.width(Weight::Regular, &number, FOOTER_SIZE);
        draw(&mut surface, fonts, &footer_line(x, y, number));
        if !page.rules.is_empty() {
            surface.set_stroke(Some(Stroke {
                width: 0.5,
                ..Default::default()
            }));
            let mut path = PathBuilder::new();
            for rule in &page.rules {
                path.move_to(rule.x, rule.y);
                path.line_to(rule.x_end, rule.y);
            }
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.draw_path(&path);
            }
        }
        surface.finish();
        pdf_page.finish();
    }
    document.finish()
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, text: &Text) {
    surface.draw_text(
        Point::from_xy(text.x, text.y),
        fonts.pdf_font(text.weight),
        text.size,
        &text.text,
        false,
        TextDirection::Auto,
    );
}

fn footer_line(x: f32, y: f32, text: String) -> Text {
    Text {
        x,
        y,
        size: FOOTER_SIZE,
        weight: Weight::Regular,
        text,
    }
}

/// The left footer, cut to the first line that fits beside the page number.
fn footer_text(fonts: &Fonts, footer: &str) -> String {
    let printable = fonts.printable(Weight::Regular, footer);
    let mut lines = wrap(
        fonts,
        Weight::Regular,
        &printable,
        FOOTER_SIZE,
        CONTENT_WIDTH * 0.75,
    );
    let first = lines.remove(0);
    if lines.is_empty() {
        first
    } else {
        format!("{first} …")
    }
}
