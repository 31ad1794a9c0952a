//! Assembling a [`Directory`] from the files of one import, already in memory. Pure: the
//! files are read by [`crate::load`].
//!
//! Legislators, committees and membership are all-or-nothing: the first malformed record
//! stops the import with its file, line and reason, so a stored directory is never half
//! replaced. Form definitions are per file: one that cannot be used is listed in
//! [`Directory::rejected_forms`] and the others are imported.

use std::collections::{BTreeMap, HashSet};

use crate::committees::parse_committees;
use crate::directory::Directory;
use crate::error::{Problem, SourceError};
use crate::executive::parse_executive;
use crate::forms::{FormKind, FormSupport, parse_constants, parse_form, parse_variables};
use crate::legislators::parse_legislators;
use crate::membership::parse_membership;
use crate::source::SourceFile;
use crate::zip_districts::ZipDistricts;

/// The files of one import.
#[derive(Debug, Clone)]
pub struct Sources {
    pub legislators: SourceFile,
    pub committees: SourceFile,
    pub membership: SourceFile,
    pub executive: Option<SourceFile>,
    pub form_variables: Option<SourceFile>,
    pub form_constants: Option<SourceFile>,
    /// contact-congress `members/*.yaml`.
    pub member_forms: Vec<SourceFile>,
    /// contact-officials `*.yaml` (the White House).
    pub official_forms: Vec<SourceFile>,
    pub zip_districts: Option<SourceFile>,
}

impl Sources {
    fn all(&self) -> impl Iterator<Item = &SourceFile> {
        [&self.legislators, &self.committees, &self.membership]
            .into_iter()
            .chain(self.executive.as_ref())
            .chain(self.form_variables.as_ref())
            .chain(self.form_constants.as_ref())
            .chain(&self.member_forms)
            .chain(&self.official_forms)
            .chain(self.zip_districts.as_ref())
    }
}

/// Parses and cross-checks every file into a directory.
pub fn build_directory(sources: &Sources) -> Result<Directory, SourceError> {
    let mut directory = Directory::default();
    for legislator in parse_legislators(&sources.legislators)? {
        directory
            .legislators
            .insert(legislator.bioguide.clone(), legislator);
    }
    let committees = parse_committees(&sources.committees)?;
    let mut committee_ids: HashSet<String> = HashSet::new();
    for committee in committees {
        committee_ids.insert(committee.id.clone());
        committee_ids.extend(committee.subcommittees.iter().map(|s| s.id.clone()));
        directory.committees.insert(committee.id.clone(), committee);
    }
    for roster in parse_membership(&sources.membership)? {
        if !committee_ids.contains(&roster.committee) {
            return Err(roster.provenance.error(Problem::UnknownCommittee {
                id: roster.committee,
            }));
        }
        if let Some(member) = roster
            .members
            .iter()
            .find(|m| !directory.legislators.contains_key(&m.bioguide))
        {
            return Err(member.provenance.error(Problem::UnknownMember {
                committee: roster.committee.clone(),
                bioguide: member.bioguide.clone(),
                name: member.name.clone(),
            }));
        }
        directory.rosters.insert(roster.committee.clone(), roster);
    }
    directory.executive = sources
        .executive
        .as_ref()
        .map(parse_executive)
        .transpose()?;
    directory.form_support = FormSupport {
        variables: match &sources.form_variables {
            Some(file) => parse_variables(file)?,
            None => BTreeMap::new(),
        },
        constants: match &sources.form_constants {
            Some(file) => parse_constants(file)?,
            None => BTreeMap::new(),
        },
    };
    let forms = sources
        .member_forms
        .iter()
        .map(|f| (f, FormKind::Member))
        .chain(
            sources
                .official_forms
                .iter()
                .map(|f| (f, FormKind::Official)),
        );
    for (file, kind) in forms {
        match parse_form(file, kind, &directory.form_support) {
            Ok(form) => {
                if let Some(first) = directory.forms.get(&form.id) {
                    directory.rejected_forms.push(file.error(
                        1,
                        Problem::Duplicate {
                            what: format!("form id (also in {})", first.provenance.file),
                            id: form.id.clone(),
                            first_line: first.provenance.line,
                        },
                    ));
                    continue;
                }
                directory.forms.insert(form.id.clone(), form);
            }
            Err(error) => directory.rejected_forms.push(error),
        }
    }
    if let Some(file) = &sources.zip_districts {
        directory.zip_districts = ZipDistricts::parse(file)?;
    }
    directory.sources = sources
        .all()
        .map(|f| (f.name().to_string(), f.revision().to_string()))
        .collect();
    Ok(directory)
}
