//! The font every document is set in: Liberation Sans (SIL Open Font License 1.1, see
//! `fonts/OFL.txt`), compiled into the binary so a PDF looks the same on every machine and
//! never depends on the fonts a server happens to have. It covers Latin, Greek and Cyrillic;
//! a character it lacks is printed as a visible replacement mark instead of vanishing, so a
//! signer whose name is in another script still has a row (and the reader sees that
//! something could not be shown).

use std::borrow::Cow;

use krilla::text::Font;
use ttf_parser::{Face, GlyphId};

static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

/// Shown in place of a character the font has no glyph for: WHITE SQUARE, the "tofu" box
/// readers know from missing fonts. (Liberation Sans has no U+FFFD.)
pub const REPLACEMENT: char = '\u{25A1}';
/// Used instead when the font lacks even the replacement character.
const FALLBACK: char = '?';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// One weight's metrics (for line breaking) and its handle for the PDF writer.
struct Style {
    face: Face<'static>,
    pdf: Font,
    units_per_em: f32,
    replacement: char,
}

impl Style {
    fn load(data: &'static [u8]) -> Self {
        let face = Face::parse(data, 0).expect("the bundled font parses");
        let pdf = Font::new(data.into(), 0).expect("krilla reads the bundled font");
        let replacement = if face.glyph_index(REPLACEMENT).is_some() {
            REPLACEMENT
        } else {
            FALLBACK
        };
        Self {
            units_per_em: f32::from(face.units_per_em()),
            face,
            pdf,
            replacement,
        }
    }
}

/// Both weights, loaded once per document.
pub struct Fonts {
    regular: Style,
    bold: Style,
}

impl Fonts {
    pub fn load() -> Self {
        Self {
            regular: Style::load(REGULAR),
            bold: Style::load(BOLD),
        }
    }

    fn style(&self, weight: Weight) -> &Style {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub fn pdf_font(&self, weight: Weight) -> Font {
        self.style(weight).pdf.clone()
    }

    /// `text` with every character the font cannot draw replaced by a visible mark. Control
    /// characters (which draw nothing) become spaces, so the words they separated stay
    /// apart; the rest of the text is kept as it is.
    pub fn printable<'a>(&self, weight: Weight, text: &'a str) -> Cow<'a, str> {
        let style = self.style(weight);
        let drawable = |c: char| c == ' ' || style.face.glyph_index(c).is_some();
        if text.chars().all(|c| !c.is_control() && drawable(c)) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .map(|c| match c {
                    c if c.is_control() => ' ',
                    c if drawable(c) => c,
                    _ => style.replacement,
                })
                .collect(),
        )
    }

    /// Width of already printable `text` at `size` points: the sum of the glyphs' advances.
    /// Kerning only ever narrows a line, so breaking on this width never overflows.
    pub fn width(&self, weight: Weight, text: &str, size: f32) -> f32 {
        let style = self.style(weight);
        let units: u32 = text
            .chars()
            .map(|c| {
                let glyph = style.face.glyph_index(c).unwrap_or(GlyphId(0));
                u32::from(style.face.glyph_hor_advance(glyph).unwrap_or(0))
            })
            .sum();
        units as f32 * size / style.units_per_em
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_greek_and_cyrillic_are_covered_and_the_rest_is_marked() {
        let fonts = Fonts::load();
        for name in [
            "Seán Ó Murchú",
            "Γιώργος Παπαδόπουλος",
            "Анна Иванова",
            "Łukasz Żółć",
        ] {
            assert_eq!(fonts.printable(Weight::Regular, name), name);
        }
        let marked = fonts.printable(Weight::Regular, "王芳 (Wang)");
        assert_eq!(marked.chars().filter(|c| *c == REPLACEMENT).count(), 2);
        assert!(marked.ends_with(" (Wang)"));
        assert!(
            fonts.width(Weight::Bold, "Anna", 10.0) > fonts.width(Weight::Regular, "Ann", 10.0)
        );
    }
}
