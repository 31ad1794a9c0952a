//! A directory taken apart the way the store keeps it (files with roles, ZIP rows) and
//! rebuilt is the directory that was imported.

use hillpost_directory::{SourceRole, Sources, StoredError, rebuild_directory};

use crate::support::{directory, sources};

#[test]
fn stored_files_and_zip_rows_rebuild_the_same_directory() {
    let imported = directory();
    let sources = sources();
    // As the store returns them: role, name, bytes, in another order than read.
    let mut stored: Vec<(String, String, Vec<u8>)> = sources
        .files_with_roles()
        .into_iter()
        .map(|(role, f)| {
            (
                role.as_str().to_string(),
                f.name().to_string(),
                f.bytes().to_vec(),
            )
        })
        .collect();
    stored.reverse();
    let rebuilt_sources = Sources::from_stored(stored).unwrap();
    let provenance = imported.zip_districts.provenance.clone().unwrap();
    let rows = imported
        .zip_districts
        .rows()
        .map(|(zip, d)| (zip.to_string(), d))
        .collect();
    let rebuilt = rebuild_directory(&rebuilt_sources, Some((provenance, rows))).unwrap();
    assert_eq!(rebuilt, imported);
}

#[test]
fn a_stored_directory_without_its_legislators_is_refused() {
    let error = Sources::from_stored(vec![(
        SourceRole::Committees.as_str().to_string(),
        "committees-current.yaml".to_string(),
        b"[]".to_vec(),
    )])
    .unwrap_err();
    assert_eq!(error, StoredError::Missing("legislators"));
    assert!(matches!(
        Sources::from_stored(vec![("nonsense".into(), "x".into(), Vec::new())]),
        Err(StoredError::UnknownRole(_))
    ));
}
