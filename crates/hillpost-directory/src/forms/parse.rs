//! From the YAML shapes to a checked [`FormDefinition`]. A definition the executor could not
//! follow is rejected with its line and reason; one it can follow with caveats keeps them as
//! warnings.

use super::check::Checker;
use super::model::{FormDefinition, FormMethod, FormStep, StepAction, WarningKind};
use super::raw::RawFormFile;
use super::support::FormSupport;
use crate::error::{Problem, SourceError};
use crate::source::SourceFile;
use crate::yaml::{self, line_of};

/// contact-congress's placeholder page for offices reached only through CWC.
pub(super) const CWC_STUB: &str = "stubforcwc";

/// Where a definition comes from, which decides how it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// contact-congress `members/BIOGUIDE.yaml`: the `bioguide` key must match the file name.
    Member,
    /// contact-officials (`whitehouse-president-2024.yaml`): named by the file.
    Official,
}

/// Parses and checks one form file.
pub fn parse_form(
    source: &SourceFile,
    kind: FormKind,
    support: &FormSupport,
) -> Result<FormDefinition, SourceError> {
    let raw: RawFormFile = yaml::parse(source)?;
    let bad = |line: u32, reason: String| source.error(line, Problem::BadForm { reason });
    let file_id = file_stem(source.name());
    let bioguide = match (kind, raw.bioguide) {
        (_, Some(b)) => {
            let id = b.value.trim().to_string();
            if id != file_id {
                return Err(source.error(
                    line_of(&b),
                    Problem::FormIdMismatch {
                        bioguide: id,
                        file_id: file_id.to_string(),
                    },
                ));
            }
            Some(id)
        }
        (FormKind::Member, None) => return Err(bad(1, "no bioguide id".into())),
        (FormKind::Official, None) => None,
    };
    let Some(form) = raw.contact_form else {
        return Err(bad(1, "no contact_form".into()));
    };
    let form_line = line_of(&form);
    let form = form.value;
    let method = match form
        .method
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("post") => Some(FormMethod::Post),
        Some("get") => Some(FormMethod::Get),
        Some(other) => return Err(bad(form_line, format!("method `{other}` (GET or POST)"))),
    };
    let mut checker = Checker {
        support,
        warnings: Vec::new(),
    };
    let raw_steps = form.steps.unwrap_or_default();
    if raw_steps.is_empty() {
        return Err(bad(form_line, "no steps".into()));
    }
    let mut steps = Vec::with_capacity(raw_steps.len());
    for raw_step in raw_steps {
        let line = line_of(&raw_step);
        let action = checker
            .step(raw_step.value)
            .map_err(|reason| bad(line, reason))?;
        steps.push(FormStep { line, action });
    }
    let visit = steps
        .iter()
        .find(|s| matches!(s.action, StepAction::Visit { .. }));
    if visit.is_none() {
        return Err(bad(
            form_line,
            "no visit step: the form's page is unknown".into(),
        ));
    }
    let success = match (form.success, raw.success) {
        (Some(inside), _) => Some(checker.success(inside)),
        (None, Some(outside)) => {
            checker.warn(line_of(&outside), WarningKind::SuccessOutsideContactForm);
            Some(checker.success(outside))
        }
        // A stub has nothing to submit, so nothing to confirm.
        (None, None) if is_stub(&steps) => None,
        (None, None) => {
            checker.warn(form_line, WarningKind::NoSuccessCheck);
            None
        }
    };
    Ok(FormDefinition {
        id: bioguide.clone().unwrap_or_else(|| file_id.to_string()),
        bioguide,
        method,
        action: form.action.filter(|a| !a.trim().is_empty()),
        steps,
        success,
        warnings: checker.warnings,
        provenance: source.provenance(1),
    })
}

fn is_stub(steps: &[FormStep]) -> bool {
    steps
        .iter()
        .any(|s| matches!(&s.action, StepAction::Visit { url } if url == CWC_STUB))
}

fn file_stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".yaml")
        .or_else(|| base.strip_suffix(".yml"))
        .unwrap_or(base)
}
