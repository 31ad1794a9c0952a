//! Resolved member offices with the directory's ZIP table: who is a constituent, and the
//! reason for everyone who is not.

use chrono::NaiveDate;
use hillpost_core::Campaign;
use hillpost_core::SignatureId;
use hillpost_core::batch::{Route, SkipReason, StoredSignature, plan_batch_with_districts};
use hillpost_core::campaign::{Chamber, CommitteeScope, Target};
use hillpost_core::eligibility::SignerLocation;
use hillpost_core::import::{CsvRow, SignatureCsv};
use hillpost_core::render::LetterTemplates;
use hillpost_directory::{ResolveSettings, resolve};

use crate::support::directory;

const SIGNERS: &str = "\
first_name,last_name,email,state,zip,district,country
Ana,Arlington,ana@example.org,VA,22204,,US
Ben,Fairfax,ben@example.org,VA,22030,,US
Cy,Fairfax,cy@example.org,VA,22030,11,US
Di,Lima,di@example.org,,15001,,PE
Ed,Nowhere,ed@example.org,,,,US
Flo,Cheyenne,flo@example.org,WY,82001,,US
Gil,San Juan,gil@example.org,,00901,,PR
";

fn signatures() -> Vec<StoredSignature> {
    SignatureCsv::new(SIGNERS.as_bytes())
        .unwrap()
        .map(|row| match row {
            CsvRow::Accepted { signature, .. } => *signature,
            other => panic!("{other:?}"),
        })
        .enumerate()
        .map(|(i, s)| (SignatureId::new(i as i64 + 1), s))
        .collect()
}

#[test]
fn constituents_by_state_and_district() {
    let d = directory();
    let targets = [
        Target::Chamber {
            chamber: Chamber::House,
        },
        Target::Member {
            bioguide: "L000901".into(),
        },
    ];
    let resolved = resolve(&d, &targets, &ResolveSettings::default()).unwrap();
    let signatures = signatures();
    let decisions = |key: &str| -> Vec<String> {
        let recipient = &resolved
            .iter()
            .find(|r| r.recipient.key == key)
            .unwrap()
            .recipient;
        signatures
            .iter()
            .map(|(_, s)| {
                let location = SignerLocation::locate(s, &d.zip_districts);
                match recipient.eligibility.check(&location) {
                    Ok(()) => "ok".to_string(),
                    Err(SkipReason(reason)) => reason,
                }
            })
            .collect()
    };
    let outside = "outside the United States";
    let not = "not a constituent";
    // Johnson, VA-08.
    assert_eq!(
        decisions("member:J000904"),
        [
            "ok",
            "ambiguous district",
            not,
            outside,
            "no address",
            not,
            not
        ]
    );
    // Turing, VA-11: the signer's own district settles the ambiguous ZIP.
    assert_eq!(
        decisions("member:T000905"),
        [
            not,
            "ambiguous district",
            "ok",
            outside,
            "no address",
            not,
            not
        ]
    );
    // Oakley, Wyoming at large: the state is enough.
    assert_eq!(
        decisions("member:O000906"),
        [not, not, not, outside, "no address", "ok", not]
    );
    // Clemente, Puerto Rico's resident commissioner: a signer whose country is PR.
    assert_eq!(
        decisions("member:C000908"),
        [not, not, not, outside, "no address", not, "ok"]
    );
    // Lovelace, a Virginia senator: any Virginian.
    assert_eq!(
        decisions("member:L000901"),
        ["ok", "ok", "ok", outside, "no address", not, not]
    );
}

const CAMPAIGN: &str = r#"
id = "hfa"
title = "Foreign aid"
organization = "Example Coalition"
mode = "individual"
[letters.en]
subject = "About foreign aid"
body = "Dear {{ recipient.name }},\n\n{{ signer.full_name }}\n"
[[targets]]
target = "committee:HSFA"
"#;

#[test]
fn an_individual_batch_sends_only_to_constituents() {
    let d = directory();
    let campaign = Campaign::from_toml(CAMPAIGN).unwrap();
    let resolved = resolve(
        &d,
        &[Target::Committee {
            id: "HSFA".into(),
            scope: CommitteeScope::Members,
        }],
        &ResolveSettings::default(),
    )
    .unwrap();
    let recipients: Vec<_> = resolved.into_iter().map(|r| r.recipient).collect();
    let plan = plan_batch_with_districts(
        &campaign,
        &LetterTemplates::compile(&campaign).unwrap(),
        &signatures(),
        &recipients,
        NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
        &d.zip_districts,
    )
    .unwrap();
    assert_eq!(plan.deliveries.len(), 5 * 7);
    let sent: Vec<(&str, SignatureId)> = plan
        .deliveries
        .iter()
        .filter_map(|delivery| match &delivery.route {
            Route::Send { endpoint, .. } => {
                Some((endpoint.address.as_str(), delivery.signature_id.unwrap()))
            }
            Route::Skip(_) => None,
        })
        .collect();
    // Oakley (WY) gets Flo; Clemente (PR) gets Gil; Johnson (VA-08) Ana; Turing (VA-11) Cy.
    assert_eq!(
        sent,
        [
            ("HWY00", SignatureId::new(6)),
            ("HPR00", SignatureId::new(7)),
            ("HVA08", SignatureId::new(1)),
            ("HVA11", SignatureId::new(3)),
        ]
    );
}
