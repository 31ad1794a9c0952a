use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::signer::Email;
use crate::text;

/// Whom a campaign addresses. Directory targets (committees, members, chambers, the
/// President) are resolved to concrete offices by the directory; custom recipients carry
/// their own endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Committee { id: String, scope: CommitteeScope },
    Member { bioguide: String },
    Chamber { chamber: Chamber },
    President,
    Custom(CustomRecipient),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitteeScope {
    Chair,
    Ranking,
    /// Chair, vice chair and ranking member.
    Leadership,
    Members,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chamber {
    Senate,
    House,
}

/// An office the organizer names with its own endpoint (a committee staff mailbox, a test
/// address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomRecipient {
    /// Stable key used in batch status and audit ("custom:" + a slug of the name unless given).
    pub key: String,
    pub name: String,
    pub email: Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TargetError {
    #[error(
        "`{0}` is not a target (expected committee:ID, member:BIOGUIDE, chamber:senate|house, president or custom)"
    )]
    Unknown(String),
    #[error("`{0}` is not a committee id (letters and digits, e.g. HSFA, SSFR)")]
    CommitteeId(String),
    #[error("`{0}` is not a bioguide id (a letter and six digits, e.g. R000584)")]
    Bioguide(String),
    #[error("`{0}` is not a committee scope (chair, ranking, leadership or members)")]
    Scope(String),
    #[error("a custom target needs `{0}`")]
    Missing(&'static str),
    #[error("{field}: {problem}")]
    Field {
        field: &'static str,
        problem: String,
    },
    #[error("`{field}` does not apply to a {target} target")]
    Unexpected { field: &'static str, target: String },
}

/// The target as written in a campaign file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub target: String,
    pub scope: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub key: Option<String>,
}

impl TryFrom<TargetSpec> for Target {
    type Error = TargetError;

    fn try_from(spec: TargetSpec) -> Result<Self, Self::Error> {
        let (kind, argument) = match spec.target.trim().split_once(':') {
            Some((k, a)) => (k.trim().to_ascii_lowercase(), Some(a.trim().to_string())),
            None => (spec.target.trim().to_ascii_lowercase(), None),
        };
        let reject_custom_fields = |target: &str| -> Result<(), TargetError> {
            for (field, value) in [
                ("name", &spec.name),
                ("email", &spec.email),
                ("key", &spec.key),
            ] {
                if value.is_some() {
                    return Err(TargetError::Unexpected {
                        field,
                        target: target.to_string(),
                    });
                }
            }
            Ok(())
        };
        let no_scope = |target: &str| match spec.scope {
            Some(_) => Err(TargetError::Unexpected {
                field: "scope",
                target: target.to_string(),
            }),
            None => Ok(()),
        };
        match (kind.as_str(), argument) {
            ("committee", Some(id)) => {
                reject_custom_fields("committee")?;
                let id = id.to_ascii_uppercase();
                if !(2..=8).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(TargetError::CommitteeId(id));
                }
                let scope = match spec.scope.as_deref().map(str::trim) {
                    None | Some("members") => CommitteeScope::Members,
                    Some("chair") => CommitteeScope::Chair,
                    Some("ranking") => CommitteeScope::Ranking,
                    Some("leadership") => CommitteeScope::Leadership,
                    Some(other) => return Err(TargetError::Scope(other.to_string())),
                };
                Ok(Target::Committee { id, scope })
            }
            ("member", Some(bioguide)) => {
                reject_custom_fields("member")?;
                no_scope("member")?;
                let bioguide = bioguide.to_ascii_uppercase();
                let shape = bioguide.len() == 7
                    && bioguide.starts_with(|c: char| c.is_ascii_uppercase())
                    && bioguide[1..].chars().all(|c| c.is_ascii_digit());
                if !shape {
                    return Err(TargetError::Bioguide(bioguide));
                }
                Ok(Target::Member { bioguide })
            }
            ("chamber", Some(chamber)) => {
                reject_custom_fields("chamber")?;
                no_scope("chamber")?;
                match chamber.to_ascii_lowercase().as_str() {
                    "senate" => Ok(Target::Chamber {
                        chamber: Chamber::Senate,
                    }),
                    "house" => Ok(Target::Chamber {
                        chamber: Chamber::House,
                    }),
                    _ => Err(TargetError::Unknown(spec.target.clone())),
                }
            }
            ("president", None) => {
                reject_custom_fields("president")?;
                no_scope("president")?;
                Ok(Target::President)
            }
            ("custom", None) => {
                no_scope("custom")?;
                let name = spec.name.as_deref().ok_or(TargetError::Missing("name"))?;
                let name = text::required_line(name, 200).map_err(|e| TargetError::Field {
                    field: "name",
                    problem: e.to_string(),
                })?;
                let email = spec.email.as_deref().ok_or(TargetError::Missing("email"))?;
                let email = Email::parse(email).map_err(|e| TargetError::Field {
                    field: "email",
                    problem: e.to_string(),
                })?;
                let key = match spec.key {
                    Some(key) => key,
                    None => format!("custom:{}", slug(&name)),
                };
                Ok(Target::Custom(CustomRecipient { key, name, email }))
            }
            _ => Err(TargetError::Unknown(spec.target.clone())),
        }
    }
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Committee { id, scope } => write!(f, "committee:{id} ({})", scope.as_str()),
            Target::Member { bioguide } => write!(f, "member:{bioguide}"),
            Target::Chamber {
                chamber: Chamber::Senate,
            } => f.write_str("chamber:senate"),
            Target::Chamber {
                chamber: Chamber::House,
            } => f.write_str("chamber:house"),
            Target::President => f.write_str("president"),
            Target::Custom(c) => write!(f, "custom: {} <{}>", c.name, c.email),
        }
    }
}

impl CommitteeScope {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitteeScope::Chair => "chair",
            CommitteeScope::Ranking => "ranking",
            CommitteeScope::Leadership => "leadership",
            CommitteeScope::Members => "members",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(target: &str) -> TargetSpec {
        TargetSpec {
            target: target.into(),
            ..Default::default()
        }
    }

    #[test]
    fn directory_targets() {
        assert_eq!(
            Target::try_from(TargetSpec {
                scope: Some("chair".into()),
                ..spec("committee:ssfr")
            }),
            Ok(Target::Committee {
                id: "SSFR".into(),
                scope: CommitteeScope::Chair
            })
        );
        assert_eq!(
            Target::try_from(spec("committee:HSFA")),
            Ok(Target::Committee {
                id: "HSFA".into(),
                scope: CommitteeScope::Members
            })
        );
        assert_eq!(
            Target::try_from(spec("member:r000584")),
            Ok(Target::Member {
                bioguide: "R000584".into()
            })
        );
        assert_eq!(
            Target::try_from(spec("chamber:Senate")),
            Ok(Target::Chamber {
                chamber: Chamber::Senate
            })
        );
        assert_eq!(Target::try_from(spec("president")), Ok(Target::President));
    }

    #[test]
    fn custom_targets_need_a_name_and_a_valid_email() {
        let ok = Target::try_from(TargetSpec {
            name: Some("House Foreign Affairs Committee (staff)".into()),
            email: Some("hfac.staff@example.org".into()),
            ..spec("custom")
        })
        .unwrap();
        let Target::Custom(c) = ok else { panic!() };
        assert_eq!(c.key, "custom:house-foreign-affairs-committee-staff");
        assert_eq!(
            Target::try_from(spec("custom")),
            Err(TargetError::Missing("name"))
        );
        assert!(matches!(
            Target::try_from(TargetSpec {
                name: Some("X".into()),
                email: Some("nope".into()),
                ..spec("custom")
            }),
            Err(TargetError::Field { field: "email", .. })
        ));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(matches!(
            Target::try_from(spec("senator:x")),
            Err(TargetError::Unknown(_))
        ));
        assert!(matches!(
            Target::try_from(spec("member:Rubio")),
            Err(TargetError::Bioguide(_))
        ));
        assert!(matches!(
            Target::try_from(TargetSpec {
                scope: Some("everyone".into()),
                ..spec("committee:HSFA")
            }),
            Err(TargetError::Scope(_))
        ));
        assert!(matches!(
            Target::try_from(TargetSpec {
                email: Some("a@b.org".into()),
                ..spec("president")
            }),
            Err(TargetError::Unexpected { field: "email", .. })
        ));
    }
}
