//! `hillpost email check-dns DOMAIN`: the DNS records a sending domain needs so that
//! receivers believe its letters (DKIM key, SPF for the envelope sender's domain, DMARC),
//! and, where DNS answers, whether they are published.

use std::process::ExitCode;

use hillpost_channels::DkimSigner;

use crate::cli::EmailCommand;
use crate::config::Settings;
use crate::dns::{TxtLookup, lookup_txt};

/// One record to publish, and how to tell the published one is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedRecord {
    pub what: &'static str,
    pub name: String,
    pub value: String,
    /// A published TXT value counts when it starts with this (SPF and DMARC lines are
    /// the operator's to tune; the DKIM key must be exactly ours).
    pub prefix: String,
}

/// The records `domain` needs with these settings.
pub fn wanted_records(settings: &Settings, domain: &str) -> anyhow::Result<Vec<WantedRecord>> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut records = Vec::new();
    if let Some(dkim) = settings.dkim_settings()? {
        let signer = DkimSigner::new(&dkim)?;
        let record = signer.record();
        records.push(WantedRecord {
            what: "DKIM public key",
            name: record.name.clone(),
            value: record.value.clone(),
            prefix: record.value.clone(),
        });
    }
    // SPF is checked against the envelope sender's domain: the bounce domain under VERP.
    let bounce_domain = settings.email.bounce_domain.trim().to_ascii_lowercase();
    let spf_domain = if bounce_domain.is_empty() {
        domain.clone()
    } else {
        bounce_domain
    };
    records.push(WantedRecord {
        what: "SPF (list the relay that sends hillpost's mail; `mx` if it is your MX)",
        name: spf_domain,
        value: "v=spf1 mx -all".into(),
        prefix: "v=spf1 ".into(),
    });
    records.push(WantedRecord {
        what: "DMARC (start with p=none and read the reports, then quarantine)",
        name: format!("_dmarc.{domain}"),
        value: format!("v=DMARC1; p=none; adkim=r; aspf=r; rua=mailto:dmarc-reports@{domain}"),
        prefix: "v=DMARC1".into(),
    });
    Ok(records)
}

/// What DNS said about one wanted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Published,
    /// A record is there, but not ours: what it says.
    Different(Vec<String>),
    Missing,
    /// DNS did not answer: why.
    Unknown(String),
}

pub fn judge(wanted: &WantedRecord, answer: &TxtLookup) -> Found {
    match answer {
        TxtLookup::Values(values) => {
            let relevant: Vec<String> = values
                .iter()
                .filter(|v| {
                    let head = wanted.prefix.split([' ', ';']).next().unwrap_or_default();
                    v.starts_with(head)
                })
                .cloned()
                .collect();
            if relevant.iter().any(|v| same_record(v, &wanted.prefix)) {
                Found::Published
            } else if relevant.is_empty() {
                Found::Missing
            } else {
                Found::Different(relevant)
            }
        }
        TxtLookup::NoRecord => Found::Missing,
        TxtLookup::Failed(why) => Found::Unknown(why.clone()),
    }
}

/// Whether `published` starts with `prefix`, ignoring spaces around `;` (DNS operators
/// write the tags either way).
fn same_record(published: &str, prefix: &str) -> bool {
    let squeeze = |s: &str| s.replace("; ", ";").replace(" ;", ";").trim().to_string();
    squeeze(published).starts_with(&squeeze(prefix))
}

pub async fn run(settings: &Settings, command: EmailCommand) -> anyhow::Result<ExitCode> {
    let EmailCommand::CheckDns {
        domain,
        offline,
        dns_server,
    } = command;
    let records = wanted_records(settings, &domain)?;
    if settings.dkim_settings()?.is_none() {
        println!("DKIM is not enabled ([dkim] enabled = false): no key to publish yet.\n");
    }
    let mut missing = 0;
    for record in &records {
        println!("{}:", record.what);
        println!("  {}  TXT  \"{}\"", record.name, record.value);
        if offline {
            println!();
            continue;
        }
        let answer = lookup_txt(&record.name, dns_server.as_deref()).await;
        match judge(record, &answer) {
            Found::Published => println!("  published"),
            Found::Different(values) => {
                missing += 1;
                println!("  published, but different: {}", values.join(" | "));
            }
            Found::Missing => {
                missing += 1;
                println!("  NOT published");
            }
            Found::Unknown(why) => println!("  not checked: DNS did not answer ({why})"),
        }
        println!();
    }
    if !offline && missing > 0 {
        println!("{missing} record(s) to publish or correct.");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(prefix: &str) -> WantedRecord {
        WantedRecord {
            what: "x",
            name: "n".into(),
            value: prefix.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn published_records_are_told_from_missing_and_different_ones() {
        let dkim = wanted("v=DKIM1; k=rsa; p=AAAA");
        let answer = |v: &[&str]| TxtLookup::Values(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            judge(&dkim, &answer(&["v=DKIM1;k=rsa;p=AAAA"])),
            Found::Published
        );
        assert_eq!(
            judge(&dkim, &answer(&["v=DKIM1; k=rsa; p=BBBB"])),
            Found::Different(vec!["v=DKIM1; k=rsa; p=BBBB".into()])
        );
        assert_eq!(
            judge(&dkim, &answer(&["google-site-verification=x"])),
            Found::Missing
        );
        assert_eq!(judge(&dkim, &TxtLookup::NoRecord), Found::Missing);
        let spf = wanted("v=spf1 ");
        assert_eq!(
            judge(&spf, &answer(&["v=spf1 ip4:192.0.2.1 -all"])),
            Found::Published
        );
        assert!(matches!(
            judge(&spf, &TxtLookup::Failed("timeout".into())),
            Found::Unknown(_)
        ));
    }
}
