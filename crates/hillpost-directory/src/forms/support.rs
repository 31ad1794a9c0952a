//! `support/variables.yaml` (the `$VARIABLES` a form may use, with their meaning) and
//! `support/constants.yaml` (named option lists such as `US_STATES`). A form is checked
//! against them; the web-form channel uses them to fill fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::SourceError;
use crate::source::SourceFile;
use crate::yaml::{self, Entries};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSupport {
    /// `$NAME_FIRST` → "First name". Empty when no variables file was given (nothing checked).
    pub variables: BTreeMap<String, String>,
    /// `US_STATES` → its values. Empty when no constants file was given.
    pub constants: BTreeMap<String, FormConstant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormConstant {
    pub description: Option<String>,
    pub values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    description: Option<String>,
    example: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConstant {
    description: Option<String>,
    #[serde(default)]
    value: Vec<String>,
}

pub fn parse_variables(source: &SourceFile) -> Result<BTreeMap<String, String>, SourceError> {
    let Entries(entries): Entries<String, RawVariable> = yaml::parse(source)?;
    Ok(entries
        .into_iter()
        .map(|(name, v)| {
            let meaning = v.description.or(v.example).unwrap_or_default();
            (name, meaning)
        })
        .collect())
}

pub fn parse_constants(source: &SourceFile) -> Result<BTreeMap<String, FormConstant>, SourceError> {
    let Entries(entries): Entries<String, RawConstant> = yaml::parse(source)?;
    Ok(entries
        .into_iter()
        .map(|(name, c)| {
            let constant = FormConstant {
                description: c.description,
                values: c.value,
            };
            (name, constant)
        })
        .collect())
}
