//! A re-import of a changed copy prints what changed.

use hillpost_directory::{DirectoryDiff, SourceFile, build_directory};

use crate::support::{directory, edited, sources, text};

const JEMISON: &str = "- id:
    bioguide: J000911
  name:
    first: Mae
    last: Jemison
    official_full: Mae Jemison
  terms:
  - type: rep
    start: '2025-02-01'
    end: '2027-01-03'
    state: TX
    district: 18
    party: Democrat
    url: https://jemison.house.gov
";

#[test]
fn a_changed_copy_gives_the_expected_diff() {
    let before = directory();
    let mut s = sources();
    // Barbara Jordan leaves; Mae Jemison takes her seat and her committee place.
    let legislators = text(&s.legislators);
    let jordan = legislators.find("- id:\n    bioguide: J000907").unwrap();
    let next = jordan + legislators[jordan + 1..].find("- id:").unwrap() + 1;
    let legislators = format!(
        "{}{JEMISON}{}",
        &legislators[..jordan],
        &legislators[next..]
    );
    s.legislators = SourceFile::new("legislators-current.yaml", legislators);
    s.legislators = edited(
        &s.legislators,
        "contact_form: https://www.earp.senate.gov/contact",
        "contact_form: https://www.earp.senate.gov/write-to-wyatt",
    );
    s.legislators = edited(
        &s.legislators,
        "url: https://www.lovelace.senate.gov\n",
        "url: https://lovelace.senate.gov\n",
    );
    s.membership = edited(
        &s.membership,
        "- name: Barbara Jordan\n  party: minority\n  rank: 3\n  bioguide: J000907\n",
        "- name: Mae Jemison\n  party: minority\n  rank: 3\n  bioguide: J000911\n",
    );
    s.membership = edited(
        &s.membership,
        "  rank: 2\n  bioguide: H000902\n",
        "  rank: 2\n  title: Vice Chairman\n  bioguide: H000902\n",
    );
    s.committees = SourceFile::new(
        "committees-current.yaml",
        text(&s.committees)
            + "- type: senate\n  name: Senate Committee on Appropriations\n  thomas_id: SSAP\n",
    );
    s.member_forms
        .retain(|f| f.name() != "members/O000906.yaml");
    let hopper = s
        .member_forms
        .iter_mut()
        .find(|f| f.name() == "members/H000902.yaml")
        .unwrap();
    *hopper = edited(hopper, "contains: \"\"", "contains: Message sent");
    s.member_forms.push(SourceFile::new(
        "members/T000905.yaml",
        "bioguide: T000905\ncontact_form:\n  steps:\n    - visit: stubforcwc\n",
    ));
    let after = build_directory(&s).unwrap();

    let diff = DirectoryDiff::between(&before, &after);
    assert_eq!(
        diff.to_string(),
        "\
legislators: 1 added, 1 removed
  + J000911  Representative Mae Jemison (D-TX-18)
  - J000907  Representative Barbara Jordan (D-TX-18)
contact details: 2 changed
  ~ E000903  Senator Wyatt Earp: contact_form https://www.earp.senate.gov/contact -> https://www.earp.senate.gov/write-to-wyatt
  ~ L000901  Senator Ada Lovelace: url https://www.lovelace.senate.gov -> https://lovelace.senate.gov
form definitions: 1 added, 1 removed, 1 changed
  + T000905
  - O000906
  ~ H000902
committees: 1 added, 0 removed
  + SSAP  Senate Committee on Appropriations
committee HSFA (House Committee on Foreign Affairs):
  + joined  J000911  Mae Jemison (minority, rank 3)
  - left    J000907  Barbara Jordan (minority, rank 3)
committee SSFR (Senate Committee on Foreign Relations):
  ~ title   H000902  Grace B. Hopper (majority): (none) -> Vice Chairman
"
    );

    // And back again: the mirror image.
    let back = DirectoryDiff::between(&after, &before);
    assert_eq!(back.legislators_added[0].id, "J000907");
    assert_eq!(back.forms_added, ["O000906"]);
    assert_eq!(back.committees_removed[0].id, "SSAP");
}

#[test]
fn the_same_data_is_no_change() {
    let diff = DirectoryDiff::between(&directory(), &directory());
    assert!(diff.is_empty());
    assert_eq!(diff.to_string(), "no changes\n");
}

#[test]
fn a_subcommittee_change_names_its_parent() {
    let before = directory();
    let mut s = sources();
    s.membership = edited(
        &s.membership,
        "HSFA07:\n- name: Roberto Clemente\n  party: majority\n  rank: 1\n  title: Chair\n  bioguide: C000908\n",
        "HSFA07:\n- name: Annie Oakley\n  party: majority\n  rank: 1\n  title: Chair\n  bioguide: O000906\n",
    );
    let diff = DirectoryDiff::between(&before, &build_directory(&s).unwrap());
    assert_eq!(
        diff.to_string(),
        "\
committee HSFA07 (House Committee on Foreign Affairs: Subcommittee on Western Hemisphere):
  + joined  O000906  Annie Oakley (majority, rank 1, Chair)
  - left    C000908  Roberto Clemente (majority, rank 1, Chair)
"
    );
}
