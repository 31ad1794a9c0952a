//! Reading `legislators-current.yaml` into [`Legislator`]s, checking ids and current terms.

use std::collections::HashMap;

use hillpost_core::signer::UsState;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Legislator, LegislatorName, Seat, Term, is_bioguide};
use crate::error::{Problem, SourceError};
use crate::office::OfficeCode;
use crate::source::SourceFile;
use crate::yaml::{self, line_of};

#[derive(Deserialize)]
struct RawLegislator {
    id: Option<RawIds>,
    name: Option<RawName>,
    #[serde(default)]
    terms: Vec<Spanned<RawTerm>>,
}

#[derive(Deserialize)]
struct RawIds {
    bioguide: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct RawName {
    first: Option<String>,
    middle: Option<String>,
    last: Option<String>,
    suffix: Option<String>,
    nickname: Option<String>,
    official_full: Option<String>,
}

#[derive(Deserialize)]
struct RawTerm {
    #[serde(rename = "type")]
    kind: String,
    start: String,
    end: String,
    state: String,
    district: Option<i64>,
    class: Option<i64>,
    party: Option<String>,
    state_rank: Option<String>,
    url: Option<String>,
    contact_form: Option<String>,
    address: Option<String>,
    office: Option<String>,
    phone: Option<String>,
}

/// Parses `legislators-current.yaml`. Every legislator needs a well-formed, unique bioguide id
/// and a current term with a state and a seat; the first problem found is the error.
pub fn parse_legislators(source: &SourceFile) -> Result<Vec<Legislator>, SourceError> {
    let raw: Vec<Spanned<RawLegislator>> = yaml::parse(source)?;
    let mut first_seen: HashMap<String, u32> = HashMap::new();
    let mut legislators = Vec::with_capacity(raw.len());
    for record in raw {
        let line = line_of(&record);
        let Some(bioguide) = record.value.id.and_then(|ids| ids.bioguide) else {
            return Err(source.error(line, Problem::MissingBioguide));
        };
        let id_line = line_of(&bioguide);
        let bioguide = bioguide.value.trim().to_string();
        if !is_bioguide(&bioguide) {
            return Err(source.error(id_line, Problem::BadBioguide { id: bioguide }));
        }
        if let Some(first_line) = first_seen.insert(bioguide.clone(), line) {
            return Err(source.error(
                id_line,
                Problem::Duplicate {
                    what: "bioguide id".into(),
                    id: bioguide,
                    first_line,
                },
            ));
        }
        let name = name(record.value.name).map_err(|reason| {
            source.error(
                line,
                Problem::BadLegislator {
                    bioguide: bioguide.clone(),
                    reason,
                },
            )
        })?;
        let Some(raw_term) = record.value.terms.into_iter().last() else {
            return Err(source.error(line, Problem::NoTerm { bioguide }));
        };
        let term_line = line_of(&raw_term);
        let term = term(raw_term.value).map_err(|reason| {
            source.error(
                term_line,
                Problem::BadLegislator {
                    bioguide: bioguide.clone(),
                    reason,
                },
            )
        })?;
        let office_code = match term.seat {
            Seat::Senate { class } => OfficeCode::senate(term.state, class),
            Seat::House { district } => OfficeCode::house(term.state, district),
        };
        legislators.push(Legislator {
            bioguide,
            name,
            term,
            office_code,
            provenance: source.provenance(line),
        });
    }
    Ok(legislators)
}

fn name(raw: Option<RawName>) -> Result<LegislatorName, String> {
    let raw = raw.ok_or("no name")?;
    Ok(LegislatorName {
        first: raw.first.ok_or("no first name")?,
        middle: raw.middle,
        last: raw.last.ok_or("no last name")?,
        suffix: raw.suffix,
        nickname: raw.nickname,
        official_full: raw.official_full,
    })
}

fn term(raw: RawTerm) -> Result<Term, String> {
    let state = UsState::parse(&raw.state).map_err(|e| e.to_string())?;
    let seat = match raw.kind.as_str() {
        "sen" => {
            let class = raw.class.ok_or("a Senate term without a class")?;
            match u8::try_from(class) {
                Ok(class @ 1..=3) => Seat::Senate { class },
                _ => return Err(format!("Senate class {class} (expected 1, 2 or 3)")),
            }
        }
        "rep" => {
            let district = raw.district.ok_or("a House term without a district")?;
            match u8::try_from(district) {
                Ok(district @ 0..=99) => Seat::House { district },
                _ => return Err(format!("district {district} (expected 0 to 99)")),
            }
        }
        other => return Err(format!("term type `{other}` (expected sen or rep)")),
    };
    Ok(Term {
        seat,
        state,
        party: raw.party.ok_or("a term without a party")?,
        start: raw.start,
        end: raw.end,
        state_rank: raw.state_rank,
        url: raw.url,
        contact_form: raw.contact_form,
        address: raw.address,
        office: raw.office,
        phone: raw.phone,
    })
}
