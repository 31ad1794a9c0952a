//! What a re-import changes, printed by `hillpost directory import` before it is applied:
//! legislators added or removed, changed contact URLs, form definitions added, removed or
//! changed, committees added or removed, and members who joined or left a committee or whose
//! title changed.

mod display;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::directory::Directory;
use crate::legislators::Legislator;
use crate::membership::CommitteeMember;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DirectoryDiff {
    pub legislators_added: Vec<Named>,
    pub legislators_removed: Vec<Named>,
    pub contact_changes: Vec<ContactChange>,
    pub forms_added: Vec<String>,
    pub forms_removed: Vec<String>,
    /// The file's revision changed.
    pub forms_changed: Vec<String>,
    pub committees_added: Vec<Named>,
    pub committees_removed: Vec<Named>,
    /// Per committee or subcommittee id, only those with changes.
    pub memberships: Vec<RosterChange>,
}

/// An id with the words a reader recognises it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactChange {
    pub bioguide: String,
    pub label: String,
    /// `url` or `contact_form`.
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterChange {
    pub committee: String,
    pub name: String,
    pub joined: Vec<Named>,
    pub left: Vec<Named>,
    pub retitled: Vec<Retitled>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retitled {
    pub member: Named,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl DirectoryDiff {
    /// Compares the stored directory (`old`) with a freshly imported one (`new`).
    pub fn between(old: &Directory, new: &Directory) -> Self {
        let mut diff = DirectoryDiff::default();
        let (added, removed, kept) = split_keys(&old.legislators, &new.legislators);
        diff.legislators_added = added
            .iter()
            .map(|id| legislator(&new.legislators[*id]))
            .collect();
        diff.legislators_removed = removed
            .iter()
            .map(|id| legislator(&old.legislators[*id]))
            .collect();
        for id in kept {
            let (before, after) = (&old.legislators[id].term, &new.legislators[id].term);
            for (field, old_value, new_value) in [
                ("url", &before.url, &after.url),
                ("contact_form", &before.contact_form, &after.contact_form),
            ] {
                if old_value != new_value {
                    diff.contact_changes.push(ContactChange {
                        bioguide: id.clone(),
                        label: new.legislators[id].addressed_as(),
                        field,
                        old: old_value.clone(),
                        new: new_value.clone(),
                    });
                }
            }
        }

        let (added, removed, kept) = split_keys(&old.forms, &new.forms);
        diff.forms_added = added.into_iter().cloned().collect();
        diff.forms_removed = removed.into_iter().cloned().collect();
        diff.forms_changed = kept
            .into_iter()
            .filter(|id| old.forms[*id].provenance.revision != new.forms[*id].provenance.revision)
            .cloned()
            .collect();

        let (added, removed, _) = split_keys(&old.committees, &new.committees);
        let committee = |d: &Directory, id: &String| Named {
            id: id.clone(),
            label: d.committees[id].name.clone(),
        };
        diff.committees_added = added.into_iter().map(|id| committee(new, id)).collect();
        diff.committees_removed = removed.into_iter().map(|id| committee(old, id)).collect();

        let ids: BTreeSet<&String> = old.rosters.keys().chain(new.rosters.keys()).collect();
        for id in ids {
            let members = |d: &Directory| -> BTreeMap<String, CommitteeMember> {
                d.rosters
                    .get(id)
                    .map(|r| {
                        r.members
                            .iter()
                            .map(|m| (m.bioguide.clone(), m.clone()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (before, after) = (members(old), members(new));
            let (joined, left, stayed) = split_keys(&before, &after);
            let change = RosterChange {
                committee: id.clone(),
                name: new
                    .committee(id)
                    .or_else(|| old.committee(id))
                    .map_or_else(|| id.clone(), |c| c.name()),
                joined: joined.iter().map(|b| member(&after[*b])).collect(),
                left: left.iter().map(|b| member(&before[*b])).collect(),
                retitled: stayed
                    .into_iter()
                    .filter(|b| before[*b].title != after[*b].title)
                    .map(|b| Retitled {
                        member: Named {
                            id: b.clone(),
                            label: format!("{} ({})", after[b].name, after[b].side.as_str()),
                        },
                        old: before[b].title.clone(),
                        new: after[b].title.clone(),
                    })
                    .collect(),
            };
            if !(change.joined.is_empty() && change.left.is_empty() && change.retitled.is_empty()) {
                diff.memberships.push(change);
            }
        }
        diff
    }

    pub fn is_empty(&self) -> bool {
        *self == DirectoryDiff::default()
    }
}

/// Keys only in `new`, only in `old`, and in both; each sorted.
fn split_keys<'a, V>(
    old: &'a BTreeMap<String, V>,
    new: &'a BTreeMap<String, V>,
) -> (Vec<&'a String>, Vec<&'a String>, Vec<&'a String>) {
    let added = new.keys().filter(|k| !old.contains_key(*k)).collect();
    let removed = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let kept = new.keys().filter(|k| old.contains_key(*k)).collect();
    (added, removed, kept)
}

fn legislator(l: &Legislator) -> Named {
    Named {
        id: l.bioguide.clone(),
        label: format!("{} ({})", l.addressed_as(), l.party_and_seat()),
    }
}

fn member(m: &CommitteeMember) -> Named {
    let rank = m.rank.map(|r| format!(", rank {r}")).unwrap_or_default();
    let title = m
        .title
        .as_ref()
        .map(|t| format!(", {t}"))
        .unwrap_or_default();
    Named {
        id: m.bioguide.clone(),
        label: format!("{} ({}{rank}{title})", m.name, m.side.as_str()),
    }
}
