//! Malformed inputs: each is an error naming the file, the line and the reason, and nothing
//! is half imported. Form definitions are the exception: a bad one is reported and the
//! others are kept.

use hillpost_directory::{Problem, SourceError, Sources, build_directory};

use crate::support::{edited, line_of, sources, text};

fn rejected(sources: &Sources) -> SourceError {
    build_directory(sources).expect_err("a malformed file is rejected")
}

#[test]
fn bad_yaml() {
    let mut s = sources();
    s.legislators = edited(
        &s.legislators,
        "    state_rank: junior\n",
        "    state_rank: [junior\n",
    );
    let error = rejected(&s);
    assert_eq!(error.file, "legislators-current.yaml");
    assert!(matches!(error.problem, Problem::Yaml { .. }), "{error}");
    let junior = line_of(&text(&sources().legislators), "state_rank: junior");
    assert!(
        (junior..=junior + 1).contains(&error.line),
        "{error} (the broken value is at line {junior})"
    );
}

#[test]
fn a_legislator_without_a_bioguide_id() {
    let mut s = sources();
    s.legislators = edited(
        &s.legislators,
        "    bioguide: E000903\n",
        "    govtrack: 1\n",
    );
    let error = rejected(&s);
    let line = line_of(&text(&s.legislators), "    govtrack: 1\n") - 1;
    assert_eq!(error.problem, Problem::MissingBioguide);
    assert_eq!(
        error.to_string(),
        format!("legislators-current.yaml:{line}: a legislator without a bioguide id")
    );
}

#[test]
fn a_duplicate_bioguide_id() {
    let mut s = sources();
    s.legislators = edited(&s.legislators, "bioguide: T000905", "bioguide: J000904");
    let error = rejected(&s);
    let original = text(&sources().legislators);
    let first = line_of(&original, "bioguide: J000904") - 1;
    assert_eq!(error.line, line_of(&original, "bioguide: T000905"));
    assert_eq!(
        error.problem,
        Problem::Duplicate {
            what: "bioguide id".into(),
            id: "J000904".into(),
            first_line: first
        }
    );
    assert!(
        error
            .to_string()
            .contains("duplicate bioguide id `J000904`"),
        "{error}"
    );
}

#[test]
fn a_malformed_term() {
    let mut s = sources();
    s.legislators = edited(&s.legislators, "    district: 11\n", "    district: 140\n");
    let error = rejected(&s);
    assert_eq!(
        error.to_string(),
        format!(
            "legislators-current.yaml:{}: legislator T000905: district 140 (expected 0 to 99)",
            line_of(&text(&s.legislators), "district: 140") - 4
        )
    );
}

#[test]
fn membership_pointing_at_nothing() {
    let mut s = sources();
    s.membership = edited(&s.membership, "HSFA07:\n", "HSFA99:\n");
    let error = rejected(&s);
    assert_eq!(
        error.to_string(),
        format!(
            "committee-membership-current.yaml:{}: membership listed for `HSFA99`, which is neither a committee nor a subcommittee",
            line_of(&text(&s.membership), "HSFA99:")
        )
    );

    let mut s = sources();
    s.membership = edited(
        &s.membership,
        "  title: Vice Chair\n  bioguide: C000908\n",
        "  title: Vice Chair\n  bioguide: Z000999\n",
    );
    let error = rejected(&s);
    assert_eq!(
        error.line,
        line_of(&text(&s.membership), "name: Roberto Clemente")
    );
    assert_eq!(
        error.problem.to_string(),
        "HSFA lists Z000999 (Roberto Clemente), who is not a current legislator"
    );
}

#[test]
fn a_member_without_a_bioguide_id_and_a_committee_listed_twice() {
    let mut s = sources();
    s.membership = edited(
        &s.membership,
        "  rank: 3\n  bioguide: J000907\n",
        "  rank: 3\n",
    );
    let error = rejected(&s);
    assert_eq!(
        error.line,
        line_of(&text(&s.membership), "name: Barbara Jordan")
    );
    assert_eq!(
        error.problem.to_string(),
        "HSFA: a member without a bioguide id (Barbara Jordan)"
    );

    let mut s = sources();
    s.membership = edited(&s.membership, "HSFA07:\n", "HSFA:\n");
    let error = rejected(&s);
    assert_eq!(error.file, "committee-membership-current.yaml");
    assert_eq!(error.line, line_of(&text(&sources().membership), "HSFA07:"));
    assert!(
        error.to_string().contains("duplicate mapping key"),
        "{error}"
    );
}

#[test]
fn a_duplicate_committee_id() {
    let mut s = sources();
    s.committees = edited(&s.committees, "thomas_id: JSEC", "thomas_id: HSFA");
    let error = rejected(&s);
    assert_eq!(error.file, "committees-current.yaml");
    assert!(
        matches!(error.problem, Problem::Duplicate { ref id, .. } if id == "HSFA"),
        "{error}"
    );
}

#[test]
fn a_bad_zip_row() {
    let mut s = sources();
    let zip = s.zip_districts.take().unwrap();
    s.zip_districts = Some(edited(&zip, "56,WY,82001,0", "56,WY,82001,at-large"));
    let error = rejected(&s);
    assert_eq!(
        error.to_string(),
        "zccd.csv:6: `at-large` is not a district number"
    );
}

#[test]
fn a_bad_form_is_reported_and_the_others_are_kept() {
    let mut s = sources();
    let index = s
        .member_forms
        .iter()
        .position(|f| f.name() == "members/E000903.yaml")
        .unwrap();
    s.member_forms[index] = edited(&s.member_forms[index], "    - check:\n", "    - tick:\n");
    let d = build_directory(&s).expect("forms do not stop an import");
    assert_eq!(d.forms.len(), 3);
    assert!(!d.forms.contains_key("E000903"));
    let [error] = d.rejected_forms.as_slice() else {
        panic!("{:?}", d.rejected_forms)
    };
    assert_eq!(error.file, "members/E000903.yaml");
    assert_eq!(
        error.line,
        line_of(&text(&s.member_forms[index]), "- tick:")
    );
    assert!(
        error.to_string().contains("unknown step kind `tick`"),
        "{error}"
    );
}

#[test]
fn forms_that_cannot_be_followed() {
    let form = |from: &str, to: &str| {
        let mut s = sources();
        let index = s
            .member_forms
            .iter()
            .position(|f| f.name() == "members/E000903.yaml")
            .unwrap();
        s.member_forms[index] = edited(&s.member_forms[index], from, to);
        let d = build_directory(&s).unwrap();
        let [error] = d.rejected_forms.as_slice() else {
            panic!("{:?}", d.rejected_forms)
        };
        error.to_string()
    };
    assert_eq!(
        form("bioguide: E000903", "bioguide: E000904"),
        "members/E000903.yaml:1: the form is for E000904 but the file is named E000903"
    );
    assert!(
        form(
            "          required: false\n",
            "          required: false\n          colour: red\n"
        )
        .contains("unknown field `colour`"),
    );
    assert_eq!(
        form(
            "    - visit: \"https://www.earp.senate.gov/contact\"\n",
            "    - visit: \"javascript:alert(1)\"\n"
        ),
        "members/E000903.yaml:6: visit `javascript:alert(1)` is not an http(s) address"
    );
    assert_eq!(
        form("  method: post\n", "  method: put\n"),
        "members/E000903.yaml:3: method `put` (GET or POST)"
    );
}

#[test]
fn unknown_variables_are_warnings() {
    let mut s = sources();
    let index = s
        .member_forms
        .iter()
        .position(|f| f.name() == "members/E000903.yaml")
        .unwrap();
    s.member_forms[index] = edited(
        &s.member_forms[index],
        "value: $NAME_LAST",
        "value: $SURNAME",
    );
    let d = build_directory(&s).unwrap();
    let warnings: Vec<String> = d.forms["E000903"]
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect();
    let line = line_of(&text(&s.member_forms[index]), "- name: last_name");
    assert_eq!(
        warnings,
        [format!("line {line}: unknown variable $SURNAME")]
    );
}
