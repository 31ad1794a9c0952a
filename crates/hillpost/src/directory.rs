//! The recipient directory between the store and hillpost-directory: an import's files as
//! the store keeps them, and the stored files and ZIP rows rebuilt into a [`Directory`].

use anyhow::Context;
use hillpost_core::eligibility::District;
use hillpost_core::signer::UsState;
use hillpost_directory::{Directory, Provenance, Sources, rebuild_directory};
use hillpost_store::{DirectoryFile, NewDirectory, Store, ZipDistrictRow, ZipTable};

/// What `directory import` writes: every file whole, and the ZIP table (if one was given)
/// as rows.
pub fn new_directory(sources: &Sources, directory: &Directory) -> NewDirectory {
    let files = sources
        .files_with_roles()
        .into_iter()
        .map(|(role, file)| DirectoryFile {
            role: role.as_str().to_string(),
            name: file.name().to_string(),
            sha256: file.revision().to_string(),
            content: file.bytes().to_vec(),
        })
        .collect();
    let zip_table = sources.zip_districts.as_ref().map(|file| ZipTable {
        name: file.name().to_string(),
        sha256: file.revision().to_string(),
        rows: directory
            .zip_districts
            .rows()
            .map(|(zip, d)| ZipDistrictRow {
                zip: zip.to_string(),
                state: d.state.code().to_string(),
                district: d.number,
            })
            .collect(),
    });
    NewDirectory { files, zip_table }
}

/// The stored directory, parsed; `None` before the first import.
pub async fn load(store: &Store) -> anyhow::Result<Option<Directory>> {
    let Some(stored) = store.directory().await? else {
        return Ok(None);
    };
    let sources = Sources::from_stored(
        stored
            .files
            .into_iter()
            .map(|f| (f.role, f.name, f.content)),
    )?;
    let zip_table = stored
        .zip_table
        .map(|table| -> anyhow::Result<_> {
            let provenance = Provenance {
                file: table.name,
                revision: table.sha256,
                line: 1,
            };
            let rows = table
                .rows
                .into_iter()
                .map(|row| {
                    let state = UsState::parse(&row.state).with_context(|| {
                        format!("stored ZIP {} has state {}", row.zip, row.state)
                    })?;
                    let district = District {
                        state,
                        number: row.district,
                    };
                    Ok((row.zip, district))
                })
                .collect::<anyhow::Result<_>>()?;
            Ok((provenance, rows))
        })
        .transpose()?;
    Ok(Some(rebuild_directory(&sources, zip_table)?))
}
