//! The diff as `hillpost directory import` prints it: one section per kind of change, one
//! line per record, `+` added, `-` removed, `~` changed.

use std::fmt;

use super::DirectoryDiff;

fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(none)")
}

impl fmt::Display for DirectoryDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no changes");
        }
        if !(self.legislators_added.is_empty() && self.legislators_removed.is_empty()) {
            writeln!(
                f,
                "legislators: {} added, {} removed",
                self.legislators_added.len(),
                self.legislators_removed.len()
            )?;
            for n in &self.legislators_added {
                writeln!(f, "  + {}  {}", n.id, n.label)?;
            }
            for n in &self.legislators_removed {
                writeln!(f, "  - {}  {}", n.id, n.label)?;
            }
        }
        if !self.contact_changes.is_empty() {
            writeln!(f, "contact details: {} changed", self.contact_changes.len())?;
            for c in &self.contact_changes {
                writeln!(
                    f,
                    "  ~ {}  {}: {} {} -> {}",
                    c.bioguide,
                    c.label,
                    c.field,
                    or_none(&c.old),
                    or_none(&c.new)
                )?;
            }
        }
        if !(self.forms_added.is_empty()
            && self.forms_removed.is_empty()
            && self.forms_changed.is_empty())
        {
            writeln!(
                f,
                "form definitions: {} added, {} removed, {} changed",
                self.forms_added.len(),
                self.forms_removed.len(),
                self.forms_changed.len()
            )?;
            for id in &self.forms_added {
                writeln!(f, "  + {id}")?;
            }
            for id in &self.forms_removed {
                writeln!(f, "  - {id}")?;
            }
            for id in &self.forms_changed {
                writeln!(f, "  ~ {id}")?;
            }
        }
        if !(self.committees_added.is_empty() && self.committees_removed.is_empty()) {
            writeln!(
                f,
                "committees: {} added, {} removed",
                self.committees_added.len(),
                self.committees_removed.len()
            )?;
            for n in &self.committees_added {
                writeln!(f, "  + {}  {}", n.id, n.label)?;
            }
            for n in &self.committees_removed {
                writeln!(f, "  - {}  {}", n.id, n.label)?;
            }
        }
        for roster in &self.memberships {
            writeln!(f, "committee {} ({}):", roster.committee, roster.name)?;
            for n in &roster.joined {
                writeln!(f, "  + joined  {}  {}", n.id, n.label)?;
            }
            for n in &roster.left {
                writeln!(f, "  - left    {}  {}", n.id, n.label)?;
            }
            for r in &roster.retitled {
                writeln!(
                    f,
                    "  ~ title   {}  {}: {} -> {}",
                    r.member.id,
                    r.member.label,
                    or_none(&r.old),
                    or_none(&r.new)
                )?;
            }
        }
        Ok(())
    }
}
