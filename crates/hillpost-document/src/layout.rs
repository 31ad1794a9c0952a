//! Pages as plain data: where each run of text and each rule goes. Laying out first and
//! drawing afterwards is what lets every footer say "page 3 of 41": the total is only known
//! once everything has been placed.

use crate::fonts::{Fonts, Weight};

/// US Letter, in points: what congressional offices print on.
pub const PAGE_WIDTH: f32 = 612.0;
pub const PAGE_HEIGHT: f32 = 792.0;
pub const MARGIN: f32 = 54.0;
/// The footer sits below the content area.
pub const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 12.0;
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// One line of text; `y` is its baseline, measured down from the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub weight: Weight,
    pub text: String,
}

/// A horizontal rule across `x..x_end` at `y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub x: f32,
    pub x_end: f32,
    pub y: f32,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Page {
    pub texts: Vec<Text>,
    pub rules: Vec<Rule>,
}

/// Places content top to bottom, starting a new page when the next block does not fit.
pub struct Pages {
    pub done: Vec<Page>,
    pub current: Page,
    /// The top of the free space on the current page.
    pub cursor: f32,
}

impl Pages {
    pub fn new() -> Self {
        Self {
            done: Vec::new(),
            current: Page::default(),
            cursor: MARGIN,
        }
    }

    pub fn new_page(&mut self) {
        let page = std::mem::take(&mut self.current);
        self.done.push(page);
        self.cursor = MARGIN;
    }

    /// Starts a new page unless `height` more points fit on this one.
    /// Returns whether it started one.
    pub fn ensure(&mut self, height: f32) -> bool {
        let fits = self.cursor + height <= CONTENT_BOTTOM;
        let fresh = self.cursor <= MARGIN;
        if !fits && !fresh {
            self.new_page();
            return true;
        }
        false
    }

    /// Puts a line of text at the cursor's height (plus the font's ascent) and moves on.
    pub fn line(&mut self, x: f32, size: f32, leading: f32, weight: Weight, text: String) {
        self.ensure(leading);
        let y = self.cursor + size;
        self.current.texts.push(Text {
            x,
            y,
            size,
            weight,
            text,
        });
        self.cursor += leading;
    }

    pub fn gap(&mut self, height: f32) {
        self.cursor += height;
    }

    pub fn finish(mut self) -> Vec<Page> {
        if !self.current.texts.is_empty() || self.done.is_empty() {
            self.done.push(self.current);
        }
        self.done
    }
}

/// Breaks printable `text` into lines no wider than `width`: at spaces where possible,
/// inside a word only when the word alone is wider than the line. Never loses a character.
pub fn wrap(fonts: &Fonts, weight: Weight, text: &str, size: f32, width: f32) -> Vec<String> {
    let fits = |line: &str| fonts.width(weight, line, size) <= width;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word starts a line; split it if even that is too wide.
        for c in word.chars() {
            line.push(c);
            if !fits(&line) && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_within_the_width() {
        let fonts = Fonts::load();
        let text =
            "Peru needs democracy and justice, not more soldiers. Antidisestablishmentarianismus";
        let lines = wrap(&fonts, Weight::Regular, text, 11.0, 80.0);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(fonts.width(Weight::Regular, line, 11.0) <= 80.0, "{line}");
        }
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        assert_eq!(wrap(&fonts, Weight::Regular, "", 11.0, 80.0), [""]);
    }

    #[test]
    fn a_block_that_does_not_fit_starts_a_new_page() {
        let mut pages = Pages::new();
        for i in 0..100 {
            pages.line(MARGIN, 10.0, 14.0, Weight::Regular, format!("line {i}"));
        }
        let pages = pages.finish();
        assert!(pages.len() > 1);
        assert!(
            pages
                .iter()
                .flat_map(|p| &p.texts)
                .all(|t| t.y <= CONTENT_BOTTOM)
        );
        assert_eq!(pages.iter().map(|p| p.texts.len()).sum::<usize>(), 100);
    }
}
