//! The full public data (../shared/data) through the binary: the import's counts and chairs,
//! and a campaign of worldwide signers to `committee:HSFA` (members) and `committee:HSAP`
//! delivered to a real SMTP server, only to constituents in individual mode and once per
//! office in petition mode.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hillpost_core::eligibility::District;
use hillpost_directory::{Directory, Seat, SourcePaths, load_directory};
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::directory::import;
use crate::support::{Workspace, has_count};

fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = hillpost_testkit::shared_dir().map(|d| d.join("data"));
    if dir.is_none() {
        hillpost_testkit::skip(
            test,
            "../shared/data",
            "Set HILLPOST_SHARED_DIR to the shared folder.",
        );
    }
    dir
}

async fn full_import(ws: Workspace, test: &str) {
    let Some(data) = shared_data(test) else {
        return;
    };
    let run = import(&ws, &data).ok();
    assert!(
        run.stdout
            .contains("directory stored: 537 legislators, 49 committees"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("33774 ZIP areas, 7299 spanning more than one district"),
        "{}",
        run.stdout
    );
    for (committee, chair, ranking) in [
        ("SSFR", "R000584", "S001181"),
        ("HSFA", "M001199", ""),
        ("HSAP", "", ""),
        ("SSAP", "", ""),
    ] {
        let show = ws
            .run(&["directory", "show", "committee", committee])
            .ok()
            .stdout;
        let role_of = |role: &str| {
            show.lines()
                .find(|l| l.trim_start().starts_with(role))
                .and_then(|l| {
                    l.split_whitespace()
                        .find(|w| w.len() == 7 && w[1..].chars().all(|c| c.is_ascii_digit()))
                })
                .map(str::to_string)
        };
        let found_chair =
            role_of("chair").unwrap_or_else(|| panic!("{committee} has a chair:\n{show}"));
        let found_ranking = role_of("ranking member")
            .unwrap_or_else(|| panic!("{committee} has a ranking member:\n{show}"));
        if !chair.is_empty() {
            assert_eq!(found_chair, chair, "{committee} chair");
        }
        if !ranking.is_empty() {
            assert_eq!(found_ranking, ranking, "{committee} ranking member");
        }
    }
    // A second import of the same data changes nothing.
    assert!(import(&ws, &data).ok().stdout.contains("no changes"));
}

#[test]
fn the_full_public_data_imports_on_sqlite() {
    futures_lite(full_import(
        Workspace::new(),
        "e2e::directory_delivery::full_sqlite",
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_public_data_imports_on_postgres() {
    let test = "e2e::directory_delivery::full_postgres";
    let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
        return;
    };
    full_import(Workspace::with_database(schema.url.clone()), test).await;
}

fn futures_lite(f: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f);
}

/// Every House office on HSFA or HSAP, by bioguide id.
fn committee_offices(directory: &Directory) -> BTreeSet<String> {
    ["HSFA", "HSAP"]
        .iter()
        .flat_map(|c| {
            directory
                .roster(c)
                .expect("roster")
                .members
                .iter()
                .map(|m| m.bioguide.clone())
        })
        .collect()
}

fn office_email(bioguide: &str) -> String {
    format!("{}@house.example", bioguide.to_ascii_lowercase())
}

/// hillpost.toml giving every office of the two committees an email, and HSFA a mailbox.
fn config(offices: &BTreeSet<String>) -> String {
    let mut toml = String::from("[directory.office_email]\n");
    for id in offices {
        toml.push_str(&format!("{id} = \"{}\"\n", office_email(id)));
    }
    toml.push_str("[directory.committee_mailbox]\nHSFA = \"hfa.staff@house.example\"\n");
    toml
}

fn campaign(mode: &str) -> String {
    let mut toml = hillpost_testkit::fixtures::campaign_toml("worldwide", mode, &[]);
    toml.push_str("\n[[targets]]\ntarget = \"committee:HSFA\"\nscope = \"members\"\n");
    toml.push_str("\n[[targets]]\ntarget = \"committee:HSAP\"\n");
    toml
}

/// The representative holding a district.
fn representative(directory: &Directory, district: District) -> Option<&str> {
    directory.legislators.values().find_map(|l| {
        (l.term.state == district.state
            && l.term.seat
                == Seat::House {
                    district: district.number,
                })
        .then_some(l.bioguide.as_str())
    })
}

struct Signers {
    csv: String,
    /// Signer email → the one office that must get their letter.
    expected: BTreeMap<String, String>,
    /// Offices an ambiguous ZIP could belong to (skipped as `ambiguous district`).
    ambiguous: usize,
}

/// Worldwide signers: one in the HSFA chair's district (own district column), one placed by
/// an unambiguous ZIP alone, one with a ZIP spanning districts, one abroad, one in the US
/// without an address, one whose representative is on neither committee.
fn signers(directory: &Directory, offices: &BTreeSet<String>) -> Signers {
    let zips = &directory.zip_districts;
    let chair = directory.legislator("M001199").expect("HSFA chair");
    let Seat::House {
        district: chair_district,
    } = chair.term.seat
    else {
        panic!("a representative")
    };
    let on_committee =
        |d: &District| representative(directory, *d).is_some_and(|b| offices.contains(b));
    let (zip_one, district_one) = zips
        .entries()
        .find_map(|(zip, ds)| match ds {
            [d] if d.number > 0
                && on_committee(d)
                && representative(directory, *d) != Some("M001199") =>
            {
                Some((zip.to_string(), *d))
            }
            _ => None,
        })
        .expect("an unambiguous ZIP of a committee member");
    let (zip_many, candidates) = zips
        .entries()
        .find(|(_, ds)| {
            ds.len() > 1 && ds.iter().all(|d| d.state == ds[0].state) && ds.iter().any(on_committee)
        })
        .map(|(zip, ds)| (zip.to_string(), ds.to_vec()))
        .expect("a ZIP across districts of one state");
    let outsider = directory
        .legislators
        .values()
        .find(|l| {
            matches!(l.term.seat, Seat::House { district } if district > 0)
                && !offices.contains(&l.bioguide)
        })
        .expect("a representative on neither committee");
    let Seat::House {
        district: outsider_district,
    } = outsider.term.seat
    else {
        unreachable!()
    };

    let mut csv = String::from(
        "first_name,last_name,email,city,state,zip,district,country,language,can_be_emailed\n",
    );
    let rows = [
        (
            "Chair",
            "Constituent",
            "chair.district@example.org",
            chair.term.state.code().to_string(),
            String::new(),
            chair_district.to_string(),
            "US",
        ),
        (
            "Zip",
            "Only",
            "zip.only@example.org",
            district_one.state.code().to_string(),
            zip_one.clone(),
            String::new(),
            "US",
        ),
        (
            "Zip",
            "Ambiguous",
            "zip.ambiguous@example.org",
            candidates[0].state.code().to_string(),
            zip_many.clone(),
            String::new(),
            "US",
        ),
        (
            "Lima",
            "Abroad",
            "abroad@example.org",
            String::new(),
            String::new(),
            String::new(),
            "PE",
        ),
        (
            "No",
            "Address",
            "no.address@example.org",
            String::new(),
            String::new(),
            String::new(),
            "US",
        ),
        (
            "Elsewhere",
            "Voter",
            "elsewhere@example.org",
            outsider.term.state.code().to_string(),
            String::new(),
            outsider_district.to_string(),
            "US",
        ),
    ];
    for (first, last, email, state, zip, district, country) in rows {
        csv.push_str(&format!(
            "{first},{last},{email},Springfield,{state},{zip},{district},{country},en,yes\n"
        ));
    }
    let expected = BTreeMap::from([
        (
            "chair.district@example.org".to_string(),
            office_email("M001199"),
        ),
        (
            "zip.only@example.org".to_string(),
            office_email(representative(directory, district_one).unwrap()),
        ),
    ]);
    let ambiguous = candidates.iter().filter(|d| on_committee(d)).count();
    Signers {
        csv,
        expected,
        ambiguous,
    }
}

fn prepared(
    server: &SmtpServer,
    data: &std::path::Path,
    mode: &str,
    ws: Workspace,
) -> (Workspace, Directory, BTreeSet<String>) {
    let directory = load_directory(&SourcePaths::data_dir(data)).expect("the public data loads");
    let offices = committee_offices(&directory);
    let ws = ws
        .smtp(server.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    ws.write("hillpost.toml", &config(&offices));
    import(&ws, data).ok();
    let campaign = ws.write("campaign.toml", &campaign(mode));
    ws.run(&["campaign", "add", campaign.to_str().unwrap()])
        .ok();
    (ws, directory, offices)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn individual_letters_reach_only_constituents() {
    let test = "e2e::directory_delivery::individual";
    let Some(data) = shared_data(test) else {
        return;
    };
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let (ws, directory, offices) = prepared(&server, &data, "individual", Workspace::new());
    let signers = signers(&directory, &offices);
    let csv = ws.write("signers.csv", &signers.csv);
    ws.run(&["signatures", "import", "worldwide", csv.to_str().unwrap()])
        .ok();
    ws.run(&["batch", "create", "worldwide"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();

    // The committee mailbox accepts anyone: each of the six signers writes to it too.
    let messages = server.wait_for_messages(signers.expected.len() + 6).await;
    let (staff, offices_got): (Vec<_>, Vec<_>) = messages
        .iter()
        .map(|m| {
            (
                m.mailbox("Reply-To").unwrap().address,
                m.mailbox("To").unwrap().address,
            )
        })
        .partition(|(_, to)| to == "hfa.staff@house.example");
    assert_eq!(staff.len(), 6, "every signer to the staff mailbox once");
    let got: BTreeMap<String, String> = offices_got.iter().cloned().collect();
    assert_eq!(
        offices_got.len(),
        signers.expected.len(),
        "one letter per constituent: {offices_got:?}"
    );
    assert_eq!(got, signers.expected);

    // Everyone else is skipped with the reason, shown by `batch status`.
    let recipients = offices.len() as u64 + 1;
    let status = ws.run(&["batch", "status", "1"]).ok().stdout;
    assert!(
        has_count(&status, "delivered", signers.expected.len() as u64 + 6),
        "{status}"
    );
    let skipped = 6 * (recipients - 1) - signers.expected.len() as u64;
    assert!(has_count(&status, "skipped", skipped), "{status}");
    let reasons: BTreeMap<&str, u64> = status
        .lines()
        .skip_while(|l| !l.contains("skipped because"))
        .skip(1)
        .take_while(|l| !l.contains("per recipient"))
        .filter_map(|l| {
            l.trim()
                .split_once("  ")
                .map(|(n, r)| (r.trim(), n.trim().parse().unwrap()))
        })
        .collect();
    let n = offices.len() as u64;
    assert_eq!(
        reasons.get("outside the United States"),
        Some(&n),
        "{status}"
    );
    assert_eq!(reasons.get("no address"), Some(&n), "{status}");
    assert_eq!(
        reasons.get("ambiguous district"),
        Some(&(signers.ambiguous as u64)),
        "{status}"
    );
    assert_eq!(
        reasons.get("not a constituent"),
        Some(&(skipped - 2 * n - signers.ambiguous as u64)),
        "{status}"
    );
}

async fn petition_goes_once_to_every_office(ws: Workspace, test: &str) {
    let Some(data) = shared_data(test) else {
        return;
    };
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let (ws, directory, offices) = prepared(&server, &data, "petition", ws);
    let csv = ws.write("signers.csv", &signers(&directory, &offices).csv);
    ws.run(&["signatures", "import", "worldwide", csv.to_str().unwrap()])
        .ok();
    ws.run(&["batch", "create", "worldwide"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let messages = server.wait_for_messages(offices.len() + 1).await;
    assert_eq!(messages.len(), offices.len() + 1);
    let to: BTreeSet<String> = messages
        .iter()
        .map(|m| m.mailbox("To").unwrap().address)
        .collect();
    let mut expected: BTreeSet<String> = offices.iter().map(|o| office_email(o)).collect();
    expected.insert("hfa.staff@house.example".into());
    assert_eq!(to, expected, "one letter per office, none twice");
    for message in &messages {
        let list = message
            .attachments
            .iter()
            .find(|a| a.filename.as_deref() == Some("signatures.csv"))
            .expect("the list");
        assert_eq!(
            String::from_utf8_lossy(&list.content).lines().count(),
            7,
            "header and six signers"
        );
        let pdf = message
            .attachments
            .iter()
            .find(|a| a.filename.as_deref() == Some("signatures.pdf"))
            .expect("the petition PDF");
        assert_eq!(pdf.content_type, "application/pdf");
        assert_eq!(
            pdf.content, messages[0].attachments[1].content,
            "one document for every office"
        );
    }
    // The PDF parses and lists every signer the CSV lists.
    let first = &messages[0];
    let list = String::from_utf8_lossy(&first.attachments[0].content).into_owned();
    let text =
        pdf_extract::extract_text_from_mem(&first.attachments[1].content).expect("the PDF parses");
    assert!(text.contains("6 signatures"), "{text}");
    for row in list.lines().skip(1) {
        let name = row.split(',').next().unwrap();
        assert!(text.contains(name), "`{name}` is not in the PDF:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petition_goes_once_to_every_office_on_postgres() {
    let test = "e2e::directory_delivery::petition_postgres";
    let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
        return;
    };
    petition_goes_once_to_every_office(Workspace::with_database(schema.url.clone()), test).await;
}
