//! One CSV row → one [`NewSignature`], or the reason it was refused.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::columns::{Column, ColumnMap};
use crate::signer::{
    Country, Email, Language, NewSignature, OrganizationName, PersonName, PostalAddress,
    PostalCode, UsState,
};
use crate::text;

/// Why a row was refused. Displayed as "column: problem"; the importer adds the line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowError {
    /// The row is not well-formed CSV (wrong number of fields, bad quoting).
    Malformed(String),
    /// A field's value is not acceptable. `header` is the column as the file names it.
    Field {
        column: Column,
        header: String,
        problem: String,
    },
    /// Neither a person's name nor an organization.
    NoName,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowError::Malformed(why) => write!(f, "malformed row: {why}"),
            RowError::Field {
                header, problem, ..
            } => write!(f, "{header}: {problem}"),
            RowError::NoName => {
                f.write_str("no name: give first_name/last_name, name or organization")
            }
        }
    }
}

impl std::error::Error for RowError {}

/// Reads the fields of one row, by column.
pub(super) struct RowFields<'a> {
    pub(super) map: &'a ColumnMap,
    pub(super) fields: Vec<&'a str>,
}

impl RowFields<'_> {
    fn error(&self, column: Column) -> impl Fn(&dyn fmt::Display) -> RowError + '_ {
        move |problem| RowError::Field {
            column,
            header: self.map.header(column).to_string(),
            problem: problem.to_string(),
        }
    }

    fn line(&self, column: Column, max: usize) -> Result<Option<String>, RowError> {
        text::single_line(self.get(column), max).map_err(|e| self.error(column)(&e))
    }

    fn get(&self, column: Column) -> &str {
        self.map
            .position(column)
            .and_then(|i| self.fields.get(i))
            .copied()
            .unwrap_or("")
    }

    pub(super) fn to_signature(&self) -> Result<NewSignature, RowError> {
        let email =
            Email::parse(self.get(Column::Email)).map_err(|e| self.error(Column::Email)(&e))?;

        let mut first_name = PersonName::parse_optional(self.get(Column::FirstName))
            .map_err(|e| self.error(Column::FirstName)(&e))?;
        let last_name = PersonName::parse_optional(self.get(Column::LastName))
            .map_err(|e| self.error(Column::LastName)(&e))?;
        if first_name.is_none() && last_name.is_none() {
            // A single "name" column is kept whole: splitting names is a guess we don't make.
            first_name = PersonName::parse_optional(self.get(Column::FullName))
                .map_err(|e| self.error(Column::FullName)(&e))?;
        }
        let organization = OrganizationName::parse_optional(self.get(Column::Organization))
            .map_err(|e| self.error(Column::Organization)(&e))?;
        if first_name.is_none() && last_name.is_none() && organization.is_none() {
            return Err(RowError::NoName);
        }

        let country = optional(self.get(Column::Country), Country::parse)
            .map_err(|e| self.error(Column::Country)(&e))?;
        let postal_code = PostalCode::parse_optional(self.get(Column::PostalCode), country)
            .map_err(|e| self.error(Column::PostalCode)(&e))?;
        // A "state" outside the US is a province or region: not one of ours to check.
        let state = match country {
            Some(Country::US) | None => UsState::parse_optional(self.get(Column::State))
                .map_err(|e| self.error(Column::State)(&e))?,
            Some(_) => None,
        };
        let address = PostalAddress {
            line1: self.line(Column::Address1, 200)?,
            line2: self.line(Column::Address2, 200)?,
            city: self.line(Column::City, 100)?,
            state,
            postal_code,
            country,
        };
        let district = optional(self.get(Column::District), |raw| parse_district(raw, state))
            .map_err(|e| self.error(Column::District)(&e))?;
        let language = optional(self.get(Column::Language), Language::parse)
            .map_err(|e| self.error(Column::Language)(&e))?;
        let phone = optional(self.get(Column::Phone), parse_phone)
            .map_err(|e| self.error(Column::Phone)(&e))?;
        let receipt_consent = parse_consent(self.get(Column::Consent))
            .map_err(|e| self.error(Column::Consent)(&e))?;
        let signed_at = optional(self.get(Column::SignedAt), parse_timestamp)
            .map_err(|e| self.error(Column::SignedAt)(&e))?;
        let source = self.line(Column::Source, 200)?;

        Ok(NewSignature {
            email,
            first_name,
            last_name,
            organization,
            address,
            district,
            language,
            phone,
            receipt_consent,
            signed_at,
            source,
        })
    }
}

fn optional<T, E>(raw: &str, parse: impl Fn(&str) -> Result<T, E>) -> Result<Option<T>, E> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

/// "4", "04", "VA-04" or "VA4"; 0 is an at-large seat. A state prefix must agree with the
/// row's state.
fn parse_district(raw: &str, state: Option<UsState>) -> Result<u8, String> {
    let trimmed = raw.trim();
    let digits_at = trimmed
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| format!("`{trimmed}` has no district number"))?;
    let (prefix, number) = trimmed.split_at(digits_at);
    let prefix = prefix.trim_end_matches(['-', ' ']);
    if !prefix.is_empty() {
        let named = UsState::parse(prefix).map_err(|e| e.to_string())?;
        if state.is_some_and(|s| s != named) {
            return Err(format!(
                "`{trimmed}` is in {} but the row's state is {}",
                named.code(),
                state.map(|s| s.code()).unwrap_or("")
            ));
        }
    }
    let value: u8 = number
        .parse()
        .map_err(|_| format!("`{trimmed}` is not a district number"))?;
    if value > 60 {
        return Err(format!(
            "`{trimmed}` is not a district number (no state has more than 52)"
        ));
    }
    Ok(value)
}

fn parse_phone(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_digit() || " +-().".contains(c)))
    {
        return Err(format!("`{trimmed}` is not a phone number"));
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) {
        return Err(format!(
            "`{trimmed}` is not a phone number (7 to 15 digits)"
        ));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

/// Consent must be explicit: a blank or absent column means no receipt email.
fn parse_consent(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "n" | "0" | "unsubscribed" | "bouncing" | "off" => Ok(false),
        "true" | "yes" | "y" | "1" | "subscribed" | "x" | "on" | "si" | "sí" => Ok(true),
        other => Err(format!("`{other}` is neither yes nor no")),
    }
}

fn parse_timestamp(raw: &str) -> Result<DateTime<Utc>, String> {
    let trimmed = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(t.with_timezone(&Utc));
    }
    let without_utc = trimmed.trim_end_matches(" UTC");
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(without_utc, format) {
            return Ok(t.and_utc());
        }
    }
    for format in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(without_utc, format) {
            return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        }
    }
    Err(format!(
        "`{trimmed}` is not a date (expected 2023-06-25, 2023-06-25 14:03:00 or RFC 3339)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts() {
        let va = UsState::parse("VA").ok();
        assert_eq!(parse_district("4", va), Ok(4));
        assert_eq!(parse_district("VA-04", va), Ok(4));
        assert_eq!(parse_district("va4", None), Ok(4));
        assert_eq!(parse_district("0", None), Ok(0));
        assert!(parse_district("MD-04", va).is_err());
        assert!(parse_district("99", va).is_err());
        assert!(parse_district("north", va).is_err());
    }

    #[test]
    fn phones_consent_and_dates() {
        assert_eq!(parse_phone("(202) 225-3121"), Ok("2022253121".into()));
        assert_eq!(parse_phone("+51 1 555 1234"), Ok("+5115551234".into()));
        assert!(parse_phone("call me").is_err());
        assert_eq!(parse_consent("Subscribed"), Ok(true));
        assert_eq!(parse_consent(""), Ok(false));
        assert!(parse_consent("maybe").is_err());
        assert_eq!(
            parse_timestamp("2023-06-25").unwrap().to_rfc3339(),
            "2023-06-25T00:00:00+00:00"
        );
        assert_eq!(
            parse_timestamp("2023-06-25 14:03:00 UTC")
                .unwrap()
                .to_rfc3339(),
            "2023-06-25T14:03:00+00:00"
        );
        assert!(parse_timestamp("yesterday").is_err());
    }
}
