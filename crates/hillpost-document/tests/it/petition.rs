use hillpost_document::{REPLACEMENT, petition_pdf};

use crate::support::{campaign, date, pages, signatures};

const SIGNERS: &str = "first_name,last_name,organization,email,city,state,country\n\
    Ana,López,,ana@example.org,Lima,,PE\n\
    Γιώργος,Παπαδόπουλος,,giorgos@example.org,Αθήνα,,GR\n\
    ,,CODEPINK,info@codepink.example,,,US\n\
    Анна,Иванова,,anna@example.org,Москва,,RU\n\
    芳,王,,wang@example.org,Shanghai,,CN\n\
    Bob,Smith,,bob@example.org,Boston,MA,US\n\
    ,,Peace Action,office@peace.example,Washington,DC,US\n";

#[test]
fn the_pdf_lists_every_signer_after_the_letter_in_each_language() {
    let signatures = signatures(SIGNERS);
    let pdf = petition_pdf(&campaign(), &signatures, "Committee staff", date()).unwrap();
    let pages = pages(&pdf);
    let text = pages.concat();
    for letter in [
        "Withdraw U.S. troops from Peru",
        "Retiren las tropas del Perú",
    ] {
        assert!(text.contains(letter), "letter `{letter}` missing:\n{text}");
    }
    assert!(text.contains("Dear Committee staff,"));
    assert!(text.contains("We, the 7 undersigned"));
    assert!(text.contains("7 signatures: 2 organizations and 5 people"));

    let people = [
        "Ana López",
        "Γιώργος Παπαδόπουλος",
        "Анна Иванова",
        "Bob Smith",
    ];
    for name in people.iter().chain(&["CODEPINK", "Peace Action"]) {
        assert!(text.contains(name), "signer `{name}` missing:\n{text}");
    }
    for place in [
        "Lima",
        "Peru",
        "Αθήνα",
        "Москва",
        "Boston, MA",
        "Washington, DC",
    ] {
        assert!(text.contains(place), "`{place}` missing");
    }
    // Organizations come first in the table.
    let table = &text[text.find("Organization").unwrap()..];
    let last_organization = table.find("Peace Action").unwrap();
    for name in people {
        assert!(
            table.find(name).unwrap() > last_organization,
            "{name} before an organization"
        );
    }
    // A name the font cannot draw keeps its row, marked rather than dropped.
    let marks: String = [REPLACEMENT, ' ', REPLACEMENT].iter().collect();
    assert!(text.contains(&marks), "no replacement marks:\n{text}");
    assert!(text.contains("Shanghai"));
}

#[test]
fn every_page_is_numbered_and_carries_the_count() {
    let rows: String = (0..300)
        .map(|i| format!("Signer{i},Family{i},,s{i}@example.org,Lima,,PE\n"))
        .collect();
    let signatures = signatures(&format!(
        "first_name,last_name,organization,email,city,state,country\n{rows}"
    ));
    let pdf = petition_pdf(&campaign(), &signatures, "Committee staff", date()).unwrap();
    let pages = pages(&pdf);
    assert!(
        pages.len() > 5,
        "300 signers take several pages, got {}",
        pages.len()
    );
    let total = pages.len();
    for (index, page) in pages.iter().enumerate() {
        let number = format!("page {} of {total}", index + 1);
        assert!(page.contains(&number), "`{number}` missing:\n{page}");
        assert!(
            page.contains("300 signatures"),
            "page {} has no count",
            index + 1
        );
    }
    let text = pages.concat();
    for i in 0..300 {
        assert!(
            text.contains(&format!("Signer{i} Family{i}")),
            "signer {i} missing"
        );
    }
}

#[test]
fn long_cells_wrap_instead_of_being_cut() {
    let long = "International League of Peace and Freedom Lima section and all its friends";
    let csv = format!(
        "first_name,last_name,organization,email,city,country\nAna,López,{long},ana@example.org,Lima,PE\n"
    );
    let pdf = petition_pdf(&campaign(), &signatures(&csv), "Committee staff", date()).unwrap();
    let text = pages(&pdf).concat();
    // The extractor joins wrapped lines without a space; compare without whitespace.
    let squeezed: String = text.split_whitespace().collect();
    assert!(
        squeezed.contains(&long.replace(' ', "")),
        "a word was lost:\n{text}"
    );
    assert!(text.contains("1 signature:"), "{text}");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let signatures = signatures(SIGNERS);
    let a = petition_pdf(&campaign(), &signatures, "Committee staff", date()).unwrap();
    let b = petition_pdf(&campaign(), &signatures, "Committee staff", date()).unwrap();
    assert!(a == b, "the PDF is not deterministic");
}
