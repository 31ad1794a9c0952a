//! `executive.yaml`: every President and Vice President. The current President is the one
//! whose `prez` term started last; the record carries no contact fields (the White House is
//! reached through its form definition or a configured address).

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::error::{Problem, SourceError};
use crate::source::{Provenance, SourceFile};
use crate::yaml::{self, line_of};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Executive {
    pub president: Officeholder,
    pub vice_president: Option<Officeholder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officeholder {
    /// Presidents who never sat in Congress have no bioguide id.
    pub bioguide: Option<String>,
    pub name: String,
    pub party: Option<String>,
    pub start: String,
    pub end: String,
    pub provenance: Provenance,
}

#[derive(Deserialize)]
struct RawPerson {
    id: Option<RawIds>,
    name: RawName,
    #[serde(default)]
    terms: Vec<RawTerm>,
}

#[derive(Deserialize)]
struct RawIds {
    bioguide: Option<String>,
}

#[derive(Deserialize)]
struct RawName {
    first: Option<String>,
    middle: Option<String>,
    last: Option<String>,
    official_full: Option<String>,
}

#[derive(Deserialize)]
struct RawTerm {
    #[serde(rename = "type")]
    kind: String,
    start: String,
    end: String,
    party: Option<String>,
}

/// Parses `executive.yaml` and picks the current President and Vice President.
pub fn parse_executive(source: &SourceFile) -> Result<Executive, SourceError> {
    let people: Vec<Spanned<RawPerson>> = yaml::parse(source)?;
    let latest = |kind: &str| -> Option<Officeholder> {
        people
            .iter()
            .flat_map(|person| {
                person
                    .value
                    .terms
                    .iter()
                    .filter(move |t| t.kind == kind)
                    .map(move |t| (person, t))
            })
            // ISO dates compare as text.
            .max_by(|(_, a), (_, b)| a.start.cmp(&b.start))
            .map(|(person, term)| Officeholder {
                bioguide: person.value.id.as_ref().and_then(|i| i.bioguide.clone()),
                name: full_name(&person.value.name),
                party: term.party.clone(),
                start: term.start.clone(),
                end: term.end.clone(),
                provenance: source.provenance(line_of(person)),
            })
    };
    let president = latest("prez").ok_or_else(|| source.error(0, Problem::NoPresident))?;
    Ok(Executive {
        president,
        vice_president: latest("viceprez"),
    })
}

fn full_name(name: &RawName) -> String {
    if let Some(full) = &name.official_full {
        return full.clone();
    }
    [&name.first, &name.middle, &name.last]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}
