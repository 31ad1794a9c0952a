//! Targets → recipients: each target kind and scope, endpoint order, eligibility, reasons,
//! and the order a preview shows.

use std::collections::BTreeSet;

use hillpost_core::batch::{Eligibility, Endpoint};
use hillpost_core::campaign::{Chamber, CommitteeScope, CustomRecipient, Target};
use hillpost_core::delivery::Channel;
use hillpost_core::signer::Email;
use hillpost_directory::resolve::CwcOffices;
use hillpost_directory::{ResolveError, ResolveSettings, ResolvedRecipient, resolve};

use crate::support::directory;

fn committee(id: &str, scope: CommitteeScope) -> Target {
    Target::Committee {
        id: id.into(),
        scope,
    }
}

fn run(targets: &[Target]) -> Vec<ResolvedRecipient> {
    resolve(&directory(), targets, &ResolveSettings::default()).unwrap()
}

fn keys(resolved: &[ResolvedRecipient]) -> Vec<&str> {
    resolved.iter().map(|r| r.recipient.key.as_str()).collect()
}

fn endpoint(channel: Channel, address: &str, rate_key: &str) -> Endpoint {
    Endpoint {
        channel,
        address: address.into(),
        rate_key: rate_key.into(),
    }
}

#[test]
fn a_committee_chair_through_the_senate_form() {
    let [earp] = run(&[committee("SSFR", CommitteeScope::Chair)])
        .try_into()
        .unwrap();
    assert_eq!(earp.recipient.key, "member:E000903");
    assert_eq!(earp.recipient.name, "Senator Wyatt Earp (R-WY)");
    assert_eq!(
        earp.recipient.endpoints,
        [endpoint(Channel::WebForm, "E000903", "www.earp.senate.gov")],
        "the contact_form URL is not an endpoint: no step definition runs it"
    );
    assert_eq!(
        earp.recipient.eligibility,
        Eligibility::State {
            state: hillpost_core::signer::UsState::parse("WY").unwrap()
        }
    );
    assert_eq!(
        earp.to_string(),
        "\
member:E000903  Senator Wyatt Earp (R-WY)
  because: chair of SSFR (Senate Committee on Foreign Relations)
  accepts: constituents of WY
  endpoint: web_form E000903: contact-congress form definition; passed over: Senate CWC is not active for office SWY01, the contact form at https://www.earp.senate.gov/contact has no step definition, so it cannot be filled unattended, no configured email
"
    );
}

#[test]
fn a_contact_form_url_without_a_definition_is_passed_over_not_an_endpoint() {
    let [lovelace] = run(&[committee("SSFR", CommitteeScope::Ranking)])
        .try_into()
        .unwrap();
    assert_eq!(lovelace.recipient.key, "member:L000901");
    assert!(lovelace.recipient.endpoints.is_empty());
    assert!(
        lovelace.why_endpoint.contains("no form definition")
            && lovelace.why_endpoint.contains(
                "the contact form at https://www.lovelace.senate.gov/contact/write has no step \
                 definition, so it cannot be filled unattended"
            ),
        "{}",
        lovelace.why_endpoint
    );
    assert_eq!(
        lovelace.recipient.passed_over.len(),
        4,
        "CWC, the definition, the URL, the email: {:?}",
        lovelace.recipient.passed_over
    );
}

#[test]
fn house_offices_go_through_cwc() {
    let resolved = run(&[committee("HSFA", CommitteeScope::Leadership)]);
    assert_eq!(
        keys(&resolved),
        ["member:O000906", "member:C000908", "member:J000904"],
        "chair, vice chair, ranking member"
    );
    let oakley = &resolved[0];
    assert_eq!(
        oakley.recipient.endpoints,
        [endpoint(Channel::Cwc, "HWY00", "cwc:house")]
    );
    assert!(
        oakley.why_endpoint.contains("CWC stub"),
        "{}",
        oakley.why_endpoint
    );
    assert_eq!(
        resolved[1].because,
        ["vice chair of HSFA (House Committee on Foreign Affairs)"]
    );
    assert_eq!(
        resolved[2].recipient.eligibility,
        Eligibility::District {
            district: hillpost_core::eligibility::District {
                state: hillpost_core::signer::UsState::parse("VA").unwrap(),
                number: 8
            }
        }
    );
}

#[test]
fn all_members_majority_then_minority_by_rank() {
    let resolved = run(&[committee("HSFA", CommitteeScope::Members)]);
    assert_eq!(
        keys(&resolved),
        [
            "member:O000906",
            "member:C000908",
            "member:J000904",
            "member:T000905",
            "member:J000907"
        ]
    );
    assert_eq!(
        resolved[3].because,
        ["member of HSFA (House Committee on Foreign Affairs), minority rank 2"]
    );
    // CWC only: the legislators-current contact_form URL has no step definition.
    assert_eq!(
        resolved[4].recipient.endpoints,
        [endpoint(Channel::Cwc, "HTX18", "cwc:house")]
    );
    // A subcommittee and a joint committee resolve the same way.
    assert_eq!(
        keys(&run(&[committee("HSFA07", CommitteeScope::Members)])),
        ["member:C000908", "member:T000905"]
    );
    assert_eq!(
        keys(&run(&[committee("JSEC", CommitteeScope::Ranking)])),
        ["member:L000901"]
    );
}

#[test]
fn chambers_by_state_then_seat() {
    let senate = run(&[Target::Chamber {
        chamber: Chamber::Senate,
    }]);
    assert_eq!(
        keys(&senate),
        ["member:L000901", "member:H000902", "member:E000903"]
    );
    let hopper = &senate[1];
    assert_eq!(
        hopper.recipient.endpoints,
        [endpoint(
            Channel::WebForm,
            "H000902",
            "www.hopper.senate.gov"
        )]
    );
    assert!(
        hopper.why_endpoint.contains(
            "(has a recaptcha step, has javascript steps, has no success text to confirm delivery)"
        ),
        "{}",
        hopper.why_endpoint
    );
    let house = run(&[Target::Chamber {
        chamber: Chamber::House,
    }]);
    assert_eq!(
        keys(&house),
        [
            "member:C000908",
            "member:J000907",
            "member:J000904",
            "member:T000905",
            "member:O000906"
        ]
    );
    assert!(
        house
            .iter()
            .all(|r| r.recipient.endpoints[0].channel == Channel::Cwc)
    );
}

#[test]
fn the_president_and_custom_recipients_accept_anyone() {
    let email = |s: &str| Email::parse(s).unwrap();
    let settings = ResolveSettings {
        president_email: Some(email("comments@whitehouse.example")),
        ..ResolveSettings::default()
    };
    let custom = CustomRecipient {
        key: "custom:hfac-staff".into(),
        name: "HFAC staff".into(),
        email: email("staff@hfac.example"),
    };
    let resolved = resolve(
        &directory(),
        &[Target::President, Target::Custom(custom)],
        &settings,
    )
    .unwrap();
    assert_eq!(keys(&resolved), ["president", "custom:hfac-staff"]);
    let president = &resolved[0];
    assert_eq!(president.recipient.name, "President Jane Q. Public");
    assert_eq!(
        president.recipient.endpoints,
        [
            endpoint(
                Channel::WebForm,
                "whitehouse-president-2024",
                "www.whitehouse.gov"
            ),
            endpoint(
                Channel::Email,
                "comments@whitehouse.example",
                "whitehouse.example"
            ),
        ]
    );
    assert!(
        resolved
            .iter()
            .all(|r| r.recipient.eligibility == Eligibility::Anyone)
    );
    assert_eq!(
        resolved[1].recipient.endpoints,
        [endpoint(
            Channel::Email,
            "staff@hfac.example",
            "hfac.example"
        )]
    );
}

#[test]
fn settings_turn_on_senate_cwc_office_emails_and_committee_mailboxes() {
    let email = |s: &str| Email::parse(s).unwrap();
    let mut settings = ResolveSettings {
        senate_cwc: CwcOffices::Only(BTreeSet::from(["SVA02".to_string()])),
        ..ResolveSettings::default()
    };
    settings
        .office_emails
        .insert("L000901".into(), email("write@lovelace.example"));
    settings.committee_mailboxes.insert(
        "SSFR".into(),
        CustomRecipient {
            key: "custom:sfrc-staff".into(),
            name: "SFRC staff".into(),
            email: email("staff@sfrc.example"),
        },
    );
    let resolved = resolve(
        &directory(),
        &[committee("SSFR", CommitteeScope::Members)],
        &settings,
    )
    .unwrap();
    assert_eq!(
        keys(&resolved),
        [
            "member:E000903",
            "member:H000902",
            "member:L000901",
            "custom:sfrc-staff"
        ]
    );
    assert_eq!(
        resolved[1].recipient.endpoints[0],
        endpoint(Channel::Cwc, "SVA02", "cwc:senate")
    );
    assert_eq!(
        resolved[2].recipient.endpoints.last().unwrap(),
        &endpoint(Channel::Email, "write@lovelace.example", "lovelace.example")
    );
    assert_eq!(
        resolved[3].because,
        ["staff mailbox of SSFR (Senate Committee on Foreign Relations)"]
    );
    assert_eq!(resolved[3].recipient.eligibility, Eligibility::Anyone);
}

#[test]
fn an_office_reached_twice_appears_once() {
    let resolved = run(&[
        committee("SSFR", CommitteeScope::Chair),
        Target::Member {
            bioguide: "H000902".into(),
        },
        Target::Chamber {
            chamber: Chamber::Senate,
        },
    ]);
    assert_eq!(
        keys(&resolved),
        ["member:E000903", "member:H000902", "member:L000901"]
    );
    assert_eq!(
        resolved[0].because,
        [
            "chair of SSFR (Senate Committee on Foreign Relations)",
            "member of the Senate (chamber:senate)"
        ]
    );
}

#[test]
fn targets_the_directory_cannot_resolve() {
    let settings = ResolveSettings::default();
    let mut d = directory();
    let error = |d: &hillpost_directory::Directory, target: Target| {
        resolve(d, &[target], &settings).unwrap_err()
    };
    assert_eq!(
        error(&d, committee("SSAP", CommitteeScope::Chair)),
        ResolveError::UnknownCommittee("SSAP".into())
    );
    assert_eq!(
        error(
            &d,
            Target::Member {
                bioguide: "Z000001".into()
            }
        ),
        ResolveError::UnknownMember("Z000001".into())
    );
    d.rosters.remove("JSEC");
    assert_eq!(
        error(&d, committee("JSEC", CommitteeScope::Members)).to_string(),
        "committee `JSEC` has no membership in the directory"
    );
    d.executive = None;
    assert_eq!(error(&d, Target::President), ResolveError::NoPresident);
}

#[test]
fn an_office_without_any_endpoint_says_so() {
    let mut d = directory();
    d.forms.remove("H000902");
    let resolved = resolve(
        &d,
        &[Target::Member {
            bioguide: "H000902".into(),
        }],
        &ResolveSettings::default(),
    )
    .unwrap();
    assert!(!resolved[0].is_reachable());
    assert_eq!(
        resolved[0].why_endpoint,
        "no endpoint; passed over: Senate CWC is not active for office SVA02, no form definition, no configured email"
    );
}
