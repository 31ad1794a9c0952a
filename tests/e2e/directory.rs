//! `hillpost directory import | show` and `targets preview` on the project's own fixture
//! (crates/hillpost-directory/fixtures): the diff of a changed copy, a malformed copy that
//! changes nothing, and the preview's exact words.

use std::path::{Path, PathBuf};

use crate::support::Workspace;

pub fn fixture_dir() -> PathBuf {
    hillpost_testkit::repo_root().join("crates/hillpost-directory/fixtures")
}

/// `directory import` of a data folder laid out like ../shared/data.
pub fn import_args(data: &Path) -> Vec<String> {
    let arg = |p: PathBuf| p.to_str().unwrap().to_string();
    vec![
        "directory".into(),
        "import".into(),
        "--legislators".into(),
        arg(data.join("congress-legislators")),
        "--forms".into(),
        arg(data.join("contact-congress")),
        "--officials".into(),
        arg(data.join("contact-officials")),
        "--zip-districts".into(),
        arg(data.join("zip-districts/zccd.csv")),
    ]
}

pub fn import(ws: &Workspace, data: &Path) -> crate::support::Run {
    let args = import_args(data);
    ws.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` once in {}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_changed_copy_prints_its_diff_and_replaces_the_directory() {
    let ws = Workspace::new();
    let first = import(&ws, &fixture_dir()).ok();
    assert!(first.stdout.contains("first import"), "{}", first.stdout);
    assert!(
        first
            .stdout
            .contains("directory stored: 8 legislators, 3 committees (2 subcommittees)"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("7 ZIP areas, 2 spanning more than one district")
    );

    let again = import(&ws, &fixture_dir()).ok();
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);

    let copy = ws.path().join("data");
    copy_dir(&fixture_dir(), &copy);
    let legislators = copy.join("congress-legislators");
    edit(
        &legislators.join("committee-membership-current.yaml"),
        "- name: Alan Turing\n  party: minority\n  rank: 2\n  bioguide: T000905\n",
        "",
    );
    edit(
        &legislators.join("legislators-current.yaml"),
        "contact_form: https://jordan.house.gov/contact",
        "contact_form: https://jordan.house.gov/write-to-me",
    );
    std::fs::remove_file(copy.join("contact-congress/members/O000906.yaml")).unwrap();
    let changed = import(&ws, &copy).ok();
    let out = &changed.stdout;
    for line in [
        "contact details: 1 changed",
        "  ~ J000907  Representative Barbara Jordan: contact_form https://jordan.house.gov/contact -> https://jordan.house.gov/write-to-me",
        "form definitions: 0 added, 1 removed, 0 changed",
        "  - O000906",
        "committee HSFA (House Committee on Foreign Affairs):",
        "  - left    T000905  Alan Turing (minority, rank 2)",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing `{line}` in:\n{out}"
        );
    }
    // Stored: the member is off the committee now.
    let show = ws.run(&["directory", "show", "committee", "HSFA"]).ok();
    assert!(!show.stdout.contains("T000905"), "{}", show.stdout);
    assert!(import(&ws, &copy).ok().stdout.contains("no changes"));
}

#[tokio::test]
async fn a_malformed_file_is_rejected_with_its_line_and_changes_nothing() {
    let ws = Workspace::new();
    import(&ws, &fixture_dir()).ok();
    let store = ws.store().await;
    let before = store.directory().await.unwrap().expect("stored");

    let copy = ws.path().join("data");
    copy_dir(&fixture_dir(), &copy);
    // A second legislator with an id already used (Katherine Johnson's).
    edit(
        &copy.join("congress-legislators/legislators-current.yaml"),
        "bioguide: J000907",
        "bioguide: J000904",
    );
    let failed = import(&ws, &copy).failed();
    assert!(
        failed.stderr.contains("legislators-current.yaml:11")
            && failed.stderr.contains("duplicate"),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("the stored directory is unchanged"));

    // Not YAML at all (with the legislators good again).
    std::fs::copy(
        fixture_dir().join("congress-legislators/legislators-current.yaml"),
        copy.join("congress-legislators/legislators-current.yaml"),
    )
    .unwrap();
    edit(
        &copy.join("congress-legislators/committees-current.yaml"),
        "- type: senate",
        "- type: [senate",
    );
    let failed = import(&ws, &copy).failed();
    assert!(
        failed.stderr.contains("committees-current.yaml:"),
        "{}",
        failed.stderr
    );

    let after = store.directory().await.unwrap().expect("still stored");
    assert_eq!(after.files, before.files);
    assert_eq!(after.zip_table, before.zip_table);
    ws.run(&["directory", "show", "member", "J000907"]).ok();
}

#[test]
fn show_lists_members_with_roles_and_endpoints() {
    let ws = Workspace::new();
    ws.write(
        "hillpost.toml",
        "[directory.office_email]\nO000906 = \"oakley@house.example\"\n",
    );
    import(&ws, &fixture_dir()).ok();
    let committee = ws
        .run(&["directory", "show", "committee", "hsfa"])
        .ok()
        .stdout;
    assert!(
        committee.starts_with("HSFA  House Committee on Foreign Affairs\n"),
        "{committee}"
    );
    assert!(
        committee.contains("chair           O000906  Representative Annie Oakley (R-WY-AL)"),
        "{committee}"
    );
    assert!(
        committee.contains("sends via: email oakley@house.example"),
        "{committee}"
    );
    let member = ws
        .run(&["directory", "show", "member", "E000903"])
        .ok()
        .stdout;
    assert!(
        member.contains("committees: JSEC (chair), SSFR (chair)"),
        "{member}"
    );
    assert!(member.contains("sends via: nothing yet"), "{member}");
    let unknown = ws.run(&["directory", "show", "member", "Z000001"]).failed();
    assert!(
        unknown
            .stderr
            .contains("`Z000001` is not a current legislator")
    );
}

/// `text` must be `tests/e2e/snapshots/NAME` word for word; UPDATE_SNAPSHOTS=1 rewrites
/// it after an intended change (read the diff).
fn assert_snapshot(name: &str, text: &str) {
    let snapshot = hillpost_testkit::repo_root()
        .join("tests/e2e/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, text).unwrap();
    }
    let expected =
        std::fs::read_to_string(&snapshot).expect("the snapshot (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(
        text, expected,
        "{name} changed; UPDATE_SNAPSHOTS=1 to accept"
    );
}

const PREVIEW_CAMPAIGN: &str = r#"id = "preview"
title = "Preview"
organization = "Test Peace Coalition"
mode = "individual"
default_language = "en"

[letters.en]
subject = "Bring the troops home"
body = "Dear {{ recipient.name }},\n\nPlease.\n"

[[targets]]
target = "committee:SSFR"
scope = "leadership"

[[targets]]
target = "committee:HSFA"
scope = "chair"

[[targets]]
target = "member:E000903"

[[targets]]
target = "president"

[[targets]]
target = "custom"
name = "Peace desk"
email = "desk@peace.example"
"#;

/// The preview on the fixture, word for word. Set UPDATE_SNAPSHOTS=1 to rewrite the
/// snapshot after an intended change, and read the diff.
#[test]
fn targets_preview_matches_its_snapshot() {
    let ws = Workspace::new();
    ws.write(
        "hillpost.toml",
        "[directory.office_email]\nO000906 = \"oakley@house.example\"\n\
         [directory.committee_mailbox]\nSSFR = \"ssfr.staff@senate.example\"\n",
    );
    import(&ws, &fixture_dir()).ok();
    let campaign = ws.write("campaign.toml", PREVIEW_CAMPAIGN);
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    let preview = ws.run(&["targets", "preview", "preview"]).ok().stdout;
    assert_snapshot("targets_preview.txt", &preview);
    // And a batch refuses while offices cannot be reached, naming them.
    let signers = ws.write("s.csv", &hillpost_testkit::fixtures::signers_csv(2));
    ws.run(&["signatures", "import", "preview", signers.to_str().unwrap()])
        .ok();
    let refused = ws.run(&["batch", "create", "preview"]).failed();
    assert!(
        refused
            .stderr
            .contains("member:E000903 (Senator Wyatt Earp (R-WY))"),
        "{}",
        refused.stderr
    );
}

/// A campaign whose letter is longer than Senator Earp's message field, with Wyoming
/// signers of whom some gave no phone (a copy of the fixture whose Earp form requires one),
/// and Senator Hopper, whose form has a recaptcha step.
const FIT_CAMPAIGN: &str = r#"id = "fit"
title = "Fit"
organization = "Test Peace Coalition"
mode = "individual"
default_language = "en"

[letters.en]
subject = "Foreign affairs: bring the troops home"
body = "Dear {{ recipient.name }},\n\n__LONG__\n\n{{ signer.full_name }}\n"

[[targets]]
target = "member:E000903"

[[targets]]
target = "member:H000902"
"#;

const FIT_SIGNERS: &str =
    "first_name,last_name,email,address1,city,state,zip,country,phone,language,can_be_emailed
Ada,One,ada@example.org,1 Main St,Cheyenne,WY,82001,US,307-555-0101,en,yes
Bo,Two,bo@example.org,2 Main St,Cheyenne,WY,82001,US,,en,yes
Cy,Three,cy@example.org,3 Main St,Casper,WY,82601,US,,en,yes
Di,Four,di@example.org,4 Main St,Richmond,VA,23219,US,804-555-0104,en,yes
";

/// The preview's words on forms, word for word (UPDATE_SNAPSHOTS=1 rewrites it): the
/// letter cut at the message field's 2,000 characters and where, the signers without a
/// phone and where their letters go, the recaptcha form and its fallback.
#[test]
fn targets_preview_says_how_the_letters_fit_each_form() {
    let ws = Workspace::new();
    let data = ws.path().join("data");
    copy_dir(&fixture_dir(), &data);
    edit(
        &data.join("contact-congress/members/E000903.yaml"),
        "        - name: message\n",
        "        - name: phone\n          selector: \"#phone\"\n          value: $PHONE\n          required: true\n        - name: message\n",
    );
    ws.write(
        "hillpost.toml",
        "[web_forms]\nenabled = true\n\
         [directory.office_email]\nE000903 = \"earp@senate.example\"\nH000902 = \"hopper@senate.example\"\n",
    );
    import(&ws, &data).ok();
    let paragraph = "We ask you to vote against the deployment and to bring every soldier home \
                     before the winter; families have waited long enough. ";
    let long = paragraph.repeat(20);
    let campaign = ws.write(
        "campaign.toml",
        &FIT_CAMPAIGN.replace("__LONG__", long.trim()),
    );
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    let signers = ws.write("signers.csv", FIT_SIGNERS);
    ws.run(&["signatures", "import", "fit", signers.to_str().unwrap()])
        .ok();
    let preview = ws.run(&["targets", "preview", "fit"]).ok().stdout;
    assert_snapshot("targets_preview_forms.txt", &preview);
    for words in [
        "letter cut: 3 of 3 letters are longer than the form's 2000-character message field",
        "missing: 2 of 3 signers have no phone number",
        "cannot be used (the form has a recaptcha step) → letters go to email hopper@senate.example",
    ] {
        assert!(preview.contains(words), "{words}\n{preview}");
    }
}
