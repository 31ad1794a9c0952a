//! `committees-current.yaml`: committees keyed by `thomas_id` (`SSFR`, `HSFA`), each with its
//! subcommittees, whose ids are the parent's plus their own (`HSFA` + `14` = `HSFA14`), as
//! committee membership writes them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::error::{Problem, SourceError};
use crate::source::{Provenance, SourceFile};
use crate::yaml::{self, line_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitteeChamber {
    House,
    Senate,
    Joint,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee {
    pub id: String,
    pub chamber: CommitteeChamber,
    pub name: String,
    pub url: Option<String>,
    pub minority_url: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub subcommittees: Vec<Subcommittee>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subcommittee {
    /// The full id: the parent's id followed by the subcommittee's own (`HSFA14`).
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub provenance: Provenance,
}

#[derive(Deserialize)]
struct RawCommittee {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    thomas_id: Option<String>,
    url: Option<String>,
    minority_url: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    subcommittees: Vec<Spanned<RawSubcommittee>>,
}

#[derive(Deserialize)]
struct RawSubcommittee {
    name: Option<String>,
    thomas_id: Option<String>,
    address: Option<String>,
    phone: Option<String>,
}

/// Parses `committees-current.yaml`; ids (committees and subcommittees alike) must be unique.
pub fn parse_committees(source: &SourceFile) -> Result<Vec<Committee>, SourceError> {
    let raw: Vec<Spanned<RawCommittee>> = yaml::parse(source)?;
    let mut first_seen: HashMap<String, u32> = HashMap::new();
    let mut unique = |id: &str, line: u32| match first_seen.insert(id.to_string(), line) {
        Some(first_line) => Err(source.error(
            line,
            Problem::Duplicate {
                what: "committee id".into(),
                id: id.to_string(),
                first_line,
            },
        )),
        None => Ok(()),
    };
    let mut committees = Vec::with_capacity(raw.len());
    for record in raw {
        let line = line_of(&record);
        let raw = record.value;
        let bad = |id: &str, reason: &str| {
            source.error(
                line,
                Problem::BadCommittee {
                    id: id.to_string(),
                    reason: reason.to_string(),
                },
            )
        };
        let id = raw
            .thomas_id
            .filter(|id| is_committee_id(id))
            .ok_or_else(|| bad("?", "no thomas_id (letters and digits, e.g. SSFR)"))?;
        unique(&id, line)?;
        let chamber = match raw.kind.as_deref() {
            Some("house") => CommitteeChamber::House,
            Some("senate") => CommitteeChamber::Senate,
            Some("joint") => CommitteeChamber::Joint,
            _ => return Err(bad(&id, "type is not house, senate or joint")),
        };
        let name = raw.name.ok_or_else(|| bad(&id, "no name"))?;
        let mut subcommittees = Vec::with_capacity(raw.subcommittees.len());
        for sub in raw.subcommittees {
            let sub_line = line_of(&sub);
            let sub = sub.value;
            let Some(code) = sub.thomas_id.filter(|c| is_committee_id(c)) else {
                return Err(source.error(
                    sub_line,
                    Problem::BadCommittee {
                        id: id.clone(),
                        reason: "a subcommittee without a thomas_id".into(),
                    },
                ));
            };
            let sub_id = format!("{id}{code}");
            unique(&sub_id, sub_line)?;
            subcommittees.push(Subcommittee {
                name: sub.name.unwrap_or_else(|| sub_id.clone()),
                id: sub_id,
                address: sub.address,
                phone: sub.phone,
                provenance: source.provenance(sub_line),
            });
        }
        committees.push(Committee {
            id,
            chamber,
            name,
            url: raw.url,
            minority_url: raw.minority_url,
            address: raw.address,
            phone: raw.phone,
            subcommittees,
            provenance: source.provenance(line),
        });
    }
    Ok(committees)
}

fn is_committee_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 8 && id.chars().all(|c| c.is_ascii_alphanumeric())
}
