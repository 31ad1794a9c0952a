use hillpost_store::Store;
use hillpost_store::import::{ImportOptions, import_signatures};

use crate::support::{SIGNERS, seeded};

const WITH_BAD_ROWS: &str = "first_name,last_name,email,country\n\
    Dan,Brown,dan@example.org,US\n\
    Eve,\"Line\r\nBreak\",eve@example.org,US\n\
    Fay,Green,not-an-email,US\n\
    Gus,White,gus@example.org,US\n";

both_backends!(a_file_with_bad_rows_changes_nothing);
async fn a_file_with_bad_rows_changes_nothing(store: Store) {
    let campaign = seeded(&store, SIGNERS).await;
    let report = import_signatures(
        &store,
        &campaign.id,
        WITH_BAD_ROWS.as_bytes(),
        "bad.csv",
        ImportOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.import_id, None);
    assert_eq!(report.counts.accepted, 0);
    assert_eq!(report.counts.rows_read, 4);
    let lines: Vec<(u64, &str)> = report
        .rejections
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(lines[0], (3, "last_name: contains a line break"));
    assert_eq!(lines[1].0, 5);
    assert!(
        lines[1]
            .1
            .starts_with("email: is not a valid email address")
    );
    assert_eq!(
        store.signatures(&campaign.id).await.unwrap().len(),
        3,
        "nothing already stored is lost or added"
    );
}

both_backends!(skip_invalid_keeps_the_good_rows_and_counts_duplicates);
async fn skip_invalid_keeps_the_good_rows_and_counts_duplicates(store: Store) {
    let campaign = seeded(&store, SIGNERS).await;
    let file =
        format!("{WITH_BAD_ROWS}Ana,Again,ANA@example.org,PE\nDan,Twice,dan@example.org,US\n");
    let options = ImportOptions { skip_invalid: true };
    let mut progress = Vec::new();
    let report = import_signatures(
        &store,
        &campaign.id,
        file.as_bytes(),
        "mixed.csv",
        options,
        |b| progress.push(b),
    )
    .await
    .unwrap();
    assert!(report.import_id.is_some());
    assert_eq!(report.counts.accepted, 2, "Dan and Gus");
    assert_eq!(report.counts.rejected, 2);
    assert_eq!(report.duplicates_in_file, 1, "Dan twice");
    assert_eq!(report.duplicates_stored, 1, "Ana was already there");
    assert_eq!(report.counts.duplicates, 2);
    assert_eq!(report.source_sha256.len(), 64);
    assert_eq!(progress.last().copied(), Some(file.len() as u64));
    assert_eq!(store.signatures(&campaign.id).await.unwrap().len(), 5);
}

both_backends!(a_file_without_the_needed_columns_is_refused_whole);
async fn a_file_without_the_needed_columns_is_refused_whole(store: Store) {
    let campaign = seeded(&store, SIGNERS).await;
    let error = import_signatures(
        &store,
        &campaign.id,
        "zip,country\n1,US\n".as_bytes(),
        "x.csv",
        ImportOptions::default(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("no `email` column"), "{error}");
}

both_backends!(a_broken_file_keeps_the_rows_before_the_break_and_names_the_whole_file);
async fn a_broken_file_keeps_the_rows_before_the_break_and_names_the_whole_file(store: Store) {
    use sha2::Digest;
    let campaign = seeded(&store, SIGNERS).await;
    // Semicolon separated, then a quote never closed and 3 MiB more: the rest is one row.
    let mut file =
        b"email;first_name;last_name\nhal@example.org;Hal;Gray\nivy@example.org;\"Ivy".to_vec();
    file.resize(file.len() + (3 << 20), b'x');
    let options = ImportOptions { skip_invalid: true };
    let report = import_signatures(
        &store,
        &campaign.id,
        file.as_slice(),
        "broken.csv",
        options,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.counts.accepted, 1, "Hal, before the break");
    assert_eq!(report.rejections.len(), 1);
    assert_eq!(report.rejections[0].line, 3);
    assert!(
        report.rejections[0].reason.starts_with("malformed row"),
        "{}",
        report.rejections[0].reason
    );
    // The import record names the file it came from: all of it, not the part read.
    assert_eq!(
        report.source_sha256,
        hex::encode(sha2::Sha256::digest(&file))
    );
    let signatures = store.signatures(&campaign.id).await.unwrap();
    assert!(
        signatures
            .iter()
            .any(|(_, s)| s.email.as_str() == "hal@example.org")
    );
    assert!(
        !signatures
            .iter()
            .any(|(_, s)| s.email.as_str() == "ivy@example.org")
    );
}
