//! The shapes CWC checks field by field: DeliveryId, phone numbers, ZIP codes, the Senate's
//! prefixes, and the length ranges of the fact sheet.

use std::fmt;

use thiserror::Error;

/// A problem with one element of a message, named by its path in the XML
/// (`Constituent/Zip`). Its text never repeats signer values: it ends up in attempt rows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("CWC {field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// The DeliveryId: exactly 32 characters `[a-zA-Z0-9]`, the same on every retry, so the
/// gateway answers 409 to a retry of a message it already has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryId(String);

impl DeliveryId {
    pub const LEN: usize = 32;

    /// Parses a delivery's idempotency key (32 hexadecimal characters, fixed when the batch
    /// was created).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.len() == Self::LEN && raw.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Self(raw.to_string()))
        } else {
            Err(FieldError::new(
                "Delivery/DeliveryId",
                format!(
                    "must be exactly {} letters and digits; the delivery's key has {} characters",
                    Self::LEN,
                    raw.chars().count()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The prefixes the Senate's schema accepts; the House takes these too.
pub const SENATE_PREFIXES: [&str; 5] = ["Mr.", "Mrs.", "Miss", "Ms.", "Dr."];

/// A US phone number as CWC writes it (`202-225-3121`), from digits with optional
/// punctuation and a leading `+1`/`1`. `None` for anything else (a number abroad).
pub fn us_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if !raw.chars().all(allowed) {
        return None;
    }
    // With a country code, only +1 (the North American plan) is a US number.
    let international = raw.trim_start().starts_with('+');
    let ten = match digits.len() {
        10 if !international => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => return None,
    };
    Some(format!("{}-{}-{}", &ten[..3], &ten[3..6], &ten[6..]))
}

/// `xxx-xxx-xxxx`.
pub fn is_cwc_phone(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 12
        && b.iter().enumerate().all(|(i, c)| match i {
            3 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// `12345` or `12345-6789`.
pub fn is_zip(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => digits(b),
        10 => digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]),
        _ => false,
    }
}

/// Checks that `value` has between `min` and `max` characters.
pub fn check_length(
    field: &'static str,
    value: &str,
    min: usize,
    max: Option<usize>,
) -> Result<(), FieldError> {
    let len = value.chars().count();
    let too_long = max.is_some_and(|max| len > max);
    if len >= min && !too_long {
        return Ok(());
    }
    let range = match max {
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    };
    Err(FieldError::new(
        field,
        format!("is {len} characters long; CWC takes {range}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_ids_are_32_letters_and_digits() {
        let key = "0123456789abcdef0123456789ABCDEF";
        assert_eq!(DeliveryId::parse(key).unwrap().as_str(), key);
        assert!(DeliveryId::parse(&key[1..]).is_err());
        assert!(DeliveryId::parse(&format!("{key}0")).is_err());
        let error = DeliveryId::parse("0123456789abcdef-0123456789abcde").unwrap_err();
        assert_eq!(error.field, "Delivery/DeliveryId");
    }

    #[test]
    fn phones_become_xxx_xxx_xxxx_or_nothing() {
        assert_eq!(us_phone("2022253121").as_deref(), Some("202-225-3121"));
        assert_eq!(
            us_phone("+1 (202) 225-3121").as_deref(),
            Some("202-225-3121")
        );
        assert_eq!(us_phone("12022253121").as_deref(), Some("202-225-3121"));
        assert_eq!(us_phone("+5115551234"), None);
        assert_eq!(us_phone("202225312"), None);
        assert_eq!(us_phone("202-225-3121 ext 4"), None);
        assert!(is_cwc_phone("202-225-3121"));
        assert!(!is_cwc_phone("2022253121"));
        assert!(!is_cwc_phone("202-225-312a"));
    }

    #[test]
    fn zips_are_five_digits_or_zip_plus_four() {
        assert!(is_zip("20515"));
        assert!(is_zip("20515-6301"));
        for bad in ["2051", "205156301", "20515-630", "LIMA 15001", "20515 6301"] {
            assert!(!is_zip(bad), "{bad}");
        }
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert!(check_length("Message/Subject", "ñññññ ", 6, Some(500)).is_ok());
        let error = check_length("Message/Subject", "short", 6, Some(500)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "CWC Message/Subject: is 5 characters long; CWC takes 6 to 500"
        );
        assert!(check_length("Delivery/Organization", "ab", 3, None).is_err());
    }
}
