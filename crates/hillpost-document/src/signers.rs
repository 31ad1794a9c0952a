//! The second part of the petition: the table of signers (name, organization, city,
//! country), organizations first, in the order hillpost-core's petition list uses for the CSV,
//! so the two attachments agree. Long cells wrap inside their column rather than being cut,
//! and the column headings repeat at the top of every page.

use hillpost_core::NewSignature;
use hillpost_core::signer::SignerKind;

use crate::fonts::{Fonts, Weight};
use crate::layout::{CONTENT_WIDTH, MARGIN, Pages, Rule, Text, wrap};
use crate::{Summary, count};

const SIZE: f32 = 9.0;
const LEADING: f32 = 11.5;
const ROW_GAP: f32 = 3.0;
const PADDING: f32 = 6.0;
/// Column widths as shares of the content width: name, organization, city, country.
const SHARES: [f32; 4] = [0.30, 0.30, 0.22, 0.18];
const HEADINGS: [&str; 4] = ["Name", "Organization", "City", "Country"];

pub fn lay_out(pages: &mut Pages, fonts: &Fonts, summary: &Summary, signers: &[&NewSignature]) {
    pages.new_page();
    pages.line(MARGIN, 14.0, 20.0, Weight::Bold, "Signers".into());
    let organizations = signers
        .iter()
        .filter(|s| s.kind() == SignerKind::Organization)
        .count();
    let intro = format!(
        "{}: {} and {}. Organizations are listed first.",
        count(summary.signatures, "signature", "signatures"),
        count(organizations, "organization", "organizations"),
        count(signers.len() - organizations, "person", "people")
    );
    pages.line(MARGIN, 10.0, 18.0, Weight::Regular, intro);
    heading_row(pages, fonts);
    for signer in signers {
        let cells = cells(signer).map(|cell| fonts.printable(Weight::Regular, &cell).into_owned());
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(columns())
            .map(|(cell, (_, width))| wrap(fonts, Weight::Regular, cell, SIZE, width - PADDING))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * LEADING + ROW_GAP;
        if pages.ensure(height) {
            heading_row(pages, fonts);
        }
        for (column, (x, _)) in wrapped.into_iter().zip(columns()) {
            for (index, line) in column.into_iter().enumerate() {
                if line.is_empty() {
                    continue;
                }
                pages.current.texts.push(Text {
                    x,
                    y: pages.cursor + SIZE + index as f32 * LEADING,
                    size: SIZE,
                    weight: Weight::Regular,
                    text: line,
                });
            }
        }
        pages.gap(height);
    }
}

/// Left edge and width of each column.
fn columns() -> impl Iterator<Item = (f32, f32)> {
    let mut x = MARGIN;
    SHARES.iter().map(move |share| {
        let width = share * CONTENT_WIDTH;
        let column = (x, width);
        x += width;
        column
    })
}

fn heading_row(pages: &mut Pages, fonts: &Fonts) {
    pages.ensure(LEADING * 3.0);
    for (heading, (x, _)) in HEADINGS.iter().zip(columns()) {
        let text = fonts.printable(Weight::Bold, heading).into_owned();
        pages.current.texts.push(Text {
            x,
            y: pages.cursor + SIZE,
            size: SIZE,
            weight: Weight::Bold,
            text,
        });
    }
    pages.gap(LEADING);
    pages.current.rules.push(Rule {
        x: MARGIN,
        x_end: MARGIN + CONTENT_WIDTH,
        y: pages.cursor - 1.0,
    });
    pages.gap(ROW_GAP + 1.0);
}

/// The four cells of a signer's row. An organization's own name goes in the organization
/// column, as in the CSV; a person's affiliation does too.
fn cells(signer: &NewSignature) -> [String; 4] {
    let name = match signer.kind() {
        SignerKind::Person => signer.full_name(),
        SignerKind::Organization => String::new(),
    };
    let organization = signer
        .organization
        .as_ref()
        .map(|o| o.as_str().to_string())
        .unwrap_or_default();
    let a = &signer.address;
    let city = match (a.city.as_deref(), a.state) {
        (Some(city), Some(state)) => format!("{city}, {}", state.code()),
        (Some(city), None) => city.to_string(),
        (None, Some(state)) => state.code().to_string(),
        (None, None) => String::new(),
    };
    let country = a.country.map(|c| c.name()).unwrap_or_default();
    [name, organization, city, country]
}
