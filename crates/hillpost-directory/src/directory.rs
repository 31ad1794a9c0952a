//! The directory: one in-memory snapshot of everything imported, with the lookups target
//! resolution needs. It is plain data (serde) so the store can keep it and a later import can
//! be compared with it ([`crate::diff`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::committees::{Committee, Subcommittee};
use crate::error::SourceError;
use crate::executive::Executive;
use crate::forms::{FormDefinition, FormSupport};
use crate::legislators::Legislator;
use crate::membership::{CommitteeMember, CommitteeRoster, Role};
use crate::zip_districts::ZipDistricts;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// By bioguide id.
    pub legislators: BTreeMap<String, Legislator>,
    /// By thomas id; subcommittees inside their committee.
    pub committees: BTreeMap<String, Committee>,
    /// Committee or subcommittee id → its members.
    pub rosters: BTreeMap<String, CommitteeRoster>,
    pub executive: Option<Executive>,
    /// By form id: the bioguide id for members, the file's stem for other officials.
    pub forms: BTreeMap<String, FormDefinition>,
    pub form_support: FormSupport,
    /// Form files that could not be used, each with file, line and reason.
    pub rejected_forms: Vec<SourceError>,
    pub zip_districts: ZipDistricts,
    /// Every file read: name → revision (SHA-256).
    pub sources: BTreeMap<String, String>,
}

/// A committee or one of its subcommittees.
#[derive(Debug, Clone, Copy)]
pub enum CommitteeRef<'a> {
    Committee(&'a Committee),
    Subcommittee {
        parent: &'a Committee,
        subcommittee: &'a Subcommittee,
    },
}

impl<'a> CommitteeRef<'a> {
    pub fn id(&self) -> &'a str {
        match self {
            CommitteeRef::Committee(c) => &c.id,
            CommitteeRef::Subcommittee { subcommittee, .. } => &subcommittee.id,
        }
    }

    /// "Senate Committee on Foreign Relations"; a subcommittee with its parent's name.
    pub fn name(&self) -> String {
        match self {
            CommitteeRef::Committee(c) => c.name.clone(),
            CommitteeRef::Subcommittee {
                parent,
                subcommittee,
            } => format!("{}: Subcommittee on {}", parent.name, subcommittee.name),
        }
    }
}

/// A member as `directory show committee` lists them.
#[derive(Debug, Clone)]
pub struct SeatHolder<'a> {
    pub member: &'a CommitteeMember,
    pub roles: Vec<Role>,
    /// `None` only if the directory was assembled without its legislators.
    pub legislator: Option<&'a Legislator>,
}

impl Directory {
    pub fn legislator(&self, bioguide: &str) -> Option<&Legislator> {
        self.legislators.get(bioguide)
    }

    /// A committee or subcommittee by id (`SSFR`, `HSFA14`).
    pub fn committee(&self, id: &str) -> Option<CommitteeRef<'_>> {
        if let Some(committee) = self.committees.get(id) {
            return Some(CommitteeRef::Committee(committee));
        }
        self.committees.values().find_map(|parent| {
            parent
                .subcommittees
                .iter()
                .find(|s| s.id == id)
                .map(|subcommittee| CommitteeRef::Subcommittee {
                    parent,
                    subcommittee,
                })
        })
    }

    pub fn roster(&self, committee: &str) -> Option<&CommitteeRoster> {
        self.rosters.get(committee)
    }

    /// The committee's members in the file's order (majority by rank, then minority), each
    /// with their roles.
    pub fn members_of(&self, committee: &str) -> Vec<SeatHolder<'_>> {
        let Some(roster) = self.roster(committee) else {
            return Vec::new();
        };
        roster
            .members
            .iter()
            .map(|member| SeatHolder {
                member,
                roles: roster.roles_of(member),
                legislator: self.legislator(&member.bioguide),
            })
            .collect()
    }

    pub fn chair(&self, committee: &str) -> Option<&Legislator> {
        self.roster(committee)?
            .chair()
            .and_then(|m| self.legislator(&m.bioguide))
    }

    pub fn ranking_member(&self, committee: &str) -> Option<&Legislator> {
        self.roster(committee)?
            .ranking_member()
            .and_then(|m| self.legislator(&m.bioguide))
    }

    pub fn vice_chairs(&self, committee: &str) -> Vec<&Legislator> {
        self.roster(committee)
            .map(|r| r.vice_chairs())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| self.legislator(&m.bioguide))
            .collect()
    }

    /// Chair, vice chair(s), ranking member, each once.
    pub fn leadership(&self, committee: &str) -> Vec<(Role, &Legislator)> {
        self.roster(committee)
            .map(|r| r.leadership())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(role, m)| self.legislator(&m.bioguide).map(|l| (role, l)))
            .collect()
    }

    /// The form definition for a member (by bioguide) or an official (by form id).
    pub fn form(&self, id: &str) -> Option<&FormDefinition> {
        self.forms.get(id)
    }
}
