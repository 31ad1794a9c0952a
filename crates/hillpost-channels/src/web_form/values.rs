//! The `$VARIABLES` of support/variables.yaml, filled from the letter and its signer.

use std::collections::BTreeMap;

use hillpost_core::delivery::OutgoingLetter;
use hillpost_core::markdown::to_plain_text;
use hillpost_core::signer::NewSignature;

/// Values the operator configures once for every form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormDefaults {
    /// Sent for `$NAME_PREFIX` (the signer data has no title); the closest option the form
    /// offers is chosen.
    pub name_prefix: String,
    /// Used for `$TOPIC` when the letter's subject matches none of a form's topics.
    pub topic: String,
    pub org_name: String,
    pub org_url: String,
    pub campaign_id: String,
}

/// Every variable with a value for this letter from `signer`. A variable that is missing
/// here has no value (the signer did not give a phone, say).
pub fn variables(
    letter: &OutgoingLetter,
    signer: &NewSignature,
    defaults: &FormDefaults,
) -> BTreeMap<&'static str, String> {
    let mut vars = sender_variables(signer, defaults);
    let mut put = |name: &'static str, value: String| {
        if !value.trim().is_empty() {
            vars.insert(name, value);
        }
    };
    put("$SUBJECT", letter.subject.clone());
    put("$MESSAGE", to_plain_text(&letter.body_markdown));
    put("$TOPIC", letter.subject.clone());
    vars
}

/// The variables that come from the sender and the operator's defaults, not the letter:
/// what `targets preview` checks each signer against a form's required fields with.
pub fn sender_variables(
    signer: &NewSignature,
    defaults: &FormDefaults,
) -> BTreeMap<&'static str, String> {
    let mut vars = BTreeMap::new();
    let mut put = |name: &'static str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            vars.insert(name, value);
        }
    };
    let first = signer.first_name.as_ref().map(|n| n.as_str().to_string());
    let last = signer.last_name.as_ref().map(|n| n.as_str().to_string());
    let full = match (&first, &last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.clone().or(l.clone()),
    };
    put("$NAME_PREFIX", Some(defaults.name_prefix.clone()));
    put("$NAME_FIRST", first);
    put("$NAME_LAST", last);
    put("$NAME_FULL", full);
    let address = &signer.address;
    put("$ADDRESS_STREET", address.line1.clone());
    put("$ADDRESS_STREET_2", address.line2.clone());
    put("$ADDRESS_CITY", address.city.clone());
    put(
        "$ADDRESS_STATE_POSTAL_ABBREV",
        address.state.map(|s| s.code().to_string()),
    );
    put(
        "$ADDRESS_STATE_FULL",
        address.state.map(|s| s.name().to_string()),
    );
    let postal = address.postal_code.as_ref();
    put(
        "$ADDRESS_ZIP5",
        postal.and_then(|p| p.zip5()).map(str::to_string),
    );
    let zip4 = postal
        .and_then(|p| p.as_str().split_once('-'))
        .map(|(_, four)| four.to_string());
    put("$ADDRESS_ZIP4", zip4.clone());
    put(
        "$ADDRESS_ZIP_PLUS_4",
        postal
            .and_then(|p| p.zip5())
            .zip(zip4)
            .map(|(five, four)| format!("{five}-{four}")),
    );
    let phone = signer.phone.as_deref().and_then(us_phone_digits);
    put(
        "$PHONE",
        phone
            .as_ref()
            .map(|d| format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..])),
    );
    put(
        "$PHONE_PARENTHESES",
        phone
            .as_ref()
            .map(|d| format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..])),
    );
    put("$EMAIL", Some(signer.email.as_str().to_string()));
    put("$ORG_NAME", Some(defaults.org_name.clone()));
    put("$ORG_URL", Some(defaults.org_url.clone()));
    put("$CAMPAIGN_UUID", Some(defaults.campaign_id.clone()));
    vars
}

/// Ten US digits from a phone written with or without `+1`/`1`.
fn us_phone_digits(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => Some(digits),
        11 if digits.starts_with('1') => Some(digits[1..].to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_us_digits() {
        assert_eq!(
            us_phone_digits("+1 (202) 555-0134").as_deref(),
            Some("2025550134")
        );
        assert_eq!(us_phone_digits("2025550134").as_deref(), Some("2025550134"));
        assert_eq!(us_phone_digits("+44 20 7946 0958"), None);
    }
}
