//! A committee target: its members' offices per scope, plus the staff mailbox the organizer
//! configured for it.

use hillpost_core::campaign::CommitteeScope;

use super::{ResolveError, ResolveSettings, ResolvedRecipient, custom_office, member_office};
use crate::directory::Directory;
use crate::membership::{CommitteeMember, Role};

/// Committee offices in scope order: chair, vice chair(s), ranking member; for `members`,
/// the majority by rank then the minority by rank; a configured staff mailbox last.
pub(super) fn resolve(
    directory: &Directory,
    id: &str,
    scope: CommitteeScope,
    settings: &ResolveSettings,
) -> Result<Vec<ResolvedRecipient>, ResolveError> {
    let committee = directory
        .committee(id)
        .ok_or_else(|| ResolveError::UnknownCommittee(id.to_string()))?;
    let roster = directory
        .roster(id)
        .ok_or_else(|| ResolveError::NoMembership(id.to_string()))?;
    let missing = |role: Role| ResolveError::NoLeader {
        committee: id.to_string(),
        role: role.as_str().to_string(),
    };
    let seats: Vec<(Role, &CommitteeMember)> = match scope {
        CommitteeScope::Chair => vec![(Role::Chair, roster.chair().ok_or(missing(Role::Chair))?)],
        CommitteeScope::Ranking => vec![(
            Role::RankingMember,
            roster
                .ranking_member()
                .ok_or(missing(Role::RankingMember))?,
        )],
        CommitteeScope::Leadership => roster.leadership(),
        CommitteeScope::Members => {
            let mut members: Vec<&CommitteeMember> = roster.members.iter().collect();
            members.sort_by_key(|m| (m.side, m.rank.unwrap_or(u32::MAX), m.bioguide.clone()));
            members
                .into_iter()
                .map(|m| {
                    let role = roster.roles_of(m).first().copied().unwrap_or(Role::Member);
                    (role, m)
                })
                .collect()
        }
    };
    let committee_words = format!("{} ({})", committee.id(), committee.name());
    let mut resolved = Vec::with_capacity(seats.len() + 1);
    for (role, member) in seats {
        let legislator = directory
            .legislator(&member.bioguide)
            .ok_or_else(|| ResolveError::UnknownMember(member.bioguide.clone()))?;
        let because = match role {
            Role::Member | Role::ExOfficio => format!(
                "{} of {committee_words}, {}{}",
                role.as_str(),
                member.side.as_str(),
                member
                    .rank
                    .map(|r| format!(" rank {r}"))
                    .unwrap_or_default()
            ),
            _ => format!("{} of {committee_words}", role.as_str()),
        };
        resolved.push(member_office(legislator, because, directory, settings));
    }
    if let Some(mailbox) = settings.committee_mailboxes.get(committee.id()) {
        resolved.push(custom_office(
            mailbox,
            format!("staff mailbox of {committee_words}"),
        ));
    }
    Ok(resolved)
}
