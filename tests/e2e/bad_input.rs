//! Bad input through the command line: each gets an error naming the problem, and nothing
//! already stored is lost or changed.

use hillpost_testkit::fixtures;

use crate::support::Workspace;

/// A workspace with the test campaign and five accepted signatures.
fn with_five_signatures() -> Workspace {
    let ws = Workspace::new();
    let campaign = fixtures::campaign_toml(
        "bad-input",
        "individual",
        &[("Staff", "staff@committee.example.org")],
    );
    let file = ws.write("campaign.toml", &campaign);
    ws.run(&["campaign", "add", file.to_str().unwrap()]).ok();
    let signers = ws.write("signers.csv", &fixtures::signers_csv(5));
    ws.run(&[
        "signatures",
        "import",
        "bad-input",
        signers.to_str().unwrap(),
    ])
    .ok();
    ws
}

fn import(ws: &Workspace, name: &str, content: &[u8]) -> crate::support::Run {
    let path = ws.path().join(name);
    std::fs::write(&path, content).unwrap();
    ws.run(&["signatures", "import", "bad-input", path.to_str().unwrap()])
        .failed()
}

fn assert_still_five(ws: &Workspace) {
    let show = ws.run(&["campaign", "show", "bad-input"]).ok();
    assert!(show.stdout.contains("signatures:   5"), "{}", show.stdout);
}

const HEADER: &str = "first_name,last_name,email,city,country,language,can_be_emailed\n";

#[test]
fn malformed_csv_files_are_refused_and_change_nothing() {
    let ws = with_five_signatures();

    let bad_quoting = format!(
        "{HEADER}Ann,\"Lee,ann@example.org,Boston,US,en,yes\nBo,Ek,bo@example.org,Lima,PE,es,yes\n"
    );
    let run = import(&ws, "quoting.csv", bad_quoting.as_bytes());
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("line 2"), "names the line: {said}");
    assert_still_five(&ws);

    let missing = "first_name,last_name,city\nAnn,Lee,Boston\n";
    let run = import(&ws, "missing.csv", missing.as_bytes());
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("email"), "names the missing column: {said}");
    assert_still_five(&ws);

    let mut invalid_utf8 = HEADER.as_bytes().to_vec();
    invalid_utf8.extend_from_slice(b"Ann\xff\xfe,Lee,ann@example.org,Boston,US,en,yes\n");
    let run = import(&ws, "latin1.csv", &invalid_utf8);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("line 2") && said.contains("UTF-8"), "{said}");
    assert_still_five(&ws);
}

#[test]
fn a_hundred_megabyte_row_is_refused_naming_its_line() {
    let ws = with_five_signatures();
    // One row of 100 MB: a pasted document, a broken export. The importer must neither choke
    // nor store anything, and must say which row and column.
    let mut csv = String::with_capacity(101 << 20);
    csv.push_str(HEADER);
    csv.push_str("Ann,Lee,ann@example.org,Boston,US,en,yes\n");
    csv.push_str("Bo,");
    csv.push_str(&"x".repeat(100 << 20));
    csv.push_str(",bo@example.org,Lima,PE,es,yes\n");
    let run = import(&ws, "huge.csv", csv.as_bytes());
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.len() < 10_000,
        "the error does not echo the row ({} bytes)",
        said.len()
    );
    assert!(
        said.contains("line 3") && said.contains("last_name"),
        "{said}"
    );
    assert!(said.contains("nothing was imported"), "{said}");
    assert_still_five(&ws);
}

#[test]
fn line_breaks_in_names_and_subjects_never_reach_a_header() {
    let ws = with_five_signatures();
    let injected = format!(
        "{HEADER}\"Ann\r\nBcc: victim@example.org\",Lee,ann@example.org,Boston,US,en,yes\n"
    );
    let run = import(&ws, "crlf.csv", injected.as_bytes());
    assert!(run.stdout.contains("line 2"), "{}", run.stdout);
    assert!(
        run.stdout.contains("first_name"),
        "names the column: {}",
        run.stdout
    );
    assert_still_five(&ws);

    let campaign = fixtures::campaign_toml(
        "crlf-subject",
        "individual",
        &[("Staff", "staff@committee.example.org")],
    )
    .replacen(
        "subject = \"Bring the troops home (from {{ signer.city }})\"",
        "subject = \"Bring the troops home\\r\\nBcc: victim@example.org\"",
        1,
    );
    assert!(campaign.contains("Bcc"), "the fixture changed");
    let file = ws.write("crlf.toml", &campaign);
    let run = ws
        .run(&["campaign", "add", file.to_str().unwrap()])
        .failed();
    assert!(run.stderr.contains("subject"), "{}", run.stderr);
    assert!(
        !ws.run(&["campaign", "list"])
            .ok()
            .stdout
            .contains("crlf-subject")
    );
}

#[test]
fn unknown_placeholders_are_refused_when_the_campaign_is_added() {
    let ws = with_five_signatures();
    let campaign = fixtures::campaign_toml(
        "typo",
        "individual",
        &[("Staff", "staff@committee.example.org")],
    )
    .replacen("{{ signer.full_name }}", "{{ signer.shoe_size }}", 1);
    let file = ws.write("typo.toml", &campaign);
    let run = ws
        .run(&["campaign", "add", file.to_str().unwrap()])
        .failed();
    assert!(run.stderr.contains("shoe_size"), "{}", run.stderr);
    assert!(!ws.run(&["campaign", "list"]).ok().stdout.contains("typo"));
}

#[test]
fn a_bad_configuration_value_is_named_at_start() {
    let ws = with_five_signatures();
    let config = ws.write("bad.toml", "[worker]\nlease = \"soon\"\n");
    let run = ws
        .run(&["--config", config.to_str().unwrap(), "batch", "list"])
        .failed();
    assert!(run.stderr.contains("lease"), "{}", run.stderr);
    assert!(run.stderr.contains("soon"), "{}", run.stderr);
    assert_still_five(&ws);
}
