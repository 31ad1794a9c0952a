use hillpost_testkit::smtp::ParsedEmail;

use crate::support::{Workspace, eml_files, has_count};

#[test]
fn the_demo_delivers_the_bundled_campaign_into_an_outbox() {
    let ws = Workspace::new();
    let run = ws.run(&["demo", "--dir", "demo"]).ok();
    assert!(
        run.stdout.contains(
            "1937 signatures imported from 1949 rows (12 duplicates kept out, 0 rejected)"
        ),
        "{}",
        run.stdout
    );
    assert!(has_count(&run.stdout, "delivered", 3874), "{}", run.stdout);
    let letters = eml_files(&ws.path().join("demo/outbox"));
    assert_eq!(letters.len(), 3874);
    let spanish = letters
        .iter()
        .map(|p| ParsedEmail::parse(std::fs::read(p).unwrap()).unwrap())
        .find(|m| m.header("Content-Language") == Some("es"))
        .expect("Spanish letters");
    assert_eq!(
        spanish.header("Subject"),
        Some("Retiren las tropas estadounidenses del Perú")
    );
    assert!(
        spanish
            .text
            .as_deref()
            .unwrap()
            .contains("El Perú necesita democracia")
    );

    // Running it again starts from scratch rather than adding to the last run.
    let again = ws.run(&["demo", "--dir", "demo"]).ok();
    assert!(
        has_count(&again.stdout, "delivered", 3874),
        "{}",
        again.stdout
    );
    assert_eq!(eml_files(&ws.path().join("demo/outbox")).len(), 3874);
}
