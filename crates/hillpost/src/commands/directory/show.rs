//! `hillpost directory show committee ID | member BIOGUIDE`: what the directory holds, with
//! the endpoints each office would be reached by, in order, and why.

use hillpost_core::Target;
use hillpost_core::delivery::Channel;
use hillpost_directory::{
    CommitteeRef, Directory, Legislator, ResolveSettings, ResolvedRecipient, Seat, resolve_target,
};

use crate::targets;

pub fn committee(
    directory: &Directory,
    id: &str,
    settings: &ResolveSettings,
    sendable: &[Channel],
) -> anyhow::Result<()> {
    let committee = directory
        .committee(id)
        .ok_or_else(|| anyhow::anyhow!("there is no committee or subcommittee `{id}`"))?;
    println!("{}  {}", committee.id(), committee.name());
    if let CommitteeRef::Committee(c) = committee {
        for (what, value) in [
            ("url", &c.url),
            ("phone", &c.phone),
            ("address", &c.address),
        ] {
            if let Some(value) = value {
                println!("  {what}: {value}");
            }
        }
        if !c.subcommittees.is_empty() {
            let ids: Vec<&str> = c.subcommittees.iter().map(|s| s.id.as_str()).collect();
            println!("  subcommittees: {}", ids.join(", "));
        }
    }
    let members = directory.members_of(id);
    println!("  members ({}):", members.len());
    for seat in members {
        let member = seat.member;
        let roles: Vec<&str> = seat.roles.iter().map(|r| r.as_str()).collect();
        let rank = member
            .rank
            .map(|r| format!(" rank {r}"))
            .unwrap_or_default();
        println!(
            "    {:<15} {}  {}  ({}{rank})",
            roles.join(", "),
            member.bioguide,
            seat.legislator
                .map(|l| format!("{} ({})", l.addressed_as(), l.party_and_seat()))
                .unwrap_or_else(|| member.name.clone()),
            member.side.as_str(),
        );
        if seat.legislator.is_some() {
            let office = office(directory, &member.bioguide, settings)?;
            print_endpoints(&office, "      ", sendable);
        }
    }
    if let Some(mailbox) = settings.committee_mailboxes.get(committee.id()) {
        println!("  staff mailbox: {} <{}>", mailbox.name, mailbox.email);
    }
    Ok(())
}

pub fn member(
    directory: &Directory,
    bioguide: &str,
    settings: &ResolveSettings,
    sendable: &[Channel],
) -> anyhow::Result<()> {
    let legislator = directory
        .legislator(bioguide)
        .ok_or_else(|| anyhow::anyhow!("`{bioguide}` is not a current legislator"))?;
    println!(
        "{}  {} ({})",
        legislator.bioguide,
        legislator.addressed_as(),
        legislator.party_and_seat()
    );
    let term = &legislator.term;
    println!(
        "  seat: {}; term {} to {}",
        seat(legislator),
        term.start,
        term.end
    );
    println!("  office code: {}", legislator.office_code.as_str());
    for (what, value) in [
        ("url", &term.url),
        ("contact form", &term.contact_form),
        ("address", &term.address),
        ("phone", &term.phone),
    ] {
        if let Some(value) = value {
            println!("  {what}: {value}");
        }
    }
    let mut committees = Vec::new();
    for (id, roster) in &directory.rosters {
        if let Some(m) = roster.members.iter().find(|m| m.bioguide == bioguide) {
            let roles: Vec<&str> = roster.roles_of(m).iter().map(|r| r.as_str()).collect();
            committees.push(format!("{id} ({})", roles.join(", ")));
        }
    }
    println!(
        "  committees: {}",
        if committees.is_empty() {
            "none".to_string()
        } else {
            committees.join(", ")
        }
    );
    let p = &legislator.provenance;
    println!(
        "  source: {}:{} (revision {})",
        p.file,
        p.line,
        &p.revision[..12.min(p.revision.len())]
    );
    let office = office(directory, bioguide, settings)?;
    print_endpoints(&office, "  ", sendable);
    Ok(())
}

fn seat(legislator: &Legislator) -> String {
    match legislator.term.seat {
        Seat::Senate { class } => format!("Senate, {}, class {class}", legislator.term.state),
        Seat::House { district: 0 } => format!("House, {} at large", legislator.term.state),
        Seat::House { district } => format!("House, {} district {district}", legislator.term.state),
    }
}

fn office(
    directory: &Directory,
    bioguide: &str,
    settings: &ResolveSettings,
) -> anyhow::Result<ResolvedRecipient> {
    let target = Target::Member {
        bioguide: bioguide.to_string(),
    };
    let mut offices = resolve_target(directory, &target, settings)?;
    offices
        .pop()
        .ok_or_else(|| anyhow::anyhow!("`{bioguide}` resolved to no office"))
}

fn print_endpoints(office: &ResolvedRecipient, indent: &str, sendable: &[Channel]) {
    println!("{indent}endpoints: {}", office.why_endpoint);
    match targets::chosen(office, sendable) {
        Some(e) => println!("{indent}sends via: {} {}", e.channel.as_str(), e.address),
        None => {
            println!("{indent}sends via: nothing yet (no endpoint on a channel hillpost sends)")
        }
    }
}
