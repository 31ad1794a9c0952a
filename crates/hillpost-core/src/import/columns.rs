//! Which CSV column holds which field. Headers are matched case-insensitively after turning
//! spaces and hyphens into underscores, so "First Name", "first-name" and "first_name" agree.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Email,
    FirstName,
    LastName,
    FullName,
    Organization,
    Address1,
    Address2,
    City,
    State,
    PostalCode,
    Country,
    District,
    Language,
    Phone,
    Consent,
    SignedAt,
    Source,
}

impl Column {
    /// Header names accepted for each field: ours first, then Action Network's.
    const ALIASES: &'static [(Column, &'static [&'static str])] = &[
        (Column::Email, &["email", "email_address", "e_mail"]),
        (
            Column::FirstName,
            &["first_name", "firstname", "given_name", "first"],
        ),
        (
            Column::LastName,
            &["last_name", "lastname", "family_name", "surname", "last"],
        ),
        (Column::FullName, &["full_name", "name"]),
        (
            Column::Organization,
            &[
                "organization",
                "organisation",
                "org",
                "organization_name",
                "can2_user_organization",
            ],
        ),
        (
            Column::Address1,
            &[
                "address1",
                "address",
                "address_line1",
                "street",
                "street_address",
                "can2_user_address",
            ],
        ),
        (
            Column::Address2,
            &["address2", "address_line2", "can2_user_address2"],
        ),
        (Column::City, &["city", "locality", "can2_user_city"]),
        (
            Column::State,
            &[
                "state",
                "state_code",
                "can2_state_abbreviated",
                "can2_state",
            ],
        ),
        (
            Column::PostalCode,
            &[
                "zip_code",
                "zip",
                "zipcode",
                "postal_code",
                "postcode",
                "can2_user_zip_code",
            ],
        ),
        (
            Column::Country,
            &["country", "country_code", "can2_country"],
        ),
        (
            Column::District,
            &["district", "congressional_district", "cd"],
        ),
        (Column::Language, &["language", "lang", "locale"]),
        (
            Column::Phone,
            &["phone", "phone_number", "can2_phone", "mobile"],
        ),
        (
            Column::Consent,
            &[
                "receipt_consent",
                "consent",
                "can_be_emailed",
                "email_opt_in",
                "can2_subscription_status",
            ],
        ),
        (
            Column::SignedAt,
            &[
                "signed_at",
                "created_at",
                "timestamp",
                "can2_sign_up_date",
                "date",
            ],
        ),
        (Column::Source, &["source", "referrer", "action_source"]),
    ];

    /// The canonical header name (ours).
    pub fn name(self) -> &'static str {
        Self::ALIASES
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, names)| names[0])
            .unwrap_or("?")
    }

    fn from_header(header: &str) -> Option<Column> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .chars()
            .map(|c| {
                if c == ' ' || c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Self::ALIASES
            .iter()
            .find(|(_, names)| names.contains(&key.as_str()))
            .map(|(c, _)| *c)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    #[error("the file is empty (no header row)")]
    Empty,
    #[error("the header row has no `email` column (found: {0})")]
    NoEmail(String),
    #[error(
        "the header row has no name column: add `first_name`/`last_name`, `name` or `organization` (found: {0})"
    )]
    NoName(String),
    #[error("columns `{first}` and `{second}` both hold {field}; keep one")]
    Ambiguous {
        field: &'static str,
        first: String,
        second: String,
    },
    #[error("the header row is not valid CSV: {0}")]
    Malformed(String),
}

/// Column positions found in a header row.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    positions: Vec<(Column, usize, String)>,
    ignored: Vec<String>,
    width: usize,
}

impl ColumnMap {
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, HeaderError> {
        let mut map = ColumnMap::default();
        let mut seen: Vec<(Column, String)> = Vec::new();
        for (index, header) in headers.into_iter().enumerate() {
            map.width = index + 1;
            match Column::from_header(header) {
                Some(column) => {
                    if let Some((_, first)) = seen.iter().find(|(c, _)| *c == column) {
                        return Err(HeaderError::Ambiguous {
                            field: column.name(),
                            first: first.clone(),
                            second: header.trim().to_string(),
                        });
                    }
                    seen.push((column, header.trim().to_string()));
                    map.positions.push((
                        column,
                        index,
                        header.trim().trim_start_matches('\u{feff}').to_string(),
                    ));
                }
                None if header.trim().is_empty() => {}
                None => map.ignored.push(header.trim().to_string()),
            }
        }
        if map.width == 0 {
            return Err(HeaderError::Empty);
        }
        let found = || {
            seen.iter()
                .map(|(_, h)| h.as_str())
                .chain(map.ignored.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if map.position(Column::Email).is_none() {
            return Err(HeaderError::NoEmail(found()));
        }
        let has_name = [
            Column::FirstName,
            Column::LastName,
            Column::FullName,
            Column::Organization,
        ]
        .iter()
        .any(|c| map.position(*c).is_some());
        if !has_name {
            return Err(HeaderError::NoName(found()));
        }
        Ok(map)
    }

    pub fn position(&self, column: Column) -> Option<usize> {
        self.positions
            .iter()
            .find(|(c, _, _)| *c == column)
            .map(|(_, i, _)| *i)
    }

    /// The header as the file spells it, for messages ("Zip Code: ..." rather than our name).
    pub fn header(&self, column: Column) -> &str {
        self.positions
            .iter()
            .find(|(c, _, _)| *c == column)
            .map(|(_, _, h)| h.as_str())
            .unwrap_or(column.name())
    }

    /// Headers that matched no field; they are read past, and the importer says so.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// How many fields each row must have.
    /// The file's own header of the field at `index` (0-based), for columns we read.
    pub fn header_at(&self, index: usize) -> Option<&str> {
        self.positions
            .iter()
            .find(|(_, position, _)| *position == index)
            .map(|(_, _, header)| header.as_str())
    }

    pub fn width(&self) -> usize {
        self.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_network_headers_map() {
        let map = ColumnMap::from_headers([
            "\u{feff}first_name",
            "last_name",
            "email",
            "zip_code",
            "can2_country",
            "can2_user_city",
            "uuid",
        ])
        .unwrap();
        assert_eq!(map.position(Column::FirstName), Some(0));
        assert_eq!(map.position(Column::Country), Some(4));
        assert_eq!(map.position(Column::City), Some(5));
        assert_eq!(map.ignored(), ["uuid"]);
        assert_eq!(map.width(), 7);
    }

    #[test]
    fn header_problems_are_named() {
        assert!(matches!(
            ColumnMap::from_headers(["first_name", "zip"]),
            Err(HeaderError::NoEmail(_))
        ));
        assert!(matches!(
            ColumnMap::from_headers(["email", "zip"]),
            Err(HeaderError::NoName(_))
        ));
        assert!(matches!(
            ColumnMap::from_headers(["email", "name", "zip", "Postal Code"]),
            Err(HeaderError::Ambiguous {
                field: "zip_code",
                ..
            })
        ));
        assert_eq!(
            ColumnMap::from_headers(["Email", "First Name"])
                .unwrap()
                .position(Column::FirstName),
            Some(1)
        );
    }
}
