//! `committee-membership-current.yaml`: committee or subcommittee id → its members, each with
//! side (majority/minority), rank within the side and an optional title ("Chairman",
//! "Ranking Member", "Vice Chair", "Ex Officio"…).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::error::{Problem, SourceError};
use crate::legislators::is_bioguide;
use crate::source::{Provenance, SourceFile};
use crate::yaml::{self, Entries, line_of};

/// The members of one committee or subcommittee, in the order the file lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeRoster {
    pub committee: String,
    pub members: Vec<CommitteeMember>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeMember {
    pub bioguide: String,
    pub name: String,
    pub side: Side,
    /// Seniority within the side, 1 first.
    pub rank: Option<u32>,
    /// The title as written, for display.
    pub title: Option<String>,
    pub role: Role,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Majority,
    Minority,
}

/// What a title makes of a member. Spellings vary between chambers and years ("Chair",
/// "Chairman", "Chairwoman", "Cochairman"; "Vice Chair", "Vice Chairman"…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Chair,
    ViceChair,
    RankingMember,
    ExOfficio,
    Member,
}

impl Role {
    pub fn from_title(title: Option<&str>) -> Self {
        let Some(title) = title else {
            return Role::Member;
        };
        let folded: String = title
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_lowercase();
        match folded.as_str() {
            "chair" | "chairman" | "chairwoman" | "cochair" | "cochairman" | "cochairwoman" => {
                Role::Chair
            }
            "rankingmember" => Role::RankingMember,
            "exofficio" => Role::ExOfficio,
            f if f.starts_with("vicechair") => Role::ViceChair,
            _ => Role::Member,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Chair => "chair",
            Role::ViceChair => "vice chair",
            Role::RankingMember => "ranking member",
            Role::ExOfficio => "ex officio",
            Role::Member => "member",
        }
    }
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Majority => "majority",
            Side::Minority => "minority",
        }
    }
}

#[derive(Deserialize)]
struct RawMember {
    name: Option<String>,
    party: Option<String>,
    rank: Option<u32>,
    title: Option<String>,
    bioguide: Option<String>,
}

/// Parses committee membership. Each list must name its members by bioguide id, once each;
/// whether the committee and the members exist is checked when the directory is assembled.
pub fn parse_membership(source: &SourceFile) -> Result<Vec<CommitteeRoster>, SourceError> {
    let Entries(entries): Entries<Spanned<String>, Vec<Spanned<RawMember>>> = yaml::parse(source)?;
    let mut rosters = Vec::with_capacity(entries.len());
    for (committee, raw_members) in entries {
        let committee_line = line_of(&committee);
        let committee = committee.value;
        let mut seen: HashMap<String, u32> = HashMap::new();
        let mut members = Vec::with_capacity(raw_members.len());
        for raw in raw_members {
            let line = line_of(&raw);
            let raw = raw.value;
            let name = raw.name.unwrap_or_default();
            let Some(bioguide) = raw.bioguide.map(|b| b.trim().to_string()) else {
                return Err(source.error(
                    line,
                    Problem::MemberWithoutBioguide {
                        committee: committee.clone(),
                        name,
                    },
                ));
            };
            if !is_bioguide(&bioguide) {
                return Err(source.error(line, Problem::BadBioguide { id: bioguide }));
            }
            if let Some(first_line) = seen.insert(bioguide.clone(), line) {
                return Err(source.error(
                    line,
                    Problem::Duplicate {
                        what: format!("member of {committee}"),
                        id: bioguide,
                        first_line,
                    },
                ));
            }
            let side = match raw.party.as_deref() {
                Some("majority") => Side::Majority,
                Some("minority") => Side::Minority,
                other => {
                    return Err(source.error(
                        line,
                        Problem::BadMember {
                            reason: format!(
                                "{committee}: {bioguide} has party {other:?} (expected majority or minority)"
                            ),
                        },
                    ));
                }
            };
            members.push(CommitteeMember {
                role: Role::from_title(raw.title.as_deref()),
                bioguide,
                name,
                side,
                rank: raw.rank,
                title: raw.title,
                provenance: source.provenance(line),
            });
        }
        rosters.push(CommitteeRoster {
            committee,
            members,
            provenance: source.provenance(committee_line),
        });
    }
    Ok(rosters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_roles() {
        for (title, role) in [
            (Some("Chairman"), Role::Chair),
            (Some("Chairwoman"), Role::Chair),
            (Some("Cochairman"), Role::Chair),
            (Some("Vice Chairwoman"), Role::ViceChair),
            (Some("Ranking Member"), Role::RankingMember),
            (Some("Ex Officio"), Role::ExOfficio),
            (Some("Secretary"), Role::Member),
            (None, Role::Member),
        ] {
            assert_eq!(Role::from_title(title), role, "{title:?}");
        }
    }
}
