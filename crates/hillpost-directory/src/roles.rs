//! Who leads a committee. Titles say most of it; where a title is missing the rules of the
//! chambers fill in: the chair is the majority's most senior member, the ranking member the
//! most senior member of the minority (by rank, ex officio members aside).

use crate::membership::{CommitteeMember, CommitteeRoster, Role, Side};

impl CommitteeRoster {
    /// The chair: the majority's titled chair (some caucuses also title a minority co-chair),
    /// else any titled chair, else the majority's most senior member.
    pub fn chair(&self) -> Option<&CommitteeMember> {
        let titled = |side: Option<Side>| {
            self.members
                .iter()
                .find(|m| m.role == Role::Chair && side.is_none_or(|s| m.side == s))
        };
        titled(Some(Side::Majority))
            .or_else(|| titled(None))
            .or_else(|| self.most_senior(Side::Majority))
    }

    /// The ranking member: the titled one, else the most senior member of the minority.
    pub fn ranking_member(&self) -> Option<&CommitteeMember> {
        self.members
            .iter()
            .find(|m| m.role == Role::RankingMember)
            .or_else(|| self.most_senior(Side::Minority))
    }

    pub fn vice_chairs(&self) -> Vec<&CommitteeMember> {
        self.members
            .iter()
            .filter(|m| m.role == Role::ViceChair)
            .collect()
    }

    /// Chair, vice chair(s) and ranking member, each once, in that order.
    pub fn leadership(&self) -> Vec<(Role, &CommitteeMember)> {
        let mut leaders: Vec<(Role, &CommitteeMember)> = Vec::new();
        let candidates = self
            .chair()
            .map(|m| (Role::Chair, m))
            .into_iter()
            .chain(self.vice_chairs().into_iter().map(|m| (Role::ViceChair, m)))
            .chain(self.ranking_member().map(|m| (Role::RankingMember, m)));
        for (role, member) in candidates {
            if !leaders.iter().any(|(_, m)| m.bioguide == member.bioguide) {
                leaders.push((role, member));
            }
        }
        leaders
    }

    /// Every role a member holds here ("vice chair" and "ranking member" can be one person,
    /// as on the Senate's Ethics and Intelligence committees).
    pub fn roles_of(&self, member: &CommitteeMember) -> Vec<Role> {
        let is = |m: Option<&CommitteeMember>| m.is_some_and(|m| m.bioguide == member.bioguide);
        let mut roles = Vec::new();
        if is(self.chair()) || member.role == Role::Chair {
            roles.push(Role::Chair);
        }
        if member.role == Role::ViceChair {
            roles.push(Role::ViceChair);
        }
        if is(self.ranking_member()) {
            roles.push(Role::RankingMember);
        }
        if member.role == Role::ExOfficio {
            roles.push(Role::ExOfficio);
        }
        if roles.is_empty() {
            roles.push(Role::Member);
        }
        roles
    }

    fn most_senior(&self, side: Side) -> Option<&CommitteeMember> {
        self.members
            .iter()
            .filter(|m| m.side == side && m.role != Role::ExOfficio)
            .min_by_key(|m| m.rank.unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn member(bioguide: &str, side: Side, rank: u32, title: Option<&str>) -> CommitteeMember {
        CommitteeMember {
            bioguide: bioguide.into(),
            name: bioguide.into(),
            side,
            rank: Some(rank),
            title: title.map(String::from),
            role: Role::from_title(title),
            provenance: SourceFile::new("m.yaml", "").provenance(1),
        }
    }

    fn roster(members: Vec<CommitteeMember>) -> CommitteeRoster {
        CommitteeRoster {
            committee: "SLET".into(),
            members,
            provenance: SourceFile::new("m.yaml", "").provenance(1),
        }
    }

    #[test]
    fn titles_first_then_seniority() {
        let r = roster(vec![
            member("A000001", Side::Majority, 1, Some("Chairman")),
            member("A000002", Side::Majority, 2, None),
            member("B000001", Side::Minority, 2, None),
            member("B000002", Side::Minority, 1, Some("Vice Chairman")),
            member("B000003", Side::Minority, 3, Some("Ex Officio")),
        ]);
        assert_eq!(r.chair().unwrap().bioguide, "A000001");
        assert_eq!(r.ranking_member().unwrap().bioguide, "B000002");
        let leaders: Vec<_> = r
            .leadership()
            .into_iter()
            .map(|(role, m)| (role, m.bioguide.as_str()))
            .collect();
        assert_eq!(
            leaders,
            [(Role::Chair, "A000001"), (Role::ViceChair, "B000002")],
            "the vice chair who is also ranking member appears once"
        );
        assert_eq!(
            r.roles_of(&r.members[3]),
            [Role::ViceChair, Role::RankingMember]
        );
        assert_eq!(r.roles_of(&r.members[4]), [Role::ExOfficio]);
    }

    #[test]
    fn without_titles_the_most_senior_lead() {
        let r = roster(vec![
            member("A000002", Side::Majority, 2, None),
            member("A000001", Side::Majority, 1, None),
            member("B000009", Side::Minority, 1, Some("Ex Officio")),
            member("B000002", Side::Minority, 2, None),
        ]);
        assert_eq!(r.chair().unwrap().bioguide, "A000001");
        assert_eq!(r.ranking_member().unwrap().bioguide, "B000002");
    }
}
