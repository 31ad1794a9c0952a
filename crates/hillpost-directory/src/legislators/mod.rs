//! `legislators-current.yaml` (congress-legislators): one record per sitting member with ids,
//! names and terms. Only the current term (the last one listed) matters for delivery: it has
//! the chamber, state, district or Senate class, party and the office's contact details.

mod parse;

use hillpost_core::campaign::Chamber;
use hillpost_core::eligibility::{District, Eligibility};
use hillpost_core::signer::UsState;
use serde::{Deserialize, Serialize};

use crate::office::OfficeCode;
use crate::source::Provenance;

pub use parse::parse_legislators;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Legislator {
    pub bioguide: String,
    pub name: LegislatorName,
    pub term: Term,
    /// The CWC office code derived from the current term.
    pub office_code: OfficeCode,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegislatorName {
    pub first: String,
    pub middle: Option<String>,
    pub last: String,
    pub suffix: Option<String>,
    pub nickname: Option<String>,
    pub official_full: Option<String>,
}

/// The seat a legislator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "chamber", rename_all = "snake_case")]
pub enum Seat {
    Senate {
        class: u8,
    },
    /// District 0 is at large (single-district states, delegates, the resident commissioner).
    House {
        district: u8,
    },
}

/// The current term and the office's contact details as congress-legislators has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub seat: Seat,
    pub state: UsState,
    pub party: String,
    pub start: String,
    pub end: String,
    pub state_rank: Option<String>,
    pub url: Option<String>,
    pub contact_form: Option<String>,
    pub address: Option<String>,
    pub office: Option<String>,
    pub phone: Option<String>,
}

impl LegislatorName {
    /// The name as the member uses it ("Amy Klobuchar"), else first and last.
    pub fn full(&self) -> String {
        self.official_full
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.first, self.last))
    }
}

impl Legislator {
    pub fn chamber(&self) -> Chamber {
        match self.term.seat {
            Seat::Senate { .. } => Chamber::Senate,
            Seat::House { .. } => Chamber::House,
        }
    }

    /// How a letter addresses the office: "Senator Amy Klobuchar", "Representative …";
    /// delegates and Puerto Rico's resident commissioner by their own titles.
    pub fn addressed_as(&self) -> String {
        let title = match (self.term.seat, self.term.state.code()) {
            (Seat::Senate { .. }, _) => "Senator",
            (Seat::House { .. }, "PR") => "Resident Commissioner",
            (Seat::House { .. }, "DC" | "GU" | "VI" | "AS" | "MP") => "Delegate",
            (Seat::House { .. }, _) => "Representative",
        };
        format!("{title} {}", self.name.full())
    }

    /// "R-ID" for a senator, "D-VA-04" for a representative ("-AL" at large).
    pub fn party_and_seat(&self) -> String {
        let party = party_letter(&self.term.party);
        match self.term.seat {
            Seat::Senate { .. } => format!("{party}-{}", self.term.state),
            Seat::House { district } => format!("{party}-{}", self.district_of(district)),
        }
    }

    fn district_of(&self, number: u8) -> District {
        District {
            state: self.term.state,
            number,
        }
    }

    /// Member offices accept only constituents: the state, and for the House the district.
    pub fn eligibility(&self) -> Eligibility {
        match self.term.seat {
            Seat::Senate { .. } => Eligibility::State {
                state: self.term.state,
            },
            Seat::House { district } => Eligibility::District {
                district: self.district_of(district),
            },
        }
    }
}

fn party_letter(party: &str) -> &str {
    match party {
        "Democrat" => "D",
        "Republican" => "R",
        "Independent" => "I",
        other => other.get(..1).unwrap_or("?"),
    }
}

/// A bioguide id: an upper-case letter and six digits.
pub(crate) fn is_bioguide(id: &str) -> bool {
    id.len() == 7
        && id.starts_with(|c: char| c.is_ascii_uppercase())
        && id[1..].chars().all(|c| c.is_ascii_digit())
}
