//! Reading the public data from folders: the only part of the crate that touches files.
//!
//! ```text
//! --legislators congress-legislators/  legislators-current.yaml, committees-current.yaml,
//!                                      committee-membership-current.yaml, executive.yaml
//! --forms contact-congress/            members/*.yaml, support/variables.yaml, support/constants.yaml
//! --officials contact-officials/       *.yaml (the White House form)
//! --zip-districts zccd.csv
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use crate::directory::Directory;
use crate::error::DirectoryError;
use crate::import::{Sources, build_directory};
use crate::source::SourceFile;

/// Where an import reads from. Only the legislators folder is required.
#[derive(Debug, Clone, Default)]
pub struct SourcePaths {
    pub legislators: PathBuf,
    pub forms: Option<PathBuf>,
    pub officials: Option<PathBuf>,
    pub zip_districts: Option<PathBuf>,
}

impl SourcePaths {
    /// The layout of `../shared/data` (and of this crate's fixtures).
    pub fn data_dir(data: &Path) -> Self {
        Self {
            legislators: data.join("congress-legislators"),
            forms: Some(data.join("contact-congress")),
            officials: Some(data.join("contact-officials")),
            zip_districts: Some(data.join("zip-districts").join("zccd.csv")),
        }
    }
}

/// Reads every file, then builds the directory.
pub fn load_directory(paths: &SourcePaths) -> Result<Directory, DirectoryError> {
    let sources = read_sources(paths)?;
    Ok(build_directory(&sources)?)
}

pub fn read_sources(paths: &SourcePaths) -> Result<Sources, DirectoryError> {
    let legislators = &paths.legislators;
    let forms = paths.forms.as_deref();
    Ok(Sources {
        legislators: read(legislators, "legislators-current.yaml")?,
        committees: read(legislators, "committees-current.yaml")?,
        membership: read(legislators, "committee-membership-current.yaml")?,
        executive: read_if_present(legislators, "executive.yaml")?,
        form_variables: forms
            .map(|f| read_if_present(f, "support/variables.yaml"))
            .transpose()?
            .flatten(),
        form_constants: forms
            .map(|f| read_if_present(f, "support/constants.yaml"))
            .transpose()?
            .flatten(),
        member_forms: match forms {
            Some(dir) => read_yaml_files(dir, "members")?,
            None => Vec::new(),
        },
        official_forms: match &paths.officials {
            Some(dir) => read_yaml_files(dir, "")?,
            None => Vec::new(),
        },
        zip_districts: match &paths.zip_districts {
            Some(path) => Some(read_path(path, file_name(path))?),
            None => None,
        },
    })
}

fn read(dir: &Path, name: &str) -> Result<SourceFile, DirectoryError> {
    read_path(&dir.join(name), name.to_string())
}

fn read_if_present(dir: &Path, name: &str) -> Result<Option<SourceFile>, DirectoryError> {
    let path = dir.join(name);
    if !path.exists() {
        return Ok(None);
    }
    read_path(&path, name.to_string()).map(Some)
}

fn read_path(path: &Path, name: String) -> Result<SourceFile, DirectoryError> {
    let bytes = fs::read(path).map_err(|source| DirectoryError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(SourceFile::new(name, bytes))
}

/// Every `*.yaml` in `dir/sub`, sorted by name so imports are reproducible.
fn read_yaml_files(dir: &Path, sub: &str) -> Result<Vec<SourceFile>, DirectoryError> {
    let folder = if sub.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(sub)
    };
    let read_error = |source| DirectoryError::Read {
        path: folder.clone(),
        source,
    };
    let mut names: Vec<String> = fs::read_dir(&folder)
        .map_err(read_error)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    names.retain(|n| n.ends_with(".yaml") || n.ends_with(".yml"));
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let relative = if sub.is_empty() {
                name.clone()
            } else {
                format!("{sub}/{name}")
            };
            read_path(&folder.join(&name), relative)
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
