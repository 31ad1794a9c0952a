//! The stored directory: replaced whole in one transaction, read back byte for byte, the ZIP
//! table kept when an import brings none.

use hillpost_store::{DirectoryFile, NewDirectory, Store, ZipDistrictRow, ZipTable};

fn file(role: &str, name: &str, content: &str) -> DirectoryFile {
    DirectoryFile {
        role: role.into(),
        name: name.into(),
        sha256: format!("{:0>64}", content.len()),
        content: content.as_bytes().to_vec(),
    }
}

fn zip_rows(count: usize) -> Vec<ZipDistrictRow> {
    (0..count)
        .map(|i| ZipDistrictRow {
            zip: format!("{:05}", 10_000 + i),
            state: "VA".into(),
            district: u8::try_from(i % 12).unwrap(),
        })
        .collect()
}

both_backends!(the_directory_is_replaced_whole_and_read_back);
async fn the_directory_is_replaced_whole_and_read_back(store: Store) {
    assert!(
        store.directory().await.unwrap().is_none(),
        "nothing before the first import"
    );

    // More rows than one INSERT takes, so the chunking is exercised.
    let first = NewDirectory {
        files: vec![
            file("legislators", "legislators-current.yaml", "- id: 1\n"),
            file("member_form", "members/A000001.yaml", "bioguide: A000001\n"),
            file("committees", "committees-current.yaml", "[]\n"),
        ],
        zip_table: Some(ZipTable {
            name: "zccd.csv".into(),
            sha256: "a".repeat(64),
            rows: zip_rows(12_001),
        }),
    };
    store.replace_directory(&first).await.unwrap();
    let stored = store.directory().await.unwrap().expect("stored");
    let names: Vec<&str> = stored.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "committees-current.yaml",
            "legislators-current.yaml",
            "members/A000001.yaml"
        ],
        "sorted by role, then name; the ZIP file is not among them"
    );
    assert_eq!(
        stored.files[1], first.files[0],
        "bytes and revision as given"
    );
    let zip = stored.zip_table.expect("zip table");
    assert_eq!(zip.name, "zccd.csv");
    assert_eq!(zip.rows.len(), 12_001);
    assert_eq!(zip.rows[0], zip_rows(1)[0]);

    // A second import without a ZIP table replaces every file and keeps the table.
    let second = NewDirectory {
        files: vec![file("legislators", "legislators-current.yaml", "- id: 2\n")],
        zip_table: None,
    };
    store.replace_directory(&second).await.unwrap();
    let stored = store.directory().await.unwrap().unwrap();
    assert_eq!(stored.files, second.files);
    assert_eq!(stored.zip_table.unwrap().rows.len(), 12_001);

    // With a table, the old rows go.
    let third = NewDirectory {
        files: second.files.clone(),
        zip_table: Some(ZipTable {
            name: "small.csv".into(),
            sha256: "b".repeat(64),
            rows: zip_rows(3),
        }),
    };
    store.replace_directory(&third).await.unwrap();
    let zip = store.directory().await.unwrap().unwrap().zip_table.unwrap();
    assert_eq!((zip.name.as_str(), zip.rows.len()), ("small.csv", 3));
}

both_backends!(a_failed_replacement_changes_nothing);
async fn a_failed_replacement_changes_nothing(store: Store) {
    let good = NewDirectory {
        files: vec![file("legislators", "legislators-current.yaml", "- id: 1\n")],
        zip_table: Some(ZipTable {
            name: "zccd.csv".into(),
            sha256: "a".repeat(64),
            rows: zip_rows(10),
        }),
    };
    store.replace_directory(&good).await.unwrap();
    // The same ZIP row twice breaks the table's key halfway through the transaction.
    let mut rows = zip_rows(10);
    rows.push(rows[0].clone());
    let bad = NewDirectory {
        files: vec![file("legislators", "legislators-current.yaml", "- id: 9\n")],
        zip_table: Some(ZipTable {
            name: "other.csv".into(),
            sha256: "c".repeat(64),
            rows,
        }),
    };
    assert!(store.replace_directory(&bad).await.is_err());
    let stored = store.directory().await.unwrap().unwrap();
    assert_eq!(stored.files, good.files);
    assert_eq!(stored.zip_table.unwrap().name, "zccd.csv");
}
