//! Test inputs written by hand for hillpost's tests (never copied from ../shared): campaign
//! files and signer lists of any size.

/// A bilingual campaign (`en`, `es`) in `mode` ("individual" or "petition") addressed to the
/// custom recipients `(name, email)`.
pub fn campaign_toml(id: &str, mode: &str, recipients: &[(&str, &str)]) -> String {
    let signer = if mode == "individual" {
        "{{ signer.full_name }}"
    } else {
        "{{ signature_count }} signers"
    };
    let city = if mode == "individual" {
        "{{ signer.city }}"
    } else {
        "everywhere"
    };
    let mut toml = format!(
        r#"id = "{id}"
title = "Bring the troops home"
organization = "Test Peace Coalition"
mode = "{mode}"
default_language = "en"

[letters.en]
subject = "Bring the troops home (from {city})"
body = "Dear {{{{ recipient.name }}}},\n\nPlease bring the troops home.\n\n{signer}\n"

[letters.es]
subject = "Que vuelvan las tropas (desde {city})"
body = "{{{{ recipient.name }}}}:\n\nLes pedimos que retiren las tropas.\n\n{signer}\n"
"#
    );
    for (name, email) in recipients {
        toml.push_str(&format!(
            "\n[[targets]]\ntarget = \"custom\"\nname = \"{name}\"\nemail = \"{email}\"\n"
        ));
    }
    toml
}

/// `count` signers with distinct emails (`signer{i}@example.org`), alternating English and
/// Spanish, Boston and Lima, all consenting to receipts.
pub fn signers_csv(count: usize) -> String {
    let mut csv = String::from("first_name,last_name,email,city,country,language,can_be_emailed\n");
    for i in 0..count {
        let (city, country, language) = if i % 2 == 0 {
            ("Boston", "US", "en")
        } else {
            ("Lima", "PE", "es")
        };
        csv.push_str(&format!(
            "Signer,Number{i},signer{i}@example.org,{city},{country},{language},yes\n"
        ));
    }
    csv
}
