//! Parsing the crate's fixture: typed records, office codes, roles, provenance, forms.

use hillpost_core::campaign::Chamber;
use hillpost_directory::forms::{FieldOptions, FieldValue, FormMethod, StepAction, WarningKind};
use hillpost_directory::{Role, Seat, Side};

use crate::support::{directory, line_of, sources, text};

#[test]
fn legislators_with_their_current_term_and_office_code() {
    let d = directory();
    assert_eq!(d.legislators.len(), 8);
    let senators = d
        .legislators
        .values()
        .filter(|l| l.chamber() == Chamber::Senate);
    assert_eq!(senators.count(), 3);

    let lovelace = d.legislator("L000901").unwrap();
    // The last term is the current one: she moved from the House to the Senate.
    assert_eq!(lovelace.term.seat, Seat::Senate { class: 1 });
    assert_eq!(lovelace.office_code.as_str(), "SVA01");
    assert_eq!(lovelace.addressed_as(), "Senator Ada Lovelace");
    assert_eq!(lovelace.party_and_seat(), "D-VA");
    assert_eq!(
        lovelace.term.contact_form.as_deref(),
        Some("https://www.lovelace.senate.gov/contact/write")
    );

    let codes: Vec<(&str, &str)> = d
        .legislators
        .values()
        .map(|l| (l.bioguide.as_str(), l.office_code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("C000908", "HPR00"),
            ("E000903", "SWY01"),
            ("H000902", "SVA02"),
            ("J000904", "HVA08"),
            ("J000907", "HTX18"),
            ("L000901", "SVA01"),
            ("O000906", "HWY00"),
            ("T000905", "HVA11"),
        ]
    );
    assert_eq!(
        d.legislator("C000908").unwrap().addressed_as(),
        "Resident Commissioner Roberto Clemente"
    );
    assert_eq!(d.legislator("O000906").unwrap().party_and_seat(), "R-WY-AL");
    // No official_full: first and last.
    assert_eq!(d.legislator("E000903").unwrap().name.full(), "Wyatt Earp");
}

#[test]
fn every_record_keeps_file_revision_and_line() {
    let sources = sources();
    let d = directory();
    let hopper = &d.legislator("H000902").unwrap().provenance;
    assert_eq!(hopper.file, "legislators-current.yaml");
    assert_eq!(hopper.revision, sources.legislators.revision());
    assert_eq!(hopper.revision.len(), 64);
    let legislators = text(&sources.legislators);
    assert_eq!(hopper.line, line_of(&legislators, "bioguide: H000902") - 1);

    let ranking = &d
        .roster("HSFA")
        .unwrap()
        .ranking_member()
        .unwrap()
        .provenance;
    assert_eq!(ranking.file, "committee-membership-current.yaml");
    assert_eq!(
        ranking.line,
        line_of(&text(&sources.membership), "name: Katherine Johnson")
    );

    let form = &d.form("E000903").unwrap().provenance;
    assert_eq!(form.file, "members/E000903.yaml");
    assert_eq!(d.sources["members/E000903.yaml"], form.revision);
    assert_eq!(d.sources.len(), 11, "{:?}", d.sources.keys());
}

#[test]
fn committees_subcommittees_and_roles() {
    let d = directory();
    assert_eq!(d.committees.len(), 3);
    assert_eq!(d.rosters.len(), 5);
    let sub = d.committee("SSFR09").unwrap();
    assert_eq!(
        sub.name(),
        "Senate Committee on Foreign Relations: Subcommittee on Near East, South Asia, Central Asia, and Counterterrorism"
    );
    assert_eq!(d.chair("SSFR").unwrap().bioguide, "E000903");
    assert_eq!(d.ranking_member("SSFR").unwrap().bioguide, "L000901");
    assert_eq!(d.chair("SSFR09").unwrap().bioguide, "H000902");
    assert_eq!(d.chair("HSFA").unwrap().bioguide, "O000906");
    assert_eq!(d.ranking_member("HSFA").unwrap().bioguide, "J000904");
    let vice: Vec<&str> = d
        .vice_chairs("HSFA")
        .iter()
        .map(|l| l.bioguide.as_str())
        .collect();
    assert_eq!(vice, ["C000908"]);
    // JSEC names no ranking member: the minority's most senior member is.
    assert_eq!(d.ranking_member("JSEC").unwrap().bioguide, "L000901");
    let leaders: Vec<(Role, &str)> = d
        .leadership("JSEC")
        .into_iter()
        .map(|(role, l)| (role, l.bioguide.as_str()))
        .collect();
    assert_eq!(
        leaders,
        [
            (Role::Chair, "E000903"),
            (Role::ViceChair, "O000906"),
            (Role::RankingMember, "L000901")
        ]
    );
    let members: Vec<(&str, Side, Vec<Role>)> = d
        .members_of("HSFA")
        .into_iter()
        .map(|s| (s.member.bioguide.as_str(), s.member.side, s.roles))
        .collect();
    assert_eq!(
        members,
        [
            ("O000906", Side::Majority, vec![Role::Chair]),
            ("C000908", Side::Majority, vec![Role::ViceChair]),
            ("J000904", Side::Minority, vec![Role::RankingMember]),
            ("T000905", Side::Minority, vec![Role::Member]),
            ("J000907", Side::Minority, vec![Role::Member]),
        ]
    );
}

#[test]
fn the_current_president() {
    let d = directory();
    let executive = d.executive.unwrap();
    assert_eq!(executive.president.name, "Jane Q. Public");
    assert_eq!(executive.president.bioguide.as_deref(), Some("P000910"));
    assert_eq!(executive.president.start, "2025-01-20");
    assert_eq!(executive.vice_president.unwrap().name, "John Doe");
}

#[test]
fn forms_become_typed_steps() {
    let d = directory();
    assert_eq!(d.forms.len(), 4);
    assert!(d.rejected_forms.is_empty(), "{:?}", d.rejected_forms);
    assert_eq!(d.form_support.variables.len(), 11);
    assert_eq!(d.form_support.constants["US_STATES"].values.len(), 4);

    let earp = d.form("E000903").unwrap();
    assert_eq!(earp.method, Some(FormMethod::Post));
    assert_eq!(
        earp.visit_url(),
        Some("https://www.earp.senate.gov/contact")
    );
    let kinds: Vec<&str> = earp.steps.iter().map(|s| s.action.kind()).collect();
    assert_eq!(kinds, ["visit", "fill_in", "select", "check", "click_on"]);
    let StepAction::FillIn { fields } = &earp.steps[1].action else {
        panic!()
    };
    assert_eq!(
        fields[0].value,
        Some(FieldValue::Variable("$NAME_FIRST".into()))
    );
    assert!(fields[0].required);
    // `options: {max_length: 2000}` on a text field is its limit, not a choice list.
    assert_eq!(fields[3].max_length, Some(2000));
    assert_eq!(fields[3].options, None);
    let StepAction::Select { fields } = &earp.steps[2].action else {
        panic!()
    };
    assert_eq!(
        fields[0].options,
        Some(FieldOptions::Constant("US_STATES".into()))
    );
    assert_eq!(
        fields[1].options,
        Some(FieldOptions::List(vec![
            "Mr.".into(),
            "Ms.".into(),
            "Dr.".into()
        ]))
    );
    let StepAction::Check { fields } = &earp.steps[3].action else {
        panic!()
    };
    // YAML 1.1 would read `"no"` unquoted as false; quoted or not, it stays the text.
    assert_eq!(fields[0].value, Some(FieldValue::Literal("no".into())));
    assert!(earp.has_success_text());
    assert!(earp.warnings.is_empty());

    let hopper = d.form("H000902").unwrap();
    assert!(hopper.needs_recaptcha());
    assert!(hopper.has_javascript());
    assert!(!hopper.has_success_text());
    assert_eq!(
        hopper.warnings.iter().map(|w| &w.kind).collect::<Vec<_>>(),
        [&WarningKind::EmptySuccessText]
    );
    let StepAction::Select { fields } = &hopper.steps[2].action else {
        panic!()
    };
    let Some(FieldOptions::Labelled(choices)) = &fields[0].options else {
        panic!()
    };
    let labels: Vec<(&str, &str)> = choices
        .iter()
        .map(|c| (c.label.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("Agriculture", "AGR"),
            ("Foreign Affairs", "FOR"),
            ("Yes", "1")
        ],
        "in the form's order, `Yes` kept as written"
    );
    assert!(
        hopper
            .steps
            .iter()
            .any(|s| s.action == StepAction::Wait { millis: 1500 })
    );
    let form_text = text(
        sources()
            .member_forms
            .iter()
            .find(|f| f.name() == "members/H000902.yaml")
            .unwrap(),
    );
    assert_eq!(hopper.steps[4].line, line_of(&form_text, "- recaptcha:"));

    let stub = d.form("O000906").unwrap();
    assert!(stub.is_cwc_stub());
    assert_eq!(stub.visit_url(), None);

    let white_house = d.form("whitehouse-president-2024").unwrap();
    assert_eq!(white_house.bioguide, None);
    assert_eq!(white_house.method, None);
    assert_eq!(
        white_house.visit_url(),
        Some("https://www.whitehouse.gov/contact/")
    );
}

#[test]
fn zip_districts() {
    let d = directory();
    assert_eq!(d.zip_districts.len(), 7);
    assert_eq!(d.zip_districts.ambiguous(), 2);
    let numbers: Vec<String> = d
        .zip_districts
        .get("77004")
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(numbers, ["TX-09", "TX-18"]);
    assert_eq!(d.zip_districts.get("00901")[0].to_string(), "PR-AL");
}

#[test]
fn a_directory_is_data_that_round_trips() {
    let d = directory();
    let json = serde_json::to_string(&d).unwrap();
    let back: hillpost_directory::Directory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}
